package warehouse

import (
	"context"

	"github.com/google/uuid"
)

// KeywordSearchNarrowBelow and SemanticSearchNarrowBelow are the searches
// with another narrow-scope limit than narrowConversations, so that tests
// with few conversations reach both ways of searching.
func KeywordSearchNarrowBelow(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, kq KeywordQuery, f SearchFilter, limit, narrowLimit int) ([]MessageHit, error) {
	return keywordSearch(ctx, q, orgID, v, kq, f, limit, narrowLimit)
}

func SemanticSearchNarrowBelow(ctx context.Context, q Querier, orgID uuid.UUID, v Viewer, sq SemanticQuery, f SearchFilter, limit, narrowLimit int) ([]MessageHit, error) {
	return semanticSearch(ctx, q, orgID, v, sq, f, limit, narrowLimit)
}
