package topics

import (
	"math"
	"slices"
)

// termWeight is one word's weight in a question's text vector.
type termWeight struct {
	term   int32 // index into vocabulary.keys
	weight float64
}

// vocabulary is the words of all questions, for the text half of the
// similarity: each question becomes a unit-length tf-idf vector over them
// (each word counted once per question: questions are short, and a word
// repeated in one question says no more about its topic), and postings
// list the questions having each word, for finding the pairs that share
// one.
type vocabulary struct {
	keys     []string    // sorted
	postings [][]posting // postings[t]: the points with term t, ascending
}

type posting struct {
	point  int32
	weight float64 // the term's weight in the point's text vector
}

func (v *vocabulary) empty() bool { return len(v.keys) == 0 }

// buildVocabulary sets every point's terms.
func buildVocabulary(pts []point) *vocabulary {
	df := map[string]int{}
	for _, p := range pts {
		for _, k := range distinctKeys(p.words) {
			df[k]++
		}
	}
	v := &vocabulary{keys: make([]string, 0, len(df))}
	for k := range df {
		v.keys = append(v.keys, k)
	}
	slices.Sort(v.keys)
	index := make(map[string]int32, len(v.keys))
	for i, k := range v.keys {
		index[k] = int32(i)
	}
	v.postings = make([][]posting, len(v.keys))
	n := float64(len(pts))
	for i := range pts {
		keys := distinctKeys(pts[i].words)
		if len(keys) == 0 {
			continue
		}
		terms := make([]termWeight, len(keys))
		var norm float64
		for j, k := range keys {
			// The smoothed idf of scikit-learn: a word in every question
			// still weighs 1, a word in one question 1 + ln((n+1)/2).
			w := math.Log((1+n)/(1+float64(df[k]))) + 1
			terms[j] = termWeight{term: index[k], weight: w}
			norm += w * w
		}
		inv := 1 / math.Sqrt(norm)
		for j := range terms {
			terms[j].weight *= inv
		}
		slices.SortFunc(terms, func(a, b termWeight) int { return int(a.term - b.term) })
		pts[i].terms = terms
		for _, t := range terms {
			v.postings[t.term] = append(v.postings[t.term], posting{point: int32(i), weight: t.weight})
		}
	}
	return v
}

// distinctKeys are the keys of ws, each once, sorted.
func distinctKeys(ws []word) []string {
	keys := make([]string, len(ws))
	for i, w := range ws {
		keys[i] = w.key
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}
