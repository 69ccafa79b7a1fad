package bench

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

func TestLegQuery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := warehousetest.Postgres(t)
	build := func(q, variant string) (warehouse.KeywordQuery, bool) {
		var kq warehouse.KeywordQuery
		var ok bool
		require.NoError(t, db.AsSystem(ctx, func(tx pgx.Tx) error {
			var err error
			kq, ok, err = legQuery(ctx, tx, q, variant)
			return err
		}))
		return kq, ok
	}
	words := func(g []warehouse.TextMatch) []string {
		var out []string
		for _, m := range g {
			out = append(out, m.Words)
		}
		return out
	}
	q := "how do I fix the connection pool"
	kq, ok := build(q, legAll)
	require.True(t, ok)
	require.Equal(t, []string{"fix connection pool"}, words(kq.Groups[0]), "stop-words dropped")
	kq, _ = build(q, legAny)
	require.Equal(t, []string{"fix", "connection", "pool"}, words(kq.Groups[0]))
	kq, _ = build(q, legPairs)
	require.Equal(t, []string{"fix connection", "fix pool", "connection pool"}, words(kq.Groups[0]))
	kq, _ = build("connection pool", legPairs)
	require.Equal(t, []string{"connection", "pool"}, words(kq.Groups[0]), "two words: either")

	// Phrases, code and exclusions keep their meaning.
	kq, ok = build(`"refresh token" -expired`, legAny)
	require.True(t, ok)
	require.Len(t, kq.Groups, 1)
	require.Equal(t, "refresh token", kq.Groups[0][0].Substring)
	require.Equal(t, "expired", kq.Exclude[0].Words)
	kq, _ = build("ERR_CONNECTION_RESET in useAuthToken.ts", legPairs)
	require.Len(t, kq.Groups, 2)
	require.Equal(t, "ERR_CONNECTION_RESET", kq.Groups[0][0].Substring)
	_, ok = build("how do I", legAny)
	require.False(t, ok, "only stop-words: nothing to search")
}
