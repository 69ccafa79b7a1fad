package topics

// link is a candidate merge: clusters a < b at similarity sim, valid while
// both still have the versions va and vb.
type link struct {
	sim    float64
	a, b   int32
	va, vb uint32
}

// before orders the heap: the highest similarity first, then the smallest
// clusters' indices, so that ties never depend on the input order.
func (l link) before(m link) bool {
	if l.sim != m.sim {
		return l.sim > m.sim
	}
	if l.a != m.a {
		return l.a < m.a
	}
	return l.b < m.b
}

// linkHeap is a binary max-heap of links.
type linkHeap struct{ items []link }

func (h *linkHeap) len() int { return len(h.items) }

func (h *linkHeap) push(l link) {
	h.items = append(h.items, l)
	i := len(h.items) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !h.items[i].before(h.items[parent]) {
			break
		}
		h.items[i], h.items[parent] = h.items[parent], h.items[i]
		i = parent
	}
}

func (h *linkHeap) pop() link {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items = h.items[:last]
	i := 0
	for {
		l, r, best := 2*i+1, 2*i+2, i
		if l < last && h.items[l].before(h.items[best]) {
			best = l
		}
		if r < last && h.items[r].before(h.items[best]) {
			best = r
		}
		if best == i {
			return top
		}
		h.items[i], h.items[best] = h.items[best], h.items[i]
		i = best
	}
}
