package warehouse

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"
	"github.com/google/uuid"
)

// The embedded engine is libchdb.so (ClickHouse as a library) called through
// purego. We bind the C API ourselves instead of importing chdb-go because
// its chdb-purego package loads the library in init() and panics when it is
// missing, and this binary must start without libchdb when a ClickHouse
// server is configured. Here the library is loaded on the first embedded
// OpenClickHouse and a missing file is an ordinary error.
//
// The C API (chdb.h of chDB 3.x, as used by chdb-go v1.11.0):
//
//	chdb_connection *chdb_connect(int argc, char **argv);
//	void chdb_close_conn(chdb_connection *conn);
//	chdb_result *chdb_query(chdb_connection conn, const char *query, const char *format);
//	char *chdb_result_buffer(chdb_result *result);
//	size_t chdb_result_length(chdb_result *result);
//	const char *chdb_result_error(chdb_result *result);
//	void chdb_destroy_query_result(chdb_result *result);
//
// One process holds one chDB session, shared by every handle and goroutine.
// chdb_query is thread-safe but chDB queues statements and runs them one at a
// time (each one is itself multi-threaded), so concurrent callers wait their
// turn. A process that exits through the C library's exit() (as -race
// binaries do) must close the session first: libchdb's static destructors
// crash on an open one. Ordinary Go binaries exit without running them.

// chdbLib holds the library's functions.
type chdbLib struct {
	path    string
	connect func(argc int32, argv []*byte) unsafe.Pointer
	close   func(conn unsafe.Pointer)
	query   func(conn unsafe.Pointer, query []byte, format []byte) unsafe.Pointer
	buffer  func(result unsafe.Pointer) unsafe.Pointer
	length  func(result unsafe.Pointer) uint64
	errMsg  func(result unsafe.Pointer) unsafe.Pointer
	destroy func(result unsafe.Pointer)
}

// chdbProcess is the process-wide state: the library, loaded at most once,
// and the one open session.
var chdbProcess struct {
	mu      sync.Mutex
	lib     *chdbLib
	session *chdbSession
}

func loadChDBLib(path string) (*chdbLib, error) {
	hint := "(run make setup, or set CLICKHOUSE_URL to use a ClickHouse server)"
	if path == "" {
		return nil, fmt.Errorf("open chDB library: no library path configured %s", hint)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open chDB library %s: %w %s", path, err, hint)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("open chDB library %s: %w %s", abs, err, hint)
	}
	handle, err := purego.Dlopen(abs, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("open chDB library %s: %w %s", abs, err, hint)
	}
	lib := &chdbLib{path: abs}
	for _, f := range []struct {
		fptr any
		name string
	}{
		{&lib.connect, "chdb_connect"},
		{&lib.close, "chdb_close_conn"},
		{&lib.query, "chdb_query"},
		{&lib.buffer, "chdb_result_buffer"},
		{&lib.length, "chdb_result_length"},
		{&lib.errMsg, "chdb_result_error"},
		{&lib.destroy, "chdb_destroy_query_result"},
	} {
		sym, err := purego.Dlsym(handle, f.name)
		if err != nil {
			return nil, fmt.Errorf("open chDB library %s: missing symbol %s (expected chDB 3.x / libchdb 26.x): %w", abs, f.name, err)
		}
		purego.RegisterFunc(f.fptr, sym)
	}
	return lib, nil
}

// chdbSession is the process's chDB connection, shared by every handle.
type chdbSession struct {
	lib  *chdbLib
	dir  string
	argv [][]byte // kept alive for as long as the session, in case chDB keeps argv
	// connPtr is the chdb_connection* from chdb_connect; conn is *connPtr,
	// the chdb_connection that queries take.
	connPtr unsafe.Pointer
	conn    unsafe.Pointer
	refs    int // open handles; guarded by chdbProcess.mu
	// Queries hold a read lock so the connection is not closed under one,
	// including a query whose caller gave up on cancellation.
	inUse sync.RWMutex
}

func openChDB(ctx context.Context, dataDir, libPath string) (ClickHouse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if dataDir == "" {
		return nil, errors.New("open chDB: no data directory configured (ClickHouseConfig.DataDir)")
	}
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("open chDB data directory %s: %w", dataDir, err)
	}
	p := &chdbProcess
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lib == nil {
		lib, err := loadChDBLib(libPath)
		if err != nil {
			return nil, err
		}
		p.lib = lib
	} else if abs, _ := filepath.Abs(libPath); libPath != "" && abs != p.lib.path {
		return nil, fmt.Errorf("open chDB library %s: this process already loaded %s", libPath, p.lib.path)
	}
	if s := p.session; s != nil {
		if s.dir != dir {
			return nil, fmt.Errorf("open chDB at %s: this process already holds a chDB session at %s (one session per process)", dir, s.dir)
		}
		s.refs++
		return &chdbClickHouse{s: s}, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open chDB data directory: %w", err)
	}
	s := &chdbSession{lib: p.lib, dir: dir, refs: 1}
	args := []string{"clickhouse", "--path=" + dir}
	cargs := make([]*byte, len(args))
	for i, a := range args {
		b := append([]byte(a), 0)
		s.argv = append(s.argv, b)
		cargs[i] = &b[0]
	}
	s.connPtr = p.lib.connect(int32(len(cargs)), cargs)
	runtime.KeepAlive(cargs)
	if s.connPtr == nil {
		return nil, fmt.Errorf("open chDB at %s: chdb_connect failed (is the directory writable and not used by another process?)", dir)
	}
	s.conn = *(*unsafe.Pointer)(s.connPtr)
	if s.conn == nil {
		p.lib.close(s.connPtr)
		return nil, fmt.Errorf("open chDB at %s: chdb_connect returned no connection", dir)
	}
	p.session = s
	return &chdbClickHouse{s: s}, nil
}

// release drops one handle's reference and closes the connection with the
// last one, after the queries still running on it finish.
func (s *chdbSession) release() {
	p := &chdbProcess
	p.mu.Lock()
	defer p.mu.Unlock()
	s.refs--
	if s.refs > 0 {
		return
	}
	s.inUse.Lock()
	s.lib.close(s.connPtr)
	s.conn, s.connPtr = nil, nil
	s.inUse.Unlock()
	if p.session == s {
		p.session = nil
	}
}

// run executes one statement and returns its output in the given format.
func (s *chdbSession) run(query, format string) ([]byte, error) {
	if strings.IndexByte(query, 0) >= 0 {
		return nil, errors.New("query contains a NUL byte")
	}
	s.inUse.RLock()
	defer s.inUse.RUnlock()
	if s.conn == nil {
		return nil, errors.New("chDB session is closed")
	}
	q := append([]byte(query), 0)
	f := append([]byte(format), 0)
	res := s.lib.query(s.conn, q, f)
	runtime.KeepAlive(q)
	runtime.KeepAlive(f)
	if res == nil {
		return nil, errors.New("chDB returned no result")
	}
	defer s.lib.destroy(res)
	if msg := cString(s.lib.errMsg(res)); msg != "" {
		return nil, errors.New(strings.TrimSpace(msg))
	}
	n := s.lib.length(res)
	if n == 0 {
		return nil, nil
	}
	buf := s.lib.buffer(res)
	if buf == nil {
		return nil, errors.New("chDB returned a result without a buffer")
	}
	return append([]byte(nil), unsafe.Slice((*byte)(buf), n)...), nil
}

// cString copies a NUL-terminated C string.
func cString(p unsafe.Pointer) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

// chdbClickHouse is one handle on the shared session.
type chdbClickHouse struct {
	s      *chdbSession
	closed atomic.Bool
}

var errClickHouseClosed = errors.New("clickhouse handle is closed")

// runCtx runs a statement. chDB cannot interrupt a running statement: when
// abandonable (reads), the caller gets ctx's error at once and the query
// finishes in the background; writes always wait, so their error or success
// is the one reported.
func (c *chdbClickHouse) runCtx(ctx context.Context, query, format string, abandonable bool) ([]byte, error) {
	if c.closed.Load() {
		return nil, errClickHouseClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !abandonable || ctx.Done() == nil {
		return c.s.run(query, format)
	}
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := c.s.run(query, format)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *chdbClickHouse) Engine() string { return EngineChDB }

func (c *chdbClickHouse) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.s.release()
	return nil
}

func (c *chdbClickHouse) Ping(ctx context.Context) error {
	if _, err := c.runCtx(ctx, "SELECT 1", "TabSeparated", true); err != nil {
		return queryError("ping", "SELECT 1", err, nil)
	}
	return nil
}

func (c *chdbClickHouse) Exec(ctx context.Context, query string, args ...any) error {
	bound, err := bindCH(query, args...)
	if err != nil {
		return fmt.Errorf("clickhouse exec (%s): %w", firstLine(query), err)
	}
	if _, err := c.runCtx(ctx, bound, "TabSeparated", false); err != nil {
		return queryError("exec", query, err, args)
	}
	return nil
}

func (c *chdbClickHouse) Select(ctx context.Context, dest any, query string, args ...any) error {
	bound, err := bindCH(query, args...)
	if err != nil {
		return fmt.Errorf("clickhouse select (%s): %w", firstLine(query), err)
	}
	// RowBinary keeps strings byte-exact (JSON formats would replace invalid
	// UTF-8) and carries the column types, which drive the decoding.
	out, err := c.runCtx(ctx, bound, "RowBinaryWithNamesAndTypes", true)
	if err != nil {
		return queryError("select", query, err, args)
	}
	if err := decodeRowBinary(out, dest); err != nil {
		return fmt.Errorf("clickhouse select (%s): %w", firstLine(query), err)
	}
	return nil
}

// maxInsertChunk bounds the size of one INSERT statement's text.
const maxInsertChunk = 64 << 20

// Insert sends INSERT ... VALUES with every value rendered by the same
// literal encoder as bindCH, rather than FORMAT JSONEachRow: JSON would need
// a second escaper to audit, cannot carry non-UTF-8 strings exactly, and
// leaves time zones of DateTime columns to the parser's defaults, while the
// literals are byte-exact and typed (DateTime64 in UTC, UUID). ClickHouse
// evaluates the toDateTime64/toUUID calls once per batch via its template
// deduction for VALUES, so this stays fast (see the test timings). Rows
// beyond maxInsertChunk bytes of text go in further statements.
func (c *chdbClickHouse) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	prefix, err := insertPrefix(table, columns, rows)
	if err != nil {
		return fmt.Errorf("clickhouse insert: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	head := prefix + " VALUES "
	buf := make([]byte, 0, len(head)+len(rows)*len(columns)*16)
	buf = append(buf, head...)
	first := true
	flush := func() error {
		if _, err := c.runCtx(ctx, string(buf), "TabSeparated", false); err != nil {
			return queryError("insert", prefix, err, rowArgs(rows))
		}
		buf, first = append(buf[:0], head...), true
		return nil
	}
	for i, row := range rows {
		if !first {
			buf = append(buf, ", "...)
		}
		first = false
		buf = append(buf, '(')
		for j, v := range row {
			if j > 0 {
				buf = append(buf, ", "...)
			}
			if buf, err = appendLiteral(buf, v); err != nil {
				return fmt.Errorf("clickhouse insert into %s: row %d column %s: %w", table, i+1, columns[j], err)
			}
		}
		buf = append(buf, ')')
		if len(buf) >= maxInsertChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if !first {
		return flush()
	}
	return nil
}

// rowArgs flattens rows into one argument list, for error redaction.
func rowArgs(rows [][]any) []any {
	var out []any
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// ---- RowBinaryWithNamesAndTypes decoding ----

// decodeRowBinary decodes chDB's RowBinaryWithNamesAndTypes output into
// dest (see ClickHouse.Select). The values it produces have the Go types
// clickhouse-go scans into, so assignValue treats both engines alike.
func decodeRowBinary(data []byte, dest any) error {
	r := &rbReader{b: data}
	if len(data) == 0 {
		// No header at all: chDB returns nothing for an empty result of
		// some statements; treat it as zero rows.
		_, err := newRowSink(dest, nil)
		return err
	}
	n, err := r.uvarint()
	if err != nil {
		return fmt.Errorf("decode result header: %w", err)
	}
	if n > uint64(len(data)) {
		return fmt.Errorf("decode result header: %d columns in %d bytes", n, len(data))
	}
	names := make([]string, n)
	for i := range names {
		if names[i], err = r.str(); err != nil {
			return fmt.Errorf("decode result header: %w", err)
		}
	}
	types := make([]*chType, n)
	for i := range types {
		s, err := r.str()
		if err != nil {
			return fmt.Errorf("decode result header: %w", err)
		}
		if types[i], err = parseCHType(s); err != nil {
			return fmt.Errorf("result column %q: %w", names[i], err)
		}
	}
	sink, err := newRowSink(dest, names)
	if err != nil {
		return err
	}
	values := make([]any, n)
	for row := 1; r.off < len(r.b); row++ {
		for i, t := range types {
			if values[i], err = r.value(t); err != nil {
				return fmt.Errorf("decode row %d column %q (%s): %w", row, names[i], t.raw, err)
			}
		}
		if err := sink.appendRow(names, values); err != nil {
			return fmt.Errorf("row %d: %w", row, err)
		}
	}
	return nil
}

// chType is a parsed ClickHouse type name.
type chType struct {
	raw   string
	name  string    // String, UInt64, Array, Nullable, Map, DateTime64, Enum8, ...
	elems []*chType // Array, Nullable, LowCardinality, Map, SimpleAggregateFunction
	size  int       // FixedString length, DateTime64 precision, Decimal scale
	width int       // Decimal storage bytes
	enum  map[int64]string
}

func parseCHType(s string) (*chType, error) {
	s = strings.TrimSpace(s)
	t := &chType{raw: s, name: s}
	var args []string
	if open := strings.IndexByte(s, '('); open >= 0 {
		if !strings.HasSuffix(s, ")") {
			return nil, fmt.Errorf("malformed type %q", s)
		}
		t.name = s[:open]
		args = splitTypeArgs(s[open+1 : len(s)-1])
	}
	typeArgs := func(want int) error {
		if len(args) != want {
			return fmt.Errorf("type %q: expected %d type arguments", s, want)
		}
		for _, a := range args {
			e, err := parseCHType(a)
			if err != nil {
				return err
			}
			t.elems = append(t.elems, e)
		}
		return nil
	}
	intArg := func(i int) (int, error) {
		var v int
		if i >= len(args) {
			return 0, fmt.Errorf("type %q: missing argument %d", s, i+1)
		}
		if _, err := fmt.Sscanf(strings.TrimSpace(args[i]), "%d", &v); err != nil {
			return 0, fmt.Errorf("type %q: argument %d: %w", s, i+1, err)
		}
		return v, nil
	}
	var err error
	switch t.name {
	case "String", "Bool", "UUID", "Nothing", "Date", "Date32",
		"UInt8", "UInt16", "UInt32", "UInt64", "Int8", "Int16", "Int32", "Int64",
		"Float32", "Float64", "IPv4", "IPv6":
		if args != nil {
			return nil, fmt.Errorf("malformed type %q", s)
		}
	case "DateTime": // optional time zone argument: values are UTC seconds anyway
	case "DateTime64":
		t.size, err = intArg(0)
	case "FixedString":
		t.size, err = intArg(0)
	case "Decimal":
		var p int
		if p, err = intArg(0); err == nil {
			t.size, err = intArg(1)
			t.width = decimalWidth(p)
		}
	case "Decimal32", "Decimal64", "Decimal128", "Decimal256":
		t.size, err = intArg(0)
		t.width = map[string]int{"Decimal32": 4, "Decimal64": 8, "Decimal128": 16, "Decimal256": 32}[t.name]
	case "Array", "Nullable", "LowCardinality":
		err = typeArgs(1)
	case "Map":
		err = typeArgs(2)
	case "SimpleAggregateFunction":
		if len(args) != 2 {
			return nil, fmt.Errorf("type %q: expected function and type", s)
		}
		args = args[1:]
		err = typeArgs(1)
		// Stored as the plain type.
		if err == nil {
			return t.elems[0], nil
		}
	case "Enum8", "Enum16":
		t.enum, err = parseEnum(args)
	default:
		return nil, fmt.Errorf("unsupported ClickHouse type %q (cast it in the query, e.g. toString(x))", s)
	}
	if err != nil {
		return nil, err
	}
	if t.width > 8 {
		return nil, fmt.Errorf("unsupported ClickHouse type %q: decimals wider than 64 bits (cast to Float64 in the query)", s)
	}
	return t, nil
}

func decimalWidth(precision int) int {
	switch {
	case precision <= 9:
		return 4
	case precision <= 18:
		return 8
	case precision <= 38:
		return 16
	}
	return 32
}

// splitTypeArgs splits "a, Map(b, c), 'x,y'" at top-level commas.
func splitTypeArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// parseEnum reads "'a' = 1", "'b' = 2" arguments.
func parseEnum(args []string) (map[int64]string, error) {
	m := make(map[int64]string, len(args))
	for _, a := range args {
		eq := strings.LastIndexByte(a, '=')
		if eq < 0 {
			return nil, fmt.Errorf("malformed enum element %q", a)
		}
		name, err := unquoteCH(strings.TrimSpace(a[:eq]))
		if err != nil {
			return nil, fmt.Errorf("malformed enum element %q: %w", a, err)
		}
		var v int64
		if _, err := fmt.Sscanf(strings.TrimSpace(a[eq+1:]), "%d", &v); err != nil {
			return nil, fmt.Errorf("malformed enum element %q: %w", a, err)
		}
		m[v] = name
	}
	return m, nil
}

// unquoteCH reads a single-quoted ClickHouse string as written in type names.
func unquoteCH(s string) (string, error) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", errors.New("expected a quoted string")
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s)-1 {
			i++
			c = s[i]
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

type rbReader struct {
	b   []byte
	off int
}

var errShortResult = errors.New("result ends in the middle of a value")

func (r *rbReader) take(n int) ([]byte, error) {
	if n < 0 || len(r.b)-r.off < n {
		return nil, errShortResult
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p, nil
}

func (r *rbReader) uvarint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		if r.off >= len(r.b) {
			return 0, errShortResult
		}
		c := r.b[r.off]
		r.off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("malformed length")
}

func (r *rbReader) str() (string, error) {
	n, err := r.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(len(r.b)-r.off) {
		return "", errShortResult
	}
	p, err := r.take(int(n))
	return string(p), err
}

func (r *rbReader) fixed(n int) (uint64, error) {
	p, err := r.take(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(p[i])
	}
	return v, nil
}

// value decodes one value of type t.
func (r *rbReader) value(t *chType) (any, error) {
	switch t.name {
	case "String":
		return r.str()
	case "FixedString":
		p, err := r.take(t.size)
		return string(p), err
	case "Bool":
		v, err := r.fixed(1)
		return v != 0, err
	case "UInt8":
		v, err := r.fixed(1)
		return uint8(v), err
	case "UInt16":
		v, err := r.fixed(2)
		return uint16(v), err
	case "UInt32":
		v, err := r.fixed(4)
		return uint32(v), err
	case "UInt64":
		return r.fixed(8)
	case "Int8":
		v, err := r.fixed(1)
		return int8(v), err
	case "Int16":
		v, err := r.fixed(2)
		return int16(v), err
	case "Int32":
		v, err := r.fixed(4)
		return int32(v), err
	case "Int64":
		v, err := r.fixed(8)
		return int64(v), err
	case "Float32":
		v, err := r.fixed(4)
		return math.Float32frombits(uint32(v)), err
	case "Float64":
		v, err := r.fixed(8)
		return math.Float64frombits(v), err
	case "Decimal", "Decimal32", "Decimal64":
		v, err := r.fixed(t.width)
		if err != nil {
			return nil, err
		}
		var n int64
		if t.width == 4 {
			n = int64(int32(v))
		} else {
			n = int64(v)
		}
		return float64(n) / math.Pow10(t.size), nil
	case "UUID":
		// Two little-endian 64-bit halves, high half first.
		p, err := r.take(16)
		if err != nil {
			return nil, err
		}
		var u uuid.UUID
		for i := range 8 {
			u[i] = p[7-i]
			u[8+i] = p[15-i]
		}
		return u, nil
	case "IPv4":
		v, err := r.fixed(4)
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String(), err
	case "IPv6":
		p, err := r.take(16)
		if err != nil {
			return nil, err
		}
		return netip.AddrFrom16([16]byte(p)).String(), nil
	case "Date":
		v, err := r.fixed(2)
		return time.Unix(int64(v)*86400, 0).UTC(), err
	case "Date32":
		v, err := r.fixed(4)
		return time.Unix(int64(int32(v))*86400, 0).UTC(), err
	case "DateTime":
		v, err := r.fixed(4)
		return time.Unix(int64(v), 0).UTC(), err
	case "DateTime64":
		v, err := r.fixed(8)
		if err != nil {
			return nil, err
		}
		ticks := int64(v)
		scale := int64(math.Pow10(t.size))
		sec, frac := ticks/scale, ticks%scale
		if frac < 0 {
			sec, frac = sec-1, frac+scale
		}
		return time.Unix(sec, frac*int64(math.Pow10(9-t.size))).UTC(), nil
	case "Enum8", "Enum16":
		v, err := r.fixed(map[string]int{"Enum8": 1, "Enum16": 2}[t.name])
		if err != nil {
			return nil, err
		}
		n := int64(int8(v))
		if t.name == "Enum16" {
			n = int64(int16(v))
		}
		name, ok := t.enum[n]
		if !ok {
			return nil, fmt.Errorf("enum value %d not in %s", n, t.raw)
		}
		return name, nil
	case "Nullable":
		null, err := r.fixed(1)
		if err != nil || null != 0 {
			return nil, err
		}
		return r.value(t.elems[0])
	case "LowCardinality":
		return r.value(t.elems[0])
	case "Array":
		n, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		if n > uint64(len(r.b)-r.off) {
			return nil, errShortResult
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = r.value(t.elems[0]); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "Map":
		n, err := r.uvarint()
		if err != nil {
			return nil, err
		}
		if n > uint64(len(r.b)-r.off) {
			return nil, errShortResult
		}
		out := make([]chPair, n)
		for i := range out {
			if out[i].key, err = r.value(t.elems[0]); err != nil {
				return nil, err
			}
			if out[i].value, err = r.value(t.elems[1]); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "Nothing":
		return nil, errors.New("unexpected value of type Nothing")
	}
	return nil, fmt.Errorf("unsupported type %s", t.raw)
}
