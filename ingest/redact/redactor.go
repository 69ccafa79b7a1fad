package redact

import (
	"math"
	"slices"

	"github.com/zricethezav/gitleaks/v8/config"
)

// Redactor replaces secrets in text with a marker naming the rule, e.g.
// "[REDACTED:aws-access-token]". Build it once with New and share it: it is
// safe for concurrent use and holds no per-call state.
type Redactor struct {
	rules *ruleSet
}

// New returns a Redactor over gitleaks' default rules and the extra rules.
// The rules are compiled on the first call only; later calls are cheap.
func New() (*Redactor, error) {
	rs, err := loadRules()
	if err != nil {
		return nil, err
	}
	return &Redactor{rules: rs}, nil
}

// RuleCount is the number of rules in use (gitleaks' defaults that apply to
// content without a file path, plus the extra rules).
func (r *Redactor) RuleCount() int { return len(r.rules.rules) }

// SkippedRules lists the gitleaks default rules not in use: disabled here or
// scoped to file paths.
func (r *Redactor) SkippedRules() []string { return slices.Clone(r.rules.skipped) }

// Redact returns s with every secret replaced by its marker, and the number
// of secrets replaced by rule id (nil when none). Outside the replaced
// secrets the text is unchanged, valid JSON (a document, or each JSON line)
// stays valid, and redacting the result again finds nothing. When nothing
// is found s itself is returned.
func (r *Redactor) Redact(s string) (string, Findings) {
	found := r.rules.find(s, false)
	if len(found) == 0 {
		return s, nil
	}
	return r.rules.replace(s, found)
}

// RedactBytes is Redact for raw payloads, such as a JSONL line or a whole
// capture file. When nothing is found it returns b itself, otherwise a new
// slice; b is never modified.
func (r *Redactor) RedactBytes(b []byte) ([]byte, Findings) {
	s := string(b)
	found := r.rules.find(s, false)
	if len(found) == 0 {
		return b, nil
	}
	out, f := r.rules.replace(s, found)
	if f == nil {
		return b, nil
	}
	return []byte(out), f
}

// hit is the secret part of one rule match: s[start:end].
type hit struct {
	start, end int
	rule       int // index in ruleSet.rules
}

// find runs every rule that the keyword prefilter lets through and returns
// the secrets that pass the entropy and allowlist checks, overlaps included.
// wholeText runs every regex over the whole text instead of anchoring it
// (anchor.go), for tests that check it changes nothing.
func (rs *ruleSet) find(s string, wholeText bool) []hit {
	if s == "" {
		return nil
	}
	occurrences := rs.prefilter.occurrences(s)
	t := &text{s: s}
	var hits []hit
	for i := range rs.rules {
		r := &rs.rules[i]
		if len(r.keywords) > 0 && !anyOccurs(occurrences, r.keywords) {
			continue
		}
		var matches [][]int
		if r.anchor == nil || wholeText {
			matches = r.re.FindAllStringSubmatchIndex(s, -1)
		} else {
			matches = r.anchor.matches(s, occurrences)
		}
		hits = r.appendHits(hits, i, rs.global, t, matches)
	}
	return hits
}

func anyOccurs(occurrences [][]int, patterns []int) bool {
	for _, p := range patterns {
		if len(occurrences[p]) > 0 {
			return true
		}
	}
	return false
}

// appendHits appends the accepted secrets that rule r finds in s. It follows
// gitleaks' detect.Detector.detectRule: the secret is the rule's secretGroup,
// else its first non-empty group, else the whole match less surrounding
// newlines; it must have more than the rule's entropy and pass the global
// and rule allowlists. Unlike the Detector it keeps the byte offsets, so
// that exactly the secret can be replaced, and it ignores "gitleaks:allow"
// comments: text being stored cannot opt out of redaction.
func (r *rule) appendHits(hits []hit, ri int, global []*config.Allowlist, t *text, matches [][]int) []hit {
	s := t.s
	for _, m := range matches {
		c := candidate{start: m[0], end: m[1]}
		for c.start < c.end && s[c.start] == '\n' {
			c.start++
		}
		for c.end > c.start && s[c.end-1] == '\n' {
			c.end--
		}
		start, end := c.start, c.end
		if r.secretGroup > 0 {
			start, end = m[2*r.secretGroup], m[2*r.secretGroup+1]
		} else {
			for g := 1; 2*g < len(m); g++ {
				if m[2*g] >= 0 && m[2*g+1] > m[2*g] {
					start, end = m[2*g], m[2*g+1]
					break
				}
			}
		}
		if start < 0 || start >= end {
			continue
		}
		c.secret = s[start:end]
		if r.entropy != 0 && shannonEntropy(c.secret) <= r.entropy {
			continue
		}
		if t.allowed(global, c) || t.allowed(r.allowlists, c) {
			continue
		}
		hits = append(hits, hit{start: start, end: end, rule: ri})
	}
	return hits
}

// candidate is one rule match being checked against allowlists.
type candidate struct {
	start, end int // the match, less surrounding newlines
	secret     string
}

// text is the input of one find, with what allowlists need of it built on
// first use: line bounds, and each line-target allowlist's verdict per line
// (a long JSON line with many secrets would otherwise be matched again for
// each of them).
type text struct {
	s      string
	starts []int // starts[k] is where line k starts
	ends   []int // ends[k] is where it ends: its terminator, or len(s)
	memo   map[lineCheck]bool
}

type lineCheck struct {
	a          *config.Allowlist
	start, end int
}

// line returns the bounds of the line(s) holding s[start:end]. A line ends
// at a newline or at a "\n" or "\r" escape: transcripts are mostly JSON, and
// gitleaks' line allowlists are written for lines of source code.
func (t *text) line(start, end int) (int, int) {
	if t.starts == nil {
		t.starts = []int{0}
		for i := 0; i < len(t.s); i++ {
			switch {
			case t.s[i] == '\n':
				t.ends = append(t.ends, i)
				t.starts = append(t.starts, i+1)
			case t.s[i] == '\\' && i+1 < len(t.s):
				if c := t.s[i+1]; c == 'n' || c == 'r' {
					t.ends = append(t.ends, i)
					t.starts = append(t.starts, i+2)
				}
				i++ // the escaped byte
			}
		}
		t.ends = append(t.ends, len(t.s))
	}
	k1, found := slices.BinarySearch(t.starts, start)
	if !found {
		k1--
	}
	k2, found := slices.BinarySearch(t.starts, max(end-1, start))
	if !found {
		k2--
	}
	return t.starts[k1], max(t.ends[k2], t.starts[k1])
}

// lineAllowed runs a line-target allowlist on the line of c, once per line.
func (t *text) lineAllowed(a *config.Allowlist, c candidate) bool {
	ls, le := t.line(c.start, c.end)
	key := lineCheck{a: a, start: ls, end: le}
	if v, ok := t.memo[key]; ok {
		return v
	}
	v := a.RegexAllowed(t.s[ls:le])
	if t.memo == nil {
		t.memo = map[lineCheck]bool{}
	}
	t.memo[key] = v
	return v
}

// allowed reports whether one of the allowlists lets c through, as
// gitleaks' checkFindingAllowed does for content with no commit and no path:
// a condition = "AND" allowlist that needs a commit or path never applies.
func (t *text) allowed(lists []*config.Allowlist, c candidate) bool {
	for _, a := range lists {
		if a.MatchCondition == config.AllowlistMatchAnd && (len(a.Commits) > 0 || len(a.Paths) > 0) {
			continue
		}
		regexOK := false
		if len(a.Regexes) > 0 {
			switch a.RegexTarget {
			case "match":
				regexOK = a.RegexAllowed(t.s[c.start:c.end])
			case "line":
				regexOK = t.lineAllowed(a, c)
			default:
				regexOK = a.RegexAllowed(c.secret)
			}
		}
		stop, _ := a.ContainsStopWord(c.secret)
		if a.MatchCondition == config.AllowlistMatchAnd {
			if (len(a.Regexes) == 0 || regexOK) && (len(a.StopWords) == 0 || stop) {
				return true
			}
			continue
		}
		if regexOK || stop {
			return true
		}
	}
	return false
}

// shannonEntropy is gitleaks' entropy measure (detect/utils.go), copied
// because it is unexported there: bits per byte over the secret's runes.
func shannonEntropy(data string) float64 {
	if data == "" {
		return 0
	}
	counts := make(map[rune]int)
	for _, c := range data {
		counts[c]++
	}
	inv := 1.0 / float64(len(data))
	entropy := 0.0
	for _, n := range counts {
		freq := float64(n) * inv
		entropy -= freq * math.Log2(freq)
	}
	return entropy
}
