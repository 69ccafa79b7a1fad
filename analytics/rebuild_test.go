package analytics_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// fixtures stores two conversations, two commits, a link from the first
// conversation to the first commit, and two searches.
func (b *bundle) fixtures(t *testing.T) (convs []uuid.UUID) {
	t.Helper()
	c1 := b.capture(t, uuid.NewString(), 3, day(0).Add(9*time.Hour))
	c2 := b.capture(t, uuid.NewString(), 2, day(4).Add(23*time.Hour+59*time.Minute)) // its answers run into day 5
	k1 := b.commit(t, "aaaaaaa1111111111111111111111111111111111", day(0).Add(10*time.Hour), 12, "a.go")
	require.NoError(t, b.db.InOrg(b.ctx, b.org.ID, func(tx pgx.Tx) error {
		_, err := warehouse.ReplaceLink(b.ctx, tx, b.org.ID, warehouse.CommitLink{ConversationID: c1, CommitID: k1.ID,
			Confidence: 0.9, Evidence: []byte(`[{"signal":"trailer","detail":"Co-Authored-By: Claude","weight":3}]`)}, true)
		return err
	}))
	b.commit(t, "bbbbbbb2222222222222222222222222222222222", day(5).Add(1*time.Hour), 3, "b.go", "c.go")
	b.search(t, "session cookie "+uuid.NewString(), 2)
	b.search(t, "nothing to see "+uuid.NewString(), 0)
	return []uuid.UUID{c1, c2}
}

func TestCheckReportsAnInterruptedProjection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	convs := b.fixtures(t)
	// Only the first conversation was projected before the worker stopped.
	require.NoError(t, b.proj.ProjectConversation(b.ctx, analytics.ProjectConversationArgs{OrgID: b.org.ID, ConversationID: convs[0]}))

	rep := b.check(t)
	require.False(t, rep.Consistent())
	require.Equal(t, day(-30), rep.From)
	require.Equal(t, day(30), rep.To)
	var onDay4 []analytics.Difference
	for _, d := range rep.Differences {
		require.Equal(t, b.org.ID, d.OrgID)
		if d.Day.Equal(day(4)) && d.Table == analytics.TableConversationEvents {
			onDay4 = append(onDay4, d)
		}
		// Day 0 had the projected conversation: nothing differs there
		// except the commit and the searches, never projected.
		if d.Day.Equal(day(0)) {
			require.Contains(t, []string{analytics.TableCommitEvents, analytics.TableCommitsDaily, analytics.TableLinkEvents}, d.Table, d.String())
		}
	}
	require.Equal(t, []analytics.Difference{
		{OrgID: b.org.ID, Day: day(4), Table: analytics.TableConversationEvents, Measure: "conversations", Postgres: 1, ClickHouse: 0},
		{OrgID: b.org.ID, Day: day(4), Table: analytics.TableConversationEvents, Measure: "messages", Postgres: 4, ClickHouse: 0},
		{OrgID: b.org.ID, Day: day(4), Table: analytics.TableConversationEvents, Measure: "user_messages", Postgres: 2, ClickHouse: 0},
		{OrgID: b.org.ID, Day: day(4), Table: analytics.TableConversationEvents, Measure: "tokens", Postgres: 240, ClickHouse: 0},
	}, onDay4)
	require.Contains(t, rep.Differences, analytics.Difference{OrgID: b.org.ID, Day: day(5), Table: analytics.TableConversationsDaily,
		Measure: "messages", Postgres: 3, ClickHouse: 0}, "the messages after midnight count on day 5")
	require.Contains(t, rep.Totals, analytics.Total{Table: analytics.TableConversationEvents, Measure: "conversations", Postgres: 2, ClickHouse: 1})
	require.Contains(t, rep.Totals, analytics.Total{Table: analytics.TableMessageEvents, Measure: "messages", Postgres: 10, ClickHouse: 6})
	require.Contains(t, rep.Totals, analytics.Total{Table: analytics.TableSearchEvents, Measure: "no_result", Postgres: 1, ClickHouse: 0})
	require.Equal(t, "org "+b.org.ID.String()+", 2026-11-06: conversation_events.conversations is 0 in ClickHouse, 1 in Postgres", onDay4[0].String())

	// Rebuilding repairs it, and writes each entity once more.
	var calls []int
	n, err := analytics.Rebuild(b.ctx, b.db, b.ch, b.org.ID, func(n int) { calls = append(calls, n) })
	require.NoError(t, err)
	require.Contains(t, rep.Totals, analytics.Total{Table: analytics.TableLinkEvents, Measure: "links", Postgres: 1, ClickHouse: 0})
	require.Equal(t, 2+10+2+1+2, n)
	require.Equal(t, []int{2, 12, 14, 15, 17}, calls, "one call per batch, with the running total")
	rep = b.check(t)
	require.True(t, rep.Consistent(), "%v", rep.Differences)
}

func TestRebuildAfterAWipe(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fixtures(t)
	_, err := analytics.Rebuild(b.ctx, b.db, b.ch, b.org.ID, nil)
	require.NoError(t, err)
	want := b.check(t)
	require.True(t, want.Consistent(), "%v", want.Differences)

	// Lose everything of this org, rollups included.
	require.NoError(t, analytics.Wipe(b.ctx, b.ch, b.org.ID))
	for _, table := range []string{analytics.TableConversationEvents, analytics.TableMessageEvents, analytics.TableCommitEvents,
		analytics.TableSearchEvents, analytics.TableConversationsDaily, analytics.TableCommitsDaily, analytics.TableSearchesDaily} {
		require.Zero(t, b.count(t, `SELECT count() AS n FROM `+table+` WHERE org_id = ?`), table)
	}
	lost := b.check(t)
	require.False(t, lost.Consistent())
	for _, tot := range lost.Totals {
		require.Zero(t, tot.ClickHouse, "%+v", tot)
	}

	// Rebuild restores every count; rebuilding again changes nothing.
	for range 2 {
		_, err := analytics.Rebuild(b.ctx, b.db, b.ch, b.org.ID, nil)
		require.NoError(t, err)
		got := b.check(t)
		require.True(t, got.Consistent(), "%v", got.Differences)
		require.Equal(t, want.Totals, got.Totals)
	}
	require.EqualValues(t, 2, b.count(t, `SELECT count() AS n FROM conversation_events FINAL WHERE org_id = ?`))
	require.EqualValues(t, 10, b.count(t, `SELECT count() AS n FROM message_events FINAL WHERE org_id = ?`))
}

func TestCheckRange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rep, err := analytics.Check(b.ctx, b.db, b.ch, b.org.ID, day(0).Add(13*time.Hour), day(2).Add(time.Second))
	require.NoError(t, err)
	require.Equal(t, day(0), rep.From, "whole days")
	require.Equal(t, day(3), rep.To)
	require.True(t, rep.Consistent())
	_, err = analytics.Check(b.ctx, b.db, b.ch, b.org.ID, day(2), day(2))
	require.ErrorContains(t, err, "holds no day")
}

// TestRebuildEveryOrg rebuilds and checks all organizations of the test
// database at once. Not parallel: it runs before the parallel tests start,
// so their deliberately incomplete projections are not repaired under
// them.
func TestRebuildEveryOrg(t *testing.T) {
	a, b := setup(t), setup(t)
	a.fixtures(t)
	b.fixtures(t)
	require.NoError(t, analytics.Wipe(a.ctx, a.ch, uuid.Nil))
	n, err := analytics.Rebuild(a.ctx, a.db, a.ch, uuid.Nil, nil)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 2*16)
	rep, err := analytics.Check(a.ctx, a.db, a.ch, uuid.Nil, day(-30), day(30))
	require.NoError(t, err)
	require.True(t, rep.Consistent(), "%v", rep.Differences)
	require.Equal(t, analytics.Total{Table: analytics.TableConversationEvents, Measure: "conversations", Postgres: rep.Totals[0].Postgres,
		ClickHouse: rep.Totals[0].Postgres}, rep.Totals[0])
	require.GreaterOrEqual(t, rep.Totals[0].Postgres, int64(4), "both orgs' conversations (and earlier tests' in the database)")

	// One org lost a conversation's projection: only that org differs.
	require.NoError(t, a.ch.Exec(a.ctx, `DELETE FROM conversation_events WHERE org_id = ? AND started_at < ?`, b.org.ID, day(1)))
	rep, err = analytics.Check(a.ctx, a.db, a.ch, uuid.Nil, day(-30), day(30))
	require.NoError(t, err)
	require.NotEmpty(t, rep.Differences)
	for _, d := range rep.Differences {
		require.Equal(t, b.org.ID, d.OrgID)
		require.Equal(t, analytics.TableConversationEvents, d.Table)
	}
}
