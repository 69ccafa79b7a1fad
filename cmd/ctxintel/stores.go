package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/context-intelligence/ctxintel/migrations"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// stores are the open connections a command works with.
type stores struct {
	log *slog.Logger
	db  *warehouse.DB
	ch  warehouse.ClickHouse
}

// openStores connects to Postgres and, when withClickHouse, to ClickHouse
// (chDB in the data directory, or the configured server).
func openStores(ctx context.Context, cfg *Config, withClickHouse bool) (*stores, error) {
	if err := cfg.validateStores(); err != nil {
		return nil, err
	}
	s := &stores{log: cfg.logger()}
	db, err := warehouse.OpenPostgres(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	s.db = db
	if withClickHouse {
		dir := filepath.Join(cfg.DataDir, "clickhouse")
		if cfg.ClickHouseURL == "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				db.Close()
				return nil, fmt.Errorf("create data directory: %w", err)
			}
		}
		ch, err := warehouse.OpenClickHouse(ctx, warehouse.ClickHouseConfig{URL: cfg.ClickHouseURL, DataDir: dir, LibPath: cfg.ChdbLibPath})
		if err != nil {
			db.Close()
			return nil, err
		}
		s.ch = ch
	}
	return s, nil
}

func (s *stores) Close() {
	if s.ch != nil {
		if err := s.ch.Close(); err != nil {
			s.log.Error("close clickhouse", slog.Any("error", err))
		}
	}
	s.db.Close()
}

// errNotMigrated tells the operator what to run.
var errNotMigrated = errors.New("the database is not fully migrated: run `ctxintel migrate up`")

// requireMigrated refuses to start on a schema older than the binary.
func (s *stores) requireMigrated(ctx context.Context) error {
	pg, riverVersion, err := s.db.PostgresMigrationStatus(ctx, migrations.Postgres)
	if err != nil {
		return fmt.Errorf("read migration status: %w", err)
	}
	if riverVersion == 0 {
		return errNotMigrated
	}
	for _, m := range pg {
		if !m.Applied {
			return fmt.Errorf("%w (postgres %04d_%s is pending)", errNotMigrated, m.Version, m.Name)
		}
	}
	if s.ch != nil {
		chs, err := warehouse.ClickHouseMigrationStatus(ctx, s.ch, migrations.ClickHouse)
		if err != nil {
			// A ClickHouse server that is down must not stop the service:
			// /readyz reports it, and projection jobs wait and retry.
			s.log.WarnContext(ctx, "cannot read ClickHouse migration status; continuing", slog.Any("error", err))
			return nil
		}
		for _, m := range chs {
			if !m.Applied {
				return fmt.Errorf("%w (clickhouse %04d_%s is pending)", errNotMigrated, m.Version, m.Name)
			}
		}
	}
	return nil
}
