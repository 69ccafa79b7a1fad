package analytics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// Report is what Check found.
type Report struct {
	// OrgID is the organization compared; uuid.Nil means all of them.
	OrgID uuid.UUID
	// From and To bound the whole UTC days compared, [From, To).
	From, To time.Time
	// Totals are each table's measures over the whole range.
	Totals []Total
	// Differences lists every organization, day, table and measure whose
	// counts differ, ordered by organization, day and table.
	Differences []Difference
}

// Consistent reports whether ClickHouse matched Postgres everywhere.
func (r Report) Consistent() bool { return len(r.Differences) == 0 }

// Total is one measure of one ClickHouse table over the whole range, and
// the same count in Postgres.
type Total struct {
	Table      string
	Measure    string
	Postgres   int64
	ClickHouse int64
}

// Difference is one count that ClickHouse has wrong: Postgres, the system
// of record, says Postgres.
type Difference struct {
	OrgID      uuid.UUID
	Day        time.Time
	Table      string
	Measure    string
	Postgres   int64
	ClickHouse int64
}

func (d Difference) String() string {
	return fmt.Sprintf("org %s, %s: %s.%s is %d in ClickHouse, %d in Postgres",
		d.OrgID, d.Day.Format(time.DateOnly), d.Table, d.Measure, d.ClickHouse, d.Postgres)
}

// check compares one ClickHouse table's daily measures with Postgres's
// daily counts of an entity type (warehouse.Analytics*).
type check struct {
	table    string
	entity   string
	measures []string
	// query selects org_id, day and the measures per org and day; %s is
	// the org filter, then ? ? bind the range's start and end.
	query string
}

// checks are every comparison Check makes. The event tables are read with
// FINAL, so each entity counts once with its latest state; the rollups are
// compared too, which proves that their set-based states did not count a
// re-projected entity twice.
var checks = []check{
	{table: TableConversationEvents, entity: warehouse.AnalyticsConversations,
		measures: []string{"conversations", "messages", "user_messages", "tool_calls", "tokens"},
		query: `SELECT org_id, toDate(started_at) AS day, count() AS conversations, sum(messages) AS messages,
			sum(user_messages) AS user_messages, sum(tool_calls) AS tool_calls,
			sum(input_tokens + output_tokens + cache_read_tokens + cache_write_tokens + reasoning_tokens) AS tokens
		FROM conversation_events FINAL
		WHERE %s started_at >= ? AND started_at < ?
		GROUP BY org_id, day`},
	{table: TableMessageEvents, entity: warehouse.AnalyticsMessages,
		measures: []string{"messages", "user_messages", "conversations", "tokens", "chars"},
		query: `SELECT org_id, toDate(sent_at) AS day, count() AS messages, countIf(role = 'user') AS user_messages,
			uniqExact(conversation_id) AS conversations, sum(input_tokens + output_tokens) AS tokens, sum(chars) AS chars
		FROM message_events FINAL
		WHERE %s sent_at >= ? AND sent_at < ?
		GROUP BY org_id, day`},
	{table: TableConversationsDaily, entity: warehouse.AnalyticsMessages,
		measures: []string{"conversations", "messages", "user_messages"},
		query: `SELECT org_id, day, uniqExactMerge(d.conversations) AS conversations, groupBitmapMerge(d.messages) AS messages,
			groupBitmapMergeIf(d.messages, role = 'user') AS user_messages
		FROM conversations_daily AS d
		WHERE %s day >= toDate(?) AND day < toDate(?)
		GROUP BY org_id, day`},
	{table: TableCommitEvents, entity: warehouse.AnalyticsCommits,
		measures: []string{"commits", "lines", "files"},
		query: `SELECT org_id, toDate(committed_at) AS day, count() AS commits, sum(additions + deletions) AS lines, sum(files) AS files
		FROM commit_events FINAL
		WHERE %s committed_at >= ? AND committed_at < ?
		GROUP BY org_id, day`},
	{table: TableCommitsDaily, entity: warehouse.AnalyticsCommits,
		measures: []string{"commits"},
		query: `SELECT org_id, day, uniqExactMerge(d.commits) AS commits
		FROM commits_daily AS d
		WHERE %s day >= toDate(?) AND day < toDate(?)
		GROUP BY org_id, day`},
	{table: TableLinkEvents, entity: warehouse.AnalyticsLinks,
		measures: []string{"links", "commits", "conversations"},
		query: `SELECT org_id, toDate(committed_at) AS day, count() AS links, uniqExact(commit_id) AS commits,
			uniqExact(conversation_id) AS conversations
		FROM (SELECT org_id, conversation_id, commit_id, committed_at FROM link_events
			WHERE %s committed_at >= ? AND committed_at < ?
			GROUP BY org_id, conversation_id, commit_id, committed_at HAVING argMax(linked, version) = 1)
		GROUP BY org_id, day`},
	{table: TableSearchEvents, entity: warehouse.AnalyticsSearches,
		measures: []string{"searches", "no_result"},
		query: `SELECT org_id, toDate(occurred_at) AS day, count() AS searches, countIf(no_result = 1) AS no_result
		FROM search_events FINAL
		WHERE %s occurred_at >= ? AND occurred_at < ?
		GROUP BY org_id, day`},
	{table: TableSearchesDaily, entity: warehouse.AnalyticsSearches,
		measures: []string{"searches", "no_result"},
		query: `SELECT org_id, day, uniqExactMerge(d.searches) AS searches, uniqExactMergeIf(d.searches, d.no_result = 1) AS no_result
		FROM searches_daily AS d
		WHERE %s day >= toDate(?) AND day < toDate(?)
		GROUP BY org_id, day`},
}

// chDay is one row of a check query; a query fills the measures it has.
type chDay struct {
	OrgID         uuid.UUID `ch:"org_id"`
	Day           time.Time `ch:"day"`
	Conversations uint64    `ch:"conversations"`
	Messages      uint64    `ch:"messages"`
	UserMessages  uint64    `ch:"user_messages"`
	ToolCalls     uint64    `ch:"tool_calls"`
	Tokens        uint64    `ch:"tokens"`
	Chars         uint64    `ch:"chars"`
	Commits       uint64    `ch:"commits"`
	Lines         uint64    `ch:"lines"`
	Files         uint64    `ch:"files"`
	Searches      uint64    `ch:"searches"`
	NoResult      uint64    `ch:"no_result"`
	Links         uint64    `ch:"links"`
}

func (d chDay) measure(name string) int64 {
	v := map[string]uint64{
		"conversations": d.Conversations, "messages": d.Messages, "user_messages": d.UserMessages,
		"tool_calls": d.ToolCalls, "tokens": d.Tokens, "chars": d.Chars, "commits": d.Commits, "lines": d.Lines,
		"files": d.Files, "searches": d.Searches, "no_result": d.NoResult, "links": d.Links,
	}[name]
	return int64(min(v, 1<<63-1))
}

type dayKey struct {
	org uuid.UUID
	day time.Time
}

// Check compares, for every UTC day from the day of from up to the day of
// to (a to that is not midnight includes its day), the counts Postgres
// holds with those in ClickHouse: per table and measure (see checks), for
// one organization or, with uuid.Nil, every organization. Every difference
// is reported; an error means the comparison itself could not run.
func Check(ctx context.Context, db *warehouse.DB, ch warehouse.ClickHouse, orgID uuid.UUID, from, to time.Time) (Report, error) {
	from = from.UTC().Truncate(24 * time.Hour)
	if end := to.UTC().Truncate(24 * time.Hour); end.Before(to) {
		to = end.Add(24 * time.Hour)
	} else {
		to = end
	}
	rep := Report{OrgID: orgID, From: from, To: to}
	if !from.Before(to) {
		return rep, fmt.Errorf("check analytics: the range %s to %s holds no day", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}

	pg := map[string]map[dayKey]map[string]int64{}
	scope := func(fn func(tx pgx.Tx) error) error {
		if orgID == uuid.Nil {
			return db.AsSystem(ctx, fn)
		}
		return db.InOrg(ctx, orgID, fn)
	}
	err := scope(func(tx pgx.Tx) error {
		for _, c := range checks {
			if pg[c.entity] != nil {
				continue
			}
			days, err := warehouse.DailyAnalyticsCounts(ctx, tx, c.entity, from, to)
			if err != nil {
				return err
			}
			pg[c.entity] = map[dayKey]map[string]int64{}
			for _, d := range days {
				pg[c.entity][dayKey{d.OrgID, d.Day}] = d.Counts
			}
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("check analytics: %w", err)
	}

	for _, c := range checks {
		orgFilter, args := "", []any{from, to}
		if orgID != uuid.Nil {
			orgFilter, args = "org_id = ? AND", []any{orgID, from, to}
		}
		var rows []chDay
		if err := ch.Select(ctx, &rows, fmt.Sprintf(c.query, orgFilter), args...); err != nil {
			return rep, fmt.Errorf("check analytics: read %s: %w", c.table, err)
		}
		got := map[dayKey]chDay{}
		for _, r := range rows {
			got[dayKey{r.OrgID, r.Day.UTC().Truncate(24 * time.Hour)}] = r
		}
		want := pg[c.entity]
		keys := make([]dayKey, 0, len(want)+len(got))
		for k := range want {
			keys = append(keys, k)
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				keys = append(keys, k)
			}
		}
		totals := make([]Total, len(c.measures))
		for i, m := range c.measures {
			totals[i] = Total{Table: c.table, Measure: m}
		}
		for _, k := range keys {
			for i, m := range c.measures {
				p, h := want[k][m], got[k].measure(m)
				totals[i].Postgres += p
				totals[i].ClickHouse += h
				if p != h {
					rep.Differences = append(rep.Differences, Difference{OrgID: k.org, Day: k.day, Table: c.table, Measure: m, Postgres: p, ClickHouse: h})
				}
			}
		}
		rep.Totals = append(rep.Totals, totals...)
	}
	slices.SortStableFunc(rep.Differences, func(a, b Difference) int {
		return cmp.Or(strings.Compare(a.OrgID.String(), b.OrgID.String()), a.Day.Compare(b.Day),
			tableOrder(a.Table)-tableOrder(b.Table))
	})
	return rep, nil
}

func tableOrder(t string) int {
	return slices.IndexFunc(checks, func(c check) bool { return c.table == t })
}
