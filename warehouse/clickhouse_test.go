package warehouse_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

func TestMain(m *testing.M) { warehousetest.Main(m) }

// chBundle is what a ClickHouse test works with: the shared chDB session and
// an organization of its own to write under.
type chBundle struct {
	ctx context.Context
	ch  warehouse.ClickHouse
	org uuid.UUID
}

func setupClickHouse(t *testing.T) *chBundle {
	t.Helper()
	return &chBundle{ctx: context.Background(), ch: warehousetest.ClickHouse(t), org: uuid.New()}
}

// auditEvent is a row of audit_events.
type auditEvent struct {
	OrgID      uuid.UUID `ch:"org_id"`
	EventID    uuid.UUID `ch:"event_id"`
	OccurredAt time.Time `ch:"occurred_at"`
	ActorID    string    `ch:"actor_id"`
	Action     string    `ch:"action"`
	Target     string    `ch:"target"`
	Details    string    `ch:"details"`
}

var auditColumns = []string{"org_id", "event_id", "occurred_at", "actor_id", "action", "target", "details"}

func (e auditEvent) row() []any {
	return []any{e.OrgID, e.EventID, e.OccurredAt, e.ActorID, e.Action, e.Target, e.Details}
}

func newAuditEvent(org uuid.UUID, at time.Time, action string) auditEvent {
	return auditEvent{
		OrgID: org, EventID: uuid.New(), OccurredAt: at.UTC().Truncate(time.Millisecond),
		ActorID: "user-" + uuid.NewString()[:8], Action: action, Target: "conversation/42", Details: `{"ip":"203.0.113.9"}`,
	}
}

func TestClickHouseInsertSelectAuditEvents(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	base := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var events []auditEvent
	var rows [][]any
	for i := range 50 {
		e := newAuditEvent(b.org, base.Add(time.Duration(i)*time.Minute), []string{"login", "export", "erase"}[i%3])
		events = append(events, e)
		rows = append(rows, e.row())
	}
	require.NoError(t, b.ch.Insert(b.ctx, "audit_events", auditColumns, rows))
	// A replay of the same events (a retried job) collapses on read with FINAL.
	require.NoError(t, b.ch.Insert(b.ctx, "audit_events", auditColumns, rows[:10]))

	var got []auditEvent
	require.NoError(t, b.ch.Select(b.ctx, &got, `
		SELECT org_id, event_id, occurred_at, actor_id, action, target, details
		FROM audit_events FINAL
		WHERE org_id = ? AND occurred_at >= ? AND occurred_at < ?
		ORDER BY occurred_at`, b.org, base, base.Add(time.Hour)))
	require.Equal(t, events, got)

	var counts []struct {
		Action string `ch:"action"`
		N      int    `ch:"n"`
	}
	require.NoError(t, b.ch.Select(b.ctx, &counts, `
		SELECT action, count() AS n FROM audit_events FINAL
		WHERE org_id = ? AND occurred_at >= ? AND action IN ?
		GROUP BY action ORDER BY action`, b.org, base, []string{"erase", "login"}))
	require.Equal(t, []struct {
		Action string `ch:"action"`
		N      int    `ch:"n"`
	}{{"erase", 16}, {"login", 17}}, counts)
}

// TestClickHouseSelectTypes covers every supported field type, decoded from
// the types ClickHouse produces.
func TestClickHouseSelectTypes(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	type row struct {
		Count    int               `ch:"count"`
		I8       int8              `ch:"i8"`
		U64      uint64            `ch:"u64"`
		I64      int64             `ch:"i64"`
		F32      float32           `ch:"f32"`
		F64      float64           `ch:"f64"`
		Dec      float64           `ch:"dec"`
		B        bool              `ch:"b"`
		S        string            `ch:"s"`
		LC       string            `ch:"lc"`
		Fixed    string            `ch:"fixed"`
		Enum     string            `ch:"enum"`
		T        time.Time         `ch:"t"`
		T9       time.Time         `ch:"t9"`
		DT       time.Time         `ch:"dt"`
		D        time.Time         `ch:"d"`
		U        uuid.UUID         `ch:"u"`
		UStr     string            `ch:"u_str"`
		Arr      []string          `ch:"arr"`
		Ints     []int             `ch:"ints"`
		M        map[string]uint64 `ch:"m"`
		Null     *string           `ch:"null"`
		NotNull  *string           `ch:"not_null"`
		NullZero int               `ch:"null_zero"`
		Any      any               `ch:"any"`
		Ignored  string            `ch:"-"`
	}
	id := uuid.New()
	ts := time.Date(2031, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
	var got []row
	require.NoError(t, b.ch.Select(b.ctx, &got, `SELECT
		count() AS count, toInt8(-8) AS i8, ? AS u64, ? AS i64, toFloat32(0.5) AS f32, ? AS f64,
		toDecimal64(12.345, 3) AS dec, ? AS b, ? AS s, toLowCardinality('lc') AS lc,
		toFixedString('ab', 2) AS fixed, CAST('b' AS Enum8('a' = 1, 'b' = 2)) AS enum,
		? AS t, toDateTime64('2031-02-03 04:05:06.123456789', 9, 'UTC') AS t9,
		toDateTime('2031-02-03 04:05:06', 'Asia/Tokyo') AS dt, toDate('2031-02-03') AS d,
		? AS u, ? AS u_str, ? AS arr, ? AS ints, map('a', toUInt64(1), 'b', toUInt64(2)) AS m,
		CAST(NULL AS Nullable(String)) AS null, toNullable('x') AS not_null,
		CAST(NULL AS Nullable(Int32)) AS null_zero, 'raw' AS any
		FROM numbers(3)`,
		uint64(18446744073709551615), int64(-9223372036854775808), 1e-300, true, "s", ts, id, id,
		[]string{"x", "y"}, []int{-1, 2}))
	x := "x"
	require.Equal(t, []row{{
		Count: 3, I8: -8, U64: 18446744073709551615, I64: -9223372036854775808, F32: 0.5, F64: 1e-300, Dec: 12.345,
		B: true, S: "s", LC: "lc", Fixed: "ab", Enum: "b",
		T: ts, T9: time.Date(2031, 2, 3, 4, 5, 6, 123456789, time.UTC),
		DT: time.Date(2031, 2, 2, 19, 5, 6, 0, time.UTC), D: time.Date(2031, 2, 3, 0, 0, 0, 0, time.UTC),
		U: id, UStr: id.String(), Arr: []string{"x", "y"}, Ints: []int{-1, 2},
		M: map[string]uint64{"a": 1, "b": 2}, Null: nil, NotNull: &x, NullZero: 0, Any: "raw",
	}}, got)

	// Pointers to structs, and appending to what dest already holds.
	ptrs := []*struct {
		N uint8 `ch:"n"`
	}{{N: 9}}
	require.NoError(t, b.ch.Select(b.ctx, &ptrs, "SELECT toUInt8(number) AS n FROM numbers(2)"))
	require.Len(t, ptrs, 3)
	require.Equal(t, uint8(1), ptrs[2].N)

	// An empty result leaves dest empty.
	var none []row
	require.NoError(t, b.ch.Select(b.ctx, &none, "SELECT 1 AS count FROM numbers(0)"))
	require.Empty(t, none)
}

func TestClickHouseSelectDecodeErrors(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	type small struct {
		N int8 `ch:"n"`
	}
	for _, tc := range []struct {
		name  string
		dest  any
		query string
		want  string
	}{
		{"missing field", &[]small{}, "SELECT 1 AS n, 2 AS other", `result column "other" has no field tagged`},
		{"overflow", &[]small{}, "SELECT 300 AS n", "value 300 overflows int8"},
		{"float into int", &[]small{}, "SELECT 1.5 AS n", "cannot store float64 in a int8 field"},
		{"not a slice", &small{}, "SELECT 1 AS n", "pointer to a slice of structs"},
		{"unsupported type", &[]small{}, "SELECT toInt128(1) AS n", `unsupported ClickHouse type "Int128"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := b.ch.Select(b.ctx, tc.dest, tc.query)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "clickhouse select ("+tc.query)
		})
	}
}

// TestClickHouseErrorsHideValues: errors name the action and the query
// template, never the bound values, although ClickHouse echoes them.
func TestClickHouseErrorsHideValues(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	const secret = "alice@example.com-Sup3rSecret"
	err := b.ch.Select(b.ctx, &[]struct{}{}, "SELECT ? + 1 AS x", secret)
	require.ErrorContains(t, err, "clickhouse select (SELECT ? + 1 AS x): ")
	require.ErrorContains(t, err, "ILLEGAL_TYPE_OF_ARGUMENT")
	require.NotContains(t, err.Error(), "Sup3r")

	err = b.ch.Exec(b.ctx, "INSERT INTO audit_events (org_id) SELECT toUUID(?)", secret)
	require.ErrorContains(t, err, "clickhouse exec (INSERT INTO audit_events (org_id) SELECT toUUID(?)): ")
	require.NotContains(t, err.Error(), "Sup3r")

	err = b.ch.Insert(b.ctx, "audit_events", []string{"org_id", "details"}, [][]any{{secret, secret}})
	require.ErrorContains(t, err, "clickhouse insert (INSERT INTO `audit_events` (`org_id`, `details`)): ")
	require.NotContains(t, err.Error(), "Sup3r")

	err = b.ch.Exec(b.ctx, "SELEC ?", secret)
	require.ErrorContains(t, err, "SYNTAX_ERROR")
	require.NotContains(t, err.Error(), "Sup3r")

	err = b.ch.Select(b.ctx, &[]struct{}{}, "SELECT 1 FROM no_such_table WHERE x = ?", secret)
	require.ErrorContains(t, err, "UNKNOWN_TABLE")
	require.NotContains(t, err.Error(), "Sup3r")
}

func TestClickHouseInsertValidation(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	require.ErrorContains(t, b.ch.Insert(b.ctx, "audit_events; DROP TABLE x", []string{"org_id"}, [][]any{{b.org}}),
		"not a plain identifier")
	require.ErrorContains(t, b.ch.Insert(b.ctx, "audit_events", []string{"org_id`"}, [][]any{{b.org}}),
		"not a plain identifier")
	require.ErrorContains(t, b.ch.Insert(b.ctx, "audit_events", []string{"org_id", "event_id"}, [][]any{{b.org}}),
		"row 1 has 1 values for 2 columns")
	require.ErrorContains(t, b.ch.Insert(b.ctx, "audit_events", []string{"org_id"}, [][]any{{struct{}{}}}),
		"row 1 column org_id: unsupported type struct {}")
	require.NoError(t, b.ch.Insert(b.ctx, "audit_events", auditColumns, nil))
}

func TestClickHouseContext(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	ctx, cancel := context.WithCancel(b.ctx)
	cancel()
	require.ErrorIs(t, b.ch.Exec(ctx, "SELECT 1"), context.Canceled)
	require.ErrorIs(t, b.ch.Select(ctx, &[]struct{}{}, "SELECT 1"), context.Canceled)

	// A read that outlives its context returns at the deadline; the query
	// finishes in the background.
	ctx, cancel = context.WithTimeout(b.ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := b.ch.Select(ctx, &[]struct{}{}, "SELECT sleep(1) AS s")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 900*time.Millisecond)
}

// ---- scenarios that need a process of their own ----

// A process holds one chDB session, loaded at most once, so scenarios about
// opening and loading run in a child process: the test binary re-run with
// chChildEnv naming the scenario.
const chChildEnv = "CTXINTEL_CLICKHOUSE_CHILD"

var chChildScenarios = map[string]func(t *testing.T){}

// TestClickHouseChild runs one scenario when this binary is a child process
// started by runChild; in the normal test run it has nothing to do.
func TestClickHouseChild(t *testing.T) {
	name := os.Getenv(chChildEnv)
	if name == "" {
		return
	}
	scenario, ok := chChildScenarios[name]
	require.True(t, ok, "unknown scenario %q", name)
	scenario(t)
}

func runChild(t *testing.T, scenario string, env ...string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestClickHouseChild$", "-test.v", "-test.count=1")
	cmd.Env = append(append(os.Environ(), chChildEnv+"="+scenario), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child scenario %s:\n%s", scenario, out)
	require.Contains(t, string(out), "--- PASS: TestClickHouseChild", "child scenario %s:\n%s", scenario, out)
}
