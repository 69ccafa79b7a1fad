package warehouse

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// This file is the one place where values become ClickHouse SQL. Both
// engines run the text it produces, so a query behaves the same on chDB
// and on a server, and there is a single escaping routine to audit.
//
// Safety argument, in short:
//   - Every value is rendered as one self-contained literal token: a quoted
//     string in which every quote, backslash, control byte and invalid UTF-8
//     byte is escaped; a number; true/false; NULL; an array of those; or a
//     call of toDateTime64/toUUID on such literals. A value can therefore
//     never end a string, open a comment or add a clause.
//   - Placeholders are found by a scanner that skips string literals, quoted
//     identifiers, heredocs and comments. Where ClickHouse's own lexer could
//     be read two ways, the scanner errs towards "this is a string or a
//     comment": a '?' it wrongly skips is left for ClickHouse, which rejects it
//     (and the placeholder count no longer matches); it never substitutes
//     inside something ClickHouse reads as a string.
//
// The ternary operator `cond ? a : b` cannot be used in a query with
// placeholders: write if(cond, a, b).

// Range of DateTime64 in ClickHouse. Outside it the engine silently clamps,
// so binding such a time is an error instead.
var (
	chMinTime = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	chMaxTime = time.Date(2299, 12, 31, 23, 59, 59, 999_000_000, time.UTC)
)

// bindCH replaces each ? placeholder of query (outside string literals,
// quoted identifiers, heredocs and comments) with the ClickHouse literal of
// the matching argument. Supported arguments: nil (NULL); string, bool, every
// int, uint and float width and named types of those kinds; time.Time (as a
// UTC DateTime64(3)); uuid.UUID; slices of supported values (as arrays); and
// pointers to supported values (nil is NULL). Anything else is an error, as
// is a placeholder count that differs from len(args).
func bindCH(query string, args ...any) (string, error) {
	var b strings.Builder
	b.Grow(len(query) + 24*len(args))
	next := 0
	for i := 0; i < len(query); {
		end, err := skipNonCode(query, i)
		if err != nil {
			return "", err
		}
		if end > i {
			b.WriteString(query[i:end])
			i = end
			continue
		}
		c := query[i]
		if c != '?' {
			b.WriteByte(c)
			i++
			continue
		}
		if next >= len(args) {
			return "", fmt.Errorf("bind query: more than %d placeholders for %d arguments", len(args), len(args))
		}
		lit, err := appendLiteral(nil, args[next])
		if err != nil {
			return "", fmt.Errorf("bind query: argument %d: %w", next+1, err)
		}
		// "x-?" with a negative number would read as "x--1", a comment.
		if len(lit) > 0 && lit[0] == '-' && i > 0 && query[i-1] == '-' {
			b.WriteByte(' ')
		}
		b.Write(lit)
		next++
		i++
	}
	if next != len(args) {
		return "", fmt.Errorf("bind query: %d placeholders for %d arguments", next, len(args))
	}
	return b.String(), nil
}

// skipNonCode returns the index just past the string literal, quoted
// identifier, heredoc or comment starting at i, or i itself when none starts
// there. An unterminated one is an error.
func skipNonCode(q string, i int) (int, error) {
	switch c := q[i]; {
	case c == '\'' || c == '"' || c == '`':
		return skipQuoted(q, i)
	case c == '-' && strings.HasPrefix(q[i:], "--"), c == '#':
		// ClickHouse only treats "# " and "#!" as comments; treating every
		// '#' as one is the safe side (see the file comment).
		if nl := strings.IndexByte(q[i:], '\n'); nl >= 0 {
			return i + nl + 1, nil
		}
		return len(q), nil
	case c == '/' && strings.HasPrefix(q[i:], "/*"):
		return skipBlockComment(q, i)
	case c == '$':
		return skipHeredoc(q, i)
	}
	return i, nil
}

// skipQuoted skips '...', "..." or `...`, where a backslash escapes the next
// byte and a doubled quote stands for itself.
func skipQuoted(q string, i int) (int, error) {
	quote := q[i]
	for j := i + 1; j < len(q); j++ {
		switch q[j] {
		case '\\':
			j++
		case quote:
			if j+1 < len(q) && q[j+1] == quote {
				j++
				continue
			}
			return j + 1, nil
		}
	}
	return 0, fmt.Errorf("bind query: unterminated %c quote starting at byte %d", quote, i)
}

// skipBlockComment skips /* ... */, which nests in ClickHouse.
func skipBlockComment(q string, i int) (int, error) {
	depth := 0
	for j := i; j < len(q)-1; j++ {
		switch {
		case q[j] == '/' && q[j+1] == '*':
			depth++
			j++
		case q[j] == '*' && q[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, fmt.Errorf("bind query: unterminated /* comment starting at byte %d", i)
}

// skipHeredoc skips $tag$ ... $tag$ (tag may be empty). A '$' that does not
// open such a delimiter is ordinary text.
func skipHeredoc(q string, i int) (int, error) {
	j := i + 1
	for j < len(q) && (isIdentByte(q[j])) {
		j++
	}
	if j >= len(q) || q[j] != '$' {
		return i, nil
	}
	delim := q[i : j+1]
	end := strings.Index(q[j+1:], delim)
	if end < 0 {
		return 0, fmt.Errorf("bind query: unterminated heredoc %s starting at byte %d", delim, i)
	}
	return j + 1 + end + len(delim), nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// appendLiteral appends the ClickHouse literal for v to dst.
func appendLiteral(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "NULL"...), nil
	case string:
		return appendStringLiteral(dst, x), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case float64:
		return appendFloat(dst, x, 64), nil
	case time.Time:
		return appendTimeLiteral(dst, x)
	case uuid.UUID:
		dst = append(dst, "toUUID('"...)
		dst = append(dst, x.String()...)
		return append(dst, "')"...), nil
	case []byte:
		return nil, fmt.Errorf("unsupported type []byte (bind string(b) for text)")
	}
	return appendReflectLiteral(dst, reflect.ValueOf(v))
}

// appendReflectLiteral covers named types, the other number widths, slices
// and pointers.
func appendReflectLiteral(dst []byte, rv reflect.Value) ([]byte, error) {
	switch rv.Kind() {
	case reflect.String:
		return appendStringLiteral(dst, rv.String()), nil
	case reflect.Bool:
		return strconv.AppendBool(dst, rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(dst, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(dst, rv.Uint(), 10), nil
	case reflect.Float32:
		return appendFloat(dst, rv.Float(), 32), nil
	case reflect.Float64:
		return appendFloat(dst, rv.Float(), 64), nil
	case reflect.Pointer:
		if rv.IsNil() {
			return append(dst, "NULL"...), nil
		}
		return appendLiteral(dst, rv.Elem().Interface())
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return nil, fmt.Errorf("unsupported type %s (bind a string for text)", rv.Type())
		}
		dst = append(dst, '[')
		for i := range rv.Len() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			var err error
			if dst, err = appendLiteral(dst, rv.Index(i).Interface()); err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
		}
		return append(dst, ']'), nil
	}
	return nil, fmt.Errorf("unsupported type %s", rv.Type())
}

func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'g', -1, bits)
	// "5" or "-0" would read as an integer (and lose the sign of -0);
	// keep every float a Float64 literal.
	if !strings.ContainsAny(string(dst[start:]), ".e") {
		dst = append(dst, ".0"...)
	}
	return dst
}

func appendTimeLiteral(dst []byte, t time.Time) ([]byte, error) {
	t = t.UTC()
	if t.Before(chMinTime) || t.After(chMaxTime) {
		return nil, fmt.Errorf("time %s outside ClickHouse DateTime64 range 1900-2299", t.Format(time.RFC3339))
	}
	dst = append(dst, "toDateTime64('"...)
	dst = t.AppendFormat(dst, "2006-01-02 15:04:05.000")
	return append(dst, "', 3, 'UTC')"...), nil
}

// appendStringLiteral quotes s so that ClickHouse reads back exactly the
// same bytes. Valid multi-byte UTF-8 is kept as is; every other byte that is
// not printable ASCII is written as an escape, so the query text stays valid
// UTF-8 and free of NUL bytes (chDB takes the query as a C string).
func appendStringLiteral(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	dst = append(dst, '\'')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size > 1 {
				dst = append(dst, s[i:i+size]...)
				i += size
				continue
			}
		}
		switch c {
		case '\'':
			dst = append(dst, `\'`...)
		case '\\':
			dst = append(dst, `\\`...)
		case 0:
			dst = append(dst, `\0`...)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\t':
			dst = append(dst, `\t`...)
		default:
			if c < 0x20 || c >= 0x7f {
				dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
			} else {
				dst = append(dst, c)
			}
		}
		i++
	}
	return append(dst, '\'')
}
