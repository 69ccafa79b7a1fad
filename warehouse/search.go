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
	// Candidates bounds the matches that are ranked: the newest this many
	// the viewer may see (default DefaultKeywordCandidates). Ranking reads
	// every candidate's text vector, so without a bound a word common in a
	// large org costs time in proportion to the org.
	Candidates int
}

// DefaultKeywordCandidates is KeywordQuery.Candidates when unset.
const DefaultKeywordCandidates = 2000

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

// newSearchBuilder binds the viewer and the org first, so that
// searchVisibleTo's $1, $2 and $3 line up.
func newSearchBuilder(orgID uuid.UUID, v Viewer) *sqlBuilder {
	return &sqlBuilder{args: []any{v.UserID, v.Role, orgID}}
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

func (b *sqlBuilder) substring(s string) string {
	return "left(m.text, 20000) ilike " + b.param(likePattern(s))
}

func (b *sqlBuilder) words(w string) string {
	return "plainto_tsquery('english', " + b.param(w) + ")"
}

// searchVisibleTo is visibleTo (conversations.go) for the conversations
// (alias c) of one org, $3: the same rule, but the org's default
// visibility and the viewer's team mates are looked up once per query
// instead of once per candidate conversation, of which a common word finds
// thousands. TestSearchVisibility holds the two to the same answers.
const searchVisibleTo = `($2 in ('admin', 'auditor')
	or c.user_id = $1
	or coalesce(c.visibility, (select o.settings->>'conversation_visibility' from organizations o where o.id = $3), 'team') = 'org'
	or (coalesce(c.visibility, (select o.settings->>'conversation_visibility' from organizations o where o.id = $3), 'team') = 'team'
		and c.user_id in (select b.user_id from team_members a join team_members b on b.org_id = a.org_id and b.team_id = a.team_id
			where a.org_id = $3 and a.user_id = $1))
	or ($2 = 'manager' and coalesce(c.visibility, (select o.settings->>'conversation_visibility' from organizations o where o.id = $3), 'team') <> 'private'
		and c.user_id in (select b.user_id from team_members a join team_members b on b.org_id = a.org_id and b.team_id = a.team_id
			where a.org_id = $3 and a.user_id = $1 and a.role = 'lead')))`

// scope is the visibility and the filters shared by keyword and semantic
// search, over messages m of org $3 joined with their conversations c.
func (b *sqlBuilder) scope(f SearchFilter) []string {
	where := []string{searchVisibleTo, "m.org_id = $3", "c.org_id = $3", "c.id = m.conversation_id"}
	if f.UserID != nil {
		where = append(where, "c.user_id = "+b.param(*f.UserID))
	}
	if f.TeamID != nil {
		where = append(where, "c.user_id in (select tm.user_id from team_members tm where tm.org_id = $3 and tm.team_id = "+b.param(*f.TeamID)+")")
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

// configureSearch sets a search transaction up: no JIT compilation. The
// keyword SQL's cost estimates pass jit_above_cost, and compiling it took
// longer than running it (100-200 ms of a search's time).
func configureSearch(ctx context.Context, q Querier, settings string) error {
	if _, err := q.Exec(ctx, `select set_config('jit', 'off', true)`+settings); err != nil {
		return fmt.Errorf("configure search: %w", translate(err))
	}
	return nil
}

// KeywordSearch finds messages matching q, best first: the full-text rank
// (ts_rank_cd) of the query's words plus a bonus per exact substring,
// newest first among equals. Only the newest kq.Candidates matches the
// viewer may see are ranked.
func KeywordSearch(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, kq KeywordQuery, f SearchFilter, limit int) ([]MessageHit, error) {
	if err := configureSearch(ctx, q, ""); err != nil {
		return nil, err
	}
	b := newSearchBuilder(orgID, v)
	where := b.scope(f)
	// A group's word alternatives are one tsquery (w1 | w2 | …): one index
	// scan, and one ts_rank_cd over all of a query's words, which reads
	// each candidate's vector once.
	var ranked, bonus []string
	for _, group := range kq.Groups {
		var alts, words []string
		for _, m := range group {
			if m.Substring != "" {
				cond := b.substring(m.Substring)
				alts = append(alts, cond)
				bonus = append(bonus, "(case when "+cond+" then 0.5 else 0 end)")
				continue
			}
			words = append(words, b.words(m.Words))
		}
		if len(words) > 0 {
			tsq := "(" + strings.Join(words, " || ") + ")"
			alts = append(alts, "m.tsv @@ "+tsq)
			ranked = append(ranked, tsq)
		}
		where = append(where, "("+strings.Join(alts, " or ")+")")
	}
	for _, m := range kq.Exclude {
		if m.Substring != "" {
			where = append(where, "not ("+b.substring(m.Substring)+")")
		} else {
			where = append(where, "not (m.tsv @@ "+b.words(m.Words)+")")
		}
	}
	if len(ranked)+len(bonus) == 0 {
		return nil, fmt.Errorf("%w: keyword query has no terms", ErrInvalid)
	}
	score := bonus
	if len(ranked) > 0 {
		score = append([]string{"ts_rank_cd(m.tsv, " + strings.Join(ranked, " || ") + ", 32)"}, bonus...)
	}
	candidates := kq.Candidates
	if candidates <= 0 {
		candidates = DefaultKeywordCandidates
	}
	sql := `select m.id, m.conversation_id, m.seq, m.role, m.sent_at, left(m.text, 20000), (` + strings.Join(score, " + ") + `)::float8 as score
		from (select m.id, m.conversation_id, m.seq, m.role, m.sent_at, m.text, m.tsv
			from messages m, conversations c
			where ` + strings.Join(where, "\n\t\t\tand ") + `
			order by m.id desc
			limit ` + b.param(max(candidates, limit)) + `) m
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

// ContentWords returns the words that are not stop-words (that have a
// lexeme in English full text), in their order.
func ContentWords(ctx context.Context, q Querier, words []string) ([]string, error) {
	out := []string{}
	err := q.QueryRow(ctx, `select coalesce(array_agg(w order by i), '{}') from unnest($1::text[]) with ordinality as u(w, i)
		where numnode(plainto_tsquery('english', w)) > 0`, words).Scan(&out)
	if err != nil {
		return nil, fmt.Errorf("find content words: %w", translate(err))
	}
	return out, nil
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
	// Candidates is how many nearest chunks the viewer may see (and that
	// pass the filters) are fetched, before they are grouped by message.
	Candidates int
}

// SemanticSearch finds the messages whose chunks are nearest to the query
// vector (score = cosine similarity).
func SemanticSearch(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, sq SemanticQuery, f SearchFilter, limit int) ([]MessageHit, error) {
	typ, err := vectorType(sq.Model, sq.Dims)
	if err != nil {
		return nil, err
	}
	// pgvector 0.8 iterative scans: the index keeps walking its graph
	// until enough chunks pass the conditions (this org, what the viewer
	// may see, the filters), so recall holds for orgs that are a small part
	// of the index and for viewers who see a small part of their org.
	// relaxed_order may return them slightly out of order: they are sorted
	// again below.
	settings := `, set_config('hnsw.ef_search', '200', true), set_config('hnsw.iterative_scan', 'relaxed_order', true),
		set_config('hnsw.max_scan_tuples', '40000', true)`
	if sq.Exact {
		settings = ""
	}
	if err := configureSearch(ctx, q, settings); err != nil {
		return nil, err
	}
	b := newSearchBuilder(orgID, v)
	vec := b.param(vectorLiteral(sq.Vector))
	order := "(e.embedding::" + typ + ") <=> " + vec + "::" + typ
	if sq.Exact {
		order = "(" + order + ") + 0" // not the index's expression: forces the exact scan
	}
	where := append(b.scope(f), "e.org_id = $3", "e.model = "+b.param(sq.Model), "m.id = e.message_id")
	sql := `with nearest as materialized (
			select m.id, m.conversation_id, m.seq, m.role, m.sent_at, left(m.text, 20000) as text,
				(e.embedding::` + typ + `) <=> ` + vec + `::` + typ + ` as distance, e.start_char, e.end_char
			from message_embeddings e, messages m, conversations c
			where ` + strings.Join(where, "\n\t\t\tand ") + `
			order by ` + order + `
			limit ` + b.param(max(sq.Candidates, limit)) + `),
		best as (select distinct on (id) * from nearest order by id, distance)
		select id, conversation_id, seq, role, sent_at, text, (1 - distance)::float8 as score, start_char, end_char
		from best order by distance, id limit ` + b.param(limit)
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
