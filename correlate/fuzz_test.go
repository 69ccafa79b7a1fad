package correlate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

// Fuzz tests for the parsers of untrusted text: transcripts and commits
// come from users' machines and forges. None may panic, hang or return
// nonsense. Seeds are the fixtures plus the shapes the unit tests cover.

func addFixtureSeeds(f *testing.F, dir string) {
	entries, _ := os.ReadDir(filepath.Join("testdata", dir))
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join("testdata", dir, e.Name())); err == nil {
			f.Add(string(b))
		}
	}
}

// requireSortedSet checks the shape every line extractor returns.
func requireSortedSet(t *testing.T, hs []uint64) {
	t.Helper()
	for i, h := range hs {
		if h == 0 {
			t.Fatalf("hash 0 (the 'dropped' value) returned at %d", i)
		}
		if i > 0 && hs[i-1] >= h {
			t.Fatalf("not a sorted set at %d: %v", i, hs)
		}
	}
}

func FuzzHashesMentioned(f *testing.F) {
	for _, s := range []string{"fixed in 3f2a1b9", "[main 7b3e9a1] Add retry", "v1.4.0-12-gabc1234-dirty",
		"0b8e4d2a-7c1f-4a6e-b3d9-2e5f8a1c4d70", "a1b2c3d..e4f5a6b", "é3f2a1b9", strings.Repeat("ab12", 30)} {
		f.Add(s)
	}
	addFixtureSeeds(f, "transcripts")
	f.Fuzz(func(t *testing.T, text string) {
		got := HashesMentioned(text)
		seen := map[string]bool{}
		for _, h := range got {
			if !isHexWord(h) {
				t.Fatalf("%q is not a 7–40 digit lowercase hex word with digits and letters", h)
			}
			if !strings.Contains(text, h) {
				t.Fatalf("%q is not in the text", h)
			}
			if seen[h] {
				t.Fatalf("%q returned twice", h)
			}
			seen[h] = true
		}
	})
}

func FuzzAddedLines(f *testing.F) {
	addFixtureSeeds(f, "diffs")
	for _, s := range []string{"", "@@ -1 +1 @@\n-a line\n+b line here\n", "@@\n+loose hunk line\n+++ b/x\n",
		"@@@ -1,2 -1,2 +1,3 @@@\n  kept line\n++added merged line\n", "diff --git \"a/x\\\"y\" \"b/x\\\"y\"\n", "@@ -0,0 +1,99999999999 @@\n+x\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, diff string) {
		added := AddedLines(diff)
		requireSortedSet(t, added)
		if n := strings.Count(diff, "\n") + 1; len(added) > n {
			t.Fatalf("%d added lines from a %d-line diff", len(added), n)
		}
		files := FilesInDiff(diff)
		seen := map[string]bool{}
		for _, p := range files {
			if p == "" || seen[p] {
				t.Fatalf("empty or repeated path %q in %q", p, files)
			}
			seen[p] = true
		}
	})
}

func FuzzAssistantLines(f *testing.F) {
	for _, s := range []string{
		`{"file_path":"/r/a.go","content":"package a\nfunc Alpha() {}\n"}`,
		`{"file_path":"/r/a.go","old_string":"x := oldValue","new_string":"x := newValue"}`,
		`{"file_path":"/r/a.go","edits":[{"old_string":"aaaa","new_string":"bbbb cccc"}]}`,
		`{"command":["bash","-lc","apply_patch <<'PATCH'\n*** Begin Patch\n*** Add File: x.go\n+package xylophone\n*** End Patch\nPATCH"]}`,
		"*** Begin Patch\n*** Update File: a.py\n@@\n-old = 1\n+new_value = 2\n*** End Patch",
		`{"command":"cat > f.txt <<EOF\nhello there world\nEOF"}`,
		`{"replacements":[{"filePath":"/x","oldString":"a","newString":"bbbb cccc"}]}`,
		`{"content": 12, "edits": "x", "command": {"a": 1}}`,
	} {
		f.Add("Write", s, "cat > out.txt <<'EOF'\nsome text here\nEOF")
	}
	f.Add("Bash", `{"command":"git commit -m \"$(cat <<'EOF'\nmsg body\nEOF\n)\""}`, "")
	f.Fuzz(func(t *testing.T, name, input, command string) {
		calls := []transcript.ToolCall{{Name: name, Input: input, Commands: []string{command}, FilesWritten: []string{"x"}}}
		hs := AssistantLines(calls)
		requireSortedSet(t, hs)
		// Every line the assistant wrote is a line of its input, so there
		// cannot be more hashes than lines (plus the line structure JSON
		// escapes hide).
		limit := strings.Count(input, "\n") + strings.Count(input, `\n`) + strings.Count(command, "\n") + 3
		if len(hs) > limit {
			t.Fatalf("%d lines from an input of at most %d", len(hs), limit)
		}
		requireSortedSet(t, EditBlockLines(input))
		requireSortedSet(t, CodeBlockLines(input))
	})
}

func FuzzCommitMessageCommands(f *testing.F) {
	for _, s := range []string{
		`git commit -m "Add retry"`, `git commit -am 'x y z'`, `git -C /r commit --message=done`,
		"git commit -m \"$(cat <<'EOF'\nSubject\n\nBody\nEOF\n)\"", "git commit -F - <<MSG\nfrom stdin\nMSG",
		`bash -lc "git commit -m 'nested'"`, `git commit -m $'a\nb'`, "git commit -m \"$(echo $(echo $(echo deep)))\"",
		"$($($($($($($($($($(", "``````", "<<<<<<<<", "git commit -m \"unterminated", `git commit -m '`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		msgs := CommitMessageCommands([]string{cmd})
		seen := map[string]bool{}
		for _, m := range msgs {
			if m == "" || m != strings.TrimSpace(m) {
				t.Fatalf("message %q is empty or untrimmed", m)
			}
			if seen[m] {
				t.Fatalf("message %q returned twice", m)
			}
			seen[m] = true
			if utf8.ValidString(cmd) && !utf8.ValidString(m) {
				t.Fatalf("invalid UTF-8 message %q from valid input", m)
			}
			if len(m) > len(cmd) {
				t.Fatalf("message %q longer than the command %q", m, cmd)
			}
		}
		_ = slices.Clone(msgs)
	})
}
