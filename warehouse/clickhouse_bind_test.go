package warehouse

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestBindCH(t *testing.T) {
	t.Parallel()
	type plan string
	s := "x"
	var nilPtr *string
	ts := time.Date(2024, 3, 5, 7, 8, 9, 123_456_789, time.FixedZone("CET", 3600))
	id := uuid.MustParse("01234567-89ab-cdef-0123-456789abcdef")
	for _, tc := range []struct {
		name  string
		query string
		args  []any
		want  string
	}{
		{"string", "SELECT ?", []any{"it's"}, `SELECT 'it\'s'`},
		{"escapes", "SELECT ?", []any{"a\\b\x00c\nd\re\tf\x01\x7f"}, `SELECT 'a\\b\0c\nd\re\tf\x01\x7F'`},
		{"utf8 kept, invalid escaped", "SELECT ?", []any{"é😀\xff\xc3"}, `SELECT 'é😀\xFF\xC3'`},
		{"named string type", "SELECT ?", []any{plan("pro")}, `SELECT 'pro'`},
		{"ints", "SELECT ?, ?, ?, ?", []any{-3, int8(-8), uint16(16), uint64(math.MaxUint64)}, "SELECT -3, -8, 16, 18446744073709551615"},
		{"floats", "SELECT ?, ?, ?, ?, ?, ?, ?", []any{1.5, float32(0.1), 5.0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1)}, "SELECT 1.5, 0.1, 5.0, -0.0, nan, inf, -inf"},
		{"bool and nil", "SELECT ?, ?, ?", []any{true, false, nil}, "SELECT true, false, NULL"},
		{"pointers", "SELECT ?, ?", []any{&s, nilPtr}, "SELECT 'x', NULL"},
		{"time in UTC millis", "SELECT ?", []any{ts}, "SELECT toDateTime64('2024-03-05 06:08:09.123', 3, 'UTC')"},
		{"uuid", "SELECT ?", []any{id}, "SELECT toUUID('01234567-89ab-cdef-0123-456789abcdef')"},
		{"arrays", "SELECT ?, ?, ?", []any{[]string{"a", "b'"}, []int{1, -2}, []string{}}, `SELECT ['a', 'b\''], [1, -2], []`},
		{"negative after minus", "SELECT 1-?", []any{-1}, "SELECT 1- -1"},
		{"skips string literal", "SELECT '?', ?", []any{1}, "SELECT '?', 1"},
		{"skips escaped quote", `SELECT 'a\'?', ?`, []any{1}, `SELECT 'a\'?', 1`},
		{"skips doubled quote", `SELECT 'a''?', ?`, []any{1}, `SELECT 'a''?', 1`},
		{"skips identifiers", "SELECT 1 AS \"x?\", 2 AS `y?`, ?", []any{1}, "SELECT 1 AS \"x?\", 2 AS `y?`, 1"},
		{"skips line comments", "SELECT ? -- what?\n, ? # why?\n", []any{1, 2}, "SELECT 1 -- what?\n, 2 # why?\n"},
		{"skips nested block comment", "SELECT /* a /* ? */ ? */ ?", []any{1}, "SELECT /* a /* ? */ ? */ 1"},
		{"skips heredoc", "SELECT $$?$$, $t$?$t$, ?", []any{1}, "SELECT $$?$$, $t$?$t$, 1"},
		{"dollar alone is text", "SELECT ?, '$'", []any{1}, "SELECT 1, '$'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := bindCH(tc.query, tc.args...)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestBindCHErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		query string
		args  []any
		want  string
	}{
		{"too few args", "SELECT ?, ?", []any{1}, "more than 1 placeholders for 1 arguments"},
		{"too many args", "SELECT ?", []any{1, 2}, "1 placeholders for 2 arguments"},
		{"no placeholders", "SELECT '?'", []any{1}, "0 placeholders for 1 arguments"},
		{"unsupported type", "SELECT ?", []any{struct{}{}}, "argument 1: unsupported type struct {}"},
		{"bytes", "SELECT ?", []any{[]byte("x")}, "unsupported type []byte"},
		{"map", "SELECT ?", []any{map[string]int{}}, "unsupported type map[string]int"},
		{"bad element", "SELECT ?", []any{[]any{1, struct{}{}}}, "element 1: unsupported type"},
		{"time out of range", "SELECT ?", []any{time.Time{}}, "outside ClickHouse DateTime64 range"},
		{"unterminated string", "SELECT '?", []any{1}, "unterminated ' quote"},
		{"unterminated comment", "SELECT /* ?", []any{1}, "unterminated /* comment"},
		{"unterminated heredoc", "SELECT $a$ ?", []any{1}, "unterminated heredoc $a$"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := bindCH(tc.query, tc.args...)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// FuzzBindCHQuery throws arbitrary query text and strings at the binder. It
// must not panic, and when it succeeds each value must have become one
// closed literal: the output, scanned again, has no placeholder left outside
// strings and comments and nothing unterminated, so no value ended a string
// early or swallowed the query text after it.
func FuzzBindCHQuery(f *testing.F) {
	for _, seed := range []string{
		"SELECT ?", "SELECT '?', ?", "SELECT /* /* ? */ */ ?", "SELECT $x$?$x$ ?", "-- ?\n?", "SELECT 1-?",
		"SELECT `a?` , \"b\\\"?\" , ?", "'", "/*", "$$", "??", "SELECT ? # ?", "$?$",
	} {
		f.Add(seed, "it's \\ \x00 \n */ $$ -- '")
	}
	f.Fuzz(func(t *testing.T, query, s string) {
		args := make([]any, strings.Count(query, "?"))
		for i := range args {
			args[i] = s
		}
		out, err := bindCH(query, args...)
		if err != nil {
			return
		}
		again, err := bindCH(out)
		require.NoError(t, err, "bound query %q", out)
		require.Equal(t, out, again)
		if !strings.Contains(query, "\x00") {
			require.NotContains(t, out, "\x00", "NUL bytes must never reach chDB")
		}
	})
}

func TestSplitCHStatements(t *testing.T) {
	t.Parallel()
	sql := "-- header;\nCREATE TABLE a (x String DEFAULT ';')\nENGINE = Memory;\n\n-- only a comment\n;\nDROP TABLE b;  \nSELECT 1"
	require.Equal(t, []string{
		"CREATE TABLE a (x String DEFAULT ';')\nENGINE = Memory",
		"DROP TABLE b",
		"SELECT 1",
	}, splitCHStatements(sql))
}

func TestRedactEngineMessage(t *testing.T) {
	t.Parallel()
	secret := "hunter2-secret"
	for _, msg := range []string{
		"Code: 43. DB::Exception: Illegal types String and UInt8 of arguments of function plus: In scope SELECT 'hunter2-secret' + 1. (ILLEGAL_TYPE_OF_ARGUMENT)",
		"Code: 62. DB::Exception: Syntax error: failed at position 10 ('hunter2-'): 'hunter2-secret' FROM. Expected one of: FROM, end of query. (SYNTAX_ERROR)",
		"Code: 376. DB::Exception: Cannot parse uuid hunter2-secret: Cannot parse UUID from String. (CANNOT_PARSE_UUID)",
		"Code: 27. DB::Exception: Cannot parse input: expected ',' before: 'hunter2-secret'). (CANNOT_PARSE_INPUT_ASSERTION_FAILED)",
	} {
		got := redactEngineMessage(msg, []any{secret, 5})
		require.NotContains(t, got, "hunter2", msg)
		require.Regexp(t, `\([A-Z_]+\)$`, got, "the error name is kept")
	}
}
