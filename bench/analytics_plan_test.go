package bench

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/analytics"
)

// generate runs a small plan into memory: the rows of each table.
func generate(t *testing.T, cfg AnalyticsGenConfig) (*AnalyticsPlan, AnalyticsCounts, map[string][][]any) {
	t.Helper()
	p := NewAnalyticsPlan(cfg)
	tables := map[string][][]any{}
	counts, err := p.Generate(1000, func(table string, columns []string, rows [][]any) error {
		require.LessOrEqual(t, len(rows), 1000)
		for _, r := range rows {
			require.Len(t, r, len(columns), table)
		}
		tables[table] = append(tables[table], rows...)
		return nil
	})
	require.NoError(t, err)
	return p, counts, tables
}

func TestAnalyticsPlanDeterministicCounts(t *testing.T) {
	t.Parallel()
	cfg := AnalyticsGenConfig{Seed: 7, Events: 100_000, Orgs: 50}
	p, counts, tables := generate(t, cfg)
	_, again, _ := generate(t, cfg)
	require.Equal(t, counts, again, "the same seed writes the same rows")

	// The exact counts of this seed and size: a change here means the
	// generator's output changed (bump analyticsGeneratorVersion).
	require.Equal(t, AnalyticsCounts{Conversations: 2920, ConversationDups: 100, Messages: 86276, MessageDups: 1800,
		UserMessages: 16360, Commits: 5558, CommitDups: 498, Links: 1929, LinkRemovals: 63, LinkedCommits: 1732, Searches: 4507,
		SearchDups: 34, NoResultSearches: 445, TopicRuns: 161, Topics: 1226, TopicQuestions: 1113, LargestOrgEvents: 39859,
		LargestOrgMembers: 6}, counts)

	require.Len(t, tables[analytics.TableConversationEvents], counts.Conversations)
	require.Len(t, tables[analytics.TableMessageEvents], counts.Messages)
	require.Len(t, tables[analytics.TableCommitEvents], counts.Commits)
	require.Len(t, tables[analytics.TableLinkEvents], counts.Links)
	require.Len(t, tables[analytics.TableSearchEvents], counts.Searches)
	require.Len(t, tables[analytics.TableTopicQuestions], counts.TopicQuestions)
	require.GreaterOrEqual(t, counts.Total(), cfg.Events)
	require.Less(t, counts.Total(), cfg.Events*11/10)

	// Shapes: messages are most of the volume, 30–50% of the commits are
	// linked, about 10% of the searches find nothing, and the largest org
	// holds 30–40% of the events.
	require.Greater(t, float64(counts.Messages)/float64(counts.Total()), 0.8)
	linked := float64(counts.LinkedCommits) / float64(counts.Commits-counts.CommitDups)
	require.InDelta(t, 0.4, linked, 0.1)
	require.InDelta(t, 0.1, float64(counts.NoResultSearches)/float64(counts.Searches), 0.02)
	require.InDelta(t, 0.35, float64(counts.LargestOrgEvents)/float64(counts.Total()), 0.05)
	require.Positive(t, counts.ConversationDups)
	require.Positive(t, counts.MessageDups)

	// Every conversation has 5–200 messages, within the data's span.
	perConv := map[uuid.UUID]int{}
	for _, r := range tables[analytics.TableMessageEvents] {
		perConv[r[1].(uuid.UUID)]++
		at := r[7].(time.Time)
		require.False(t, at.Before(p.Start.Add(-24*time.Hour)) || !at.Before(p.Config.End), "message at %s", at)
	}
	for id, n := range perConv {
		require.GreaterOrEqual(t, n, 5, "conversation %s", id)
		require.LessOrEqual(t, n, 200+200, "conversation %s (twice at most)", id)
	}
}
