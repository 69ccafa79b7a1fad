package analytics

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

// TestCostSQLMatchesLookup prices models in ClickHouse with costSQL and
// pricedSQL and in Go with Lookup: the same longest prefix, the same
// prices, the same unpriced models.
func TestCostSQLMatchesLookup(t *testing.T) {
	t.Parallel()
	ch := warehousetest.ClickHouse(t)
	ctx := context.Background()
	tables := map[string]PriceTable{
		"default": DefaultPrices(),
		"dots and brackets": {Currency: "USD", Models: map[string]Price{
			"gpt-5.1": {Input: 1, Output: 2}, "gpt-5": {Input: 3, Output: 4, CacheRead: 5}, "a+b(c)": {CacheWrite: 6, Reasoning: 7}}},
		"empty": {Currency: "USD", Models: map[string]Price{}},
	}
	models := []string{"", "mystery-1", "gpt-5.1", "gpt-5x1", "gpt-5-codex", "a+b(c)-2", "ab(c)"}
	for p := range DefaultPrices().Models {
		models = append(models, p, p+"-20990101", p[:len(p)-1])
	}
	for name, table := range tables {
		cost, costArgs := table.costSQL("model", "1000000", "2000000", "3000000", "4000000", "5000000")
		priced, pricedArgs := table.pricedSQL("model")
		for _, model := range models {
			var got []struct {
				Cost   float64 `ch:"cost"`
				Priced bool    `ch:"priced"`
			}
			args := append(append(append([]any{}, costArgs...), pricedArgs...), model)
			require.NoError(t, ch.Select(ctx, &got, `SELECT `+cost+` AS cost, `+priced+` AS priced FROM (SELECT toLowCardinality(?) AS model)`, args...))
			p, ok := table.Lookup(model)
			want := 0.0
			if ok {
				want = p.Input + 2*p.Output + 3*p.CacheRead + 4*p.CacheWrite + 5*p.Reasoning
			}
			require.InDelta(t, want, got[0].Cost, 1e-9, "%s: %q", name, model)
			require.Equal(t, ok, got[0].Priced, "%s: %q", name, model)
		}
	}
}
