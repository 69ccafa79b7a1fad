package analytics_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

// world is a small organization whose every metric is worked out by hand
// in the comments of TestMetricsExactValues.
type world struct {
	*bundle
	metrics                  *analytics.Metrics
	alice, bob, carol, admin warehouse.Member
	c1, c2, c3, c4           uuid.UUID
	k1, k2, k3, k4           uuid.UUID
	window                   analytics.MetricRequest
}

func at(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }

// newWorld writes the events straight into ClickHouse, as projection
// would, plus a second organization with events in the same weeks that
// must never show.
func newWorld(t *testing.T) *world {
	b := setup(t)
	w := &world{bundle: b, metrics: &analytics.Metrics{DB: b.db, CH: b.ch, Prices: analytics.DefaultPrices(),
		Now: func() time.Time { return at(20, 12) }}}
	w.alice = warehousetest.Member(t, b.db, b.org.ID, &warehousetest.MemberOpts{Email: "alice@acme.example", Role: warehouse.RoleManager})
	w.bob = warehousetest.Member(t, b.db, b.org.ID, &warehousetest.MemberOpts{Email: "bob@acme.example"})
	w.carol = warehousetest.Member(t, b.db, b.org.ID, &warehousetest.MemberOpts{Email: "carol@acme.example"})
	w.admin = warehousetest.Member(t, b.db, b.org.ID, &warehousetest.MemberOpts{Email: "boss@acme.example", Role: warehouse.RoleAdmin})
	require.NoError(t, b.db.InOrg(b.ctx, b.org.ID, func(tx pgx.Tx) error {
		team, err := warehouse.InsertTeam(b.ctx, tx, b.org.ID, "platform", "Platform")
		if err != nil {
			return err
		}
		if err := warehouse.UpsertTeamMember(b.ctx, tx, b.org.ID, team.ID, w.alice.ID, "lead"); err != nil {
			return err
		}
		return warehouse.UpsertTeamMember(b.ctx, tx, b.org.ID, team.ID, w.bob.ID, "member")
	}))
	for _, id := range []*uuid.UUID{&w.c1, &w.c2, &w.c3, &w.c4, &w.k1, &w.k2, &w.k3, &w.k4} {
		*id = uuid.New()
	}
	w.window = analytics.MetricRequest{OrgID: b.org.ID, Viewer: warehouse.Viewer{UserID: w.admin.ID, Role: warehouse.RoleAdmin},
		From: at(2, 0), To: at(16, 0)}
	w.write(t, b.org.ID)

	// Another organization, same people's ids, same weeks: never counted.
	other := warehousetest.Org(t, b.db, nil)
	require.NoError(t, b.db.InOrg(b.ctx, other.ID, func(tx pgx.Tx) error {
		_, err := warehouse.InsertTeam(b.ctx, tx, other.ID, "elsewhere", "Elsewhere")
		return err
	}))
	w2 := &world{bundle: &bundle{ctx: b.ctx, ch: b.ch}, alice: w.alice, bob: w.bob, carol: w.carol}
	for _, id := range []*uuid.UUID{&w2.c1, &w2.c2, &w2.c3, &w2.c4, &w2.k1, &w2.k2, &w2.k3, &w2.k4} {
		*id = uuid.New()
	}
	w2.write(t, other.ID)
	return w
}

func (w *world) write(t *testing.T, org uuid.UUID) {
	ctx, ch := w.ctx, w.ch
	v1, v2 := at(20, 0), at(20, 1)
	none := []string{}
	u64 := func(v ...uint64) []uint64 { return append([]uint64{}, v...) }
	conv := func(id, user uuid.UUID, tool string, started time.Time, messages uint32, models []string,
		in, out, cr, cw, r []uint64, version time.Time) []any {
		return []any{org, id, user, tool, models, "github.com/acme/shop", started, started, started.Add(time.Hour),
			messages, messages / 2, uint32(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0),
			models, in, out, cr, cw, r, version}
	}
	require.NoError(t, ch.Insert(ctx, analytics.TableConversationEvents, analytics.ConversationEventColumns, [][]any{
		// c1's older state (8 messages, fewer tokens) collapses into the newer.
		conv(w.c1, w.alice.ID, "claude_code", at(2, 10), 8, []string{"claude-sonnet-4-5"}, u64(10), u64(1), u64(0), u64(0), u64(0), v1),
		conv(w.c1, w.alice.ID, "claude_code", at(2, 10), 10, []string{"claude-sonnet-4-5"}, u64(1000), u64(200), u64(10000), u64(2000), u64(0), v2),
		conv(w.c2, w.bob.ID, "codex", at(3, 9), 6, []string{"gpt-5-codex"}, u64(2000), u64(500), u64(0), u64(0), u64(100), v1),
		conv(w.c3, w.carol.ID, "claude_code", at(10, 12), 4, []string{"claude-opus-4-5-20251101", "mystery-1"},
			u64(100, 50), u64(100, 0), u64(0, 0), u64(0, 0), u64(0, 0), v1),
		conv(w.c4, w.alice.ID, "cursor", at(11, 8), 2, none, u64(), u64(), u64(), u64(), u64(), v1),
	}))
	msg := func(id int64, conv, user uuid.UUID, tool string, sent time.Time) []any {
		return []any{org, conv, id, user, tool, "user", "", sent, uint32(10), uint64(0), uint64(0), v1}
	}
	require.NoError(t, ch.Insert(ctx, analytics.TableMessageEvents, analytics.MessageEventColumns, [][]any{
		msg(1, uuid.New(), w.alice.ID, "claude_code", time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC)),
		msg(2, w.c1, w.alice.ID, "claude_code", at(2, 10)),
		msg(3, w.c2, w.bob.ID, "codex", at(3, 9)),
		msg(4, w.c3, w.carol.ID, "claude_code", at(10, 12)),
		msg(5, w.c4, w.alice.ID, "cursor", at(11, 8)),
		msg(5, w.c4, w.alice.ID, "cursor", at(11, 8)), // a replayed projection
	}))
	commit := func(id uuid.UUID, author string, committed time.Time, add, del uint32) []any {
		return []any{org, id, "github.com/acme/shop", id.String()[:8], author, committed, add, del, uint32(1), v1}
	}
	require.NoError(t, ch.Insert(ctx, analytics.TableCommitEvents, analytics.CommitEventColumns, [][]any{
		commit(w.k1, "Alice@acme.example", at(2, 15), 40, 2),
		commit(w.k2, "bob@acme.example", at(4, 9), 10, 5),
		commit(w.k3, "carol@acme.example", at(10, 18), 7, 0),
		commit(w.k4, "outsider@elsewhere.example", at(12, 9), 1, 1),
	}))
	// A link carries its commit's lines.
	lines := map[uuid.UUID][2]uint32{w.k1: {40, 2}, w.k2: {10, 5}, w.k3: {7, 0}}
	link := func(conv, commit, user uuid.UUID, committed, started time.Time, linked uint8, version time.Time) []any {
		return []any{org, conv, commit, "abc1234", "github.com/acme/shop", committed, float32(0.9), []string{"trailer"},
			linked, user, started, lines[commit][0], lines[commit][1], version}
	}
	require.NoError(t, ch.Insert(ctx, analytics.TableLinkEvents, analytics.LinkEventColumns, [][]any{
		link(w.c1, w.k1, w.alice.ID, at(2, 15), at(2, 10), 1, v1),
		link(w.c2, w.k2, w.bob.ID, at(4, 9), at(3, 9), 1, v1),
		link(w.c3, w.k3, w.carol.ID, at(10, 18), at(10, 12), 1, v1), // removed later:
		link(w.c3, w.k3, w.carol.ID, at(10, 18), at(10, 12), 0, v2),
	}))
	search := func(user uuid.UUID, q string, results uint32, when time.Time) []any {
		noResult := uint8(0)
		if results == 0 {
			noResult = 1
		}
		return []any{org, uuid.New(), user, when, "hybrid", results, float32(12), noResult, q}
	}
	require.NoError(t, ch.Insert(ctx, analytics.TableSearchEvents, analytics.SearchEventColumns, [][]any{
		search(w.alice.ID, "kafka rebalance", 0, at(3, 10)),
		search(w.alice.ID, "Kafka rebalance ", 0, at(5, 10)),
		search(w.bob.ID, "kafka rebalance", 0, at(6, 10)),
		search(w.bob.ID, "jwt", 4, at(6, 11)),
	}))
	oldRun, run := uuid.New(), uuid.New()
	require.NoError(t, ch.Insert(ctx, analytics.TableTopicRuns, analytics.TopicRunColumns, [][]any{
		{org, oldRun, at(1, 3), at(1, 0).AddDate(0, 0, -90), at(1, 0), uint32(1), uint32(1), "use-lite"},
		{org, run, at(15, 3), at(15, 0).AddDate(0, 0, -90), at(15, 0), uint32(3), uint32(1), "use-lite"},
	}))
	require.NoError(t, ch.Insert(ctx, analytics.TableTopics, analytics.TopicColumns, [][]any{
		{org, oldRun, uint32(0), at(1, 3), "stale", []string{"stale"}},
		{org, run, uint32(0), at(15, 3), "jwt · token expiry", []string{"jwt", "token expiry"}},
	}))
	require.NoError(t, ch.Insert(ctx, analytics.TableTopicQuestions, analytics.TopicQuestionColumns, [][]any{
		{org, oldRun, uint32(0), int64(2), w.c1, w.alice.ID, at(2, 10)},
		{org, run, uint32(0), int64(2), w.c1, w.alice.ID, at(2, 10)},
		{org, run, uint32(0), int64(3), w.c2, w.bob.ID, at(3, 9)},
		{org, run, uint32(0), int64(4), w.c3, w.carol.ID, at(10, 12)},
	}))
}

func ptr[T any](v T) *T { return &v }

func TestMetricsExactValues(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	get := func(metric, groupBy string) any {
		req := w.window
		req.Metric, req.GroupBy = metric, groupBy
		got, err := w.metrics.Get(w.ctx, req)
		require.NoError(t, err)
		return got
	}

	t.Run("productivity", func(t *testing.T) {
		p := get(analytics.MetricProductivity, "").(*analytics.Productivity)
		// c1..c4 started in the window (c1 once, its newest state: 10
		// messages); c1 led to k1 after 5 h, c2 to k2 after 24 h; c3's link
		// was removed. Commits k1..k4, of which k1 and k2 are linked.
		require.Equal(t, analytics.ProductivityCounts{Conversations: 4, Messages: 22, ConversationsWithCommits: 2,
			ConversationToCommitRatio: 0.5, MedianHoursToCommit: ptr(14.5), LinkedCommits: 2, LinesAdded: 50, LinesRemoved: 7,
			Commits: 4, AIAssistedCommits: 2, AIAssistedShare: 0.5}, p.Total)
		require.Equal(t, "the organization", p.Scope.Describes)
		require.Len(t, p.Weeks, 2)
		require.Equal(t, "2026-11-02", p.Weeks[0].Week)
		require.Equal(t, analytics.ProductivityCounts{Conversations: 2, Messages: 16, ConversationsWithCommits: 2,
			ConversationToCommitRatio: 1, MedianHoursToCommit: ptr(14.5), LinkedCommits: 2, LinesAdded: 50, LinesRemoved: 7,
			Commits: 2, AIAssistedCommits: 2, AIAssistedShare: 1}, p.Weeks[0].ProductivityCounts)
		require.Equal(t, "2026-11-09", p.Weeks[1].Week)
		require.Equal(t, analytics.ProductivityCounts{Conversations: 2, Messages: 6, Commits: 2}, p.Weeks[1].ProductivityCounts)

		byUser := get(analytics.MetricProductivity, "user").(*analytics.Productivity)
		users := map[string]analytics.ProductivityCounts{}
		for _, g := range byUser.Groups {
			users[g.Key] = g.Total
		}
		require.Equal(t, map[string]analytics.ProductivityCounts{
			"alice@acme.example": {Conversations: 2, Messages: 12, ConversationsWithCommits: 1, ConversationToCommitRatio: 0.5,
				MedianHoursToCommit: ptr(5.0), LinkedCommits: 1, LinesAdded: 40, LinesRemoved: 2, Commits: 1, AIAssistedCommits: 1, AIAssistedShare: 1},
			"bob@acme.example": {Conversations: 1, Messages: 6, ConversationsWithCommits: 1, ConversationToCommitRatio: 1,
				MedianHoursToCommit: ptr(24.0), LinkedCommits: 1, LinesAdded: 10, LinesRemoved: 5, Commits: 1, AIAssistedCommits: 1, AIAssistedShare: 1},
			"carol@acme.example": {Conversations: 1, Messages: 4, Commits: 1},
			"(not a member)":     {Commits: 1},
		}, users)

		byTeam := get(analytics.MetricProductivity, "team").(*analytics.Productivity)
		// The whole scope's numbers do not depend on the split.
		for _, split := range []*analytics.Productivity{byUser, byTeam, get(analytics.MetricProductivity, "repo").(*analytics.Productivity)} {
			require.Equal(t, p.Total, split.Total, split.GroupBy)
			require.Equal(t, p.Weeks, split.Weeks, split.GroupBy)
			for _, g := range split.Groups {
				require.Nil(t, g.Weeks, "weeks only when asked for")
			}
		}

		// With group_weeks each group also has its weeks: the same totals,
		// and weeks that add up to them.
		for _, groupBy := range []string{"user", "team", "repo"} {
			req := w.window
			req.Metric, req.GroupBy, req.GroupWeeks = analytics.MetricProductivity, groupBy, true
			got, err := w.metrics.Get(w.ctx, req)
			require.NoError(t, err)
			weekly := got.(*analytics.Productivity)
			plain := get(analytics.MetricProductivity, groupBy).(*analytics.Productivity)
			require.Equal(t, p.Total, weekly.Total, groupBy)
			require.Equal(t, p.Weeks, weekly.Weeks, groupBy)
			require.Len(t, weekly.Groups, len(plain.Groups), groupBy)
			for i, g := range weekly.Groups {
				require.Equal(t, plain.Groups[i].Key, g.Key)
				require.Equal(t, plain.Groups[i].Total, g.Total, g.Key)
				var sum analytics.ProductivityCounts
				for _, wk := range g.Weeks {
					sum.Conversations += wk.Conversations
					sum.Messages += wk.Messages
					sum.LinkedCommits += wk.LinkedCommits
					sum.LinesAdded += wk.LinesAdded
					sum.Commits += wk.Commits
					sum.AIAssistedCommits += wk.AIAssistedCommits
				}
				require.Equal(t, []int64{g.Total.Conversations, g.Total.Messages, g.Total.LinkedCommits, g.Total.LinesAdded, g.Total.Commits, g.Total.AIAssistedCommits},
					[]int64{sum.Conversations, sum.Messages, sum.LinkedCommits, sum.LinesAdded, sum.Commits, sum.AIAssistedCommits}, g.Key)
				require.NotEmpty(t, g.Weeks, g.Key)
			}
		}
		alice := map[string]analytics.ProductivityCounts{}
		req := w.window
		req.Metric, req.GroupBy, req.GroupWeeks = analytics.MetricProductivity, "user", true
		got, err := w.metrics.Get(w.ctx, req)
		require.NoError(t, err)
		for _, g := range got.(*analytics.Productivity).Groups {
			if g.Key == "alice@acme.example" {
				for _, wk := range g.Weeks {
					alice[wk.Week] = wk.ProductivityCounts
				}
			}
		}
		// alice: c1 (week of Nov 2) led to k1 after 5 h; c4 (Nov 9) to none.
		require.Equal(t, map[string]analytics.ProductivityCounts{
			"2026-11-02": {Conversations: 1, Messages: 10, ConversationsWithCommits: 1, ConversationToCommitRatio: 1,
				MedianHoursToCommit: ptr(5.0), LinkedCommits: 1, LinesAdded: 40, LinesRemoved: 2, Commits: 1, AIAssistedCommits: 1, AIAssistedShare: 1},
			"2026-11-09": {Conversations: 1, Messages: 2},
		}, alice)
		require.Len(t, byTeam.Groups, 1)
		require.Equal(t, "platform", byTeam.Groups[0].Key)
		require.Equal(t, int64(3), byTeam.Groups[0].Total.Conversations) // alice's two, bob's one
		require.Equal(t, int64(2), byTeam.Groups[0].Total.Commits)
	})

	t.Run("cost", func(t *testing.T) {
		c := get(analytics.MetricCost, "").(*analytics.Cost)
		// c1 claude-sonnet-4 prices: 1000×3 + 200×15 + 10000×0.30 + 2000×3.75 = 16,500 µ$;
		// c2 gpt-5-codex: 2000×1.25 + 500×10 (reasoning is in output: 0) = 7,500 µ$;
		// c3 claude-opus-4-5: 100×5 + 100×25 = 3,000 µ$; mystery-1 is unpriced.
		require.Equal(t, "USD", c.Currency)
		require.InDelta(t, 0.027, c.Cost, 1e-9)
		require.Equal(t, int64(3), c.Conversations)
		require.Equal(t, []int64{3150, 800, 10000, 2000, 100},
			[]int64{c.InputTokens, c.OutputTokens, c.CacheReadTokens, c.CacheWriteTokens, c.ReasoningTokens})
		require.Equal(t, int64(2), c.LinkedCommits)
		require.InDelta(t, 0.0135, *c.CostPerLinkedCommit, 1e-9)
		require.Equal(t, []string{"mystery-1"}, c.Unpriced)
		require.Len(t, c.Weeks, 2)
		require.InDelta(t, 0.024, c.Weeks[0].Cost, 1e-9)
		require.InDelta(t, 0.012, *c.Weeks[0].CostPerLinkedCommit, 1e-9)
		require.InDelta(t, 0.003, c.Weeks[1].Cost, 1e-9)
		require.Nil(t, c.Weeks[1].CostPerLinkedCommit)

		byModel := get(analytics.MetricCost, "model").(*analytics.Cost)
		require.InDelta(t, 0.027, byModel.Cost, 1e-9)
		models, conversations := map[string]float64{}, map[string]int64{}
		for _, g := range byModel.Groups {
			models[g.Key], conversations[g.Key] = g.Cost, g.Conversations
		}
		// c3 used two models: it counts for each, and once in the total.
		require.Equal(t, map[string]int64{"claude-sonnet-4-5": 1, "gpt-5-codex": 1,
			"claude-opus-4-5-20251101": 1, "mystery-1": 1}, conversations)
		require.InDeltaMapValues(t, map[string]float64{"claude-sonnet-4-5": 0.0165, "gpt-5-codex": 0.0075,
			"claude-opus-4-5-20251101": 0.003, "mystery-1": 0}, models, 1e-9)
		require.Equal(t, "claude-sonnet-4-5", byModel.Groups[0].Key, "most expensive first")
		// The whole scope's numbers do not depend on the split.
		for _, split := range []*analytics.Cost{byModel, get(analytics.MetricCost, "team").(*analytics.Cost)} {
			require.Equal(t, c.Unpriced, split.Unpriced)
			require.Equal(t, c.LinkedCommits, split.LinkedCommits)
			require.Len(t, split.Weeks, len(c.Weeks))
			for i := range c.Weeks {
				require.InDelta(t, c.Weeks[i].Cost, split.Weeks[i].Cost, 1e-9)
				require.Equal(t, c.Weeks[i].InputTokens, split.Weeks[i].InputTokens)
				require.Equal(t, c.Weeks[i].Conversations, split.Weeks[i].Conversations)
			}
			got := split.CostCounts
			got.Cost = c.Cost
			require.Equal(t, c.CostCounts, got)
		}
	})

	t.Run("adoption", func(t *testing.T) {
		a := get(analytics.MetricAdoption, "").(*analytics.Adoption)
		// Active: alice, bob, carol. Alice first used claude_code on 20 Oct,
		// so only bob and carol are new; alice is new to cursor.
		require.Equal(t, int64(3), a.ActiveUsers)
		require.Equal(t, int64(2), a.NewAdopters)
		require.Equal(t, []analytics.ToolUsers{{Tool: "claude_code", ActiveUsers: 2, NewAdopters: 1},
			{Tool: "codex", ActiveUsers: 1, NewAdopters: 1}, {Tool: "cursor", ActiveUsers: 1, NewAdopters: 1}}, a.Tools)
		require.Len(t, a.Models, 4)
		require.Len(t, a.Weeks, 2)
		w1, w2 := a.Weeks[0], a.Weeks[1]
		require.Equal(t, []any{"2026-11-02", int64(2), int64(1), int64(0)}, []any{w1.Week, w1.ActiveUsers, w1.NewAdopters, w1.Retained})
		require.Nil(t, w1.RetentionRate, "nobody was active the week before")
		// Week of 9 Nov: carol and alice; of the week before's alice and bob,
		// alice came back.
		require.Equal(t, []any{"2026-11-09", int64(2), int64(1), int64(1)}, []any{w2.Week, w2.ActiveUsers, w2.NewAdopters, w2.Retained})
		require.Equal(t, 0.5, *w2.RetentionRate)
		require.Equal(t, []analytics.ToolUsers{{Tool: "claude_code", ActiveUsers: 1, NewAdopters: 1}, {Tool: "cursor", ActiveUsers: 1, NewAdopters: 1}}, w2.Tools)
	})

	t.Run("knowledge gaps", func(t *testing.T) {
		g := get(analytics.MetricKnowledgeGaps, "").(*analytics.KnowledgeGaps)
		require.NotNil(t, g.Run)
		require.Equal(t, uint32(3), g.Run.Questions)
		require.Len(t, g.Topics, 1)
		topic := g.Topics[0]
		// The latest run's topic: 3 questions by 3 people, 2 in the first
		// week, 1 in the second half of the window.
		require.Equal(t, "jwt · token expiry", topic.Label)
		require.Equal(t, []int64{3, 3}, []int64{topic.Questions, topic.People})
		require.Equal(t, -0.5, *topic.Trend)
		require.Equal(t, []analytics.WeekCount{{Week: "2026-11-02", Count: 2}, {Week: "2026-11-09", Count: 1}}, topic.Weeks)
		require.Empty(t, topic.Examples, "the events name conversations Postgres does not hold, so no example is shown")
		require.Len(t, g.FailedSearches, 1)
		require.Equal(t, "kafka rebalance", g.FailedSearches[0].Query)
		require.Equal(t, []uint64{3, 2}, []uint64{g.FailedSearches[0].Searches, g.FailedSearches[0].People})
	})

	t.Run("summary", func(t *testing.T) {
		s := get(analytics.MetricSummary, "").(*analytics.Summary)
		require.Len(t, s.Months, 1)
		nov := s.Months[0]
		require.Equal(t, "2026-11", nov.Month)
		require.True(t, nov.Partial)
		require.Equal(t, []int64{3, 4, 22, 2, 4, 16050, 4, 3}, []int64{nov.ActiveUsers, nov.Conversations, nov.Messages,
			nov.LinkedCommits, nov.Commits, nov.Tokens, nov.Searches, nov.FailedSearches})
		require.Equal(t, 0.5, nov.AIAssistedShare)
		require.InDelta(t, 0.027, nov.Cost, 1e-9)
		require.InDelta(t, 0.0135, nov.CostPerCommit, 1e-9)
		// October had alice's one message and nothing else.
		require.Equal(t, 2.0, *nov.Change["active_users"])
		require.Nil(t, nov.Change["conversations"])
	})
}

func TestMetricsScopeByRole(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	productivity := func(v warehouse.Member, team, user string) (*analytics.Productivity, error) {
		req := w.window
		req.Metric, req.Viewer, req.Team, req.User = analytics.MetricProductivity, warehouse.Viewer{UserID: v.ID, Role: v.Role}, team, user
		got, err := w.metrics.Get(w.ctx, req)
		if err != nil {
			return nil, err
		}
		return got.(*analytics.Productivity), nil
	}
	// A developer counts only their own work.
	p, err := productivity(w.bob, "", "")
	require.NoError(t, err)
	require.Equal(t, "bob@acme.example", p.Scope.Describes)
	require.Equal(t, []int64{1, 1, 1}, []int64{p.Total.Conversations, p.Total.Commits, p.Total.LinkedCommits})
	// A manager counts the teams they lead and themselves.
	p, err = productivity(w.alice, "", "")
	require.NoError(t, err)
	require.Equal(t, []int64{3, 2, 2}, []int64{p.Total.Conversations, p.Total.Commits, p.Total.LinkedCommits})
	for _, groupBy := range []string{"user", "team", "repo"} {
		for _, weeks := range []bool{false, true} {
			req := w.window
			req.Metric, req.Viewer, req.GroupBy, req.GroupWeeks = analytics.MetricProductivity, warehouse.Viewer{UserID: w.alice.ID, Role: w.alice.Role}, groupBy, weeks
			got, err := w.metrics.Get(w.ctx, req)
			require.NoError(t, err)
			require.Equal(t, p.Total, got.(*analytics.Productivity).Total, groupBy)
			require.Equal(t, p.Weeks, got.(*analytics.Productivity).Weeks, groupBy)
		}
	}
	req := w.window
	req.Metric, req.Viewer = analytics.MetricSummary, warehouse.Viewer{UserID: w.alice.ID, Role: w.alice.Role}
	got, err := w.metrics.Get(w.ctx, req)
	require.NoError(t, err)
	nov := got.(*analytics.Summary).Months[0]
	require.Equal(t, []int64{2, 3, 18, 2, 2}, []int64{nov.ActiveUsers, nov.Conversations, nov.Messages, nov.LinkedCommits, nov.Commits})
	require.Equal(t, 1.0, nov.AIAssistedShare)
	p, err = productivity(w.alice, "platform", "")
	require.NoError(t, err)
	require.Equal(t, "team platform", p.Scope.Describes)
	p, err = productivity(w.alice, "", "bob@acme.example")
	require.NoError(t, err)
	require.Equal(t, int64(1), p.Total.Conversations)

	for _, tc := range []struct {
		viewer     warehouse.Member
		team, user string
		want       error
	}{
		{w.bob, "platform", "", analytics.ErrForbidden},
		{w.bob, "", "alice@acme.example", analytics.ErrForbidden},
		{w.alice, "", "carol@acme.example", analytics.ErrForbidden},
		{w.admin, "no-such-team", "", warehouse.ErrNotFound},
		{w.admin, "", "nobody@acme.example", warehouse.ErrNotFound},
	} {
		_, err := productivity(tc.viewer, tc.team, tc.user)
		require.ErrorIs(t, err, tc.want, "%s asking team %q user %q", tc.viewer.Email, tc.team, tc.user)
	}
}

func TestMetricsBadRequests(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, tc := range []struct {
		name   string
		change func(r *analytics.MetricRequest)
		want   error
		msg    string
	}{
		{"unknown metric", func(r *analytics.MetricRequest) { r.Metric = "velocity" }, analytics.ErrUnknownMetric, "productivity, adoption"},
		{"end before start", func(r *analytics.MetricRequest) { r.From, r.To = at(10, 0), at(3, 0) }, analytics.ErrBadRequest, "must be before"},
		{"too long for the plan", func(r *analytics.MetricRequest) { r.From = r.To.AddDate(0, 0, -120) }, analytics.ErrBadRequest, "starter plan allows at most 92 days"},
		{"bad group", func(r *analytics.MetricRequest) { r.GroupBy = "planet" }, analytics.ErrBadRequest, "user, team, repo"},
		{"group on a metric without groups", func(r *analytics.MetricRequest) { r.Metric, r.GroupBy = analytics.MetricSummary, "user" }, analytics.ErrBadRequest, "takes no group_by"},
		{"group weeks without a group", func(r *analytics.MetricRequest) { r.GroupWeeks = true }, analytics.ErrBadRequest, "group_weeks applies to productivity with a group_by"},
		{"group weeks of cost", func(r *analytics.MetricRequest) {
			r.Metric, r.GroupBy, r.GroupWeeks = analytics.MetricCost, "user", true
		}, analytics.ErrBadRequest, "group_weeks applies"},
		{"team of another org", func(r *analytics.MetricRequest) { r.Team = "elsewhere" }, warehouse.ErrNotFound, `team "elsewhere" does not exist`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := w.window
			req.Metric = analytics.MetricProductivity
			tc.change(&req)
			_, err := w.metrics.Get(w.ctx, req)
			require.True(t, errors.Is(err, tc.want), "got %v", err)
			require.ErrorContains(t, err, tc.msg)
		})
	}
}

// TestLiveLinks holds the metrics to the newest version of each entity
// when its versions lie in parts no merge has joined yet: a link removed
// by a later version (written first, as a retried job may) no longer
// counts, and a conversation whose start moved out of the window leaves it.
func TestLiveLinks(t *testing.T) {
	w := newWorld(t)
	for _, table := range []string{analytics.TableLinkEvents, analytics.TableConversationEvents} {
		require.NoError(t, w.ch.Exec(w.ctx, "SYSTEM STOP MERGES "+table))
		t.Cleanup(func() { require.NoError(t, w.ch.Exec(w.ctx, "SYSTEM START MERGES "+table)) })
	}
	c5, k5 := uuid.New(), uuid.New()
	org := w.org.ID
	link := func(linked uint8, version time.Time) [][]any {
		return [][]any{{org, c5, k5, "def5678", "github.com/acme/shop", at(12, 9), float32(0.9), []string{"trailer"},
			linked, w.bob.ID, at(12, 8), uint32(3), uint32(1), version}}
	}
	conv := func(started, version time.Time) [][]any {
		return [][]any{{org, c5, w.bob.ID, "codex", []string{}, "github.com/acme/shop", at(12, 7), started, started,
			uint32(2), uint32(1), uint32(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0),
			[]string{}, []uint64{}, []uint64{}, []uint64{}, []uint64{}, []uint64{}, version}}
	}
	// Each insert is a part of its own; the newer version arrives first.
	require.NoError(t, w.ch.Insert(w.ctx, analytics.TableLinkEvents, analytics.LinkEventColumns, link(0, at(20, 5))))
	require.NoError(t, w.ch.Insert(w.ctx, analytics.TableLinkEvents, analytics.LinkEventColumns, link(1, at(20, 4))))
	require.NoError(t, w.ch.Insert(w.ctx, analytics.TableConversationEvents, analytics.ConversationEventColumns, conv(at(1, 7), at(20, 5))))
	require.NoError(t, w.ch.Insert(w.ctx, analytics.TableConversationEvents, analytics.ConversationEventColumns, conv(at(12, 8), at(20, 4))))
	var parts []struct {
		N uint64 `ch:"n"`
	}
	require.NoError(t, w.ch.Select(w.ctx, &parts, `SELECT count() AS n FROM system.parts
		WHERE active AND table IN (?, ?) AND database = currentDatabase()`, analytics.TableLinkEvents, analytics.TableConversationEvents))
	require.GreaterOrEqual(t, parts[0].N, uint64(4))

	req := w.window
	req.Metric = analytics.MetricProductivity
	got, err := w.metrics.Get(w.ctx, req)
	require.NoError(t, err)
	p := got.(*analytics.Productivity)
	// As in TestMetricsExactValues: c5 is neither in the window nor linked.
	require.Equal(t, int64(4), p.Total.Conversations)
	require.Equal(t, int64(2), p.Total.LinkedCommits)
	require.Equal(t, int64(2), p.Total.AIAssistedCommits)

	req.Metric = analytics.MetricCost
	got, err = w.metrics.Get(w.ctx, req)
	require.NoError(t, err)
	require.Equal(t, int64(2), got.(*analytics.Cost).LinkedCommits)
}

// TestProductivitySharedCommit: a commit linked to two people's
// conversations counts for each of them, and once for the organization.
func TestProductivitySharedCommit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	require.NoError(t, w.ch.Insert(w.ctx, analytics.TableLinkEvents, analytics.LinkEventColumns, [][]any{
		{w.org.ID, w.c2, w.k1, "abc1234", "github.com/acme/shop", at(2, 15), float32(0.8), []string{"files"},
			uint8(1), w.bob.ID, at(3, 9), uint32(40), uint32(2), at(20, 0)},
	}))
	req := w.window
	req.Metric = analytics.MetricProductivity
	got, err := w.metrics.Get(w.ctx, req)
	require.NoError(t, err)
	p := got.(*analytics.Productivity)
	require.Equal(t, []int64{2, 50, 7, 2}, []int64{p.Total.LinkedCommits, p.Total.LinesAdded, p.Total.LinesRemoved, p.Total.AIAssistedCommits})

	req.GroupBy = "user"
	got, err = w.metrics.Get(w.ctx, req)
	require.NoError(t, err)
	byUser := got.(*analytics.Productivity)
	require.Equal(t, p.Total, byUser.Total)
	require.Equal(t, p.Weeks, byUser.Weeks)
	linked := map[string][]int64{}
	for _, g := range byUser.Groups {
		linked[g.Key] = []int64{g.Total.LinkedCommits, g.Total.LinesAdded}
	}
	require.Equal(t, map[string][]int64{"alice@acme.example": {1, 40}, "bob@acme.example": {2, 50},
		"carol@acme.example": {0, 0}, "(not a member)": {0, 0}}, linked)
}
