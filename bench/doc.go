// Package bench measures search at scale and writes BENCHMARKS.md: it
// generates realistic synthetic tenants and conversations (deterministic
// for a seed), bulk-loads them into a dedicated benchmark database, and
// measures search latency, HNSW recall, ingest-to-searchable lag and
// relevance (nDCG@10 on a hand-judged corpus). Its analytics part
// (analytics*.go) generates ClickHouse events of many organizations and
// times the dashboard metrics and the projection's lag.
//
// It drives the real code paths (search.Service.Search, analytics.Metrics,
// ingest.Service, the River workers the caller starts) and owns only its
// own databases (ctxintel_bench_*, and a chDB directory of its own for
// analytics): it never writes to the service's databases.
package bench
