package warehouse_test

import (
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// TestClickHouseMigrations runs a migration set of its own (versions 9001+,
// tables of its own) on the shared session, so the real migrations the
// other tests rely on stay untouched; the real set's up/down/up runs on a
// fresh session in TestClickHouseOneSessionPerProcess.
func TestClickHouseMigrations(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	fsys := fstest.MapFS{
		"ch/9001_widgets.up.sql": {Data: []byte(`-- two statements, one file
CREATE TABLE IF NOT EXISTS mig_widgets (id UInt64, name String)
ENGINE = MergeTree ORDER BY id;
INSERT INTO mig_widgets VALUES (1, 'semi;colon');
`)},
		"ch/9001_widgets.down.sql": {Data: []byte("DROP TABLE IF EXISTS mig_widgets;\n")},
		"ch/9002_gadgets.up.sql":   {Data: []byte("CREATE TABLE IF NOT EXISTS mig_gadgets (id UInt64) ENGINE = MergeTree ORDER BY id;\n")},
		"ch/9002_gadgets.down.sql": {Data: []byte("DROP TABLE IF EXISTS mig_gadgets;\n")},
	}
	tableExists := func(name string) bool {
		var n []struct {
			N uint64 `ch:"n"`
		}
		require.NoError(t, b.ch.Select(b.ctx, &n, "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = ?", name))
		return n[0].N == 1
	}
	status := func() string {
		st, err := warehouse.ClickHouseMigrationStatus(b.ctx, b.ch, fsys)
		require.NoError(t, err)
		out := ""
		for _, s := range st {
			if s.Version < 9000 {
				continue // the real migrations, applied on the shared session
			}
			out += fmt.Sprintf("%d_%s=%v ", s.Version, s.Name, s.Applied)
			require.Equal(t, s.Applied, !s.AppliedAt.IsZero())
		}
		return out
	}

	require.Equal(t, "9001_widgets=false 9002_gadgets=false ", status())
	require.NoError(t, warehouse.MigrateClickHouse(b.ctx, b.ch, fsys, "up", 1))
	require.Equal(t, "9001_widgets=true 9002_gadgets=false ", status())
	require.True(t, tableExists("mig_widgets"))
	require.False(t, tableExists("mig_gadgets"))

	require.NoError(t, warehouse.MigrateClickHouse(b.ctx, b.ch, fsys, "up", 0))
	require.Equal(t, "9001_widgets=true 9002_gadgets=true ", status())
	require.NoError(t, warehouse.MigrateClickHouse(b.ctx, b.ch, fsys, "up", 0), "nothing pending")

	var names []struct {
		Name string `ch:"name"`
	}
	require.NoError(t, b.ch.Select(b.ctx, &names, "SELECT name FROM mig_widgets"))
	require.Equal(t, "semi;colon", names[0].Name)

	require.NoError(t, warehouse.MigrateClickHouse(b.ctx, b.ch, fsys, "down", 0), "0 reverts one")
	require.Equal(t, "9001_widgets=true 9002_gadgets=false ", status())
	require.False(t, tableExists("mig_gadgets"))

	require.NoError(t, warehouse.MigrateClickHouse(b.ctx, b.ch, fsys, "up", 0), "re-apply after a down")
	require.Equal(t, "9001_widgets=true 9002_gadgets=true ", status())

	require.NoError(t, warehouse.MigrateClickHouse(b.ctx, b.ch, fsys, "down", -1), "-1 reverts all")
	require.Equal(t, "9001_widgets=false 9002_gadgets=false ", status())
	require.False(t, tableExists("mig_widgets"))
}

func TestClickHouseMigrationErrors(t *testing.T) {
	t.Parallel()
	b := setupClickHouse(t)
	broken := fstest.MapFS{
		"9101_broken.up.sql":   {Data: []byte("CREATE TABLE IF NOT EXISTS mig_broken (id UInt64) ENGINE = MergeTree ORDER BY id;\nCREATE TABLEZ oops;\n")},
		"9101_broken.down.sql": {Data: []byte("DROP TABLE IF EXISTS mig_broken;\n")},
	}
	err := warehouse.MigrateClickHouse(b.ctx, b.ch, broken, "up", 0)
	require.ErrorContains(t, err, "migration 9101_broken up, statement 2: clickhouse exec (CREATE TABLEZ oops)")
	st, err := warehouse.ClickHouseMigrationStatus(b.ctx, b.ch, broken)
	require.NoError(t, err)
	require.False(t, st[0].Applied, "a failed migration is not recorded")

	require.ErrorContains(t, warehouse.MigrateClickHouse(b.ctx, b.ch, broken, "sideways", 0), `direction must be up or down, not "sideways"`)
	require.ErrorContains(t, warehouse.MigrateClickHouse(b.ctx, b.ch, fstest.MapFS{"9102_x.up.sql": {Data: []byte("SELECT 1;")}}, "up", 0),
		"needs both an up and a down file")
	require.ErrorContains(t, warehouse.MigrateClickHouse(b.ctx, b.ch, fstest.MapFS{"readme.sql": {Data: []byte("")}}, "up", 0),
		"name must be NNNN_name.up.sql")
}
