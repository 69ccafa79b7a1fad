package bench

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// Targets from the search issue.
const (
	targetP95MS  = 100.0
	targetRecall = 0.95
)

func renderReport(r *Results) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Benchmarks\n\n")
	w("Search at scale, measured by `ctxintel bench` (`make bench`). Every number below comes from the last run of each part;\n")
	w("the raw results are embedded at the end of this file, and a run of one size keeps the numbers of the others.\n")
	w("Reproduce with `bin/ctxintel bench --size all --reuse --out BENCHMARKS.md` (the first run loads the datasets, about 2 min for 100k and 45 min for 1M; add `--superuser-url postgres://postgres@127.0.0.1:5432/postgres` for the LEAKPROOF experiment; `--parts` runs some parts only).\n\n")

	writeSummary(&b, r)
	writeFindings(&b, r)
	writeMachine(&b, r)
	writeDatasets(&b, r)
	writeLoading(&b, r)
	writeLatency(&b, r)
	writeKeywordLegs(&b, r)
	writePlanCache(&b, r)
	writeExperiment(&b, r)
	writeEmbedding(&b, r)
	writeRecall(&b, r)
	writeLag(&b, r)
	writeRelevance(&b, r)
	writeMethod(&b)
	writeAnalytics(&b, r.Analytics)
	return b.String()
}

func cell(r SizeResult, org, mode string, conc int) *LatencyCell {
	for i := range r.Latency {
		c := &r.Latency[i]
		if c.Org == org && c.Mode == mode && c.Concurrency == conc {
			return c
		}
	}
	return nil
}

func recallOf(r SizeResult, org string) *RecallResult {
	for i := range r.Recall {
		if r.Recall[i].Org == org {
			return &r.Recall[i]
		}
	}
	return nil
}

func yes(ok bool) string {
	if ok {
		return "✅ yes"
	}
	return "❌ no"
}

// latencyHolds: keyword and hybrid p95 under the target for both orgs at
// concurrency 1.
func latencyHolds(s SizeResult) (bool, bool) {
	if len(s.Latency) == 0 {
		return false, false
	}
	ok := true
	for _, org := range []string{"largest", "small"} {
		for _, mode := range []string{"keyword", "hybrid"} {
			c := cell(s, org, mode, 1)
			if c == nil || c.N == 0 || c.Errors > 0 || c.P95 >= targetP95MS {
				ok = false
			}
		}
	}
	return ok, true
}

// targetHolds: one mode's p95 under the target for both orgs at
// concurrency 1.
func targetHolds(s SizeResult, mode string) bool {
	for _, org := range []string{"largest", "small"} {
		c := cell(s, org, mode, 1)
		if c == nil || c.N == 0 || c.Errors > 0 || c.P95 >= targetP95MS {
			return false
		}
	}
	return true
}

func recallHolds(s SizeResult) (bool, bool) {
	if len(s.Recall) == 0 {
		return false, false
	}
	for _, rr := range s.Recall {
		if rr.Recall < targetRecall {
			return false, true
		}
	}
	return true, true
}

func relevanceHolds(r *Results) (bool, bool) {
	if r.Relevance == nil {
		return false, false
	}
	m := map[string]float64{}
	for _, x := range r.Relevance.Modes {
		m[x.Mode] = x.NDCG
	}
	return m["hybrid"] > m["keyword"] && m["hybrid"] > m["semantic"], true
}

func writeSummary(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("## Summary\n\n")
	w("| target (from the issue) | size | measured | holds |\n|---|---|---|---|\n")
	largestOK := ""
	for _, s := range r.Sizes {
		lat, haveLat := latencyHolds(s)
		rec, haveRec := recallHolds(s)
		for _, mode := range []string{"keyword", "hybrid", "semantic"} {
			if !haveLat {
				continue
			}
			c1, c8 := cell(s, "largest", mode, 1), cell(s, "largest", mode, 8)
			sm := cell(s, "small", mode, 1)
			if c1 == nil || sm == nil {
				continue
			}
			target := fmt.Sprintf("%s search p95 < %.0f ms", mode, targetP95MS)
			holds := yes(c1.P95 < targetP95MS && sm.P95 < targetP95MS && c1.Errors == 0)
			if mode == "semantic" {
				target = "semantic search p95 (measured; query embedding reported separately)"
				holds = "—"
			}
			c8s := ""
			if c8 != nil {
				c8s = fmt.Sprintf("; concurrency 8: %.0f ms", c8.P95)
			}
			w("| %s | %s | largest org %.0f ms, small org %.0f ms (concurrency 1%s) | %s |\n", target, s.Size, c1.P95, sm.P95, c8s, holds)
		}
		if haveLat {
			var parts []string
			for _, mode := range []string{"keyword", "hybrid"} {
				if c := cell(s, "largest, narrow viewer", mode, 1); c != nil {
					parts = append(parts, fmt.Sprintf("%s %.0f ms", mode, c.P95))
				}
			}
			if len(parts) > 0 {
				w("| (not in the issue) search p95 as a developer who sees a small part of the largest org | %s | %s (concurrency 1) | — |\n", s.Size, strings.Join(parts, ", "))
			}
		}
		if haveRec {
			var parts []string
			for _, rr := range s.Recall {
				viewer := ""
				if rr.Viewer != "" && rr.Viewer != "admin" {
					viewer = " as the " + rr.Viewer + " developer"
					if rr.Viewer == "developer" {
						viewer = " as its developer"
					}
				}
				parts = append(parts, fmt.Sprintf("%s org%s %.3f", rr.Org, viewer, rr.Recall))
			}
			w("| HNSW recall@10 ≥ %.2f | %s | %s | %s |\n", targetRecall, s.Size, strings.Join(parts, ", "), yes(rec))
		}
		if haveLat && haveRec && lat && rec {
			largestOK = s.Size
		}
	}
	if rel, ok := relevanceHolds(r); ok {
		var parts []string
		for _, m := range r.Relevance.Modes {
			parts = append(parts, fmt.Sprintf("%s %.3f", m.Mode, m.NDCG))
		}
		w("| hybrid beats keyword and semantic on nDCG@10 | judged corpus | %s | %s |\n", strings.Join(parts, ", "), yes(rel))
	}
	if r.Embedding != nil {
		w("| (query embedding, USE-Lite, not in the latencies above) | — | p50 %.1f ms, p95 %.1f ms per query | — |\n", r.Embedding.QueryP50, r.Embedding.QueryP95)
	}
	w("\n")
	var perTarget []string
	for _, t := range []struct {
		name string
		ok   func(s SizeResult) bool
	}{
		{"keyword p95 < 100 ms", func(s SizeResult) bool { return targetHolds(s, "keyword") }},
		{"hybrid p95 < 100 ms", func(s SizeResult) bool { return targetHolds(s, "hybrid") }},
		{"HNSW recall@10 ≥ 0.95", func(s SizeResult) bool { ok, have := recallHolds(s); return ok && have }},
	} {
		best := "none"
		for _, s := range r.Sizes {
			if t.ok(s) {
				best = s.Size
			}
		}
		perTarget = append(perTarget, fmt.Sprintf("%s: %s", t.name, best))
	}
	if largestOK != "" {
		w("**Largest corpus size at which the latency and recall targets hold: %s messages** (keyword and hybrid p95 < %.0f ms at concurrency 1 for the largest and a small org, HNSW recall@10 ≥ %.2f).\n\n",
			largestOK, targetP95MS, targetRecall)
	} else {
		var sizes []string
		for _, s := range r.Sizes {
			sizes = append(sizes, s.Size)
		}
		w("**Largest corpus size at which the latency and recall targets hold: none of the measured sizes (%s).** See the findings for what misses and why.\n\n", strings.Join(sizes, ", "))
	}
	w("Largest measured size at which each target holds on its own: %s.\n\n", strings.Join(perTarget, "; "))
}

func writeMachine(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	m := r.Machine
	w("## Machine\n\n")
	w("| | |\n|---|---|\n")
	w("| CPU | %s, %d cores |\n| RAM | %.1f GB |\n| OS | %s |\n| Go | %s |\n| Postgres | %s |\n| pgvector | %s |\n", m.CPU, m.Cores, m.RAMGB, m.OS, m.Go, m.Postgres, m.PGVector)
	var keys []string
	for k := range m.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var set []string
	for _, k := range keys {
		set = append(set, k+" "+m.Settings[k])
	}
	w("| Postgres settings | %s |\n", strings.Join(set, ", "))
	w("| load average (1/5/15 min) | %.2f / %.2f / %.2f at the start of the last run, %.2f / %.2f / %.2f at its end |\n\n",
		m.LoadBefore[0], m.LoadBefore[1], m.LoadBefore[2], m.LoadAfter[0], m.LoadAfter[1], m.LoadAfter[2])
	w("The machine is shared with other work (builds and test suites of other engineers ran during the measurements), so latencies include that noise; the load average when each size's measurements ended is in its latency table.\n\n")
}

func writeDatasets(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	if len(r.Sizes) == 0 {
		return
	}
	w("## Datasets\n\n")
	w("Synthetic, deterministic (seed 42): programming conversations over 30 topics (code, stack traces, file paths, identifiers, error strings, prose), 50–400 words per message; organization sizes follow Zipf (exponent 1.5); each org has members in teams of 8, repositories with branches, and six assistant tools.\n\n")
	w("%s", "| | "+sizesHeader(r)+"\n|---|"+strings.Repeat("---|", len(r.Sizes))+"\n")
	row := func(name string, f func(s SizeResult) string) {
		w("| %s |", name)
		for _, s := range r.Sizes {
			w(" %s |", f(s))
		}
		w("\n")
	}
	row("organizations", func(s SizeResult) string { return fmt.Sprint(s.Dataset.Orgs) })
	row("users", func(s SizeResult) string { return fmt.Sprint(s.Dataset.Users) })
	row("conversations", func(s SizeResult) string { return fmt.Sprint(s.Dataset.Conversations) })
	row("messages", func(s SizeResult) string { return fmt.Sprint(s.Dataset.Messages) })
	row("vectors (chunks of ≤ 400 chars, 512-d halfvec)", func(s SizeResult) string { return fmt.Sprint(s.Dataset.Embeddings) })
	row("words / characters per message (mean)", func(s SizeResult) string {
		return fmt.Sprintf("%.0f / %.0f", s.Dataset.AvgWords, s.Dataset.AvgChars)
	})
	row("largest org's share / top 10 orgs' share", func(s SizeResult) string {
		return fmt.Sprintf("%.1f%% / %.1f%%", 100*s.Dataset.Top1Share, 100*s.Dataset.Top10Share)
	})
	row("median org (messages)", func(s SizeResult) string { return fmt.Sprint(s.Dataset.MedianOrg) })
	for _, o := range []struct {
		name string
		f    func(d DatasetInfo) OrgInfo
	}{{"largest org", func(d DatasetInfo) OrgInfo { return d.Largest }}, {"mid-size org (recall)", func(d DatasetInfo) OrgInfo { return d.Mid }}, {"small org (latency)", func(d DatasetInfo) OrgInfo { return d.Small }}} {
		row(o.name+": messages / vectors / users", func(s SizeResult) string {
			x := o.f(s.Dataset)
			return fmt.Sprintf("%d / %d / %d", x.Messages, x.Vectors, x.Users)
		})
	}
	row("messages table (with TOAST)", func(s SizeResult) string { return humanBytes(s.Dataset.Relations["messages"]) })
	row("message_embeddings table", func(s SizeResult) string { return humanBytes(s.Dataset.Relations["message_embeddings"]) })
	row("HNSW index", func(s SizeResult) string { return humanBytes(s.Dataset.Relations["message_embeddings_use_lite_hnsw"]) })
	row("full-text GIN / trigram GIN", func(s SizeResult) string {
		return humanBytes(s.Dataset.Relations["messages_tsv_idx"]) + " / " + humanBytes(s.Dataset.Relations["messages_text_trgm_idx"])
	})
	w("\n")
}

func sizesHeader(r *Results) string {
	var parts []string
	for _, s := range r.Sizes {
		parts = append(parts, s.Size)
	}
	return strings.Join(parts, " | ") + " |"
}

func writeLoading(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	if len(r.Sizes) == 0 {
		return
	}
	w("## Loading\n\n")
	w("`warehouse.BulkInsert*`: `INSERT … SELECT FROM unnest(…)` in batches of %d rows, in `AsSystem` transactions (Postgres refuses COPY on tables with row-level security), two loader connections, generation in two goroutines. The secondary indexes of `messages` and `message_embeddings` are dropped before and rebuilt after, each timed; the two GIN indexes are built side by side (GIN builds use one core in Postgres 15), the others with 2 parallel maintenance workers.\n\n", 5000)
	for _, s := range r.Sizes {
		l := s.Load
		if l.Messages == 0 {
			continue
		}
		w("**%s** (loaded %s", s.Size, l.LoadedAt.Format("2006-01-02 15:04 MST"))
		if l.Reused {
			w("; reused by the last run")
		}
		w("): rows inserted in %.0f s (%.0f messages/s with their %d vectors), total %.0f s including index builds and `VACUUM (ANALYZE)` (%.0f s).\n\n",
			l.InsertSeconds, float64(l.Messages)/l.InsertSeconds, l.Embeddings, l.TotalSeconds, l.VacuumSeconds)
		w("| index | table | build time | size | how |\n|---|---|---|---|---|\n")
		for _, ib := range l.Indexes {
			w("| %s | %s | %.1f s | %s | %s |\n", ib.Name, ib.Table, ib.Seconds, humanBytes(ib.SizeBytes), ib.Note)
		}
		w("\n")
	}
}

func writeLatency(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("## Search latency\n\n")
	w("`search.Service.Search` called directly (visibility filtering, fusion, snippets, conversation headers and the search-event insert included), limit 20, as a developer of the org (sees own and team conversations; the org's default visibility). Semantic and hybrid use a fixed-vector embedder that returns the query's precomputed synthetic vector, so these numbers are the database side; the real model's query time is in the next section. Query mix drawn from the generator's vocabulary: ")
	var kinds []string
	for _, k := range QueryKinds {
		kinds = append(kinds, fmt.Sprintf("%s %d%%", k.Kind, k.Share))
	}
	w("%s. Each cell runs up to 200 searches (fewer when its time budget runs out) after 10 warm-up searches. Milliseconds.\n\n", strings.Join(kinds, ", "))
	for _, s := range r.Sizes {
		if len(s.Latency) == 0 {
			continue
		}
		w("### %s messages\n\n", s.Size)
		w("Measured %s, load average at the end %.2f / %.2f / %.2f.\n\n", s.MeasuredAt.Format("2006-01-02 15:04 MST"), s.LoadAvg[0], s.LoadAvg[1], s.LoadAvg[2])
		w("| org (messages / vectors) | mode | concurrency | n | p50 | p95 | p99 | max | searches/s | no results | target p95 < 100 ms |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, c := range s.Latency {
			target := "—"
			if c.Mode == "keyword" || c.Mode == "hybrid" {
				target = yes(c.P95 < targetP95MS && c.Errors == 0)
			}
			errs := ""
			if c.Errors > 0 {
				errs = fmt.Sprintf(" (%d errors: %s)", c.Errors, c.FirstError)
			}
			w("| %s (%d / %d) | %s | %d | %d%s | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f%% | %s |\n", c.Org, c.OrgMessages, c.OrgVectors, c.Mode, c.Concurrency, c.N, errs,
				c.P50, c.P95, c.P99, c.Max, c.QPS, 100*c.NoResults, target)
		}
		w("\nBy query kind, largest org, concurrency 1 (p50 / p95 ms):\n\n| kind |")
		modes := []string{"keyword", "semantic", "hybrid"}
		for _, m := range modes {
			w(" %s |", m)
		}
		w("\n|---|---|---|---|\n")
		for _, k := range QueryKinds {
			w("| %s |", k.Kind)
			for _, m := range modes {
				c := cell(s, "largest", m, 1)
				if c == nil {
					w(" |")
					continue
				}
				kl := c.ByKind[k.Kind]
				w(" %.1f / %.1f |", kl.P50, kl.P95)
			}
			w("\n")
		}
		w("\n")
	}
}

func writeEmbedding(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	e := r.Embedding
	if e == nil {
		return
	}
	w("## Query embedding (real USE-Lite model)\n\n")
	w("The pure-Go USE-Lite forward pass on this machine, one query at a time as `Service.Search` embeds an uncached query (repeated queries come from its cache): over %d queries of the mix, p50 **%.1f ms**, p95 **%.1f ms**, max %.1f ms. Document chunks in batches of 64 (the embedding job): %.1f chunks/s.\n\n",
		e.Queries, e.QueryP50, e.QueryP95, e.QueryMax, e.ChunksPerSec)
	w("End-to-end semantic and hybrid latency for a new query is the database latency above plus this.\n\n")
	c := e.Calibration
	w("### Synthetic vectors vs the real model\n\n")
	w("The datasets' vectors are synthetic (USE-Lite would need days for millions of chunks), drawn as clustered, anisotropic vectors (a shared direction, a topic direction, a conversation and a chunk component in a 16-dimensional subspace, a little isotropic noise; see `bench/vectors.go`), never uniform noise. Their cosine statistics were calibrated against the real model on the same generated chunks (%d chunks of %d conversations, %d topics):\n\n", c.Chunks, c.Conversations, c.Topics)
	w("| mean cosine | real USE-Lite | synthetic |\n|---|---|---|\n")
	w("| chunks of the same conversation | %.3f | %.3f |\n", c.Real.SameConversation, c.Synthetic.SameConversation)
	w("| chunks of other conversations, same topic | %.3f | %.3f |\n", c.Real.SameTopic, c.Synthetic.SameTopic)
	w("| chunks of other topics | %.3f | %.3f |\n", c.Real.OtherTopic, c.Synthetic.OtherTopic)
	w("| nearest neighbour | %.3f | %.3f |\n", c.Real.NearestNeighbour, c.Synthetic.NearestNeighbour)
	w("| nearest neighbour has the same topic | %.0f%% | %.0f%% |\n\n", 100*c.Real.NeighbourSameTopic, 100*c.Synthetic.NeighbourSameTopic)
}

func writeRecall(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("## HNSW recall\n\n")
	w("`warehouse.SemanticSearch` with `Exact=false` (the HNSW index with the service's settings: `search.SemanticCandidates` candidates, `hnsw.ef_search` 40, iterative scan `relaxed_order`, `max_scan_tuples` 40000; the visibility of each candidate checked in the scan) against `Exact=true`, top 10 message ids, synthetic query vectors (120 as the admin, 40 as the developers, whose exact search sorts all of the org's vectors). Viewers: the admin (sees the whole org), the latency benchmark's developer (own and team conversations) and the org's last developer (a team of little activity: a small part of the org). The service searches exactly below 20,000 vectors per org (`Service.ExactBelow`).\n\n")
	w("| size | org | viewer (sees) | vectors (share of index) | candidates | recall@10 | worst query | index p50 / p95 | exact p50 / p95 | service uses | target ≥ 0.95 | with 400 candidates: recall@10, p50 / p95 |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Sizes {
		for _, rr := range s.Recall {
			viewer := rr.Viewer
			if viewer == "" {
				viewer = "admin"
			}
			w("| %s | %s | %s (%.1f%%) | %d (%.1f%%) | %d | %.3f | %.1f | %.1f / %.1f ms | %.1f / %.1f ms | %s | %s | %.3f, %.1f / %.1f ms |\n", s.Size, rr.Org, viewer, 100*rr.Visible, rr.Vectors, 100*rr.Share,
				rr.Candidates, rr.Recall, rr.MinRecall, rr.IndexP50, rr.IndexP95, rr.ExactP50, rr.ExactP95, rr.ServiceUse, yes(rr.Recall >= targetRecall), rr.Recall400, rr.Index400P50, rr.Index400P95)
		}
	}
	w("\n")
}

func writeLag(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	l := r.Lag
	if l == nil {
		return
	}
	w("## Ingest-to-searchable lag\n\n")
	w("%d Claude Code captures (%d messages, %d chunks) stored through `ingest.Service.Store`, one every %.0f s, into a new org of `%s`, with a real River client running the real workers (parse, then embed with USE-Lite; %s). Lag from `Store` returning until the capture is processed (keyword-searchable) and until every message has its vectors (semantically searchable), polled every 100 ms.\n\n",
		l.Captures, l.Messages, l.Chunks, l.IntervalMS/1000, l.Database, l.Workers)
	w("| | p50 | p95 | max |\n|---|---|---|---|\n")
	w("| keyword-searchable | %.2f s | %.2f s | %.2f s |\n", l.KeywordP50, l.KeywordP95, l.KeywordMax)
	w("| semantically searchable | %.2f s | %.2f s | %.2f s |\n\n", l.SemanticP50, l.SemanticP95, l.SemanticMax)
	if l.Incomplete > 0 {
		w("%d captures were not fully searchable when the wait ended.\n\n", l.Incomplete)
	}
}

func writeRelevance(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	rel := r.Relevance
	if rel == nil {
		return
	}
	w("## Relevance\n\n")
	w("A hand-judged corpus (`bench/judged.go`): %d short conversations in about 30 clusters, written with varied words for the same problem (\"JWT expiry\", \"exp claim\", \"logged out after 15 minutes\"), deliberate near-misses that share words but not the subject (\"JWT signing key rotation\", \"thread pool\", \"resize uploaded images\"), exact identifiers and error strings; %d queries with graded judgments (2 answers the query, 1 related, unlisted not relevant). Ingested through the real capture path and embedded with the real USE-Lite model (%d chunks, %.0f s). Searches through `Service.Search`, limit 10.\n\n",
		rel.Conversations, rel.Queries, rel.Chunks, rel.EmbedSeconds)
	w("| mode | nDCG@10 | recall@10 |\n|---|---|---|\n")
	for _, m := range rel.Modes {
		w("| %s | %.3f | %.3f |\n", m.Mode, m.NDCG, m.Recall)
	}
	w("\nnDCG@10 by query kind:\n\n| kind | queries | keyword | semantic | hybrid |\n|---|---|---|---|---|\n")
	counts := map[string]int{}
	for _, q := range rel.PerQuery {
		counts[q.Kind]++
	}
	var kinds []string
	for k := range rel.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		m := rel.ByKind[k]
		w("| %s | %d | %.3f | %.3f | %.3f |\n", k, counts[k], m["keyword"], m["semantic"], m["hybrid"])
	}
	w("\nFusion rules compared on the same rankings (each query's keyword and semantic conversation rankings, top 100, fused offline; \"all words required\" is keyword mode's ranking, \"any-word\" the keyword ranking of the query's plain words joined by OR, \"any-two-words\" that of any two of them, as hybrid's keyword leg runs it):\n\n| fusion | nDCG@10 | recall@10 |\n|---|---|---|\n")
	for _, f := range rel.Fusion {
		w("| %s | %.3f | %.3f |\n", f.Name, f.NDCG, f.Recall)
	}
	w("\n<details><summary>Per query nDCG@10</summary>\n\n| query | kind | keyword | semantic | hybrid |\n|---|---|---|---|---|\n")
	for _, q := range rel.PerQuery {
		w("| %s | %s | %.2f | %.2f | %.2f |\n", strings.ReplaceAll(q.Query, "|", "\\|"), q.Kind, q.NDCG["keyword"], q.NDCG["semantic"], q.NDCG["hybrid"])
	}
	w("\n</details>\n\n")
}

func writeMethod(b *strings.Builder) {
	b.WriteString(`## Method notes

- Datasets live in their own databases (` + "`ctxintel_bench_100k`, `ctxintel_bench_1m`, `ctxintel_bench_eval`" + `), created from ` + "`ctxintel_template`" + ` and migrated like test databases; ` + "`--reuse`" + ` keeps them between runs.
- The generator (` + "`bench/generator.go`" + `) is deterministic: every conversation depends only on the seed and its index, so batches are generated in parallel and a reloaded dataset is identical.
- Latency percentiles are nearest-rank over the measured searches, wall time around ` + "`Service.Search`" + ` in the benchmark process (same machine as Postgres). The pool has pgx's default size (4 connections on 2 cores), as the service runs with ` + "`DATABASE_URL`" + ` unchanged.
- Concurrency 8 on 2 cores measures queueing as much as search; its p95 is reported, the target is judged at concurrency 1.
`)
}

// leakproofPair returns a cell's latencies without and with the keyword
// operators marked LEAKPROOF (the main measurement is one, the experiment
// the other).
func leakproofPair(s SizeResult, c LatencyCell) (without, with *LatencyCell) {
	base := cell(s, c.Org, c.Mode, c.Concurrency)
	if base == nil {
		return nil, nil
	}
	if s.Experiment.Leakproof {
		return base, &c
	}
	return &c, base
}

func writeExperiment(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	found := false
	for _, s := range r.Sizes {
		found = found || (s.Experiment != nil && len(s.Experiment.Cells) > 0)
	}
	if !found {
		return
	}
	w("## Experiment: the keyword indexes under row-level security\n\n")
	w("Row-level security (forced on every tenant table) makes Postgres evaluate a query's own conditions after the policy's, unless their functions are `LEAKPROOF`. `@@` (`ts_match_vq`), `ILIKE` (`texticlike`) and `left()` are not by default, so the planner cannot use them as index conditions: the GIN indexes `(org_id, tsv)` and `(org_id, left(text, 20000) gin_trgm_ops)` are scanned for `org_id` alone, and every keyword search reads and filters **all of the org's messages** (the plan shows `Bitmap Index Scan … Index Cond: (org_id = …)` followed by `Filter: … tsv @@ …`). `scripts/setup.sh` and `deploy/postgres-init.sh` now mark the three functions `LEAKPROOF` (a superuser's job), so databases copied from `ctxintel_template` have them marked. The benchmark measured the same searches in both states (superuser, in the benchmark database only, restored afterwards):\n\n")
	for _, s := range r.Sizes {
		ex := s.Experiment
		if ex == nil || len(ex.Cells) == 0 {
			continue
		}
		w("**%s**, change applied for the experiment:\n\n```sql\n%s\n```\n\n", s.Size, ex.Change)
		w("| org | mode | concurrency | without LEAKPROOF p50 / p95 | with LEAKPROOF p50 / p95 | p95 speed-up |\n|---|---|---|---|---|---|\n")
		for _, c := range ex.Cells {
			without, with := leakproofPair(s, c)
			if without == nil {
				continue
			}
			w("| %s | %s | %d | %.1f / %.1f ms | %.1f / %.1f ms | %.1f× |\n", c.Org, c.Mode, c.Concurrency, without.P50, without.P95, with.P50, with.P95, without.P95/max(with.P95, 0.001))
		}
		w("\n")
	}
}

func fusionScore(rel *RelevanceResult, prefix string) *FusionScore {
	for i := range rel.Fusion {
		if strings.HasPrefix(rel.Fusion[i].Name, prefix) {
			return &rel.Fusion[i]
		}
	}
	return nil
}

// before are the p95 latencies (ms, largest org, concurrency 1, custom
// plans) measured on 2026-11-26 before the search latency work (the
// "plans" experiment of commit fd3e65e), the baseline of the findings.
var before = map[string]map[string]float64{
	"100k": {"keyword": 31.8, "semantic": 56.7, "hybrid": 151.1},
	"1m":   {"keyword": 230.9, "semantic": 92.8, "hybrid": 575.5},
}

func writeFindings(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("## Findings and recommended fixes\n\n")

	// 1. The latency work: before and after.
	var rows []string
	for _, s := range r.Sizes {
		old := before[s.Size]
		if old == nil {
			continue
		}
		var parts []string
		for _, mode := range []string{"keyword", "semantic", "hybrid"} {
			if c := cell(s, "largest", mode, 1); c != nil {
				parts = append(parts, fmt.Sprintf("%s %.0f → **%.0f** ms", mode, old[mode], c.P95))
			}
		}
		if len(parts) > 0 {
			rows = append(rows, fmt.Sprintf("at %s, %s", s.Size, strings.Join(parts, ", ")))
		}
	}
	w("1. **Search latency: what changed.** p95 of the largest org as its developer, concurrency 1, before the latency work → now: %s. This session's changes first (the previous report had, at 1m, keyword 368, semantic 335 and hybrid 403 ms), then the earlier ones, each measured on its own while it was made (`EXPLAIN (ANALYZE, BUFFERS)` of the searches and the tables of this file):\n\n", strings.Join(rows, "; "))
	w("   - **Postgres has the memory for the indexes, in huge pages** (`scripts/tune-postgres.sh`, run by `make bench`: `shared_buffers` 40%% of RAM, `huge_pages`, autoprewarm; the benchmark prewarms the search relations). See *Memory* under *What is left*: with 128 MB of buffers the pages came from disk, and with large buffers in 4 kB pages every new connection paid a page fault per buffer.\n")
	w("   - **Conversation headers are read by (org, id).** The results' conversations were read with `c.id = any($1)` and the org left to row-level security, whose `org = current org OR system transaction` cannot bound an index scan; the key is `(org_id, id)`, so every search read every org's conversations (a parallel sequential scan, 56 MB at 1m). Naming the org: a developer's keyword p50 at 1m 185 → 93 ms, semantic 317 → 236 ms in the same check (before the memory settings).\n")
	w("   - **The exact-or-index choice counts an org's vectors only up to its threshold** (20,000): counting the largest org's million took 250 ms, once a minute per org.\n")
	w("   - **The keyword ranking is bounded.** `ts_rank_cd` reads and decompresses each candidate's text vector, and a common word matches a large part of a big org (at 1M messages a single word of the benchmark's mix matches up to 15%% of the largest org's 390,000 messages), so ranking every match cost time in proportion to the org. `warehouse.KeywordSearch` now ranks the newest %d matches the viewer may see (`KeywordQuery.Candidates`); with fewer matches, all of them, so small orgs and rare words rank as before. Finding the newest matches must not read them all either: a query with words reads the org's newest 2,000 messages backwards on the primary key, checking the words of each; when at least 2%% match (a common word) it reads on, at most 16,000 more, which finds a common word's newest matches after a few thousand rows; the older part, or everything for rare words and exact substrings, comes from the full-text and trigram indexes, which are cheap for rare terms. Postgres cannot make this choice itself: the row-level-security condition makes it underestimate how many messages a word matches by about 3×, and it read every match of common words from the index.\n", warehouse.DefaultKeywordCandidates)
	w("   - **Visibility is looked up once per search and checked per candidate.** `visibleTo` looks the org's default visibility and the viewer's teams up again for every candidate conversation, and Postgres, unable to estimate how many conversations it admits (it guessed 2–10%% where the benchmark's developer sees about half), chose plans that start from the conversations and read every message of the visible ones: seconds at 100k. Search now reads the org's default and the viewer's team mates first, writes the rule as plain conditions on `conversations` with those values (`searchScope.visible`; `TestSearchVisibility` holds it to `visibleTo`'s answers for every role, team relation, conversation visibility and org default, in every way a search can run), and checks each candidate's conversation as the candidates come. Keyword candidates are collected up to a pool sized by the share of the org the viewer sees (estimated from 2,000 of its conversations), so that about %d of them are visible. A viewer who sees at most 1,000 of the org's conversations (or whose filters leave as few) is searched from those conversations instead: their messages for keyword search, their vectors exactly for semantic search.\n", warehouse.DefaultKeywordCandidates)
	w("   - **One tsquery per group of alternatives**, `tsv @@ (q1 || q2 || …)`, and one `ts_rank_cd` over all of a query's words, instead of one condition and one rank per alternative: one index scan, and each candidate's vector decompressed once, not once per word.\n")
	w("   - **No JIT compilation in search transactions** (`set_config('jit', 'off', true)`): the keyword SQL's cost estimates pass `jit_above_cost`, and compiling it took longer than running it (`EXPLAIN ANALYZE` of a question query at 100k: JIT 174 ms of a 1005 ms search, under load).\n")
	w("   - **Search events commit without waiting for the WAL flush** (`synchronous_commit` off in their transaction): the flush took 3–15 ms of every search on this machine; a crash can lose the last fraction of a second of search analytics, nothing else.\n")
	for i := len(r.Sizes) - 1; i >= 0; i-- {
		s := r.Sizes[i]
		var adm, dev, narrow *RecallResult
		for j := range s.Recall {
			rr := &s.Recall[j]
			if rr.Org != "largest" {
				continue
			}
			switch rr.Viewer {
			case "admin", "":
				adm = rr
			case "developer":
				dev = rr
			case "narrow":
				narrow = rr
			}
		}
		if adm == nil || adm.Candidates == 0 {
			continue
		}
		w("   - **The semantic leg fetches %d HNSW candidates instead of 400, with the visibility in the scan.** At %s messages, largest org, as an admin: recall@10 %.3f with %d (%.3f with 400), index query p50 %.0f ms (%.0f ms with 400).", adm.Candidates, s.Size, adm.Recall, adm.Candidates, adm.Recall400, adm.IndexP50, adm.Index400P50)
		w(" The candidates are the nearest chunks the viewer may see (pgvector's iterative scan keeps walking the graph until enough pass), where before the 400 nearest of the org were fetched and then filtered, so a developer who sees a small part of a large org got few or no semantic hits")
		if dev != nil && narrow != nil {
			w(": recall@10 as the benchmark's developer (sees %.0f%%) %.3f, as the org's last developer (sees %.1f%%) %.3f", 100*dev.Visible, dev.Recall, 100*narrow.Visible, narrow.Recall)
		}
		w(".\n")
		break
	}
	if rel := r.Relevance; rel != nil {
		anyw, pairs := fusionScore(rel, "any-word keyword leg, RRF k=60, equal weights"), fusionScore(rel, "any-two-words keyword leg, RRF k=60, equal weights")
		if anyw != nil && pairs != nil {
			w("   - **Hybrid search's keyword leg requires any two of the query's words** (of three or more; any one of one or two; stop-words never count): nDCG@10 %.3f against %.3f with any one word, and far fewer matches for a common word to find and check.", pairs.NDCG, anyw.NDCG)
			for i := len(r.Sizes) - 1; i >= 0; i-- {
				s := r.Sizes[i]
				all, anyL, two := legOf(s, legAll), legOf(s, legAny), legOf(s, legPairs)
				if all != nil && anyL != nil && two != nil {
					w(" The leg alone at %s messages, largest org: p95 %.0f ms with every word, %.0f ms with any word, %.0f ms with any two (see the keyword-leg table).", s.Size, all.P95, anyL.P95, two.P95)
					break
				}
			}
			w("\n")
		}
	}
	w("\n")

	// 2. Hybrid relevance.
	if rel := r.Relevance; rel != nil {
		all, anyw := fusionScore(rel, "all words required in the keyword leg"), fusionScore(rel, "any-word keyword leg, RRF k=60, equal weights")
		m := map[string]ModeScore{}
		for _, x := range rel.Modes {
			m[x.Mode] = x
		}
		if all != nil && anyw != nil {
			w("1. **Hybrid relevance: the keyword leg must not require every word.** nDCG@10 on the judged corpus: keyword %.3f, semantic %.3f, hybrid %.3f (recall@10 %.3f, %.3f, %.3f). ", m["keyword"].NDCG, m["semantic"].NDCG, m["hybrid"].NDCG, m["keyword"].Recall, m["semantic"].Recall, m["hybrid"].Recall)
			w("Keyword search requires every plain word (`plainto_tsquery` ANDs them), so natural questions and paraphrases (\"why are users logged out after a few minutes\") find nothing, and a hybrid whose keyword leg did the same fell back to the semantic ranking alone: %.3f. Fusion weights and k cannot fix that (every all-words variant in the fusion table is within a few thousandths). With any one of the words the hybrid reaches %.3f; the service requires any two (see above), %.3f, which keeps hybrid above both legs.\n\n", all.NDCG, anyw.NDCG, m["hybrid"].NDCG)
		}
	}

	// 3. Row-level security and the keyword indexes.
	var exSize *SizeResult
	for i := range r.Sizes {
		if r.Sizes[i].Experiment != nil && len(r.Sizes[i].Experiment.Cells) > 0 {
			exSize = &r.Sizes[i]
		}
	}
	if exSize != nil {
		w("1. **Row-level security and the keyword indexes.** Postgres applies a query's own conditions after the policy's unless their functions are `LEAKPROOF`; `@@`, `ILIKE` and `left()` are not by default, so the GIN indexes on `(org_id, tsv)` and `(org_id, left(text, 20000))` then only narrow to the org and every keyword search filters all of the org's messages. At %s messages, largest org, concurrency 1, without → with the three functions marked:", exSize.Size)
		for _, c := range exSize.Experiment.Cells {
			if c.Org != "largest" || c.Concurrency != 1 || (c.Mode != "keyword" && c.Mode != "hybrid") {
				continue
			}
			if without, with := leakproofPair(*exSize, c); without != nil {
				w(" %s p95 %.0f → %.0f ms (p50 %.0f → %.0f ms);", c.Mode, without.P95, with.P95, without.P50, with.P50)
			}
		}
		if exSize.Experiment.Leakproof {
			w(" the main tables above are without it. **Fix:** a superuser must run\n\n")
		} else {
			w(" the main tables above are with it, as set-up now does:\n\n")
		}
		w("   ```sql\n")
		for _, f := range leakproofFunctions {
			w("   alter function %s leakproof;\n", f)
		}
		w("   ```\n\n")
		w("   in every database the service uses (`scripts/setup.sh` does it for `ctxintel` and `ctxintel_template`, which test and benchmark databases copy; `deploy/postgres-init.sh` for Docker; a managed Postgres needs it once by its admin). `LEAKPROOF` promises that a function reveals nothing about its arguments except through its result; these three raise no errors that depend on the row (only on the caller's own pattern or query), so the policy still decides which rows anyone sees.\n\n")
	}

	// 4. Generic plans.
	var pcLines []string
	for _, s := range r.Sizes {
		if s.PlanCache == nil || s.PlanCache.Name != planCacheExperiment {
			continue
		}
		var parts []string
		for _, c := range s.PlanCache.Cells {
			if base := cell(s, c.Org, c.Mode, c.Concurrency); base != nil {
				parts = append(parts, fmt.Sprintf("%s %.0f → %.0f ms", c.Mode, base.P95, c.P95))
			}
		}
		pcLines = append(pcLines, fmt.Sprintf("at %s, p95 %s", s.Size, strings.Join(parts, ", ")))
	}
	if len(pcLines) > 0 {
		w("1. **Custom plans only.** `warehouse.OpenPostgres` sets `plan_cache_mode = force_custom_plan` on every connection: in a generic plan `plainto_tsquery('english', $n)` is evaluated for every candidate row and the words' selectivity is unknown. Allowing generic plans again (Postgres' default), largest org, concurrency 1, custom → generic: %s (see the experiment). Planning costs a millisecond or two per search.\n\n", strings.Join(pcLines, "; "))
	}

	// 5. What is left.
	w("1. **What is left.**")
	for i := len(r.Sizes) - 1; i >= 0; i-- {
		s := r.Sizes[i]
		c := cell(s, "largest", "keyword", 1)
		if c == nil || c.ByKind == nil || c.P95 < 100 {
			continue
		}
		q, id, e := c.ByKind["quoted"], c.ByKind["identifier"], c.ByKind["error"]
		w(" *Exact substrings that are common*: at %s messages the largest org's keyword p95 is %.0f ms, and the tail is quoted phrases (p95 %.0f ms), identifiers (%.0f ms) and error strings (%.0f ms), while single words and phrases stay under %.0f ms. A substring is found through the trigram index, which yields every message sharing its trigrams: `useState` gave 11,789 candidates, each of whose texts was read (from TOAST when long) and matched with `ILIKE` (5,640 matched), 220 ms before the newest could be taken. Reading the newest messages backwards, as common words do, or a cap on the candidates, is the next step.", s.Size, c.P95, q.P95, id.P95, e.P95, max(c.ByKind["word"].P95, c.ByKind["phrase"].P95)+5)
		break
	}
	for i := len(r.Sizes) - 1; i >= 0; i-- {
		s := r.Sizes[i]
		kw, hy := cell(s, "largest, narrow viewer", "keyword", 1), cell(s, "largest, narrow viewer", "hybrid", 1)
		if kw == nil || hy == nil {
			continue
		}
		var share float64
		for _, rr := range s.Recall {
			if rr.Org == "largest" && rr.Viewer == "narrow" {
				share = rr.Visible
			}
		}
		w(" *A viewer who sees a small part of a large org*: at %s messages, the largest org's last developer (sees %.1f%% of it) has keyword p95 %.0f ms and hybrid %.0f ms: the conversations they may see are far between, so a common word's newest matches must be checked further back before enough pass.", s.Size, 100*share, kw.P95, hy.P95)
		break
	}
	for i := len(r.Sizes) - 1; i >= 0; i-- {
		s := r.Sizes[i]
		c8 := cell(s, "largest", "hybrid", 8)
		if c8 == nil {
			continue
		}
		w(" *Concurrency*: 8 searches at once on 2 cores queue (hybrid p95 %.0f ms at %s messages); the target is judged one search at a time.", c8.P95, s.Size)
		break
	}
	if len(r.Sizes) > 0 {
		writeMemory(w, r.Sizes[len(r.Sizes)-1])
	}
	w("\n\n")
}

// writeMemory says how the biggest dataset's hot relations compare with
// Postgres' shared buffers when it was measured, and what that did.
func writeMemory(w func(string, ...any), s SizeResult) {
	d := s.Dataset.Relations
	if d["messages"] == 0 || s.Machine == nil {
		return
	}
	sb := s.Machine.Settings["shared_buffers"]
	hot := d["messages"] + d["message_embeddings"] + d["message_embeddings_use_lite_hnsw"] + d["messages_tsv_idx"] + d["messages_text_trgm_idx"]
	rels := fmt.Sprintf("messages %s, vectors %s, HNSW %s, GIN %s + %s", humanBytes(d["messages"]), humanBytes(d["message_embeddings"]),
		humanBytes(d["message_embeddings_use_lite_hnsw"]), humanBytes(d["messages_tsv_idx"]), humanBytes(d["messages_text_trgm_idx"]))
	if pgSize(sb) < hot {
		w(" *Memory*: Postgres ran with `shared_buffers` %s while the %s dataset's hot relations are larger (%s): searches depended on the OS page cache, which this VM empties of memory left idle for about a minute (a DAMON `pageout` scheme), so most pages a search needed came from disk. Run `scripts/tune-postgres.sh` (as `make bench` does) before measuring.", sb, s.Size, rels)
		return
	}
	w(" *Memory*: Postgres ran with `shared_buffers` %s and `huge_pages` %s (`scripts/tune-postgres.sh`: 40%% of RAM in 2 MB pages), which holds the %s dataset's hot relations (%s)", sb, s.Machine.Settings["huge_pages"], s.Size, rels)
	if p := s.Prewarm; p != nil && p.Skipped == "" {
		w("; before timing, `pg_prewarm` read %s of them into it in %.1f s, as autoprewarm does when the server restarts", humanBytes(p.Bytes), p.Seconds)
	}
	w(". Both settings matter on this VM, which pages out memory left idle for about a minute (a DAMON `pageout` scheme). With Debian's default of 128 MB the previous report measured the largest org at 1m messages at p95 368 ms keyword, 335 semantic and 403 hybrid: its HNSW query read 3,587 of its 4,239 pages from disk (380 ms). Shared buffers cannot be paged out (no swap), but with 4 kB pages each Postgres process maps each buffer it touches with a page fault of its own, and a fault costs tens of microseconds here: the same HNSW query with every page in shared buffers took 322 ms in a new connection and 12 ms repeated in it; with 2 MB pages, 48 ms and 12 ms (`EXPLAIN (ANALYZE, BUFFERS)`, 2026-11-26, about 4,300 buffers each).")
}

// pgSize is a Postgres memory setting ("9642MB", "8GB", "128kB") in
// bytes; 0 when it cannot be read.
func pgSize(v string) int64 {
	units := []struct {
		suffix string
		bytes  int64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"kB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			x, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return 0
			}
			return x * u.bytes
		}
	}
	return 0
}

// planCacheExperiment names the generic-plans experiment (an earlier one
// measured the opposite change and is not shown).
const planCacheExperiment = "generic plans allowed"

func writeKeywordLegs(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	found := false
	for _, s := range r.Sizes {
		found = found || len(s.KeywordLegs) > 0
	}
	if !found {
		return
	}
	w("### The keyword leg of hybrid search alone\n\n")
	w("`warehouse.KeywordSearch` (100 hits, as a leg of hybrid search; the newest %d matches the viewer may see ranked) for the largest org as the benchmark's developer, one search at a time, over the same query mix, with the plain words of the query (stop-words dropped) required all (keyword mode), any, or any two (hybrid's leg; any one when there are fewer than three). Milliseconds.\n\n", warehouse.DefaultKeywordCandidates)
	w("| size | variant | n | p50 | p95 | p99 | mean hits |\n|---|---|---|---|---|---|---|\n")
	for _, s := range r.Sizes {
		for _, l := range s.KeywordLegs {
			w("| %s | %s | %d | %.1f | %.1f | %.1f | %.0f |\n", s.Size, l.Variant, l.N, l.P50, l.P95, l.P99, l.Hits)
		}
	}
	w("\n")
}

func legOf(s SizeResult, variant string) *LegLatency {
	for i := range s.KeywordLegs {
		if s.KeywordLegs[i].Variant == variant {
			return &s.KeywordLegs[i]
		}
	}
	return nil
}

func writePlanCache(b *strings.Builder, r *Results) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	found := false
	for _, s := range r.Sizes {
		found = found || (s.PlanCache != nil && len(s.PlanCache.Cells) > 0 && s.PlanCache.Name == planCacheExperiment)
	}
	if !found {
		return
	}
	w("## Experiment: generic plans\n\n")
	w("pgx prepares every statement, and after five executions of the same statement Postgres may switch to a generic plan: `plainto_tsquery('english', $n)` is then no constant but evaluated again for every candidate row, and the planner cannot estimate how many messages a word matches, so it cannot choose between the newest-first and the index path. `warehouse.OpenPostgres` asks for custom plans (`plan_cache_mode = force_custom_plan`) on every connection; the experiment sets the pool's connections back to Postgres' default (`auto`):\n\n")
	w("| size | mode (largest org, concurrency 1) | custom plans (the service) p50 / p95 / p99 | generic plans allowed p50 / p95 / p99 | question queries custom → generic, p95 |\n|---|---|---|---|---|\n")
	for _, s := range r.Sizes {
		if s.PlanCache == nil || s.PlanCache.Name != planCacheExperiment {
			continue
		}
		for _, c := range s.PlanCache.Cells {
			base := cell(s, c.Org, c.Mode, c.Concurrency)
			if base == nil {
				continue
			}
			w("| %s | %s | %.1f / %.1f / %.1f ms | %.1f / %.1f / %.1f ms | %.0f → %.0f ms |\n", s.Size, c.Mode, base.P50, base.P95, base.P99, c.P50, c.P95, c.P99,
				base.ByKind["question"].P95, c.ByKind["question"].P95)
		}
	}
	w("\n")
}
