package redact

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// FuzzRedact checks what must hold for any input: no panic, valid UTF-8 and
// valid JSON (document or line) stay valid, redacting twice changes nothing,
// the findings count what was replaced, and running keyword-led rules only
// at their keywords finds what a whole-text scan finds.
func FuzzRedact(f *testing.F) {
	for _, line := range secretSnippets() {
		f.Add(line)
		if b, err := json.Marshal(map[string]string{"content": line + "\n"}); err == nil {
			f.Add(string(b))
		}
	}
	for _, line := range strings.SplitN(transcriptFixture(f), "\n", 6)[:5] {
		f.Add(line)
	}
	f.Add(`{"t":"Bearer ` + fakeJWT() + `\"","n":1.5e-7,"api_key":12345678901.5e-3}`)
	f.Add("DB_PASSWORD=[REDACTED:secret-assignment]x\nTOKEN=\\\"abc\\u00e9def\\\"")
	f.Add(`{"k":"` + strings.ReplaceAll(fakePEM(), "\n", `\n`) + `"}`)

	r, err := New()
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, in string) {
		out, found := r.Redact(in)

		require.Equal(t, found.Total() == 0, out == in, "findings and changes disagree")
		if found != nil {
			require.Positive(t, found.Total())
		}
		if utf8.ValidString(in) {
			require.True(t, utf8.ValidString(out), "invalid UTF-8 out of valid input")
		}
		if json.Valid([]byte(in)) {
			require.True(t, json.Valid([]byte(out)), "invalid JSON out of valid JSON: %q", out)
		}
		// A multi-line secret outside JSON lines can take lines with it; the
		// lines only match up when none was.
		inLines, outLines := strings.Split(in, "\n"), strings.Split(out, "\n")
		for i := range inLines {
			if len(inLines) == len(outLines) && json.Valid([]byte(inLines[i])) {
				require.True(t, json.Valid([]byte(outLines[i])), "JSON line %d broken: %q", i, out)
			}
		}

		again, foundAgain := r.Redact(out)
		require.Nil(t, foundAgain, "second pass found more in %q", out)
		require.Equal(t, out, again)

		outBytes, foundBytes := r.RedactBytes([]byte(in))
		require.Equal(t, out, string(outBytes))
		require.Equal(t, found, foundBytes)

		require.Equal(t, r.rules.find(in, true), r.rules.find(in, false), "anchored and whole-text scans differ")
	})
}
