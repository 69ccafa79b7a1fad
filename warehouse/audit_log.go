package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// AuditEntry is one recorded action.
type AuditEntry struct {
	OrgID      uuid.UUID
	ID         uuid.UUID
	OccurredAt time.Time
	ActorID    *uuid.UUID
	ActorKind  string // user, api_key, system
	Action     string // e.g. "org.created", "api_key.created"
	TargetType string
	TargetID   string
	Details    map[string]any
}

// InsertAuditEntry appends to the current org's audit log.
func InsertAuditEntry(ctx context.Context, q Querier, e AuditEntry) (AuditEntry, error) {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	details, err := json.Marshal(e.Details)
	if err != nil {
		return e, fmt.Errorf("encode audit details: %w", err)
	}
	err = q.QueryRow(ctx, `insert into audit_log (org_id, actor_id, actor_kind, action, target_type, target_id, details)
		values ($1, $2, $3, $4, $5, $6, $7) returning id, occurred_at`,
		e.OrgID, e.ActorID, e.ActorKind, e.Action, e.TargetType, e.TargetID, details).Scan(&e.ID, &e.OccurredAt)
	if err != nil {
		return e, fmt.Errorf("insert audit entry %q: %w", e.Action, translate(err))
	}
	return e, nil
}

// GetAuditEntry reads one entry of the current org.
func GetAuditEntry(ctx context.Context, q Querier, id uuid.UUID) (AuditEntry, error) {
	var e AuditEntry
	var details []byte
	err := q.QueryRow(ctx, `select org_id, id, occurred_at, actor_id, actor_kind, action, target_type, target_id, details
		from audit_log where id = $1`, id).
		Scan(&e.OrgID, &e.ID, &e.OccurredAt, &e.ActorID, &e.ActorKind, &e.Action, &e.TargetType, &e.TargetID, &details)
	if err != nil {
		return e, fmt.Errorf("get audit entry %s: %w", id, translate(err))
	}
	if err := json.Unmarshal(details, &e.Details); err != nil {
		return e, fmt.Errorf("decode audit entry %s: %w", id, err)
	}
	return e, nil
}
