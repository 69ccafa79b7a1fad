// Package warehousetest gives tests real stores: a throwaway, migrated
// Postgres database and a chDB session per test package (test binary), and
// factories for tenants. Tests isolate from each other by working in their
// own organizations, which row-level security keeps apart.
package warehousetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/migrations"
	"github.com/context-intelligence/ctxintel/warehouse"
)

var (
	pgOnce sync.Once
	pgDB   *warehouse.DB
	pgURL  string
	pgErr  error
)

// Postgres returns this test binary's database: created from the
// ctxintel_template database (which `make setup` prepares with pgvector and
// pg_trgm) on the server of TEST_DATABASE_URL, and migrated.
func Postgres(tb testing.TB) *warehouse.DB {
	tb.Helper()
	pgOnce.Do(func() { pgDB, pgURL, pgErr = createDatabase() })
	if pgErr != nil {
		tb.Fatalf("test database: %v (run `make setup`; TEST_DATABASE_URL=%s)", pgErr, baseURL())
	}
	return pgDB
}

// PostgresURL is the URL of the database Postgres returned, for code that
// opens its own connections (the CLI under test).
func PostgresURL(tb testing.TB) string {
	Postgres(tb)
	return pgURL
}

func baseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://ctxintel:ctxintel@127.0.0.1:5432/postgres?sslmode=disable"
}

func createDatabase() (*warehouse.DB, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, baseURL())
	if err != nil {
		return nil, "", fmt.Errorf("connect: %w", err)
	}
	defer admin.Close(ctx)
	sweepStale(ctx, admin)

	template := os.Getenv("TEST_DATABASE_TEMPLATE")
	if template == "" {
		template = "ctxintel_template"
	}
	var suffix [4]byte
	rand.Read(suffix[:]) //nolint:errcheck
	name := fmt.Sprintf("ctxintel_test_%d_%s", time.Now().Unix(), hex.EncodeToString(suffix[:]))
	// Copying a template fails while anyone is connected to it; nobody
	// should be, but a concurrent copy holds it briefly, so retry.
	for attempt := 0; ; attempt++ {
		_, err = admin.Exec(ctx, fmt.Sprintf(`create database %s template %s`, name, pgx.Identifier{template}.Sanitize()))
		if err == nil || attempt == 20 || !strings.Contains(err.Error(), "is being accessed by other users") {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return nil, "", fmt.Errorf("create database from template %s: %w", template, err)
	}
	cfg, err := pgx.ParseConfig(baseURL())
	if err != nil {
		return nil, "", err
	}
	url := replaceDatabase(baseURL(), cfg.Database, name)
	db, err := warehouse.OpenPostgres(ctx, url)
	if err != nil {
		return nil, "", err
	}
	if err := db.MigratePostgres(ctx, migrations.Postgres, "up", 0, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		db.Close()
		return nil, "", fmt.Errorf("migrate: %w", err)
	}
	return db, url, nil
}

// sweepStale drops test databases left by runs over three hours ago (a
// test binary cannot drop its own database while it still holds it).
func sweepStale(ctx context.Context, admin *pgx.Conn) {
	rows, err := admin.Query(ctx, `select datname from pg_database where datname like 'ctxintel_test_%'`)
	if err != nil {
		return
	}
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, n := range names {
		parts := strings.Split(n, "_")
		if len(parts) < 4 {
			continue
		}
		created, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil || time.Since(time.Unix(created, 0)) < 3*time.Hour {
			continue
		}
		admin.Exec(ctx, fmt.Sprintf("drop database if exists %s with (force)", pgx.Identifier{n}.Sanitize())) //nolint:errcheck
	}
}

func replaceDatabase(url, from, to string) string {
	i := strings.LastIndex(url, "/"+from)
	if i < 0 {
		return url
	}
	return url[:i] + "/" + to + url[i+1+len(from):]
}
