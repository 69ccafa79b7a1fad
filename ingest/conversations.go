package ingest

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// ListConversations lists what the viewer may see in their org.
func (s *Service) ListConversations(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, f warehouse.ConversationFilter) ([]warehouse.Conversation, error) {
	var out []warehouse.Conversation
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		out, err = warehouse.ListConversations(ctx, tx, v, f)
		return err
	})
	return out, err
}

// GetConversation returns a conversation with its messages and tool calls,
// if the viewer may see it.
func (s *Service) GetConversation(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, id uuid.UUID) (warehouse.Conversation, []warehouse.Message, error) {
	var c warehouse.Conversation
	var msgs []warehouse.Message
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		if c, err = warehouse.GetConversation(ctx, tx, v, id); err != nil {
			return err
		}
		msgs, err = warehouse.ListMessages(ctx, tx, id)
		return err
	})
	return c, msgs, err
}

// ResolveMember finds a member of the org by e-mail or id, for filters.
func (s *Service) ResolveMember(ctx context.Context, orgID uuid.UUID, emailOrID string) (warehouse.Member, error) {
	var m warehouse.Member
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		if id, perr := uuid.Parse(emailOrID); perr == nil {
			m, err = warehouse.GetMember(ctx, tx, id)
		} else {
			m, err = warehouse.GetMemberByEmail(ctx, tx, emailOrID)
		}
		return err
	})
	return m, err
}
