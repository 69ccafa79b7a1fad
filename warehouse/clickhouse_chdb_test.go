package warehouse_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/migrations"
	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

// nastyStrings must come back byte for byte from `SELECT ? AS v`: that
// round trip through the real engine is the proof that the escaping holds.
var nastyStrings = []string{
	"",
	"plain",
	"it's",
	`\`,
	`\'`,
	`'\`,
	"''",
	`\\'\\''`,
	"'); DROP TABLE audit_events; --",
	"' OR 1=1 --",
	"x' UNION SELECT version() AS v --",
	"\x00",
	"a\x00b",
	"\n\r\t\b\f\v",
	"line1\nline2 -- not a comment",
	"/* not a comment */ ? ?",
	"$$ heredoc $$",
	"`backtick` \"double\"",
	"unicode: héllo wörld — 日本語 😀 \u2028\u200b",
	"invalid utf8: \xff\xfe\xc3\x28 \xed\xa0\x80",
	"all controls: \x01\x02\x03\x1b\x1f\x7f",
	"{?} ${x} %s %v",
	strings.Repeat("long'\\", 30_000),
	allBytes(),
}

func allBytes() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}

type vRow struct {
	V string `ch:"v"`
}

func TestClickHouseBindRoundTripStrings(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	for i, s := range nastyStrings {
		var got []vRow
		require.NoError(t, b.ch.Select(b.ctx, &got, "SELECT ? AS v", s), "string %d", i)
		require.Equal(t, []vRow{{s}}, got, "string %d", i)
	}
	// The same values inside arrays, and as data written to and read back
	// from a table.
	var arr []struct {
		V []string `ch:"v"`
	}
	require.NoError(t, b.ch.Select(b.ctx, &arr, "SELECT ? AS v", nastyStrings))
	require.Equal(t, nastyStrings, arr[0].V)

	// Inserted data is not bound by max_query_size (256 KiB of query text,
	// which the 180 KB string above stays under), so a large value goes too.
	values := append(nastyStrings, strings.Repeat("big\x00'", 300_000))
	var rows [][]any
	for i, s := range values {
		rows = append(rows, []any{b.org, uuid.New(), time.Unix(int64(i), 0), s, "roundtrip", s, s})
	}
	require.NoError(t, b.ch.Insert(b.ctx, "audit_events", auditColumns, rows))
	var back []struct {
		Details string `ch:"details"`
	}
	require.NoError(t, b.ch.Select(b.ctx, &back,
		"SELECT details FROM audit_events WHERE org_id = ? AND target = details AND actor_id = details ORDER BY occurred_at", b.org))
	require.Len(t, back, len(values))
	for i, s := range values {
		require.Equal(t, s, back[i].Details, "string %d", i)
	}
}

func TestClickHouseBindRoundTripValues(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	type row struct {
		I   int64     `ch:"i"`
		U   uint64    `ch:"u"`
		F   float64   `ch:"f"`
		T   time.Time `ch:"t"`
		Nil *int64    `ch:"n"`
	}
	for _, tc := range []row{
		{I: math.MinInt64, U: math.MaxUint64, F: math.SmallestNonzeroFloat64, T: time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)},
		{I: math.MaxInt64, U: 0, F: math.MaxFloat64, T: time.Date(2299, 12, 31, 23, 59, 59, 999_000_000, time.UTC)},
		{I: -1, U: 1, F: -0.1, T: time.Date(2025, 1, 1, 0, 0, 0, 1_000_000, time.UTC)},
		{I: 0, U: 1 << 63, F: math.Copysign(0, -1), T: time.Unix(0, 0).UTC()},
	} {
		var got []row
		require.NoError(t, b.ch.Select(b.ctx, &got, "SELECT ? AS i, ? AS u, ? AS f, ? AS t, ? AS n", tc.I, tc.U, tc.F, tc.T, tc.Nil))
		require.Equal(t, []row{tc}, got)
		require.Equal(t, math.Signbit(tc.F), math.Signbit(got[0].F))
	}
	// Special floats and a time in another zone (stored as the instant, read
	// back in UTC, truncated to milliseconds).
	var special []struct {
		A, B, C float64
		T       time.Time
	}
	local := time.Date(2025, 6, 1, 14, 0, 0, 123_999_999, time.FixedZone("CEST", 2*3600))
	require.NoError(t, b.ch.Select(b.ctx, &special, "SELECT ? AS A, ? AS B, ? AS C, ? AS T", math.NaN(), math.Inf(1), math.Inf(-1), local))
	require.True(t, math.IsNaN(special[0].A))
	require.Equal(t, math.Inf(1), special[0].B)
	require.Equal(t, math.Inf(-1), special[0].C)
	require.Equal(t, time.Date(2025, 6, 1, 12, 0, 0, 123_000_000, time.UTC), special[0].T)
}

// FuzzBindCH binds arbitrary values into a query and runs it on chDB: the
// engine must return exactly what was bound (or, for values outside
// ClickHouse's types, bindCH must refuse them), and nothing may panic.
func FuzzBindCH(f *testing.F) {
	for _, s := range nastyStrings[:len(nastyStrings)-2] {
		f.Add(s, int64(-1), 0.5)
	}
	f.Add("", int64(math.MinInt64), math.Inf(-1))
	f.Fuzz(func(t *testing.T, s string, n int64, fl float64) {
		ch := warehousetest.ClickHouse(t)
		var got []struct {
			S  string   `ch:"s"`
			N  int64    `ch:"n"`
			F  float64  `ch:"f"`
			SS []string `ch:"ss"`
		}
		err := ch.Select(context.Background(), &got, "SELECT ? AS s, ? AS n, ? AS f, ? AS ss", s, n, fl, []string{s, s})
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.Equal(t, s, got[0].S)
		require.Equal(t, n, got[0].N)
		require.Equal(t, []string{s, s}, got[0].SS)
		if math.IsNaN(fl) {
			require.True(t, math.IsNaN(got[0].F))
		} else {
			require.Equal(t, math.Float64bits(fl), math.Float64bits(got[0].F))
		}
	})
}

// TestClickHouseConcurrent runs reads and writes on the one session from
// many goroutines at once (run with -race).
func TestClickHouseConcurrent(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	const workers, each = 8, 20
	base := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := newAuditEvent(b.org, base.Add(time.Duration(w*each+i)*time.Second), fmt.Sprintf("w%d", w))
				if err := b.ch.Insert(b.ctx, "audit_events", auditColumns, [][]any{e.row()}); err != nil {
					errs <- err
					return
				}
				var n []struct {
					N uint64 `ch:"n"`
				}
				if err := b.ch.Select(b.ctx, &n, "SELECT count() AS n FROM audit_events WHERE org_id = ? AND action = ?", b.org, fmt.Sprintf("w%d", w)); err != nil {
					errs <- err
					return
				}
				if n[0].N != uint64(i+1) {
					errs <- fmt.Errorf("worker %d: count %d after %d inserts", w, n[0].N, i+1)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestClickHouseEngine(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	require.Equal(t, warehouse.EngineChDB, b.ch.Engine())
	require.NoError(t, b.ch.Ping(b.ctx))
}

// TestClickHouseOpenMissingLibrary: a bad library path is an ordinary error
// that says what to do, not a panic.
func TestClickHouseOpenMissingLibrary(t *testing.T) {
	t.Parallel()
	runChild(t, "missing-lib")
}

// TestClickHouseOneSessionPerProcess: handles on one data directory share
// the session; another directory is refused while it is open, and accepted
// once every handle is closed. The real migrations go up, down and up again
// on that fresh session.
func TestClickHouseOneSessionPerProcess(t *testing.T) {
	t.Parallel()
	lib, err := warehousetest.ChDBLibPath()
	require.NoError(t, err)
	runChild(t, "sessions", "CHDB_LIB_PATH="+lib)
}

func init() {
	chChildScenarios["missing-lib"] = func(t *testing.T) {
		bogus := filepath.Join(t.TempDir(), "nope", "libchdb.so")
		ch, err := warehouse.OpenClickHouse(context.Background(), warehouse.ClickHouseConfig{DataDir: t.TempDir(), LibPath: bogus})
		require.Nil(t, ch)
		require.ErrorContains(t, err, "open chDB library "+bogus+": ")
		require.ErrorContains(t, err, "run make setup, or set CLICKHOUSE_URL")
		_, err = warehouse.OpenClickHouse(context.Background(), warehouse.ClickHouseConfig{DataDir: t.TempDir()})
		require.ErrorContains(t, err, "no library path configured")
	}
	chChildScenarios["sessions"] = func(t *testing.T) {
		ctx := context.Background()
		lib, err := warehousetest.ChDBLibPath()
		require.NoError(t, err)
		dirA, dirB := t.TempDir(), t.TempDir()
		a1, err := warehouse.OpenClickHouse(ctx, warehouse.ClickHouseConfig{DataDir: dirA, LibPath: lib})
		require.NoError(t, err)
		a2, err := warehouse.OpenClickHouse(ctx, warehouse.ClickHouseConfig{DataDir: dirA, LibPath: lib})
		require.NoError(t, err)
		_, err = warehouse.OpenClickHouse(ctx, warehouse.ClickHouseConfig{DataDir: dirB, LibPath: lib})
		require.ErrorContains(t, err, "already holds a chDB session at "+dirA)

		require.NoError(t, a1.Exec(ctx, "CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x"))
		require.NoError(t, a1.Close())
		require.NoError(t, a1.Close(), "closing twice is harmless")
		require.ErrorContains(t, a1.Ping(ctx), "closed")
		require.NoError(t, a2.Insert(ctx, "t", []string{"x"}, [][]any{{1}, {2}}), "the other handle still works")
		require.NoError(t, a2.Close())

		b, err := warehouse.OpenClickHouse(ctx, warehouse.ClickHouseConfig{DataDir: dirB, LibPath: lib})
		require.NoError(t, err, "a new directory once the old session is closed")
		var tables []struct {
			N uint64 `ch:"n"`
		}
		require.NoError(t, b.Select(ctx, &tables, "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 't'"))
		require.Equal(t, uint64(0), tables[0].N, "dirB is a different database")

		// The real migrations, on this fresh session.
		require.NoError(t, warehouse.MigrateClickHouse(ctx, b, migrations.ClickHouse, "up", 0))
		st, err := warehouse.ClickHouseMigrationStatus(ctx, b, migrations.ClickHouse)
		require.NoError(t, err)
		require.NotEmpty(t, st)
		for _, s := range st {
			require.True(t, s.Applied, "%04d_%s", s.Version, s.Name)
		}
		require.NoError(t, warehouse.MigrateClickHouse(ctx, b, migrations.ClickHouse, "down", -1))
		st, err = warehouse.ClickHouseMigrationStatus(ctx, b, migrations.ClickHouse)
		require.NoError(t, err)
		for _, s := range st {
			require.False(t, s.Applied, "%04d_%s", s.Version, s.Name)
		}
		require.Error(t, b.Exec(ctx, "SELECT count() FROM audit_events"), "down dropped the table")
		require.NoError(t, warehouse.MigrateClickHouse(ctx, b, migrations.ClickHouse, "up", 0))
		require.NoError(t, b.Exec(ctx, "SELECT count() FROM audit_events"))
		require.NoError(t, b.Close())
	}
}

// ---- benchmarks ----

func BenchmarkClickHouseInsert1000(b *testing.B) {
	ch := warehousetest.ClickHouse(b)
	ctx := context.Background()
	org := uuid.New()
	base := time.Now()
	rows := make([][]any, 1000)
	b.ReportAllocs()
	for b.Loop() {
		for i := range rows {
			rows[i] = newAuditEvent(org, base.Add(time.Duration(i)*time.Millisecond), "bench").row()
		}
		if err := ch.Insert(ctx, "audit_events", auditColumns, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
}

func BenchmarkClickHouseSelect1000(b *testing.B) {
	ch := warehousetest.ClickHouse(b)
	ctx := context.Background()
	org := uuid.New()
	base := time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, 1000)
	for i := range rows {
		rows[i] = newAuditEvent(org, base.Add(time.Duration(i)*time.Second), "bench").row()
	}
	if err := ch.Insert(ctx, "audit_events", auditColumns, rows); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var got []auditEvent
		if err := ch.Select(ctx, &got, "SELECT * FROM audit_events WHERE org_id = ? AND occurred_at >= ? ORDER BY occurred_at", org, base); err != nil {
			b.Fatal(err)
		}
		if len(got) != len(rows) {
			b.Fatalf("got %d rows", len(got))
		}
	}
}

func BenchmarkClickHouseAggregate(b *testing.B) {
	ch := warehousetest.ClickHouse(b)
	ctx := context.Background()
	org := uuid.New()
	base := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, 10_000)
	for i := range rows {
		rows[i] = newAuditEvent(org, base.Add(time.Duration(i)*time.Second), fmt.Sprintf("a%d", i%10)).row()
	}
	if err := ch.Insert(ctx, "audit_events", auditColumns, rows); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var got []struct {
			Action string `ch:"action"`
			N      uint64 `ch:"n"`
		}
		if err := ch.Select(ctx, &got, "SELECT action, count() AS n FROM audit_events WHERE org_id = ? AND occurred_at >= ? GROUP BY action", org, base); err != nil {
			b.Fatal(err)
		}
	}
}
