package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Conversation is a stored conversation's header and statistics.
type Conversation struct {
	OrgID            uuid.UUID       `json:"-"`
	ID               uuid.UUID       `json:"id"`
	UserID           uuid.UUID       `json:"user_id"`
	UserEmail        string          `json:"user_email,omitempty"`
	Tool             string          `json:"source"`
	ToolVersion      string          `json:"tool_version,omitempty"`
	Format           string          `json:"format"`
	ExternalID       string          `json:"external_id"`
	ParentExternalID string          `json:"parent_external_id,omitempty"`
	Title            string          `json:"title"`
	Cwd              string          `json:"cwd,omitempty"`
	GitRemote        string          `json:"git_remote,omitempty"`
	Repo             string          `json:"repo,omitempty"`
	GitBranches      []string        `json:"git_branches"`
	GitCommit        string          `json:"git_commit,omitempty"`
	Models           []string        `json:"models"`
	StartedAt        *time.Time      `json:"started_at"`
	EndedAt          *time.Time      `json:"ended_at"`
	MessageCount     int             `json:"messages"`
	ToolCallCount    int             `json:"tool_calls"`
	FilesTouched     []string        `json:"files_touched"`
	Tokens           TokenUsage      `json:"tokens"`
	Visibility       *string         `json:"visibility,omitempty"`
	Redactions       map[string]int  `json:"redactions,omitempty"`
	CommitRefs       json.RawMessage `json:"commit_refs,omitempty"`
	LastCaptureID    *uuid.UUID      `json:"-"`
	// Correlation features: hashes of code lines the assistant wrote and
	// commit hashes named in the conversation (see package correlate).
	WrittenLines    []int64   `json:"-"`
	MentionedHashes []string  `json:"-"`
	ShownLines      []int64   `json:"-"`
	CommitHashes    []string  `json:"-"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// OccurredAt orders conversations: StartedAt, or CreatedAt when the
	// format records no time.
	OccurredAt time.Time `json:"occurred_at"`
}

// TokenUsage is model usage as the tool recorded it.
type TokenUsage struct {
	Input      int64 `json:"input"`
	Output     int64 `json:"output"`
	CacheRead  int64 `json:"cache_read"`
	CacheWrite int64 `json:"cache_write"`
	Reasoning  int64 `json:"reasoning"`
}

func (t TokenUsage) plus(o TokenUsage) TokenUsage {
	return TokenUsage{Input: t.Input + o.Input, Output: t.Output + o.Output, CacheRead: t.CacheRead + o.CacheRead,
		CacheWrite: t.CacheWrite + o.CacheWrite, Reasoning: t.Reasoning + o.Reasoning}
}

// Message is one stored message.
type Message struct {
	ID               int64      `json:"id"`
	Seq              int        `json:"seq"`
	ExternalID       string     `json:"external_id"`
	ParentExternalID string     `json:"parent_external_id,omitempty"`
	Role             string     `json:"role"`
	Text             string     `json:"text"`
	Thinking         string     `json:"thinking,omitempty"`
	Model            string     `json:"model,omitempty"`
	SentAt           *time.Time `json:"sent_at"`
	Sidechain        bool       `json:"sidechain,omitempty"`
	AgentID          string     `json:"agent_id,omitempty"`
	GitBranch        string     `json:"git_branch,omitempty"`
	InputTokens      int64      `json:"input_tokens,omitempty"`
	OutputTokens     int64      `json:"output_tokens,omitempty"`
	CacheReadTokens  int64      `json:"cache_read_tokens,omitempty"`
	CacheWriteTokens int64      `json:"cache_write_tokens,omitempty"`
	ReasoningTokens  int64      `json:"reasoning_tokens,omitempty"`
	SourceLine       int        `json:"source_line,omitempty"`
	ContentHash      []byte     `json:"-"`
	ToolCalls        []ToolCall `json:"tool_calls,omitempty"`
}

// ToolCall is one stored tool invocation.
type ToolCall struct {
	ID           int64    `json:"-"`
	MessageID    int64    `json:"-"`
	Seq          int      `json:"-"`
	ExternalID   string   `json:"external_id,omitempty"`
	Name         string   `json:"name"`
	Input        string   `json:"input,omitempty"`
	Output       string   `json:"output,omitempty"`
	IsError      bool     `json:"is_error,omitempty"`
	FilesRead    []string `json:"files_read,omitempty"`
	FilesWritten []string `json:"files_written,omitempty"`
	Commands     []string `json:"commands,omitempty"`
}

// UpsertConversation inserts a conversation or merges a re-capture into the
// stored one: times widen, lists union, token totals keep the larger, and
// descriptive fields keep the stored value unless it was empty. inserted
// reports a new conversation.
func UpsertConversation(ctx context.Context, q Querier, c Conversation) (id uuid.UUID, inserted bool, err error) {
	redactions, _ := json.Marshal(c.Redactions)
	refs := c.CommitRefs
	if len(refs) == 0 {
		refs = json.RawMessage("[]")
	}
	err = q.QueryRow(ctx, `insert into conversations (org_id, user_id, tool, tool_version, format, external_id, parent_external_id,
			title, cwd, git_remote, repo, git_branches, git_commit, models, started_at, ended_at, files_touched,
			input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, redactions, commit_refs, last_capture_id,
			written_lines, mentioned_hashes, shown_lines, commit_hashes)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)
		on conflict (org_id, tool, external_id) do update set
			tool_version = case when excluded.tool_version <> '' then excluded.tool_version else conversations.tool_version end,
			parent_external_id = coalesce(nullif(conversations.parent_external_id, ''), excluded.parent_external_id),
			title = coalesce(nullif(excluded.title, ''), conversations.title),
			cwd = coalesce(nullif(conversations.cwd, ''), excluded.cwd),
			git_remote = coalesce(nullif(conversations.git_remote, ''), excluded.git_remote),
			repo = coalesce(nullif(conversations.repo, ''), excluded.repo),
			git_branches = array(select distinct unnest(conversations.git_branches || excluded.git_branches)),
			git_commit = coalesce(nullif(conversations.git_commit, ''), excluded.git_commit),
			models = array(select distinct unnest(conversations.models || excluded.models)),
			started_at = least(conversations.started_at, excluded.started_at),
			ended_at = greatest(conversations.ended_at, excluded.ended_at),
			files_touched = array(select distinct unnest(conversations.files_touched || excluded.files_touched)),
			input_tokens = greatest(conversations.input_tokens, excluded.input_tokens),
			output_tokens = greatest(conversations.output_tokens, excluded.output_tokens),
			cache_read_tokens = greatest(conversations.cache_read_tokens, excluded.cache_read_tokens),
			cache_write_tokens = greatest(conversations.cache_write_tokens, excluded.cache_write_tokens),
			reasoning_tokens = greatest(conversations.reasoning_tokens, excluded.reasoning_tokens),
			redactions = excluded.redactions,
			commit_refs = case when jsonb_array_length(excluded.commit_refs) > jsonb_array_length(conversations.commit_refs)
				then excluded.commit_refs else conversations.commit_refs end,
			last_capture_id = excluded.last_capture_id,
			written_lines = array(select distinct unnest(conversations.written_lines || excluded.written_lines)),
			mentioned_hashes = array(select distinct unnest(conversations.mentioned_hashes || excluded.mentioned_hashes)),
			shown_lines = array(select distinct unnest(conversations.shown_lines || excluded.shown_lines)),
			commit_hashes = array(select distinct unnest(conversations.commit_hashes || excluded.commit_hashes)),
			updated_at = now()
		-- Only its owner's captures may change a conversation.
		where conversations.user_id = excluded.user_id
		returning id, (xmax = 0)`,
		c.OrgID, c.UserID, c.Tool, c.ToolVersion, c.Format, c.ExternalID, c.ParentExternalID,
		c.Title, c.Cwd, c.GitRemote, c.Repo, nonNil(c.GitBranches), c.GitCommit, nonNil(c.Models), c.StartedAt, c.EndedAt,
		nonNil(c.FilesTouched), c.Tokens.Input, c.Tokens.Output, c.Tokens.CacheRead, c.Tokens.CacheWrite, c.Tokens.Reasoning,
		redactions, refs, c.LastCaptureID, nonNilInt(c.WrittenLines), nonNil(c.MentionedHashes), nonNilInt(c.ShownLines), nonNil(c.CommitHashes)).Scan(&id, &inserted)
	if errors.Is(translate(err), ErrNotFound) {
		return id, false, fmt.Errorf("%w: conversation %s/%s was captured by another member", ErrConflict, c.Tool, c.ExternalID)
	}
	if err != nil {
		return id, false, fmt.Errorf("upsert conversation %s/%s: %w", c.Tool, c.ExternalID, translate(err))
	}
	return id, inserted, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// InsertMessages appends the messages a conversation does not have yet (by
// external id), updates those whose content changed, and returns what it
// wrote by external id.
func InsertMessages(ctx context.Context, q Querier, orgID, conversationID uuid.UUID, msgs []Message) (map[string]MessageWrite, error) {
	if len(msgs) == 0 {
		return map[string]MessageWrite{}, nil
	}
	n := len(msgs)
	var (
		seq                                      = make([]int32, n)
		ext, parent, role, text, thinking, model = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		agent, branch                            = make([]string, n), make([]string, n)
		sent                                     = make([]*time.Time, n)
		side                                     = make([]bool, n)
		inTok, outTok                            = make([]int64, n), make([]int64, n)
		cacheRead, cacheWrite, reasoning         = make([]int64, n), make([]int64, n), make([]int64, n)
		line                                     = make([]int32, n)
		hash                                     = make([][]byte, n)
	)
	for i, m := range msgs {
		seq[i], ext[i], parent[i], role[i], text[i], thinking[i], model[i] = int32(m.Seq), m.ExternalID, m.ParentExternalID, m.Role, m.Text, m.Thinking, m.Model
		agent[i], branch[i], sent[i], side[i], inTok[i], outTok[i], line[i] = m.AgentID, m.GitBranch, m.SentAt, m.Sidechain, m.InputTokens, m.OutputTokens, int32(m.SourceLine)
		cacheRead[i], cacheWrite[i], reasoning[i] = m.CacheReadTokens, m.CacheWriteTokens, m.ReasoningTokens
		hash[i] = m.ContentHash
	}
	rows, err := q.Query(ctx, `insert into messages as m (org_id, conversation_id, seq, external_id, parent_external_id, role, text, thinking,
			model, sent_at, sidechain, agent_id, git_branch, input_tokens, output_tokens, source_line, content_hash,
			cache_read_tokens, cache_write_tokens, reasoning_tokens)
		select $1, $2, u.* from unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
			$10::timestamptz[], $11::bool[], $12::text[], $13::text[], $14::bigint[], $15::bigint[], $16::int[], $17::bytea[],
			$18::bigint[], $19::bigint[], $20::bigint[]) as u
		on conflict (org_id, conversation_id, external_id) do update set
			text = excluded.text, thinking = excluded.thinking, model = excluded.model,
			input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, content_hash = excluded.content_hash,
			cache_read_tokens = excluded.cache_read_tokens, cache_write_tokens = excluded.cache_write_tokens,
			reasoning_tokens = excluded.reasoning_tokens
		-- A message captured mid-turn grows (streamed text, a tool result
		-- arriving later); an unchanged one is not rewritten.
		where m.content_hash is distinct from excluded.content_hash
		returning external_id, id, (xmax = 0)`,
		orgID, conversationID, seq, ext, parent, role, text, thinking, model, sent, side, agent, branch, inTok, outTok, line, hash,
		cacheRead, cacheWrite, reasoning)
	if err != nil {
		return nil, fmt.Errorf("insert messages: %w", translate(err))
	}
	out := map[string]MessageWrite{}
	for rows.Next() {
		var e string
		var w MessageWrite
		if err := rows.Scan(&e, &w.ID, &w.Inserted); err != nil {
			return nil, translate(err)
		}
		out[e] = w
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert messages: %w", translate(err))
	}
	return out, nil
}

// MessageWrite is a message InsertMessages wrote: new, or changed.
type MessageWrite struct {
	ID       int64
	Inserted bool
}

// ResetMessages drops the tool calls and vectors of changed messages, so
// that they are stored and embedded again from the new content.
func ResetMessages(ctx context.Context, q Querier, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := q.Exec(ctx, `delete from tool_calls where message_id = any($1)`, ids); err != nil {
		return fmt.Errorf("reset tool calls: %w", translate(err))
	}
	if _, err := q.Exec(ctx, `delete from message_embeddings where message_id = any($1)`, ids); err != nil {
		return fmt.Errorf("reset embeddings: %w", translate(err))
	}
	return nil
}

// InsertToolCalls stores tool calls of newly inserted messages. (COPY
// would be faster but Postgres refuses it on tables with row-level
// security, so one unnest insert it is.)
func InsertToolCalls(ctx context.Context, q Querier, orgID, conversationID uuid.UUID, calls []ToolCall) error {
	if len(calls) == 0 {
		return nil
	}
	n := len(calls)
	msg := make([]int64, n)
	seq := make([]int32, n)
	ext, name, input, output := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	isErr := make([]bool, n)
	// Postgres arrays must be rectangular, so the per-call lists travel
	// as JSON arrays and are unpacked in SQL.
	read, written, cmds := make([]string, n), make([]string, n), make([]string, n)
	for i, c := range calls {
		msg[i], seq[i], ext[i], name[i], input[i], output[i], isErr[i] = c.MessageID, int32(c.Seq), c.ExternalID, c.Name, c.Input, c.Output, c.IsError
		read[i], written[i], cmds[i] = jsonList(c.FilesRead), jsonList(c.FilesWritten), jsonList(c.Commands)
	}
	_, err := q.Exec(ctx, `insert into tool_calls (org_id, message_id, conversation_id, seq, external_id, name, input, output, is_error,
			files_read, files_written, commands)
		select $1, u.msg, $2, u.seq, u.ext, u.name, u.input, u.output, u.is_error,
			array(select jsonb_array_elements_text(u.r)), array(select jsonb_array_elements_text(u.w)), array(select jsonb_array_elements_text(u.c))
		from unnest($3::bigint[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bool[], $10::jsonb[], $11::jsonb[], $12::jsonb[])
			as u(msg, seq, ext, name, input, output, is_error, r, w, c)`,
		orgID, conversationID, msg, seq, ext, name, input, output, isErr, read, written, cmds)
	if err != nil {
		return fmt.Errorf("insert tool calls: %w", translate(err))
	}
	return nil
}

func jsonList(s []string) string {
	b, _ := json.Marshal(nonNil(s))
	return string(b)
}

// RefreshConversationCounts recomputes the stored counts from the rows.
func RefreshConversationCounts(ctx context.Context, q Querier, conversationID uuid.UUID) (messages, toolCalls int, err error) {
	err = q.QueryRow(ctx, `update conversations c set
			message_count = (select count(*) from messages m where m.org_id = c.org_id and m.conversation_id = c.id),
			tool_call_count = (select count(*) from tool_calls t where t.org_id = c.org_id and t.conversation_id = c.id)
		where c.id = $1 returning message_count, tool_call_count`, conversationID).Scan(&messages, &toolCalls)
	return messages, toolCalls, translate(err)
}

// ConversationFilter narrows ListConversations. Zero fields do not filter.
type ConversationFilter struct {
	UserID *uuid.UUID
	Tool   string
	Repo   string // normalised repo key
	Branch string
	From   *time.Time // occurred_at >= From
	To     *time.Time // occurred_at < To
	// Keyset cursor: conversations strictly after (AfterOccurred, AfterID)
	// in newest-first order.
	AfterOccurred *time.Time
	AfterID       *uuid.UUID
	Limit         int
}

// Viewer is who asks: visibility rules depend on it.
type Viewer struct {
	UserID uuid.UUID
	Role   string
}

// visibleTo is the SQL predicate of which conversations (alias c) a viewer
// may see, with the viewer's id as $1 and role as $2: admins and auditors
// everything; everyone their own, org-shared ones, and team-shared ones of
// people in a team with them; managers also what team members did not mark
// private, in the teams they lead. The org's default visibility is its
// settings' conversation_visibility (team when unset).
const visibleTo = `($2 in ('admin', 'auditor')
	or c.user_id = $1
	or coalesce(c.visibility, (select o.settings->>'conversation_visibility' from organizations o where o.id = c.org_id), 'team') = 'org'
	or (coalesce(c.visibility, (select o.settings->>'conversation_visibility' from organizations o where o.id = c.org_id), 'team') = 'team'
		and exists (select 1 from team_members a join team_members b on b.org_id = a.org_id and b.team_id = a.team_id
			where a.org_id = c.org_id and a.user_id = $1 and b.user_id = c.user_id))
	or ($2 = 'manager' and coalesce(c.visibility, (select o.settings->>'conversation_visibility' from organizations o where o.id = c.org_id), 'team') <> 'private'
		and exists (select 1 from team_members a join team_members b on b.org_id = a.org_id and b.team_id = a.team_id
			where a.org_id = c.org_id and a.user_id = $1 and a.role = 'lead' and b.user_id = c.user_id)))`

const conversationColumns = `c.org_id, c.id, c.user_id, u.email, c.tool, c.tool_version, c.format, c.external_id, c.parent_external_id,
	c.title, c.cwd, c.git_remote, c.repo, c.git_branches, c.git_commit, c.models, c.started_at, c.ended_at, c.message_count,
	c.tool_call_count, c.files_touched, c.input_tokens, c.output_tokens, c.cache_read_tokens, c.cache_write_tokens,
	c.reasoning_tokens, c.visibility, c.redactions, c.commit_refs, c.created_at, c.updated_at, c.occurred_at`

func scanConversation(row interface{ Scan(...any) error }) (Conversation, error) {
	var c Conversation
	var redactions []byte
	err := row.Scan(&c.OrgID, &c.ID, &c.UserID, &c.UserEmail, &c.Tool, &c.ToolVersion, &c.Format, &c.ExternalID, &c.ParentExternalID,
		&c.Title, &c.Cwd, &c.GitRemote, &c.Repo, &c.GitBranches, &c.GitCommit, &c.Models, &c.StartedAt, &c.EndedAt, &c.MessageCount,
		&c.ToolCallCount, &c.FilesTouched, &c.Tokens.Input, &c.Tokens.Output, &c.Tokens.CacheRead, &c.Tokens.CacheWrite,
		&c.Tokens.Reasoning, &c.Visibility, &redactions, &c.CommitRefs, &c.CreatedAt, &c.UpdatedAt, &c.OccurredAt)
	if err != nil {
		return c, translate(err)
	}
	return c, json.Unmarshal(redactions, &c.Redactions)
}

// ListConversations lists the conversations the viewer may see, newest
// first, with keyset pagination.
func ListConversations(ctx context.Context, q Querier, v Viewer, f ConversationFilter) ([]Conversation, error) {
	args := []any{v.UserID, v.Role}
	where := []string{visibleTo}
	add := func(cond string, val any) {
		args = append(args, val)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.UserID != nil {
		add("c.user_id = ?", *f.UserID)
	}
	if f.Tool != "" {
		add("c.tool = ?", f.Tool)
	}
	if f.Repo != "" {
		add("c.repo = ?", f.Repo)
	}
	if f.Branch != "" {
		add("c.git_branches @> array[?::text]", f.Branch)
	}
	if f.From != nil {
		add("c.occurred_at >= ?", *f.From)
	}
	if f.To != nil {
		add("c.occurred_at < ?", *f.To)
	}
	if f.AfterOccurred != nil && f.AfterID != nil {
		args = append(args, *f.AfterOccurred, *f.AfterID)
		where = append(where, fmt.Sprintf("(c.occurred_at, c.id) < ($%d, $%d)", len(args)-1, len(args)))
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	args = append(args, limit)
	sql := `select ` + conversationColumns + ` from conversations c join users u on u.id = c.user_id
		where ` + strings.Join(where, " and ") +
		fmt.Sprintf(` order by c.occurred_at desc, c.id desc limit $%d`, len(args))
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", translate(err))
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, fmt.Errorf("list conversations: %w", err)
		}
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// GetConversation returns a conversation the viewer may see; one they may
// not is ErrNotFound, indistinguishable from one that does not exist.
func GetConversation(ctx context.Context, q Querier, v Viewer, id uuid.UUID) (Conversation, error) {
	c, err := scanConversation(q.QueryRow(ctx, `select `+conversationColumns+` from conversations c join users u on u.id = c.user_id
		where c.id = $3 and `+visibleTo, v.UserID, v.Role, id))
	if err != nil {
		return c, fmt.Errorf("get conversation %s: %w", id, err)
	}
	return c, nil
}

// GetConversationByExternalID finds a conversation by its tool session id
// (no visibility check: for ingest).
func GetConversationByExternalID(ctx context.Context, q Querier, tool, externalID string) (Conversation, error) {
	c, err := scanConversation(q.QueryRow(ctx, `select `+conversationColumns+` from conversations c join users u on u.id = c.user_id
		where c.tool = $1 and c.external_id = $2`, tool, externalID))
	if err != nil {
		return c, fmt.Errorf("get conversation %s/%s: %w", tool, externalID, err)
	}
	return c, nil
}

// ListMessages returns a conversation's messages in order, with tool calls.
func ListMessages(ctx context.Context, q Querier, conversationID uuid.UUID) ([]Message, error) {
	rows, err := q.Query(ctx, `select id, seq, external_id, parent_external_id, role, text, thinking, model, sent_at, sidechain,
			agent_id, git_branch, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, source_line
		from messages where conversation_id = $1 order by seq, id`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", translate(err))
	}
	var out []Message
	index := map[int64]int{}
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.ID, &m.Seq, &m.ExternalID, &m.ParentExternalID, &m.Role, &m.Text, &m.Thinking, &m.Model, &m.SentAt,
			&m.Sidechain, &m.AgentID, &m.GitBranch, &m.InputTokens, &m.OutputTokens, &m.CacheReadTokens, &m.CacheWriteTokens, &m.ReasoningTokens, &m.SourceLine); err != nil {
			rows.Close()
			return nil, translate(err)
		}
		index[m.ID] = len(out)
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	rows, err = q.Query(ctx, `select message_id, external_id, name, input, output, is_error, files_read, files_written, commands
		from tool_calls where conversation_id = $1 order by message_id, seq`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("list tool calls: %w", translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		var t ToolCall
		if err := rows.Scan(&t.MessageID, &t.ExternalID, &t.Name, &t.Input, &t.Output, &t.IsError, &t.FilesRead, &t.FilesWritten, &t.Commands); err != nil {
			return nil, translate(err)
		}
		if i, ok := index[t.MessageID]; ok {
			out[i].ToolCalls = append(out[i].ToolCalls, t)
		}
	}
	return out, translate(rows.Err())
}

// ConversationTitles returns the titles of those of ids, conversations of
// orgID, that the viewer may see; the others are left out. (The org is
// named for the index, as in ConversationsByID.)
func ConversationTitles(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	rows, err := q.Query(ctx, `select c.id, c.title from conversations c where c.org_id = $4 and c.id = any($3) and `+visibleTo,
		v.UserID, v.Role, ids, orgID)
	if err != nil {
		return nil, fmt.Errorf("load conversation titles: %w", translate(err))
	}
	defer rows.Close()
	out := make(map[uuid.UUID]string, len(ids))
	for rows.Next() {
		var id uuid.UUID
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			return nil, fmt.Errorf("load conversation titles: %w", translate(err))
		}
		out[id] = title
	}
	return out, translate(rows.Err())
}
