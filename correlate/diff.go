package correlate

import (
	"strconv"
	"strings"
)

// AddedLines returns the hashes (LineHash) of the significant lines a
// unified diff adds, as an ascending set. A line the diff also removes in
// the same normalised form (re-indented, re-aligned by a formatter, moved)
// was not written by this change and is left out, as the old side of an
// assistant's edit is. It reads the output of git show
// --patch, git diff and git format-patch, including combined diffs of
// merges (a line counts when some parent lacks it and none removes it).
//
// Hunk headers are trusted for their line counts, so an added line whose
// text starts with "++" or "@@" is still an added line and text after a
// hunk (a mail signature, the next header) is not. A hunk header without
// counts ("@@" alone, as in hand-written patches) switches to reading
// every '+' line that is not a "+++ " file header.
func AddedLines(unifiedDiff string) []uint64 {
	added, removed := lineSet{}, lineSet{}
	walkDiff(unifiedDiff, func(string) {}, func(line string) { added.add(line) }, func(line string) { removed.add(line) })
	for h := range removed {
		delete(added, h)
	}
	return added.sorted()
}

// FilesInDiff lists the repository-relative paths a unified diff touches,
// in order and without duplicates: the new path of added, modified and
// renamed files, the old path of deleted ones. Git's a/ and b/ prefixes
// (and the i/ w/ c/ o/ ones of diff.mnemonicPrefix) are removed and
// C-quoted names ("a/caf\303\251.txt") decoded.
func FilesInDiff(unifiedDiff string) []string {
	var files []string
	seen := map[string]bool{}
	walkDiff(unifiedDiff, func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}, func(string) {}, func(string) {})
	return files
}

// diffFile gathers what the headers of one file section say.
type diffFile struct {
	gitOld, gitNew string // from "diff --git"
	old, new       string // from ---/+++ (and rename/copy lines)
	deleted        bool
	open           bool
}

func (f *diffFile) path() string {
	switch {
	case f.new != "":
		return f.new
	case f.old != "":
		return f.old
	case f.gitNew != "" && !f.deleted:
		return f.gitNew
	}
	return f.gitOld
}

// walkDiff calls file for each file section's path (when the section
// ends), added for each added line's text and removed for each removed one.
func walkDiff(diff string, file func(string), added, removed func(string)) {
	var cur diffFile
	flush := func() {
		if cur.open {
			file(cur.path())
		}
		cur = diffFile{}
	}
	// Hunk state: lines left on the new side and the old side, the number
	// of parents (1, or more in a combined diff), and whether the header
	// had no counts (read until the lines stop looking like a hunk).
	newLeft, oldLeft, parents, loose := 0, 0, 1, false
	for _, line := range strings.Split(diff, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if newLeft > 0 || oldLeft > 0 || loose {
			if line == "" && !loose {
				// Some tools strip the single space of an empty context line.
				newLeft--
				oldLeft--
				continue
			}
			if kind, ok := hunkLine(line, parents); ok && !(loose && isFileHeader(line)) {
				switch kind {
				case '+':
					added(line[parents:])
					newLeft--
				case '-':
					removed(line[parents:])
					oldLeft--
				case ' ':
					newLeft--
					oldLeft--
				}
				continue
			}
			newLeft, oldLeft, loose = 0, 0, false
		}
		switch {
		case strings.HasPrefix(line, "diff --git "):
			flush()
			cur.open = true
			cur.gitOld, cur.gitNew = parseGitDiffLine(line[len("diff --git "):])
		case strings.HasPrefix(line, "diff --cc ") || strings.HasPrefix(line, "diff --combined "):
			flush()
			cur.open = true
			_, name, _ := strings.Cut(line[len("diff --"):], " ")
			cur.gitNew = unquotePath(name)
		case strings.HasPrefix(line, "--- "):
			if !cur.open || cur.old != "" || cur.new != "" || cur.deleted {
				flush() // a patch without "diff --git" lines: ---/+++ start a file
				cur.open = true
			}
			if p := headerPath(line[4:]); p != "" {
				cur.old = p
			}
		case strings.HasPrefix(line, "+++ "):
			if cur.new != "" || cur.deleted {
				flush()
			}
			cur.open = true
			if p := headerPath(line[4:]); p != "" {
				cur.new = p
			} else {
				cur.deleted = true
			}
		case strings.HasPrefix(line, "rename to ") || strings.HasPrefix(line, "copy to "):
			_, p, _ := strings.Cut(line, " to ")
			cur.new = unquotePath(p)
		case strings.HasPrefix(line, "deleted file mode"):
			cur.deleted = true
		case strings.HasPrefix(line, "@@"):
			parents = max(len(line)-len(strings.TrimLeft(line, "@"))-1, 1)
			n, o, ok := hunkCounts(line, parents)
			if ok {
				newLeft, oldLeft, loose = n, o, false
			} else {
				newLeft, oldLeft, loose = 0, 0, true
			}
		}
	}
	flush()
}

// isFileHeader reports a line that starts a new file in a patch whose
// hunks had no counts.
func isFileHeader(line string) bool {
	return strings.HasPrefix(line, "+++ ") || strings.HasPrefix(line, "--- ") || strings.HasPrefix(line, "diff ")
}

// hunkLine classifies a line inside a hunk: '+' added to the result, '-'
// removed from it, ' ' kept; ok is false when the line is not hunk text.
// In a combined diff the first parents columns are markers.
func hunkLine(line string, parents int) (byte, bool) {
	if strings.HasPrefix(line, `\`) { // "\ No newline at end of file"
		return 0, true
	}
	if len(line) < parents {
		return 0, false
	}
	plus, minus := false, false
	for i := 0; i < parents; i++ {
		switch line[i] {
		case '+':
			plus = true
		case '-':
			minus = true
		case ' ':
		default:
			return 0, false
		}
	}
	switch {
	case minus:
		return '-', true
	case plus:
		return '+', true
	}
	return ' ', true
}

// hunkCounts reads "@@ -a,b +c,d @@" (or "@@@ -a,b -c,d +e,f @@@"): the
// number of lines on the new side and on the (first) old side.
func hunkCounts(line string, parents int) (newN, oldN int, ok bool) {
	fields := strings.Fields(line)
	if len(fields) < parents+2 {
		return 0, 0, false
	}
	count := func(f string, sign byte) (int, bool) {
		if len(f) < 2 || f[0] != sign {
			return 0, false
		}
		_, c, found := strings.Cut(f[1:], ",")
		if !found {
			if _, err := strconv.Atoi(f[1:]); err != nil {
				return 0, false
			}
			return 1, true
		}
		n, err := strconv.Atoi(c)
		return n, err == nil && n >= 0
	}
	oldN, okOld := count(fields[1], '-')
	newN, okNew := count(fields[1+parents], '+')
	if !okOld || !okNew {
		return 0, 0, false
	}
	if parents > 1 {
		// The old counts of a combined diff are per parent and the new
		// count covers every line that is not removed; track the new side.
		oldN = 0
	}
	return newN, oldN, true
}

// headerPath reads the path of a ---/+++ line: "" for /dev/null.
func headerPath(s string) string {
	if i := strings.IndexByte(s, '\t'); i >= 0 { // diff -u appends a timestamp
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if s == "/dev/null" || s == "" {
		return ""
	}
	return stripPrefix(unquotePath(s))
}

// parseGitDiffLine splits the "a/x b/y" of a diff --git line. Unquoted
// names may contain spaces, so when both halves are equal the split is
// the middle; otherwise the last " b/".
func parseGitDiffLine(s string) (string, string) {
	if strings.HasPrefix(s, `"`) {
		if end := quotedEnd(s); end > 0 {
			a := unquotePath(s[:end])
			rest := strings.TrimSpace(s[end:])
			return stripPrefix(a), stripPrefix(unquotePath(rest))
		}
	}
	if n := len(s); n%2 == 1 && s[n/2] == ' ' {
		a, b := s[:n/2], s[n/2+1:]
		if stripPrefix(a) == stripPrefix(b) {
			return stripPrefix(a), stripPrefix(b)
		}
	}
	if i := strings.LastIndex(s, " b/"); i > 0 {
		return stripPrefix(s[:i]), stripPrefix(unquotePath(s[i+1:]))
	}
	if a, b, ok := strings.Cut(s, " "); ok {
		return stripPrefix(a), stripPrefix(unquotePath(b))
	}
	return stripPrefix(s), ""
}

// quotedEnd returns the index after the closing quote of a C-quoted string
// starting at s[0], or -1.
func quotedEnd(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// unquotePath decodes git's C-style quoting of unusual file names.
func unquotePath(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	return s
}

// stripPrefix removes git's one-letter side prefix (a/, b/, or the
// mnemonic i/ w/ c/ o/).
func stripPrefix(p string) string {
	if len(p) > 2 && p[1] == '/' && strings.IndexByte("abciwo", p[0]) >= 0 {
		return p[2:]
	}
	return p
}
