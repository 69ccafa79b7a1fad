package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func gitRun(t *testing.T, dir string, at time.Time, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	date := at.Format(time.RFC3339)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date,
		"GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=root@links-org.example", "GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=root@links-org.example")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return strings.TrimSpace(string(out))
}

// TestCommitsAndLinks: a session captured from Claude Code and the commit it
// made, sent by `commits import`, are linked with evidence; links show from
// both sides and by file; GitHub push webhooks are verified and de-duplicated.
func TestCommitsAndLinks(t *testing.T) {
	s := startServer(t, "links-org")
	ctx := context.Background()
	repo := t.TempDir()
	start := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	gitRun(t, repo, start, "init", "-q", "-b", "main")
	gitRun(t, repo, start, "remote", "add", "origin", "git@github.com:Acme/Widget.git")
	require.NoError(t, os.WriteFile(filepath.Join(repo, "README.md"), []byte("# widget\n"), 0o600))
	gitRun(t, repo, start.Add(-24*time.Hour), "add", ".")
	gitRun(t, repo, start.Add(-24*time.Hour), "commit", "-q", "-m", "Initial commit")

	code := "package calc\n\n// Add returns the sum of a and b.\nfunc Add(a, b int) int {\n\treturn a + b\n}\n\n// Mul returns the product of a and b.\nfunc Mul(a, b int) int {\n\treturn a * b\n}\n"
	session := "7a1c9e2b-4d3f-4e5a-8b6c-0d1e2f3a4b5c"
	lines := []map[string]any{
		{"type": "user", "uuid": "u1", "parentUuid": nil, "sessionId": session, "cwd": repo, "gitBranch": "main", "version": "2.0.30",
			"timestamp": start.Format(time.RFC3339), "message": map[string]any{"role": "user", "content": "Add a calc package with Add and Mul, then commit it"}},
		{"type": "assistant", "uuid": "a1", "parentUuid": "u1", "sessionId": session, "cwd": repo, "gitBranch": "main",
			"timestamp": start.Add(time.Minute).Format(time.RFC3339), "message": map[string]any{"role": "assistant", "id": "msg_1", "model": "claude-sonnet-4-5",
				"content": []map[string]any{{"type": "tool_use", "id": "t1", "name": "Write", "input": map[string]any{"file_path": repo + "/calc/calc.go", "content": code}}}}},
		{"type": "user", "uuid": "u2", "parentUuid": "a1", "sessionId": session, "cwd": repo, "gitBranch": "main",
			"timestamp": start.Add(2 * time.Minute).Format(time.RFC3339), "message": map[string]any{"role": "user",
				"content": []map[string]any{{"type": "tool_result", "tool_use_id": "t1", "content": "File created"}}}},
		{"type": "assistant", "uuid": "a2", "parentUuid": "u2", "sessionId": session, "cwd": repo, "gitBranch": "main",
			"timestamp": start.Add(3 * time.Minute).Format(time.RFC3339), "message": map[string]any{"role": "assistant", "id": "msg_2", "model": "claude-sonnet-4-5",
				"content": []map[string]any{{"type": "tool_use", "id": "t2", "name": "Bash", "input": map[string]any{"command": "git add calc && git commit -m \"Add calc package\""}}}}},
	}
	var transcript bytes.Buffer
	for _, l := range lines {
		b, _ := json.Marshal(l)
		transcript.Write(append(b, '\n'))
	}
	tdir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(tdir, session+".jsonl"), transcript.Bytes(), 0o600))
	res, err := s.importJSON(t, tdir)
	require.NoError(t, err)
	convID := res.Files[0].Conversations[0].ID.String()
	// Claude Code records no remote; import found it from the cwd.
	var conv struct {
		Repo string `json:"repo"`
	}
	getInto(t, s, "/api/v1/conversations/"+convID, &conv)
	require.Equal(t, "github.com/acme/widget", conv.Repo)

	// The assistant's commit, and an unrelated one the same day.
	require.NoError(t, os.MkdirAll(filepath.Join(repo, "calc"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "calc", "calc.go"), []byte(code), 0o600))
	gitRun(t, repo, start.Add(4*time.Minute), "add", ".")
	gitRun(t, repo, start.Add(4*time.Minute), "commit", "-q", "-m", "Add calc package\n\nCo-Authored-By: Claude <noreply@anthropic.com>")
	sha := gitRun(t, repo, start, "rev-parse", "HEAD")
	require.NoError(t, os.WriteFile(filepath.Join(repo, "NOTES.md"), []byte("meeting notes\n"), 0o600))
	gitRun(t, repo, start.Add(5*time.Hour), "add", ".")
	gitRun(t, repo, start.Add(5*time.Hour), "commit", "-q", "-m", "Add meeting notes")
	unrelated := gitRun(t, repo, start, "rev-parse", "HEAD")

	out, err := run(t, ctx, "commits", "import", repo, "--server", s.base, "--api-key", s.key)
	require.NoError(t, err, out)
	require.Contains(t, out, "sent 3 commits of github.com/acme/widget")

	var linked struct {
		Commits []struct {
			SHA        string  `json:"sha"`
			Confidence float64 `json:"confidence"`
			Evidence   []struct {
				Signal, Detail string
			} `json:"evidence"`
		} `json:"commits"`
	}
	require.Eventually(t, func() bool {
		getInto(t, s, "/api/v1/conversations/"+convID+"/commits", &linked)
		return len(linked.Commits) > 0
	}, 20*time.Second, 100*time.Millisecond, "the commit is linked")
	require.Len(t, linked.Commits, 1, "only the assistant's commit, not the unrelated one")
	require.Equal(t, sha, linked.Commits[0].SHA)
	require.GreaterOrEqual(t, linked.Commits[0].Confidence, 0.9)
	var signals []string
	for _, e := range linked.Commits[0].Evidence {
		signals = append(signals, e.Signal)
		require.NotEmpty(t, e.Detail)
	}
	require.Contains(t, signals, "trailer")
	require.Contains(t, signals, "file_overlap")

	out, err = run(t, ctx, "links", "--commit", sha[:8], "--server", s.base, "--api-key", s.key)
	require.NoError(t, err)
	require.Contains(t, out, "Add calc package")
	require.Contains(t, out, convID)
	out, err = run(t, ctx, "links", "--commit", unrelated[:8], "--server", s.base, "--api-key", s.key)
	require.NoError(t, err)
	require.Contains(t, out, "no linked conversation")
	out, err = run(t, ctx, "links", "--file", "calc/calc.go", "--server", s.base, "--api-key", s.key)
	require.NoError(t, err)
	require.Contains(t, out, convID)

	var contrib struct {
		Days []struct {
			Conversations int `json:"conversations"`
			LinkedCommits int `json:"linked_commits"`
		} `json:"days"`
	}
	getInto(t, s, "/api/v1/contributions?from=2026-11-01&to=2026-12-01", &contrib)
	require.Len(t, contrib.Days, 1)
	require.Equal(t, 1, contrib.Days[0].LinkedCommits)

	testMetrics(t, s)

	// The hook installs once, keeping an existing hook.
	hook := filepath.Join(repo, ".git", "hooks", "post-commit")
	require.NoError(t, os.WriteFile(hook, []byte("#!/bin/sh\necho existing\n"), 0o755))
	out, err = run(t, ctx, "hook", "install", repo)
	require.NoError(t, err)
	require.Contains(t, out, "installed")
	_, err = run(t, ctx, "hook", "install", repo)
	require.NoError(t, err)
	body, _ := os.ReadFile(hook)
	require.Equal(t, 1, strings.Count(string(body), hookMarker))
	require.Contains(t, string(body), "echo existing")
	require.Contains(t, string(body), "commits send")

	testGitHubWebhook(t, s, sha)
}

func testGitHubWebhook(t *testing.T, s server, sha string) {
	out, err := run(t, context.Background(), "admin", "webhook", "--org", "links-org", "--provider", "github")
	require.NoError(t, err)
	secret := regexp.MustCompile(`Secret: (\S+)`).FindStringSubmatch(out)[1]
	require.Contains(t, out, "/webhooks/github/links-org")

	payload := fmt.Sprintf(`{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":%q,
		"repository":{"id":1,"name":"widget","full_name":"acme/widget","clone_url":"https://github.com/acme/widget.git","html_url":"https://github.com/acme/widget","default_branch":"main","owner":{"login":"acme"}},
		"pusher":{"name":"ada","email":"root@links-org.example"},"sender":{"login":"ada"},
		"commits":[{"id":%q,"tree_id":"1111111111111111111111111111111111111111","distinct":true,"message":"Add calc package","timestamp":"2026-11-20T09:04:00Z",
			"url":"https://github.com/acme/widget/commit/%s","author":{"name":"Ada","email":"root@links-org.example","username":"ada"},
			"committer":{"name":"Ada","email":"root@links-org.example","username":"ada"},"added":["calc/calc.go"],"removed":[],"modified":[]}],
		"head_commit":null}`, sha, sha, sha)
	post := func(body, event, delivery, sig string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, s.base+"/webhooks/github/links-org", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-GitHub-Event", event)
		req.Header.Set("X-GitHub-Delivery", delivery)
		if sig != "" {
			req.Header.Set("X-Hub-Signature-256", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body) //nolint:errcheck
		return resp.StatusCode, b.String()
	}
	sign := func(body string) string {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(body))
		return "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	start := time.Now()
	status, body := post(payload, "push", "d-1", sign(payload))
	require.Equal(t, http.StatusAccepted, status, body)
	require.Less(t, time.Since(start), time.Second)
	status, body = post(payload, "push", "d-1", sign(payload))
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "duplicate")
	status, _ = post(payload, "push", "d-2", sign(payload+" "))
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = post(payload, "push", "d-3", "")
	require.Equal(t, http.StatusUnauthorized, status)
	bad := `{"ref": 42}`
	status, body = post(bad, "push", "d-4", sign(bad))
	require.Equal(t, http.StatusBadRequest, status, body)
	ping := `{"zen":"Keep it logically awesome.","hook_id":1,"hook":{"type":"Repository","events":["push"],"config":{"content_type":"json"}}}`
	status, body = post(ping, "ping", "d-5", sign(ping))
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, "pong")
	// An unknown organization looks like a wrong secret.
	req, _ := http.NewRequest(http.MethodPost, s.base+"/webhooks/github/no-such-org", strings.NewReader(payload))
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", sign(payload))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	status, body = post(`{}`, "issues", "d-6", sign(`{}`))
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "ignored")
}

// testMetrics checks the analytics API against what TestCommitsAndLinks
// stored: one conversation of 3 messages (the tool result joins its call)
// started at 09:00 on 20 Nov, whose
// commit (11 lines of calc.go) came 4 minutes later, among 3 commits.
func testMetrics(t *testing.T, s server) {
	var prod struct {
		Scope struct {
			Describes string `json:"describes"`
		} `json:"scope"`
		Total struct {
			Conversations            int      `json:"conversations"`
			Messages                 int      `json:"messages"`
			ConversationsWithCommits int      `json:"conversations_with_commits"`
			MedianHoursToCommit      *float64 `json:"median_hours_to_commit"`
			LinkedCommits            int      `json:"linked_commits"`
			LinesAdded               int      `json:"lines_added"`
			LinesRemoved             int      `json:"lines_removed"`
			Commits                  int      `json:"commits"`
			AIAssistedCommits        int      `json:"ai_assisted_commits"`
			AIAssistedShare          float64  `json:"ai_assisted_share"`
		} `json:"total"`
	}
	path := "/api/v1/metrics/productivity?from=2026-11-16&to=2026-11-23"
	require.Eventually(t, func() bool {
		getInto(t, s, path, &prod)
		// The metric's queries run one after another: wait until every
		// projection job had run before the first of them.
		return prod.Total.Conversations == 1 && prod.Total.Commits == 3 && prod.Total.LinkedCommits == 1 &&
			prod.Total.ConversationsWithCommits == 1
	}, 20*time.Second, 100*time.Millisecond, "projection reached ClickHouse: %+v", prod.Total)
	require.Equal(t, "the organization", prod.Scope.Describes)
	require.Equal(t, []int{1, 3, 1, 1, 11, 0, 3, 1}, []int{prod.Total.Conversations, prod.Total.Messages,
		prod.Total.ConversationsWithCommits, prod.Total.LinkedCommits, prod.Total.LinesAdded, prod.Total.LinesRemoved,
		prod.Total.Commits, prod.Total.AIAssistedCommits})
	require.InDelta(t, 4.0/60, *prod.Total.MedianHoursToCommit, 1e-6)
	require.InDelta(t, 1.0/3, prod.Total.AIAssistedShare, 1e-9)

	// Each person's weeks come when asked for.
	var byUser struct {
		Groups []struct {
			Key   string           `json:"key"`
			Weeks []map[string]any `json:"weeks"`
		} `json:"groups"`
	}
	getInto(t, s, path+"&group_by=user&group_weeks=true", &byUser)
	require.Len(t, byUser.Groups, 1)
	require.Len(t, byUser.Groups[0].Weeks, 1)
	require.Equal(t, "2026-11-16", byUser.Groups[0].Weeks[0]["week"])
	require.EqualValues(t, 1, byUser.Groups[0].Weeks[0]["linked_commits"])

	var summary struct {
		Months []struct {
			Month         string `json:"month"`
			Conversations int    `json:"conversations"`
			LinkedCommits int    `json:"linked_commits"`
		} `json:"months"`
	}
	getInto(t, s, "/api/v1/metrics/summary?from=2026-11-01&to=2026-12-01", &summary)
	require.Len(t, summary.Months, 1)
	require.Equal(t, "2026-11", summary.Months[0].Month)
	require.Equal(t, []int{1, 1}, []int{summary.Months[0].Conversations, summary.Months[0].LinkedCommits})

	auth := http.Header{"Authorization": {"Bearer " + s.key}}
	for _, tc := range []struct {
		path   string
		status int
		msg    string
	}{
		{"/api/v1/metrics/velocity", http.StatusNotFound, "the metrics are productivity"},
		{"/api/v1/metrics/cost?from=2026-11-20&to=2026-11-01", http.StatusBadRequest, "must be before"},
		{"/api/v1/metrics/cost?from=2025-01-01&to=2026-11-01", http.StatusBadRequest, "allows at most 92 days"},
		{"/api/v1/metrics/adoption?team=nope", http.StatusNotFound, `team "nope" does not exist in this organization`},
		{"/api/v1/metrics/adoption?user=ghost@nowhere.example", http.StatusNotFound, "is not a member"},
		{"/api/v1/metrics/adoption?from=yesterday", http.StatusBadRequest, "from must be a date"},
		{"/api/v1/metrics/summary?period=month", http.StatusBadRequest, "unknown parameter period"},
		{"/api/v1/metrics/summary?group_by=user", http.StatusBadRequest, "takes no group_by"},
		{"/api/v1/metrics/productivity?group_by=user&group_weeks=maybe", http.StatusBadRequest, `group_weeks must be true or false, not "maybe"`},
		{"/api/v1/metrics/productivity?group_weeks=true", http.StatusBadRequest, "group_weeks applies to productivity with a group_by"},
	} {
		status, body, _ := getJSON(t, s.base+tc.path, auth)
		require.Equal(t, tc.status, status, tc.path)
		require.Contains(t, body["error"].(map[string]any)["message"], tc.msg, tc.path)
	}
	status, _, _ := getJSON(t, s.base+"/api/v1/metrics/summary", nil)
	require.Equal(t, http.StatusUnauthorized, status)
}
