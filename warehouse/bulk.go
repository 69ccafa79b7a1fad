package warehouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Bulk loading of large, already-valid datasets (benchmarks, migrations
// from other systems): one INSERT … SELECT FROM unnest(…) per batch of
// BulkBatchSize rows. COPY would be faster, but Postgres refuses it on
// tables with row-level security. Run these in AsSystem: they write rows
// of many organizations at once and do no merging (a row that exists
// already fails the batch, except for users, matched by email).

// BulkBatchSize is the number of rows per INSERT statement.
const BulkBatchSize = 5000

// BulkOrganization is an organization to insert with a known id.
type BulkOrganization struct {
	ID   uuid.UUID
	Slug string
	Name string
	Plan string // default starter
}

// BulkUser is a user to insert with a known id.
type BulkUser struct {
	ID    uuid.UUID
	Email string
	Name  string
}

// BulkMembership puts a user in an organization with a role.
type BulkMembership struct {
	OrgID, UserID uuid.UUID
	Role          string
}

// BulkTeam is a team to insert with a known id.
type BulkTeam struct {
	OrgID, ID  uuid.UUID
	Slug, Name string
}

// BulkTeamMember puts a member in a team (role member or lead).
type BulkTeamMember struct {
	OrgID, TeamID, UserID uuid.UUID
	Role                  string
}

// BulkMessage is a message of a conversation; Message.ID is ignored (ids
// are assigned by BulkInsertMessages).
type BulkMessage struct {
	OrgID          uuid.UUID
	ConversationID uuid.UUID
	Message
}

// BulkEmbedding is one chunk vector of an org's message.
type BulkEmbedding struct {
	OrgID uuid.UUID
	Embedding
}

// batches calls fn for each run of at most BulkBatchSize indexes of n.
func batches(n int, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += BulkBatchSize {
		if err := fn(lo, min(n, lo+BulkBatchSize)); err != nil {
			return err
		}
	}
	return nil
}

// BulkInsertOrganizations inserts organizations with their ids.
func BulkInsertOrganizations(ctx context.Context, q Querier, orgs []BulkOrganization) error {
	return batches(len(orgs), func(lo, hi int) error {
		n := hi - lo
		ids, slugs, names, plans := make([]uuid.UUID, n), make([]string, n), make([]string, n), make([]string, n)
		for i, o := range orgs[lo:hi] {
			ids[i], slugs[i], names[i], plans[i] = o.ID, o.Slug, o.Name, o.Plan
		}
		_, err := q.Exec(ctx, `insert into organizations (id, slug, name, plan)
			select u.id, u.slug, u.name, coalesce(nullif(u.plan, ''), 'starter')
			from unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) as u(id, slug, name, plan)`, ids, slugs, names, plans)
		if err != nil {
			return fmt.Errorf("bulk insert organizations: %w", translate(err))
		}
		return nil
	})
}

// BulkInsertUsers inserts users with their ids.
func BulkInsertUsers(ctx context.Context, q Querier, users []BulkUser) error {
	return batches(len(users), func(lo, hi int) error {
		n := hi - lo
		ids, emails, names := make([]uuid.UUID, n), make([]string, n), make([]string, n)
		for i, u := range users[lo:hi] {
			ids[i], emails[i], names[i] = u.ID, u.Email, u.Name
		}
		_, err := q.Exec(ctx, `insert into users (id, email, name)
			select * from unnest($1::uuid[], $2::text[], $3::text[])`, ids, emails, names)
		if err != nil {
			return fmt.Errorf("bulk insert users: %w", translate(err))
		}
		return nil
	})
}

// BulkInsertMemberships inserts memberships.
func BulkInsertMemberships(ctx context.Context, q Querier, ms []BulkMembership) error {
	return batches(len(ms), func(lo, hi int) error {
		n := hi - lo
		orgs, users, roles := make([]uuid.UUID, n), make([]uuid.UUID, n), make([]string, n)
		for i, m := range ms[lo:hi] {
			orgs[i], users[i], roles[i] = m.OrgID, m.UserID, m.Role
		}
		_, err := q.Exec(ctx, `insert into memberships (org_id, user_id, role)
			select * from unnest($1::uuid[], $2::uuid[], $3::text[])`, orgs, users, roles)
		if err != nil {
			return fmt.Errorf("bulk insert memberships: %w", translate(err))
		}
		return nil
	})
}

// BulkInsertTeams inserts teams with their ids.
func BulkInsertTeams(ctx context.Context, q Querier, teams []BulkTeam) error {
	return batches(len(teams), func(lo, hi int) error {
		n := hi - lo
		orgs, ids, slugs, names := make([]uuid.UUID, n), make([]uuid.UUID, n), make([]string, n), make([]string, n)
		for i, t := range teams[lo:hi] {
			orgs[i], ids[i], slugs[i], names[i] = t.OrgID, t.ID, t.Slug, t.Name
		}
		_, err := q.Exec(ctx, `insert into teams (org_id, id, slug, name)
			select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])`, orgs, ids, slugs, names)
		if err != nil {
			return fmt.Errorf("bulk insert teams: %w", translate(err))
		}
		return nil
	})
}

// BulkInsertTeamMembers inserts team members.
func BulkInsertTeamMembers(ctx context.Context, q Querier, tms []BulkTeamMember) error {
	return batches(len(tms), func(lo, hi int) error {
		n := hi - lo
		orgs, teams, users, roles := make([]uuid.UUID, n), make([]uuid.UUID, n), make([]uuid.UUID, n), make([]string, n)
		for i, t := range tms[lo:hi] {
			orgs[i], teams[i], users[i], roles[i] = t.OrgID, t.TeamID, t.UserID, t.Role
		}
		_, err := q.Exec(ctx, `insert into team_members (org_id, team_id, user_id, role)
			select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[])`, orgs, teams, users, roles)
		if err != nil {
			return fmt.Errorf("bulk insert team members: %w", translate(err))
		}
		return nil
	})
}

// BulkInsertConversations inserts conversation headers with their ids:
// OrgID, ID, UserID, Tool, Format, ExternalID, Title, Cwd, GitRemote,
// Repo, GitBranches, Models, StartedAt, EndedAt, MessageCount and
// Visibility are stored; the rest keep their defaults.
func BulkInsertConversations(ctx context.Context, q Querier, convs []Conversation) error {
	return batches(len(convs), func(lo, hi int) error {
		n := hi - lo
		var (
			orgs, ids, users                                      = make([]uuid.UUID, n), make([]uuid.UUID, n), make([]uuid.UUID, n)
			tool, format, ext, title, cwd, remote, repo, branches = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			models                                                = make([]string, n)
			started, ended                                        = make([]*time.Time, n), make([]*time.Time, n)
			count                                                 = make([]int32, n)
			vis                                                   = make([]*string, n)
		)
		for i, c := range convs[lo:hi] {
			orgs[i], ids[i], users[i] = c.OrgID, c.ID, c.UserID
			tool[i], format[i], ext[i], title[i], cwd[i], remote[i], repo[i] = c.Tool, c.Format, c.ExternalID, c.Title, c.Cwd, c.GitRemote, c.Repo
			branches[i], models[i] = jsonList(c.GitBranches), jsonList(c.Models)
			started[i], ended[i], count[i], vis[i] = c.StartedAt, c.EndedAt, int32(c.MessageCount), c.Visibility
		}
		_, err := q.Exec(ctx, `insert into conversations (org_id, id, user_id, tool, format, external_id, title, cwd, git_remote, repo,
				git_branches, models, started_at, ended_at, message_count, visibility)
			select u.org, u.id, u.usr, u.tool, u.format, u.ext, u.title, u.cwd, u.remote, u.repo,
				array(select jsonb_array_elements_text(u.branches)), array(select jsonb_array_elements_text(u.models)),
				u.started, u.ended, u.count, u.vis
			from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
				$10::text[], $11::jsonb[], $12::jsonb[], $13::timestamptz[], $14::timestamptz[], $15::int[], $16::text[])
				as u(org, id, usr, tool, format, ext, title, cwd, remote, repo, branches, models, started, ended, count, vis)`,
			orgs, ids, users, tool, format, ext, title, cwd, remote, repo, branches, models, started, ended, count, vis)
		if err != nil {
			return fmt.Errorf("bulk insert conversations: %w", translate(err))
		}
		return nil
	})
}

// BulkInsertMessages inserts messages and returns their ids, in the order
// of msgs. The ids are taken from the table's identity sequence first, so
// the caller can insert the messages' embeddings right after.
func BulkInsertMessages(ctx context.Context, q Querier, msgs []BulkMessage) ([]int64, error) {
	out := make([]int64, 0, len(msgs))
	err := batches(len(msgs), func(lo, hi int) error {
		n := hi - lo
		rows, err := q.Query(ctx, `select nextval(pg_get_serial_sequence('messages', 'id')) from generate_series(1, $1)`, n)
		if err != nil {
			return fmt.Errorf("reserve message ids: %w", translate(err))
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("reserve message ids: %w", translate(err))
		}
		var (
			orgs, convs                 = make([]uuid.UUID, n), make([]uuid.UUID, n)
			seq                         = make([]int32, n)
			ext, role, text, model, brn = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			sent                        = make([]*time.Time, n)
		)
		for i, m := range msgs[lo:hi] {
			orgs[i], convs[i], seq[i], ext[i], role[i], text[i], model[i], brn[i], sent[i] = m.OrgID, m.ConversationID, int32(m.Seq), m.ExternalID, m.Role, m.Text, m.Model, m.GitBranch, m.SentAt
		}
		_, err = q.Exec(ctx, `insert into messages (id, org_id, conversation_id, seq, external_id, role, text, model, git_branch, sent_at)
			overriding system value
			select * from unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[])`,
			ids, orgs, convs, seq, ext, role, text, model, brn, sent)
		if err != nil {
			return fmt.Errorf("bulk insert messages: %w", translate(err))
		}
		out = append(out, ids...)
		return nil
	})
	return out, err
}

// BulkInsertEmbeddings inserts chunk vectors of one model.
func BulkInsertEmbeddings(ctx context.Context, q Querier, model string, es []BulkEmbedding) error {
	return batches(len(es), func(lo, hi int) error {
		n := hi - lo
		orgs, convs := make([]uuid.UUID, n), make([]uuid.UUID, n)
		msg := make([]int64, n)
		chunk, start, end := make([]int32, n), make([]int32, n), make([]int32, n)
		vecs := make([]string, n)
		buf := make([]byte, 0, 8192)
		for i, e := range es[lo:hi] {
			orgs[i], convs[i], msg[i], chunk[i], start[i], end[i] = e.OrgID, e.ConversationID, e.MessageID, int32(e.Chunk), int32(e.StartChar), int32(e.EndChar)
			buf = appendHalfLiteral(buf[:0], e.Vector)
			vecs[i] = string(buf)
		}
		_, err := q.Exec(ctx, `insert into message_embeddings (org_id, message_id, conversation_id, chunk, model, start_char, end_char, embedding)
			select u.org, u.msg, u.conv, u.chunk, $1, u.s, u.e, u.v
			from unnest($2::uuid[], $3::bigint[], $4::uuid[], $5::int[], $6::int[], $7::int[], $8::text[]::halfvec[]) as u(org, msg, conv, chunk, s, e, v)`,
			model, orgs, msg, convs, chunk, start, end, vecs)
		if err != nil {
			return fmt.Errorf("bulk insert embeddings: %w", translate(err))
		}
		return nil
	})
}

// appendHalfLiteral writes a vector in pgvector's text form with the 4
// significant digits half precision can hold (shorter to send and parse
// than vectorLiteral's 6).
func appendHalfLiteral(buf []byte, v []float32) []byte {
	buf = append(buf, '[')
	for i, x := range v {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendFloat(buf, float64(x), 'g', 4, 32)
	}
	return append(buf, ']')
}

// IndexDef is a secondary index as pg_indexes defines it.
type IndexDef struct {
	Table string
	Name  string
	SQL   string // the CREATE INDEX statement
}

// SecondaryIndexes lists the indexes of tables that back no primary key or
// unique constraint: those a bulk load may drop and rebuild afterwards.
func SecondaryIndexes(ctx context.Context, q Querier, tables ...string) ([]IndexDef, error) {
	rows, err := q.Query(ctx, `select t.relname, i.relname, pg_get_indexdef(i.oid)
		from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
		join pg_namespace n on n.oid = t.relnamespace
		where n.nspname = current_schema() and t.relname = any($1) and not x.indisunique and not x.indisprimary
		order by t.relname, i.relname`, tables)
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", translate(err))
	}
	defs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (IndexDef, error) {
		var d IndexDef
		err := r.Scan(&d.Table, &d.Name, &d.SQL)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list indexes: %w", translate(err))
	}
	return defs, nil
}

// DropIndex drops an index if it exists.
func DropIndex(ctx context.Context, q Querier, d IndexDef) error {
	if _, err := q.Exec(ctx, `drop index if exists `+pgx.Identifier{d.Name}.Sanitize()); err != nil {
		return fmt.Errorf("drop index %s: %w", d.Name, translate(err))
	}
	return nil
}

// CreateIndex runs an index definition, unless an index of that name
// exists already.
func CreateIndex(ctx context.Context, q Querier, d IndexDef) error {
	sql := strings.Replace(d.SQL, "CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1)
	if _, err := q.Exec(ctx, sql); err != nil {
		return fmt.Errorf("create index %s: %w", d.Name, translate(err))
	}
	return nil
}
