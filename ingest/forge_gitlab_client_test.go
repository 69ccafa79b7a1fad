package ingest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest"
)

const (
	forgeGitLabToken   = "glpat-test-token-1234"
	forgeGitLabSHA     = "a46e558d11cb2400bab09c1ca969e615142ef3d6"
	forgeGitLabProject = "/api/v4/projects/payments%2Fbackend%2Fledger"
)

// fakeGitLab plays a GitLab instance's REST API v4.
type fakeGitLab struct {
	t   *testing.T
	srv *httptest.Server
	mux *http.ServeMux
	// linkOnly: page with Link headers only, as GitLab does for very large
	// collections (no X-Next-Page / X-Total).
	linkOnly bool

	mu   sync.Mutex
	hits map[string]int
}

func newFakeGitLab(t *testing.T) *fakeGitLab {
	f := &fakeGitLab{t: t, mux: http.NewServeMux(), hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[r.Method+" "+r.URL.EscapedPath()]++
		f.mu.Unlock()
		assert.NotEmpty(t, r.Header.Get("User-Agent"))
		if r.Header.Get("PRIVATE-TOKEN") != forgeGitLabToken {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"message":"401 Unauthorized"}`))
			return
		}
		f.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	f.mux.HandleFunc("GET /api/v4/projects/{project}/repository/commits/{sha}", f.commit)
	f.mux.HandleFunc("GET /api/v4/projects/{project}/repository/commits/{sha}/diff", f.diff)
	f.mux.HandleFunc("GET /api/v4/projects/{project}/repository/compare", f.compare)
	return f
}

func (f *fakeGitLab) hitCount(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[key]
}

func (f *fakeGitLab) knownProject(w http.ResponseWriter, r *http.Request) bool {
	// The path must arrive URL-encoded as one segment, as GitLab requires.
	p := r.URL.EscapedPath()
	if r.PathValue("project") == "311" || len(p) >= len(forgeGitLabProject) && p[:len(forgeGitLabProject)] == forgeGitLabProject {
		return true
	}
	gitlabError(w, http.StatusNotFound, "404 Project Not Found")
	return false
}

func gitlabError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, msg)
}

func (f *fakeGitLab) commit(w http.ResponseWriter, r *http.Request) {
	if !f.knownProject(w, r) {
		return
	}
	if r.PathValue("sha") != forgeGitLabSHA {
		gitlabError(w, http.StatusNotFound, "404 Commit Not Found")
		return
	}
	assert.Equal(f.t, "true", r.URL.Query().Get("stats"))
	w.Header().Set("Content-Type", "application/json")
	w.Write(forgeFixture(f.t, "gitlab/rest/commit.json"))
}

func (f *fakeGitLab) diff(w http.ResponseWriter, r *http.Request) {
	if !f.knownProject(w, r) {
		return
	}
	assert.Equal(f.t, "100", r.URL.Query().Get("per_page"))
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page == 0 {
		page = 1
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Page", strconv.Itoa(page))
	h.Set("X-Per-Page", "100")
	base := fmt.Sprintf("http://%s%s?per_page=100", r.Host, r.URL.EscapedPath())
	if !f.linkOnly {
		h.Set("X-Total", "4")
		h.Set("X-Total-Pages", "2")
	}
	switch page {
	case 1:
		if !f.linkOnly {
			h.Set("X-Next-Page", "2")
			h.Set("X-Prev-Page", "")
		}
		h.Set("Link", fmt.Sprintf(`<%s&page=2>; rel="next", <%s&page=1>; rel="first", <%s&page=2>; rel="last"`, base, base, base))
		w.Write(forgeFixture(f.t, "gitlab/rest/diff_page1.json"))
	case 2:
		if !f.linkOnly {
			h.Set("X-Next-Page", "")
			h.Set("X-Prev-Page", "1")
		}
		h.Set("Link", fmt.Sprintf(`<%s&page=1>; rel="prev", <%s&page=1>; rel="first", <%s&page=2>; rel="last"`, base, base, base))
		w.Write(forgeFixture(f.t, "gitlab/rest/diff_page2.json"))
	default:
		w.Write([]byte("[]"))
	}
}

func (f *fakeGitLab) compare(w http.ResponseWriter, r *http.Request) {
	if !f.knownProject(w, r) {
		return
	}
	assert.Equal(f.t, "f49de81d68684cd98ce6506fb4a6be6590507834", r.URL.Query().Get("from"))
	assert.Equal(f.t, "077564fb04323d23b1f76da35a5c35b419711fa4", r.URL.Query().Get("to"))
	w.Header().Set("Content-Type", "application/json")
	w.Write(forgeFixture(f.t, "gitlab/rest/compare.json"))
}

func (f *fakeGitLab) client(clock *forgeClock) *ingest.GitLabClient {
	return &ingest.GitLabClient{BaseURL: f.srv.URL, Token: forgeGitLabToken, Clock: clock.Now, Sleep: clock.Sleep}
}

const forgeExpectedGitLabDiff = `diff --git a/jobs/reconcile.rb b/jobs/reconcile.rb
new file mode 100644
--- /dev/null
+++ b/jobs/reconcile.rb
@@ -0,0 +1,6 @@
+class Reconcile
+  def perform
+    Ledger.reconcile!
+  end
+end
+
diff --git a/config/schedule.yml b/config/schedule.yml
--- a/config/schedule.yml
+++ b/config/schedule.yml
@@ -1,2 +1,4 @@
 cleanup:
   cron: "0 3 * * *"
+reconcile:
+  cron: "0 2 * * *"
diff --git a/bin/reconcile b/bin/run-reconcile
old mode 100644
new mode 100755
rename from bin/reconcile
rename to bin/run-reconcile
--- a/bin/reconcile
+++ b/bin/run-reconcile
@@ -1,2 +1,2 @@
 #!/bin/sh
-exec ruby jobs/reconcile.rb
+exec bundle exec ruby jobs/reconcile.rb
diff --git a/app/models/currency.rb b/app/models/currency.rb
deleted file mode 100644
`

func TestGitLabClientGetCommit(t *testing.T) {
	t.Parallel()
	gl := newFakeGitLab(t)
	clock := newForgeClock()
	d, err := gl.client(clock).GetCommit(context.Background(), "payments/backend/ledger", forgeGitLabSHA)
	require.NoError(t, err)
	assert.Equal(t, "gitlab", d.Provider)
	assert.Equal(t, forgeGitLabSHA, d.SHA)
	assert.Equal(t, "Add ledger reconciliation job\n\nRuns nightly.\n", d.Message)
	assert.Equal(t, "Bo Chen", d.AuthorName)
	assert.Equal(t, "bo.chen@acme.example", d.AuthorEmail)
	assert.Equal(t, "bo.chen@acme.example", d.CommitterEmail)
	assert.True(t, d.AuthoredAt.Equal(time.Date(2025, 3, 10, 8, 30, 0, 0, time.UTC)), d.AuthoredAt)
	assert.True(t, d.CommittedAt.Equal(time.Date(2025, 3, 10, 8, 31, 2, 0, time.UTC)), d.CommittedAt)
	assert.Equal(t, []string{"f49de81d68684cd98ce6506fb4a6be6590507834"}, d.Parents)
	assert.Equal(t, ingest.CommitStats{Additions: 9, Deletions: 1, Total: 10}, d.Stats)
	assert.Equal(t, "https://gitlab.acme.example/payments/backend/ledger/-/commit/"+forgeGitLabSHA, d.HTMLURL)
	require.Len(t, d.Files, 4, "both diff pages")
	assert.Equal(t, ingest.CommitFile{Filename: "jobs/reconcile.rb", Status: "added", Additions: 6, Changes: 6, NewMode: "100644",
		Patch: "@@ -0,0 +1,6 @@\n+class Reconcile\n+  def perform\n+    Ledger.reconcile!\n+  end\n+end\n+\n"}, d.Files[0])
	assert.Equal(t, "modified", d.Files[1].Status)
	assert.Equal(t, 2, d.Files[1].Additions)
	assert.Equal(t, "renamed", d.Files[2].Status)
	assert.Equal(t, "bin/reconcile", d.Files[2].PreviousFilename)
	assert.Equal(t, 1, d.Files[2].Additions)
	assert.Equal(t, 1, d.Files[2].Deletions)
	assert.Equal(t, "removed", d.Files[3].Status)
	assert.False(t, d.FilesTruncated)
	assert.Equal(t, forgeExpectedGitLabDiff, d.Diff)
	assert.Empty(t, clock.Slept())

	// The numeric project id works the same.
	d2, err := gl.client(clock).GetCommit(context.Background(), "311", forgeGitLabSHA)
	require.NoError(t, err)
	assert.Equal(t, d.Diff, d2.Diff)
}

func TestGitLabClientGetCommitDiff(t *testing.T) {
	t.Parallel()
	for _, linkOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("linkOnly=%v", linkOnly), func(t *testing.T) {
			t.Parallel()
			gl := newFakeGitLab(t)
			gl.linkOnly = linkOnly
			c := gl.client(newForgeClock())
			d, err := c.GetCommitDiff(context.Background(), "payments/backend/ledger", forgeGitLabSHA)
			require.NoError(t, err)
			require.Len(t, d.Files, 4)
			assert.Equal(t, forgeExpectedGitLabDiff, d.Diff)
			assert.Equal(t, ingest.CommitStats{Additions: 9, Deletions: 1, Total: 10}, d.Stats)
			assert.Equal(t, 2, gl.hitCount("GET "+forgeGitLabProject+"/repository/commits/"+forgeGitLabSHA+"/diff"))

			c.MaxPages = 1
			d, err = c.GetCommitDiff(context.Background(), "payments/backend/ledger", forgeGitLabSHA)
			require.NoError(t, err)
			assert.Len(t, d.Files, 2)
			assert.True(t, d.FilesTruncated)
		})
	}
}

func TestGitLabClientErrors(t *testing.T) {
	t.Parallel()
	gl := newFakeGitLab(t)
	clock := newForgeClock()
	c := gl.client(clock)

	_, err := c.GetCommit(context.Background(), "payments/backend/ledger", "0000000000000000000000000000000000000001")
	require.ErrorIs(t, err, ingest.ErrForgeNotFound)
	require.ErrorContains(t, err, "404 Commit Not Found")
	_, err = c.GetCommit(context.Background(), "nobody/nothing", forgeGitLabSHA)
	require.ErrorIs(t, err, ingest.ErrForgeNotFound)
	require.ErrorContains(t, err, "404 Project Not Found")

	bad := &ingest.GitLabClient{BaseURL: gl.srv.URL + "/api/v4/", Token: "glpat-wrong", Clock: clock.Now, Sleep: clock.Sleep}
	_, err = bad.GetCommit(context.Background(), "311", forgeGitLabSHA)
	require.ErrorIs(t, err, ingest.ErrForgeUnauthorized)
	var apiErr *ingest.ForgeAPIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "gitlab", apiErr.Provider)
	assert.Equal(t, "401 Unauthorized", apiErr.Message)
	assert.Empty(t, clock.Slept())

	_, err = (&ingest.GitLabClient{BaseURL: gl.srv.URL}).GetCommit(context.Background(), "311", forgeGitLabSHA)
	require.ErrorContains(t, err, "no token configured")
	_, err = c.GetCommit(context.Background(), " ", forgeGitLabSHA)
	require.ErrorContains(t, err, "project is required")
}

func TestGitLabClientRateLimitAndRetry(t *testing.T) {
	t.Parallel()
	gl := newFakeGitLab(t)
	clock := newForgeClock()
	var mu sync.Mutex
	calls := 0
	gl.mux.HandleFunc("GET /api/v4/projects/42/repository/commits/{sha}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		switch n {
		case 1:
			// GitLab's 429: plain text body, Retry-After and RateLimit-* headers.
			h := w.Header()
			h.Set("Retry-After", "4")
			h.Set("RateLimit-Limit", "600")
			h.Set("RateLimit-Observed", "601")
			h.Set("RateLimit-Remaining", "0")
			h.Set("RateLimit-Reset", strconv.FormatInt(clock.Now().Add(4*time.Second).Unix(), 10))
			h.Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte("Retry later\n"))
		case 2:
			gitlabError(w, http.StatusInternalServerError, "500 Internal Server Error")
		default:
			w.Write(forgeFixture(t, "gitlab/rest/commit.json"))
		}
	})
	gl.mux.HandleFunc("GET /api/v4/projects/42/repository/commits/{sha}/diff", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("[]"))
	})
	c := gl.client(clock)
	c.RetryBackoff = 2 * time.Second
	d, err := c.GetCommit(context.Background(), "42", forgeGitLabSHA)
	require.NoError(t, err)
	assert.Equal(t, forgeGitLabSHA, d.SHA)
	assert.Equal(t, []ingest.CommitFile{}, d.Files)
	slept := clock.Slept()
	require.Len(t, slept, 2)
	assert.Equal(t, 4*time.Second, slept[0], "Retry-After of the 429")
	assert.InDelta(t, float64(2*time.Second), float64(slept[1]), float64(time.Second)/2, "back-off after the 500")
}

func TestGitLabClientRateLimited(t *testing.T) {
	t.Parallel()
	gl := newFakeGitLab(t)
	gl.mux.HandleFunc("GET /api/v4/projects/43/repository/commits/{sha}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte("Retry later\n"))
	})
	clock := newForgeClock()
	_, err := gl.client(clock).GetCommit(context.Background(), "43", forgeGitLabSHA)
	var rl *ingest.RateLimitedError
	require.ErrorAs(t, err, &rl)
	require.ErrorIs(t, err, ingest.ErrRateLimited)
	assert.Equal(t, "gitlab", rl.Provider)
	assert.True(t, rl.ResetAt.Equal(clock.Now().Add(time.Hour)))
	assert.Equal(t, "Retry later", rl.Message)
}

func TestGitLabClientListCompare(t *testing.T) {
	t.Parallel()
	gl := newFakeGitLab(t)
	res, err := gl.client(newForgeClock()).ListCompare(context.Background(), "payments/backend/ledger",
		"f49de81d68684cd98ce6506fb4a6be6590507834", "077564fb04323d23b1f76da35a5c35b419711fa4")
	require.NoError(t, err)
	require.Len(t, res.Commits, 2)
	assert.Equal(t, 2, res.TotalCommits)
	assert.False(t, res.Truncated)
	assert.Equal(t, forgeGitLabSHA, res.Commits[0].SHA)
	assert.Equal(t, "077564fb04323d23b1f76da35a5c35b419711fa4", res.Commits[1].SHA)
	assert.Equal(t, []string{forgeGitLabSHA}, res.Commits[1].Parents)
	assert.Nil(t, res.Commits[0].Files)
}
