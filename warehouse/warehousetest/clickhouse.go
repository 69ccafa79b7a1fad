package warehousetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/context-intelligence/ctxintel/migrations"
	"github.com/context-intelligence/ctxintel/warehouse"
)

var (
	chOnce sync.Once
	chConn warehouse.ClickHouse
	chErr  error
)

// ClickHouse returns this test binary's chDB session, with every ClickHouse
// migration applied. A process can hold only one chDB session, so all tests
// share it (it lives in a temporary directory that outlives any one test and
// is never closed); they isolate by writing under fresh random org ids.
//
// The library comes from CHDB_LIB_PATH, by default .deps/lib/libchdb.so in
// the module root. A missing library fails the test: it is never skipped.
func ClickHouse(tb testing.TB) warehouse.ClickHouse {
	tb.Helper()
	chOnce.Do(func() { chConn, chErr = openTestClickHouse() })
	if chErr != nil {
		tb.Fatalf("test ClickHouse (chDB): %v (run `make setup` to fetch libchdb, or set CHDB_LIB_PATH)", chErr)
	}
	return chConn
}

// ChDBLibPath is the libchdb.so the tests use: CHDB_LIB_PATH, or
// .deps/lib/libchdb.so under the module root found from the working
// directory.
func ChDBLibPath() (string, error) {
	if p := os.Getenv("CHDB_LIB_PATH"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".deps", "lib", "libchdb.so"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory to find .deps/lib/libchdb.so")
		}
		dir = parent
	}
}

const chTestDirPrefix = "ctxintel-chdb-test-"

// removeStaleTestDirs deletes the data directories of test runs from more
// than a day ago: a session is never closed, so its directory cannot be
// removed by the run that made it.
func removeStaleTestDirs() {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), chTestDirPrefix+"*"))
	for _, dir := range old {
		if fi, err := os.Stat(dir); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(dir)
		}
	}
}

func openTestClickHouse() (warehouse.ClickHouse, error) {
	lib, err := ChDBLibPath()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(lib); err != nil {
		return nil, fmt.Errorf("chDB library: %w", err)
	}
	removeStaleTestDirs()
	dir, err := os.MkdirTemp("", chTestDirPrefix)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	ch, err := warehouse.OpenClickHouse(ctx, warehouse.ClickHouseConfig{DataDir: dir, LibPath: lib})
	if err != nil {
		return nil, err
	}
	if err := warehouse.MigrateClickHouse(ctx, ch, migrations.ClickHouse, "up", 0); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return ch, nil
}
