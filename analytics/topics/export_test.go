package topics

import "math"

// NearestNeighbourAccuracy is the share of the questions with a topic
// (truth not "") whose most similar other question is on the same topic,
// by the similarity at textWeight: 0 is the vectors' cosine alone, 1 the
// words alone. It measures how well a similarity separates topics before
// any clustering; the external evaluation test uses it.
func NearestNeighbourAccuracy(qs []Question, truth []string, textWeight float64) float64 {
	pts, _ := preparePoints(qs) // qs are in id order, so pts[i] is qs[i]
	buildVocabulary(pts)
	sim := func(i, j int) float64 {
		var v float64
		if textWeight < 1 {
			// The raw cosine: a ranking is blind to the centring.
			v = float64(dot(pts[i].unit, pts[j].unit))
		}
		return (1-textWeight)*v + textWeight*sparseDot(pts[i].terms, pts[j].terms)
	}
	hits, total := 0, 0
	for i := range pts {
		if truth[i] == "" {
			continue
		}
		best, bestJ := math.Inf(-1), -1
		for j := range pts {
			if j != i {
				if s := sim(i, j); s > best {
					best, bestJ = s, j
				}
			}
		}
		total++
		if truth[bestJ] == truth[i] {
			hits++
		}
	}
	if total == 0 {
		return 1
	}
	return float64(hits) / float64(total)
}

// SyntheticScores are the scores of Cluster on synthetic questions.
type SyntheticScores = syntheticScores

// SyntheticQuality clusters n synthetic questions shaped like those of
// questions.json (syntheticSet) in the given number of planted topics,
// with or without the chance guards of noise.go.
func SyntheticQuality(n, topics int, guards bool) (SyntheticScores, error) {
	s, _, _, err := scoreSynthetic(n, topics, guards)
	return s, err
}
