package topics

import "math"

// dot is the float32 dot product, with four accumulators so that the adds
// do not wait on each other.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	k := 0
	for ; k+3 < len(a); k += 4 {
		s0 += a[k] * b[k]
		s1 += a[k+1] * b[k+1]
		s2 += a[k+2] * b[k+2]
		s3 += a[k+3] * b[k+3]
	}
	for ; k < len(a); k++ {
		s0 += a[k] * b[k]
	}
	return (s0 + s1) + (s2 + s3)
}

// tailParts is how many parts dotAtLeast splits a vector into.
const tailParts = 4

// tails are the lengths of a vector's last 3/4, 2/4 and 1/4, for
// dotAtLeast.
type tails [tailParts - 1]float64

func tailsOf(v []float32) tails {
	var t tails
	var sum float64
	for p := tailParts - 1; p >= 1; p-- {
		for _, x := range v[p*len(v)/tailParts : (p+1)*len(v)/tailParts] {
			sum += float64(x) * float64(x)
		}
		t[p-1] = math.Sqrt(sum)
	}
	return t
}

// dotAtLeast is dot(a, b) if it may be at least need, and false once it
// cannot be: after each quarter, the rest of the sum is at most the product
// of the rest's lengths (Cauchy–Schwarz). Most pairs of unrelated questions
// are ruled out after a quarter or a half of the work.
func dotAtLeast(a, b []float32, ta, tb *tails, need float64) (float32, bool) {
	b = b[:len(a)]
	var sum float32
	for p := range tailParts {
		lo, hi := p*len(a)/tailParts, (p+1)*len(a)/tailParts
		sum += dot(a[lo:hi], b[lo:hi])
		if p < tailParts-1 && float64(sum)+ta[p]*tb[p]*(1+1e-6)+1e-6 < need {
			return sum, false
		}
	}
	return sum, true
}

func dot64(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for k, x := range a {
		s += x * b[k]
	}
	return s
}

func dot64x32(a []float64, b []float32) float64 {
	b = b[:len(a)]
	var s float64
	for k, x := range a {
		s += x * float64(b[k])
	}
	return s
}

func sqrt(x float64) float64 { return math.Sqrt(max(x, 0)) }

// sparseDot is the dot product of two vectors sorted by term.
func sparseDot(a, b []termWeight) float64 {
	var s float64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].term < b[j].term:
			i++
		case a[i].term > b[j].term:
			j++
		default:
			s += a[i].weight * b[j].weight
			i++
			j++
		}
	}
	return s
}

// sparseAdd returns a+b as a new vector.
func sparseAdd(a, b []termWeight) []termWeight {
	out := make([]termWeight, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i].term < b[j].term:
			out = append(out, a[i])
			i++
		case i == len(a) || a[i].term > b[j].term:
			out = append(out, b[j])
			j++
		default:
			out = append(out, termWeight{term: a[i].term, weight: a[i].weight + b[j].weight})
			i++
			j++
		}
	}
	return out
}

func mergeSorted(a, b []int) []int {
	out := make([]int, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] < b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}
