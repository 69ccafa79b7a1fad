// Package bench measures search at scale and writes BENCHMARKS.md: it
// generates realistic synthetic tenants and conversations (deterministic
// for a seed), bulk-loads them into a dedicated benchmark database, and
// measures search latency, HNSW recall, ingest-to-searchable lag and
// relevance (nDCG@10 on a hand-judged corpus).
//
// It drives the real code paths (search.Service.Search, ingest.Service,
// the River workers the caller starts) and owns only its own databases
// (ctxintel_bench_*): it never writes to the service's database.
package bench
