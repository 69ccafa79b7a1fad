package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/migrations"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// The analytics benchmark (issue #6): ClickHouse events of a fleet of
// organizations, the dashboard metrics of the largest one timed cold and
// warm, and the projection's lag behind ingest. It keeps its Postgres
// database (ctxintel_bench_analytics_10m: orgs, members, teams) and its own
// chDB data directory, both reused with --reuse.

// analyticsDatabase is the Postgres database of the analytics benchmark
// of a size: ctxintel_bench_analytics_10m.
func analyticsDatabase(events int) string {
	return "ctxintel_bench_analytics_" + strings.ToLower(humanCount(events))
}

// DefaultAnalyticsEvents is the dataset size of the issue: 10M events.
const DefaultAnalyticsEvents = 10_000_000

// targetMetricP95MS is the target for every dashboard metric.
const targetMetricP95MS = 200.0

// analyticsGeneratorVersion changes whenever the generator's output does,
// so that --reuse reloads a dataset written by an older one.
const analyticsGeneratorVersion = 2 // 2: links carry their commits' lines

// StartAnalyticsWorkers builds the job workers that process captures and
// project them into ClickHouse through p, and sets ing.Jobs to their
// enqueuer; cmd wires it to jobs.NewClient.
type StartAnalyticsWorkers func(db *warehouse.DB, ing *ingest.Service, p *analytics.Projector) (Workers, error)

// AnalyticsResult is what the analytics benchmark measured.
type AnalyticsResult struct {
	Events   int    `json:"events"` // asked for (--analytics-events)
	Seed     uint64 `json:"seed"`
	Database string `json:"database"` // the Postgres database
	Orgs     int    `json:"orgs"`
	Users    int    `json:"users"`
	Teams    int    `json:"teams"`
	// From and To are the data's span.
	From   time.Time       `json:"from"`
	To     time.Time       `json:"to"`
	Counts AnalyticsCounts `json:"counts"` // rows written per table
	// Stored is each ClickHouse table after the load and the merges that
	// followed it.
	Stored []TableSize `json:"stored"`
	// Unmerged is the share of rows of the largest org that FINAL still
	// had to collapse when the timings ran, per event table.
	Unmerged map[string]float64 `json:"unmerged"`
	Largest  AnalyticsOrgInfo   `json:"largest"`
	Load     AnalyticsLoad      `json:"load"`
	Timings  []MetricTiming     `json:"timings"`
	// Experiments time some metrics with one change (analytics_experiment.go).
	Experiments []MetricExperiment `json:"experiments,omitempty"`
	Lag         *ProjectionLag     `json:"lag,omitempty"`
	// Engine describes chDB: its version and the settings that matter.
	Engine   string            `json:"engine"`
	Settings map[string]string `json:"settings"`
	// ColdCaches are the caches dropped before each cold run; Evicted
	// says whether the disk-cold runs could also drop the data files from
	// the OS page cache.
	ColdCaches []string   `json:"cold_caches"`
	Evicted    bool       `json:"evicted"`
	Machine    *Machine   `json:"machine,omitempty"`
	MeasuredAt time.Time  `json:"measured_at"`
	LoadBefore [3]float64 `json:"load_before"` // load average when the timings started
	LoadAfter  [3]float64 `json:"load_after"`  // and when they ended
}

// AnalyticsOrgInfo describes the measured organization.
type AnalyticsOrgInfo struct {
	Slug    string    `json:"slug"`
	ID      uuid.UUID `json:"id"`
	Plan    string    `json:"plan"`
	Members int       `json:"members"`
	Teams   int       `json:"teams"`
	Events  int       `json:"events"`
	Share   float64   `json:"share"`
	// Manager is the lead whose view is timed too; ManagerScope is the
	// number of people it counts (their team and themselves).
	Manager      string `json:"manager"`
	ManagerScope int    `json:"manager_scope"`
}

// TableSize is one ClickHouse table's active parts.
type TableSize struct {
	Table        string `json:"table" ch:"table"`
	Rows         uint64 `json:"rows" ch:"rows"`
	Parts        uint64 `json:"parts" ch:"parts"`
	Bytes        uint64 `json:"bytes" ch:"bytes"`
	Uncompressed uint64 `json:"uncompressed" ch:"uncompressed"`
}

// AnalyticsLoad is what loading took.
type AnalyticsLoad struct {
	// Seconds is generating and inserting every row (overlapped), in
	// inserts of BatchRows rows.
	Seconds       float64    `json:"seconds"`
	RowsPerSecond float64    `json:"rows_per_second"`
	BatchRows     int        `json:"batch_rows"`
	Inserts       int        `json:"inserts"`
	Postgres      float64    `json:"postgres_seconds"` // orgs, members and teams
	Settle        float64    `json:"settle_seconds"`   // waiting for the background merges after the load
	Settled       bool       `json:"settled"`          // false: merges still ran when the wait ended
	LoadAvg       [3]float64 `json:"load_avg"`         // the machine's load average when the inserts ended
	LoadedAt      time.Time  `json:"loaded_at"`
	Reused        bool       `json:"reused"`
}

// analyticsSignature identifies a loaded dataset.
type analyticsSignature struct {
	Generator int    `json:"generator"`
	Seed      uint64 `json:"seed"`
	Events    int    `json:"events"`
	Orgs      int    `json:"orgs"`
}

// analyticsMarker is the file in the chDB directory that says which
// dataset it holds, and whether its load completed.
type analyticsMarker struct {
	Dataset analyticsSignature `json:"dataset"`
	Loaded  bool               `json:"loaded"`
	Counts  AnalyticsCounts    `json:"counts"`
	Load    AnalyticsLoad      `json:"load"`
}

const analyticsMarkerFile = "bench-dataset.json"

func readMarker(dir string) (analyticsMarker, bool) {
	var m analyticsMarker
	b, err := os.ReadFile(filepath.Join(dir, analyticsMarkerFile))
	if err != nil || json.Unmarshal(b, &m) != nil {
		return m, false
	}
	return m, true
}

func writeMarker(dir string, m analyticsMarker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, analyticsMarkerFile), b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", analyticsMarkerFile, err)
	}
	return nil
}

// resetAnalyticsDir empties dir for a new load. A directory that holds
// files but no marker is not the benchmark's: it is left alone.
func resetAnalyticsDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o750)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	if _, ok := readMarker(dir); !ok && len(entries) > 0 {
		return fmt.Errorf("%s is not empty and holds no %s: not a benchmark directory; choose another --analytics-dir", dir, analyticsMarkerFile)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return os.MkdirAll(dir, 0o750)
}

// runAnalytics prepares (or reuses) the dataset, times the metrics and
// measures the projection lag.
func runAnalytics(ctx context.Context, cfg *Config) (AnalyticsResult, error) {
	events := cfg.AnalyticsEvents
	if events <= 0 {
		events = DefaultAnalyticsEvents
	}
	dir := cfg.AnalyticsDir
	if dir == "" {
		dir = filepath.Join(".bench", "analytics-chdb")
	}
	plan := NewAnalyticsPlan(AnalyticsGenConfig{Seed: cfg.Seed, Events: events})
	sig := analyticsSignature{Generator: analyticsGeneratorVersion, Seed: cfg.Seed, Events: events, Orgs: len(plan.Orgs)}
	res := AnalyticsResult{Events: events, Seed: cfg.Seed, Orgs: len(plan.Orgs), From: plan.Start, To: plan.Config.End}
	for _, o := range plan.Orgs {
		res.Users += len(o.Users)
		res.Teams += len(o.Teams)
	}

	dbName := analyticsDatabase(events)
	res.Database = dbName
	exists, err := databaseExists(ctx, cfg.DatabaseURL, dbName)
	if err != nil {
		return res, err
	}
	marker, haveMarker := readMarker(dir)
	var bdb *benchDB
	reuse := false
	if exists && (cfg.Reuse || cfg.SkipLoad) {
		if bdb, err = openDatabase(ctx, cfg.DatabaseURL, dbName); err != nil {
			return res, err
		}
		var have analyticsSignature
		ok, err := bdb.state(ctx, "analytics_dataset", &have)
		if err != nil {
			bdb.Close()
			return res, err
		}
		reuse = ok && have == sig && haveMarker && marker.Loaded && marker.Dataset == sig
		if !reuse {
			bdb.Close()
			bdb = nil
		}
	}
	if cfg.SkipLoad && !reuse {
		return res, fmt.Errorf("--skip-load: %s and %s do not hold the analytics dataset of %d events (seed %d); run without --skip-load first", dbName, dir, events, cfg.Seed)
	}
	if !reuse {
		if err := resetAnalyticsDir(dir); err != nil {
			return res, err
		}
		if err := writeMarker(dir, analyticsMarker{Dataset: sig}); err != nil {
			return res, err
		}
		cfg.logf("analytics: creating %s from %s", dbName, cfg.Template)
		if bdb, err = createDatabase(ctx, cfg.DatabaseURL, dbName, cfg.Template); err != nil {
			return res, err
		}
	} else {
		cfg.logf("analytics: reusing %s and %s (%d events, seed %d)", dbName, dir, events, cfg.Seed)
	}
	defer bdb.Close()

	ch, err := warehouse.OpenClickHouse(ctx, warehouse.ClickHouseConfig{DataDir: dir, LibPath: cfg.ChdbLib})
	if err != nil {
		return res, err
	}
	defer ch.Close()
	if err := warehouse.MigrateClickHouse(ctx, ch, migrations.ClickHouse, "up", 0); err != nil {
		return res, err
	}

	if reuse {
		res.Counts, res.Load = marker.Counts, marker.Load
		res.Load.Reused = true
	} else {
		start := time.Now()
		if err := loadAnalyticsPostgres(ctx, bdb.db, plan); err != nil {
			return res, err
		}
		pgSeconds := time.Since(start).Seconds()
		counts, load, err := loadAnalyticsEvents(ctx, cfg, ch, plan)
		if err != nil {
			return res, err
		}
		load.Postgres = pgSeconds
		load.Settle, load.Settled, err = settleMerges(ctx, cfg, ch, 15*time.Minute)
		if err != nil {
			return res, err
		}
		res.Counts, res.Load = counts, load
		if err := bdb.setState(ctx, "analytics_dataset", sig); err != nil {
			return res, err
		}
		if err := writeMarker(dir, analyticsMarker{Dataset: sig, Loaded: true, Counts: counts, Load: load}); err != nil {
			return res, err
		}
	}

	if err := describeAnalytics(ctx, ch, plan, &res); err != nil {
		return res, err
	}
	if cfg.loadOnly() {
		return res, nil
	}
	m := describeMachine(ctx, cfg.DatabaseURL)
	res.Machine = &m
	res.LoadBefore = loadAverage()
	if err := measureMetrics(ctx, cfg, ch, bdb.db, plan, dir, &res); err != nil {
		return res, fmt.Errorf("time the metrics: %w", err)
	}
	cfg.logf("analytics: experiments (%d runs each, alternating with the metric as is)…", experimentRuns)
	if res.Experiments, err = runAnalyticsExperiments(ctx, cfg, ch, bdb.db, plan); err != nil {
		return res, fmt.Errorf("experiments: %w", err)
	}
	res.MeasuredAt, res.LoadAfter = time.Now().UTC(), loadAverage()

	if cfg.AnalyticsWorkers == nil {
		cfg.logf("analytics: no job workers configured; projection lag not measured")
		return res, nil
	}
	lag, err := runProjectionLag(ctx, cfg, ch, bdb.db, dbName)
	if err != nil {
		return res, fmt.Errorf("projection lag: %w", err)
	}
	res.Lag = &lag
	return res, nil
}
