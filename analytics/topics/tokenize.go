package topics

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// A word is one token of a question that carries meaning: not a stop word,
// not a number, at least two characters.
type word struct {
	key     string // what counts: lower case, plain words stemmed
	surface string // how it is shown: lower case, identifiers as written
	// joined: this word followed the previous kept word with nothing but
	// spaces between them, so the two form a bigram.
	joined bool
	// part: a part of the identifier or hyphenated word before it
	// ("token" of TokenExpiredError, "origin" of cross-origin); parts count
	// for similarity and labels but form no bigrams.
	part bool
}

// maxTextBytes bounds how much of one question is read: a question is a
// sentence or a paragraph, and a pasted log must not dominate the terms.
const maxTextBytes = 2000

// words splits a question into its words. Code identifiers stay whole
// (context.WithCancel, useEffect, pg_locks, docker-compose, node.js): a
// dot, hyphen, slash, apostrophe or colon joins two word characters, and
// the parts of a compound follow it as words of their own. Identifiers keep
// their case for display and count case-insensitively; plain words are
// lower-cased and lightly stemmed so that "rebasing", "rebased" and
// "rebase" are one term.
func words(text string) []word {
	if len(text) > maxTextBytes {
		text = text[:maxTextBytes]
	}
	var out []word
	gap := true // nothing but spaces since the last kept word
	prevKept := false
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			if !unicode.IsSpace(r) {
				gap = false
			}
			i += size
			continue
		}
		start := i
		for i < len(text) {
			r, size := utf8.DecodeRuneInString(text[i:])
			if isWordRune(r) {
				i += size
				continue
			}
			if isJoiner(r) && i+size < len(text) {
				next, _ := utf8.DecodeRuneInString(text[i+size:])
				if isWordRune(next) {
					i += size
					continue
				}
			}
			break
		}
		raw := text[start:i]
		w, ok := makeWord(raw)
		if !ok {
			prevKept = false
			gap = true
			continue
		}
		w.joined = prevKept && gap
		out = append(out, w)
		prevKept, gap = true, true
		out = appendParts(out, raw, w.key)
	}
	return out
}

// appendParts adds the parts of a compound token (an identifier or a
// hyphenated word) that are words of their own, so that TokenExpiredError
// matches "token expired" and cross-origin matches "origin".
func appendParts(out []word, raw, wholeKey string) []word {
	var parts []string
	field := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	for _, f := range strings.FieldsFunc(raw, field) {
		parts = append(parts, splitCamel(f)...)
	}
	if len(parts) < 2 {
		return out
	}
	seen := map[string]bool{wholeKey: true}
	for _, p := range parts {
		w, ok := makeWord(strings.ToLower(p))
		if !ok || seen[w.key] {
			continue
		}
		seen[w.key] = true
		w.part = true
		out = append(out, w)
	}
	return out
}

// splitCamel splits camelCase and PascalCase at each hump, keeping
// acronyms whole: "heapUsed" → heap Used, "OOMKilled" → OOM Killed,
// "JWTs" → JWTs.
func splitCamel(s string) []string {
	rs := []rune(s)
	var parts []string
	start := 0
	for i := 1; i < len(rs); i++ {
		lowerToUpper := unicode.IsLower(rs[i-1]) && unicode.IsUpper(rs[i])
		// An acronym ends before a capitalised word ("OOM|Killed"), not
		// before a plural s ("JWTs", "APIs").
		acronymEnd := i+2 < len(rs) && unicode.IsUpper(rs[i-1]) && unicode.IsUpper(rs[i]) &&
			unicode.IsLower(rs[i+1]) && unicode.IsLower(rs[i+2])
		if lowerToUpper || acronymEnd {
			parts = append(parts, string(rs[start:i]))
			start = i
		}
	}
	return append(parts, string(rs[start:]))
}

func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isJoiner(r rune) bool {
	switch r {
	case '.', '-', '/', '\'', ':', '’':
		return true
	}
	return false
}

// makeWord turns one raw token into a word, or reports that it carries no
// meaning of its own.
func makeWord(raw string) (word, bool) {
	raw = strings.ReplaceAll(raw, "’", "'")
	lower := strings.ToLower(raw)
	lower = strings.TrimSuffix(lower, "'s")
	if len(lower) < 2 || stopWords[lower] || !hasLetter(lower) {
		return word{}, false
	}
	if isIdentifier(raw) {
		surface := strings.TrimSuffix(strings.TrimSuffix(raw, "'s"), "'S")
		return word{key: lower, surface: surface}, true
	}
	key := stem(lower)
	if len(key) < 2 || stopWords[key] {
		return word{}, false
	}
	return word{key: key, surface: lower}, true
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// isIdentifier reports whether a token reads as code rather than English:
// it has digits, '_', '.', '/' or ':' in it, or humps (useEffect,
// OOMKilled, GitHub). Hyphenated words ("multi-stage", "re-renders") are
// English.
func isIdentifier(raw string) bool {
	if strings.ContainsAny(raw, "_./:0123456789") {
		return true
	}
	for _, f := range strings.Split(raw, "-") {
		if len(splitCamel(f)) > 1 {
			return true
		}
	}
	return false
}

// stem strips the English inflections that matter in short questions
// (plural, -ing, -ed, a final e or y) so that the forms of one word count as
// one: "rebase", "rebased" and "rebasing" are "rebas"; "query" and
// "queries" are "queri". It is deliberately lighter than Porter's stemmer:
// it never merges two words a reader would tell apart, at the price of
// leaving some forms apart ("expiry" and "expired").
func stem(w string) string {
	if len(w) <= 3 || strings.Contains(w, "'") {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	switch {
	case strings.HasSuffix(w, "ing") && len(w) >= 6 && hasVowel(w[:len(w)-3]):
		w = undouble(w[:len(w)-3])
	case strings.HasSuffix(w, "ed") && len(w) >= 5 && !strings.HasSuffix(w, "eed") && hasVowel(w[:len(w)-2]):
		w = undouble(w[:len(w)-2])
	}
	n := len(w)
	switch {
	case n > 3 && w[n-1] == 'y' && !isVowel(w[n-2]):
		w = w[:n-1] + "i"
	case n > 3 && w[n-1] == 'e':
		w = w[:n-1]
	}
	return w
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	}
	return false
}

func hasVowel(s string) bool {
	for i := range len(s) {
		if isVowel(s[i]) || s[i] == 'y' && i > 0 {
			return true
		}
	}
	return false
}

// undouble turns "runn" (from "running") into "run"; a doubled l, s, z or
// vowel stays ("installing", "passed", "agreed").
func undouble(w string) string {
	n := len(w)
	if n >= 3 && w[n-1] == w[n-2] {
		switch w[n-1] {
		case 'l', 's', 'z':
			return w
		}
		if isVowel(w[n-1]) {
			return w
		}
		return w[:n-1]
	}
	return w
}
