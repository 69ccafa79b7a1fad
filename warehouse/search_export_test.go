package warehouse

import (
	"context"

	"github.com/google/uuid"
)

// SearchTuning overrides the sizes that decide how a search runs, so that
// tests with a few rows reach every way: NarrowConversations -1 never
// searches from the viewer's conversations, KeywordWindow and KeywordDeep
// are the messages read backwards first and then.
type SearchTuning struct {
	NarrowConversations int
	KeywordWindow       int
	KeywordDeep         int
}

func (t SearchTuning) tuning() searchTuning {
	return searchTuning{narrowConversations: t.NarrowConversations, keywordWindow: t.KeywordWindow, keywordDeep: t.KeywordDeep}
}

func KeywordSearchTuned(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, kq KeywordQuery, f SearchFilter, limit int, t SearchTuning) ([]MessageHit, error) {
	return keywordSearch(ctx, q, orgID, v, kq, f, limit, t.tuning())
}

func SemanticSearchTuned(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, sq SemanticQuery, f SearchFilter, limit int, t SearchTuning) ([]MessageHit, error) {
	return semanticSearch(ctx, q, orgID, v, sq, f, limit, t.tuning())
}
