// Claude Code session transcripts (FormatClaudeCodeJSONL).
//
// Claude Code appends one JSON object per line to
// ~/.claude/projects/<cwd-slug>/<sessionId>.jsonl. Every line has a "type".
// Variants seen (tool versions 1.0.51 … 2.1.114):
//
//   - user / assistant: {parentUuid, isSidechain, userType, cwd, sessionId,
//     version, gitBranch, type, message:{role, content, model, id, usage},
//     uuid, timestamp}. message.content is a string or an array of blocks:
//     text, thinking {thinking, signature} (empty thinking in 2.1.x, where
//     the reasoning is hidden), redacted_thinking, tool_use {id, name,
//     input}, image, and in user lines tool_result {tool_use_id, content
//     (string or blocks: text, image, tool_reference), is_error}.
//     Claude Code writes ONE assistant line PER CONTENT BLOCK, all with the
//     same message.id and a usage snapshot whose output_tokens grows; since
//     2.1.x the tool_result lines of parallel tool calls are interleaved
//     between the blocks of the same message.id.
//   - user lines with isMeta=true (local-command caveats, stop-hook
//     feedback), "<local-command-stdout>" echoes, "[Request interrupted by
//     user]" markers, isCompactSummary continuations: not the user's words.
//   - system: {content, level, subtype?, toolUseID} hook output (1.0.x) and,
//     since 2.1.x, content-less stop_hook_summary / turn_duration lines and
//     away_summary recaps.
//   - summary {summary, leafUuid}: titles of sessions (often of OTHER
//     sessions, copied to the top of the file on resume); custom-title
//     {customTitle} (/rename), ai-title {aiTitle}, agent-name.
//   - bookkeeping: file-history-snapshot, progress (hook_progress),
//     queue-operation, permission-mode, attachment (hook output, deferred
//     tools, skill listings), last-prompt, mode.
//   - gitBranch is per line and changes mid-session (checkouts, worktrees);
//     "HEAD" (detached) and "" (not a repository) mean no branch. cwd
//     changes when the session enters a worktree.
//   - subagents: old layout agent-<agentId>.jsonl next to the session file
//     (2.0.x), new layout <sessionId>/subagents/agent-<agentId>.jsonl with a
//     companion agent-<agentId>.meta.json {agentType, description} that is
//     not a transcript (2.1.x). Every line has isSidechain=true, agentId and
//     the PARENT's sessionId; older versions (1.0.x) kept sidechain lines
//     inside the session file itself.
//
// Mapping decisions:
//   - Conversation.ExternalID is the sessionId (the file's base name when it
//     is one of the sessionIds in the file, else the first sessionId seen,
//     else a UUID base name, else a content hash). A subagent file becomes
//     its own conversation "<sessionId>/agent-<agentId>" with
//     ParentExternalID = sessionId so that it never collides with its parent.
//   - Consecutive assistant lines with the same message.id become one
//     Message (text, thinking and tool calls kept in order); tool_result-only
//     user lines and bookkeeping lines in between do not break the run.
//     The first line's uuid is the Message's ExternalID. Usage is counted
//     once per message.id (per field, the largest value seen).
//   - tool_result blocks become ToolCall.Output/IsError of the tool_use with
//     the same id; a user line made only of tool results is not a Message.
//   - ParentExternalID points at the nearest ancestor line that became a
//     Message (lines that are not Messages are skipped over); a parentUuid
//     that is not in the file is kept as is.
//   - Title: last custom-title, else last ai-title, else the last summary
//     whose leafUuid is a line of this file, else the first prompt, else
//     the first summary (it describes the session this one continues).
//   - A file with no user/assistant/system message (only summaries or
//     bookkeeping) yields a warning and no conversation.
package transcript

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// claudeLine is the union of the fields of every Claude Code line type we read.
type claudeLine struct {
	Type              string          `json:"type"`
	UUID              string          `json:"uuid"`
	ParentUUID        string          `json:"parentUuid"`
	SessionID         string          `json:"sessionId"`
	Version           string          `json:"version"`
	Cwd               string          `json:"cwd"`
	GitBranch         string          `json:"gitBranch"`
	IsSidechain       bool            `json:"isSidechain"`
	AgentID           string          `json:"agentId"`
	IsMeta            bool            `json:"isMeta"`
	IsCompactSummary  bool            `json:"isCompactSummary"`
	IsAPIErrorMessage bool            `json:"isApiErrorMessage"`
	Timestamp         string          `json:"timestamp"`
	Message           json.RawMessage `json:"message"`
	Content           json.RawMessage `json:"content"` // system lines
	Summary           string          `json:"summary"`
	LeafUUID          string          `json:"leafUuid"`
	CustomTitle       string          `json:"customTitle"`
	AITitle           string          `json:"aiTitle"`
}

type claudeMessage struct {
	ID      string          `json:"id"`
	Role    string          `json:"role"`
	Model   string          `json:"model"`
	Content json.RawMessage `json:"content"`
	Usage   *claudeUsage    `json:"usage"`
}

type claudeUsage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
}

// claudeBlock is one Anthropic-API content block; Cursor uses the same shape.
type claudeBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	Thinking  string          `json:"thinking"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
	ToolName  string          `json:"tool_name"` // tool_reference
}

// claudeKnownTypes are line types that are not messages but are expected:
// they are skipped without a warning.
var claudeKnownTypes = map[string]bool{
	"summary": true, "custom-title": true, "ai-title": true, "agent-name": true,
	"file-history-snapshot": true, "progress": true, "queue-operation": true,
	"permission-mode": true, "attachment": true, "last-prompt": true, "mode": true,
}

// sniffClaudeCode reports whether head (the first bytes of a file) is a
// Claude Code transcript: JSONL whose lines carry Claude Code's own keys
// (uuid/sessionId next to a type and a message object, summary+leafUuid,
// file-history-snapshot). Gemini JSONL (type user/gemini without message),
// Codex (payload envelopes) and Cursor (top-level role) do not match.
func sniffClaudeCode(name string, head []byte) bool {
	objs, complete := claudeHeadObjects(head, 50)
	for _, o := range objs {
		if claudeStrongLine(o) {
			return true
		}
	}
	if complete == 0 {
		// The first line alone is longer than the head (a huge pasted
		// prompt): judge by the keys Claude Code writes before "message".
		h := bytes.TrimLeft(head, " \t\r\n\ufeff")
		return bytes.HasPrefix(h, []byte("{")) &&
			bytes.Contains(h, []byte(`"sessionId":`)) &&
			bytes.Contains(h, []byte(`"isSidechain":`)) &&
			bytes.Contains(h, []byte(`"parentUuid":`))
	}
	return false
}

func claudeStrongLine(o map[string]json.RawMessage) bool {
	typ := claudeRawString(o["type"])
	_, hasUUID := o["uuid"]
	_, hasSession := o["sessionId"]
	switch typ {
	case "user", "assistant":
		msg, ok := o["message"]
		return ok && bytes.HasPrefix(bytes.TrimSpace(msg), []byte("{")) && (hasUUID || hasSession)
	case "system":
		_, hasParent := o["parentUuid"]
		return hasUUID && hasSession && hasParent
	case "summary":
		_, ok := o["leafUuid"]
		return ok
	case "file-history-snapshot":
		_, ok := o["snapshot"]
		_, ok2 := o["messageId"]
		return ok && ok2
	case "queue-operation", "permission-mode", "last-prompt", "custom-title", "ai-title", "agent-name":
		return hasSession
	}
	return false
}

// claudeHeadObjects decodes up to limit JSON-object lines of a file head. The
// last line is only used when it parses (the head may cut it). complete is
// the number of newline-terminated lines seen.
func claudeHeadObjects(head []byte, limit int) (objs []map[string]json.RawMessage, complete int) {
	for len(head) > 0 && len(objs) < limit {
		i := bytes.IndexByte(head, '\n')
		var l []byte
		if i < 0 {
			l, head = head, nil
		} else {
			l, head = head[:i], head[i+1:]
			complete++
		}
		l = bytes.TrimSpace(l)
		l = bytes.TrimPrefix(l, []byte("\ufeff"))
		if len(l) == 0 || l[0] != '{' {
			continue
		}
		var o map[string]json.RawMessage
		if json.Unmarshal(l, &o) == nil {
			objs = append(objs, o)
		}
	}
	return objs, complete
}

func claudeRawString(r json.RawMessage) string {
	var s string
	if len(r) == 0 || json.Unmarshal(r, &s) != nil {
		return ""
	}
	return s
}

// claudeToolRef locates a tool call inside the conversation being built.
type claudeToolRef struct{ msg, call int }

// claudeUsageRef is the usage counted for one message.id and the Message
// that carries it.
type claudeUsageRef struct {
	msg int
	tok Tokens
}

type claudeSummary struct {
	text, leaf string
}

// claudeParser holds the state of one file's parse.
type claudeParser struct {
	name string
	res  *Result
	conv Conversation

	lineUUIDs  map[string]bool   // every uuid in the file (for summaries)
	parentOf   map[string]string // line uuid → parentUuid
	msgOfUUID  map[string]string // line uuid → ExternalID of the Message holding it
	usedIDs    map[string]bool   // Message ExternalIDs already emitted
	rawParents []string          // per Message: its first line's parentUuid
	tools      map[string]claudeToolRef
	usage      map[string]*claudeUsageRef

	// The assistant Message that further lines with the same message.id
	// merge into; reset whenever another Message is emitted.
	openID  string
	openIdx int

	sessionIDs    []string
	agentID       string
	messageLines  int
	sidechainOnly bool
	summaries     []claudeSummary
	customTitle   string
	aiTitle       string
	unknown       map[string]bool
	warnedDupUUID bool
	otherLines    int
}

// parseClaudeCode parses one Claude Code JSONL transcript.
func parseClaudeCode(name string, data []byte, lim Limits) Result {
	res := Result{Format: FormatClaudeCodeJSONL}
	p := &claudeParser{
		name:          name,
		res:           &res,
		conv:          Conversation{Tool: ToolClaudeCode, Format: FormatClaudeCodeJSONL},
		lineUUIDs:     map[string]bool{},
		parentOf:      map[string]string{},
		msgOfUUID:     map[string]string{},
		usedIDs:       map[string]bool{},
		tools:         map[string]claudeToolRef{},
		usage:         map[string]*claudeUsageRef{},
		openIdx:       -1,
		sidechainOnly: true,
		unknown:       map[string]bool{},
	}
	for _, l := range splitLines(name, data, lim, &res) {
		p.line(l)
	}
	if len(p.conv.Messages) == 0 {
		res.warnf(name, 0, "no user, assistant or system messages found (%d other lines: summaries or bookkeeping); expected a Claude Code session transcript, nothing imported", p.otherLines)
		return res
	}
	p.finishConversation()
	res.Conversations = append(res.Conversations, p.conv)
	return res
}

func (p *claudeParser) line(l line) {
	text := bytes.TrimPrefix(bytes.TrimLeft(l.Text, " \t"), []byte("\ufeff"))
	if len(text) == 0 || text[0] != '{' {
		p.res.errorf(p.name, l.N, "found %s, expected one JSON object per line", claudeDescribeJSON(text))
		return
	}
	var cl claudeLine
	if err := json.Unmarshal(text, &cl); err != nil {
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			p.res.errorf(p.name, l.N, "invalid JSON (%s); expected one JSON object per line", claudeJSONError(err))
			return
		}
		// A field of an unexpected type: fatal only for the lines we import.
		if cl.Type == "user" || cl.Type == "assistant" || cl.Type == "system" {
			p.res.errorf(p.name, l.N, "cannot read %s line (%s); expected a Claude Code %s line, skipped", cl.Type, claudeJSONError(err), cl.Type)
			return
		}
		if !claudeKnownTypes[cl.Type] {
			p.warnUnknown(l.N, cl.Type)
			return
		}
	}
	if cl.UUID != "" {
		p.lineUUIDs[cl.UUID] = true
		if cl.ParentUUID != "" {
			if _, seen := p.parentOf[cl.UUID]; !seen {
				p.parentOf[cl.UUID] = cl.ParentUUID
			}
		}
	}
	switch cl.Type {
	case "user", "assistant", "system":
		p.noteSession(cl)
		if p.conv.ToolVersion == "" {
			p.conv.ToolVersion = cl.Version
		}
		if p.conv.Cwd == "" {
			p.conv.Cwd = cl.Cwd
		}
	}
	switch cl.Type {
	case "user":
		p.userLine(l.N, cl)
	case "assistant":
		p.assistantLine(l.N, cl)
	case "system":
		p.systemLine(l.N, cl)
	case "summary":
		p.otherLines++
		if s := strings.TrimSpace(cl.Summary); s != "" {
			p.summaries = append(p.summaries, claudeSummary{text: s, leaf: cl.LeafUUID})
		}
	case "custom-title":
		p.otherLines++
		if s := strings.TrimSpace(cl.CustomTitle); s != "" {
			p.customTitle = s
		}
	case "ai-title":
		p.otherLines++
		if s := strings.TrimSpace(cl.AITitle); s != "" {
			p.aiTitle = s
		}
	default:
		p.otherLines++
		if !claudeKnownTypes[cl.Type] {
			p.warnUnknown(l.N, cl.Type)
		}
	}
}

func (p *claudeParser) warnUnknown(n int, typ string) {
	if p.unknown[typ] {
		return
	}
	p.unknown[typ] = true
	if typ == "" {
		p.res.warnf(p.name, n, `JSON object has no "type"; expected a Claude Code line (user, assistant, system, summary, …), skipped (further lines like it are skipped silently)`)
		return
	}
	p.res.warnf(p.name, n, "unknown line type %q; expected user, assistant, system, summary or a known bookkeeping type, skipped (further %q lines are skipped silently)", typ, typ)
}

// noteSession records a message line's session and sidechain facts.
func (p *claudeParser) noteSession(cl claudeLine) {
	if cl.SessionID != "" {
		p.sessionIDs = appendUnique(p.sessionIDs, cl.SessionID)
	}
	if cl.Type == "system" {
		return // hook lines do not tell whether the file is a subagent's
	}
	p.messageLines++
	if !cl.IsSidechain {
		p.sidechainOnly = false
	}
	if p.agentID == "" && cl.AgentID != "" {
		p.agentID = cl.AgentID
	}
}

// newMessage fills the fields every Message of a line shares.
func (p *claudeParser) newMessage(n int, cl claudeLine, role Role) Message {
	m := Message{
		ExternalID: cl.UUID,
		Role:       role,
		Sidechain:  cl.IsSidechain,
		AgentID:    cl.AgentID,
		GitBranch:  claudeBranch(cl.GitBranch),
		Line:       n,
	}
	if m.ExternalID == "" {
		m.ExternalID = fmt.Sprintf("L%d", n)
	}
	if t, ok := parseTime(cl.Timestamp); ok {
		m.Timestamp = t
	}
	return m
}

// repeated reports (once per file) and skips a line whose uuid already
// went into a Message: Claude Code can copy lines again when a session is
// resumed, and merging them twice would duplicate text and tool calls.
func (p *claudeParser) repeated(n int, uuid string) bool {
	if uuid == "" {
		return false
	}
	if _, seen := p.msgOfUUID[uuid]; !seen {
		return false
	}
	p.warnRepeat(n, uuid)
	return true
}

func (p *claudeParser) warnRepeat(n int, id string) {
	if !p.warnedDupUUID {
		p.warnedDupUUID = true
		p.res.warnf(p.name, n, "message uuid %q repeats an earlier line; the repeat is skipped (further repeats are skipped silently)", id)
	}
}

// emit appends m unless its id was already used (a position id "L7" can
// equal another line's uuid); it reports whether m was kept.
func (p *claudeParser) emit(m Message, rawParent string) bool {
	if p.usedIDs[m.ExternalID] {
		p.warnRepeat(m.Line, m.ExternalID)
		return false
	}
	p.usedIDs[m.ExternalID] = true
	p.msgOfUUID[m.ExternalID] = m.ExternalID
	p.conv.Messages = append(p.conv.Messages, m)
	p.rawParents = append(p.rawParents, rawParent)
	p.openID, p.openIdx = "", -1
	return true
}

func (p *claudeParser) userLine(n int, cl claudeLine) {
	if p.repeated(n, cl.UUID) {
		return
	}
	var msg claudeMessage
	if len(cl.Message) == 0 || json.Unmarshal(cl.Message, &msg) != nil {
		p.res.errorf(p.name, n, "user line has no readable message object; expected message:{role, content}, skipped")
		return
	}
	blocks, text, ok := claudeContent(p.res, p.name, n, msg.Content)
	if !ok {
		return
	}
	var parts []string
	if text != "" {
		parts = append(parts, text)
	}
	for _, b := range blocks {
		switch b.Type {
		case "tool_result":
			p.toolResult(n, b)
		case "text":
			if b.Text != "" {
				parts = append(parts, b.Text)
			}
		case "image", "document":
			parts = append(parts, "["+b.Type+"]")
		}
	}
	if len(parts) == 0 {
		// A line made only of tool results is part of the assistant's turn;
		// its uuid resolves through parentOf to the nearest Message.
		return
	}
	body := strings.TrimSpace(strings.Join(parts, "\n\n"))
	m := p.newMessage(n, cl, claudeUserRole(cl, body))
	if m.Role == RoleSystem {
		body = claudeStripANSI(body)
	}
	m.Text = body
	p.emit(m, cl.ParentUUID)
}

// claudeUserRole tells the user's own words from what Claude Code injects
// into user lines: meta lines, local-command echoes, interruption markers
// and compaction summaries are system messages.
func claudeUserRole(cl claudeLine, text string) Role {
	if cl.IsMeta || cl.IsCompactSummary {
		return RoleSystem
	}
	t := strings.TrimSpace(text)
	for _, prefix := range []string{
		"Caveat: The messages below were generated by the user while running local commands",
		"<local-command-caveat>", "<local-command-stdout>", "<local-command-stderr>",
		"[Request interrupted by user",
	} {
		if strings.HasPrefix(t, prefix) {
			return RoleSystem
		}
	}
	return RoleUser
}

func (p *claudeParser) assistantLine(n int, cl claudeLine) {
	if p.repeated(n, cl.UUID) {
		return
	}
	var msg claudeMessage
	if len(cl.Message) == 0 || json.Unmarshal(cl.Message, &msg) != nil {
		p.res.errorf(p.name, n, "assistant line has no readable message object; expected message:{role, content, model, usage}, skipped")
		return
	}
	blocks, text, ok := claudeContent(p.res, p.name, n, msg.Content)
	if !ok {
		return
	}
	var texts, thinking []string
	if text != "" {
		texts = append(texts, text)
	}
	var calls []ToolCall
	for _, b := range blocks {
		switch b.Type {
		case "text":
			// Claude Code keeps the blank lines the model emits after thinking.
			if t := strings.TrimSpace(b.Text); t != "" {
				texts = append(texts, t)
			}
		case "thinking":
			if t := strings.TrimSpace(b.Thinking); t != "" {
				thinking = append(thinking, t)
			}
		case "redacted_thinking":
			thinking = append(thinking, "[redacted thinking]")
		case "tool_use", "server_tool_use":
			calls = append(calls, claudeToolCall(b))
		}
	}

	idx := -1
	if msg.ID != "" && msg.ID == p.openID && p.openIdx == len(p.conv.Messages)-1 {
		idx = p.openIdx // another content block of the open message
		m := &p.conv.Messages[idx]
		m.Text = claudeJoin(m.Text, strings.Join(texts, "\n\n"))
		m.Thinking = claudeJoin(m.Thinking, strings.Join(thinking, "\n\n"))
		if m.Model == "" {
			m.Model = claudeModel(msg.Model)
		}
		if cl.UUID != "" {
			p.msgOfUUID[cl.UUID] = m.ExternalID
		}
	} else {
		role := RoleAssistant
		if cl.IsAPIErrorMessage {
			role = RoleSystem // "API Error: …" written by Claude Code, not the model
		}
		m := p.newMessage(n, cl, role)
		m.Text = strings.Join(texts, "\n\n")
		m.Thinking = strings.Join(thinking, "\n\n")
		m.Model = claudeModel(msg.Model)
		if !p.emit(m, cl.ParentUUID) {
			return
		}
		idx = len(p.conv.Messages) - 1
		if msg.ID != "" {
			p.openID, p.openIdx = msg.ID, idx
		}
	}
	for _, c := range calls {
		m := &p.conv.Messages[idx]
		m.ToolCalls = append(m.ToolCalls, c)
		if c.ExternalID != "" {
			if _, dup := p.tools[c.ExternalID]; !dup {
				p.tools[c.ExternalID] = claudeToolRef{msg: idx, call: len(m.ToolCalls) - 1}
			}
		}
	}
	p.addUsage(idx, msg)
}

// addUsage counts a message.id's usage once: every line of a streamed
// message repeats the input/cache counts and grows output_tokens, so per
// field the largest value seen is the message's.
func (p *claudeParser) addUsage(idx int, msg claudeMessage) {
	if msg.Usage == nil {
		return
	}
	u := Tokens{
		Input:      msg.Usage.InputTokens,
		Output:     msg.Usage.OutputTokens,
		CacheRead:  msg.Usage.CacheReadInputTokens,
		CacheWrite: msg.Usage.CacheCreationInputTokens,
	}
	if msg.ID == "" {
		p.conv.Messages[idx].Tokens.Add(u)
		return
	}
	ref, ok := p.usage[msg.ID]
	if !ok {
		ref = &claudeUsageRef{msg: idx}
		p.usage[msg.ID] = ref
	}
	ref.tok = Tokens{
		Input:      max(ref.tok.Input, u.Input),
		Output:     max(ref.tok.Output, u.Output),
		CacheRead:  max(ref.tok.CacheRead, u.CacheRead),
		CacheWrite: max(ref.tok.CacheWrite, u.CacheWrite),
	}
	p.conv.Messages[ref.msg].Tokens = ref.tok
}

func (p *claudeParser) systemLine(n int, cl claudeLine) {
	if p.repeated(n, cl.UUID) {
		return
	}
	var text string
	if len(cl.Content) > 0 && json.Unmarshal(cl.Content, &text) != nil {
		// Not a string: keep the raw JSON rather than drop it.
		text = string(cl.Content)
	}
	text = strings.TrimSpace(claudeStripANSI(text))
	if text == "" {
		// stop_hook_summary, turn_duration: metadata without words.
		return
	}
	m := p.newMessage(n, cl, RoleSystem)
	m.Text = text
	p.emit(m, cl.ParentUUID)
}

// claudeContent decodes message.content: a string, or an array of blocks.
// A block that cannot be read is reported and the others are kept.
func claudeContent(res *Result, name string, n int, raw json.RawMessage) (blocks []claudeBlock, text string, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, "", true
	}
	switch raw[0] {
	case '"':
		if err := json.Unmarshal(raw, &text); err != nil {
			res.errorf(name, n, "message.content is not a readable string (%s); skipped", claudeJSONError(err))
			return nil, "", false
		}
		return nil, text, true
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			res.errorf(name, n, "message.content is not a readable array (%s); skipped", claudeJSONError(err))
			return nil, "", false
		}
		for i, it := range items {
			var b claudeBlock
			if err := json.Unmarshal(it, &b); err != nil {
				res.errorf(name, n, "content block %d is unreadable (%s); expected {type, …}, block skipped", i+1, claudeJSONError(err))
				continue
			}
			blocks = append(blocks, b)
		}
		return blocks, "", true
	}
	res.errorf(name, n, "message.content is %s; expected a string or an array of content blocks, skipped", claudeDescribeJSON(raw))
	return nil, "", false
}

func (p *claudeParser) toolResult(n int, b claudeBlock) {
	ref, ok := p.tools[b.ToolUseID]
	if !ok {
		p.res.warnf(p.name, n, "tool_result for tool_use id %q has no matching tool_use earlier in the file; its output is dropped", b.ToolUseID)
		return
	}
	tc := &p.conv.Messages[ref.msg].ToolCalls[ref.call]
	tc.Output = truncate(claudeToolOutput(b.Content), MaxToolOutput)
	tc.IsError = b.IsError
}

// claudeToolOutput flattens a tool_result's content (a string or blocks).
func claudeToolOutput(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if raw[0] == '"' {
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	var items []claudeBlock
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return string(raw)
	}
	var parts []string
	for _, it := range items {
		switch it.Type {
		case "text":
			parts = append(parts, it.Text)
		case "tool_reference":
			parts = append(parts, "[tool_reference "+it.ToolName+"]")
		default:
			parts = append(parts, "["+it.Type+"]")
		}
	}
	return strings.Join(parts, "\n")
}

// claudeToolCall builds a ToolCall from a tool_use block.
func claudeToolCall(b claudeBlock) ToolCall {
	tc := ToolCall{ExternalID: b.ID, Name: b.Name}
	if in := bytes.TrimSpace(b.Input); len(in) > 0 && !bytes.Equal(in, []byte("null")) {
		tc.Input = string(in)
	}
	claudeToolEffects(&tc, b.Input)
	return tc
}

// Tool names (lowercased) by what they do to the workspace. Claude Code and
// Cursor names share the table; paths are taken as written.
var (
	claudeReadTools = map[string]bool{
		"read": true, "read_file": true, "readfile": true, "view": true, "notebookread": true,
		"glob": true, "grep": true, "ls": true, "list_dir": true, "grep_search": true,
		"file_search": true, "codebase_search": true, "readlints": true, "read_lints": true,
	}
	claudeWriteTools = map[string]bool{
		"write": true, "edit": true, "multiedit": true, "notebookedit": true,
		"strreplace": true, "str_replace": true, "search_replace": true, "edit_file": true,
		"write_file": true, "create_file": true, "delete": true, "delete_file": true,
		"editnotebook": true, "edit_notebook": true,
	}
	claudeShellTools = map[string]bool{
		"bash": true, "shell": true, "run_terminal_cmd": true, "run_terminal_command": true,
	}
	claudePathKeys    = []string{"file_path", "notebook_path", "path", "target_file", "target_notebook", "target_directory"}
	claudeCommandKeys = []string{"command", "cmd"}
)

// claudeToolEffects fills FilesRead/FilesWritten/Commands from the input
// of the known file and shell tools (Task/Agent touch no file themselves).
func claudeToolEffects(tc *ToolCall, input json.RawMessage) {
	name := strings.ToLower(tc.Name)
	read, write, shell := claudeReadTools[name], claudeWriteTools[name], claudeShellTools[name]
	if !read && !write && !shell {
		return
	}
	var in map[string]json.RawMessage
	if json.Unmarshal(input, &in) != nil {
		return
	}
	if shell {
		for _, k := range claudeCommandKeys {
			if c := claudeRawString(in[k]); strings.TrimSpace(c) != "" {
				tc.Commands = appendUnique(tc.Commands, c)
				break
			}
		}
		return
	}
	for _, k := range claudePathKeys {
		f := claudeRawString(in[k])
		if f == "" {
			continue
		}
		if write {
			tc.FilesWritten = appendUnique(tc.FilesWritten, f)
		} else {
			tc.FilesRead = appendUnique(tc.FilesRead, f)
		}
		break
	}
}

// finishConversation sets the identity, parents and title once every line
// has been read, then lets Conversation.finish derive the rest.
func (p *claudeParser) finishConversation() {
	c := &p.conv
	base := claudeBaseName(p.name)
	session := ""
	for _, s := range p.sessionIDs {
		if s == base {
			session = s
		}
	}
	if session == "" && len(p.sessionIDs) > 0 {
		session = p.sessionIDs[0]
	}
	// Subagent files are named agent-<agentId>.jsonl (both layouts); a file
	// renamed on export is still one when every line is a sidechain with an
	// agentId.
	named := strings.HasPrefix(base, "agent-") && len(base) > len("agent-")
	agent := p.agentID
	if agent == "" {
		if i := strings.LastIndex(base, "agent-"); i >= 0 && i+len("agent-") < len(base) {
			agent = base[i+len("agent-"):]
		}
	}
	switch {
	case agent != "" && (named || (p.messageLines > 0 && p.sidechainOnly)):
		// A subagent's own file carries its parent's sessionId.
		c.ExternalID = "agent-" + agent
		if session != "" {
			c.ParentExternalID = session
			c.ExternalID = session + "/agent-" + agent
		}
		for i := range c.Messages {
			c.Messages[i].Sidechain = true
			if c.Messages[i].AgentID == "" {
				c.Messages[i].AgentID = agent
			}
		}
	case session != "":
		c.ExternalID = session
	case claudeIsUUID(base):
		c.ExternalID = base
	default:
		c.ExternalID = claudeContentID(c.Messages)
	}
	p.resolveParents()
	c.Title = p.title()
	c.finish()
}

// resolveParents maps each Message's parentUuid to the nearest ancestor
// line that is (part of) a Message.
func (p *claudeParser) resolveParents() {
	for i := range p.conv.Messages {
		m := &p.conv.Messages[i]
		parent := p.rawParents[i]
		if parent == "" {
			continue
		}
		if !p.lineUUIDs[parent] {
			m.ParentExternalID = parent // in another file (resumed/compacted session)
			continue
		}
		resolved := ""
		for steps := 0; parent != "" && steps < len(p.parentOf)+1; steps++ {
			if id, ok := p.msgOfUUID[parent]; ok {
				resolved = id
				break
			}
			parent = p.parentOf[parent]
		}
		if resolved != m.ExternalID {
			m.ParentExternalID = resolved
		}
	}
}

func (p *claudeParser) title() string {
	if p.customTitle != "" {
		return claudeCutTitle(p.customTitle)
	}
	if p.aiTitle != "" {
		return claudeCutTitle(p.aiTitle)
	}
	if len(p.summaries) > 0 {
		for i := len(p.summaries) - 1; i >= 0; i-- {
			if p.lineUUIDs[p.summaries[i].leaf] {
				return claudeCutTitle(p.summaries[i].text)
			}
		}
	}
	// The first prompt of the main thread, else of any thread.
	for _, sidechain := range []bool{false, true} {
		for _, m := range p.conv.Messages {
			if m.Role != RoleUser || m.Sidechain != sidechain {
				continue
			}
			if t := claudePromptText(m.Text); t != "" {
				return claudeCutTitle(t)
			}
		}
	}
	// Summaries that name no line of this file describe the session it
	// continues; better than no title when there is no prompt.
	if len(p.summaries) > 0 {
		return claudeCutTitle(p.summaries[0].text)
	}
	return ""
}

// claudePromptText strips the leading <tag>…</tag> blocks Claude Code puts
// before a prompt (IDE context, slash-command echoes); a message that is
// only such blocks has no prompt text.
func claudePromptText(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasPrefix(s, "<") {
		end := strings.IndexByte(s, '>')
		if end < 2 {
			break
		}
		tag := s[1:end]
		if strings.ContainsAny(tag, " /\n\t") {
			break
		}
		closeTag := "</" + tag + ">"
		j := strings.Index(s, closeTag)
		if j < 0 {
			break
		}
		s = strings.TrimSpace(s[j+len(closeTag):])
	}
	return s
}

// claudeCutTitle collapses whitespace and cuts to about 80 characters at a
// word boundary.
func claudeCutTitle(s string) string {
	s = strings.Join(strings.Fields(validText(s)), " ")
	const maxRunes = 80
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	r := []rune(s)[:maxRunes]
	cut := string(r)
	if i := strings.LastIndexFunc(cut, unicode.IsSpace); i > maxRunes/2 {
		cut = cut[:i]
	}
	return strings.TrimRightFunc(cut, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
}

// claudeContentID derives a stable id for a transcript without a session
// id: the first user message and its time.
func claudeContentID(msgs []Message) string {
	h := sha256.New()
	first := -1
	for i, m := range msgs {
		if m.Role == RoleUser {
			first = i
			break
		}
	}
	if first < 0 && len(msgs) > 0 {
		first = 0
	}
	if first >= 0 {
		m := msgs[first]
		fmt.Fprintf(h, "%s\x00%s\x00", m.Role, m.Text)
		if !m.Timestamp.IsZero() {
			h.Write([]byte(m.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z")))
		}
	}
	return "sha256-" + hex.EncodeToString(h.Sum(nil))[:32]
}

func claudeBranch(b string) string {
	if b == "HEAD" {
		return "" // detached: no branch
	}
	return b
}

func claudeModel(m string) string {
	if m == "<synthetic>" {
		return "" // written by Claude Code itself (errors, replays), not a model
	}
	return m
}

func claudeJoin(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n\n" + b
}

// claudeBaseName is the file's base name without its .jsonl extension.
func claudeBaseName(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	for _, ext := range []string{".jsonl", ".json"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// claudeIsUUID reports whether s is a canonical 8-4-4-4-12 hex UUID.
func claudeIsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// claudeStripANSI removes terminal escape sequences (hook output and
// local-command echoes are recorded with colours).
func claudeStripANSI(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != 0x1b {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j // skip through the final byte
		}
	}
	return b.String()
}

// claudeDescribeJSON names what a line starts with, for error messages.
func claudeDescribeJSON(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "an empty value"
	}
	switch b[0] {
	case '[':
		return "a JSON array"
	case '"':
		return "a JSON string"
	case 't', 'f':
		return "a JSON boolean"
	case 'n':
		return "null"
	case '{':
		return "a JSON object"
	}
	if b[0] == '-' || (b[0] >= '0' && b[0] <= '9') {
		return "a JSON number"
	}
	return fmt.Sprintf("text starting %q", truncate(string(b), 24))
}

// claudeJSONError words a decoding error without Go type names.
func claudeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		if strings.Contains(syn.Error(), "unexpected end of JSON input") {
			return fmt.Sprintf("unexpected end of input at byte %d", syn.Offset)
		}
		return fmt.Sprintf("%s at byte %d", strings.TrimPrefix(syn.Error(), "json: "), syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("%s is a JSON %s, expected %s", field, typ.Value, claudeGoKind(typ.Type.Kind().String()))
	}
	if strings.Contains(err.Error(), "unexpected end of JSON input") {
		return "unexpected end of input"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func claudeGoKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	}
	if strings.HasPrefix(k, "int") || strings.HasPrefix(k, "float") || strings.HasPrefix(k, "uint") {
		return "a number"
	}
	return k
}
