// Package jobs wires River: the client, its queues, and one thin worker per
// job kind that decodes the args and calls the domain package that owns the
// work. Job args live in those domain packages (they enqueue them), so
// nothing but cmd imports this package.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/tenancy"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Config tunes the workers.
type Config struct {
	// Workers is the number of jobs run at once on the default queue
	// (default 10); the projection queue gets half of it.
	Workers int
	// RetryPolicy overrides River's exponential back-off (tests use a
	// short one). Nil keeps River's default.
	RetryPolicy river.ClientRetryPolicy
	// FetchPollInterval overrides how often idle workers poll for jobs
	// (default River's 1 s; LISTEN/NOTIFY wakes them sooner anyway).
	FetchPollInterval time.Duration
}

// Deps are what the workers call into.
type Deps struct {
	DB          *warehouse.DB
	AuditEvents tenancy.EventWriter
	Ingest      *ingest.Service
	Search      *search.Service
	Analytics   *analytics.Projector
	// Topics clusters questions for knowledge gaps; nil disables the
	// daily clustering.
	Topics *analytics.Clusterer
	// ClickHouse, when set, is compacted nightly (analytics.Compact).
	ClickHouse warehouse.ClickHouse
	Logger     *slog.Logger
}

// NewClient builds a River client that runs every worker.
func NewClient(deps Deps, cfg Config) (*river.Client[pgx.Tx], error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 10
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &projectAuditWorker{deps: deps})
	river.AddWorker(workers, &processCaptureWorker{deps: deps})
	river.AddWorker(workers, &embedConversationWorker{deps: deps})
	river.AddWorker(workers, &linkCommitWorker{deps: deps})
	river.AddWorker(workers, &processWebhookWorker{deps: deps})
	river.AddWorker(workers, &projectLinkWorker{deps: deps})
	river.AddWorker(workers, &projectConversationWorker{deps: deps})
	river.AddWorker(workers, &projectCommitWorker{deps: deps})
	river.AddWorker(workers, &projectSearchWorker{deps: deps})
	river.AddWorker(workers, &linkConversationWorker{deps: deps})
	var periodic []*river.PeriodicJob
	if deps.Topics != nil {
		river.AddWorker(workers, &clusterTopicsWorker{deps: deps})
		river.AddWorker(workers, &clusterAllTopicsWorker{deps: deps})
		// Daily, and at start so that a new deployment has topics soon.
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return analytics.ClusterAllTopicsArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}))
	}
	if deps.ClickHouse != nil {
		river.AddWorker(workers, &compactWorker{deps: deps})
		// At night, not at start: merging a month is minutes of CPU the
		// starting service needs; and at a fixed hour, so that restarts
		// (which reset an interval) cannot keep putting it off.
		periodic = append(periodic, river.NewPeriodicJob(dailyAt{hour: 3},
			func() (river.JobArgs, *river.InsertOpts) { return analytics.CompactArgs{}, nil }, nil))
	}
	rc := &river.Config{
		PeriodicJobs: periodic,
		Logger:       deps.Logger,
		Workers:      workers,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: cfg.Workers},
			// Projection jobs mostly wait for a batch flush (group commit),
			// so many run at once.
			tenancy.QueueProjection: {MaxWorkers: 4 * cfg.Workers},
			ingest.QueueIngest:      {MaxWorkers: cfg.Workers},
			// Embedding is CPU-bound with the local model, which already
			// uses every core per batch.
			search.QueueEmbedding: {MaxWorkers: 2},
			ingest.QueueCorrelate: {MaxWorkers: max(1, cfg.Workers/2)},
		},
		RetryPolicy:       cfg.RetryPolicy,
		FetchPollInterval: cfg.FetchPollInterval,
	}
	if cfg.FetchPollInterval > 0 && cfg.FetchPollInterval < river.FetchCooldownDefault {
		rc.FetchCooldown = cfg.FetchPollInterval
	}
	client, err := river.NewClient(riverpgxv5.New(deps.DB.Pool()), rc)
	if err != nil {
		return nil, fmt.Errorf("create River client: %w", err)
	}
	return client, nil
}

// NewInsertClient builds a River client that only enqueues (CLI commands,
// web-only processes).
func NewInsertClient(db *warehouse.DB, log *slog.Logger) (*river.Client[pgx.Tx], error) {
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{Logger: log})
	if err != nil {
		return nil, fmt.Errorf("create River client: %w", err)
	}
	return client, nil
}

type projectAuditWorker struct {
	river.WorkerDefaults[tenancy.ProjectAuditArgs]
	deps Deps
}

func (w *projectAuditWorker) Work(ctx context.Context, job *river.Job[tenancy.ProjectAuditArgs]) error {
	return tenancy.ProjectAudit(ctx, w.deps.DB, w.deps.AuditEvents, job.Args)
}

type processCaptureWorker struct {
	river.WorkerDefaults[ingest.ProcessCaptureArgs]
	deps Deps
}

func (w *processCaptureWorker) Work(ctx context.Context, job *river.Job[ingest.ProcessCaptureArgs]) error {
	_, err := w.deps.Ingest.Process(ctx, job.Args)
	if err != nil && job.Attempt >= job.MaxAttempts {
		return errors.Join(err, w.deps.Ingest.FailCapture(ctx, job.Args, err))
	}
	return err
}

type embedConversationWorker struct {
	river.WorkerDefaults[search.EmbedConversationArgs]
	deps Deps
}

func (w *embedConversationWorker) Work(ctx context.Context, job *river.Job[search.EmbedConversationArgs]) error {
	if w.deps.Search == nil || w.deps.Search.Embedder == nil {
		return nil // semantic search is off in this deployment: nothing to do
	}
	_, err := w.deps.Search.EmbedConversation(ctx, job.Args)
	return err
}

type linkCommitWorker struct {
	river.WorkerDefaults[ingest.LinkCommitArgs]
	deps Deps
}

func (w *linkCommitWorker) Work(ctx context.Context, job *river.Job[ingest.LinkCommitArgs]) error {
	_, err := w.deps.Ingest.LinkCommit(ctx, job.Args)
	return err
}

type linkConversationWorker struct {
	river.WorkerDefaults[ingest.LinkConversationArgs]
	deps Deps
}

func (w *linkConversationWorker) Work(ctx context.Context, job *river.Job[ingest.LinkConversationArgs]) error {
	_, err := w.deps.Ingest.LinkConversation(ctx, job.Args)
	return err
}

type processWebhookWorker struct {
	river.WorkerDefaults[ingest.ProcessWebhookArgs]
	deps Deps
}

func (w *processWebhookWorker) Work(ctx context.Context, job *river.Job[ingest.ProcessWebhookArgs]) error {
	err := w.deps.Ingest.ProcessWebhook(ctx, job.Args)
	if err != nil && job.Attempt >= job.MaxAttempts {
		return errors.Join(err, w.deps.Ingest.FailWebhook(ctx, job.Args, err))
	}
	return err
}

type projectLinkWorker struct {
	river.WorkerDefaults[analytics.ProjectLinkArgs]
	deps Deps
}

func (w *projectLinkWorker) Work(ctx context.Context, job *river.Job[analytics.ProjectLinkArgs]) error {
	return w.deps.Analytics.ProjectLink(ctx, job.Args)
}

type projectConversationWorker struct {
	river.WorkerDefaults[analytics.ProjectConversationArgs]
	deps Deps
}

func (w *projectConversationWorker) Work(ctx context.Context, job *river.Job[analytics.ProjectConversationArgs]) error {
	return w.deps.Analytics.ProjectConversation(ctx, job.Args)
}

type projectCommitWorker struct {
	river.WorkerDefaults[analytics.ProjectCommitArgs]
	deps Deps
}

func (w *projectCommitWorker) Work(ctx context.Context, job *river.Job[analytics.ProjectCommitArgs]) error {
	return w.deps.Analytics.ProjectCommit(ctx, job.Args)
}

type projectSearchWorker struct {
	river.WorkerDefaults[analytics.ProjectSearchArgs]
	deps Deps
}

func (w *projectSearchWorker) Work(ctx context.Context, job *river.Job[analytics.ProjectSearchArgs]) error {
	return w.deps.Analytics.ProjectSearch(ctx, job.Args)
}

type clusterTopicsWorker struct {
	river.WorkerDefaults[analytics.ClusterTopicsArgs]
	deps Deps
}

// Timeout: clustering thousands of questions takes seconds to a minute,
// more than River's default minute on a busy machine.
func (w *clusterTopicsWorker) Timeout(*river.Job[analytics.ClusterTopicsArgs]) time.Duration {
	return 10 * time.Minute
}

func (w *clusterTopicsWorker) Work(ctx context.Context, job *river.Job[analytics.ClusterTopicsArgs]) error {
	run, err := w.deps.Topics.Cluster(ctx, job.Args.OrgID)
	if errors.Is(err, analytics.ErrNoEmbeddings) {
		return river.JobCancel(err)
	}
	if err == nil {
		w.deps.Logger.InfoContext(ctx, "topics clustered", slog.String("org_id", job.Args.OrgID.String()),
			slog.Int("questions", int(run.Questions)), slog.Int("topics", int(run.Topics)))
	}
	return err
}

type clusterAllTopicsWorker struct {
	river.WorkerDefaults[analytics.ClusterAllTopicsArgs]
	deps Deps
}

func (w *clusterAllTopicsWorker) Work(ctx context.Context, job *river.Job[analytics.ClusterAllTopicsArgs]) error {
	orgs, err := w.deps.Topics.Organizations(ctx)
	if err != nil {
		return err
	}
	client := river.ClientFromContext[pgx.Tx](ctx)
	params := make([]river.InsertManyParams, len(orgs))
	for i, org := range orgs {
		params[i] = river.InsertManyParams{Args: analytics.ClusterTopicsArgs{OrgID: org}}
	}
	if len(params) == 0 {
		return nil
	}
	_, err = client.InsertMany(ctx, params)
	return err
}

type compactWorker struct {
	river.WorkerDefaults[analytics.CompactArgs]
	deps Deps
}

// Timeout: merging a month of a large organization's events takes minutes.
func (w *compactWorker) Timeout(*river.Job[analytics.CompactArgs]) time.Duration { return time.Hour }

func (w *compactWorker) Work(ctx context.Context, job *river.Job[analytics.CompactArgs]) error {
	merged, err := analytics.Compact(ctx, w.deps.ClickHouse, time.Now())
	for _, p := range merged {
		w.deps.Logger.InfoContext(ctx, "analytics partition compacted", slog.String("table", p.Table),
			slog.String("partition", p.ID), slog.Int("parts", int(p.Parts)))
	}
	return err
}

// dailyAt is a River schedule: every day at hour:00 UTC.
type dailyAt struct{ hour int }

func (d dailyAt) Next(current time.Time) time.Time {
	t := current.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), d.hour, 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}
