package analytics

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Summary is the executive view: the other metrics' headline numbers per
// calendar month (UTC) of the window, each with its change against the
// month before. The window is widened to whole months, and the month
// before the first is read for the first month's change.
type Summary struct {
	Window   Window         `json:"window"`
	Scope    Scope          `json:"scope"`
	Currency string         `json:"currency"`
	Months   []SummaryMonth `json:"months"`
}

// SummaryMonth is one calendar month.
type SummaryMonth struct {
	Month string `json:"month"`
	// Partial is true for a month that has not ended yet.
	Partial bool `json:"partial"`
	SummaryCounts
	// Change is each measure's relative change against the month before
	// (0.25 = up 25%), keyed by the measure's JSON name; null when the
	// month before had none.
	Change map[string]*float64 `json:"change"`
}

// SummaryCounts are a month's headline numbers.
type SummaryCounts struct {
	ActiveUsers       int64   `json:"active_users"`
	Conversations     int64   `json:"conversations"`
	Messages          int64   `json:"messages"`
	LinkedCommits     int64   `json:"linked_commits"`
	Commits           int64   `json:"commits"`
	AIAssistedShare   float64 `json:"ai_assisted_share"`
	Tokens            int64   `json:"tokens"`
	Cost              float64 `json:"cost"`
	CostPerCommit     float64 `json:"cost_per_linked_commit"`
	Searches          int64   `json:"searches"`
	FailedSearches    int64   `json:"failed_searches"`
	aiAssistedCommits int64
}

type monthRow struct {
	Month         time.Time `ch:"month"`
	Users         uint64    `ch:"users"`
	Conversations uint64    `ch:"conversations"`
	Messages      uint64    `ch:"messages"`
	Tokens        uint64    `ch:"tokens"`
	Cost          float64   `ch:"cost"`
	Linked        uint64    `ch:"linked_commits"`
	Commits       uint64    `ch:"commits"`
	AICommits     uint64    `ch:"ai_commits"`
	Searches      uint64    `ch:"searches"`
	Failed        uint64    `ch:"failed"`
}

func (m *Metrics) summary(ctx context.Context, w Window, s Scope) (*Summary, error) {
	first := time.Date(w.From.Year(), w.From.Month(), 1, 0, 0, 0, 0, time.UTC)
	last := w.To.Add(-time.Millisecond)
	end := time.Date(last.Year(), last.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0)
	// Read from the month before the first, for its change.
	read := Window{From: first.AddDate(0, -1, 0), To: end}
	out := &Summary{Window: Window{From: first, To: end}, Scope: s, Currency: m.Prices.Currency}

	months := map[time.Time]*SummaryCounts{}
	at := func(t time.Time) *SummaryCounts {
		t = t.UTC()
		if months[t] == nil {
			months[t] = &SummaryCounts{}
		}
		return months[t]
	}
	run := func(what, q string, args []any, fill func(r monthRow, c *SummaryCounts)) error {
		var rows []monthRow
		if err := m.CH.Select(ctx, &rows, q, args...); err != nil {
			return fmt.Errorf("summary: %s: %w", what, err)
		}
		for _, r := range rows {
			fill(r, at(r.Month))
		}
		return nil
	}

	days := rollupDays(s, read).people(s, "user_id")
	err := run("active users", `SELECT toStartOfMonth(day) AS month, uniqExact(user_id) AS users
		FROM conversations_daily `+days.clause()+` GROUP BY month`, days.params(),
		func(r monthRow, c *SummaryCounts) { c.ActiveUsers = int64(r.Users) })
	if err != nil {
		return nil, err
	}

	price, priceArgs := m.Prices.costSQL("model", "input", "output", "cache_read", "cache_write", "reasoning")
	conv := where(s, "started_at", read).people(s, "user_id").repo(s)
	// Tokens summed per month and model (sumMap over the usage arrays),
	// then priced: a few models per month instead of every conversation.
	err = run("conversations", `SELECT month, conversations, messages,
			arraySum(usage.2) + arraySum(usage.3) + arraySum(usage.4) + arraySum(usage.5) + arraySum(usage.6) AS tokens,
			arraySum((model, input, output, cache_read, cache_write, reasoning) -> `+price+`,
				usage.1, usage.2, usage.3, usage.4, usage.5, usage.6) AS cost
		FROM (SELECT toStartOfMonth(started_at) AS month, count() AS conversations, sum(messages) AS messages,
				sumMap(usage_models, usage_input_tokens, usage_output_tokens, usage_cache_read_tokens,
					usage_cache_write_tokens, usage_reasoning_tokens) AS usage
			FROM conversation_events FINAL `+conv.clause()+` GROUP BY month)`,
		append(slices.Clone(priceArgs), conv.params()...),
		func(r monthRow, c *SummaryCounts) {
			c.Conversations, c.Messages, c.Tokens, c.Cost = int64(r.Conversations), int64(r.Messages), int64(r.Tokens), r.Cost
		})
	if err != nil {
		return nil, err
	}

	// Commits the scope's people authored, and those linked to any
	// conversation (AI-assisted). For the whole organization these are
	// also its linked commits; a narrower scope's linked commits are those
	// of its people's conversations, whoever committed them.
	orgWide := s.Users == nil
	authored := where(s, "committed_at", read).authors(s).repo(s)
	inRead := where(s, "committed_at", read)
	err = run("commits", `SELECT toStartOfMonth(committed_at) AS month, count() AS commits,
			countIf(`+isLinked(inRead)+`) AS ai_commits
		FROM commit_events FINAL `+authored.clause()+` GROUP BY month`,
		append(inRead.params(), authored.params()...),
		func(r monthRow, c *SummaryCounts) {
			c.Commits, c.aiAssistedCommits = int64(r.Commits), int64(r.AICommits)
			if orgWide {
				c.LinkedCommits = c.aiAssistedCommits
			}
		})
	if err != nil {
		return nil, err
	}
	if !orgWide {
		links := where(s, "committed_at", read).people(s, "user_id").repo(s)
		err = run("linked commits", `SELECT toStartOfMonth(committed_at) AS month, uniqExact(commit_id) AS linked_commits
			FROM `+liveLinks(links)+` GROUP BY month`, links.params(),
			func(r monthRow, c *SummaryCounts) { c.LinkedCommits = int64(r.Linked) })
		if err != nil {
			return nil, err
		}
	}

	searches := where(s, "occurred_at", read).people(s, "user_id")
	err = run("searches", `SELECT toStartOfMonth(occurred_at) AS month, count() AS searches, countIf(no_result = 1) AS failed
		FROM search_events FINAL `+searches.clause()+` GROUP BY month`, searches.params(),
		func(r monthRow, c *SummaryCounts) { c.Searches, c.FailedSearches = int64(r.Searches), int64(r.Failed) })
	if err != nil {
		return nil, err
	}

	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	for month := first; month.Before(end); month = month.AddDate(0, 1, 0) {
		c, before := at(month), at(month.AddDate(0, -1, 0))
		for _, x := range []*SummaryCounts{c, before} {
			x.AIAssistedShare = ratio(float64(x.aiAssistedCommits), float64(x.Commits))
			x.CostPerCommit = ratio(x.Cost, float64(x.LinkedCommits))
		}
		out.Months = append(out.Months, SummaryMonth{
			Month: month.Format("2006-01"), Partial: month.AddDate(0, 1, 0).After(now()), SummaryCounts: *c,
			Change: map[string]*float64{
				"active_users":           change(float64(c.ActiveUsers), float64(before.ActiveUsers)),
				"conversations":          change(float64(c.Conversations), float64(before.Conversations)),
				"messages":               change(float64(c.Messages), float64(before.Messages)),
				"linked_commits":         change(float64(c.LinkedCommits), float64(before.LinkedCommits)),
				"commits":                change(float64(c.Commits), float64(before.Commits)),
				"ai_assisted_share":      change(c.AIAssistedShare, before.AIAssistedShare),
				"tokens":                 change(float64(c.Tokens), float64(before.Tokens)),
				"cost":                   change(c.Cost, before.Cost),
				"cost_per_linked_commit": change(c.CostPerCommit, before.CostPerCommit),
				"searches":               change(float64(c.Searches), float64(before.Searches)),
				"failed_searches":        change(float64(c.FailedSearches), float64(before.FailedSearches)),
			},
		})
	}
	return out, nil
}
