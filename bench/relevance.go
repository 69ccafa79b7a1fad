package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// RelevanceResult is the relevance evaluation on the judged corpus.
type RelevanceResult struct {
	Database      string                        `json:"database"`
	Conversations int                           `json:"conversations"`
	Chunks        int                           `json:"chunks"`
	Queries       int                           `json:"queries"`
	EmbedSeconds  float64                       `json:"embed_seconds"`
	Modes         []ModeScore                   `json:"modes"`
	ByKind        map[string]map[string]float64 `json:"by_kind"` // kind → mode → nDCG@10
	PerQuery      []QueryScore                  `json:"per_query"`
	// Fusion compares the service's fusion with variants, computed from
	// the keyword and semantic rankings of the same searches.
	Fusion []FusionScore `json:"fusion"`
}

// ModeScore is one mode's mean scores.
type ModeScore struct {
	Mode   string  `json:"mode"`
	NDCG   float64 `json:"ndcg_at_10"`
	Recall float64 `json:"recall_at_10"`
}

// QueryScore is one query's nDCG@10 per mode.
type QueryScore struct {
	Query string             `json:"query"`
	Kind  string             `json:"kind"`
	NDCG  map[string]float64 `json:"ndcg_at_10"`
}

// FusionScore is a fusion rule's mean scores.
type FusionScore struct {
	Name   string  `json:"name"`
	NDCG   float64 `json:"ndcg_at_10"`
	Recall float64 `json:"recall_at_10"`
}

// noJobs stands in for River when ingesting the judged corpus: it is
// processed and embedded synchronously.
type noJobs struct{}

func (noJobs) InsertTx(context.Context, pgx.Tx, river.JobArgs, *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return &rivertype.JobInsertResult{}, nil
}

func corpusHash() string {
	h := sha256.New()
	_ = json.NewEncoder(h).Encode(judgedConvs)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// runRelevance ingests the judged corpus through the real capture path,
// embeds it with the real model, and scores the three modes.
func runRelevance(ctx context.Context, cfg *Config, model *search.USELite) (RelevanceResult, error) {
	const name = "ctxintel_bench_eval"
	r := RelevanceResult{Database: name, Conversations: len(judgedConvs), Queries: len(judgedQueries)}
	exists, err := databaseExists(ctx, cfg.DatabaseURL, name)
	if err != nil {
		return r, err
	}
	var b *benchDB
	want := corpusHash()
	var have struct {
		Hash         string  `json:"hash"`
		EmbedSeconds float64 `json:"embed_seconds"`
	}
	if exists && (cfg.Reuse || cfg.SkipLoad) {
		if b, err = openDatabase(ctx, cfg.DatabaseURL, name); err != nil {
			return r, err
		}
		if _, err := b.state(ctx, "corpus", &have); err != nil {
			b.Close()
			return r, err
		}
		if have.Hash != want {
			b.Close()
			b = nil
		}
	}
	orgID := uuid.NewSHA1(uuid.NameSpaceOID, []byte("ctxintel-bench-eval"))
	userID := uuid.NewSHA1(uuid.NameSpaceOID, []byte("ctxintel-bench-eval-user"))
	if b == nil {
		cfg.logf("relevance: ingesting and embedding the judged corpus (%d conversations) with USE-Lite…", len(judgedConvs))
		if b, err = createDatabase(ctx, cfg.DatabaseURL, name, cfg.Template); err != nil {
			return r, err
		}
		secs, err := loadJudged(ctx, b.db, model, orgID, userID)
		if err != nil {
			b.Close()
			return r, err
		}
		have.Hash, have.EmbedSeconds = want, secs
		if err := b.setState(ctx, "corpus", have); err != nil {
			b.Close()
			return r, err
		}
	}
	defer b.Close()
	r.EmbedSeconds = have.EmbedSeconds
	if r.Chunks, err = b.countVectors(ctx, orgID); err != nil {
		return r, err
	}

	keys := map[uuid.UUID]string{}
	err = b.db.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select id, external_id from conversations`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id uuid.UUID
			var k string
			if err := rows.Scan(&id, &k); err != nil {
				return err
			}
			keys[id] = k
		}
		return rows.Err()
	})
	if err != nil {
		return r, err
	}
	svc := &search.Service{DB: b.db, Embedder: model, Logger: cfg.Logger}
	viewer := warehouse.Viewer{UserID: userID, Role: warehouse.RoleAdmin}
	ranking := func(q string, mode search.Mode, limit int) ([]string, error) {
		res, err := svc.Search(ctx, search.Request{OrgID: orgID, Viewer: viewer, Query: q, Mode: mode, Limit: limit})
		if err != nil {
			return nil, fmt.Errorf("search %q (%s): %w", q, mode, err)
		}
		out := make([]string, len(res.Conversations))
		for i, c := range res.Conversations {
			out[i] = keys[c.ID]
		}
		return out, nil
	}
	modes := []search.Mode{search.ModeKeyword, search.ModeSemantic, search.ModeHybrid}
	sums := map[string][2]float64{}
	byKind := map[string]map[string][]float64{}
	type lists struct{ kw, sem, kwOr, kwPairs []string }
	var all []lists
	for _, jq := range judgedQueries {
		qs := QueryScore{Query: jq.Query, Kind: jq.Kind, NDCG: map[string]float64{}}
		for _, mode := range modes {
			ranked, err := ranking(jq.Query, mode, 10)
			if err != nil {
				return r, err
			}
			n, rec := ndcgAt10(ranked, jq.Judgment), recallAt10(ranked, jq.Judgment)
			s := sums[string(mode)]
			sums[string(mode)] = [2]float64{s[0] + n, s[1] + rec}
			qs.NDCG[string(mode)] = n
			if byKind[jq.Kind] == nil {
				byKind[jq.Kind] = map[string][]float64{}
			}
			byKind[jq.Kind][string(mode)] = append(byKind[jq.Kind][string(mode)], n)
		}
		r.PerQuery = append(r.PerQuery, qs)
		kw, err := ranking(jq.Query, search.ModeKeyword, 100)
		if err != nil {
			return r, err
		}
		sem, err := ranking(jq.Query, search.ModeSemantic, 100)
		if err != nil {
			return r, err
		}
		kwOr, err := ranking(anyWordQuery(jq.Query), search.ModeKeyword, 100)
		if err != nil {
			return r, err
		}
		pairHits, err := keywordLeg(ctx, b.db, orgID, viewer, jq.Query, legPairs)
		if err != nil {
			return r, err
		}
		var kwPairs []string
		for _, id := range conversationRanking(pairHits) {
			kwPairs = append(kwPairs, keys[id])
		}
		all = append(all, lists{kw, sem, kwOr, kwPairs})
	}
	nq := float64(len(judgedQueries))
	for _, mode := range modes {
		s := sums[string(mode)]
		r.Modes = append(r.Modes, ModeScore{Mode: string(mode), NDCG: s[0] / nq, Recall: s[1] / nq})
	}
	r.ByKind = map[string]map[string]float64{}
	for k, m := range byKind {
		r.ByKind[k] = map[string]float64{}
		for mode, v := range m {
			var t float64
			for _, x := range v {
				t += x
			}
			r.ByKind[k][mode] = t / float64(len(v))
		}
	}
	// Fusion variants over the same two rankings.
	for _, v := range fusionVariants {
		var n, rec float64
		for i, jq := range judgedQueries {
			kw := all[i].kw
			switch v.leg {
			case legAny:
				kw = all[i].kwOr
			case legPairs:
				kw = all[i].kwPairs
			}
			fused := v.fuse(kw, all[i].sem)
			n += ndcgAt10(fused, jq.Judgment)
			rec += recallAt10(fused, jq.Judgment)
		}
		r.Fusion = append(r.Fusion, FusionScore{Name: v.name, NDCG: n / nq, Recall: rec / nq})
	}
	for _, m := range r.Modes {
		cfg.logf("  %-8s nDCG@10 %.3f  recall@10 %.3f", m.Mode, m.NDCG, m.Recall)
	}
	return r, nil
}

// loadJudged stores every judged conversation through ingest (as the
// generic JSON format of the capture API), processes it, and embeds it
// with the real model. It returns the seconds spent embedding.
func loadJudged(ctx context.Context, db *warehouse.DB, model *search.USELite, orgID, userID uuid.UUID) (float64, error) {
	err := db.AsSystem(ctx, func(tx pgx.Tx) error {
		if err := warehouse.BulkInsertOrganizations(ctx, tx, []warehouse.BulkOrganization{{ID: orgID, Slug: "bench-eval", Name: "Relevance evaluation"}}); err != nil {
			return err
		}
		if err := warehouse.BulkInsertUsers(ctx, tx, []warehouse.BulkUser{{ID: userID, Email: "judge@bench-eval.example", Name: "Judge"}}); err != nil {
			return err
		}
		return warehouse.BulkInsertMemberships(ctx, tx, []warehouse.BulkMembership{{OrgID: orgID, UserID: userID, Role: warehouse.RoleAdmin}})
	})
	if err != nil {
		return 0, err
	}
	red, err := redact.New()
	if err != nil {
		return 0, err
	}
	ing := &ingest.Service{DB: db, Jobs: noJobs{}, Redactor: red}
	svc := &search.Service{DB: db, Embedder: model}
	start := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	var embed time.Duration
	for i, c := range judgedConvs {
		doc, _ := json.Marshal(map[string]any{
			"source": "claude_code", "external_id": c.Key, "title": c.Title, "git_remote": "git@github.com:acme/shop.git",
			"git_branches": []string{"main"}, "started_at": start.Add(time.Duration(i) * time.Hour).Format(time.RFC3339),
			"messages": []map[string]any{{"role": "user", "text": c.User}, {"role": "assistant", "text": c.Assistant}},
		})
		stored, err := ing.Store(ctx, ingest.Upload{OrgID: orgID, UserID: userID, Name: c.Key + ".json", Data: doc})
		if err != nil {
			return 0, err
		}
		rep, err := ing.Process(ctx, ingest.ProcessCaptureArgs{OrgID: orgID, CaptureID: stored.Capture.ID})
		if err != nil {
			return 0, err
		}
		if len(rep.Conversations) != 1 || rep.Conversations[0].ID == nil {
			return 0, fmt.Errorf("judged conversation %s did not parse: %+v", c.Key, rep.Problems)
		}
		t0 := time.Now()
		if _, err := svc.EmbedConversation(ctx, search.EmbedConversationArgs{OrgID: orgID, ConversationID: *rep.Conversations[0].ID}); err != nil {
			return 0, err
		}
		embed += time.Since(t0)
	}
	return embed.Seconds(), nil
}

func ndcgAt10(ranked []string, judged map[string]int) float64 {
	var dcg float64
	for i := 0; i < len(ranked) && i < 10; i++ {
		if g := judged[ranked[i]]; g > 0 {
			dcg += (math.Pow(2, float64(g)) - 1) / math.Log2(float64(i+2))
		}
	}
	var grades []int
	for _, g := range judged {
		if g > 0 {
			grades = append(grades, g)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(grades)))
	var idcg float64
	for i := 0; i < len(grades) && i < 10; i++ {
		idcg += (math.Pow(2, float64(grades[i])) - 1) / math.Log2(float64(i+2))
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

func recallAt10(ranked []string, judged map[string]int) float64 {
	rel, found := 0, 0
	top := map[string]bool{}
	for i := 0; i < len(ranked) && i < 10; i++ {
		top[ranked[i]] = true
	}
	for k, g := range judged {
		if g > 0 {
			rel++
			if top[k] {
				found++
			}
		}
	}
	if rel == 0 {
		return 0
	}
	return float64(found) / float64(rel)
}

type fusionVariant struct {
	name string
	fuse func(kw, sem []string) []string
	// leg is the keyword ranking fused: legAll (keyword mode's), legAny
	// (the plain words joined by OR, ranked by how many and how well they
	// match) or legPairs (any two of them).
	leg string
}

// anyWordQuery rewrites a query of plain words into alternatives ("a b c"
// → "a OR b OR c"); queries with phrases, exclusions, OR or code-like
// words are left as they are.
func anyWordQuery(q string) string {
	words := strings.Fields(q)
	if len(words) < 2 || strings.ContainsAny(q, `"-`) {
		return q
	}
	for _, w := range words {
		if w == "OR" || codeLike(w) || strings.ContainsAny(w, "_./:()") {
			return q
		}
	}
	return strings.Join(words, " OR ")
}

func onlyKeyword(kw, _ []string) []string { return kw }

// rrf fuses two conversation rankings by weighted reciprocal rank; the
// service's fusion is rrf(60, 1, 1) over the same conversation ranks (its
// hybrid keyword leg takes any of the plain words since the evaluation
// showed it, see search.anyWord).
func rrf(k, wKw, wSem float64) func(kw, sem []string) []string {
	return func(kw, sem []string) []string {
		score := map[string]float64{}
		var order []string
		add := func(list []string, w float64) {
			for i, id := range list {
				if _, ok := score[id]; !ok {
					order = append(order, id)
				}
				score[id] += w / (k + float64(i+1))
			}
		}
		add(kw, wKw)
		add(sem, wSem)
		sort.SliceStable(order, func(i, j int) bool { return score[order[i]] > score[order[j]] })
		return order
	}
}

// keywordFirstIfFew keeps keyword results on top when there are only a
// few of them (an identifier or an exact error string: they are what was
// asked for), then fills with fused results; otherwise plain fusion.
func keywordFirstIfFew(few int, inner func(kw, sem []string) []string) func(kw, sem []string) []string {
	return func(kw, sem []string) []string {
		fused := inner(kw, sem)
		if len(kw) == 0 || len(kw) > few {
			return fused
		}
		out := append([]string(nil), kw...)
		seen := map[string]bool{}
		for _, id := range kw {
			seen[id] = true
		}
		for _, id := range fused {
			if !seen[id] {
				out = append(out, id)
			}
		}
		return out
	}
}

var fusionVariants = []fusionVariant{
	{"all words required in the keyword leg, RRF k=60, equal weights", rrf(60, 1, 1), legAll},
	{"all words required, RRF k=60, semantic weight 1.5", rrf(60, 1, 1.5), legAll},
	{"all words required, RRF k=60, semantic weight 2", rrf(60, 1, 2), legAll},
	{"all words required, RRF k=60, keyword weight 1.5", rrf(60, 1.5, 1), legAll},
	{"all words required, RRF k=10, equal weights", rrf(10, 1, 1), legAll},
	{"all words required, RRF k=20, equal weights", rrf(20, 1, 1), legAll},
	{"all words required, keyword first when ≤ 3 keyword hits, else RRF k=60", keywordFirstIfFew(3, rrf(60, 1, 1)), legAll},
	{"keyword alone, any word (OR) instead of all words", onlyKeyword, legAny},
	{"any-word keyword leg, RRF k=60, equal weights", rrf(60, 1, 1), legAny},
	{"any-word keyword leg, RRF k=60, semantic weight 1.5", rrf(60, 1, 1.5), legAny},
	{"any-word keyword leg, RRF k=60, semantic weight 2", rrf(60, 1, 2), legAny},
	{"any-word keyword leg, RRF k=20, semantic weight 1.5", rrf(20, 1, 1.5), legAny},
	{"any-word keyword leg, RRF k=60, keyword weight 1.5", rrf(60, 1.5, 1), legAny},
	{"keyword alone, any two words (all when fewer than three)", onlyKeyword, legPairs},
	{"any-two-words keyword leg, RRF k=60, equal weights", rrf(60, 1, 1), legPairs},
}
