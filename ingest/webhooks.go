package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// Forges are the optional REST clients used to complete pushed commits
// with their diffs (push payloads list files, not changed lines).
type Forges struct {
	GitHub *GitHubClient
	GitLab *GitLabClient
}

// ProcessWebhookArgs asks a worker to process a stored delivery.
type ProcessWebhookArgs struct {
	OrgID      uuid.UUID `json:"org_id"`
	Provider   string    `json:"provider"`
	DeliveryID string    `json:"delivery_id"`
}

// Kind names the job type in River.
func (ProcessWebhookArgs) Kind() string { return "webhook.process" }

// InsertOpts: forge APIs rate-limit; retries wait them out.
func (ProcessWebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueIngest, MaxAttempts: 15}
}

// Delivery outcomes of ReceiveWebhook.
const (
	DeliveryAccepted  = "accepted"  // stored; processing enqueued
	DeliveryDuplicate = "duplicate" // this delivery id was received before
	DeliveryIgnored   = "ignored"   // an event type we do not use
	DeliveryPing      = "pong"      // the forge's test event
)

// ReceiveWebhook checks a verified delivery, stores it and enqueues its
// processing in one transaction, and returns at once: the forge is
// answered in milliseconds and the work happens in a job. A payload that
// cannot be read is an error matching ErrForgePayload (answer 400); it is
// not stored.
func (s *Service) ReceiveWebhook(ctx context.Context, orgID uuid.UUID, provider, event, deliveryID string, body []byte) (string, error) {
	var push *Push
	switch provider {
	case ProviderGitHub:
		ev, err := ParseGitHubEvent(event, deliveryID, body)
		if errors.Is(err, ErrForgeEventIgnored) {
			return DeliveryIgnored, nil
		}
		if err != nil {
			return "", err
		}
		if ev.Ping != nil {
			return DeliveryPing, nil
		}
		push, deliveryID = ev.Push, ev.DeliveryID
	case ProviderGitLab:
		ev, err := ParseGitLabEvent(event, deliveryID, body)
		if errors.Is(err, ErrForgeEventIgnored) {
			return DeliveryIgnored, nil
		}
		if err != nil {
			return "", err
		}
		push, deliveryID = ev.Push, ev.DeliveryID
	default:
		return "", fmt.Errorf("%w: unknown provider %q", ErrForgePayload, provider)
	}
	if push == nil || len(push.Commits) == 0 {
		return DeliveryIgnored, nil // a deleted branch or an empty tag push
	}
	outcome := DeliveryAccepted
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		inserted, err := warehouse.InsertWebhookDelivery(ctx, tx, orgID, provider, deliveryID, event, body)
		if err != nil || !inserted {
			outcome = DeliveryDuplicate
			return err
		}
		_, err = s.Jobs.InsertTx(ctx, tx, ProcessWebhookArgs{OrgID: orgID, Provider: provider, DeliveryID: deliveryID}, nil)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("store %s delivery %s: %w", provider, deliveryID, err)
	}
	return outcome, nil
}

// ProcessWebhook turns a stored push into commits (completed with their
// diffs when a forge client is configured) and enqueues their linking.
func (s *Service) ProcessWebhook(ctx context.Context, args ProcessWebhookArgs) error {
	var event string
	var body []byte
	err := s.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		var err error
		event, body, err = warehouse.GetWebhookDelivery(ctx, tx, args.Provider, args.DeliveryID)
		return err
	})
	if err != nil {
		return fmt.Errorf("load %s delivery %s: %w", args.Provider, args.DeliveryID, err)
	}
	var push *Push
	switch args.Provider {
	case ProviderGitHub:
		ev, err := ParseGitHubEvent(event, args.DeliveryID, body)
		if err != nil {
			return s.finishDelivery(ctx, args, "failed", err.Error())
		}
		push = ev.Push
	case ProviderGitLab:
		ev, err := ParseGitLabEvent(event, args.DeliveryID, body)
		if err != nil {
			return s.finishDelivery(ctx, args, "failed", err.Error())
		}
		push = ev.Push
	}
	if push == nil {
		return s.finishDelivery(ctx, args, "ignored", "")
	}
	batch := CommitBatch{OrgID: args.OrgID, Remote: firstNonEmpty(push.Repo.CloneURL, push.Repo.HTMLURL, push.Repo.SSHURL), Source: args.Provider}
	for _, c := range push.Commits {
		in := CommitInput{SHA: c.SHA, Branch: push.Branch, AuthorName: c.AuthorName, AuthorEmail: c.AuthorEmail,
			CommitterEmail: c.CommitterEmail, CommittedAt: c.Timestamp, Message: c.Message,
			Files: append(append(append([]string{}, c.Added...), c.Modified...), c.Removed...)}
		if diff, err := s.fetchDiff(ctx, push, c.SHA); err == nil {
			in.Diff = diff
		} else if !errors.Is(err, errNoForgeClient) {
			// The push payload's file lists still link by file overlap;
			// content overlap waits for a local hook or an import.
			s.log().WarnContext(ctx, "fetch commit diff", slog.String("provider", args.Provider), slog.String("sha", c.SHA), slog.Any("error", err))
		}
		batch.Commits = append(batch.Commits, in)
	}
	for i := 0; i < len(batch.Commits); i += MaxCommitsPerBatch {
		part := batch
		part.Commits = batch.Commits[i:min(i+MaxCommitsPerBatch, len(batch.Commits))]
		if _, err := s.StoreCommits(ctx, part); err != nil {
			return err
		}
	}
	return s.finishDelivery(ctx, args, "processed", "")
}

var errNoForgeClient = errors.New("no forge API client configured")

func (s *Service) fetchDiff(ctx context.Context, push *Push, sha string) (string, error) {
	switch {
	case push.Provider == ProviderGitHub && s.Forges.GitHub != nil:
		owner, repo, ok := strings.Cut(push.Repo.FullName, "/")
		if !ok {
			return "", fmt.Errorf("repository name %q is not owner/name", push.Repo.FullName)
		}
		d, err := s.Forges.GitHub.GetCommit(ctx, push.InstallationID, owner, repo, sha)
		return d.Diff, err
	case push.Provider == ProviderGitLab && s.Forges.GitLab != nil:
		d, err := s.Forges.GitLab.GetCommitDiff(ctx, push.Repo.FullName, sha)
		return d.Diff, err
	}
	return "", errNoForgeClient
}

func (s *Service) finishDelivery(ctx context.Context, args ProcessWebhookArgs, status, msg string) error {
	return s.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		return warehouse.FinishWebhookDelivery(ctx, tx, args.Provider, args.DeliveryID, status, msg)
	})
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
