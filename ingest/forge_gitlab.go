package ingest

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
)

// GitLab webhook header names, for the HTTP handler. For de-duplication
// prefer GitLabIdempotencyHeader (stable across GitLab's retries, GitLab
// 17.4+) and fall back to GitLabEventUUIDHeader.
const (
	GitLabEventHeader       = "X-Gitlab-Event"
	GitLabTokenHeader       = "X-Gitlab-Token"
	GitLabEventUUIDHeader   = "X-Gitlab-Event-UUID"
	GitLabIdempotencyHeader = "Idempotency-Key"
)

// X-Gitlab-Event values this package reads.
const (
	GitLabPushHook    = "Push Hook"
	GitLabTagPushHook = "Tag Push Hook"
	GitLabSystemHook  = "System Hook"
)

// VerifyGitLabToken compares the X-Gitlab-Token header with the configured
// secret token in constant time (also in the length of the secret).
func VerifyGitLabToken(secret, header string) error {
	if secret == "" {
		return fmt.Errorf("%w: set the GitLab webhook secret token; unauthenticated deliveries are refused", ErrForgeSecretNotConfigured)
	}
	if header == "" {
		return fmt.Errorf("%w: the %s header is absent; set a secret token on the GitLab webhook", ErrForgeTokenMissing, GitLabTokenHeader)
	}
	want, got := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(header))
	if subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		return fmt.Errorf("%w: %s does not match; check that the secret token here and on GitLab are the same", ErrForgeTokenMismatch, GitLabTokenHeader)
	}
	return nil
}

// GitLabEvent is a parsed GitLab delivery.
type GitLabEvent struct {
	Header     string // X-Gitlab-Event as received
	Kind       string // push, tag_push
	System     bool   // delivered by a system hook
	DeliveryID string
	Push       *Push
}

// ParseGitLabEvent reads a GitLab webhook body. eventHeader is X-Gitlab-Event;
// deliveryID is Idempotency-Key, else X-Gitlab-Event-UUID ("" derives one
// from the body). It reads "Push Hook", "Tag Push Hook", and "System Hook"
// deliveries whose event_name is push or tag_push. Other events give an
// error matching ErrForgeEventIgnored; a body that does not fit gives a
// *ForgePayloadError (ErrForgePayload).
//
// GitLab lists at most 20 commits: Push.TotalCommits is
// total_commits_count and Push.CommitsTruncated is set when commits are
// missing; fetch them with GitLabClient.ListCompare.
func ParseGitLabEvent(eventHeader, deliveryID string, body []byte) (GitLabEvent, error) {
	header := strings.TrimSpace(eventHeader)
	var want string
	switch header {
	case "":
		return GitLabEvent{}, &ForgePayloadError{Provider: ProviderGitLab, Field: GitLabEventHeader + " header",
			Problem: "missing; expected \"Push Hook\", \"Tag Push Hook\" or \"System Hook\""}
	case GitLabPushHook:
		want = "push"
	case GitLabTagPushHook:
		want = "tag_push"
	case GitLabSystemHook:
	default:
		return GitLabEvent{}, fmt.Errorf("%w: GitLab event %q is not used (only push and tag push are)", ErrForgeEventIgnored, header)
	}
	event := want
	if event == "" {
		event = "system"
	}
	var p gitlabPush
	if err := decodeForgeJSON(ProviderGitLab, event, body, &p); err != nil {
		return GitLabEvent{}, err
	}
	kind := p.ObjectKind
	if kind == "" {
		kind = p.EventName
	}
	perr := func(field, problem string) error {
		return &ForgePayloadError{Provider: ProviderGitLab, Event: event, Field: field, Problem: problem}
	}
	if header == GitLabSystemHook {
		switch kind {
		case "push", "tag_push":
		case "":
			return GitLabEvent{}, perr("event_name", "missing; expected the system hook event such as \"push\"")
		default:
			return GitLabEvent{}, fmt.Errorf("%w: GitLab system hook event %q is not used (only push and tag_push are)", ErrForgeEventIgnored, kind)
		}
	} else if kind != want {
		if kind == "" {
			return GitLabEvent{}, perr("object_kind", fmt.Sprintf("missing; expected %q for %s %q", want, GitLabEventHeader, header))
		}
		return GitLabEvent{}, perr("object_kind", fmt.Sprintf("expected %q for %s %q, got %q", want, GitLabEventHeader, header, kind))
	}
	push, err := p.push(kind)
	if err != nil {
		return GitLabEvent{}, err
	}
	push.DeliveryID = forgeDeliveryID(deliveryID, body)
	return GitLabEvent{Header: header, Kind: kind, System: header == GitLabSystemHook, DeliveryID: push.DeliveryID, Push: push}, nil
}

type gitlabProject struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	PathWithNamespace string `json:"path_with_namespace"`
	WebURL            string `json:"web_url"`
	GitSSHURL         string `json:"git_ssh_url"`
	GitHTTPURL        string `json:"git_http_url"`
	DefaultBranch     string `json:"default_branch"`
}

type gitlabPushCommit struct {
	ID        string `json:"id"`
	Message   string `json:"message"`
	Timestamp string `json:"timestamp"`
	URL       string `json:"url"`
	Author    *struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"author"`
	Added    []string `json:"added"`
	Modified []string `json:"modified"`
	Removed  []string `json:"removed"`
}

type gitlabPush struct {
	ObjectKind        string             `json:"object_kind"`
	EventName         string             `json:"event_name"`
	Before            *string            `json:"before"`
	After             *string            `json:"after"`
	Ref               *string            `json:"ref"`
	UserName          string             `json:"user_name"`
	UserUsername      string             `json:"user_username"`
	UserEmail         string             `json:"user_email"`
	ProjectID         int64              `json:"project_id"`
	Project           *gitlabProject     `json:"project"`
	Commits           []gitlabPushCommit `json:"commits"`
	TotalCommitsCount *int               `json:"total_commits_count"`
}

func (p *gitlabPush) push(kind string) (*Push, error) {
	perr := func(field, problem string) error {
		return &ForgePayloadError{Provider: ProviderGitLab, Event: kind, Field: field, Problem: problem}
	}
	if p.Ref == nil || *p.Ref == "" {
		return nil, perr("ref", "missing; expected the full ref such as \"refs/heads/main\"")
	}
	if !strings.HasPrefix(*p.Ref, "refs/") {
		return nil, perr("ref", fmt.Sprintf("expected a full ref starting with \"refs/\", got %q", *p.Ref))
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"before", p.Before}, {"after", p.After}} {
		if f.v == nil {
			return nil, perr(f.name, "missing; expected a 40-hex-digit commit SHA")
		}
		if !isObjectName(*f.v) {
			return nil, perr(f.name, fmt.Sprintf("expected a 40-hex-digit commit SHA, got %q", *f.v))
		}
	}
	if p.Project == nil {
		return nil, perr("project", "missing; expected the project object")
	}
	if p.Project.PathWithNamespace == "" {
		return nil, perr("project.path_with_namespace", "missing; expected \"group/name\"")
	}
	id := p.Project.ID
	if id == 0 {
		id = p.ProjectID
	}
	out := &Push{
		Provider: ProviderGitLab,
		Repo: RepoRef{Provider: ProviderGitLab, FullName: p.Project.PathWithNamespace, CloneURL: p.Project.GitHTTPURL,
			SSHURL: p.Project.GitSSHURL, HTMLURL: p.Project.WebURL, ID: id, DefaultBranch: p.Project.DefaultBranch},
		Ref: *p.Ref, Before: strings.ToLower(*p.Before), After: strings.ToLower(*p.After),
		Sender: p.UserUsername, PusherName: p.UserName, PusherEmail: p.UserEmail,
	}
	if out.Sender == "" {
		out.Sender = p.UserName
	}
	out.Branch, out.Tag = splitRef(out.Ref)
	out.Created, out.Deleted = isZeroSHA(out.Before), isZeroSHA(out.After)
	out.Commits = make([]PushCommit, 0, len(p.Commits))
	for i, c := range p.Commits {
		field := fmt.Sprintf("commits[%d]", i)
		if !isObjectName(c.ID) {
			return nil, perr(field+".id", fmt.Sprintf("expected a 40-hex-digit commit SHA, got %q", c.ID))
		}
		ts, err := parseForgeTime(c.Timestamp)
		if err != nil {
			return nil, perr(field+".timestamp", err.Error())
		}
		pc := PushCommit{SHA: strings.ToLower(c.ID), Message: c.Message, Timestamp: ts, URL: c.URL, Distinct: true,
			Added: nonNilStrings(c.Added), Modified: nonNilStrings(c.Modified), Removed: nonNilStrings(c.Removed)}
		if c.Author != nil {
			pc.AuthorName, pc.AuthorEmail = c.Author.Name, c.Author.Email
		}
		out.Commits = append(out.Commits, pc)
	}
	for i := range out.Commits {
		if out.Commits[i].SHA == out.After {
			hc := out.Commits[i]
			out.HeadCommit = &hc
		}
	}
	out.TotalCommits = len(out.Commits)
	if p.TotalCommitsCount != nil {
		if *p.TotalCommitsCount < 0 {
			return nil, perr("total_commits_count", fmt.Sprintf("expected a count of zero or more, got %d", *p.TotalCommitsCount))
		}
		if *p.TotalCommitsCount > out.TotalCommits {
			out.TotalCommits = *p.TotalCommitsCount
		}
	}
	out.CommitsTruncated = out.TotalCommits > len(out.Commits)
	return out, nil
}
