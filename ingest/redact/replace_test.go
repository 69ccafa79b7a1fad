package redact

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTrimEscapes(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, s, secret, want string
	}{
		{name: "escaped quote swallowed at the end", s: `"tok=abc123\"`, secret: `abc123\`, want: "abc123"},
		{name: "newline escape at the end", s: `abc123\ndef`, secret: `abc123\n`, want: "abc123"},
		{name: "starts in the middle of an escape", s: `x\nabc123`, secret: `nabc123`, want: "abc123"},
		{name: "unicode escape cut", s: `abc\u00e9xyz`, secret: `abc\u00`, want: "abc"},
		{name: "escaped backslash is an escape", s: `abc\\"`, secret: `abc\\`, want: "abc"},
		{name: "a quote after an escaped backslash is not escaped", s: `abc\\\\x`, secret: `abc\\\\x`, want: `abc\\\\x`},
		{name: "escapes inside stay", s: `a\nb\nc`, secret: `a\nb\nc`, want: `a\nb\nc`},
		{name: "only an escape", s: `x\ny`, secret: `\n`, want: ""},
		{name: "backslash before a multi-byte rune", s: "ab\\\u00e9", secret: "ab\\", want: "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := strings.Index(tt.s, tt.secret)
			require.GreaterOrEqual(t, start, 0)
			p := trimEscapes(tt.s, span{start, start + len(tt.secret)})
			if tt.want == "" {
				require.GreaterOrEqual(t, p.start, p.end)
				return
			}
			require.Equal(t, tt.want, tt.s[p.start:p.end])
		})
	}
}

func TestGuardPieces(t *testing.T) {
	t.Parallel()

	t.Run("JSON document: only string contents", func(t *testing.T) {
		t.Parallel()
		s := `{"api_key": 1.5e-7, "k": "abc"}`
		g := newGuard(s, nil)
		var got []string
		for _, p := range g.pieces(0, len(s)) {
			got = append(got, s[p.start:p.end])
		}
		require.Equal(t, []string{"api_key", "k", "abc"}, got)
	})

	t.Run("JSON lines: the newline between lines is kept", func(t *testing.T) {
		t.Parallel()
		s := "{\"a\":\"x1\"}\n{\"b\":\"y2\"}\nnot json: z3"
		regions := []region{{start: 0, end: len(s)}}
		g := newGuard(s, regions)
		var got []string
		for _, p := range g.pieces(0, len(s)) {
			got = append(got, s[p.start:p.end])
		}
		require.Equal(t, []string{"a", "x1", "b", "y2", "not json: z3"}, got)
	})

	t.Run("markers are kept", func(t *testing.T) {
		t.Parallel()
		s := "TOKEN=[REDACTED:secret-assignment]abc"
		g := newGuard(s, nil)
		require.Equal(t, []span{{len(s) - 3, len(s)}}, g.pieces(6, len(s)))
	})
}

func TestResolveOverlaps(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	rs := bundle.redactor.rules

	index := func(id string) int {
		for i, r := range rs.rules {
			if r.id == id {
				return i
			}
		}
		t.Fatalf("no rule %s", id)
		return -1
	}
	generic, github, assign := index("generic-api-key"), index("github-pat"), index("secret-assignment")

	// The same secret seen by three rules: the provider's rule names it.
	regions := rs.resolve([]hit{{10, 50, generic}, {10, 50, assign}, {10, 50, github}})
	require.Equal(t, []region{{start: 10, end: 50, rules: []int{github}}}, regions)

	// A weaker rule's longer secret still wins nothing it does not cover;
	// a partial overlap is another secret: merged, both counted.
	regions = rs.resolve([]hit{{10, 50, github}, {5, 60, generic}, {55, 70, assign}})
	require.Equal(t, []region{{start: 5, end: 70, rules: []int{github, assign, generic}}}, regions)

	regions = rs.resolve([]hit{{30, 40, github}, {0, 10, github}})
	require.Equal(t, []region{{start: 0, end: 10, rules: []int{github}}, {start: 30, end: 40, rules: []int{github}}}, regions)
}
