package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/correlate"
	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/ingest/transcript"
	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Process parses a stored capture and merges its conversations into the
// store, in one transaction: a failure leaves nothing half-written, and the
// job is retried. A payload that does not parse is not a failure of the
// job: the capture is marked failed with the reason and kept.
func (s *Service) Process(ctx context.Context, args ProcessCaptureArgs) (Report, error) {
	var rep Report
	err := s.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		c, err := warehouse.LockRawCapture(ctx, tx, args.CaptureID)
		if err != nil {
			return err
		}
		if c.Payload == nil {
			return json.Unmarshal(c.Report, &rep) // superseded: its conversations live on in the later capture
		}
		data, err := decompress(c.Payload)
		if err != nil {
			return err
		}
		rep = Report{File: c.SourceName, CaptureID: &c.ID, Format: transcript.Format(c.Format), Redactions: c.Redactions, Conversations: []ConversationReport{}}
		res := transcript.Parse(c.SourceName, data, transcript.Format(c.Format), transcript.Limits{MaxLineBytes: s.limits().MaxLineBytes})
		rep.Problems = res.Problems
		for _, conv := range res.Conversations {
			cr, err := s.merge(ctx, tx, c, conv)
			if errors.Is(err, warehouse.ErrConflict) {
				// Someone else's session id: not stored, said so, and the
				// rest of the file still counts.
				rep.Problems = append(rep.Problems, transcript.Problem{Severity: transcript.SeverityError, File: c.SourceName,
					Message: fmt.Sprintf("session %s of %s was captured by another member of the organization; not imported", conv.ExternalID, conv.Tool)})
				continue
			}
			if err != nil {
				return err
			}
			rep.Conversations = append(rep.Conversations, cr)
		}
		rep.Status = warehouse.CaptureProcessed
		if len(rep.Conversations) == 0 && (res.HasErrors() || len(rep.Problems) > len(res.Problems)) {
			rep.Status, rep.Error = warehouse.CaptureFailed, firstError(rep.Problems)
		}
		if err := warehouse.FinishRawCapture(ctx, tx, c.ID, rep.Status, rep.Error, rep, s.now()); err != nil {
			return err
		}
		if rep.Status == warehouse.CaptureProcessed {
			return s.supersede(ctx, tx, c, data)
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("process capture %s: %w", args.CaptureID, err)
	}
	s.log().InfoContext(ctx, "capture processed", slog.String("capture_id", args.CaptureID.String()),
		slog.String("org_id", args.OrgID.String()), slog.String("status", rep.Status), slog.Int("conversations", len(rep.Conversations)))
	return rep, nil
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// merge stores one parsed conversation, appending only messages the store
// does not have yet.
func (s *Service) merge(ctx context.Context, tx pgx.Tx, capture warehouse.RawCapture, conv transcript.Conversation) (ConversationReport, error) {
	if conv.GitRemote == "" {
		conv.GitRemote = capture.GitRemote
	}
	findings := s.redactConversation(&conv)
	cr := Summarize(conv)
	cr.Redactions = findings
	row := warehouse.Conversation{
		OrgID: capture.OrgID, UserID: capture.UserID, Tool: string(conv.Tool), ToolVersion: conv.ToolVersion,
		Format: string(conv.Format), ExternalID: conv.ExternalID, ParentExternalID: conv.ParentExternalID,
		Title: conv.Title, Cwd: conv.Cwd, GitRemote: conv.GitRemote, Repo: NormalizeRemote(conv.GitRemote),
		GitBranches: conv.GitBranches, GitCommit: conv.GitCommit, Models: conv.Models,
		StartedAt: timePtr(conv.StartedAt), EndedAt: timePtr(conv.EndedAt), FilesTouched: cr.FilesTouched,
		Tokens: warehouse.TokenUsage{Input: conv.Tokens.Input, Output: conv.Tokens.Output, CacheRead: conv.Tokens.CacheRead,
			CacheWrite: conv.Tokens.CacheWrite, Reasoning: conv.Tokens.Reasoning},
		Redactions: findings, LastCaptureID: &capture.ID,
	}
	if len(conv.CommitRefs) > 0 {
		row.CommitRefs, _ = json.Marshal(conv.CommitRefs)
	}
	sess := correlate.SessionFromConversation(conv)
	row.WrittenLines, row.ShownLines = toInt64(sess.WrittenLines), toInt64(sess.ShownLines)
	row.MentionedHashes, row.CommitHashes = sess.MentionedHashes, sess.CommitRefs
	before, _ := warehouse.GetConversationByExternalID(ctx, tx, string(conv.Tool), conv.ExternalID)
	id, inserted, err := warehouse.UpsertConversation(ctx, tx, row)
	if err != nil {
		return cr, err
	}
	cr.ID = &id

	msgs := make([]warehouse.Message, len(conv.Messages))
	for i, m := range conv.Messages {
		msgs[i] = warehouse.Message{
			Seq: i, ExternalID: m.ExternalID, ParentExternalID: m.ParentExternalID, Role: string(m.Role),
			Text: m.Text, Thinking: m.Thinking, Model: m.Model, SentAt: timePtr(m.Timestamp), Sidechain: m.Sidechain,
			AgentID: m.AgentID, GitBranch: m.GitBranch, InputTokens: m.Tokens.Input, OutputTokens: m.Tokens.Output, SourceLine: m.Line,
			CacheReadTokens: m.Tokens.CacheRead, CacheWriteTokens: m.Tokens.CacheWrite, ReasoningTokens: m.Tokens.Reasoning,
			ContentHash: contentHash(m),
		}
	}
	written, err := warehouse.InsertMessages(ctx, tx, capture.OrgID, id, dedupeByExternalID(msgs))
	if err != nil {
		return cr, err
	}
	var changed []int64
	var fromID int64 // the lowest message id written, for the projection
	for _, w := range written {
		if fromID == 0 || w.ID < fromID {
			fromID = w.ID
		}
		if w.Inserted {
			cr.NewMessages++
		} else {
			changed = append(changed, w.ID)
		}
	}
	if err := warehouse.ResetMessages(ctx, tx, changed); err != nil {
		return cr, err
	}
	var calls []warehouse.ToolCall
	for _, m := range conv.Messages {
		w, ok := written[m.ExternalID]
		if !ok {
			continue
		}
		for j, t := range m.ToolCalls {
			calls = append(calls, warehouse.ToolCall{MessageID: w.ID, Seq: j, ExternalID: t.ExternalID, Name: t.Name,
				Input: t.Input, Output: t.Output, IsError: t.IsError, FilesRead: t.FilesRead, FilesWritten: t.FilesWritten, Commands: t.Commands})
		}
		delete(written, m.ExternalID) // a repeated external id keeps its first message's calls only
	}
	if err := warehouse.InsertToolCalls(ctx, tx, capture.OrgID, id, calls); err != nil {
		return cr, err
	}
	cr.Messages, cr.ToolCalls, err = warehouse.RefreshConversationCounts(ctx, tx, id)
	if err != nil {
		return cr, err
	}
	if cr.NewMessages > 0 || len(changed) > 0 {
		// Keyword-searchable now; semantically once this job has run.
		if _, err := s.Jobs.InsertTx(ctx, tx, search.EmbedConversationArgs{OrgID: capture.OrgID, ConversationID: id}, nil); err != nil {
			return cr, err
		}
		// Commits may have arrived first: link them now that the
		// conversation is here.
		if _, err := s.Jobs.InsertTx(ctx, tx, LinkConversationArgs{OrgID: capture.OrgID, ConversationID: id}, nil); err != nil {
			return cr, err
		}
	}
	switch {
	case inserted:
		cr.Outcome = OutcomeNew
	case cr.NewMessages > 0 || len(changed) > 0 || metadataChanged(before, row):
		cr.Outcome = OutcomeUpdated
	default:
		cr.Outcome = OutcomeUnchanged
	}
	if cr.Outcome != OutcomeUnchanged {
		if _, err := s.Jobs.InsertTx(ctx, tx, analytics.ProjectConversationArgs{OrgID: capture.OrgID, ConversationID: id, FromMessageID: fromID}, nil); err != nil {
			return cr, err
		}
	}
	return cr, nil
}

// dedupeByExternalID keeps the first message of each external id: a
// malformed file can repeat ids, and the store's key would refuse them.
func dedupeByExternalID(msgs []warehouse.Message) []warehouse.Message {
	seen := make(map[string]bool, len(msgs))
	out := msgs[:0:0]
	for _, m := range msgs {
		if seen[m.ExternalID] {
			continue
		}
		seen[m.ExternalID] = true
		out = append(out, m)
	}
	return out
}

// metadataChanged reports whether a re-capture added descriptive information.
func metadataChanged(before warehouse.Conversation, now warehouse.Conversation) bool {
	if now.Title != "" && now.Title != before.Title {
		return true
	}
	if now.EndedAt != nil && (before.EndedAt == nil || now.EndedAt.After(*before.EndedAt)) {
		return true
	}
	for _, b := range now.GitBranches {
		if !contains(before.GitBranches, b) {
			return true
		}
	}
	return now.Tokens.Input > before.Tokens.Input || now.Tokens.Output > before.Tokens.Output
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// redactConversation redacts every text field that will be stored or
// indexed. The raw bytes were redacted already; this catches secrets the
// file's encoding hid (JSON escapes, markdown wrapping).
func (s *Service) redactConversation(c *transcript.Conversation) map[string]int {
	total := redact.Findings{}
	red := func(p *string) {
		if *p == "" {
			return
		}
		out, f := s.Redactor.Redact(*p)
		*p = out
		total.Add(f)
	}
	red(&c.Title)
	red(&c.Cwd)
	red(&c.GitRemote)
	for i := range c.Messages {
		m := &c.Messages[i]
		red(&m.Text)
		red(&m.Thinking)
		for j := range m.ToolCalls {
			t := &m.ToolCalls[j]
			red(&t.Input)
			red(&t.Output)
			for k := range t.Commands {
				red(&t.Commands[k])
			}
		}
	}
	if len(total) == 0 {
		return nil
	}
	return total
}

// supersede drops the payloads of earlier captures of the same source that
// this one contains (a transcript captured again after it grew), so a
// session captured on every turn is stored about once.
func (s *Service) supersede(ctx context.Context, tx pgx.Tx, c warehouse.RawCapture, data []byte) error {
	if c.SourceName == "" {
		return nil
	}
	prior, err := warehouse.PriorCapturesOfSource(ctx, tx, c)
	if err != nil {
		return err
	}
	for _, p := range prior {
		old, err := decompress(p.Payload)
		if err != nil || !isPrefix(old, data) {
			continue
		}
		if err := warehouse.SupersedeRawCapture(ctx, tx, p.ID, c.ID); err != nil {
			return err
		}
	}
	return nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// CaptureReport returns the stored report of a capture (for the API and the
// CLI to show once processing is done).
func (s *Service) CaptureReport(ctx context.Context, orgID, captureID uuid.UUID) (warehouse.RawCapture, Report, error) {
	var c warehouse.RawCapture
	var rep Report
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		c, err = warehouse.GetRawCapture(ctx, tx, captureID)
		return err
	})
	if err != nil {
		return c, rep, err
	}
	if len(c.Report) > 2 {
		if err := json.Unmarshal(c.Report, &rep); err != nil {
			return c, rep, fmt.Errorf("decode report of capture %s: %w", c.ID, err)
		}
	}
	rep.File, rep.CaptureID, rep.Format = c.SourceName, &c.ID, transcript.Format(c.Format)
	if rep.Status == "" {
		rep.Status = c.Status
	}
	if rep.Conversations == nil {
		rep.Conversations = []ConversationReport{}
	}
	return c, rep, nil
}

// toInt64 stores unsigned line hashes in Postgres bigints (same bits).
func toInt64(hashes []uint64) []int64 {
	out := make([]int64, len(hashes))
	for i, h := range hashes {
		out[i] = int64(h)
	}
	return out
}

// FailCapture records that processing a capture failed for good (its job
// used up its attempts): the capture is kept, marked failed with the
// reason, so that `admin captures --status failed` shows it and
// `admin reprocess --failed` can try again after a fix.
func (s *Service) FailCapture(ctx context.Context, args ProcessCaptureArgs, cause error) error {
	return s.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		return warehouse.FinishRawCapture(ctx, tx, args.CaptureID, warehouse.CaptureFailed, cause.Error(),
			map[string]any{"status": warehouse.CaptureFailed, "error": cause.Error()}, s.now())
	})
}

// contentHash digests everything stored of a message, to tell a changed
// re-capture (a tool result that arrived, streamed text that grew) from an
// unchanged one.
func contentHash(m transcript.Message) []byte {
	b, _ := json.Marshal(struct {
		Text, Thinking, Model string
		Tokens                transcript.Tokens
		Calls                 []transcript.ToolCall
	}{m.Text, m.Thinking, m.Model, m.Tokens, m.ToolCalls})
	sum := sha256.Sum256(b)
	return sum[:]
}
