package analytics_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/analytics"
)

func TestPriceTable(t *testing.T) {
	t.Parallel()
	prices := analytics.DefaultPrices()
	require.Equal(t, "USD", prices.Currency)
	for model, want := range map[string]float64{
		"claude-sonnet-4-5-20250929": 3,    // claude-sonnet-4
		"claude-opus-4-5-20251101":   5,    // claude-opus-4-5, not claude-opus-4
		"claude-opus-4-20250514":     15,   // claude-opus-4
		"gpt-5-codex":                1.25, // gpt-5-codex, not gpt-5
		"gpt-5-mini":                 0.25,
	} {
		p, ok := prices.Lookup(model)
		require.True(t, ok, model)
		require.Equal(t, want, p.Input, model)
	}
	_, ok := prices.Lookup("mystery-1")
	require.False(t, ok)

	path := filepath.Join(t.TempDir(), "prices.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"currency": "EUR", "models": {"in-house-": {"input": 0.5, "output": 1}}}`), 0o600))
	own, err := analytics.LoadPriceTable(path)
	require.NoError(t, err)
	require.Equal(t, "EUR", own.Currency)
	p, ok := own.Lookup("in-house-7b")
	require.True(t, ok)
	require.Equal(t, analytics.Price{Input: 0.5, Output: 1}, p)

	for body, want := range map[string]string{
		`{"models": {"m": {"input": -1}}}`:    `model "m": input price -1 must be a number ≥ 0`,
		`{"models": {"m": {"inptu": 1}}}`:     `unknown field "inptu"`,
		`{"models": {" ": {"input": 1}}}`:     "a model prefix is empty",
		`[1, 2]`:                              "expected {\"currency\"",
		`{"models": {"m": {"input": "1"}}}`:   "cannot unmarshal string",
		`{"currency": "USD", "models": {}} x`: "", // trailing data after one object is ignored by the decoder
	} {
		_, err := analytics.ParsePriceTable([]byte(body))
		if want == "" {
			require.NoError(t, err, body)
			continue
		}
		require.ErrorContains(t, err, want, body)
	}
	_, err = analytics.LoadPriceTable(filepath.Join(t.TempDir(), "missing.json"))
	require.ErrorContains(t, err, "read price table")
}

func FuzzParsePriceTable(f *testing.F) {
	f.Add([]byte(`{"currency": "USD", "models": {"claude-": {"input": 3, "output": 15, "cache_read": 0.3}}}`))
	f.Add([]byte(`{"models": {"m": {"input": 1e309}}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		table, err := analytics.ParsePriceTable(b)
		if err != nil {
			return
		}
		// Whatever parses prices every model without a negative number.
		for prefix := range table.Models {
			p, ok := table.Lookup(prefix + "x")
			if !ok || p.Input < 0 || p.Output < 0 || p.CacheRead < 0 || p.CacheWrite < 0 || p.Reasoning < 0 {
				t.Fatalf("prefix %q: %+v, %v", prefix, p, ok)
			}
		}
	})
}
