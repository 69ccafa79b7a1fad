package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"unicode"

	"github.com/context-intelligence/ctxintel/search"
)

// Query is one search of the benchmark's query mix.
type Query struct {
	Kind   string // word, phrase, identifier, error, quoted, exclusion, question
	Text   string
	Topic  int
	Vector []float32 // the synthetic query vector semantic search uses
}

// QueryKinds and their shares of the mix.
var QueryKinds = []struct {
	Kind  string
	Share int // percent
}{{"word", 20}, {"phrase", 20}, {"identifier", 15}, {"error", 15}, {"quoted", 10}, {"exclusion", 10}, {"question", 10}}

// Queries draws n queries from the generator's vocabulary, as users would
// type them: single words, two-word phrases, identifiers, error strings,
// quoted phrases, exclusions and questions. Deterministic for (seed, n).
func (p *Plan) Queries(n int, stream uint64) []Query {
	rng := rand.New(rand.NewPCG(p.Config.Seed^0x71756572, stream)) // "quer"
	out := make([]Query, 0, n)
	for len(out) < n {
		ti := rng.IntN(len(topics))
		t := &topics[ti]
		w := rng.IntN(100)
		kind := ""
		for _, k := range QueryKinds {
			if w < k.Share {
				kind = k.Kind
				break
			}
			w -= k.Share
		}
		var text string
		switch kind {
		case "word":
			text = pick(rng, t.terms)
		case "phrase":
			text = pick(rng, t.phrases)
		case "identifier":
			for range 10 {
				if text = pick(rng, t.idents); !strings.ContainsAny(text, " {") {
					break
				}
			}
			text = strings.Fields(text)[0]
		case "error":
			text = errorQuery(pick(rng, t.errors))
		case "quoted":
			text = `"` + pick(rng, t.phrases) + `"`
		case "exclusion":
			a, b := pick(rng, t.terms), pick(rng, t.terms)
			if a == b {
				b = t.terms[(indexOf(t.terms, a)+1)%len(t.terms)]
			}
			text = a + " -" + b
		case "question":
			text = fmt.Sprintf("how do I %s the %s", verbs[rng.IntN(len(verbs))], pick(rng, t.phrases))
		}
		out = append(out, Query{Kind: kind, Text: text, Topic: ti, Vector: p.vectors.Query(rng, ti)})
	}
	return out
}

// errorQuery is what someone pastes of an error: its code-like token
// when it has one (ERR_CONNECTION_RESET, CrashLoopBackOff), else its first
// words as a quoted phrase.
func errorQuery(e string) string {
	for _, f := range strings.Fields(e) {
		f = strings.Trim(f, `:.,'"()[]`)
		if len(f) >= 6 && codeLike(f) {
			return f
		}
	}
	words := strings.Fields(e)
	if len(words) > 4 {
		words = words[:4]
	}
	q := strings.Trim(strings.Join(words, " "), `:.,'"`)
	if strings.ContainsRune(q, '"') {
		return q
	}
	return `"` + q + `"`
}

func codeLike(w string) bool {
	lowerUpper, under, digit := false, false, false
	prevLower := false
	for _, r := range w {
		switch {
		case r == '_':
			under = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsUpper(r) && prevLower:
			lowerUpper = true
		}
		prevLower = unicode.IsLower(r)
	}
	return lowerUpper || under || digit
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return 0
}

// FixedEmbedder answers every query of a known mix with its precomputed
// vector, so that latency measures the database, not the model (whose
// time is reported separately).
type FixedEmbedder struct {
	mu   sync.RWMutex
	vecs map[string][]float32
}

var _ search.Embedder = (*FixedEmbedder)(nil)

// NewFixedEmbedder maps each query's embedding text (as the search
// service passes it) to the query's vector.
func NewFixedEmbedder(qs []Query) (*FixedEmbedder, error) {
	e := &FixedEmbedder{vecs: map[string][]float32{}}
	for _, q := range qs {
		if err := e.Add(q.Text, q.Vector); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Add maps a query (in search syntax) to a vector.
func (e *FixedEmbedder) Add(query string, vec []float32) error {
	parsed, err := search.ParseQuery(query)
	if err != nil {
		return fmt.Errorf("query %q: %w", query, err)
	}
	e.mu.Lock()
	e.vecs[parsed.Text] = vec
	e.mu.Unlock()
	return nil
}

// Embed returns the fixed vectors.
func (e *FixedEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v, ok := e.vecs[t]
		if !ok {
			return nil, fmt.Errorf("fixed embedder: no vector for %q", t)
		}
		out[i] = v
	}
	return out, nil
}

// Model is the model the benchmark vectors pretend to come from.
func (e *FixedEmbedder) Model() string { return "use-lite" }

// Dimensions of USE-Lite.
func (e *FixedEmbedder) Dimensions() int { return 512 }
