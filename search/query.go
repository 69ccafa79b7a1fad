package search

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// MaxQueryLength bounds a query, in characters.
const MaxQueryLength = 500

// Errors of ParseQuery; each says what to change.
var (
	ErrEmptyQuery   = errors.New("the query is empty: type some words, a \"quoted phrase\", an identifier or a path")
	ErrQueryTooLong = fmt.Errorf("the query is longer than %d characters", MaxQueryLength)
	ErrNoTerms      = errors.New("the query has nothing to search for once exclusions are set aside: add a word to find")
)

// Parsed is a query in web-search syntax: words, "quoted phrases",
// -excluded words or phrases, and OR between alternatives. Words that look
// like code (identifiers, paths, error strings, stack-trace fragments) and
// quoted phrases match exactly as substrings; other words match by English
// stem.
type Parsed struct {
	Raw     string
	Keyword warehouse.KeywordQuery
	// Text is the query for the embedding model: the wanted words and
	// phrases, without operators or exclusions.
	Text string
	// Notices explain how the query was read when it was not quite
	// well-formed (an unbalanced quote).
	Notices []string
}

type token struct {
	text    string
	phrase  bool
	exclude bool
}

// ParseQuery reads a query. Operators are forgiving: a quote left open
// closes at the end (with a notice), a dangling OR is ignored.
func ParseQuery(q string) (Parsed, error) {
	p := Parsed{Raw: q}
	q = strings.TrimSpace(q)
	if q == "" {
		return p, ErrEmptyQuery
	}
	if utf8.RuneCountInString(q) > MaxQueryLength {
		return p, ErrQueryTooLong
	}
	tokens, unbalanced := tokenize(q)
	if unbalanced {
		p.Notices = append(p.Notices, "a quote was not closed: the rest of the query was read as one phrase")
	}
	var group []warehouse.TextMatch
	var words []string
	orNext := false
	flush := func() {
		if len(group) > 0 {
			p.Keyword.Groups = append(p.Keyword.Groups, group)
			group = nil
		}
	}
	for _, t := range tokens {
		if !t.phrase && !t.exclude && t.text == "OR" {
			orNext = len(group) > 0
			continue
		}
		m := toMatch(t)
		if t.exclude {
			p.Keyword.Exclude = append(p.Keyword.Exclude, m)
			continue
		}
		words = append(words, t.text)
		if !orNext {
			flush()
		}
		group = append(group, m)
		orNext = false
	}
	flush()
	if len(p.Keyword.Groups) == 0 {
		return p, ErrNoTerms
	}
	p.Text = strings.Join(words, " ")
	return p, nil
}

// tokenize splits on spaces, keeping quoted phrases and leading '-'.
func tokenize(q string) ([]token, bool) {
	var out []token
	unbalanced := false
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		exclude := false
		if q[i] == '-' && i+1 < len(q) && q[i+1] != ' ' && q[i+1] != '-' {
			exclude = true
			i++
		}
		if i < len(q) && q[i] == '"' {
			end := strings.IndexByte(q[i+1:], '"')
			var phrase string
			if end < 0 {
				phrase, i, unbalanced = q[i+1:], len(q), true
			} else {
				phrase, i = q[i+1:i+1+end], i+end+2
			}
			if phrase = strings.Join(strings.Fields(phrase), " "); phrase != "" {
				out = append(out, token{text: phrase, phrase: true, exclude: exclude})
			}
			continue
		}
		j := i
		for j < len(q) {
			r, size := utf8.DecodeRuneInString(q[j:])
			if unicode.IsSpace(r) {
				break
			}
			j += size
		}
		if w := strings.Trim(q[i:j], `"`); w != "" {
			out = append(out, token{text: w, exclude: exclude})
		}
		i = j
	}
	return out, unbalanced
}

// toMatch chooses exact substring matching for phrases and code-like words,
// stemmed full text for plain words.
func toMatch(t token) warehouse.TextMatch {
	if t.phrase || looksLikeCode(t.text) {
		return warehouse.TextMatch{Substring: t.text}
	}
	return warehouse.TextMatch{Words: t.text}
}

// looksLikeCode: identifiers with inner capitals, underscores or digits
// mixed into letters, dotted or slashed paths, calls, file:line refs.
func looksLikeCode(w string) bool {
	if len(w) < 3 {
		return false
	}
	if strings.ContainsAny(w, "_./\\:()[]{}<>=#@$") {
		// A plain word with trailing punctuation ("login.") is prose.
		trimmed := strings.TrimRight(w, ".,;:!?")
		return strings.ContainsAny(trimmed, "_./\\:()[]{}<>=#@$")
	}
	hasLetter, hasDigit, lowerThenUpper := false, false, false
	prevLower := false
	for _, r := range w {
		switch {
		case unicode.IsDigit(r):
			hasDigit = true
		case unicode.IsLetter(r):
			hasLetter = true
			if unicode.IsUpper(r) && prevLower {
				lowerThenUpper = true
			}
		}
		prevLower = unicode.IsLower(r)
	}
	return lowerThenUpper || (hasLetter && hasDigit)
}
