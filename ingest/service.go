package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/klauspost/compress/zstd"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/ingest/transcript"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Enqueuer inserts jobs in the caller's transaction; *river.Client is one.
type Enqueuer interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Limits bound what is accepted.
type Limits struct {
	MaxUploadBytes int64 // a larger payload is refused (413)
	MaxLineBytes   int   // a longer line is reported and skipped
}

// DefaultLimits are used for zero fields.
var DefaultLimits = Limits{MaxUploadBytes: 64 << 20, MaxLineBytes: 8 << 20}

// Service stores and processes captures.
type Service struct {
	DB       *warehouse.DB
	Jobs     Enqueuer
	Redactor *redact.Redactor
	Limits   Limits
	Forges   Forges
	Logger   *slog.Logger
	Clock    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

func (s *Service) limits() Limits {
	l := s.Limits
	if l.MaxUploadBytes <= 0 {
		l.MaxUploadBytes = DefaultLimits.MaxUploadBytes
	}
	if l.MaxLineBytes <= 0 {
		l.MaxLineBytes = DefaultLimits.MaxLineBytes
	}
	return l
}

// Errors of Store, for callers to map to statuses.
var (
	ErrTooLarge = errors.New("payload too large")
	ErrFormat   = errors.New("unreadable payload")
)

// Upload is one payload to store.
type Upload struct {
	OrgID  uuid.UUID
	UserID uuid.UUID
	// Name is the file's name or path on the client: used in messages and
	// to recognise a grown file from the same source.
	Name   string
	Data   []byte
	Format transcript.Format // empty = detect
	// GitRemote is the remote of the transcript's working directory, as
	// the client found it; used when the transcript records none.
	GitRemote string
}

// Stored is what Store did.
type Stored struct {
	Capture warehouse.RawCapture
	// Duplicate: the org already had exactly these bytes; nothing changed.
	Duplicate bool
}

// ProcessCaptureArgs asks a worker to parse a stored capture. A wire
// contract: new fields must be optional.
type ProcessCaptureArgs struct {
	OrgID     uuid.UUID `json:"org_id"`
	CaptureID uuid.UUID `json:"capture_id"`
}

// Kind names the job type in River.
func (ProcessCaptureArgs) Kind() string { return "capture.process" }

// QueueIngest is the River queue of capture processing.
const QueueIngest = "ingest"

// InsertOpts: a parse that fails on bad input fails the same way every
// time, so a few attempts suffice; store errors are what retries are for.
func (ProcessCaptureArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueIngest, MaxAttempts: 5}
}

// Store checks, redacts and stores a payload and enqueues its processing,
// in one transaction. Identical bytes already stored are a Duplicate.
func (s *Service) Store(ctx context.Context, u Upload) (Stored, error) {
	lim := s.limits()
	if int64(len(u.Data)) > lim.MaxUploadBytes {
		return Stored{}, fmt.Errorf("%w: %s is %d bytes; the limit is %d", ErrTooLarge, u.Name, len(u.Data), lim.MaxUploadBytes)
	}
	format := u.Format
	if format == "" {
		f, err := transcript.Detect(u.Name, u.Data)
		if err != nil {
			return Stored{}, fmt.Errorf("%w: %s: %v", ErrFormat, u.Name, err)
		}
		format = f
	}
	redacted, findings := s.Redactor.RedactBytes(u.Data)
	sum := sha256.Sum256(redacted)
	payload := encoder.EncodeAll(redacted, make([]byte, 0, len(redacted)/4))
	var out Stored
	err := s.DB.InOrg(ctx, u.OrgID, func(tx pgx.Tx) error {
		c, inserted, err := warehouse.InsertRawCapture(ctx, tx, warehouse.RawCapture{
			OrgID: u.OrgID, UserID: u.UserID, SourceName: u.Name, GitRemote: redactRemote(s.Redactor, u.GitRemote), Format: string(format),
			SHA256: sum[:], SizeBytes: int64(len(redacted)), Payload: payload, Redactions: findings,
		})
		if err != nil {
			return err
		}
		out = Stored{Capture: c, Duplicate: !inserted}
		if !inserted {
			return nil
		}
		_, err = s.Jobs.InsertTx(ctx, tx, ProcessCaptureArgs{OrgID: u.OrgID, CaptureID: c.ID}, nil)
		return err
	})
	if err != nil {
		return Stored{}, fmt.Errorf("store %s: %w", u.Name, err)
	}
	return out, nil
}

// Reprocess enqueues a stored capture for processing again (after a fix
// to a parser), whatever its status, unless its payload was superseded.
func (s *Service) Reprocess(ctx context.Context, orgID, captureID uuid.UUID) error {
	return s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		c, err := warehouse.GetRawCapture(ctx, tx, captureID)
		if err != nil {
			return err
		}
		if c.Payload == nil {
			return fmt.Errorf("%w: capture %s was superseded by a later capture of %s; reprocess that one", warehouse.ErrInvalid, c.ID, c.SourceName)
		}
		_, err = s.Jobs.InsertTx(ctx, tx, ProcessCaptureArgs{OrgID: orgID, CaptureID: captureID}, nil)
		return err
	})
}

var (
	encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
	decoder, _ = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(1<<30))
)

func decompress(b []byte) ([]byte, error) {
	out, err := decoder.DecodeAll(b, nil)
	if err != nil {
		return nil, fmt.Errorf("decompress capture: %w", err)
	}
	return out, nil
}

// isPrefix reports whether older is the start of newer: a grown file.
func isPrefix(older, newer []byte) bool {
	return len(older) <= len(newer) && bytes.Equal(newer[:len(older)], older)
}

// redactRemote drops credentials a remote URL may carry (https://token@…).
func redactRemote(r *redact.Redactor, remote string) string {
	if remote == "" {
		return ""
	}
	out, _ := r.Redact(remote)
	return out
}
