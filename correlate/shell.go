package correlate

import (
	"path"
	"strings"
)

// A small reader of POSIX shell, enough to find what assistants do with
// git and with heredocs. It is not an interpreter: it splits scripts into
// simple commands (on ; && || | & and newlines), removes quotes, collects
// heredoc bodies and redirections, and evaluates a command substitution
// only when it is a plain "cat <<EOF" or "echo"/"printf" (the way Claude
// Code writes commit messages). Anything else in a word becomes empty, so
// callers treat such values as unknown. It never fails: broken input
// yields whatever commands were read before the break.

// shCmd is one simple command.
type shCmd struct {
	words    []string
	heredocs []string // bodies of << / <<- redirections, in order
	here     []string // <<< here-strings
	outFiles []string // targets of > and >>
	unknown  []bool   // per word: it held a substitution we could not evaluate
	// awaitsBody: a heredoc was opened; its body is read after the line.
	awaitsBody bool
}

// maxShellDepth bounds nested substitutions and bash -c scripts.
const maxShellDepth = 8

// maxShellBytes bounds a script we read; longer ones are cut.
const maxShellBytes = 1 << 20

type shLexer struct {
	src   string
	pos   int
	depth int
	// pending heredocs of the command being read: their bodies start on
	// the next line.
	pending []pendingHeredoc
}

type pendingHeredoc struct {
	cmd   *shCmd
	delim string
	strip bool // <<-: leading tabs are removed
}

// parseShell splits a script into simple commands.
func parseShell(script string) []shCmd {
	if len(script) > maxShellBytes {
		script = script[:maxShellBytes]
	}
	l := &shLexer{src: script}
	return l.commands(false)
}

// commands reads commands until the end, or until an unmatched ')' when
// inSubst (the closing of "$(").
func (l *shLexer) commands(inSubst bool) []shCmd {
	var out []*shCmd
	cur := &shCmd{}
	end := func() {
		if len(cur.words) > 0 || len(cur.outFiles) > 0 || len(cur.here) > 0 || cur.awaitsBody {
			out = append(out, cur)
		}
		cur = &shCmd{}
	}
	values := func() []shCmd {
		v := make([]shCmd, len(out))
		for i, c := range out {
			v[i] = *c
		}
		return v
	}
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			l.pos++
		case c == '\\' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\n':
			l.pos += 2
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		case c == '\n':
			l.pos++
			end()
			l.readHeredocs()
		case c == ';' || c == '&' || c == '|':
			l.pos++
			for l.pos < len(l.src) && (l.src[l.pos] == '&' || l.src[l.pos] == '|' || l.src[l.pos] == ';') {
				l.pos++
			}
			end()
		case c == '(' || c == '{' && l.isWordEnd(l.pos+1):
			l.pos++
			end()
		case c == ')':
			l.pos++
			end()
			if inSubst {
				return values()
			}
		case c == '}' && len(cur.words) == 0:
			l.pos++
		case c == '<' || c == '>':
			l.redirect(cur)
		default:
			w, unknown := l.word()
			cur.words = append(cur.words, w)
			cur.unknown = append(cur.unknown, unknown)
		}
	}
	end()
	return values()
}

func (l *shLexer) isWordEnd(i int) bool {
	return i >= len(l.src) || strings.IndexByte(" \t\n", l.src[i]) >= 0
}

// redirect reads <, >, >>, <<, <<-, <<< and the word after them.
func (l *shLexer) redirect(cur *shCmd) {
	op := ""
	for l.pos < len(l.src) && len(op) < 3 && (l.src[l.pos] == '<' || l.src[l.pos] == '>' || l.src[l.pos] == '&' || (l.src[l.pos] == '-' && op == "<<")) {
		op += string(l.src[l.pos])
		l.pos++
		if op == "<<-" {
			break
		}
	}
	// A fd number glued before the operator ("2>") was read as a word.
	if n := len(cur.words); n > 0 && isNumber(cur.words[n-1]) && strings.HasPrefix(op, ">") {
		cur.words, cur.unknown = cur.words[:n-1], cur.unknown[:n-1]
	}
	for l.pos < len(l.src) && (l.src[l.pos] == ' ' || l.src[l.pos] == '\t') {
		l.pos++
	}
	if l.pos >= len(l.src) || strings.IndexByte("\n;|&()", l.src[l.pos]) >= 0 {
		return
	}
	if strings.HasPrefix(op, ">&") || op == "&>" || op == "&>>" {
		if w, _ := l.word(); op != ">&" && w != "" {
			cur.outFiles = append(cur.outFiles, w)
		}
		return
	}
	w, _ := l.word()
	switch op {
	case "<<", "<<-":
		l.pending = append(l.pending, pendingHeredoc{cmd: cur, delim: w, strip: op == "<<-"})
		cur.awaitsBody = true
	case "<<<":
		cur.here = append(cur.here, w)
	case ">", ">>", ">|":
		cur.outFiles = append(cur.outFiles, w)
	}
}

// readHeredocs reads the bodies of pending heredocs, which start at the
// current position (just after a newline), in the order they were opened.
func (l *shLexer) readHeredocs() {
	pend := l.pending
	l.pending = nil
	for _, p := range pend {
		var body strings.Builder
		for l.pos < len(l.src) {
			nl := strings.IndexByte(l.src[l.pos:], '\n')
			var line string
			if nl < 0 {
				line = l.src[l.pos:]
				l.pos = len(l.src)
			} else {
				line = l.src[l.pos : l.pos+nl]
				l.pos += nl + 1
			}
			line = strings.TrimSuffix(line, "\r")
			if p.strip {
				line = strings.TrimLeft(line, "\t")
			}
			if line == p.delim {
				break
			}
			body.WriteString(line)
			body.WriteByte('\n')
		}
		p.cmd.heredocs = append(p.cmd.heredocs, body.String())
	}
}

// word reads one word: quoted parts, escapes, $'…' and $( … ) joined
// until an unquoted blank or operator. unknown reports a substitution
// that could not be evaluated.
func (l *shLexer) word() (string, bool) {
	var b strings.Builder
	unknown := false
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case strings.IndexByte(" \t\r\n;&|<>()", c) >= 0:
			return b.String(), unknown
		case c == '\\':
			if l.pos+1 < len(l.src) {
				if l.src[l.pos+1] != '\n' {
					b.WriteByte(l.src[l.pos+1])
				}
				l.pos += 2
			} else {
				l.pos++
			}
		case c == '\'':
			end := strings.IndexByte(l.src[l.pos+1:], '\'')
			if end < 0 {
				b.WriteString(l.src[l.pos+1:])
				l.pos = len(l.src)
			} else {
				b.WriteString(l.src[l.pos+1 : l.pos+1+end])
				l.pos += end + 2
			}
		case c == '"':
			l.pos++
			if l.doubleQuoted(&b) {
				unknown = true
			}
		case c == '$' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\'':
			l.pos += 2
			b.WriteString(l.ansiC())
		case c == '$' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '(':
			v, ok := l.substitution()
			b.WriteString(v)
			unknown = unknown || !ok
		case c == '`':
			v, ok := l.backticks()
			b.WriteString(v)
			unknown = unknown || !ok
		default:
			unknown = unknown || l.isExpansion()
			b.WriteByte(c)
			l.pos++
		}
	}
	return b.String(), unknown
}

// doubleQuoted reads up to the closing quote (l.pos is after the opening
// one) and reports an unevaluated substitution.
func (l *shLexer) doubleQuoted(b *strings.Builder) bool {
	unknown := false
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '"':
			l.pos++
			return unknown
		case c == '\\' && l.pos+1 < len(l.src):
			n := l.src[l.pos+1]
			switch n {
			case '"', '\\', '$', '`':
				b.WriteByte(n)
			case '\n':
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
			l.pos += 2
		case c == '$' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '(':
			v, ok := l.substitution()
			b.WriteString(v)
			unknown = unknown || !ok
		case c == '`':
			v, ok := l.backticks()
			b.WriteString(v)
			unknown = unknown || !ok
		default:
			unknown = unknown || l.isExpansion()
			b.WriteByte(c)
			l.pos++
		}
	}
	return unknown
}

// isExpansion reports a parameter expansion ($NAME, ${…}, $1, $@) at
// l.pos, whose value only the running shell knows.
func (l *shLexer) isExpansion() bool {
	if l.src[l.pos] != '$' || l.pos+1 >= len(l.src) {
		return false
	}
	n := l.src[l.pos+1]
	return n == '{' || n == '_' || n == '@' || n == '*' || n == '#' || n == '?' || n >= '0' && n <= '9' || n >= 'a' && n <= 'z' || n >= 'A' && n <= 'Z'
}

// ansiC reads a $'…' string (l.pos after the quote) with its escapes.
func (l *shLexer) ansiC() string {
	var b strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == '\'' {
			l.pos++
			break
		}
		if c == '\\' && l.pos+1 < len(l.src) {
			l.pos += 2
			switch n := l.src[l.pos-1]; n {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '\'', '"':
				b.WriteByte(n)
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
			continue
		}
		b.WriteByte(c)
		l.pos++
	}
	return b.String()
}

// substitution reads "$( … )" at l.pos and evaluates it when it is a
// plain cat of a heredoc or an echo/printf of words.
func (l *shLexer) substitution() (string, bool) {
	l.pos += 2
	if l.depth >= maxShellDepth {
		l.skipToClose()
		return "", false
	}
	sub := &shLexer{src: l.src, pos: l.pos, depth: l.depth + 1}
	cmds := sub.commands(true)
	l.pos = sub.pos
	return evalSubstitution(cmds)
}

// skipToClose skips to after the next ')' at the current nesting level.
func (l *shLexer) skipToClose() {
	level := 1
	for l.pos < len(l.src) && level > 0 {
		switch l.src[l.pos] {
		case '(':
			level++
		case ')':
			level--
		}
		l.pos++
	}
}

// backticks reads `…` (old-style substitution).
func (l *shLexer) backticks() (string, bool) {
	end := strings.IndexByte(l.src[l.pos+1:], '`')
	var inner string
	if end < 0 {
		inner = l.src[l.pos+1:]
		l.pos = len(l.src)
	} else {
		inner = l.src[l.pos+1 : l.pos+1+end]
		l.pos += end + 2
	}
	if l.depth >= maxShellDepth {
		return "", false
	}
	sub := &shLexer{src: inner, depth: l.depth + 1}
	return evalSubstitution(sub.commands(false))
}

// evalSubstitution gives the output of "cat <<EOF…", "echo words" and
// "printf 'fmt'" (without % directives); anything else is unknown.
func evalSubstitution(cmds []shCmd) (string, bool) {
	if len(cmds) != 1 || len(cmds[0].words) == 0 {
		return "", false
	}
	c := cmds[0]
	for _, u := range c.unknown {
		if u {
			return "", false
		}
	}
	switch c.words[0] {
	case "cat":
		if len(c.words) == 1 && len(c.heredocs) == 1 {
			return strings.TrimRight(c.heredocs[0], "\n"), true
		}
		if len(c.words) == 1 && len(c.here) == 1 {
			return strings.TrimRight(c.here[0], "\n"), true
		}
	case "echo":
		args := c.words[1:]
		if len(args) > 0 && args[0] == "-e" {
			return "", false
		}
		if len(args) > 0 && args[0] == "-n" {
			args = args[1:]
		}
		return strings.Join(args, " "), true
	case "printf":
		if len(c.words) == 2 && !strings.Contains(c.words[1], "%") {
			return strings.TrimRight(strings.NewReplacer(`\n`, "\n", `\t`, "\t").Replace(c.words[1]), "\n"), true
		}
	}
	return "", false
}

// program is the command's program with leading assignments (FOO=bar)
// and wrappers (env, command, sudo, time, nohup) skipped; args follow it.
func (c shCmd) program() (prog string, args []string, unknown []bool) {
	i := 0
	for i < len(c.words) {
		w := c.words[i]
		if eq := strings.IndexByte(w, '='); eq > 0 && isName(w[:eq]) {
			i++
			continue
		}
		switch path.Base(w) {
		case "env", "command", "sudo", "time", "nohup", "exec":
			i++
			for i < len(c.words) && strings.HasPrefix(c.words[i], "-") {
				i++
			}
			continue
		}
		break
	}
	if i >= len(c.words) {
		return "", nil, nil
	}
	return path.Base(c.words[i]), c.words[i+1:], c.unknown[i+1:]
}

func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// expandShells returns cmds plus the commands of scripts run through
// "bash -c script" (and sh, zsh, -lc …), recursively to a bounded depth.
func expandShells(cmds []shCmd, depth int) []shCmd {
	out := cmds
	if depth >= maxShellDepth {
		return out
	}
	for _, c := range cmds {
		prog, args, _ := c.program()
		switch prog {
		case "bash", "sh", "zsh", "dash", "ksh":
		default:
			continue
		}
		for i, a := range args {
			if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "c") && i+1 < len(args) {
				out = append(out, expandShells(parseShell(args[i+1]), depth+1)...)
				break
			}
		}
	}
	return out
}
