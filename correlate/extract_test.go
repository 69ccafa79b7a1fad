package correlate

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

func TestHashesMentioned(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		text string
		want []string
	}{
		{"fixed in 3f2a1b9, see also 3f2a1b9 and 8e7d6c5a4b3c", []string{"3f2a1b9", "8e7d6c5a4b3c"}},
		{"[main 7b3e9a1] Add retry", []string{"7b3e9a1"}},
		{"https://github.com/acme/shop/commit/0123456789abcdef0123456789abcdef01234567", []string{"0123456789abcdef0123456789abcdef01234567"}},
		{"range a1b2c3d..e4f5a6b^", []string{"a1b2c3d", "e4f5a6b"}},
		{"v1.4.0-12-gabc1234 and v2.0.0-3-gdeadbe0-dirty", []string{"abc1234", "deadbe0"}},
		// Not hashes.
		{"issue 12345678 at 20251103", nil}, // all digits
		{"a defaced facade deadbeef", nil},  // all letters
		{"0xdeadbeef12 and sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", nil}, // inside longer words / too long
		{"session 0b8e4d2a-7c1f-4a6e-b3d9-2e5f8a1c4d70", nil},                                             // UUID parts
		{"ABC1234DEF and abc123", nil},                                                                    // upper case, too short
		{"id_abc1234d and abc1234d_x and éabc1234d", nil},                                                 // glued to word characters
		{"", nil},
	} {
		require.Equal(t, tc.want, HashesMentioned(tc.text), "%q", tc.text)
	}
}

func TestCommitMessageCommands(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{`git commit -m "Add retry"`, []string{"Add retry"}},
		{`git commit -m 'Add "quoted" retry'`, []string{`Add "quoted" retry`}},
		{`git commit -m Fix`, []string{"Fix"}},
		{`git commit -mFix`, []string{"Fix"}},
		{`git commit -am "Stage and commit"`, []string{"Stage and commit"}},
		{`git commit --message="Long form" --no-verify`, []string{"Long form"}},
		{`git commit --message 'Long form two'`, []string{"Long form two"}},
		{`git commit -m "Subject" -m "Body paragraph."`, []string{"Subject\n\nBody paragraph."}},
		{`git commit -m $'Subject\n\nBody'`, []string{"Subject\n\nBody"}},
		{`git commit -m "Escaped \"quotes\" and \$dollar"`, []string{`Escaped "quotes" and $dollar`}},
		{`git -C /repo -c user.name=x --no-pager commit -m "Global options"`, []string{"Global options"}},
		{`GIT_AUTHOR_DATE=2025-01-01 env FOO=1 git commit -m "With env"`, []string{"With env"}},
		{`cd /repo && git add -A && git commit -m "Chained" && git push`, []string{"Chained"}},
		{"git commit -m \"$(cat <<'EOF'\nSubject with (parens) and \"quotes\"\n\nBody line.\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nEOF\n)\"",
			[]string{"Subject with (parens) and \"quotes\"\n\nBody line.\n\nCo-Authored-By: Claude <noreply@anthropic.com>"}},
		{"git commit -F - <<'MSG'\nFrom stdin\n\nBody\nMSG", []string{"From stdin\n\nBody"}},
		{"git commit -F- <<< 'Here string'", []string{"Here string"}},
		{"git commit --file=- <<-EOF\n\tTabbed heredoc\n\tEOF", []string{"Tabbed heredoc"}},
		{`bash -lc "git commit -m 'Nested shell'"`, []string{"Nested shell"}},
		{`git commit -m "$(echo Echoed message)"`, []string{"Echoed message"}},
		{"git commit \\\n  -m \"Continued line\"", []string{"Continued line"}},
		// Unknowable or not a commit message.
		{`git commit -m "$MSG"`, nil},
		{`git commit -m '$NOT_EXPANDED'`, []string{"$NOT_EXPANDED"}},
		{`git commit -m "$(git log -1 --format=%s)"`, nil},
		{`git commit -F message.txt`, nil},
		{`git commit --amend --no-edit`, nil},
		{`git commit -C HEAD`, nil},
		{`echo git commit -m "not run"`, nil},
		{`git log --grep "commit -m x"`, nil},
		{`git commit -m`, nil},
		{``, nil},
	} {
		require.Equal(t, tc.want, CommitMessageCommands([]string{tc.cmd}), "%q", tc.cmd)
	}
	// Several commands, duplicates dropped.
	require.Equal(t, []string{"One", "Two"}, CommitMessageCommands([]string{`git commit -m One`, `git commit -m Two; git commit -m One`}))
}

func TestAssistantLinesInputShapes(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name string
		call transcript.ToolCall
		want []uint64
	}{
		{"edit keeps only new lines", transcript.ToolCall{Name: "Edit", FilesWritten: []string{"/r/a.go"},
			Input: `{"file_path":"/r/a.go","old_string":"func a() {\n\treturn oldValue\n}","new_string":"func a() {\n\treturn newValue\n}"}`},
			hashes("return newValue")},
		{"str_replace_based_edit_tool", transcript.ToolCall{Name: "str_replace_based_edit_tool",
			Input: `{"command":"str_replace","path":"/r/a.py","old_str":"x = compute()","new_str":"x = compute_fast()"}`},
			hashes("x = compute_fast()")},
		{"notebook", transcript.ToolCall{Name: "NotebookEdit", FilesWritten: []string{"/r/n.ipynb"},
			Input: `{"notebook_path":"/r/n.ipynb","cell_id":"c1","new_source":"df.describe()"}`},
			hashes("df.describe()")},
		{"read tools write nothing", transcript.ToolCall{Name: "Read", FilesRead: []string{"/r/a.go"},
			Input: `{"file_path":"/r/a.go","content":"not written"}`}, nil},
		{"chat content of another tool is not code", transcript.ToolCall{Name: "mcp__slack__post",
			Input: `{"channel":"x","content":"deploying now please wait"}`}, nil},
		{"SpecStory diff block", transcript.ToolCall{Name: "edit_file",
			Input: "--- a/x.go\n+++ b/x.go\n@@ -1 +1 @@\n-old line one\n+new line one\n"}, hashes("new line one")},
		{"SpecStory apply_patch text", transcript.ToolCall{Name: "apply_patch",
			Input: "Apply patch for x\n\n*** Begin Patch\n*** Update File: /r/.golangci.yml\n@@\n issues:\n-  exclude-dirs: []\n+  exclude-dirs: [\"gen\"]\n*** End Patch"},
			hashes(`exclude-dirs: ["gen"]`)},
		{"shell heredoc with tee and not-a-file heredoc", transcript.ToolCall{Name: "Bash",
			Commands: []string{"tee config/app.yaml <<EOF\nlisten: 8080\nEOF\npython3 - <<'PY'\nprint('scratch script')\nPY"}},
			hashes("listen: 8080")},
		{"garbage", transcript.ToolCall{Name: "Write", Input: `{"content": 12, "edits": "x"}`}, nil},
		{"not JSON, not a patch", transcript.ToolCall{Name: "Write", Input: "just words about code"}, nil},
	} {
		require.Equal(t, tc.want, AssistantLines([]transcript.ToolCall{tc.call}), tc.name)
	}
}

func TestEditBlockLines(t *testing.T) {
	t.Parallel()

	text := "Here is the change.\n\nsrc/a.py\n```python\n<<<<<<< SEARCH\ndef total(items):\n    return sum(items)\n=======\ndef total(items):\n    return sum(i.price for i in items)\n>>>>>>> REPLACE\n```\n\n" +
		"An example, not an edit:\n```python\nprint('shown, not written')\n```\n\n" +
		"```diff\n--- src/b.py\n+++ src/b.py\n@@ ... @@\n-    x = old_value\n+    x = new_value\n ```\n+    y = after_fence_like_line\n```\n" +
		"<<<<<<< SEARCH\nunterminated block line\n"
	require.Equal(t, hashes("return sum(i.price for i in items)", "x = new_value", "y = after_fence_like_line"), EditBlockLines(text))
	require.Empty(t, EditBlockLines("no edits here\n```go\nfunc main() {}\n```"))
}

func TestPathMatches(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		session, cwd, commit string
		want                 bool
	}{
		{"/home/ada/src/shop/src/auth/jwt.go", "/home/ada/src/shop", "src/auth/jwt.go", true},
		{"/home/ada/src/shop/src/auth/jwt.go", "", "src/auth/jwt.go", true},
		{"/home/ada/src/shop/src/auth/jwt.go", "", "auth/jwt.go", true},
		{"/home/ada/src/shop/src/auth/jwt.go", "", "rc/auth/jwt.go", false},
		{"/home/ada/src/shop/src/auth/jwt.go", "/home/ada/src/shop", "jwt.go", false}, // inside cwd: relative path must match
		{"src/auth/jwt.go", "/home/ada/src/shop", "src/auth/jwt.go", true},
		{"./src/auth/jwt.go", "", "src/auth/jwt.go", true},
		{"handlers.go", "/repo/api", "api/handlers.go", true},                              // session in a sub-directory
		{"/repo/api/handlers.go", "/repo/api", "api/handlers.go", true},                    // same, absolute
		{"/work/atlas/.claude/worktrees/agent-x1/TODO.md", "/work/atlas", "TODO.md", true}, // worktree under cwd
		{`C:\Users\kofi\work\ledger-sync\sync.py`, `c:\Users\kofi\work\ledger-sync`, "sync.py", true},
		{`c:\Users\kofi\work\ledger-sync\lib\sync.py`, "", "lib/sync.py", true},
		{"../other/x.go", "/repo", "x.go", false},
		{"", "/repo", "x.go", false},
		{"/repo/x.go", "/repo", "", false},
		{"/", "/", "/", false},
	} {
		require.Equal(t, tc.want, PathMatches(tc.session, tc.cwd, tc.commit), "%q in %q vs %q", tc.session, tc.cwd, tc.commit)
	}
}

func TestAITools(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		msg, author string
		want        []transcript.Tool
	}{
		{"Add retry\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>", "Ada", []transcript.Tool{transcript.ToolClaudeCode}},
		{"fix: x\n\nCo-authored-by: aider (anthropic/claude-sonnet-4) <aider@aider.chat>", "Ada", []transcript.Tool{transcript.ToolAider}},
		{"fix: x", "Ada Lovelace (aider)", []transcript.Tool{transcript.ToolAider}},
		{"x\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>", "", []transcript.Tool{transcript.ToolCopilot}},
		{"x\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>", "", []transcript.Tool{transcript.ToolCursor}},
		{"x\n\nCo-authored-by: Codex <codex@openai.com>", "", []transcript.Tool{transcript.ToolCodex}},
		{"x\n\nGenerated by Gemini CLI", "", []transcript.Tool{transcript.ToolGemini}},
		// People, and mentions outside trailers, are not assistants.
		{"x\n\nCo-authored-by: Claude Dupont <claude@corp.fr>", "", nil},
		{"Mention Claude Code in the README", "", nil},
		{"x\n\nSigned-off-by: Ada <ada@example.com>", "", nil},
	} {
		require.Equal(t, tc.want, AITools(Commit{Message: tc.msg, AuthorName: tc.author}), "%q", tc.msg)
	}
}

func TestCodeBlockLines(t *testing.T) {
	t.Parallel()

	text := "Use a hook:\n\n```ts\nexport function useDebounce<T>(value: T): T {\n  return value;\n}\n```\n\n" +
		"~~~diff\n-const old = 1;\n+const fresh = 2;\n~~~\n\n" +
		"```\n<<<<<<< SEARCH\nbefore line here\n=======\nafter line here\n>>>>>>> REPLACE\n```\n" +
		"Prose `inline code here` is not a block.\n```go\nunterminated block line\n"
	require.Equal(t, hashes("export function useDebounce<T>(value: T): T {", "return value;", "const fresh = 2;", "before line here", "after line here"), CodeBlockLines(text))
	require.Empty(t, CodeBlockLines("no code at all"))
}

func TestCommittedHashes(t *testing.T) {
	t.Parallel()

	calls := []transcript.ToolCall{
		{Name: "Bash", Commands: []string{`git commit -m "x"`}, Output: "[feature/retry 7b3e9a1] Add retry\n 1 file changed"},
		{Name: "Bash", Commands: []string{`git commit -m "root"`}, Output: "[main (root-commit) 0a1b2c3] Initial commit"},
		{Name: "Bash", Commands: []string{`git cherry-pick abc1234`}, Output: "[detached HEAD 4d5e6f7] Picked"},
		{Name: "Bash", Commands: []string{`git commit -m "x"`}, Output: "[main 9f8e7d6] failed hook", IsError: true},
		{Name: "Bash", Commands: []string{`cat notes.md`}, Output: "[main 1a2b3c4] only text in a file"},
		{Name: "shell", Input: `{"command":["bash","-lc","git commit -am wip"]}`, Output: `{"output":"[main 5e6f7a8] wip\n"}`},
	}
	require.Equal(t, []string{"7b3e9a1", "0a1b2c3", "4d5e6f7"}, CommittedHashes(calls))
}
