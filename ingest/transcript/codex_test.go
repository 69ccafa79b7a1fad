package transcript

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

const codexCorpusDir = "../../../shared/corpus/codex"

func codexFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "codex", name))
	require.NoError(t, err)
	return data
}

func codexParseFixture(t *testing.T, name string) Result {
	t.Helper()
	res := parseCodexRollout(name, codexFixture(t, name), Limits{})
	require.Equal(t, FormatCodexRollout, res.Format)
	return res
}

func codexTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, ok := parseTime(s)
	require.True(t, ok, s)
	return ts
}

// codexOutline is "ExternalID role" per message, to compare order at a glance.
func codexOutline(msgs []Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ExternalID + " " + string(m.Role)
	}
	return out
}

func TestCodexRolloutModern(t *testing.T) {
	t.Parallel()
	name := "rollout-2025-10-02T09-14-05-0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.jsonl"
	res := codexParseFixture(t, name)
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]

	require.Equal(t, ToolCodex, c.Tool)
	require.Equal(t, FormatCodexRollout, c.Format)
	require.Equal(t, "0.58.0", c.ToolVersion)
	require.Equal(t, "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", c.ExternalID)
	require.Equal(t, "Add a --brew-time flag to the kettle CLI and make the timer respect it.", c.Title)
	require.Equal(t, "/home/dev/src/kettle", c.Cwd)
	require.Equal(t, "git@github.com:example/kettle.git", c.GitRemote)
	require.Equal(t, []string{"feat/brew-timer"}, c.GitBranches)
	require.Equal(t, "a3f9c2e1d4b5a6978877665544332211ffeeddcc", c.GitCommit)
	require.Equal(t, []string{"gpt-5.1-codex"}, c.Models)
	require.Equal(t, codexTime(t, "2025-10-02T09:14:05.100Z"), c.StartedAt)
	require.Equal(t, codexTime(t, "2025-10-02T09:16:02.200Z"), c.EndedAt)
	require.Equal(t, Tokens{Input: 30500, Output: 900, CacheRead: 21000, Reasoning: 384}, c.Tokens)
	require.Empty(t, c.ParentExternalID)

	// Event duplicates (lines 5, 9, 22, 26) are dropped; ghost_snapshot and
	// token_count are not messages.
	require.Equal(t, []string{
		"L2 system", "L3 system", "L4 user", "L10 assistant", "L11 assistant", "L14 assistant",
		"L16 assistant", "L18 assistant", "L20 assistant", "L23 assistant", "L25 user",
		"L28 system", "L29 system",
	}, codexOutline(c.Messages))

	m := c.Messages
	require.Equal(t, 4, m[2].Line)
	require.Equal(t, codexTime(t, "2025-10-02T09:14:30Z"), m[2].Timestamp)
	require.Empty(t, m[2].Model)
	require.Equal(t, "**Looking at the CLI entry point**", m[3].Thinking)
	require.Empty(t, m[3].Text)
	require.Equal(t, "gpt-5.1-codex", m[3].Model)

	sed := m[4].ToolCalls[0]
	require.Equal(t, "call_k1", sed.ExternalID)
	require.Equal(t, "shell", sed.Name)
	require.Equal(t, `{"command":["bash","-lc","sed -n '1,120p' cmd/kettle/main.go"],"workdir":"/home/dev/src/kettle"}`, sed.Input)
	require.Equal(t, []string{"sed -n '1,120p' cmd/kettle/main.go"}, sed.Commands)
	require.Equal(t, []string{"cmd/kettle/main.go"}, sed.FilesRead)
	require.Equal(t, "package main\n\nimport \"flag\"\n", sed.Output)
	require.False(t, sed.IsError)

	test := m[5].ToolCalls[0]
	require.Equal(t, []string{"go test ./internal/timer"}, test.Commands)
	require.Empty(t, test.FilesRead)
	require.True(t, test.IsError, "exit code 1")

	patch := m[6].ToolCalls[0]
	require.Empty(t, patch.Commands, "apply_patch through the shell is not a command")
	require.Equal(t, []string{"cmd/kettle/main.go", "internal/timer/flags.go", "internal/timer/old.go", "internal/timer/timer.go", "internal/timer/brew.go"}, patch.FilesWritten)

	custom := m[7].ToolCalls[0]
	require.Equal(t, "apply_patch", custom.Name)
	require.Equal(t, "call_k4", custom.ExternalID)
	require.True(t, strings.HasPrefix(custom.Input, "*** Begin Patch\n*** Update File: README.md\n"))
	require.Equal(t, []string{"README.md"}, custom.FilesWritten)
	require.Equal(t, "Success. Updated the following files:\nM README.md\n", custom.Output)

	plan := m[8].ToolCalls[0]
	require.Equal(t, "update_plan", plan.Name)
	require.Equal(t, "Plan updated", plan.Output)
	require.Empty(t, plan.Commands)

	require.Equal(t, "Added `--brew-time` (default 4m) and passed it to `timer.Start`.", m[9].Text)
	require.Equal(t, "also update the changelog", m[10].Text)
	require.Equal(t, "turn aborted: interrupted", m[11].Text)
	require.True(t, strings.HasPrefix(m[12].Text, "<permissions instructions>"))
	for _, msg := range m {
		require.False(t, msg.Sidechain)
	}
}

func TestCodexRolloutIDEContext(t *testing.T) {
	t.Parallel()
	name := "rollout-2025-09-20T16-40-00-01996b3c-1a2b-7c3d-9e4f-5a6b7c8d9e0f.jsonl"
	res := codexParseFixture(t, name)
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "0.40.0", c.ToolVersion)
	require.Equal(t, "01996b3c-1a2b-7c3d-9e4f-5a6b7c8d9e0f", c.ExternalID)
	require.Equal(t, "Why does the pot render twice on load?", c.Title)
	require.Equal(t, "https://github.com/example/teapot.git", c.GitRemote)
	require.Equal(t, []string{"main"}, c.GitBranches)
	require.Equal(t, Tokens{Input: 9100, Output: 310, CacheRead: 4096, Reasoning: 128}, c.Tokens)

	require.Equal(t, []string{"L2 system", "L3.ctx system", "L3 user", "L6 assistant", "L7 assistant", "L9 assistant", "L12 assistant"}, codexOutline(c.Messages))
	ctx, prompt := c.Messages[1], c.Messages[2]
	require.Equal(t, "# Context from my IDE setup:\n\n## Active file: web/src/Pot.tsx\n\n## Open tabs:\n- Pot.tsx: web/src/Pot.tsx\n- api.ts: web/src/api.ts", ctx.Text)
	require.Equal(t, "Why does the pot render twice on load?\n\n[image]", prompt.Text)
	require.Equal(t, 3, prompt.Line)

	rg := c.Messages[4].ToolCalls[0]
	require.Equal(t, []string{"rg -n useEffect web/src"}, rg.Commands)
	require.Equal(t, "rg: web/src: permission denied", rg.Output)
	require.True(t, rg.IsError, "{content, success:false}")

	nl := c.Messages[5].ToolCalls[0]
	require.Equal(t, []string{"nl -ba web/src/Pot.tsx | head -n 40"}, nl.Commands)
	require.Equal(t, []string{"web/src/Pot.tsx"}, nl.FilesRead)
}

func TestCodexRolloutEventsOnly(t *testing.T) {
	t.Parallel()
	res := codexParseFixture(t, "events-only.jsonl")
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "0198fa00-0000-7000-8000-00000000e0e0", c.ExternalID)
	require.Equal(t, "Which Go version does the Makefile pin?", c.Title)
	require.Equal(t, []string{"L3 user", "L4 assistant", "L5 assistant", "L7 assistant"}, codexOutline(c.Messages))
	require.Equal(t, "**Reading the Makefile**", c.Messages[1].Thinking)
	require.Equal(t, []string{"Makefile"}, c.Messages[2].ToolCalls[0].FilesRead)
	require.Equal(t, "The Makefile pins Go 1.25 (`GO_VERSION := 1.25`).", c.Messages[3].Text)
	require.Equal(t, "gpt-5", c.Messages[3].Model)
	require.Equal(t, Tokens{Input: 2400, Output: 80, CacheRead: 1024}, c.Tokens)
}

func TestCodexRolloutLegacy(t *testing.T) {
	t.Parallel()
	res := codexParseFixture(t, "legacy.jsonl")
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "5d1c7a90-2b3e-4f60-9a1b-c2d3e4f5a6b7", c.ExternalID)
	require.Empty(t, c.ToolVersion)
	require.Equal(t, "Why does descale mode never finish?", c.Title)
	require.Equal(t, []string{"fix/descale"}, c.GitBranches)
	require.Equal(t, "77aa88bb99cc00dd11ee22ff33aa44bb55cc66dd", c.GitCommit)
	require.Equal(t, "https://github.com/example/kettle.git", c.GitRemote)
	require.Equal(t, codexTime(t, "2025-07-14T18:02:11.512Z"), c.StartedAt)
	require.Equal(t, []string{"L3 system", "L4 user", "L6 assistant", "L7 assistant", "L9 assistant"}, codexOutline(c.Messages))
	require.True(t, c.Messages[1].Timestamp.IsZero(), "bare legacy items carry no timestamp")
	sh := c.Messages[3].ToolCalls[0]
	require.Equal(t, "local_shell", sh.Name)
	require.Equal(t, "call_l1", sh.ExternalID)
	require.Equal(t, []string{"cat internal/descale/loop.go"}, sh.Commands)
	require.Equal(t, []string{"internal/descale/loop.go"}, sh.FilesRead)
	require.Equal(t, "package descale\n\nfor remaining > 0 {\n", sh.Output)
	require.Equal(t, "The loop never decrements `remaining`.", c.Messages[4].Text)
}

func TestCodexRolloutSubagent(t *testing.T) {
	t.Parallel()
	name := "rollout-2025-11-20T08-30-00-019aa0c1-2d3e-7f40-8a51-b62c73d84e95.jsonl"
	res := codexParseFixture(t, name)
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "019aa0c1-2d3e-7f40-8a51-b62c73d84e95", c.ExternalID)
	require.Equal(t, "019aa0b0-0000-7000-8000-000000000001", c.ParentExternalID)
	require.Equal(t, []string{"gpt-5.1-codex-mini"}, c.Models)
	require.Equal(t, []string{"L3 user", "L4 assistant", "L6 assistant", "L8 assistant", "L9 assistant", "L11 system", "L12 system", "L13 assistant"}, codexOutline(c.Messages))
	for _, m := range c.Messages {
		require.True(t, m.Sidechain, m.ExternalID)
		require.Equal(t, "Scout", m.AgentID)
	}
	grep := c.Messages[1].ToolCalls[0]
	require.Equal(t, "shell_command", grep.Name)
	require.Equal(t, []string{"grep -rn boilThreshold internal | head -n 5"}, grep.Commands)
	require.Empty(t, grep.FilesRead)
	require.False(t, grep.IsError)

	cat := c.Messages[2].ToolCalls[0]
	require.Equal(t, "exec_command", cat.Name)
	require.Equal(t, []string{"internal/config/config.go", "internal/config/missing.go"}, cat.FilesRead)
	require.True(t, cat.IsError, "Exit code: 1")

	search := c.Messages[3].ToolCalls[0]
	require.Equal(t, "web_search", search.Name)
	require.Equal(t, `{"type":"search","query":"water boiling point at altitude"}`, search.Input)

	read := c.Messages[4].ToolCalls[0]
	require.Equal(t, []string{"internal/config/defaults.toml"}, read.FilesRead)
	require.Equal(t, "context compacted: Threshold lives in internal/config/config.go; default in defaults.toml.", c.Messages[5].Text)
	require.Equal(t, "error: stream disconnected before completion", c.Messages[6].Text)
}

func TestCodexRolloutMetaOnly(t *testing.T) {
	t.Parallel()
	res := codexParseFixture(t, "meta-only.jsonl")
	require.Equal(t, []Problem{{Severity: SeverityWarning, File: "meta-only.jsonl", Message: "session 019ab000-1111-7222-8333-944455566677 has no messages (only session metadata); imported as a conversation with zero messages"}}, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "019ab000-1111-7222-8333-944455566677", c.ExternalID)
	require.Equal(t, "0.63.0", c.ToolVersion)
	require.Equal(t, "/home/dev/src/kettle", c.Cwd)
	require.Equal(t, "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f", c.GitCommit)
	require.Empty(t, c.Messages)
	require.Empty(t, c.Title)
}

func TestCodexRolloutTurnAbortedOnly(t *testing.T) {
	t.Parallel()
	res := codexParseFixture(t, "turn-aborted.jsonl")
	require.Empty(t, res.Conversations)
	require.Equal(t, []Problem{{Severity: SeverityError, File: "turn-aborted.jsonl", Message: "no session_meta record in 1 record(s) (the first is event_msg/turn_aborted); expected a Codex rollout to begin with a session_meta line carrying the session id; nothing imported"}}, res.Problems)
}

func TestCodexRolloutIDFromFileName(t *testing.T) {
	t.Parallel()
	name := "sessions/2025/10/05/rollout-2025-10-05T11-00-00-0199b111-2222-7333-8444-555566667777.jsonl"
	data := []byte(`{"timestamp":"2025-10-05T11:00:01.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}}` + "\n")
	res := parseCodexRollout(name, data, Limits{})
	require.Equal(t, []Problem{{Severity: SeverityWarning, File: name, Message: "no session_meta record; using the session id 0199b111-2222-7333-8444-555566667777 from the rollout file name"}}, res.Problems)
	require.Len(t, res.Conversations, 1)
	require.Equal(t, "0199b111-2222-7333-8444-555566667777", res.Conversations[0].ExternalID)
	require.Equal(t, "hello", res.Conversations[0].Title)
}

func TestCodexRolloutEmpty(t *testing.T) {
	t.Parallel()
	res := codexParseFixture(t, "empty.jsonl")
	require.Empty(t, res.Conversations)
	require.Equal(t, []Problem{{Severity: SeverityWarning, File: "empty.jsonl", Message: "file is empty; expected Codex rollout records (one JSON object per line)"}}, res.Problems)
}

func TestCodexRolloutBroken(t *testing.T) {
	t.Parallel()
	res := codexParseFixture(t, "broken.jsonl")
	f := "broken.jsonl"
	require.Equal(t, []Problem{
		{SeverityError, f, 3, "invalid JSON (unexpected end of JSON input); expected one Codex rollout record (a JSON object) per line"},
		{SeverityError, f, 4, "found a JSON array, not a JSON object; expected one Codex rollout record (a JSON object) per line"},
		{SeverityWarning, f, 5, `unknown record type "telemetry"; skipped (expected session_meta, turn_context, response_item, event_msg or compacted)`},
		{SeverityWarning, f, 7, `unknown event_msg type "brand_new_event"; skipped`},
		{SeverityWarning, f, 9, `unknown response_item type "mystery_item"; skipped`},
		{SeverityWarning, f, 10, `tool output for call_id "call_missing" has no matching call; imported as a tool message`},
		{SeverityWarning, f, 11, `second session_meta with id "0199b000-ffff-7fff-8fff-ffffffffffff" (the file began as session "0199b000-aaaa-7bbb-8ccc-dddddddddddd"); its lines are kept in the first session`},
		{SeverityError, f, 13, "last line is truncated (invalid JSON: unexpected end of JSON input); expected a complete JSON object, the file was probably copied while Codex was writing it"},
	}, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "0199b000-aaaa-7bbb-8ccc-dddddddddddd", c.ExternalID)
	require.Equal(t, "Fix the flaky thermostat test", c.Title)
	require.Equal(t, []string{"L2 user", "L10 tool", "L12 assistant"}, codexOutline(c.Messages))
	require.Equal(t, "ok", c.Messages[1].Text)
}

func TestCodexRolloutOddRecords(t *testing.T) {
	t.Parallel()
	data := strings.Join([]string{
		`{"timestamp":"2025-10-07T08:00:00Z","type":"session_meta","payload":{"id":"0199c000-0000-7000-8000-000000000000","cwd":"/w"}}`,
		`{"timestamp":"2025-10-07T08:00:01Z","type":"response_item","id":5}`,
		`{"timestamp":"2025-10-07T08:00:02Z","type":"event_msg"}`,
		`{"timestamp":"2025-10-07T08:00:03Z","type":"response_item","payload":"text"}`,
		`{"timestamp":"2025-10-07T08:00:04Z","type":"turn_context","payload":{"model":["a"]}}`,
		`{"record_type":"snapshot"}`,
		`{"timestamp":"2025-10-07T08:00:05Z","type":"response_item","payload":{"type":"message","role":"narrator","content":"plain text content"}}`,
		`{"timestamp":"2025-10-07T08:00:06Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c9","output":{"content":"boom","success":false}}}`,
	}, "\n") + "\n"
	res := parseCodexRollout("odd.jsonl", []byte(data), Limits{})
	require.Equal(t, []Problem{
		{SeverityError, "odd.jsonl", 2, "record has an unexpected shape (json: cannot unmarshal number into Go struct field codexEnvelope.id of type string); expected string timestamp, type and id fields; skipped"},
		{SeverityWarning, "odd.jsonl", 3, "event_msg record without a payload; skipped"},
		{SeverityError, "odd.jsonl", 4, "response item has an unexpected shape (json: cannot unmarshal string into Go value of type transcript.codexItem); record skipped"},
		{SeverityError, "odd.jsonl", 5, "turn_context payload has an unexpected shape (json: cannot unmarshal array into Go struct field .model of type string); record skipped"},
		{SeverityWarning, "odd.jsonl", 6, `unknown legacy record_type "snapshot"; skipped (expected "state")`},
		{SeverityWarning, "odd.jsonl", 7, `message with unknown role "narrator"; imported as a system message`},
		{SeverityWarning, "odd.jsonl", 8, `tool output for call_id "c9" has no matching call; imported as a tool message`},
	}, res.Problems)
	require.Len(t, res.Conversations, 1)
	require.Equal(t, []string{"L7 system", "L8 tool"}, codexOutline(res.Conversations[0].Messages))
	require.Equal(t, "plain text content", res.Conversations[0].Messages[0].Text)
	require.Equal(t, "boom", res.Conversations[0].Messages[1].Text)
}

func TestCodexRolloutLineLimit(t *testing.T) {
	t.Parallel()
	name := "rollout-2025-10-02T09-14-05-0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.jsonl"
	res := parseCodexRollout(name, codexFixture(t, name), Limits{MaxLineBytes: 450})
	// Line 1 (session_meta, 470 bytes) and line 16 (the apply_patch call)
	// are skipped; the rest is still parsed, the id comes from the name.
	require.Equal(t, []Problem{
		{SeverityError, name, 1, "line is 470 bytes, over the 450-byte limit; skipped"},
		{SeverityError, name, 16, "line is 789 bytes, over the 450-byte limit; skipped"},
		{SeverityWarning, name, 17, `tool output for call_id "call_k3" has no matching call; imported as a tool message`},
		{SeverityWarning, name, 0, "no session_meta record; using the session id 0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b from the rollout file name"},
	}, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", c.ExternalID)
	require.Empty(t, c.GitBranches)
	require.Len(t, c.Messages, 13)
	require.Equal(t, "L17 tool", codexOutline(c.Messages)[6])
}

func TestSniffCodexRollout(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(filepath.Join("testdata", "codex"))
	require.NoError(t, err)
	for _, e := range entries {
		data := codexFixture(t, e.Name())
		require.Equal(t, len(data) > 0, sniffCodexRollout(e.Name(), data), e.Name())
	}
	// A head cut inside a long session_meta line is still recognised.
	modern := codexFixture(t, "rollout-2025-10-02T09-14-05-0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.jsonl")
	require.True(t, sniffCodexRollout("x.jsonl", modern[:120]))

	for _, other := range []string{
		`{"parentUuid":null,"isSidechain":false,"type":"user","message":{"role":"user","content":"hi"},"uuid":"u1","timestamp":"2025-10-01T10:00:00Z"}`,
		`{"role":"user","message":{"content":[{"type":"text","text":"hi"}]}}`,
		`{"kind":0,"v":{"version":3,"requests":[]}}`,
		`{"id":"m1","timestamp":"2025-11-04T08:00:05.000Z","type":"user","content":"hi"}`,
		`{"sessionId":"s","projectHash":"h","startTime":"2025-11-04T08:00:00Z","lastUpdated":"2025-11-04T08:00:00Z"}`,
		`{"id":"x","timestamp":"2025-07-14T18:02:11Z","type":"user"}`,
		"# aider chat started at 2025-01-01 10:00:00\n",
		"",
	} {
		require.False(t, sniffCodexRollout("x.jsonl", []byte(other)), other)
	}
	for _, f := range []string{"session-2025-11-04T08-00-7a8b9c0d.jsonl", "session-2025-11-03T14-22-5f1e2d3c.json", "subagent.jsonl"} {
		data, err := os.ReadFile(filepath.Join("testdata", "gemini", f))
		require.NoError(t, err)
		require.False(t, sniffCodexRollout(f, data), f)
	}
}

func TestCodexShellReads(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		script string
		want   []string
	}{
		{"cat go.mod", []string{"go.mod"}},
		{"cd /repo && sed -n '1,200p' 'web/src/(app)/page.tsx'", []string{"web/src/(app)/page.tsx"}},
		{"nl -ba main.go | sed -n '10,20p'", []string{"main.go"}},
		{"head -n 20 Makefile && tail -5 CHANGELOG.md", []string{"Makefile", "CHANGELOG.md"}},
		{"sed -i 's/a/b/' main.go", nil},
		{"sed 's/a/b/' main.go", nil},
		{"sed -n -e '1p' -e '3p' a.txt b.txt", []string{"a.txt", "b.txt"}},
		{"cat *.go", nil},
		{"cat $FILE", nil},
		{"cat a.txt > b.txt 2>&1", []string{"a.txt"}},
		{`cat "docs/read me.md"`, []string{"docs/read me.md"}},
		{"cat -- -odd", []string{"-odd"}},
		{"cat <<'EOF'\nnot a file\nEOF", nil},
		{"sed -n '1,200p' app/(protected)/page.tsx", nil},
		{"rg -n foo src", nil},
		{"cat 'unterminated", nil},
	} {
		require.Equal(t, tc.want, codexShellReads(tc.script), tc.script)
	}
}

func TestCodexCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ raw, want string }{
		{`["bash","-lc","go test ./..."]`, "go test ./..."},
		{`["/bin/zsh","-c","ls"]`, "ls"},
		{`["powershell.exe","-Command","Get-ChildItem"]`, "Get-ChildItem"},
		{`["rg","-n","two words","src"]`, "rg -n 'two words' src"},
		{`["echo","it's"]`, `echo 'it'\''s'`},
		{`"git status"`, "git status"},
		{`42`, ""},
		{`null`, ""},
	} {
		require.Equal(t, tc.want, codexCommand([]byte(tc.raw)), tc.raw)
	}
}

func TestCodexTitle(t *testing.T) {
	t.Parallel()
	require.Equal(t, "fix the bug in main.go", codexTitle("  fix the\n\n bug\tin main.go "))
	require.Equal(t, strings.Repeat("é", 79)+"…", codexTitle(strings.Repeat("é", 100)))
	require.Equal(t, "", codexTitle("\n"))
}

// TestCodexRolloutCorpus runs the parser over the real rollouts collected
// in the shared corpus (absent in CI clones).
func TestCodexRolloutCorpus(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(codexCorpusDir)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".jsonl") {
			continue
		}
		n++
		data, err := os.ReadFile(filepath.Join(codexCorpusDir, e.Name()))
		require.NoError(t, err)
		head := data[:min(len(data), 64<<10)]
		require.True(t, sniffCodexRollout(e.Name(), head), e.Name())
		res := parseCodexRollout(e.Name(), data, Limits{})
		for _, p := range res.Problems {
			require.Equal(t, e.Name(), p.File)
		}
		switch {
		case strings.Contains(e.Name(), "event-turn-aborted"):
			// One turn_aborted event without session_meta: nothing to import.
			require.Empty(t, res.Conversations)
			require.Len(t, res.Problems, 1)
			require.Equal(t, SeverityError, res.Problems[0].Severity)
			require.Contains(t, res.Problems[0].Message, "no session_meta record")
			t.Logf("%s: no conversation; %s", e.Name(), res.Problems[0].Message)
			continue
		case strings.Contains(e.Name(), "example-session-metadata"):
			// A session_meta line only: kept with zero messages and a warning.
			require.Len(t, res.Conversations, 1)
			require.Empty(t, res.Conversations[0].Messages)
			require.Len(t, res.Problems, 1)
			require.Equal(t, SeverityWarning, res.Problems[0].Severity)
			require.Contains(t, res.Problems[0].Message, "has no messages")
		default:
			require.False(t, res.HasErrors(), "%v", res.Problems)
			require.Empty(t, res.Problems)
		}
		require.Len(t, res.Conversations, 1)
		c := res.Conversations[0]
		require.NotEmpty(t, c.ExternalID)
		require.Equal(t, FormatCodexRollout, c.Format)
		require.NotEmpty(t, c.ToolVersion)
		require.NotEmpty(t, c.Cwd)
		users, tools, reads, writes, cmds := 0, 0, 0, 0, 0
		for _, m := range c.Messages {
			if m.Role == RoleUser {
				users++
			}
			for _, tc := range m.ToolCalls {
				tools++
				reads += len(tc.FilesRead)
				writes += len(tc.FilesWritten)
				cmds += len(tc.Commands)
				require.LessOrEqual(t, len(tc.Output), MaxToolOutput)
			}
		}
		if len(c.Messages) > 0 {
			require.Positive(t, users, "every recorded session has a prompt")
			require.NotEmpty(t, c.Title)
			require.NotEmpty(t, c.Models)
		}
		t.Logf("%s: id=%s v=%s msgs=%d users=%d tools=%d cmds=%d reads=%d writes=%d tokens=%+v branch=%v title=%q",
			e.Name(), c.ExternalID, c.ToolVersion, len(c.Messages), users, tools, cmds, reads, writes, c.Tokens, c.GitBranches, c.Title)
	}
	require.Positive(t, n)
}

func FuzzCodexRollout(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "codex"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("testdata", "codex", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz/rollout.jsonl"
		res := parseCodexRollout(name, data, Limits{MaxLineBytes: 1 << 16})
		_ = sniffCodexRollout(name, data)
		for _, p := range res.Problems {
			if p.File != name {
				t.Fatalf("problem without file name: %+v", p)
			}
		}
		for _, c := range res.Conversations {
			if c.ExternalID == "" || c.Format != FormatCodexRollout {
				t.Fatalf("conversation without id or format: %+v", c)
			}
			codexRequireClean(t, c)
		}
	})
}

// codexRequireClean fails when a stored string is invalid UTF-8 or holds NUL.
func codexRequireClean(t *testing.T, c Conversation) {
	t.Helper()
	check := func(what, s string) {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Fatalf("%s is not clean text: %q", what, s)
		}
	}
	check("external id", c.ExternalID)
	check("title", c.Title)
	check("cwd", c.Cwd)
	for _, m := range c.Messages {
		check("message id", m.ExternalID)
		check("text", m.Text)
		check("thinking", m.Thinking)
		for _, tc := range m.ToolCalls {
			check("tool name", tc.Name)
			check("tool input", tc.Input)
			check("tool output", tc.Output)
			for _, v := range append(append(append([]string{}, tc.Commands...), tc.FilesRead...), tc.FilesWritten...) {
				check("tool effect", v)
			}
		}
	}
}
