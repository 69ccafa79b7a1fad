// Package warehouse is the data layer: Postgres, the system of record
// (tenancy, conversations, commits, links, audit, River's job tables), and
// ClickHouse, the append-only analytics store (embedded chDB or a server).
//
// It owns the pgx, clickhouse-go and chDB SDKs; nobody else imports them.
// Every tenant query runs in a transaction opened by DB.InOrg, which sets
// the organization that row-level security enforces, so a query that
// forgets its org filter still sees one org only. Driver errors are
// translated here into the sentinels below.
//
// It must not hold business rules (who may do what, how keys are minted,
// how formats are parsed): those live in the domain packages above it.
package warehouse
