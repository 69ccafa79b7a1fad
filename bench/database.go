package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/migrations"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// benchDB is an open benchmark database.
type benchDB struct {
	name string
	url  string
	db   *warehouse.DB
}

func (b *benchDB) Close() { b.db.Close() }

// databaseURL replaces the database of base with name.
func databaseURL(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse database URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// databaseExists reports whether the server of base has database name.
func databaseExists(ctx context.Context, base, name string) (bool, error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return false, fmt.Errorf("connect to %s: %w", redacted(base), err)
	}
	defer conn.Close(ctx)
	var ok bool
	err = conn.QueryRow(ctx, `select exists (select 1 from pg_database where datname = $1)`, name).Scan(&ok)
	return ok, err
}

// createDatabase (re)creates name from template, as warehousetest does
// for test databases, and migrates it.
func createDatabase(ctx context.Context, base, name, template string) (*benchDB, error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redacted(base), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `drop database if exists `+pgx.Identifier{name}.Sanitize()+` with (force)`); err != nil {
		return nil, fmt.Errorf("drop database %s: %w", name, err)
	}
	// Copying a template fails while anyone is connected to it (a test
	// binary copying it at the same moment): retry.
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, fmt.Sprintf(`create database %s template %s`, pgx.Identifier{name}.Sanitize(), pgx.Identifier{template}.Sanitize()))
		if err == nil || attempt == 40 || !strings.Contains(err.Error(), "is being accessed by other users") {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		return nil, fmt.Errorf("create database %s from template %s (run `make setup` to create the template): %w", name, template, err)
	}
	return openDatabase(ctx, base, name)
}

// openDatabase opens name and brings its schema up to date.
func openDatabase(ctx context.Context, base, name string) (*benchDB, error) {
	u, err := databaseURL(base, name)
	if err != nil {
		return nil, err
	}
	db, err := warehouse.OpenPostgres(ctx, u)
	if err != nil {
		return nil, err
	}
	if err := db.MigratePostgres(ctx, migrations.Postgres, "up", 0, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", name, err)
	}
	if _, err := db.Pool().Exec(ctx, `create table if not exists bench_state (key text primary key, value jsonb not null)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("create bench_state in %s: %w", name, err)
	}
	return &benchDB{name: name, url: u, db: db}, nil
}

// state reads a value of bench_state into v; found is false when unset.
func (b *benchDB) state(ctx context.Context, key string, v any) (bool, error) {
	var raw []byte
	err := b.db.Pool().QueryRow(ctx, `select value from bench_state where key = $1`, key).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read bench state %s: %w", key, err)
	}
	return true, json.Unmarshal(raw, v)
}

func (b *benchDB) setState(ctx context.Context, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = b.db.Pool().Exec(ctx, `insert into bench_state (key, value) values ($1, $2)
		on conflict (key) do update set value = excluded.value`, key, raw)
	if err != nil {
		return fmt.Errorf("write bench state %s: %w", key, err)
	}
	return nil
}

func redacted(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the database"
	}
	return u.Redacted()
}
