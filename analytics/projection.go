package analytics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// QueueProjection is the River queue of copies into ClickHouse (shared with
// the audit and link projections).
const QueueProjection = "projection"

// projectionOpts: ClickHouse being down delays a copy, never loses it; 25
// attempts with River's back-off span about three weeks.
var projectionOpts = river.InsertOpts{Queue: QueueProjection, MaxAttempts: 25}

// ProjectConversationArgs asks a worker to copy a conversation's current
// state, and its messages, to ClickHouse. Enqueue it in the transaction
// that stored or changed the conversation. A wire contract: new fields
// must be optional.
type ProjectConversationArgs struct {
	OrgID          uuid.UUID `json:"org_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	// FromMessageID limits the messages copied to those whose id is this
	// or higher: pass the lowest id among the messages the capture
	// inserted or rewrote (a conversation's new messages always get higher
	// ids than its stored ones), so that the copy covers exactly what
	// changed and the messages after it. Zero copies all of them.
	FromMessageID int64 `json:"from_message_id,omitempty"`
}

// Kind names the job type in River.
func (ProjectConversationArgs) Kind() string { return "analytics.project_conversation" }

// InsertOpts puts the job on the projection queue with generous retries.
func (ProjectConversationArgs) InsertOpts() river.InsertOpts { return projectionOpts }

// ProjectCommitArgs asks a worker to copy a commit's current state to
// ClickHouse. Enqueue it in the transaction that stored or completed the
// commit. A wire contract: new fields must be optional.
type ProjectCommitArgs struct {
	OrgID    uuid.UUID `json:"org_id"`
	CommitID uuid.UUID `json:"commit_id"`
}

// Kind names the job type in River.
func (ProjectCommitArgs) Kind() string { return "analytics.project_commit" }

// InsertOpts puts the job on the projection queue with generous retries.
func (ProjectCommitArgs) InsertOpts() river.InsertOpts { return projectionOpts }

// ProjectSearchArgs asks a worker to copy a recorded search to ClickHouse.
// Enqueue it in the transaction that recorded the search. A wire contract:
// new fields must be optional.
type ProjectSearchArgs struct {
	OrgID   uuid.UUID `json:"org_id"`
	EventID uuid.UUID `json:"event_id"`
	// OccurredAt is the search's recorded time; with it the event is found
	// through the table's key (org, occurred_at, id). Optional.
	OccurredAt time.Time `json:"occurred_at,omitzero"`
}

// Kind names the job type in River.
func (ProjectSearchArgs) Kind() string { return "analytics.project_search" }

// InsertOpts puts the job on the projection queue with generous retries.
func (ProjectSearchArgs) InsertOpts() river.InsertOpts { return projectionOpts }

// ProjectLinkArgs asks a worker to copy a conversation→commit link's
// current state (or its removal) to ClickHouse. Enqueue it in the
// transaction that stored, changed or removed the link. A wire contract:
// new fields must be optional, and the kind keeps its first name.
type ProjectLinkArgs struct {
	OrgID          uuid.UUID `json:"org_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	CommitID       uuid.UUID `json:"commit_id"`
}

// Kind names the job type in River.
func (ProjectLinkArgs) Kind() string { return "correlate.project_link" }

// InsertOpts puts the job on the projection queue with generous retries.
func (ProjectLinkArgs) InsertOpts() river.InsertOpts { return projectionOpts }

// Projector copies entities from Postgres into the ClickHouse event tables.
type Projector struct {
	DB      *warehouse.DB
	Writers Writers
}

// ProjectConversation writes the conversation's current state and its
// messages (from args.FromMessageID). A conversation that no longer exists
// cancels the job: there is nothing to copy, and retrying cannot change
// that.
func (p *Projector) ProjectConversation(ctx context.Context, args ProjectConversationArgs) error {
	var conv warehouse.ConversationEvent
	var msgs []warehouse.MessageEvent
	err := p.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		var err error
		if conv, err = warehouse.GetConversationEvent(ctx, tx, args.ConversationID); err != nil {
			return err
		}
		msgs, err = warehouse.ListConversationMessageEvents(ctx, tx, args.ConversationID, args.FromMessageID)
		return err
	})
	if err != nil {
		return projectError("conversation", args.ConversationID, err)
	}
	rows := make([][]any, len(msgs))
	for i, m := range msgs {
		rows[i] = messageRow(m)
	}
	if err := writeTogether(ctx, p.Writers.Conversations, [][]any{conversationRow(conv)}, p.Writers.Messages, rows); err != nil {
		return fmt.Errorf("project conversation %s: %w", args.ConversationID, err)
	}
	return nil
}

// writeTogether writes rows to two writers at once: each insert waits for
// its writer's next flush, so waiting for them in turn would add the waits.
func writeTogether(ctx context.Context, a EventWriter, aRows [][]any, b EventWriter, bRows [][]any) error {
	bErr := make(chan error, 1)
	go func() { bErr <- b.Write(ctx, bRows...) }()
	err := a.Write(ctx, aRows...)
	return errors.Join(err, <-bErr)
}

// ProjectCommit writes the commit's current state, and its links': a
// link carries its commit's lines, which change when a commit's diff
// arrives after the commit.
func (p *Projector) ProjectCommit(ctx context.Context, args ProjectCommitArgs) error {
	var c warehouse.CommitEvent
	var links []warehouse.LinkEvent
	err := p.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		var err error
		if c, err = warehouse.GetCommitEvent(ctx, tx, args.CommitID); err != nil {
			return err
		}
		links, err = warehouse.ListCommitLinkEvents(ctx, tx, args.CommitID)
		return err
	})
	if err != nil {
		return projectError("commit", args.CommitID, err)
	}
	rows := make([][]any, len(links))
	for i, l := range links {
		rows[i] = linkRow(l)
	}
	if err := writeTogether(ctx, p.Writers.Commits, [][]any{commitRow(c)}, p.Writers.Links, rows); err != nil {
		return fmt.Errorf("project commit %s: %w", args.CommitID, err)
	}
	return nil
}

// ProjectSearch writes a recorded search.
func (p *Projector) ProjectSearch(ctx context.Context, args ProjectSearchArgs) error {
	var at *time.Time
	if !args.OccurredAt.IsZero() {
		at = &args.OccurredAt
	}
	var e warehouse.StoredSearchEvent
	err := p.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		var err error
		e, err = warehouse.GetSearchEvent(ctx, tx, args.EventID, at)
		return err
	})
	if err != nil {
		return projectError("search event", args.EventID, err)
	}
	if err := p.Writers.Searches.Write(ctx, searchRow(e)); err != nil {
		return fmt.Errorf("project search event %s: %w", args.EventID, err)
	}
	return nil
}

// ProjectLink writes the link's current state: linked, or no longer linked
// when Postgres has no such link (any more).
func (p *Projector) ProjectLink(ctx context.Context, args ProjectLinkArgs) error {
	var l warehouse.LinkEvent
	err := p.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		var err error
		l, err = warehouse.GetLinkEvent(ctx, tx, args.ConversationID, args.CommitID)
		return err
	})
	if err != nil {
		return projectError("link to commit", args.CommitID, err)
	}
	if err := p.Writers.Links.Write(ctx, linkRow(l)); err != nil {
		return fmt.Errorf("project link %s→%s: %w", args.ConversationID, args.CommitID, err)
	}
	return nil
}

// projectError wraps a failed read; an entity that does not exist (any
// more) cancels the job instead of retrying it for weeks. The job's error
// still says what was missing.
func projectError(kind string, id uuid.UUID, err error) error {
	err = fmt.Errorf("project %s %s: %w", kind, id, err)
	if errors.Is(err, warehouse.ErrNotFound) {
		return river.JobCancel(err)
	}
	return err
}
