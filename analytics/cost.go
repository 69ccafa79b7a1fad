package analytics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Cost is what the assistants' tokens cost, priced per model with the
// configured PriceTable, and what that bought: cost per linked commit.
// Conversations count in the week they started.
type Cost struct {
	Window   Window `json:"window"`
	Scope    Scope  `json:"scope"`
	Currency string `json:"currency"`
	GroupBy  string `json:"group_by,omitempty"`
	CostCounts
	// CostPerLinkedCommit is Cost over the commits linked to the scope's
	// conversations in the window; nil when there are none.
	LinkedCommits       int64      `json:"linked_commits"`
	CostPerLinkedCommit *float64   `json:"cost_per_linked_commit"`
	Weeks               []CostWeek `json:"weeks"`
	// Groups split the window's totals by tool, model, user or team.
	Groups []CostGroup `json:"groups,omitempty"`
	// Unpriced lists models with tokens but no price in the table: their
	// tokens count, their cost is 0. Add them to the price table.
	Unpriced []string `json:"unpriced_models"`
}

// CostCounts are tokens by kind and their cost.
type CostCounts struct {
	Conversations    int64   `json:"conversations"`
	InputTokens      int64   `json:"input_tokens"`
	OutputTokens     int64   `json:"output_tokens"`
	CacheReadTokens  int64   `json:"cache_read_tokens"`
	CacheWriteTokens int64   `json:"cache_write_tokens"`
	ReasoningTokens  int64   `json:"reasoning_tokens"`
	Cost             float64 `json:"cost"`
}

// CostWeek is one ISO week (starting Monday, UTC).
type CostWeek struct {
	Week string `json:"week"`
	CostCounts
	LinkedCommits       int64    `json:"linked_commits"`
	CostPerLinkedCommit *float64 `json:"cost_per_linked_commit"`
}

// CostGroup is one tool, model, user or team over the window.
type CostGroup struct {
	Key string `json:"key"`
	CostCounts
}

type costRow struct {
	Key           string    `ch:"key"`
	Week          time.Time `ch:"week"`
	Level         uint64    `ch:"level"`
	Conversations uint64    `ch:"conversations"`
	ModelConvs    uint64    `ch:"model_conversations"`
	Input         uint64    `ch:"input_tokens"`
	Output        uint64    `ch:"output_tokens"`
	CacheRead     uint64    `ch:"cache_read_tokens"`
	CacheWrite    uint64    `ch:"cache_write_tokens"`
	Reasoning     uint64    `ch:"reasoning_tokens"`
	Cost          float64   `ch:"cost"`
	Linked        uint64    `ch:"linked_commits"`
	Unpriced      []string  `ch:"unpriced"`
}

func (r costRow) counts() CostCounts {
	return CostCounts{Conversations: int64(r.Conversations), InputTokens: int64(r.Input), OutputTokens: int64(r.Output),
		CacheReadTokens: int64(r.CacheRead), CacheWriteTokens: int64(r.CacheWrite), ReasoningTokens: int64(r.Reasoning), Cost: r.Cost}
}

func (m *Metrics) cost(ctx context.Context, w Window, s Scope, groupBy string) (*Cost, error) {
	out := &Cost{Window: w, Scope: s, Currency: m.Prices.Currency, GroupBy: groupBy, Weeks: []CostWeek{}, Unpriced: []string{}}
	key, keyArgs := noKey, []any(nil)
	switch groupBy {
	case "tool":
		key = "tool"
	case "model":
		key = "model"
	case "user":
		key = "toString(user_id)"
	case "team":
		key, keyArgs = s.teamsOf("toString(user_id)")
		key = "arrayJoin(" + key + ")"
	}
	price, priceArgs := m.Prices.costSQL("model", "input", "output", "cache_read", "cache_write", "reasoning")
	priced, pricedArgs := m.Prices.pricedSQL("model")
	conv := where(s, "started_at", w).people(s, "user_id").repo(s)
	// The inner query sums the tokens per key, week and model (ARRAY JOIN
	// of the usage arrays: one row per conversation and model); the outer
	// one prices those sums, a few rows per key and week instead of one per
	// conversation (cost is linear in the tokens), and collects the models
	// without a price. A conversation counts once per key at its first
	// model (per model, by key model, at each of its models).
	// A group has its totals only; the whole scope's rows come from the
	// same pass (sets (week) and ()), except for teams: a person in two
	// teams would count twice (their (week) rows are not read, but week
	// must be in some set while it is selected).
	sets := "((key, week), (key))"
	switch groupBy {
	case "":
	case "team":
		sets = "((key), (week))"
	default:
		sets = "((key), (week), ())"
	}
	q := `SELECT key, week, grouping(key, week) AS level,
			sum(first_model) AS conversations, sum(model_conversations) AS model_conversations, sum(input) AS input_tokens, sum(output) AS output_tokens,
			sum(cache_read) AS cache_read_tokens, sum(cache_write) AS cache_write_tokens, sum(reasoning) AS reasoning_tokens,
			sum(` + price + `) AS cost, arraySort(groupUniqArrayIf(model, NOT ` + priced + `)) AS unpriced
		FROM (SELECT ` + key + ` AS key, toMonday(started_at) AS week, model,
				countIf(nth = 1) AS first_model, count() AS model_conversations, sum(input_part) AS input, sum(output_part) AS output,
				sum(cache_read_part) AS cache_read, sum(cache_write_part) AS cache_write, sum(reasoning_part) AS reasoning
			FROM conversation_events FINAL
			ARRAY JOIN usage_models AS model, arrayEnumerate(usage_models) AS nth, usage_input_tokens AS input_part,
				usage_output_tokens AS output_part, usage_cache_read_tokens AS cache_read_part,
				usage_cache_write_tokens AS cache_write_part, usage_reasoning_tokens AS reasoning_part
			` + conv.clause() + `
			GROUP BY key, week, model)
		GROUP BY GROUPING SETS ` + sets
	args := append(append(append(slices.Clone(priceArgs), pricedArgs...), keyArgs...), conv.params()...)
	var rows []costRow
	if err := m.CH.Select(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("cost: tokens: %w", err)
	}
	weeks := map[string]*CostWeek{}
	for _, r := range rows {
		// grouping(key, week): 0 per key and week, 1 per key, 2 per week, 3
		// in all; without a group the key is the same for every row.
		total := (groupBy == "" && r.Level == 1) || r.Level == 3
		week := (groupBy == "" && r.Level == 0) || r.Level == 2
		switch {
		case groupBy != "" && r.Level == 1:
			name := r.Key
			if groupBy == "user" {
				if id, err := uuid.Parse(r.Key); err == nil {
					name = s.email(id)
				}
			}
			c := r.counts()
			if groupBy == "model" {
				// Each conversation of the model, not only those it began.
				c.Conversations = int64(r.ModelConvs)
			}
			out.Groups = append(out.Groups, CostGroup{Key: name, CostCounts: c})
		case total:
			out.CostCounts = r.counts()
			for _, name := range r.Unpriced {
				if name == "" {
					name = "(unknown model)"
				}
				out.Unpriced = append(out.Unpriced, name)
			}
		case week:
			weeks[r.Week.Format(time.DateOnly)] = &CostWeek{Week: r.Week.Format(time.DateOnly), CostCounts: r.counts()}
		}
	}
	slices.SortStableFunc(out.Groups, func(a, b CostGroup) int {
		if a.Cost != b.Cost {
			if a.Cost > b.Cost {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	if groupBy == "team" {
		// The window's and the weeks' totals come from the ungrouped query.
		all, err := m.cost(ctx, w, s, "")
		if err != nil {
			return nil, err
		}
		all.GroupBy, all.Groups = groupBy, out.Groups
		return all, nil
	}

	// Linked commits of the scope's conversations, by commit week.
	links := where(s, "committed_at", w).people(s, "user_id").repo(s)
	rows = nil
	err := m.CH.Select(ctx, &rows, `SELECT toMonday(committed_at) AS week, grouping(week) AS level, uniqExact(commit_id) AS linked_commits
		FROM `+liveLinks(links)+` GROUP BY GROUPING SETS ((week), ())`, links.params()...)
	if err != nil {
		return nil, fmt.Errorf("cost: linked commits: %w", err)
	}
	for _, r := range rows {
		if r.Level == 1 {
			out.LinkedCommits = int64(r.Linked)
			continue
		}
		k := r.Week.Format(time.DateOnly)
		if weeks[k] == nil {
			weeks[k] = &CostWeek{Week: k}
		}
		weeks[k].LinkedCommits = int64(r.Linked)
	}
	out.CostPerLinkedCommit = perCommit(out.Cost, out.LinkedCommits)
	for _, k := range slices.Sorted(maps.Keys(weeks)) {
		wk := weeks[k]
		wk.CostPerLinkedCommit = perCommit(wk.Cost, wk.LinkedCommits)
		out.Weeks = append(out.Weeks, *wk)
	}

	return out, nil
}

func perCommit(cost float64, commits int64) *float64 {
	if commits == 0 {
		return nil
	}
	c := cost / float64(commits)
	return &c
}
