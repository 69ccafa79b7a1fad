package topics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Question is one user question to cluster.
type Question struct {
	// ID identifies the question (its message id). IDs must be unique;
	// ordering and every tie-break use them, so the input order never
	// matters.
	ID int64
	// Text is the question as the user wrote it (already redacted). Its
	// words name the topics and count towards similarity.
	Text string
	// Vector is the question's embedding: any dimension, not necessarily
	// normalised. All questions should come from the same model.
	Vector []float32
}

// Topic is a group of questions people keep asking about.
type Topic struct {
	// Label is the first terms of Terms joined by " · ", e.g.
	// "jwt · token expiry · refresh"; labels of one result are distinct.
	Label string
	// Terms are the topic's most distinctive words and two-word phrases,
	// best first (at most MaxTerms).
	Terms []string
	// Questions are the ids of the topic's questions, ascending.
	Questions []int64
	// Centroid is the unit-length mean of the questions' unit vectors, in
	// the space of the input vectors.
	Centroid []float32
	// Cohesion is the mean similarity between two different questions of
	// the topic, as the clustering measures it (see the package
	// documentation): at least about JoinThreshold, 0.1 to 0.25 for the
	// topics of the labeled sets, 1 for a topic of one question.
	Cohesion float64
}

// Skipped is a question Cluster could not place because of its vector.
type Skipped struct {
	ID     int64
	Reason string // e.g. "vector has 384 dimensions, most others 512"
}

// Result is what Cluster found.
type Result struct {
	// Topics, sorted by size (descending), then label.
	Topics []Topic
	// Unclustered are the ids of questions that belong to no topic: one-off
	// questions, members of groups smaller than MinClusterSize and of the
	// topics beyond MaxTopics. Ascending.
	Unclustered []int64
	// Skipped are the questions left out for an unusable vector, by id.
	Skipped []Skipped
}

// Options tune Cluster. The zero value is the default configuration; the
// defaults were tuned on testdata/questions.json with the USE-Lite model
// (see the package documentation) and may need tuning for another model.
type Options struct {
	// MinClusterSize is the smallest group reported as a topic: fewer
	// questions are not something people keep asking about, so they go to
	// Result.Unclustered. Default 3.
	MinClusterSize int
	// MaxTopics caps the number of topics (the largest are kept; the
	// others' questions go to Result.Unclustered). Labels do not depend on
	// it. Default 0: no cap.
	MaxTopics int
	// Threshold is where the first merging stops: two groups merge only
	// while the mean similarity between their questions is at least this.
	// Higher gives smaller, tighter topics and more unclustered questions.
	// From 300 questions on, the bar may rise above it to keep chance links
	// rare (see the package documentation). In (0, 1]. Default
	// DefaultThreshold.
	Threshold float64
	// JoinThreshold is the lower bar of the second step: topics (groups of
	// at least MinClusterSize) merge while their mean similarity is at
	// least this, and each question left over joins the topic it is most
	// similar to on average if that is at least this (a bar that may rise
	// from 30 topics on, like Threshold's). In (0, Threshold]. Default
	// DefaultJoinThreshold, or Threshold if that is lower.
	JoinThreshold float64
	// TextWeight is the share of word similarity in the similarity of two
	// questions; the vectors have the rest. In (0, 1]; ignored with
	// VectorsOnly. Default DefaultTextWeight.
	TextWeight float64
	// VectorsOnly clusters on the vectors alone, ignoring the words for
	// similarity (labels still use them). Cluster does so anyway when no
	// question has a word. It compares every pair of questions: 5,000
	// questions take about 6.5 s of CPU instead of 0.5 s
	// (BenchmarkClusterVectorsOnly), and the default thresholds were not
	// tuned for it. Default false.
	VectorsOnly bool
	// MaxTerms is how many terms each topic lists in Topic.Terms.
	// Default 8.
	MaxTerms int
	// LabelTerms is how many of the terms make the label. Default 3.
	LabelTerms int
	// MaxQuestions is the most questions Cluster accepts, a guard on time
	// and memory, which grow with the square of the count in the worst
	// case (every question similar to every other). Cluster returns an
	// error above it: cluster a narrower time window or a sample.
	// Default 20,000.
	MaxQuestions int

	noChanceGuards bool // for the evaluation of the guards only
}

// Defaults of Options.
const (
	DefaultThreshold     = 0.14
	DefaultJoinThreshold = 0.06
	DefaultTextWeight    = 0.80
)

func (o Options) withDefaults() (Options, error) {
	if o.MinClusterSize == 0 {
		o.MinClusterSize = 3
	}
	if o.Threshold == 0 {
		o.Threshold = DefaultThreshold
	}
	if o.JoinThreshold == 0 {
		o.JoinThreshold = min(DefaultJoinThreshold, o.Threshold)
	}
	if o.TextWeight == 0 {
		o.TextWeight = DefaultTextWeight
	}
	if o.MaxTerms == 0 {
		o.MaxTerms = 8
	}
	if o.LabelTerms == 0 {
		o.LabelTerms = min(3, o.MaxTerms)
	}
	if o.MaxQuestions == 0 {
		o.MaxQuestions = 20000
	}
	switch {
	case o.MinClusterSize < 1:
		return o, fmt.Errorf("options: MinClusterSize is %d, want at least 1", o.MinClusterSize)
	case o.MaxTopics < 0:
		return o, fmt.Errorf("options: MaxTopics is %d, want 0 (no cap) or more", o.MaxTopics)
	case !(o.Threshold > 0 && o.Threshold <= 1):
		return o, fmt.Errorf("options: Threshold is %v, want a value in (0, 1]", o.Threshold)
	case !(o.JoinThreshold > 0 && o.JoinThreshold <= o.Threshold):
		return o, fmt.Errorf("options: JoinThreshold is %v, want a value in (0, Threshold] = (0, %v]", o.JoinThreshold, o.Threshold)
	case !(o.TextWeight > 0 && o.TextWeight <= 1):
		return o, fmt.Errorf("options: TextWeight is %v, want a value in (0, 1]", o.TextWeight)
	case o.MaxTerms < 1:
		return o, fmt.Errorf("options: MaxTerms is %d, want at least 1", o.MaxTerms)
	case o.LabelTerms < 1 || o.LabelTerms > o.MaxTerms:
		return o, fmt.Errorf("options: LabelTerms is %d, want 1 to MaxTerms (%d)", o.LabelTerms, o.MaxTerms)
	case o.MaxQuestions < 1:
		return o, fmt.Errorf("options: MaxQuestions is %d, want at least 1", o.MaxQuestions)
	}
	return o, nil
}

// Cluster groups questions into topics. It returns an error only for
// invalid options, duplicate ids and more than MaxQuestions questions;
// questions with unusable vectors are skipped and listed in
// Result.Skipped. The same questions in any order give the same Result.
func Cluster(qs []Question, opts Options) (Result, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return Result{}, fmt.Errorf("cluster questions: %w", err)
	}
	sorted := slices.Clone(qs)
	slices.SortFunc(sorted, func(a, b Question) int { return cmp.Compare(a.ID, b.ID) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].ID == sorted[i-1].ID {
			return Result{}, fmt.Errorf("cluster questions: question id %d appears more than once", sorted[i].ID)
		}
	}
	pts, skipped := preparePoints(sorted)
	if len(pts) > opts.MaxQuestions {
		return Result{}, fmt.Errorf("cluster questions: %d questions, more than MaxQuestions (%d): cluster a narrower window or a sample",
			len(pts), opts.MaxQuestions)
	}
	res := Result{Topics: []Topic{}, Unclustered: []int64{}, Skipped: skipped}
	if len(pts) == 0 {
		return res, nil
	}

	vocab := buildVocabulary(pts)
	textWeight := opts.TextWeight
	if opts.VectorsOnly || vocab.empty() {
		textWeight = 0
	}
	// At scale the bars rise above the thresholds to keep chance links
	// few (see chanceLinks).
	threshold := opts.Threshold
	if chance := chanceLinks / float64(len(pts)); chance <= maxChance && !opts.noChanceGuards {
		threshold = max(threshold, chanceLevel(pts, 1-textWeight, textWeight, chance))
	}
	m := newMerger(pts, textWeight, threshold)
	m.connectPairs(vocab)
	m.run()
	m.mergeCores(opts.MinClusterSize, opts.JoinThreshold)
	join := opts.JoinThreshold
	cores := m.clusters(func(c *cluster) bool { return c.size >= opts.MinClusterSize })
	if chance := chanceTopics / float64(len(cores)); chance <= maxChance && !opts.noChanceGuards {
		join = max(join, m.attachChanceLevel(cores, chance))
	}
	m.attach(opts.MinClusterSize, join)

	var members [][]int
	for _, g := range m.groups() {
		if len(g) >= opts.MinClusterSize {
			members = append(members, g)
		}
	}
	labels := labelTopics(pts, members, opts)
	for k, g := range members {
		t := Topic{
			Label:     labels[k].label,
			Terms:     labels[k].terms,
			Questions: make([]int64, len(g)),
			Centroid:  centroid(pts, g),
			Cohesion:  m.cohesion(g),
		}
		for i, p := range g {
			t.Questions[i] = pts[p].id
		}
		res.Topics = append(res.Topics, t)
	}
	slices.SortFunc(res.Topics, func(a, b Topic) int {
		if c := cmp.Compare(len(b.Questions), len(a.Questions)); c != 0 {
			return c
		}
		return cmp.Compare(a.Label, b.Label)
	})
	if opts.MaxTopics > 0 && len(res.Topics) > opts.MaxTopics {
		res.Topics = res.Topics[:opts.MaxTopics]
	}
	inTopic := map[int64]bool{}
	for _, t := range res.Topics {
		for _, id := range t.Questions {
			inTopic[id] = true
		}
	}
	for _, p := range pts {
		if !inTopic[p.id] {
			res.Unclustered = append(res.Unclustered, p.id)
		}
	}
	return res, nil
}

// point is a question with a usable vector.
type point struct {
	id    int64
	unit  []float32 // the question's vector, unit length
	vec   []float32 // unit minus the mean of all units (see centerPoints)
	norm  float64   // the length of vec
	tails tails     // the lengths of vec's last parts, for dotAtLeast
	words []word
	terms []termWeight // set by buildVocabulary: unit-length tf-idf
}

// preparePoints keeps the questions whose vectors can be compared: finite,
// non-zero, and of the dimension most questions have (the larger one on a
// tie). The others are returned as skipped, in id order.
func preparePoints(sorted []Question) ([]point, []Skipped) {
	dims := map[int]int{}
	for _, q := range sorted {
		if len(q.Vector) > 0 {
			dims[len(q.Vector)]++
		}
	}
	dim, most := 0, 0
	for d, c := range dims {
		if c > most || c == most && d > dim {
			dim, most = d, c
		}
	}
	var pts []point
	skipped := []Skipped{}
	for _, q := range sorted {
		reason := ""
		var norm float64
		switch {
		case len(q.Vector) == 0:
			reason = "no vector"
		case len(q.Vector) != dim:
			reason = "vector has " + strconv.Itoa(len(q.Vector)) + " dimensions, most others " + strconv.Itoa(dim)
		default:
			for _, x := range q.Vector {
				norm += float64(x) * float64(x)
			}
			switch {
			case math.IsNaN(norm) || math.IsInf(norm, 0):
				// float64 squares of float32 values cannot overflow.
				reason = "vector has a NaN or infinite value"
			case norm == 0:
				reason = "vector is all zeros"
			}
		}
		if reason != "" {
			skipped = append(skipped, Skipped{ID: q.ID, Reason: reason})
			continue
		}
		inv := 1 / math.Sqrt(norm)
		u := make([]float32, dim)
		for k, x := range q.Vector {
			u[k] = float32(float64(x) * inv)
		}
		pts = append(pts, point{id: q.ID, unit: u, words: words(q.Text)})
	}
	centerPoints(pts)
	return pts, skipped
}

// centerPoints sets every point's vec to its unit vector minus the mean unit
// vector of all points, and norm to its length.
//
// Embedding models put all texts of a kind in a narrow cone: two unrelated
// developer questions have a cosine of 0.39 on average under USE-Lite,
// two on the same topic 0.48. Dot products of the centred vectors measure
// what two questions share beyond what every question of the input
// shares, so that thresholds mean the same whatever the model's and the
// corpus's offset. The vectors are not re-normalised: a question close to
// the mean (a generic one) keeps a short vector and links weakly to all.
func centerPoints(pts []point) {
	if len(pts) == 0 {
		return
	}
	dim := len(pts[0].unit)
	mean := make([]float64, dim)
	for _, p := range pts {
		for k, x := range p.unit {
			mean[k] += float64(x)
		}
	}
	for k := range mean {
		mean[k] /= float64(len(pts))
	}
	for i := range pts {
		v := make([]float32, dim)
		var norm float64
		for k, x := range pts[i].unit {
			y := float32(float64(x) - mean[k])
			v[k] = y
			norm += float64(y) * float64(y)
		}
		pts[i].vec, pts[i].norm, pts[i].tails = v, math.Sqrt(norm), tailsOf(v)
	}
}

// centroid is the unit mean of the members' unit vectors.
func centroid(pts []point, members []int) []float32 {
	dim := len(pts[members[0]].unit)
	sum := make([]float64, dim)
	for _, m := range members {
		for k, x := range pts[m].unit {
			sum[k] += float64(x)
		}
	}
	var norm float64
	for _, x := range sum {
		norm += x * x
	}
	if norm == 0 {
		// The vectors cancel out (possible only when words, not vectors,
		// hold the topic together): the first question stands for it.
		return slices.Clone(pts[members[0]].unit)
	}
	out := make([]float32, dim)
	inv := 1 / math.Sqrt(norm)
	for k, x := range sum {
		out[k] = float32(x * inv)
	}
	return out
}
