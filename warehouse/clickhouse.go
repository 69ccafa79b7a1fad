package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// ClickHouseConfig selects the analytics engine: a ClickHouse server when URL
// is set, otherwise the embedded chDB engine.
type ClickHouseConfig struct {
	// URL of a ClickHouse server, e.g.
	// clickhouse://user:pass@host:9000/db?dial_timeout=5s (any DSN that
	// clickhouse-go's ParseDSN accepts, including http:// and https://).
	// Default empty: use embedded chDB, and DataDir and LibPath are required.
	URL string
	// DataDir is the chDB data directory (embedded mode only), created if
	// missing. No default. One process holds one chDB session, so every
	// OpenClickHouse in a process must use the same DataDir.
	DataDir string
	// LibPath is the path of libchdb.so (embedded mode only). No default;
	// `make setup` puts it in .deps/lib/libchdb.so. The library is loaded on
	// the first embedded OpenClickHouse, never when URL is set.
	LibPath string
}

// ClickHouse runs analytics SQL on either engine. Queries use ? placeholders,
// filled in as literals by one audited binder so the same SQL text runs on
// both engines: arguments may be nil, strings, bools, numbers, time.Time
// (bound as a UTC DateTime64(3)), uuid.UUID, slices of those (arrays, e.g.
// `action IN ?`) and pointers to those. The ternary `c ? a : b` cannot be
// used; write if(c, a, b). Bound values count toward ClickHouse's
// max_query_size (256 KiB of query text by default); Insert's data does not.
// Implementations are safe for concurrent use.
type ClickHouse interface {
	// Exec runs a statement that returns no rows (DDL, INSERT ... SELECT).
	Exec(ctx context.Context, query string, args ...any) error
	// Select appends the result rows to dest, a pointer to a slice of structs
	// (or of pointers to structs) whose fields carry `ch:"column"` tags; an
	// untagged field matches a column of its exact name and `ch:"-"` skips a
	// field. Every result column needs a field. Supported field types:
	// string, bool, every int/uint/float width (integers are range-checked),
	// time.Time (returned in UTC), uuid.UUID, slices of those, maps of those,
	// pointers to those (nil for NULL) and any.
	Select(ctx context.Context, dest any, query string, args ...any) error
	// Insert writes rows, each holding one value per column in order, in
	// one batch. Table and column names must be plain identifiers
	// (optionally database.table).
	Insert(ctx context.Context, table string, columns []string, rows [][]any) error
	// Ping checks that the engine answers.
	Ping(ctx context.Context) error
	// Engine reports "chdb" or "server".
	Engine() string
	// Close releases the connection (for chDB: this handle on the shared
	// session; the session closes with its last handle).
	Close() error
}

// Engine names returned by ClickHouse.Engine.
const (
	EngineChDB   = "chdb"
	EngineServer = "server"
)

// OpenClickHouse opens the engine cfg selects. A server connection is made
// lazily: OpenClickHouse does not dial, so use Ping to check it. The chDB
// library is only loaded when cfg.URL is empty.
func OpenClickHouse(ctx context.Context, cfg ClickHouseConfig) (ClickHouse, error) {
	if cfg.URL != "" {
		return openServer(cfg.URL)
	}
	return openChDB(ctx, cfg.DataDir, cfg.LibPath)
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// quoteTable quotes a table name, "t" or "db.t", after checking that each
// part is a plain identifier, so names never need escaping.
func quoteTable(name string) (string, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("invalid table name %q: expected table or database.table", name)
	}
	for i, p := range parts {
		q, err := quoteIdent(p)
		if err != nil {
			return "", fmt.Errorf("invalid table name %q: %w", name, err)
		}
		parts[i] = q
	}
	return strings.Join(parts, "."), nil
}

func quoteIdent(name string) (string, error) {
	if !identRe.MatchString(name) {
		return "", fmt.Errorf("%q is not a plain identifier (letters, digits, underscore)", name)
	}
	return "`" + name + "`", nil
}

// insertPrefix returns "INSERT INTO `t` (`a`, `b`)" and checks the rows'
// shape, shared by both engines.
func insertPrefix(table string, columns []string, rows [][]any) (string, error) {
	qt, err := quoteTable(table)
	if err != nil {
		return "", err
	}
	if len(columns) == 0 {
		return "", fmt.Errorf("insert into %s: no columns", table)
	}
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(qt)
	b.WriteString(" (")
	for i, c := range columns {
		qc, err := quoteIdent(c)
		if err != nil {
			return "", fmt.Errorf("insert into %s: column %w", table, err)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(qc)
	}
	b.WriteString(")")
	if err := checkRows(columns, rows); err != nil {
		return "", fmt.Errorf("insert into %s: %w", table, err)
	}
	return b.String(), nil
}

func checkRows(columns []string, rows [][]any) error {
	for i, r := range rows {
		if len(r) != len(columns) {
			return fmt.Errorf("row %d has %d values for %d columns", i+1, len(r), len(columns))
		}
	}
	return nil
}

// ---- errors ----

// queryError wraps an engine or driver error with the action and the first
// line of the query template. The bound values may hold user data, so they
// are removed from the engine's message (ClickHouse echoes the query and bad
// input in its messages); only transport errors, which carry no query data,
// are wrapped as is so that errors.Is works for them.
func queryError(action, query string, err error, args []any) error {
	if isTransportError(err) {
		return fmt.Errorf("clickhouse %s (%s): %w", action, firstLine(query), err)
	}
	msg := redactEngineMessage(err.Error(), args)
	return fmt.Errorf("clickhouse %s (%s): %w", action, firstLine(query), errors.New(msg))
}

func isTransportError(err error) bool {
	var ne net.Error
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// firstLine is the query's first non-blank line, cut to 120 bytes: enough to
// recognise the statement in a log without copying it whole.
func firstLine(query string) string {
	q := strings.TrimSpace(query)
	if nl := strings.IndexByte(q, '\n'); nl >= 0 {
		q = strings.TrimSpace(q[:nl]) + " …"
	}
	if len(q) > 120 {
		q = strings.ToValidUTF8(q[:120], "") + "…"
	}
	return q
}

var (
	// "... (UNKNOWN_TABLE)" at the end of a ClickHouse exception message.
	chCodeSuffixRe = regexp.MustCompile(`\.?\s*\([A-Z][A-Z0-9_]*\)\s*$`)
	// ClickHouse echoes the (bound) query after "In scope" and after the
	// position of a syntax error.
	chScopeRe    = regexp.MustCompile(`(?i)\bin scope\b`)
	chSyntaxAtRe = regexp.MustCompile(`failed at position \d+`)
)

const maxErrorMessage = 1000

// redactEngineMessage removes the parts of a ClickHouse message that can
// contain bound values: the echoed query ("In scope ...", a syntax error's
// snippet) and any verbatim copy of a bound string of 3 bytes or more.
func redactEngineMessage(msg string, args []any) string {
	suffix := ""
	if loc := chCodeSuffixRe.FindStringIndex(msg); loc != nil {
		suffix = msg[loc[0]:]
		msg = msg[:loc[0]]
	}
	if loc := chScopeRe.FindStringIndex(msg); loc != nil {
		msg = msg[:loc[0]] + "in scope <query>"
	}
	if loc := chSyntaxAtRe.FindStringIndex(msg); loc != nil {
		rest := msg[loc[1]:]
		if e := strings.LastIndex(rest, ". Expected"); e >= 0 {
			rest = rest[e:]
		} else {
			rest = ""
		}
		msg = msg[:loc[1]] + rest
	}
	var secrets []string
	for _, a := range args {
		secrets = collectStrings(secrets, reflect.ValueOf(a))
	}
	// Longest first, so a value is not half-replaced by one of its parts.
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "<redacted>")
		if lit := string(appendStringLiteral(nil, s)); len(lit) > 2 {
			msg = strings.ReplaceAll(msg, lit[1:len(lit)-1], "<redacted>")
		}
	}
	msg += suffix
	if len(msg) > maxErrorMessage {
		msg = strings.ToValidUTF8(msg[:maxErrorMessage], "") + "…"
	}
	return msg
}

// collectStrings gathers the string values (3 bytes or longer) inside v.
func collectStrings(dst []string, v reflect.Value) []string {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); len(s) >= 3 {
			dst = append(dst, s)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			dst = collectStrings(dst, v.Elem())
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := range v.Len() {
				dst = collectStrings(dst, v.Index(i))
			}
		}
	}
	return dst
}

// ---- decoding rows into structs (shared by both engines) ----

// structFields maps column names to field indexes of a struct type.
type structFields map[string][]int

var fieldCache sync.Map // reflect.Type -> structFields

func fieldsOf(t reflect.Type) structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(structFields)
	}
	fields := structFields{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("ch"); ok {
			if tag == "-" {
				continue
			}
			name, _, _ = strings.Cut(tag, ",")
		}
		fields[name] = f.Index
	}
	fieldCache.Store(t, fields)
	return fields
}

// rowSink appends decoded rows to a *[]T or *[]*T destination.
type rowSink struct {
	slice    reflect.Value // the []T itself (settable)
	elemType reflect.Type  // T, a struct
	ptrElems bool
	fields   [][]int // per result column
}

func newRowSink(dest any, columns []string) (*rowSink, error) {
	rv := reflect.ValueOf(dest)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Slice {
		return nil, fmt.Errorf("select destination must be a pointer to a slice of structs, not %T", dest)
	}
	s := &rowSink{slice: rv.Elem(), elemType: rv.Elem().Type().Elem()}
	if s.elemType.Kind() == reflect.Pointer {
		s.ptrElems = true
		s.elemType = s.elemType.Elem()
	}
	if s.elemType.Kind() != reflect.Struct {
		return nil, fmt.Errorf("select destination must be a pointer to a slice of structs, not %T", dest)
	}
	fields := fieldsOf(s.elemType)
	for _, c := range columns {
		idx, ok := fields[c]
		if !ok {
			return nil, fmt.Errorf("result column %q has no field tagged `ch:%q` in %s", c, c, s.elemType)
		}
		s.fields = append(s.fields, idx)
	}
	return s, nil
}

// appendRow adds one row; values are in result column order.
func (s *rowSink) appendRow(columns []string, values []any) error {
	elem := reflect.New(s.elemType).Elem()
	for i, v := range values {
		f := elem.FieldByIndex(s.fields[i])
		if err := assignValue(f, v); err != nil {
			return fmt.Errorf("column %q into field %s.%s: %w", columns[i], s.elemType, s.elemType.FieldByIndex(s.fields[i]).Name, err)
		}
	}
	if s.ptrElems {
		elem = elem.Addr()
	}
	s.slice.Set(reflect.Append(s.slice, elem))
	return nil
}

var (
	timeType = reflect.TypeFor[time.Time]()
	uuidType = reflect.TypeFor[uuid.UUID]()
)

// chPair is one entry of a ClickHouse Map decoded from chDB's output. The
// entries stay a list until assignValue knows the destination's key type.
type chPair struct{ key, value any }

// assignValue stores src, a value decoded by either engine, into dst. It
// converts between numeric widths (range-checked, never truncating a float
// into an integer), so a count() (UInt64) fits an int field on both engines.
func assignValue(dst reflect.Value, src any) error {
	if src == nil {
		dst.SetZero()
		return nil
	}
	sv := reflect.ValueOf(src)
	for sv.Kind() == reflect.Pointer {
		if sv.IsNil() {
			dst.SetZero()
			return nil
		}
		sv = sv.Elem()
	}
	src = sv.Interface()
	if dst.Kind() == reflect.Pointer {
		p := reflect.New(dst.Type().Elem())
		if err := assignValue(p.Elem(), src); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	if dst.Kind() == reflect.Interface && dst.NumMethod() == 0 {
		dst.Set(sv)
		return nil
	}
	switch dst.Type() {
	case timeType:
		if t, ok := src.(time.Time); ok {
			dst.Set(reflect.ValueOf(t.UTC()))
			return nil
		}
		return cannotAssign(src, dst)
	case uuidType:
		switch u := src.(type) {
		case uuid.UUID:
			dst.Set(reflect.ValueOf(u))
			return nil
		case string:
			parsed, err := uuid.Parse(u)
			if err != nil {
				return fmt.Errorf("parse UUID: %w", err)
			}
			dst.Set(reflect.ValueOf(parsed))
			return nil
		}
		return cannotAssign(src, dst)
	}
	switch dst.Kind() {
	case reflect.String:
		switch {
		case sv.Kind() == reflect.String:
			dst.SetString(sv.String())
		case sv.Type() == uuidType:
			dst.SetString(src.(uuid.UUID).String())
		default:
			return cannotAssign(src, dst)
		}
	case reflect.Bool:
		switch {
		case sv.Kind() == reflect.Bool:
			dst.SetBool(sv.Bool())
		case sv.CanUint():
			dst.SetBool(sv.Uint() != 0)
		default:
			return cannotAssign(src, dst)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		switch {
		case sv.CanInt():
			if dst.OverflowInt(sv.Int()) {
				return fmt.Errorf("value %d overflows %s", sv.Int(), dst.Type())
			}
			dst.SetInt(sv.Int())
		case sv.CanUint():
			if u := sv.Uint(); u > 1<<63-1 || dst.OverflowInt(int64(u)) {
				return fmt.Errorf("value %d overflows %s", u, dst.Type())
			}
			dst.SetInt(int64(sv.Uint()))
		default:
			return cannotAssign(src, dst)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		switch {
		case sv.CanUint():
			if dst.OverflowUint(sv.Uint()) {
				return fmt.Errorf("value %d overflows %s", sv.Uint(), dst.Type())
			}
			dst.SetUint(sv.Uint())
		case sv.CanInt():
			if i := sv.Int(); i < 0 || dst.OverflowUint(uint64(i)) {
				return fmt.Errorf("value %d overflows %s", i, dst.Type())
			}
			dst.SetUint(uint64(sv.Int()))
		default:
			return cannotAssign(src, dst)
		}
	case reflect.Float32, reflect.Float64:
		switch {
		case sv.CanFloat():
			dst.SetFloat(sv.Float())
		case sv.CanInt():
			dst.SetFloat(float64(sv.Int()))
		case sv.CanUint():
			dst.SetFloat(float64(sv.Uint()))
		default:
			// Decimals from the server driver (shopspring/decimal).
			if f, ok := src.(interface{ Float64() (float64, bool) }); ok {
				v, _ := f.Float64()
				dst.SetFloat(v)
				return nil
			}
			return cannotAssign(src, dst)
		}
	case reflect.Slice:
		if sv.Kind() != reflect.Slice && sv.Kind() != reflect.Array {
			return cannotAssign(src, dst)
		}
		out := reflect.MakeSlice(dst.Type(), sv.Len(), sv.Len())
		for i := range sv.Len() {
			if err := assignValue(out.Index(i), sv.Index(i).Interface()); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		dst.Set(out)
	case reflect.Map:
		return assignMap(dst, src, sv)
	default:
		return cannotAssign(src, dst)
	}
	return nil
}

func assignMap(dst reflect.Value, src any, sv reflect.Value) error {
	out := reflect.MakeMap(dst.Type())
	put := func(k, v any) error {
		kv := reflect.New(dst.Type().Key()).Elem()
		if err := assignValue(kv, k); err != nil {
			return fmt.Errorf("map key: %w", err)
		}
		vv := reflect.New(dst.Type().Elem()).Elem()
		if err := assignValue(vv, v); err != nil {
			return fmt.Errorf("map value: %w", err)
		}
		out.SetMapIndex(kv, vv)
		return nil
	}
	switch {
	case sv.Type() == reflect.TypeFor[[]chPair]():
		for _, p := range src.([]chPair) {
			if err := put(p.key, p.value); err != nil {
				return err
			}
		}
	case sv.Kind() == reflect.Map:
		it := sv.MapRange()
		for it.Next() {
			if err := put(it.Key().Interface(), it.Value().Interface()); err != nil {
				return err
			}
		}
	default:
		return cannotAssign(src, dst)
	}
	dst.Set(out)
	return nil
}

func cannotAssign(src any, dst reflect.Value) error {
	return fmt.Errorf("cannot store %T in a %s field", src, dst.Type())
}
