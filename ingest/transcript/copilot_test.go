package transcript

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const copilotFixtures = "testdata/copilot"

func readCopilotFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(copilotFixtures, name))
	require.NoError(t, err)
	return data
}

func copilotHead(data []byte) []byte {
	if len(data) > 64<<10 {
		return data[:64<<10]
	}
	return data
}

func copilotMs(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// copilotProblems renders problems as "severity L<line>: message" so that
// tests compare them exactly.
func copilotProblems(ps []Problem) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%s L%d: %s", p.Severity, p.Line, p.Message))
	}
	return out
}

// copilotSniffers lists this file's sniffers by the format they claim.
var copilotSniffers = map[Format]func(string, []byte) bool{
	FormatCopilotSession: sniffCopilotSession,
	FormatCopilotJSONL:   sniffCopilotJSONL,
	FormatCopilotExport:  sniffCopilotExport,
}

var copilotParsers = map[Format]Parser{
	FormatCopilotSession: parseCopilotSession,
	FormatCopilotJSONL:   parseCopilotJSONL,
	FormatCopilotExport:  parseCopilotExport,
}

// copilotSniffAll returns the formats whose sniffer accepts the file.
func copilotSniffAll(name string, data []byte) []Format {
	var out []Format
	for _, f := range []Format{FormatCopilotSession, FormatCopilotJSONL, FormatCopilotExport} {
		if copilotSniffers[f](name, copilotHead(data)) {
			out = append(out, f)
		}
	}
	return out
}

func TestSniffCopilot(t *testing.T) {
	t.Parallel()
	fixtures := map[string]Format{
		"session_agent.json":                        FormatCopilotSession,
		"session_empty.json":                        FormatCopilotSession,
		"8d2f6b1a-4c3e-4f5a-9b7d-1e2c3d4e5f60.json": FormatCopilotSession,
		"session.jsonl":                             FormatCopilotJSONL,
		"export_chat.json":                          FormatCopilotExport,
		"export_in_progress.json":                   FormatCopilotExport,
		"export_pending.json":                       FormatCopilotExport,
		"export_empty.json":                         FormatCopilotExport,
	}
	for name, want := range fixtures {
		data := readCopilotFixture(t, name)
		require.Equal(t, []Format{want}, copilotSniffAll(name, data), name)
		// Only the first bytes of a big file are sniffed: a head cut
		// mid-request must still be recognised.
		require.Equal(t, []Format{want}, copilotSniffAll(name, data[:min(len(data), 700)]), name+" (700-byte head)")
	}

	others := map[string]string{
		"claude.jsonl": `{"type":"user","uuid":"u1","sessionId":"s1","message":{"role":"user","content":"hi"}}` + "\n",
		"codex.jsonl":  `{"timestamp":"2025-01-01T00:00:00Z","type":"session_meta","payload":{"id":"x"}}` + "\n",
		"gemini.json":  `{"sessionId":"g1","projectHash":"ab","startTime":"2025-01-01T00:00:00Z","messages":[]}`,
		"generic.json": `{"source":"generic","external_id":"x","messages":[{"role":"user","text":"hi"}]}`,
		"log.jsonl":    `{"kind":0,"v":{"editor":"settings","items":[]}}` + "\n",
		"array.json":   `[{"requests":[]}]`,
		"notes.md":     "# Notes\n\nrequests and version\n",
		"empty.json":   "",
	}
	for name, content := range others {
		require.Empty(t, copilotSniffAll(name, []byte(content)), name)
	}
}

func TestParseCopilotSession(t *testing.T) {
	t.Parallel()
	const name = "session_agent.json"
	res := parseCopilotSession(name, readCopilotFixture(t, name), Limits{})
	require.Equal(t, FormatCopilotSession, res.Format)
	require.Equal(t, []string{
		`warning L181: response part kind "futureWidget" is not known; skipped (its text, if any, is not imported)`,
		`warning L586: request request_9e5a1c32-4f6d-4a8b-b0c2-7d9f1a3c5e42 failed: Sorry, your request failed. Please try again.`,
	}, copilotProblems(res.Problems))
	for _, p := range res.Problems {
		require.Equal(t, name, p.File)
	}
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, ToolCopilot, c.Tool)
	require.Equal(t, FormatCopilotSession, c.Format)
	require.Equal(t, "0.32.4", c.ToolVersion)
	require.Equal(t, "5f0c3a8e-2b7d-4c1e-9a44-0e6f2d9b7c13", c.ExternalID)
	require.Equal(t, "Tide table parser drops last row", c.Title)
	require.Equal(t, "ana-lopes", c.User)
	require.Equal(t, "/home/ana/src/tidepool", c.Cwd)
	require.Equal(t, "https://github.com/ana-lopes/tidepool", c.GitRemote)
	require.Equal(t, []string{"fix/last-row"}, c.GitBranches)
	require.Equal(t, []string{"claude-sonnet-4.5"}, c.Models)
	require.Equal(t, copilotMs(1761900000000), c.StartedAt)
	require.Equal(t, copilotMs(1761900400900), c.EndedAt)
	require.Equal(t, Tokens{Input: 8100, Output: 120}, c.Tokens)

	require.Len(t, c.Messages, 6)
	var ids []string
	for _, m := range c.Messages {
		ids = append(ids, string(m.Role)+":"+m.ExternalID)
	}
	require.Equal(t, []string{
		"user:request_0b1d8c52-6f0e-4a7b-9d1e-3c5a7e9f1b20",
		"assistant:request_0b1d8c52-6f0e-4a7b-9d1e-3c5a7e9f1b20/response",
		"user:request_7c3e9a10-2d4b-4f6e-8a1c-5b7d9f0e2a31",
		"assistant:request_7c3e9a10-2d4b-4f6e-8a1c-5b7d9f0e2a31/response",
		"user:request_9e5a1c32-4f6d-4a8b-b0c2-7d9f1a3c5e42",
		"assistant:request_9e5a1c32-4f6d-4a8b-b0c2-7d9f1a3c5e42/response",
	}, ids)

	u1, a1 := c.Messages[0], c.Messages[1]
	require.Equal(t, "Why does the tide table parser skip the last row?", u1.Text)
	require.Equal(t, copilotMs(1761900065000), u1.Timestamp)
	require.Equal(t, "fix/last-row", u1.GitBranch)
	require.Equal(t, 17, u1.Line)
	require.Equal(t, u1.ExternalID, a1.ParentExternalID)
	require.Equal(t, "Looking at `table.go`, the loop in `parseRows` stops at `len(lines)-1`, so the final row is never read. It was probably meant to skip a trailing blank line.", a1.Text)
	require.Equal(t, "The loop bound in parseRows uses len(lines)-1, so the final line is never visited.", a1.Thinking)
	require.Equal(t, copilotMs(1761900065000+6400), a1.Timestamp)
	require.Equal(t, "claude-sonnet-4.5", a1.Model)
	require.Equal(t, Tokens{Input: 8100, Output: 120}, a1.Tokens)
	require.Equal(t, []ToolCall{{
		ExternalID: "request_0b1d8c52-6f0e-4a7b-9d1e-3c5a7e9f1b20/context",
		Name:       "context",
		FilesRead:  []string{"/home/ana/src/tidepool/parser/table.go"},
	}}, a1.ToolCalls)

	a2 := c.Messages[3]
	require.Equal(t, 181, a2.Line)
	// The empty ``` pair around the edit's code block is dropped.
	require.Equal(t, "I'll read the parser first. The loop now covers every row and `go test ./parser/...` passes.", a2.Text)
	require.Empty(t, a2.Thinking)
	require.Equal(t, copilotMs(1761900130000+21500), a2.Timestamp)
	require.Equal(t, []ToolCall{
		{
			ExternalID: "3a9c1e44-5b6d-4e8f-9a0b-1c2d3e4f5a61",
			Name:       "copilot_readFile",
			Input:      `{"filePath": "/home/ana/src/tidepool/parser/table.go", "startLine": 30, "endLine": 60}`,
			Output:     "```go\nfunc parseRows(lines []string) []Row {\n```",
			FilesRead:  []string{"/home/ana/src/tidepool/parser/table.go"},
		},
		{
			ExternalID:   "4b0d2f55-6c7e-4f90-8b1c-2d3e4f5a6b72",
			Name:         "copilot_replaceString",
			Input:        `{"filePath": "/home/ana/src/tidepool/parser/table.go", "oldString": "\tfor i := 0; i < len(lines)-1; i++ {", "newString": "\tfor i := 0; i < len(lines); i++ {"}`,
			Output:       "The following files were successfully edited:\n/home/ana/src/tidepool/parser/table.go\n",
			FilesWritten: []string{"/home/ana/src/tidepool/parser/table.go"},
		},
		{
			ExternalID: "6d2f4177-8e90-4b12-8d3e-4f5a6b7c8d94",
			Name:       "run_in_terminal",
			Input:      `{"command": "go test ./parser/...", "explanation": "Run the parser tests", "isBackground": false}`,
			Output:     "ok  \tgithub.com/ana-lopes/tidepool/parser\t0.014s\n",
			Commands:   []string{"go test ./parser/..."},
		},
	}, a2.ToolCalls)

	// A failed request keeps the prompt and says why there is no answer.
	a3 := c.Messages[5]
	require.Equal(t, "Error: Sorry, your request failed. Please try again.", a3.Text)
	require.Equal(t, 586, a3.Line)
	require.Empty(t, a3.ToolCalls)
}

func TestParseCopilotSessionTruncated(t *testing.T) {
	t.Parallel()
	// A chatSessions file cut inside its second request: the first request
	// is kept, and the session id comes from the file name since the
	// sessionId key (after requests[]) is lost.
	const name = "8d2f6b1a-4c3e-4f5a-9b7d-1e2c3d4e5f60.json"
	data := readCopilotFixture(t, name)
	res := parseCopilotSession(name, data, Limits{})
	require.Equal(t, []string{
		"error L406: invalid JSON (unexpected end of input); expected a Copilot Chat session JSON object; the rest of the file was not imported",
		"warning L0: session has no sessionId; used the session id in the file name, 8d2f6b1a-4c3e-4f5a-9b7d-1e2c3d4e5f60",
	}, copilotProblems(res.Problems))
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "8d2f6b1a-4c3e-4f5a-9b7d-1e2c3d4e5f60", c.ExternalID)
	require.Equal(t, "Why does the tide table parser skip the last row?", c.Title)
	require.Len(t, c.Messages, 2)
	require.Equal(t, "request_0b1d8c52-6f0e-4a7b-9d1e-3c5a7e9f1b20/response", c.Messages[1].ExternalID)

	// Under a name that is not a session id, the id is derived from the
	// first request, so the same capture keeps its identity.
	res = parseCopilotSession("backup/old-chat.json", data, Limits{})
	sum := sha256.Sum256([]byte("copilot-request\x00request_0b1d8c52-6f0e-4a7b-9d1e-3c5a7e9f1b20"))
	want := hex.EncodeToString(sum[:16])
	require.Len(t, res.Conversations, 1)
	require.Equal(t, want, res.Conversations[0].ExternalID)
	require.Equal(t, "warning L0: session has no sessionId; derived external id "+want+" from the first request", copilotProblems(res.Problems)[1])
}

func TestParseCopilotSessionEmpty(t *testing.T) {
	t.Parallel()
	// A session with no requests has nothing but metadata: a warning and no
	// conversation (the same rule for all three Copilot formats).
	res := parseCopilotSession("session_empty.json", readCopilotFixture(t, "session_empty.json"), Limits{})
	require.Empty(t, res.Conversations)
	require.Equal(t, []string{"warning L0: session contains no requests; nothing to import"}, copilotProblems(res.Problems))
}

func TestParseCopilotSessionMalformed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		data     string
		problems []string
		convs    int
	}{
		{"", []string{"warning L0: file is empty; expected a Copilot Chat session JSON object"}, 0},
		{"[1,2]", []string{"error L1: file holds a JSON array; expected a Copilot Chat session JSON object"}, 0},
		{"{\n\"version\": 3,\n\"requests\": {\"a\": [1]}\n}", []string{
			`error L3: "requests" is a JSON object, expected an array of requests; none imported`,
			"warning L0: session contains no requests; nothing to import",
		}, 0},
		{"{\"version\": 3,\n\"requests\": [\n\"just text\",\n{\"requestId\": \"r1\", \"message\": {\"text\": \"ok?\"}, \"timestamp\": \"soon\", \"response\": [7, {\"value\": \"Yes.\"}], \"result\": {}}\n],\n\"sessionId\": \"s-1\"}\ntrailing", []string{
			"warning L7: data after the end of the JSON object; ignored",
			"error L3: request 1 is a JSON string; expected a chat request object; skipped",
			"warning L4: response part is a JSON number, expected an object; skipped",
		}, 1},
		{"{\"version\": 3, \"requests\": [{\"requestId\": 5, \"message\": {\"text\": \"hi\"}, \"response\": [], \"result\": {}}], \"sessionId\": \"s-2\"}", []string{
			`warning L1: request 1: field "requestId" is a JSON number, expected string; that field was skipped`,
		}, 1},
		{"{\"version\": 3, \"requests\": [1, null], \"sessionId\": \"s-3\"}", []string{
			"error L1: request 1 is a JSON number; expected a chat request object; skipped",
			"error L1: request 2 is a JSON null; expected a chat request object; skipped",
			"warning L0: session contains no readable requests; nothing to import",
		}, 0},
	}
	for i, tc := range cases {
		res := parseCopilotSession("bad.json", []byte(tc.data), Limits{})
		require.Equal(t, tc.problems, copilotProblems(res.Problems), "case %d", i)
		require.Len(t, res.Conversations, tc.convs, "case %d", i)
	}
}

func TestParseCopilotJSONL(t *testing.T) {
	t.Parallel()
	const name = "session.jsonl"
	res := parseCopilotJSONL(name, readCopilotFixture(t, name), Limits{})
	require.Equal(t, FormatCopilotJSONL, res.Format)
	require.Equal(t, []string{
		"warning L7: mutation kind 7 is not known (expected 0 snapshot, 1 set, 2 push); skipped",
		"error L12: cannot set [requests.4.result]: index 4 is out of range (length 2); skipped",
		"error L14: invalid JSON (unexpected end of JSON input) (the last line looks cut short); expected one JSON object per line; skipped",
	}, copilotProblems(res.Problems))
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Equal(t, "c7e1a2b3-4d5e-4f60-8a7b-9c0d1e2f3a4b", c.ExternalID)
	require.Equal(t, FormatCopilotJSONL, c.Format)
	require.Equal(t, "0.37.2", c.ToolVersion)
	require.Equal(t, "Docs build nav warnings", c.Title) // set by a kind-1 line
	require.Equal(t, "bo-nakamura", c.User)              // no requesterUsername: the model's account
	require.Equal(t, "/Users/bo/dev/harbor-docs", c.Cwd)
	require.Empty(t, c.GitRemote)
	require.Equal(t, []string{"gpt-5-mini"}, c.Models)
	require.Equal(t, copilotMs(1762000000000), c.StartedAt)
	require.Equal(t, copilotMs(1762000105200), c.EndedAt)
	require.Equal(t, Tokens{Input: 10400, Output: 101}, c.Tokens)
	require.Len(t, c.Messages, 4)

	a1 := c.Messages[1]
	require.Equal(t, 1, a1.Line)
	require.Equal(t, "Two pages in `mkdocs.yml` are listed in `nav` but no longer exist.", a1.Text)
	require.Equal(t, copilotMs(1762000013500), a1.Timestamp) // modelState.completedAt
	require.Equal(t, []ToolCall{{
		ExternalID: "request_1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10/context",
		Name:       "context",
		FilesRead:  []string{"/Users/bo/dev/harbor-docs/mkdocs.yml"},
	}}, a1.ToolCalls)

	// Request 2 was pushed on line 3, then filled in by later lines; the
	// push with "i":0 replaced the first streamed markdown part.
	u2, a2 := c.Messages[2], c.Messages[3]
	require.Equal(t, "request_2a3b4c5d-6e7f-4081-9a2b-3c4d5e6f7a21", u2.ExternalID)
	require.Equal(t, "Check the link checker output too", u2.Text)
	require.Equal(t, 3, u2.Line)
	require.Equal(t, 3, a2.Line)
	require.Equal(t, "Let me run the link checker. The link checker could not run: the `site` directory is missing, so build the docs first with `mkdocs build`.", a2.Text)
	require.Equal(t, "The user wants the link checker report; call the MCP tool.", a2.Thinking)
	require.Equal(t, Tokens{Input: 5400, Output: 61}, a2.Tokens)
	require.Equal(t, []ToolCall{{
		ExternalID: "8e9f0a1b-2c3d-4e5f-8a6b-7c8d9e0f1a2b",
		Name:       "mcp_linkcheck_check_links",
		Input:      `{"site_dir":"site"}`,
		Output:     "Error calling tool 'check_links': site directory not found: site",
		IsError:    true,
	}}, a2.ToolCalls)
}

func TestCopilotJSONLReplay(t *testing.T) {
	t.Parallel()
	// Mutation semantics from VS Code's ChatSessionOperationLog: set
	// replaces, push appends after cutting to "i", a later kind 0 replaces
	// everything.
	req := func(id, text string) string {
		return `{"requestId":"` + id + `","message":{"text":"` + text + `"},"response":[{"value":"ok ` + id + `"}],"result":{}}`
	}
	log := strings.Join([]string{
		`{"kind":0,"v":{"version":3,"sessionId":"s-9","requesterUsername":"cy","requests":[` + req("a", "one") + `,` + req("b", "two") + `]}}`,
		`{"kind":2,"k":["requests"],"i":1,"v":[` + req("c", "three") + `]}`,
		`{"kind":2,"k":["requests"],"v":[` + req("d", "four") + `]}`,
		`{"kind":1,"k":["requests",2,"message"],"v":{"text":"four, edited"}}`,
		`{"kind":2,"k":["requests",0,"response"],"i":0}`,
		`{"kind":1,"k":[],"v":1}`,
		`{"kind":1,"k":["requests","x","message"],"v":{}}`,
		`{"kind":2,"k":["sessionId"],"v":[1]}`,
		`{"kind":"two"}`,
		`{"k":["a"]}`,
		`not json`,
	}, "\n") + "\n"
	res := parseCopilotJSONL("replay.jsonl", []byte(log), Limits{})
	require.Equal(t, []string{
		"error L6: cannot set []: empty path; skipped",
		`error L7: cannot set [requests.x.message]: index x is out of range (length 3); skipped`,
		"error L8: cannot push to [sessionId]: the value there is a string, not an array; skipped",
		`error L9: not a mutation-log entry (field "kind" is a JSON string, expected int); expected {"kind":0|1|2,"k":[path],"v":value}; skipped`,
		`error L10: entry has no "kind"; expected {"kind":0|1|2,...}; skipped`,
		"error L11: invalid JSON (invalid character 'o' in literal null (expecting 'u')); expected one JSON object per line; skipped",
	}, copilotProblems(res.Problems))
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	var got []string
	for _, m := range c.Messages {
		got = append(got, fmt.Sprintf("%s %s L%d %q", m.Role, m.ExternalID, m.Line, m.Text))
	}
	require.Equal(t, []string{
		`user a L1 "one"`, // its response was emptied by the push with "i":0
		`user c L2 "three"`,
		`assistant c/response L2 "ok c"`,
		`user d L3 "four, edited"`,
		`assistant d/response L3 "ok d"`,
	}, got)

	// A log without a readable snapshot imports nothing, and says so.
	res = parseCopilotJSONL("nosnap.jsonl", []byte(`{"kind":1,"k":["a"],"v":1}`+"\n"), Limits{})
	require.Empty(t, res.Conversations)
	require.Equal(t, []string{
		"error L1: mutation before the initial snapshot line (kind 0); skipped",
		`error L0: no readable initial snapshot line ({"kind":0,"v":{...}}); nothing imported`,
	}, copilotProblems(res.Problems))

	// A line over the limit is reported by splitLines and skipped.
	res = parseCopilotJSONL("long.jsonl", []byte(`{"kind":0,"v":{"sessionId":"s","requests":[`+req("a", "one")+`]}}`+"\n"+`{"kind":1,"k":["customTitle"],"v":"`+strings.Repeat("x", 300)+`"}`+"\n"), Limits{MaxLineBytes: 256})
	require.Equal(t, []string{"error L2: line is 337 bytes, over the 256-byte limit; skipped"}, copilotProblems(res.Problems))
	require.Equal(t, "one", res.Conversations[0].Title)

	res = parseCopilotJSONL("empty.jsonl", []byte("\n\n"), Limits{})
	require.Empty(t, res.Conversations)
	require.Equal(t, []string{"warning L0: file is empty; expected a Copilot Chat session mutation log"}, copilotProblems(res.Problems))
}

func TestParseCopilotExport(t *testing.T) {
	t.Parallel()
	const name = "export_chat.json"
	res := parseCopilotExport(name, readCopilotFixture(t, name), Limits{})
	require.Equal(t, FormatCopilotExport, res.Format)
	require.Empty(t, res.Problems)
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	sum := sha256.Sum256([]byte("copilot-request\x00request_3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e62"))
	require.Equal(t, hex.EncodeToString(sum[:16]), c.ExternalID)
	require.Equal(t, FormatCopilotExport, c.Format)
	require.Equal(t, "0.31.3", c.ToolVersion)
	require.Equal(t, "Call sync_accounts with a bad token so we can see the 401 handling", c.Title)
	require.Equal(t, "kofi-mensah", c.User)
	require.Equal(t, `c:\Users\kofi\work\ledger-sync`, c.Cwd)
	require.Equal(t, "https://github.com/kofi-mensah/ledger-sync", c.GitRemote)
	require.Equal(t, []string{"main"}, c.GitBranches)
	// The second request has no modelId: its display name "Claude Sonnet 4"
	// is spelled as the id.
	require.Equal(t, []string{"claude-sonnet-4"}, c.Models)
	require.Equal(t, copilotMs(1762100000000), c.StartedAt)
	require.Equal(t, copilotMs(1762100064000), c.EndedAt)
	require.Len(t, c.Messages, 4)

	a1 := c.Messages[1]
	require.Equal(t, 16, a1.Line)
	require.Equal(t, "I'll call `sync_accounts` with an invalid token: The server answered 401 as expected; `README.md` documents the retry.", a1.Text)
	require.Equal(t, []ToolCall{
		{
			ExternalID: "request_3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e62/context",
			Name:       "context",
			// The selection's {uri} and a path-only inline reference both
			// become Windows paths, as VS Code's fsPath spells them.
			FilesRead: []string{`c:\Users\kofi\work\ledger-sync\sync.py`, `c:\Users\kofi\work\ledger-sync\README.md`},
		},
		{
			ExternalID: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a83",
			Name:       "mcp_ledger_sync_accounts",
			Input:      `{"token": "not-a-token"}`,
			Output:     "Error calling tool 'sync_accounts': 401: token rejected",
			IsError:    true,
		},
	}, a1.ToolCalls)

	// Edits streamed without a tool call (edits mode) get a synthetic call.
	a2 := c.Messages[3]
	require.Equal(t, "Here is the docstring:", a2.Text)
	require.Equal(t, "claude-sonnet-4", a2.Model)
	require.Equal(t, []ToolCall{{
		ExternalID:   "request_4d5e6f7a-8b9c-4d0e-9f1a-2b3c4d5e6f73/edits",
		Name:         "textEditGroup",
		FilesWritten: []string{`c:\Users\kofi\work\ledger-sync\sync.py`},
	}}, a2.ToolCalls)
}

func TestParseCopilotExportEdgeCases(t *testing.T) {
	t.Parallel()
	// Still running when exported: the partial response is kept.
	res := parseCopilotExport("export_in_progress.json", readCopilotFixture(t, "export_in_progress.json"), Limits{})
	require.Equal(t, []string{
		"warning L16: request request_6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b94 has no result (still in progress when the file was written); its response may be incomplete",
	}, copilotProblems(res.Problems))
	require.Len(t, res.Conversations, 1)
	c := res.Conversations[0]
	require.Len(t, c.Messages, 2)
	a := c.Messages[1]
	require.Equal(t, "Let me fetch the issue list. There are three open issues about CSV import:\n\n1. **Semicolon delimiters** are not detected", a.Text)
	require.Equal(t, copilotMs(1762200000000), a.Timestamp)
	require.Equal(t, []ToolCall{
		{ExternalID: "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9ca5", Name: "copilot_fetchWebPage"},
		{ExternalID: "8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0db6", Name: "vscode_fetchWebPage_internal", Output: "https://tracker.example.org/ledger-sync/issues?q=csv"},
	}, a.ToolCalls)

	// Exported before any response: the prompt alone.
	res = parseCopilotExport("export_pending.json", readCopilotFixture(t, "export_pending.json"), Limits{})
	require.Equal(t, []string{
		"warning L16: request request_9c0d1e2f-3a4b-4c5d-8e6f-7a8b9c0d1ec7 has no response yet (still in progress when the file was written); kept the user message only",
	}, copilotProblems(res.Problems))
	require.Len(t, res.Conversations, 1)
	require.Len(t, res.Conversations[0].Messages, 1)
	require.Equal(t, RoleUser, res.Conversations[0].Messages[0].Role)
	require.Equal(t, "hello?", res.Conversations[0].Title)

	res = parseCopilotExport("export_empty.json", readCopilotFixture(t, "export_empty.json"), Limits{})
	require.Empty(t, res.Conversations)
	require.Equal(t, []string{"warning L0: export contains no requests; nothing to import"}, copilotProblems(res.Problems))
}

func TestCopilotHelpers(t *testing.T) {
	t.Parallel()
	paths := map[string]string{
		`"file:///home/x/a%20b.go"`:                                                    "/home/x/a b.go",
		`"file:///c%3A/Users/x/a.py"`:                                                  `c:\Users\x\a.py`,
		`{"scheme":"file","path":"/D:/w/b.ts"}`:                                        `d:\w\b.ts`,
		`{"scheme":"file","fsPath":"/srv/a","path":"/srv/a"}`:                          "/srv/a",
		`{"uri":{"scheme":"file","path":"/srv/loc.go"},"range":{}}`:                    "/srv/loc.go",
		`{"name":"main","location":{"uri":{"scheme":"file","path":"/srv/m.go"}}}`:      "/srv/m.go",
		`{"scheme":"vscode-remote","authority":"ssh-remote+box","path":"/home/r/x.c"}`: "/home/r/x.c",
	}
	for in, want := range paths {
		got, ok := copilotURIPath([]byte(in))
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{`"https://example.org/a"`, `{"scheme":"untitled","path":"Untitled-1"}`, `42`, `{}`, ``} {
		_, ok := copilotURIPath([]byte(in))
		require.False(t, ok, in)
	}

	require.Equal(t, copilotWrite, copilotToolClass([]string{"copilot_multiReplaceString", "multi_replace_string_in_file"}))
	require.Equal(t, copilotRead, copilotToolClass([]string{"copilot_readFile"}))
	require.Equal(t, copilotOther, copilotToolClass([]string{"copilot_findTextInFiles", "grep_search"}))

	_, writes, _ := copilotArgFiles(copilotWrite, []string{"multi_replace_string_in_file"},
		`{"explanation":"x","replacements":[{"filePath":"/r/a.go","oldString":"a","newString":"b"},{"filePath":"/r/b.go"}]}`)
	require.Equal(t, []string{"/r/a.go", "/r/b.go"}, writes)
	_, writes, _ = copilotArgFiles(copilotWrite, []string{"copilot_applyPatch", "apply_patch"},
		`{"input":"*** Begin Patch\n*** Update File: /r/a.go\n@@\n-x\n+y\n*** Add File: /r/new.go\n+package r\n*** End Patch","explanation":"e"}`)
	require.Equal(t, []string{"/r/a.go", "/r/new.go"}, writes)
	reads, writes, cmds := copilotArgFiles(copilotOther, []string{"run_in_terminal"}, `{"command":"make test","isBackground":false}`)
	require.Empty(t, reads)
	require.Empty(t, writes)
	require.Equal(t, []string{"make test"}, cmds)

	require.Equal(t, "a b c", copilotTitle("  a\n b\t c "))
	require.Equal(t, strings.Repeat("é", 79)+"…", copilotTitle(strings.Repeat("é", 100)))
}

// TestCopilotCorpus runs the parsers over the real files collected in the
// shared corpus (not part of the repository; skipped when absent).
func TestCopilotCorpus(t *testing.T) {
	t.Parallel()
	dir := "../../../shared/corpus/copilot"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	ids := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		data, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		formats := copilotSniffAll(name, data)
		require.Len(t, formats, 1, "%s: exactly one Copilot sniffer must accept it, got %v", name, formats)
		res := copilotParsers[formats[0]](name, data, Limits{})
		require.False(t, res.HasErrors(), "%s: %v", name, res.Problems)
		for _, p := range res.Problems {
			require.Equal(t, name, p.File)
		}
		if strings.Contains(name, "pending-chat") { // a real export of no requests
			require.Empty(t, res.Conversations)
			require.Equal(t, []string{"warning L0: export contains no requests; nothing to import"}, copilotProblems(res.Problems))
			t.Logf("%s: %s, no conversation (%s)", name, formats[0], res.Problems[0].Message)
			continue
		}
		require.Len(t, res.Conversations, 1, name)
		c := res.Conversations[0]
		require.NotEmpty(t, c.ExternalID, name)
		require.Equal(t, ToolCopilot, c.Tool)
		require.NotEmpty(t, c.Title, name)
		require.NotEmpty(t, c.Models, name)
		require.GreaterOrEqual(t, len(c.Messages), 2, name)
		require.Equal(t, RoleUser, c.Messages[0].Role)
		tools, files := 0, 0
		for _, m := range c.Messages {
			require.NotEmpty(t, m.ExternalID, name)
			require.False(t, m.Timestamp.IsZero(), name)
			tools += len(m.ToolCalls)
			for _, tc := range m.ToolCalls {
				files += len(tc.FilesRead) + len(tc.FilesWritten)
			}
		}
		ids[name] = c.ExternalID
		t.Logf("%s: %s id=%s msgs=%d tools=%d files=%d models=%v cwd=%q branches=%v tokens=%d/%d problems=%d",
			name, formats[0], c.ExternalID, len(c.Messages), tools, files, c.Models, c.Cwd, c.GitBranches,
			c.Tokens.Input, c.Tokens.Output, len(res.Problems))
	}
	// The git-ai fixtures hold one session as .json and as .jsonl: both
	// captures must be the same conversation.
	j, l := ids["git-ai-project_git-ai__copilot_session_simple.json"], ids["git-ai-project_git-ai__copilot_session_simple.jsonl"]
	if j != "" && l != "" {
		require.Equal(t, j, l)
	}
}

// copilotFuzz seeds with the fixtures plus a small input, so that the
// fuzzer also has something cheap to mutate and minimise.
func copilotFuzz(f *testing.F, parse Parser, small string, seeds ...string) {
	for _, s := range seeds {
		data, err := os.ReadFile(filepath.Join(copilotFixtures, s))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(small))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "fuzz-input"
		res := parse(name, data, Limits{MaxLineBytes: 1 << 20})
		for _, p := range res.Problems {
			if p.File != name {
				t.Fatalf("problem without file name: %+v", p)
			}
		}
		for _, c := range res.Conversations {
			if c.ExternalID == "" || c.Format == "" {
				t.Fatalf("conversation without id or format: %+v", c)
			}
		}
	})
}

const copilotSmallRequest = `{"requestId":"r1","message":{"text":"hi"},"response":[{"value":"yo"},{"kind":"inlineReference","inlineReference":{"scheme":"file","path":"/a"}},{"kind":"toolInvocationSerialized","toolId":"copilot_readFile","toolCallId":"t1","resultDetails":{"input":"{}","output":[{"value":"x"}],"isError":true}},{"kind":"textEditGroup","uri":"file:///b"}],"result":{"metadata":{"toolCallRounds":[{"toolCalls":[{"name":"read_file","arguments":"{\"filePath\":\"/a\"}","id":"c1"}]}],"toolCallResults":{"c1":{"content":[{"value":"ok"}]}}}},"timestamp":1,"modelId":"copilot/m"}`

func FuzzCopilotSession(f *testing.F) {
	copilotFuzz(f, parseCopilotSession, `{"version":3,"requests":[`+copilotSmallRequest+`],"sessionId":"s"}`,
		"session_agent.json", "session_empty.json", "8d2f6b1a-4c3e-4f5a-9b7d-1e2c3d4e5f60.json")
}

func FuzzCopilotJSONL(f *testing.F) {
	copilotFuzz(f, parseCopilotJSONL, `{"kind":0,"v":{"sessionId":"s","requests":[]}}
{"kind":2,"k":["requests"],"v":[`+copilotSmallRequest+`]}
{"kind":2,"k":["requests",0,"response"],"i":1,"v":[{"value":"b"}]}
{"kind":1,"k":["requests",0,"modelState"],"v":{"value":1}}
`, "session.jsonl")
}

func FuzzCopilotExport(f *testing.F) {
	copilotFuzz(f, parseCopilotExport, `{"requesterUsername":"u","requests":[`+copilotSmallRequest+`]}`,
		"export_chat.json", "export_in_progress.json", "export_pending.json", "export_empty.json")
}
