package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/jobs"
	"github.com/context-intelligence/ctxintel/tenancy"
	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

// quickRetry retries after 100 ms so tests watch retries happen.
type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(100 * time.Millisecond)
}

type bundle struct {
	db     *warehouse.DB
	ch     warehouse.ClickHouse
	client *river.Client[pgx.Tx]
	svc    *tenancy.Service
	events <-chan *river.Event
}

// setup starts a real River client writing audit events to table. Tests in
// this package share one database, and a running client would take other
// tests' jobs, so they run one at a time.
func setup(t *testing.T, table string) bundle {
	t.Helper()
	db := warehousetest.Postgres(t)
	ch := warehousetest.ClickHouse(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	writer := warehouse.NewBatchWriter(ch, table, tenancy.AuditEventColumns, warehouse.BatchOptions{FlushInterval: 20 * time.Millisecond, Logger: log})
	client, err := jobs.NewClient(jobs.Deps{DB: db, AuditEvents: writer, Logger: log},
		jobs.Config{Workers: 2, RetryPolicy: quickRetry{}, FetchPollInterval: 50 * time.Millisecond})
	require.NoError(t, err)
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	ctx := context.Background()
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		cancel()
		stopCtx, done := context.WithTimeout(ctx, 10*time.Second)
		defer done()
		require.NoError(t, client.Stop(stopCtx))
		require.NoError(t, writer.Close(stopCtx))
	})
	return bundle{db: db, ch: ch, client: client, svc: &tenancy.Service{DB: db, Jobs: client}, events: events}
}

func (b bundle) createOrg(t *testing.T) warehouse.Organization {
	t.Helper()
	slug := "j-" + uuid.NewString()[:8]
	org, _, err := b.svc.CreateOrg(context.Background(), tenancy.SystemActor, tenancy.NewOrg{Slug: slug, Name: slug, AdminEmail: "a@" + slug + ".example"})
	require.NoError(t, err)
	return org
}

// waitFor returns the next event for a job of org in one of the wanted states.
func waitFor(t *testing.T, events <-chan *river.Event, orgID uuid.UUID, states ...rivertype.JobState) *river.Event {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev := <-events:
			if !strings.Contains(string(ev.Job.EncodedArgs), orgID.String()) {
				continue
			}
			for _, s := range states {
				if ev.Job.State == s {
					return ev
				}
			}
		case <-timeout:
			t.Fatalf("no job event in states %v for org %s", states, orgID)
		}
	}
}

type auditRow struct {
	Action string `ch:"action"`
	Target string `ch:"target"`
	N      uint64 `ch:"n"`
}

func countAudit(t *testing.T, ch warehouse.ClickHouse, table string, orgID uuid.UUID) []auditRow {
	t.Helper()
	var rows []auditRow
	require.NoError(t, ch.Select(context.Background(), &rows,
		fmt.Sprintf(`select action, target, count() as n from %s final where org_id = ? group by action, target`, table), orgID))
	return rows
}

func TestProjectAudit(t *testing.T) {
	b := setup(t, "audit_events")
	org := b.createOrg(t)

	ev := waitFor(t, b.events, org.ID, rivertype.JobStateCompleted)
	require.Equal(t, "audit.project", ev.Job.Kind)
	rows := countAudit(t, b.ch, "audit_events", org.ID)
	require.Equal(t, []auditRow{{Action: "org.created", Target: "organization:" + org.ID.String(), N: 1}}, rows)

	// A replayed job (same audit entry) does not count twice.
	var args tenancy.ProjectAuditArgs
	require.NoError(t, b.db.Pool().QueryRow(context.Background(),
		`select (args->>'audit_id')::uuid, (args->>'org_id')::uuid from river_job where id = $1`, ev.Job.ID).Scan(&args.AuditID, &args.OrgID))
	_, err := b.client.Insert(context.Background(), args, nil)
	require.NoError(t, err)
	waitFor(t, b.events, org.ID, rivertype.JobStateCompleted)
	require.Equal(t, uint64(1), countAudit(t, b.ch, "audit_events", org.ID)[0].N)
}

// TestProjectAuditRetries: while ClickHouse refuses the write, the job fails
// and is retried with its error recorded; once ClickHouse accepts, it
// completes and the event is there once.
func TestProjectAuditRetries(t *testing.T) {
	table := "audit_events_retry_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	b := setup(t, table)
	ctx := context.Background()
	org := b.createOrg(t)

	// A failed attempt is retryable, or available at once when its retry
	// is imminent (River's shortcut for short back-offs).
	failed := waitFor(t, b.events, org.ID, rivertype.JobStateRetryable, rivertype.JobStateAvailable)
	require.NotEmpty(t, failed.Job.Errors)
	require.Contains(t, failed.Job.Errors[0].Error, table)

	require.NoError(t, b.ch.Exec(ctx, fmt.Sprintf(`create table %s as audit_events`, table)))
	done := waitFor(t, b.events, org.ID, rivertype.JobStateCompleted)
	require.GreaterOrEqual(t, done.Job.Attempt, 2)
	require.Equal(t, uint64(1), countAudit(t, b.ch, table, org.ID)[0].N)
}

// TestDeadLetter: a job that uses up its attempts is kept as discarded, with
// every attempt's error, where `ctxintel admin jobs` lists it.
func TestDeadLetter(t *testing.T) {
	b := setup(t, "audit_events")
	ctx := context.Background()
	orgID := uuid.New() // no such org: the audit entry cannot be found
	_, err := b.client.Insert(ctx, tenancy.ProjectAuditArgs{OrgID: orgID, AuditID: uuid.New()}, &river.InsertOpts{MaxAttempts: 2})
	require.NoError(t, err)

	ev := waitFor(t, b.events, orgID, rivertype.JobStateDiscarded)
	require.Len(t, ev.Job.Errors, 2)
	require.Contains(t, ev.Job.Errors[1].Error, "not found")

	res, err := b.client.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateDiscarded).Kinds("audit.project"))
	require.NoError(t, err)
	var found bool
	for _, j := range res.Jobs {
		found = found || j.ID == ev.Job.ID
	}
	require.True(t, found, "discarded job is listed")
}

// TestTransactionalEnqueue: a job inserted in a transaction that rolls back
// never exists; one in a committed transaction runs.
func TestTransactionalEnqueue(t *testing.T) {
	b := setup(t, "audit_events")
	ctx := context.Background()
	org := b.createOrg(t)
	waitFor(t, b.events, org.ID, rivertype.JobStateCompleted)

	err := b.db.InOrg(ctx, org.ID, func(tx pgx.Tx) error {
		require.NoError(t, b.svc.Record(ctx, tx, org.ID, tenancy.SystemActor, "test.rolled_back", "x", "1", nil))
		return fmt.Errorf("abort")
	})
	require.EqualError(t, err, "abort")
	require.NoError(t, b.db.InOrg(ctx, org.ID, func(tx pgx.Tx) error {
		return b.svc.Record(ctx, tx, org.ID, tenancy.SystemActor, "test.committed", "x", "2", nil)
	}))
	waitFor(t, b.events, org.ID, rivertype.JobStateCompleted)
	var n int
	require.NoError(t, b.db.Pool().QueryRow(ctx, `select count(*) from river_job where args->>'org_id' = $1`, org.ID.String()).Scan(&n))
	require.Equal(t, 2, n, "org.created and test.committed; the rolled-back one was never enqueued")

	actions := map[string]uint64{}
	for _, r := range countAudit(t, b.ch, "audit_events", org.ID) {
		actions[r.Action] = r.N
	}
	require.Equal(t, map[string]uint64{"org.created": 1, "test.committed": 1}, actions)
}
