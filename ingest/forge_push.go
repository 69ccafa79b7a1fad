package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Forge providers, the values of Push.Provider and RepoRef.Provider.
const (
	ProviderGitHub = "github"
	ProviderGitLab = "gitlab"
)

// ZeroSHA is the object name a forge sends for the missing side of a push:
// Before of a new branch or tag, After of a deleted one.
const ZeroSHA = "0000000000000000000000000000000000000000"

// Push is one push event from any forge: the commits pushed to a branch.
type Push struct {
	Provider string // github, gitlab
	// DeliveryID identifies the delivery for de-duplication: X-GitHub-Delivery,
	// or for GitLab Idempotency-Key / X-Gitlab-Event-UUID; "sha256:<hex of the
	// body>" when the caller had none.
	DeliveryID string
	Repo       RepoRef
	Ref        string // refs/heads/main
	Branch     string // main ("" for tags)
	Tag        string // v1.0.0 ("" for branches)
	Before     string
	After      string // ZeroSHA when the ref was deleted
	// Commits are the pushed commits as the forge listed them, oldest first.
	// GitHub lists at most 2048 and GitLab at most 20 (see TotalCommits).
	// When GitHub lists none but names a head commit (a branch created at an
	// existing commit), that head commit is the only entry, with Distinct
	// as GitHub reported it.
	Commits []PushCommit
	// HeadCommit is the commit the ref points to after the push, when the
	// forge names it (GitHub's head_commit; GitLab's last listed commit
	// whose SHA is After); nil for deletions.
	HeadCommit *PushCommit
	// TotalCommits is how many commits the push brought: GitLab's
	// total_commits_count, GitHub's len(commits) (GitHub sends no count).
	TotalCommits int
	// CommitsTruncated: the forge did not list every pushed commit; fetch
	// the rest through the REST compare API (GitHubClient.ListCompare,
	// GitLabClient.ListCompare) between Before and After.
	CommitsTruncated bool
	Created          bool // the ref did not exist before (Before is ZeroSHA)
	Deleted          bool // the ref was deleted (After is ZeroSHA)
	Forced           bool // GitHub: a force push
	BaseRef          string
	CompareURL       string
	Sender           string // login (GitHub sender.login, GitLab user_username)
	PusherName       string
	PusherEmail      string
	InstallationID   int64 // GitHub App installation, 0 if none
}

// RepoRef names a repository on a forge.
type RepoRef struct {
	Provider      string
	FullName      string // "owner/name"; GitLab: path_with_namespace, "group/sub/name"
	CloneURL      string // https clone URL
	SSHURL        string
	HTMLURL       string
	ID            int64 // the forge's repository / project id
	DefaultBranch string
}

// OwnerAndName splits FullName at its last slash: "acme/shop" gives
// ("acme", "shop"), GitLab's "group/sub/shop" gives ("group/sub", "shop").
func (r RepoRef) OwnerAndName() (owner, name string) {
	i := strings.LastIndex(r.FullName, "/")
	if i < 0 {
		return "", r.FullName
	}
	return r.FullName[:i], r.FullName[i+1:]
}

// PushCommit is one commit as a push webhook describes it. The file lists
// are the forge's own and may be incomplete for very large commits; the REST
// clients give the full detail.
type PushCommit struct {
	SHA            string
	Message        string
	AuthorName     string
	AuthorEmail    string
	AuthorUsername string // GitHub only, and only when the e-mail maps to an account
	CommitterName  string // GitHub only
	CommitterEmail string // GitHub only
	Timestamp      time.Time
	URL            string
	Added          []string
	Modified       []string
	Removed        []string
	// Distinct: the commit was not pushed to the repository before. GitHub
	// reports it; GitLab does not, and every listed commit is taken as
	// distinct.
	Distinct bool
}

// Errors of the webhook parsers and verifiers, for callers to map to
// statuses: ErrForgeEventIgnored → 202, ErrForgePayload → 400, the
// signature and token errors → 401, ErrForgeSecretNotConfigured → 500.
var (
	// ErrForgeEventIgnored: a well-formed event of a kind this service
	// does not consume (issues, merge requests, …).
	ErrForgeEventIgnored = errors.New("forge event ignored")
	// ErrForgePayload: the payload is not what the event type promises;
	// a *ForgePayloadError says which field and what was expected.
	ErrForgePayload = errors.New("malformed forge payload")

	ErrForgeSecretNotConfigured = errors.New("webhook secret is not configured")
	ErrForgeSignatureMissing    = errors.New("webhook signature missing")
	ErrForgeSignatureMalformed  = errors.New("webhook signature malformed")
	ErrForgeSignatureMismatch   = errors.New("webhook signature mismatch")
	ErrForgeTokenMissing        = errors.New("webhook token missing")
	ErrForgeTokenMismatch       = errors.New("webhook token mismatch")
)

// ForgePayloadError tells which field of a webhook payload is wrong and what
// was expected. It matches ErrForgePayload with errors.Is.
type ForgePayloadError struct {
	Provider string // github, gitlab
	Event    string // push, ping, tag_push, …
	Field    string // JSON path such as "commits[2].timestamp"; "" for the whole body
	Problem  string // what is wrong and what was expected
}

func (e *ForgePayloadError) Error() string {
	where := e.Provider + " " + e.Event + " payload"
	if e.Field != "" {
		where += ": " + e.Field
	}
	return where + ": " + e.Problem
}

// Is makes errors.Is(err, ErrForgePayload) true.
func (e *ForgePayloadError) Is(target error) bool { return target == ErrForgePayload }

// forgeDeliveryID returns id, or a stable id derived from the body when the
// delivery header was absent, so a redelivery still de-duplicates.
func forgeDeliveryID(id string, body []byte) string {
	if id = strings.TrimSpace(id); id != "" {
		return id
	}
	sum := sha256.Sum256(body)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// decodeForgeJSON decodes body into v and turns encoding/json's errors into
// a ForgePayloadError naming the field and the expected type.
func decodeForgeJSON(provider, event string, body []byte, v any) error {
	perr := func(field, problem string) error {
		return &ForgePayloadError{Provider: provider, Event: event, Field: field, Problem: problem}
	}
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" {
		return perr("", "the body is empty; expected a JSON object")
	}
	if trimmed[0] != '{' {
		return perr("", fmt.Sprintf("expected a JSON object, got %s", describeJSONStart(trimmed)))
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return perr("", fmt.Sprintf("invalid JSON at byte %d: %s", syn.Offset, syn.Error()))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(top level)"
		}
		return perr(field, fmt.Sprintf("expected %s, got JSON %s", jsonTypeName(typ.Type.String()), typ.Value))
	default:
		return perr("", "invalid JSON: "+err.Error())
	}
}

func describeJSONStart(s string) string {
	switch s[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	if strings.ContainsRune("-0123456789", rune(s[0])) {
		return "a number"
	}
	if len(s) > 20 {
		s = s[:20] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// jsonTypeName says a Go type in JSON words for error messages.
func jsonTypeName(goType string) string {
	switch {
	case goType == "string", strings.HasSuffix(goType, "*string"):
		return "a string"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case goType == "bool", goType == "*bool":
		return "a boolean"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	default:
		return "an object"
	}
}

// isObjectName reports whether s looks like a git object name: 40 (SHA-1)
// or 64 (SHA-256) hex digits.
func isObjectName(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func isZeroSHA(s string) bool { return strings.Trim(s, "0") == "" && s != "" }

// splitRef fills the branch or tag name of a full ref.
func splitRef(ref string) (branch, tag string) {
	switch {
	case strings.HasPrefix(ref, "refs/heads/"):
		return strings.TrimPrefix(ref, "refs/heads/"), ""
	case strings.HasPrefix(ref, "refs/tags/"):
		return "", strings.TrimPrefix(ref, "refs/tags/")
	}
	return "", ""
}

// parseForgeTime reads an RFC 3339 timestamp, the form both forges use in
// webhooks and REST bodies.
func parseForgeTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("expected an RFC 3339 time such as \"2024-05-01T12:00:00Z\", got %q", s)
	}
	return t, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
