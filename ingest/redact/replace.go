package redact

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// region is a stretch of text to redact: one secret, or several whose spans
// overlap in part. rules lists the rule of every secret in it, the first
// (best-ranked) one naming the marker.
type region struct {
	start, end int
	rules      []int
}

// replace resolves overlapping hits and writes s with each region's pieces
// replaced by the marker of its first rule.
func (rs *ruleSet) replace(s string, hits []hit) (string, Findings) {
	regions := rs.resolve(hits)
	g := newGuard(s, regions)

	var b strings.Builder
	b.Grow(len(s))
	var found Findings
	last := 0
	for _, reg := range regions {
		pieces := g.pieces(reg.start, reg.end)
		marker := rs.rules[reg.rules[0]].marker
		replaced := false
		// Regions are disjoint and pieces only narrow them: in order.
		for _, p := range pieces {
			b.WriteString(s[last:p.start])
			b.WriteString(marker)
			last = p.end
			replaced = true
		}
		if !replaced {
			continue
		}
		if found == nil {
			found = Findings{}
		}
		for _, ri := range reg.rules {
			found[rs.rules[ri].id]++
		}
	}
	if found == nil {
		return s, nil
	}
	b.WriteString(s[last:])
	return b.String(), found
}

// resolve turns hits into disjoint regions sorted by position. Hits are
// taken best first: a provider's rule before the extra rules before
// generic-api-key (tiers), then the longer secret, then the earlier one. A
// hit inside an accepted one is the same secret seen by a weaker rule and is
// dropped, as gitleaks drops a generic finding inside a specific one. A hit
// that overlaps accepted ones only in part is another secret: the regions
// merge so that no byte of either is left, and both are counted.
func (rs *ruleSet) resolve(hits []hit) []region {
	slices.SortFunc(hits, func(a, b hit) int {
		return cmp.Or(
			cmp.Compare(rs.rules[a.rule].tier, rs.rules[b.rule].tier),
			cmp.Compare(b.end-b.start, a.end-a.start),
			cmp.Compare(a.start, b.start),
			cmp.Compare(a.rule, b.rule),
		)
	})
	var regions []region // disjoint, sorted by start
	for _, h := range hits {
		// regions[lo:hi] are those overlapping h.
		lo, _ := slices.BinarySearchFunc(regions, h.start, func(r region, pos int) int {
			return cmp.Compare(r.end, pos+1) // first region ending after h.start
		})
		hi := lo
		for hi < len(regions) && regions[hi].start < h.end {
			hi++
		}
		switch {
		case lo == hi:
			regions = slices.Insert(regions, lo, region{start: h.start, end: h.end, rules: []int{h.rule}})
		case hi-lo == 1 && regions[lo].start <= h.start && h.end <= regions[lo].end:
			// Contained: the same secret, already named by a better rule.
		default:
			merged := region{start: min(h.start, regions[lo].start), end: max(h.end, regions[hi-1].end)}
			for _, r := range regions[lo:hi] {
				merged.rules = append(merged.rules, r.rules...)
			}
			merged.rules = append(merged.rules, h.rule)
			regions = slices.Replace(regions, lo, hi, merged)
		}
	}
	return regions
}

// span is a half-open byte range [start, end).
type span struct{ start, end int }

// guard keeps replacements from breaking the text's syntax. Where the text
// (or a line of it) is valid JSON, only string contents may be replaced: the
// quotes, structure, numbers and the newline between JSON lines are
// protected. Everywhere, a replacement neither starts nor ends with a
// backslash escape, so a secret in a JSON string never leaves half of "\n"
// or "\"" behind.
// Markers already in the text are protected too, which keeps redaction
// idempotent.
type guard struct {
	s         string
	protected []span // sorted, disjoint
}

func newGuard(s string, regions []region) *guard {
	g := &guard{s: s}
	if json.Valid([]byte(s)) {
		g.protectJSON(0, len(s))
	} else {
		g.protectJSONLines(regions)
	}
	g.protectMarkers()
	g.protected = mergeSpans(g.protected)
	return g
}

// mergeSpans sorts spans and joins those that overlap or touch.
func mergeSpans(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	out := spans[:0]
	for _, p := range spans {
		if n := len(out); n > 0 && p.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, p.end)
			continue
		}
		out = append(out, p)
	}
	return out
}

// protectJSONLines protects the structure of each line that holds a region
// and is a JSON document by itself (JSON Lines), with its newlines.
func (g *guard) protectJSONLines(regions []region) {
	s := g.s
	doneUpTo := 0 // lines before this offset have been checked
	for _, reg := range regions {
		ls := doneUpTo
		if reg.start > doneUpTo {
			ls += strings.LastIndexByte(s[doneUpTo:reg.start], '\n') + 1
		}
		for ls < reg.end && ls < len(s) {
			le := strings.IndexByte(s[ls:], '\n')
			if le < 0 {
				le = len(s)
			} else {
				le += ls
			}
			if json.Valid([]byte(s[ls:le])) {
				g.protectJSON(ls, le)
				if ls > 0 {
					g.protected = append(g.protected, span{ls - 1, ls})
				}
				if le < len(s) {
					g.protected = append(g.protected, span{le, le + 1})
				}
			}
			doneUpTo = le + 1
			ls = le + 1
		}
	}
}

// protectJSON protects everything in s[from:to], a valid JSON text, except
// the contents of its strings.
func (g *guard) protectJSON(from, to int) {
	s := g.s
	outside := from // start of the current stretch outside any string
	for i := from; i < to; i++ {
		if s[i] != '"' {
			continue
		}
		g.protected = append(g.protected, span{outside, i + 1})
		i++
		for i < to && s[i] != '"' {
			if s[i] == '\\' {
				i++
			}
			i++
		}
		outside = i // the closing quote
	}
	if outside < to {
		g.protected = append(g.protected, span{outside, to})
	}
}

// markerPrefix starts every marker; see rule.marker.
const markerPrefix = "[REDACTED:"

func (g *guard) protectMarkers() {
	s := g.s
	for off := 0; ; {
		i := strings.Index(s[off:], markerPrefix)
		if i < 0 {
			return
		}
		i += off
		j := i + len(markerPrefix)
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] == ']' && j > i+len(markerPrefix) {
			g.protected = append(g.protected, span{i, j + 1})
			off = j + 1
		} else {
			off = i + 1
		}
	}
}

// pieces returns the parts of s[start:end] that may be replaced: less the
// protected spans, and less any backslash escape cut by or at an edge of a
// part. Escapes at the edges are not part of a secret: they are the "\n" or
// "\"" a greedy character class swallowed before a terminator (gitleaks'
// jwt class takes backslashes), and keeping them whole keeps a JSON string
// valid; escapes inside a part are replaced with it.
func (g *guard) pieces(start, end int) []span {
	out := []span{{start, end}}
	i, _ := slices.BinarySearchFunc(g.protected, start, func(p span, pos int) int {
		return cmp.Compare(p.end, pos+1)
	})
	for ; i < len(g.protected) && g.protected[i].start < end; i++ {
		p := g.protected[i]
		last := &out[len(out)-1]
		if p.end <= last.start {
			continue
		}
		if p.start <= last.start {
			last.start = p.end
		} else {
			tail := span{p.end, last.end}
			last.end = p.start
			out = append(out, tail)
		}
	}
	for k := range out {
		out[k] = trimEscapes(g.s, out[k])
	}
	return slices.DeleteFunc(out, func(p span) bool { return p.start >= p.end })
}

// trimEscapes narrows p so that it neither starts nor ends with a backslash
// escape, whole or in part. It runs in time linear in the piece, even over
// a long run of backslashes.
func trimEscapes(s string, p span) span {
	if j, n, ok := escapeAround(s, p.start); ok && j < p.start {
		p.start = j + n
	}
	// p.start is now on an escape boundary, so a backslash there starts one,
	// and walking forward tells escapes from other bytes.
	for p.start < p.end && s[p.start] == '\\' {
		p.start += escapeLen(s, p.start)
	}
	end := p.start
	for i := p.start; i < p.end; {
		if s[i] == '\\' {
			i += escapeLen(s, i)
			continue
		}
		i++
		end = i
	}
	p.end = min(end, p.end)
	return p
}

// escapeAround returns the backslash escape s[j:j+n] that holds byte i, if
// any: "\uXXXX" is six bytes, any other "\c" two. A backslash starts an
// escape when an even number of backslashes precede it.
func escapeAround(s string, i int) (j, n int, ok bool) {
	if i < 0 || i >= len(s) {
		return 0, 0, false
	}
	for j = i; j >= 0 && j >= i-5; j-- {
		if s[j] != '\\' {
			continue
		}
		if !escapeStart(s, j) {
			// The second byte of "\\" that starts at j-1.
			if j == i {
				return j - 1, 2, true
			}
			return 0, 0, false
		}
		n = escapeLen(s, j)
		if j+n > i {
			return j, n, true
		}
		return 0, 0, false
	}
	return 0, 0, false
}

func escapeStart(s string, j int) bool {
	run := 0
	for k := j - 1; k >= 0 && s[k] == '\\'; k-- {
		run++
	}
	return run%2 == 0
}

func escapeLen(s string, j int) int {
	if j+1 >= len(s) {
		return 1
	}
	if s[j+1] == 'u' && j+6 <= len(s) && isHex(s[j+2:j+6]) {
		return 6
	}
	if s[j+1] >= utf8.RuneSelf {
		// Not a JSON escape; keep the character after it whole.
		_, size := utf8.DecodeRuneInString(s[j+1:])
		return 1 + size
	}
	return 2
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
