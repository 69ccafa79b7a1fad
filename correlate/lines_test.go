package correlate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLineHash(t *testing.T) {
	t.Parallel()

	// Dropped: too little to identify code.
	for _, l := range []string{"", "   ", "}", "});", "{", "*/", "//", "# ", "<!-- -->", "end", "i++", "x = 1", "\t)\r", "--", "# ok"} {
		require.Zero(t, LineHash(l), "%q", l)
	}
	// Dropped: boilerplate shared by unrelated changes.
	for _, l := range []string{"return nil", "\tif err != nil {", "} else {", "    pass", "#!/bin/bash"} {
		require.Zero(t, LineHash(l), "%q", l)
	}
	// Kept, and white space does not matter.
	h := LineHash("\treturn c.retry(req,  5)")
	require.NotZero(t, h)
	require.Equal(t, h, LineHash("return c.retry(req, 5)\r"))
	require.Equal(t, h, LineHash("        return   c.retry(req, 5)   "))
	require.NotEqual(t, h, LineHash("return c.Retry(req, 5)"), "case is kept")
	require.NotZero(t, LineHash("// TODO: pool size"), "a comment with words is content")
	require.NotZero(t, LineHash("éàüö"), "letters of any script count")
}

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

func hashes(lines ...string) []uint64 {
	s := lineSet{}
	for _, l := range lines {
		s.add(l)
	}
	return s.sorted()
}

func TestAddedLinesRealGitDiff(t *testing.T) {
	t.Parallel()
	diff := readFixture(t, "diffs/rename_delete_binary_quoted.diff")

	require.Equal(t, hashes(
		"fourth line added",
		"café",
		"New text here with details.",
		"++ starts with plus", // an added line that looks like a header
		"@@ looks like a hunk",
		`import "time"`,
		"// Sign signs a token that expires.",
		"func Sign(k []byte, ttl time.Duration) string {",
		"return sign(k, time.Now().Add(ttl))",
	), AddedLines(diff))

	require.Equal(t, []string{"b.txt", "bin.dat", "café menu.txt", "docs/guide.md", "old.txt", "src/auth/jwt.go"}, FilesInDiff(diff))
}

func TestAddedLinesCombinedMerge(t *testing.T) {
	t.Parallel()
	diff := readFixture(t, "diffs/merge_combined.diff")
	require.Equal(t, hashes("return signResolved(k, time.Now().Add(ttl))"), AddedLines(diff))
	require.Equal(t, []string{"src/auth/jwt.go"}, FilesInDiff(diff))
}

func TestFilesInDiffModeOnly(t *testing.T) {
	t.Parallel()
	diff := readFixture(t, "diffs/mode_only.diff")
	require.Equal(t, []string{"src/auth/jwt.go"}, FilesInDiff(diff))
	require.Empty(t, AddedLines(diff))
}

func TestAddedLinesEdgeCases(t *testing.T) {
	t.Parallel()

	t.Run("text after the last hunk is not added", func(t *testing.T) {
		t.Parallel()
		diff := "--- a/x.go\n+++ b/x.go\n@@ -1 +1 @@\n-old line here\n+new line here\n+signature line of a mail\n"
		require.Equal(t, hashes("new line here"), AddedLines(diff))
	})
	t.Run("hunk without counts", func(t *testing.T) {
		t.Parallel()
		diff := "--- a/x.go\n+++ b/x.go\n@@\n-old line here\n+new line here\n context line\n+++ b/y.go\n@@\n+other file line\n"
		require.Equal(t, hashes("new line here", "other file line"), AddedLines(diff))
		require.Equal(t, []string{"x.go", "y.go"}, FilesInDiff(diff))
	})
	t.Run("CRLF and empty context lines", func(t *testing.T) {
		t.Parallel()
		diff := "diff --git a/w.txt b/w.txt\r\n--- a/w.txt\r\n+++ b/w.txt\r\n@@ -1,3 +1,3 @@\r\n first line kept\r\n\r\n-second old\r\n+second new here\r\n"
		require.Equal(t, hashes("second new here"), AddedLines(diff))
		require.Equal(t, []string{"w.txt"}, FilesInDiff(diff))
	})
	t.Run("plain diff -u with timestamps and no prefix", func(t *testing.T) {
		t.Parallel()
		diff := "--- src/app.py\t2025-01-01 10:00:00\n+++ src/app.py\t2025-01-01 10:05:00\n@@ -1,2 +1,2 @@\n-print('hello')\n+print('hello world')\n"
		require.Equal(t, []string{"src/app.py"}, FilesInDiff(diff))
		require.Equal(t, hashes("print('hello world')"), AddedLines(diff))
	})
	t.Run("empty and junk", func(t *testing.T) {
		t.Parallel()
		require.Empty(t, AddedLines(""))
		require.Empty(t, FilesInDiff(""))
		require.Empty(t, AddedLines("+not in a hunk at all\n@@ -x +y @@"))
		require.Empty(t, AddedLines("@@ -1,1 +1,99999999999999999999 @@\n"))
	})
	t.Run("unquoted names with spaces", func(t *testing.T) {
		t.Parallel()
		diff := "diff --git a/my docs/a b.txt b/my docs/a b.txt\nindex 1..2 100644\nBinary files a/my docs/a b.txt and b/my docs/a b.txt differ\n"
		require.Equal(t, []string{"my docs/a b.txt"}, FilesInDiff(diff))
	})
}
