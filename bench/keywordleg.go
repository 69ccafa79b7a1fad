package bench

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Keyword-leg variants of hybrid search, measured on their own (the SQL
// of warehouse.KeywordSearch, without fusion or presentation): every
// plain word required (keyword mode), any of them (hybrid's leg since the
// relevance evaluation), or any two of them when there are three or more.
const (
	legAll   = "all words"
	legAny   = "any word"
	legPairs = "any two words"
)

var legVariants = []string{legAll, legAny, legPairs}

// LegLatency is the latency of one keyword-leg variant.
type LegLatency struct {
	Variant string  `json:"variant"`
	N       int     `json:"n"`
	P50     float64 `json:"p50_ms"`
	P95     float64 `json:"p95_ms"`
	P99     float64 `json:"p99_ms"`
	// Hits is the mean number of message hits returned (at most 100).
	Hits float64 `json:"mean_hits"`
}

// legQuery builds the keyword query of a variant, as Service.Search
// would: single plain words merged into one group (stop-words dropped),
// phrases, code and exclusions unchanged. ok is false when nothing is left
// to search for.
func legQuery(ctx context.Context, tx pgx.Tx, q, variant string) (warehouse.KeywordQuery, bool, error) {
	parsed, err := search.ParseQuery(q)
	if err != nil {
		return warehouse.KeywordQuery{}, false, nil
	}
	out := warehouse.KeywordQuery{Exclude: parsed.Keyword.Exclude}
	var words []string
	for _, g := range parsed.Keyword.Groups {
		if len(g) == 1 && g[0].Words != "" {
			words = append(words, strings.Fields(g[0].Words)...)
			continue
		}
		out.Groups = append(out.Groups, g)
	}
	if len(words) > 0 {
		content, err := warehouse.ContentWords(ctx, tx, words)
		if err != nil {
			return out, false, err
		}
		var first []warehouse.TextMatch
		switch {
		case len(content) == 0:
		case variant == legAll || len(content) == 1:
			first = []warehouse.TextMatch{{Words: strings.Join(content, " ")}}
		case variant == legAny || len(content) == 2:
			for _, w := range content {
				first = append(first, warehouse.TextMatch{Words: w})
			}
		default: // pairs
			for i := range content {
				for j := i + 1; j < len(content); j++ {
					first = append(first, warehouse.TextMatch{Words: content[i] + " " + content[j]})
				}
			}
		}
		if len(first) > 0 {
			out.Groups = append([][]warehouse.TextMatch{first}, out.Groups...)
		}
	}
	return out, len(out.Groups) > 0, nil
}

// keywordLeg runs one variant's keyword search and returns its hits.
func keywordLeg(ctx context.Context, db *warehouse.DB, orgID uuid.UUID, viewer warehouse.Viewer, q, variant string) ([]warehouse.MessageHit, error) {
	var hits []warehouse.MessageHit
	err := db.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		kq, ok, err := legQuery(ctx, tx, q, variant)
		if err != nil || !ok {
			return err
		}
		hits, err = warehouse.KeywordSearch(ctx, tx, orgID, viewer, kq, warehouse.SearchFilter{}, 100)
		return err
	})
	return hits, err
}

// conversationRanking orders conversations by their first hit.
func conversationRanking(hits []warehouse.MessageHit) []uuid.UUID {
	seen := map[uuid.UUID]bool{}
	var out []uuid.UUID
	for _, h := range hits {
		if !seen[h.ConversationID] {
			seen[h.ConversationID] = true
			out = append(out, h.ConversationID)
		}
	}
	return out
}

// runKeywordLegs measures the three variants for the largest org, one
// search at a time, as the benchmark's developer.
func runKeywordLegs(ctx context.Context, cfg *Config, b *benchDB, p *Plan) ([]LegLatency, error) {
	qs := p.Queries(400, 1)
	o, _, _ := benchOrgs(p)
	viewer := warehouse.Viewer{UserID: o.Users[1].ID, Role: o.Users[1].Role}
	var out []LegLatency
	for _, v := range legVariants {
		cfg.logf("%s: keyword leg (%s), largest org…", p.sizeName(), v)
		var ms []float64
		var hits int
		deadline := time.Now().Add(cfg.Budget)
		for i := 0; i < min(cfg.Queries, len(qs)) && (i < 20 || time.Now().Before(deadline)); i++ {
			t0 := time.Now()
			h, err := keywordLeg(ctx, b.db, o.ID, viewer, qs[i].Text, v)
			if err != nil {
				return out, err
			}
			ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
			hits += len(h)
		}
		sort.Float64s(ms)
		l := LegLatency{Variant: v, N: len(ms), P50: percentile(ms, 50), P95: percentile(ms, 95), P99: percentile(ms, 99), Hits: float64(hits) / float64(len(ms))}
		cfg.logf("  p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  (n=%d, %.0f hits)", l.P50, l.P95, l.P99, l.N, l.Hits)
		out = append(out, l)
	}
	return out, nil
}
