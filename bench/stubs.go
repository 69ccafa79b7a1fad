package bench

import (
	"context"

	"github.com/context-intelligence/ctxintel/search"
)

type RelevanceResult struct{}

func runRelevance(ctx context.Context, cfg *Config, m *search.USELite) (RelevanceResult, error) {
	return RelevanceResult{}, nil
}
func renderReport(r *Results) string { return "# Benchmarks\n" }
