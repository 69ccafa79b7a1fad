package transcript

// GitHub Copilot Chat (VS Code) capture formats.
//
// VS Code keeps one chat session per file under
// <user-data>/User/workspaceStorage/<ws>/chatSessions/ (or globalStorage for
// empty windows). Three shapes are read here; all three carry the same
// request objects (ISerializableChatRequestData), so they share one mapping:
//
//   - FormatCopilotSession, chatSessions/<id>.json: one JSON object,
//     "version": 3 (Copilot Chat extension 0.31.x seen):
//     {version, requesterUsername, responderUsername, initialLocation,
//     requests[], sessionId, creationDate, lastMessageDate, customTitle?,
//     isImported}. sessionId and creationDate follow requests[].
//   - FormatCopilotJSONL, chatSessions/<id>.jsonl (newer VS Code builds;
//     Copilot Chat 0.31.x and 0.37.x seen): an append-only mutation log of
//     the same object (VS Code's ChatSessionOperationLog).
//     Line 1 is {"kind":0,"v":<snapshot>}; later lines are
//     {"kind":1,"k":[path...],"v":value} (set the property at path) and
//     {"kind":2,"k":[path...],"v":[items],"i":n?} (push items onto the array
//     at path, first cutting it to length n when "i" is present). A later
//     kind 0 line replaces the whole state (compaction). The snapshot may
//     lack requesterUsername; the signed-in account is then taken from
//     inputState.selectedModel.metadata.auth.accountLabel.
//   - FormatCopilotExport, "Chat: Export Chat..." chat.json (Copilot Chat
//     0.31.x seen): {requesterUsername, responderUsername, initialLocation,
//     requests[]} with no version, sessionId or dates. Its ExternalID is the
//     sha256 of the first request's requestId (or, without one, of its
//     message text and timestamp), so re-exporting a grown chat keeps it.
//
// Each request becomes a user message (ExternalID = requestId, or "t<n>" by
// position) and, when it has response content, an assistant message
// (ExternalID = requestId+"/response", parent = the user message):
//   - Text is the concatenated markdown parts (kind absent or
//     "markdownContent"); an inlineReference is rendered as `name`; the empty
//     ``` pair that wraps an edit's code block is dropped; thinking parts go
//     to Thinking (toolCallRounds[].thinking as a fallback).
//   - toolInvocationSerialized parts become ToolCalls (Name = toolId,
//     ExternalID = toolCallId). When result.metadata.toolCallRounds lists
//     the model's calls, they are paired with the invocations (positionally
//     when the counts agree once "*_internal" helper tools are set aside,
//     otherwise by equal name) to add the JSON arguments (Input), the tool
//     result text from toolCallResults (Output), and files/commands read from
//     the arguments. resultDetails {input, output, isError} (MCP tools) and
//     toolSpecificData (terminal command lines, raw input) fill what is
//     missing; resultDetails.isError sets IsError.
//   - textEditGroup / notebookEditGroup / codeblockUri(isEdit) files are
//     FilesWritten of the tool call that precedes them in the response, or of
//     a synthetic "textEditGroup" call when no tool was invoked.
//   - Attached files (variableData), inlineReference and contentReferences
//     files are FilesRead of a synthetic first ToolCall named "context"
//     (ExternalID requestId+"/context").
//   - Models come from modelId without the "copilot/" vendor prefix (else the
//     model's display name in result.details); tokens from result.usage; the
//     assistant time from modelState.completedAt, else timestamp +
//     result.timings.totalElapsed. Cwd, the branch and the GitHub repository
//     come from the prompt context Copilot recorded (workspace_info,
//     repoContext); Copilot renders repoContext only for GitHub repositories,
//     so GitRemote is "https://github.com/<owner>/<name>".
//
// Edge cases: a file with no requests yields a warning ("session contains no
// requests" / "export contains no requests") and no conversation. A request
// still in progress (no result) keeps its user message and any partial
// response, with a warning. A failed request (result.errorDetails) is kept
// with a warning. A truncated JSON file keeps the requests before the cut and
// reports an error at the line where it breaks.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// copilotDoc is a decoded session before mapping: the top-level fields and
// the requests with the line where each starts (or was appended, for JSONL).
type copilotDoc struct {
	top  map[string]json.RawMessage
	reqs []copilotRawRequest
}

type copilotRawRequest struct {
	raw  json.RawMessage
	line int
}

// copilotMillis is an epoch-milliseconds field; it tolerates floats and
// RFC 3339 strings and drops implausible values instead of failing.
type copilotMillis int64

func (m *copilotMillis) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err == nil {
		if f > 0 && f < 1e14 { // beyond year 5000 is garbage, not a time
			*m = copilotMillis(f)
		}
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		if t, ok := parseTime(s); ok {
			*m = copilotMillis(t.UnixMilli())
		}
	}
	return nil
}

type copilotHeader struct {
	RequesterUsername string          `json:"requesterUsername"`
	SessionID         string          `json:"sessionId"`
	CreationDate      copilotMillis   `json:"creationDate"`
	LastMessageDate   copilotMillis   `json:"lastMessageDate"`
	CustomTitle       string          `json:"customTitle"`
	InputState        json.RawMessage `json:"inputState"`
}

type copilotRequest struct {
	RequestID    string          `json:"requestId"`
	Message      json.RawMessage `json:"message"`
	VariableData struct {
		Variables []copilotVariable `json:"variables"`
	} `json:"variableData"`
	Response          []json.RawMessage  `json:"response"`
	Result            *copilotResult     `json:"result"`
	IsCanceled        bool               `json:"isCanceled"`
	Agent             *copilotAgent      `json:"agent"`
	Timestamp         copilotMillis      `json:"timestamp"`
	ModelID           string             `json:"modelId"`
	ModelState        *copilotModelState `json:"modelState"`
	ContentReferences []json.RawMessage  `json:"contentReferences"`
}

type copilotVariable struct {
	Kind  string          `json:"kind"`
	ID    string          `json:"id"`
	Value json.RawMessage `json:"value"`
}

type copilotAgent struct {
	ExtensionVersion string `json:"extensionVersion"` // the Copilot Chat extension's version
}

// copilotModelState mirrors ResponseModelState: 0 pending, 1 complete,
// 2 cancelled, 3 failed, 4 needs input.
type copilotModelState struct {
	Value       int           `json:"value"`
	CompletedAt copilotMillis `json:"completedAt"`
}

type copilotResult struct {
	Timings struct {
		TotalElapsed float64 `json:"totalElapsed"`
	} `json:"timings"`
	Metadata     copilotMetadata `json:"metadata"`
	ErrorDetails *struct {
		Message string `json:"message"`
	} `json:"errorDetails"`
	Details string `json:"details"`
	Usage   *struct {
		PromptTokens     int64 `json:"promptTokens"`
		CompletionTokens int64 `json:"completionTokens"`
	} `json:"usage"`
}

type copilotMetadata struct {
	ToolCallRounds        []copilotRound             `json:"toolCallRounds"`
	ToolCallResults       map[string]json.RawMessage `json:"toolCallResults"`
	RenderedUserMessage   json.RawMessage            `json:"renderedUserMessage"`
	RenderedGlobalContext json.RawMessage            `json:"renderedGlobalContext"`
	CacheKey              string                     `json:"cacheKey"`
}

type copilotRound struct {
	ToolCalls []copilotLMCall `json:"toolCalls"`
	Thinking  *struct {
		Text json.RawMessage `json:"text"`
	} `json:"thinking"`
}

// copilotLMCall is a tool call as the model sent it (toolCallRounds).
type copilotLMCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	ID        string `json:"id"`
}

// copilotPart is the union of the response part kinds read here.
type copilotPart struct {
	Kind    string          `json:"kind"`
	Value   json.RawMessage `json:"value"` // markdown string; thinking string|[]string
	Content *struct {
		Value string `json:"value"`
	} `json:"content"` // markdownContent, markdownVuln
	InlineReference   json.RawMessage `json:"inlineReference"`
	Name              string          `json:"name"`
	URI               json.RawMessage `json:"uri"`
	IsEdit            bool            `json:"isEdit"`
	ToolID            string          `json:"toolId"`
	ToolName          string          `json:"toolName"`
	ToolCallID        string          `json:"toolCallId"`
	InvocationMessage json.RawMessage `json:"invocationMessage"`
	PastTenseMessage  json.RawMessage `json:"pastTenseMessage"`
	IsConfirmed       json.RawMessage `json:"isConfirmed"`
	ResultDetails     json.RawMessage `json:"resultDetails"`
	ToolSpecificData  json.RawMessage `json:"toolSpecificData"`
	ErrorMessage      string          `json:"errorMessage"`
	BaseURI           json.RawMessage `json:"baseUri"`
}

// copilotIgnoredParts are response part kinds that carry nothing the
// canonical model keeps (progress, UI widgets, edit bookkeeping).
var copilotIgnoredParts = map[string]bool{
	"undoStop": true, "prepareToolInvocation": true, "mcpServersStarting": true,
	"progressMessage": true, "progressTask": true, "progressTaskSerialized": true,
	"progressTaskResult": true, "confirmation": true, "command": true,
	"extensions": true, "pullRequest": true, "treeData": true, "warning": true,
	"elicitation": true, "elicitationSerialized": true, "multiDiffData": true,
	"references": true, "usedContext": true, "codeCitation": true,
	"textEdit": true, "notebookEdit": true, "workspaceEdit": true, "hook": true,
	"autoModeResolution": true, "planReview": true, "disabledClaudeHooks": true,
	"mcpAuthenticationRequired": true, "mcpServersStartingSlow": true,
}

// copilotBuilder maps a copilotDoc to a Conversation and collects problems.
type copilotBuilder struct {
	name   string
	format Format
	res    *Result
	warned map[string]bool
}

func newCopilotBuilder(name string, format Format, res *Result) *copilotBuilder {
	return &copilotBuilder{name: name, format: format, res: res, warned: map[string]bool{}}
}

// warnOnce reports a warning the first time key is seen in this file.
func (b *copilotBuilder) warnOnce(key string, line int, format string, args ...any) {
	if b.warned[key] {
		return
	}
	b.warned[key] = true
	b.res.warnf(b.name, line, format, args...)
}

// build maps doc; it reports false when there is nothing to import.
func (b *copilotBuilder) build(doc copilotDoc, what string) (Conversation, bool) {
	var h copilotHeader
	if len(doc.top) > 0 {
		if raw, err := json.Marshal(doc.top); err == nil {
			if err := json.Unmarshal(raw, &h); err != nil {
				b.res.warnf(b.name, 0, "%s header: %s; that field was skipped", what, copilotJSONErr(err))
			}
		}
	}
	if len(doc.reqs) == 0 {
		b.res.warnf(b.name, 0, "%s contains no requests; nothing to import", what)
		return Conversation{}, false
	}
	conv := Conversation{
		Tool:      ToolCopilot,
		Format:    b.format,
		Title:     strings.TrimSpace(h.CustomTitle),
		User:      h.RequesterUsername,
		StartedAt: epochMillis(int64(h.CreationDate)),
		EndedAt:   epochMillis(int64(h.LastMessageDate)),
	}
	if conv.User == "" {
		conv.User = copilotAccountLabel(h.InputState)
	}
	var firstText string
	var firstReq *copilotRequest // the first readable request names an export
	for i, rr := range doc.reqs {
		var req copilotRequest
		if kind := copilotJSONKind(rr.raw); kind != "object" {
			b.res.errorf(b.name, rr.line, "request %d is a JSON %s; expected a chat request object; skipped", i+1, kind)
			continue
		}
		if err := json.Unmarshal(rr.raw, &req); err != nil {
			b.res.warnf(b.name, rr.line, "request %d: %s; that field was skipped", i+1, copilotJSONErr(err))
		}
		if firstReq == nil {
			firstReq = &req
		}
		text := b.addRequest(&conv, req, i, rr.line)
		if firstText == "" {
			firstText = text
		}
	}
	if len(conv.Messages) == 0 {
		b.res.warnf(b.name, 0, "%s contains no readable requests; nothing to import", what)
		return Conversation{}, false
	}
	conv.ExternalID = b.externalID(h, *firstReq)
	if conv.Title == "" {
		conv.Title = copilotTitle(firstText)
	}
	conv.finish()
	return conv, true
}

// externalID is the sessionId. A chatSessions file cut short before its
// sessionId (written after requests[]) falls back to the file name, which
// VS Code makes the session id; an export, to a hash of its first request.
func (b *copilotBuilder) externalID(h copilotHeader, first copilotRequest) string {
	if h.SessionID != "" {
		return h.SessionID
	}
	if b.format != FormatCopilotExport {
		stem := copilotBaseName(b.name)
		stem = stem[:len(stem)-len(path.Ext(stem))]
		if copilotUUID.MatchString(stem) {
			b.res.warnf(b.name, 0, "session has no sessionId; used the session id in the file name, %s", stem)
			return stem
		}
	}
	id := copilotDerivedID(first, copilotMessageText(first.Message))
	if b.format != FormatCopilotExport {
		b.res.warnf(b.name, 0, "session has no sessionId; derived external id %s from the first request", id)
	}
	return id
}

var copilotUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// addRequest appends the request's messages and conversation-level facts,
// returning the user's text.
func (b *copilotBuilder) addRequest(conv *Conversation, req copilotRequest, i, line int) string {
	id := req.RequestID
	if id == "" {
		id = "t" + strconv.Itoa(i+1)
	}
	if conv.ToolVersion == "" && req.Agent != nil {
		conv.ToolVersion = req.Agent.ExtensionVersion
	}
	ctx := copilotPromptContext(req.Result)
	if conv.Cwd == "" {
		conv.Cwd = ctx.cwd
	}
	if conv.GitRemote == "" {
		conv.GitRemote = ctx.remote
	}
	text := copilotMessageText(req.Message)
	ts := epochMillis(int64(req.Timestamp))
	conv.Messages = append(conv.Messages, Message{
		ExternalID: id,
		Role:       RoleUser,
		Text:       text,
		Timestamp:  ts,
		GitBranch:  ctx.branch,
		Line:       line,
	})

	resp := b.readResponse(req, id, line)
	if conv.Cwd == "" {
		conv.Cwd = resp.baseDir
	}
	inProgress := req.Result == nil && !req.IsCanceled &&
		(req.ModelState == nil || req.ModelState.Value == 0 || req.ModelState.Value == 4)
	if req.Result != nil && req.Result.ErrorDetails != nil && req.Result.ErrorDetails.Message != "" && !req.IsCanceled {
		msg := req.Result.ErrorDetails.Message
		b.res.warnf(b.name, line, "request %s failed: %s", id, truncate(msg, 200))
		if resp.text == "" {
			resp.text = "Error: " + msg
		}
	}
	if resp.empty() {
		if inProgress {
			b.res.warnf(b.name, line, "request %s has no response yet (still in progress when the file was written); kept the user message only", id)
		}
		return text
	}
	if inProgress {
		b.res.warnf(b.name, line, "request %s has no result (still in progress when the file was written); its response may be incomplete", id)
	}
	m := Message{
		ExternalID:       id + "/response",
		ParentExternalID: id,
		Role:             RoleAssistant,
		Text:             resp.text,
		Thinking:         resp.thinking,
		Timestamp:        copilotResponseTime(req),
		Model:            copilotModel(req),
		ToolCalls:        resp.calls,
		Line:             line,
	}
	if req.Result != nil && req.Result.Usage != nil {
		m.Tokens = Tokens{Input: req.Result.Usage.PromptTokens, Output: req.Result.Usage.CompletionTokens}
	}
	conv.Messages = append(conv.Messages, m)
	return text
}

// copilotResponseTime is when the response completed: modelState's
// completedAt, else the request time plus the elapsed time, else the
// request time.
func copilotResponseTime(req copilotRequest) time.Time {
	if req.ModelState != nil && req.ModelState.CompletedAt > 0 {
		return epochMillis(int64(req.ModelState.CompletedAt))
	}
	if req.Timestamp > 0 && req.Result != nil && req.Result.Timings.TotalElapsed > 0 && req.Result.Timings.TotalElapsed < 1e10 {
		return epochMillis(int64(req.Timestamp) + int64(req.Result.Timings.TotalElapsed))
	}
	return epochMillis(int64(req.Timestamp))
}

// copilotModel names the request's model: modelId without the "copilot/"
// vendor prefix, else the display name in result.details ("GPT-4o • 0x")
// spelled like a model id.
func copilotModel(req copilotRequest) string {
	if req.ModelID != "" {
		return strings.TrimPrefix(req.ModelID, "copilot/")
	}
	if req.Result != nil && req.Result.Details != "" {
		// "Claude Sonnet 4.5 • 1x" names the model claude-sonnet-4.5.
		name, _, _ := strings.Cut(req.Result.Details, " • ")
		return strings.ToLower(strings.Join(strings.Fields(name), "-"))
	}
	return ""
}

// copilotMessageText is the user's prompt: message.text, else the joined
// parts; very old sessions stored the message as a plain string.
func copilotMessageText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var m struct {
		Text  string `json:"text"`
		Parts []struct {
			Text string `json:"text"`
		} `json:"parts"`
	}
	_ = json.Unmarshal(raw, &m) // partial decode is fine
	if m.Text != "" {
		return m.Text
	}
	var sb strings.Builder
	for _, p := range m.Parts {
		sb.WriteString(p.Text)
	}
	return sb.String()
}

// copilotAccountLabel is the signed-in GitHub account recorded with the
// selected model (inputState is an object, or its JSON text in older files).
func copilotAccountLabel(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	var st struct {
		SelectedModel struct {
			Metadata struct {
				Auth struct {
					AccountLabel string `json:"accountLabel"`
				} `json:"auth"`
			} `json:"metadata"`
		} `json:"selectedModel"`
	}
	_ = json.Unmarshal(raw, &st)
	return st.SelectedModel.Metadata.Auth.AccountLabel
}

// copilotDerivedID is a stable id for a capture without a sessionId: the
// first request's id, or its prompt and time, hashed.
func copilotDerivedID(first copilotRequest, text string) string {
	key := "copilot-request\x00" + first.RequestID
	if first.RequestID == "" {
		key = "copilot-prompt\x00" + text + "\x00" + strconv.FormatInt(int64(first.Timestamp), 10)
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// copilotTitle is the first prompt on one line, cut to about 80 characters.
func copilotTitle(s string) string {
	s = strings.Join(strings.Fields(validText(s)), " ")
	if utf8.RuneCountInString(s) <= 80 {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:79])) + "…"
}

// copilotJSONErr is a short description of a decoding error.
func copilotJSONErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("field %q is a JSON %s, expected %s", field, te.Value, te.Type)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// copilotContext is what Copilot's rendered prompt says about the workspace.
type copilotContext struct {
	cwd, branch, remote string
}

var (
	copilotRepoName   = regexp.MustCompile(`(?m)^Repository name: *(\S+)`)
	copilotRepoOwner  = regexp.MustCompile(`(?m)^Owner: *(\S+)`)
	copilotRepoBranch = regexp.MustCompile(`(?m)^Current branch: *(\S+)`)
)

// copilotPromptContext reads <workspace_info> (first workspace folder) and
// <repoContext> (GitHub owner/name, current branch) from the prompt Copilot
// rendered for the request.
func copilotPromptContext(res *copilotResult) copilotContext {
	var c copilotContext
	if res == nil {
		return c
	}
	text := copilotPromptText(res.Metadata.RenderedGlobalContext) + "\n" + copilotPromptText(res.Metadata.RenderedUserMessage)
	if _, after, ok := strings.Cut(text, "with the following folders:\n"); ok {
		for _, l := range strings.Split(after, "\n") {
			l = strings.TrimSpace(l)
			if !strings.HasPrefix(l, "- ") {
				break
			}
			c.cwd = strings.TrimSpace(strings.TrimPrefix(l, "- "))
			break
		}
	}
	if c.cwd == "" && strings.HasPrefix(res.Metadata.CacheKey, "file:") {
		c.cwd, _ = copilotURIPath(copilotJSONValue(res.Metadata.CacheKey))
	}
	if i := strings.Index(text, "<repoContext>"); i >= 0 {
		rc := text[i:]
		if j := strings.Index(rc, "</repoContext>"); j >= 0 {
			rc = rc[:j]
		}
		if m := copilotRepoBranch.FindStringSubmatch(rc); m != nil {
			c.branch = m[1]
		}
		owner, name := copilotRepoOwner.FindStringSubmatch(rc), copilotRepoName.FindStringSubmatch(rc)
		if owner != nil && name != nil {
			c.remote = "https://github.com/" + owner[1] + "/" + name[1]
		}
	}
	return c
}

// copilotPromptText joins the text pieces of a rendered prompt
// ([{type:1,text}...]) or returns it when stored as one string.
func copilotPromptText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var sb strings.Builder
	for _, p := range parts {
		sb.WriteString(p.Text)
	}
	return sb.String()
}

func copilotJSONValue(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

var copilotWinDrive = regexp.MustCompile(`^/[A-Za-z]:`)

// copilotURIPath converts what VS Code writes for a resource — a URI string
// ("file:///x"), a UriComponents object ({fsPath?, path, scheme}) or a
// Location/selection wrapping one ({uri, range}) — to a local path, the way
// VS Code's fsPath does. Non-file schemes (https, untitled, ...) are not paths.
func copilotURIPath(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "file" && u.Scheme != "vscode-remote") {
			return "", false
		}
		return copilotFsPath(u.Path), u.Path != ""
	}
	var o struct {
		Scheme   string          `json:"scheme"`
		Path     string          `json:"path"`
		FsPath   string          `json:"fsPath"`
		URI      json.RawMessage `json:"uri"`
		Location json.RawMessage `json:"location"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return "", false
	}
	switch {
	case o.Scheme == "" && len(o.URI) > 0:
		return copilotURIPath(o.URI)
	case o.Scheme == "" && len(o.Location) > 0:
		return copilotURIPath(o.Location)
	case o.Scheme != "file" && o.Scheme != "vscode-remote" && o.Scheme != "":
		return "", false
	case o.FsPath != "":
		return o.FsPath, true
	case o.Path != "":
		return copilotFsPath(o.Path), true
	}
	return "", false
}

// copilotFsPath mirrors VS Code's uriToFsPath: "/c:/x/y" is the Windows
// path "c:\x\y"; other paths are kept as they are.
func copilotFsPath(p string) string {
	if copilotWinDrive.MatchString(p) {
		return strings.ToLower(p[1:2]) + strings.ReplaceAll(p[2:], "/", `\`)
	}
	return p
}

// copilotURIText is a readable form of any resource (for output lists).
func copilotURIText(raw json.RawMessage) string {
	if p, ok := copilotURIPath(raw); ok {
		return p
	}
	var o struct {
		External  string          `json:"external"`
		Scheme    string          `json:"scheme"`
		Authority string          `json:"authority"`
		Path      string          `json:"path"`
		URI       json.RawMessage `json:"uri"`
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if json.Unmarshal(raw, &o) != nil {
		return ""
	}
	switch {
	case o.External != "":
		return o.External
	case len(o.URI) > 0:
		return copilotURIText(o.URI)
	case o.Scheme != "":
		return o.Scheme + "://" + o.Authority + o.Path
	}
	return ""
}

// copilotBaseName is the last element of a path written with / or \.
func copilotBaseName(p string) string {
	p = strings.TrimRight(p, `/\`)
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return path.Base(p)
}

// copilotStringOrList reads a string or a list of strings (thinking values).
func copilotStringOrList(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var l []string
	if json.Unmarshal(raw, &l) == nil {
		return strings.Join(l, "")
	}
	return ""
}

// copilotMarkdown reads an IMarkdownString ({value, uris?}) or a plain
// string, returning the text and the file paths in its uris map.
func copilotMarkdown(raw json.RawMessage) (string, []string) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var m struct {
		Value string                     `json:"value"`
		URIs  map[string]json.RawMessage `json:"uris"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return "", nil
	}
	var paths []string
	for k, v := range m.URIs {
		if p, ok := copilotURIPath(v); ok {
			paths = append(paths, p)
		} else if p, ok := copilotURIPath(copilotJSONValue(k)); ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths) // map order is random; keep output stable
	return m.Value, paths
}

// copilotIsFence reports a markdown part that is only a code fence.
func copilotIsFence(s string) bool {
	t := strings.TrimSpace(s)
	return len(t) >= 3 && (strings.Trim(t, "`") == "" || strings.Trim(t, "~") == "")
}

// copilotResponse is one request's response in canonical pieces.
type copilotResponse struct {
	text, thinking string
	calls          []ToolCall
	baseDir        string // the workspace folder markdown links resolve against
	hasContent     bool   // text, thinking or a tool call (the context call aside)
}

func (r copilotResponse) empty() bool { return !r.hasContent && r.text == "" }

// copilotCall gathers what the format says about one tool call before it
// becomes a ToolCall; several sources can describe the same call.
type copilotCall struct {
	tc          ToolCall
	fromInv     bool     // a toolInvocationSerialized part
	internal    bool     // a "*_internal" helper another tool invoked
	names       []string // toolId and the model's tool name
	args        string   // the model's JSON arguments
	detailInput string   // resultDetails.input
	toolInput   string   // toolSpecificData input / command
	outResult   string   // toolCallResults text
	outDetail   string   // resultDetails.output
	outTool     string   // toolSpecificData output (terminal, simple, subagent)
	outURIs     string   // resultDetails as a resource list
	outPast     string   // pastTenseMessage
	denied      bool
	msgPaths    []string // files the invocation messages link
	written     []string // files of edit groups that followed the call
}

// copilotRespBuilder accumulates response parts in order.
type copilotRespBuilder struct {
	b            *copilotBuilder
	id           string
	line         int
	buf          bytes.Buffer
	pendingFence string
	clearMark    int
	thinking     []string
	calls        []*copilotCall
	reads        []string
	baseDir      string
}

func (b *copilotBuilder) readResponse(req copilotRequest, id string, line int) copilotResponse {
	r := &copilotRespBuilder{b: b, id: id, line: line}
	for _, raw := range req.Response {
		var s string
		if json.Unmarshal(raw, &s) == nil { // very old sessions: plain markdown strings
			r.addMarkdown(s)
			continue
		}
		var p copilotPart
		if err := json.Unmarshal(raw, &p); err != nil {
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) || te.Field == "" {
				b.warnOnce("part:not-object", line, "response part is a JSON %s, expected an object; skipped", copilotJSONKind(raw))
				continue
			}
			b.warnOnce("part:"+te.Field, line, "response part: %s; that field was skipped", copilotJSONErr(err))
		}
		r.part(p)
	}
	r.flushFence()

	var md copilotMetadata
	if req.Result != nil {
		md = req.Result.Metadata
	}
	r.pairModelCalls(md)
	out := copilotResponse{
		text:     strings.TrimSpace(r.buf.String()),
		thinking: strings.Join(r.thinking, "\n\n"),
		baseDir:  r.baseDir,
	}
	if out.thinking == "" {
		out.thinking = copilotRoundThinking(md.ToolCallRounds)
	}
	for _, c := range r.calls {
		out.calls = append(out.calls, c.toolCall())
	}
	out.hasContent = out.text != "" || out.thinking != "" || len(out.calls) > 0
	if reads := copilotContextFiles(req, r.reads); len(reads) > 0 {
		ctx := ToolCall{ExternalID: id + "/context", Name: "context", FilesRead: reads}
		out.calls = append([]ToolCall{ctx}, out.calls...)
	}
	return out
}

func (r *copilotRespBuilder) part(p copilotPart) {
	switch p.Kind {
	case "", "markdownContent", "markdownVuln":
		md := ""
		if p.Content != nil {
			md = p.Content.Value
		} else {
			md, _ = copilotMarkdown(p.Value)
		}
		if r.baseDir == "" && len(p.BaseURI) > 0 {
			if dir, ok := copilotURIPath(p.BaseURI); ok && len(dir) > 1 {
				r.baseDir = strings.TrimRight(dir, `/\`)
			}
		}
		r.addMarkdown(md)
	case "inlineReference":
		r.inlineReference(p)
	case "thinking":
		if t := strings.TrimSpace(copilotStringOrList(p.Value)); t != "" {
			r.thinking = append(r.thinking, t)
		}
	case "toolInvocationSerialized", "toolInvocation", "externalToolInvocationUpdate":
		r.invocation(p)
	case "textEditGroup", "notebookEditGroup":
		r.edited(p.URI)
	case "codeblockUri":
		if p.IsEdit {
			r.edited(p.URI)
		}
	case "clearToPreviousToolInvocation":
		// VS Code drops the text streamed since the last tool invocation.
		r.pendingFence = ""
		if r.clearMark <= r.buf.Len() {
			r.buf.Truncate(r.clearMark)
		}
	default:
		if !copilotIgnoredParts[p.Kind] {
			r.b.warnOnce("part:"+p.Kind, r.line, "response part kind %q is not known; skipped (its text, if any, is not imported)", truncate(p.Kind, 80))
		}
	}
}

// addMarkdown appends text, dropping an empty ``` pair: VS Code writes the
// fences of an edit's code block as markdown and the code as a
// textEditGroup, which leaves an empty block in the text.
func (r *copilotRespBuilder) addMarkdown(s string) {
	if copilotIsFence(s) {
		if r.pendingFence == "" {
			r.pendingFence = s
			return
		}
		if strings.TrimSpace(r.pendingFence) == strings.TrimSpace(s) {
			r.pendingFence = ""
			return
		}
		r.flushFence()
		r.pendingFence = s
		return
	}
	r.flushFence()
	r.buf.WriteString(s)
}

func (r *copilotRespBuilder) flushFence() {
	r.buf.WriteString(r.pendingFence)
	r.pendingFence = ""
}

func (r *copilotRespBuilder) inlineReference(p copilotPart) {
	p2, ok := copilotURIPath(p.InlineReference)
	label := p.Name
	if label == "" {
		var sym struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(p.InlineReference, &sym)
		label = sym.Name
	}
	if label == "" && ok {
		label = copilotBaseName(p2)
	}
	if label == "" {
		label = copilotURIText(p.InlineReference)
	}
	if label != "" {
		r.addMarkdown("`" + label + "`")
	}
	if ok {
		r.reads = appendUnique(r.reads, p2)
	}
}

// edited records a file an edit group wrote: it belongs to the tool call
// that precedes it, or to a synthetic call when no tool was invoked (edits
// the model streamed directly, as in the older "edits" mode).
func (r *copilotRespBuilder) edited(raw json.RawMessage) {
	p, ok := copilotURIPath(raw)
	if !ok {
		return
	}
	if len(r.calls) == 0 {
		r.calls = append(r.calls, &copilotCall{tc: ToolCall{ExternalID: r.id + "/edits", Name: "textEditGroup"}})
	}
	last := r.calls[len(r.calls)-1]
	last.written = appendUnique(last.written, p)
}

func (r *copilotRespBuilder) invocation(p copilotPart) {
	name := p.ToolID
	if name == "" {
		name = p.ToolName
	}
	var c *copilotCall
	for _, old := range r.calls { // externalToolInvocationUpdate repeats a call as it progresses
		if p.ToolCallID != "" && old.fromInv && old.tc.ExternalID == p.ToolCallID {
			c = old
		}
	}
	if c == nil {
		c = &copilotCall{fromInv: true, tc: ToolCall{ExternalID: p.ToolCallID, Name: name}}
		c.internal = strings.HasSuffix(name, "_internal")
		c.names = []string{name}
		r.calls = append(r.calls, c)
	}
	_, inv := copilotMarkdown(p.InvocationMessage)
	past, pastPaths := copilotMarkdown(p.PastTenseMessage)
	for _, f := range append(inv, pastPaths...) {
		c.msgPaths = appendUnique(c.msgPaths, f)
	}
	if past != "" {
		c.outPast = past
	}
	c.readDetails(p.ResultDetails)
	c.readToolData(p.ToolSpecificData)
	if p.ErrorMessage != "" {
		c.tc.IsError = true
		c.outDetail = p.ErrorMessage
	}
	c.denied = copilotDenied(p.IsConfirmed)
	r.flushFence()
	r.clearMark = r.buf.Len()
}

// copilotDenied reads isConfirmed: false (before VS Code 1.104) or a
// ConfirmedReason whose type is 0 (denied) or 5 (skipped).
func copilotDenied(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return !b
	}
	var r struct {
		Type *int `json:"type"`
	}
	if json.Unmarshal(raw, &r) == nil && r.Type != nil {
		return *r.Type == 0 || *r.Type == 5
	}
	return false
}

// readDetails reads resultDetails: a list of resources (URIs/Locations), or
// {input, output[], isError} (MCP and extension tools).
func (c *copilotCall) readDetails(raw json.RawMessage) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	if raw[0] == '[' {
		var list []json.RawMessage
		_ = json.Unmarshal(raw, &list)
		var lines []string
		for _, u := range list {
			if t := copilotURIText(u); t != "" {
				lines = append(lines, t)
			}
		}
		c.outURIs = strings.Join(lines, "\n")
		return
	}
	var d struct {
		Input   json.RawMessage `json:"input"`
		Output  json.RawMessage `json:"output"`
		IsError bool            `json:"isError"`
	}
	if json.Unmarshal(raw, &d) != nil {
		return
	}
	if d.IsError {
		c.tc.IsError = true
	}
	var s string
	if json.Unmarshal(d.Input, &s) == nil {
		c.detailInput = s
	} else if len(d.Input) > 0 && string(d.Input) != "null" {
		c.detailInput = string(d.Input)
	}
	var outs []struct {
		Type     string          `json:"type"`
		Value    json.RawMessage `json:"value"`
		MimeType string          `json:"mimeType"`
		URI      json.RawMessage `json:"uri"`
	}
	if json.Unmarshal(d.Output, &outs) != nil {
		var one struct {
			MimeType string `json:"mimeType"`
		}
		if json.Unmarshal(d.Output, &one) == nil && one.MimeType != "" {
			c.outDetail = "[" + one.MimeType + " data]"
		}
		return
	}
	var texts []string
	for _, o := range outs {
		var v string
		switch {
		case json.Unmarshal(o.Value, &v) == nil && v != "":
			texts = append(texts, v)
		case len(o.URI) > 0:
			texts = append(texts, copilotURIText(o.URI))
		case o.MimeType != "":
			texts = append(texts, "["+o.MimeType+" data]")
		}
	}
	c.outDetail = strings.Join(texts, "\n")
}

// readToolData reads toolSpecificData: terminal command lines (and their
// output), raw tool input, simple input/output pairs and subagent prompts.
func (c *copilotCall) readToolData(raw json.RawMessage) {
	var d struct {
		Kind        string `json:"kind"`
		Command     string `json:"command"` // legacy terminal data
		CommandLine struct {
			Original   string `json:"original"`
			UserEdited string `json:"userEdited"`
			ToolEdited string `json:"toolEdited"`
		} `json:"commandLine"`
		TerminalCommandOutput struct {
			Text string `json:"text"`
		} `json:"terminalCommandOutput"`
		RawInput json.RawMessage `json:"rawInput"`
		Input    string          `json:"input"`
		Output   string          `json:"output"`
		Prompt   string          `json:"prompt"`
		Result   string          `json:"result"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &d) != nil {
		return
	}
	switch d.Kind {
	case "terminal":
		cmd := copilotFirst(d.CommandLine.ToolEdited, d.CommandLine.UserEdited, d.CommandLine.Original, d.Command)
		if cmd != "" {
			c.tc.Commands = appendUnique(c.tc.Commands, cmd)
			c.toolInput = string(copilotJSONValue(map[string]string{"command": cmd}))
		}
		c.outTool = d.TerminalCommandOutput.Text
	case "input":
		if len(d.RawInput) > 0 && string(d.RawInput) != "null" {
			c.toolInput = string(d.RawInput)
		}
	case "simpleToolInvocation":
		c.toolInput, c.outTool = d.Input, d.Output
	case "subagent":
		c.toolInput, c.outTool = d.Prompt, d.Result
	}
}

func copilotFirst(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// pairModelCalls joins the model's tool calls (toolCallRounds) to the
// invocations: positionally when the counts agree once "*_internal" helper
// tools are set aside, otherwise by equal name. Without invocations the
// model's calls stand alone.
func (r *copilotRespBuilder) pairModelCalls(md copilotMetadata) {
	var lm []copilotLMCall
	for _, round := range md.ToolCallRounds {
		lm = append(lm, round.ToolCalls...)
	}
	if len(lm) == 0 {
		return
	}
	var primary []*copilotCall
	for _, c := range r.calls {
		if c.fromInv && !c.internal {
			primary = append(primary, c)
		}
	}
	switch {
	case len(primary) == len(lm):
		for i, c := range primary {
			c.merge(lm[i], md.ToolCallResults)
		}
	case len(primary) == 0:
		for _, call := range lm {
			c := &copilotCall{tc: ToolCall{ExternalID: call.ID, Name: call.Name}}
			c.merge(call, md.ToolCallResults)
			r.calls = append(r.calls, c)
		}
	default:
		next := 0
		for _, call := range lm {
			for j := next; j < len(primary); j++ {
				if strings.EqualFold(primary[j].tc.Name, call.Name) {
					primary[j].merge(call, md.ToolCallResults)
					next = j + 1
					break
				}
			}
		}
	}
}

func (c *copilotCall) merge(call copilotLMCall, results map[string]json.RawMessage) {
	c.args = call.Arguments
	c.names = append(c.names, call.Name)
	if c.tc.ExternalID == "" {
		c.tc.ExternalID = call.ID
	}
	if raw, ok := results[call.ID]; ok {
		c.outResult = copilotResultText(raw)
	}
}

// toolCall settles the gathered facts: the model's arguments win over what
// the UI recorded, the tool's own result text over summaries.
func (c *copilotCall) toolCall() ToolCall {
	tc := c.tc
	tc.Input = copilotFirst(c.args, c.detailInput, c.toolInput)
	denied := ""
	if c.denied {
		denied = "tool call was not run: denied or skipped by the user"
	}
	tc.Output = truncate(copilotFirst(c.outResult, c.outDetail, c.outTool, c.outURIs, denied, c.outPast), MaxToolOutput)
	class := copilotToolClass(c.names)
	reads, writes, cmds := copilotArgFiles(class, c.names, tc.Input)
	switch class {
	case copilotRead:
		reads = append(reads, c.msgPaths...)
	case copilotWrite:
		writes = append(writes, c.msgPaths...)
	}
	for _, f := range reads {
		tc.FilesRead = appendUnique(tc.FilesRead, f)
	}
	for _, f := range append(writes, c.written...) {
		tc.FilesWritten = appendUnique(tc.FilesWritten, f)
	}
	for _, cmd := range cmds {
		tc.Commands = appendUnique(tc.Commands, cmd)
	}
	return tc
}

type copilotClass int

const (
	copilotOther copilotClass = iota
	copilotRead
	copilotWrite
)

// copilotToolClass tells file-reading from file-writing tools by name; it
// covers the built-in tools under both their ids (copilot_readFile,
// copilot_replaceString, copilot_applyPatch) and the names the model sees
// (read_file, replace_string_in_file, apply_patch), and MCP tools named alike.
func copilotToolClass(names []string) copilotClass {
	class := copilotOther
	for _, n := range names {
		n = strings.ToLower(n)
		for _, w := range []string{"replace", "edit", "insert", "create", "patch", "write"} {
			if strings.Contains(n, w) {
				return copilotWrite
			}
		}
		if strings.Contains(n, "read") {
			class = copilotRead
		}
	}
	return class
}

// copilotArgFiles reads file paths and shell commands from a tool's JSON
// arguments, paths as written.
func copilotArgFiles(class copilotClass, names []string, input string) (reads, writes, cmds []string) {
	var args map[string]any
	if json.Unmarshal([]byte(input), &args) != nil {
		return nil, nil, nil
	}
	for _, n := range names {
		n = strings.ToLower(n)
		if strings.Contains(n, "terminal") || strings.Contains(n, "shell") {
			if cmd, ok := args["command"].(string); ok && cmd != "" {
				cmds = append(cmds, cmd)
				break
			}
		}
	}
	var paths []string
	for _, k := range []string{"filePath", "file_path", "path", "notebookPath", "uri"} {
		if s, ok := args[k].(string); ok && s != "" {
			paths = append(paths, s)
		}
	}
	if l, ok := args["filePaths"].([]any); ok {
		for _, v := range l {
			if s, ok := v.(string); ok && s != "" {
				paths = append(paths, s)
			}
		}
	}
	if l, ok := args["replacements"].([]any); ok { // multi_replace_string_in_file
		for _, v := range l {
			if m, ok := v.(map[string]any); ok {
				if s, ok := m["filePath"].(string); ok && s != "" {
					paths = append(paths, s)
				}
			}
		}
	}
	if patch, ok := args["input"].(string); ok && class == copilotWrite {
		paths = append(paths, copilotPatchFiles(patch)...)
	}
	switch class {
	case copilotRead:
		reads = paths
	case copilotWrite:
		writes = paths
	}
	return reads, writes, cmds
}

// copilotPatchFiles lists the files an apply_patch envelope touches.
func copilotPatchFiles(patch string) []string {
	var out []string
	for _, l := range strings.Split(patch, "\n") {
		l = strings.TrimSpace(l)
		for _, p := range []string{"*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: "} {
			if strings.HasPrefix(l, p) {
				if f := strings.TrimSpace(strings.TrimPrefix(l, p)); f != "" {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// copilotResultText flattens a serialized LanguageModelToolResult: text
// parts ({value: "..."}) and prompt-tsx trees ({value: {node: {children:
// [{text}...]}}}), in order.
func copilotResultText(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	var sb strings.Builder
	copilotCollectText(v, &sb, 0)
	return sb.String()
}

func copilotCollectText(v any, sb *strings.Builder, depth int) {
	if depth > 100 || sb.Len() > 4*MaxToolOutput {
		return
	}
	switch x := v.(type) {
	case string:
		sb.WriteString(x)
	case []any:
		for _, e := range x {
			copilotCollectText(e, sb, depth+1)
		}
	case map[string]any:
		if br, _ := x["lineBreakBefore"].(bool); br && sb.Len() > 0 && !strings.HasSuffix(sb.String(), "\n") {
			sb.WriteByte('\n')
		}
		if t, ok := x["text"].(string); ok {
			sb.WriteString(t)
			return
		}
		for _, k := range []string{"content", "value", "node", "children"} {
			if c, ok := x[k]; ok {
				copilotCollectText(c, sb, depth+1)
			}
		}
	}
}

// copilotRoundThinking is the reasoning recorded with the model's rounds,
// used when the response has no thinking parts.
func copilotRoundThinking(rounds []copilotRound) string {
	var parts []string
	for _, r := range rounds {
		if r.Thinking != nil {
			if t := strings.TrimSpace(copilotStringOrList(r.Thinking.Text)); t != "" {
				parts = append(parts, t)
			}
		}
	}
	return strings.Join(parts, "\n\n")
}

// copilotContextFiles are the files the request gave the model: attached
// variables, the response's inline references, and its used references.
func copilotContextFiles(req copilotRequest, inline []string) []string {
	var out []string
	for _, v := range req.VariableData.Variables {
		switch v.Kind {
		case "directory", "folder", "image", "tool", "toolset":
			continue
		}
		if p, ok := copilotURIPath(v.Value); ok {
			out = appendUnique(out, p)
		} else if strings.HasPrefix(v.ID, "file://") {
			if p, ok := copilotURIPath(copilotJSONValue(v.ID)); ok {
				out = appendUnique(out, p)
			}
		}
	}
	for _, f := range inline {
		out = appendUnique(out, f)
	}
	for _, raw := range req.ContentReferences {
		var ref struct {
			Reference json.RawMessage `json:"reference"`
		}
		if json.Unmarshal(raw, &ref) != nil || len(ref.Reference) == 0 {
			continue
		}
		p, ok := copilotURIPath(ref.Reference)
		if !ok {
			var named struct {
				Value json.RawMessage `json:"value"`
			}
			if json.Unmarshal(ref.Reference, &named) == nil && len(named.Value) > 0 {
				p, ok = copilotURIPath(named.Value)
			}
		}
		if ok {
			out = appendUnique(out, p)
		}
	}
	return out
}

// copilotJSONKind names the JSON type of raw for messages.
func copilotJSONKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
