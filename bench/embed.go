package bench

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/context-intelligence/ctxintel/search"
)

// EmbeddingResult is the real model's time: one query at a time, as
// Service.Search embeds it (uncached), and chunks in batches of 64, as the
// embedding job does.
type EmbeddingResult struct {
	Model        string      `json:"model"`
	Queries      int         `json:"queries"`
	QueryP50     float64     `json:"query_p50_ms"`
	QueryP95     float64     `json:"query_p95_ms"`
	QueryMax     float64     `json:"query_max_ms"`
	Chunks       int         `json:"chunks"`
	ChunksPerSec float64     `json:"chunks_per_sec"`
	Calibration  Calibration `json:"calibration"`
}

func measureQueryEmbedding(ctx context.Context, m *search.USELite, p *Plan) (EmbeddingResult, error) {
	r := EmbeddingResult{Model: m.Model()}
	qs := p.Queries(150, 1)
	var ms []float64
	for _, q := range qs {
		parsed, err := search.ParseQuery(q.Text)
		if err != nil {
			return r, err
		}
		t0 := time.Now()
		if _, err := m.Embed(ctx, []string{parsed.Text}); err != nil {
			return r, fmt.Errorf("embed query %q: %w", q.Text, err)
		}
		ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
	}
	sort.Float64s(ms)
	r.Queries = len(ms)
	r.QueryP50, r.QueryP95, r.QueryMax = percentile(ms, 50), percentile(ms, 95), ms[len(ms)-1]

	// Document chunks, batched as the embedding job does.
	var texts []string
	o := &p.Orgs[0]
	for i := 0; len(texts) < 128; i++ {
		for _, msg := range p.Conversation(o, i).Messages {
			for _, sp := range search.Chunk(msg.Text, 400) {
				texts = append(texts, msg.Text[sp[0]:sp[1]])
			}
		}
	}
	texts = texts[:128]
	t0 := time.Now()
	for i := 0; i < len(texts); i += 64 {
		if _, err := m.Embed(ctx, texts[i:i+64]); err != nil {
			return r, err
		}
	}
	r.Chunks = len(texts)
	r.ChunksPerSec = float64(len(texts)) / time.Since(t0).Seconds()

	cal, err := Calibrate(ctx, p, m, 6, 8, 4)
	if err != nil {
		return r, err
	}
	r.Calibration = cal
	return r, nil
}
