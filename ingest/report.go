package ingest

import (
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

// Outcomes of a conversation in a report.
const (
	OutcomeNew       = "new"
	OutcomeUpdated   = "updated"
	OutcomeUnchanged = "unchanged"
	OutcomeParsed    = "parsed" // --dry-run: parsed, nothing written
)

// Report says what happened to one file. It is stored with the capture,
// returned by the API and printed by `ctxintel import --json`.
type Report struct {
	File          string               `json:"file"`
	CaptureID     *uuid.UUID           `json:"capture_id,omitempty"`
	Format        transcript.Format    `json:"format,omitempty"`
	Status        string               `json:"status"` // processed, failed, pending, unchanged (identical file already stored)
	Error         string               `json:"error,omitempty"`
	Conversations []ConversationReport `json:"conversations"`
	Problems      []transcript.Problem `json:"problems,omitempty"`
	Redactions    map[string]int       `json:"redactions,omitempty"`
}

// ConversationReport describes one conversation of a file.
type ConversationReport struct {
	Outcome      string            `json:"outcome"`
	ID           *uuid.UUID        `json:"id,omitempty"`
	Source       transcript.Tool   `json:"source"`
	ExternalID   string            `json:"external_id"`
	Title        string            `json:"title"`
	StartedAt    *time.Time        `json:"started_at"`
	EndedAt      *time.Time        `json:"ended_at"`
	Cwd          string            `json:"cwd,omitempty"`
	GitBranches  []string          `json:"git_branches"`
	GitRemote    string            `json:"git_remote,omitempty"`
	Models       []string          `json:"models"`
	Messages     int               `json:"messages"`
	NewMessages  int               `json:"new_messages"`
	ToolCalls    int               `json:"tool_calls"`
	FilesTouched []string          `json:"files_touched"`
	Tokens       transcript.Tokens `json:"tokens"`
	Redactions   map[string]int    `json:"redactions,omitempty"`
}

// Summarize describes a parsed conversation (counts, files, times).
func Summarize(c transcript.Conversation) ConversationReport {
	r := ConversationReport{
		Source: c.Tool, ExternalID: c.ExternalID, Title: c.Title, Cwd: c.Cwd,
		GitBranches: nonNil(c.GitBranches), GitRemote: c.GitRemote, Models: nonNil(c.Models),
		Messages: len(c.Messages), Tokens: c.Tokens, FilesTouched: FilesTouched(c),
	}
	if !c.StartedAt.IsZero() {
		t := c.StartedAt
		r.StartedAt = &t
	}
	if !c.EndedAt.IsZero() {
		t := c.EndedAt
		r.EndedAt = &t
	}
	for _, m := range c.Messages {
		r.ToolCalls += len(m.ToolCalls)
	}
	return r
}

// FilesTouched is every file the assistant read or wrote, sorted.
func FilesTouched(c transcript.Conversation) []string {
	set := map[string]struct{}{}
	for _, m := range c.Messages {
		for _, t := range m.ToolCalls {
			for _, f := range t.FilesRead {
				set[f] = struct{}{}
			}
			for _, f := range t.FilesWritten {
				set[f] = struct{}{}
			}
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		if f != "" {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// DryRun parses a file without storing anything.
func DryRun(name string, data []byte, format transcript.Format, lim Limits) Report {
	if lim.MaxLineBytes <= 0 {
		lim.MaxLineBytes = DefaultLimits.MaxLineBytes
	}
	res := transcript.Parse(name, data, format, transcript.Limits{MaxLineBytes: lim.MaxLineBytes})
	rep := Report{File: name, Format: res.Format, Status: "processed", Problems: res.Problems, Conversations: []ConversationReport{}}
	for _, c := range res.Conversations {
		cr := Summarize(c)
		cr.Outcome = OutcomeParsed
		cr.NewMessages = cr.Messages
		rep.Conversations = append(rep.Conversations, cr)
	}
	if len(res.Conversations) == 0 && res.HasErrors() {
		rep.Status = "failed"
		rep.Error = firstError(res.Problems)
	}
	return rep
}

func firstError(ps []transcript.Problem) string {
	for _, p := range ps {
		if p.Severity == transcript.SeverityError {
			return p.Message
		}
	}
	return ""
}
