package bench

import (
	"math"
	"math/rand/v2"

	"github.com/context-intelligence/ctxintel/search"
)

// VectorModel draws synthetic embeddings with the structure of real text
// embeddings, so that HNSW behaves as it would on them. Uniform noise would
// not do: in 512 dimensions every random vector is nearly orthogonal to
// every other, nearest neighbours are barely nearer than the rest, and
// HNSW recall collapses (DESIGN measured 0.14-0.21), which says nothing
// about real data.
//
// Real sentence embeddings are anisotropic (every pair of USE-Lite vectors
// of programming chat has a cosine of about 0.6), cluster by subject, and
// vary locally in few dimensions. The model mirrors that with a sum of
// unit-variance components weighted by their share of the energy:
//
//	v = √Global·g + √Topic·t[topic] + √Conv·P·u + √Chunk·P·z + √Ambient·a,  L2-normalised
//
// g is one direction shared by all vectors, t one per topic, u one per
// conversation and z one per chunk (both in a Latent-dimensional subspace
// spanned by the fixed random projection P), and a isotropic noise. A query
// is drawn the same way from its topic, as a chunk of a new conversation.
// The weights are calibrated so that cosine similarities match those the
// real USE-Lite model gives on the generator's texts (BENCHMARKS.md has the
// calibration table).
type VectorModel struct {
	Dims, Latent                        int
	Global, Topic, Conv, Chunk, Ambient float64
	global                              []float64
	topics                              [][]float64
	proj                                []float64 // [Dims][Latent]
}

// NewVectorModel builds the shared directions and the projection.
func NewVectorModel(seed uint64) *VectorModel {
	m := &VectorModel{Dims: 512, Latent: 16, Global: 0.62, Topic: 0.08, Conv: 0.03, Chunk: 0.26, Ambient: 0.01}
	rng := rand.New(rand.NewPCG(seed, 0x76656373)) // "vecs"
	unit := func(n int) []float64 {
		v := make([]float64, n)
		var s float64
		for i := range v {
			v[i] = rng.NormFloat64()
			s += v[i] * v[i]
		}
		for i := range v {
			v[i] /= math.Sqrt(s)
		}
		return v
	}
	m.global = unit(m.Dims)
	for range topics {
		m.topics = append(m.topics, unit(m.Dims))
	}
	m.proj = make([]float64, m.Dims*m.Latent)
	scale := 1 / math.Sqrt(float64(m.Dims))
	for i := range m.proj {
		m.proj[i] = rng.NormFloat64() * scale
	}
	return m
}

// Centre draws a conversation (or query) centre: the topic's part plus
// the conversation's latent offset, before chunk noise.
func (m *VectorModel) Centre(rng *rand.Rand, topic int) []float64 {
	c := make([]float64, m.Dims+m.Latent)
	g, t := math.Sqrt(m.Global), math.Sqrt(m.Topic)
	for i := range m.Dims {
		c[i] = g*m.global[i] + t*m.topics[topic][i]
	}
	s := math.Sqrt(m.Conv / float64(m.Latent))
	for j := range m.Latent {
		c[m.Dims+j] = rng.NormFloat64() * s
	}
	return c
}

// Vector draws a chunk vector around a centre.
func (m *VectorModel) Vector(rng *rand.Rand, centre []float64) []float32 {
	z := make([]float64, m.Latent)
	s := math.Sqrt(m.Chunk / float64(m.Latent))
	for j := range z {
		z[j] = centre[m.Dims+j] + rng.NormFloat64()*s
	}
	out := make([]float32, m.Dims)
	amb := math.Sqrt(m.Ambient / float64(m.Dims))
	var norm float64
	for i := range out {
		row := m.proj[i*m.Latent : (i+1)*m.Latent]
		x := centre[i] + rng.NormFloat64()*amb
		for j, p := range row {
			x += p * z[j]
		}
		out[i] = float32(x)
		norm += x * x
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range out {
		out[i] *= inv
	}
	return out
}

// Query draws a query vector of a topic.
func (m *VectorModel) Query(rng *rand.Rand, topic int) []float32 {
	return m.Vector(rng, m.Centre(rng, topic))
}

// ConversationVectors returns the chunk spans and vectors of every
// message of c, exactly as the embedding job would store them (one vector
// per chunk of at most 400 characters, up to 8 per message).
func (p *Plan) ConversationVectors(c Conversation) [][]ChunkVector {
	rng := p.convRNG(c.Org.FirstConv+c.Index, 1)
	centre := p.vectors.Centre(rng, c.Topic)
	out := make([][]ChunkVector, len(c.Messages))
	for i, m := range c.Messages {
		for _, sp := range search.Chunk(m.Text, 400) {
			out[i] = append(out[i], ChunkVector{Start: sp[0], End: sp[1], Vector: p.vectors.Vector(rng, centre)})
		}
	}
	return out
}

// ChunkVector is one chunk's character range and vector.
type ChunkVector struct {
	Start, End int
	Vector     []float32
}
