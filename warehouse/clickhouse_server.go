package warehouse

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// serverClickHouse runs the same SQL on a ClickHouse server through
// clickhouse-go. Values are bound by bindCH, not by the driver, so both
// engines see identical SQL text.
type serverClickHouse struct {
	conn driver.Conn
}

func openServer(dsn string) (ClickHouse, error) {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		// url.Error repeats the URL, password included.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("parse ClickHouse URL: %w", err)
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open ClickHouse server %s: %w", redactURL(dsn), err)
	}
	return &serverClickHouse{conn: conn}, nil
}

// redactURL drops the credentials from a DSN for messages.
func redactURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func (c *serverClickHouse) Engine() string { return EngineServer }

func (c *serverClickHouse) Close() error { return c.conn.Close() }

func (c *serverClickHouse) Ping(ctx context.Context) error {
	if err := c.conn.Ping(ctx); err != nil {
		return queryError("ping", "SELECT 1", err, nil)
	}
	return nil
}

func (c *serverClickHouse) Exec(ctx context.Context, query string, args ...any) error {
	bound, err := bindCH(query, args...)
	if err != nil {
		return fmt.Errorf("clickhouse exec (%s): %w", firstLine(query), err)
	}
	// No arguments go to the driver, so it does no binding of its own.
	if err := c.conn.Exec(ctx, bound); err != nil {
		return queryError("exec", query, err, args)
	}
	return nil
}

// Select scans each column into the driver's own scan type and then stores
// it with assignValue, the rule chDB results follow too, so a struct that
// decodes on chDB decodes on the server (clickhouse-go's Select alone would
// reject e.g. a UInt64 count() into an int field).
func (c *serverClickHouse) Select(ctx context.Context, dest any, query string, args ...any) error {
	bound, err := bindCH(query, args...)
	if err != nil {
		return fmt.Errorf("clickhouse select (%s): %w", firstLine(query), err)
	}
	rows, err := c.conn.Query(ctx, bound)
	if err != nil {
		return queryError("select", query, err, args)
	}
	defer rows.Close()
	columns := rows.Columns()
	sink, err := newRowSink(dest, columns)
	if err != nil {
		return fmt.Errorf("clickhouse select (%s): %w", firstLine(query), err)
	}
	ptrs := make([]any, len(columns))
	for i, ct := range rows.ColumnTypes() {
		ptrs[i] = reflect.New(ct.ScanType()).Interface()
	}
	values := make([]any, len(columns))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return queryError("select", query, err, args)
		}
		for i, p := range ptrs {
			values[i] = reflect.ValueOf(p).Elem().Interface()
		}
		if err := sink.appendRow(columns, values); err != nil {
			return fmt.Errorf("clickhouse select (%s): %w", firstLine(query), err)
		}
	}
	if err := rows.Err(); err != nil {
		return queryError("select", query, err, args)
	}
	return nil
}

func (c *serverClickHouse) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	prefix, err := insertPrefix(table, columns, rows)
	if err != nil {
		return fmt.Errorf("clickhouse insert: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	batch, err := c.conn.PrepareBatch(ctx, prefix)
	if err != nil {
		return queryError("insert", prefix, err, nil)
	}
	defer func() { _ = batch.Close() }()
	for i, row := range rows {
		if err := batch.Append(row...); err != nil {
			return fmt.Errorf("clickhouse insert into %s: row %d: %w", table, i+1,
				errors.New(redactEngineMessage(err.Error(), row)))
		}
	}
	if err := batch.Send(); err != nil {
		return queryError("insert", prefix, err, rowArgs(rows))
	}
	return nil
}
