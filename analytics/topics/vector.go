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
