package redact

import (
	"cmp"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Most gitleaks rules are slow to run over a whole text with Go's regexp (a
// few MB/s for the "[\w.-]{0,50}?(?:keyword)…" family: a case-insensitive
// regex gets no literal-prefix skip), yet every match of them starts with
// one of a few literals, usually the rule's keywords. For such a
// literal-led rule the Redactor tries the regex only where the prefilter saw
// one of those literals, anchored there. That finds exactly the matches a
// scan of the whole text finds (anchor_test.go and FuzzRedact check it):
//
//   - Scanning from offset from, the scan's match is the leftmost; the
//     regex can only start at a literal, so it is the match at the first
//     literal p >= from where the anchored regex matches, and the anchored
//     regex's preferred match from p is the scan's.
//   - The anchored regex is "\A(?s:.)(?:rest)" run on the text from the rune
//     before p, so \b and other assertions at p see the same neighbours as
//     in the whole text ("\A(?:rest)" when p is 0).
//   - A leading lazy "[class]{0,n}?" (gitleaks nests two) only moves the
//     match start left over class characters: it is stripped for the
//     search, and the start is found afterwards by walking back over at
//     most n such characters, never into the previous match.
//
// A literal keeps its case where the regex does, so an [A-Z] rule is not
// tried at every lowercase keyword. A rule that is not literal-led still
// runs its stripped regex, which is much faster than the original; a
// top-level "A|B" whose branches all have a plan runs the original only when
// a branch matches. Attempts are budgeted (riskyAttempts, attemptBudget) so
// that many literals cannot make them quadratic where one attempt may read
// far: past the budget the rule scans the whole text, which is linear.
type anchor struct {
	// literals start every match; set when the rule is literal-led.
	literals []literal
	patterns []int          // each literal's prefilter pattern index
	first    *regexp.Regexp // \A(?:rest), for a literal at offset 0
	later    *regexp.Regexp // \A(?s:.)(?:rest), run from the rune before the literal

	// scan is the regex less its lazy prefix, for a whole-text scan when
	// the rule is not literal-led, or when a risky one has many literals.
	scan *regexp.Regexp
	// risky is set when one anchored attempt may run on over unbounded
	// stretches of any text (".*?", "[\s\S]{64,}?"), so that attempts at
	// many literals could each scan the rest of the text: quadratic.
	risky bool
	// maxLen bounds the bytes an anchored attempt reads, 0 if unbounded.
	maxLen int

	// lead is the stripped lazy prefix, outermost first.
	lead []leadClass

	// branches is set for a regex "A|B|…" whose branches each have a plan:
	// they only tell whether the regex can match at all, and when one of
	// them does, scan (the whole regex) runs over the text.
	branches []*anchor
}

// Anchored attempts must not cost much more than a whole-text scan, which
// is linear: a risky rule gets riskyAttempts of them, a rule of bounded
// length as many as read at most attemptBudget times the text (plus
// attemptSlack bytes); beyond that the rule scans the whole text.
const (
	riskyAttempts = 32
	attemptBudget = 8
	attemptSlack  = 64 << 10
)

// literal is a string every match of a regex may start with: exactly, or
// ASCII case-insensitively when fold is set (then text is lowercase).
type literal struct {
	text string
	fold bool
}

// pattern is the literal as the prefilter looks for it.
func (l literal) pattern() string { return asciiLower(l.text) }

// at reports whether s[p:] starts with the literal, given that the
// prefilter found its pattern there.
func (l literal) at(s string, p int) bool {
	return l.fold || strings.HasPrefix(s[p:], l.text)
}

// leadClass is one stripped "[class]{0,max}?".
type leadClass struct {
	class []rune // lo, hi pairs, as in syntax.Regexp.Rune
	max   int
}

// minLiteral is the shortest literal worth anchoring on: a one-letter one
// occurs so often that scanning the whole text is as cheap.
const minLiteral = 2

// planAnchor returns how to run a regex faster than over the whole text, or
// nil when there is no faster way.
func planAnchor(expr string) (*anchor, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", expr, err)
	}
	a := &anchor{}
	if re.Op == syntax.OpAlternate {
		for _, sub := range re.Sub {
			b, err := planAnchor(sub.String())
			if err != nil || b == nil {
				return nil, err
			}
			a.branches = append(a.branches, b)
		}
		if a.scan, err = regexp.Compile(expr); err != nil {
			return nil, fmt.Errorf("compile %q: %w", expr, err)
		}
		return a, nil
	}

	rest := re
	if re.Op == syntax.OpConcat {
		subs := re.Sub
		for len(subs) > 1 && isLazyClassRepeat(subs[0]) {
			class := subs[0].Sub[0].Rune
			// Walking back takes the innermost class first, greedily; that
			// finds the leftmost start only if each outer class is within
			// the inner ones, as in gitleaks' "[\w.-]{0,50}?(?i:[\w.-]{0,50}?".
			if len(a.lead) > 0 && !subClass(a.lead[len(a.lead)-1].class, class) {
				break
			}
			a.lead = append(a.lead, leadClass{class: class, max: subs[0].Max})
			subs = subs[1:]
		}
		if len(a.lead) > 0 {
			rest = &syntax.Regexp{Op: syntax.OpConcat, Flags: re.Flags, Sub: subs}
		}
	}
	src := rest.String()

	literals, literalLed := literalPrefixes(rest, 64)
	if !literalLed && len(a.lead) == 0 {
		return nil, nil
	}
	if a.scan, err = regexp.Compile(src); err != nil {
		return nil, fmt.Errorf("compile %q: %w", src, err)
	}
	if !literalLed {
		return a, nil
	}
	a.literals = literals
	a.risky = hasBroadLoop(rest)
	if n, ok := maxLen(rest); ok {
		a.maxLen = n + utf8.UTFMax // and the rune after, for \b or $
	}
	if a.first, err = regexp.Compile(`\A(?:` + src + `)`); err != nil {
		return nil, fmt.Errorf("compile anchored %q: %w", src, err)
	}
	if a.later, err = regexp.Compile(`\A(?s:.)(?:` + src + `)`); err != nil {
		return nil, fmt.Errorf("compile anchored %q: %w", src, err)
	}
	return a, nil
}

// hasBroadLoop reports whether re repeats, without bound, a class of more
// than half of all bytes: a loop that other attempts' literals cannot stop.
func hasBroadLoop(re *syntax.Regexp) bool {
	unbounded := re.Op == syntax.OpStar || re.Op == syntax.OpPlus || re.Op == syntax.OpRepeat && re.Max < 0
	if unbounded && isBroad(re.Sub[0]) {
		return true
	}
	for _, sub := range re.Sub {
		if hasBroadLoop(sub) {
			return true
		}
	}
	return false
}

// maxLen returns the most bytes a match of re can have, if bounded.
func maxLen(re *syntax.Regexp) (int, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0, true
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			w := utf8.RuneLen(r)
			if w < 0 || re.Flags&syntax.FoldCase != 0 {
				w = utf8.UTFMax // a rune that folds to this one may be wider
			}
			n += w
		}
		return n, true
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax, true
	case syntax.OpCapture, syntax.OpQuest:
		return maxLen(re.Sub[0])
	case syntax.OpRepeat:
		if re.Max < 0 {
			return 0, false
		}
		n, ok := maxLen(re.Sub[0])
		return n * re.Max, ok
	case syntax.OpConcat, syntax.OpAlternate:
		total := 0
		for _, sub := range re.Sub {
			n, ok := maxLen(sub)
			if !ok {
				return 0, false
			}
			if re.Op == syntax.OpConcat {
				total += n
			} else {
				total = max(total, n)
			}
		}
		return total, true
	}
	return 0, false // star, plus
}

func isBroad(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return true
	case syntax.OpCharClass:
		n := 0 // runes below 0x100 in the class
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if lo := re.Rune[i]; lo <= 0xFF {
				n += int(min(re.Rune[i+1], 0xFF)-lo) + 1
			}
		}
		return n > 128
	case syntax.OpCapture:
		return isBroad(re.Sub[0])
	case syntax.OpAlternate:
		for _, sub := range re.Sub {
			if isBroad(sub) {
				return true
			}
		}
	}
	return false
}

// setPatterns records the prefilter pattern of each literal of a and its
// branches, with pattern returning (and if need be adding) its index.
func (a *anchor) setPatterns(pattern func(string) int) {
	for _, l := range a.literals {
		a.patterns = append(a.patterns, pattern(l.pattern()))
	}
	for _, b := range a.branches {
		b.setPatterns(pattern)
	}
}

func isLazyClassRepeat(re *syntax.Regexp) bool {
	return re.Op == syntax.OpRepeat && re.Min == 0 && re.Max > 0 &&
		re.Flags&syntax.NonGreedy != 0 && re.Sub[0].Op == syntax.OpCharClass
}

// subClass reports whether every rune of class a is in class b.
func subClass(a, b []rune) bool {
	for i := 0; i+1 < len(a); i += 2 {
		covered := false
		for j := 0; j+1 < len(b); j += 2 {
			if b[j] <= a[i] && a[i+1] <= b[j+1] {
				covered = true
				break
			}
		}
		if !covered {
			return false
		}
	}
	return true
}

// literalPrefixes returns literals such that every match of re starts with
// one of them; ok is false when there are none of at least minLiteral ASCII
// bytes (or too many to list). Case is kept where the regex keeps it, so
// that [A-Z]-only rules are not tried at every lowercase keyword.
func literalPrefixes(re *syntax.Regexp, limit int) (literals []literal, ok bool) {
	set, _, ok := litSet(re, limit)
	if !ok || len(set) == 0 {
		return nil, false
	}
	for _, l := range set {
		if len(l.text) < minLiteral || !isASCII(l.text) {
			return nil, false
		}
	}
	// A literal that another one starts finds nothing more.
	slices.SortFunc(set, func(a, b literal) int {
		return cmp.Or(cmp.Compare(a.text, b.text), cmp.Compare(btoi(a.fold), btoi(b.fold)))
	})
	set = slices.Compact(set)
	var out []literal
	for i, l := range set {
		covered := false
		for j, m := range set {
			if j != i && m.covers(l) && !(l.covers(m) && j > i) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, l)
		}
	}
	return out, true
}

// covers reports whether every text starting with o starts with l.
func (l literal) covers(o literal) bool {
	if l.fold {
		return strings.HasPrefix(asciiLower(o.text), l.text)
	}
	return !o.fold && strings.HasPrefix(o.text, l.text)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// litSet lists the literal starts of re's matches; exact reports that they
// are the whole matches, not just their starts.
func litSet(re *syntax.Regexp, limit int) (set []literal, exact, ok bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []literal{{}}, true, true
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase == 0 {
			return []literal{{text: string(re.Rune)}}, true, true
		}
		runes := make([]rune, len(re.Rune))
		for i, r := range re.Rune {
			runes[i] = foldRune(r)
		}
		return []literal{{text: string(runes), fold: true}}, true, true
	case syntax.OpCharClass:
		var out []literal
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1]-re.Rune[i] > 8 {
				return nil, false, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if inClassOrbit(re.Rune, r) {
					out = append(out, literal{text: string(foldRune(r)), fold: true})
				} else {
					out = append(out, literal{text: string(r)})
				}
			}
		}
		slices.SortFunc(out, func(a, b literal) int { return cmp.Compare(a.text, b.text) })
		out = slices.Compact(out)
		if len(out) == 0 || len(out) > limit {
			return nil, false, false
		}
		return out, true, true
	case syntax.OpCapture:
		return litSet(re.Sub[0], limit)
	case syntax.OpQuest:
		set, exact, ok := litSet(re.Sub[0], limit)
		if !ok {
			return nil, false, false
		}
		return append([]literal{{}}, set...), exact, true
	case syntax.OpRepeat, syntax.OpPlus:
		if re.Op == syntax.OpRepeat && re.Min == 0 {
			return nil, false, false
		}
		set, _, ok := litSet(re.Sub[0], limit)
		return set, false, ok
	case syntax.OpAlternate:
		exact := true
		var out []literal
		for _, sub := range re.Sub {
			s, e, ok := litSet(sub, limit)
			if !ok {
				return nil, false, false
			}
			out = append(out, s...)
			exact = exact && e
		}
		if len(out) > limit {
			return nil, false, false
		}
		return out, exact, true
	case syntax.OpConcat:
		out := []literal{{}}
		for _, sub := range re.Sub {
			s, e, ok := litSet(sub, limit)
			if !ok || len(out)*len(s) > limit {
				// The starts so far still bound every match.
				return out, false, true
			}
			var next []literal
			for _, a := range out {
				for _, b := range s {
					next = append(next, joinLiterals(a, b))
				}
			}
			out = next
			if !e {
				return out, false, true
			}
		}
		return out, true, true
	}
	// Star, any char and the like can start with anything.
	return nil, false, false
}

// joinLiterals concatenates two literals; if either folds, both do.
func joinLiterals(a, b literal) literal {
	if a.fold == b.fold {
		return literal{text: a.text + b.text, fold: a.fold}
	}
	return literal{text: asciiLower(a.text) + asciiLower(b.text), fold: true}
}

// inClassOrbit reports whether the class holds every case variant of r.
func inClassOrbit(class []rune, r rune) bool {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if !inClass(class, f) {
			return false
		}
	}
	return unicode.SimpleFold(r) != r
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// foldRune returns the lowercase ASCII letter in r's case-folding orbit, if
// any (so U+212A KELVIN SIGN gives 'k', as the prefilter sees it), else r
// lowercased.
func foldRune(r rune) rune {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if 'a' <= f && f <= 'z' {
			return f
		}
	}
	if 'A' <= r && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}

// matches returns what the original regex's FindAllStringSubmatchIndex
// returns on s, given each prefilter pattern's offsets in s.
func (a *anchor) matches(s string, occurrences [][]int) [][]int {
	switch {
	case a.branches != nil:
		for _, b := range a.branches {
			if len(b.matches(s, occurrences)) > 0 {
				return a.scanAll(s)
			}
		}
		return nil
	case a.literals == nil:
		return a.scanAll(s)
	}
	var starts []int
	for i, pat := range a.patterns {
		for _, p := range occurrences[pat] {
			if a.literals[i].at(s, p) {
				starts = append(starts, p)
			}
		}
	}
	if a.overBudget(s, starts) {
		return a.scanAll(s)
	}
	slices.Sort(starts)
	var ms [][]int
	prevEnd := 0
	for i, p := range starts {
		if p < prevEnd || i > 0 && p == starts[i-1] {
			continue
		}
		m := a.match(s, p)
		if m == nil {
			continue
		}
		m[0] = a.leadStart(s, p, prevEnd)
		ms = append(ms, m)
		prevEnd = m[1]
	}
	return ms
}

// overBudget reports whether anchored attempts at starts could cost much
// more than scanning the whole text.
func (a *anchor) overBudget(s string, starts []int) bool {
	if a.risky {
		return len(starts) > riskyAttempts
	}
	if a.maxLen == 0 {
		// Unbounded but narrow loops: an attempt stops at the first byte
		// outside them, so attempts rarely read the same bytes twice.
		return false
	}
	budget := attemptBudget*len(s) + attemptSlack
	for _, p := range starts {
		budget -= min(a.maxLen, len(s)-p)
		if budget < 0 {
			return true
		}
	}
	return false
}

// scanAll runs the (stripped) regex over the whole text.
func (a *anchor) scanAll(s string) [][]int {
	ms := a.scan.FindAllStringSubmatchIndex(s, -1)
	prevEnd := 0
	for _, m := range ms {
		m[0] = a.leadStart(s, m[0], prevEnd)
		prevEnd = m[1]
	}
	return ms
}

// match runs the anchored regex at offset p of s and returns the submatch
// offsets in s, or nil.
func (a *anchor) match(s string, p int) []int {
	var m []int
	base := 0
	if p == 0 {
		m = a.first.FindStringSubmatchIndex(s)
	} else {
		_, size := utf8.DecodeLastRuneInString(s[:p])
		base = p - size
		m = a.later.FindStringSubmatchIndex(s[base:])
	}
	if m == nil {
		return nil
	}
	for i := range m {
		if m[i] >= 0 {
			m[i] += base
		}
	}
	m[0] = p // drop the context rune
	return m
}

// leadStart walks back from p over the stripped lazy prefix's classes,
// innermost first, not before floor: where a whole-text scan of the
// original regex starts its match.
func (a *anchor) leadStart(s string, p, floor int) int {
	start := p
	for i := len(a.lead) - 1; i >= 0; i-- {
		lc := a.lead[i]
		for n := 0; n < lc.max && start > floor; n++ {
			r, size := utf8.DecodeLastRuneInString(s[floor:start])
			if !inClass(lc.class, r) {
				return start
			}
			start -= size
		}
	}
	return start
}

// inClass reports whether r is in class, given as lo, hi pairs.
func inClass(class []rune, r rune) bool {
	for i := 0; i+1 < len(class); i += 2 {
		if class[i] <= r && r <= class[i+1] {
			return true
		}
	}
	return false
}
