package analytics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Adoption is who uses AI assistants, with which tools and models, who
// started in the window and who keeps using them.
type Adoption struct {
	Window Window `json:"window"`
	Scope  Scope  `json:"scope"`
	// ActiveUsers sent at least one message in the window; NewAdopters
	// sent their first message ever (with any tool) in it.
	ActiveUsers int64 `json:"active_users"`
	NewAdopters int64 `json:"new_adopters"`
	// Tools and Models are the window's totals; a person using two tools
	// counts under both.
	Tools  []ToolUsers    `json:"tools"`
	Models []ModelUsers   `json:"models"`
	Weeks  []AdoptionWeek `json:"weeks"`
}

// AdoptionWeek is one ISO week (starting Monday, UTC).
type AdoptionWeek struct {
	Week        string `json:"week"`
	ActiveUsers int64  `json:"active_users"`
	NewAdopters int64  `json:"new_adopters"`
	// Retained were active in this week and in the week before;
	// RetentionRate is Retained over the week before's active users, nil
	// when nobody was active then.
	Retained      int64        `json:"retained"`
	RetentionRate *float64     `json:"retention_rate"`
	Tools         []ToolUsers  `json:"tools"`
	Models        []ModelUsers `json:"models"`
}

// ToolUsers counts the people using one tool.
type ToolUsers struct {
	Tool        string `json:"tool"`
	ActiveUsers int64  `json:"active_users"`
	NewAdopters int64  `json:"new_adopters"`
}

// ModelUsers counts the people and conversations using one model (a
// conversation started in the period that used it).
type ModelUsers struct {
	Model         string `json:"model"`
	ActiveUsers   int64  `json:"active_users"`
	Conversations int64  `json:"conversations"`
}

type adoptionRow struct {
	Week          time.Time `ch:"week"`
	Name          string    `ch:"name"`
	Level         uint64    `ch:"level"`
	Users         uint64    `ch:"users"`
	Conversations uint64    `ch:"conversations"`
	Retained      uint64    `ch:"retained"`
}

// Levels of grouping(week, name) in GROUPING SETS ((week, name), (week),
// (name), ()).
const (
	byWeekAndName = 0
	byWeek        = 1
	byName        = 2
	overall       = 3
)

func (m *Metrics) adoption(ctx context.Context, w Window, s Scope) (*Adoption, error) {
	out := &Adoption{Window: w, Scope: s, Tools: []ToolUsers{}, Models: []ModelUsers{}}
	weeks := map[string]*AdoptionWeek{}
	week := func(t time.Time) *AdoptionWeek {
		k := t.Format(time.DateOnly)
		if weeks[k] == nil {
			weeks[k] = &AdoptionWeek{Week: k, Tools: []ToolUsers{}, Models: []ModelUsers{}}
		}
		return weeks[k]
	}
	tools := map[string]*ToolUsers{}
	tool := func(list map[string]*ToolUsers, name string) *ToolUsers {
		if list[name] == nil {
			list[name] = &ToolUsers{Tool: name}
		}
		return list[name]
	}
	weekTools := map[string]map[string]*ToolUsers{}

	// Active people per tool, from the daily rollup (a day belongs to the
	// window when it starts in it).
	days := rollupDays(s, w).people(s, "user_id")
	var rows []adoptionRow
	err := m.CH.Select(ctx, &rows, `SELECT toMonday(day) AS week, tool AS name, grouping(week, name) AS level,
			uniqExact(user_id) AS users
		FROM conversations_daily `+days.clause()+`
		GROUP BY GROUPING SETS ((week, name), (week), (name), ())`, days.params()...)
	if err != nil {
		return nil, fmt.Errorf("adoption: active users: %w", err)
	}
	for _, r := range rows {
		switch r.Level {
		case byWeekAndName:
			k := r.Week.Format(time.DateOnly)
			if weekTools[k] == nil {
				weekTools[k] = map[string]*ToolUsers{}
			}
			tool(weekTools[k], r.Name).ActiveUsers = int64(r.Users)
		case byWeek:
			week(r.Week).ActiveUsers = int64(r.Users)
		case byName:
			tool(tools, r.Name).ActiveUsers = int64(r.Users)
		case overall:
			out.ActiveUsers = int64(r.Users)
		}
	}

	// New adopters: people whose first message with a tool (name) or with
	// any tool (name "") falls in the window.
	people := orgOnly(s)
	people.people(s, "user_id")
	rows = nil
	err = m.CH.Select(ctx, &rows, `SELECT toMonday(first) AS week, name, grouping(week, name) AS level, count() AS users
		FROM (SELECT user_id, tool AS name, min(first_day) AS first FROM adopters `+people.clause()+` GROUP BY user_id, tool
			UNION ALL
			SELECT user_id, '' AS name, min(first_day) AS first FROM adopters `+people.clause()+` GROUP BY user_id)
		WHERE first >= toDate(?) AND first < toDate(?)
		GROUP BY GROUPING SETS ((week, name), (name))`, append(append(slices.Clone(people.params()), people.params()...), w.From, w.To)...)
	if err != nil {
		return nil, fmt.Errorf("adoption: new adopters: %w", err)
	}
	for _, r := range rows {
		switch {
		case r.Level == byName && r.Name == "":
			out.NewAdopters = int64(r.Users)
		case r.Level == byName:
			tool(tools, r.Name).NewAdopters = int64(r.Users)
		case r.Name == "":
			week(r.Week).NewAdopters = int64(r.Users)
		default:
			k := r.Week.Format(time.DateOnly)
			if weekTools[k] == nil {
				weekTools[k] = map[string]*ToolUsers{}
			}
			tool(weekTools[k], r.Name).NewAdopters = int64(r.Users)
		}
	}

	// Models: people and conversations per model, by the week the
	// conversation started.
	conv := where(s, "started_at", w).people(s, "user_id")
	rows = nil
	err = m.CH.Select(ctx, &rows, `SELECT toMonday(started_at) AS week, model AS name, grouping(week, name) AS level,
			uniqExact(user_id) AS users, count() AS conversations
		FROM conversation_events FINAL ARRAY JOIN models AS model `+conv.clause()+`
		GROUP BY GROUPING SETS ((week, name), (name))`, conv.params()...)
	if err != nil {
		return nil, fmt.Errorf("adoption: models: %w", err)
	}
	for _, r := range rows {
		mu := ModelUsers{Model: r.Name, ActiveUsers: int64(r.Users), Conversations: int64(r.Conversations)}
		if r.Level == byName {
			out.Models = append(out.Models, mu)
		} else {
			wk := week(r.Week)
			wk.Models = append(wk.Models, mu)
		}
	}

	// Retention: of each week's active people, those also active the week
	// before; the week before the window is read for the first week.
	weekly := orgOnly(s).before("day >= toMonday(toDate(?)) - 7", w.From).before("day < toDate(?)", w.To)
	weekly.people(s, "user_id")
	rows = nil
	err = m.CH.Select(ctx, &rows, `WITH weekly AS (
			SELECT DISTINCT toMonday(day) AS week, user_id FROM conversations_daily `+weekly.clause()+`)
		SELECT week, count() AS users,
			countIf((user_id, week) IN (SELECT user_id, week + 7 FROM weekly)) AS retained
		FROM weekly GROUP BY week ORDER BY week`, weekly.params()...)
	if err != nil {
		return nil, fmt.Errorf("adoption: retention: %w", err)
	}
	active := map[string]uint64{}
	for _, r := range rows {
		active[r.Week.Format(time.DateOnly)] = r.Users
	}
	for _, r := range rows {
		k := r.Week.Format(time.DateOnly)
		wk, ok := weeks[k]
		if !ok {
			continue // the week before the window, or a week nobody was active in the window's part of it
		}
		wk.Retained = int64(r.Retained)
		if before := active[r.Week.AddDate(0, 0, -7).Format(time.DateOnly)]; before > 0 {
			rate := float64(r.Retained) / float64(before)
			wk.RetentionRate = &rate
		}
	}

	for _, k := range slices.Sorted(maps.Keys(weeks)) {
		wk := weeks[k]
		for _, name := range slices.Sorted(maps.Keys(weekTools[k])) {
			wk.Tools = append(wk.Tools, *weekTools[k][name])
		}
		sortModels(wk.Models)
		out.Weeks = append(out.Weeks, *wk)
	}
	for _, name := range slices.Sorted(maps.Keys(tools)) {
		out.Tools = append(out.Tools, *tools[name])
	}
	sortModels(out.Models)
	return out, nil
}

func sortModels(ms []ModelUsers) {
	slices.SortFunc(ms, func(a, b ModelUsers) int {
		if a.ActiveUsers != b.ActiveUsers {
			return int(b.ActiveUsers - a.ActiveUsers)
		}
		return strings.Compare(a.Model, b.Model)
	})
}
