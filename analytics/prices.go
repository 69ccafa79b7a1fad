package analytics

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
)

// Price is what a model costs, in the table's currency per million tokens
// of each kind. Reasoning is priced separately because formats count it
// differently: Codex includes reasoning in its output tokens (price it 0),
// Gemini counts thoughts apart from output (price it as output).
type Price struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cache_read"`
	CacheWrite float64 `json:"cache_write"`
	Reasoning  float64 `json:"reasoning"`
}

// PriceTable prices models by name prefix: a model is priced by the
// longest prefix in Models that it starts with ("claude-sonnet-4" prices
// "claude-sonnet-4-5-20250929"), and a model no prefix matches costs
// nothing and is reported as unpriced.
type PriceTable struct {
	Currency string           `json:"currency"`
	Models   map[string]Price `json:"models"`
}

//go:embed prices.json
var defaultPrices []byte

// DefaultPrices is the built-in table (analytics/prices.json): list
// prices in USD of the models the supported assistants use, as published
// by their vendors in November 2026.
func DefaultPrices() PriceTable {
	t, err := ParsePriceTable(defaultPrices)
	if err != nil {
		panic("built-in price table: " + err.Error())
	}
	return t
}

// LoadPriceTable reads a price table from a JSON file shaped like
// analytics/prices.json; an empty path gives DefaultPrices.
func LoadPriceTable(path string) (PriceTable, error) {
	if path == "" {
		return DefaultPrices(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return PriceTable{}, fmt.Errorf("read price table: %w", err)
	}
	t, err := ParsePriceTable(b)
	if err != nil {
		return t, fmt.Errorf("price table %s: %w", path, err)
	}
	return t, nil
}

// ParsePriceTable decodes and checks a price table.
func ParsePriceTable(b []byte) (PriceTable, error) {
	var raw struct {
		Comment  string           `json:"_comment"`
		Currency string           `json:"currency"`
		Models   map[string]Price `json:"models"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return PriceTable{}, fmt.Errorf("expected {\"currency\": \"USD\", \"models\": {\"model-prefix\": {\"input\": 3, \"output\": 15, …}}}: %w", err)
	}
	if raw.Currency == "" {
		raw.Currency = "USD"
	}
	for name, p := range raw.Models {
		if strings.TrimSpace(name) == "" {
			return PriceTable{}, fmt.Errorf("a model prefix is empty")
		}
		for kind, v := range map[string]float64{"input": p.Input, "output": p.Output, "cache_read": p.CacheRead,
			"cache_write": p.CacheWrite, "reasoning": p.Reasoning} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				return PriceTable{}, fmt.Errorf("model %q: %s price %v must be a number ≥ 0", name, kind, v)
			}
		}
	}
	return PriceTable{Currency: raw.Currency, Models: raw.Models}, nil
}

// Lookup prices one model; ok is false when no prefix matches.
func (t PriceTable) Lookup(model string) (Price, bool) {
	best, found := "", false
	for prefix := range t.Models {
		if strings.HasPrefix(model, prefix) && (!found || len(prefix) > len(best)) {
			best, found = prefix, true
		}
	}
	return t.Models[best], found
}

// costSQL is a ClickHouse expression of the cost of token counts of a
// model, with its arguments: m is the model column, and in, out, cr, cw, r
// the token columns. The longest prefix wins, as in Lookup: one regular
// expression of the prefixes, longest first, extracts it (RE2 takes the
// first alternative that matches), and transform looks up each kind's
// price. The expression stays small whatever the table's size: a multiIf
// over every prefix made ClickHouse spend more on the expression than on
// the few summed rows the metrics price.
func (t PriceTable) costSQL(m, in, out, cr, cw, r string) (string, []any) {
	prefixes := t.prefixes()
	re := prefixRegexp(prefixes)
	var terms []string
	var args []any
	for _, kind := range []struct {
		col   string
		price func(Price) float64
	}{
		{in, func(p Price) float64 { return p.Input }},
		{out, func(p Price) float64 { return p.Output }},
		{cr, func(p Price) float64 { return p.CacheRead }},
		{cw, func(p Price) float64 { return p.CacheWrite }},
		{r, func(p Price) float64 { return p.Reasoning }},
	} {
		prices := make([]float64, len(prefixes))
		for i, p := range prefixes {
			prices[i] = kind.price(t.Models[p])
		}
		terms = append(terms, kind.col+" * transform(extract("+m+", ?), ?, ?, 0.)")
		args = append(args, re, prefixes, prices)
	}
	return "(" + strings.Join(terms, " + ") + ") / 1000000", args
}

// pricedSQL is a ClickHouse expression that is 1 when the model in column
// m has a price, with its argument.
func (t PriceTable) pricedSQL(m string) (string, []any) {
	return "extract(" + m + ", ?) != ''", []any{prefixRegexp(t.prefixes())}
}

// prefixes are the table's prefixes, longest first.
func (t PriceTable) prefixes() []string {
	out := make([]string, 0, len(t.Models))
	for p := range t.Models {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return out
}

// prefixRegexp matches the longest of prefixes (longest first, as
// PriceTable.prefixes lists them) at the start of a model name. For no
// prefixes it matches nothing (a word boundary that is not one), so
// extract finds no prefix and every model is unpriced.
func prefixRegexp(prefixes []string) string {
	quoted := []string{}
	for _, p := range prefixes {
		quoted = append(quoted, regexp.QuoteMeta(p))
	}
	if len(quoted) == 0 {
		return "^(\\b\\B)"
	}
	return "^(" + strings.Join(quoted, "|") + ")"
}
