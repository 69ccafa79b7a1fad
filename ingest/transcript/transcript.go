// Package transcript owns the canonical conversation model and the parsers
// that turn every assistant's capture format into it.
//
// Parsers are pure: bytes in, a Result out. They never touch a store, the
// network or the clock, so they can be fuzzed and run in --dry-run. They
// must not panic on any input; what they cannot read becomes a Problem with
// the file and line, and the rest of the file is still parsed where that is
// safe.
package transcript

import (
	"time"
)

// Tool names the assistant that produced a conversation.
type Tool string

const (
	ToolClaudeCode Tool = "claude_code"
	ToolCodex      Tool = "codex"
	ToolCursor     Tool = "cursor"
	ToolCopilot    Tool = "copilot"
	ToolAider      Tool = "aider"
	ToolGemini     Tool = "gemini"
	ToolGeneric    Tool = "generic" // the documented JSON format of POST /api/v1/conversations
)

// Format names a capture file format. One tool can write several formats
// (Copilot: chatSessions JSON, its JSONL mutation log, "Export Chat").
type Format string

const (
	FormatClaudeCodeJSONL Format = "claude_code_jsonl"
	FormatCodexRollout    Format = "codex_rollout"
	FormatCursorAgent     Format = "cursor_agent_jsonl"
	FormatSpecStory       Format = "specstory_md"
	FormatCopilotSession  Format = "copilot_session_json"
	FormatCopilotJSONL    Format = "copilot_session_jsonl"
	FormatCopilotExport   Format = "copilot_export_json"
	FormatAiderHistory    Format = "aider_history_md"
	FormatGeminiJSON      Format = "gemini_json"
	FormatGeminiJSONL     Format = "gemini_jsonl"
	FormatGeneric         Format = "generic_json"
)

// Role of a message's author.
type Role string

const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleSystem    Role = "system" // instructions, environment context, compaction summaries, local-command caveats
	RoleTool      Role = "tool"   // a tool result that the format records as its own message
)

// Conversation is one assistant session in canonical form.
type Conversation struct {
	Tool        Tool   `json:"source"`
	ToolVersion string `json:"tool_version,omitempty"`
	Format      Format `json:"format"`
	// ExternalID is the tool's own session id. Together with Tool it is the
	// identity of the conversation: the same session captured twice, from
	// two machines, or after it grew, has the same (Tool, ExternalID).
	ExternalID string `json:"external_id"`
	// ParentExternalID is set on a subagent/sidechain transcript stored in
	// its own file: the session that spawned it.
	ParentExternalID string    `json:"parent_external_id,omitempty"`
	Title            string    `json:"title,omitempty"`
	Cwd              string    `json:"cwd,omitempty"`
	GitRemote        string    `json:"git_remote,omitempty"`
	GitBranches      []string  `json:"git_branches,omitempty"` // in order of first appearance
	GitCommit        string    `json:"git_commit,omitempty"`   // HEAD when the session started, when recorded
	Models           []string  `json:"models,omitempty"`       // in order of first appearance
	StartedAt        time.Time `json:"started_at,omitzero"`    // zero when the format records no time
	EndedAt          time.Time `json:"ended_at,omitzero"`
	// User is who the tool says ran the session (e.g. Copilot's
	// requesterUsername); the importing API key's user owns it regardless.
	User     string    `json:"user,omitempty"`
	Tokens   Tokens    `json:"tokens"`
	Messages []Message `json:"-"`
	// CommitRefs are commits the transcript itself names as made during the
	// session (Aider's "> Commit <hash> <subject>" lines), for correlation.
	CommitRefs []CommitRef `json:"commit_refs,omitempty"`
}

// Tokens counts model usage where the format records it; zero otherwise.
type Tokens struct {
	Input      int64 `json:"input"`
	Output     int64 `json:"output"`
	CacheRead  int64 `json:"cache_read,omitempty"`
	CacheWrite int64 `json:"cache_write,omitempty"`
	Reasoning  int64 `json:"reasoning,omitempty"`
}

// Add accumulates usage.
func (t *Tokens) Add(o Tokens) {
	t.Input += o.Input
	t.Output += o.Output
	t.CacheRead += o.CacheRead
	t.CacheWrite += o.CacheWrite
	t.Reasoning += o.Reasoning
}

// Message is one turn in order. Text is what was visibly said; Thinking is
// the model's reasoning, kept apart so it is neither shown as an answer nor
// mixed into keyword search by accident.
type Message struct {
	// ExternalID is the format's own message id when it has one (Claude
	// Code uuid, Copilot requestId). Otherwise parsers derive a stable one
	// from the position ("L42" = line 42, "t3" = turn 3) so that re-importing
	// a grown file appends only the new messages.
	ExternalID       string    `json:"external_id"`
	ParentExternalID string    `json:"parent_external_id,omitempty"`
	Role             Role      `json:"role"`
	Text             string    `json:"text"`
	Thinking         string    `json:"thinking,omitempty"`
	Timestamp        time.Time `json:"timestamp,omitzero"`
	Model            string    `json:"model,omitempty"`
	// Sidechain marks a subagent's message (Claude Code isSidechain, a
	// Task tool's transcript, Codex/Gemini sub-agents).
	Sidechain bool   `json:"sidechain,omitempty"`
	AgentID   string `json:"agent_id,omitempty"`
	// GitBranch is the branch at this message when the format records it
	// per message (Claude Code); branches change mid-session.
	GitBranch string     `json:"git_branch,omitempty"`
	Tokens    Tokens     `json:"tokens"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// Line is the 1-based line in the source file where the message starts,
	// for error reports and debugging; 0 when not line-based.
	Line int `json:"line,omitempty"`
}

// ToolCall is one tool invocation by the assistant and what came back.
type ToolCall struct {
	ExternalID string `json:"external_id,omitempty"` // tool_use id / call_id
	Name       string `json:"name"`
	// Input is the tool's arguments as JSON text (or the raw text when the
	// format records no JSON).
	Input string `json:"input,omitempty"`
	// Output is a bounded summary of the result: parsers keep at most
	// MaxToolOutput bytes, cut at a UTF-8 boundary.
	Output       string   `json:"output,omitempty"`
	IsError      bool     `json:"is_error,omitempty"`
	FilesRead    []string `json:"files_read,omitempty"`
	FilesWritten []string `json:"files_written,omitempty"`
	Commands     []string `json:"commands,omitempty"` // shell commands run
}

// MaxToolOutput bounds ToolCall.Output.
const MaxToolOutput = 4096

// CommitRef is a commit the transcript names.
type CommitRef struct {
	Hash    string `json:"hash"`
	Subject string `json:"subject,omitempty"`
	Line    int    `json:"line,omitempty"`
}

// Severity of a Problem.
type Severity string

const (
	// SeverityError: part of the input was not imported.
	SeverityError Severity = "error"
	// SeverityWarning: imported, but something was odd or skipped on purpose
	// (an unknown line type, an empty session).
	SeverityWarning Severity = "warning"
)

// Problem is a specific, user-facing report about one place in a file.
type Problem struct {
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line,omitempty"` // 1-based; 0 = whole file
	Message  string   `json:"message"`        // what was found and what was expected
}

// Result is what a parser returns for one file. A file can hold several
// conversations (Aider appends every session to one history file).
type Result struct {
	Format        Format         `json:"format"`
	Conversations []Conversation `json:"conversations"`
	Problems      []Problem      `json:"problems,omitempty"`
}

// Limits bound what a parser accepts; callers set them from configuration.
type Limits struct {
	MaxLineBytes int // a longer line is reported and skipped
}

// DefaultLimits are used when a caller passes the zero Limits.
var DefaultLimits = Limits{MaxLineBytes: 8 << 20}

// Parser reads one format. name is the file's name or path, used in
// Problems and for hints the format keeps in names (dates, subagent ids).
type Parser func(name string, data []byte, lim Limits) Result
