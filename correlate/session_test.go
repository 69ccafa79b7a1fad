package correlate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

// parseFixture reads a transcript under testdata/transcripts with the real
// parsers, as the ingest pipeline does.
func parseFixture(t *testing.T, name string) transcript.Conversation {
	t.Helper()
	path := filepath.Join("testdata", "transcripts", name)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	format, err := transcript.Detect(name, data)
	require.NoError(t, err)
	res := transcript.Parse(name, data, format, transcript.Limits{})
	for _, p := range res.Problems {
		require.NotEqual(t, transcript.SeverityError, p.Severity, "%s: %+v", name, p)
	}
	require.NotEmpty(t, res.Conversations)
	return res.Conversations[0]
}

func TestSessionFromConversationClaudeCode(t *testing.T) {
	t.Parallel()
	s := SessionFromConversation(parseFixture(t, "claude_code_retry.jsonl"))

	require.Equal(t, "claude_code", s.Tool)
	require.Equal(t, "/home/ada/src/lumen", s.Cwd)
	require.Equal(t, []string{"feature/retry"}, s.Branches)
	require.Equal(t, []string{
		"/home/ada/src/lumen/internal/httpx/jitter.go",
		"/home/ada/src/lumen/internal/httpx/client.go",
		"/home/ada/src/lumen/internal/httpx/backoff.go",
	}, s.FilesWritten)
	require.Equal(t, hashes(
		// Write: the whole file.
		"package httpx", `"math/rand"`, `"time"`, "// jitter spreads retries so that clients do not retry in lockstep.",
		"func jitter(d time.Duration) time.Duration {", "return d/2 + time.Duration(rand.Int63n(int64(d)))",
		// Edit: only the new line, not "return resp, err" which both sides have.
		"resp, err := c.retry(req, 5)",
		// MultiEdit.
		"next := jitter(d * 2)", "const maxBackoff = 30 * time.Second",
		// Bash heredoc into a file.
		"# httpx", "Retries use exponential backoff with jitter.",
	), s.WrittenLines)
	require.Equal(t, []string{"9c4e2d1", "7b3e9a1"}, s.MentionedHashes, "named by the user and by the assistant")
	require.Equal(t, []string{"7b3e9a1"}, s.CommitRefs, "git's [branch hash] line for the commit the assistant made")
	require.Equal(t, []string{"Add retries with jitter to the HTTP client\n\nClients retried in lockstep after an outage; spread them out.\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>"},
		CommitMessageCommands(s.Commands))
	require.False(t, s.StartedAt.IsZero())
	require.True(t, s.EndedAt.After(s.StartedAt))
}

func TestSessionFromConversationCodex(t *testing.T) {
	t.Parallel()
	s := SessionFromConversation(parseFixture(t, "codex_brew.jsonl"))

	require.Equal(t, "codex", s.Tool)
	require.Equal(t, []string{"cmd/kettle/main.go", "internal/timer/flags.go", "internal/timer/legacy.go", "README.md", "internal/timer/timer.go"}, s.FilesWritten)
	require.Equal(t, hashes(
		// apply_patch through the shell: Update and Add sections' + lines.
		`brew := flag.Duration("brew-time", 4*time.Minute, "steeping time")`, "flag.Parse()",
		"package timer", "// DefaultBrew is used when --brew-time is not given.", "const DefaultBrew = 4 * time.Minute",
		// apply_patch as a custom tool and as a function.
		"Run `kettle --brew-time 3m` to steep for three minutes.",
		"t := time.NewTimer(brewTime(opts))",
		// exec_command heredoc into a file.
		"# Brewing", "Use --brew-time to change the steeping time.",
	), s.WrittenLines)
	require.Equal(t, []string{"Add --brew-time flag\n\nThe timer now takes the steeping time from the flag."}, CommitMessageCommands(s.Commands))
	require.Equal(t, []string{"4c1d2e3"}, s.CommitRefs)
}

func TestSessionFromConversationGemini(t *testing.T) {
	t.Parallel()
	s := SessionFromConversation(parseFixture(t, "gemini_beep.json"))

	require.Equal(t, "gemini", s.Tool)
	require.Equal(t, hashes(
		"func Beep() { buzz(200); buzz(200) }",
		"package alarm", "func TestBeepTwice(t *testing.T) {", "if got := countBuzz(Beep); got != 2 {", `t.Fatalf("buzzed %d times", got)`,
	), s.WrittenLines)
	require.Len(t, s.FilesWritten, 2)
}

func TestSessionFromConversationCopilot(t *testing.T) {
	t.Parallel()
	s := SessionFromConversation(parseFixture(t, "copilot_tide.json"))

	require.Equal(t, "copilot", s.Tool)
	require.Contains(t, s.FilesWritten, "/home/ana/src/tidepool/parser/tide.go")
	require.Contains(t, s.FilesWritten, "/home/ana/src/tidepool/parser/table_test.go")
	require.Equal(t, hashes(
		// create_file
		"package parser", "// Tide is one row of a tide table.", "type Tide struct {", "At time.Time", "Height float64",
		// multi_replace_string_in_file
		"func parseRows(lines []string) []Tide {", "want := []Tide{",
		// insert_edit_into_file
		"## Parsing", "parser.parseRows returns one Tide per table row.",
		// apply_patch {input}
		"go 1.23 // needs range-over-func",
		// The textEditGroup of the second request has no input: no lines.
	), s.WrittenLines)
}

func TestSessionFromConversationCursor(t *testing.T) {
	t.Parallel()
	s := SessionFromConversation(parseFixture(t, "3c9e1f2a-7b4d-4e5f-8a6b-9c0d1e2f3a4b.jsonl"))

	require.Equal(t, "cursor", s.Tool)
	require.Equal(t, hashes(
		"export function readConfig(path: string): Config {",
		"## Unreleased", "- Renamed loadConfig to readConfig",
		"// ... existing code ...", "const cfg = readConfig(process.env.CONFIG_PATH);",
	), s.WrittenLines)
}

func TestSessionFromConversationAider(t *testing.T) {
	t.Parallel()
	s := SessionFromConversation(parseFixture(t, "aider_pricing.aider.chat.history.md"))

	require.Equal(t, "aider", s.Tool)
	require.True(t, s.ZonelessTimes)
	require.Equal(t, []string{"3f9a2b1", "8e7d6c5"}, s.CommitRefs)
	require.Equal(t, hashes(
		"return float(Decimal(cents / 100).quantize(Decimal('0.01'), ROUND_HALF_UP))",
		"def test_half_up():", "assert format_price(1005) == 10.05",
		"return (amount * rate).quantize(Decimal('0.01'), ROUND_HALF_UP)",
	), s.WrittenLines)
	require.ElementsMatch(t, []string{"pricing/format.py", "tests/test_format.py", "pricing/tax.py"}, s.FilesWritten)
}
