package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/ingest/transcript"
	"github.com/context-intelligence/ctxintel/migrations"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// ProjectionLag is how far the analytics projection trails ingest:
// captures stored through ingest.Service.Store, processed and projected
// by the real River workers into ClickHouse through the production
// BatchWriters. Times in seconds.
type ProjectionLag struct {
	Database   string  `json:"database"` // the Postgres database of its org
	Captures   int     `json:"captures"`
	Messages   int     `json:"messages"`
	IntervalMS float64 `json:"interval_ms"` // between two captures
	Workers    string  `json:"workers"`
	Writers    string  `json:"writers"` // the BatchWriter options
	// From Store returning: until the capture was processed in Postgres,
	// and until its conversation row and every message row were inserted
	// in ClickHouse (visible to the next query).
	ProcessedP50 float64 `json:"processed_p50"`
	ProcessedP95 float64 `json:"processed_p95"`
	VisibleP50   float64 `json:"visible_p50"`
	VisibleP95   float64 `json:"visible_p95"`
	VisibleMax   float64 `json:"visible_max"`
	// From processed to visible: the projection's own lag, overall and
	// for the first and last third of the captures (a growing lag means
	// the projection falls behind).
	ProjectP50 float64 `json:"project_p50"`
	ProjectP95 float64 `json:"project_p95"`
	ProjectMax float64 `json:"project_max"`
	EarlyP50   float64 `json:"early_p50"`
	LateP50    float64 `json:"late_p50"`
	Incomplete int     `json:"incomplete"` // not fully in ClickHouse when the wait ended
	// OfferedPerSec is the messages per second the captures brought.
	OfferedPerSec float64 `json:"offered_per_sec"`
	// WriterRowsPerSec is one message BatchWriter's throughput (production
	// options) with WriterClients writers of 40-row conversations at once.
	WriterRows       int     `json:"writer_rows"`
	WriterClients    int     `json:"writer_clients"`
	WriterRowsPerSec float64 `json:"writer_rows_per_sec"`
}

const (
	projCaptures = 120
	projInterval = 250 * time.Millisecond
	projDatabase = "bench_projection" // ClickHouse database of the lag run, dropped afterwards
)

// runProjectionLag measures the projection in a ClickHouse database of its
// own (the loaded dataset stays as it is) for a new org of the Postgres
// benchmark database, deleted afterwards.
func runProjectionLag(ctx context.Context, cfg *Config, ch warehouse.ClickHouse, db *warehouse.DB, database string) (ProjectionLag, error) {
	r := ProjectionLag{Captures: projCaptures, IntervalMS: float64(projInterval.Milliseconds()), Database: database}
	for _, q := range []string{"DROP DATABASE IF EXISTS " + projDatabase, "CREATE DATABASE " + projDatabase, "USE " + projDatabase} {
		if err := ch.Exec(ctx, q); err != nil {
			return r, err
		}
	}
	defer func() {
		bg := context.WithoutCancel(ctx)
		_ = ch.Exec(bg, "USE default")
		_ = ch.Exec(bg, "DROP DATABASE IF EXISTS "+projDatabase)
	}()
	if err := warehouse.MigrateClickHouse(ctx, ch, migrations.ClickHouse, "up", 0); err != nil {
		return r, err
	}

	now := time.Now()
	org := warehouse.BulkOrganization{ID: uuid.New(), Slug: fmt.Sprintf("bench-projection-%d", now.Unix()), Name: "Projection lag", Plan: "enterprise"}
	user := warehouse.BulkUser{ID: uuid.New(), Email: fmt.Sprintf("dev@%s.example", org.Slug), Name: "Lag Tester"}
	err := db.AsSystem(ctx, func(tx pgx.Tx) error {
		if err := warehouse.BulkInsertOrganizations(ctx, tx, []warehouse.BulkOrganization{org}); err != nil {
			return err
		}
		if err := warehouse.BulkInsertUsers(ctx, tx, []warehouse.BulkUser{user}); err != nil {
			return err
		}
		return warehouse.BulkInsertMemberships(ctx, tx, []warehouse.BulkMembership{{OrgID: org.ID, UserID: user.ID, Role: warehouse.RoleDeveloper}})
	})
	if err != nil {
		return r, err
	}
	defer func() {
		bg := context.WithoutCancel(ctx)
		_ = db.AsSystem(bg, func(tx pgx.Tx) error {
			_, err := tx.Exec(bg, `delete from organizations where id = $1`, org.ID)
			return err
		})
	}()

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := warehouse.BatchOptions{Logger: quiet} // the service's: 1000 rows or 1 s
	writers := analytics.NewBatchWriters(ch, opts)
	seen := &visibility{convs: map[uuid.UUID]*seenConv{}}
	proj := &analytics.Projector{DB: db, Writers: analytics.Writers{
		Conversations: recordingWriter{writers.Conversations, seen, true}, Messages: recordingWriter{writers.Messages, seen, false},
		Commits: writers.Commits, Searches: writers.Searches, Links: writers.Links}}
	red, err := redact.New()
	if err != nil {
		return r, err
	}
	ing := &ingest.Service{DB: db, Redactor: red, Logger: quiet}
	workers, err := cfg.AnalyticsWorkers(db, ing, proj)
	if err != nil {
		return r, err
	}
	r.Workers = "River with the service's workers and queues (jobs.NewClient): ingest queue processes, projection queue projects"
	r.Writers = "analytics.NewBatchWriters with the service's options: a flush at 1000 rows or 1 s after a batch's first row"
	if err := workers.Start(ctx); err != nil {
		return r, fmt.Errorf("start workers: %w", err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		bg, done := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer done()
		_ = workers.Stop(bg)
		_ = writers.Close(bg)
	}
	defer stop()

	// The captures: conversations of the search generator in Claude
	// Code's format, stamped now.
	p := NewPlan(GenConfig{Seed: cfg.Seed + 2000, Messages: 8000, Orgs: 1})
	stored := map[string]time.Time{} // by session
	var sessions []string
	cfg.logf("analytics: projection lag: %d captures, one every %s, real workers, ClickHouse batch writers…", projCaptures, projInterval)
	start := time.Now()
	for i := range projCaptures {
		if wait := time.Until(start.Add(time.Duration(i) * projInterval)); wait > 0 {
			time.Sleep(wait)
		}
		c := p.Conversation(&p.Orgs[0], i)
		session := uuid.NewString()
		_, err := ing.Store(ctx, ingest.Upload{OrgID: org.ID, UserID: user.ID, Format: transcript.FormatClaudeCodeJSONL,
			Name: "~/.claude/projects/-home-dev-src-shop-api/" + session + ".jsonl", Data: claudeCodeJSONL(c, session, time.Now())})
		if err != nil {
			return r, err
		}
		stored[session] = time.Now()
		sessions = append(sessions, session)
		r.Messages += len(c.Messages)
	}
	r.OfferedPerSec = float64(r.Messages) / time.Since(start).Seconds()

	// Wait until every conversation is in ClickHouse (or two minutes).
	type outcome struct {
		processed, visible time.Duration
		ok                 bool
	}
	var outcomes map[string]outcome
	deadline := time.Now().Add(2 * time.Minute)
	for {
		convs, err := projectedConversations(ctx, db, org.ID)
		if err != nil {
			return r, err
		}
		outcomes = map[string]outcome{}
		done := 0
		for _, c := range convs {
			at, ok := stored[c.session]
			if !ok {
				continue
			}
			o := outcome{processed: c.processed.Sub(at)}
			if visible, ok := seen.visibleAt(c.id, c.messages); ok {
				o.visible, o.ok = visible.Sub(at), true
				done++
			}
			outcomes[c.session] = o
		}
		if done == len(sessions) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	var processed, visible, project []float64
	var early, late []float64
	for i, s := range sessions {
		o, ok := outcomes[s]
		if !ok || !o.ok {
			r.Incomplete++
			continue
		}
		processed = append(processed, o.processed.Seconds())
		visible = append(visible, o.visible.Seconds())
		lag := (o.visible - o.processed).Seconds()
		project = append(project, lag)
		switch {
		case i < len(sessions)/3:
			early = append(early, lag)
		case i >= len(sessions)*2/3:
			late = append(late, lag)
		}
	}
	pc, vi, pr := percentilesOf(processed), percentilesOf(visible), percentilesOf(project)
	r.ProcessedP50, r.ProcessedP95 = pc.P50, pc.P95
	r.VisibleP50, r.VisibleP95, r.VisibleMax = vi.P50, vi.P95, vi.Max
	r.ProjectP50, r.ProjectP95, r.ProjectMax = pr.P50, pr.P95, pr.Max
	r.EarlyP50, r.LateP50 = percentilesOf(early).P50, percentilesOf(late).P50

	// Every message really is in ClickHouse, once merged.
	var rows []struct {
		N uint64 `ch:"n"`
	}
	if err := ch.Select(ctx, &rows, `SELECT count() AS n FROM message_events FINAL WHERE org_id = ?`, org.ID); err != nil {
		return r, err
	}
	if int(rows[0].N) != r.Messages {
		cfg.logf("  ClickHouse holds %d of the %d messages", rows[0].N, r.Messages)
	}
	cfg.logf("  processed p50 %.2f s; in ClickHouse p50 %.2f s p95 %.2f s after Store; projection p50 %.2f s (first third %.2f s, last third %.2f s); %d incomplete",
		r.ProcessedP50, r.VisibleP50, r.VisibleP95, r.ProjectP50, r.EarlyP50, r.LateP50, r.Incomplete)
	stop()

	// The writer alone: how many message rows per second one BatchWriter
	// stores when many jobs write at once.
	r.WriterClients, r.WriterRows = 64, 400_000
	r.WriterRowsPerSec, err = writerThroughput(ctx, ch, opts, r.WriterClients, r.WriterRows)
	if err != nil {
		return r, err
	}
	cfg.logf("  one message BatchWriter: %.0f rows/s with %d concurrent writers", r.WriterRowsPerSec, r.WriterClients)
	return r, nil
}

// projectedConv is a conversation of the lag org in Postgres.
type projectedConv struct {
	id        uuid.UUID
	session   string
	messages  int
	processed time.Time
}

func projectedConversations(ctx context.Context, db *warehouse.DB, orgID uuid.UUID) ([]projectedConv, error) {
	var out []projectedConv
	err := db.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select c.id, c.external_id, (select count(*) from messages m where m.org_id = c.org_id and m.conversation_id = c.id),
				(select max(r.processed_at) from raw_captures r where r.org_id = c.org_id and r.status = 'processed'
					and r.source_name like '%' || c.external_id || '.jsonl')
			from conversations c where c.org_id = $1`, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c projectedConv
			var at *time.Time
			if err := rows.Scan(&c.id, &c.session, &c.messages, &at); err != nil {
				return err
			}
			if at != nil {
				c.processed = *at
				out = append(out, c)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read the projected conversations: %w", err)
	}
	return out, nil
}

// visibility remembers when each conversation's rows were inserted.
type visibility struct {
	mu    sync.Mutex
	convs map[uuid.UUID]*seenConv
}

type seenConv struct {
	conv     time.Time // its row
	messages int
	last     time.Time // its last message rows
}

// visibleAt is when the conversation and want messages were all stored.
func (v *visibility) visibleAt(id uuid.UUID, want int) (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c := v.convs[id]
	if c == nil || c.conv.IsZero() || c.messages < want {
		return time.Time{}, false
	}
	if c.last.After(c.conv) {
		return c.last, true
	}
	return c.conv, true
}

// recordingWriter notes when the rows it was given were stored: Write
// returns once the insert holding them has completed.
type recordingWriter struct {
	analytics.EventWriter
	seen *visibility
	conv bool
}

func (w recordingWriter) Write(ctx context.Context, rows ...[]any) error {
	err := w.EventWriter.Write(ctx, rows...)
	if err != nil {
		return err
	}
	at := time.Now()
	w.seen.mu.Lock()
	defer w.seen.mu.Unlock()
	for _, row := range rows {
		id, _ := row[1].(uuid.UUID) // conversation_id in both tables
		c := w.seen.convs[id]
		if c == nil {
			c = &seenConv{}
			w.seen.convs[id] = c
		}
		if w.conv {
			c.conv = at
		} else {
			c.messages++
			c.last = at
		}
	}
	return nil
}

// writerThroughput writes rows message rows through one BatchWriter from
// clients goroutines, 40 rows (a conversation) per Write.
func writerThroughput(ctx context.Context, ch warehouse.ClickHouse, opts warehouse.BatchOptions, clients, rows int) (float64, error) {
	w := warehouse.NewBatchWriter(ch, analytics.TableMessageEvents, analytics.MessageEventColumns, opts)
	org, user := uuid.New(), uuid.New()
	per := rows / clients / 40
	g, gctx := newGroup(ctx)
	start := time.Now()
	for c := range clients {
		g.Go(func() error {
			for i := range per {
				conv := uuid.New()
				batch := make([][]any, 40)
				for k := range batch {
					at := start.Add(time.Duration(i*40+k) * time.Second)
					batch[k] = []any{org, conv, int64(c*per*40 + i*40 + k), user, "claude_code", "assistant", "claude-sonnet-4-5",
						at, uint32(800), uint64(3000), uint64(200), at}
				}
				if err := w.Write(gctx, batch...); err != nil {
					return err
				}
			}
			return nil
		})
	}
	err := g.Wait()
	elapsed := time.Since(start)
	if cerr := w.Close(context.WithoutCancel(ctx)); err == nil {
		err = cerr
	}
	return float64(clients*per*40) / elapsed.Seconds(), err
}
