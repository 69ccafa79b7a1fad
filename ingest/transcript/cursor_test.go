package transcript

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const cursorTestdata = "testdata/cursor"

func cursorParseFixture(t *testing.T, rel string) (string, Result) {
	t.Helper()
	name := filepath.ToSlash(filepath.Join(cursorTestdata, rel))
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	return name, parseCursorAgent(name, data, Limits{})
}

func TestSniffCursorAgent(t *testing.T) {
	t.Parallel()
	for _, rel := range []string{
		"3b0d5c1e-8f7a-4c2b-9e61-0a4d2f9c7b15.jsonl",
		"export-build-failure.jsonl",
		"9a4e7c2d-1b3f-4d5e-8a6c-7f0e2d1b3c4a/subagents/5d6e7f80-9a1b-4c2d-8e3f-a4b5c6d7e8f9.jsonl",
		"broken.jsonl",
	} {
		data, err := os.ReadFile(filepath.Join(cursorTestdata, rel))
		require.NoError(t, err)
		require.True(t, sniffCursorAgent(rel, data), rel)
		require.False(t, sniffClaudeCode(rel, data), rel)
	}

	markers := []byte(`{"type":"turn_ended","status":"success"}` + "\n" + `{"type":"turn_ended","status":"aborted","error":"User aborted/interrupted manually."}` + "\n")
	require.True(t, sniffCursorAgent("/home/ana/.cursor/projects/home-ana-web/agent-transcripts/1c2d/1c2d.jsonl", markers), "marker-only transcript in its place")
	require.False(t, sniffCursorAgent("downloads/log.jsonl", markers), "markers alone, anywhere else, prove nothing")

	for name, head := range map[string]string{
		"empty":       "",
		"claude code": `{"parentUuid":null,"isSidechain":false,"type":"user","message":{"role":"user","content":"hi"},"uuid":"u1","sessionId":"s"}` + "\n",
		"codex":       `{"timestamp":"2025-11-17T21:30:28.664Z","type":"response_item","payload":{"type":"message","role":"user","content":[]}}` + "\n",
		"gemini":      `{"id":"1f0","timestamp":"2025-12-06T18:25:18.042Z","type":"user","content":"add a log line"}` + "\n",
		"copilot":     `{"kind":0,"v":{"version":3,"requests":[]}}` + "\n",
		"openai chat": `{"role":"user","content":"hello"}` + "\n",
		"markdown":    "_**User**_\n\nhello\n\n---\n",
	} {
		require.False(t, sniffCursorAgent("x.jsonl", []byte(head)), name)
	}

	huge := `{"role":"user","message":{"content":[{"type":"text","text":"` + strings.Repeat("log line ", 10000)
	require.True(t, sniffCursorAgent("x.jsonl", []byte(huge[:64<<10])), "a first line longer than the head")
}

func TestParseCursorAgentFlatLayout(t *testing.T) {
	t.Parallel()
	name, res := cursorParseFixture(t, "3b0d5c1e-8f7a-4c2b-9e61-0a4d2f9c7b15.jsonl")
	claudeCheckResult(t, name, FormatCursorAgent, res)
	require.Empty(t, res.Problems, "turn_ended markers are skipped silently")
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]

	require.Equal(t, ToolCursor, c.Tool)
	require.Equal(t, "3b0d5c1e-8f7a-4c2b-9e61-0a4d2f9c7b15", c.ExternalID, "the UUID file name is the conversation id")
	require.Empty(t, c.ParentExternalID)
	require.Equal(t, "Rename the config loader to readConfig and update its callers", c.Title, "the <user_query>, not the attached files")
	require.True(t, c.StartedAt.IsZero(), "Cursor records no time")
	require.Nil(t, c.Models)
	require.Equal(t, Tokens{}, c.Tokens)

	require.Equal(t, []string{"L1", "L2", "L3", "L4", "L5", "L6", "L8", "L9"}, claudeMessageIDs(c))
	require.Equal(t, []Role{RoleUser, RoleAssistant, RoleAssistant, RoleAssistant, RoleAssistant, RoleAssistant, RoleUser, RoleAssistant}, claudeRoles(c))
	require.Equal(t, "<attached_files>\n<file path=\"src/app.ts\" lines=\"1-20\"/>\n</attached_files>\n\nRename the config loader to readConfig and update its callers", c.Messages[0].Text)
	require.Equal(t, "thanks, also delete the old shim", c.Messages[6].Text)

	first := c.Messages[1]
	require.Equal(t, 2, first.Line)
	require.Equal(t, "Looking at the loader and its callers first.", first.Text, "[REDACTED] is not shown as an answer")
	require.Equal(t, "[REDACTED]", first.Thinking)
	require.Equal(t, []ToolCall{
		{Name: "Read", Input: `{"path":"/home/ana/web/src/config/load.ts"}`, FilesRead: []string{"/home/ana/web/src/config/load.ts"}},
		{Name: "Grep", Input: `{"pattern":"loadConfig","path":"/home/ana/web/src"}`, FilesRead: []string{"/home/ana/web/src"}},
	}, first.ToolCalls)

	require.Empty(t, c.Messages[2].Text)
	require.Equal(t, []string{"/home/ana/web/src/config/load.ts"}, c.Messages[2].ToolCalls[0].FilesWritten, "StrReplace writes")
	require.Equal(t, []string{"npm test -- config"}, c.Messages[3].ToolCalls[0].Commands, "Shell runs")
	require.Equal(t, []string{"/home/ana/web/CHANGELOG.md"}, c.Messages[4].ToolCalls[0].FilesWritten)
	require.Equal(t, "Renamed `loadConfig` to `readConfig` and updated the 3 callers; tests pass.", c.Messages[5].Text)
	require.Empty(t, c.Messages[5].Thinking)
	require.Equal(t, []string{"/home/ana/web/src/config/shim.ts"}, c.Messages[7].ToolCalls[0].FilesWritten, "Delete changes the file")
}

func TestParseCursorAgentToolResultsAndContentID(t *testing.T) {
	t.Parallel()
	name, res := cursorParseFixture(t, "export-build-failure.jsonl")
	claudeCheckResult(t, name, FormatCursorAgent, res)
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]

	require.Equal(t, "sha256-3072616d396b5975e1bc15aaf9ea65d0", c.ExternalID, "no UUID name: content hash")
	require.Equal(t, "Why does `make build` fail on CI?", c.Title)
	require.Equal(t, []string{"L1", "L2", "L4", "L6"}, claudeMessageIDs(c), "result-only lines are not messages")
	require.Equal(t, ToolCall{ExternalID: "call_1", Name: "Shell", Input: `{"command":"make build"}`, Output: "ld: undefined reference to `sqrt'", IsError: true, Commands: []string{"make build"}}, c.Messages[1].ToolCalls[0])
	require.Equal(t, ToolCall{Name: "Read", Input: `{"path":"Makefile"}`, Output: "build:\n\tcc -o app main.c", FilesRead: []string{"Makefile"}}, c.Messages[2].ToolCalls[0], "a result without id goes to the oldest waiting call")
	require.Equal(t, "The link step misses `-lm`; add it to the `build` target.", c.Messages[3].Text)
	require.Equal(t, "The link line lacks -lm.", c.Messages[3].Thinking)

	// The same transcript under another name, or grown by more lines, keeps its id.
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	renamed := parseCursorAgent("backup/build-chat.jsonl", data, Limits{})
	require.Equal(t, c.ExternalID, renamed.Conversations[0].ExternalID)
	grown := append(append([]byte{}, data...), []byte(`{"role":"user","message":{"content":"<user_query>thanks</user_query>"}}`+"\n")...)
	require.Equal(t, c.ExternalID, parseCursorAgent(name, grown, Limits{}).Conversations[0].ExternalID)
}

func TestParseCursorAgentSubagent(t *testing.T) {
	t.Parallel()
	name, res := cursorParseFixture(t, "9a4e7c2d-1b3f-4d5e-8a6c-7f0e2d1b3c4a/subagents/5d6e7f80-9a1b-4c2d-8e3f-a4b5c6d7e8f9.jsonl")
	claudeCheckResult(t, name, FormatCursorAgent, res)
	require.Empty(t, res.Problems)
	c := res.Conversations[0]
	require.Equal(t, "9a4e7c2d-1b3f-4d5e-8a6c-7f0e2d1b3c4a/subagents/5d6e7f80-9a1b-4c2d-8e3f-a4b5c6d7e8f9", c.ExternalID)
	require.Equal(t, "9a4e7c2d-1b3f-4d5e-8a6c-7f0e2d1b3c4a", c.ParentExternalID)
	require.Equal(t, "Find all test files under src/", c.Title)
	require.Len(t, c.Messages, 3)
	for _, m := range c.Messages {
		require.True(t, m.Sidechain)
		require.Equal(t, "5d6e7f80-9a1b-4c2d-8e3f-a4b5c6d7e8f9", m.AgentID)
	}
	require.Equal(t, []string{"/home/ana/web/src"}, c.Messages[1].ToolCalls[0].FilesRead)
}

func TestParseCursorAgentBrokenLines(t *testing.T) {
	t.Parallel()
	name, res := cursorParseFixture(t, "broken.jsonl")
	claudeCheckResult(t, name, FormatCursorAgent, res)
	type pr struct {
		Sev  Severity
		Line int
		Msg  string
	}
	var got []pr
	for _, p := range res.Problems {
		got = append(got, pr{p.Severity, p.Line, p.Message})
	}
	require.Equal(t, []pr{
		{SeverityError, 2, "invalid JSON (unexpected end of input at byte 69); expected one JSON object per line"},
		{SeverityWarning, 3, `unknown line type "checkpoint"; expected {role, message:{content}} or turn_ended, skipped (further "checkpoint" lines are skipped silently)`},
		{SeverityWarning, 5, `unknown role "critic"; expected user or assistant, skipped (further "critic" lines are skipped silently)`},
		{SeverityError, 6, "assistant line has no readable message object; expected message:{content}, skipped"},
		{SeverityWarning, 7, `tool_result (tool_use id "call_9") has no matching tool_use earlier in the file; its output is dropped`},
		{SeverityError, 9, "invalid JSON (unexpected end of input at byte 71); expected one JSON object per line"},
	}, got)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, []string{"L1", "L8"}, claudeMessageIDs(c))
	require.Equal(t, "README.md describes the build and the release steps.", c.Messages[1].Text)
}

func TestParseCursorAgentNothingToImport(t *testing.T) {
	t.Parallel()
	name, res := cursorParseFixture(t, "empty.jsonl")
	claudeCheckResult(t, name, FormatCursorAgent, res)
	require.Empty(t, res.Conversations)
	require.Equal(t, []Problem{{Severity: SeverityWarning, File: name, Message: "no user or assistant messages found; expected Cursor agent transcript lines {role, message:{content}}, nothing imported"}}, res.Problems)

	markers := "agent-transcripts/1c2d/1c2d.jsonl"
	res = parseCursorAgent(markers, []byte(`{"type":"turn_ended","status":"success"}`+"\n"), Limits{})
	require.Empty(t, res.Conversations, "an IDE transcript holding only turn markers has nothing to import")
	require.Len(t, res.Problems, 1)
	require.Equal(t, SeverityWarning, res.Problems[0].Severity)
}

func TestCursorAgentCorpus(t *testing.T) {
	t.Parallel()
	root := "../../../shared/corpus"
	dir := filepath.Join(root, "cursor")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("corpus not available:", err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		base := filepath.Base(f)
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		head := data[:min(len(data), 64<<10)]
		require.True(t, sniffCursorAgent(f, head), base)
		require.False(t, sniffClaudeCode(f, head), base)
		res := parseCursorAgent(f, data, Limits{})
		claudeCheckResult(t, f, FormatCursorAgent, res)
		require.False(t, res.HasErrors(), "%s: %+v", base, res.Problems)
		require.Len(t, res.Conversations, 1, base)
		c := res.Conversations[0]
		require.NotEmpty(t, c.Messages)
		require.LessOrEqual(t, len(c.Messages), strings.Count(string(data), "\n")+1)
		calls, redacted := 0, 0
		for _, m := range c.Messages {
			calls += len(m.ToolCalls)
			require.NotContains(t, m.Text, cursorRedacted)
			if m.Thinking == cursorRedacted {
				redacted++
			}
		}
		t.Logf("%s: id=%s title=%q msgs=%d tools=%d redacted=%d warnings=%d", base, c.ExternalID, c.Title, len(c.Messages), calls, redacted, len(res.Problems))
	}
}

func FuzzCursorAgent(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(cursorTestdata, "*.jsonl"))
	sub, _ := filepath.Glob(filepath.Join(cursorTestdata, "*", "subagents", "*.jsonl"))
	for _, s := range append(seeds, sub...) {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"fuzz/chat.jsonl", "agent-transcripts/p/subagents/q.jsonl"} {
			_ = sniffCursorAgent(name, data)
			res := parseCursorAgent(name, data, Limits{MaxLineBytes: 1 << 16})
			claudeCheckResult(t, name, FormatCursorAgent, res)
		}
	})
}
