package warehouse

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The Postgres side of the analytics projection (package analytics): what
// ClickHouse's event tables copy of each entity, read in one statement per
// entity so a row is one consistent state, and the per-day counts that
// `ctxintel warehouse check` compares with ClickHouse.
//
// ReadAt is statement_timestamp() of the reading statement: the version of
// the projected row. Each statement sees every transaction committed before
// it started, so of two reads the later one sees the newer state; a row's
// updated_at does not order states that way (it is the start time of the
// transaction that wrote it, and transactions commit in any order).

// ConversationEvent is a conversation's header and totals for analytics.
type ConversationEvent struct {
	OrgID     uuid.UUID
	ID        uuid.UUID
	UserID    uuid.UUID
	Tool      string
	Models    []string // sorted
	Repo      string
	CreatedAt time.Time
	// OccurredAt is when it happened: the session's start, or when it was
	// captured for formats that record no time.
	OccurredAt time.Time
	// EndedAt is the session's end, OccurredAt when unknown.
	EndedAt      time.Time
	Messages     int64
	UserMessages int64
	ToolCalls    int64
	Tokens       TokenUsage
	// Usage splits Tokens by model, sorted by model: each model's
	// messages' tokens, plus what the conversation's totals hold beyond
	// its messages (formats that count tokens per session only) added to
	// its main model. Its sums equal Tokens.
	Usage  []ModelUsage
	ReadAt time.Time
}

// ModelUsage is the tokens one model used in a conversation.
type ModelUsage struct {
	Model string
	TokenUsage
}

// The per-model sums of a conversation's messages, as parallel arrays
// ordered by model, with each model's count of assistant messages (which
// picks the main model).
const conversationEventSelect = `select c.org_id, c.id, c.user_id, c.tool,
		array(select m from unnest(c.models) m order by m), c.repo, c.created_at, c.occurred_at,
		coalesce(c.ended_at, c.occurred_at), c.message_count,
		(select count(*) from messages m where m.org_id = c.org_id and m.conversation_id = c.id and m.role = 'user'),
		c.tool_call_count, c.input_tokens, c.output_tokens, c.cache_read_tokens, c.cache_write_tokens, c.reasoning_tokens,
		coalesce(u.models, '{}'), coalesce(u.answers, '{}'), coalesce(u.input, '{}'), coalesce(u.output, '{}'),
		coalesce(u.cache_read, '{}'), coalesce(u.cache_write, '{}'), coalesce(u.reasoning, '{}'),
		statement_timestamp()
	from conversations c
	left join lateral (
		select array_agg(model order by model) as models, array_agg(answers order by model) as answers,
			array_agg(input order by model) as input, array_agg(output order by model) as output,
			array_agg(cache_read order by model) as cache_read, array_agg(cache_write order by model) as cache_write,
			array_agg(reasoning order by model) as reasoning
		from (select m.model, count(*) filter (where m.role = 'assistant') as answers,
				sum(m.input_tokens)::bigint as input, sum(m.output_tokens)::bigint as output,
				sum(m.cache_read_tokens)::bigint as cache_read, sum(m.cache_write_tokens)::bigint as cache_write,
				sum(m.reasoning_tokens)::bigint as reasoning
			from messages m where m.org_id = c.org_id and m.conversation_id = c.id group by m.model) per_model
	) u on true`

func scanConversationEvent(row pgx.Row) (ConversationEvent, error) {
	var e ConversationEvent
	var models []string
	var answers, input, output, cacheRead, cacheWrite, reasoning []int64
	err := row.Scan(&e.OrgID, &e.ID, &e.UserID, &e.Tool, &e.Models, &e.Repo, &e.CreatedAt, &e.OccurredAt, &e.EndedAt,
		&e.Messages, &e.UserMessages, &e.ToolCalls, &e.Tokens.Input, &e.Tokens.Output, &e.Tokens.CacheRead,
		&e.Tokens.CacheWrite, &e.Tokens.Reasoning,
		&models, &answers, &input, &output, &cacheRead, &cacheWrite, &reasoning, &e.ReadAt)
	if err != nil {
		return e, translate(err)
	}
	per := make([]ModelUsage, len(models))
	for i, m := range models {
		per[i] = ModelUsage{Model: m, TokenUsage: TokenUsage{Input: input[i], Output: output[i], CacheRead: cacheRead[i],
			CacheWrite: cacheWrite[i], Reasoning: reasoning[i]}}
	}
	e.Usage = splitUsage(e.Tokens, e.Models, per, answers)
	return e, nil
}

// splitUsage attributes a conversation's token totals to models: each
// model keeps its messages' sums, and the rest of the totals (tokens the
// format records per session, not per message) goes to the main model:
// the one with the most assistant messages, else the conversation's first
// model, else "" (unknown). Models without tokens are left out.
func splitUsage(total TokenUsage, models []string, per []ModelUsage, answers []int64) []ModelUsage {
	rest := total
	main, best := "", int64(-1)
	for i, u := range per {
		rest.Input -= u.Input
		rest.Output -= u.Output
		rest.CacheRead -= u.CacheRead
		rest.CacheWrite -= u.CacheWrite
		rest.Reasoning -= u.Reasoning
		if u.Model != "" && answers[i] > best {
			main, best = u.Model, answers[i]
		}
	}
	if main == "" && len(models) > 0 {
		main = models[0]
	}
	rest = TokenUsage{Input: max(rest.Input, 0), Output: max(rest.Output, 0), CacheRead: max(rest.CacheRead, 0),
		CacheWrite: max(rest.CacheWrite, 0), Reasoning: max(rest.Reasoning, 0)}
	out := make([]ModelUsage, 0, len(per)+1)
	added := false
	for _, u := range per {
		if u.Model == main {
			u.TokenUsage = u.TokenUsage.plus(rest)
			added = true
		}
		out = append(out, u)
	}
	if !added {
		out = append(out, ModelUsage{Model: main, TokenUsage: rest})
	}
	kept := out[:0]
	for _, u := range out {
		if u.TokenUsage != (TokenUsage{}) {
			kept = append(kept, u)
		}
	}
	slices.SortFunc(kept, func(a, b ModelUsage) int { return strings.Compare(a.Model, b.Model) })
	return kept
}

// GetConversationEvent reads one conversation of the current org for
// analytics; ErrNotFound when it does not exist (any more).
func GetConversationEvent(ctx context.Context, q Querier, id uuid.UUID) (ConversationEvent, error) {
	e, err := scanConversationEvent(q.QueryRow(ctx, conversationEventSelect+` where c.id = $1`, id))
	if err != nil {
		return e, fmt.Errorf("read conversation %s for analytics: %w", id, err)
	}
	return e, nil
}

// ListConversationEvents pages through the current org's conversations in
// id order, starting after the id after (uuid.Nil for the first page).
func ListConversationEvents(ctx context.Context, q Querier, after uuid.UUID, limit int) ([]ConversationEvent, error) {
	rows, err := q.Query(ctx, conversationEventSelect+` where c.id > $1 order by c.id limit $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list conversations for analytics: %w", translate(err))
	}
	defer rows.Close()
	var out []ConversationEvent
	for rows.Next() {
		e, err := scanConversationEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("list conversations for analytics: %w", err)
		}
		out = append(out, e)
	}
	return out, translate(rows.Err())
}

// MessageEvent is one message for analytics, with its conversation's user
// and tool. A re-capture can rewrite a message's text, model and tokens,
// never its role or time.
type MessageEvent struct {
	OrgID          uuid.UUID
	ConversationID uuid.UUID
	ID             int64
	UserID         uuid.UUID
	Tool           string
	Role           string
	Model          string
	// SentAt is the message's time, or when it was stored for formats
	// that record none.
	SentAt       time.Time
	Chars        int64 // characters (not bytes) of the text
	InputTokens  int64
	OutputTokens int64
	ReadAt       time.Time
}

const messageEventSelect = `select m.org_id, m.conversation_id, m.id, c.user_id, c.tool, m.role, m.model,
		coalesce(m.sent_at, m.created_at), char_length(m.text), m.input_tokens, m.output_tokens, statement_timestamp()
	from messages m join conversations c on c.org_id = m.org_id and c.id = m.conversation_id`

func collectMessageEvents(rows pgx.Rows) ([]MessageEvent, error) {
	defer rows.Close()
	var out []MessageEvent
	for rows.Next() {
		var e MessageEvent
		if err := rows.Scan(&e.OrgID, &e.ConversationID, &e.ID, &e.UserID, &e.Tool, &e.Role, &e.Model, &e.SentAt,
			&e.Chars, &e.InputTokens, &e.OutputTokens, &e.ReadAt); err != nil {
			return nil, translate(err)
		}
		out = append(out, e)
	}
	return out, translate(rows.Err())
}

// ListConversationMessageEvents lists a conversation's messages whose id
// is fromID or higher (0: all), in id order.
func ListConversationMessageEvents(ctx context.Context, q Querier, conversationID uuid.UUID, fromID int64) ([]MessageEvent, error) {
	rows, err := q.Query(ctx, messageEventSelect+` where m.conversation_id = $1 and m.id >= $2 order by m.id`, conversationID, fromID)
	if err != nil {
		return nil, fmt.Errorf("list messages of conversation %s for analytics: %w", conversationID, translate(err))
	}
	out, err := collectMessageEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("list messages of conversation %s for analytics: %w", conversationID, err)
	}
	return out, nil
}

// ListMessageEvents pages through the current org's messages in id order,
// starting after the id after (0 for the first page).
func ListMessageEvents(ctx context.Context, q Querier, after int64, limit int) ([]MessageEvent, error) {
	rows, err := q.Query(ctx, messageEventSelect+` where m.id > $1 order by m.id limit $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list messages for analytics: %w", translate(err))
	}
	out, err := collectMessageEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("list messages for analytics: %w", err)
	}
	return out, nil
}

// CommitEvent is a commit for analytics.
type CommitEvent struct {
	OrgID       uuid.UUID
	ID          uuid.UUID
	Repo        string
	SHA         string
	AuthorEmail string
	CommittedAt time.Time
	Additions   int64
	Deletions   int64
	Files       int64
	ReadAt      time.Time
}

const commitEventSelect = `select c.org_id, c.id, c.repo, c.sha, c.author_email, c.committed_at, c.additions, c.deletions,
		cardinality(c.files), statement_timestamp()
	from commits c`

func scanCommitEvent(row pgx.Row) (CommitEvent, error) {
	var e CommitEvent
	err := row.Scan(&e.OrgID, &e.ID, &e.Repo, &e.SHA, &e.AuthorEmail, &e.CommittedAt, &e.Additions, &e.Deletions, &e.Files, &e.ReadAt)
	return e, translate(err)
}

// GetCommitEvent reads one commit of the current org for analytics;
// ErrNotFound when it does not exist (any more).
func GetCommitEvent(ctx context.Context, q Querier, id uuid.UUID) (CommitEvent, error) {
	e, err := scanCommitEvent(q.QueryRow(ctx, commitEventSelect+` where c.id = $1`, id))
	if err != nil {
		return e, fmt.Errorf("read commit %s for analytics: %w", id, err)
	}
	return e, nil
}

// ListCommitEvents pages through the current org's commits in id order,
// starting after the id after (uuid.Nil for the first page).
func ListCommitEvents(ctx context.Context, q Querier, after uuid.UUID, limit int) ([]CommitEvent, error) {
	rows, err := q.Query(ctx, commitEventSelect+` where c.id > $1 order by c.id limit $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list commits for analytics: %w", translate(err))
	}
	defer rows.Close()
	var out []CommitEvent
	for rows.Next() {
		e, err := scanCommitEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("list commits for analytics: %w", err)
		}
		out = append(out, e)
	}
	return out, translate(rows.Err())
}

// StoredSearchEvent is a recorded search as analytics reads it.
type StoredSearchEvent struct {
	OrgID      uuid.UUID
	ID         uuid.UUID
	UserID     uuid.UUID
	OccurredAt time.Time
	Query      string
	Mode       string
	Results    int64
	LatencyMS  float32
}

const searchEventSelect = `select s.org_id, s.id, s.user_id, s.occurred_at, s.query, s.mode, s.results, s.latency_ms from search_events s`

func scanSearchEvent(row pgx.Row) (StoredSearchEvent, error) {
	var e StoredSearchEvent
	err := row.Scan(&e.OrgID, &e.ID, &e.UserID, &e.OccurredAt, &e.Query, &e.Mode, &e.Results, &e.LatencyMS)
	return e, translate(err)
}

// GetSearchEvent reads one recorded search of the current org. occurredAt,
// when known, lets the lookup use the table's key (org, occurred_at, id);
// without it the org's searches are scanned for the id.
func GetSearchEvent(ctx context.Context, q Querier, id uuid.UUID, occurredAt *time.Time) (StoredSearchEvent, error) {
	e, err := scanSearchEvent(q.QueryRow(ctx, searchEventSelect+` where s.id = $1 and ($2::timestamptz is null or s.occurred_at = $2)`,
		id, occurredAt))
	if err != nil {
		return e, fmt.Errorf("read search event %s for analytics: %w", id, err)
	}
	return e, nil
}

// ListSearchEvents pages through the current org's searches in (time, id)
// order, starting after the event (afterAt, afterID); a zero afterAt starts
// at the beginning.
func ListSearchEvents(ctx context.Context, q Querier, afterAt time.Time, afterID uuid.UUID, limit int) ([]StoredSearchEvent, error) {
	rows, err := q.Query(ctx, searchEventSelect+` where ($1::timestamptz is null or (s.occurred_at, s.id) > ($1, $2))
		order by s.occurred_at, s.id limit $3`, nullTime(afterAt), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list search events for analytics: %w", translate(err))
	}
	defer rows.Close()
	var out []StoredSearchEvent
	for rows.Next() {
		e, err := scanSearchEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("list search events for analytics: %w", err)
		}
		out = append(out, e)
	}
	return out, translate(rows.Err())
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// DailyCounts is one organization's counts of one UTC day, by measure name.
type DailyCounts struct {
	OrgID  uuid.UUID
	Day    time.Time
	Counts map[string]int64
}

// Analytics entity types whose daily counts DailyAnalyticsCounts returns,
// and their measures (the names ClickHouse's side must use too).
const (
	// conversations by the day they happened: conversations, messages
	// (their stored totals), user_messages, tool_calls, tokens (all five
	// kinds).
	AnalyticsConversations = "conversations"
	// messages by the day they were sent: messages, user_messages,
	// conversations (distinct, with a message that day), tokens (input and
	// output), chars.
	AnalyticsMessages = "messages"
	// commits by the day they were committed: commits, lines (additions
	// and deletions), files.
	AnalyticsCommits = "commits"
	// searches by the day they ran: searches, no_result.
	AnalyticsSearches = "searches"
	// links by the day their commit was committed: links, commits
	// (distinct linked commits), conversations (distinct linked ones).
	AnalyticsLinks = "links"
)

// dailyCountsSQL are the per-day counts of each entity type over [$1, $2).
// They group by org_id so that one query serves one org (InOrg) or all of
// them (AsSystem).
var dailyCountsSQL = map[string]string{
	AnalyticsConversations: `select c.org_id, (c.occurred_at at time zone 'UTC')::date as day,
			count(*) as conversations, sum(c.message_count)::bigint as messages,
			sum((select count(*) from messages m where m.org_id = c.org_id and m.conversation_id = c.id and m.role = 'user'))::bigint as user_messages,
			sum(c.tool_call_count)::bigint as tool_calls,
			sum(c.input_tokens + c.output_tokens + c.cache_read_tokens + c.cache_write_tokens + c.reasoning_tokens)::bigint as tokens
		from conversations c where c.occurred_at >= $1 and c.occurred_at < $2 group by 1, 2`,
	AnalyticsMessages: `select m.org_id, (coalesce(m.sent_at, m.created_at) at time zone 'UTC')::date as day,
			count(*) as messages, count(*) filter (where m.role = 'user') as user_messages,
			count(distinct m.conversation_id) as conversations, sum(m.input_tokens + m.output_tokens)::bigint as tokens,
			sum(char_length(m.text))::bigint as chars
		from messages m where coalesce(m.sent_at, m.created_at) >= $1 and coalesce(m.sent_at, m.created_at) < $2 group by 1, 2`,
	AnalyticsCommits: `select c.org_id, (c.committed_at at time zone 'UTC')::date as day,
			count(*) as commits, sum(c.additions + c.deletions)::bigint as lines, sum(cardinality(c.files))::bigint as files
		from commits c where c.committed_at >= $1 and c.committed_at < $2 group by 1, 2`,
	AnalyticsSearches: `select s.org_id, (s.occurred_at at time zone 'UTC')::date as day,
			count(*) as searches, count(*) filter (where s.results = 0) as no_result
		from search_events s where s.occurred_at >= $1 and s.occurred_at < $2 group by 1, 2`,
	AnalyticsLinks: `select l.org_id, (c.committed_at at time zone 'UTC')::date as day,
			count(*) as links, count(distinct l.commit_id) as commits, count(distinct l.conversation_id) as conversations
		from commit_links l join commits c on c.org_id = l.org_id and c.id = l.commit_id
		where c.committed_at >= $1 and c.committed_at < $2 group by 1, 2`,
}

// DailyAnalyticsCounts counts one entity type (Analytics*) per org and UTC
// day over [from, to), in the transaction's scope: one org in InOrg, all
// of them in AsSystem.
func DailyAnalyticsCounts(ctx context.Context, q Querier, entity string, from, to time.Time) ([]DailyCounts, error) {
	sql, ok := dailyCountsSQL[entity]
	if !ok {
		return nil, fmt.Errorf("%w: no daily counts of %q", ErrInvalid, entity)
	}
	rows, err := q.Query(ctx, sql, from, to)
	if err != nil {
		return nil, fmt.Errorf("count %s per day: %w", entity, translate(err))
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	var out []DailyCounts
	for rows.Next() {
		values, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("count %s per day: %w", entity, translate(err))
		}
		org, isUUID := values[0].([16]byte) // pgx decodes uuid to [16]byte in Values
		day, isTime := values[1].(time.Time)
		if !isUUID || !isTime {
			return nil, fmt.Errorf("count %s per day: unexpected key types %T, %T", entity, values[0], values[1])
		}
		d := DailyCounts{OrgID: uuid.UUID(org), Counts: make(map[string]int64, len(values)-2)}
		d.Day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
		for i := 2; i < len(values); i++ {
			n, err := countValue(values[i])
			if err != nil {
				return nil, fmt.Errorf("count %s per day: column %s: %w", entity, fields[i].Name, err)
			}
			d.Counts[fields[i].Name] = n
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count %s per day: %w", entity, translate(err))
	}
	return out, nil
}

// countValue reads a count(*) or a sum cast to bigint.
func countValue(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	}
	return 0, fmt.Errorf("unexpected count type %T", v)
}

// LinkEvent is a conversation→commit link for analytics: the link's state
// (Linked false once it no longer holds), the commit it names and the
// conversation's owner and start.
type LinkEvent struct {
	OrgID          uuid.UUID
	ConversationID uuid.UUID
	CommitID       uuid.UUID
	CommitSHA      string
	Repo           string
	CommittedAt    time.Time
	Confidence     float64
	// Signals are the kinds of evidence, in the link's order.
	Signals []string
	Linked  bool
	// UserID and StartedAt are the conversation's owner and start; zero
	// when the conversation no longer exists.
	UserID    uuid.UUID
	StartedAt time.Time
	// Additions and Deletions are the commit's lines, carried by the link
	// so that the lines of linked commits need no join with the commits.
	Additions, Deletions int64
	// Version orders the states of one link: the link's last change, or
	// the time its removal was read.
	Version time.Time
}

const linkEventSelect = `select c.org_id, $1::uuid, c.id, c.sha, c.repo, c.committed_at, coalesce(l.confidence, 0),
		coalesce(array(select e->>'signal' from jsonb_array_elements(l.evidence) e), '{}'), l.conversation_id is not null,
		coalesce(v.user_id, '00000000-0000-0000-0000-000000000000'), coalesce(v.occurred_at, 'epoch'),
		c.additions, c.deletions, coalesce(l.updated_at, statement_timestamp())
	from commits c
	left join commit_links l on l.org_id = c.org_id and l.commit_id = c.id and l.conversation_id = $1
	left join conversations v on v.org_id = c.org_id and v.id = $1`

func scanLinkEvent(row pgx.Row) (LinkEvent, error) {
	var e LinkEvent
	err := row.Scan(&e.OrgID, &e.ConversationID, &e.CommitID, &e.CommitSHA, &e.Repo, &e.CommittedAt, &e.Confidence,
		&e.Signals, &e.Linked, &e.UserID, &e.StartedAt, &e.Additions, &e.Deletions, &e.Version)
	return e, translate(err)
}

// GetLinkEvent reads the link between a conversation and a commit of the
// current org, Linked false when there is none (any more); ErrNotFound
// when the commit does not exist.
func GetLinkEvent(ctx context.Context, q Querier, conversationID, commitID uuid.UUID) (LinkEvent, error) {
	e, err := scanLinkEvent(q.QueryRow(ctx, linkEventSelect+` where c.id = $2`, conversationID, commitID))
	if err != nil {
		return e, fmt.Errorf("read link %s→%s for analytics: %w", conversationID, commitID, err)
	}
	return e, nil
}

// ListLinkEvents pages through the current org's links in (conversation,
// commit) order, starting after the link (afterConv, afterCommit).
func ListLinkEvents(ctx context.Context, q Querier, afterConv, afterCommit uuid.UUID, limit int) ([]LinkEvent, error) {
	rows, err := q.Query(ctx, storedLinkEvents("l.updated_at")+`
		where (l.conversation_id, l.commit_id) > ($1, $2)
		order by l.conversation_id, l.commit_id limit $3`, afterConv, afterCommit, limit)
	return collectLinkEvents(rows, err)
}

// storedLinkEvents selects the stored links as link events, with version
// as their version.
func storedLinkEvents(version string) string {
	return `select l.org_id, l.conversation_id, c.id, c.sha, c.repo, c.committed_at, l.confidence,
			array(select e->>'signal' from jsonb_array_elements(l.evidence) e), true, v.user_id, v.occurred_at,
			c.additions, c.deletions, ` + version + `
		from commit_links l
		join commits c on c.org_id = l.org_id and c.id = l.commit_id
		join conversations v on v.org_id = l.org_id and v.id = l.conversation_id`
}

// ListCommitLinkEvents reads the current org's links to one commit, for
// re-writing them when the commit changes (its lines travel with its
// links). Their version is the time of reading: they are the links' state
// at that moment, and newer than any state read before it.
func ListCommitLinkEvents(ctx context.Context, q Querier, commitID uuid.UUID) ([]LinkEvent, error) {
	rows, err := q.Query(ctx, storedLinkEvents("statement_timestamp()")+`
		where l.commit_id = $1
		order by l.conversation_id`, commitID)
	return collectLinkEvents(rows, err)
}

func collectLinkEvents(rows pgx.Rows, err error) ([]LinkEvent, error) {
	if err != nil {
		return nil, fmt.Errorf("list links for analytics: %w", translate(err))
	}
	defer rows.Close()
	var out []LinkEvent
	for rows.Next() {
		e, err := scanLinkEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("list links for analytics: %w", err)
		}
		out = append(out, e)
	}
	return out, translate(rows.Err())
}
