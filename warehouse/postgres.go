package warehouse

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Sentinel errors returned by the store; callers match with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
	ErrInvalid  = errors.New("invalid")
)

// DB is the Postgres pool with tenant-scoped transactions.
type DB struct {
	pool *pgxpool.Pool
}

// OpenPostgres connects and checks the connection.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	// pgx prepares every statement; after five runs Postgres may switch to a
	// generic plan that re-parses plainto_tsquery($n) for every candidate
	// row. Custom plans keep search fast (BENCHMARKS.md: hybrid p95 at 100k
	// 261 -> 151 ms, at 1M 1,207 -> 576 ms).
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres at %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	return &DB{pool: pool}, nil
}

// Pool exposes the pool for River, which needs the pgx driver itself.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Close releases all connections.
func (db *DB) Close() { db.pool.Close() }

// Ping checks that Postgres answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// InOrg runs fn in a transaction scoped to one organization: row-level
// security then hides every other org's rows, whatever the SQL says. The
// transaction commits when fn returns nil and rolls back otherwise.
func (db *DB) InOrg(ctx context.Context, orgID uuid.UUID, fn func(tx pgx.Tx) error) error {
	if orgID == uuid.Nil {
		return fmt.Errorf("%w: tenant transaction without an organization", ErrInvalid)
	}
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "select set_config('ctxintel.org_id', $1, true)", orgID.String()); err != nil {
			return fmt.Errorf("set tenant: %w", err)
		}
		return fn(tx)
	})
}

// AsSystem runs fn in a transaction that may span organizations. Only for
// what cannot know its org in advance: resolving an API key, creating an
// org, operator commands, cross-org maintenance jobs.
func (db *DB) AsSystem(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "select set_config('ctxintel.system', 'on', true)"); err != nil {
			return fmt.Errorf("set system scope: %w", err)
		}
		return fn(tx)
	})
}

func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", translate(err))
	}
	return nil
}

// Querier is what store functions need: a pgx.Tx from InOrg or AsSystem.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// translate maps driver errors to the package's sentinels, once, at the
// store boundary; anything else is returned unchanged.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %s", ErrConflict, pgErr.Detail)
		case "23514", "23502", "22P02", "23503": // check, not null, invalid text, foreign key
			return fmt.Errorf("%w: %s", ErrInvalid, pgErr.Message)
		case "42501": // insufficient_privilege: row-level security refused a write
			return fmt.Errorf("%w: row belongs to another organization", ErrNotFound)
		}
	}
	return err
}
