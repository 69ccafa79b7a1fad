package demo

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

var testNow = time.Date(2026, time.November, 20, 15, 30, 0, 0, time.UTC)

// parsed is a generated file with what the real parser made of it.
type parsed struct {
	File
	want transcript.Format
	res  transcript.Result
}

// generated is Generate(1, testNow, 6) parsed once for every test.
var generated = sync.OnceValue(func() []parsed {
	var out []parsed
	for _, f := range Generate(1, testNow, 6).Files {
		out = append(out, parsed{File: f, want: formatOf(f.Name), res: transcript.Parse(f.Name, f.Data, "", transcript.Limits{})})
	}
	return out
})

// formatOf is the format a file must be detected as, from where the tool
// writes it.
func formatOf(name string) transcript.Format {
	switch {
	case strings.HasSuffix(name, "/.aider.chat.history.md"):
		return transcript.FormatAiderHistory
	case strings.Contains(name, "/.specstory/history/"):
		return transcript.FormatSpecStory
	case strings.Contains(name, "/.codex/sessions/"):
		return transcript.FormatCodexRollout
	case strings.Contains(name, "/.claude/projects/"):
		return transcript.FormatClaudeCodeJSONL
	case strings.Contains(name, "/agent-transcripts/"):
		return transcript.FormatCursorAgent
	case strings.Contains(name, "/chatSessions/") && strings.HasSuffix(name, ".json"):
		return transcript.FormatCopilotSession
	case strings.Contains(name, "/.gemini/") && strings.HasSuffix(name, ".jsonl"):
		return transcript.FormatGeminiJSONL
	case strings.Contains(name, "/.gemini/"):
		return transcript.FormatGeminiJSON
	}
	return ""
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a, b := Generate(1, testNow, 6), Generate(1, testNow, 6)
	require.Equal(t, a, b)
	require.NotEqual(t, a, Generate(2, testNow, 6), "another seed gives other files")
}

func TestGenerateCoversEveryFormat(t *testing.T) {
	t.Parallel()
	seen := map[transcript.Format]int{}
	for _, p := range generated() {
		seen[p.res.Format] += len(p.res.Conversations)
	}
	for _, f := range transcript.Formats() {
		switch f {
		case transcript.FormatGeneric, transcript.FormatCopilotJSONL, transcript.FormatCopilotExport:
			continue
		}
		require.Positive(t, seen[f], "no conversation in format %s", f)
	}
}

func TestGenerateParsesAsRealCaptures(t *testing.T) {
	t.Parallel()
	ids := map[string]string{}
	total := 0
	for _, p := range generated() {
		require.NotEmpty(t, p.want, "%s: a file name no tool writes", p.Name)
		require.Equal(t, p.want, p.res.Format, "%s detected as %s", p.Name, p.res.Format)
		for _, prob := range p.res.Problems {
			require.NotEqual(t, transcript.SeverityError, prob.Severity, "%s:%d: %s", p.Name, prob.Line, prob.Message)
		}
		require.NotEmpty(t, p.res.Conversations, p.Name)
		longest := 0
		for _, c := range p.res.Conversations {
			longest = max(longest, len(c.Messages))
			total++
			require.NotEmpty(t, c.ExternalID, p.Name)
			other, dup := ids[c.ExternalID]
			require.False(t, dup, "external id %s in %s and %s", c.ExternalID, other, p.Name)
			ids[c.ExternalID] = p.Name
			if c.Format == transcript.FormatCursorAgent {
				continue // Cursor agent transcripts record no time at all
			}
			require.False(t, c.StartedAt.IsZero(), "%s: %s has no start time", p.Name, c.ExternalID)
			require.True(t, c.StartedAt.After(testNow.AddDate(0, 0, -42)) && c.StartedAt.Before(testNow),
				"%s: %s started at %s, outside the six weeks before %s", p.Name, c.ExternalID, c.StartedAt, testNow)
			if !c.EndedAt.IsZero() {
				require.True(t, c.EndedAt.Before(testNow), "%s ends at %s, after now", p.Name, c.EndedAt)
			}
		}
		require.GreaterOrEqual(t, longest, 2, "%s: no conversation with two messages", p.Name)
	}
	require.GreaterOrEqual(t, total, 120)
	require.LessOrEqual(t, total, 220)
}

func TestGenerateTellsTheDemoStories(t *testing.T) {
	t.Parallel()
	var reset, jwt bool
	users := map[string]int{}
	migrationAskers := map[string]bool{}
	remotes := map[string]bool{}
	weekdays, timed := 0, 0
	for _, p := range generated() {
		require.True(t, isDemoEmail(p.UserEmail), "%s owned by %s, not a demo person", p.Name, p.UserEmail)
		for _, c := range p.res.Conversations {
			users[p.UserEmail]++
			if c.GitRemote != "" {
				remotes[c.GitRemote] = true
			}
			if !c.StartedAt.IsZero() {
				timed++
				if wd := c.StartedAt.Weekday(); wd != time.Saturday && wd != time.Sunday {
					weekdays++
				}
			}
			first := ""
			for _, m := range c.Messages {
				if m.Role == transcript.RoleUser && first == "" && !strings.HasPrefix(m.Text, "/add ") {
					first = m.Text
				}
				reset = reset || strings.Contains(m.Text, "ERR_CONNECTION_RESET in useAuthToken.ts")
			}
			jwt = jwt || strings.Contains(c.Title, "JWT") || strings.Contains(first, "JWT")
			if strings.Contains(first, "migrations locally") || strings.Contains(first, "migrations against my local") {
				migrationAskers[p.UserEmail] = true
			}
		}
	}
	require.True(t, reset, "no message mentions ERR_CONNECTION_RESET in useAuthToken.ts")
	require.True(t, jwt, "no conversation is about JWT")
	require.GreaterOrEqual(t, len(migrationAskers), 3, "running migrations locally should be a question several people ask")
	require.Len(t, users, len(people), "every demo person has conversations: %v", users)
	require.Greater(t, users["sam.okafor@demo.example"], 4*users["priya.nair@demo.example"], "activity is skewed: %v", users)
	require.Greater(t, weekdays*100, timed*80, "mostly weekdays: %d of %d", weekdays, timed)
	var ssh, https, gitlab bool
	for r := range remotes {
		ssh = ssh || strings.HasPrefix(r, "git@")
		https = https || strings.HasPrefix(r, "https://")
		gitlab = gitlab || strings.Contains(r, "gitlab.com")
	}
	require.True(t, ssh && https && gitlab, "remotes in mixed forms and hosts: %v", remotes)
}

// Uploads are redacted before they are parsed: the demo's files must still
// parse afterwards (they contain a few database URLs with passwords).
func TestGenerateSurvivesRedaction(t *testing.T) {
	t.Parallel()
	r, err := redact.New()
	require.NoError(t, err)
	for _, p := range generated() {
		data, _ := r.RedactBytes(p.Data)
		res := transcript.Parse(p.Name, data, "", transcript.Limits{})
		require.Equal(t, p.want, res.Format, p.Name)
		require.False(t, res.HasErrors(), "%s after redaction: %v", p.Name, res.Problems)
		require.Len(t, res.Conversations, len(p.res.Conversations), p.Name)
	}
}

func TestGenerateOtherSeedsAndSpans(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		seed  int64
		weeks int
	}{{2, 6}, {7, 6}, {3, 1}, {4, 12}} {
		n := 0
		for _, f := range Generate(tc.seed, testNow, tc.weeks).Files {
			res := transcript.Parse(f.Name, f.Data, "", transcript.Limits{})
			require.Equal(t, formatOf(f.Name), res.Format, f.Name)
			require.False(t, res.HasErrors(), "%s: %v", f.Name, res.Problems)
			for _, c := range res.Conversations {
				n++
				if c.Format != transcript.FormatCursorAgent {
					require.True(t, c.StartedAt.After(testNow.AddDate(0, 0, -7*tc.weeks)), "%s starts %s", f.Name, c.StartedAt)
				}
			}
		}
		require.Positive(t, n)
	}
}

func isDemoEmail(email string) bool {
	if email == "admin@demo.example" {
		return true
	}
	for _, p := range people {
		if p.email == email {
			return true
		}
	}
	return false
}

func TestGenerateCommits(t *testing.T) {
	t.Parallel()
	data := Generate(1, testNow, 6)
	var made, own int
	for _, c := range data.Commits {
		require.Regexp(t, `^[0-9a-f]{40}$`, c.SHA)
		require.True(t, c.At.Before(testNow.Add(time.Hour)) && c.At.After(testNow.AddDate(0, 0, -43)), "%s at %s", c.SHA, c.At)
		require.NotEmpty(t, c.Remote)
		require.NotEmpty(t, c.Message)
		printed := false
		for _, f := range data.Files {
			if bytes.Contains(f.Data, []byte(c.SHA[:7])) {
				printed = true
				break
			}
		}
		if printed {
			made++
		} else {
			own++
		}
	}
	// The assistants' commits show in their sessions (git printed the
	// hash); people's own commits show nowhere.
	require.Greater(t, made, 10)
	require.Greater(t, own, 50)
}
