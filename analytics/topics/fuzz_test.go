package topics

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzCluster clusters small random inputs: vectors of mixed dimensions
// with NaN, infinite, zero and huge values, any text, any options. Cluster
// must not panic, must keep its promises about the Result (checkResult),
// and must give the same Result for the questions in reverse order.
func FuzzCluster(f *testing.F) {
	f.Add([]byte{6, 4, 1, 2, 3, 4, 1, 2, 3, 5, 9, 9, 9, 9, 1, 2, 3, 4, 0, 0, 0, 0}, "docker cache|docker layer cache|jwt expired|jwt refresh", byte(0), byte(0))
	f.Add([]byte{3, 2, 255, 1, 254, 2, 253, 3}, "", byte(1), byte(3))
	f.Add([]byte{10, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 200, 201, 202}, "How do I fix this?|???|rebase conflict|rebase|rebase again", byte(2), byte(1))
	f.Add([]byte{}, "x", byte(7), byte(9))
	f.Fuzz(func(t *testing.T, data []byte, texts string, optByte, thresholdByte byte) {
		qs := fuzzQuestions(data, texts)
		opts := Options{
			MinClusterSize: int(optByte%4) + 1,
			MaxTopics:      int(optByte/4) % 3,
			Threshold:      float64(thresholdByte%20+1) / 20,
			VectorsOnly:    optByte&0x80 != 0,
		}
		if thresholdByte >= 200 {
			opts.Threshold = 0 // the default
		}
		res, err := Cluster(qs, opts)
		if err != nil {
			require.Contains(t, err.Error(), "cluster questions: ")
			return
		}
		checkResult(t, qs, res, opts)
		reversed := slices.Clone(qs)
		slices.Reverse(reversed)
		again, err := Cluster(reversed, opts)
		require.NoError(t, err)
		require.Equal(t, res, again)
	})
}

// fuzzQuestions decodes up to 16 questions from data: a count, a
// dimension, then per question a kind byte (a dimension off by one, a NaN,
// an infinity, a huge value, all zeros, or plain) and its values, each byte
// a value in [-1, 1). Texts are the |-separated parts of texts, in turn.
func fuzzQuestions(data []byte, texts string) []Question {
	next := func() (byte, bool) {
		if len(data) == 0 {
			return 0, false
		}
		b := data[0]
		data = data[1:]
		return b, true
	}
	count, ok := next()
	if !ok {
		return nil
	}
	dim, _ := next()
	parts := strings.Split(texts, "|")
	var qs []Question
	for i := range int(count % 17) {
		kind, _ := next()
		d := int(dim%8) + 1
		if kind%7 == 1 {
			d++
		}
		v := make([]float32, d)
		for k := range v {
			b, _ := next()
			v[k] = float32(int8(b)) / 128
		}
		switch kind % 7 {
		case 2:
			v[0] = float32(math.NaN())
		case 3:
			v[d-1] = float32(math.Inf(-1))
		case 4:
			v[0] = math.MaxFloat32
		case 5:
			clear(v)
		}
		qs = append(qs, Question{ID: int64(i*37%17) - 3, Text: parts[i%len(parts)], Vector: v})
	}
	return dedupeIDs(qs)
}

// dedupeIDs keeps the first question of each id: duplicate ids are an
// error, tested on their own.
func dedupeIDs(qs []Question) []Question {
	seen := map[int64]bool{}
	out := qs[:0]
	for _, q := range qs {
		if !seen[q.ID] {
			seen[q.ID] = true
			out = append(out, q)
		}
	}
	return out
}
