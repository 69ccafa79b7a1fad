package analytics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/warehouse"
)

type conversationEvent struct {
	OrgID            uuid.UUID `ch:"org_id"`
	ConversationID   uuid.UUID `ch:"conversation_id"`
	UserID           uuid.UUID `ch:"user_id"`
	Tool             string    `ch:"tool"`
	Models           []string  `ch:"models"`
	Repo             string    `ch:"repo"`
	CreatedAt        time.Time `ch:"created_at"`
	StartedAt        time.Time `ch:"started_at"`
	EndedAt          time.Time `ch:"ended_at"`
	Messages         uint32    `ch:"messages"`
	UserMessages     uint32    `ch:"user_messages"`
	ToolCalls        uint32    `ch:"tool_calls"`
	InputTokens      uint64    `ch:"input_tokens"`
	OutputTokens     uint64    `ch:"output_tokens"`
	CacheReadTokens  uint64    `ch:"cache_read_tokens"`
	CacheWriteTokens uint64    `ch:"cache_write_tokens"`
	ReasoningTokens  uint64    `ch:"reasoning_tokens"`
	UsageModels      []string  `ch:"usage_models"`
	UsageInput       []uint64  `ch:"usage_input_tokens"`
	UsageOutput      []uint64  `ch:"usage_output_tokens"`
	UsageCacheRead   []uint64  `ch:"usage_cache_read_tokens"`
	UsageCacheWrite  []uint64  `ch:"usage_cache_write_tokens"`
	UsageReasoning   []uint64  `ch:"usage_reasoning_tokens"`
	Version          time.Time `ch:"version"`
}

type messageEvent struct {
	ConversationID uuid.UUID `ch:"conversation_id"`
	MessageID      int64     `ch:"message_id"`
	UserID         uuid.UUID `ch:"user_id"`
	Tool           string    `ch:"tool"`
	Role           string    `ch:"role"`
	Model          string    `ch:"model"`
	SentAt         time.Time `ch:"sent_at"`
	Chars          uint32    `ch:"chars"`
	InputTokens    uint64    `ch:"input_tokens"`
	OutputTokens   uint64    `ch:"output_tokens"`
	Version        time.Time `ch:"version"`
}

func (b *bundle) conversationEvents(t *testing.T) []conversationEvent {
	t.Helper()
	var rows []conversationEvent
	require.NoError(t, b.ch.Select(b.ctx, &rows, `SELECT * FROM conversation_events FINAL WHERE org_id = ? ORDER BY started_at`, b.org.ID))
	return rows
}

func (b *bundle) messageEvents(t *testing.T) []messageEvent {
	t.Helper()
	var rows []messageEvent
	require.NoError(t, b.ch.Select(b.ctx, &rows, `SELECT conversation_id, message_id, user_id, tool, role, model, sent_at, chars,
		input_tokens, output_tokens, version FROM message_events FINAL WHERE org_id = ? ORDER BY message_id`, b.org.ID))
	return rows
}

func TestProjectConversationWritesItsState(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := day(0).Add(9 * time.Hour)
	session := uuid.NewString()
	id := b.capture(t, session, 3, start)

	before := time.Now().Add(-time.Second)
	require.NoError(t, b.proj.ProjectConversation(b.ctx, analytics.ProjectConversationArgs{OrgID: b.org.ID, ConversationID: id}))

	convs := b.conversationEvents(t)
	require.Len(t, convs, 1)
	c := convs[0]
	require.WithinRange(t, c.Version, before, time.Now().Add(time.Second), "version: when Postgres was read")
	require.WithinRange(t, c.CreatedAt, before.Add(-time.Minute), time.Now())
	c.Version, c.CreatedAt = time.Time{}, time.Time{}
	require.Equal(t, conversationEvent{
		OrgID: b.org.ID, ConversationID: id, UserID: b.user.ID, Tool: "claude_code", Models: []string{"claude-sonnet-4-5"},
		StartedAt: start, EndedAt: start.Add(5 * time.Minute), Messages: 6, UserMessages: 3,
		InputTokens: 300, OutputTokens: 60,
		UsageModels: []string{"claude-sonnet-4-5"}, UsageInput: []uint64{300}, UsageOutput: []uint64{60},
		UsageCacheRead: []uint64{0}, UsageCacheWrite: []uint64{0}, UsageReasoning: []uint64{0},
	}, c)

	msgs := b.messageEvents(t)
	require.Len(t, msgs, 6)
	for i, m := range msgs {
		require.WithinRange(t, m.Version, before, time.Now().Add(time.Second))
		m.Version = time.Time{}
		role, model, in, out, text := "user", "", uint64(0), uint64(0), fmt.Sprintf("Question %d about the login redirect", i/2)
		if i%2 == 1 {
			role, model, in, out, text = "assistant", "claude-sonnet-4-5", 100, 20, fmt.Sprintf("Answer %d: check the session cookie", i/2)
		}
		require.Equal(t, messageEvent{ConversationID: id, MessageID: m.MessageID, UserID: b.user.ID, Tool: "claude_code",
			Role: role, Model: model, SentAt: start.Add(time.Duration(i) * time.Minute), Chars: uint32(len(text)),
			InputTokens: in, OutputTokens: out}, m, "message %d", i)
	}
	for i, m := range msgs {
		require.Equal(t, b.messageID(t, session, i/2, i%2 == 1), m.MessageID, "message %d", i)
	}

	rep := b.check(t)
	require.True(t, rep.Consistent(), "%v", rep.Differences)
}

func TestProjectConversationTwiceAndAfterAFailureCountsOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := day(1).Add(14 * time.Hour)
	session := uuid.NewString()
	id := b.capture(t, session, 2, start)
	args := analytics.ProjectConversationArgs{OrgID: b.org.ID, ConversationID: id}

	// The same state projected twice.
	require.NoError(t, b.proj.ProjectConversation(b.ctx, args))
	require.NoError(t, b.proj.ProjectConversation(b.ctx, args))

	// The session grew; the capture's job projects its new messages, but
	// conversation_events is unreachable (a ClickHouse outage for that
	// table): the messages land, the job fails.
	b.capture(t, session, 4, start)
	grown := analytics.ProjectConversationArgs{OrgID: b.org.ID, ConversationID: id, FromMessageID: b.messageID(t, session, 2, false)}
	broken := warehouse.NewBatchWriter(b.ch, "missing_conversation_events", analytics.ConversationEventColumns, warehouse.BatchOptions{FlushInterval: time.Millisecond})
	t.Cleanup(func() { require.NoError(t, broken.Close(context.Background())) })
	failing := &analytics.Projector{DB: b.db, Writers: b.writers.Writers}
	failing.Writers.Conversations = broken
	err := failing.ProjectConversation(b.ctx, grown)
	require.ErrorContains(t, err, "missing_conversation_events")

	// ClickHouse shows the old totals: Check names exactly what is behind.
	rep := b.check(t)
	require.Equal(t, []analytics.Difference{
		{OrgID: b.org.ID, Day: day(1), Table: analytics.TableConversationEvents, Measure: "messages", Postgres: 8, ClickHouse: 4},
		{OrgID: b.org.ID, Day: day(1), Table: analytics.TableConversationEvents, Measure: "user_messages", Postgres: 4, ClickHouse: 2},
		{OrgID: b.org.ID, Day: day(1), Table: analytics.TableConversationEvents, Measure: "tokens", Postgres: 480, ClickHouse: 240},
	}, rep.Differences)

	// The retried job writes its rows again, the messages a second time.
	require.NoError(t, b.proj.ProjectConversation(b.ctx, grown))
	require.NoError(t, b.proj.ProjectConversation(b.ctx, grown))

	convs := b.conversationEvents(t)
	require.Len(t, convs, 1)
	require.EqualValues(t, 8, convs[0].Messages)
	require.EqualValues(t, 4, convs[0].UserMessages)
	require.EqualValues(t, 480, convs[0].InputTokens+convs[0].OutputTokens)
	require.EqualValues(t, start.Add(7*time.Minute), convs[0].EndedAt)
	require.Len(t, b.messageEvents(t), 8)
	require.EqualValues(t, 8, b.count(t, `SELECT groupBitmapMerge(messages) AS n FROM conversations_daily WHERE org_id = ?`))
	require.EqualValues(t, 1, b.count(t, `SELECT uniqExactMerge(conversations) AS n FROM conversations_daily WHERE org_id = ?`))

	rep = b.check(t)
	require.True(t, rep.Consistent(), "%v", rep.Differences)
	require.Contains(t, rep.Totals, analytics.Total{Table: analytics.TableMessageEvents, Measure: "messages", Postgres: 8, ClickHouse: 8})
	require.Contains(t, rep.Totals, analytics.Total{Table: analytics.TableConversationsDaily, Measure: "messages", Postgres: 8, ClickHouse: 8})
}

// The version is when Postgres was read, so a state read earlier but
// written later (a slow or retried job) loses against a newer read. (A
// version taken from updated_at would not order states this way: two
// captures of one session can commit in the opposite order of the
// transaction start times that updated_at records.)
func TestProjectConversationNewestReadWins(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := day(2).Add(8 * time.Hour)
	session := uuid.NewString()
	id := b.capture(t, session, 1, start)
	args := analytics.ProjectConversationArgs{OrgID: b.org.ID, ConversationID: id}
	require.NoError(t, b.proj.ProjectConversation(b.ctx, args))
	b.capture(t, session, 3, start)
	require.NoError(t, b.proj.ProjectConversation(b.ctx, args))
	convs := b.conversationEvents(t)
	require.Len(t, convs, 1)
	require.EqualValues(t, 6, convs[0].Messages)

	// A stale row arrives late (a retried job from before the second
	// capture): it carries the older read time, so it loses.
	stale := []any{b.org.ID, id, b.user.ID, "claude_code", []string{"claude-sonnet-4-5"}, "", convs[0].CreatedAt,
		start, start.Add(time.Minute), uint32(2), uint32(1), uint32(0), uint64(100), uint64(20), uint64(0), uint64(0), uint64(0),
		[]string{"claude-sonnet-4-5"}, []uint64{100}, []uint64{20}, []uint64{0}, []uint64{0}, []uint64{0},
		convs[0].Version.Add(-time.Millisecond)}
	require.NoError(t, b.writers.Conversations.Write(b.ctx, stale))
	convs = b.conversationEvents(t)
	require.Len(t, convs, 1)
	require.EqualValues(t, 6, convs[0].Messages)
}

func TestProjectCommit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	at := day(3).Add(10*time.Hour + 123*time.Millisecond)
	c := b.commit(t, "4cce5a7e0d4f1f0ab2d1e3c8f9a0b1c2d3e4f5a6", at, 0, "internal/auth/jwt.go")
	args := analytics.ProjectCommitArgs{OrgID: b.org.ID, CommitID: c.ID}
	require.NoError(t, b.proj.ProjectCommit(b.ctx, args))

	type commitEvent struct {
		CommitID    uuid.UUID `ch:"commit_id"`
		Repo        string    `ch:"repo"`
		SHA         string    `ch:"sha"`
		AuthorEmail string    `ch:"author_email"`
		CommittedAt time.Time `ch:"committed_at"`
		Additions   uint32    `ch:"additions"`
		Deletions   uint32    `ch:"deletions"`
		Files       uint32    `ch:"files"`
	}
	read := func() []commitEvent {
		var rows []commitEvent
		require.NoError(t, b.ch.Select(b.ctx, &rows, `SELECT commit_id, repo, sha, author_email, committed_at, additions, deletions, files
			FROM commit_events FINAL WHERE org_id = ?`, b.org.ID))
		return rows
	}
	require.Equal(t, []commitEvent{{CommitID: c.ID, Repo: "github.com/acme/shop", SHA: c.SHA, AuthorEmail: "ada@acme.example",
		CommittedAt: at, Additions: 0, Deletions: 2, Files: 1}}, read())

	// A conversation is linked to it; the link carries the commit's lines.
	conv := b.capture(t, "0b7f3a52-5e1c-4d2a-9c44-7d1e2f3a4b5c", 1, at.Add(-time.Hour))
	require.NoError(t, b.proj.ProjectConversation(b.ctx, analytics.ProjectConversationArgs{OrgID: b.org.ID, ConversationID: conv}))
	require.NoError(t, b.db.InOrg(b.ctx, b.org.ID, func(tx pgx.Tx) error {
		_, err := warehouse.ReplaceLink(b.ctx, tx, b.org.ID, warehouse.CommitLink{ConversationID: conv, CommitID: c.ID,
			Confidence: 0.9, Evidence: json.RawMessage(`[{"signal":"trailer"}]`)}, true)
		return err
	}))
	require.NoError(t, b.proj.ProjectLink(b.ctx, analytics.ProjectLinkArgs{OrgID: b.org.ID, ConversationID: conv, CommitID: c.ID}))
	linkLines := func() [][2]uint32 {
		var rows []struct {
			Additions uint32 `ch:"additions"`
			Deletions uint32 `ch:"deletions"`
		}
		require.NoError(t, b.ch.Select(b.ctx, &rows, `SELECT additions, deletions FROM link_events FINAL
			WHERE org_id = ? AND commit_id = ? AND linked = 1`, b.org.ID, c.ID))
		out := [][2]uint32{}
		for _, r := range rows {
			out = append(out, [2]uint32{r.Additions, r.Deletions})
		}
		return out
	}
	require.Equal(t, [][2]uint32{{0, 2}}, linkLines())

	// The diff arrives later and completes the commit: one row, updated,
	// and its link's lines with it.
	b.commit(t, c.SHA, at, 40, "internal/auth/jwt.go", "internal/auth/jwt_test.go")
	require.NoError(t, b.proj.ProjectCommit(b.ctx, args))
	require.NoError(t, b.proj.ProjectCommit(b.ctx, args))
	got := read()
	require.Len(t, got, 1)
	require.EqualValues(t, 40, got[0].Additions)
	require.EqualValues(t, 2, got[0].Files)
	require.Equal(t, [][2]uint32{{40, 2}}, linkLines())
	// A replayed link job writes the same state.
	require.NoError(t, b.proj.ProjectLink(b.ctx, analytics.ProjectLinkArgs{OrgID: b.org.ID, ConversationID: conv, CommitID: c.ID}))
	require.Equal(t, [][2]uint32{{40, 2}}, linkLines())
	require.EqualValues(t, 1, b.count(t, `SELECT uniqExactMerge(commits) AS n FROM commits_daily WHERE org_id = ?`))
	rep := b.check(t)
	require.True(t, rep.Consistent(), "%v", rep.Differences)
}

func TestProjectSearch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	found := b.search(t, "jwt expiry", 3)
	empty := b.search(t, "ERR_CONNECTION_RESET in useAuthToken.ts", 0)
	// The worker gets the time with the id; older jobs may lack it.
	require.NoError(t, b.proj.ProjectSearch(b.ctx, analytics.ProjectSearchArgs{OrgID: b.org.ID, EventID: found.ID, OccurredAt: found.OccurredAt}))
	require.NoError(t, b.proj.ProjectSearch(b.ctx, analytics.ProjectSearchArgs{OrgID: b.org.ID, EventID: empty.ID}))
	require.NoError(t, b.proj.ProjectSearch(b.ctx, analytics.ProjectSearchArgs{OrgID: b.org.ID, EventID: empty.ID}))

	type searchEvent struct {
		EventID    uuid.UUID `ch:"event_id"`
		UserID     uuid.UUID `ch:"user_id"`
		OccurredAt time.Time `ch:"occurred_at"`
		Mode       string    `ch:"mode"`
		Results    uint32    `ch:"results"`
		LatencyMS  float32   `ch:"latency_ms"`
		NoResult   uint8     `ch:"no_result"`
		Query      string    `ch:"query"`
	}
	var rows []searchEvent
	require.NoError(t, b.ch.Select(b.ctx, &rows, `SELECT event_id, user_id, occurred_at, mode, results, latency_ms, no_result, query
		FROM search_events FINAL WHERE org_id = ? ORDER BY results DESC`, b.org.ID))
	require.Equal(t, []searchEvent{
		{EventID: found.ID, UserID: b.user.ID, OccurredAt: found.OccurredAt.UTC().Truncate(time.Millisecond), Mode: "hybrid", Results: 3, LatencyMS: 12.5, Query: "jwt expiry"},
		{EventID: empty.ID, UserID: b.user.ID, OccurredAt: empty.OccurredAt.UTC().Truncate(time.Millisecond), Mode: "hybrid", Results: 0, LatencyMS: 12.5, NoResult: 1,
			Query: "ERR_CONNECTION_RESET in useAuthToken.ts"},
	}, rows)
	require.EqualValues(t, 1, b.count(t, `SELECT uniqExactMergeIf(searches, no_result = 1) AS n FROM searches_daily WHERE org_id = ?`))
}

func TestProjectMissingEntityCancelsTheJob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for name, project := range map[string]func() error{
		"conversation": func() error {
			return b.proj.ProjectConversation(b.ctx, analytics.ProjectConversationArgs{OrgID: b.org.ID, ConversationID: uuid.New()})
		},
		"commit": func() error {
			return b.proj.ProjectCommit(b.ctx, analytics.ProjectCommitArgs{OrgID: b.org.ID, CommitID: uuid.New()})
		},
		"search": func() error {
			return b.proj.ProjectSearch(b.ctx, analytics.ProjectSearchArgs{OrgID: b.org.ID, EventID: uuid.New()})
		},
	} {
		err := project()
		var cancel *river.JobCancelError
		require.ErrorAs(t, err, &cancel, name)
		require.ErrorIs(t, err, warehouse.ErrNotFound, name)
	}
}

func TestJobArgs(t *testing.T) {
	t.Parallel()
	type jobArgs interface {
		river.JobArgs
		river.JobArgsWithInsertOpts
	}
	for _, args := range []jobArgs{
		analytics.ProjectConversationArgs{}, analytics.ProjectCommitArgs{}, analytics.ProjectSearchArgs{},
	} {
		opts := args.InsertOpts()
		require.Equal(t, analytics.QueueProjection, opts.Queue, args.Kind())
		require.Equal(t, 25, opts.MaxAttempts, args.Kind())
	}
	require.Equal(t, "analytics.project_conversation", analytics.ProjectConversationArgs{}.Kind())
	require.Equal(t, "analytics.project_commit", analytics.ProjectCommitArgs{}.Kind())
	require.Equal(t, "analytics.project_search", analytics.ProjectSearchArgs{}.Kind())

	// Optional fields stay out of the payload when unset, and a payload
	// without them decodes.
	org, conv := uuid.New(), uuid.New()
	b, err := json.Marshal(analytics.ProjectConversationArgs{OrgID: org, ConversationID: conv})
	require.NoError(t, err)
	require.JSONEq(t, `{"org_id":"`+org.String()+`","conversation_id":"`+conv.String()+`"}`, string(b))
	b, err = json.Marshal(analytics.ProjectSearchArgs{OrgID: org, EventID: conv})
	require.NoError(t, err)
	require.JSONEq(t, `{"org_id":"`+org.String()+`","event_id":"`+conv.String()+`"}`, string(b))
	var s analytics.ProjectSearchArgs
	require.NoError(t, json.Unmarshal([]byte(`{"org_id":"`+org.String()+`","event_id":"`+conv.String()+`","occurred_at":"2026-11-02T09:00:00.123456Z"}`), &s))
	require.Equal(t, time.Date(2026, 11, 2, 9, 0, 0, 123456000, time.UTC), s.OccurredAt)
}

// A later capture can move a conversation's start earlier, to another day
// (and month). The event's key holds only created_at, which never changes,
// so the new state still replaces the old one instead of adding a second
// conversation on the new day.
func TestProjectConversationWhoseStartMoves(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := day(-1).Add(10 * time.Hour) // November 1st
	session := uuid.NewString()
	id := b.capture(t, session, 2, start)
	args := analytics.ProjectConversationArgs{OrgID: b.org.ID, ConversationID: id}
	require.NoError(t, b.proj.ProjectConversation(b.ctx, args))

	earlier := start.Add(-36 * time.Hour) // October 31st
	b.capture(t, session, 2, earlier)
	require.NoError(t, b.proj.ProjectConversation(b.ctx, args))

	convs := b.conversationEvents(t)
	require.Len(t, convs, 1)
	require.Equal(t, earlier, convs[0].StartedAt)
	require.Zero(t, b.count(t, `SELECT count() AS n FROM conversation_events FINAL WHERE org_id = ? AND started_at >= ?`, day(-1)),
		"the old state no longer counts on its old day")
	rep := b.check(t)
	require.True(t, rep.Consistent(), "%v", rep.Differences)
}

// A re-capture can rewrite a message (an answer captured mid-stream that
// grew); the capture's job copies from the lowest id it wrote, so the
// rewritten message's new state replaces the old one.
func TestProjectConversationRewrittenMessage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := day(6).Add(16 * time.Hour)
	session := uuid.NewString()
	id := b.capture(t, session, 2, start, "", "Answer 1: check")
	require.NoError(t, b.proj.ProjectConversation(b.ctx, analytics.ProjectConversationArgs{OrgID: b.org.ID, ConversationID: id}))

	grownAnswer := "Answer 1: check the session cookie's SameSite attribute"
	b.capture(t, session, 3, start, "", grownAnswer)
	rewritten := b.messageID(t, session, 1, true)
	require.NoError(t, b.proj.ProjectConversation(b.ctx, analytics.ProjectConversationArgs{OrgID: b.org.ID, ConversationID: id,
		FromMessageID: rewritten}))

	msgs := b.messageEvents(t)
	require.Len(t, msgs, 6)
	require.Equal(t, rewritten, msgs[3].MessageID)
	require.EqualValues(t, len(grownAnswer), msgs[3].Chars)
	rep := b.check(t)
	require.True(t, rep.Consistent(), "%v", rep.Differences)
}
