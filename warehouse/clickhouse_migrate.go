package warehouse

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// MigrationStatus is one numbered migration of a store and whether it is
// applied.
type MigrationStatus struct {
	Version   int
	Name      string
	Applied   bool
	AppliedAt time.Time // zero when not applied
}

// ClickHouse has no transactions and no locks, so the migration history is
// an append-only log: every apply or revert adds a row, and the row with the
// highest seq per version is the current state. A migration file whose
// statements fail half-way is not recorded; its statements should therefore
// be idempotent (CREATE ... IF NOT EXISTS, DROP ... IF EXISTS) so that running
// it again after a fix completes it. Run migrations from one process at a
// time (`ctxintel migrate`).
const chMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version UInt32,
	name String,
	applied Bool,
	applied_at DateTime64(3, 'UTC'),
	seq UInt64
) ENGINE = ReplacingMergeTree(seq) ORDER BY version`

type chMigrationRow struct {
	Version   uint32    `ch:"version"`
	Name      string    `ch:"last_name"`
	Applied   bool      `ch:"last_applied"`
	AppliedAt time.Time `ch:"last_applied_at"`
	Seq       uint64    `ch:"last_seq"`
}

// MigrateClickHouse applies (direction "up") or reverts ("down") the
// ClickHouse migrations in fsys: NNNN_name.up.sql / NNNN_name.down.sql files
// at its root or in its single sub-folder, each holding one or more
// statements that end with ";" at the end of a line. For up, steps limits how
// many pending migrations are applied (0 or less: all); for down, how many
// applied ones are reverted, newest first (0: one; less than 0: all).
func MigrateClickHouse(ctx context.Context, ch ClickHouse, fsys fs.FS, direction string, steps int) error {
	if direction != "up" && direction != "down" {
		return fmt.Errorf("migrate clickhouse: direction must be up or down, not %q", direction)
	}
	files, err := loadMigrations(fsys)
	if err != nil {
		return fmt.Errorf("migrate clickhouse: %w", err)
	}
	if err := ch.Exec(ctx, chMigrationsTable); err != nil {
		return fmt.Errorf("migrate clickhouse: create schema_migrations: %w", err)
	}
	state, seq, err := chMigrationState(ctx, ch)
	if err != nil {
		return err
	}
	record := func(f migrationFile, applied bool) error {
		seq = max(seq+1, uint64(time.Now().UnixNano()))
		return ch.Insert(ctx, "schema_migrations",
			[]string{"version", "name", "applied", "applied_at", "seq"},
			[][]any{{uint32(f.Version), f.Name, applied, time.Now(), seq}})
	}
	n := 0
	if direction == "up" {
		for _, f := range files {
			if state[f.Version].Applied {
				continue
			}
			if steps > 0 && n == steps {
				break
			}
			if err := runCHMigration(ctx, ch, f, "up", f.Up); err != nil {
				return err
			}
			if err := record(f, true); err != nil {
				return fmt.Errorf("migration %04d_%s up: record: %w", f.Version, f.Name, err)
			}
			n++
		}
		return nil
	}
	all := steps < 0
	if steps == 0 {
		steps = 1
	}
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		if !state[f.Version].Applied {
			continue
		}
		if !all && n == steps {
			break
		}
		if err := runCHMigration(ctx, ch, f, "down", f.Down); err != nil {
			return err
		}
		if err := record(f, false); err != nil {
			return fmt.Errorf("migration %04d_%s down: record: %w", f.Version, f.Name, err)
		}
		n++
	}
	return nil
}

// ClickHouseMigrationStatus lists the migrations in fsys and whether each is
// applied, followed by any version recorded as applied that has no file.
func ClickHouseMigrationStatus(ctx context.Context, ch ClickHouse, fsys fs.FS) ([]MigrationStatus, error) {
	files, err := loadMigrations(fsys)
	if err != nil {
		return nil, fmt.Errorf("clickhouse migration status: %w", err)
	}
	if err := ch.Exec(ctx, chMigrationsTable); err != nil {
		return nil, fmt.Errorf("clickhouse migration status: create schema_migrations: %w", err)
	}
	state, _, err := chMigrationState(ctx, ch)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationStatus, 0, len(files))
	known := map[int]bool{}
	for _, f := range files {
		known[f.Version] = true
		s := state[f.Version]
		s.Version, s.Name = f.Version, f.Name
		out = append(out, s)
	}
	var orphans []MigrationStatus
	for v, s := range state {
		if !known[v] && s.Applied {
			orphans = append(orphans, s)
		}
	}
	slices.SortFunc(orphans, func(a, b MigrationStatus) int { return a.Version - b.Version })
	return append(out, orphans...), nil
}

// chMigrationState reads each version's latest record and the highest seq.
func chMigrationState(ctx context.Context, ch ClickHouse) (map[int]MigrationStatus, uint64, error) {
	var rows []chMigrationRow
	err := ch.Select(ctx, &rows, `SELECT version, argMax(name, seq) AS last_name, argMax(applied, seq) AS last_applied,
		argMax(applied_at, seq) AS last_applied_at, max(seq) AS last_seq
		FROM schema_migrations GROUP BY version ORDER BY version`)
	if err != nil {
		return nil, 0, fmt.Errorf("read schema_migrations: %w", err)
	}
	state := map[int]MigrationStatus{}
	var maxSeq uint64
	for _, r := range rows {
		s := MigrationStatus{Version: int(r.Version), Name: r.Name, Applied: r.Applied}
		if r.Applied {
			s.AppliedAt = r.AppliedAt
		}
		state[s.Version] = s
		maxSeq = max(maxSeq, r.Seq)
	}
	return state, maxSeq, nil
}

func runCHMigration(ctx context.Context, ch ClickHouse, f migrationFile, direction, sql string) error {
	for i, stmt := range splitCHStatements(sql) {
		if err := ch.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("migration %04d_%s %s, statement %d: %w", f.Version, f.Name, direction, i+1, err)
		}
	}
	return nil
}

// splitCHStatements splits a migration file at lines ending with ";" and
// drops the parts that hold only comments and blank lines.
func splitCHStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		stmt := strings.TrimSpace(cur.String())
		cur.Reset()
		stmt = strings.TrimSpace(strings.TrimSuffix(stmt, ";"))
		if hasCode(stmt) {
			out = append(out, stmt)
		}
	}
	for line := range strings.Lines(sql) {
		cur.WriteString(line)
		if strings.HasSuffix(strings.TrimRight(line, " \t\r\n"), ";") {
			flush()
		}
	}
	flush()
	return out
}

// hasCode reports whether stmt has anything besides "--" comment lines.
func hasCode(stmt string) bool {
	for line := range strings.Lines(stmt) {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
			return true
		}
	}
	return false
}
