package warehouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

type analyticsBundle struct {
	ctx  context.Context
	db   *warehouse.DB
	org  uuid.UUID
	user uuid.UUID
}

func setupAnalytics(t *testing.T) analyticsBundle {
	t.Helper()
	db := warehousetest.Postgres(t)
	org := warehousetest.Org(t, db, nil)
	user := warehousetest.Member(t, db, org.ID, nil)
	return analyticsBundle{ctx: context.Background(), db: db, org: org.ID, user: user.ID}
}

func (b analyticsBundle) inOrg(t *testing.T, fn func(tx pgx.Tx) error) {
	t.Helper()
	require.NoError(t, b.db.InOrg(b.ctx, b.org, fn))
}

// conversation stores a conversation of n messages, alternating user and
// assistant, a minute apart from start (nil start: a format without times).
func (b analyticsBundle) conversation(t *testing.T, external string, start *time.Time, n int) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	b.inOrg(t, func(tx pgx.Tx) error {
		c := warehouse.Conversation{OrgID: b.org, UserID: b.user, Tool: "codex", Format: "codex_jsonl", ExternalID: external,
			Repo: "github.com/acme/shop", Models: []string{"gpt-5", "gpt-5-codex"}, StartedAt: start,
			Tokens: warehouse.TokenUsage{Input: 1000, Output: 200, CacheRead: 50, CacheWrite: 5, Reasoning: 7}}
		var err error
		if id, _, err = warehouse.UpsertConversation(b.ctx, tx, c); err != nil {
			return err
		}
		msgs := make([]warehouse.Message, n)
		for i := range msgs {
			msgs[i] = warehouse.Message{Seq: i, ExternalID: external + "-" + string(rune('a'+i)), Role: "user", Text: "héllo"}
			if i%2 == 1 {
				msgs[i].Role, msgs[i].Model, msgs[i].Text, msgs[i].InputTokens, msgs[i].OutputTokens = "assistant", "gpt-5", "answer", 500, 100
			}
			if start != nil {
				at := start.Add(time.Duration(i) * time.Minute)
				msgs[i].SentAt = &at
			}
		}
		if _, err := warehouse.InsertMessages(b.ctx, tx, b.org, id, msgs); err != nil {
			return err
		}
		_, _, err = warehouse.RefreshConversationCounts(b.ctx, tx, id)
		return err
	})
	return id
}

func TestAnalyticsConversationAndMessageEvents(t *testing.T) {
	t.Parallel()
	b := setupAnalytics(t)
	start := time.Date(2026, 11, 2, 23, 59, 0, 0, time.UTC)
	timed := b.conversation(t, "timed-"+uuid.NewString(), &start, 3)
	untimed := b.conversation(t, "untimed-"+uuid.NewString(), nil, 2)

	var e, u warehouse.ConversationEvent
	var all, from []warehouse.MessageEvent
	b.inOrg(t, func(tx pgx.Tx) error {
		var err error
		if e, err = warehouse.GetConversationEvent(b.ctx, tx, timed); err != nil {
			return err
		}
		if u, err = warehouse.GetConversationEvent(b.ctx, tx, untimed); err != nil {
			return err
		}
		if all, err = warehouse.ListConversationMessageEvents(b.ctx, tx, timed, 0); err != nil {
			return err
		}
		from, err = warehouse.ListConversationMessageEvents(b.ctx, tx, timed, all[1].ID)
		return err
	})
	require.WithinDuration(t, time.Now(), e.ReadAt, time.Minute)
	require.WithinDuration(t, time.Now(), e.CreatedAt, time.Minute)
	require.Equal(t, []string{"gpt-5", "gpt-5-codex"}, e.Models)
	require.True(t, e.OccurredAt.Equal(start))
	require.True(t, e.EndedAt.Equal(start), "no end recorded: the start")
	require.Equal(t, int64(3), e.Messages)
	require.Equal(t, int64(2), e.UserMessages)
	require.Equal(t, warehouse.TokenUsage{Input: 1000, Output: 200, CacheRead: 50, CacheWrite: 5, Reasoning: 7}, e.Tokens)
	require.Equal(t, "codex", e.Tool)
	require.Equal(t, b.user, e.UserID)
	require.True(t, u.OccurredAt.Equal(u.CreatedAt), "no time recorded: when it was stored")

	require.Len(t, all, 3)
	require.Len(t, from, 2)
	require.Equal(t, []int64{all[1].ID, all[2].ID}, []int64{from[0].ID, from[1].ID})
	require.True(t, from[0].ReadAt.After(all[0].ReadAt), "each statement reads at its own, later time")
	m := all[1]
	require.Equal(t, "assistant", m.Role)
	require.Equal(t, "gpt-5", m.Model)
	require.Equal(t, int64(500), m.InputTokens)
	require.Equal(t, int64(6), m.Chars)
	require.Equal(t, int64(5), all[0].Chars, "characters, not bytes")
	require.True(t, m.SentAt.Equal(start.Add(time.Minute)))
	require.Equal(t, b.user, m.UserID)
	require.Equal(t, "codex", m.Tool)

	// Paging through the org's messages: 3 + 2, two at a time.
	var paged []warehouse.MessageEvent
	var after int64
	for {
		var page []warehouse.MessageEvent
		b.inOrg(t, func(tx pgx.Tx) (err error) {
			page, err = warehouse.ListMessageEvents(b.ctx, tx, after, 2)
			return err
		})
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].ID
	}
	require.Len(t, paged, 5)
	var convs []warehouse.ConversationEvent
	b.inOrg(t, func(tx pgx.Tx) (err error) {
		convs, err = warehouse.ListConversationEvents(b.ctx, tx, uuid.Nil, 1)
		if err != nil {
			return err
		}
		more, err := warehouse.ListConversationEvents(b.ctx, tx, convs[0].ID, 10)
		convs = append(convs, more...)
		return err
	})
	require.Len(t, convs, 2)
	require.ElementsMatch(t, []uuid.UUID{timed, untimed}, []uuid.UUID{convs[0].ID, convs[1].ID})

	// Per-day counts: the timed conversation's messages cross midnight.
	var days []warehouse.DailyCounts
	b.inOrg(t, func(tx pgx.Tx) (err error) {
		days, err = warehouse.DailyAnalyticsCounts(b.ctx, tx, warehouse.AnalyticsMessages, start.Add(-time.Hour), start.Add(time.Hour))
		return err
	})
	day2, day3 := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	require.ElementsMatch(t, []warehouse.DailyCounts{
		{OrgID: b.org, Day: day2, Counts: map[string]int64{"messages": 1, "user_messages": 1, "conversations": 1, "tokens": 0, "chars": 5}},
		{OrgID: b.org, Day: day3, Counts: map[string]int64{"messages": 2, "user_messages": 1, "conversations": 1, "tokens": 600, "chars": 11}},
	}, days)
	b.inOrg(t, func(tx pgx.Tx) (err error) {
		days, err = warehouse.DailyAnalyticsCounts(b.ctx, tx, warehouse.AnalyticsConversations, start.Add(-time.Hour), start.Add(time.Hour))
		return err
	})
	require.Equal(t, []warehouse.DailyCounts{{OrgID: b.org, Day: day2, Counts: map[string]int64{
		"conversations": 1, "messages": 3, "user_messages": 2, "tool_calls": 0, "tokens": 1262}}}, days)

	err := b.db.InOrg(b.ctx, b.org, func(tx pgx.Tx) error {
		_, err := warehouse.DailyAnalyticsCounts(b.ctx, tx, "widgets", start, start)
		return err
	})
	require.ErrorIs(t, err, warehouse.ErrInvalid)
}

func TestAnalyticsCommitAndSearchEvents(t *testing.T) {
	t.Parallel()
	b := setupAnalytics(t)
	at := time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)
	var c warehouse.Commit
	b.inOrg(t, func(tx pgx.Tx) (err error) {
		c, _, err = warehouse.UpsertCommit(b.ctx, tx, warehouse.Commit{OrgID: b.org, Repo: "github.com/acme/shop", SHA: "0123456789abcdef",
			AuthorEmail: "ada@acme.example", CommittedAt: at, Files: []string{"a.go", "b.go"}, Additions: 10, Deletions: 4, Source: "hook"})
		if err != nil {
			return err
		}
		for i, results := range []int{0, 5, 0} {
			if _, _, err := warehouse.InsertSearchEvent(b.ctx, tx, warehouse.SearchEvent{OrgID: b.org, UserID: b.user,
				Query: "q" + string(rune('0'+i)), Mode: "keyword", Results: results, LatencyMS: 3}); err != nil {
				return err
			}
		}
		return nil
	})

	var ce warehouse.CommitEvent
	var searches, paged []warehouse.StoredSearchEvent
	b.inOrg(t, func(tx pgx.Tx) (err error) {
		if ce, err = warehouse.GetCommitEvent(b.ctx, tx, c.ID); err != nil {
			return err
		}
		if searches, err = warehouse.ListSearchEvents(b.ctx, tx, time.Time{}, uuid.Nil, 10); err != nil {
			return err
		}
		// Two pages of two: the key is (occurred_at, id), and all three
		// share one occurred_at (one transaction).
		var afterAt time.Time
		var afterID uuid.UUID
		for {
			page, err := warehouse.ListSearchEvents(b.ctx, tx, afterAt, afterID, 2)
			if err != nil || len(page) == 0 {
				return err
			}
			paged = append(paged, page...)
			afterAt, afterID = page[len(page)-1].OccurredAt, page[len(page)-1].ID
		}
	})
	require.Equal(t, c.ID, ce.ID)
	require.Equal(t, "0123456789abcdef", ce.SHA)
	require.Equal(t, int64(2), ce.Files)
	require.Equal(t, int64(10), ce.Additions)
	require.True(t, ce.CommittedAt.Equal(at))
	require.Len(t, searches, 3)
	require.Equal(t, searches, paged)

	var byKey, byID warehouse.StoredSearchEvent
	b.inOrg(t, func(tx pgx.Tx) (err error) {
		if byKey, err = warehouse.GetSearchEvent(b.ctx, tx, searches[1].ID, &searches[1].OccurredAt); err != nil {
			return err
		}
		byID, err = warehouse.GetSearchEvent(b.ctx, tx, searches[1].ID, nil)
		return err
	})
	require.Equal(t, searches[1], byKey)
	require.Equal(t, searches[1], byID)

	var days []warehouse.DailyCounts
	b.inOrg(t, func(tx pgx.Tx) (err error) {
		days, err = warehouse.DailyAnalyticsCounts(b.ctx, tx, warehouse.AnalyticsCommits, at.Add(-time.Hour), at.Add(time.Hour))
		return err
	})
	require.Equal(t, []warehouse.DailyCounts{{OrgID: b.org, Day: time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC),
		Counts: map[string]int64{"commits": 1, "lines": 14, "files": 2}}}, days)
	b.inOrg(t, func(tx pgx.Tx) (err error) {
		days, err = warehouse.DailyAnalyticsCounts(b.ctx, tx, warehouse.AnalyticsSearches, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		return err
	})
	require.Len(t, days, 1)
	require.Equal(t, map[string]int64{"searches": 3, "no_result": 2}, days[0].Counts)

	// Missing entities, and other orgs' entities, are not found.
	other := setupAnalytics(t)
	err := other.db.InOrg(b.ctx, other.org, func(tx pgx.Tx) error {
		_, err := warehouse.GetCommitEvent(b.ctx, tx, c.ID)
		return err
	})
	require.ErrorIs(t, err, warehouse.ErrNotFound)
	err = b.db.InOrg(b.ctx, b.org, func(tx pgx.Tx) error {
		_, err := warehouse.GetConversationEvent(b.ctx, tx, uuid.New())
		return err
	})
	require.ErrorIs(t, err, warehouse.ErrNotFound)
	err = b.db.InOrg(b.ctx, b.org, func(tx pgx.Tx) error {
		_, err := warehouse.GetSearchEvent(b.ctx, tx, uuid.New(), nil)
		return err
	})
	require.ErrorIs(t, err, warehouse.ErrNotFound)
}
