package bench

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// costExpr is PriceTable.costSQL's shape for two prefixes.
const costExpr = "(input * multiIf(startsWith(model, ?), ?, startsWith(model, ?), ?, 0.) + output * multiIf(startsWith(model, ?), ?, startsWith(model, ?), ?, 0.) + cache_read * multiIf(startsWith(model, ?), ?, startsWith(model, ?), ?, 0.) + cache_write * multiIf(startsWith(model, ?), ?, startsWith(model, ?), ?, 0.) + reasoning * multiIf(startsWith(model, ?), ?, startsWith(model, ?), ?, 0.)) / 1000000"

func priceArgs() []any {
	var args []any
	for k := range 5 {
		args = append(args, "claude-sonnet-4-5", float64(k+1), "claude", float64(10*(k+1)))
	}
	return args
}

func TestPriceByTransform(t *testing.T) {
	t.Parallel()
	prefixes := []string{"claude-sonnet-4-5", "claude"}
	re := `^(claude-sonnet-4-5|claude)`

	t.Run("cost: extract on the model column", func(t *testing.T) {
		q := "SELECT ? AS key, sum(" + costExpr + ") AS cost FROM (SELECT conversation_id, started_at, model, input FROM t WHERE org_id = ?) GROUP BY key"
		args := append(append([]any{"k"}, priceArgs()...), "org")
		got, gotArgs := priceByTransform(q, args)
		lookup := "transform(extract(model, ?), ?, ?, 0.)"
		require.Contains(t, got, "sum((input * "+lookup+" + output * "+lookup)
		require.NotContains(t, got, "multiIf")
		require.Equal(t, strings.Count(got, "?"), len(gotArgs))
		require.Equal(t, []any{"k", re, prefixes, []float64{1, 10}, re, prefixes, []float64{2, 20}, re, prefixes, []float64{3, 30},
			re, prefixes, []float64{4, 40}, re, prefixes, []float64{5, 50}, "org"}, gotArgs)
	})

	t.Run("summary: the lambda takes the prefixes", func(t *testing.T) {
		q := "SELECT sum(arraySum((model, input, output, cache_read, cache_write, reasoning) -> " + costExpr + ",\n\t\t\t\tusage_models, usage_input_tokens)) AS cost FROM t WHERE org_id = ?"
		got, gotArgs := priceByTransform(q, append(priceArgs(), "org"))
		require.Contains(t, got, "(price_prefix, input, output, cache_read, cache_write, reasoning) -> (input * transform(price_prefix, ?, ?, 0.)")
		require.Contains(t, got, ", arrayMap(m -> extract(m, ?), usage_models), usage_input_tokens))")
		require.Equal(t, strings.Count(got, "?"), len(gotArgs))
		require.Equal(t, re, gotArgs[10])
		require.Equal(t, "org", gotArgs[11])
	})

	t.Run("other queries are left alone", func(t *testing.T) {
		q, args := "SELECT count() FROM t WHERE org_id = ?", []any{"org"}
		got, gotArgs := priceByTransform(q, args)
		require.Equal(t, q, got)
		require.Equal(t, args, gotArgs)
	})
}
