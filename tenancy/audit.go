package tenancy

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// ProjectAuditArgs asks a worker to copy one audit entry to ClickHouse.
// A wire contract: new fields must be optional.
type ProjectAuditArgs struct {
	OrgID   uuid.UUID `json:"org_id"`
	AuditID uuid.UUID `json:"audit_id"`
}

// Kind names the job type in River.
func (ProjectAuditArgs) Kind() string { return "audit.project" }

// InsertOpts keeps audit projection on its own queue with generous retries:
// ClickHouse being down must delay the copy, never lose it.
func (ProjectAuditArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueProjection, MaxAttempts: 25}
}

// QueueProjection is the River queue for copies into ClickHouse.
const QueueProjection = "projection"

// audit records an action and enqueues its projection, in tx.
func (s *Service) audit(ctx context.Context, tx pgx.Tx, orgID uuid.UUID, actor Actor, action, targetType, targetID string, details map[string]any) error {
	e, err := warehouse.InsertAuditEntry(ctx, tx, warehouse.AuditEntry{
		OrgID: orgID, ActorID: actor.ID, ActorKind: actor.Kind, Action: action,
		TargetType: targetType, TargetID: targetID, Details: details,
	})
	if err != nil {
		return err
	}
	_, err = s.Jobs.InsertTx(ctx, tx, ProjectAuditArgs{OrgID: orgID, AuditID: e.ID}, nil)
	return err
}

// Record appends an audit entry for an action performed elsewhere, in the
// caller's transaction (so the action and its record commit together).
func (s *Service) Record(ctx context.Context, tx pgx.Tx, orgID uuid.UUID, actor Actor, action, targetType, targetID string, details map[string]any) error {
	return s.audit(ctx, tx, orgID, actor, action, targetType, targetID, details)
}

// EventWriter appends rows to a ClickHouse table and returns once they are
// stored; *warehouse.BatchWriter is one.
type EventWriter interface {
	Write(ctx context.Context, rows ...[]any) error
}

// ProjectAudit copies one audit entry into ClickHouse's audit_events. The
// entry's id is the event's dedupe key, so a retried or replayed job never
// counts twice.
func ProjectAudit(ctx context.Context, db *warehouse.DB, w EventWriter, args ProjectAuditArgs) error {
	var e warehouse.AuditEntry
	err := db.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		var err error
		e, err = warehouse.GetAuditEntry(ctx, tx, args.AuditID)
		return err
	})
	if err != nil {
		return err
	}
	actor := e.ActorKind
	if e.ActorID != nil {
		actor = e.ActorKind + ":" + e.ActorID.String()
	}
	details, err := json.Marshal(e.Details)
	if err != nil {
		return fmt.Errorf("encode audit details: %w", err)
	}
	return w.Write(ctx, []any{e.OrgID, e.ID, e.OccurredAt, actor, e.Action, e.TargetType + ":" + e.TargetID, string(details)})
}

// AuditEventColumns are the audit_events columns ProjectAudit writes, in order.
var AuditEventColumns = []string{"org_id", "event_id", "occurred_at", "actor_id", "action", "target", "details"}
