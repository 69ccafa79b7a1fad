// Package analytics owns the analytics warehouse's content: which facts of
// Postgres, the system of record, are copied into ClickHouse's event tables
// (conversation_events, message_events, commit_events, search_events and
// their daily rollups, migrations/clickhouse/0003_events and 0004_metrics),
// how they get there, how to prove they match, and the metrics dashboards
// and reports read from them.
//
// Metrics (metrics.go and one file per metric): Metrics.Get works out whom
// the caller may count (Postgres: role, teams, members), then computes the
// metric in ClickHouse, every query bounded by the org and a time window;
// Go only merges the aggregated rows. Cost is priced per model with a
// PriceTable (prices.go). Knowledge-gap topics come from a daily
// clustering of questions (clustering.go, package topics).
//
// Projection: after a transaction changes a conversation, a commit or
// records a search, it enqueues the matching Project*Args job (defined
// here, enqueued by ingest and search in the same transaction). The job
// reads the entity's current state from Postgres (through warehouse, in its
// org's scope) and writes it as one event row through an EventWriter
// (a *warehouse.BatchWriter, which batches the rows of many jobs into one
// insert). Writing the same state again is harmless: the event tables are
// ReplacingMergeTree keyed on the entity, and the rollups aggregate sets of
// entity ids, so a retried job, a re-projection after every captured turn
// or a rebuild never counts anything twice (the migration explains how).
//
// Repair: Rebuild re-projects whole organizations from Postgres, Wipe
// empties their analytics rows first when Postgres lost rows that
// ClickHouse still holds, and Check compares per-day counts of both stores.
//
// This package must not write Postgres, and nothing but projection, Rebuild
// and Wipe writes the event tables. Its SQL for Postgres lives in warehouse
// (analytics_events.go); its ClickHouse SQL lives here, next to the tables'
// meaning. It does not import ingest, search or jobs: they import it.
package analytics
