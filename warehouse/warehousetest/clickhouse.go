package warehousetest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/context-intelligence/ctxintel/migrations"
	"github.com/context-intelligence/ctxintel/warehouse"
)

var (
	chOnce sync.Once
	chConn warehouse.ClickHouse
	chErr  error
	chDir  string // the session's data directory
	// mainInstalled is set by Main, which closes the session at the end.
	mainInstalled atomic.Bool
)

// Main is the TestMain of every test package that uses ClickHouse:
//
//	func TestMain(m *testing.M) { warehousetest.Main(m) }
//
// It runs the tests and then closes the chDB session and removes its data
// directory. The session must be
// closed before the process exits through the C library, as test binaries
// built with -race do: libchdb's static destructors crash on an open
// session, after ClickHouse's fault handler has stalled for minutes.
func Main(m *testing.M) {
	mainInstalled.Store(true)
	code := m.Run()
	if chConn != nil && chConn.Close() == nil {
		_ = os.RemoveAll(chDir)
	}
	os.Exit(code)
}

// ClickHouse returns this test binary's chDB session, with every ClickHouse
// migration applied. A process can hold only one chDB session, so all tests
// share it (it lives in a temporary directory that outlives any one test;
// Main closes it at the end); they isolate by writing under fresh random org
// ids. The package's TestMain should be Main (required with -race).
//
// The library comes from CHDB_LIB_PATH, by default .deps/lib/libchdb.so in
// the module root. A missing library fails the test: it is never skipped.
func ClickHouse(tb testing.TB) warehouse.ClickHouse {
	tb.Helper()
	if !mainInstalled.Load() && raceBuild() {
		tb.Fatalf("test ClickHouse (chDB): a -race test binary exits through libchdb's exit handlers, which crash on an open session: " +
			"add `func TestMain(m *testing.M) { warehousetest.Main(m) }` to this test package")
	}
	chOnce.Do(func() { chConn, chErr = openTestClickHouse() })
	if chErr != nil {
		tb.Fatalf("test ClickHouse (chDB): %v (run `make setup` to fetch libchdb, or set CHDB_LIB_PATH)", chErr)
	}
	return chConn
}

// raceBuild reports whether this binary was built with -race, the case in
// which the process exits through the C library's exit handlers.
func raceBuild() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
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
// than a day ago that Main did not remove (a package without Main, a killed
// run, fuzz workers).
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
	chDir = dir
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
