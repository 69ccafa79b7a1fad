package topics

import (
	"encoding/binary"
	"hash/fnv"
	"math/rand/v2"
	"slices"
)

// Chance links. The share of pairs of unrelated questions whose similarity
// passes a fixed threshold does not depend on how many questions there
// are, so the number of chance partners each question has grows with
// them: at 160 questions the 0.35% of unrelated pairs of questions.json
// above Threshold (0.14) make half a partner per question, at 5,000 they
// make 17, enough to chain one-offs into topics. Likewise a question left
// over has more topics to match by chance when there are more. Both steps
// therefore raise their bar, at scale, to a level that chance alone
// passes rarely, measured on the input itself: the first step's threshold
// to the similarity that random pairs exceed with probability
// chanceLinks/n, the attach step's to the mean similarity that a random
// question reaches with a random topic not its own with probability
// chanceTopics/topics.
//
// The measurement samples pairs of the input, same-topic ones included;
// that only makes the bar err on the side of fewer, purer topics, but
// while chanceLinks/n (or chanceTopics/topics) is more than maxChance the
// top pairs would be mostly those of real topics, so the guard applies
// from 300 questions and 30 topics on. On questions.json (160 questions,
// 12 topics) it changes nothing; on 5,000 synthetic questions shaped like
// them (TestClusterSyntheticQuality) it raises purity from 0.61 to 0.82
// and leaves 23% of the one-offs in topics instead of 83%.
const (
	chanceLinks  = 3.0 // chance partners per question at the first step
	chanceTopics = 0.3 // chance topics per question left over, at the attach step
	maxChance    = 0.01

	// maxChanceSamples is how many pairs a chance level looks at: every
	// pair of up to 447 questions, a sample beyond.
	maxChanceSamples = 100_000
)

// chanceLevel is the similarity that a pair of random questions reaches
// with probability chance: the (1 − chance) quantile of the similarities
// of all pairs, or of a sample of them drawn with a seed derived from the
// question ids, so that the same questions give the same level.
func chanceLevel(pts []point, vecWeight, textWeight, chance float64) float64 {
	n := len(pts)
	if n < 2 {
		return -1
	}
	sim := func(i, j int) float64 {
		s := textWeight * sparseDot(pts[i].terms, pts[j].terms)
		if vecWeight > 0 {
			s += vecWeight * float64(dot(pts[i].vec, pts[j].vec))
		}
		return s
	}
	var sims []float64
	if n*(n-1)/2 <= maxChanceSamples {
		for i := range n {
			for j := i + 1; j < n; j++ {
				sims = append(sims, sim(i, j))
			}
		}
	} else {
		r := seededRand(pts, 1)
		sims = make([]float64, maxChanceSamples)
		for k := range sims {
			i := r.IntN(n)
			j := r.IntN(n - 1)
			if j >= i {
				j++
			}
			sims[k] = sim(i, j)
		}
	}
	return quantile(sims, 1-chance)
}

// attachChanceLevel is the mean similarity between a question and a core it
// is not in that is reached with probability chance, from a sample of
// (question, core) pairs.
func (m *merger) attachChanceLevel(cores []int, chance float64) float64 {
	n := len(m.pts)
	coreOf := make([]int, n)
	for i := range coreOf {
		coreOf[i] = -1
	}
	for x, c := range cores {
		for _, p := range m.cs[c].members {
			coreOf[p] = x
		}
	}
	r := seededRand(m.pts, 2)
	sims := make([]float64, 0, maxChanceSamples)
	for range maxChanceSamples {
		p, x := r.IntN(n), r.IntN(len(cores))
		if coreOf[p] == x {
			continue
		}
		c := &m.cs[cores[x]]
		pt := &m.pts[p]
		s := m.textWeight * sparseDot(c.textSum, pt.terms)
		if m.vecWeight > 0 {
			s += m.vecWeight * dot64x32(m.vecSumOf(cores[x]), pt.vec)
		}
		sims = append(sims, s/float64(c.size))
	}
	if len(sims) == 0 {
		return -1
	}
	return quantile(sims, 1-chance)
}

// seededRand is a generator seeded by the question ids (in id order) and a
// purpose, so that results depend on the questions and nothing else.
func seededRand(pts []point, purpose uint64) *rand.Rand {
	h := fnv.New64a()
	var buf [8]byte
	for _, p := range pts {
		binary.LittleEndian.PutUint64(buf[:], uint64(p.id))
		h.Write(buf[:])
	}
	seed := h.Sum64()
	return rand.New(rand.NewPCG(seed, purpose))
}

// quantile sorts xs and returns its q-quantile (nearest rank below).
func quantile(xs []float64, q float64) float64 {
	slices.Sort(xs)
	k := int(float64(len(xs)) * q)
	return xs[min(max(k, 0), len(xs)-1)]
}
