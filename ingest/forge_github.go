package ingest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
)

// GitHub webhook header names, for the HTTP handler.
const (
	GitHubEventHeader     = "X-GitHub-Event"
	GitHubDeliveryHeader  = "X-GitHub-Delivery"
	GitHubSignatureHeader = "X-Hub-Signature-256"
)

// VerifyGitHubSignature checks the X-Hub-Signature-256 header ("sha256=" and
// the hex HMAC-SHA256 of the raw body under the webhook secret) in constant
// time. Call it on the exact bytes received, before parsing.
func VerifyGitHubSignature(secret, body []byte, header string) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: set the GitHub webhook secret; unsigned deliveries are refused", ErrForgeSecretNotConfigured)
	}
	header = strings.TrimSpace(header)
	if header == "" {
		return fmt.Errorf("%w: the %s header is absent; set a secret on the GitHub webhook", ErrForgeSignatureMissing, GitHubSignatureHeader)
	}
	algo, digest, ok := strings.Cut(header, "=")
	if !ok || algo != "sha256" {
		if strings.EqualFold(algo, "sha1") {
			return fmt.Errorf("%w: %s must be \"sha256=<hex>\"; SHA-1 signatures (X-Hub-Signature) are not accepted", ErrForgeSignatureMalformed, GitHubSignatureHeader)
		}
		return fmt.Errorf("%w: %s must be \"sha256=<64 hex digits>\"", ErrForgeSignatureMalformed, GitHubSignatureHeader)
	}
	got, err := hex.DecodeString(digest)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: %s must be \"sha256=<64 hex digits>\", got %d characters after \"sha256=\"", ErrForgeSignatureMalformed, GitHubSignatureHeader, len(digest))
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%w: %s does not match the body; check that the webhook secret here and on GitHub are the same", ErrForgeSignatureMismatch, GitHubSignatureHeader)
	}
	return nil
}

// SignGitHubPayload returns the X-Hub-Signature-256 value GitHub sends for
// body: for tests and for re-delivering stored payloads.
func SignGitHubPayload(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// GitHub event types this package reads.
const (
	GitHubEventPing = "ping"
	GitHubEventPush = "push"
)

// GitHubEvent is a parsed GitHub delivery: exactly one of Ping and Push is set.
type GitHubEvent struct {
	Type       string // X-GitHub-Event: ping, push
	DeliveryID string
	Ping       *GitHubPing
	Push       *Push
}

// GitHubPing is the event GitHub sends when a webhook is created.
type GitHubPing struct {
	Zen         string
	HookID      int64
	HookType    string // Repository, Organization, App
	AppID       int64  // set for GitHub App hooks
	Events      []string
	ContentType string // json, form
	URL         string // the delivery URL configured on GitHub
	// Repo is set for repository hooks, Organization for organization hooks.
	Repo           *RepoRef
	Organization   string
	Sender         string
	InstallationID int64
}

// ParseGitHubEvent reads a GitHub webhook body (application/json, or the
// form-encoded "payload=" variant). eventType is X-GitHub-Event and
// deliveryID X-GitHub-Delivery ("" derives one from the body). Event types
// other than ping and push give an error matching ErrForgeEventIgnored; a
// body that does not fit its type gives a *ForgePayloadError
// (ErrForgePayload).
func ParseGitHubEvent(eventType string, deliveryID string, body []byte) (GitHubEvent, error) {
	eventType = strings.TrimSpace(eventType)
	switch eventType {
	case "":
		return GitHubEvent{}, &ForgePayloadError{Provider: ProviderGitHub, Field: GitHubEventHeader + " header",
			Problem: "missing; expected the event type such as \"push\" or \"ping\""}
	case GitHubEventPing, GitHubEventPush:
	default:
		return GitHubEvent{}, fmt.Errorf("%w: GitHub event %q is not used (only push and ping are)", ErrForgeEventIgnored, eventType)
	}
	delivery := forgeDeliveryID(deliveryID, body)
	payload, err := githubFormPayload(eventType, body)
	if err != nil {
		return GitHubEvent{}, err
	}
	ev := GitHubEvent{Type: eventType, DeliveryID: delivery}
	switch eventType {
	case GitHubEventPing:
		ev.Ping, err = parseGitHubPing(payload)
	case GitHubEventPush:
		ev.Push, err = parseGitHubPush(payload)
		if ev.Push != nil {
			ev.Push.DeliveryID = delivery
		}
	}
	if err != nil {
		return GitHubEvent{}, err
	}
	return ev, nil
}

// githubFormPayload unwraps the "payload=<url-encoded JSON>" body GitHub
// sends when a hook's content type is application/x-www-form-urlencoded.
func githubFormPayload(event string, body []byte) ([]byte, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(body), []byte("payload=")) {
		return body, nil
	}
	form, err := url.ParseQuery(string(bytes.TrimSpace(body)))
	if err != nil {
		return nil, &ForgePayloadError{Provider: ProviderGitHub, Event: event, Field: "payload",
			Problem: "form-encoded body is not valid URL encoding: " + err.Error()}
	}
	return []byte(form.Get("payload")), nil
}

type githubUser struct {
	Login    string `json:"login"`
	Username string `json:"username"` // commit authors in push payloads
	Name     string `json:"name"`
	Email    string `json:"email"`
	ID       int64  `json:"id"`
}

type githubRepo struct {
	ID            int64       `json:"id"`
	Name          string      `json:"name"`
	FullName      string      `json:"full_name"`
	Owner         *githubUser `json:"owner"`
	HTMLURL       string      `json:"html_url"`
	CloneURL      string      `json:"clone_url"`
	SSHURL        string      `json:"ssh_url"`
	DefaultBranch string      `json:"default_branch"`
	MasterBranch  string      `json:"master_branch"`
}

func (r *githubRepo) ref() RepoRef {
	full := r.FullName
	if full == "" && r.Owner != nil && r.Owner.Login != "" && r.Name != "" {
		full = r.Owner.Login + "/" + r.Name
	}
	def := r.DefaultBranch
	if def == "" {
		def = r.MasterBranch
	}
	return RepoRef{Provider: ProviderGitHub, FullName: full, CloneURL: r.CloneURL, SSHURL: r.SSHURL,
		HTMLURL: r.HTMLURL, ID: r.ID, DefaultBranch: def}
}

type githubInstallation struct {
	ID int64 `json:"id"`
}

type githubPing struct {
	Zen    *string `json:"zen"`
	HookID *int64  `json:"hook_id"`
	Hook   *struct {
		Type   string   `json:"type"`
		AppID  int64    `json:"app_id"`
		Events []string `json:"events"`
		Config struct {
			ContentType string `json:"content_type"`
			URL         string `json:"url"`
		} `json:"config"`
	} `json:"hook"`
	Repository   *githubRepo         `json:"repository"`
	Organization *githubUser         `json:"organization"`
	Sender       *githubUser         `json:"sender"`
	Installation *githubInstallation `json:"installation"`
}

func parseGitHubPing(body []byte) (*GitHubPing, error) {
	var p githubPing
	if err := decodeForgeJSON(ProviderGitHub, GitHubEventPing, body, &p); err != nil {
		return nil, err
	}
	perr := func(field, problem string) error {
		return &ForgePayloadError{Provider: ProviderGitHub, Event: GitHubEventPing, Field: field, Problem: problem}
	}
	if p.HookID == nil {
		return nil, perr("hook_id", "missing; expected the numeric id of the webhook")
	}
	out := &GitHubPing{HookID: *p.HookID}
	if p.Zen != nil {
		out.Zen = *p.Zen
	}
	if p.Hook != nil {
		out.HookType, out.AppID, out.Events = p.Hook.Type, p.Hook.AppID, p.Hook.Events
		out.ContentType, out.URL = p.Hook.Config.ContentType, p.Hook.Config.URL
	}
	if p.Repository != nil {
		r := p.Repository.ref()
		out.Repo = &r
	}
	if p.Organization != nil {
		out.Organization = p.Organization.Login
	}
	if p.Sender != nil {
		out.Sender = p.Sender.Login
	}
	if p.Installation != nil {
		out.InstallationID = p.Installation.ID
	}
	return out, nil
}

type githubPushCommit struct {
	ID        string      `json:"id"`
	Distinct  *bool       `json:"distinct"`
	Message   string      `json:"message"`
	Timestamp string      `json:"timestamp"`
	URL       string      `json:"url"`
	Author    *githubUser `json:"author"`
	Committer *githubUser `json:"committer"`
	Added     []string    `json:"added"`
	Removed   []string    `json:"removed"`
	Modified  []string    `json:"modified"`
}

type githubPush struct {
	Ref          *string             `json:"ref"`
	Before       *string             `json:"before"`
	After        *string             `json:"after"`
	Created      bool                `json:"created"`
	Deleted      bool                `json:"deleted"`
	Forced       bool                `json:"forced"`
	BaseRef      *string             `json:"base_ref"`
	Compare      string              `json:"compare"`
	Commits      []githubPushCommit  `json:"commits"`
	HeadCommit   *githubPushCommit   `json:"head_commit"`
	Repository   *githubRepo         `json:"repository"`
	Pusher       *githubUser         `json:"pusher"`
	Sender       *githubUser         `json:"sender"`
	Installation *githubInstallation `json:"installation"`
}

// githubMaxPushCommits is the most commits GitHub lists in a push payload.
const githubMaxPushCommits = 2048

func parseGitHubPush(body []byte) (*Push, error) {
	var p githubPush
	if err := decodeForgeJSON(ProviderGitHub, GitHubEventPush, body, &p); err != nil {
		return nil, err
	}
	perr := func(field, problem string) error {
		return &ForgePayloadError{Provider: ProviderGitHub, Event: GitHubEventPush, Field: field, Problem: problem}
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
	if p.Repository == nil {
		return nil, perr("repository", "missing; expected the repository object")
	}
	repo := p.Repository.ref()
	if repo.FullName == "" {
		return nil, perr("repository.full_name", "missing; expected \"owner/name\"")
	}
	out := &Push{
		Provider: ProviderGitHub, Repo: repo, Ref: *p.Ref,
		Before: strings.ToLower(*p.Before), After: strings.ToLower(*p.After),
		Created: p.Created || isZeroSHA(*p.Before), Deleted: p.Deleted || isZeroSHA(*p.After), Forced: p.Forced,
		CompareURL: p.Compare,
	}
	out.Branch, out.Tag = splitRef(out.Ref)
	if p.BaseRef != nil {
		out.BaseRef = *p.BaseRef
	}
	if p.Sender != nil {
		out.Sender = p.Sender.Login
	}
	if p.Pusher != nil {
		out.PusherName, out.PusherEmail = p.Pusher.Name, p.Pusher.Email
		if out.Sender == "" {
			out.Sender = p.Pusher.Name
		}
	}
	if p.Installation != nil {
		out.InstallationID = p.Installation.ID
	}
	out.Commits = make([]PushCommit, 0, len(p.Commits))
	for i, c := range p.Commits {
		pc, err := githubCommit(fmt.Sprintf("commits[%d]", i), c)
		if err != nil {
			return nil, err
		}
		out.Commits = append(out.Commits, pc)
	}
	if p.HeadCommit != nil {
		hc, err := githubCommit("head_commit", *p.HeadCommit)
		if err != nil {
			return nil, err
		}
		out.HeadCommit = &hc
		if len(out.Commits) == 0 && !out.Deleted {
			out.Commits = append(out.Commits, hc)
		}
	}
	out.TotalCommits = len(out.Commits)
	out.CommitsTruncated = len(p.Commits) >= githubMaxPushCommits
	return out, nil
}

func githubCommit(field string, c githubPushCommit) (PushCommit, error) {
	perr := func(sub, problem string) error {
		return &ForgePayloadError{Provider: ProviderGitHub, Event: GitHubEventPush, Field: field + "." + sub, Problem: problem}
	}
	if !isObjectName(c.ID) {
		return PushCommit{}, perr("id", fmt.Sprintf("expected a 40-hex-digit commit SHA, got %q", c.ID))
	}
	ts, err := parseForgeTime(c.Timestamp)
	if err != nil {
		return PushCommit{}, perr("timestamp", err.Error())
	}
	pc := PushCommit{
		SHA: strings.ToLower(c.ID), Message: c.Message, Timestamp: ts, URL: c.URL,
		Added: nonNilStrings(c.Added), Modified: nonNilStrings(c.Modified), Removed: nonNilStrings(c.Removed),
		Distinct: c.Distinct == nil || *c.Distinct,
	}
	if c.Author != nil {
		pc.AuthorName, pc.AuthorEmail, pc.AuthorUsername = c.Author.Name, c.Author.Email, c.Author.Username
	}
	if c.Committer != nil {
		pc.CommitterName, pc.CommitterEmail = c.Committer.Name, c.Committer.Email
	}
	return pc, nil
}
