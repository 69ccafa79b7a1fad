package warehouse

import (
	"context"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// TestClickHouseServerURL: with a URL the server engine is used and libchdb
// is never loaded (the binary must run without it). It runs in a child
// process, since other tests in this binary load libchdb.
func TestClickHouseServerURL(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestClickHouseServerURLChild$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "CTXINTEL_CLICKHOUSE_SERVER_CHILD=1", "CHDB_LIB_PATH=/nonexistent/libchdb.so")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "--- PASS: TestClickHouseServerURLChild", "%s", out)
}

func TestClickHouseServerURLChild(t *testing.T) {
	if os.Getenv("CTXINTEL_CLICKHOUSE_SERVER_CHILD") == "" {
		return // only meaningful as TestClickHouseServerURL's child process
	}
	ctx := context.Background()
	ch, err := OpenClickHouse(ctx, ClickHouseConfig{
		URL:     "clickhouse://default:pw@127.0.0.1:1/default?dial_timeout=2s",
		DataDir: t.TempDir(), LibPath: "/nonexistent/libchdb.so",
	})
	require.NoError(t, err, "opening does not dial")
	require.Equal(t, EngineServer, ch.Engine())

	err = ch.Ping(ctx)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	require.ErrorContains(t, err, "clickhouse ping")
	err = ch.Exec(ctx, "SELECT ?", "x")
	require.ErrorContains(t, err, "clickhouse exec (SELECT ?)")
	err = ch.Insert(ctx, "audit_events", []string{"details"}, [][]any{{"x"}})
	require.ErrorContains(t, err, "clickhouse insert (INSERT INTO `audit_events` (`details`))")
	require.NoError(t, ch.Close())

	require.Nil(t, chdbProcess.lib, "libchdb must not be loaded")
	maps, err := os.ReadFile("/proc/self/maps")
	require.NoError(t, err)
	require.NotContains(t, string(maps), "libchdb")

	_, err = OpenClickHouse(ctx, ClickHouseConfig{URL: "clickhouse://user:s3cret@[::1"})
	require.ErrorContains(t, err, "parse ClickHouse URL")
	require.NotContains(t, err.Error(), "s3cret")
}

// TestAssignServerScanTypes feeds assignValue the values clickhouse-go scans
// into (its ColumnType.ScanType), which a server Select hands over, so the
// server path decodes like chDB's without a server in the test run.
func TestAssignServerScanTypes(t *testing.T) {
	t.Parallel()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	require.NoError(t, err)
	s := "x"
	var nilStr *string
	id := uuid.New()
	type row struct {
		Count uint64            `ch:"count"`
		N     int               `ch:"n"`
		Opt   *string           `ch:"opt"`
		None  *string           `ch:"none"`
		Zero  string            `ch:"zero"`
		T     time.Time         `ch:"t"`
		U     uuid.UUID         `ch:"u"`
		Arr   []string          `ch:"arr"`
		M     map[string]uint64 `ch:"m"`
		Dec   float64           `ch:"dec"`
		B     bool              `ch:"b"`
	}
	columns := []string{"count", "n", "opt", "none", "zero", "t", "u", "arr", "m", "dec", "b"}
	// Scan targets are reflect.New(ScanType()); Select passes their Elem().
	scanned := []any{
		uint64(7), uint64(3), &s, nilStr, nilStr,
		time.Date(2025, 1, 2, 12, 0, 0, 0, tokyo), id,
		[]string{"a"}, map[string]uint64{"k": 1}, decimal.RequireFromString("12.5"), true,
	}
	var got []row
	sink, err := newRowSink(&got, columns)
	require.NoError(t, err)
	require.NoError(t, sink.appendRow(columns, scanned))
	require.Equal(t, []row{{
		Count: 7, N: 3, Opt: &s, T: time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC), U: id,
		Arr: []string{"a"}, M: map[string]uint64{"k": 1}, Dec: 12.5, B: true,
	}}, got)
	require.Equal(t, time.UTC, got[0].T.Location())

	// Through reflect.New(ScanType()) exactly as Select does.
	ptr := reflect.New(reflect.TypeFor[*string]())
	values := []any{ptr.Elem().Interface()}
	var opt []struct {
		Opt string `ch:"opt"`
	}
	sink, err = newRowSink(&opt, []string{"opt"})
	require.NoError(t, err)
	require.NoError(t, sink.appendRow([]string{"opt"}, values))
	require.Equal(t, "", opt[0].Opt)
}

func TestRedactURL(t *testing.T) {
	t.Parallel()
	require.Equal(t, "clickhouse://u:xxxxx@h:9000/db", redactURL("clickhouse://u:pw@h:9000/db"))
	require.False(t, strings.Contains(redactURL("::"), "::"))
}
