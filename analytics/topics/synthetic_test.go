package topics

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// syntheticSet is n questions shaped like those of questions.json embedded
// with USE-Lite: every vector leans on one shared direction (unrelated
// questions have a cosine near 0.39), a topic's questions also on the
// topic's direction (near 0.48 within a topic), and the rest is noise. A
// topic's questions draw three or four of the topic's six words, the first
// ones more often; every question draws three to six general words from a
// Zipf distribution (the commonest in about 5% of questions, like "test"
// or "build" in real ones) and stop words. The parameters were set so that
// the share of same-topic pairs above the default Threshold (15%; 21% in
// questions.json) and of other pairs (0.34%; 0.35%) come close to the
// labeled set's: the synthetic topics are a little harder.
// A share of the questions are one-offs. truth[i] is the planted topic of
// question i, -1 for a one-off.
func syntheticSet(n, dim, topicCount int, oneOffShare float64, seed uint64) (qs []Question, truth []int) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	unit := func() []float64 {
		v := make([]float64, dim)
		var norm float64
		for k := range v {
			v[k] = r.NormFloat64()
			norm += v[k] * v[k]
		}
		for k := range v {
			v[k] /= math.Sqrt(norm)
		}
		return v
	}
	shared := unit()
	dirs := make([][]float64, topicCount)
	vocab := make([][]string, topicCount)
	for t := range dirs {
		dirs[t] = unit()
		for w := range 6 {
			vocab[t] = append(vocab[t], "topic"+strconv.Itoa(t)+"word"+strconv.Itoa(w))
		}
	}
	general := rand.NewZipf(r, 1.1, 20, 30000)
	stop := []string{"how", "do", "i", "the", "a", "why", "is", "my", "to", "with", "fix", "error"}
	// Topic sizes fall off like 1/rank: a few big topics, many small ones.
	weights := make([]float64, topicCount)
	var total float64
	for t := range weights {
		weights[t] = 1 / float64(t+1)
		total += weights[t]
	}
	const a, b = 0.624, 0.3 // shared direction, topic direction
	sigma := math.Sqrt(1 - a*a - b*b)
	for i := range n {
		topic := -1
		if r.Float64() >= oneOffShare {
			x := r.Float64() * total
			for topic = 0; topic < topicCount-1 && x >= weights[topic]; topic++ {
				x -= weights[topic]
			}
		}
		noise := unit()
		v := make([]float32, dim)
		for k := range v {
			x := a*shared[k] + sigma*noise[k]
			if topic >= 0 {
				x += b * dirs[topic][k]
			}
			v[k] = float32(x)
		}
		var words []string
		if topic >= 0 {
			// A topic's first words are its commonest ("rebase" before
			// "rerere").
			for range 3 + r.IntN(2) {
				words = append(words, vocab[topic][min(r.IntN(len(vocab[topic])), r.IntN(len(vocab[topic])), r.IntN(len(vocab[topic])))])
			}
		}
		for range 3 + r.IntN(4) {
			words = append(words, "word"+strconv.FormatUint(general.Uint64(), 10))
		}
		for range 3 {
			words = append(words, stop[r.IntN(len(stop))])
		}
		r.Shuffle(len(words), func(x, y int) { words[x], words[y] = words[y], words[x] })
		qs = append(qs, Question{ID: int64(1000 + 7*i), Text: strings.Join(words, " "), Vector: v})
		truth = append(truth, topic)
	}
	return qs, truth
}

// syntheticScores measure Cluster on a synthetic set against its planted
// topics.
type syntheticScores struct {
	Questions, Topics int
	Purity            float64 // share of clustered questions in their topic's majority
	TopicShare        float64 // share of the topic questions clustered
	OneOffShare       float64 // share of the one-offs in some topic
}

func scoreSynthetic(n, topics int, guards bool) (syntheticScores, Result, []Question, error) {
	qs, truth := syntheticSet(n, 512, topics, 0.4, 9)
	res, err := Cluster(qs, Options{noChanceGuards: !guards})
	if err != nil {
		return syntheticScores{}, res, qs, err
	}
	index := map[int64]int{}
	oneOffs := 0
	for i, q := range qs {
		index[q.ID] = i
		if truth[i] < 0 {
			oneOffs++
		}
	}
	clustered, majority, oneOffsIn := 0, 0, 0
	for _, tp := range res.Topics {
		count := map[int]int{}
		for _, id := range tp.Questions {
			if tr := truth[index[id]]; tr >= 0 {
				count[tr]++
			} else {
				oneOffsIn++
			}
		}
		best := 0
		for _, c := range count {
			best = max(best, c)
		}
		clustered += len(tp.Questions)
		majority += best
	}
	return syntheticScores{
		Questions:   n,
		Topics:      len(res.Topics),
		Purity:      float64(majority) / float64(max(clustered, 1)),
		TopicShare:  float64(clustered-oneOffsIn) / float64(n-oneOffs),
		OneOffShare: float64(oneOffsIn) / float64(oneOffs),
	}, res, qs, nil
}
