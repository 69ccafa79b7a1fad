package correlate

import (
	"regexp"
	"strings"
)

// MinHashLen and MaxHashLen bound an abbreviated or full commit hash.
const (
	MinHashLen = 7
	MaxHashLen = 40
)

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// HashesMentioned returns the commit hashes a text names, in order of first
// appearance and without duplicates.
//
// A hash is a whole word of 7 to 40 lowercase hexadecimal digits (git
// always prints lowercase): not part of a longer word or hex run (so
// neither "0xdeadbeef12" nor a 64-digit sha256 yields one), not all digits
// (issue numbers, timestamps) and not all letters (English words such as
// "defaced"; a real abbreviated hash is all letters once in a thousand).
// The parts of a UUID are not hashes. "git describe" names
// (v1.2.0-3-gabc1234) yield the hash after "-g".
func HashesMentioned(text string) []string {
	var out []string
	seen := map[string]bool{}
	emit := func(h string) {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	// Walk tokens of word characters and hyphens, so UUIDs and describe
	// names are seen whole; then look at the hyphen-separated words.
	for i := 0; i < len(text); {
		if !isTokenByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isTokenByte(text[j]) {
			j++
		}
		token := text[i:j]
		i = j
		if len(token) < MinHashLen || uuidRe.MatchString(token) {
			continue
		}
		words := strings.Split(token, "-")
		for k, w := range words {
			if k > 0 && len(w) > MinHashLen && w[0] == 'g' && isHexWord(w[1:]) && isNumber(words[k-1]) {
				emit(w[1:]) // git describe: <tag>-<n>-g<hash>
				continue
			}
			if isHexWord(w) {
				emit(w)
			}
		}
	}
	return out
}

// isTokenByte: ASCII letters, digits, '_' and '-'. Bytes of multi-byte
// UTF-8 sequences also continue a token, so a hex run glued to a
// non-ASCII letter is not taken as a hash.
func isTokenByte(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_' || b == '-' || b >= 0x80
}

// isHexWord: 7–40 lowercase hex digits with at least one digit and one
// letter.
func isHexWord(w string) bool {
	if len(w) < MinHashLen || len(w) > MaxHashLen {
		return false
	}
	digits, letters := false, false
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case c >= '0' && c <= '9':
			digits = true
		case c >= 'a' && c <= 'f':
			letters = true
		default:
			return false
		}
	}
	return digits && letters
}

func isNumber(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// hashMatches reports whether a mentioned (possibly abbreviated) hash
// names the commit sha.
func hashMatches(mentioned, sha string) bool {
	m := strings.ToLower(strings.TrimSpace(mentioned))
	s := strings.ToLower(sha)
	return len(m) >= MinHashLen && len(m) <= len(s) && strings.HasPrefix(s, m)
}
