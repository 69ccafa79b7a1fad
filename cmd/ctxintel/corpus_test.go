package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

// corpusDir holds real capture files of every format (outside this
// repository, next to it on the development machines).
const corpusDir = "../../../shared/corpus"

// TestImportCorpus imports every real capture file: dry run, then for
// real, then again to prove nothing changes, and reads them back.
func TestImportCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("no corpus at %s", corpusDir)
	}
	var dirs []string
	for _, d := range []string{"claude_code", "codex", "cursor", "specstory", "copilot", "aider", "gemini"} {
		dirs = append(dirs, filepath.Join(corpusDir, d))
	}
	s := startServer(t, "corpus-org")

	dry, err := runJSON(t, append([]string{"import", "--dry-run", "--json"}, dirs...))
	// One file cannot be imported: a lone Codex turn_aborted line with no
	// session_meta, which names no session.
	require.Error(t, err)
	failed := failedFiles(dry)
	require.Equal(t, []string{"jnarowski_agentcmd__individual__event-turn-aborted.jsonl"}, failed)
	logByFormat(t, "dry run", dry)

	real, err := s.importJSON(t, dirs...)
	require.Error(t, err)
	require.Equal(t, failed, failedFiles(real))
	require.Equal(t, dry.Summary.Parsed, real.Summary.New+real.Summary.Updated+real.Summary.Unchanged)
	// The same session captured twice (Copilot's .json and .jsonl of one
	// chat) is stored once: the second copy is unchanged.
	seen, dup := map[string]bool{}, 0
	for _, f := range dry.Files {
		for _, c := range f.Conversations {
			key := string(c.Source) + "/" + c.ExternalID
			if seen[key] {
				dup++
			}
			seen[key] = true
		}
	}
	require.Equal(t, 1, dup)
	require.Equal(t, dup, real.Summary.Unchanged)
	logByFormat(t, "import", real)

	again, err := s.importJSON(t, dirs...)
	require.Error(t, err)
	require.Equal(t, 0, again.Summary.New)
	require.Equal(t, 0, again.Summary.Updated)
	require.Equal(t, dry.Summary.Parsed, again.Summary.Unchanged, "re-import: everything unchanged")

	var list struct {
		Conversations []struct {
			Source     string `json:"source"`
			ExternalID string `json:"external_id"`
			Messages   int    `json:"messages"`
		} `json:"conversations"`
	}
	getInto(t, s, "/api/v1/conversations?limit=500", &list)
	stored := map[string]int{}
	for _, c := range real.Files {
		for _, cr := range c.Conversations {
			stored[string(cr.Source)+"/"+cr.ExternalID] = cr.Messages
		}
	}
	require.Len(t, list.Conversations, len(stored))
	for _, c := range list.Conversations {
		want, ok := stored[c.Source+"/"+c.ExternalID]
		require.True(t, ok, c.ExternalID)
		require.Equal(t, want, c.Messages, c.ExternalID)
	}
}

func runJSON(t *testing.T, args []string) (importResult, error) {
	t.Helper()
	out, err := run(t, t.Context(), args...)
	var res importResult
	require.NoError(t, jsonUnmarshal(out, &res), out)
	return res, err
}

func failedFiles(r importResult) []string {
	var out []string
	for _, f := range r.Files {
		if f.Status == "failed" {
			out = append(out, filepath.Base(f.File))
		}
	}
	sort.Strings(out)
	return out
}

func logByFormat(t *testing.T, label string, r importResult) {
	t.Helper()
	type agg struct{ files, convs, msgs, tools, warnings, errors int }
	by := map[transcript.Format]*agg{}
	for _, f := range r.Files {
		a := by[f.Format]
		if a == nil {
			a = &agg{}
			by[f.Format] = a
		}
		a.files++
		a.convs += len(f.Conversations)
		for _, c := range f.Conversations {
			a.msgs += c.Messages
			a.tools += c.ToolCalls
		}
		for _, p := range f.Problems {
			if p.Severity == transcript.SeverityError {
				a.errors++
			} else {
				a.warnings++
			}
		}
	}
	var lines []string
	for f, a := range by {
		lines = append(lines, strings.TrimSpace(strings.Join([]string{string(f), ":", itoa(a.files), "files", itoa(a.convs), "conversations", itoa(a.msgs), "messages", itoa(a.tools), "tool calls", itoa(a.warnings), "warnings", itoa(a.errors), "errors"}, " ")))
	}
	sort.Strings(lines)
	t.Logf("%s: %+v\n  %s", label, r.Summary, strings.Join(lines, "\n  "))
}

func itoa(n int) string { return strconv.Itoa(n) }

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
