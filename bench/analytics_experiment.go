package bench

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// MetricExperiment is a metric timed warm with one change, alternating
// with runs as it is, so that both see the same machine: whole org, 90
// days. Milliseconds.
type MetricExperiment struct {
	Metric  string `json:"metric"`
	GroupBy string `json:"group_by,omitempty"`
	Change  string `json:"change"`
	// Same is true when the change leaves the metric's numbers as they are
	// (a candidate fix); false for a diagnostic that changes them.
	Same    bool    `json:"same"`
	N       int     `json:"n"`
	AsIsP50 float64 `json:"as_is_p50"`
	P50     float64 `json:"p50"`
	AsIsCPU float64 `json:"as_is_cpu_p50"`
	CPU     float64 `json:"cpu_p50"`
	// Check is what the changed metric returned (checkOf), and SameCheck
	// whether the metric as is returned the same.
	Check     string `json:"check"`
	SameCheck bool   `json:"same_check"`
}

// Name is the metric as the report shows it.
func (e MetricExperiment) Name() string {
	return MetricTiming{Metric: e.Metric, GroupBy: e.GroupBy}.Name()
}

const experimentRuns = 15

// optimizedDatabase holds copies of the event tables whose closed months
// are merged to one part each (the optimized experiment).
const optimizedDatabase = "bench_optimized"

// optimizedTables are the tables metrics read with FINAL.
var optimizedTables = analytics.FinalTables

var tableRe = regexp.MustCompile(`\bFROM (` + strings.Join(optimizedTables, "|") + `)\b`)

// readOptimized points a query at the optimized copies.
func readOptimized(q string) string {
	return tableRe.ReplaceAllString(q, "FROM "+optimizedDatabase+".$1")
}

// withFinalSettings adds a setting to a query that reads with FINAL: safe
// here because every version of an entity lies in one partition (0003).
func withFinalSettings(q string) string {
	if !strings.Contains(q, " FINAL") {
		return q
	}
	return q + "\nSETTINGS do_not_merge_across_partitions_select_final = 1"
}

// analyticsExperiments is what each experiment changes.
var analyticsExperiments = []struct {
	change  string
	same    bool
	metrics []string // "metric" or "metric:group"
	rewrite func(q string) string
}{
	{change: "event tables with every closed month merged to one part (`OPTIMIZE TABLE … PARTITION … FINAL`; the current month as loaded)", same: true,
		metrics: []string{"productivity", "productivity:user", "adoption", "cost", "cost:model", "knowledge-gaps", "summary"},
		rewrite: readOptimized},
	{change: "`SETTINGS do_not_merge_across_partitions_select_final = 1` on every statement with FINAL", same: true,
		metrics: []string{"productivity", "cost", "summary"},
		rewrite: withFinalSettings},
	{change: "without FINAL (diagnostic: re-projected rows count twice)", same: false,
		metrics: []string{"productivity", "cost", "summary"},
		rewrite: func(q string) string { return strings.ReplaceAll(q, " FINAL", "") }},
	{change: "with each person's weeks (`group_weeks=true`: every group's weekly series as well as its totals)", same: false,
		metrics: []string{"productivity:user"}, rewrite: withGroupWeeks},
}

// withGroupWeeks adds the (key, week) grouping set to a statement's
// GROUPING SETS, as group_weeks=true does: what the per-person weekly
// series cost.
func withGroupWeeks(q string) string {
	return strings.NewReplacer("GROUPING SETS ((key), (week), ())", "GROUPING SETS ((key, week), (key), (week), ())",
		"GROUPING SETS ((key), (week))", "GROUPING SETS ((key, week), (key))").Replace(q)
}

// runAnalyticsExperiments times each experiment's metrics.
func runAnalyticsExperiments(ctx context.Context, cfg *Config, ch warehouse.ClickHouse, db *warehouse.DB, p *AnalyticsPlan) ([]MetricExperiment, error) {
	end := p.Config.End
	o := p.Largest()
	admin := warehouse.Viewer{UserID: o.Users[0].ID, Role: warehouse.RoleAdmin}
	var out []MetricExperiment
	cfg.logf("  copying the event tables read with FINAL to %s and merging their closed months…", optimizedDatabase)
	if err := prepareOptimized(ctx, ch, end); err != nil {
		return nil, err
	}
	defer func() { _ = ch.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+optimizedDatabase) }()
	for _, x := range analyticsExperiments {
		for _, name := range x.metrics {
			metric, group, _ := strings.Cut(name, ":")
			req := analytics.MetricRequest{Metric: metric, GroupBy: group, OrgID: o.ID, Viewer: admin, From: end.AddDate(0, 0, -90), To: end}
			asIs := &analytics.Metrics{DB: db, CH: ch, Prices: analytics.DefaultPrices(), Now: func() time.Time { return end.Add(-time.Hour) }}
			changed := *asIs
			changed.CH = &rewritingClickHouse{ClickHouse: ch, rewrite: x.rewrite}
			var a, b, ac, bc []float64
			var checks [2]string
			for range experimentRuns {
				for i, m := range []*analytics.Metrics{asIs, &changed} {
					cpu0, start := processCPU(), time.Now()
					got, err := m.Get(ctx, req)
					if err != nil {
						return out, fmt.Errorf("%s (%s): %w", name, x.change, err)
					}
					checks[i] = checkOf(got)
					ms, cpu := float64(time.Since(start).Microseconds())/1000, float64((processCPU()-cpu0).Microseconds())/1000
					if i == 0 {
						a, ac = append(a, ms), append(ac, cpu)
					} else {
						b, bc = append(b, ms), append(bc, cpu)
					}
				}
			}
			e := MetricExperiment{Metric: metric, GroupBy: group, Change: x.change, Same: x.same, N: experimentRuns,
				AsIsP50: percentilesOf(a).P50, P50: percentilesOf(b).P50, AsIsCPU: percentilesOf(ac).P50, CPU: percentilesOf(bc).P50,
				Check: checks[1], SameCheck: checks[0] == checks[1]}
			cfg.logf("  experiment %-22s %s: p50 %.0f → %.0f ms, CPU %.0f → %.0f ms", e.Name(), x.change, e.AsIsP50, e.P50, e.AsIsCPU, e.CPU)
			out = append(out, e)
		}
	}
	return out, nil
}

// prepareOptimized copies the tables read with FINAL and merges each
// month before end's to one part, as a nightly OPTIMIZE of closed months
// would; the current month keeps the parts it has.
func prepareOptimized(ctx context.Context, ch warehouse.ClickHouse, end time.Time) error {
	for _, q := range []string{"DROP DATABASE IF EXISTS " + optimizedDatabase, "CREATE DATABASE " + optimizedDatabase} {
		if err := ch.Exec(ctx, q); err != nil {
			return err
		}
	}
	current := end.Add(-time.Millisecond).Format("200601")
	for _, t := range optimizedTables {
		dst := optimizedDatabase + "." + t
		if err := ch.Exec(ctx, "CREATE TABLE "+dst+" AS "+t); err != nil {
			return err
		}
		if err := ch.Exec(ctx, "INSERT INTO "+dst+" SELECT * FROM "+t); err != nil {
			return fmt.Errorf("copy %s: %w", t, err)
		}
		var parts []struct {
			ID string `ch:"partition_id"`
		}
		err := ch.Select(ctx, &parts, `SELECT DISTINCT partition_id FROM system.parts WHERE active AND database = ? AND table = ? ORDER BY partition_id`, optimizedDatabase, t)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if p.ID >= current {
				continue
			}
			if err := ch.Exec(ctx, "OPTIMIZE TABLE "+dst+" PARTITION ID ? FINAL", p.ID); err != nil {
				return fmt.Errorf("optimize %s partition %s: %w", dst, p.ID, err)
			}
		}
	}
	return nil
}

// rewritingClickHouse changes each query before it runs.
type rewritingClickHouse struct {
	warehouse.ClickHouse
	rewrite func(string) string
}

func (r *rewritingClickHouse) Select(ctx context.Context, dest any, query string, args ...any) error {
	return r.ClickHouse.Select(ctx, dest, r.rewrite(query), args...)
}
