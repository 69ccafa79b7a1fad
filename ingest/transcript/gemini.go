// Gemini CLI chat recordings: ~/.gemini/tmp/<projectHash>/chats/session-<YYYY-MM-DDTHH-MM>-<id8>.json(l).
//
// Variants known (Gemini CLI does not record its own version; the files seen are from October to
// December 2025, models gemini-2.5-pro and gemini-2.5-flash):
//
//   - JSON (FormatGeminiJSON), the original format, rewritten whole after every change:
//     {sessionId, projectHash, startTime, lastUpdated, summary?, kind?, directories?, messages: [...]}.
//     A message is {id, timestamp, type: user|gemini|info|error|warning, content, displayContent?} and,
//     for type gemini, thoughts [{subject, description, timestamp}], tokens {input, output, cached,
//     thoughts, tool, total}, model and toolCalls [{id, name, args, result, status, timestamp,
//     resultDisplay, displayName, description, renderOutputAsMarkdown}]. content is a string or a list
//     of Gemini API parts ({text}, {functionCall}, {functionResponse}, {inlineData}); a tool's result is
//     such a list, usually [{functionResponse: {id, name, response: {output | error}}}]. User prompts
//     that reference files with @path carry the files' text after "--- Content from referenced files ---".
//   - JSONL (FormatGeminiJSONL), newer, append-only: line 1 is the metadata {sessionId, projectHash,
//     startTime, lastUpdated, kind?, directories?, summary?}; then message records as above (a record
//     whose id was seen before replaces that message in place: tokens and tool results are filled in
//     by rewriting it), {"$set": {...}} metadata updates (lastUpdated, summary, directories, and
//     messages: a full replacement of the history) and {"$rewindTo": id}, which drops that message and
//     everything after it. Sub-agent sessions have kind "subagent" and live in chats/<parentSessionId>/.
//     The corpus JSONL sample has no metadata line (it was converted from a JSON file by a third party).
//
// Mapping decisions:
//
//   - Message ExternalIDs are the message ids; without one, "m<index>" (JSON) or "L<line>" (JSONL).
//     user -> RoleUser, gemini -> RoleAssistant, info/error/warning -> RoleSystem (error and warning text
//     prefixed "error: " / "warning: "). Thoughts become Thinking ("subject\ndescription" per thought).
//     Per-message tokens map input+tool -> Input, output -> Output, cached -> CacheRead,
//     thoughts -> Reasoning; the conversation total is their sum.
//   - Rewound messages are not imported (as in Gemini CLI), with a warning saying how many were dropped.
//   - Cwd is not recorded, but projectHash is the sha256 of the project root: the parser hashes
//     "directories" and the ancestors of absolute paths in tool arguments and takes the one that matches.
//   - FilesRead from read_file / read_many_files, FilesWritten from write_file / replace / edit /
//     smart_edit, Commands from run_shell_command; paths as written in the arguments.
//   - Title: the session summary when recorded, else the first user prompt (without the referenced
//     files' content), cut to 80 characters.
//   - A session without messages (Gemini CLI creates the file before the first prompt) yields a warning
//     and no conversation: its metadata is only an id, a hash and two times. A session without a
//     sessionId gets an id derived from the first user prompt and its time ("sha256-<32 hex>") and a warning.

package transcript

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type geminiMeta struct {
	SessionID   string
	ProjectHash string
	StartTime   string
	LastUpdated string
	Summary     string
	Kind        string
	Directories []string
}

type geminiMessage struct {
	ID             string           `json:"id"`
	Timestamp      string           `json:"timestamp"`
	Type           string           `json:"type"`
	Content        json.RawMessage  `json:"content"`
	DisplayContent json.RawMessage  `json:"displayContent"`
	Thoughts       []geminiThought  `json:"thoughts"`
	Tokens         *geminiTokens    `json:"tokens"`
	Model          string           `json:"model"`
	ToolCalls      []geminiToolCall `json:"toolCalls"`
}

type geminiThought struct {
	Subject     string `json:"subject"`
	Description string `json:"description"`
}

// geminiTokens are float64 so that an odd number cannot reject a message.
type geminiTokens struct {
	Input    float64 `json:"input"`
	Output   float64 `json:"output"`
	Cached   float64 `json:"cached"`
	Thoughts float64 `json:"thoughts"`
	Tool     float64 `json:"tool"`
}

type geminiToolCall struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	Args          json.RawMessage `json:"args"`
	Result        json.RawMessage `json:"result"`
	Status        string          `json:"status"`
	ResultDisplay json.RawMessage `json:"resultDisplay"`
}

// geminiPart is one Gemini API content part.
type geminiPart struct {
	Text         *string `json:"text"`
	Thought      bool    `json:"thought"`
	FunctionCall *struct {
		ID   string          `json:"id"`
		Name string          `json:"name"`
		Args json.RawMessage `json:"args"`
	} `json:"functionCall"`
	FunctionResponse *struct {
		Response json.RawMessage `json:"response"`
	} `json:"functionResponse"`
	InlineData *struct {
		MimeType string `json:"mimeType"`
	} `json:"inlineData"`
	FileData *struct {
		FileURI string `json:"fileUri"`
	} `json:"fileData"`
}

// geminiRec is a message as read, with where it was read.
type geminiRec struct {
	msg  geminiMessage
	line int
	pos  int
}

const geminiReferencedFiles = "--- Content from referenced files ---"

// geminiRecordPrefix matches the start of a record as Gemini CLI writes it
// (JSON.stringify keeps the key order), for a first line longer than the
// sniffed head.
var geminiRecordPrefix = regexp.MustCompile(`^\{"(sessionId":"[^"]*","projectHash":"|id":"[^"]*","timestamp":"[^"]*","type":"(user|gemini|info|error|warning)","content":)`)

// geminiJSONPrefix is how every recording begins, pretty-printed or not.
var geminiJSONPrefix = regexp.MustCompile(`^\{\s*"sessionId"\s*:\s*"[^"]*"\s*,\s*"projectHash"\s*:\s*"`)

// sniffGeminiJSON recognises the whole-file JSON recording: an object with
// sessionId, projectHash and messages. A metadata line of the JSONL variant
// has no messages.
func sniffGeminiJSON(name string, head []byte) bool {
	t := bytes.TrimSpace(head)
	if len(t) == 0 || t[0] != '{' {
		return false
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(t, &probe) != nil {
		// The head is cut short, or holds several JSONL records: judge by
		// the first line when it is complete, else by how the file begins.
		first := t
		if i := bytes.IndexByte(t, '\n'); i >= 0 {
			first = t[:i]
		}
		if json.Unmarshal(first, &probe) != nil {
			return geminiJSONPrefix.Match(t) && bytes.Contains(t, []byte(`"messages"`))
		}
	}
	_, hasMessages := probe["messages"]
	return geminiIsString(probe["sessionId"]) && geminiIsString(probe["projectHash"]) && hasMessages
}

// sniffGeminiJSONL recognises the append-only recording by its first
// records: the metadata line, $set/$rewindTo updates, or message records
// of type user|gemini|info|error|warning that have none of the keys the
// other JSONL formats use.
func sniffGeminiJSONL(name string, head []byte) bool {
	lines := bytes.Split(head, []byte{'\n'})
	seen := 0
	for i, l := range lines {
		l = bytes.TrimSpace(l)
		if len(l) == 0 {
			continue
		}
		var rec map[string]json.RawMessage
		if json.Unmarshal(l, &rec) != nil {
			// Only the last line of the head may be cut short.
			return i == len(lines)-1 && (seen > 0 || geminiRecordPrefix.Match(l))
		}
		if !geminiIsRecord(rec) {
			return false
		}
		seen++
		if seen == 5 {
			break
		}
	}
	return seen > 0
}

func geminiIsRecord(rec map[string]json.RawMessage) bool {
	for _, k := range []string{"payload", "message", "uuid", "role", "kind", "v", "requests", "messages"} {
		if _, ok := rec[k]; ok && !(k == "kind" && geminiIsString(rec["sessionId"])) {
			return false
		}
	}
	if _, ok := rec["$set"]; ok {
		return len(rec) == 1
	}
	if _, ok := rec["$rewindTo"]; ok {
		return len(rec) == 1
	}
	if geminiIsString(rec["sessionId"]) && geminiIsString(rec["projectHash"]) {
		return true
	}
	var typ string
	_ = json.Unmarshal(rec["type"], &typ)
	_, hasContent := rec["content"]
	switch typ {
	case "user", "gemini", "info", "error", "warning":
		return geminiIsString(rec["id"]) && hasContent
	}
	return false
}

func geminiIsString(raw json.RawMessage) bool {
	var s string
	return json.Unmarshal(raw, &s) == nil && s != ""
}

type geminiBuilder struct {
	name   string
	format Format
	res    *Result
	meta   geminiMeta
	recs   []geminiRec
	index  map[string]int // message id -> position in recs
	warned map[string]bool
	lines  geminiLineCounter
	// seen counts records understood; a file without any is reported by
	// its errors alone, not also as an empty session.
	seen int
}

func newGeminiBuilder(name string, format Format, res *Result) *geminiBuilder {
	return &geminiBuilder{name: name, format: format, res: res, index: map[string]int{}, warned: map[string]bool{}}
}

func (b *geminiBuilder) warnOnce(key string, line int, format string, args ...any) {
	if b.warned[key] {
		return
	}
	b.warned[key] = true
	b.res.warnf(b.name, line, format, args...)
}

// apply sets one metadata field; unknown fields (activeExtensionName,
// memoryScratchpad, ...) are ignored.
func (b *geminiBuilder) apply(key string, raw json.RawMessage) error {
	var dst any
	switch key {
	case "sessionId":
		dst = &b.meta.SessionID
	case "projectHash":
		dst = &b.meta.ProjectHash
	case "startTime":
		dst = &b.meta.StartTime
	case "lastUpdated":
		dst = &b.meta.LastUpdated
	case "summary":
		dst = &b.meta.Summary
	case "kind":
		dst = &b.meta.Kind
	case "directories":
		dst = &b.meta.Directories
	default:
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("field %q has an unexpected shape (%v)", key, err)
	}
	return nil
}

// parseGeminiJSON parses a whole-file recording. It decodes the messages
// one by one so that a file cut short still yields the messages before
// the cut.
func parseGeminiJSON(name string, data []byte, lim Limits) Result {
	res := Result{Format: FormatGeminiJSON}
	if len(bytes.TrimSpace(data)) == 0 {
		res.warnf(name, 0, "file is empty; expected a Gemini CLI session JSON object")
		return res
	}
	b := newGeminiBuilder(name, FormatGeminiJSON, &res)
	b.decodeJSON(data)
	if c, ok := b.conversation(); ok {
		res.Conversations = append(res.Conversations, c)
	}
	return res
}

func (b *geminiBuilder) decodeJSON(data []byte) {
	b.lines = geminiLineCounter{data: data, line: 1}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		b.res.errorf(b.name, geminiLine(data, dec.InputOffset()), "found %s; expected a Gemini CLI session object {sessionId, projectHash, startTime, lastUpdated, messages[]}", geminiFound(tok, err))
		return
	}
	b.seen++
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			b.syntax(data, dec, err)
			return
		}
		key, _ := tok.(string)
		if key == "messages" {
			if !b.decodeMessages(data, dec) {
				return
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			b.syntax(data, dec, err)
			return
		}
		if err := b.apply(key, raw); err != nil {
			b.res.errorf(b.name, geminiLine(data, dec.InputOffset()), "%v; expected the Gemini CLI session fields to be strings (directories a list of strings)", err)
		}
	}
	if _, err := dec.Token(); err != nil {
		b.syntax(data, dec, err)
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		b.res.warnf(b.name, geminiLine(data, dec.InputOffset()), "data after the session object was ignored")
	}
}

func (b *geminiBuilder) decodeMessages(data []byte, dec *json.Decoder) bool {
	tok, err := dec.Token()
	if err != nil {
		b.syntax(data, dec, err)
		return false
	}
	if tok == nil {
		return true // "messages": null
	}
	if tok != json.Delim('[') {
		b.res.errorf(b.name, geminiLine(data, dec.InputOffset()), "messages is %s, not a list; expected messages to be a JSON array of message objects; no messages imported", geminiFound(tok, nil))
		return false
	}
	for i := 0; dec.More(); i++ {
		start := geminiSkip(data, dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				b.res.errorf(b.name, geminiLine(data, start), "messages[%d] is cut off: the file ends in the middle of it, probably copied while Gemini CLI was writing it; the %d complete message(s) before it were imported", i, len(b.recs))
				return false
			}
			b.syntax(data, dec, err)
			return false
		}
		b.addMessage(raw, b.lines.at(start), i, fmt.Sprintf("messages[%d]", i))
	}
	if _, err := dec.Token(); err != nil {
		b.syntax(data, dec, err)
		return false
	}
	return true
}

// syntax reports where the JSON stops making sense; what was decoded before
// is kept.
func (b *geminiBuilder) syntax(data []byte, dec *json.Decoder, err error) {
	off := dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	line := geminiLine(data, off)
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		b.res.errorf(b.name, line, "file ends in the middle of the JSON (unexpected end of input), probably copied while Gemini CLI was writing it; the %d complete message(s) before the cut were imported", len(b.recs))
		return
	}
	b.res.errorf(b.name, line, "invalid JSON (%v); expected a Gemini CLI session object; the %d message(s) before this point were imported", err, len(b.recs))
}

func geminiFound(tok json.Token, err error) string {
	switch {
	case err != nil:
		return fmt.Sprintf("invalid JSON (%v)", err)
	case tok == nil:
		return "null"
	}
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "a JSON array"
		}
		return fmt.Sprintf("%q", string(v))
	case string:
		return "a JSON string"
	}
	return fmt.Sprintf("the JSON value %v", tok)
}

// geminiSkip moves an offset past whitespace and commas to the start of the next value.
func geminiSkip(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[off]) >= 0 {
		off++
	}
	return off
}

func geminiLine(data []byte, off int64) int {
	off = max(0, min(off, int64(len(data))))
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// geminiLineCounter maps increasing offsets to line numbers without
// recounting from the start of a large file for every message.
type geminiLineCounter struct {
	data []byte
	off  int64
	line int
}

func (c *geminiLineCounter) at(off int64) int {
	off = max(0, min(off, int64(len(c.data))))
	if off < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.off:off], []byte{'\n'})
	c.off = off
	return c.line
}

// addMessage decodes one message; a record with an id seen before replaces
// that message where it stands.
func (b *geminiBuilder) addMessage(raw json.RawMessage, line, pos int, where string) {
	var m geminiMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		b.res.errorf(b.name, line, "%s has an unexpected shape (%v); expected a message {id, timestamp, type, content, ...}; skipped", where, err)
		return
	}
	if i, ok := b.index[m.ID]; ok && m.ID != "" {
		b.recs[i].msg, b.recs[i].line = m, line
		return
	}
	if m.ID != "" {
		b.index[m.ID] = len(b.recs)
	}
	b.recs = append(b.recs, geminiRec{msg: m, line: line, pos: pos})
}

// parseGeminiJSONL parses the append-only recording, replaying updates and
// rewinds the way Gemini CLI does when it resumes a session.
func parseGeminiJSONL(name string, data []byte, lim Limits) Result {
	res := Result{Format: FormatGeminiJSONL}
	b := newGeminiBuilder(name, FormatGeminiJSONL, &res)
	lines := splitLines(name, data, lim, &res)
	if len(lines) == 0 {
		if len(res.Problems) == 0 {
			res.warnf(name, 0, "file is empty; expected Gemini CLI session records (one JSON object per line)")
		}
		return res
	}
	endsWithNewline := bytes.HasSuffix(data, []byte{'\n'})
	for i, l := range lines {
		b.jsonlLine(l, i == len(lines)-1 && !endsWithNewline)
	}
	if c, ok := b.conversation(); ok {
		res.Conversations = append(res.Conversations, c)
	}
	return res
}

func (b *geminiBuilder) jsonlLine(l line, last bool) {
	text := bytes.TrimSpace(l.Text)
	var rec map[string]json.RawMessage
	if len(text) == 0 || text[0] != '{' {
		b.res.errorf(b.name, l.N, "found %s, not a JSON object; expected one Gemini CLI session record (a JSON object) per line", codexDescribe(text))
		return
	}
	if err := json.Unmarshal(text, &rec); err != nil {
		if last {
			b.res.errorf(b.name, l.N, "last line is truncated (invalid JSON: %v); expected a complete JSON object, the file was probably copied while Gemini CLI was writing it", err)
			return
		}
		b.res.errorf(b.name, l.N, "invalid JSON (%v); expected one Gemini CLI session record (a JSON object) per line", err)
		return
	}
	b.seen++
	switch {
	case rec["$rewindTo"] != nil:
		b.rewind(l.N, rec["$rewindTo"])
	case rec["$set"] != nil:
		b.set(l.N, rec["$set"])
	case geminiIsString(rec["id"]):
		b.addMessage(json.RawMessage(text), l.N, len(b.recs), "message record")
	case geminiIsString(rec["sessionId"]):
		for k, v := range rec {
			if err := b.apply(k, v); err != nil {
				b.res.errorf(b.name, l.N, "session metadata %v; field ignored", err)
			}
		}
	default:
		keys := make([]string, 0, len(rec))
		for k := range rec {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.warnOnce("keys:"+strings.Join(keys, ","), l.N, "unknown record with keys [%s]; skipped (expected session metadata, a message with an id, $set or $rewindTo)", strings.Join(keys, " "))
	}
}

func (b *geminiBuilder) set(n int, raw json.RawMessage) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		b.res.errorf(b.name, n, "$set is not an object (%v); update skipped", err)
		return
	}
	for k, v := range fields {
		if k == "messages" {
			b.replaceMessages(n, v)
			continue
		}
		if err := b.apply(k, v); err != nil {
			b.res.errorf(b.name, n, "$set %v; field ignored", err)
		}
	}
}

// replaceMessages applies {"$set": {"messages": [...]}}: the history as
// Gemini CLI holds it now replaces what was recorded so far.
func (b *geminiBuilder) replaceMessages(n int, raw json.RawMessage) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		b.res.errorf(b.name, n, "$set.messages is not a list (%v); update skipped", err)
		return
	}
	b.recs = nil
	clear(b.index)
	for i, m := range list {
		b.addMessage(m, n, i, fmt.Sprintf("$set.messages[%d]", i))
	}
}

func (b *geminiBuilder) rewind(n int, raw json.RawMessage) {
	var id string
	if err := json.Unmarshal(raw, &id); err != nil {
		b.res.errorf(b.name, n, "$rewindTo is not a message id (%v); rewind skipped", err)
		return
	}
	cut, ok := b.index[id]
	if !ok {
		cut = 0 // an unknown id rewinds everything, as Gemini CLI does
	}
	if dropped := len(b.recs) - cut; dropped > 0 {
		b.res.warnf(b.name, n, "session rewound to before message %q: %d message(s) from there on are not imported", id, dropped)
	}
	for _, r := range b.recs[cut:] {
		delete(b.index, r.msg.ID)
	}
	b.recs = b.recs[:cut]
}

// conversation builds the canonical conversation from what was read.
func (b *geminiBuilder) conversation() (Conversation, bool) {
	m := b.meta
	c := Conversation{Tool: ToolGemini, Format: b.format, ExternalID: m.SessionID}
	if len(b.recs) == 0 {
		if b.seen == 0 {
			return c, false
		}
		label := codexFirst(m.SessionID, "in this file")
		b.res.warnf(b.name, 0, "session %s has no messages; nothing imported (Gemini CLI creates the file before the first prompt)", label)
		return c, false
	}
	sub := m.Kind == "subagent"
	for _, r := range b.recs {
		msg := b.message(r)
		msg.Sidechain = sub
		c.Messages = append(c.Messages, msg)
	}
	if c.ExternalID == "" {
		c.ExternalID = geminiDerivedID(b.recs, m.StartTime)
		why := "no sessionId recorded"
		if b.format == FormatGeminiJSONL {
			why += " (no session metadata line)"
		}
		b.res.warnf(b.name, 0, "%s; using id %s derived from the first user prompt and its time", why, c.ExternalID)
	}
	if sub {
		c.ParentExternalID = geminiParentFromPath(b.name)
	}
	c.Title = codexTitle(m.Summary)
	for _, r := range b.recs {
		if c.Title != "" {
			break
		}
		if r.msg.Type == "user" {
			// displayContent, when recorded, is what the person typed.
			text, _, _ := geminiContent(r.msg.DisplayContent)
			if strings.TrimSpace(text) == "" {
				text, _, _ = geminiContent(r.msg.Content)
			}
			c.Title = codexTitle(geminiPrompt(text))
		}
	}
	c.Cwd = geminiCwd(m, b.recs)
	c.StartedAt, _ = parseTime(m.StartTime)
	c.EndedAt, _ = parseTime(m.LastUpdated)
	codexClean(&c)
	c.finish()
	return c, true
}

func (b *geminiBuilder) message(r geminiRec) Message {
	gm := r.msg
	text, calls, onlyResponses := geminiContent(gm.Content)
	msg := Message{ExternalID: gm.ID, Text: text, Line: r.line, Model: gm.Model}
	if msg.ExternalID == "" {
		if b.format == FormatGeminiJSON {
			msg.ExternalID = "m" + strconv.Itoa(r.pos)
		} else {
			msg.ExternalID = "L" + strconv.Itoa(r.line)
		}
	}
	msg.Timestamp, _ = parseTime(gm.Timestamp)
	switch gm.Type {
	case "user":
		msg.Role = RoleUser
		if onlyResponses {
			msg.Role = RoleTool // a history turn that only returns tool results
		}
	case "gemini":
		msg.Role = RoleAssistant
	case "info":
		msg.Role = RoleSystem
	case "error", "warning":
		msg.Role = RoleSystem
		msg.Text = gm.Type + ": " + text
	default:
		b.warnOnce("type:"+gm.Type, r.line, "message with unknown type %q; imported as a system message (expected user, gemini, info, error or warning)", gm.Type)
		msg.Role = RoleSystem
	}
	msg.Thinking = geminiThinking(gm.Thoughts)
	if t := gm.Tokens; t != nil {
		msg.Tokens = Tokens{Input: int64(t.Input + t.Tool), Output: int64(t.Output), CacheRead: int64(t.Cached), Reasoning: int64(t.Thoughts)}
	}
	for _, tc := range gm.ToolCalls {
		msg.ToolCalls = append(msg.ToolCalls, geminiCall(tc))
	}
	if len(gm.ToolCalls) == 0 {
		msg.ToolCalls = append(msg.ToolCalls, calls...)
	}
	return msg
}

// geminiContent reads a PartListUnion: its text (parts joined as Gemini CLI
// joins them, without a separator), tool calls made in the parts, and
// whether the parts were nothing but tool responses.
func geminiContent(raw json.RawMessage) (string, []ToolCall, bool) {
	if !codexPresent(raw) {
		return "", nil, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil, false
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		parts = []json.RawMessage{raw} // a single part
	}
	var sb strings.Builder
	var calls []ToolCall
	responses, others := 0, 0
	for _, p := range parts {
		if json.Unmarshal(p, &s) == nil {
			sb.WriteString(s)
			others++
			continue
		}
		var part geminiPart
		if json.Unmarshal(p, &part) != nil {
			continue
		}
		switch {
		case part.Text != nil && !part.Thought:
			sb.WriteString(*part.Text)
			others++
		case part.FunctionCall != nil:
			tc := ToolCall{ExternalID: part.FunctionCall.ID, Name: part.FunctionCall.Name, Input: geminiCompact(part.FunctionCall.Args)}
			geminiEffects(&tc, part.FunctionCall.Args)
			calls = append(calls, tc)
			others++
		case part.FunctionResponse != nil:
			responses++
		case part.InlineData != nil:
			sb.WriteString("[inline data " + part.InlineData.MimeType + "]")
			others++
		case part.FileData != nil:
			sb.WriteString("[file " + part.FileData.FileURI + "]")
			others++
		}
	}
	return sb.String(), calls, responses > 0 && others == 0
}

func geminiThinking(ts []geminiThought) string {
	var out []string
	for _, t := range ts {
		s := strings.TrimSpace(strings.TrimSpace(t.Subject) + "\n" + strings.TrimSpace(t.Description))
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n\n")
}

func geminiCall(g geminiToolCall) ToolCall {
	tc := ToolCall{ExternalID: g.ID, Name: g.Name, Input: geminiCompact(g.Args)}
	tc.Output, tc.IsError = geminiResult(g.Result)
	if tc.Output == "" {
		tc.Output = codexRawText(g.ResultDisplay)
	}
	if g.Status == "error" || g.Status == "cancelled" {
		tc.IsError = true
	}
	geminiEffects(&tc, g.Args)
	return tc
}

func geminiCompact(raw json.RawMessage) string {
	if !codexPresent(raw) {
		return ""
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return string(raw)
	}
	return buf.String()
}

// geminiResult reads a tool result: the output or error of its
// functionResponse parts, or plain text parts.
func geminiResult(raw json.RawMessage) (string, bool) {
	if !codexPresent(raw) {
		return "", false
	}
	var parts []json.RawMessage
	if json.Unmarshal(raw, &parts) != nil {
		parts = []json.RawMessage{raw}
	}
	var out []string
	isErr := false
	for _, p := range parts {
		var part geminiPart
		var s string
		switch {
		case json.Unmarshal(p, &s) == nil:
			out = append(out, s)
		case json.Unmarshal(p, &part) != nil:
		case part.FunctionResponse != nil:
			var resp map[string]json.RawMessage
			if json.Unmarshal(part.FunctionResponse.Response, &resp) != nil {
				out = append(out, codexRawText(part.FunctionResponse.Response))
				continue
			}
			if e, ok := resp["error"]; ok && codexPresent(e) {
				isErr = true
				out = append(out, codexRawText(e))
			} else if o, ok := resp["output"]; ok {
				out = append(out, codexRawText(o))
			} else {
				out = append(out, geminiCompact(part.FunctionResponse.Response))
			}
		case part.Text != nil:
			out = append(out, *part.Text)
		}
	}
	return strings.Join(out, "\n"), isErr
}

// geminiEffects fills files and commands from a Gemini CLI tool's arguments.
func geminiEffects(tc *ToolCall, raw json.RawMessage) {
	var args map[string]json.RawMessage
	if json.Unmarshal(raw, &args) != nil {
		return
	}
	str := func(keys ...string) string {
		for _, k := range keys {
			var s string
			if json.Unmarshal(args[k], &s) == nil && strings.TrimSpace(s) != "" {
				return validText(s)
			}
		}
		return ""
	}
	switch tc.Name {
	case "read_file":
		tc.FilesRead = appendUnique(tc.FilesRead, str("absolute_path", "file_path", "path"))
	case "read_many_files":
		for _, k := range []string{"paths", "file_paths"} {
			var ps []string
			_ = json.Unmarshal(args[k], &ps)
			for _, p := range ps {
				tc.FilesRead = appendUnique(tc.FilesRead, validText(p))
			}
		}
	case "write_file", "replace", "edit", "smart_edit":
		tc.FilesWritten = appendUnique(tc.FilesWritten, str("file_path", "absolute_path", "path"))
	case "run_shell_command":
		tc.Commands = appendUnique(tc.Commands, str("command"))
	}
}

// geminiPrompt drops the referenced files' content that Gemini CLI appends
// to a prompt mentioning @path.
func geminiPrompt(s string) string {
	if i := strings.Index(s, geminiReferencedFiles); i >= 0 {
		return s[:i]
	}
	return s
}

func geminiDerivedID(recs []geminiRec, start string) string {
	first := recs[0].msg
	for _, r := range recs {
		if r.msg.Type == "user" {
			first = r.msg
			break
		}
	}
	text, _, _ := geminiContent(first.Content)
	when := codexFirst(first.Timestamp, start)
	sum := sha256.Sum256([]byte(text + "\x00" + when))
	return "sha256-" + hex.EncodeToString(sum[:16])
}

// geminiParentFromPath returns the parent session of a sub-agent recording
// stored as chats/<parentSessionId>/<sessionId>.jsonl.
func geminiParentFromPath(name string) string {
	dir := path.Base(path.Dir(strings.ReplaceAll(name, `\`, "/")))
	if dir == "." || dir == "/" || dir == "chats" {
		return ""
	}
	return dir
}

// geminiCwd recovers the project root, which Gemini CLI records only as
// projectHash = sha256(root), by hashing candidate directories: the
// recorded workspace directories and the ancestors of absolute paths in
// tool arguments.
func geminiCwd(m geminiMeta, recs []geminiRec) string {
	want := strings.ToLower(strings.TrimSpace(m.ProjectHash))
	if len(want) != 64 {
		return ""
	}
	candidates := append([]string(nil), m.Directories...)
	for _, r := range recs {
		for _, tc := range r.msg.ToolCalls {
			var args map[string]json.RawMessage
			if json.Unmarshal(tc.Args, &args) != nil {
				continue
			}
			for _, k := range []string{"absolute_path", "file_path", "path", "dir_path", "directory"} {
				var s string
				if json.Unmarshal(args[k], &s) == nil && geminiIsAbs(s) {
					candidates = append(candidates, s)
				}
			}
		}
	}
	tried := map[string]bool{}
	for _, p := range candidates {
		for dir := p; dir != "" && !tried[dir]; dir = geminiParent(dir) {
			if len(tried) >= 4096 {
				return ""
			}
			tried[dir] = true
			sum := sha256.Sum256([]byte(dir))
			if hex.EncodeToString(sum[:]) == want {
				return dir
			}
		}
	}
	return ""
}

func geminiIsAbs(p string) bool {
	return strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\\`) ||
		(len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/'))
}

// geminiParent returns p's parent directory, or "" at the root.
func geminiParent(p string) string {
	p = strings.TrimRight(p, `/\`)
	i := strings.LastIndexAny(p, `/\`)
	if i <= 0 {
		return ""
	}
	return p[:i]
}
