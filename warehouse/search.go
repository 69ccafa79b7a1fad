package warehouse

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The search SQL: built here, in one place, from parsed queries and
// filters. Every value is a bind parameter; only fixed SQL fragments and
// validated identifiers are concatenated.

// TextMatch is one way a message can match: Words (stemmed full text,
// stop-words dropped) or Substring (exact, case-insensitive: identifiers,
// paths, error strings, quoted phrases). Exactly one is set.
type TextMatch struct {
	Words     string
	Substring string
}

// KeywordQuery is a parsed keyword query: every group must match (AND),
// a group matches when any of its alternatives does (OR), and no Exclude
// may match.
type KeywordQuery struct {
	Groups  [][]TextMatch
	Exclude []TextMatch
}

// SearchFilter narrows a search; zero fields do not filter.
type SearchFilter struct {
	UserID    *uuid.UUID
	TeamID    *uuid.UUID
	Tool      string
	Model     string
	Repo      string
	Branch    string
	From, To  *time.Time
	Role      string // user or assistant
	HasCommit *bool
}

// MessageHit is a matching message with its score (higher is better).
type MessageHit struct {
	MessageID      int64
	ConversationID uuid.UUID
	Seq            int
	Role           string
	SentAt         *time.Time
	Text           string // the first 20,000 characters, for snippets
	Score          float64
	// StartChar/EndChar locate the matching chunk for semantic hits.
	StartChar, EndChar int
}

// sqlBuilder accumulates bind parameters.
type sqlBuilder struct {
	args []any
}

func (b *sqlBuilder) param(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// likePattern escapes LIKE wildcards so a substring matches literally.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

func (b *sqlBuilder) match(m TextMatch) string {
	if m.Substring != "" {
		return "left(m.text, 20000) ilike " + b.param(likePattern(m.Substring))
	}
	return "m.tsv @@ plainto_tsquery('english', " + b.param(m.Words) + ")"
}

// visibility and filters shared by keyword and semantic search; the
// viewer is bound first so visibleTo's $1/$2 line up.
func (b *sqlBuilder) scope(orgID uuid.UUID, f SearchFilter) []string {
	where := []string{visibleTo, "m.org_id = " + b.param(orgID), "c.org_id = m.org_id"}
	if f.UserID != nil {
		where = append(where, "c.user_id = "+b.param(*f.UserID))
	}
	if f.TeamID != nil {
		where = append(where, "exists (select 1 from team_members tm where tm.org_id = c.org_id and tm.user_id = c.user_id and tm.team_id = "+b.param(*f.TeamID)+")")
	}
	if f.Tool != "" {
		where = append(where, "c.tool = "+b.param(f.Tool))
	}
	if f.Model != "" {
		where = append(where, "c.models @> array["+b.param(f.Model)+"::text]")
	}
	if f.Repo != "" {
		where = append(where, "c.repo = "+b.param(f.Repo))
	}
	if f.Branch != "" {
		where = append(where, "c.git_branches @> array["+b.param(f.Branch)+"::text]")
	}
	if f.From != nil {
		where = append(where, "c.occurred_at >= "+b.param(*f.From))
	}
	if f.To != nil {
		where = append(where, "c.occurred_at < "+b.param(*f.To))
	}
	if f.Role != "" {
		where = append(where, "m.role = "+b.param(f.Role))
	} else {
		where = append(where, "m.role in ('user', 'assistant')")
	}
	if f.HasCommit != nil {
		cond := "exists (select 1 from commit_links l where l.org_id = c.org_id and l.conversation_id = c.id)"
		if !*f.HasCommit {
			cond = "not (" + cond + ")"
		}
		where = append(where, cond)
	}
	return where
}

// KeywordSearch finds messages matching q, best first: full-text rank plus
// a bonus per exact substring, newest first among equals.
func KeywordSearch(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, kq KeywordQuery, f SearchFilter, limit int) ([]MessageHit, error) {
	b := &sqlBuilder{args: []any{v.UserID, v.Role}}
	where := b.scope(orgID, f)
	var rank []string
	for _, group := range kq.Groups {
		var alts []string
		for _, m := range group {
			cond := b.match(m)
			alts = append(alts, cond)
			if m.Substring != "" {
				rank = append(rank, "(case when "+cond+" then 0.5 else 0 end)")
			} else {
				rank = append(rank, "ts_rank_cd(m.tsv, plainto_tsquery('english', "+b.param(m.Words)+"), 32)")
			}
		}
		where = append(where, "("+strings.Join(alts, " or ")+")")
	}
	for _, m := range kq.Exclude {
		where = append(where, "not ("+b.match(m)+")")
	}
	if len(rank) == 0 {
		return nil, fmt.Errorf("%w: keyword query has no terms", ErrInvalid)
	}
	sql := `select m.id, m.conversation_id, m.seq, m.role, m.sent_at, left(m.text, 20000), (` + strings.Join(rank, " + ") + `)::float8 as score
		from messages m join conversations c on c.id = m.conversation_id
		where ` + strings.Join(where, "\n\t\tand ") + `
		order by score desc, m.sent_at desc nulls last, m.id desc
		limit ` + b.param(limit)
	return scanHits(ctx, q, sql, b.args, false)
}

func scanHits(ctx context.Context, q Querier, sql string, args []any, chunks bool) ([]MessageHit, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("search messages: %w", translate(err))
	}
	defer rows.Close()
	var out []MessageHit
	for rows.Next() {
		var h MessageHit
		dest := []any{&h.MessageID, &h.ConversationID, &h.Seq, &h.Role, &h.SentAt, &h.Text, &h.Score}
		if chunks {
			dest = append(dest, &h.StartChar, &h.EndChar)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("search messages: %w", translate(err))
		}
		out = append(out, h)
	}
	return out, translate(rows.Err())
}

// StopWordsOnly reports whether plain words reduce to no search terms
// (every word is a stop-word).
func StopWordsOnly(ctx context.Context, q Querier, words string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `select numnode(plainto_tsquery('english', $1))`, words).Scan(&n)
	return n == 0, translate(err)
}

var modelName = regexp.MustCompile(`^[a-z0-9][a-z0-9:._-]{0,99}$`)

// vectorType is the cast that selects a model's partial HNSW index.
func vectorType(model string, dims int) (string, error) {
	if !modelName.MatchString(model) || dims < 1 || dims > 4000 {
		return "", fmt.Errorf("%w: embedding model %q with %d dimensions", ErrInvalid, model, dims)
	}
	return fmt.Sprintf("halfvec(%d)", dims), nil
}

// EnsureVectorIndex creates the HNSW index of a model's vectors if it is
// missing (the first time a deployment uses a model). m and ef_construction
// are pgvector's defaults.
func EnsureVectorIndex(ctx context.Context, q Querier, model string, dims int) error {
	typ, err := vectorType(model, dims)
	if err != nil {
		return err
	}
	name := "message_embeddings_" + regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(model, "_") + "_hnsw"
	if model == "use-lite" {
		name = "message_embeddings_use_lite_hnsw"
	}
	_, err = q.Exec(ctx, fmt.Sprintf(`create index if not exists %s on message_embeddings
		using hnsw ((embedding::%s) halfvec_cosine_ops) where model = '%s'`, name, typ, model))
	if err != nil {
		return fmt.Errorf("create vector index for %s: %w", model, translate(err))
	}
	return nil
}

// SemanticQuery is a vector search request.
type SemanticQuery struct {
	Model  string
	Dims   int
	Vector []float32
	// Exact scans the org's vectors instead of the HNSW index: exact
	// results, and faster than the index for small orgs.
	Exact bool
	// Candidates is how many nearest chunks are fetched before visibility
	// and filters apply.
	Candidates int
}

// SemanticSearch finds the messages whose chunks are nearest to the query
// vector (score = cosine similarity).
func SemanticSearch(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, sq SemanticQuery, f SearchFilter, limit int) ([]MessageHit, error) {
	typ, err := vectorType(sq.Model, sq.Dims)
	if err != nil {
		return nil, err
	}
	if !sq.Exact {
		// pgvector 0.8 iterative scans: keep walking the graph until
		// enough of this org's vectors are found, so recall holds for
		// orgs that are a small part of the index.
		if _, err := q.Exec(ctx, `select set_config('hnsw.ef_search', '200', true), set_config('hnsw.iterative_scan', 'relaxed_order', true),
			set_config('hnsw.max_scan_tuples', '40000', true)`); err != nil {
			return nil, fmt.Errorf("configure vector search: %w", translate(err))
		}
	}
	b := &sqlBuilder{args: []any{v.UserID, v.Role}}
	vec := b.param(vectorLiteral(sq.Vector))
	order := "(e.embedding::" + typ + ") <=> " + vec + "::" + typ
	if sq.Exact {
		order = "(" + order + ") + 0" // not the index's expression: forces the exact scan
	}
	candidates := max(sq.Candidates, limit)
	nearest := `select e.message_id, e.start_char, e.end_char, (e.embedding::` + typ + `) <=> ` + vec + `::` + typ + ` as distance
		from message_embeddings e
		where e.org_id = ` + b.param(orgID) + ` and e.model = ` + b.param(sq.Model) + `
		order by ` + order + ` limit ` + b.param(candidates)
	where := b.scope(orgID, f)
	sql := `with nearest as materialized (` + nearest + `),
		best as (select distinct on (message_id) * from nearest order by message_id, distance)
		select m.id, m.conversation_id, m.seq, m.role, m.sent_at, left(m.text, 20000), (1 - n.distance)::float8 as score, n.start_char, n.end_char
		from best n join messages m on m.org_id = ` + b.param(orgID) + ` and m.id = n.message_id
		join conversations c on c.id = m.conversation_id
		where ` + strings.Join(where, "\n\t\tand ") + `
		order by n.distance, m.id limit ` + b.param(limit)
	return scanHits(ctx, q, sql, b.args, true)
}

// CountEmbeddings counts an org's vectors of a model (to choose exact or
// index search).
func CountEmbeddings(ctx context.Context, q Querier, orgID uuid.UUID, model string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `select count(*) from message_embeddings where org_id = $1 and model = $2`, orgID, model).Scan(&n)
	return n, translate(err)
}

// ConversationsByID returns conversation headers by id (visibility was
// checked by the search that found them).
func ConversationsByID(ctx context.Context, q Querier, ids []uuid.UUID) (map[uuid.UUID]Conversation, error) {
	rows, err := q.Query(ctx, `select `+conversationColumns+` from conversations c join users u on u.id = c.user_id where c.id = any($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("load conversations: %w", translate(err))
	}
	defer rows.Close()
	out := make(map[uuid.UUID]Conversation, len(ids))
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, err
		}
		out[c.ID] = c
	}
	return out, translate(rows.Err())
}

// SearchEvent is one recorded search.
type SearchEvent struct {
	OrgID     uuid.UUID
	UserID    uuid.UUID
	Query     string
	Mode      string
	Filters   []byte // JSON
	Results   int
	LatencyMS float64
	EmbedMS   float64
}

// InsertSearchEvent records a search and returns its id and time.
func InsertSearchEvent(ctx context.Context, q Querier, e SearchEvent) (uuid.UUID, time.Time, error) {
	if len(e.Filters) == 0 {
		e.Filters = []byte("{}")
	}
	var id uuid.UUID
	var at time.Time
	err := q.QueryRow(ctx, `insert into search_events (org_id, user_id, query, mode, filters, results, latency_ms, embed_ms)
		values ($1, $2, $3, $4, $5, $6, $7, $8) returning id, occurred_at`,
		e.OrgID, e.UserID, e.Query, e.Mode, e.Filters, e.Results, e.LatencyMS, e.EmbedMS).Scan(&id, &at)
	return id, at, translate(err)
}

// MessageToEmbed is a message without vectors of a model.
type MessageToEmbed struct {
	ID             int64
	ConversationID uuid.UUID
	Text           string
}

// MessagesToEmbed lists a conversation's searchable messages (user and
// assistant, with text) that have no vectors of model yet.
func MessagesToEmbed(ctx context.Context, q Querier, conversationID uuid.UUID, model string) ([]MessageToEmbed, error) {
	rows, err := q.Query(ctx, `select m.id, m.conversation_id, m.text from messages m
		where m.conversation_id = $1 and m.role in ('user', 'assistant') and m.text <> ''
		and not exists (select 1 from message_embeddings e where e.org_id = m.org_id and e.message_id = m.id and e.model = $2)
		order by m.seq, m.id`, conversationID, model)
	if err != nil {
		return nil, fmt.Errorf("list messages to embed: %w", translate(err))
	}
	defer rows.Close()
	var out []MessageToEmbed
	for rows.Next() {
		var m MessageToEmbed
		if err := rows.Scan(&m.ID, &m.ConversationID, &m.Text); err != nil {
			return nil, translate(err)
		}
		out = append(out, m)
	}
	return out, translate(rows.Err())
}

// Embedding is one chunk's vector.
type Embedding struct {
	MessageID      int64
	ConversationID uuid.UUID
	Chunk          int
	StartChar      int
	EndChar        int
	Vector         []float32
}

// InsertEmbeddings stores vectors; existing (message, model, chunk) rows are
// kept, so a retried job inserts nothing twice.
func InsertEmbeddings(ctx context.Context, q Querier, orgID uuid.UUID, model string, es []Embedding) error {
	if len(es) == 0 {
		return nil
	}
	n := len(es)
	msg, chunk, start, end := make([]int64, n), make([]int32, n), make([]int32, n), make([]int32, n)
	conv := make([]uuid.UUID, n)
	vecs := make([]string, n)
	for i, e := range es {
		msg[i], conv[i], chunk[i], start[i], end[i] = e.MessageID, e.ConversationID, int32(e.Chunk), int32(e.StartChar), int32(e.EndChar)
		vecs[i] = vectorLiteral(e.Vector)
	}
	_, err := q.Exec(ctx, `insert into message_embeddings (org_id, message_id, conversation_id, chunk, model, start_char, end_char, embedding)
		select $1, u.msg, u.conv, u.chunk, $2, u.s, u.e, u.v
		from unnest($3::bigint[], $4::uuid[], $5::int[], $6::int[], $7::int[], $8::text[]::halfvec[]) as u(msg, conv, chunk, s, e, v)
		on conflict (org_id, message_id, model, chunk) do nothing`, orgID, model, msg, conv, chunk, start, end, vecs)
	if err != nil {
		return fmt.Errorf("insert embeddings: %w", translate(err))
	}
	return nil
}

// ConversationsMissingEmbeddings lists conversations of an org that have
// searchable messages without vectors of model (for backfills).
func ConversationsMissingEmbeddings(ctx context.Context, q Querier, model string, limit int) ([]uuid.UUID, error) {
	rows, err := q.Query(ctx, `select distinct m.conversation_id from messages m
		where m.role in ('user', 'assistant') and m.text <> ''
		and not exists (select 1 from message_embeddings e where e.org_id = m.org_id and e.message_id = m.id and e.model = $1)
		limit $2`, model, limit)
	if err != nil {
		return nil, fmt.Errorf("list conversations to embed: %w", translate(err))
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			return nil, translate(err)
		}
		out = append(out, id)
	}
	return out, translate(rows.Err())
}

// DeleteEmbeddingsExcept drops the org's vectors of every other model,
// after a switch of models has been backfilled.
func DeleteEmbeddingsExcept(ctx context.Context, q Querier, model string) (int64, error) {
	tag, err := q.Exec(ctx, `delete from message_embeddings where model <> $1`, model)
	return tag.RowsAffected(), translate(err)
}

// vectorLiteral writes a vector in pgvector's text form. Half precision
// keeps about 3 significant digits, so 6 are plenty.
func vectorLiteral(v []float32) string {
	buf := make([]byte, 0, len(v)*10+2)
	buf = append(buf, '[')
	for i, x := range v {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendFloat(buf, float64(x), 'g', 6, 32)
	}
	return string(append(buf, ']'))
}
