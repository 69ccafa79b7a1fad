package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The generic JSON format is what POST /api/v1/conversations accepts, for
// any tool without an importer of its own. It is one conversation object,
// or {"conversations": [...]} for several:
//
//	{
//	  "source": "my-assistant",            // tool name, [a-z0-9_-], required
//	  "tool_version": "1.4.2",
//	  "external_id": "session-42",         // the tool's session id, required
//	  "title": "Fix the login redirect",
//	  "cwd": "/home/ada/src/shop",
//	  "git_remote": "git@github.com:acme/shop.git",
//	  "git_branches": ["fix/login"],
//	  "git_commit": "9fceb02…",
//	  "started_at": "2026-11-20T09:00:00Z", "ended_at": "2026-11-20T09:40:00Z",
//	  "tokens": {"input": 1200, "output": 340},
//	  "messages": [                        // in order
//	    {"id": "m1", "role": "user", "text": "Why does login loop?", "timestamp": "2026-11-20T09:00:00Z"},
//	    {"id": "m2", "role": "assistant", "text": "The redirect…", "thinking": "…", "model": "gpt-4o",
//	     "tokens": {"input": 1200, "output": 340},
//	     "tool_calls": [{"id": "c1", "name": "edit", "input": {"path": "login.ts"}, "output": "ok",
//	                     "files_written": ["login.ts"], "commands": []}]}
//	  ]
//	}
//
// role is user, assistant, system or tool. Message ids are optional; without
// them the position is the id, so re-sending a grown conversation appends.

type genericDoc struct {
	Conversations []genericConversation `json:"conversations"`
}

type genericConversation struct {
	Source      string           `json:"source"`
	ToolVersion string           `json:"tool_version"`
	ExternalID  string           `json:"external_id"`
	ParentID    string           `json:"parent_external_id"`
	Title       string           `json:"title"`
	Cwd         string           `json:"cwd"`
	GitRemote   string           `json:"git_remote"`
	GitBranches []string         `json:"git_branches"`
	GitCommit   string           `json:"git_commit"`
	StartedAt   string           `json:"started_at"`
	EndedAt     string           `json:"ended_at"`
	User        string           `json:"user"`
	Tokens      Tokens           `json:"tokens"`
	Messages    []genericMessage `json:"messages"`
}

type genericMessage struct {
	ID        string            `json:"id"`
	ParentID  string            `json:"parent_id"`
	Role      string            `json:"role"`
	Text      string            `json:"text"`
	Thinking  string            `json:"thinking"`
	Timestamp string            `json:"timestamp"`
	Model     string            `json:"model"`
	Sidechain bool              `json:"sidechain"`
	GitBranch string            `json:"git_branch"`
	Tokens    Tokens            `json:"tokens"`
	ToolCalls []genericToolCall `json:"tool_calls"`
}

type genericToolCall struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Input        json.RawMessage `json:"input"`
	Output       string          `json:"output"`
	IsError      bool            `json:"is_error"`
	FilesRead    []string        `json:"files_read"`
	FilesWritten []string        `json:"files_written"`
	Commands     []string        `json:"commands"`
}

var genericSource = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

func sniffGeneric(_ string, head []byte) bool {
	h := bytes.TrimSpace(head)
	if len(h) == 0 || h[0] != '{' {
		return false
	}
	return (bytes.Contains(h, []byte(`"external_id"`)) && bytes.Contains(h, []byte(`"messages"`)) && bytes.Contains(h, []byte(`"source"`))) ||
		bytes.HasPrefix(bytes.TrimLeft(h[1:], " \t\r\n"), []byte(`"conversations"`))
}

func parseGeneric(name string, data []byte, _ Limits) Result {
	res := Result{Format: FormatGeneric}
	var convs []genericConversation
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		res.errorf(name, jsonErrorLine(data, err), "invalid JSON (%v); expected one conversation object or {\"conversations\": [...]}", err)
		return res
	}
	if _, ok := probe["conversations"]; ok {
		var doc genericDoc
		if err := json.Unmarshal(data, &doc); err != nil {
			res.errorf(name, jsonErrorLine(data, err), "conversations: %v", err)
			return res
		}
		convs = doc.Conversations
	} else {
		var c genericConversation
		if err := json.Unmarshal(data, &c); err != nil {
			res.errorf(name, jsonErrorLine(data, err), "conversation: %v", err)
			return res
		}
		convs = []genericConversation{c}
	}
	for i, g := range convs {
		where := fmt.Sprintf("conversation %d", i+1)
		if !genericSource.MatchString(g.Source) {
			res.errorf(name, 0, "%s: source %q must be a tool name of lowercase letters, digits, - or _ (e.g. \"my-assistant\")", where, g.Source)
			continue
		}
		if strings.TrimSpace(g.ExternalID) == "" {
			res.errorf(name, 0, "%s: external_id is required (the tool's own session id)", where)
			continue
		}
		c := Conversation{
			Tool: Tool(g.Source), ToolVersion: g.ToolVersion, Format: FormatGeneric,
			ExternalID: g.ExternalID, ParentExternalID: g.ParentID, Title: g.Title, Cwd: g.Cwd,
			GitRemote: g.GitRemote, GitCommit: g.GitCommit, User: g.User, Tokens: g.Tokens,
		}
		for _, b := range g.GitBranches {
			c.GitBranches = appendUnique(c.GitBranches, b)
		}
		c.StartedAt = genericTime(&res, name, where+": started_at", g.StartedAt)
		c.EndedAt = genericTime(&res, name, where+": ended_at", g.EndedAt)
		ok := true
		for j, gm := range g.Messages {
			mwhere := fmt.Sprintf("%s, message %d", where, j+1)
			role := Role(gm.Role)
			switch role {
			case RoleUser, RoleAssistant, RoleSystem, RoleTool:
			default:
				res.errorf(name, 0, "%s: role %q must be user, assistant, system or tool", mwhere, gm.Role)
				ok = false
				continue
			}
			m := Message{
				ExternalID: gm.ID, ParentExternalID: gm.ParentID, Role: role, Text: gm.Text, Thinking: gm.Thinking,
				Model: gm.Model, Sidechain: gm.Sidechain, GitBranch: gm.GitBranch, Tokens: gm.Tokens,
				Timestamp: genericTime(&res, name, mwhere+": timestamp", gm.Timestamp),
			}
			if m.ExternalID == "" {
				m.ExternalID = fmt.Sprintf("m%d", j+1)
			}
			for _, gt := range gm.ToolCalls {
				if gt.Name == "" {
					res.errorf(name, 0, "%s: a tool call has no name", mwhere)
					continue
				}
				input := string(gt.Input)
				var s string
				if json.Unmarshal(gt.Input, &s) == nil {
					input = s
				}
				m.ToolCalls = append(m.ToolCalls, ToolCall{
					ExternalID: gt.ID, Name: gt.Name, Input: input, Output: gt.Output, IsError: gt.IsError,
					FilesRead: gt.FilesRead, FilesWritten: gt.FilesWritten, Commands: gt.Commands,
				})
			}
			c.Messages = append(c.Messages, m)
		}
		if !ok && len(c.Messages) == 0 {
			continue
		}
		if len(c.Messages) == 0 {
			res.warnf(name, 0, "%s (%s): no messages; nothing to import", where, g.ExternalID)
			continue
		}
		c.finish()
		if c.Title == "" {
			c.Title = firstPromptTitle(c.Messages)
		}
		res.Conversations = append(res.Conversations, c)
	}
	return res
}

func genericTime(res *Result, name, where, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, ok := parseTime(s)
	if !ok {
		res.warnf(name, 0, "%s: %q is not an RFC 3339 time like 2026-11-20T09:00:00Z; ignored", where, s)
	}
	return t
}

// firstPromptTitle is the first user message, one line, cut to 80 chars.
func firstPromptTitle(msgs []Message) string {
	for _, m := range msgs {
		if m.Role == RoleUser && strings.TrimSpace(m.Text) != "" {
			line, _, _ := strings.Cut(strings.TrimSpace(m.Text), "\n")
			return truncate(line, 80)
		}
	}
	return ""
}

// jsonErrorLine maps a json syntax error's offset to a 1-based line.
func jsonErrorLine(data []byte, err error) int {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var off int64
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	default:
		return 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte("\n")) + 1
}
