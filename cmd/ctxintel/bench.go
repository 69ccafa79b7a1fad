package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/bench"
	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/jobs"
	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
)

func newBenchCmd(cfg *Config) *cobra.Command {
	var size, out, parts, superuser string
	var reuse, skipLoad bool
	var seed uint64
	var budget time.Duration
	var queries, analyticsEvents int
	var analyticsDir string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark search at 100k and 1M messages and analytics at 10M events, and write BENCHMARKS.md",
		Long: `Generate realistic synthetic organizations and conversations (deterministic for
--seed), bulk-load them into dedicated databases on the server of --database-url
(ctxintel_bench_100k, ctxintel_bench_1m, created from ctxintel_template; the
service's own database is never touched), and measure:

  latency     org-scoped search p50/p95/p99, keyword, semantic and hybrid, at
              concurrency 1 and 8, for the largest and a small org
  legs        the keyword leg of hybrid search alone: all, any or any two words
  plans       keyword, semantic and hybrid search with custom plans only (plan_cache_mode)
  recall      HNSW recall@10 against exact search (largest and a mid-size org)
  embed       USE-Lite query embedding time; synthetic vs real vector statistics
  relevance   nDCG@10 and recall@10 of the three modes on a hand-judged corpus
              embedded with the real USE-Lite model (ctxintel_bench_eval)
  lag         ingest-to-searchable lag through the real River workers
  analytics   10M ClickHouse events of skewed orgs (ctxintel_bench_analytics and
              a chDB directory of its own, --analytics-dir); every dashboard
              metric of the largest org over 30 and 90 days, cold and warm; the
              projection's lag behind ingest

Loading 1M messages takes long (index builds included): keep the databases with
--reuse, and a second run skips loading. The report keeps the numbers of sizes not
run this time, so "--size 1m" adds to an existing 100k report.`,
		Example: `  ctxintel bench --size 100k --out BENCHMARKS.md
  ctxintel bench --size all --reuse --out BENCHMARKS.md
  ctxintel bench --size 1m --skip-load --parts latency,recall
  ctxintel bench --parts analytics --reuse --analytics-events 10000000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.validateStores(); err != nil {
				return err
			}
			sizes, err := bench.ParseSizes(size)
			if err != nil {
				return fmt.Errorf("--size: %w", err)
			}
			var ps []string
			if parts != "" && parts != "all" {
				for _, p := range strings.Split(parts, ",") {
					p = strings.TrimSpace(p)
					known := p == bench.PartLoad
					for _, k := range bench.AllParts {
						known = known || k == p
					}
					if !known {
						return fmt.Errorf("--parts: unknown part %q; want some of %s", p, strings.Join(bench.AllParts, ","))
					}
					ps = append(ps, p)
				}
			}
			log := cfg.logger()
			res, err := bench.Run(cmd.Context(), bench.Config{
				DatabaseURL: cfg.DatabaseURL, Sizes: sizes, Reuse: reuse, SkipLoad: skipLoad, Parts: ps, Seed: seed,
				ModelDir: cfg.Embedding.ModelDir, Out: out, Progress: cmd.ErrOrStderr(), Logger: log,
				Budget: budget, Queries: queries, SuperuserURL: superuser,
				AnalyticsEvents: analyticsEvents, AnalyticsDir: analyticsDir, ChdbLib: cfg.ChdbLibPath,
				AnalyticsWorkers: func(db *warehouse.DB, ing *ingest.Service, p *analytics.Projector) (bench.Workers, error) {
					// The service's workers, projecting into the benchmark's
					// ClickHouse; no embedding model (semantic search is off).
					client, err := jobs.NewClient(jobs.Deps{DB: db, AuditEvents: discardEvents{}, Ingest: ing,
						Search: &search.Service{DB: db, Logger: log}, Analytics: p, Logger: log},
						jobs.Config{Workers: cfg.Workers})
					if err != nil {
						return nil, err
					}
					ing.Jobs = client
					return client, nil
				},
				Workers: func(db *warehouse.DB, ing *ingest.Service, s *search.Service) (bench.Workers, error) {
					// Projections read Postgres as in production; their rows
					// are dropped (the benchmark has no ClickHouse).
					projector := &analytics.Projector{DB: db, Writers: analytics.Writers{Conversations: discardEvents{}, Messages: discardEvents{},
						Commits: discardEvents{}, Searches: discardEvents{}, Links: discardEvents{}}}
					client, err := jobs.NewClient(jobs.Deps{DB: db, AuditEvents: discardEvents{}, Ingest: ing,
						Search: s, Analytics: projector, Logger: log},
						jobs.Config{Workers: cfg.Workers, FetchPollInterval: 50 * time.Millisecond})
					if err != nil {
						return nil, err
					}
					ing.Jobs = client
					return client, nil
				},
			})
			if err != nil {
				return err
			}
			if out != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d sizes)\n", out, len(res.Sizes))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&size, "size", "all", "dataset sizes: 100k, 1m or all")
	f.StringVar(&out, "out", "BENCHMARKS.md", "report file (rewritten after every step)")
	f.BoolVar(&reuse, "reuse", false, "keep a benchmark database already loaded with the same dataset instead of reloading it")
	f.BoolVar(&skipLoad, "skip-load", false, "use the benchmark databases as they are, without loading (they must exist)")
	f.StringVar(&parts, "parts", "all", "what to measure: all, or some of "+strings.Join(bench.AllParts, ",")+" (load: only load the datasets)")
	f.Uint64Var(&seed, "seed", 42, "seed of the synthetic dataset")
	f.DurationVar(&budget, "cell-budget", 60*time.Second, "longest time spent on one latency cell (mode × org × concurrency)")
	f.IntVar(&queries, "queries", 200, "searches per latency cell, when the budget allows")
	f.IntVar(&analyticsEvents, "analytics-events", bench.DefaultAnalyticsEvents, "rows of ClickHouse events the analytics part generates")
	f.StringVar(&analyticsDir, "analytics-dir", filepath.Join(".bench", "analytics-chdb"), "chDB data directory of the analytics part (its own: emptied when the dataset is reloaded)")
	f.StringVar(&superuser, "superuser-url", "", "a superuser's Postgres URL: also measure keyword and hybrid search with their operators' functions marked LEAKPROOF (in the benchmark database only, reverted afterwards)")
	return cmd
}

// discardEvents drops ClickHouse rows (audit, links, analytics): the
// benchmark databases have no ClickHouse.
type discardEvents struct{}

func (discardEvents) Write(context.Context, ...[]any) error { return nil }
