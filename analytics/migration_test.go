package analytics_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/migrations"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// TestLinkLinesMigration reverts and re-applies the migration that gives
// links their commits' lines, with links stored in between: the live ones
// get their commits' lines. Not parallel: it changes the shared session's
// schema, and parallel tests wait for the sequential ones to finish.
func TestLinkLinesMigration(t *testing.T) {
	b := setup(t)
	require.NoError(t, warehouse.MigrateClickHouse(b.ctx, b.ch, migrations.ClickHouse, "down", 1))
	t.Cleanup(func() { require.NoError(t, warehouse.MigrateClickHouse(b.ctx, b.ch, migrations.ClickHouse, "up", 0)) })

	org, at := b.org.ID, time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	kept, removed, orphan := uuid.New(), uuid.New(), uuid.New()
	commit := func(id uuid.UUID, add, del uint32, version time.Time) []any {
		return []any{org, id, "github.com/acme/shop", id.String()[:8], "ada@acme.example", at, add, del, uint32(1), version}
	}
	require.NoError(t, b.ch.Insert(b.ctx, analytics.TableCommitEvents, analytics.CommitEventColumns, [][]any{
		commit(kept, 0, 0, at), commit(kept, 40, 2, at.Add(time.Minute)), // its diff arrived later
		commit(removed, 5, 5, at),
	}))
	columns := []string{"org_id", "conversation_id", "commit_id", "commit_sha", "repo", "committed_at",
		"confidence", "signals", "linked", "user_id", "conversation_started_at", "version"}
	link := func(commit uuid.UUID, linked uint8, version time.Time) []any {
		return []any{org, uuid.New(), commit, "abc1234", "github.com/acme/shop", at, float32(0.9), []string{"trailer"},
			linked, b.user.ID, at.Add(-time.Hour), version}
	}
	gone := link(removed, 1, at)
	goneAgain := append([]any{}, gone...)
	goneAgain[8], goneAgain[11] = uint8(0), at.Add(time.Hour)
	require.NoError(t, b.ch.Insert(b.ctx, analytics.TableLinkEvents, columns, [][]any{
		link(kept, 1, at), gone, goneAgain, link(orphan, 1, at),
	}))

	require.NoError(t, warehouse.MigrateClickHouse(b.ctx, b.ch, migrations.ClickHouse, "up", 0))
	var rows []struct {
		CommitID  uuid.UUID `ch:"commit_id"`
		Linked    uint8     `ch:"linked"`
		Additions uint32    `ch:"additions"`
		Deletions uint32    `ch:"deletions"`
	}
	require.NoError(t, b.ch.Select(b.ctx, &rows, `SELECT commit_id, linked, additions, deletions FROM link_events FINAL
		WHERE org_id = ? ORDER BY linked, additions`, org))
	require.Len(t, rows, 3)
	// The removed link stays removed; a link whose commit ClickHouse does
	// not have keeps 0 lines; the live one has its commit's newest lines.
	require.Equal(t, removed, rows[0].CommitID)
	require.Zero(t, rows[0].Linked)
	require.Equal(t, orphan, rows[1].CommitID)
	require.Zero(t, rows[1].Additions)
	require.Equal(t, kept, rows[2].CommitID)
	require.EqualValues(t, 1, rows[2].Linked)
	require.EqualValues(t, 40, rows[2].Additions)
	require.EqualValues(t, 2, rows[2].Deletions)
}
