package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/correlate"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// CommitInput is one commit as a client (local git hook, repository
// import) or a forge sends it.
type CommitInput struct {
	SHA            string     `json:"sha"`
	Parents        []string   `json:"parents,omitempty"`
	Branch         string     `json:"branch,omitempty"`
	AuthorName     string     `json:"author_name"`
	AuthorEmail    string     `json:"author_email"`
	CommitterEmail string     `json:"committer_email,omitempty"`
	CommittedAt    time.Time  `json:"committed_at"`
	AuthoredAt     *time.Time `json:"authored_at,omitempty"`
	Message        string     `json:"message"`
	// Files changed, repository-relative; taken from Diff when empty.
	Files     []string `json:"files,omitempty"`
	Additions int      `json:"additions,omitempty"`
	Deletions int      `json:"deletions,omitempty"`
	// Diff is the unified diff (git show --patch), for content matching;
	// optional, bounded by MaxDiffBytes.
	Diff    string `json:"diff,omitempty"`
	PatchID string `json:"patch_id,omitempty"`
}

// CommitBatch is commits of one repository.
type CommitBatch struct {
	OrgID   uuid.UUID     `json:"-"`
	Remote  string        `json:"remote"` // any form of the repository's remote URL
	Source  string        `json:"-"`      // hook, import, github, gitlab
	Commits []CommitInput `json:"commits"`
}

// MaxDiffBytes bounds a stored commit's diff analysis: larger diffs keep
// their file list but not their line hashes.
const MaxDiffBytes = 2 << 20

// MaxCommitsPerBatch bounds one request.
const MaxCommitsPerBatch = 1000

var shaPattern = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// ErrInvalidCommit is a commit batch that cannot be stored; the message
// says which commit and field.
var ErrInvalidCommit = errors.New("invalid commit")

// StoreCommits validates and stores commits and enqueues their linking, in
// one transaction. It returns how many were new.
func (s *Service) StoreCommits(ctx context.Context, b CommitBatch) (int, error) {
	if len(b.Remote) > 2048 || !utf8.ValidString(b.Remote) || strings.ContainsRune(b.Remote, 0) {
		return 0, fmt.Errorf("%w: remote is not a repository URL (invalid or over 2048 bytes)", ErrInvalidCommit)
	}
	repo := NormalizeRemote(b.Remote)
	if repo == "" {
		return 0, fmt.Errorf("%w: remote is empty; send the repository's remote URL (git remote get-url origin)", ErrInvalidCommit)
	}
	if len(b.Commits) == 0 || len(b.Commits) > MaxCommitsPerBatch {
		return 0, fmt.Errorf("%w: a batch holds 1 to %d commits, got %d", ErrInvalidCommit, MaxCommitsPerBatch, len(b.Commits))
	}
	rows := make([]warehouse.Commit, len(b.Commits))
	for i, c := range b.Commits {
		sha := strings.ToLower(strings.TrimSpace(c.SHA))
		if !shaPattern.MatchString(sha) {
			return 0, fmt.Errorf("%w: commit %d: sha %q is not a hex commit id", ErrInvalidCommit, i+1, c.SHA)
		}
		if c.CommittedAt.IsZero() {
			return 0, fmt.Errorf("%w: commit %s: committed_at is required", ErrInvalidCommit, sha)
		}
		if !utf8.ValidString(c.Message) || strings.ContainsRune(c.Message, 0) || len(c.Branch) > 512 || len(c.AuthorEmail) > 512 {
			return 0, fmt.Errorf("%w: commit %s: message, branch or author is not valid text", ErrInvalidCommit, sha)
		}
		files := c.Files
		var added []int64
		if c.Diff != "" && len(c.Diff) <= MaxDiffBytes {
			if len(files) == 0 {
				files = correlate.FilesInDiff(c.Diff)
			}
			for _, h := range correlate.AddedLines(c.Diff) {
				added = append(added, int64(h))
			}
		}
		message, _ := s.Redactor.Redact(c.Message)
		rows[i] = warehouse.Commit{
			OrgID: b.OrgID, Repo: repo, SHA: sha, Parents: c.Parents, Branch: c.Branch, AuthorName: c.AuthorName,
			AuthorEmail: strings.ToLower(c.AuthorEmail), CommitterEmail: strings.ToLower(c.CommitterEmail), CommittedAt: c.CommittedAt, AuthoredAt: c.AuthoredAt,
			Message: message, Files: files, Additions: c.Additions, Deletions: c.Deletions, AddedLines: added, PatchID: c.PatchID, Source: b.Source,
		}
	}
	created := 0
	err := s.DB.InOrg(ctx, b.OrgID, func(tx pgx.Tx) error {
		for _, r := range rows {
			stored, inserted, err := warehouse.UpsertCommit(ctx, tx, r)
			if err != nil {
				return err
			}
			if inserted {
				created++
			}
			// Linked again when new or completed: a diff arriving after
			// the push payload can raise or lower a link.
			if _, err := s.Jobs.InsertTx(ctx, tx, LinkCommitArgs{OrgID: b.OrgID, CommitID: stored.ID}, nil); err != nil {
				return err
			}
			if _, err := s.Jobs.InsertTx(ctx, tx, analytics.ProjectCommitArgs{OrgID: b.OrgID, CommitID: stored.ID}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store commits of %s: %w", repo, err)
	}
	return created, nil
}

// LinkCommitArgs asks a worker to (re)link one commit to conversations.
type LinkCommitArgs struct {
	OrgID    uuid.UUID `json:"org_id"`
	CommitID uuid.UUID `json:"commit_id"`
}

// Kind names the job type in River.
func (LinkCommitArgs) Kind() string { return "correlate.link_commit" }

// LinkConversationArgs asks a worker to (re)link one conversation to commits.
type LinkConversationArgs struct {
	OrgID          uuid.UUID `json:"org_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
}

// Kind names the job type in River.
func (LinkConversationArgs) Kind() string { return "correlate.link_conversation" }

// QueueCorrelate is the River queue of linking work.
const QueueCorrelate = "correlate"

// InsertOpts of linking jobs.
func (LinkCommitArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCorrelate, MaxAttempts: 10}
}

// InsertOpts of linking jobs.
func (LinkConversationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueCorrelate, MaxAttempts: 10}
}

// How far apart a conversation and a commit may be to be compared at all;
// the scorer then weighs the actual distance.
const (
	commitsBeforeSession = time.Hour // clock skew
	commitsAfterSession  = 7 * 24 * time.Hour
	candidateLimit       = 2000
)

// LinkCommit scores a commit against the conversations around it and
// stores the links that reach correlate.Threshold (removing ones that no
// longer do). Rebased or squashed copies of linked commits inherit links.
func (s *Service) LinkCommit(ctx context.Context, args LinkCommitArgs) (int, error) {
	linked := 0
	err := s.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		c, err := warehouse.GetCommit(ctx, tx, args.CommitID)
		if err != nil {
			return err
		}
		convs, err := warehouse.ConversationsNear(ctx, tx, c.CommittedAt.Add(-commitsAfterSession), c.CommittedAt.Add(commitsBeforeSession), c.SHA, candidateLimit)
		if err != nil {
			return err
		}
		commit := toCorrelateCommit(c)
		for _, conv := range convs {
			n, err := s.storeLink(ctx, tx, args.OrgID, correlate.Score(toSession(conv), commit), conv.ID, c.ID)
			if err != nil {
				return err
			}
			linked += n
		}
		n, err := s.inheritLinks(ctx, tx, args.OrgID, c)
		linked += n
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("link commit %s: %w", args.CommitID, err)
	}
	return linked, nil
}

// LinkConversation scores a conversation against the commits around it.
func (s *Service) LinkConversation(ctx context.Context, args LinkConversationArgs) (int, error) {
	linked := 0
	err := s.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		conv, err := warehouse.GetCorrelationConversation(ctx, tx, args.ConversationID)
		if err != nil {
			return err
		}
		end := conv.StartedAt
		if conv.EndedAt != nil {
			end = *conv.EndedAt
		}
		from, to := conv.StartedAt.Add(-commitsBeforeSession), end.Add(commitsAfterSession)
		commits, err := warehouse.CommitsInWindow(ctx, tx, from, to, append(conv.MentionedHashes, conv.CommitRefs...), candidateLimit)
		if err != nil {
			return err
		}
		session := toSession(conv)
		for _, c := range commits {
			n, err := s.storeLink(ctx, tx, args.OrgID, correlate.Score(session, toCorrelateCommit(c)), conv.ID, c.ID)
			if err != nil {
				return err
			}
			linked += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("link conversation %s: %w", args.ConversationID, err)
	}
	return linked, nil
}

func (s *Service) storeLink(ctx context.Context, tx pgx.Tx, orgID uuid.UUID, l correlate.Link, convID, commitID uuid.UUID) (int, error) {
	evidence, err := jsonEvidence(l.Evidence)
	if err != nil {
		return 0, err
	}
	keep := l.Confidence >= correlate.Threshold
	changed, err := warehouse.ReplaceLink(ctx, tx, orgID, warehouse.CommitLink{ConversationID: convID, CommitID: commitID,
		Confidence: l.Confidence, Evidence: evidence}, keep)
	if err != nil {
		return 0, err
	}
	if changed {
		if _, err := s.Jobs.InsertTx(ctx, tx, analytics.ProjectLinkArgs{OrgID: orgID, ConversationID: convID, CommitID: commitID}, nil); err != nil {
			return 0, err
		}
	}
	if keep {
		return 1, nil
	}
	return 0, nil
}

// inheritLinks gives a rebased or cherry-picked copy of a linked commit
// (same git patch-id) the links of the original, saying so in the evidence.
func (s *Service) inheritLinks(ctx context.Context, tx pgx.Tx, orgID uuid.UUID, c warehouse.Commit) (int, error) {
	if c.PatchID == "" {
		return 0, nil
	}
	links, shas, err := warehouse.LinksOfSameChange(ctx, tx, c.PatchID, c.ID)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, orig := range links {
		if cur, err := warehouse.GetLink(ctx, tx, orig.ConversationID, c.ID); err == nil && cur.Confidence >= orig.Confidence {
			continue
		}
		var ev []correlate.Evidence
		if err := json.Unmarshal(orig.Evidence, &ev); err != nil {
			return n, fmt.Errorf("decode evidence of link to %s: %w", shas[i], err)
		}
		ev = append(ev, correlate.Evidence{Signal: "rebase", Detail: fmt.Sprintf("the same change as commit %s (rebased or cherry-picked)", shortSHA(shas[i]))})
		k, err := s.storeLink(ctx, tx, orgID, correlate.Link{Confidence: orig.Confidence, Evidence: ev}, orig.ConversationID, c.ID)
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

func shortSHA(sha string) string { return sha[:min(10, len(sha))] }

func toSession(c warehouse.CorrelationConversation) correlate.Session {
	s := correlate.Session{
		ID: c.ID.String(), Tool: c.Tool, Repo: c.Repo, Cwd: c.Cwd, Branches: c.Branches, UserEmail: strings.ToLower(c.UserEmail),
		FilesWritten: c.FilesWritten, Commands: c.Commands, MentionedHashes: c.MentionedHashes, CommitRefs: c.CommitRefs,
		ZonelessTimes: c.Tool == "aider", // Aider writes local times without a zone
	}
	s.StartedAt = c.StartedAt
	if c.EndedAt != nil {
		s.EndedAt = *c.EndedAt
	}
	for _, h := range c.WrittenLines {
		s.WrittenLines = append(s.WrittenLines, uint64(h))
	}
	for _, h := range c.ShownLines {
		s.ShownLines = append(s.ShownLines, uint64(h))
	}
	return s
}

func toCorrelateCommit(c warehouse.Commit) correlate.Commit {
	cc := correlate.Commit{SHA: c.SHA, Repo: c.Repo, Branch: c.Branch, AuthorName: c.AuthorName, AuthorEmail: c.AuthorEmail,
		CommittedAt: c.CommittedAt, Message: c.Message, FilesChanged: c.Files, PatchID: c.PatchID}
	if c.AuthoredAt != nil {
		cc.AuthoredAt = *c.AuthoredAt
	}
	for _, h := range c.AddedLines {
		cc.AddedLines = append(cc.AddedLines, uint64(h))
	}
	return cc
}

func jsonEvidence(ev []correlate.Evidence) ([]byte, error) {
	if ev == nil {
		ev = []correlate.Evidence{}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode link evidence: %w", err)
	}
	return b, nil
}
