package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/demo"
	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/jobs"
	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/tenancy"
	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/web"
)

func newServeCmd(cfg *Config) *cobra.Command {
	var seedDemo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP service and the job workers in one process",
		Long: `Run the HTTP API (and, later, the web pages) on --listen together with the
River job workers. Stops gracefully on SIGINT/SIGTERM: in-flight requests and
jobs get --shutdown-timeout to finish.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.validateServe(cfg.Listen, setting{"listen", "CTXINTEL_LISTEN"}); err != nil {
				return err
			}
			return runProcess(cmd.Context(), cfg, cfg.Listen, true, seedDemo)
		},
	}
	cmd.Flags().BoolVar(&seedDemo, "seed-demo", false, "create the demo organization when the database has none, and print its admin API key")
	return cmd
}

func newWorkerCmd(cfg *Config) *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run only the job workers (scale out by running several)",
		Long: `Run the River job workers without the API. /healthz, /readyz and /metrics are
served on --worker-listen for orchestrators and Prometheus.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.validateServe(cfg.WorkerListen, setting{"worker-listen", "CTXINTEL_WORKER_LISTEN"}); err != nil {
				return err
			}
			return runProcess(cmd.Context(), cfg, cfg.WorkerListen, false, false)
		},
	}
}

// runProcess runs workers and an HTTP server (the full API when api is
// true, else health and metrics only) until ctx is cancelled, then drains
// both within the shutdown timeout.
func runProcess(ctx context.Context, cfg *Config, listen string, api, seedDemo bool) error {
	s, err := openStores(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer s.Close()
	log := s.log
	if err := s.requireMigrated(ctx); err != nil {
		return err
	}

	redactor, err := redact.New()
	if err != nil {
		return fmt.Errorf("load secret-redaction rules: %w", err)
	}
	auditEvents := warehouse.NewBatchWriter(s.ch, "audit_events", tenancy.AuditEventColumns, warehouse.BatchOptions{Logger: log})
	forges, err := newForges(cfg)
	if err != nil {
		return err
	}
	serverKey, err := tenancy.LoadServerKey(cfg.SecretKey, cfg.DataDir)
	if err != nil {
		return fmt.Errorf("config: CTXINTEL_SECRET_KEY: %w", err)
	}
	ing := &ingest.Service{DB: s.db, Redactor: redactor, Logger: log, Forges: forges,
		Limits: ingest.Limits{MaxUploadBytes: cfg.MaxUploadBytes, MaxLineBytes: cfg.MaxLineBytes}}
	embedder, err := newEmbedder(cfg, log)
	if err != nil {
		return err
	}
	searcher := &search.Service{DB: s.db, Embedder: embedder, Logger: log, Redact: func(q string) string { out, _ := redactor.Redact(q); return out }}
	if err := searcher.EnsureIndex(ctx); err != nil {
		return err
	}
	events := analytics.NewBatchWriters(s.ch, warehouse.BatchOptions{Logger: log})
	// Topics are clustered on embeddings: none without an embedder.
	var clusterer *analytics.Clusterer
	if embedder != nil {
		clusterer = &analytics.Clusterer{DB: s.db, CH: s.ch, Model: embedder.Model()}
	}
	client, err := jobs.NewClient(jobs.Deps{DB: s.db, AuditEvents: auditEvents, Ingest: ing, Search: searcher,
		Analytics: &analytics.Projector{DB: s.db, Writers: events.Writers}, Topics: clusterer, ClickHouse: s.ch, Logger: log},
		jobs.Config{Workers: cfg.Workers})
	if err != nil {
		return err
	}
	ing.Jobs = client
	searcher.Jobs = client
	svc := &tenancy.Service{DB: s.db, Jobs: client}

	if seedDemo {
		if err := seedDemoIfEmpty(ctx, svc, ing, client, clusterer != nil, log); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	checks := []web.Check{
		{Name: "postgres", Ping: s.db.Ping},
		{Name: "clickhouse", Ping: s.ch.Ping},
		{Name: "river", Ping: riverCheck(s.db, client)},
	}
	var handler http.Handler
	if api {
		prices, err := analytics.LoadPriceTable(cfg.PriceTable)
		if err != nil {
			return fmt.Errorf("config: %s: %w", setting{"price-table", "CTXINTEL_PRICE_TABLE"}, err)
		}
		handler = web.NewHandler(web.Deps{Logger: log, Auth: svc, Checks: checks, Registry: reg, Version: version,
			Ingest: ing, Search: searcher, Commits: ing, Webhooks: ing, Orgs: svc, MaxUploadBytes: cfg.MaxUploadBytes,
			Metrics: &analytics.Metrics{DB: s.db, CH: s.ch, Prices: prices},
			WebhookSecret: func(orgID uuid.UUID, provider string) string {
				return tenancy.WebhookSecret(serverKey, orgID, provider)
			}})
	} else {
		handler = web.NewOpsHandler(web.Deps{Logger: log, Checks: checks, Registry: reg, Version: version})
	}

	if err := client.Start(ctx); err != nil {
		return fmt.Errorf("start workers: %w", err)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.InfoContext(ctx, "ready", slog.String("listen", ln.Addr().String()), slog.Bool("api", api),
		slog.String("clickhouse", s.ch.Engine()), slog.String("version", version))

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
	}
	log.Info("shutting down", slog.Duration("timeout", cfg.ShutdownTimeout))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Error("http shutdown", slog.Any("error", err))
	}
	// Stop lets running jobs finish; past the deadline they are cancelled
	// and River retries them later.
	if err := client.Stop(shutdownCtx); err != nil {
		log.Warn("jobs did not finish in time; cancelling them", slog.Any("error", err))
		if err := client.StopAndCancel(context.Background()); err != nil {
			log.Error("cancel jobs", slog.Any("error", err))
		}
	}
	if err := auditEvents.Close(shutdownCtx); err != nil {
		log.Error("flush audit events", slog.Any("error", err))
	}
	if err := events.Close(shutdownCtx); err != nil {
		log.Error("flush analytics events", slog.Any("error", err))
	}
	log.Info("stopped")
	return nil
}

// riverCheck is ready when River's tables answer and the client runs.
func riverCheck(db *warehouse.DB, client *river.Client[pgx.Tx]) func(context.Context) error {
	return func(ctx context.Context) error {
		select {
		case <-client.Stopped():
			return errors.New("job client stopped")
		default:
		}
		var n int
		if err := db.Pool().QueryRow(ctx, "select count(*) from river_queue").Scan(&n); err != nil {
			return fmt.Errorf("river tables: %w", err)
		}
		return nil
	}
}

func seedDemoIfEmpty(ctx context.Context, svc *tenancy.Service, ing *ingest.Service, client *river.Client[pgx.Tx], topics bool, log *slog.Logger) error {
	res, err := demo.SeedIfEmpty(ctx, svc, ing)
	if err != nil {
		return fmt.Errorf("seed demo organization: %w", err)
	}
	if res == nil {
		return nil
	}
	log.Info("seeded demo organization", slog.String("org", res.Org.Slug), slog.String("admin", res.Admin.Email))
	// Its knowledge-gap topics once the embedding jobs have had time to
	// embed its questions (the daily clustering would come a day later).
	if topics {
		_, err = client.Insert(ctx, analytics.ClusterTopicsArgs{OrgID: res.Org.ID}, &river.InsertOpts{ScheduledAt: time.Now().Add(3 * time.Minute)})
		if err != nil {
			return fmt.Errorf("schedule the demo organization's topics: %w", err)
		}
	}
	fmt.Printf(`
  Demo organization %q created.
    admin:   %s
    API key: %s   (shown once; try: curl -H "Authorization: Bearer %s" http://localhost:8080/api/v1/me)

`, res.Org.Slug, res.Admin.Email, res.AdminKey, res.AdminKey)
	return nil
}

// newEmbedder builds the configured embedding provider; nil (and no
// error) when semantic search is off (provider none).
func newEmbedder(cfg *Config, log *slog.Logger) (search.Embedder, error) {
	switch cfg.Embedding.Provider {
	case "none":
		return nil, nil
	case "openai":
		return search.NewOpenAIEmbedder(search.OpenAIConfig{
			BaseURL: cfg.Embedding.BaseURL, Model: cfg.Embedding.Model, Dimensions: cfg.Embedding.Dimensions,
			APIKey: cfg.Embedding.APIKey, Azure: cfg.Embedding.Azure, Logger: log,
		})
	default:
		m, err := search.LoadUSELite(cfg.Embedding.ModelDir)
		if err != nil {
			return nil, fmt.Errorf("load the local embedding model (%s): %w", setting{"model-dir", "CTXINTEL_MODEL_DIR"}, err)
		}
		return m, nil
	}
}

// newForges builds the REST clients that are configured.
func newForges(cfg *Config) (ingest.Forges, error) {
	var f ingest.Forges
	switch {
	case cfg.Forges.GitHubAppID != 0:
		pem, err := os.ReadFile(cfg.Forges.GitHubAppKeyFile)
		if err != nil {
			return f, fmt.Errorf("config: %s: %w", setting{"github-app-key-file", "CTXINTEL_GITHUB_APP_KEY_FILE"}, err)
		}
		app := &ingest.GitHubApp{AppID: cfg.Forges.GitHubAppID, PrivateKeyPEM: pem, BaseURL: cfg.Forges.GitHubAPIURL}
		f.GitHub = &ingest.GitHubClient{BaseURL: cfg.Forges.GitHubAPIURL, App: app, Token: cfg.Forges.GitHubToken}
	case cfg.Forges.GitHubToken != "":
		f.GitHub = &ingest.GitHubClient{BaseURL: cfg.Forges.GitHubAPIURL, Token: cfg.Forges.GitHubToken}
	}
	if cfg.Forges.GitLabToken != "" {
		f.GitLab = &ingest.GitLabClient{BaseURL: cfg.Forges.GitLabURL, Token: cfg.Forges.GitLabToken}
	}
	return f, nil
}
