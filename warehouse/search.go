package warehouse

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

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
const DefaultKeywordCandidates = 200

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

func (b *sqlBuilder) substring(s string) string {
	if !trigramSelective(s) {
		// The trigram index would return most messages to be checked:
		// the condition is checked on what the other terms find.
		return "(left(m.text, 20000) || '') ilike " + b.param(likePattern(s))
	}
	return "left(m.text, 20000) ilike " + b.param(likePattern(s))
}

// trigramSelective reports whether a substring has a run of three letters
// or digits, from which the trigram index can narrow the messages ("$id"
// has none: its trigrams are those of every word "id").
func trigramSelective(s string) bool {
	run := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if run++; run >= 3 {
				return true
			}
			continue
		}
		run = 0
	}
	return false
}

func (b *sqlBuilder) words(w string) string {
	return "plainto_tsquery('english', " + b.param(w) + ")"
}

// searchScope is what decides which of an org's conversations a viewer
// may see, looked up once per search: visibleTo (conversations.go) looks
// the org's default and the viewer's teams up again for every candidate
// conversation, of which a common word finds thousands, and the planner,
// unable to estimate it, guessed that almost nothing is visible and chose
// plans that start from the conversations. TestSearchVisibility holds
// visible to the same answers as visibleTo.
type searchScope struct {
	orgID  uuid.UUID
	viewer Viewer
	// defaultVisibility is the org's conversation_visibility (team when
	// unset).
	defaultVisibility string
	// teamMates share a team with the viewer; led are the members of the
	// teams the viewer leads.
	teamMates, led []uuid.UUID
	// narrow: the viewer may see (and the filters leave) no more than
	// narrowConversations conversations, these.
	narrow        bool
	conversations []uuid.UUID
	// share estimates the part of the org's conversations the viewer may
	// see (and the filters leave), from a sample; 1 when nothing is
	// hidden.
	share float64
}

// searchTuning are the sizes that decide how a search runs (tests make
// them small to reach every way with a few rows).
type searchTuning struct {
	// narrowConversations is the most conversations a viewer may see (and
	// that pass the filters) for a search to start from them rather than
	// from the org's messages or vectors: their messages, about ten each,
	// are then fewer than the candidates a search would otherwise check.
	narrowConversations int
	// keywordWindow is how many of the org's newest messages a keyword
	// search of a viewer who cannot see everything reads backwards first,
	// and keywordDeep how many more when they held a common word's matches.
	keywordWindow, keywordDeep int
}

var defaultTuning = searchTuning{narrowConversations: 1000, keywordWindow: 2000, keywordDeep: 16000}

// openSearch sets a search transaction up and looks its scope up. No JIT
// compilation: the keyword SQL's cost estimates pass jit_above_cost, and
// compiling it took longer than running it (100-200 ms of a search).
// settings are further set_config calls. When the viewer sees only a few
// of the org's conversations, or the filters leave only a few, their ids
// are looked up too (scope.narrow); with share, scope.share is estimated.
func openSearch(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, f SearchFilter, settings string, narrowLimit int, share bool) (searchScope, error) {
	s := searchScope{orgID: orgID, viewer: v}
	err := q.QueryRow(ctx, `select coalesce((select o.settings->>'conversation_visibility' from organizations o where o.id = $1), 'team'),
			array(select distinct b.user_id from team_members a join team_members b on b.org_id = a.org_id and b.team_id = a.team_id
				where a.org_id = $1 and a.user_id = $2),
			array(select distinct b.user_id from team_members a join team_members b on b.org_id = a.org_id and b.team_id = a.team_id
				where a.org_id = $1 and a.user_id = $2 and a.role = 'lead'),
			concat(set_config('jit', 'off', true)`+settings+`)`, orgID, v.UserID).Scan(&s.defaultVisibility, &s.teamMates, &s.led, nil)
	if err != nil {
		return s, fmt.Errorf("open search: %w", translate(err))
	}
	s.share = 1
	cb := &sqlBuilder{args: []any{orgID}}
	if conds := cb.conversationConditions(s, f); len(conds) > 0 {
		var ids []uuid.UUID
		cond := strings.Join(conds, " and ")
		sample := "1"
		if share {
			sample = `(select coalesce(avg(((` + cond + `) is true)::int), 1) from (select * from conversations c where c.org_id = $1 order by c.id limit ` + cb.param(shareSample) + `) c)`
		}
		err := q.QueryRow(ctx, `select array(select c.id from conversations c where c.org_id = $1 and `+cond+`
				limit `+cb.param(narrowLimit+1)+`), `+sample, cb.args...).Scan(&ids, &s.share)
		if err != nil {
			return s, fmt.Errorf("open search: %w", translate(err))
		}
		if len(ids) <= narrowLimit {
			s.narrow, s.conversations = true, ids
		}
	}
	return s, nil
}

// shareSample is how many of the org's conversations the share a viewer
// sees is estimated from: the first in id order, random uuids, so neither
// the oldest nor one person's.
const shareSample = 2000

// visible is the SQL predicate of the conversations (alias c) the viewer
// may see, visibleTo's rule with the looked-up values in place: plain
// column conditions the planner estimates from the table's statistics.
func (s searchScope) visible(b *sqlBuilder) string {
	if s.viewer.Role == RoleAdmin || s.viewer.Role == RoleAuditor {
		return "true"
	}
	// is: the conversation's visibility, or the org's default when it has
	// none, compared with value by op.
	is := func(op, value string) string {
		cond := "c.visibility " + op + " '" + value + "'"
		dflt := s.defaultVisibility == value
		if op == "<>" {
			dflt = !dflt
		}
		if dflt {
			return "(c.visibility is null or " + cond + ")"
		}
		return cond
	}
	parts := []string{"c.user_id = " + b.param(s.viewer.UserID), is("=", "org")}
	if len(s.teamMates) > 0 {
		parts = append(parts, "("+is("=", "team")+" and c.user_id = any("+b.param(s.teamMates)+"))")
	}
	if s.viewer.Role == RoleManager && len(s.led) > 0 {
		parts = append(parts, "("+is("<>", "private")+" and c.user_id = any("+b.param(s.led)+"))")
	}
	return "(" + strings.Join(parts, " or ") + ")"
}

// conversationConditions are the viewer's visibility and the filters,
// on conversations c; none when every conversation passes.
func (b *sqlBuilder) conversationConditions(s searchScope, f SearchFilter) []string {
	var where []string
	if v := s.visible(b); v != "true" {
		where = append(where, v)
	}
	if f.UserID != nil {
		where = append(where, "c.user_id = "+b.param(*f.UserID))
	}
	if f.TeamID != nil {
		where = append(where, "c.user_id in (select tm.user_id from team_members tm where tm.org_id = $1 and tm.team_id = "+b.param(*f.TeamID)+")")
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
	if f.HasCommit != nil {
		cond := "exists (select 1 from commit_links l where l.org_id = c.org_id and l.conversation_id = c.id)"
		if !*f.HasCommit {
			cond = "not (" + cond + ")"
		}
		where = append(where, cond)
	}
	return where
}

// inScope is the condition that a candidate (msg: the alias of its
// messages or message_embeddings row) belongs to a conversation the viewer
// may see that passes the filters, or "" when every conversation does.
// With a narrow scope it is one of the looked-up conversations. Otherwise
// it is checked for each candidate in the order the candidates come
// (OFFSET 0 keeps Postgres from turning it into a join it would start from
// the conversations: it cannot estimate how many of them a viewer sees),
// so a search that stops after enough candidates checks only those.
func (b *sqlBuilder) inScope(s searchScope, f SearchFilter, msg string) string {
	if s.narrow {
		return msg + ".conversation_id = any(" + b.param(s.conversations) + ")"
	}
	where := b.conversationConditions(s, f)
	if len(where) == 0 {
		return ""
	}
	return "exists (select from conversations c where c.org_id = $1 and c.id = " + msg + ".conversation_id\n\t\t\t\tand " +
		strings.Join(where, "\n\t\t\t\tand ") + " offset 0)"
}

// role is the condition on the role of messages m: the filter's, or
// either of the searchable ones.
func (b *sqlBuilder) role(f SearchFilter) string {
	if f.Role != "" {
		return "m.role = " + b.param(f.Role)
	}
	return "m.role in ('user', 'assistant')"
}

// KeywordSearch finds messages matching q, best first: the full-text rank
// (ts_rank_cd) of the query's words plus a bonus per exact substring,
// newest first among equals. Only the newest kq.Candidates matches the
// viewer may see are ranked: Postgres finds them either from the org's
// newest messages backwards (a common word) or from the full-text index
// (a rare one), whichever it estimates cheaper.
func KeywordSearch(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, kq KeywordQuery, f SearchFilter, limit int) ([]MessageHit, error) {
	return keywordSearch(ctx, q, orgID, v, kq, f, limit, defaultTuning)
}

func keywordSearch(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, kq KeywordQuery, f SearchFilter, limit int, t searchTuning) ([]MessageHit, error) {
	scope, err := openSearch(ctx, q, orgID, v, f, "", t.narrowConversations, true)
	if err != nil {
		return nil, err
	}
	candidates := kq.Candidates
	if candidates <= 0 {
		candidates = DefaultKeywordCandidates
	}
	candidates = max(candidates, limit)
	b := &sqlBuilder{args: []any{orgID}}
	where, score, err := keywordConditions(b, kq, f)
	if err != nil {
		return nil, err
	}
	rank := func(b *sqlBuilder, where, score []string, from string) string {
		return `select m.id, m.conversation_id, m.seq, m.role, m.sent_at, left(m.text, 20000), (` + strings.Join(score, " + ") + `)::float8 as score
		from ` + from + ` m
		where ` + strings.Join(where, "\n\t\tand ") + `
		order by score desc, m.sent_at desc nulls last, m.id desc
		limit ` + b.param(limit)
	}
	// The candidates, looked up by id (OFFSET 0: the match conditions,
	// evaluated again on them, are not used to search the indexes).
	byID := func(b *sqlBuilder, ids []int64) string {
		return `(select * from messages m where m.org_id = $1 and m.id = any(` + b.param(ids) + `) offset 0)`
	}
	if scope.narrow {
		where = append(where, b.inScope(scope, f, "m"))
	}
	if scope.narrow || len((&sqlBuilder{}).conversationConditions(scope, f)) == 0 {
		// Everything the query matches may be seen: rank its newest
		// matches, found either from the org's newest messages backwards
		// on the primary key, each checked against the words (a common
		// word), or from the full-text index and sorted (a rare one), as
		// Postgres estimates cheaper.
		newest := `(select m.* from (select m.id from messages m
				where ` + strings.Join(where, "\n\t\t\t\tand ") + `
				order by m.id desc
				limit ` + b.param(candidates) + `) k
			join messages m on m.org_id = $1 and m.id = k.id offset 0)`
		return scanHits(ctx, q, rank(b, []string{"true"}, score, newest), b.args, false)
	}

	// Some conversations are hidden from the viewer, and Postgres cannot
	// estimate how many: the newest matches are collected here, newest
	// first, up to a pool sized by the share of the org the viewer sees,
	// each checked; the first `candidates` visible ones are ranked.
	//
	// A query with words first reads the org's newest t.keywordWindow
	// messages backwards, checking the words of each. The share that
	// matches tells how to find the rest of the pool: reading on backwards
	// (a common word: the pool is near), at most t.keywordDeep messages
	// more, or from the indexes (a rarer word: its older matches are fewer
	// than the messages to read back to them), whichever reads fewer rows;
	// the org's size is estimated from its newest ids. A query of exact
	// substrings only comes from the indexes. Postgres cannot choose this
	// itself: row-level security's condition makes it underestimate how
	// many messages a word matches, and it chose the index for common
	// words.
	pool := int(min(float64(candidates)*1.25/max(scope.share, 0.01), float64(20*candidates)))
	var lo1, lo2, first, last *int64
	if hasWords(kq) {
		err := q.QueryRow(ctx, `select (select id from messages where org_id = $1 order by id desc offset $2 limit 1),
				(select id from messages where org_id = $1 order by id desc offset $3 limit 1),
				(select id from messages where org_id = $1 order by id limit 1),
				(select id from messages where org_id = $1 order by id desc limit 1)`,
			orgID, t.keywordWindow-1, t.keywordWindow+t.keywordDeep-1).Scan(&lo1, &lo2, &first, &last)
		if err != nil {
			return nil, fmt.Errorf("search messages: %w", translate(err))
		}
	}
	var ids []int64
	found := 0
	// collect adds the newest n matches with ids below before (nil: any)
	// and from from on (nil: any); backward forces reading the primary key
	// backwards.
	collect := func(before, from *int64, n int, backward bool) error {
		b := &sqlBuilder{args: []any{orgID}}
		where, _, err := keywordConditions(b, kq, f)
		if err != nil {
			return err
		}
		if before != nil {
			where = append(where, "m.id < "+b.param(*before))
		}
		if from != nil {
			where = append(where, "m.id >= "+b.param(*from))
		}
		if backward {
			if err := setScans(ctx, q, false); err != nil {
				return err
			}
		}
		rows, err := q.Query(ctx, `select m.id, `+b.inScope(scope, f, "m")+`
			from messages m
			where `+strings.Join(where, "\n\t\t\tand ")+`
			order by m.id desc
			limit `+b.param(n), b.args...)
		if err != nil {
			return fmt.Errorf("search messages: %w", translate(err))
		}
		for rows.Next() {
			var id int64
			var visible bool
			if err := rows.Scan(&id, &visible); err != nil {
				rows.Close()
				return fmt.Errorf("search messages: %w", translate(err))
			}
			found++
			if visible && len(ids) < candidates {
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("search messages: %w", translate(err))
		}
		if backward {
			return setScans(ctx, q, true)
		}
		return nil
	}
	var rest *int64 // the older part still to search
	if lo1 != nil {
		if err := collect(nil, lo1, pool, true); err != nil {
			return nil, err
		}
		rest = lo1
		// Rows to read backwards for the rest of the pool, against the
		// older matches the indexes would return: the share matching times
		// the older messages (the org's density in ids, from its newest
		// window, times the ids older than the window).
		share := float64(found) / float64(t.keywordWindow)
		older := float64(t.keywordWindow) / float64(*last-*lo1+1) * float64(*lo1-*first)
		if found < pool && share > 0 && float64(pool-found)/share < share*older {
			if err := collect(lo1, lo2, pool-found, true); err != nil {
				return nil, err
			}
			rest = lo2
		}
	}
	if found < pool && (lo1 == nil || rest != nil) {
		if err := collect(rest, nil, pool-found, false); err != nil {
			return nil, err
		}
	}
	return scanHits(ctx, q, rank(b, where, score, byID(b, ids)), b.args, false)
}

// setScans allows or forbids bitmap and sequential scans for the
// transaction's next statements: forbidden, a search of the newest
// messages reads them backwards on the primary key (Postgres, which sees no
// correlation between the key and the table's order, prefers scanning the
// whole table).
func setScans(ctx context.Context, q Querier, on bool) error {
	if _, err := q.Exec(ctx, `select set_config('enable_bitmapscan', $1, true), set_config('enable_seqscan', $1, true)`, strconv.FormatBool(on)); err != nil {
		return fmt.Errorf("search messages: %w", translate(err))
	}
	return nil
}

// hasWords reports whether a keyword query has plain words (full text),
// not only exact substrings.
func hasWords(kq KeywordQuery) bool {
	for _, g := range kq.Groups {
		for _, m := range g {
			if m.Words != "" {
				return true
			}
		}
	}
	return false
}

// keywordConditions are the conditions of messages m matching kq and the
// filters' role, and the terms of their score: one ts_rank_cd of all of
// the query's words plus a bonus per exact substring. A group's word
// alternatives are one tsquery (w1 | w2 | …): one index scan, and each
// candidate's text vector decompressed once for the rank.
func keywordConditions(b *sqlBuilder, kq KeywordQuery, f SearchFilter) (where, score []string, err error) {
	where = []string{"m.org_id = $1", b.role(f)}
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
		return nil, nil, fmt.Errorf("%w: keyword query has no terms", ErrInvalid)
	}
	score = bonus
	if len(ranked) > 0 {
		score = append([]string{"ts_rank_cd(m.tsv, " + strings.Join(ranked, " || ") + ", 32)"}, bonus...)
	}
	return where, score, nil
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
	return semanticSearch(ctx, q, orgID, v, sq, f, limit, defaultTuning)
}

func semanticSearch(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, sq SemanticQuery, f SearchFilter, limit int, t searchTuning) ([]MessageHit, error) {
	typ, err := vectorType(sq.Model, sq.Dims)
	if err != nil {
		return nil, err
	}
	// pgvector 0.8 iterative scans: the index keeps walking its graph
	// until enough chunks pass the conditions (this org, what the viewer
	// may see, the filters), so recall holds for orgs that are a small part
	// of the index and for viewers who see a small part of their org.
	// relaxed_order may return them slightly out of order: they are sorted
	// again by distance below.
	// ef_search, the graph's candidate list, is pgvector's default (40);
	// the iterative scan extends it as needed. 200, and even as many as the
	// candidates, took up to twice as long for the same recall.
	candidates := max(sq.Candidates, limit)
	settings := `, set_config('hnsw.ef_search', '40', true), set_config('hnsw.iterative_scan', 'relaxed_order', true),
		set_config('hnsw.max_scan_tuples', '40000', true)`
	if sq.Exact {
		settings = ""
	}
	scope, err := openSearch(ctx, q, orgID, v, f, settings, t.narrowConversations, false)
	if err != nil {
		return nil, err
	}
	b := &sqlBuilder{args: []any{orgID}}
	vec := b.param(vectorLiteral(sq.Vector))
	distance := "(e.embedding::" + typ + ") <=> " + vec + "::" + typ
	nearest := `select e.message_id, e.conversation_id, e.start_char, e.end_char, ` + distance + ` as distance
			from message_embeddings e
			where e.org_id = $1 and e.model = ` + b.param(sq.Model)
	var where []string
	if !scope.narrow {
		if in := b.inScope(scope, f, "e"); in != "" {
			where = append(where, in)
		}
		if f.Role != "" {
			where = append(where, "exists (select from messages m where m.org_id = $1 and m.id = e.message_id and "+b.role(f)+" offset 0)")
		}
	}
	switch {
	case scope.narrow:
		// The vectors of the few conversations' messages, exactly: fewer
		// than the index would walk past to find them.
		nearest += `
			and e.message_id in (select m.id from messages m where m.org_id = $1 and m.conversation_id = any(` + b.param(scope.conversations) + `) and ` + b.role(f) + `)
			order by (` + distance + `) + 0`
	case sq.Exact && len(where) == 0:
		nearest += `
			order by (` + distance + `) + 0`
	case sq.Exact:
		// The exact scan sorts the org's chunks first, then checks them
		// nearest first until enough pass (OFFSET 0: the checks are not
		// pushed below the sort).
		nearest = `select * from (` + nearest + `
			order by (` + distance + `) + 0 offset 0) e
			where ` + strings.Join(where, "\n\t\t\tand ")
	default:
		// The index scan (iterative) yields chunks nearest first; each is
		// checked in that order until enough pass.
		for _, w := range where {
			nearest += "\n\t\t\tand " + w
		}
		nearest += `
			order by ` + distance
	}
	sql := `with nearest as materialized (` + nearest + `
			limit ` + b.param(candidates) + `),
		best as (select distinct on (message_id) * from nearest order by message_id, distance)
		select m.id, m.conversation_id, m.seq, m.role, m.sent_at, left(m.text, 20000), (1 - n.distance)::float8 as score, n.start_char, n.end_char
		from best n join messages m on m.org_id = $1 and m.id = n.message_id
		where ` + b.role(f) + `
		order by n.distance, m.id limit ` + b.param(limit)
	return scanHits(ctx, q, sql, b.args, true)
}

// CountEmbeddings counts an org's vectors of a model, up to limit (to
// choose exact or index search, only whether there are fewer than limit
// matters): counting the largest benchmark org's million vectors took
// 250 ms.
func CountEmbeddings(ctx context.Context, q Querier, orgID uuid.UUID, model string, limit int) (int, error) {
	var n int
	err := q.QueryRow(ctx, `select count(*) from (select from message_embeddings where org_id = $1 and model = $2 limit $3) e`,
		orgID, model, limit).Scan(&n)
	return n, translate(err)
}

// ConversationsByID returns conversation headers by id (visibility was
// checked by the search that found them).
//
// The org is named, not left to row-level security: the policy's OR (the
// org, or a system transaction) cannot bound an index scan, and the key
// is (org_id, id), so without it Postgres read every org's conversations
// (at 1M messages, most of a search's time).
func ConversationsByID(ctx context.Context, q Querier, orgID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]Conversation, error) {
	rows, err := q.Query(ctx, `select `+conversationColumns+` from conversations c join users u on u.id = c.user_id
		where c.org_id = $1 and c.id = any($2)`, orgID, ids)
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

// InsertSearchEvent records a search and returns its id and time. Its
// transaction commits without waiting for the WAL to reach the disk
// (synchronous_commit off): a flush took 3-15 ms of every search on the
// benchmark machine, and a crash can lose only the last fraction of a
// second of search events (with what the same transaction enqueued), never
// anything else.
func InsertSearchEvent(ctx context.Context, q Querier, e SearchEvent) (uuid.UUID, time.Time, error) {
	if len(e.Filters) == 0 {
		e.Filters = []byte("{}")
	}
	var id uuid.UUID
	var at time.Time
	err := q.QueryRow(ctx, `insert into search_events (org_id, user_id, query, mode, filters, results, latency_ms, embed_ms)
		select $1, $2, $3, $4, $5, $6, $7, $8 from (select set_config('synchronous_commit', 'off', true)) as async
		returning id, occurred_at`,
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
