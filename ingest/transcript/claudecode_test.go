package transcript

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

const claudeTestdata = "testdata/claude_code"

// claudeParseFixture parses testdata/claude_code/<rel> under that name.
func claudeParseFixture(t *testing.T, rel string) (string, Result) {
	t.Helper()
	name := filepath.ToSlash(filepath.Join(claudeTestdata, rel))
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	return name, parseClaudeCode(name, data, Limits{})
}

func claudeTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return ts
}

func claudeMessageIDs(c Conversation) []string {
	ids := make([]string, len(c.Messages))
	for i, m := range c.Messages {
		ids[i] = m.ExternalID
	}
	return ids
}

func claudeRoles(c Conversation) []Role {
	roles := make([]Role, len(c.Messages))
	for i, m := range c.Messages {
		roles[i] = m.Role
	}
	return roles
}

// claudeCheckResult asserts what must hold for any input of a parser.
func claudeCheckResult(t *testing.T, name string, format Format, res Result) {
	t.Helper()
	require.Equal(t, format, res.Format)
	for _, p := range res.Problems {
		require.Equal(t, name, p.File, "problem without the file name: %+v", p)
		require.NotEmpty(t, p.Message)
		require.Contains(t, []Severity{SeverityError, SeverityWarning}, p.Severity)
	}
	for _, c := range res.Conversations {
		require.NotEmpty(t, c.ExternalID)
		require.Equal(t, format, c.Format)
		require.True(t, utf8.ValidString(c.Title))
		seen := map[string]bool{}
		for _, m := range c.Messages {
			require.NotEmpty(t, m.ExternalID)
			require.False(t, seen[m.ExternalID], "duplicate message id %q", m.ExternalID)
			seen[m.ExternalID] = true
			require.True(t, utf8.ValidString(m.Text) && utf8.ValidString(m.Thinking))
			for _, tc := range m.ToolCalls {
				require.LessOrEqual(t, len(tc.Output), MaxToolOutput)
				require.True(t, utf8.ValidString(tc.Output) && utf8.ValidString(tc.Input))
			}
		}
	}
}

func TestSniffClaudeCode(t *testing.T) {
	t.Parallel()
	for _, rel := range []string{
		"6f1c2a9e-4b7d-4e21-9a3c-5d8e7f0a1b2c.jsonl",
		"0b8e4d2a-7c1f-4a6e-b3d9-2e5f8a1c4d70.jsonl",
		"c2a7e9f1-3d4b-4f8a-9e6c-1b0d2f3a4e5b.jsonl",
		"agent-5f2c9a1e.jsonl",
		"0b8e4d2a-7c1f-4a6e-b3d9-2e5f8a1c4d70/subagents/agent-a7c31e0f9b2d4e681.jsonl",
		"minimal.jsonl",
		"no_session.jsonl",
		"summary_only.jsonl",
		"broken.jsonl",
	} {
		data, err := os.ReadFile(filepath.Join(claudeTestdata, rel))
		require.NoError(t, err)
		require.True(t, sniffClaudeCode(rel, data), rel)
		require.False(t, sniffCursorAgent(rel, data), rel)
	}

	meta, err := os.ReadFile(filepath.Join(claudeTestdata, "0b8e4d2a-7c1f-4a6e-b3d9-2e5f8a1c4d70/subagents/agent-a7c31e0f9b2d4e681.meta.json"))
	require.NoError(t, err)
	require.False(t, sniffClaudeCode("agent-a7c31e0f9b2d4e681.meta.json", meta), "a subagent's .meta.json is not a transcript")

	for name, head := range map[string]string{
		"empty":         "",
		"cursor":        `{"role":"user","message":{"content":[{"type":"text","text":"<user_query>hi</user_query>"}]}}` + "\n",
		"codex":         `{"timestamp":"2025-11-17T21:30:28.664Z","type":"response_item","payload":{"type":"message","role":"user","content":[]}}` + "\n",
		"gemini jsonl":  `{"id":"1f0","timestamp":"2025-12-06T18:25:18.042Z","type":"user","content":"add a log line"}` + "\n",
		"copilot jsonl": `{"kind":0,"v":{"version":3,"sessionId":"7de8","requests":[]}}` + "\n",
		"markdown":      "# Aider chat started at 2025-01-01 10:00:00\n\n> /add main.go\n",
		"json array":    `[{"type":"user","uuid":"x","message":{}}]`,
	} {
		require.False(t, sniffClaudeCode("x.jsonl", []byte(head)), name)
	}

	// A first line longer than the head: judged by the keys before "message".
	huge := `{"parentUuid":null,"isSidechain":false,"userType":"external","cwd":"/w","sessionId":"0b8e4d2a-7c1f-4a6e-b3d9-2e5f8a1c4d70","version":"2.1.30","gitBranch":"main","type":"user","message":{"role":"user","content":"` + strings.Repeat("paste ", 20000)
	require.True(t, sniffClaudeCode("s.jsonl", []byte(huge[:64<<10])))
}

func TestParseClaudeCodeSessionV20(t *testing.T) {
	t.Parallel()
	name, res := claudeParseFixture(t, "6f1c2a9e-4b7d-4e21-9a3c-5d8e7f0a1b2c.jsonl")
	claudeCheckResult(t, name, FormatClaudeCodeJSONL, res)
	require.Empty(t, res.Problems, "bookkeeping lines (file-history-snapshot, progress, queue-operation) are skipped silently")
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]

	const cwd = "/home/dev/src/lumen"
	id := func(n int) string { return fmt.Sprintf("a1000000-0000-4000-8000-%012d", n) }
	require.Equal(t, ToolClaudeCode, c.Tool)
	require.Equal(t, "2.0.27", c.ToolVersion)
	require.Equal(t, "6f1c2a9e-4b7d-4e21-9a3c-5d8e7f0a1b2c", c.ExternalID)
	require.Empty(t, c.ParentExternalID)
	require.Equal(t, "Add retry with backoff to the HTTP client", c.Title, "the last summary whose leafUuid is in the file")
	require.Equal(t, cwd, c.Cwd)
	require.Equal(t, []string{"feat/retry", "fix/retry-jitter"}, c.GitBranches, "HEAD is not a branch")
	require.Equal(t, []string{"claude-sonnet-4-5-20250929"}, c.Models)
	require.Equal(t, claudeTime(t, "2025-10-20T09:00:01Z"), c.StartedAt)
	require.Equal(t, claudeTime(t, "2025-10-20T09:05:14Z"), c.EndedAt)
	require.Equal(t, Tokens{Input: 19, Output: 885, CacheRead: 81600, CacheWrite: 2080}, c.Tokens, "usage counted once per message.id")

	require.Equal(t, []string{id(5), id(6), id(7), id(8), id(9), id(13), id(16), id(18), id(19), id(20), id(24), id(26)}, claudeMessageIDs(c))
	require.Equal(t, []Role{RoleSystem, RoleUser, RoleSystem, RoleUser, RoleAssistant, RoleAssistant, RoleAssistant, RoleSystem, RoleUser, RoleAssistant, RoleAssistant, RoleAssistant}, claudeRoles(c))

	caveat := c.Messages[0]
	require.True(t, strings.HasPrefix(caveat.Text, "Caveat: The messages below"))
	require.Equal(t, "<local-command-stdout>Set model to Sonnet 4.5</local-command-stdout>", c.Messages[2].Text, "ANSI colours stripped")
	require.Equal(t, id(7), c.Messages[3].ParentExternalID)

	// Three lines of msg_01LumenA (thinking, text, tool_use) are one turn.
	a := c.Messages[4]
	require.Equal(t, 9, a.Line)
	require.Equal(t, id(8), a.ParentExternalID)
	require.Equal(t, "I'll read the client first.", a.Text)
	require.Equal(t, "The client has no retry loop; read it first.", a.Thinking)
	require.Equal(t, "claude-sonnet-4-5-20250929", a.Model)
	require.Equal(t, "feat/retry", a.GitBranch)
	require.Equal(t, claudeTime(t, "2025-10-20T09:00:12Z"), a.Timestamp)
	require.Equal(t, Tokens{Input: 4, Output: 95, CacheRead: 12000, CacheWrite: 900}, a.Tokens, "largest usage snapshot of the message")
	require.Len(t, a.ToolCalls, 1)
	require.Equal(t, ToolCall{
		ExternalID: "toolu_A1",
		Name:       "Read",
		Input:      `{"file_path":"` + cwd + `/internal/httpx/client.go"}`,
		Output:     "     1\tpackage httpx\n     2\t\n     3\tfunc (c *Client) Do(req *Request) (*Response, error) {",
		FilesRead:  []string{cwd + "/internal/httpx/client.go"},
	}, a.ToolCalls[0])

	b := c.Messages[5]
	require.Equal(t, id(9), b.ParentExternalID, "the tool_result line in between is not a message")
	require.Equal(t, "Adding a retry loop with capped exponential backoff.", b.Text)
	require.Equal(t, []string{cwd + "/internal/httpx/client.go"}, b.ToolCalls[0].FilesWritten)
	require.Nil(t, b.ToolCalls[0].FilesRead)

	bash := c.Messages[6].ToolCalls[0]
	require.Equal(t, []string{"go test ./internal/httpx/..."}, bash.Commands)
	require.True(t, bash.IsError)
	require.Equal(t, "--- FAIL: TestRetryStopsOnContextCancel (0.01s)\nFAIL", bash.Output)

	require.Equal(t, "[Request interrupted by user for tool use]", c.Messages[7].Text)
	require.Equal(t, "fix/retry-jitter", c.Messages[8].GitBranch)

	d := c.Messages[9]
	require.Len(t, d.ToolCalls, 2)
	require.Equal(t, "MultiEdit", d.ToolCalls[0].Name)
	require.Equal(t, []string{cwd + "/internal/httpx/backoff.go"}, d.ToolCalls[0].FilesWritten)
	require.Equal(t, []string{cwd + "/internal/httpx/jitter.go"}, d.ToolCalls[1].FilesWritten)
	require.Equal(t, "File created successfully at: "+cwd+"/internal/httpx/jitter.go", d.ToolCalls[1].Output)
	require.Equal(t, Tokens{Input: 3, Output: 420, CacheRead: 14000, CacheWrite: 500}, d.Tokens)

	e := c.Messages[10]
	require.Empty(t, e.GitBranch, `gitBranch "HEAD" (detached) is no branch`)
	require.Equal(t, []string{"git add -A && git commit -m 'httpx: retry with full jitter'"}, e.ToolCalls[0].Commands)
	require.Equal(t, "Done: retries use capped exponential backoff with full jitter, committed as 1a2b3c4.", c.Messages[11].Text)
}

func TestParseClaudeCodeSessionV21ParallelTools(t *testing.T) {
	t.Parallel()
	name, res := claudeParseFixture(t, "0b8e4d2a-7c1f-4a6e-b3d9-2e5f8a1c4d70.jsonl")
	claudeCheckResult(t, name, FormatClaudeCodeJSONL, res)
	require.Empty(t, res.Problems, "permission-mode, attachment, last-prompt, mode, agent-name, ai-title, custom-title are known")
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]

	w := func(n int) string { return fmt.Sprintf("c3000000-0000-4000-8000-%012d", n) }
	require.Equal(t, "0b8e4d2a-7c1f-4a6e-b3d9-2e5f8a1c4d70", c.ExternalID)
	require.Equal(t, "2.1.30", c.ToolVersion)
	require.Equal(t, "TODO sweep", c.Title, "custom-title wins over ai-title")
	require.Equal(t, "/work/atlas", c.Cwd, "the first cwd, not the worktree's")
	require.Equal(t, []string{"worktree-agent-x1", "main"}, c.GitBranches)
	require.Equal(t, []string{"claude-opus-4-6"}, c.Models, "<synthetic> is not a model")
	require.Equal(t, claudeTime(t, "2026-03-02T10:00:04Z"), c.StartedAt)
	require.Equal(t, claudeTime(t, "2026-03-02T10:00:23Z"), c.EndedAt)
	require.Equal(t, Tokens{Input: 7, Output: 785, CacheRead: 40700, CacheWrite: 20750}, c.Tokens)

	require.Equal(t, []string{w(4), w(6), w(17), w(19), w(20), w(23)}, claudeMessageIDs(c))
	require.Equal(t, []Role{RoleUser, RoleAssistant, RoleAssistant, RoleAssistant, RoleSystem, RoleSystem}, claudeRoles(c))
	require.Empty(t, c.Messages[0].GitBranch)

	// msg_01AtlasP: five lines with tool results interleaved → one turn.
	p := c.Messages[1]
	require.Equal(t, "Searching code and docs in parallel.", p.Text)
	require.Empty(t, p.Thinking, "hidden (empty) thinking adds nothing")
	require.Equal(t, Tokens{Input: 5, Output: 640, CacheWrite: 20000}, p.Tokens)
	require.Len(t, p.ToolCalls, 3)
	require.Equal(t, "Grep", p.ToolCalls[0].Name)
	require.Equal(t, []string{"/work/atlas/src"}, p.ToolCalls[0].FilesRead)
	require.Equal(t, "Found 2 files\nsrc/db.go\nsrc/api.go", p.ToolCalls[0].Output)
	require.Equal(t, "Glob", p.ToolCalls[1].Name)
	require.Nil(t, p.ToolCalls[1].FilesRead, "a Glob without path names no file")
	require.Equal(t, "docs/plan.md\nREADME.md", p.ToolCalls[1].Output)
	require.Equal(t, "Agent", p.ToolCalls[2].Name)
	require.Equal(t, "Found 3 TODO markers in docs/plan.md.\nagentId: a7c31e0f9b2d4e681", p.ToolCalls[2].Output)

	q := c.Messages[2]
	require.Equal(t, w(6), q.ParentExternalID)
	require.Equal(t, "worktree-agent-x1", q.GitBranch)
	require.Equal(t, []string{"/work/atlas/.claude/worktrees/agent-x1/TODO.md"}, q.ToolCalls[0].FilesWritten)

	apiErr := c.Messages[4]
	require.Equal(t, `API Error: 529 {"type":"overloaded_error"}`, apiErr.Text)
	require.Empty(t, apiErr.Model)
	require.Equal(t, "Recap: TODOs collected into TODO.md in the agent-x1 worktree; nothing merged yet.", c.Messages[5].Text)
}

func TestParseClaudeCodeSessionV10HooksAndInlineSidechain(t *testing.T) {
	t.Parallel()
	name, res := claudeParseFixture(t, "c2a7e9f1-3d4b-4f8a-9e6c-1b0d2f3a4e5b.jsonl")
	claudeCheckResult(t, name, FormatClaudeCodeJSONL, res)
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]

	x := func(n int) string { return fmt.Sprintf("e6000000-0000-4000-8000-%012d", n) }
	require.Equal(t, "c2a7e9f1-3d4b-4f8a-9e6c-1b0d2f3a4e5b", c.ExternalID, "sidechain lines inside a session file do not make it a subagent file")
	require.Empty(t, c.ParentExternalID)
	require.Equal(t, "1.0.60", c.ToolVersion)
	require.Equal(t, "Clean up analysis.ipynb and tell me what is in data/", c.Title, "no summary matches a line of the file: the first prompt")
	require.Nil(t, c.GitBranches, "1.0.x lines have no gitBranch")
	require.Equal(t, []string{x(3), x(4), x(5), x(6), x(8), x(10), x(12), x(13), x(14)}, claudeMessageIDs(c))
	require.Equal(t, []bool{false, false, true, true, true, false, false, false, false}, func() []bool {
		var out []bool
		for _, m := range c.Messages {
			out = append(out, m.Sidechain)
		}
		return out
	}())
	require.Equal(t, "data/ holds a.csv and b.csv.", c.Messages[1].ToolCalls[0].Output, "Task result")
	require.Empty(t, c.Messages[1].ToolCalls[0].FilesRead)
	require.Equal(t, []string{"/Users/sam/proj/data"}, c.Messages[3].ToolCalls[0].FilesRead)
	require.Empty(t, c.Messages[2].ParentExternalID)
	require.Equal(t, x(4), c.Messages[5].ParentExternalID)
	require.Equal(t, []string{"/Users/sam/proj/analysis.ipynb"}, c.Messages[5].ToolCalls[0].FilesWritten)
	require.Equal(t, "Running PostToolUse:NotebookEdit...", c.Messages[6].Text)
	require.Equal(t, "PostToolUse:NotebookEdit [nbstripout] completed successfully", c.Messages[7].Text)
	require.Equal(t, Tokens{Input: 14, Output: 197, CacheRead: 21100, CacheWrite: 12220}, c.Tokens)
}

func TestParseClaudeCodeSubagentOldLayout(t *testing.T) {
	t.Parallel()
	name, res := claudeParseFixture(t, "agent-5f2c9a1e.jsonl")
	claudeCheckResult(t, name, FormatClaudeCodeJSONL, res)
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "6f1c2a9e-4b7d-4e21-9a3c-5d8e7f0a1b2c/agent-5f2c9a1e", c.ExternalID, "never the parent's id")
	require.Equal(t, "6f1c2a9e-4b7d-4e21-9a3c-5d8e7f0a1b2c", c.ParentExternalID)
	require.Equal(t, "Warmup", c.Title)
	require.Equal(t, "2.0.31", c.ToolVersion)
	require.Equal(t, []string{"b2000000-0000-4000-8000-000000000001", "b2000000-0000-4000-8000-000000000002"}, claudeMessageIDs(c))
	for _, m := range c.Messages {
		require.True(t, m.Sidechain)
		require.Equal(t, "5f2c9a1e", m.AgentID)
	}
	require.Equal(t, Tokens{Input: 3, Output: 18, CacheRead: 2800}, c.Tokens)
}

func TestParseClaudeCodeSubagentByFileName(t *testing.T) {
	t.Parallel()
	// No isSidechain/agentId on the lines: the agent-<id>.jsonl name decides,
	// so the file never takes its parent's session id.
	data := `{"type":"user","sessionId":"6f1c2a9e-4b7d-4e21-9a3c-5d8e7f0a1b2c","uuid":"u1","message":{"role":"user","content":"Warmup"}}` + "\n"
	res := parseClaudeCode("projects/p/agent-0c1d2e3f.jsonl", []byte(data), Limits{})
	require.Empty(t, res.Problems)
	c := res.Conversations[0]
	require.Equal(t, "6f1c2a9e-4b7d-4e21-9a3c-5d8e7f0a1b2c/agent-0c1d2e3f", c.ExternalID)
	require.Equal(t, "6f1c2a9e-4b7d-4e21-9a3c-5d8e7f0a1b2c", c.ParentExternalID)
	require.True(t, c.Messages[0].Sidechain)
	require.Equal(t, "0c1d2e3f", c.Messages[0].AgentID)
}

func TestParseClaudeCodeSubagentNewLayout(t *testing.T) {
	t.Parallel()
	name, res := claudeParseFixture(t, "0b8e4d2a-7c1f-4a6e-b3d9-2e5f8a1c4d70/subagents/agent-a7c31e0f9b2d4e681.jsonl")
	claudeCheckResult(t, name, FormatClaudeCodeJSONL, res)
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "0b8e4d2a-7c1f-4a6e-b3d9-2e5f8a1c4d70/agent-a7c31e0f9b2d4e681", c.ExternalID)
	require.Equal(t, "0b8e4d2a-7c1f-4a6e-b3d9-2e5f8a1c4d70", c.ParentExternalID)
	require.Equal(t, "Scan the docs folder for TODO markers", c.Title)
	require.Equal(t, []string{"d5000000-0000-4000-8000-000000000001", "d5000000-0000-4000-8000-000000000002", "d5000000-0000-4000-8000-000000000005"}, claudeMessageIDs(c))
	require.Equal(t, "Scanning docs/.", c.Messages[1].Text)
	require.Equal(t, []string{"/work/atlas/docs/plan.md"}, c.Messages[1].ToolCalls[0].FilesRead)
	require.Equal(t, "1\t# Plan\n2\tTODO: pagination\n3\tTODO: pool size\n4\tTODO: metrics", c.Messages[1].ToolCalls[0].Output)
	for _, m := range c.Messages {
		require.True(t, m.Sidechain)
		require.Equal(t, "a7c31e0f9b2d4e681", m.AgentID)
	}
	require.Nil(t, c.GitBranches)
	require.Equal(t, Tokens{Input: 4, Output: 60, CacheRead: 4000, CacheWrite: 4300}, c.Tokens)
}

func TestParseClaudeCodeMinimalHandWritten(t *testing.T) {
	t.Parallel()
	name, res := claudeParseFixture(t, "minimal.jsonl")
	claudeCheckResult(t, name, FormatClaudeCodeJSONL, res)
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "demo-session", c.ExternalID)
	require.Equal(t, "Write a greet function", c.Title, "the summary names no line of this file: the first prompt wins")
	require.Empty(t, c.ToolVersion)
	require.Nil(t, c.Models)
	require.Equal(t, []string{"m1", "m2", "m4"}, claudeMessageIDs(c))
	require.Equal(t, []string{"/demo/greet.py"}, c.Messages[1].ToolCalls[0].FilesWritten)
	require.Equal(t, "ok", c.Messages[1].ToolCalls[0].Output)
	require.Equal(t, []string{"python -c 'import greet'"}, c.Messages[2].ToolCalls[0].Commands)
	require.Equal(t, Tokens{}, c.Tokens)
}

func TestParseClaudeCodeWithoutSessionID(t *testing.T) {
	t.Parallel()
	name, res := claudeParseFixture(t, "no_session.jsonl")
	claudeCheckResult(t, name, FormatClaudeCodeJSONL, res)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "sha256-4f425d655ae4fc2aa4181a173d1fc265", c.ExternalID, "first user message + its time")
	require.Equal(t, "n1", c.Messages[1].ParentExternalID)

	// The same content under another name keeps its identity.
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	again := parseClaudeCode("elsewhere/renamed-copy.jsonl", data, Limits{})
	require.Equal(t, c.ExternalID, again.Conversations[0].ExternalID)
}

func TestParseClaudeCodeNothingToImport(t *testing.T) {
	t.Parallel()
	for _, rel := range []string{"empty.jsonl", "summary_only.jsonl"} {
		name, res := claudeParseFixture(t, rel)
		claudeCheckResult(t, name, FormatClaudeCodeJSONL, res)
		require.Empty(t, res.Conversations, rel)
		require.False(t, res.HasErrors(), rel)
		require.Len(t, res.Problems, 1, rel)
		require.Equal(t, SeverityWarning, res.Problems[0].Severity)
		require.Equal(t, 0, res.Problems[0].Line)
		require.Contains(t, res.Problems[0].Message, "no user, assistant or system messages found")
	}
}

func TestParseClaudeCodeBrokenLines(t *testing.T) {
	t.Parallel()
	name, res := claudeParseFixture(t, "broken.jsonl")
	claudeCheckResult(t, name, FormatClaudeCodeJSONL, res)
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
		{SeverityError, 2, "invalid JSON (unexpected end of input at byte 162); expected one JSON object per line"},
		{SeverityError, 3, "found a JSON array, expected one JSON object per line"},
		{SeverityWarning, 4, `unknown line type "mystery-event"; expected user, assistant, system, summary or a known bookkeeping type, skipped (further "mystery-event" lines are skipped silently)`},
		{SeverityWarning, 6, `JSON object has no "type"; expected a Claude Code line (user, assistant, system, summary, …), skipped (further lines like it are skipped silently)`},
		{SeverityError, 7, "user line has no readable message object; expected message:{role, content}, skipped"},
		{SeverityWarning, 8, `tool_result for tool_use id "toolu_missing" has no matching tool_use earlier in the file; its output is dropped`},
		{SeverityError, 9, "cannot read assistant line (uuid is a JSON number, expected a string); expected a Claude Code assistant line, skipped"},
		{SeverityError, 10, "content block 2 is unreadable (value is a JSON string, expected an object); expected {type, …}, block skipped"},
		{SeverityError, 11, "message.content is a JSON number; expected a string or an array of content blocks, skipped"},
		{SeverityError, 13, "invalid JSON (unexpected end of input at byte 223); expected one JSON object per line"},
	}, got)

	// The rest of the file is still imported.
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "f7b2c4d6-8e0a-4c1e-9f3b-5d7a9c1e3f50", c.ExternalID)
	require.Equal(t, "Why is the healthcheck failing?", c.Title)
	require.Equal(t, []string{"f8000000-0000-4000-8000-000000000001", "f8000000-0000-4000-8000-000000000010", "f8000000-0000-4000-8000-000000000012"}, claudeMessageIDs(c))
	require.Equal(t, "The healthcheck hits /healthz but the route is /health.", c.Messages[1].Text)
}

func TestParseClaudeCodeLineLimit(t *testing.T) {
	t.Parallel()
	data := `{"type":"user","sessionId":"s-1","uuid":"u1","message":{"role":"user","content":"short"}}` + "\n" +
		`{"type":"assistant","sessionId":"s-1","uuid":"u2","parentUuid":"u1","message":{"role":"assistant","content":[{"type":"text","text":"` + strings.Repeat("x", 400) + `"}]}}` + "\n" +
		`{"type":"user","sessionId":"s-1","uuid":"u3","parentUuid":"u2","message":{"role":"user","content":"next"}}` + "\n"
	res := parseClaudeCode("big.jsonl", []byte(data), Limits{MaxLineBytes: 200})
	claudeCheckResult(t, "big.jsonl", FormatClaudeCodeJSONL, res)
	require.Len(t, res.Problems, 1)
	require.Equal(t, Problem{Severity: SeverityError, File: "big.jsonl", Line: 2, Message: "line is 537 bytes, over the 200-byte limit; skipped"}, res.Problems[0])
	c := res.Conversations[0]
	require.Equal(t, []string{"u1", "u3"}, claudeMessageIDs(c))
	require.Equal(t, "u2", c.Messages[1].ParentExternalID, "a parent outside what was read is kept as written")
}

func TestParseClaudeCodeRepeatedLines(t *testing.T) {
	t.Parallel()
	user := `{"type":"user","sessionId":"s-2","uuid":"u1","message":{"role":"user","content":"hello"}}`
	asst := `{"type":"assistant","sessionId":"s-2","uuid":"a1","parentUuid":"u1","message":{"id":"msg_1","role":"assistant","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":2,"output_tokens":3}}}`
	data := strings.Join([]string{user, asst, user, asst, asst}, "\n")
	res := parseClaudeCode("resumed.jsonl", []byte(data), Limits{})
	claudeCheckResult(t, "resumed.jsonl", FormatClaudeCodeJSONL, res)
	require.Equal(t, []Problem{{Severity: SeverityWarning, File: "resumed.jsonl", Line: 3, Message: `message uuid "u1" repeats an earlier line; the repeat is skipped (further repeats are skipped silently)`}}, res.Problems)
	c := res.Conversations[0]
	require.Equal(t, []string{"u1", "a1"}, claudeMessageIDs(c))
	require.Equal(t, "hi", c.Messages[1].Text)
	require.Equal(t, Tokens{Input: 2, Output: 3}, c.Tokens)
}

func TestParseClaudeCodeTitleFallbacks(t *testing.T) {
	t.Parallel()
	lines := []string{
		`{"type":"user","sessionId":"s-3","uuid":"u1","isMeta":true,"message":{"role":"user","content":"<local-command-caveat>Caveat: generated by local commands</local-command-caveat>"}}`,
		`{"type":"user","sessionId":"s-3","uuid":"u2","message":{"role":"user","content":"<command-name>/clear</command-name>\n<command-message>clear</command-message>"}}`,
		`{"type":"user","sessionId":"s-3","uuid":"u3","message":{"role":"user","content":[{"type":"text","text":"<ide_opened_file>The user opened src/a.go</ide_opened_file>"},{"type":"text","text":"Please   rewrite the parser so that it streams lines instead of reading the whole file into memory at once, keeping errors per line"}]}}`,
	}
	res := parseClaudeCode("s-3.jsonl", []byte(strings.Join(lines, "\n")), Limits{})
	c := res.Conversations[0]
	require.Equal(t, "Please rewrite the parser so that it streams lines instead of reading the whole…", c.Title,
		"meta lines, slash commands and IDE context are no prompt; whitespace collapsed, cut at a word")
	require.Equal(t, []Role{RoleSystem, RoleUser, RoleUser}, claudeRoles(c))
}

func TestClaudeCodeCorpus(t *testing.T) {
	t.Parallel()
	root := "../../../shared/corpus"
	dir := filepath.Join(root, "claude_code")
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
		if strings.HasSuffix(base, ".meta.json") {
			require.False(t, sniffClaudeCode(f, head), "%s: a subagent .meta.json is not a transcript", base)
			t.Logf("%s: .meta.json companion, not sniffed (skipped by the importer)", base)
			continue
		}
		require.True(t, sniffClaudeCode(f, head), base)
		require.False(t, sniffCursorAgent(f, head), base)
		res := parseClaudeCode(f, data, Limits{})
		claudeCheckResult(t, f, FormatClaudeCodeJSONL, res)
		require.False(t, res.HasErrors(), "%s: %+v", base, res.Problems)
		require.Len(t, res.Conversations, 1, base)
		c := res.Conversations[0]
		lines := strings.Count(string(data), "\n") + 1
		calls := 0
		for _, m := range c.Messages {
			calls += len(m.ToolCalls)
			require.Contains(t, []Role{RoleUser, RoleAssistant, RoleSystem}, m.Role)
			require.Positive(t, m.Line)
		}
		require.NotEmpty(t, c.Messages, base)
		require.LessOrEqual(t, len(c.Messages), lines, base)
		require.LessOrEqual(t, calls, lines, base)
		require.GreaterOrEqual(t, c.Tokens.Input+c.Tokens.Output, int64(0))
		if c.ParentExternalID != "" {
			require.True(t, strings.HasPrefix(c.ExternalID, c.ParentExternalID+"/agent-"), base)
		}
		t.Logf("%s: id=%s parent=%q title=%q msgs=%d tools=%d branches=%v models=%v version=%s tokens=%d/%d/%d/%d warnings=%d",
			base, c.ExternalID, c.ParentExternalID, c.Title, len(c.Messages), calls, c.GitBranches, c.Models, c.ToolVersion,
			c.Tokens.Input, c.Tokens.Output, c.Tokens.CacheRead, c.Tokens.CacheWrite, len(res.Problems))
	}

}

func FuzzClaudeCode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(claudeTestdata, "*.jsonl"))
	sub, _ := filepath.Glob(filepath.Join(claudeTestdata, "*", "subagents", "*"))
	for _, s := range append(seeds, sub...) {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Both identities: a session file and a subagent file.
		for _, name := range []string{"fuzz/session.jsonl", "fuzz/s/subagents/agent-f00.jsonl"} {
			_ = sniffClaudeCode(name, data)
			res := parseClaudeCode(name, data, Limits{MaxLineBytes: 1 << 16})
			claudeCheckResult(t, name, FormatClaudeCodeJSONL, res)
		}
	})
}
