package ingest_test

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest"
)

// forgeFixture reads a file of testdata/forge.
func forgeFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "forge", filepath.FromSlash(name)))
	require.NoError(t, err)
	return b
}

func TestVerifyGitHubSignature(t *testing.T) {
	t.Parallel()
	secret := []byte("It's a Secret to Everybody")
	body := forgeFixture(t, "github/push_branch.json")
	good := ingest.SignGitHubPayload(secret, body)

	// The example from GitHub's documentation on validating deliveries.
	require.NoError(t, ingest.VerifyGitHubSignature(secret, []byte("Hello, World!"),
		"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"))

	cases := []struct {
		name    string
		secret  []byte
		body    []byte
		header  string
		want    error
		message string
	}{
		{"valid", secret, body, good, nil, ""},
		{"valid with surrounding space", secret, body, " " + good + " ", nil, ""},
		{"upper-case hex", secret, body, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), nil, ""},
		{"wrong secret", []byte("another secret"), body, good, ingest.ErrForgeSignatureMismatch, "does not match"},
		{"tampered body", secret, bytes.Replace(body, []byte("Add cart totals"), []byte("Add cart total$"), 1), good, ingest.ErrForgeSignatureMismatch, "does not match"},
		{"missing header", secret, body, "", ingest.ErrForgeSignatureMissing, "X-Hub-Signature-256 header is absent"},
		{"sha1 prefix", secret, body, "sha1=" + strings.Repeat("a", 40), ingest.ErrForgeSignatureMalformed, "SHA-1"},
		{"no prefix", secret, body, strings.TrimPrefix(good, "sha256="), ingest.ErrForgeSignatureMalformed, "sha256=<64 hex digits>"},
		{"not hex", secret, body, "sha256=" + strings.Repeat("z", 64), ingest.ErrForgeSignatureMalformed, "64 hex digits"},
		{"short digest", secret, body, good[:len(good)-2], ingest.ErrForgeSignatureMalformed, "got 62 characters"},
		{"no secret configured", nil, body, good, ingest.ErrForgeSecretNotConfigured, "secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ingest.VerifyGitHubSignature(tc.secret, tc.body, tc.header)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.message)
		})
	}
}

func TestParseGitHubPushBranch(t *testing.T) {
	t.Parallel()
	ev, err := ingest.ParseGitHubEvent("push", "a1b2c3d4-0000-11ef-8000-000000000001", forgeFixture(t, "github/push_branch.json"))
	require.NoError(t, err)
	require.Equal(t, "push", ev.Type)
	require.Nil(t, ev.Ping)
	p := ev.Push
	require.NotNil(t, p)
	assert.Equal(t, "a1b2c3d4-0000-11ef-8000-000000000001", p.DeliveryID)
	assert.Equal(t, ingest.ProviderGitHub, p.Provider)
	assert.Equal(t, ingest.RepoRef{Provider: "github", FullName: "acme/shop", CloneURL: "https://github.com/acme/shop.git",
		SSHURL: "git@github.com:acme/shop.git", HTMLURL: "https://github.com/acme/shop", ID: 781200345, DefaultBranch: "main"}, p.Repo)
	owner, name := p.Repo.OwnerAndName()
	assert.Equal(t, []string{"acme", "shop"}, []string{owner, name})
	assert.Equal(t, "refs/heads/main", p.Ref)
	assert.Equal(t, "main", p.Branch)
	assert.Empty(t, p.Tag)
	assert.Equal(t, "51de2b835bd35a67eb32dbcd3d77d4b96e5aa39d", p.Before)
	assert.Equal(t, "6b1f53303a732ccc8c6aae6640399827c15250e3", p.After)
	assert.False(t, p.Created || p.Deleted || p.Forced || p.CommitsTruncated)
	assert.Equal(t, int64(52001234), p.InstallationID)
	assert.Equal(t, "ana-lima", p.Sender)
	assert.Equal(t, "ana@acme.example", p.PusherEmail)
	require.Len(t, p.Commits, 2)
	assert.Equal(t, 2, p.TotalCommits)

	c := p.Commits[0]
	assert.Equal(t, "2f22765d04931a078909145ca628d2264c852d7d", c.SHA)
	assert.Equal(t, "Add cart totals\n\nCompute VAT per line item.", c.Message)
	assert.Equal(t, "Ana Lima", c.AuthorName)
	assert.Equal(t, "ana@acme.example", c.AuthorEmail)
	assert.Equal(t, "ana-lima", c.AuthorUsername)
	assert.Equal(t, "noreply@github.com", c.CommitterEmail)
	assert.True(t, c.Timestamp.Equal(time.Date(2025, 2, 3, 9, 12, 1, 0, time.UTC)), c.Timestamp)
	assert.Equal(t, []string{"internal/cart/totals.go", "internal/cart/totals_test.go"}, c.Added)
	assert.Equal(t, []string{"go.mod"}, c.Modified)
	assert.Equal(t, []string{}, c.Removed)
	assert.True(t, c.Distinct)
	assert.Equal(t, []string{"internal/pricecache/cache.go"}, p.Commits[1].Removed)
	require.NotNil(t, p.HeadCommit)
	assert.Equal(t, p.After, p.HeadCommit.SHA)

	in := c.CommitInput(p.Branch)
	assert.Equal(t, c.SHA, in.SHA)
	assert.Equal(t, "main", in.Branch)
	assert.Equal(t, []string{"internal/cart/totals.go", "internal/cart/totals_test.go", "go.mod"}, in.Files)
}

func TestParseGitHubPushVariants(t *testing.T) {
	t.Parallel()
	zero := ingest.ZeroSHA
	cases := []struct {
		file  string
		check func(t *testing.T, p *ingest.Push)
	}{
		{"github/push_new_branch.json", func(t *testing.T, p *ingest.Push) {
			assert.Equal(t, "feature/checkout", p.Branch)
			assert.Equal(t, zero, p.Before)
			assert.True(t, p.Created)
			assert.False(t, p.Deleted)
			require.Len(t, p.Commits, 1)
			assert.Equal(t, []string{"internal/checkout/flow.go"}, p.Commits[0].Added)
		}},
		{"github/push_new_branch_existing_commit.json", func(t *testing.T, p *ingest.Push) {
			// No new commits: the head commit stands for the branch, marked
			// not distinct so it is linked but not counted as new work.
			assert.Equal(t, "release/2025.02", p.Branch)
			assert.True(t, p.Created)
			assert.Equal(t, "refs/heads/main", p.BaseRef)
			require.Len(t, p.Commits, 1)
			assert.Equal(t, p.After, p.Commits[0].SHA)
			assert.False(t, p.Commits[0].Distinct)
		}},
		{"github/push_branch_deleted.json", func(t *testing.T, p *ingest.Push) {
			assert.Equal(t, "feature/checkout", p.Branch)
			assert.Equal(t, zero, p.After)
			assert.True(t, p.Deleted)
			assert.Empty(t, p.Commits)
			assert.Nil(t, p.HeadCommit)
			assert.Zero(t, p.TotalCommits)
		}},
		{"github/push_tag.json", func(t *testing.T, p *ingest.Push) {
			assert.Empty(t, p.Branch)
			assert.Equal(t, "v1.4.0", p.Tag)
			assert.Equal(t, "refs/heads/main", p.BaseRef)
			assert.Zero(t, p.InstallationID)
			require.NotNil(t, p.HeadCommit)
		}},
		{"github/push_no_username_forced.json", func(t *testing.T, p *ingest.Push) {
			assert.True(t, p.Forced)
			assert.Equal(t, "ana-lima/dotfiles", p.Repo.FullName)
			require.Len(t, p.Commits, 1)
			c := p.Commits[0]
			assert.Empty(t, c.AuthorUsername)
			assert.Equal(t, "build-bot@ci.acme.example", c.AuthorEmail)
			assert.Equal(t, "build-bot@ci.acme.example", c.CommitterEmail)
			assert.True(t, c.Timestamp.Equal(time.Date(2025, 2, 5, 22, 45, 9, 0, time.UTC)), c.Timestamp)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			ev, err := ingest.ParseGitHubEvent("push", "d-"+tc.file, forgeFixture(t, tc.file))
			require.NoError(t, err)
			require.NotNil(t, ev.Push)
			assert.Equal(t, "d-"+tc.file, ev.Push.DeliveryID)
			tc.check(t, ev.Push)
		})
	}
}

func TestParseGitHubPing(t *testing.T) {
	t.Parallel()
	ev, err := ingest.ParseGitHubEvent("ping", "ping-1", forgeFixture(t, "github/ping_repo.json"))
	require.NoError(t, err)
	require.Nil(t, ev.Push)
	p := ev.Ping
	require.NotNil(t, p)
	assert.Equal(t, "Practicality beats purity.", p.Zen)
	assert.Equal(t, int64(493810221), p.HookID)
	assert.Equal(t, "Repository", p.HookType)
	assert.Equal(t, []string{"push"}, p.Events)
	assert.Equal(t, "json", p.ContentType)
	assert.Equal(t, "https://ctxintel.acme.example/hooks/github", p.URL)
	require.NotNil(t, p.Repo)
	assert.Equal(t, "acme/shop", p.Repo.FullName)
	assert.Equal(t, "ana-lima", p.Sender)

	ev, err = ingest.ParseGitHubEvent("ping", "", forgeFixture(t, "github/ping_org.json"))
	require.NoError(t, err)
	assert.Equal(t, "Organization", ev.Ping.HookType)
	assert.Equal(t, "acme", ev.Ping.Organization)
	assert.Nil(t, ev.Ping.Repo)
	assert.True(t, strings.HasPrefix(ev.DeliveryID, "sha256:"), ev.DeliveryID)

	ev, err = ingest.ParseGitHubEvent("ping", "", forgeFixture(t, "github/ping_app.json"))
	require.NoError(t, err)
	assert.Equal(t, "App", ev.Ping.HookType)
	assert.Equal(t, int64(912345), ev.Ping.AppID)
}

func TestParseGitHubFormEncoded(t *testing.T) {
	t.Parallel()
	body := forgeFixture(t, "github/push_branch.json")
	form := []byte("payload=" + url.QueryEscape(string(body)))
	ev, err := ingest.ParseGitHubEvent("push", "form-1", form)
	require.NoError(t, err)
	require.Len(t, ev.Push.Commits, 2)
}

func TestGitHubDeliveryIDFromBody(t *testing.T) {
	t.Parallel()
	body := forgeFixture(t, "github/push_tag.json")
	a, err := ingest.ParseGitHubEvent("push", "", body)
	require.NoError(t, err)
	b, err := ingest.ParseGitHubEvent("push", "  ", body)
	require.NoError(t, err)
	require.Equal(t, a.Push.DeliveryID, b.Push.DeliveryID, "a redelivery without the header still de-duplicates")
	require.Regexp(t, `^sha256:[0-9a-f]{64}$`, a.Push.DeliveryID)
}

func TestParseGitHubUnsupportedEvent(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"issues", "pull_request", "installation", "workflow_run"} {
		_, err := ingest.ParseGitHubEvent(typ, "x", []byte(`{"action":"opened"}`))
		require.ErrorIs(t, err, ingest.ErrForgeEventIgnored, typ)
		require.NotErrorIs(t, err, ingest.ErrForgePayload)
		require.ErrorContains(t, err, typ)
	}
	_, err := ingest.ParseGitHubEvent("", "x", []byte(`{}`))
	require.ErrorIs(t, err, ingest.ErrForgePayload)
	require.ErrorContains(t, err, "X-GitHub-Event header: missing")
}

func TestParseGitHubMalformed(t *testing.T) {
	t.Parallel()
	valid := string(forgeFixture(t, "github/push_branch.json"))
	replace := func(old, new string) string {
		require.Contains(t, valid, old)
		return strings.Replace(valid, old, new, 1)
	}
	cases := []struct {
		name, event, body, field, message string
	}{
		{"empty body", "push", "", "", "the body is empty; expected a JSON object"},
		{"array", "push", `[1,2]`, "", "expected a JSON object, got an array"},
		{"truncated JSON", "push", valid[:200], "", "invalid JSON"},
		{"ref missing", "push", `{"before":"` + ingest.ZeroSHA + `"}`, "ref", "missing; expected the full ref"},
		{"ref not full", "push", replace(`"ref": "refs/heads/main"`, `"ref": "main"`), "ref", `starting with "refs/", got "main"`},
		{"ref wrong type", "push", replace(`"ref": "refs/heads/main"`, `"ref": 7`), "ref", "expected a string, got JSON number"},
		{"after not a SHA", "push", replace(`"after": "6b1f53303a732ccc8c6aae6640399827c15250e3"`, `"after": "HEAD"`), "after", `40-hex-digit commit SHA, got "HEAD"`},
		{"before missing", "push", replace(`"before": "51de2b835bd35a67eb32dbcd3d77d4b96e5aa39d",`, ``), "before", "missing"},
		{"repository missing", "push", `{"ref":"refs/heads/main","before":"` + ingest.ZeroSHA + `","after":"` + ingest.ZeroSHA + `"}`, "repository", "missing"},
		{"repository name missing", "push", `{"ref":"refs/heads/main","before":"` + ingest.ZeroSHA + `","after":"` + ingest.ZeroSHA + `","repository":{"id":1,"full_name":""}}`, "repository.full_name", `expected "owner/name"`},
		{"commits not an array", "push", replace(`"commits": [`, `"commits": 5, "_": [`), "commits", "expected an array, got JSON number"},
		{"commit timestamp bad", "push", replace(`"timestamp": "2025-02-03T10:14:30+01:00"`, `"timestamp": "yesterday"`), "commits[1].timestamp", `RFC 3339 time`},
		{"commit id bad", "push", replace(`"id": "2f22765d04931a078909145ca628d2264c852d7d"`, `"id": "xyz"`), "commits[0].id", `got "xyz"`},
		{"added wrong type", "push", replace(`"added": [`, `"added": "x", "_": [`), "commits.added", "expected an array, got JSON string"},
		{"ping without hook_id", "ping", `{"zen":"hi"}`, "hook_id", "missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ingest.ParseGitHubEvent(tc.event, "m", []byte(tc.body))
			require.ErrorIs(t, err, ingest.ErrForgePayload)
			require.NotErrorIs(t, err, ingest.ErrForgeEventIgnored)
			var perr *ingest.ForgePayloadError
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, "github", perr.Provider)
			if tc.field != "" {
				assert.Equal(t, tc.field, perr.Field, err.Error())
			}
			assert.Contains(t, err.Error(), tc.message)
		})
	}
}

func FuzzParseGitHubEvent(f *testing.F) {
	for _, name := range []string{"push_branch", "push_new_branch", "push_new_branch_existing_commit", "push_branch_deleted",
		"push_tag", "push_no_username_forced", "ping_repo", "ping_org", "ping_app"} {
		body := forgeFixture(f, "github/"+name+".json")
		event := "push"
		if strings.HasPrefix(name, "ping") {
			event = "ping"
		}
		f.Add(event, body)
	}
	f.Add("push", []byte(`{"ref":"refs/heads/x","before":"`+ingest.ZeroSHA+`","after":"`+ingest.ZeroSHA+`","repository":{"full_name":"a/b"},"commits":[{}]}`))
	f.Add("push", []byte("payload=%7B%7D"))
	f.Add("ping", []byte(`{"hook_id":1,"hook":{"config":null}}`))
	f.Fuzz(func(t *testing.T, event string, body []byte) {
		ev, err := ingest.ParseGitHubEvent(event, "", body)
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		switch ev.Type {
		case "push":
			p := ev.Push
			require.NotNil(t, p)
			require.NotEmpty(t, p.Repo.FullName)
			require.True(t, strings.HasPrefix(p.Ref, "refs/"))
			require.Regexp(t, `^([0-9a-f]{40}|[0-9a-f]{64})$`, p.After)
			require.NotEmpty(t, p.DeliveryID)
			for _, c := range p.Commits {
				require.NotEmpty(t, c.SHA)
				require.False(t, c.Timestamp.IsZero())
			}
		case "ping":
			require.NotNil(t, ev.Ping)
		default:
			t.Fatalf("unexpected event type %q", ev.Type)
		}
	})
}

func FuzzVerifyGitHubSignature(f *testing.F) {
	f.Add([]byte("secret"), []byte(`{"zen":"x"}`), "")
	f.Add([]byte("secret"), []byte(`{}`), "sha256=00")
	f.Add([]byte("k"), []byte("Hello, World!"), "sha1=0123")
	f.Fuzz(func(t *testing.T, secret, body []byte, header string) {
		// Any header verifies only if it is the body's signature.
		err := ingest.VerifyGitHubSignature(secret, body, header)
		if len(secret) == 0 {
			require.ErrorIs(t, err, ingest.ErrForgeSecretNotConfigured)
			return
		}
		good := ingest.SignGitHubPayload(secret, body)
		if err == nil {
			require.True(t, strings.EqualFold(strings.TrimSpace(header), good), "accepted %q, want %q", header, good)
		}
		require.NoError(t, ingest.VerifyGitHubSignature(secret, body, good))
		if len(body) > 0 {
			tampered := append([]byte{}, body...)
			tampered[0] ^= 1
			require.ErrorIs(t, ingest.VerifyGitHubSignature(secret, tampered, good), ingest.ErrForgeSignatureMismatch)
		}
	})
}
