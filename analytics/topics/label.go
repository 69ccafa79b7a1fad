package topics

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Labels come from class-based tf-idf (c-TF-IDF, as in BERTopic): all
// questions of a topic are one document, the questions in no topic are one
// more, and a term (a word or two adjacent words) scores
//
//	tf(t, c) · ln(1 + A / f(t))
//
// where tf(t, c) is how many of the topic's questions have the term, f(t)
// how many questions have it overall and A the mean number of terms per
// document. A term every topic uses scores low everywhere; a term most of
// one topic's questions use and few others do scores high there.

type topicLabel struct {
	label string
	terms []string
}

type termCount struct {
	questions int            // how many questions of the class have the term
	surfaces  map[string]int // how the term was written, and how often
}

// labelTopics labels every topic (a list of point indices) with its best
// terms. The questions outside all topics are the background document.
func labelTopics(pts []point, topics [][]int, opts Options) []topicLabel {
	inTopic := make([]bool, len(pts))
	for _, m := range topics {
		for _, p := range m {
			inTopic[p] = true
		}
	}
	var background []int
	for i := range pts {
		if !inTopic[i] {
			background = append(background, i)
		}
	}
	docs := topics
	if len(background) > 0 {
		docs = append(slices.Clone(topics), background)
	}
	counts := make([]map[string]*termCount, len(docs))
	overall := map[string]int{}
	total := 0
	for d, members := range docs {
		counts[d] = map[string]*termCount{}
		for _, p := range members {
			for key, surface := range questionTerms(pts[p].words) {
				tc := counts[d][key]
				if tc == nil {
					tc = &termCount{surfaces: map[string]int{}}
					counts[d][key] = tc
				}
				tc.questions++
				tc.surfaces[surface]++
				overall[key]++
				total++
			}
		}
	}
	meanTerms := float64(total) / float64(len(docs))

	labels := make([]topicLabel, len(topics))
	for d := range topics {
		type scored struct {
			key, surface string
			score        float64
			questions    int
		}
		var cands []scored
		for key, tc := range counts[d] {
			cands = append(cands, scored{
				key:       key,
				surface:   commonest(tc.surfaces),
				score:     float64(tc.questions) * math.Log(1+meanTerms/float64(overall[key])),
				questions: tc.questions,
			})
		}
		slices.SortFunc(cands, func(a, b scored) int {
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
			return cmp.Compare(a.key, b.key)
		})
		// A term of a single question says little about a topic; it is used
		// only when too few terms are shared.
		var keys, surfaces []string
		for _, minQuestions := range []int{2, 1} {
			for _, c := range cands {
				if len(keys) >= opts.MaxTerms {
					break
				}
				if c.questions >= minQuestions {
					keys, surfaces = addTerm(keys, surfaces, c.key, c.surface)
				}
			}
			if len(keys) >= opts.LabelTerms {
				break
			}
		}
		labels[d] = topicLabel{terms: surfaces}
		if surfaces == nil {
			labels[d].terms = []string{}
		}
	}
	distinctLabels(labels, opts.LabelTerms)
	return labels
}

// questionTerms are a question's terms, each once: its words (not their
// parts) and its bigrams (two adjacent words, keys joined by a space), with how they were
// written.
func questionTerms(ws []word) map[string]string {
	terms := make(map[string]string, 2*len(ws))
	prev := -1
	for i, w := range ws {
		if w.part {
			// "origin" of Access-Control-Allow-Origin helps find similar
			// questions, but a label reads better with the whole name.
			continue
		}
		if _, ok := terms[w.key]; !ok {
			terms[w.key] = w.surface
		}
		if w.joined && prev >= 0 && ws[prev].key != w.key {
			k := ws[prev].key + " " + w.key
			if _, ok := terms[k]; !ok {
				terms[k] = ws[prev].surface + " " + w.surface
			}
		}
		prev = i
	}
	return terms
}

// addTerm adds a term unless it repeats one already chosen: a word inside a
// chosen bigram is skipped, so is a bigram sharing a word with a chosen
// bigram ("terraform plan" after "terraform state"), and a bigram replaces
// the chosen words it contains (taking the place of the first).
func addTerm(keys, surfaces []string, key, surface string) ([]string, []string) {
	if slices.Contains(keys, key) {
		return keys, surfaces
	}
	parts := strings.Split(key, " ")
	if len(parts) == 1 {
		for _, k := range keys {
			if slices.Contains(strings.Split(k, " "), key) {
				return keys, surfaces
			}
		}
		return append(keys, key), append(surfaces, surface)
	}
	for _, k := range keys {
		if kp := strings.Split(k, " "); len(kp) == 2 && (slices.Contains(kp, parts[0]) || slices.Contains(kp, parts[1])) {
			return keys, surfaces
		}
	}
	at := -1
	var outK, outS []string
	for i, k := range keys {
		if slices.Contains(parts, k) {
			if at < 0 {
				at = len(outK)
				outK, outS = append(outK, key), append(outS, surface)
			}
			continue
		}
		outK, outS = append(outK, k), append(outS, surfaces[i])
	}
	if at < 0 {
		outK, outS = append(outK, key), append(outS, surface)
	}
	return outK, outS
}

// commonest is the most frequent surface form, the smallest on a tie.
func commonest(surfaces map[string]int) string {
	best, n := "", 0
	for s, c := range surfaces {
		if c > n || c == n && s < best {
			best, n = s, c
		}
	}
	return best
}

// distinctLabels sets every label from its first terms, using more terms
// where two topics would otherwise share a label, and a number where even
// all their terms agree.
func distinctLabels(labels []topicLabel, labelTerms int) {
	make1 := func(terms []string, n int) string {
		if len(terms) == 0 {
			return "untitled"
		}
		return strings.Join(terms[:min(n, len(terms))], " · ")
	}
	for i := range labels {
		labels[i].label = make1(labels[i].terms, labelTerms)
	}
	for n := labelTerms + 1; ; n++ {
		dup := duplicates(labels)
		if len(dup) == 0 {
			return
		}
		grew := false
		for i := range labels {
			if dup[labels[i].label] && len(labels[i].terms) >= n {
				labels[i].label = make1(labels[i].terms, n)
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	seen := map[string]int{}
	for i := range labels {
		base := labels[i].label
		seen[base]++
		if seen[base] > 1 {
			labels[i].label = base + " (" + strconv.Itoa(seen[base]) + ")"
		}
	}
}

func duplicates(labels []topicLabel) map[string]bool {
	count := map[string]int{}
	for _, l := range labels {
		count[l.label]++
	}
	dup := map[string]bool{}
	for l, c := range count {
		if c > 1 {
			dup[l] = true
		}
	}
	return dup
}
