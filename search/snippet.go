package search

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

const snippetChars = 240

// makeSnippet cuts a window of about snippetChars characters from text
// around the first match of the query's terms (or around the semantic
// chunk [chunkStart, chunkEnd) when no term occurs), and returns it with
// the rune offsets of every term occurrence in it.
func makeSnippet(text string, q Parsed, chunkStart, chunkEnd int) (string, [][2]int) {
	terms := highlightTerms(q)
	lower := strings.ToLower(text)
	first := -1
	for _, t := range terms {
		if i := indexWord(lower, t); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	start := 0
	switch {
	case first >= 0:
		start = first - snippetChars/3
	case chunkEnd > chunkStart && chunkStart < len(text):
		start = chunkStart
	}
	start = clampToRune(text, max(start, 0))
	end := clampToRune(text, min(len(text), start+snippetChars*4)) // bytes; trimmed to runes below
	window := text[start:end]
	if utf8.RuneCountInString(window) > snippetChars {
		window = string([]rune(window)[:snippetChars])
	}
	// Start and end on word boundaries when the window cuts through text.
	if start > 0 {
		if i := strings.IndexFunc(window, unicode.IsSpace); i >= 0 && i < 20 {
			window = window[i+1:]
		}
	}
	window = strings.Join(strings.Fields(window), " ")
	prefix, suffix := "", ""
	if start > 0 {
		prefix = "…"
	}
	if start+len(window) < len(text) {
		suffix = "…"
	}
	snippet := prefix + window + suffix
	return snippet, highlights(snippet, terms)
}

// highlightTerms are the lower-cased substrings to mark: phrases and code
// as written, plain words by their first letters (a cheap stand-in for the
// stem: "authenticating" marks for "authentication").
func highlightTerms(q Parsed) []string {
	var out []string
	for _, g := range q.Keyword.Groups {
		for _, m := range g {
			if m.Substring != "" {
				out = append(out, strings.ToLower(m.Substring))
				continue
			}
			for _, w := range strings.Fields(strings.ToLower(m.Words)) {
				w = strings.Trim(w, `.,;:!?'"()`)
				if utf8.RuneCountInString(w) < 3 || stopWords[w] {
					continue
				}
				if r := []rune(w); len(r) > 5 {
					w = string(r[:max(5, len(r)-3)])
				}
				out = append(out, w)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// indexWord finds term at a word start (or anywhere, for code-like terms).
func indexWord(lower, term string) int {
	for from := 0; from < len(lower); {
		i := strings.Index(lower[from:], term)
		if i < 0 {
			return -1
		}
		i += from
		if i == 0 || looksLikeCode(term) || !isWordRune(lastRune(lower[:i])) {
			return i
		}
		from = i + len(term)
	}
	return -1
}

func highlights(snippet string, terms []string) [][2]int {
	lower := strings.ToLower(snippet)
	var spans [][2]int // byte offsets
	for _, t := range terms {
		for from := 0; from < len(lower); {
			i := indexWord(lower[from:], t)
			if i < 0 {
				break
			}
			s := from + i
			e := s + len(t)
			// Extend a word-prefix match to the end of the word.
			for e < len(lower) {
				r, size := utf8.DecodeRuneInString(lower[e:])
				if !isWordRune(r) || looksLikeCode(t) {
					break
				}
				e += size
			}
			spans = append(spans, [2]int{s, e})
			from = e
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	var merged [][2]int
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], sp[1])
			continue
		}
		merged = append(merged, sp)
	}
	// Byte to rune offsets. (ToLower can change byte lengths for a few
	// scripts; offsets are computed on the lowered text, which has the
	// same runes.)
	out := make([][2]int, 0, len(merged))
	for _, sp := range merged {
		if sp[1] > len(lower) {
			continue
		}
		out = append(out, [2]int{utf8.RuneCountInString(lower[:sp[0]]), utf8.RuneCountInString(lower[:sp[1]])})
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

func clampToRune(s string, i int) int {
	for i > 0 && i < len(s) && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// stopWords are not highlighted (Postgres does not match them either).
var stopWords = map[string]bool{
	"the": true, "and": true, "for": true, "with": true, "how": true, "what": true, "why": true, "does": true,
	"this": true, "that": true, "from": true, "are": true, "was": true, "but": true, "not": true, "you": true,
	"can": true, "all": true, "any": true, "into": true, "when": true, "where": true, "which": true, "about": true,
}
