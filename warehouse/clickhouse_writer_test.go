package warehouse_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// countingClickHouse is the real chDB session with its inserts counted.
type countingClickHouse struct {
	warehouse.ClickHouse
	mu      sync.Mutex
	batches []int // rows per insert
	fail    error // when set, Insert fails with it instead
}

func (c *countingClickHouse) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	c.mu.Lock()
	c.batches = append(c.batches, len(rows))
	fail := c.fail
	c.mu.Unlock()
	if fail != nil {
		return fail
	}
	return c.ClickHouse.Insert(ctx, table, columns, rows)
}

func (c *countingClickHouse) inserts() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.batches...)
}

type writerBundle struct {
	*chBundle
	counted *countingClickHouse
}

func setupWriter(t *testing.T) *writerBundle {
	t.Helper()
	b := setupClickHouse(t)
	return &writerBundle{chBundle: b, counted: &countingClickHouse{ClickHouse: b.ch}}
}

func (b *writerBundle) newWriter(t *testing.T, opts warehouse.BatchOptions) *warehouse.BatchWriter {
	t.Helper()
	w := warehouse.NewBatchWriter(b.counted, "audit_events", auditColumns, opts)
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	return w
}

func (b *writerBundle) stored(t *testing.T) int {
	t.Helper()
	var n []struct {
		N int `ch:"n"`
	}
	require.NoError(t, b.ch.Select(b.ctx, &n, "SELECT count() AS n FROM audit_events WHERE org_id = ?", b.org))
	return n[0].N
}

func (b *writerBundle) event(i int) []any {
	return newAuditEvent(b.org, time.Date(2025, 5, 1, 0, 0, i, 0, time.UTC), "write").row()
}

func TestBatchWriterFlushesOnSize(t *testing.T) {
	t.Parallel()
	b := setupWriter(t)
	w := b.newWriter(t, warehouse.BatchOptions{MaxRows: 10, FlushInterval: time.Hour})

	// Ten concurrent writers of one row each fill one batch: one insert,
	// and every writer returns only after it.
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() { require.NoError(t, w.Write(b.ctx, b.event(i))) })
	}
	wg.Wait()
	require.Equal(t, []int{10}, b.counted.inserts())
	require.Equal(t, 10, b.stored(t))
}

func TestBatchWriterFlushesOnInterval(t *testing.T) {
	t.Parallel()
	b := setupWriter(t)
	w := b.newWriter(t, warehouse.BatchOptions{MaxRows: 1000, FlushInterval: 100 * time.Millisecond})
	start := time.Now()
	require.NoError(t, w.Write(b.ctx, b.event(1), b.event(2)))
	elapsed := time.Since(start)
	require.GreaterOrEqual(t, elapsed, 100*time.Millisecond)
	require.Less(t, elapsed, 2*time.Second)
	require.Equal(t, []int{2}, b.counted.inserts())
	require.Equal(t, 2, b.stored(t))

	// The interval counts from a batch's first row, not from the last flush.
	require.NoError(t, w.Write(b.ctx, b.event(3)))
	require.Equal(t, []int{2, 1}, b.counted.inserts())
}

func TestBatchWriterFlushesOnClose(t *testing.T) {
	t.Parallel()
	b := setupWriter(t)
	w := warehouse.NewBatchWriter(b.counted, "audit_events", auditColumns, warehouse.BatchOptions{FlushInterval: time.Hour})
	done := make(chan error, 3)
	for i := range 3 {
		go func() { done <- w.Write(b.ctx, b.event(i)) }()
	}
	time.Sleep(100 * time.Millisecond) // let the writers join the batch
	require.Empty(t, b.counted.inserts(), "nothing is due before Close")
	require.NoError(t, w.Close(b.ctx))
	for range 3 {
		require.NoError(t, <-done)
	}
	require.Equal(t, []int{3}, b.counted.inserts())
	require.Equal(t, 3, b.stored(t))

	require.ErrorIs(t, w.Write(b.ctx, b.event(4)), warehouse.ErrBatchWriterClosed)
	require.NoError(t, w.Close(b.ctx), "closing twice is harmless")
}

// TestBatchWriterReturnsInsertError: when the insert fails every writer of
// that batch gets the error (so a job fails and retries); nothing is dropped
// silently.
func TestBatchWriterReturnsInsertError(t *testing.T) {
	t.Parallel()
	b := setupWriter(t)
	w := warehouse.NewBatchWriter(b.ch, "no_such_table", auditColumns, warehouse.BatchOptions{MaxRows: 5, FlushInterval: time.Hour})
	t.Cleanup(func() { _ = w.Close(context.Background()) })
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 5 {
		wg.Go(func() {
			err := w.Write(b.ctx, b.event(i))
			require.ErrorContains(t, err, "write 5 rows to no_such_table")
			require.ErrorContains(t, err, "UNKNOWN_TABLE")
			failed.Add(1)
		})
	}
	wg.Wait()
	require.Equal(t, int32(5), failed.Load())

	// The writer carries on after a failed batch.
	down := errors.New("connection refused")
	b.counted.mu.Lock()
	b.counted.fail = down
	b.counted.mu.Unlock()
	w2 := b.newWriter(t, warehouse.BatchOptions{MaxRows: 1})
	require.ErrorIs(t, w2.Write(b.ctx, b.event(1)), down)
	b.counted.mu.Lock()
	b.counted.fail = nil
	b.counted.mu.Unlock()
	require.NoError(t, w2.Write(b.ctx, b.event(2)))
	require.Equal(t, 1, b.stored(t))
}

func TestBatchWriterRejectsBadRows(t *testing.T) {
	t.Parallel()
	b := setupWriter(t)
	w := b.newWriter(t, warehouse.BatchOptions{MaxRows: 1})
	require.ErrorContains(t, w.Write(b.ctx, []any{b.org}), "row 1 has 1 values for 7 columns")
	bad := b.event(1)
	bad[4] = struct{}{}
	require.ErrorContains(t, w.Write(b.ctx, b.event(0), bad), "row 2 column action: unsupported type")
	require.Empty(t, b.counted.inserts(), "a malformed row never joins a batch")
	require.NoError(t, w.Write(b.ctx))
}

func TestBatchWriterWriteContext(t *testing.T) {
	t.Parallel()
	b := setupWriter(t)
	w := b.newWriter(t, warehouse.BatchOptions{FlushInterval: time.Hour})
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, w.Write(ctx, b.event(1)), context.DeadlineExceeded)
	// The row stays pending and is written on Close.
	require.NoError(t, w.Close(b.ctx))
	require.Equal(t, 1, b.stored(t))
}

// TestBatchWriterConcurrent: many writers, several batches, every row
// stored once, every Write returned after its rows were stored.
func TestBatchWriterConcurrent(t *testing.T) {
	t.Parallel()
	b := setupWriter(t)
	w := b.newWriter(t, warehouse.BatchOptions{MaxRows: 50, FlushInterval: 20 * time.Millisecond})
	const writers, each = 16, 25
	var wg sync.WaitGroup
	ids := make(chan uuid.UUID, writers*each)
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				e := newAuditEvent(b.org, time.Date(2025, 5, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(g*each+i)*time.Second), "concurrent")
				if err := w.Write(b.ctx, e.row()); err != nil {
					t.Error(err)
					return
				}
				ids <- e.EventID
			}
		})
	}
	wg.Wait()
	close(ids)
	require.Len(t, ids, writers*each)
	require.Equal(t, writers*each, b.stored(t))
	total := 0
	for _, n := range b.counted.inserts() {
		total += n
	}
	require.Equal(t, writers*each, total)
	require.Less(t, len(b.counted.inserts()), writers*each/2, "writers share inserts")
	t.Logf("%d rows in %d inserts", total, len(b.counted.inserts()))
}
