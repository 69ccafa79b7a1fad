package transcript

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// line is one line of a line-based file; N is 1-based.
type line struct {
	N    int
	Text []byte
}

// splitLines splits data into lines without copying, reporting (and
// dropping) lines longer than lim.MaxLineBytes. A trailing line without a
// newline is kept: a truncated last line is the parser's to judge.
func splitLines(name string, data []byte, lim Limits, res *Result) []line {
	lim = lim.orDefault()
	var out []line
	n := 0
	for len(data) > 0 {
		n++
		i := bytes.IndexByte(data, '\n')
		var l []byte
		if i < 0 {
			l, data = data, nil
		} else {
			l, data = data[:i], data[i+1:]
		}
		l = bytes.TrimSuffix(l, []byte{'\r'})
		if len(l) > lim.MaxLineBytes {
			res.errorf(name, n, "line is %d bytes, over the %d-byte limit; skipped", len(l), lim.MaxLineBytes)
			continue
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		out = append(out, line{N: n, Text: l})
	}
	return out
}

func (l Limits) orDefault() Limits {
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = DefaultLimits.MaxLineBytes
	}
	return l
}

func (r *Result) errorf(file string, line int, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Severity: SeverityError, File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (r *Result) warnf(file string, line int, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Severity: SeverityWarning, File: file, Line: line, Message: fmt.Sprintf(format, args...)})
}

// HasErrors reports whether any part of the input was not imported.
func (r Result) HasErrors() bool {
	for _, p := range r.Problems {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

// truncate cuts s to at most n bytes at a UTF-8 boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…[truncated]"
	cut := n - len(mark)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// validText replaces invalid UTF-8 so that stores and JSON never see it.
func validText(s string) string {
	if utf8.ValidString(s) {
		return strings.ReplaceAll(s, "\x00", "")
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// parseTime accepts the timestamp shapes the formats use: RFC 3339 with or
// without fractional seconds, and Unix epoch milliseconds.
func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func epochMillis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// appendUnique appends v to list unless it is empty or already present,
// keeping first-appearance order.
func appendUnique(list []string, v string) []string {
	if v == "" {
		return list
	}
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

// finish fills the conversation-level fields derived from messages:
// started/ended from message timestamps, models and branches in order of
// first appearance, token totals when the parser did not set them.
func (c *Conversation) finish() {
	var sum Tokens
	for i := range c.Messages {
		m := &c.Messages[i]
		m.Text = validText(m.Text)
		m.Thinking = validText(m.Thinking)
		if !m.Timestamp.IsZero() {
			if c.StartedAt.IsZero() || m.Timestamp.Before(c.StartedAt) {
				c.StartedAt = m.Timestamp
			}
			if m.Timestamp.After(c.EndedAt) {
				c.EndedAt = m.Timestamp
			}
		}
		c.Models = appendUnique(c.Models, m.Model)
		c.GitBranches = appendUnique(c.GitBranches, m.GitBranch)
		sum.Add(m.Tokens)
		for j := range m.ToolCalls {
			tc := &m.ToolCalls[j]
			tc.Output = truncate(validText(tc.Output), MaxToolOutput)
			tc.Input = validText(tc.Input)
		}
	}
	if c.Tokens == (Tokens{}) {
		c.Tokens = sum
	}
	c.Title = validText(c.Title)
	// Every string is stored and indexed: valid UTF-8, no NUL, bounded.
	c.ExternalID = boundedID(validText(c.ExternalID))
	c.ParentExternalID = boundedID(validText(c.ParentExternalID))
	c.Cwd = truncate(validText(c.Cwd), 4096)
	c.GitRemote = truncate(validText(c.GitRemote), 2048)
	c.GitCommit = truncate(validText(c.GitCommit), 128)
	c.ToolVersion = truncate(validText(c.ToolVersion), 128)
	c.User = truncate(validText(c.User), 256)
	for _, list := range []*[]string{&c.GitBranches, &c.Models} {
		for i, v := range *list {
			(*list)[i] = truncate(validText(v), 512)
		}
	}
	for i := range c.Messages {
		m := &c.Messages[i]
		m.ExternalID = boundedID(validText(m.ExternalID))
		m.ParentExternalID = boundedID(validText(m.ParentExternalID))
		m.Model, m.AgentID, m.GitBranch = truncate(validText(m.Model), 512), truncate(validText(m.AgentID), 512), truncate(validText(m.GitBranch), 512)
		for j := range m.ToolCalls {
			t := &m.ToolCalls[j]
			t.Name, t.ExternalID = truncate(validText(t.Name), 512), boundedID(validText(t.ExternalID))
			for _, list := range []*[]string{&t.FilesRead, &t.FilesWritten, &t.Commands} {
				for k, v := range *list {
					(*list)[k] = truncate(validText(v), 4096)
				}
			}
		}
	}
}

// boundedID keeps identifiers short enough for unique indexes: a longer
// one is replaced by its SHA-256, which stays stable across re-imports.
func boundedID(id string) string {
	if len(id) <= 512 {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256-" + hex.EncodeToString(sum[:])
}
