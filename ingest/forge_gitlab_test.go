package ingest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest"
)

func TestVerifyGitLabToken(t *testing.T) {
	t.Parallel()
	require.NoError(t, ingest.VerifyGitLabToken("s3cr3t-token", "s3cr3t-token"))
	err := ingest.VerifyGitLabToken("s3cr3t-token", "s3cr3t-tokeN")
	require.ErrorIs(t, err, ingest.ErrForgeTokenMismatch)
	require.ErrorContains(t, err, "X-Gitlab-Token does not match")
	require.ErrorIs(t, ingest.VerifyGitLabToken("s3cr3t-token", "s3cr3t"), ingest.ErrForgeTokenMismatch)
	require.ErrorIs(t, ingest.VerifyGitLabToken("s3cr3t-token", "s3cr3t-token-and-more"), ingest.ErrForgeTokenMismatch)
	err = ingest.VerifyGitLabToken("s3cr3t-token", "")
	require.ErrorIs(t, err, ingest.ErrForgeTokenMissing)
	require.ErrorContains(t, err, "X-Gitlab-Token header is absent")
	require.ErrorIs(t, ingest.VerifyGitLabToken("", "anything"), ingest.ErrForgeSecretNotConfigured)
	require.ErrorIs(t, ingest.VerifyGitLabToken("", ""), ingest.ErrForgeSecretNotConfigured)
}

func TestParseGitLabPush(t *testing.T) {
	t.Parallel()
	ev, err := ingest.ParseGitLabEvent("Push Hook", "9f0c6c2e-7d1a-4d7e-9a51-3f1e7c9d2b10", forgeFixture(t, "gitlab/push.json"))
	require.NoError(t, err)
	assert.Equal(t, "push", ev.Kind)
	assert.False(t, ev.System)
	p := ev.Push
	require.NotNil(t, p)
	assert.Equal(t, "9f0c6c2e-7d1a-4d7e-9a51-3f1e7c9d2b10", p.DeliveryID)
	assert.Equal(t, ev.DeliveryID, p.DeliveryID)
	assert.Equal(t, ingest.RepoRef{Provider: "gitlab", FullName: "payments/backend/ledger",
		CloneURL: "https://gitlab.acme.example/payments/backend/ledger.git", SSHURL: "git@gitlab.acme.example:payments/backend/ledger.git",
		HTMLURL: "https://gitlab.acme.example/payments/backend/ledger", ID: 311, DefaultBranch: "main"}, p.Repo)
	owner, name := p.Repo.OwnerAndName()
	assert.Equal(t, []string{"payments/backend", "ledger"}, []string{owner, name})
	assert.Equal(t, "refs/heads/main", p.Ref)
	assert.Equal(t, "main", p.Branch)
	assert.Equal(t, "bchen", p.Sender)
	assert.Equal(t, "Bo Chen", p.PusherName)
	assert.Equal(t, "bo.chen@acme.example", p.PusherEmail)
	assert.Equal(t, "f49de81d68684cd98ce6506fb4a6be6590507834", p.Before)
	assert.Equal(t, "077564fb04323d23b1f76da35a5c35b419711fa4", p.After)
	assert.Equal(t, 2, p.TotalCommits)
	assert.False(t, p.CommitsTruncated)
	assert.False(t, p.Created || p.Deleted)
	require.Len(t, p.Commits, 2)
	c := p.Commits[0]
	assert.Equal(t, "a46e558d11cb2400bab09c1ca969e615142ef3d6", c.SHA)
	assert.Equal(t, "Add ledger reconciliation job\n\nRuns nightly.\n", c.Message)
	assert.Equal(t, "Bo Chen", c.AuthorName)
	assert.Equal(t, "bo.chen@acme.example", c.AuthorEmail)
	assert.True(t, c.Timestamp.Equal(time.Date(2025, 3, 10, 8, 30, 0, 0, time.UTC)), c.Timestamp)
	assert.Equal(t, []string{"jobs/reconcile.rb"}, c.Added)
	assert.Equal(t, []string{"config/schedule.yml"}, c.Modified)
	assert.Equal(t, []string{}, c.Removed)
	assert.True(t, c.Distinct)
	assert.Equal(t, []string{"app/models/currency.rb"}, p.Commits[1].Removed)
	require.NotNil(t, p.HeadCommit)
	assert.Equal(t, p.After, p.HeadCommit.SHA)
}

func TestParseGitLabVariants(t *testing.T) {
	t.Parallel()
	cases := []struct {
		header, file string
		check        func(t *testing.T, ev ingest.GitLabEvent)
	}{
		{"System Hook", "gitlab/system_push.json", func(t *testing.T, ev ingest.GitLabEvent) {
			assert.True(t, ev.System)
			assert.Equal(t, "push", ev.Kind)
			assert.Equal(t, "Bo Chen", ev.Push.Sender, "no user_username: the name stands in")
			assert.Len(t, ev.Push.Commits, 2)
		}},
		{"Push Hook", "gitlab/push_truncated.json", func(t *testing.T, ev ingest.GitLabEvent) {
			p := ev.Push
			assert.Len(t, p.Commits, 20)
			assert.Equal(t, 27, p.TotalCommits)
			assert.True(t, p.CommitsTruncated)
			assert.Equal(t, "refactor", p.Branch)
			require.NotNil(t, p.HeadCommit)
			assert.Equal(t, "a33f2e1cf3bdf75fa83162abf74aeb3eb571256c", p.HeadCommit.SHA)
		}},
		{"Tag Push Hook", "gitlab/tag_push.json", func(t *testing.T, ev ingest.GitLabEvent) {
			p := ev.Push
			assert.Equal(t, "tag_push", ev.Kind)
			assert.Equal(t, "v2.0.0", p.Tag)
			assert.Empty(t, p.Branch)
			assert.True(t, p.Created)
			assert.Len(t, p.Commits, 1)
		}},
		{"System Hook", "gitlab/tag_push.json", func(t *testing.T, ev ingest.GitLabEvent) {
			assert.Equal(t, "tag_push", ev.Kind)
			assert.True(t, ev.System)
		}},
		{"Push Hook", "gitlab/branch_deleted.json", func(t *testing.T, ev ingest.GitLabEvent) {
			p := ev.Push
			assert.True(t, p.Deleted)
			assert.Equal(t, ingest.ZeroSHA, p.After)
			assert.Equal(t, "hotfix/rounding", p.Branch)
			assert.Empty(t, p.Commits)
			assert.Nil(t, p.HeadCommit)
			assert.False(t, p.CommitsTruncated)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.header+" "+tc.file, func(t *testing.T) {
			t.Parallel()
			ev, err := ingest.ParseGitLabEvent(tc.header, "", forgeFixture(t, tc.file))
			require.NoError(t, err)
			require.NotNil(t, ev.Push)
			assert.Equal(t, ingest.ProviderGitLab, ev.Push.Provider)
			assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, ev.Push.DeliveryID)
			tc.check(t, ev)
		})
	}
}

func TestParseGitLabIgnored(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"Merge Request Hook", "Note Hook", "Pipeline Hook", "Issue Hook"} {
		_, err := ingest.ParseGitLabEvent(h, "", []byte(`{"object_kind":"merge_request"}`))
		require.ErrorIs(t, err, ingest.ErrForgeEventIgnored, h)
		require.ErrorContains(t, err, h)
	}
	_, err := ingest.ParseGitLabEvent("System Hook", "", []byte(`{"event_name":"project_create","name":"x"}`))
	require.ErrorIs(t, err, ingest.ErrForgeEventIgnored)
	require.ErrorContains(t, err, "project_create")
	_, err = ingest.ParseGitLabEvent("System Hook", "", []byte(`{"object_kind":"merge_request"}`))
	require.ErrorIs(t, err, ingest.ErrForgeEventIgnored)
}

func TestParseGitLabMalformed(t *testing.T) {
	t.Parallel()
	valid := string(forgeFixture(t, "gitlab/push.json"))
	replace := func(old, new string) string {
		require.Contains(t, valid, old)
		return strings.Replace(valid, old, new, 1)
	}
	cases := []struct {
		name, header, body, field, message string
	}{
		{"no header", "", valid, "X-Gitlab-Event header", "missing"},
		{"empty body", "Push Hook", " ", "", "the body is empty"},
		{"not an object", "Push Hook", `"push"`, "", "expected a JSON object, got a string"},
		{"header and kind disagree", "Tag Push Hook", valid, "object_kind", `expected "tag_push" for X-Gitlab-Event "Tag Push Hook", got "push"`},
		{"kind missing", "Push Hook", `{"ref":"refs/heads/main"}`, "object_kind", "missing"},
		{"system hook without event", "System Hook", `{"ref":"refs/heads/main"}`, "event_name", "missing"},
		{"project missing", "Push Hook", `{"object_kind":"push","ref":"refs/heads/x","before":"` + ingest.ZeroSHA + `","after":"` + ingest.ZeroSHA + `"}`, "project", "missing"},
		{"path missing", "Push Hook", replace(`"path_with_namespace": "payments/backend/ledger"`, `"path_with_namespace": ""`), "project.path_with_namespace", "missing"},
		{"ref missing", "Push Hook", replace(`"ref": "refs/heads/main",`, ``), "ref", "missing"},
		{"before bad", "Push Hook", replace(`"before": "f49de81d68684cd98ce6506fb4a6be6590507834"`, `"before": "f49de81"`), "before", `got "f49de81"`},
		{"commit timestamp bad", "Push Hook", replace(`"timestamp": "2025-03-10T09:41:12+01:00"`, `"timestamp": "10/03/2025"`), "commits[1].timestamp", "RFC 3339"},
		{"total wrong type", "Push Hook", replace(`"total_commits_count": 2`, `"total_commits_count": "2"`), "total_commits_count", "expected a number, got JSON string"},
		{"total negative", "Push Hook", replace(`"total_commits_count": 2`, `"total_commits_count": -1`), "total_commits_count", "zero or more"},
		{"project id wrong type", "Push Hook", replace(`"id": 311`, `"id": "311"`), "project.id", "expected a number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ingest.ParseGitLabEvent(tc.header, "", []byte(tc.body))
			require.ErrorIs(t, err, ingest.ErrForgePayload)
			var perr *ingest.ForgePayloadError
			require.ErrorAs(t, err, &perr)
			assert.Equal(t, "gitlab", perr.Provider)
			assert.Equal(t, tc.field, perr.Field, err.Error())
			assert.Contains(t, err.Error(), tc.message)
		})
	}
}

func FuzzParseGitLabEvent(f *testing.F) {
	for _, s := range []struct{ header, file string }{
		{"Push Hook", "push"}, {"Push Hook", "push_truncated"}, {"Push Hook", "branch_deleted"},
		{"Tag Push Hook", "tag_push"}, {"System Hook", "system_push"},
	} {
		f.Add(s.header, forgeFixture(f, "gitlab/"+s.file+".json"))
	}
	f.Add("System Hook", []byte(`{"event_name":"push","ref":"refs/heads/a","before":"`+ingest.ZeroSHA+`","after":"`+ingest.ZeroSHA+`","project":{"path_with_namespace":"a/b"},"commits":[{"id":"`+ingest.ZeroSHA+`"}]}`))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		ev, err := ingest.ParseGitLabEvent(header, "", body)
		if err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		p := ev.Push
		require.NotNil(t, p)
		require.Contains(t, []string{"push", "tag_push"}, ev.Kind)
		require.NotEmpty(t, p.Repo.FullName)
		require.True(t, strings.HasPrefix(p.Ref, "refs/"))
		require.GreaterOrEqual(t, p.TotalCommits, len(p.Commits))
		require.Equal(t, p.TotalCommits > len(p.Commits), p.CommitsTruncated)
		for _, c := range p.Commits {
			require.NotEmpty(t, c.SHA)
		}
	})
}
