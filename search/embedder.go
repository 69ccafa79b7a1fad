// Package search finds conversations: keyword search (Postgres full text
// plus trigram matching for identifiers, paths and error strings), semantic
// search over message embeddings (pgvector), and hybrid search fusing both.
// It owns the embedding providers: the built-in USE-Lite model, a pure-Go
// forward pass over its published weights, and any OpenAI-compatible
// /v1/embeddings service.
//
// Every query is scoped to the caller's organization and visibility; this
// package never reads another org's rows and never writes conversations.
package search

import "context"

// Embedder turns texts into L2-normalised vectors.
type Embedder interface {
	// Embed returns one vector per text, in order.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Model names the model and its vector size, e.g. "use-lite" or
	// "openai:text-embedding-3-large"; it is stored with every vector so
	// that vectors of different models are never compared.
	Model() string
	// Dimensions is the length of every vector.
	Dimensions() int
}
