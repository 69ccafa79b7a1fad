package bench

import (
	"context"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// RecallResult is HNSW recall@10 against exact search for one org.
type RecallResult struct {
	Org        string  `json:"org"` // largest or mid
	Messages   int     `json:"messages"`
	Vectors    int     `json:"vectors"`
	Share      float64 `json:"share"` // of all vectors in the index
	Queries    int     `json:"queries"`
	Recall     float64 `json:"recall_at_10"`
	MinRecall  float64 `json:"min_recall_at_10"`
	IndexP50   float64 `json:"index_p50_ms"`
	IndexP95   float64 `json:"index_p95_ms"`
	ExactP50   float64 `json:"exact_p50_ms"`
	ExactP95   float64 `json:"exact_p95_ms"`
	ServiceUse string  `json:"service_uses"` // what Service.Search uses for this org: index or exact
	// The same with 100 candidates instead of the service's 400.
	Recall100   float64 `json:"recall_at_10_100_candidates"`
	Index100P50 float64 `json:"index_100_p50_ms"`
	Index100P95 float64 `json:"index_100_p95_ms"`
}

// runRecall compares warehouse.SemanticSearch through the HNSW index
// (Exact=false, with the service's settings: 400 candidates, ef_search
// 200, iterative scan) with the exact scan, on the message ids of the top
// 10, for the largest and a mid-size org, as an admin (no visibility
// filtering).
func runRecall(ctx context.Context, cfg *Config, b *benchDB, p *Plan) ([]RecallResult, error) {
	qs := p.Queries(120, 2)
	largest, mid, _ := benchOrgs(p)
	total, err := b.countVectors(ctx, uuid.Nil)
	if err != nil {
		return nil, err
	}
	var out []RecallResult
	for _, target := range []struct {
		name string
		o    *PlanOrg
	}{{"largest", largest}, {"mid", mid}} {
		r := RecallResult{Org: target.name, Messages: target.o.Messages, Queries: len(qs), MinRecall: 1}
		if r.Vectors, err = b.countVectors(ctx, target.o.ID); err != nil {
			return out, err
		}
		r.Share = float64(r.Vectors) / float64(max(1, total))
		r.ServiceUse = "index"
		if r.Vectors < 20000 {
			r.ServiceUse = "exact"
		}
		cfg.logf("%s: recall@10 %s org (%d vectors)…", p.sizeName(), target.name, r.Vectors)
		viewer := warehouse.Viewer{UserID: target.o.Users[0].ID, Role: warehouse.RoleAdmin}
		var idxMS, exMS, idx100MS []float64
		var sum, sum100 float64
		for _, q := range qs {
			top := func(exact bool, candidates int) ([]int64, float64, error) {
				var hits []warehouse.MessageHit
				t0 := time.Now()
				err := b.db.InOrg(ctx, target.o.ID, func(tx pgx.Tx) error {
					var err error
					hits, err = warehouse.SemanticSearch(ctx, tx, target.o.ID, viewer, warehouse.SemanticQuery{
						Model: "use-lite", Dims: 512, Vector: q.Vector, Exact: exact, Candidates: candidates}, warehouse.SearchFilter{}, 100)
					return err
				})
				ms := float64(time.Since(t0).Microseconds()) / 1000
				ids := make([]int64, 0, 10)
				for i := 0; i < len(hits) && i < 10; i++ {
					ids = append(ids, hits[i].MessageID)
				}
				return ids, ms, err
			}
			approx, ms1, err := top(false, 400)
			if err != nil {
				return out, err
			}
			approx100, ms3, err := top(false, 100)
			if err != nil {
				return out, err
			}
			exact, ms2, err := top(true, 400)
			if err != nil {
				return out, err
			}
			idxMS, exMS, idx100MS = append(idxMS, ms1), append(exMS, ms2), append(idx100MS, ms3)
			rec := overlap(approx, exact)
			sum += rec
			sum100 += overlap(approx100, exact)
			r.MinRecall = min(r.MinRecall, rec)
		}
		r.Recall = sum / float64(len(qs))
		r.Recall100 = sum100 / float64(len(qs))
		sort.Float64s(idx100MS)
		r.Index100P50, r.Index100P95 = percentile(idx100MS, 50), percentile(idx100MS, 95)
		sort.Float64s(idxMS)
		sort.Float64s(exMS)
		r.IndexP50, r.IndexP95 = percentile(idxMS, 50), percentile(idxMS, 95)
		r.ExactP50, r.ExactP95 = percentile(exMS, 50), percentile(exMS, 95)
		cfg.logf("  recall@10 %.3f (min %.1f); index p50 %.1f ms, exact p50 %.1f ms", r.Recall, r.MinRecall, r.IndexP50, r.ExactP50)
		out = append(out, r)
	}
	return out, nil
}

// overlap is the share of want found in got.
func overlap(got, want []int64) float64 {
	if len(want) == 0 {
		return 1
	}
	set := map[int64]bool{}
	for _, id := range want {
		set[id] = true
	}
	found := 0
	for _, id := range got {
		if set[id] {
			found++
		}
	}
	return float64(found) / float64(len(want))
}
