package transcript

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

const genericDocFixture = `{"source":"my-assistant","tool_version":"1.2","external_id":"s-1","title":"","cwd":"/src/app",
"git_remote":"git@github.com:acme/app.git","git_branches":["main","main","fix/x"],"started_at":"2026-11-20T09:00:00Z",
"messages":[{"role":"user","text":"Why does login loop?\nIt keeps redirecting","timestamp":"2026-11-20T09:00:00Z"},
{"id":"a","role":"assistant","text":"The cookie path is wrong.","model":"gpt-4o","tokens":{"input":10,"output":5},
 "tool_calls":[{"name":"edit","input":{"path":"login.ts"},"files_written":["login.ts"]},{"name":"shell","input":"npm test","commands":["npm test"]}]}]}`

func TestParseGeneric(t *testing.T) {
	t.Parallel()
	res := Parse("conv.json", []byte(genericDocFixture), "", Limits{})
	require.Equal(t, FormatGeneric, res.Format)
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, Tool("my-assistant"), c.Tool)
	require.Equal(t, "Why does login loop?", c.Title, "first prompt's first line")
	require.Equal(t, []string{"main", "fix/x"}, c.GitBranches)
	require.Equal(t, []string{"gpt-4o"}, c.Models)
	require.Equal(t, Tokens{Input: 10, Output: 5}, c.Tokens)
	require.Equal(t, "m1", c.Messages[0].ExternalID, "position when no id")
	require.Equal(t, "a", c.Messages[1].ExternalID)
	require.Equal(t, `{"path":"login.ts"}`, c.Messages[1].ToolCalls[0].Input)
	require.Equal(t, "npm test", c.Messages[1].ToolCalls[1].Input, "a string input is kept as text")

	several := `{"conversations":[` + genericDocFixture + `,{"source":"x","external_id":"","messages":[]}]}`
	res = Parse("many.json", []byte(several), "", Limits{})
	require.Len(t, res.Conversations, 1)
	require.Len(t, res.Problems, 1)
	require.Contains(t, res.Problems[0].Message, "conversation 2: external_id is required")

	res = Parse("bad.json", []byte("{\"source\":\"x\",\n\"external_id\": 5}"), FormatGeneric, Limits{})
	require.True(t, res.HasErrors())
	require.Equal(t, 2, res.Problems[0].Line)
}

func TestDetect(t *testing.T) {
	t.Parallel()
	_, err := Detect("empty.jsonl", []byte("  \n"))
	require.ErrorIs(t, err, ErrEmpty)
	_, err = Detect("x.png", []byte("\x89PNG\r\n\x1a\n\x00\x00"))
	require.ErrorIs(t, err, ErrBinary)
	_, err = Detect("notes.txt", []byte("hello\nworld\n"))
	require.ErrorIs(t, err, ErrUnknownFormat)
	require.ErrorContains(t, err, `starts with "hello"`)

	// UTF-16 with a byte-order mark is converted, and says so.
	var utf16 []byte
	utf16 = append(utf16, 0xFF, 0xFE)
	for _, r := range genericDocFixture {
		utf16 = append(utf16, byte(r), byte(r>>8))
	}
	res := Parse("win.json", utf16, "", Limits{})
	require.Len(t, res.Conversations, 1)
	require.Contains(t, res.Problems[len(res.Problems)-1].Message, "UTF-16")
}

// FuzzParse feeds anything to format detection and every parser: nothing
// panics, every problem names the file, every conversation has an identity
// and valid UTF-8 text.
func FuzzParse(f *testing.F) {
	f.Add("conv.json", []byte(genericDocFixture))
	f.Add("x.jsonl", []byte(`{"type":"user","sessionId":"s","uuid":"u","message":{"role":"user","content":"hi"}}`))
	f.Add("h.md", []byte("# aider chat started at 2026-01-01 10:00:00\n\n#### hi\n\nhello\n"))
	f.Add("y.json", []byte(`{"conversations":[{"source":"a","external_id":"b","messages":[{"role":"user","text":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		for _, want := range append([]Format{""}, Formats()...) {
			res := Parse(name, data, want, Limits{MaxLineBytes: 4096})
			for _, p := range res.Problems {
				if p.File != name {
					t.Fatalf("problem without the file name: %+v", p)
				}
			}
			for _, c := range res.Conversations {
				if c.ExternalID == "" || c.Format == "" {
					t.Fatalf("conversation without identity: %+v", c)
				}
				for _, m := range c.Messages {
					if !utf8.ValidString(m.Text) || strings.ContainsRune(m.Text, 0) {
						t.Fatalf("invalid text in %s", c.Format)
					}
				}
			}
		}
	})
}
