// Package migrations holds the numbered SQL migrations, embedded in the
// binary and applied by `ctxintel migrate`. Postgres and ClickHouse have
// separate folders; each file is NNNN_name.up.sql or NNNN_name.down.sql.
// This package is a leaf: SQL only, no Go logic.
package migrations

import "embed"

// Postgres holds the Postgres migrations (River's own are applied by
// River's migrator before these).
//
//go:embed postgres/*.sql
var Postgres embed.FS

// ClickHouse holds the ClickHouse migrations; the same SQL runs on chDB
// and on a ClickHouse server.
//
//go:embed clickhouse/*.sql
var ClickHouse embed.FS
