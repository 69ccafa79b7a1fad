package ingest

import (
	"context"
	"strings"
	"time"

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

// CommitsOfConversation lists the commits a visible conversation led to.
func (s *Service) CommitsOfConversation(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, id uuid.UUID) ([]warehouse.LinkedCommit, error) {
	var out []warehouse.LinkedCommit
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		if _, err := warehouse.GetConversation(ctx, tx, v, id); err != nil {
			return err
		}
		var err error
		out, err = warehouse.CommitsOfConversation(ctx, tx, id)
		return err
	})
	return out, err
}

// CommitWithConversations is a commit and the visible conversations behind it.
type CommitWithConversations struct {
	warehouse.Commit
	Conversations []warehouse.LinkedConversation `json:"conversations"`
}

// ConversationsOfCommit finds commits by sha (or prefix) and the
// conversations behind each.
func (s *Service) ConversationsOfCommit(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, sha, repo string) ([]CommitWithConversations, error) {
	var out []CommitWithConversations
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		commits, err := warehouse.CommitsBySHA(ctx, tx, strings.ToLower(sha), NormalizeRemote(repo))
		if err != nil {
			return err
		}
		for _, c := range commits {
			convs, err := warehouse.ConversationsOfCommit(ctx, tx, v, c.ID)
			if err != nil {
				return err
			}
			if convs == nil {
				convs = []warehouse.LinkedConversation{}
			}
			out = append(out, CommitWithConversations{Commit: c, Conversations: convs})
		}
		return nil
	})
	return out, err
}

// ConversationsTouchingFile lists visible conversations that read or wrote
// a file (matched by path suffix).
func (s *Service) ConversationsTouchingFile(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, path, repo string) ([]warehouse.Conversation, error) {
	var out []warehouse.Conversation
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		out, err = warehouse.ConversationsTouchingFile(ctx, tx, v, strings.TrimPrefix(path, "/"), NormalizeRemote(repo), 100)
		return err
	})
	return out, err
}

// Contributions returns per-member, per-day conversations and linked commits.
func (s *Service) Contributions(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, from, to time.Time, userID *uuid.UUID) ([]warehouse.Contribution, error) {
	var out []warehouse.Contribution
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		out, err = warehouse.Contributions(ctx, tx, v, from, to, userID)
		return err
	})
	return out, err
}
