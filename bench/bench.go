package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Size is a dataset size.
type Size struct {
	Name     string // 100k, 1m
	Messages int
}

// Sizes are the dataset sizes the command knows.
var Sizes = []Size{{"100k", 100_000}, {"1m", 1_000_000}}

// ParseSizes reads "100k", "1m" or "all".
func ParseSizes(s string) ([]Size, error) {
	if s == "all" {
		return Sizes, nil
	}
	var out []Size
	for _, name := range strings.Split(s, ",") {
		i := slices.IndexFunc(Sizes, func(z Size) bool { return z.Name == strings.ToLower(strings.TrimSpace(name)) })
		if i < 0 {
			return nil, fmt.Errorf("size %q: want 100k, 1m or all", name)
		}
		out = append(out, Sizes[i])
	}
	return out, nil
}

// Parts of the benchmark that can be run separately.
const (
	PartLatency   = "latency"
	PartRecall    = "recall"
	PartLag       = "lag"
	PartRelevance = "relevance"
	PartEmbed     = "embed" // USE-Lite query embedding time and the vector calibration
	PartLegs      = "legs"  // the keyword leg of hybrid search alone, by variant
	PartPlans     = "plans" // keyword and hybrid search with custom plans only
	// PartAnalytics is the analytics benchmark: ClickHouse events of many
	// orgs, the dashboard metrics timed, the projection's lag (analytics.go).
	PartAnalytics = "analytics"
)

// AllParts is every part, in the order they run.
var AllParts = []string{PartLatency, PartLegs, PartPlans, PartRecall, PartEmbed, PartRelevance, PartLag, PartAnalytics}

// PartLoad only loads (or checks) the datasets: with no other part, a run
// prepares the search databases and measures nothing; with analytics too,
// it also loads the analytics dataset, without timing it.
const PartLoad = "load"

// Workers is a running job system (a River client with every worker):
// the ingest lag is measured through it.
type Workers interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// StartWorkers builds the job workers for the lag measurement around
// the given services and sets ing.Jobs to its enqueuer. cmd wires it to
// jobs.NewClient, which nothing below cmd may import.
type StartWorkers func(db *warehouse.DB, ing *ingest.Service, s *search.Service) (Workers, error)

// Config is a benchmark run.
type Config struct {
	// DatabaseURL points at the Postgres server; the benchmark databases
	// (ctxintel_bench_<size>, ctxintel_bench_eval) are created next to
	// the database it names, from Template.
	DatabaseURL string
	Template    string // default ctxintel_template
	Sizes       []Size
	// Reuse keeps a benchmark database whose dataset matches and skips
	// loading it; otherwise it is dropped and loaded afresh.
	Reuse bool
	// SkipLoad uses the benchmark databases as they are (they must exist).
	SkipLoad bool
	Parts    []string // default AllParts
	Seed     uint64   // default 42
	ModelDir string   // the USE-Lite model (embed, relevance and lag parts)
	Workers  StartWorkers
	// Out is the report file; results of sizes not run this time are kept
	// from the report already there.
	Out      string
	Progress io.Writer // progress bars and steps; nil for none
	Logger   *slog.Logger
	// Budget bounds each latency cell (default 60 s); Queries is the
	// number of searches per cell when the budget allows (default 200).
	Budget  time.Duration
	Queries int
	// SuperuserURL, when set, lets the latency part also measure keyword
	// and hybrid search with the keyword operators' functions marked
	// LEAKPROOF (changed in the benchmark database only, and reverted).
	SuperuserURL string
	// AnalyticsEvents sizes the analytics part (default
	// DefaultAnalyticsEvents, 10M); AnalyticsDir is its chDB data
	// directory (default .bench/analytics-chdb), ChdbLib the libchdb.so to
	// load, and AnalyticsWorkers builds the workers of its projection lag
	// (nil: not measured).
	AnalyticsEvents  int
	AnalyticsDir     string
	ChdbLib          string
	AnalyticsWorkers StartAnalyticsWorkers
}

func (c *Config) part(p string) bool { return len(c.Parts) == 0 || slices.Contains(c.Parts, p) }

// loadOnly says the run prepares datasets and measures nothing.
func (c *Config) loadOnly() bool { return slices.Contains(c.Parts, PartLoad) }

// searchParts reports whether a part that needs the search datasets runs.
func (c *Config) searchParts() bool {
	return len(c.Parts) == 0 || slices.ContainsFunc(c.Parts, func(p string) bool { return p != PartAnalytics })
}

func (c *Config) logf(format string, args ...any) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, format+"\n", args...)
	}
}

// Run runs the benchmark and writes the report.
func Run(ctx context.Context, cfg Config) (*Results, error) {
	if cfg.Template == "" {
		cfg.Template = "ctxintel_template"
	}
	if cfg.Seed == 0 {
		cfg.Seed = 42
	}
	if cfg.Budget <= 0 {
		cfg.Budget = 60 * time.Second
	}
	if cfg.Queries <= 0 {
		cfg.Queries = 200
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	res := previousResults(cfg.Out)
	res.Machine = describeMachine(ctx, cfg.DatabaseURL)
	res.Started = time.Now().UTC()
	var model *search.USELite
	loadModel := func() (*search.USELite, error) {
		if model != nil {
			return model, nil
		}
		m, err := search.LoadUSELite(cfg.ModelDir)
		if err != nil {
			return nil, fmt.Errorf("load the USE-Lite model from %s (run `make setup`, or set CTXINTEL_MODEL_DIR): %w", cfg.ModelDir, err)
		}
		model = m
		return m, nil
	}
	var lagDB *benchDB
	defer func() {
		if lagDB != nil {
			lagDB.Close()
		}
	}()
	sizes := cfg.Sizes
	if !cfg.searchParts() {
		sizes = nil
	}
	for _, size := range sizes {
		var prev SizeResult
		for _, x := range res.Sizes {
			if x.Size == size.Name {
				prev = x
			}
		}
		sr, bdb, err := runSize(ctx, &cfg, size, prev)
		if err != nil {
			return res, fmt.Errorf("size %s: %w", size.Name, err)
		}
		res.setSize(sr, cfg.part(PartLatency) || cfg.part(PartRecall))
		if err := res.write(cfg.Out); err != nil {
			return res, err
		}
		if lagDB == nil && cfg.part(PartLag) {
			lagDB = bdb
		} else {
			bdb.Close()
		}
	}
	if cfg.part(PartEmbed) {
		m, err := loadModel()
		if err != nil {
			return res, err
		}
		cfg.logf("timing USE-Lite query embeddings and calibrating the synthetic vectors…")
		er, err := measureQueryEmbedding(ctx, m, NewPlan(GenConfig{Seed: cfg.Seed, Messages: 100_000}))
		if err != nil {
			return res, err
		}
		res.Embedding = &er
		if err := res.write(cfg.Out); err != nil {
			return res, err
		}
	}
	if cfg.part(PartRelevance) {
		m, err := loadModel()
		if err != nil {
			return res, err
		}
		rr, err := runRelevance(ctx, &cfg, m)
		if err != nil {
			return res, fmt.Errorf("relevance: %w", err)
		}
		res.Relevance = &rr
		if err := res.write(cfg.Out); err != nil {
			return res, err
		}
	}
	if cfg.part(PartLag) && lagDB != nil {
		m, err := loadModel()
		if err != nil {
			return res, err
		}
		lr, err := runLag(ctx, &cfg, lagDB, m)
		if err != nil {
			return res, fmt.Errorf("ingest lag: %w", err)
		}
		res.Lag = &lr
		if err := res.write(cfg.Out); err != nil {
			return res, err
		}
	}
	if cfg.part(PartAnalytics) {
		ar, err := runAnalytics(ctx, &cfg)
		if err != nil {
			return res, fmt.Errorf("analytics: %w", err)
		}
		res.Analytics = &ar
	}
	res.Finished = time.Now().UTC()
	res.Machine.LoadAfter = loadAverage()
	return res, res.write(cfg.Out)
}

// runSize prepares the dataset of one size and measures it.
// Parts not run this time keep their results from prev (an earlier report).
func runSize(ctx context.Context, cfg *Config, size Size, prev SizeResult) (SizeResult, *benchDB, error) {
	plan := NewPlan(GenConfig{Seed: cfg.Seed, Messages: size.Messages})
	sig := datasetSignature{Generator: generatorVersion, Seed: cfg.Seed, Messages: plan.Messages, Orgs: len(plan.Orgs)}
	name := "ctxintel_bench_" + size.Name
	sr := SizeResult{Size: size.Name, Messages: size.Messages, Prewarm: prev.Prewarm, Latency: prev.Latency, Recall: prev.Recall, Experiment: prev.Experiment, KeywordLegs: prev.KeywordLegs, PlanCache: prev.PlanCache,
		MeasuredAt: prev.MeasuredAt, LoadAvg: prev.LoadAvg}
	exists, err := databaseExists(ctx, cfg.DatabaseURL, name)
	if err != nil {
		return sr, nil, err
	}
	var bdb *benchDB
	var stats LoadStats
	switch {
	case cfg.SkipLoad:
		if !exists {
			return sr, nil, fmt.Errorf("--skip-load: database %s does not exist; run without --skip-load first", name)
		}
		if bdb, err = openDatabase(ctx, cfg.DatabaseURL, name); err != nil {
			return sr, nil, err
		}
		if _, err := bdb.state(ctx, "load", &stats); err != nil {
			return sr, bdb, err
		}
		stats.Reused = true
	case cfg.Reuse && exists:
		if bdb, err = openDatabase(ctx, cfg.DatabaseURL, name); err != nil {
			return sr, nil, err
		}
		var have datasetSignature
		ok, err := bdb.state(ctx, "dataset", &have)
		if err != nil {
			return sr, bdb, err
		}
		if ok && have == sig {
			cfg.logf("%s: reusing the loaded dataset in %s", size.Name, name)
			if _, err := bdb.state(ctx, "load", &stats); err != nil {
				return sr, bdb, err
			}
			stats.Reused = true
			break
		}
		cfg.logf("%s: %s holds another dataset; reloading", size.Name, name)
		bdb.Close()
		bdb = nil
		fallthrough
	default:
		cfg.logf("%s: creating %s from %s", size.Name, name, cfg.Template)
		if bdb, err = createDatabase(ctx, cfg.DatabaseURL, name, cfg.Template); err != nil {
			return sr, nil, err
		}
		if stats, err = Load(ctx, bdb.db, plan, cfg.Progress, 2); err != nil {
			return sr, bdb, fmt.Errorf("load %s: %w", name, err)
		}
		if err := bdb.setState(ctx, "load", stats); err != nil {
			return sr, bdb, err
		}
		if err := bdb.setState(ctx, "dataset", sig); err != nil {
			return sr, bdb, err
		}
	}
	sr.Load = stats
	sr.Dataset, err = describeDataset(ctx, bdb, plan)
	if err != nil {
		return sr, bdb, err
	}
	if cfg.part(PartLatency) || cfg.part(PartRecall) {
		cfg.logf("%s: reading the search relations into shared buffers (pg_prewarm)…", size.Name)
		pw, err := prewarm(ctx, bdb)
		if err != nil {
			return sr, bdb, err
		}
		sr.Prewarm = &pw
	}
	if cfg.part(PartLatency) {
		if sr.Latency, err = runLatency(ctx, cfg, bdb, plan); err != nil {
			return sr, bdb, fmt.Errorf("latency: %w", err)
		}
	}
	if cfg.part(PartLegs) {
		if sr.KeywordLegs, err = runKeywordLegs(ctx, cfg, bdb, plan); err != nil {
			return sr, bdb, fmt.Errorf("keyword legs: %w", err)
		}
	}
	if cfg.part(PartPlans) {
		if sr.PlanCache, err = runPlanCacheExperiment(ctx, cfg, bdb, plan); err != nil {
			return sr, bdb, fmt.Errorf("plan cache experiment: %w", err)
		}
	}
	if cfg.part(PartLatency) && cfg.SuperuserURL != "" {
		if sr.Experiment, err = runLeakproofExperiment(ctx, cfg, bdb, plan); err != nil {
			return sr, bdb, fmt.Errorf("leakproof experiment: %w", err)
		}
	}
	if cfg.part(PartRecall) {
		if sr.Recall, err = runRecall(ctx, cfg, bdb, plan); err != nil {
			return sr, bdb, fmt.Errorf("recall: %w", err)
		}
	}
	return sr, bdb, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
