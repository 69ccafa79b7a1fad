package redact

import (
	"strings"
)

// prefilter finds every occurrence of the rules' keywords in a text, ASCII
// case-insensitively, in one pass. It is an Aho-Corasick automaton compiled
// to a dense DFA over byte classes: the bytes that occur in no keyword share
// one class, which keeps the table small enough to stay in cache (gitleaks'
// own trie has a 256-entry row per state and spent more time than all the
// regexes on a clean transcript).
type prefilter struct {
	keywords []string
	class    [256]uint8 // byte → class; ASCII letters fold to lowercase
	nclass   int
	delta    []int32   // delta[state*nclass+class] → state
	out      [][]int32 // keywords ending at a state, by index
}

func newPrefilter(keywords []string) *prefilter {
	p := &prefilter{keywords: keywords}
	next := uint8(1) // class 0: bytes in no keyword
	for _, k := range keywords {
		for i := 0; i < len(k); i++ {
			c := k[i]
			if p.class[c] == 0 {
				p.class[c] = next
				next++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		p.class[c] = p.class[c+('a'-'A')]
	}
	p.nclass = int(next)

	// The trie, with -1 for "no edge".
	p.delta = make([]int32, p.nclass)
	for i := range p.delta {
		p.delta[i] = -1
	}
	p.out = [][]int32{nil}
	for ki, k := range keywords {
		s := int32(0)
		for i := 0; i < len(k); i++ {
			at := int(s)*p.nclass + int(p.class[k[i]])
			if p.delta[at] < 0 {
				p.delta[at] = int32(len(p.out))
				p.out = append(p.out, nil)
				for range p.nclass {
					p.delta = append(p.delta, -1)
				}
			}
			s = p.delta[at]
		}
		p.out[s] = append(p.out[s], int32(ki))
	}

	// Breadth first, turn missing edges into failure transitions and inherit
	// the outputs of each state's failure state.
	fail := make([]int32, len(p.out))
	var queue []int32
	for c := range p.nclass {
		if t := p.delta[c]; t < 0 {
			p.delta[c] = 0
		} else {
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for c := range p.nclass {
			at := int(s)*p.nclass + c
			t := p.delta[at]
			if t < 0 {
				p.delta[at] = p.delta[int(fail[s])*p.nclass+c]
				continue
			}
			fail[t] = p.delta[int(fail[s])*p.nclass+c]
			p.out[t] = append(p.out[t], p.out[fail[t]]...)
			queue = append(queue, t)
		}
	}
	return p
}

// occurrences returns, for each keyword, the offsets where it starts in s.
// The two non-ASCII runes that case-fold to ASCII letters, U+212A KELVIN
// SIGN (k) and U+017F LATIN SMALL LETTER LONG S (s), are seen as those
// letters, as a (?i) regex sees them, with the offset of their first byte.
func (p *prefilter) occurrences(s string) [][]int {
	occ := make([][]int, len(p.keywords))
	if strings.Contains(s, "\u212a") || strings.Contains(s, "\u017f") {
		p.walkFolded(s, occ)
		return occ
	}
	state := int32(0)
	for i := 0; i < len(s); i++ {
		state = p.delta[int(state)*p.nclass+int(p.class[s[i]])]
		for _, k := range p.out[state] {
			start := i - len(p.keywords[k]) + 1
			occ[k] = append(occ[k], start)
		}
	}
	return occ
}

// walkFolded is occurrences for text holding U+212A or U+017F: each is fed
// to the automaton as its ASCII letter, and offsets are mapped back.
func (p *prefilter) walkFolded(s string, occ [][]int) {
	var offsets []int // offset in s of each byte fed
	var fed []byte
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "\u212a"):
			fed = append(fed, 'k')
			offsets = append(offsets, i)
			i += len("\u212a") - 1
		case strings.HasPrefix(s[i:], "\u017f"):
			fed = append(fed, 's')
			offsets = append(offsets, i)
			i += len("\u017f") - 1
		default:
			fed = append(fed, s[i])
			offsets = append(offsets, i)
		}
	}
	state := int32(0)
	for i, c := range fed {
		state = p.delta[int(state)*p.nclass+int(p.class[c])]
		for _, k := range p.out[state] {
			occ[k] = append(occ[k], offsets[i-len(p.keywords[k])+1])
		}
	}
}
