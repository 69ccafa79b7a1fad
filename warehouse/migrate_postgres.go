package warehouse

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// migrationFile is one numbered migration with its up and down SQL.
type migrationFile struct {
	Version int
	Name    string
	Up      string
	Down    string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.(up|down)\.sql$`)

// loadMigrations reads NNNN_name.up.sql / .down.sql pairs from fsys (the
// root or its single sub-folder), sorted by version.
func loadMigrations(fsys fs.FS) ([]migrationFile, error) {
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		files, _ = fs.Glob(fsys, "*/*.sql")
	}
	byVersion := map[int]*migrationFile{}
	for _, f := range files {
		m := migrationName.FindStringSubmatch(path.Base(f))
		if m == nil {
			return nil, fmt.Errorf("migration file %s: name must be NNNN_name.up.sql or NNNN_name.down.sql", f)
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		mf := byVersion[v]
		if mf == nil {
			mf = &migrationFile{Version: v, Name: m[2]}
			byVersion[v] = mf
		}
		if mf.Name != m[2] {
			return nil, fmt.Errorf("migration %04d has two names: %s and %s", v, mf.Name, m[2])
		}
		if m[3] == "up" {
			mf.Up = string(body)
		} else {
			mf.Down = string(body)
		}
	}
	out := make([]migrationFile, 0, len(byVersion))
	for _, mf := range byVersion {
		if mf.Up == "" || mf.Down == "" {
			return nil, fmt.Errorf("migration %04d_%s needs both an up and a down file", mf.Version, mf.Name)
		}
		out = append(out, *mf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// MigratePostgres applies River's migrations and then ours (direction "up"),
// or reverts ours and then, with steps < 0, River's too ("down"). steps
// limits how many of our migrations are applied or reverted; 0 means all
// for up and one for down. Each migration runs in its own transaction, and
// an advisory lock keeps concurrent migrators from interleaving.
func (db *DB) MigratePostgres(ctx context.Context, fsys fs.FS, direction string, steps int, log *slog.Logger) error {
	files, err := loadMigrations(fsys)
	if err != nil {
		return err
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	const lockKey = 7_311_554_001
	if _, err := conn.Exec(ctx, "select pg_advisory_lock($1)", lockKey); err != nil {
		return fmt.Errorf("migrate: take lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "select pg_advisory_unlock($1)", lockKey) //nolint:errcheck

	river, err := rivermigrate.New(riverpgxv5.New(db.pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if _, err := conn.Exec(ctx, `create table if not exists schema_migrations (
		version integer primary key, name text not null, applied_at timestamptz not null default now())`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, conn.Conn())
	if err != nil {
		return err
	}

	switch direction {
	case "up":
		res, err := river.Migrate(ctx, rivermigrate.DirectionUp, nil)
		if err != nil {
			return fmt.Errorf("migrate river up: %w", err)
		}
		for _, v := range res.Versions {
			log.InfoContext(ctx, "migrated", slog.String("store", "postgres"), slog.String("migration", fmt.Sprintf("river %03d", v.Version)))
		}
		n := 0
		for _, f := range files {
			if _, ok := applied[f.Version]; ok {
				continue
			}
			if steps > 0 && n == steps {
				break
			}
			if err := runMigration(ctx, conn.Conn(), f, f.Up, `insert into schema_migrations (version, name) values ($1, $2)`, f.Version, f.Name); err != nil {
				return err
			}
			log.InfoContext(ctx, "migrated", slog.String("store", "postgres"), slog.String("migration", fmt.Sprintf("%04d_%s", f.Version, f.Name)))
			n++
		}
	case "down":
		all := steps < 0
		if steps == 0 {
			steps = 1
		}
		n := 0
		for i := len(files) - 1; i >= 0; i-- {
			f := files[i]
			if _, ok := applied[f.Version]; !ok {
				continue
			}
			if !all && n == steps {
				break
			}
			if err := runMigration(ctx, conn.Conn(), f, f.Down, `delete from schema_migrations where version = $1`, f.Version); err != nil {
				return err
			}
			log.InfoContext(ctx, "reverted", slog.String("store", "postgres"), slog.String("migration", fmt.Sprintf("%04d_%s", f.Version, f.Name)))
			n++
		}
		if all {
			if _, err := conn.Exec(ctx, "drop table schema_migrations"); err != nil {
				return fmt.Errorf("migrate: drop schema_migrations: %w", err)
			}
			if _, err := river.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{TargetVersion: -1}); err != nil {
				return fmt.Errorf("migrate river down: %w", err)
			}
			log.InfoContext(ctx, "reverted", slog.String("store", "postgres"), slog.String("migration", "river (all)"))
		}
	default:
		return fmt.Errorf("migrate: direction must be up or down, not %q", direction)
	}
	return nil
}

func runMigration(ctx context.Context, conn *pgx.Conn, f migrationFile, sql, record string, args ...any) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migration %04d_%s: %w", f.Version, f.Name, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, sql); err != nil {
		return fmt.Errorf("migration %04d_%s: %w", f.Version, f.Name, err)
	}
	if _, err := tx.Exec(ctx, record, args...); err != nil {
		return fmt.Errorf("migration %04d_%s: record: %w", f.Version, f.Name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migration %04d_%s: commit: %w", f.Version, f.Name, err)
	}
	return nil
}

func appliedVersions(ctx context.Context, conn *pgx.Conn) (map[int]time.Time, error) {
	rows, err := conn.Query(ctx, "select version, applied_at from schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	out := map[int]time.Time{}
	for rows.Next() {
		var v int
		var at time.Time
		if err := rows.Scan(&v, &at); err != nil {
			return nil, err
		}
		out[v] = at
	}
	return out, rows.Err()
}

// PostgresMigrationStatus lists River's and our migrations and whether each
// is applied. River's are reported as one line with their version.
func (db *DB) PostgresMigrationStatus(ctx context.Context, fsys fs.FS) ([]MigrationStatus, int, error) {
	files, err := loadMigrations(fsys)
	if err != nil {
		return nil, 0, err
	}
	river, err := rivermigrate.New(riverpgxv5.New(db.pool), nil)
	if err != nil {
		return nil, 0, err
	}
	riverVersion := 0
	if existing, err := river.ExistingVersions(ctx); err == nil && len(existing) > 0 {
		riverVersion = existing[len(existing)-1].Version
	}
	applied := map[int]time.Time{}
	var exists bool
	if err := db.pool.QueryRow(ctx, "select to_regclass('schema_migrations') is not null").Scan(&exists); err != nil {
		return nil, 0, err
	}
	if exists {
		conn, err := db.pool.Acquire(ctx)
		if err != nil {
			return nil, 0, err
		}
		defer conn.Release()
		if applied, err = appliedVersions(ctx, conn.Conn()); err != nil {
			return nil, 0, err
		}
	}
	out := make([]MigrationStatus, 0, len(files))
	for _, f := range files {
		at, ok := applied[f.Version]
		out = append(out, MigrationStatus{Version: f.Version, Name: f.Name, Applied: ok, AppliedAt: at})
	}
	return out, riverVersion, nil
}
