package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// FinalTables are the tables the metrics read with FINAL.
var FinalTables = []string{TableConversationEvents, TableCommitEvents, TableLinkEvents, TableSearchEvents,
	TableTopicRuns, TableTopics, TableTopicQuestions}

// CompactArgs asks a worker to compact the closed months (Compact): the
// nightly periodic job.
type CompactArgs struct{}

// Kind names the job type in River.
func (CompactArgs) Kind() string { return "analytics.compact" }

// Partition is one month of one table.
type Partition struct {
	Table string `ch:"table"`
	ID    string `ch:"partition_id"`
	Parts uint64 `ch:"parts"`
}

// Compact merges each closed month (a partition before now's month) of
// the tables read with FINAL that still holds more than one part into a
// single part (OPTIMIZE … FINAL, which also drops the older versions of
// re-projected rows), and returns the partitions it merged. FINAL merges
// a partition's parts at query time, again on every query; with one part
// per closed month it has nothing left to merge there, which took a
// quarter of the metrics' CPU time at 10M events (BENCHMARKS.md). The
// current month keeps its parts: it is still being written, and the
// background merges look after it. Safe to run at any time and to repeat;
// the metrics read the same numbers before and after.
func Compact(ctx context.Context, ch warehouse.ClickHouse, now time.Time) ([]Partition, error) {
	var parts []Partition
	err := ch.Select(ctx, &parts, `SELECT table, partition_id, count() AS parts FROM system.parts
		WHERE active AND database = currentDatabase() AND has(?, table)
		GROUP BY table, partition_id HAVING parts > 1 AND partition_id < ?
		ORDER BY table, partition_id`, FinalTables, now.UTC().Format("200601"))
	if err != nil {
		return nil, fmt.Errorf("list partitions: %w", err)
	}
	for i, p := range parts {
		if err := ctx.Err(); err != nil {
			return parts[:i], err
		}
		// Table names come from FinalTables, not from the caller.
		if err := ch.Exec(ctx, "OPTIMIZE TABLE "+p.Table+" PARTITION ID ? FINAL", p.ID); err != nil {
			return parts[:i], fmt.Errorf("compact %s partition %s: %w", p.Table, p.ID, err)
		}
	}
	return parts, nil
}
