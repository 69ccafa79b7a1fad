package bench

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// MetricTiming is one dashboard metric over one window, timed end to end
// around analytics.Metrics.Get (Postgres scope lookup included), in
// milliseconds.
type MetricTiming struct {
	Metric  string `json:"metric"`
	GroupBy string `json:"group_by,omitempty"`
	Scope   string `json:"scope"` // admin (the whole org) or manager (a team lead's view)
	Days    int    `json:"days"`
	// Cold runs follow dropping ClickHouse's caches (ColdCaches); the OS
	// page cache still holds the data files. DiskCold runs also evict
	// the chDB data files from the OS page cache first.
	Cold     Percentiles  `json:"cold"`
	DiskCold *Percentiles `json:"disk_cold,omitempty"`
	Warm     Percentiles  `json:"warm"`
	// WarmCPU is the CPU time the process spent per warm run (chDB's
	// threads included): what a run costs whatever else the machine does.
	// On an idle machine a run's wall time lies between WarmCPU divided by
	// the threads it used and WarmCPU.
	WarmCPU Percentiles `json:"warm_cpu"`
	// Statements are the ClickHouse statements Get ran, in order, with
	// their warm times; PostgresP50 is the warm median of the rest (the
	// scope lookup in Postgres and decoding).
	Statements  []StatementTiming `json:"statements"`
	PostgresP50 float64           `json:"postgres_p50"`
	// Check summarises what the metric returned (the numbers are real).
	Check string `json:"check"`
}

// Name is the metric as the report shows it.
func (m MetricTiming) Name() string {
	if m.GroupBy != "" {
		return m.Metric + " by " + m.GroupBy
	}
	return m.Metric
}

// Percentiles are nearest-rank percentiles of n runs, in milliseconds.
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func percentilesOf(ms []float64) Percentiles {
	s := sortedCopy(ms)
	if len(s) == 0 {
		return Percentiles{}
	}
	return Percentiles{N: len(s), P50: percentile(s, 50), P95: percentile(s, 95), P99: percentile(s, 99), Max: s[len(s)-1]}
}

// StatementTiming is one ClickHouse statement of a metric.
type StatementTiming struct {
	Label string  `json:"label"` // its tables, in order
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
}

// Runs per timing cell.
const (
	coldRuns = 5
	diskRuns = 3
	warmRuns = 20
)

// coldStatements drop every ClickHouse cache a query can hit; those the
// engine does not know are skipped (and not reported).
var coldStatements = []string{"SYSTEM DROP MARK CACHE", "SYSTEM DROP UNCOMPRESSED CACHE", "SYSTEM DROP QUERY CACHE",
	"SYSTEM DROP QUERY CONDITION CACHE", "SYSTEM DROP PRIMARY INDEX CACHE", "SYSTEM DROP INDEX MARK CACHE",
	"SYSTEM DROP INDEX UNCOMPRESSED CACHE", "SYSTEM DROP MMAP CACHE", "SYSTEM DROP PAGE CACHE", "SYSTEM DROP COMPILED EXPRESSION CACHE"}

// analyticsCases are the dashboard's requests.
var analyticsCases = []struct{ metric, groupBy string }{
	{analytics.MetricProductivity, ""}, {analytics.MetricProductivity, "user"}, {analytics.MetricAdoption, ""},
	{analytics.MetricCost, ""}, {analytics.MetricCost, "model"}, {analytics.MetricKnowledgeGaps, ""}, {analytics.MetricSummary, ""},
}

// measureMetrics times every metric of the largest org over the last 30
// and 90 days of the data, as its admin, and over 90 days as a manager.
func measureMetrics(ctx context.Context, cfg *Config, ch warehouse.ClickHouse, db *warehouse.DB, p *AnalyticsPlan, dir string, res *AnalyticsResult) error {
	res.ColdCaches = nil
	for _, s := range coldStatements {
		if ch.Exec(ctx, s) == nil {
			res.ColdCaches = append(res.ColdCaches, strings.TrimPrefix(s, "SYSTEM DROP "))
		}
	}
	res.Evicted = evictFiles(dir) == nil
	timed := &timedClickHouse{ClickHouse: ch}
	end := p.Config.End
	m := &analytics.Metrics{DB: db, CH: timed, Prices: analytics.DefaultPrices(), Now: func() time.Time { return end.Add(-time.Hour) }}
	o := p.Largest()
	admin := warehouse.Viewer{UserID: o.Users[0].ID, Role: warehouse.RoleAdmin}
	lead := o.Users[o.Teams[0].Lead]
	manager := warehouse.Viewer{UserID: lead.ID, Role: warehouse.RoleManager}

	type cell struct {
		scope      string
		viewer     warehouse.Viewer
		days       int
		cold, warm int
		disk       bool
	}
	var cells []cell
	for _, days := range []int{30, 90} {
		cells = append(cells, cell{"admin", admin, days, coldRuns, warmRuns, res.Evicted})
	}
	cells = append(cells, cell{"manager", manager, 90, 3, 20, false})
	// Every cell's runs are spread over the whole measurement, round-robin
	// across the cells, so a burst of other work on the machine hits all
	// cells alike instead of ruining one.
	type state struct {
		c          cell
		req        analytics.MetricRequest
		t          MetricTiming
		cold, disk []float64
		warm, cpu  []float64
		statements map[int][]float64
		labels     []string
		others     []float64
	}
	var states []*state
	for _, c := range cells {
		for _, k := range analyticsCases {
			states = append(states, &state{c: c, statements: map[int][]float64{},
				req: analytics.MetricRequest{Metric: k.metric, GroupBy: k.groupBy, OrgID: o.ID, Viewer: c.viewer, From: end.AddDate(0, 0, -c.days), To: end},
				t:   MetricTiming{Metric: k.metric, GroupBy: k.groupBy, Scope: c.scope, Days: c.days}})
		}
	}
	run := func(st *state) (ms, cpu float64, out any, err error) {
		timed.take()
		cpu0, start := processCPU(), time.Now()
		out, err = m.Get(ctx, st.req)
		ms, cpu = float64(time.Since(start).Microseconds())/1000, float64((processCPU()-cpu0).Microseconds())/1000
		if err != nil {
			err = fmt.Errorf("%s over %d days as %s: %w", st.t.Name(), st.c.days, st.c.scope, err)
		}
		return ms, cpu, out, err
	}
	cfg.logf("analytics: timing %d cells: cold, disk-cold, then warm runs, round-robin…", len(states))
	for round := range coldRuns {
		for _, st := range states {
			if round >= st.c.cold {
				continue
			}
			dropCaches(ctx, ch, res.ColdCaches)
			ms, _, _, err := run(st)
			if err != nil {
				return err
			}
			st.cold = append(st.cold, ms)
		}
	}
	for round := 0; res.Evicted && round < diskRuns; round++ {
		for _, st := range states {
			if !st.c.disk {
				continue
			}
			dropCaches(ctx, ch, res.ColdCaches)
			if err := evictFiles(dir); err != nil {
				return err
			}
			ms, _, _, err := run(st)
			if err != nil {
				return err
			}
			st.disk = append(st.disk, ms)
		}
	}
	for round := range warmRuns {
		for _, st := range states {
			if round >= st.c.warm {
				continue
			}
			ms, cpu, out, err := run(st)
			if err != nil {
				return err
			}
			st.warm, st.cpu = append(st.warm, ms), append(st.cpu, cpu)
			st.t.Check = checkOf(out)
			var inCH float64
			for i, s := range timed.take() {
				if i == len(st.labels) {
					st.labels = append(st.labels, s.label)
				}
				st.statements[i] = append(st.statements[i], s.ms)
				inCH += s.ms
			}
			st.others = append(st.others, ms-inCH)
		}
	}
	res.Timings = nil
	for _, st := range states {
		t := st.t
		t.Cold, t.Warm, t.WarmCPU = percentilesOf(st.cold), percentilesOf(st.warm), percentilesOf(st.cpu)
		if len(st.disk) > 0 {
			d := percentilesOf(st.disk)
			t.DiskCold = &d
		}
		for i, l := range st.labels {
			pc := percentilesOf(st.statements[i])
			t.Statements = append(t.Statements, StatementTiming{Label: l, P50: pc.P50, P95: pc.P95})
		}
		t.PostgresP50 = percentilesOf(st.others).P50
		disks := ""
		if t.DiskCold != nil {
			disks = fmt.Sprintf(", disk-cold p50 %.0f ms", t.DiskCold.P50)
		}
		cfg.logf("  %-24s %-7s %2d days: cold p50 %4.0f ms%s, warm p50 %4.0f p95 %4.0f p99 %4.0f ms, CPU p50 %4.0f ms (%s)",
			t.Name(), st.c.scope, st.c.days, t.Cold.P50, disks, t.Warm.P50, t.Warm.P95, t.Warm.P99, t.WarmCPU.P50, t.Check)
		res.Timings = append(res.Timings, t)
	}
	return nil
}

func dropCaches(ctx context.Context, ch warehouse.ClickHouse, caches []string) {
	for _, c := range caches {
		_ = ch.Exec(ctx, "SYSTEM DROP "+c)
	}
}

// checkOf summarises a metric's result.
func checkOf(out any) string {
	switch v := out.(type) {
	case *analytics.Productivity:
		s := fmt.Sprintf("%d conversations, %d commits, %d AI-assisted, %d weeks", v.Total.Conversations, v.Total.Commits, v.Total.AIAssistedCommits, len(v.Weeks))
		if len(v.Groups) > 0 {
			s += fmt.Sprintf(", %d groups", len(v.Groups))
		}
		return s
	case *analytics.Adoption:
		return fmt.Sprintf("%d active, %d new adopters, %d tools, %d models", v.ActiveUsers, v.NewAdopters, len(v.Tools), len(v.Models))
	case *analytics.Cost:
		s := fmt.Sprintf("$%.0f over %d conversations, %d linked commits", v.Cost, v.Conversations, v.LinkedCommits)
		if len(v.Groups) > 0 {
			s += fmt.Sprintf(", %d groups", len(v.Groups))
		}
		return s
	case *analytics.KnowledgeGaps:
		return fmt.Sprintf("%d topics, %d failed queries", len(v.Topics), len(v.FailedSearches))
	case *analytics.Summary:
		var conv int64
		for _, mo := range v.Months {
			conv += mo.Conversations
		}
		return fmt.Sprintf("%d months, %d conversations", len(v.Months), conv)
	}
	return fmt.Sprintf("%T", out)
}

// timedClickHouse records the time of each Select.
type timedClickHouse struct {
	warehouse.ClickHouse
	mu    sync.Mutex
	calls []stmtCall
}

type stmtCall struct {
	label string
	ms    float64
}

func (t *timedClickHouse) Select(ctx context.Context, dest any, query string, args ...any) error {
	start := time.Now()
	err := t.ClickHouse.Select(ctx, dest, query, args...)
	ms := float64(time.Since(start).Microseconds()) / 1000
	t.mu.Lock()
	t.calls = append(t.calls, stmtCall{label: statementLabel(query), ms: ms})
	t.mu.Unlock()
	return err
}

// take returns and forgets the recorded calls.
func (t *timedClickHouse) take() []stmtCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.calls
	t.calls = nil
	return out
}

var fromRe = regexp.MustCompile(`(?i)\bFROM\s+([a-z_]+)(\s+FINAL)?`)

// statementLabel names a statement by the tables it reads.
func statementLabel(q string) string {
	var tables []string
	for _, m := range fromRe.FindAllStringSubmatch(q, -1) {
		name := m[1]
		if m[2] != "" {
			name += " FINAL"
		}
		if name != "weekly" && !slices.Contains(tables, name) {
			tables = append(tables, name)
		}
	}
	if len(tables) == 0 {
		return "(subqueries)"
	}
	return strings.Join(tables, " + ")
}
