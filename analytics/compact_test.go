package analytics_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/analytics"
)

// TestCompact merges the closed months of the tables read with FINAL to
// one part each, leaves the current month alone, and changes no metric.
func TestCompact(t *testing.T) {
	w := newWorld(t) // its events are in November 2026
	parts := func() uint64 {
		var n []struct {
			N uint64 `ch:"n"`
		}
		require.NoError(t, w.ch.Select(w.ctx, &n, `SELECT count() AS n FROM system.parts
			WHERE active AND database = currentDatabase() AND table = ? AND partition_id = '202611'`, analytics.TableConversationEvents))
		return n[0].N
	}
	req := w.window
	req.Metric = analytics.MetricSummary
	before, err := w.metrics.Get(w.ctx, req)
	require.NoError(t, err)

	// A second part of November, kept apart until the compaction.
	require.NoError(t, w.ch.Exec(w.ctx, "SYSTEM STOP MERGES "+analytics.TableConversationEvents))
	stopped := true
	t.Cleanup(func() {
		if stopped {
			require.NoError(t, w.ch.Exec(w.ctx, "SYSTEM START MERGES "+analytics.TableConversationEvents))
		}
	})
	c1 := [][]any{{w.org.ID, w.c1, w.alice.ID, "claude_code", []string{"claude-sonnet-4-5"}, "github.com/acme/shop", at(2, 10), at(2, 10), at(2, 11),
		uint32(10), uint32(5), uint32(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0),
		[]string{"claude-sonnet-4-5"}, []uint64{1000}, []uint64{200}, []uint64{10000}, []uint64{2000}, []uint64{0}, at(20, 1)}}
	require.NoError(t, w.ch.Insert(w.ctx, analytics.TableConversationEvents, analytics.ConversationEventColumns, c1))
	require.Greater(t, parts(), uint64(1))

	// In November, November is the current month: left alone.
	merged, err := analytics.Compact(w.ctx, w.ch, at(20, 0))
	require.NoError(t, err)
	for _, p := range merged {
		require.Less(t, p.ID, "202611")
	}
	require.Greater(t, parts(), uint64(1))

	// In December it is closed.
	require.NoError(t, w.ch.Exec(w.ctx, "SYSTEM START MERGES "+analytics.TableConversationEvents))
	stopped = false
	merged, err = analytics.Compact(w.ctx, w.ch, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(merged, func(p analytics.Partition) bool {
		return p.Table == analytics.TableConversationEvents && p.ID == "202611"
	}), "merged %v", merged)
	require.Equal(t, uint64(1), parts())

	after, err := w.metrics.Get(w.ctx, req)
	require.NoError(t, err)
	b, a := before.(*analytics.Summary), after.(*analytics.Summary)
	require.Len(t, a.Months, len(b.Months))
	for i := range b.Months {
		require.InDelta(t, b.Months[i].Cost, a.Months[i].Cost, 1e-9)
		require.InDelta(t, b.Months[i].CostPerCommit, a.Months[i].CostPerCommit, 1e-9)
		a.Months[i].Cost, a.Months[i].CostPerCommit, a.Months[i].Change = b.Months[i].Cost, b.Months[i].CostPerCommit, b.Months[i].Change
	}
	require.Equal(t, b, a)
	again, err := analytics.Compact(w.ctx, w.ch, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.False(t, slices.ContainsFunc(again, func(p analytics.Partition) bool { return p.ID == "202611" }), "nothing left to merge")
}
