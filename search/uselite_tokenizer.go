package search

import (
	"encoding/json"
	"fmt"
	"os"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// useLiteTokenizer is a port of the SentencePiece tokenizer that ships with
// USE-Lite in TF.js (@tensorflow-models/universal-sentence-encoder, as
// bundled by @energetic-ai/embeddings 0.2.0). It reproduces that code's
// token ids exactly, quirks included, because the model was only ever fed
// those ids:
//
//   - the text is NFKC-normalised; a non-empty text gets a leading "▁" and
//     every U+0020 space becomes "▁" (tabs and newlines stay as they are);
//   - the lattice is built over code points with a trie of the vocabulary,
//     skipping the 6 reserved pieces; a position where no piece starts
//     yields one unknown piece (id 0, score 0);
//   - Viterbi keeps, per end position, the first candidate while the best
//     score is still exactly 0 and otherwise any candidate scoring >= the
//     best, so ties go to the later start;
//   - the best path is walked back by each piece's UTF-16 length (JS
//     String.length), and runs of unknowns collapse into one id 0.
//
// vocab.json scores are used as JS reads them: null counts as 0 (7 pieces
// containing ":" have null, ":00" has 0 and ":30" has 30, apparently from a
// YAML conversion), and a piece listed twice keeps its last id and score.
type useLiteTokenizer struct {
	root useLiteTrieNode
	// pieceLen is the UTF-16 length of every vocabulary piece.
	pieceLen []int32
}

type useLiteTrieNode struct {
	children map[rune]*useLiteTrieNode
	end      bool
	score    float64
	id       int32
}

const (
	// useLiteSeparator is SentencePiece's word-boundary marker.
	useLiteSeparator = '\u2581'
	// useLiteReservedPieces counts the leading vocabulary entries ("�", <s>,
	// </s>, extra_token_id_1..3) that never take part in matching.
	useLiteReservedPieces = 6
	// useLiteUnknownID is the id of every character no piece covers.
	useLiteUnknownID = 0
)

// loadUSELiteTokenizer reads vocab.json: a JSON array of [piece, score].
func loadUSELiteTokenizer(path string) (*useLiteTokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read vocabulary: %w", err)
	}
	var entries [][]json.RawMessage
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("parse vocabulary %s: want a JSON array of [piece, score] pairs: %w", path, err)
	}
	if len(entries) <= useLiteReservedPieces {
		return nil, fmt.Errorf("parse vocabulary %s: %d entries, want more than %d", path, len(entries), useLiteReservedPieces)
	}
	tok := &useLiteTokenizer{pieceLen: make([]int32, len(entries))}
	for id, e := range entries {
		if len(e) < 2 {
			return nil, fmt.Errorf("parse vocabulary %s: entry %d has %d elements, want [piece, score]", path, id, len(e))
		}
		var piece string
		if err := json.Unmarshal(e[0], &piece); err != nil {
			return nil, fmt.Errorf("parse vocabulary %s: entry %d: piece is not a string: %w", path, id, err)
		}
		var score *float64 // null scores count as 0, as in JS arithmetic
		if err := json.Unmarshal(e[1], &score); err != nil {
			return nil, fmt.Errorf("parse vocabulary %s: entry %d (%q): score is not a number or null: %w", path, id, piece, err)
		}
		n := 0
		for _, r := range piece {
			n += utf16.RuneLen(r)
		}
		tok.pieceLen[id] = int32(n)
		if id < useLiteReservedPieces || piece == "" {
			continue
		}
		s := 0.0
		if score != nil {
			s = *score
		}
		tok.insert(piece, s, int32(id))
	}
	// The walk back steps by the length of the unknown piece; it must move.
	if tok.pieceLen[useLiteUnknownID] < 1 {
		return nil, fmt.Errorf("parse vocabulary %s: the unknown piece (entry 0) is empty", path)
	}
	return tok, nil
}

func (t *useLiteTokenizer) insert(piece string, score float64, id int32) {
	node := &t.root
	for _, r := range piece {
		child := node.children[r]
		if child == nil {
			if node.children == nil {
				node.children = make(map[rune]*useLiteTrieNode)
			}
			child = &useLiteTrieNode{}
			node.children[r] = child
		}
		node = child
	}
	node.end, node.score, node.id = true, score, id
}

// vocabSize is the number of vocabulary entries; every id is below it.
func (t *useLiteTokenizer) vocabSize() int { return len(t.pieceLen) }

// useLiteTokenBuffers holds the tokenizer's working memory so that repeated
// calls do not allocate.
type useLiteTokenBuffers struct {
	text  []byte
	syms  []rune
	best  []float64
	words []int32
	ids   []int32
}

// release drops buffers grown past n elements by a long text, so that a
// pooled scratch does not keep them.
func (b *useLiteTokenBuffers) release(n int) {
	if cap(b.text) > 4*n || cap(b.syms) > n || cap(b.best) > n || cap(b.words) > n || cap(b.ids) > n {
		*b = useLiteTokenBuffers{}
	}
}

// symbols NFKC-normalises text and returns its code points as the JS
// tokenizer sees them: a leading separator and spaces replaced by it.
// Invalid UTF-8 bytes become U+FFFD, which no piece matches.
func (b *useLiteTokenBuffers) symbols(text string) []rune {
	b.text = norm.NFKC.AppendString(b.text[:0], text)
	b.syms = b.syms[:0]
	if len(b.text) == 0 {
		return b.syms
	}
	b.syms = append(b.syms, useLiteSeparator)
	for s := b.text; len(s) > 0; {
		r, size := utf8.DecodeRune(s)
		if r == ' ' {
			r = useLiteSeparator
		}
		b.syms = append(b.syms, r)
		s = s[size:]
	}
	return b.syms
}

// encode runs Viterbi over syms and returns all token ids in b.ids.
func (t *useLiteTokenizer) encode(syms []rune, b *useLiteTokenBuffers) []int32 {
	n := len(syms)
	b.best = growZeroed(b.best, n+1)
	b.words = growZeroed(b.words, n+1)
	best, words := b.best, b.words

	// Relaxing edges start by start is the JS order (end by end, starts
	// ascending) because best[i] is final once every start < i is done.
	for i := 0; i < n; i++ {
		base := best[i]
		matched := false
		node := t.root.children[syms[i]]
		for j := i + 1; node != nil; j++ {
			if node.end {
				matched = true
				if s := node.score + base; best[j] == 0 || s >= best[j] {
					best[j], words[j] = s, node.id
				}
			}
			if j >= n {
				break
			}
			node = node.children[syms[j]]
		}
		if !matched {
			if s := base; best[i+1] == 0 || s >= best[i+1] {
				best[i+1], words[i+1] = s, useLiteUnknownID
			}
		}
	}

	ids := b.ids[:0]
	for it := n; it > 0; it -= int(t.pieceLen[words[it]]) {
		ids = append(ids, words[it])
	}
	// Collapse runs of unknowns (ids are still in reverse order), then
	// restore text order.
	k, prevUnknown := 0, false
	for _, id := range ids {
		if !(prevUnknown && id == useLiteUnknownID) {
			ids[k] = id
			k++
		}
		prevUnknown = id == useLiteUnknownID
	}
	ids = ids[:k]
	for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
		ids[i], ids[j] = ids[j], ids[i]
	}
	b.ids = ids
	return ids
}

// tokenize returns every token id of text.
func (t *useLiteTokenizer) tokenize(text string, b *useLiteTokenBuffers) []int32 {
	return t.encode(b.symbols(text), b)
}

// prefixTokens returns the first max token ids of text, exactly as the
// first max ids of tokenize, without tokenizing all of a long text: no piece
// has "▁" after its first character, so a "▁" is a boundary every path
// passes through and the tokens before it do not depend on what follows.
// Texts longer than prefixRunes code points are first tokenized up to the
// first "▁" after that many; only if that yields fewer than max tokens is
// the whole text tokenized.
func (t *useLiteTokenizer) prefixTokens(text string, max, prefixRunes int, b *useLiteTokenBuffers) []int32 {
	syms := b.symbols(text)
	if len(syms) > prefixRunes {
		for cut := prefixRunes; cut < len(syms); cut++ {
			if syms[cut] == useLiteSeparator {
				if ids := t.encode(syms[:cut], b); len(ids) >= max {
					return ids[:max]
				}
				break
			}
		}
	}
	ids := t.encode(syms, b)
	if len(ids) > max {
		ids = ids[:max]
	}
	return ids
}

func growZeroed[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}
