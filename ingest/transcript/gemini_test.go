package transcript

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const geminiCorpusDir = "../../../shared/corpus/gemini"

func geminiFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "gemini", name))
	require.NoError(t, err)
	return data
}

// geminiParseFixture parses a fixture with the parser its extension names.
func geminiParseFixture(t *testing.T, name string) Result {
	t.Helper()
	data := geminiFixture(t, name)
	if strings.HasSuffix(name, ".jsonl") {
		res := parseGeminiJSONL(name, data, Limits{})
		require.Equal(t, FormatGeminiJSONL, res.Format)
		return res
	}
	res := parseGeminiJSON(name, data, Limits{})
	require.Equal(t, FormatGeminiJSON, res.Format)
	return res
}

func TestGeminiJSONSession(t *testing.T) {
	t.Parallel()
	res := geminiParseFixture(t, "session-2025-11-03T14-22-5f1e2d3c.json")
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, ToolGemini, c.Tool)
	require.Equal(t, FormatGeminiJSON, c.Format)
	require.Empty(t, c.ToolVersion)
	require.Equal(t, "5f1e2d3c-8a7b-4c6d-9e0f-1a2b3c4d5e6f", c.ExternalID)
	require.Equal(t, "Make the kettle beep twice when it boils @internal/alarm/beep.go", c.Title)
	require.Equal(t, "/home/dev/src/kettle", c.Cwd, "recovered from projectHash")
	require.Equal(t, []string{"gemini-2.5-pro", "gemini-2.5-flash"}, c.Models)
	require.Equal(t, codexTime(t, "2025-11-03T14:22:10Z"), c.StartedAt)
	require.Equal(t, codexTime(t, "2025-11-03T14:25:40.500Z"), c.EndedAt)
	require.Equal(t, Tokens{Input: 24232, Output: 315, CacheRead: 16196, Reasoning: 108}, c.Tokens)

	require.Equal(t, []string{
		"a0e1c2d3-0001-4000-8000-000000000001 user",
		"a0e1c2d3-0002-4000-8000-000000000002 assistant",
		"a0e1c2d3-0003-4000-8000-000000000003 assistant",
		"a0e1c2d3-0004-4000-8000-000000000004 assistant",
		"a0e1c2d3-0005-4000-8000-000000000005 system",
		"a0e1c2d3-0006-4000-8000-000000000006 user",
		"a0e1c2d3-0007-4000-8000-000000000007 system",
		"a0e1c2d3-0008-4000-8000-000000000008 assistant",
	}, codexOutline(c.Messages))
	m := c.Messages
	require.Equal(t, []int{7, 13, 92, 164, 236, 242, 248, 254}, []int{m[0].Line, m[1].Line, m[2].Line, m[3].Line, m[4].Line, m[5].Line, m[6].Line, m[7].Line})
	require.True(t, strings.HasPrefix(m[0].Text, "Make the kettle beep twice when it boils @internal/alarm/beep.go\n--- Content from referenced files ---\n"))

	require.Equal(t, "I'll read the alarm package first.", m[1].Text)
	require.Equal(t, "Locating the buzzer\nThe beep lives in internal/alarm; I should read it before editing.\n\nChecking callers\nBoil detection probably calls Beep once.", m[1].Thinking)
	require.Equal(t, "gemini-2.5-pro", m[1].Model)
	require.Equal(t, Tokens{Input: 5120, Output: 40, Reasoning: 88}, m[1].Tokens)
	require.Equal(t, codexTime(t, "2025-11-03T14:22:15.500Z"), m[1].Timestamp)
	read, many := m[1].ToolCalls[0], m[1].ToolCalls[1]
	require.Equal(t, "read_file-1762179735500-aa01", read.ExternalID)
	require.Equal(t, "read_file", read.Name)
	require.Equal(t, `{"absolute_path":"/home/dev/src/kettle/internal/alarm/beep.go"}`, read.Input)
	require.Equal(t, []string{"/home/dev/src/kettle/internal/alarm/beep.go"}, read.FilesRead)
	require.Equal(t, "package alarm\n\n// Beep sounds the buzzer once.\nfunc Beep() { buzz(200) }\n", read.Output)
	require.Equal(t, []string{"internal/alarm/*.go", "README.md"}, many.FilesRead)

	require.Equal(t, Tokens{Input: 6112, Output: 210, CacheRead: 4096}, m[2].Tokens, "tool prompt tokens count as input")
	edit, write := m[2].ToolCalls[0], m[2].ToolCalls[1]
	require.Equal(t, []string{"/home/dev/src/kettle/internal/alarm/beep.go"}, edit.FilesWritten)
	require.Equal(t, "Successfully modified file: /home/dev/src/kettle/internal/alarm/beep.go (1 replacements).", edit.Output)
	require.Equal(t, []string{"/home/dev/src/kettle/internal/alarm/beep_test.go"}, write.FilesWritten)

	shell, ls := m[3].ToolCalls[0], m[3].ToolCalls[1]
	require.Equal(t, []string{"go test ./internal/alarm/..."}, shell.Commands)
	require.False(t, shell.IsError)
	require.Equal(t, "list_directory", ls.Name)
	require.True(t, ls.IsError)
	require.Equal(t, "Path must be absolute: .", ls.Output)
	require.Empty(t, ls.FilesRead)

	require.Equal(t, "Request cancelled.", m[4].Text)
	require.Equal(t, "error: [API Error: quota exceeded for gemini-2.5-pro]", m[6].Text)
	require.Equal(t, "gemini-2.5-flash", m[7].Model)
	for _, msg := range m {
		require.False(t, msg.Sidechain)
	}
}

func TestGeminiJSONOneLineWithParts(t *testing.T) {
	t.Parallel()
	name := "session-2025-11-05T09-10-0c0ffee0.json"
	res := geminiParseFixture(t, name)
	require.Equal(t, []Problem{{SeverityWarning, name, 1, `message with unknown type "notice"; imported as a system message (expected user, gemini, info, error or warning)`}}, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "0c0ffee0-1234-4abc-9def-0123456789ab", c.ExternalID)
	require.Equal(t, "Rename the brew package to steep across the teapot service", c.Title, "the summary wins over the prompt")
	require.Equal(t, "/srv/teapot", c.Cwd)
	require.Equal(t, []string{"b1 user", "b2 assistant", "b3 tool", "b4 system", "b5 assistant"}, codexOutline(c.Messages))
	require.Equal(t, "rename the brew package to steep", c.Messages[0].Text)
	require.Equal(t, "Renaming with git mv.", c.Messages[1].Text)
	require.Equal(t, []string{"git mv internal/brew internal/steep"}, c.Messages[1].ToolCalls[0].Commands)
	require.Empty(t, c.Messages[2].Text)
	require.Equal(t, "Checkpoint saved.", c.Messages[3].Text)
	require.Equal(t, Tokens{Input: 900, Output: 12}, c.Tokens)
}

func TestGeminiJSONEmptySession(t *testing.T) {
	t.Parallel()
	res := geminiParseFixture(t, "empty-session.json")
	require.Empty(t, res.Conversations)
	require.Equal(t, []Problem{{SeverityWarning, "empty-session.json", 0, "session e0e0e0e0-0000-4000-8000-000000000000 has no messages; nothing imported (Gemini CLI creates the file before the first prompt)"}}, res.Problems)
}

func TestGeminiJSONTruncated(t *testing.T) {
	t.Parallel()
	res := geminiParseFixture(t, "truncated.json")
	require.Equal(t, []Problem{{SeverityError, "truncated.json", 164, "messages[3] is cut off: the file ends in the middle of it, probably copied while Gemini CLI was writing it; the 3 complete message(s) before it were imported"}}, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "5f1e2d3c-8a7b-4c6d-9e0f-1a2b3c4d5e6f", c.ExternalID)
	require.Len(t, c.Messages, 3)
	require.Equal(t, []string{"/home/dev/src/kettle/internal/alarm/beep_test.go"}, c.Messages[2].ToolCalls[1].FilesWritten)
}

func TestGeminiJSONMalformed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		data  string
		probs []Problem
		msgs  int
	}{
		{"", []Problem{{SeverityWarning, "x.json", 0, "file is empty; expected a Gemini CLI session JSON object"}}, 0},
		{`[1,2]`, []Problem{{SeverityError, "x.json", 1, "found a JSON array; expected a Gemini CLI session object {sessionId, projectHash, startTime, lastUpdated, messages[]}"}}, 0},
		{"{\n\"sessionId\": 7,\n\"messages\": [{\"id\":\"a\",\"type\":\"user\",\"content\":\"hi\"}]}", []Problem{
			{SeverityError, "x.json", 2, `field "sessionId" has an unexpected shape (json: cannot unmarshal number into Go value of type string); expected the Gemini CLI session fields to be strings (directories a list of strings)`},
			{SeverityWarning, "x.json", 0, "no sessionId recorded; using id sha256-51f5b65c8a211f5f5b758cee8bd2cbc2 derived from the first user prompt and its time"},
		}, 1},
		{"{\"sessionId\":\"s\",\"messages\":[{\"id\":3},{\"id\":\"b\",\"type\":\"user\",\"content\":\"ok\"}]} trailing", []Problem{
			{SeverityError, "x.json", 1, "messages[0] has an unexpected shape (json: cannot unmarshal number into Go struct field geminiMessage.id of type string); expected a message {id, timestamp, type, content, ...}; skipped"},
			{SeverityWarning, "x.json", 1, "data after the session object was ignored"},
		}, 1},
		{"{\"sessionId\":\"s\",\"messages\":{}}", []Problem{
			{SeverityError, "x.json", 1, "messages is \"{\", not a list; expected messages to be a JSON array of message objects; no messages imported"},
			{SeverityWarning, "x.json", 0, "session s has no messages; nothing imported (Gemini CLI creates the file before the first prompt)"},
		}, 0},
		{"{\"sessionId\":\"s\",\"messages\":[{\"id\":\"a\",\"type\":\"user\",\"content\":\"hi\"} {\"id\":\"b\"}]}", []Problem{
			{SeverityError, "x.json", 1, "invalid JSON (expected comma after array element); expected a Gemini CLI session object; the 1 message(s) before this point were imported"},
		}, 1},
	} {
		res := parseGeminiJSON("x.json", []byte(tc.data), Limits{})
		require.Equal(t, tc.probs, res.Problems, tc.data)
		if tc.msgs == 0 {
			require.Empty(t, res.Conversations, tc.data)
			continue
		}
		require.Len(t, res.Conversations, 1, tc.data)
		require.Len(t, res.Conversations[0].Messages, tc.msgs, tc.data)
	}
}

func TestGeminiJSONLSession(t *testing.T) {
	t.Parallel()
	name := "session-2025-11-04T08-00-7a8b9c0d.jsonl"
	res := geminiParseFixture(t, name)
	require.Equal(t, []Problem{
		{SeverityWarning, name, 10, `session rewound to before message "u2": 2 message(s) from there on are not imported`},
		{SeverityWarning, name, 14, "unknown record with keys [checkpoint tag]; skipped (expected session metadata, a message with an id, $set or $rewindTo)"},
		{SeverityError, name, 15, "invalid JSON (unexpected end of JSON input); expected one Gemini CLI session record (a JSON object) per line"},
		{SeverityError, name, 16, "last line is truncated (invalid JSON: unexpected end of JSON input); expected a complete JSON object, the file was probably copied while Gemini CLI was writing it"},
	}, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, FormatGeminiJSONL, c.Format)
	require.Equal(t, "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", c.ExternalID)
	require.Equal(t, "Teapot API status code fix", c.Title)
	require.Equal(t, "/srv/teapot", c.Cwd)
	require.Equal(t, codexTime(t, "2025-11-04T08:00:00Z"), c.StartedAt)
	require.Equal(t, codexTime(t, "2025-11-04T08:03:00Z"), c.EndedAt, "lastUpdated from the last $set")
	require.Equal(t, []string{"u1 user", "g1 assistant", "g2 assistant", "u3 user", "g4 assistant"}, codexOutline(c.Messages))
	require.Equal(t, Tokens{Input: 9400, Output: 59, CacheRead: 7096, Reasoning: 25}, c.Tokens)

	g1 := c.Messages[1]
	require.Equal(t, 5, g1.Line, "the rewritten record replaces the first one in place")
	require.Equal(t, Tokens{Input: 3000, Output: 20, CacheRead: 1024, Reasoning: 15}, g1.Tokens)
	require.Equal(t, "Reading the handler\nFind where 418 comes from.", g1.Thinking)
	require.Equal(t, "func Brew(w http.ResponseWriter) { w.WriteHeader(http.StatusTeapot) }", g1.ToolCalls[0].Output)
	require.Equal(t, []string{"/srv/teapot/api/handler.go"}, g1.ToolCalls[0].FilesRead)

	g4 := c.Messages[4]
	require.Equal(t, []string{"/srv/teapot/api/handler.go"}, g4.ToolCalls[0].FilesWritten)
	require.Equal(t, []string{"go test ./api/..."}, g4.ToolCalls[1].Commands)
}

func TestGeminiJSONLWithoutMetadata(t *testing.T) {
	t.Parallel()
	res := geminiParseFixture(t, "no-metadata.jsonl")
	require.Equal(t, []Problem{{SeverityWarning, "no-metadata.jsonl", 0, "no sessionId recorded (no session metadata line); using id sha256-fbbc8d0beb092b208c261b2aa384dd01 derived from the first user prompt and its time"}}, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "sha256-fbbc8d0beb092b208c261b2aa384dd01", c.ExternalID)
	require.Equal(t, "add a health check endpoint", c.Title)
	require.Empty(t, c.Cwd, "no projectHash to check paths against")
	require.Equal(t, codexTime(t, "2025-11-07T12:00:00Z"), c.StartedAt)
	require.Equal(t, codexTime(t, "2025-11-07T12:00:21Z"), c.EndedAt)
	require.Equal(t, []string{"/srv/teapot/api/health.go"}, c.Messages[1].ToolCalls[0].FilesWritten)

	// The derived id depends on content, not on the file name.
	again := parseGeminiJSONL("elsewhere/copy.jsonl", geminiFixture(t, "no-metadata.jsonl"), Limits{})
	require.Equal(t, c.ExternalID, again.Conversations[0].ExternalID)
}

func TestGeminiJSONLSubagent(t *testing.T) {
	t.Parallel()
	name := "/home/dev/.gemini/tmp/2f48/chats/7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d/3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4.jsonl"
	res := parseGeminiJSONL(name, geminiFixture(t, "subagent.jsonl"), Limits{})
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "3c2b1a09-8f7e-4d6c-b5a4-93827160f5e4", c.ExternalID)
	require.Equal(t, "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d", c.ParentExternalID)
	require.Equal(t, "/srv/teapot", c.Cwd, "from the recorded directories")
	require.Equal(t, []string{"s1 user", "s2 assistant"}, codexOutline(c.Messages))
	for _, m := range c.Messages {
		require.True(t, m.Sidechain)
	}
	require.Empty(t, c.Messages[1].ToolCalls[0].FilesRead, "glob lists, it does not read")
}

func TestGeminiJSONLEmpty(t *testing.T) {
	t.Parallel()
	res := geminiParseFixture(t, "metadata-only.jsonl")
	require.Empty(t, res.Conversations)
	require.Equal(t, []Problem{{SeverityWarning, "metadata-only.jsonl", 0, "session 9d9d9d9d-0000-4000-8000-000000000009 has no messages; nothing imported (Gemini CLI creates the file before the first prompt)"}}, res.Problems)

	res = geminiParseFixture(t, "empty.jsonl")
	require.Empty(t, res.Conversations)
	require.Equal(t, []Problem{{SeverityWarning, "empty.jsonl", 0, "file is empty; expected Gemini CLI session records (one JSON object per line)"}}, res.Problems)
}

func TestGeminiJSONLUpdates(t *testing.T) {
	t.Parallel()
	data := strings.Join([]string{
		`{"sessionId":"s-1","projectHash":"abc","startTime":"2025-11-09T10:00:00Z","lastUpdated":"2025-11-09T10:00:00Z"}`,
		`{"id":"a","timestamp":"2025-11-09T10:00:01Z","type":"user","content":"first"}`,
		`{"id":"b","timestamp":"2025-11-09T10:00:02Z","type":"gemini","content":"reply"}`,
		`{"$set":{"messages":[{"id":"a","type":"user","content":"first (masked)"},{"type":"gemini","content":[{"text":"compressed"},{"functionCall":{"id":"fc1","name":"read_file","args":{"file_path":"go.mod"}}}]}]}}`,
		`{"id":"c","timestamp":"2025-11-09T10:00:03Z","type":"user","content":"second"}`,
		`{"$rewindTo":"zzz"}`,
		`{"id":"d","timestamp":"2025-11-09T10:00:04Z","type":"user","content":"after rewind"}`,
		`{"$set":{"summary":5}}`,
		`"just a string"`,
	}, "\n") + "\n"
	res := parseGeminiJSONL("u.jsonl", []byte(data), Limits{})
	require.Equal(t, []Problem{
		{SeverityWarning, "u.jsonl", 6, `session rewound to before message "zzz": 3 message(s) from there on are not imported`},
		{SeverityError, "u.jsonl", 8, `$set field "summary" has an unexpected shape (json: cannot unmarshal number into Go value of type string); field ignored`},
		{SeverityError, "u.jsonl", 9, "found a JSON string, not a JSON object; expected one Gemini CLI session record (a JSON object) per line"},
	}, res.Problems)
	require.Len(t, res.Conversations, 1)
	require.Equal(t, []string{"d user"}, codexOutline(res.Conversations[0].Messages))
	require.Empty(t, res.Conversations[0].Cwd, "a projectHash that is not a sha256 is not checked")

	// Without the rewind, the $set history replaces what came before it and
	// a message without an id gets a line-based id.
	data = strings.Join(strings.Split(data, "\n")[:5], "\n")
	res = parseGeminiJSONL("u.jsonl", []byte(data), Limits{})
	require.Equal(t, []string{"a user", "L4 assistant", "c user"}, codexOutline(res.Conversations[0].Messages))
	require.Equal(t, "first (masked)", res.Conversations[0].Messages[0].Text)
	require.Equal(t, "first (masked)", res.Conversations[0].Title)
	fc := res.Conversations[0].Messages[1].ToolCalls[0]
	require.Equal(t, "read_file", fc.Name)
	require.Equal(t, []string{"go.mod"}, fc.FilesRead)
}

func TestSniffGemini(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(filepath.Join("testdata", "gemini"))
	require.NoError(t, err)
	for _, e := range entries {
		data := geminiFixture(t, e.Name())
		isJSON := strings.HasSuffix(e.Name(), ".json")
		require.Equal(t, isJSON, sniffGeminiJSON(e.Name(), data), e.Name())
		require.Equal(t, !isJSON && len(data) > 0, sniffGeminiJSONL(e.Name(), data), e.Name())
	}
	// A pretty-printed file cut by the sniffer's head limit is still JSON.
	main := geminiFixture(t, "session-2025-11-03T14-22-5f1e2d3c.json")
	require.True(t, sniffGeminiJSON("x.json", main[:400]))
	require.False(t, sniffGeminiJSONL("x.json", main[:400]))

	// A first record longer than the head is recognised by its prefix.
	require.True(t, sniffGeminiJSONL("x.jsonl", []byte(`{"id":"c1","timestamp":"2025-11-07T12:00:00.000Z","type":"user","content":"add a health`)))
	require.True(t, sniffGeminiJSONL("x.jsonl", []byte(`{"sessionId":"s","projectHash":"9daf`)))

	for _, other := range []string{
		`{"parentUuid":null,"type":"user","message":{"role":"user","content":"hi"},"uuid":"u1","timestamp":"2025-10-01T10:00:00Z"}`,
		`{"role":"user","message":{"content":[{"type":"text","text":"hi"}]}}`,
		`{"kind":0,"v":{"version":3,"sessionId":"s","requests":[]}}`,
		`{"timestamp":"2025-10-02T09:14:05.120Z","type":"session_meta","payload":{"id":"x"}}`,
		`{"version":3,"requesterUsername":"dev","sessionId":"s","requests":[]}`,
		`{"id":"m1","timestamp":"2025-11-04T08:00:05.000Z","type":"assistant","content":"hi"}`,
		"{\n  \"version\": 3,\n  \"requests\": [{\"message\": \"what do \\\"sessionId\\\", \\\"projectHash\\\" and \\\"messages\\\" mean",
		"not json",
		"",
	} {
		require.False(t, sniffGeminiJSON("x", []byte(other)), other)
		require.False(t, sniffGeminiJSONL("x", []byte(other)), other)
	}
	for _, f := range []string{"rollout-2025-10-02T09-14-05-0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.jsonl", "legacy.jsonl", "events-only.jsonl"} {
		data := codexFixture(t, f)
		require.False(t, sniffGeminiJSON(f, data), f)
		require.False(t, sniffGeminiJSONL(f, data), f)
	}
}

func TestGeminiCwd(t *testing.T) {
	t.Parallel()
	meta := geminiMeta{ProjectHash: "2f4818eca2bab72efb61f5fdbc90bb66faa48f9ebfc850e1debc034cfacf52d6"} // sha256("/srv/teapot")
	call := func(args string) geminiRec {
		return geminiRec{msg: geminiMessage{ToolCalls: []geminiToolCall{{Name: "read_file", Args: []byte(args)}}}}
	}
	require.Equal(t, "/srv/teapot", geminiCwd(meta, []geminiRec{call(`{"file_path":"/srv/teapot/a/b/c.go"}`)}))
	require.Equal(t, "", geminiCwd(meta, []geminiRec{call(`{"file_path":"relative/c.go"}`)}))
	require.Equal(t, "", geminiCwd(meta, []geminiRec{call(`{"file_path":"/elsewhere/c.go"}`)}))
	require.Equal(t, `C:\work`, geminiParent(`C:\work\kettle\`))
	require.Equal(t, "", geminiParent("/srv"))
	require.True(t, geminiIsAbs(`D:/x`))
	require.False(t, geminiIsAbs(`x/y`))
}

// TestGeminiCorpus runs both parsers over the real recordings collected in
// the shared corpus (absent in CI clones).
func TestGeminiCorpus(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(geminiCorpusDir)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		isJSONL := strings.HasSuffix(name, ".jsonl")
		if !isJSONL && !strings.HasSuffix(name, ".json") {
			continue
		}
		n++
		data, err := os.ReadFile(filepath.Join(geminiCorpusDir, name))
		require.NoError(t, err)
		head := data[:min(len(data), 64<<10)]
		require.Equal(t, !isJSONL, sniffGeminiJSON(name, head), name)
		require.Equal(t, isJSONL, sniffGeminiJSONL(name, head), name)
		var res Result
		if isJSONL {
			res = parseGeminiJSONL(name, data, Limits{})
		} else {
			res = parseGeminiJSON(name, data, Limits{})
		}
		require.False(t, res.HasErrors(), "%v", res.Problems)
		if isJSONL {
			// This sample was converted from a JSON recording and lost its
			// metadata line: the id is derived, with a warning.
			require.Len(t, res.Problems, 1, "%v", res.Problems)
			require.Contains(t, res.Problems[0].Message, "no sessionId recorded")
		} else {
			require.Empty(t, res.Problems)
		}
		require.Len(t, res.Conversations, 1)
		c := res.Conversations[0]
		require.NotEmpty(t, c.ExternalID)
		require.NotEmpty(t, c.Title)
		require.NotEmpty(t, c.Models)
		if !isJSONL {
			require.NotEmpty(t, c.Cwd, "projectHash matches a tool path's ancestor")
			require.Positive(t, c.Tokens.Input)
		}
		users, tools, reads, writes, cmds := 0, 0, 0, 0, 0
		for _, m := range c.Messages {
			require.NotEmpty(t, m.ExternalID)
			if m.Role == RoleUser {
				users++
			}
			for _, tc := range m.ToolCalls {
				tools++
				reads += len(tc.FilesRead)
				writes += len(tc.FilesWritten)
				cmds += len(tc.Commands)
			}
		}
		require.Positive(t, users)
		require.Positive(t, tools)
		t.Logf("%s: id=%s msgs=%d users=%d tools=%d cmds=%d reads=%d writes=%d tokens=%+v cwd=%s title=%q",
			name, c.ExternalID, len(c.Messages), users, tools, cmds, reads, writes, c.Tokens, c.Cwd, c.Title)
	}
	require.Positive(t, n)
}

func geminiFuzzSeeds(f *testing.F, ext string) {
	entries, err := os.ReadDir(filepath.Join("testdata", "gemini"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ext) {
			continue
		}
		data, err := os.ReadFile(filepath.Join("testdata", "gemini", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func geminiFuzzCheck(t *testing.T, name string, format Format, res Result) {
	for _, p := range res.Problems {
		if p.File != name {
			t.Fatalf("problem without file name: %+v", p)
		}
	}
	for _, c := range res.Conversations {
		if c.ExternalID == "" || c.Format != format {
			t.Fatalf("conversation without id or format: %+v", c)
		}
		codexRequireClean(t, c)
	}
}

func FuzzGeminiJSON(f *testing.F) {
	geminiFuzzSeeds(f, ".json")
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz/session.json"
		_ = sniffGeminiJSON(name, data)
		geminiFuzzCheck(t, name, FormatGeminiJSON, parseGeminiJSON(name, data, Limits{}))
	})
}

func FuzzGeminiJSONL(f *testing.F) {
	geminiFuzzSeeds(f, ".jsonl")
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz/session.jsonl"
		_ = sniffGeminiJSONL(name, data)
		geminiFuzzCheck(t, name, FormatGeminiJSONL, parseGeminiJSONL(name, data, Limits{MaxLineBytes: 1 << 16}))
	})
}

func TestGeminiTitleFromDisplayContent(t *testing.T) {
	t.Parallel()
	data := `{"sessionId":"s-2","projectHash":"x","messages":[
 {"id":"a","timestamp":"2025-11-10T09:00:00Z","type":"user","content":[{"text":"tidy @go.mod\n--- Content from referenced files ---\nmodule x\n"}],"displayContent":[{"text":"tidy @go.mod"}]},
 {"id":"b","timestamp":"2025-11-10T09:00:05Z","type":"gemini","content":"Done."}]}`
	res := parseGeminiJSON("d.json", []byte(data), Limits{})
	require.Empty(t, res.Problems)
	c := res.Conversations[0]
	require.Equal(t, "tidy @go.mod", c.Title)
	require.Equal(t, "tidy @go.mod\n--- Content from referenced files ---\nmodule x\n", c.Messages[0].Text, "the text keeps what the model saw")
	require.Equal(t, 2, c.Messages[0].Line)
	require.Equal(t, 3, c.Messages[1].Line)
}
