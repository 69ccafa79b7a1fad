package warehouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// BatchOptions tunes a BatchWriter.
type BatchOptions struct {
	// MaxRows flushes the pending batch once it holds this many rows.
	// Default 1000.
	MaxRows int
	// FlushInterval flushes the pending batch this long after its first row
	// arrived, however small it is. Default 1s.
	FlushInterval time.Duration
	// Logger receives a debug record per flush. Default: slog.Default().
	Logger *slog.Logger
}

// ErrBatchWriterClosed is returned by Write after Close.
var ErrBatchWriterClosed = errors.New("clickhouse batch writer is closed")

// flushTimeout bounds one insert; ClickHouse being down fails the waiters
// after at most this long instead of blocking them indefinitely.
const flushTimeout = 30 * time.Second

// BatchWriter appends rows to one ClickHouse table in batches (ClickHouse
// wants few large inserts, not many small ones) with group commit: Write
// returns only once the batch holding its rows has been inserted, and
// returns that insert's error. Many concurrent writers (River jobs, say)
// share one insert, and a job whose rows could not be written fails and is
// retried instead of losing them. Retried rows may be inserted twice when
// the failed insert had in fact landed; tables written this way are
// ReplacingMergeTree keyed on an event id so replays collapse.
//
// One insert runs at a time; rows that arrive meanwhile form the next batch,
// which may therefore exceed MaxRows. A BatchWriter is safe for concurrent
// use.
type BatchWriter struct {
	ch      ClickHouse
	table   string
	columns []string
	opts    BatchOptions

	mu      sync.Mutex
	pending *pendingBatch // nil when no rows wait
	closing bool
	wake    chan struct{} // buffered(1): a batch started or filled up, or Close
	stopped chan struct{} // closed when the flush loop has exited
}

// pendingBatch is the rows of one future insert and its outcome.
type pendingBatch struct {
	rows     [][]any
	deadline time.Time     // first row's arrival + FlushInterval
	done     chan struct{} // closed after the insert; err is then set
	err      error
}

// NewBatchWriter starts a writer for table; columns name the values of each
// row in order. Close it to flush the last rows and stop its goroutine.
func NewBatchWriter(ch ClickHouse, table string, columns []string, opts BatchOptions) *BatchWriter {
	if opts.MaxRows <= 0 {
		opts.MaxRows = 1000
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	w := &BatchWriter{
		ch:      ch,
		table:   table,
		columns: append([]string(nil), columns...),
		opts:    opts,
		wake:    make(chan struct{}, 1),
		stopped: make(chan struct{}),
	}
	go w.loop()
	return w
}

// Write adds rows to the pending batch and waits until that batch has been
// inserted, returning the insert's error. If ctx ends first Write returns
// ctx's error, but the rows stay in the batch and may still be written.
// Rows are checked (value count, bindable types) before they join a batch,
// so one caller's malformed row does not fail everyone else's.
func (w *BatchWriter) Write(ctx context.Context, rows ...[]any) error {
	if len(rows) == 0 {
		return nil
	}
	if err := checkRows(w.columns, rows); err != nil {
		return fmt.Errorf("write to %s: %w", w.table, err)
	}
	for i, r := range rows {
		for j, v := range r {
			if _, err := appendLiteral(nil, v); err != nil {
				return fmt.Errorf("write to %s: row %d column %s: %w", w.table, i+1, w.columns[j], err)
			}
		}
	}
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		return ErrBatchWriterClosed
	}
	b := w.pending
	if b == nil {
		b = &pendingBatch{deadline: time.Now().Add(w.opts.FlushInterval), done: make(chan struct{})}
		w.pending = b
	}
	b.rows = append(b.rows, rows...)
	notify := len(b.rows) == len(rows) || len(b.rows) >= w.opts.MaxRows
	w.mu.Unlock()
	if notify {
		w.signal()
	}
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return fmt.Errorf("write to %s: %w", w.table, ctx.Err())
	}
}

// Close flushes the pending rows and stops the writer; later Writes fail
// with ErrBatchWriterClosed. It waits for the last insert unless ctx ends
// first. Close does not close the ClickHouse handle.
func (w *BatchWriter) Close(ctx context.Context) error {
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
	w.signal()
	select {
	case <-w.stopped:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close writer for %s: %w", w.table, ctx.Err())
	}
}

func (w *BatchWriter) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// loop waits for a batch to become due (full, old enough, or closing) and
// inserts it. It is the only goroutine that inserts, so inserts are serial.
func (w *BatchWriter) loop() {
	defer close(w.stopped)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		w.mu.Lock()
		b := w.pending
		var due bool
		if b != nil {
			due = w.closing || len(b.rows) >= w.opts.MaxRows || !time.Now().Before(b.deadline)
		}
		if due {
			w.pending = nil
		}
		closing := w.closing
		w.mu.Unlock()

		switch {
		case due:
			w.flush(b)
			continue
		case b == nil && closing:
			return
		case b != nil:
			timer.Reset(time.Until(b.deadline))
		}
		select {
		case <-w.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

func (w *BatchWriter) flush(b *pendingBatch) {
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	start := time.Now()
	err := w.ch.Insert(ctx, w.table, w.columns, b.rows)
	w.opts.Logger.LogAttrs(ctx, slog.LevelDebug, "clickhouse batch flushed",
		slog.String("table", w.table), slog.Int("rows", len(b.rows)),
		slog.Duration("duration", time.Since(start)), slog.Any("error", err))
	if err != nil {
		err = fmt.Errorf("write %d rows to %s: %w", len(b.rows), w.table, err)
	}
	b.err = err
	close(b.done)
}
