package bench

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// LatencyCell is the latency of one (org, mode, concurrency) combination.
type LatencyCell struct {
	Org         string  `json:"org"` // largest or small
	OrgMessages int     `json:"org_messages"`
	OrgVectors  int     `json:"org_vectors"`
	Mode        string  `json:"mode"`
	Concurrency int     `json:"concurrency"`
	N           int     `json:"n"`
	P50         float64 `json:"p50_ms"`
	P95         float64 `json:"p95_ms"`
	P99         float64 `json:"p99_ms"`
	Max         float64 `json:"max_ms"`
	QPS         float64 `json:"qps"`
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	// NoResults is the share of searches that found nothing.
	NoResults float64 `json:"no_results"`
	// ByKind is the latency per query kind (concurrency 1 only).
	ByKind map[string]KindLatency `json:"by_kind,omitempty"`
}

// KindLatency is one query kind's share of a cell.
type KindLatency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
}

// runLatency measures Service.Search for the largest and a small org in
// every mode at concurrency 1 and 8, with a developer (who sees their
// own and their team's conversations) as the viewer, and for the largest
// org as a developer who sees a small part of it.
func runLatency(ctx context.Context, cfg *Config, b *benchDB, p *Plan) ([]LatencyCell, error) {
	qs := p.Queries(400, 1)
	emb, err := NewFixedEmbedder(qs)
	if err != nil {
		return nil, err
	}
	svc := &search.Service{DB: b.db, Embedder: emb, Logger: cfg.Logger, Jobs: analyticsJobs(b.db)}
	largest, _, small := benchOrgs(p)
	var out []LatencyCell
	for _, target := range []struct {
		name string
		o    *PlanOrg
		user PlanUser
		conc []int
	}{{"largest", largest, largest.Users[1], []int{1, 8}}, {"small", small, small.Users[1], []int{1, 8}},
		// A developer of the largest org's last team, who sees a small
		// part of it: the candidates they may see are far between.
		{"largest, narrow viewer", largest, narrowViewer(largest), []int{1}}} {
		vectors, err := b.countVectors(ctx, target.o.ID)
		if err != nil {
			return out, err
		}
		viewer := warehouse.Viewer{UserID: target.user.ID, Role: target.user.Role}
		for _, mode := range []search.Mode{search.ModeKeyword, search.ModeSemantic, search.ModeHybrid} {
			for _, conc := range target.conc {
				cfg.logf("%s: latency %s org (%s messages), %s, concurrency %d…", p.sizeName(), target.name, humanCount(target.o.Messages), mode, conc)
				cell := measureCell(ctx, cfg, svc, target.o, viewer, mode, conc, qs)
				cell.Org, cell.OrgMessages, cell.OrgVectors = target.name, target.o.Messages, vectors
				cfg.logf("  p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  (n=%d, %.1f/s, %d errors)", cell.P50, cell.P95, cell.P99, cell.N, cell.QPS, cell.Errors)
				out = append(out, cell)
			}
		}
	}
	return out, nil
}

func (p *Plan) sizeName() string { return humanCount(p.Messages) }

type sample struct {
	kind  string
	d     time.Duration
	empty bool
}

func measureCell(ctx context.Context, cfg *Config, svc *search.Service, o *PlanOrg, viewer warehouse.Viewer, mode search.Mode, conc int, qs []Query) LatencyCell {
	cell := LatencyCell{Mode: string(mode), Concurrency: conc}
	run := func(q Query) (time.Duration, bool, error) {
		t0 := time.Now()
		res, err := svc.Search(ctx, search.Request{OrgID: o.ID, Viewer: viewer, Query: q.Text, Mode: mode, Limit: 20})
		return time.Since(t0), len(res.Conversations) == 0, err
	}
	// Warm-up: the first searches load the org's count and warm caches.
	for i := range min(10, len(qs)) {
		_, _, _ = run(qs[len(qs)-1-i])
	}
	var next atomic.Int64
	var mu sync.Mutex
	var samples []sample
	deadline := time.Now().Add(cfg.Budget)
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= cfg.Queries || ctx.Err() != nil || (time.Now().After(deadline) && i >= 20*conc) {
					return
				}
				q := qs[i%len(qs)]
				d, empty, err := run(q)
				mu.Lock()
				if err != nil {
					cell.Errors++
					if cell.FirstError == "" {
						cell.FirstError = fmt.Sprintf("%q: %v", q.Text, err)
					}
				} else {
					samples = append(samples, sample{q.Kind, d, empty})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cell.N = len(samples)
	if cell.N == 0 {
		return cell
	}
	all := make([]float64, 0, len(samples))
	kinds := map[string][]float64{}
	empty := 0
	for _, s := range samples {
		ms := float64(s.d.Microseconds()) / 1000
		all = append(all, ms)
		kinds[s.kind] = append(kinds[s.kind], ms)
		if s.empty {
			empty++
		}
	}
	sort.Float64s(all)
	cell.P50, cell.P95, cell.P99, cell.Max = percentile(all, 50), percentile(all, 95), percentile(all, 99), all[len(all)-1]
	cell.QPS = float64(cell.N) / elapsed.Seconds()
	cell.NoResults = float64(empty) / float64(cell.N)
	if conc == 1 {
		cell.ByKind = map[string]KindLatency{}
		for k, v := range kinds {
			v = sortedCopy(v)
			cell.ByKind[k] = KindLatency{N: len(v), P50: percentile(v, 50), P95: percentile(v, 95)}
		}
	}
	return cell
}

// analyticsJobs enqueues the search events' analytics projections as the
// service does (an insert-only River client: nothing works them off in a
// benchmark database, the insert is what a search costs).
func analyticsJobs(db *warehouse.DB) search.TxEnqueuer {
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	if err != nil {
		return nil
	}
	return client
}
