package transcript

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const specstoryFixtureDir = "testdata/specstory"

func specstoryFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(specstoryFixtureDir, name))
	require.NoError(t, err)
	return data
}

// specstoryParseFixture parses a fixture and requires exactly one
// conversation.
func specstoryParseFixture(t *testing.T, name string) (Result, Conversation) {
	t.Helper()
	res := parseSpecStory(name, specstoryFixture(t, name), Limits{})
	require.Equal(t, FormatSpecStory, res.Format)
	require.Len(t, res.Conversations, 1, "problems: %+v", res.Problems)
	return res, res.Conversations[0]
}

func specstoryUTC(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func specstoryRoles(msgs []Message) []Role {
	var out []Role
	for _, m := range msgs {
		out = append(out, m.Role)
	}
	return out
}

func specstoryToolNames(m Message) []string {
	var out []string
	for _, tc := range m.ToolCalls {
		out = append(out, tc.Name)
	}
	return out
}

func TestSniffSpecStory(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(specstoryFixtureDir)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	for _, e := range entries {
		data := specstoryFixture(t, e.Name())
		require.True(t, sniffSpecStory(e.Name(), data), e.Name())
		require.False(t, sniffAiderHistory(e.Name(), data), "aider sniffer must reject %s", e.Name())
	}
	aider, err := os.ReadFile("testdata/aider/multi-session.aider.chat.history.md")
	require.NoError(t, err)
	require.False(t, sniffSpecStory(".aider.chat.history.md", aider))

	require.False(t, sniffSpecStory("notes.md", []byte("# Notes\n\n_**User**_\n\nnot an export\n")), "a role header alone is not enough")
	require.True(t, sniffSpecStory("repo/.specstory/history/2025-01-01_10-00Z-x.md", []byte("# X (2025-01-01 10:00Z)\n\n_**User**_\n\nhi\n")))
	require.True(t, sniffSpecStory("x.md", []byte("<!-- cursor Session abc-123 (2025-01-01 10:00Z) -->\n\n# X\n\n_**User (2025-01-01 10:00Z)**_\n\nhi\n")))
	require.False(t, sniffSpecStory("x.jsonl", []byte(`{"type":"user","message":{"content":"_**User**_"}}`+"\n")))
	require.False(t, sniffSpecStory("empty.md", nil))
}

func TestParseSpecStoryLegacyCursor(t *testing.T) {
	t.Parallel()
	res, c := specstoryParseFixture(t, "2025-03-14_09-30-legacy-cursor-tools.md")
	require.Empty(t, res.Problems)

	firstUser := "the upload client gives up after one failure. add retries with backoff"
	sum := sha256.Sum256([]byte("2025-03-14 10:30:12\n" + firstUser))
	require.Equal(t, "specstory-"+hex.EncodeToString(sum[:16]), c.ExternalID)
	require.Equal(t, ToolCursor, c.Tool)
	require.Equal(t, FormatSpecStory, c.Format)
	require.Empty(t, c.ToolVersion)
	require.Equal(t, "Add retry to the upload client", c.Title)
	// file-name minute (UTC) refined by the zone-less title's seconds
	require.Equal(t, specstoryUTC("2025-03-14T09:30:12Z"), c.StartedAt)
	require.True(t, c.EndedAt.IsZero())
	require.Empty(t, c.Models)

	require.Equal(t, []Role{RoleUser, RoleAssistant, RoleUser, RoleAssistant}, specstoryRoles(c.Messages))
	u, a := c.Messages[0], c.Messages[1]
	require.Equal(t, "L5", u.ExternalID)
	require.Equal(t, 5, u.Line)
	require.Equal(t, firstUser, u.Text)
	require.Equal(t, "L11", a.ExternalID)
	require.Equal(t, "L5", a.ParentExternalID)
	require.Equal(t, 11, a.Line)
	require.Equal(t, "I added a `retry` helper and wrapped the upload call.\n\nNext I would add jitter.", a.Text)
	require.Equal(t, []string{"codebase_search", "read_file", "list_dir", "run_terminal_cmd", "fetch_rules", "edit_file", "edit_file", "todo_write"}, specstoryToolNames(a))

	require.Contains(t, a.ToolCalls[0].Input, `Searched codebase "upload client retry"`)
	require.Equal(t, []string{"pkg/upload/client.go"}, a.ToolCalls[1].FilesRead)
	require.Contains(t, a.ToolCalls[2].Input, "client_test.go")
	run := a.ToolCalls[3]
	require.Equal(t, []string{"go test ./pkg/upload/..."}, run.Commands)
	require.Equal(t, "go test ./pkg/upload/...", run.Input)
	require.Equal(t, "--- FAIL: TestUploadRetry (0.01s)\nFAIL", run.Output)
	require.Equal(t, "go-style", a.ToolCalls[4].Input)
	require.Contains(t, a.ToolCalls[4].Output, "wrap errors with %w")
	require.Equal(t, []string{"pkg/upload/client.go"}, a.ToolCalls[5].FilesWritten)
	require.NotContains(t, a.ToolCalls[5].Input, "undefined")
	require.Empty(t, a.ToolCalls[6].FilesWritten, "a bare diff block names no file")
	require.Equal(t, "- [x] Add retry helper\n- [ ] Add jitter", a.ToolCalls[7].Input)

	require.Equal(t, 101, c.Messages[2].Line)
	require.Equal(t, "thanks", c.Messages[2].Text)
	require.Equal(t, "Cancelled", c.Messages[3].Text)
}

func TestParseSpecStoryLegacyCopilotWithNote(t *testing.T) {
	t.Parallel()
	res, c := specstoryParseFixture(t, "2025-05-02-legacy-copilot-note.md")
	require.Empty(t, res.Problems)
	require.Equal(t, ToolCopilot, c.Tool, "#file: marks a VS Code Copilot export")
	require.Equal(t, "Rename the config loader", c.Title)
	firstUser := "rename `loadCfg` in #file:config.js to `loadConfig`"
	// no date in the title: the file-name date keys the id
	sum := sha256.Sum256([]byte("2025-05-02\n" + firstUser))
	require.Equal(t, "specstory-"+hex.EncodeToString(sum[:16]), c.ExternalID)
	require.Equal(t, specstoryUTC("2025-05-02T00:00:00Z"), c.StartedAt, "a bare date is used when nothing better is known")

	require.Equal(t, []Role{RoleSystem, RoleUser, RoleAssistant}, specstoryRoles(c.Messages))
	require.Equal(t, "NOTE TO SELF: this is the session where the loader got its new name.", c.Messages[0].Text)
	require.Equal(t, 5, c.Messages[0].Line)
	require.Equal(t, firstUser, c.Messages[1].Text)
	require.Equal(t, 7, c.Messages[1].Line)
	require.Equal(t, "L5", c.Messages[1].ParentExternalID)
	require.Empty(t, c.Messages[2].ToolCalls)
}

func TestParseSpecStoryVSCodeCopilot(t *testing.T) {
	t.Parallel()
	res, c := specstoryParseFixture(t, "2025-07-01_10-00Z-vscode-copilot.md")
	require.Empty(t, res.Problems)
	require.Equal(t, ToolCopilot, c.Tool)
	require.Equal(t, "3b9f2c1e-7a44-4d0b-9e51-2c6a8d0f1b77", c.ExternalID)
	require.Equal(t, "Squash my last three commits", c.Title)
	require.Equal(t, specstoryUTC("2025-07-01T10:00:00Z"), c.StartedAt)
	require.Equal(t, specstoryUTC("2025-07-01T10:09:00Z"), c.EndedAt)
	require.Equal(t, []string{"gpt-4.1", "claude-sonnet-4"}, c.Models)
	require.Len(t, c.Messages, 4)
	require.Equal(t, specstoryUTC("2025-07-01T10:02:00Z"), c.Messages[0].Timestamp)
	require.Equal(t, "gpt-4.1", c.Messages[1].Model)
	require.Equal(t, "Run an interactive rebase:\n\n```\ngit rebase -i HEAD~3\n```", c.Messages[1].Text)
	require.Equal(t, []int{7, 13, 23, 29}, []int{c.Messages[0].Line, c.Messages[1].Line, c.Messages[2].Line, c.Messages[3].Line})
}

func TestParseSpecStoryCursorSessionHeaderLocalTurnTimes(t *testing.T) {
	t.Parallel()
	res, c := specstoryParseFixture(t, "2025-08-11_14-05Z-cursor-session-header.md")
	require.Equal(t, []Problem{{Severity: SeverityWarning, File: "2025-08-11_14-05Z-cursor-session-header.md",
		Message: "turn times start 3h59m0s before the session start 2025-08-11T14:05:00Z; read as local times marked UTC and shifted by 4h0m0s"}}, res.Problems)
	require.Equal(t, ToolCursor, c.Tool)
	require.Equal(t, "0c7d1e55-45b1-4f3a-8a0e-93d5c4b2aa10", c.ExternalID)
	require.Equal(t, specstoryUTC("2025-08-11T14:05:00Z"), c.StartedAt)
	require.Equal(t, specstoryUTC("2025-08-11T14:20:00Z"), c.EndedAt)
	require.Equal(t, specstoryUTC("2025-08-11T14:06:00Z"), c.Messages[0].Timestamp)
	require.Equal(t, []string{"claude-4-sonnet"}, c.Models, `"default" names no model`)
	require.Empty(t, c.Messages[1].Model)
	// pre-v2 Cursor rendering: the bash block between separators is a tool call
	require.Equal(t, []string{"run_terminal_cmd"}, specstoryToolNames(c.Messages[1]))
	require.Equal(t, []string{"go test ./internal/datefmt -run TestFormatDate -count=5"}, c.Messages[1].ToolCalls[0].Commands)
	require.Equal(t, "ok  \texample.test/internal/datefmt\t0.004s", c.Messages[1].ToolCalls[0].Output)
}

func TestParseSpecStoryCursorV2Agent(t *testing.T) {
	t.Parallel()
	res, c := specstoryParseFixture(t, "2025-11-20_16-40Z-cursor-v2-agent.md")
	require.Empty(t, res.Problems)
	require.Equal(t, ToolCursor, c.Tool)
	require.Equal(t, "5e2a9b70-1c3d-4e8f-a6b5-7d9c0e1f2a3b", c.ExternalID)
	require.Equal(t, "Make the linter accept generated files", c.Title)
	require.Equal(t, []string{"gpt-5-codex"}, c.Models)
	require.Len(t, c.Messages, 2)
	a := c.Messages[1]
	require.Equal(t, 13, a.Line)
	require.Equal(t, "gpt-5-codex", a.Model)
	require.Equal(t, "**Checking the linter config for exclusions**", a.Thinking)
	require.Equal(t, "Generated code under `gen/` is now excluded & the linter is clean.", a.Text)
	require.Equal(t, []string{"read_file", "apply_patch", "run_terminal_cmd", "glob_file_search"}, specstoryToolNames(a))
	require.Equal(t, []string{"/home/dev/svc/.golangci.yml"}, a.ToolCalls[0].FilesRead)
	require.Equal(t, []string{"/home/dev/svc/.golangci.yml"}, a.ToolCalls[1].FilesWritten)
	require.Contains(t, a.ToolCalls[1].Input, `exclude-dirs: ["gen"]`, "tool bodies are HTML-unescaped")
	require.Equal(t, []string{"golangci-lint run ./..."}, a.ToolCalls[2].Commands)
	require.Equal(t, "golangci-lint run ./...", a.ToolCalls[2].Input)
	require.Equal(t, "0 issues & no warnings", a.ToolCalls[2].Output)
	require.Contains(t, a.ToolCalls[3].Input, `Searched codebase "*.pb.go"`)
	require.Empty(t, a.ToolCalls[3].FilesRead)
}

func TestParseSpecStoryCLIClaudeCode(t *testing.T) {
	t.Parallel()
	res, c := specstoryParseFixture(t, "cli-claude-code-session.md")
	require.Empty(t, res.Problems)
	require.Equal(t, ToolClaudeCode, c.Tool)
	require.Equal(t, "7f3e2d1c-0b9a-4c8d-8e7f-6a5b4c3d2e1f", c.ExternalID)
	require.Equal(t, "write a hello script and run it", c.Title, "a title that is only a time falls back to the first prompt")
	require.Equal(t, specstoryUTC("2026-01-05T08:15:30Z"), c.StartedAt)
	require.Equal(t, specstoryUTC("2026-01-05T08:15:50Z"), c.EndedAt)
	require.Equal(t, []string{"claude-sonnet-4-5", "claude-haiku-4-5"}, c.Models)

	var ids []string
	for _, m := range c.Messages {
		ids = append(ids, m.ExternalID)
	}
	require.Equal(t, []string{"msg-u1", "msg-a1", "msg-a2", "msg-a3", "L55", "L61", "L71"}, ids)
	require.Equal(t, "msg-a2", c.Messages[3].ParentExternalID)
	require.Equal(t, "A tiny shell script is enough.", c.Messages[1].Thinking)
	require.Equal(t, specstoryUTC("2026-01-05T08:15:34Z"), c.Messages[1].Timestamp)

	write := c.Messages[2].ToolCalls[0]
	require.Equal(t, "Write", write.Name)
	require.Equal(t, []string{"./hello.sh"}, write.FilesWritten)
	require.Equal(t, "File created successfully at: ./hello.sh", write.Output)
	require.False(t, write.IsError)

	bash := c.Messages[3].ToolCalls[0]
	require.Equal(t, "Bash", bash.Name)
	require.Equal(t, []string{"sh ./hello.sh"}, bash.Commands)
	require.True(t, bash.IsError)
	require.Equal(t, "sh: ./hello.sh: Permission denied", bash.Output)

	require.True(t, c.Messages[4].Sidechain)
	require.Equal(t, RoleUser, c.Messages[4].Role)
	require.True(t, c.Messages[5].Sidechain)
	require.Equal(t, "It prints hello.", c.Messages[5].Text)
	require.Equal(t, []string{"./hello.sh"}, c.Messages[5].ToolCalls[0].FilesRead)
	require.False(t, c.Messages[6].Sidechain)
}

func TestParseSpecStoryEmptySession(t *testing.T) {
	t.Parallel()
	name := "2025-09-30_08-00Z-empty-assistant.md"
	res := parseSpecStory(name, specstoryFixture(t, name), Limits{})
	require.Empty(t, res.Conversations)
	require.Equal(t, []Problem{{Severity: SeverityWarning, File: name, Message: "no non-empty User/Assistant turns found; no conversation imported"}}, res.Problems)

	res = parseSpecStory("blank.md", nil, Limits{})
	require.Empty(t, res.Conversations)
	require.Equal(t, []Problem{{Severity: SeverityWarning, File: "blank.md", Message: "file is empty; expected a SpecStory markdown history"}}, res.Problems)
}

func TestParseSpecStoryUnknownRoleAndTruncatedToolUse(t *testing.T) {
	t.Parallel()
	name := "2025-10-02_12-00Z-edge-unknown-role-truncated.md"
	res, c := specstoryParseFixture(t, name)
	require.Equal(t, []Problem{
		{Severity: SeverityWarning, File: name, Line: 13, Message: `unknown turn header "_**Reviewer**_"; expected _**User**_, _**Assistant**_ or _**Agent**_; imported as a system message`},
		{Severity: SeverityWarning, File: name, Line: 21, Message: "<tool-use> block is not closed (no </tool-use> before the end of the file); file may be truncated; kept what was there"},
	}, res.Problems)
	require.Equal(t, []Role{RoleUser, RoleSystem, RoleAssistant}, specstoryRoles(c.Messages))
	require.Equal(t, "looks fine to me", c.Messages[1].Text)
	require.Equal(t, []string{"rm -rf build/tmp"}, c.Messages[2].ToolCalls[0].Commands)
}

func TestParseSpecStoryStableDerivedID(t *testing.T) {
	t.Parallel()
	name := "2025-03-14_09-30-legacy-cursor-tools.md"
	data := specstoryFixture(t, name)
	base := parseSpecStory(name, data, Limits{}).Conversations[0]

	// renamed file, grown session: same id and same ids for old messages
	grown := append(append([]byte{}, data...), []byte("_**User**_\n\none more thing\n\n---\n\n_**Assistant**_\n\nSure.\n\n---\n")...)
	again := parseSpecStory("renamed.md", grown, Limits{}).Conversations[0]
	require.Equal(t, base.ExternalID, again.ExternalID)
	require.Len(t, again.Messages, len(base.Messages)+2)
	for i, m := range base.Messages {
		require.Equal(t, m.ExternalID, again.Messages[i].ExternalID)
	}

	other := strings.Replace(string(data), "add retries with backoff", "add a timeout", 1)
	require.NotEqual(t, base.ExternalID, parseSpecStory(name, []byte(other), Limits{}).Conversations[0].ExternalID)
}

func TestParseSpecStoryOverlongLine(t *testing.T) {
	t.Parallel()
	name := "2025-07-01_10-00Z-vscode-copilot.md"
	data := strings.Replace(string(specstoryFixture(t, name)), "and if I already pushed?", "and if I already pushed? "+strings.Repeat("x", 200), 1)
	res := parseSpecStory(name, []byte(data), Limits{MaxLineBytes: 120})
	require.Len(t, res.Problems, 1)
	require.Equal(t, SeverityError, res.Problems[0].Severity)
	require.Equal(t, 25, res.Problems[0].Line)
	require.Len(t, res.Conversations, 1)
	require.Len(t, res.Conversations[0].Messages, 3, "the turn whose only line was dropped is empty; the rest is kept")
}

func TestSpecStoryCorpus(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "specstory")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	emptyOK := map[string]string{
		// a cursor session header and one empty Assistant turn
		"daviswhitehead_chef-chopsky__2025-09-24_23-56Z-implement-typing-indicator-component.md": "no non-empty User/Assistant turns found; no conversation imported",
	}
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		n++
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		require.True(t, sniffSpecStory(e.Name(), data), e.Name())
		require.False(t, sniffAiderHistory(e.Name(), data), e.Name())
		res := parseSpecStory(e.Name(), data, Limits{})
		require.False(t, res.HasErrors(), "%s: %+v", e.Name(), res.Problems)
		for _, p := range res.Problems {
			require.Equal(t, e.Name(), p.File)
		}
		if want, ok := emptyOK[e.Name()]; ok {
			require.Empty(t, res.Conversations, e.Name())
			require.Len(t, res.Problems, 1)
			require.Equal(t, want, res.Problems[0].Message)
			t.Logf("%s: no conversation (%s)", e.Name(), want)
			continue
		}
		require.Len(t, res.Conversations, 1, e.Name())
		c := res.Conversations[0]
		require.NotEmpty(t, c.ExternalID)
		require.NotEmpty(t, c.Title)
		require.False(t, c.StartedAt.IsZero(), e.Name())
		users, assistants, calls := 0, 0, 0
		for _, m := range c.Messages {
			require.Positive(t, m.Line)
			switch m.Role {
			case RoleUser:
				users++
			case RoleAssistant:
				assistants++
			}
			calls += len(m.ToolCalls)
		}
		require.Positive(t, users, e.Name())
		require.Positive(t, assistants, e.Name())
		t.Logf("%s: tool=%s id=%s title=%q started=%s msgs=%d (user %d, assistant %d) tool_calls=%d models=%v warnings=%d",
			e.Name(), c.Tool, c.ExternalID, c.Title, c.StartedAt.Format(time.RFC3339), len(c.Messages), users, assistants, calls, c.Models, len(res.Problems))
	}
	require.Positive(t, n)
}

func FuzzSpecStory(f *testing.F) {
	entries, err := os.ReadDir(specstoryFixtureDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(specstoryFixtureDir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("_**User**_\n\n<tool-use x\n---\n\n_**Assistant**_\n<details>\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz.md"
		res := parseSpecStory(name, data, Limits{MaxLineBytes: 4096})
		for _, p := range res.Problems {
			require.Equal(t, name, p.File)
			require.NotContains(t, p.Message, "internal parser error")
		}
		for _, c := range res.Conversations {
			require.NotEmpty(t, c.ExternalID)
			require.Equal(t, FormatSpecStory, c.Format)
			require.NotEmpty(t, c.Messages)
		}
		_ = sniffSpecStory(name, data)
	})
}
