package redact

// Findings counts redacted secrets by rule id, e.g. {"github-pat": 2}. It
// never holds a secret. A nil Findings means nothing was redacted.
type Findings map[string]int

// Add adds the counts of o to f, allocating f when it is nil, so that a zero
// Findings can total several Redact calls.
func (f *Findings) Add(o Findings) {
	if len(o) == 0 {
		return
	}
	if *f == nil {
		*f = make(Findings, len(o))
	}
	for id, n := range o {
		(*f)[id] += n
	}
}

// Total is the number of secrets redacted, over all rules.
func (f Findings) Total() int {
	total := 0
	for _, n := range f {
		total += n
	}
	return total
}
