package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

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
		// Stored redacted, like every payload (commit messages can hold
		// secrets); redaction keeps the JSON valid for processing.
		redacted, _ := s.Redactor.RedactBytes(body)
		inserted, err := warehouse.InsertWebhookDelivery(ctx, tx, orgID, provider, deliveryID, event, redacted)
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
	// The forge APIs are called only for a repository registered to this
	// org, as its registered installation: a payload must not be able to
	// point the shared credentials at someone else's repository.
	var registered *warehouse.Repository
	_ = s.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		r, err := warehouse.GetRepository(ctx, tx, NormalizeRemote(batch.Remote))
		if err == nil {
			registered = &r
		}
		return nil
	})
	inputs := make([]CommitInput, 0, len(push.Commits))
	for _, c := range push.Commits {
		inputs = append(inputs, c.CommitInput(push.Branch))
	}
	if push.CommitsTruncated {
		// GitLab lists at most 20 commits of a push: ask for the rest.
		if more, err := s.listPushed(ctx, push, registered); err == nil {
			inputs = mergeInputs(inputs, more)
		} else if !errors.Is(err, errNoForgeClient) {
			return fmt.Errorf("list the commits of %s delivery %s: %w", args.Provider, args.DeliveryID, err)
		}
	}
	for _, in := range inputs {
		if diff, err := s.fetchDiff(ctx, push, registered, in.SHA); err == nil {
			in.Diff = diff
		} else if !errors.Is(err, errNoForgeClient) {
			// The push payload's file lists still link by file overlap;
			// content overlap waits for a local hook or an import.
			s.log().WarnContext(ctx, "fetch commit diff", slog.String("provider", args.Provider), slog.String("sha", in.SHA), slog.Any("error", err))
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

// errNoForgeClient: no client configured, or the repository is not
// registered to the org; the push's own file lists are used.
var errNoForgeClient = errors.New("no forge API client for this repository")

// listPushed asks the forge for every commit of a push (before..after).
func (s *Service) listPushed(ctx context.Context, push *Push, repo *warehouse.Repository) ([]CommitInput, error) {
	if repo == nil {
		return nil, errNoForgeClient
	}
	var res CompareResult
	var err error
	switch {
	case push.Provider == ProviderGitLab && s.Forges.GitLab != nil && push.Before != ZeroSHA:
		res, err = s.Forges.GitLab.ListCompare(ctx, push.Repo.FullName, push.Before, push.After)
	case push.Provider == ProviderGitHub && s.Forges.GitHub != nil && push.Before != ZeroSHA:
		owner, name := push.Repo.OwnerAndName()
		res, err = s.Forges.GitHub.ListCompare(ctx, repo.InstallationID, owner, name, push.Before, push.After)
	default:
		return nil, errNoForgeClient
	}
	if err != nil {
		return nil, err
	}
	out := make([]CommitInput, 0, len(res.Commits))
	for _, d := range res.Commits {
		out = append(out, d.CommitInput(push.Branch))
	}
	return out, nil
}

// mergeInputs adds the commits of more that inputs lacks, keeping order.
func mergeInputs(inputs, more []CommitInput) []CommitInput {
	seen := map[string]bool{}
	for _, in := range inputs {
		seen[in.SHA] = true
	}
	for _, m := range more {
		if !seen[m.SHA] {
			inputs = append(inputs, m)
		}
	}
	return inputs
}

func (s *Service) fetchDiff(ctx context.Context, push *Push, repo *warehouse.Repository, sha string) (string, error) {
	if repo == nil {
		return "", errNoForgeClient
	}
	switch {
	case push.Provider == ProviderGitHub && s.Forges.GitHub != nil:
		owner, name := push.Repo.OwnerAndName()
		d, err := s.Forges.GitHub.GetCommit(ctx, repo.InstallationID, owner, name, sha)
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

// FailWebhook records that processing a delivery failed for good.
func (s *Service) FailWebhook(ctx context.Context, args ProcessWebhookArgs, cause error) error {
	return s.finishDelivery(ctx, args, "failed", cause.Error())
}
