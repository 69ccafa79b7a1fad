package warehouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Capture statuses.
const (
	CapturePending    = "pending"
	CaptureProcessed  = "processed"
	CaptureFailed     = "failed"
	CaptureSuperseded = "superseded"
)

// RawCapture is one received payload, redacted and compressed.
type RawCapture struct {
	OrgID       uuid.UUID
	ID          uuid.UUID
	UserID      uuid.UUID
	SourceName  string
	GitRemote   string
	Format      string
	SHA256      []byte
	SizeBytes   int64
	Payload     []byte // zstd; nil when superseded
	Redactions  map[string]int
	Status      string
	Error       string
	Report      json.RawMessage
	Attempts    int
	CreatedAt   time.Time
	ProcessedAt *time.Time
}

const captureColumns = `org_id, id, user_id, source_name, git_remote, format, sha256, size_bytes, payload, redactions, status, error, report, attempts, created_at, processed_at`

func scanCapture(row interface{ Scan(...any) error }) (RawCapture, error) {
	var c RawCapture
	var redactions []byte
	err := row.Scan(&c.OrgID, &c.ID, &c.UserID, &c.SourceName, &c.GitRemote, &c.Format, &c.SHA256, &c.SizeBytes, &c.Payload,
		&redactions, &c.Status, &c.Error, &c.Report, &c.Attempts, &c.CreatedAt, &c.ProcessedAt)
	if err != nil {
		return c, translate(err)
	}
	return c, json.Unmarshal(redactions, &c.Redactions)
}

// InsertRawCapture stores a payload unless the member already sent one with
// the same hash; inserted says which happened, and the stored row is
// returned either way.
func InsertRawCapture(ctx context.Context, q Querier, c RawCapture) (RawCapture, bool, error) {
	redactions, err := json.Marshal(c.Redactions)
	if err != nil {
		return c, false, err
	}
	row := q.QueryRow(ctx, `insert into raw_captures (org_id, user_id, source_name, format, sha256, size_bytes, payload, redactions, git_remote)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		on conflict (org_id, user_id, sha256) do nothing
		returning `+captureColumns, c.OrgID, c.UserID, c.SourceName, c.Format, c.SHA256, c.SizeBytes, c.Payload, redactions, c.GitRemote)
	stored, err := scanCapture(row)
	if err == nil {
		return stored, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return c, false, fmt.Errorf("insert capture %q: %w", c.SourceName, err)
	}
	stored, err = scanCapture(q.QueryRow(ctx, `select `+captureColumns+` from raw_captures where org_id = $1 and user_id = $2 and sha256 = $3`,
		c.OrgID, c.UserID, c.SHA256))
	if err != nil {
		return c, false, fmt.Errorf("find capture %q: %w", c.SourceName, err)
	}
	return stored, false, nil
}

// GetRawCapture reads a capture of the current org.
func GetRawCapture(ctx context.Context, q Querier, id uuid.UUID) (RawCapture, error) {
	c, err := scanCapture(q.QueryRow(ctx, `select `+captureColumns+` from raw_captures where id = $1`, id))
	if err != nil {
		return c, fmt.Errorf("get capture %s: %w", id, err)
	}
	return c, nil
}

// LockRawCapture reads a capture for processing, holding its row so that
// two workers never process it at once.
func LockRawCapture(ctx context.Context, q Querier, id uuid.UUID) (RawCapture, error) {
	c, err := scanCapture(q.QueryRow(ctx, `select `+captureColumns+` from raw_captures where id = $1 for update`, id))
	if err != nil {
		return c, fmt.Errorf("lock capture %s: %w", id, err)
	}
	return c, nil
}

// FinishRawCapture records the outcome of processing.
func FinishRawCapture(ctx context.Context, q Querier, id uuid.UUID, status, errMsg string, report any, at time.Time) error {
	body, err := json.Marshal(report)
	if err != nil {
		return fmt.Errorf("encode capture report: %w", err)
	}
	_, err = q.Exec(ctx, `update raw_captures set status = $2, error = $3, report = $4, processed_at = $5, attempts = attempts + 1
		where id = $1`, id, status, errMsg, body, at)
	if err != nil {
		return fmt.Errorf("finish capture %s: %w", id, translate(err))
	}
	return nil
}

// PriorCapturesOfSource lists older, still-held captures of the same user
// and source name that are smaller than size: candidates to supersede.
func PriorCapturesOfSource(ctx context.Context, q Querier, c RawCapture) ([]RawCapture, error) {
	rows, err := q.Query(ctx, `select `+captureColumns+` from raw_captures
		where user_id = $1 and source_name = $2 and id <> $3 and size_bytes < $4 and payload is not null and status = 'processed'
		order by created_at`, c.UserID, c.SourceName, c.ID, c.SizeBytes)
	if err != nil {
		return nil, fmt.Errorf("list prior captures: %w", err)
	}
	defer rows.Close()
	var out []RawCapture
	for rows.Next() {
		pc, err := scanCapture(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, pc)
	}
	return out, translate(rows.Err())
}

// SupersedeRawCapture drops a capture's payload because a later capture
// holds all of its bytes.
func SupersedeRawCapture(ctx context.Context, q Querier, id, by uuid.UUID) error {
	_, err := q.Exec(ctx, `update raw_captures set payload = null, status = 'superseded',
		report = report || jsonb_build_object('superseded_by', $2::text) where id = $1`, id, by)
	return translate(err)
}

// ListRawCaptures lists captures of the current org by status (all when
// empty), oldest first.
func ListRawCaptures(ctx context.Context, q Querier, status string, limit int) ([]RawCapture, error) {
	rows, err := q.Query(ctx, `select `+captureColumns+` from raw_captures
		where ($1 = '' or status = $1) order by created_at limit $2`, status, limit)
	if err != nil {
		return nil, fmt.Errorf("list captures: %w", err)
	}
	defer rows.Close()
	var out []RawCapture
	for rows.Next() {
		c, err := scanCapture(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, translate(rows.Err())
}
