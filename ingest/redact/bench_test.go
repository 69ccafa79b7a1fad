package redact

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const chunkSize = 100 << 10

// transcriptChunk returns about 100 KiB of JSON lines cut from the fixture
// transcript; with secrets, one line in five is a tool result holding one
// of secretSnippets.
func transcriptChunk(tb testing.TB, withSecrets bool) string {
	tb.Helper()
	lines := strings.SplitAfter(transcriptFixture(tb), "\n")
	secrets := secretSnippets()
	var b strings.Builder
	for i := 0; ; i++ {
		line := lines[i%len(lines)]
		if withSecrets && i%5 == 4 {
			raw, err := json.Marshal(map[string]any{"type": "user", "message": map[string]any{"role": "user",
				"content": []any{map[string]any{"type": "tool_result", "content": secrets[(i/5)%len(secrets)] + "\n"}}}})
			require.NoError(tb, err)
			line = string(raw) + "\n"
		}
		if b.Len()+len(line) > chunkSize {
			return b.String()
		}
		b.WriteString(line)
	}
}

func BenchmarkRedact(b *testing.B) {
	r, err := New()
	require.NoError(b, err)
	for _, bc := range []struct {
		name    string
		secrets bool
	}{{"clean", false}, {"secrets", true}} {
		b.Run(bc.name, func(b *testing.B) {
			chunk := transcriptChunk(b, bc.secrets)
			b.SetBytes(int64(len(chunk)))
			var found Findings
			for b.Loop() {
				_, found = r.Redact(chunk)
			}
			b.ReportMetric(float64(found.Total()), "secrets/op")
		})
	}
}

// BenchmarkWholeTextScan is the same clean chunk with every rule run over
// the whole text, as gitleaks' Detector does: what the anchoring saves.
func BenchmarkWholeTextScan(b *testing.B) {
	r, err := New()
	require.NoError(b, err)
	chunk := transcriptChunk(b, false)
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		r.rules.find(chunk, true)
	}
}

// BenchmarkCompileRules is the one-off cost New pays on first use.
func BenchmarkCompileRules(b *testing.B) {
	for b.Loop() {
		_, err := buildRuleSet()
		require.NoError(b, err)
	}
}

// BenchmarkRedactHostile runs inputs built to make a naive anchored search
// quadratic (many literals of a rule whose attempts read far) or to pile up
// per-secret work. They stay linear, but slow: in "TOKEN=" repeated every
// attempt of generic-api-key's regex reads up to 150 bytes before failing,
// as it does in gitleaks itself.
func BenchmarkRedactHostile(b *testing.B) {
	r, err := New()
	require.NoError(b, err)
	inputs := map[string]string{
		"curl on one line":        strings.Repeat("curl ", chunkSize/5),
		"TOKEN= repeated":         strings.Repeat("TOKEN=", chunkSize/6),
		"secrets on one line":     strings.Repeat("api_key = "+fakeChars(19, 20, alnum)+" ", chunkSize/32),
		"backslashes in a secret": "-----BEGIN " + "PRIVATE KEY-----" + strings.Repeat(`\\`, chunkSize/2) + "-----END PRIVATE KEY-----",
	}
	for name, in := range inputs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				r.Redact(in)
			}
		})
	}
}
