package bench

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// RecallResult is HNSW recall@10 against exact search for one org and
// viewer.
type RecallResult struct {
	Org      string `json:"org"`    // largest or mid
	Viewer   string `json:"viewer"` // admin, developer or narrow (see recallViewers)
	Messages int    `json:"messages"`
	Vectors  int    `json:"vectors"`
	// Share is the org's share of all vectors in the index; Visible the
	// share of the org's vectors the viewer may see.
	Share      float64 `json:"share"`
	Visible    float64 `json:"visible"`
	Queries    int     `json:"queries"`
	Candidates int     `json:"candidates"` // the service's (search.SemanticCandidates)
	Recall     float64 `json:"recall_at_10"`
	MinRecall  float64 `json:"min_recall_at_10"`
	IndexP50   float64 `json:"index_p50_ms"`
	IndexP95   float64 `json:"index_p95_ms"`
	ExactP50   float64 `json:"exact_p50_ms"`
	ExactP95   float64 `json:"exact_p95_ms"`
	ServiceUse string  `json:"service_uses"` // what Service.Search uses for this org: index or exact
	// The same with 400 candidates (the service's until the search
	// latency work).
	Recall400   float64 `json:"recall_at_10_400_candidates"`
	Index400P50 float64 `json:"index_400_p50_ms"`
	Index400P95 float64 `json:"index_400_p95_ms"`
}

// recallViewers: an admin (sees the whole org), the latency benchmark's
// developer (own and team conversations: the most active team, most of
// the largest org) and a developer of the org's last team (a small part
// of it), whose visible vectors the index scan must find among the rest.
func recallViewers(o *PlanOrg) []struct {
	name string
	user PlanUser
} {
	out := []struct {
		name string
		user PlanUser
	}{{"admin", o.Users[0]}, {"developer", o.Users[1]}}
	if n := narrowViewer(o); n.ID != o.Users[1].ID {
		out = append(out, struct {
			name string
			user PlanUser
		}{"narrow", n})
	}
	return out
}

// narrowViewer is the last developer of the org (in its last team, the
// least active members).
func narrowViewer(o *PlanOrg) PlanUser {
	for i := len(o.Users) - 1; i > 0; i-- {
		if o.Users[i].Role == warehouse.RoleDeveloper {
			return o.Users[i]
		}
	}
	return o.Users[len(o.Users)-1]
}

// runRecall compares warehouse.SemanticSearch through the HNSW index
// (Exact=false, with the service's settings: search.SemanticCandidates
// candidates, ef_search 40, iterative scan) with the exact scan, on the
// message ids of the top 10, for the largest org as each of recallViewers
// and a mid-size org as an admin.
func runRecall(ctx context.Context, cfg *Config, b *benchDB, p *Plan) ([]RecallResult, error) {
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
		vectors, err := b.countVectors(ctx, target.o.ID)
		if err != nil {
			return out, err
		}
		for _, rv := range recallViewers(target.o) {
			if target.name == "mid" && rv.name != "admin" {
				continue
			}
			// Exact search as a viewer who sees part of a large org sorts
			// all of its vectors: fewer queries.
			qs := p.Queries(120, 2)
			if rv.name != "admin" {
				qs = qs[:40]
			}
			r := RecallResult{Org: target.name, Viewer: rv.name, Messages: target.o.Messages, Vectors: vectors, Queries: len(qs),
				Candidates: search.SemanticCandidates, MinRecall: 1}
			r.Share = float64(r.Vectors) / float64(max(1, total))
			if r.Visible, err = b.visibleShare(ctx, target.o.ID, rv.user); err != nil {
				return out, err
			}
			r.ServiceUse = "index"
			if r.Vectors < 20000 {
				r.ServiceUse = "exact"
			}
			cfg.logf("%s: recall@10 %s org (%d vectors), %s (sees %.1f%%)…", p.sizeName(), target.name, r.Vectors, rv.name, 100*r.Visible)
			viewer := warehouse.Viewer{UserID: rv.user.ID, Role: rv.user.Role}
			var idxMS, exMS, idx400MS []float64
			var sum, sum400 float64
			for _, q := range qs {
				top := func(exact bool, candidates int) ([]int64, float64, error) {
					var hits []warehouse.MessageHit
					t0 := time.Now()
					err := b.db.InOrg(ctx, target.o.ID, func(tx pgx.Tx) error {
						var err error
						hits, err = warehouse.SemanticSearch(ctx, tx, target.o.ID, viewer, warehouse.SemanticQuery{
							Model: "use-lite", Dims: 512, Vector: q.Vector, Exact: exact, Candidates: candidates}, warehouse.SearchFilter{}, candidates)
						return err
					})
					ms := float64(time.Since(t0).Microseconds()) / 1000
					ids := make([]int64, 0, 10)
					for i := 0; i < len(hits) && i < 10; i++ {
						ids = append(ids, hits[i].MessageID)
					}
					return ids, ms, err
				}
				approx, ms1, err := top(false, search.SemanticCandidates)
				if err != nil {
					return out, err
				}
				approx400, ms3, err := top(false, 400)
				if err != nil {
					return out, err
				}
				exact, ms2, err := top(true, search.SemanticCandidates)
				if err != nil {
					return out, err
				}
				idxMS, exMS, idx400MS = append(idxMS, ms1), append(exMS, ms2), append(idx400MS, ms3)
				rec := overlap(approx, exact)
				sum += rec
				sum400 += overlap(approx400, exact)
				r.MinRecall = min(r.MinRecall, rec)
			}
			r.Recall = sum / float64(len(qs))
			r.Recall400 = sum400 / float64(len(qs))
			sort.Float64s(idx400MS)
			r.Index400P50, r.Index400P95 = percentile(idx400MS, 50), percentile(idx400MS, 95)
			sort.Float64s(idxMS)
			sort.Float64s(exMS)
			r.IndexP50, r.IndexP95 = percentile(idxMS, 50), percentile(idxMS, 95)
			r.ExactP50, r.ExactP95 = percentile(exMS, 50), percentile(exMS, 95)
			cfg.logf("  recall@10 %.3f (min %.1f; %.3f with 400 candidates); index p50 %.1f ms, exact p50 %.1f ms", r.Recall, r.MinRecall, r.Recall400, r.IndexP50, r.ExactP50)
			out = append(out, r)
		}
	}
	return out, nil
}

// visibleShare is the share of the org's vectors a member sees: the
// benchmark's conversations have no visibility of their own and its orgs
// the default (team), so a developer sees their own and their team mates'.
func (b *benchDB) visibleShare(ctx context.Context, orgID uuid.UUID, u PlanUser) (float64, error) {
	if u.Role == warehouse.RoleAdmin {
		return 1, nil
	}
	var share float64
	err := b.db.AsSystem(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `select coalesce(sum(n) filter (where c.user_id = $2 or c.user_id in (select b.user_id from team_members a
				join team_members b on b.org_id = a.org_id and b.team_id = a.team_id where a.org_id = $1 and a.user_id = $2))::float8 / nullif(sum(n), 0), 0)
			from (select conversation_id, count(*) as n from message_embeddings where org_id = $1 group by conversation_id) e
			join conversations c on c.org_id = $1 and c.id = e.conversation_id`, orgID, u.ID).Scan(&share)
	})
	if err != nil {
		return 0, fmt.Errorf("visible share: %w", err)
	}
	return share, nil
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
