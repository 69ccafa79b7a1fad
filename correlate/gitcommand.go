package correlate

import (
	"strings"
)

// CommitMessageCommands returns the messages of the git commit commands
// among shell commands an assistant ran, in order and without duplicates.
//
// Forms read: -m "msg", -m 'msg', -m msg, -mmsg, --message=msg, --message
// msg, combined flags (-am msg), several -m (paragraphs joined by a blank
// line, as git does), $'…' strings, the heredoc form Claude Code uses
// (-m "$(cat <<'EOF' … EOF)"), -F - / --file=- with a heredoc or here-string
// on stdin, and git global options before "commit" (-C dir, -c k=v,
// --no-pager). Commands inside "bash -c '…'" are read too. A message
// that cannot be known without running the shell (a variable, another
// substitution, -F file) is skipped.
func CommitMessageCommands(cmds []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, script := range cmds {
		for _, c := range expandShells(parseShell(script), 0) {
			msg, ok := commitMessage(c)
			msg = strings.TrimSpace(msg)
			if !ok || msg == "" || seen[msg] {
				continue
			}
			seen[msg] = true
			out = append(out, msg)
		}
	}
	return out
}

// gitGlobalWithValue are git options before the subcommand that take the
// next word as their value.
var gitGlobalWithValue = map[string]bool{"-C": true, "-c": true, "--git-dir": true, "--work-tree": true, "--namespace": true, "--exec-path": false, "--config-env": true}

// commitMessage reads the message of one "git … commit …" command.
func commitMessage(c shCmd) (string, bool) {
	prog, args, unknown := c.program()
	if prog != "git" {
		return "", false
	}
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") {
		if gitGlobalWithValue[args[i]] {
			i++
		}
		i++
	}
	if i >= len(args) || args[i] != "commit" {
		return "", false
	}
	var paragraphs []string
	fromStdin, bad := false, false
	take := func(j int) (string, int) {
		if j >= len(args) {
			bad = true
			return "", j
		}
		if unknown[j] {
			bad = true
		}
		return args[j], j
	}
	for j := i + 1; j < len(args); j++ {
		a := args[j]
		switch {
		case a == "--":
			j = len(args)
		case a == "--message" || a == "--file":
			var v string
			v, j = take(j + 1)
			if a == "--message" {
				paragraphs = append(paragraphs, v)
			} else {
				fromStdin = fromStdin || v == "-" || v == "/dev/stdin"
				bad = bad || !(v == "-" || v == "/dev/stdin")
			}
		case strings.HasPrefix(a, "--message="):
			paragraphs = append(paragraphs, strings.TrimPrefix(a, "--message="))
			bad = bad || unknown[j]
		case strings.HasPrefix(a, "--file="):
			v := strings.TrimPrefix(a, "--file=")
			fromStdin = v == "-" || v == "/dev/stdin"
			bad = bad || !fromStdin
		case strings.HasPrefix(a, "--"):
			// --amend, --no-verify, --author=…: no message of their own.
			if a == "--author" || a == "--date" || a == "--template" || a == "--reuse-message" || a == "--reedit-message" || a == "--fixup" || a == "--squash" || a == "--cleanup" || a == "--trailer" {
				j++
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// A cluster of short flags; m and F take the rest or the next word.
			for k := 1; k < len(a); k++ {
				f := a[k]
				if f != 'm' && f != 'F' && f != 'C' && f != 'c' && f != 't' {
					continue
				}
				var v string
				if k+1 < len(a) {
					v = a[k+1:]
					bad = bad || unknown[j]
				} else {
					v, j = take(j + 1)
				}
				switch f {
				case 'm':
					paragraphs = append(paragraphs, v)
				case 'F':
					fromStdin = v == "-" || v == "/dev/stdin"
					bad = bad || !fromStdin
				case 'C', 'c':
					bad = true // message of another commit
				}
				break
			}
		}
	}
	if fromStdin {
		switch {
		case len(c.heredocs) > 0:
			paragraphs = append(paragraphs, c.heredocs[0])
		case len(c.here) > 0:
			paragraphs = append(paragraphs, c.here[0])
		default:
			bad = true
		}
	}
	if bad || len(paragraphs) == 0 {
		return "", false
	}
	for k := range paragraphs {
		paragraphs[k] = strings.TrimSpace(paragraphs[k])
	}
	return strings.Join(paragraphs, "\n\n"), true
}

// subjectLine is a message's first line, trimmed, with white space
// collapsed: what git shows as the subject.
func subjectLine(msg string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	return strings.Join(strings.Fields(first), " ")
}
