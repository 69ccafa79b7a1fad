package bench

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/context-intelligence/ctxintel/search"
)

// Calibration compares cosine similarities of the synthetic vectors with
// those the real model gives on the same generated chunks.
type Calibration struct {
	Chunks, Conversations, Topics int
	Real, Synthetic               CosineStats
}

// CosineStats summarises the pairwise cosine similarities of a sample.
type CosineStats struct {
	SameConversation float64 `json:"same_conversation"` // mean over pairs of chunks of one conversation
	SameTopic        float64 `json:"same_topic"`        // chunks of different conversations, same topic
	OtherTopic       float64 `json:"other_topic"`       // chunks of different topics
	NearestNeighbour float64 `json:"nearest_neighbour"` // mean cosine of each chunk's nearest other chunk
	// NeighbourSameTopic is the share of chunks whose nearest neighbour
	// has the same topic.
	NeighbourSameTopic float64 `json:"neighbour_same_topic"`
}

// Calibrate embeds chunks of perTopic conversations of each of nTopics
// topics with model and compares them with the synthetic vectors.
func Calibrate(ctx context.Context, p *Plan, model search.Embedder, nTopics, perTopic, chunksPerConv int) (Calibration, error) {
	type sample struct {
		conv, topic int
		text        string
		vec         []float32
	}
	var samples []sample
	counts := map[int]int{}
	o := &p.Orgs[0]
	for i := 0; i < len(o.ConvLengths) && len(counts) <= nTopics; i++ {
		c := p.Conversation(o, i)
		if c.Topic >= nTopics || counts[c.Topic] >= perTopic || len(c.Messages) < 2 {
			continue
		}
		counts[c.Topic]++
		vecs := p.ConversationVectors(c)
		n := 0
		for mi, m := range c.Messages {
			for _, cv := range vecs[mi] {
				if n == chunksPerConv {
					break
				}
				samples = append(samples, sample{conv: i, topic: c.Topic, text: m.Text[cv.Start:cv.End], vec: cv.Vector})
				n++
			}
		}
		done := true
		for t := range nTopics {
			if counts[t] < perTopic {
				done = false
			}
		}
		if done {
			break
		}
	}
	texts := make([]string, len(samples))
	synth := make([][]float32, len(samples))
	for i, s := range samples {
		texts[i], synth[i] = s.text, s.vec
	}
	real, err := model.Embed(ctx, texts)
	if err != nil {
		return Calibration{}, fmt.Errorf("calibrate: %w", err)
	}
	stats := func(vecs [][]float32) CosineStats {
		var sums [3]float64
		var ns [3]int
		var nn float64
		nnSame := 0
		for i := range vecs {
			best, bestJ := -2.0, -1
			for j := range vecs {
				if i == j {
					continue
				}
				c := cosine(vecs[i], vecs[j])
				if c > best {
					best, bestJ = c, j
				}
				if j < i {
					continue
				}
				k := 2
				switch {
				case samples[i].conv == samples[j].conv:
					k = 0
				case samples[i].topic == samples[j].topic:
					k = 1
				}
				sums[k] += c
				ns[k]++
			}
			nn += best
			if samples[bestJ].topic == samples[i].topic {
				nnSame++
			}
		}
		return CosineStats{SameConversation: sums[0] / float64(max(1, ns[0])), SameTopic: sums[1] / float64(max(1, ns[1])),
			OtherTopic: sums[2] / float64(max(1, ns[2])), NearestNeighbour: nn / float64(len(vecs)),
			NeighbourSameTopic: float64(nnSame) / float64(len(vecs))}
	}
	convs := map[int]bool{}
	for _, s := range samples {
		convs[s.conv] = true
	}
	return Calibration{Chunks: len(samples), Conversations: len(convs), Topics: len(counts), Real: stats(real), Synthetic: stats(synth)}, nil
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / (sqrt(na) * sqrt(nb))
}

// percentile of sorted values, nearest-rank.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sortedCopy(v []float64) []float64 {
	out := append([]float64(nil), v...)
	sort.Float64s(out)
	return out
}

func sqrt(x float64) float64 { return math.Sqrt(x) }
