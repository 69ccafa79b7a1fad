// Codex CLI rollout transcripts: ~/.codex/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl.
//
// Variants known, with the tool versions seen in real files:
//
//   - Envelope rollouts (Codex CLI 0.40.0 with originator codex_vscode; 0.58.0, 0.63.0 and 0.77.0 with
//     originator codex_cli_rs). Every line is {timestamp, type, payload}; type is one of
//     session_meta  {id, timestamp, cwd, originator, cli_version, instructions, source, model_provider,
//     git{commit_hash, branch, repository_url}}. source is "cli", "vscode", "exec", ... or, for a
//     sub-agent's own rollout, {"subagent": "review" | {"thread_spawn": {parent_thread_id, agent_nickname,
//     agent_path, agent_role}}} (parent_thread_id / agent_nickname may also sit on the payload itself);
//     turn_context  {cwd, model, approval_policy, sandbox_policy, effort, summary};
//     response_item {type: message (role user|assistant|developer, content [input_text|output_text|
//     input_image]) | reasoning (summary[summary_text], content?, encrypted_content) | function_call
//     (name, arguments as JSON text, call_id) | function_call_output (call_id, output as text, as
//     {content, success} or as content items) | custom_tool_call (name, input text, call_id) |
//     custom_tool_call_output | local_shell_call (action.exec.command) | web_search_call | ghost_snapshot |
//     compaction};
//     event_msg     {type: user_message | agent_message | agent_reasoning | token_count | turn_aborted |
//     error | ... (UI events)};
//     compacted     {message} (the summary that replaced the history).
//     0.40.0 (VS Code) wraps each prompt as "# Context from my IDE setup: ... ## My request for Codex: ...".
//   - Legacy rollouts (mid 2025, before the envelope): line 1 is a bare header {id, timestamp,
//     instructions, cwd?, originator?, cli_version?, git?}, then {"record_type":"state"} markers and bare
//     response items ({type:"message", role, content}, {type:"function_call", ...}) without payload and
//     usually without timestamps. No real file of this shape is in the corpus; the shape is inferred
//     from public parsers and tests, so it is parsed but only fixture-tested.
//
// Mapping decisions:
//
//   - One Message per response_item line, ExternalID "L<line>"; function_call_output is attached to its
//     call by call_id instead of becoming a message. Reasoning items become assistant messages whose
//     Thinking is the summary text (encrypted_content is not text and is dropped).
//   - In newer versions event_msg user_message/agent_message/agent_reasoning duplicate response items. They
//     are used only as a fallback, per kind: user prompts from events only when no response_item carries a
//     user prompt, assistant text only when none carries assistant text, thinking only when there is no
//     reasoning item.
//   - User-role messages that are harness context (<environment_context>, AGENTS.md / <user_instructions>
//     blocks, <turn_aborted>, ...) and developer/system messages get RoleSystem, so they are not prompts and
//     never become the title. The IDE wrapper is split: its context part becomes a system message
//     "L<line>.ctx" and the text after "## My request for Codex:" the user prompt "L<line>".
//   - Tokens are the last cumulative token_count total_token_usage, with OpenAI semantics: Input includes
//     the CacheRead tokens and Output includes the Reasoning tokens.
//   - Commands come from shell/exec tools and local_shell_call; FilesWritten from apply_patch (as a
//     function, a custom tool, or an "apply_patch <<'PATCH'" shell invocation, which is not also counted
//     as a command); FilesRead from read_file/view_image and, conservatively, from simple shell reads
//     (cat, nl, head, tail, sed -n, bat, less, more) because Codex reads almost every file through the shell.
//   - A rollout holding only session_meta yields the conversation with zero messages and a warning: its
//     metadata (id, cwd, git) is meaningful. A file without any session_meta gets an error and no
//     conversation, unless its name is rollout-...-<uuid>.jsonl, whose uuid is the session id (warning).

package transcript

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// codexEnvelope is one rollout line. Legacy rollouts put the header and
// bare response items at the top level, so ID is decoded here too.
type codexEnvelope struct {
	Timestamp  string          `json:"timestamp"`
	Type       string          `json:"type"`
	Payload    json.RawMessage `json:"payload"`
	RecordType string          `json:"record_type"`
	ID         string          `json:"id"`
}

type codexMeta struct {
	ID             string          `json:"id"`
	Timestamp      string          `json:"timestamp"`
	Cwd            string          `json:"cwd"`
	Originator     string          `json:"originator"`
	CLIVersion     string          `json:"cli_version"`
	Model          string          `json:"model"` // legacy headers only
	Source         json.RawMessage `json:"source"`
	ParentThreadID string          `json:"parent_thread_id"`
	AgentNickname  string          `json:"agent_nickname"`
	AgentRole      string          `json:"agent_role"`
	AgentPath      string          `json:"agent_path"`
	Git            *struct {
		CommitHash    string `json:"commit_hash"`
		Branch        string `json:"branch"`
		RepositoryURL string `json:"repository_url"`
	} `json:"git"`
}

type codexItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	Summary   json.RawMessage `json:"summary"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
	Input     json.RawMessage `json:"input"`
	CallID    string          `json:"call_id"`
	Output    json.RawMessage `json:"output"`
	Action    json.RawMessage `json:"action"`
}

type codexPart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	ImageURL string `json:"image_url"`
}

type codexUsage struct {
	InputTokens           int64 `json:"input_tokens"`
	CachedInputTokens     int64 `json:"cached_input_tokens"`
	OutputTokens          int64 `json:"output_tokens"`
	ReasoningOutputTokens int64 `json:"reasoning_output_tokens"`
}

// codexTopTypes are the envelope record types.
var codexTopTypes = map[string]bool{
	"session_meta": true, "turn_context": true, "response_item": true, "event_msg": true, "compacted": true,
}

// codexItemTypes are the response item types a legacy rollout writes bare.
var codexItemTypes = map[string]bool{
	"message": true, "reasoning": true, "function_call": true, "function_call_output": true,
	"custom_tool_call": true, "custom_tool_call_output": true, "local_shell_call": true,
	"web_search_call": true, "ghost_snapshot": true, "compaction": true, "compaction_summary": true,
}

// codexQuietEvents are event_msg types that only drive the UI or repeat
// what response items already record; they are skipped without a warning.
var codexQuietEvents = map[string]bool{
	"task_started": true, "task_complete": true, "turn_started": true, "turn_complete": true,
	"agent_reasoning_raw_content": true, "agent_reasoning_section_break": true,
	"agent_message_delta": true, "agent_reasoning_delta": true, "agent_reasoning_raw_content_delta": true,
	"exec_command_begin": true, "exec_command_output_delta": true, "exec_command_end": true,
	"exec_approval_request": true, "apply_patch_approval_request": true,
	"patch_apply_begin": true, "patch_apply_end": true, "mcp_tool_call_begin": true, "mcp_tool_call_end": true,
	"web_search_begin": true, "web_search_end": true, "view_image_tool_call": true, "turn_diff": true,
	"plan_update": true, "context_compacted": true, "entered_review_mode": true, "exited_review_mode": true,
	"item_started": true, "item_completed": true, "background_event": true, "stream_error": true,
	"warning": true, "undo_started": true, "undo_completed": true, "session_configured": true,
	"shutdown_complete": true, "get_history_entry_response": true, "list_custom_prompts_response": true,
	"mcp_list_tools_response": true, "thread_rolled_back": true, "user_message_delta": true,
}

var (
	codexEnvelopePrefix = regexp.MustCompile(`^\{\s*"timestamp"\s*:\s*"[^"]*"\s*,\s*"type"\s*:\s*"(session_meta|response_item|event_msg|turn_context|compacted)"\s*,\s*"payload"\s*:`)
	codexLegacyPrefix   = regexp.MustCompile(`^\{\s*"id"\s*:\s*"[^"]+"\s*,\s*"timestamp"\s*:\s*"[^"]*"\s*,\s*"(instructions|cwd|git|originator)"\s*:`)
	codexRolloutName    = regexp.MustCompile(`rollout-[0-9T:-]+-([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.jsonl$`)
	codexExitCode       = regexp.MustCompile(`(?m)^(?:Exit code:|Process exited with code) (-?\d+)`)
)

// sniffCodexRollout recognises a rollout by its first record: an envelope
// line (checked by prefix, because a session_meta line carrying long
// instructions can be longer than the sniffed head) or a legacy header.
func sniffCodexRollout(name string, head []byte) bool {
	sawHeader := false
	for i, l := range bytes.Split(head, []byte{'\n'}) {
		if i >= 8 {
			return false
		}
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		if codexEnvelopePrefix.Match(l) || codexLegacyPrefix.Match(l) {
			return true
		}
		var env codexEnvelope
		if json.Unmarshal(l, &env) != nil {
			return false
		}
		switch {
		case env.RecordType == "state":
			return true
		case codexTopTypes[env.Type] && bytes.HasPrefix(bytes.TrimSpace(env.Payload), []byte{'{'}):
			return true
		case !sawHeader && env.Type == "" && env.ID != "" && env.Timestamp != "" && !codexPresent(env.Payload):
			sawHeader = true // a legacy header; the next record decides
		case sawHeader && codexItemTypes[env.Type]:
			return true
		default:
			return false
		}
	}
	return false
}

// codexMsg is a message with the bookkeeping needed to merge event-derived
// fallbacks back into line order.
type codexMsg struct {
	Message
	fromEvent string // "", "user", "assistant" or "thinking"
	seq       int    // order within a line (IDE context before the prompt)
}

type codexParser struct {
	name string
	res  *Result
	conv Conversation
	msgs []codexMsg
	// calls maps a call_id to the message holding the call, so that its
	// output can be attached.
	calls     map[string]int
	model     string
	metaTime  time.Time
	lastTime  time.Time
	tokens    *codexUsage
	warned    map[string]bool
	records   int
	firstType string
	// Which kinds response items already carry; events of these kinds are duplicates.
	haveUser, haveAssistant, haveThinking bool
	sidechain                             bool
	agentID                               string
}

// parseCodexRollout parses one rollout file into at most one conversation.
func parseCodexRollout(name string, data []byte, lim Limits) Result {
	res := Result{Format: FormatCodexRollout}
	p := &codexParser{name: name, res: &res, calls: map[string]int{}, warned: map[string]bool{}}
	p.conv = Conversation{Tool: ToolCodex, Format: FormatCodexRollout}
	lines := splitLines(name, data, lim, &res)
	if len(lines) == 0 {
		if len(res.Problems) == 0 {
			res.warnf(name, 0, "file is empty; expected Codex rollout records (one JSON object per line)")
		}
		return res
	}
	endsWithNewline := bytes.HasSuffix(data, []byte{'\n'})
	for i, l := range lines {
		p.line(l, i == len(lines)-1 && !endsWithNewline)
	}
	if c, ok := p.finish(); ok {
		res.Conversations = append(res.Conversations, c)
	}
	return res
}

func (p *codexParser) warnOnce(key string, line int, format string, args ...any) {
	if p.warned[key] {
		return
	}
	p.warned[key] = true
	p.res.warnf(p.name, line, format, args...)
}

func (p *codexParser) line(l line, last bool) {
	text := bytes.TrimSpace(l.Text)
	if len(text) == 0 || text[0] != '{' {
		p.res.errorf(p.name, l.N, "found %s, not a JSON object; expected one Codex rollout record (a JSON object) per line", codexDescribe(text))
		return
	}
	var env codexEnvelope
	if err := json.Unmarshal(text, &env); err != nil {
		if json.Valid(text) {
			p.res.errorf(p.name, l.N, "record has an unexpected shape (%v); expected string timestamp, type and id fields; skipped", err)
			return
		}
		if last {
			p.res.errorf(p.name, l.N, "last line is truncated (invalid JSON: %v); expected a complete JSON object, the file was probably copied while Codex was writing it", err)
			return
		}
		p.res.errorf(p.name, l.N, "invalid JSON (%v); expected one Codex rollout record (a JSON object) per line", err)
		return
	}
	p.records++
	ts, _ := parseTime(env.Timestamp)
	if ts.After(p.lastTime) {
		p.lastTime = ts
	}
	if p.firstType == "" {
		p.firstType = codexRecordName(env)
	}
	switch {
	case env.RecordType != "":
		// Legacy state snapshots carry nothing a transcript needs.
		if env.RecordType != "state" {
			p.warnOnce("record_type:"+env.RecordType, l.N, "unknown legacy record_type %q; skipped (expected \"state\")", env.RecordType)
		}
	case env.Type == "" && env.ID != "" && !codexPresent(env.Payload):
		p.meta(l.N, ts, text)
	case codexTopTypes[env.Type] && codexPresent(env.Payload):
		p.record(l.N, ts, env.Type, env.Payload)
	case codexItemTypes[env.Type] && !codexPresent(env.Payload):
		p.item(l.N, ts, text)
	case codexTopTypes[env.Type]:
		p.warnOnce("nopayload:"+env.Type, l.N, "%s record without a payload; skipped", env.Type)
	default:
		p.warnOnce("type:"+env.Type, l.N, "unknown record type %q; skipped (expected session_meta, turn_context, response_item, event_msg or compacted)", env.Type)
	}
}

func (p *codexParser) record(n int, ts time.Time, typ string, payload json.RawMessage) {
	switch typ {
	case "session_meta":
		p.meta(n, ts, payload)
	case "turn_context":
		var tc struct {
			Model string `json:"model"`
			Cwd   string `json:"cwd"`
		}
		if p.decode(n, "turn_context payload", payload, &tc) {
			p.model = strings.TrimSpace(tc.Model)
			// Recorded even when no assistant message follows (an aborted turn).
			p.conv.Models = appendUnique(p.conv.Models, p.model)
			if p.conv.Cwd == "" {
				p.conv.Cwd = tc.Cwd
			}
		}
	case "response_item":
		p.item(n, ts, payload)
	case "event_msg":
		p.event(n, ts, payload)
	case "compacted":
		var c struct {
			Message string `json:"message"`
		}
		if p.decode(n, "compacted payload", payload, &c) && strings.TrimSpace(c.Message) != "" {
			p.add(n, ts, RoleSystem, "context compacted: "+c.Message, "")
		}
	}
}

// decode unmarshals a payload, reporting a shape mismatch as an error.
func (p *codexParser) decode(n int, what string, raw json.RawMessage, v any) bool {
	if err := json.Unmarshal(raw, v); err != nil {
		p.res.errorf(p.name, n, "%s has an unexpected shape (%v); record skipped", what, err)
		return false
	}
	return true
}

func (p *codexParser) meta(n int, ts time.Time, raw json.RawMessage) {
	var m codexMeta
	if !p.decode(n, "session_meta", raw, &m) {
		return
	}
	if p.conv.ExternalID != "" {
		if m.ID != "" && m.ID != p.conv.ExternalID {
			p.warnOnce("meta2", n, "second session_meta with id %q (the file began as session %q); its lines are kept in the first session", m.ID, p.conv.ExternalID)
		}
		return
	}
	if strings.TrimSpace(m.ID) == "" {
		p.res.errorf(p.name, n, "session_meta has no id; expected the Codex session id in payload.id")
		return
	}
	c := &p.conv
	c.ExternalID = m.ID
	c.ToolVersion = m.CLIVersion
	c.Cwd = m.Cwd
	if m.Git != nil {
		c.GitCommit = m.Git.CommitHash
		c.GitRemote = m.Git.RepositoryURL
		c.GitBranches = appendUnique(c.GitBranches, m.Git.Branch)
	}
	if m.Model != "" {
		p.model = m.Model
		c.Models = appendUnique(c.Models, m.Model)
	}
	if t, ok := parseTime(m.Timestamp); ok {
		p.metaTime = t
	} else {
		p.metaTime = ts
	}
	p.subagent(m)
}

// subagent marks a sub-agent's own rollout: its messages are a sidechain of
// the thread that spawned it.
func (p *codexParser) subagent(m codexMeta) {
	var src struct {
		Subagent json.RawMessage `json:"subagent"`
	}
	if !bytes.HasPrefix(bytes.TrimSpace(m.Source), []byte{'{'}) || json.Unmarshal(m.Source, &src) != nil || !codexPresent(src.Subagent) {
		return
	}
	p.sidechain = true
	parent := m.ParentThreadID
	var kind string
	var spawn struct {
		ThreadSpawn *struct {
			ParentThreadID string `json:"parent_thread_id"`
			AgentNickname  string `json:"agent_nickname"`
			AgentPath      string `json:"agent_path"`
			AgentRole      string `json:"agent_role"`
		} `json:"thread_spawn"`
		Other string `json:"other"`
	}
	if json.Unmarshal(src.Subagent, &kind) != nil && json.Unmarshal(src.Subagent, &spawn) == nil {
		if s := spawn.ThreadSpawn; s != nil {
			parent = codexFirst(s.ParentThreadID, parent)
			kind = codexFirst(s.AgentNickname, s.AgentPath, s.AgentRole, "thread_spawn")
		} else {
			kind = spawn.Other
		}
	}
	p.agentID = codexFirst(m.AgentNickname, m.AgentPath, m.AgentRole, kind, "subagent")
	p.conv.ParentExternalID = parent
}

func codexFirst(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// add appends a message and returns its index.
func (p *codexParser) add(n int, ts time.Time, role Role, text, thinking string) int {
	m := codexMsg{Message: Message{
		ExternalID: "L" + strconv.Itoa(n),
		Role:       role,
		Text:       text,
		Thinking:   thinking,
		Timestamp:  ts,
		Line:       n,
	}}
	if role == RoleAssistant {
		m.Model = p.model
	}
	p.msgs = append(p.msgs, m)
	return len(p.msgs) - 1
}

func (p *codexParser) item(n int, ts time.Time, raw json.RawMessage) {
	var it codexItem
	if !p.decode(n, "response item", raw, &it) {
		return
	}
	switch it.Type {
	case "message":
		p.message(n, ts, it)
	case "reasoning":
		if thinking := codexReasoning(it); thinking != "" {
			p.haveThinking = true
			p.add(n, ts, RoleAssistant, "", thinking)
		}
	case "function_call", "custom_tool_call":
		p.call(n, ts, it)
	case "local_shell_call", "web_search_call":
		p.action(n, ts, it)
	case "function_call_output", "custom_tool_call_output":
		p.output(n, ts, it)
	case "ghost_snapshot", "compaction", "compaction_summary":
		// Harness bookkeeping (undo snapshots, encrypted compaction), not conversation.
	default:
		p.warnOnce("item:"+it.Type, n, "unknown response_item type %q; skipped", it.Type)
	}
}

func (p *codexParser) message(n int, ts time.Time, it codexItem) {
	text := codexContent(it.Content)
	switch it.Role {
	case "assistant":
		if strings.TrimSpace(text) == "" {
			return
		}
		p.haveAssistant = true
		p.add(n, ts, RoleAssistant, text, "")
	case "user":
		if p.userText(n, ts, text, "") {
			p.haveUser = true
		}
	case "developer", "system":
		p.add(n, ts, RoleSystem, text, "")
	default:
		p.warnOnce("role:"+it.Role, n, "message with unknown role %q; imported as a system message", it.Role)
		p.add(n, ts, RoleSystem, text, "")
	}
}

const (
	codexIDEHeader  = "# Context from my IDE setup:"
	codexIDERequest = "## My request for Codex:"
)

// userText adds a user-role text, splitting harness context from the real
// prompt; it reports whether a real prompt was added.
func (p *codexParser) userText(n int, ts time.Time, text, fromEvent string) bool {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return false
	}
	if strings.HasPrefix(trimmed, codexIDEHeader) {
		if i := strings.Index(trimmed, codexIDERequest); i >= 0 {
			ctx := strings.TrimSpace(trimmed[:i])
			req := strings.TrimSpace(trimmed[i+len(codexIDERequest):])
			if req != "" {
				ci := p.add(n, ts, RoleSystem, ctx, "")
				p.msgs[ci].ExternalID += ".ctx"
				p.msgs[ci].fromEvent = fromEvent
				ui := p.add(n, ts, RoleUser, req, "")
				p.msgs[ui].fromEvent = fromEvent
				p.msgs[ui].seq = 1
				return true
			}
		}
	}
	role := RoleUser
	if codexIsContext(trimmed) {
		role = RoleSystem
	}
	i := p.add(n, ts, role, text, "")
	p.msgs[i].fromEvent = fromEvent
	return role == RoleUser
}

// codexContextPrefixes open user-role messages that the harness, not the
// person, wrote.
var codexContextPrefixes = []string{
	"<environment_context>", "<user_instructions>", "# AGENTS.md instructions", "<INSTRUCTIONS>",
	"<permissions instructions>", "<turn_aborted>", "<skill>", "<user_shell_command_output>",
	codexIDEHeader,
}

func codexIsContext(s string) bool {
	for _, p := range codexContextPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// codexContent joins a message's text parts; images become "[image]".
func codexContent(raw json.RawMessage) string {
	if !codexPresent(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []codexPart
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var out []string
	for _, part := range parts {
		switch {
		case part.Text != "":
			out = append(out, part.Text)
		case part.Type == "input_image" || part.ImageURL != "":
			out = append(out, "[image]")
		}
	}
	return strings.Join(out, "\n")
}

// codexReasoning returns a reasoning item's readable text: the summaries,
// then any plain reasoning content (encrypted content is not text).
func codexReasoning(it codexItem) string {
	var out []string
	for _, raw := range []json.RawMessage{it.Summary, it.Content} {
		if t := codexContent(raw); strings.TrimSpace(t) != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, "\n\n")
}

func (p *codexParser) call(n int, ts time.Time, it codexItem) {
	tc := ToolCall{ExternalID: it.CallID, Name: it.Name}
	if it.Type == "custom_tool_call" {
		tc.Input = codexRawText(it.Input)
	} else {
		tc.Input = codexRawText(it.Arguments)
	}
	codexToolEffects(&tc)
	p.attachCall(n, ts, tc)
}

func (p *codexParser) attachCall(n int, ts time.Time, tc ToolCall) {
	i := p.add(n, ts, RoleAssistant, "", "")
	p.msgs[i].ToolCalls = []ToolCall{tc}
	if tc.ExternalID != "" {
		p.calls[tc.ExternalID] = i
	}
}

// action handles response items that are themselves the call:
// local_shell_call (a command) and web_search_call (a query).
func (p *codexParser) action(n int, ts time.Time, it codexItem) {
	var act struct {
		Type             string          `json:"type"`
		Command          json.RawMessage `json:"command"`
		WorkingDirectory string          `json:"working_directory"`
	}
	_ = json.Unmarshal(it.Action, &act)
	tc := ToolCall{ExternalID: it.CallID, Input: codexRawText(it.Action)}
	if it.Type == "web_search_call" {
		tc.Name = "web_search"
	} else {
		tc.Name = "local_shell"
		codexShellEffects(&tc, codexCommand(act.Command))
	}
	p.attachCall(n, ts, tc)
}

func (p *codexParser) output(n int, ts time.Time, it codexItem) {
	text, isErr := codexOutput(it.Output)
	i, ok := p.calls[it.CallID]
	if !ok {
		p.warnOnce("orphan", n, "tool output for call_id %q has no matching call; imported as a tool message", it.CallID)
		p.add(n, ts, RoleTool, truncate(text, MaxToolOutput), "")
		return
	}
	tc := &p.msgs[i].ToolCalls[0]
	tc.Output = text
	tc.IsError = isErr
}

// codexOutput reads a tool output: plain text, the {"output", "metadata":
// {"exit_code"}} text that shell tools return, {content, success}, or a
// list of content items.
func codexOutput(raw json.RawMessage) (string, bool) {
	if !codexPresent(raw) {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return codexShellOutput(s)
	}
	var obj struct {
		Content *string `json:"content"`
		Success *bool   `json:"success"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Content != nil {
		return *obj.Content, obj.Success != nil && !*obj.Success
	}
	var parts []codexPart
	if json.Unmarshal(raw, &parts) == nil {
		return codexContent(raw), false
	}
	return string(raw), false
}

func codexShellOutput(s string) (string, bool) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "{") {
		var sh struct {
			Output   *string `json:"output"`
			Metadata struct {
				ExitCode *int `json:"exit_code"`
			} `json:"metadata"`
		}
		if json.Unmarshal([]byte(t), &sh) == nil && sh.Output != nil {
			return *sh.Output, sh.Metadata.ExitCode != nil && *sh.Metadata.ExitCode != 0
		}
	}
	// Newer versions return text whose first lines carry the exit code.
	if m := codexExitCode.FindStringSubmatch(truncate(t, 400)); m != nil {
		return s, m[1] != "0"
	}
	return s, false
}

// codexRawText returns a JSON string's value, or other JSON as text.
func codexRawText(raw json.RawMessage) string {
	if !codexPresent(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

func (p *codexParser) event(n int, ts time.Time, raw json.RawMessage) {
	var ev struct {
		Type    string          `json:"type"`
		Message json.RawMessage `json:"message"`
		Text    string          `json:"text"`
		Reason  string          `json:"reason"`
		Info    *struct {
			Total *codexUsage `json:"total_token_usage"`
		} `json:"info"`
	}
	if !p.decode(n, "event_msg payload", raw, &ev) {
		return
	}
	switch ev.Type {
	case "user_message":
		p.userText(n, ts, codexRawText(ev.Message), "user")
	case "agent_message":
		if t := codexRawText(ev.Message); strings.TrimSpace(t) != "" {
			p.msgs[p.add(n, ts, RoleAssistant, t, "")].fromEvent = "assistant"
		}
	case "agent_reasoning":
		if strings.TrimSpace(ev.Text) != "" {
			p.msgs[p.add(n, ts, RoleAssistant, "", ev.Text)].fromEvent = "thinking"
		}
	case "token_count":
		if ev.Info != nil && ev.Info.Total != nil {
			p.tokens = ev.Info.Total
		}
	case "turn_aborted":
		p.add(n, ts, RoleSystem, "turn aborted: "+codexFirst(ev.Reason, "unknown reason"), "")
	case "error":
		p.add(n, ts, RoleSystem, "error: "+codexRawText(ev.Message), "")
	default:
		if !codexQuietEvents[ev.Type] {
			p.warnOnce("event:"+ev.Type, n, "unknown event_msg type %q; skipped", ev.Type)
		}
	}
}

// finish drops duplicate event messages, orders what is left and builds the
// conversation.
func (p *codexParser) finish() (Conversation, bool) {
	c := p.conv
	if c.ExternalID == "" {
		m := codexRolloutName.FindStringSubmatch(p.name)
		if m == nil {
			if p.records > 0 {
				p.res.errorf(p.name, 0, "no session_meta record in %d record(s) (the first is %s); expected a Codex rollout to begin with a session_meta line carrying the session id; nothing imported", p.records, p.firstType)
			}
			return c, false
		}
		c.ExternalID = m[1]
		p.res.warnf(p.name, 0, "no session_meta record; using the session id %s from the rollout file name", m[1])
	}
	var kept []codexMsg
	for _, m := range p.msgs {
		switch {
		case m.fromEvent == "user" && p.haveUser,
			m.fromEvent == "assistant" && p.haveAssistant,
			m.fromEvent == "thinking" && p.haveThinking:
			continue
		}
		kept = append(kept, m)
	}
	sort.SliceStable(kept, func(i, j int) bool {
		if kept[i].Line != kept[j].Line {
			return kept[i].Line < kept[j].Line
		}
		return kept[i].seq < kept[j].seq
	})
	for _, m := range kept {
		m.Sidechain = p.sidechain
		if p.sidechain {
			m.AgentID = p.agentID
		}
		c.Messages = append(c.Messages, m.Message)
	}
	if p.tokens != nil {
		c.Tokens = Tokens{Input: p.tokens.InputTokens, CacheRead: p.tokens.CachedInputTokens, Output: p.tokens.OutputTokens, Reasoning: p.tokens.ReasoningOutputTokens}
	}
	for _, m := range c.Messages {
		if m.Role == RoleUser {
			// Attached images are not part of what the prompt says.
			if c.Title = codexTitle(strings.ReplaceAll(m.Text, "[image]", "")); c.Title != "" {
				break
			}
		}
	}
	c.StartedAt = p.metaTime
	c.EndedAt = p.lastTime
	if len(c.Messages) == 0 {
		p.res.warnf(p.name, 0, "session %s has no messages (only session metadata); imported as a conversation with zero messages", c.ExternalID)
	}
	codexClean(&c)
	c.finish()
	return c, true
}

// codexClean makes the strings that finish does not check safe to store:
// JSON escapes can carry NUL characters, and raw JSON text invalid UTF-8.
func codexClean(c *Conversation) {
	for _, s := range []*string{&c.ToolVersion, &c.ExternalID, &c.ParentExternalID, &c.Cwd, &c.GitRemote, &c.GitCommit, &c.User} {
		*s = validText(*s)
	}
	for _, list := range [][]string{c.GitBranches, c.Models} {
		for i := range list {
			list[i] = validText(list[i])
		}
	}
	for i := range c.Messages {
		m := &c.Messages[i]
		for _, s := range []*string{&m.ExternalID, &m.ParentExternalID, &m.Model, &m.AgentID, &m.GitBranch} {
			*s = validText(*s)
		}
		for j := range m.ToolCalls {
			tc := &m.ToolCalls[j]
			tc.ExternalID, tc.Name = validText(tc.ExternalID), validText(tc.Name)
			for _, list := range [][]string{tc.FilesRead, tc.FilesWritten, tc.Commands} {
				for k := range list {
					list[k] = validText(list[k])
				}
			}
		}
	}
}

func codexRecordName(env codexEnvelope) string {
	switch {
	case env.RecordType != "":
		return "record_type " + env.RecordType
	case env.Type == "event_msg" || env.Type == "response_item":
		var sub struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(env.Payload, &sub)
		return env.Type + "/" + sub.Type
	case env.Type != "":
		return env.Type
	}
	return "an object without type"
}

func codexPresent(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

func codexDescribe(b []byte) string {
	if len(b) == 0 {
		return "an empty line"
	}
	switch b[0] {
	case '[':
		return "a JSON array"
	case '"':
		return "a JSON string"
	}
	return fmt.Sprintf("text starting %q", truncate(string(b), 24))
}

// codexTitle turns a prompt into a one-line title of at most 80 runes.
func codexTitle(s string) string {
	s = strings.Join(strings.Fields(validText(s)), " ")
	if utf8.RuneCountInString(s) <= 80 {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:79])) + "…"
}

// codexToolEffects fills Commands / FilesRead / FilesWritten from a call's
// name and input.
func codexToolEffects(tc *ToolCall) {
	var args struct {
		Command  json.RawMessage `json:"command"`
		Cmd      string          `json:"cmd"`
		Input    string          `json:"input"`
		Patch    string          `json:"patch"`
		FilePath string          `json:"file_path"`
		Path     string          `json:"path"`
	}
	_ = json.Unmarshal([]byte(tc.Input), &args)
	switch tc.Name {
	case "shell", "container.exec", "local_shell", "shell_command":
		codexShellEffects(tc, codexCommand(args.Command))
	case "exec_command":
		codexShellEffects(tc, args.Cmd)
	case "apply_patch":
		patch := codexFirst(args.Input, args.Patch)
		if patch == "" {
			patch = tc.Input // custom tool: the input is the patch itself
		}
		tc.FilesWritten = codexPatchFiles(patch)
	case "read_file", "view_image":
		tc.FilesRead = appendUnique(tc.FilesRead, codexFirst(args.FilePath, args.Path))
	}
}

// codexShellEffects records a shell script: apply_patch invocations (which
// Codex intercepts instead of running) as written files, anything else as a
// command plus the files it plainly reads.
func codexShellEffects(tc *ToolCall, script string) {
	script = validText(strings.TrimSpace(script))
	if script == "" {
		return
	}
	if strings.HasPrefix(script, "apply_patch") || strings.Contains(script, "*** Begin Patch") {
		tc.FilesWritten = codexPatchFiles(script)
		return
	}
	tc.Commands = appendUnique(tc.Commands, script)
	for _, f := range codexShellReads(script) {
		tc.FilesRead = appendUnique(tc.FilesRead, f)
	}
}

// codexCommand turns a command (argv array or string) into a script. An
// argv of the form [bash, -lc, script] yields the script itself.
func codexCommand(raw json.RawMessage) string {
	if !codexPresent(raw) {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var argv []string
	if json.Unmarshal(raw, &argv) != nil || len(argv) == 0 {
		return ""
	}
	if len(argv) >= 3 && codexIsShell(argv[0]) {
		flag := argv[len(argv)-2]
		if strings.HasPrefix(flag, "-") && (strings.Contains(flag, "c") || strings.EqualFold(flag, "-Command")) {
			return argv[len(argv)-1]
		}
	}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = codexQuote(a)
	}
	return strings.Join(quoted, " ")
}

func codexIsShell(prog string) bool {
	base := strings.ToLower(path.Base(strings.ReplaceAll(prog, `\`, "/")))
	base = strings.TrimSuffix(base, ".exe")
	switch base {
	case "bash", "sh", "zsh", "dash", "ksh", "fish", "pwsh", "powershell", "cmd":
		return true
	}
	return false
}

func codexQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?;&|<>()[]{}!#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// codexPatchFiles lists the files an apply_patch envelope touches, as written.
func codexPatchFiles(patch string) []string {
	var files []string
	for _, l := range strings.Split(patch, "\n") {
		l = strings.TrimSpace(l)
		for _, prefix := range []string{"*** Update File:", "*** Add File:", "*** Delete File:", "*** Move to:"} {
			if strings.HasPrefix(l, prefix) {
				files = appendUnique(files, strings.TrimSpace(l[len(prefix):]))
			}
		}
	}
	return files
}

// codexShellReads finds files that a script plainly reads: the operands of
// cat, nl, head, tail, bat, less, more and sed -n in simple command
// segments. It is deliberately conservative: words with globs, variables or
// substitutions are skipped, and parsing stops at a heredoc.
func codexShellReads(script string) []string {
	var files []string
	for _, seg := range codexShellSegments(script) {
		if len(seg) < 2 {
			continue
		}
		prog := path.Base(seg[0])
		args := seg[1:]
		var operands []string
		switch prog {
		case "cat", "nl", "bat", "batcat", "less", "more":
			operands = codexOperands(args, nil)
		case "head", "tail":
			operands = codexOperands(args, map[string]bool{"-n": true, "-c": true, "--lines": true, "--bytes": true})
		case "sed":
			operands = codexSedFiles(args)
		}
		for _, f := range operands {
			if f != "-" && !strings.ContainsAny(f, "*?$`{}[]") {
				files = appendUnique(files, f)
			}
		}
	}
	return files
}

// codexOperands returns non-flag arguments; flags in withValue consume the
// next argument.
func codexOperands(args []string, withValue map[string]bool) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i+1:]...)
		case withValue[a]:
			i++
		case strings.HasPrefix(a, "-") && a != "-":
		default:
			out = append(out, a)
		}
	}
	return out
}

// codexSedFiles returns the files of a read-only "sed -n SCRIPT FILE..."
// (sed -i edits files, and without -n sed is usually a filter).
func codexSedFiles(args []string) []string {
	quiet, script := false, false
	var ops []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-n" || a == "--quiet" || a == "--silent":
			quiet = true
		case a == "-e" || a == "--expression":
			script = true
			i++
		case strings.HasPrefix(a, "-i") || strings.HasPrefix(a, "--in-place"):
			return nil
		case strings.HasPrefix(a, "-") && a != "-":
		default:
			ops = append(ops, a)
		}
	}
	if !quiet {
		return nil
	}
	if !script && len(ops) > 0 {
		ops = ops[1:]
	}
	return ops
}

// codexShellSegments splits a script into simple commands (at ;, &, |,
// newlines) of unquoted words, dropping redirection targets.
func codexShellSegments(script string) [][]string {
	var segs [][]string
	var words []string
	var cur strings.Builder
	inWord, skipNext := false, false
	flushWord := func() {
		if inWord {
			if skipNext {
				skipNext = false
			} else {
				words = append(words, cur.String())
			}
		}
		cur.Reset()
		inWord = false
	}
	flushSeg := func() {
		flushWord()
		if len(words) > 0 {
			segs = append(segs, words)
		}
		words = nil
		skipNext = false
	}
	for i := 0; i < len(script); i++ {
		ch := script[i]
		switch {
		case ch == '\'':
			end := strings.IndexByte(script[i+1:], '\'')
			if end < 0 {
				return segs // unbalanced quote: give up on the rest
			}
			cur.WriteString(script[i+1 : i+1+end])
			inWord = true
			i += end + 1
		case ch == '"':
			j := i + 1
			for ; j < len(script) && script[j] != '"'; j++ {
				if script[j] == '\\' && j+1 < len(script) {
					j++
				}
				cur.WriteByte(script[j])
			}
			if j >= len(script) {
				return segs
			}
			inWord = true
			i = j
		case ch == '\\' && i+1 < len(script):
			i++
			if script[i] != '\n' {
				cur.WriteByte(script[i])
				inWord = true
			}
		case ch == ' ' || ch == '\t':
			flushWord()
		case (ch == '(' || ch == ')') && inWord:
			return segs // "a(b" is a syntax error in sh; do not guess at the words
		case ch == ';' || ch == '&' || ch == '|' || ch == '\n' || ch == '(' || ch == ')':
			flushSeg()
		case ch == '<' && i+1 < len(script) && script[i+1] == '<':
			flushSeg()
			return segs // heredoc: the rest is data
		case ch == '>' || ch == '<':
			// A redirection's target is not an operand; fd digits before it
			// were part of the previous word and are dropped with it.
			if inWord && codexAllDigits(cur.String()) {
				cur.Reset()
				inWord = false
			}
			flushWord()
			if i+1 < len(script) && (script[i+1] == '>' || script[i+1] == '&') {
				i++
			}
			skipNext = true
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	flushSeg()
	return segs
}

func codexAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
