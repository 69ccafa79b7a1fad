package topics

import (
	"cmp"
	"slices"
	"sort"
)

// The similarity of two questions p and q is
//
//	sim(p, q) = (1−w)·(v_p · v_q) + w·(t_p · t_q)
//
// with v the centred vectors (centerPoints), t the unit tf-idf vectors of
// the questions' words (buildVocabulary) and w the text weight. It is the
// dot product of the concatenated vectors [√(1−w)·v, √w·t], which gives
// average linkage a cheap exact form: the mean similarity between the
// questions of two groups A and B is
//
//	link(A, B) = (Σ_A · Σ_B) / (|A|·|B|)
//
// where Σ is the sum of a group's concatenated vectors. A group is
// therefore kept as its size and its two sums, never as a matrix of pairs.

// cluster is a group of points while the merging runs.
type cluster struct {
	size      int
	vecSum    []float64    // sum of the centred vectors; nil while size is 1
	textSum   []termWeight // sum of the text vectors, by term
	members   []int        // indices of the points, ascending
	neighbors map[int32]struct{}
	version   uint32 // bumped by every merge, to spot stale heap entries
	alive     bool
}

// merger runs average-linkage merging over clusters of points. A cluster
// is known by the index of its smallest point, so every tie-break comes
// down to the order of question ids.
type merger struct {
	pts        []point
	cs         []cluster
	vecWeight  float64
	textWeight float64
	threshold  float64
	heap       linkHeap
}

func newMerger(pts []point, textWeight, threshold float64) *merger {
	m := &merger{pts: pts, cs: make([]cluster, len(pts)), vecWeight: 1 - textWeight, textWeight: textWeight, threshold: threshold}
	for i := range m.cs {
		m.cs[i] = cluster{size: 1, textSum: pts[i].terms, members: []int{i}, alive: true}
	}
	return m
}

// connect records that clusters i < j link at sim, at least the threshold.
func (m *merger) connect(i, j int, sim float64) {
	ci, cj := &m.cs[i], &m.cs[j]
	if ci.neighbors == nil {
		ci.neighbors = map[int32]struct{}{}
	}
	if cj.neighbors == nil {
		cj.neighbors = map[int32]struct{}{}
	}
	ci.neighbors[int32(j)] = struct{}{}
	cj.neighbors[int32(i)] = struct{}{}
	m.heap.push(link{sim: sim, a: int32(i), b: int32(j), va: ci.version, vb: cj.version})
}

// link is the mean similarity between the points of clusters a and b.
func (m *merger) link(a, b int) float64 {
	ca, cb := &m.cs[a], &m.cs[b]
	var v float64
	if m.vecWeight > 0 {
		switch {
		case ca.vecSum != nil && cb.vecSum != nil:
			v = dot64(ca.vecSum, cb.vecSum)
		case ca.vecSum != nil:
			v = dot64x32(ca.vecSum, m.pts[b].vec)
		case cb.vecSum != nil:
			v = dot64x32(cb.vecSum, m.pts[a].vec)
		default:
			v = float64(dot(m.pts[a].vec, m.pts[b].vec))
		}
	}
	s := m.vecWeight*v + m.textWeight*sparseDot(ca.textSum, cb.textSum)
	return s / float64(ca.size*cb.size)
}

// connectPairs connects every pair of points whose similarity is at least
// the threshold, without computing most of the others. A pair's vector
// part is at most (1−w)·|v_p|·|v_q| (Cauchy–Schwarz), so a pair needs its
// vectors compared only if that bound plus its text part reaches the
// threshold. Pairs sharing no word have no text part: with the default
// weights only pairs of unusually long centred vectors qualify, and pairs
// sharing words are found through the words' posting lists.
func (m *merger) connectPairs(vocab *vocabulary) {
	pts := m.pts
	n := len(pts)
	// The points by decreasing vector length: those a point must be
	// compared with whatever their words are a prefix of this order.
	byNorm := make([]int, n)
	for i := range byNorm {
		byNorm[i] = i
	}
	slices.SortStableFunc(byNorm, func(a, b int) int { return cmp.Compare(pts[b].norm, pts[a].norm) })

	const slack = 1 + 1e-6 // float32 dot products may exceed the bound by rounding
	textDot := make([]float64, n)
	var touched []int
	for i := range n {
		touched = touched[:0]
		for _, t := range pts[i].terms {
			post := vocab.postings[t.term]
			start := sort.Search(len(post), func(k int) bool { return int(post[k].point) > i })
			for _, p := range post[start:] {
				j := int(p.point)
				if textDot[j] == 0 {
					touched = append(touched, j)
				}
				textDot[j] += t.weight * p.weight
			}
		}
		// The order of comparing does not matter: the heap orders links
		// completely.
		bound := m.vecWeight * pts[i].norm * slack
		for _, j := range touched {
			if bound*pts[j].norm+m.textWeight*textDot[j] < m.threshold {
				continue
			}
			m.compare(i, j, textDot[j])
		}
		if bound > 0 {
			for _, j := range byNorm {
				if bound*pts[j].norm < m.threshold {
					break
				}
				if j > i && textDot[j] == 0 {
					m.compare(i, j, 0)
				}
			}
		}
		for _, j := range touched {
			textDot[j] = 0
		}
	}
}

// compare connects points i < j if their similarity, given their text
// part, reaches the threshold.
func (m *merger) compare(i, j int, textDot float64) {
	sim := m.textWeight * textDot
	if m.vecWeight > 0 {
		pi, pj := &m.pts[i], &m.pts[j]
		v, ok := dotAtLeast(pi.vec, pj.vec, &pi.tails, &pj.tails, (m.threshold-sim)/m.vecWeight)
		if !ok {
			return
		}
		sim += m.vecWeight * float64(v)
	}
	if sim >= m.threshold {
		m.connect(i, j, sim)
	}
}

// run merges the two most similar clusters while their link is at least
// the threshold, ties going to the pair of smallest indices.
//
// A link is a mean, so two clusters can link at or above the threshold
// only if some pair of their parts does; a merged cluster's link with a
// third is the size-weighted mean of its parts' links, so it can reach the
// threshold only with a third that one of the parts already reached. Hence
// run needs only the connected pairs, and after a merge it recomputes the
// links of the merged cluster with its parts' neighbours alone.
func (m *merger) run() {
	cs := m.cs
	var union []int32
	for m.heap.len() > 0 {
		l := m.heap.pop()
		a, b := int(l.a), int(l.b)
		if !cs[a].alive || !cs[b].alive || cs[a].version != l.va || cs[b].version != l.vb {
			continue // one of them merged since this link was computed
		}
		ca, cb := &cs[a], &cs[b] // b merges into a (a < b)
		union = union[:0]
		for x := range ca.neighbors {
			if int(x) != b {
				union = append(union, x)
			}
		}
		for x := range cb.neighbors {
			if _, dup := ca.neighbors[x]; !dup && int(x) != a {
				union = append(union, x)
			}
		}
		slices.Sort(union)
		for _, x := range union {
			delete(cs[x].neighbors, int32(a))
			delete(cs[x].neighbors, int32(b))
		}
		sum := m.vecSumOf(a)
		if cb.vecSum == nil {
			for k, x := range m.pts[b].vec {
				sum[k] += float64(x)
			}
		} else {
			for k, x := range cb.vecSum {
				sum[k] += x
			}
		}
		ca.textSum = sparseAdd(ca.textSum, cb.textSum)
		ca.size += cb.size
		ca.members = mergeSorted(ca.members, cb.members)
		ca.version++
		ca.neighbors = map[int32]struct{}{}
		*cb = cluster{}

		for _, x := range union {
			if sim := m.link(a, int(x)); sim >= m.threshold {
				m.connect(min(a, int(x)), max(a, int(x)), sim)
			}
		}
	}
}

// vecSumOf is cluster i's vector sum, materialised.
func (m *merger) vecSumOf(i int) []float64 {
	c := &m.cs[i]
	if c.vecSum == nil {
		c.vecSum = make([]float64, len(m.pts[i].vec))
		for k, x := range m.pts[i].vec {
			c.vecSum[k] = float64(x)
		}
	}
	return c.vecSum
}

// mergeCores lowers the threshold and merges the clusters of at least
// minSize points (the cores) again with average linkage; smaller clusters
// take no part. The first pass keeps topics tight where a question's few
// words decide; at the level of whole topics, means over many questions
// are steady enough for the lower bar, which rejoins the pieces one topic
// was split into.
func (m *merger) mergeCores(minSize int, threshold float64) {
	m.threshold = threshold
	cores := m.clusters(func(c *cluster) bool { return c.size >= minSize })
	meanNorm := m.meanNorms(cores)
	for x, a := range cores {
		ca := &m.cs[a]
		for y := x + 1; y < len(cores); y++ {
			b := cores[y]
			cb := &m.cs[b]
			// The vector part is at most the product of the mean vectors'
			// lengths: most pairs of topics are ruled out by their words.
			text := m.textWeight * sparseDot(ca.textSum, cb.textSum) / float64(ca.size*cb.size)
			if text+m.vecWeight*meanNorm[x]*meanNorm[y]*(1+1e-6) < threshold {
				continue
			}
			if sim := m.link(a, b); sim >= threshold {
				m.connect(a, b, sim)
			}
		}
	}
	m.run()
}

// attach moves every point of a cluster smaller than minSize into the core
// it has the highest mean similarity with, if that is at least threshold
// (ties to the core of smaller index). The cores do not change while
// points attach, so neither does the order of points.
func (m *merger) attach(minSize int, threshold float64) {
	cores := m.clusters(func(c *cluster) bool { return c.size >= minSize })
	if len(cores) == 0 {
		return
	}
	// The text parts of a point's mean similarities with all cores, through
	// the cores' words; a core's mean vector bounds the vector part, so
	// the vectors of most cores need no comparing.
	meanNorm := m.meanNorms(cores)
	means := make([][]float32, len(cores))
	meanTails := make([]tails, len(cores))
	for x, c := range cores {
		cc := &m.cs[c]
		means[x] = make([]float32, len(cc.vecSum))
		for k, v := range cc.vecSum {
			means[x][k] = float32(v / float64(cc.size))
		}
		meanTails[x] = tailsOf(means[x])
	}
	byNorm := make([]int, len(cores))
	for x := range byNorm {
		byNorm[x] = x
	}
	slices.SortStableFunc(byNorm, func(x, y int) int { return cmp.Compare(meanNorm[y], meanNorm[x]) })
	type coreWeight struct {
		core   int32 // index into cores
		weight float64
	}
	postings := map[int32][]coreWeight{}
	for x, c := range cores {
		cc := &m.cs[c]
		for _, t := range cc.textSum {
			postings[t.term] = append(postings[t.term], coreWeight{core: int32(x), weight: t.weight / float64(cc.size)})
		}
	}
	text := make([]float64, len(cores))
	seen := make([]bool, len(cores))
	var touched []int
	joins := make(map[int][]int)
	for _, loose := range m.clusters(func(c *cluster) bool { return c.size < minSize }) {
		for _, p := range m.cs[loose].members {
			pt := &m.pts[p]
			touched = touched[:0]
			for _, t := range pt.terms {
				for _, cw := range postings[t.term] {
					if !seen[cw.core] {
						seen[cw.core] = true
						touched = append(touched, int(cw.core))
					}
					text[cw.core] += cw.weight * t.weight
				}
			}
			bound := m.vecWeight * pt.norm * (1 + 1e-6)
			for _, x := range byNorm {
				if bound*meanNorm[x] < threshold {
					break
				}
				if !seen[x] {
					seen[x] = true
					touched = append(touched, x)
				}
			}
			best, bestSim := -1, threshold
			for _, x := range touched {
				sim := m.textWeight * text[x]
				if m.vecWeight > 0 {
					if sim+bound*meanNorm[x] < bestSim {
						continue
					}
					v, ok := dotAtLeast(means[x], pt.vec, &meanTails[x], &pt.tails, (bestSim-sim)/m.vecWeight)
					if !ok {
						continue
					}
					sim += m.vecWeight * float64(v)
				}
				if sim > bestSim || sim == bestSim && (best < 0 || cores[x] < best) {
					best, bestSim = cores[x], sim
				}
			}
			for _, x := range touched {
				text[x], seen[x] = 0, false
			}
			if best >= 0 {
				joins[best] = append(joins[best], p)
			}
		}
	}
	joined := make(map[int]bool)
	for c, ps := range joins {
		cc := &m.cs[c]
		for _, p := range ps {
			joined[p] = true
			cc.textSum = sparseAdd(cc.textSum, m.pts[p].terms)
			for k, x := range m.pts[p].vec {
				cc.vecSum[k] += float64(x)
			}
		}
		slices.Sort(ps)
		cc.members = mergeSorted(cc.members, ps)
		cc.size = len(cc.members)
	}
	for i := range m.cs {
		c := &m.cs[i]
		if c.alive && c.size < minSize {
			c.members = slices.DeleteFunc(c.members, func(p int) bool { return joined[p] })
			c.size = len(c.members)
			if c.size == 0 {
				*c = cluster{}
			}
		}
	}
}

// meanNorms are the lengths of the clusters' mean centred vectors.
func (m *merger) meanNorms(clusters []int) []float64 {
	out := make([]float64, len(clusters))
	for x, c := range clusters {
		sum := m.vecSumOf(c)
		out[x] = sqrt(dot64(sum, sum)) / float64(m.cs[c].size)
	}
	return out
}

// clusters are the indices of the live clusters that keep says to keep,
// ascending.
func (m *merger) clusters(keep func(*cluster) bool) []int {
	var out []int
	for i := range m.cs {
		if m.cs[i].alive && keep(&m.cs[i]) {
			out = append(out, i)
		}
	}
	return out
}

// groups are the members of the live clusters, by smallest member.
func (m *merger) groups() [][]int {
	var gs [][]int
	for _, i := range m.clusters(func(*cluster) bool { return true }) {
		gs = append(gs, m.cs[i].members)
	}
	return gs
}

// cohesion is the mean similarity between two different members, from the
// sums: Σ·Σ counts every pair twice plus each member with itself.
func (m *merger) cohesion(members []int) float64 {
	n := len(members)
	if n < 2 {
		return 1
	}
	vecSum := make([]float64, len(m.pts[members[0]].vec))
	var textSum []termWeight
	var self float64
	for _, p := range members {
		pt := &m.pts[p]
		for k, x := range pt.vec {
			vecSum[k] += float64(x)
		}
		textSum = sparseAdd(textSum, pt.terms)
		self += m.vecWeight * pt.norm * pt.norm
		if len(pt.terms) > 0 {
			self += m.textWeight
		}
	}
	all := m.vecWeight*dot64(vecSum, vecSum) + m.textWeight*sparseDot(textSum, textSum)
	return (all - self) / float64(n*(n-1))
}
