package correlate

import (
	"path"
	"strings"
)

// PathMatches reports whether a path a session recorded (often absolute:
// /home/ada/src/shop/src/auth/jwt.go, sometimes relative to the session's
// working directory, sometimes Windows-style) names the repository-relative
// path of a commit (src/auth/jwt.go).
//
// Rules, on paths with "\" turned into "/", cleaned, and "./" removed:
//   - A relative session path matches when it equals the commit path or is
//     a whole-segment suffix of it (the session ran in a sub-directory of
//     the repository: cwd /repo/api, path handlers.go, commit api/handlers.go).
//   - An absolute session path inside cwd is made relative to cwd and then
//     matched as above, or, inside a worktree nested under cwd (a "worktrees"
//     directory: .claude/worktrees/x/src/a.go), relative to the worktree.
//   - An absolute path outside cwd (or without cwd) matches when the commit
//     path is a whole-segment suffix of it: /home/ada/shop/src/a.go names
//     src/a.go but not rc/a.go.
//
// Windows drive letters compare case-insensitively; everything else is
// case-sensitive, as git is.
func PathMatches(sessionPath, cwd, commitPath string) bool {
	sp, abs := cleanPath(sessionPath)
	cp, _ := cleanPath(commitPath)
	cp = strings.TrimPrefix(cp, "/")
	if sp == "" || cp == "" {
		return false
	}
	if !abs {
		return segmentSuffix(cp, sp)
	}
	if cwd != "" {
		if root, rootAbs := cleanPath(cwd); rootAbs {
			if rel, ok := relativeTo(sp, root); ok {
				return segmentSuffix(cp, rel) || inWorktree(rel, cp)
			}
		}
	}
	return segmentSuffix(sp, cp)
}

// cleanPath normalises separators and reports whether the path is absolute
// (POSIX root or a Windows drive).
func cleanPath(p string) (string, bool) {
	p = strings.TrimSpace(strings.ReplaceAll(p, `\`, "/"))
	if p == "" {
		return "", false
	}
	if strings.HasPrefix(p, "file://") {
		p = strings.TrimPrefix(p, "file://")
	}
	abs := strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~/")
	if len(p) >= 2 && p[1] == ':' && isASCIILetter(p[0]) {
		abs = true
		p = "/" + strings.ToLower(p[:1]) + p[2:]
		if len(p) > 2 && p[2] != '/' {
			p = p[:2] + "/" + p[2:]
		}
	}
	p = path.Clean(p)
	if p == "." || p == "/" {
		return "", false
	}
	return strings.TrimPrefix(p, "./"), abs
}

func isASCIILetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// relativeTo returns p relative to root when p is inside root.
func relativeTo(p, root string) (string, bool) {
	if root == "" || !strings.HasPrefix(p, root+"/") {
		return "", false
	}
	return p[len(root)+1:], true
}

// segmentSuffix reports whether suffix is long or equal to long, or the
// tail of long after a "/".
func segmentSuffix(long, suffix string) bool {
	if suffix == "" || strings.HasPrefix(suffix, "../") || suffix == ".." {
		return false
	}
	return long == suffix || strings.HasSuffix(long, "/"+suffix)
}

// inWorktree reports whether rel is commitPath inside a worktree nested
// in the session's directory: <…>/worktrees/<name>/<commitPath>.
func inWorktree(rel, commitPath string) bool {
	if !segmentSuffix(rel, commitPath) || rel == commitPath {
		return false
	}
	prefix := strings.Split(strings.TrimSuffix(rel, commitPath), "/")
	// prefix ends with "" (the slash before commitPath); the worktree's
	// name is before it and its parent directory before that.
	n := len(prefix)
	return n >= 3 && (prefix[n-3] == "worktrees" || prefix[n-3] == ".worktrees")
}

// matchFiles counts the commit files that some session file names.
func matchFiles(sessionFiles []string, cwd string, commitFiles []string) int {
	n := 0
	for _, cf := range commitFiles {
		for _, sf := range sessionFiles {
			if PathMatches(sf, cwd, cf) {
				n++
				break
			}
		}
	}
	return n
}
