// Cursor agent transcripts (FormatCursorAgent).
//
// Cursor (IDE agent and cursor-agent CLI, builds of late 2025 / early 2026)
// writes one JSON object per line to
// ~/.cursor/projects/<workspace-slug>/agent-transcripts/<uuid>.jsonl (older
// flat layout) or …/agent-transcripts/<uuid>/<uuid>.jsonl, with subagent
// transcripts under …/<uuid>/subagents/<id>.jsonl. Variants known:
//
//   - {"role":"user"|"assistant","message":{"content":[blocks]}} with
//     Anthropic-API-style blocks: text, tool_use {name, input} (no id in the
//     files seen), and in some builds tool_result {tool_use_id?, content}.
//     content may also be a plain string.
//   - The user's prompt is wrapped in <user_query>…</user_query>, possibly
//     after context blocks (<attached_files>, <cursor_commands>).
//   - Cursor replaces the model's reasoning with the literal "[REDACTED]",
//     alone in a text block or appended to visible text.
//   - {"type":"turn_ended","status":"success"|"aborted"|"error", "error"?}
//     closes a turn; the IDE panel sometimes writes only these markers.
//   - No session id, timestamps, model, tokens, cwd or branch are recorded.
//
// Mapping decisions:
//   - ExternalID: the file's base name when it is a UUID (Cursor names the
//     file after the conversation); otherwise a sha256 of the first user
//     message and the first assistant line, so that the same session
//     captured under another name keeps its identity. A file under
//     <uuid>/subagents/ is its own conversation "<uuid>/subagents/<base>"
//     with ParentExternalID <uuid> and sidechain messages.
//   - One Message per line, ExternalID "L<line>" (stable when the file
//     grows); "[REDACTED]" is removed from Text and marks Thinking as
//     "[REDACTED]" so that redacted reasoning is not shown as an answer.
//   - tool_result blocks attach to the tool_use with their tool_use_id, or,
//     without ids, to the oldest tool call still waiting for output.
//   - turn_ended lines are not messages. A file with no messages yields a
//     warning and no conversation.
package transcript

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

type cursorLine struct {
	Role    string          `json:"role"`
	Type    string          `json:"type"`
	Message json.RawMessage `json:"message"`
}

type cursorMessage struct {
	Content json.RawMessage `json:"content"`
}

const cursorRedacted = "[REDACTED]"

// sniffCursorAgent reports whether head is a Cursor agent transcript: JSONL
// with a top-level role and a message object holding content, and none of
// the keys of the other JSONL formats (Claude Code's uuid/sessionId,
// Codex's payload envelope, Copilot's kind/v).
func sniffCursorAgent(name string, head []byte) bool {
	objs, complete := claudeHeadObjects(head, 50)
	roles, turnEnds := 0, 0
	for _, o := range objs {
		for _, k := range []string{"sessionId", "uuid", "payload", "kind", "leafUuid"} {
			if _, ok := o[k]; ok {
				return false
			}
		}
		if cursorRoleLine(o) {
			roles++
		} else if claudeRawString(o["type"]) == "turn_ended" {
			turnEnds++
		}
	}
	if roles > 0 {
		return true
	}
	if turnEnds > 0 && turnEnds == len(objs) {
		// A marker-only transcript: only its place tells what it is.
		return strings.Contains(strings.ReplaceAll(name, "\\", "/"), "agent-transcripts/")
	}
	if complete == 0 {
		// One line longer than the head: judge by how it starts.
		h := bytes.TrimLeft(head, " \t\r\n\ufeff")
		return bytes.HasPrefix(h, []byte(`{"role":"`)) && bytes.Contains(h, []byte(`"message":{"content":`))
	}
	return false
}

func cursorRoleLine(o map[string]json.RawMessage) bool {
	switch claudeRawString(o["role"]) {
	case "user", "assistant", "system", "tool":
	default:
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(o["message"], &m) != nil {
		return false
	}
	_, ok := m["content"]
	return ok
}

type cursorParser struct {
	name    string
	res     *Result
	conv    Conversation
	byID    map[string]claudeToolRef
	pending []claudeToolRef // tool calls without output, oldest first
	unknown map[string]bool
}

// parseCursorAgent parses one Cursor agent transcript.
func parseCursorAgent(name string, data []byte, lim Limits) Result {
	res := Result{Format: FormatCursorAgent}
	p := &cursorParser{
		name:    name,
		res:     &res,
		conv:    Conversation{Tool: ToolCursor, Format: FormatCursorAgent},
		byID:    map[string]claudeToolRef{},
		unknown: map[string]bool{},
	}
	for _, l := range splitLines(name, data, lim, &res) {
		p.line(l)
	}
	if len(p.conv.Messages) == 0 {
		res.warnf(name, 0, "no user or assistant messages found; expected Cursor agent transcript lines {role, message:{content}}, nothing imported")
		return res
	}
	p.identify()
	p.conv.finish()
	res.Conversations = append(res.Conversations, p.conv)
	return res
}

func (p *cursorParser) line(l line) {
	text := bytes.TrimPrefix(bytes.TrimLeft(l.Text, " \t"), []byte("\ufeff"))
	if len(text) == 0 || text[0] != '{' {
		p.res.errorf(p.name, l.N, "found %s, expected one JSON object per line", claudeDescribeJSON(text))
		return
	}
	var cl cursorLine
	if err := json.Unmarshal(text, &cl); err != nil {
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			p.res.errorf(p.name, l.N, "invalid JSON (%s); expected one JSON object per line", claudeJSONError(err))
			return
		}
		p.res.errorf(p.name, l.N, "cannot read line (%s); expected {role, message:{content}}, skipped", claudeJSONError(err))
		return
	}
	if cl.Role == "" {
		if cl.Type == "turn_ended" {
			return // end-of-turn marker: no words
		}
		p.warnUnknown(l.N, "type", cl.Type)
		return
	}
	var msg cursorMessage
	if len(cl.Message) == 0 || json.Unmarshal(cl.Message, &msg) != nil {
		p.res.errorf(p.name, l.N, "%s line has no readable message object; expected message:{content}, skipped", cl.Role)
		return
	}
	blocks, str, ok := claudeContent(p.res, p.name, l.N, msg.Content)
	if !ok {
		return
	}
	switch cl.Role {
	case "user":
		p.userLine(l.N, blocks, str, RoleUser)
	case "system":
		p.userLine(l.N, blocks, str, RoleSystem)
	case "tool":
		p.userLine(l.N, blocks, str, RoleTool)
	case "assistant":
		p.assistantLine(l.N, blocks, str)
	default:
		p.warnUnknown(l.N, "role", cl.Role)
	}
}

func (p *cursorParser) warnUnknown(n int, what, v string) {
	key := what + "\x00" + v
	if p.unknown[key] {
		return
	}
	p.unknown[key] = true
	if v == "" {
		p.res.warnf(p.name, n, `line has neither "role" nor "type"; expected {role, message:{content}} or a turn_ended marker, skipped (further lines like it are skipped silently)`)
		return
	}
	if what == "role" {
		p.res.warnf(p.name, n, "unknown role %q; expected user or assistant, skipped (further %q lines are skipped silently)", v, v)
		return
	}
	p.res.warnf(p.name, n, "unknown line type %q; expected {role, message:{content}} or turn_ended, skipped (further %q lines are skipped silently)", v, v)
}

// userLine handles user (and system/tool) lines: words become a Message,
// tool results go to their tool calls.
func (p *cursorParser) userLine(n int, blocks []claudeBlock, str string, role Role) {
	var parts []string
	if str != "" {
		parts = append(parts, str)
	}
	for _, b := range blocks {
		switch b.Type {
		case "text":
			if b.Text != "" {
				parts = append(parts, b.Text)
			}
		case "tool_result":
			p.toolResult(n, b)
		case "image":
			parts = append(parts, "[image]")
		}
	}
	text := strings.TrimSpace(strings.Join(parts, "\n\n"))
	if text == "" {
		return
	}
	if role == RoleUser {
		text = cursorUserText(text)
	}
	p.conv.Messages = append(p.conv.Messages, Message{ExternalID: fmt.Sprintf("L%d", n), Role: role, Text: text, Line: n})
}

func (p *cursorParser) assistantLine(n int, blocks []claudeBlock, str string) {
	m := Message{ExternalID: fmt.Sprintf("L%d", n), Role: RoleAssistant, Line: n}
	var texts, thinking []string
	if str != "" {
		texts = append(texts, str)
	}
	var results []claudeBlock
	for _, b := range blocks {
		switch b.Type {
		case "text":
			texts = append(texts, b.Text)
		case "thinking", "reasoning":
			if t := claudeJoin(b.Thinking, b.Text); t != "" {
				thinking = append(thinking, t)
			}
		case "tool_use":
			m.ToolCalls = append(m.ToolCalls, claudeToolCall(b))
		case "tool_result":
			results = append(results, b)
		}
	}
	visible, redacted := cursorSplitRedacted(strings.Join(texts, "\n\n"))
	m.Text = visible
	if redacted {
		thinking = append(thinking, cursorRedacted)
	}
	m.Thinking = strings.Join(thinking, "\n\n")
	if m.Text == "" && m.Thinking == "" && len(m.ToolCalls) == 0 {
		return
	}
	p.conv.Messages = append(p.conv.Messages, m)
	idx := len(p.conv.Messages) - 1
	for j, c := range m.ToolCalls {
		ref := claudeToolRef{msg: idx, call: j}
		p.pending = append(p.pending, ref)
		if c.ExternalID != "" {
			p.byID[c.ExternalID] = ref
		}
	}
	for _, b := range results {
		p.toolResult(n, b)
	}
}

// toolResult attaches a result to its call: by id when Cursor wrote one,
// else to the oldest call still waiting.
func (p *cursorParser) toolResult(n int, b claudeBlock) {
	ref, ok := p.byID[b.ToolUseID]
	if ok {
		delete(p.byID, b.ToolUseID)
		for i, r := range p.pending {
			if r == ref {
				p.pending = append(p.pending[:i], p.pending[i+1:]...)
				break
			}
		}
	} else if b.ToolUseID == "" && len(p.pending) > 0 {
		ref, p.pending = p.pending[0], p.pending[1:]
		ok = true
	}
	if !ok {
		p.res.warnf(p.name, n, "tool_result (tool_use id %q) has no matching tool_use earlier in the file; its output is dropped", b.ToolUseID)
		return
	}
	tc := &p.conv.Messages[ref.msg].ToolCalls[ref.call]
	tc.Output = truncate(claudeToolOutput(b.Content), MaxToolOutput)
	tc.IsError = b.IsError
}

// cursorUserText drops the <user_query> wrapper Cursor puts around the
// prompt, keeping any context blocks around it.
func cursorUserText(s string) string {
	s = strings.ReplaceAll(s, "<user_query>", "")
	s = strings.ReplaceAll(s, "</user_query>", "")
	return strings.TrimSpace(s)
}

// cursorQuery is the prompt inside <user_query>, for titles.
func cursorQuery(raw string) string {
	if i := strings.Index(raw, "<user_query>"); i >= 0 {
		rest := raw[i+len("<user_query>"):]
		if j := strings.Index(rest, "</user_query>"); j >= 0 {
			rest = rest[:j]
		}
		return strings.TrimSpace(rest)
	}
	return claudePromptText(raw)
}

// cursorSplitRedacted removes Cursor's "[REDACTED]" reasoning placeholders
// from visible text and reports whether there were any.
func cursorSplitRedacted(s string) (string, bool) {
	if !strings.Contains(s, cursorRedacted) {
		return strings.TrimSpace(s), false
	}
	return strings.TrimSpace(strings.ReplaceAll(s, cursorRedacted, "")), true
}

// identify sets the external id, parent, sidechain marks and title.
func (p *cursorParser) identify() {
	c := &p.conv
	norm := strings.ReplaceAll(p.name, "\\", "/")
	base := claudeBaseName(norm)
	dirs := strings.Split(norm, "/")
	switch {
	case len(dirs) >= 3 && dirs[len(dirs)-2] == "subagents" && dirs[len(dirs)-3] != "":
		parent := dirs[len(dirs)-3]
		c.ParentExternalID = parent
		c.ExternalID = parent + "/subagents/" + base
		for i := range c.Messages {
			c.Messages[i].Sidechain = true
			c.Messages[i].AgentID = base
		}
	case claudeIsUUID(base):
		c.ExternalID = strings.ToLower(base)
	default:
		c.ExternalID = cursorContentID(c.Messages)
	}
	for _, m := range c.Messages {
		if m.Role == RoleUser {
			if t := cursorQuery(m.Text); t != "" {
				c.Title = claudeCutTitle(t)
				break
			}
		}
	}
}

// cursorContentID hashes what a Cursor transcript starts with: the first
// user message and the first assistant line (its text, thinking marker and
// tool calls). Both are written once and never change as the file grows.
func cursorContentID(msgs []Message) string {
	h := sha256.New()
	var user, assistant bool
	for _, m := range msgs {
		switch {
		case m.Role == RoleUser && !user:
			user = true
			fmt.Fprintf(h, "user\x00%s\x00", m.Text)
		case m.Role == RoleAssistant && !assistant:
			assistant = true
			fmt.Fprintf(h, "assistant\x00%s\x00%s\x00", m.Text, m.Thinking)
			for _, tc := range m.ToolCalls {
				fmt.Fprintf(h, "%s\x00%s\x00", tc.Name, tc.Input)
			}
		}
		if user && assistant {
			break
		}
	}
	if !user && !assistant && len(msgs) > 0 {
		fmt.Fprintf(h, "%s\x00%s\x00", msgs[0].Role, msgs[0].Text)
	}
	return "sha256-" + hex.EncodeToString(h.Sum(nil))[:32]
}
