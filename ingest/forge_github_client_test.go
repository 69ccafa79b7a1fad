package ingest_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/correlate"
	"github.com/context-intelligence/ctxintel/ingest"
)

// forgeClock is a fake clock whose Sleep records the wait and moves time on.
type forgeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newForgeClock() *forgeClock {
	return &forgeClock{now: time.Date(2025, 2, 3, 9, 0, 0, 0, time.UTC)}
}

func (c *forgeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *forgeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *forgeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *forgeClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

var forgeAppKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func forgeAppKeyPEM(pkcs8 bool) []byte {
	if pkcs8 {
		der, err := x509.MarshalPKCS8PrivateKey(forgeAppKey())
		if err != nil {
			panic(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(forgeAppKey())})
}

// verifyGitHubJWT checks an RS256 JWT with the app's public key, as GitHub
// does, and returns its claims.
func verifyGitHubJWT(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3, "a JWT has three parts")
	enc := base64.RawURLEncoding
	header, err := enc.DecodeString(parts[0])
	require.NoError(t, err)
	require.JSONEq(t, `{"alg":"RS256","typ":"JWT"}`, string(header))
	sig, err := enc.DecodeString(parts[2])
	require.NoError(t, err)
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	require.NoError(t, rsa.VerifyPKCS1v15(&forgeAppKey().PublicKey, crypto.SHA256, digest[:], sig), "JWT signature")
	raw, err := enc.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	return claims
}

const forgeAppID = 912345

// fakeGitHub plays api.github.com: the installation token exchange (which
// checks the app JWT) and whatever repository routes a test adds.
type fakeGitHub struct {
	t     *testing.T
	clock *forgeClock
	srv   *httptest.Server
	mux   *http.ServeMux

	mu         sync.Mutex
	tokenCalls map[string]int // installation id → token exchanges
	valid      map[string]bool
	hits       map[string]int // "METHOD path" → requests
}

func newFakeGitHub(t *testing.T, clock *forgeClock) *fakeGitHub {
	f := &fakeGitHub{t: t, clock: clock, mux: http.NewServeMux(), tokenCalls: map[string]int{}, valid: map[string]bool{}, hits: map[string]int{}}
	f.mux.HandleFunc("POST /app/installations/{id}/access_tokens", f.accessTokens)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[r.Method+" "+r.URL.Path]++
		f.mu.Unlock()
		f.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitHub) hitCount(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[key]
}

func (f *fakeGitHub) tokenCount(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls[id]
}

func writeGitHubError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q,"documentation_url":"https://docs.github.com/rest","status":"%d"}`, message, status)
}

func (f *fakeGitHub) accessTokens(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Bearer ") {
		writeGitHubError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
		return
	}
	claims := verifyGitHubJWT(f.t, strings.TrimPrefix(auth, "Bearer "))
	now := f.clock.Now().Unix()
	assert.Equal(f.t, strconv.Itoa(forgeAppID), fmt.Sprint(claims["iss"]))
	assert.Equal(f.t, float64(now-60), claims["iat"])
	assert.Equal(f.t, float64(now+540), claims["exp"])
	assert.Equal(f.t, "application/vnd.github+json", r.Header.Get("Accept"))
	assert.Equal(f.t, "2022-11-28", r.Header.Get("X-GitHub-Api-Version"))
	id := r.PathValue("id")
	f.mu.Lock()
	f.tokenCalls[id]++
	token := fmt.Sprintf("ghs_inst%s_%d", id, f.tokenCalls[id])
	f.valid[token] = true
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"token":%q,"expires_at":%q,"permissions":{"contents":"read","metadata":"read"},"repository_selection":"selected"}`,
		token, f.clock.Now().Add(time.Hour).Format(time.RFC3339))
}

// authorized checks a request's token the way GitHub does, answering 401
// with GitHub's body when it is not valid.
func (f *fakeGitHub) authorized(w http.ResponseWriter, r *http.Request) bool {
	assert.Equal(f.t, "application/vnd.github+json", r.Header.Get("Accept"))
	assert.Equal(f.t, "2022-11-28", r.Header.Get("X-GitHub-Api-Version"))
	assert.NotEmpty(f.t, r.Header.Get("User-Agent"))
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	ok := f.valid[tok]
	f.mu.Unlock()
	if !ok {
		writeGitHubError(w, http.StatusUnauthorized, "Bad credentials")
	}
	return ok
}

func (f *fakeGitHub) revokeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.valid = map[string]bool{"pat_valid": true}
}

func (f *fakeGitHub) rateHeaders(w http.ResponseWriter, remaining int, reset time.Time) {
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	w.Header().Set("X-RateLimit-Used", strconv.Itoa(5000-remaining))
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	w.Header().Set("X-RateLimit-Resource", "core")
}

func (f *fakeGitHub) app() *ingest.GitHubApp {
	return &ingest.GitHubApp{AppID: forgeAppID, PrivateKeyPEM: forgeAppKeyPEM(false), BaseURL: f.srv.URL, Clock: f.clock.Now}
}

func (f *fakeGitHub) client() *ingest.GitHubClient {
	return &ingest.GitHubClient{BaseURL: f.srv.URL, App: f.app(), Clock: f.clock.Now, Sleep: f.clock.Sleep, UserAgent: "ctxintel-test"}
}

const (
	forgeCommitSHA = "2f22765d04931a078909145ca628d2264c852d7d"
	forgeInstID    = 52001234
	forgeCommitURL = "/repos/acme/shop/commits/" + forgeCommitSHA
)

// serveCommit answers the commit route with the fixture.
func (f *fakeGitHub) serveCommit(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.rateHeaders(w, 4999, f.clock.Now().Add(time.Hour))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(forgeFixture(f.t, "github/rest/commit.json"))
}

func TestGitHubAppJWT(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	for _, pkcs8 := range []bool{false, true} {
		app := &ingest.GitHubApp{AppID: forgeAppID, PrivateKeyPEM: forgeAppKeyPEM(pkcs8), Clock: clock.Now}
		jwt, err := app.JWT()
		require.NoError(t, err)
		claims := verifyGitHubJWT(t, jwt)
		assert.Equal(t, "912345", claims["iss"])
		assert.Equal(t, float64(clock.Now().Add(-time.Minute).Unix()), claims["iat"])
		assert.Equal(t, float64(clock.Now().Add(9*time.Minute).Unix()), claims["exp"])
	}

	_, err := (&ingest.GitHubApp{AppID: 1, PrivateKeyPEM: []byte("not a key")}).JWT()
	require.ErrorContains(t, err, "no PEM block found")
	_, err = (&ingest.GitHubApp{AppID: 1, PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})}).JWT()
	require.ErrorContains(t, err, `PEM block is "CERTIFICATE"`)
	_, err = (&ingest.GitHubApp{PrivateKeyPEM: forgeAppKeyPEM(false)}).JWT()
	require.ErrorContains(t, err, "AppID is not set")
}

func TestGitHubAppInstallationTokenCache(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	app := gh.app()
	ctx := context.Background()

	tok, err := app.InstallationToken(ctx, forgeInstID)
	require.NoError(t, err)
	assert.Equal(t, "ghs_inst52001234_1", tok.Token)
	assert.True(t, tok.ExpiresAt.Equal(clock.Now().Add(time.Hour)))

	clock.Advance(54 * time.Minute) // six minutes left: still cached
	tok, err = app.InstallationToken(ctx, forgeInstID)
	require.NoError(t, err)
	assert.Equal(t, "ghs_inst52001234_1", tok.Token)
	assert.Equal(t, 1, gh.tokenCount("52001234"))

	clock.Advance(2 * time.Minute) // four minutes left: renewed
	tok, err = app.InstallationToken(ctx, forgeInstID)
	require.NoError(t, err)
	assert.Equal(t, "ghs_inst52001234_2", tok.Token)
	assert.Equal(t, 2, gh.tokenCount("52001234"))

	// Tokens are per installation.
	other, err := app.InstallationToken(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, "ghs_inst7_1", other.Token)

	app.InvalidateInstallationToken(forgeInstID)
	tok, err = app.InstallationToken(ctx, forgeInstID)
	require.NoError(t, err)
	assert.Equal(t, "ghs_inst52001234_3", tok.Token)

	// Concurrent callers share one exchange.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := app.InstallationToken(ctx, 99)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, gh.tokenCount("99"))

	_, err = app.InstallationToken(ctx, 0)
	require.ErrorContains(t, err, "installation id 0 is not valid")
}

func TestGitHubAppTokenRejected(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeGitHubError(w, http.StatusNotFound, "Not Found")
	}))
	t.Cleanup(srv.Close)
	app := &ingest.GitHubApp{AppID: forgeAppID, PrivateKeyPEM: forgeAppKeyPEM(false), BaseURL: srv.URL}
	_, err := app.InstallationToken(context.Background(), 5)
	require.ErrorIs(t, err, ingest.ErrForgeNotFound)
	require.ErrorContains(t, err, "get GitHub installation 5 token")
	require.ErrorContains(t, err, "404 Not Found: Not Found (https://docs.github.com/rest)")
}

const forgeExpectedGitHubDiff = `diff --git a/internal/cart/totals.go b/internal/cart/totals.go
new file mode 100644
--- /dev/null
+++ b/internal/cart/totals.go
@@ -0,0 +1,5 @@
+package cart
+
+func Total(items []Item) int {
+	return sum(items)
+}
diff --git a/go.mod b/go.mod
--- a/go.mod
+++ b/go.mod
@@ -1,3 +1,3 @@
 module github.com/acme/shop
 
-go 1.22
+go 1.23
diff --git a/internal/price/money.go b/internal/cart/money.go
rename from internal/price/money.go
rename to internal/cart/money.go
--- a/internal/price/money.go
+++ b/internal/cart/money.go
@@ -1,4 +1,4 @@
-package price
+package cart
 
 // Money is an amount in cents.
 type Money int64
diff --git a/internal/pricecache/cache.go b/internal/pricecache/cache.go
deleted file mode 100644
--- a/internal/pricecache/cache.go
+++ /dev/null
@@ -1,2 +0,0 @@
-package pricecache
-
\ No newline at end of file
diff --git a/web/static/logo.png b/web/static/logo.png
new file mode 100644
`

func TestGitHubClientGetCommit(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	gh.mux.HandleFunc("GET "+forgeCommitURL, gh.serveCommit)
	c := gh.client()

	d, err := c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.NoError(t, err)
	assert.Equal(t, "github", d.Provider)
	assert.Equal(t, forgeCommitSHA, d.SHA)
	assert.Equal(t, "Add cart totals\n\nCompute VAT per line item.", d.Message)
	assert.Equal(t, "Ana Lima", d.AuthorName)
	assert.Equal(t, "ana@acme.example", d.AuthorEmail)
	assert.Equal(t, "ana-lima", d.AuthorLogin)
	assert.Equal(t, "noreply@github.com", d.CommitterEmail)
	assert.True(t, d.AuthoredAt.Equal(time.Date(2025, 2, 3, 9, 12, 1, 0, time.UTC)))
	assert.True(t, d.CommittedAt.Equal(time.Date(2025, 2, 3, 9, 13, 44, 0, time.UTC)))
	assert.Equal(t, []string{"51de2b835bd35a67eb32dbcd3d77d4b96e5aa39d"}, d.Parents)
	assert.Equal(t, "https://github.com/acme/shop/commit/"+forgeCommitSHA, d.HTMLURL)
	assert.Equal(t, ingest.CommitStats{Additions: 7, Deletions: 4, Total: 11}, d.Stats)
	require.Len(t, d.Files, 5)
	assert.Equal(t, ingest.CommitFile{Filename: "internal/cart/money.go", PreviousFilename: "internal/price/money.go", Status: "renamed",
		Additions: 1, Deletions: 1, Changes: 2, Patch: "@@ -1,4 +1,4 @@\n-package price\n+package cart\n \n // Money is an amount in cents.\n type Money int64\n"}, d.Files[2])
	assert.Equal(t, "removed", d.Files[3].Status)
	assert.Empty(t, d.Files[4].Patch, "binary file: GitHub sends no patch")
	assert.False(t, d.FilesTruncated)
	assert.Equal(t, forgeExpectedGitHubDiff, d.Diff)
	assert.Equal(t, []string{"internal/cart/totals.go", "go.mod", "internal/cart/money.go", "internal/pricecache/cache.go",
		"web/static/logo.png"}, correlate.FilesInDiff(d.Diff), "the diff reads back in correlate")
	assert.NotEmpty(t, correlate.AddedLines(d.Diff))
	assert.Equal(t, 1, gh.tokenCount("52001234"))

	in := d.CommitInput("main")
	assert.Equal(t, []string{"internal/cart/totals.go", "go.mod", "internal/cart/money.go", "internal/price/money.go",
		"internal/pricecache/cache.go", "web/static/logo.png"}, in.Files)
	assert.Equal(t, 7, in.Additions)
	assert.Equal(t, d.Diff, in.Diff)
	assert.True(t, in.CommittedAt.Equal(d.CommittedAt))

	// A second call reuses the installation token.
	_, err = c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.NoError(t, err)
	assert.Equal(t, 1, gh.tokenCount("52001234"))
}

func TestGitHubClientGetCommitFilePages(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	// GitHub pages the files of a big commit (300 a page) with a Link
	// header on the repositories/{id} form of the URL.
	gh.mux.HandleFunc("GET "+forgeCommitURL, func(w http.ResponseWriter, r *http.Request) {
		if !gh.authorized(w, r) {
			return
		}
		var body map[string]any
		require.NoError(t, json.Unmarshal(forgeFixture(t, "github/rest/commit.json"), &body))
		files := body["files"].([]any)
		body["files"] = files[:3]
		next := "http://" + r.Host + "/repositories/781200345/commits/" + forgeCommitSHA + "?page=2"
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next", <%s>; rel="last"`, next, next))
		json.NewEncoder(w).Encode(body)
	})
	gh.mux.HandleFunc("GET /repositories/781200345/commits/"+forgeCommitSHA, func(w http.ResponseWriter, r *http.Request) {
		if !gh.authorized(w, r) {
			return
		}
		assert.Equal(t, "2", r.URL.Query().Get("page"))
		var body map[string]any
		require.NoError(t, json.Unmarshal(forgeFixture(t, "github/rest/commit.json"), &body))
		body["files"] = body["files"].([]any)[3:]
		first := "http://" + r.Host + forgeCommitURL
		w.Header().Set("Link", fmt.Sprintf(`<%s?page=1>; rel="prev", <%s?page=1>; rel="first"`, first, first))
		json.NewEncoder(w).Encode(body)
	})
	c := gh.client()
	d, err := c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.NoError(t, err)
	require.Len(t, d.Files, 5)
	assert.Equal(t, forgeExpectedGitHubDiff, d.Diff)
	assert.False(t, d.FilesTruncated)

	c.MaxPages = 1
	d, err = c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.NoError(t, err)
	assert.Len(t, d.Files, 3)
	assert.True(t, d.FilesTruncated)
}

func TestGitHubClientPersonalToken(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	gh.revokeAll() // only pat_valid is accepted
	gh.mux.HandleFunc("GET "+forgeCommitURL, gh.serveCommit)
	c := &ingest.GitHubClient{BaseURL: gh.srv.URL, Token: "pat_valid", Clock: clock.Now, Sleep: clock.Sleep}
	d, err := c.GetCommit(context.Background(), 0, "acme", "shop", forgeCommitSHA)
	require.NoError(t, err)
	assert.Len(t, d.Files, 5)
	assert.Equal(t, 0, gh.hitCount("POST /app/installations/0/access_tokens"))

	c.Token = "pat_wrong"
	_, err = c.GetCommit(context.Background(), 0, "acme", "shop", forgeCommitSHA)
	require.ErrorIs(t, err, ingest.ErrForgeUnauthorized)
	var apiErr *ingest.ForgeAPIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	assert.Equal(t, "Bad credentials", apiErr.Message)
	assert.Equal(t, "https://docs.github.com/rest", apiErr.DocumentationURL)
	assert.Equal(t, forgeCommitURL, apiErr.Path)
	assert.Empty(t, clock.Slept(), "a 401 is not retried with a personal token")

	_, err = (&ingest.GitHubClient{BaseURL: gh.srv.URL}).GetCommit(context.Background(), 0, "acme", "shop", forgeCommitSHA)
	require.ErrorContains(t, err, "no credentials")
	_, err = (&ingest.GitHubClient{BaseURL: gh.srv.URL, App: gh.app()}).GetCommit(context.Background(), 0, "acme", "shop", forgeCommitSHA)
	require.ErrorContains(t, err, "no installation id")
}

func TestGitHubClientRenewsRevokedInstallationToken(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	gh.mux.HandleFunc("GET "+forgeCommitURL, gh.serveCommit)
	c := gh.client()
	_, err := c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.NoError(t, err)
	gh.revokeAll()
	_, err = c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.NoError(t, err, "a 401 drops the cached token and retries once with a fresh one")
	assert.Equal(t, 2, gh.tokenCount("52001234"))
}

func TestGitHubClientNotFound(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	gh.mux.HandleFunc("GET /repos/acme/shop/commits/{sha}", func(w http.ResponseWriter, r *http.Request) {
		if !gh.authorized(w, r) {
			return
		}
		writeGitHubError(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+r.PathValue("sha"))
	})
	gh.mux.HandleFunc("GET /repos/acme/gone/commits/{sha}", func(w http.ResponseWriter, r *http.Request) {
		writeGitHubError(w, http.StatusNotFound, "Not Found")
	})
	c := gh.client()
	_, err := c.GetCommit(context.Background(), forgeInstID, "acme", "shop", "deadbeef")
	require.ErrorIs(t, err, ingest.ErrForgeNotFound)
	require.ErrorContains(t, err, "No commit found for SHA: deadbeef")
	_, err = c.GetCommit(context.Background(), forgeInstID, "acme", "gone", "deadbeef")
	require.ErrorIs(t, err, ingest.ErrForgeNotFound)
	assert.Empty(t, clock.Slept())
}

func TestGitHubClientRateLimitWait(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	var mu sync.Mutex
	calls := 0
	reset := clock.Now().Add(30 * time.Second)
	gh.mux.HandleFunc("GET "+forgeCommitURL, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			gh.rateHeaders(w, 0, reset)
			writeGitHubError(w, http.StatusForbidden, "API rate limit exceeded for installation ID 52001234.")
			return
		}
		gh.serveCommit(w, r)
	})
	d, err := gh.client().GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.NoError(t, err)
	assert.Equal(t, forgeCommitSHA, d.SHA)
	assert.Equal(t, []time.Duration{30 * time.Second}, clock.Slept())
	assert.Equal(t, 2, gh.hitCount("GET "+forgeCommitURL))
}

func TestGitHubClientRateLimitedError(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	reset := clock.Now().Add(40 * time.Minute)
	gh.mux.HandleFunc("GET "+forgeCommitURL, func(w http.ResponseWriter, r *http.Request) {
		gh.rateHeaders(w, 0, reset)
		writeGitHubError(w, http.StatusTooManyRequests, "API rate limit exceeded for installation ID 52001234.")
	})
	c := gh.client()
	c.MaxRateLimitWait = 5 * time.Minute
	_, err := c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.ErrorIs(t, err, ingest.ErrRateLimited)
	var rl *ingest.RateLimitedError
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.ResetAt.Equal(reset), "reset %s, want %s", rl.ResetAt, reset)
	assert.False(t, rl.Secondary)
	assert.Contains(t, rl.Message, "API rate limit exceeded")
	assert.Empty(t, clock.Slept())

	// The client remembers the exhausted quota: the next call fails
	// without spending a request.
	_, err = c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.ResetAt.Equal(reset))
	assert.Equal(t, 1, gh.hitCount("GET "+forgeCommitURL))
}

func TestGitHubClientWaitsForExhaustedQuota(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	reset := clock.Now().Add(20 * time.Second)
	gh.mux.HandleFunc("GET "+forgeCommitURL, func(w http.ResponseWriter, r *http.Request) {
		if !gh.authorized(w, r) {
			return
		}
		// The last request of the window succeeds with none remaining.
		gh.rateHeaders(w, 0, reset)
		w.Write(forgeFixture(t, "github/rest/commit.json"))
	})
	c := gh.client()
	_, err := c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.NoError(t, err)
	assert.Empty(t, clock.Slept())
	_, err = c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{20 * time.Second}, clock.Slept(), "waits for the reset before the next request")
}

func TestGitHubClientSecondaryRateLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		status   int
		header   map[string]string
		wantWait time.Duration
	}{
		{"403 with Retry-After", http.StatusForbidden, map[string]string{"Retry-After": "7"}, 7 * time.Second},
		{"429 with Retry-After", http.StatusTooManyRequests, map[string]string{"Retry-After": "3"}, 3 * time.Second},
		{"403 without headers", http.StatusForbidden, nil, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := newForgeClock()
			gh := newFakeGitHub(t, clock)
			var mu sync.Mutex
			calls := 0
			gh.mux.HandleFunc("GET "+forgeCommitURL, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				n := calls
				mu.Unlock()
				if n == 1 {
					for k, v := range tc.header {
						w.Header().Set(k, v)
					}
					writeGitHubError(w, tc.status, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
					return
				}
				gh.serveCommit(w, r)
			})
			c := gh.client()
			c.MaxRateLimitWait = 2 * time.Minute
			_, err := c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
			require.NoError(t, err)
			assert.Equal(t, []time.Duration{tc.wantWait}, clock.Slept())
		})
	}

	// A Retry-After beyond the limit is returned, marked secondary.
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	gh.mux.HandleFunc("GET "+forgeCommitURL, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "600")
		writeGitHubError(w, http.StatusForbidden, "You have exceeded a secondary rate limit.")
	})
	_, err := gh.client().GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	var rl *ingest.RateLimitedError
	require.ErrorAs(t, err, &rl)
	assert.True(t, rl.Secondary)
	assert.True(t, rl.ResetAt.Equal(clock.Now().Add(10*time.Minute)))

	// A 403 that is not a rate limit (missing permission) is returned as is.
	gh.mux.HandleFunc("GET /repos/acme/private/commits/{sha}", func(w http.ResponseWriter, r *http.Request) {
		writeGitHubError(w, http.StatusForbidden, "Resource not accessible by integration")
	})
	_, err = gh.client().GetCommit(context.Background(), forgeInstID, "acme", "private", forgeCommitSHA)
	require.ErrorIs(t, err, ingest.ErrForgeForbidden)
	require.NotErrorIs(t, err, ingest.ErrRateLimited)
}

func TestGitHubClientRetries5xx(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	var mu sync.Mutex
	calls := 0
	gh.mux.HandleFunc("GET "+forgeCommitURL, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		switch n {
		case 1:
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<html><body><h1>502 Bad Gateway</h1></body></html>"))
		case 2:
			writeGitHubError(w, http.StatusServiceUnavailable, "Server Error")
		default:
			gh.serveCommit(w, r)
		}
	})
	c := gh.client()
	c.RetryBackoff = time.Second
	_, err := c.GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.NoError(t, err)
	slept := clock.Slept()
	require.Len(t, slept, 2)
	assert.InDelta(t, float64(time.Second), float64(slept[0]), float64(time.Second)/4, "first back-off about 1 s")
	assert.InDelta(t, float64(2*time.Second), float64(slept[1]), float64(time.Second)/2, "then about 2 s")

	// Persistent failure: MaxRetries retries, then the error.
	gh.mux.HandleFunc("GET /repos/acme/down/commits/{sha}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"message":"Server Error"}`))
	})
	c.MaxRetries = 2
	_, err = c.GetCommit(context.Background(), forgeInstID, "acme", "down", forgeCommitSHA)
	var apiErr *ingest.ForgeAPIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.Equal(t, "Server Error", apiErr.Message)
	assert.Equal(t, 3, gh.hitCount("GET /repos/acme/down/commits/"+forgeCommitSHA))
}

func TestGitHubClientListCompare(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	const base, head = "51de2b835bd35a67eb32dbcd3d77d4b96e5aa39d", "6b1f53303a732ccc8c6aae6640399827c15250e3"
	gh.mux.HandleFunc("GET /repos/acme/shop/compare/{basehead}", func(w http.ResponseWriter, r *http.Request) {
		if !gh.authorized(w, r) {
			return
		}
		assert.Equal(t, base+"..."+head, r.PathValue("basehead"))
		var body map[string]any
		require.NoError(t, json.Unmarshal(forgeFixture(t, "github/rest/compare.json"), &body))
		commits := body["commits"].([]any)
		if r.URL.Query().Get("page") == "2" {
			body["commits"] = commits[1:]
		} else {
			assert.Equal(t, "100", r.URL.Query().Get("per_page"))
			body["commits"] = commits[:1]
			w.Header().Set("Link", fmt.Sprintf(`<http://%s%s?per_page=100&page=2>; rel="next"`, r.Host, r.URL.Path))
		}
		json.NewEncoder(w).Encode(body)
	})
	res, err := gh.client().ListCompare(context.Background(), forgeInstID, "acme", "shop", base, head)
	require.NoError(t, err)
	assert.Equal(t, "ahead", res.Status)
	assert.Equal(t, 2, res.AheadBy)
	assert.Equal(t, 2, res.TotalCommits)
	assert.False(t, res.Truncated)
	require.Len(t, res.Commits, 2)
	assert.Equal(t, forgeCommitSHA, res.Commits[0].SHA)
	assert.Equal(t, head, res.Commits[1].SHA)
	assert.Equal(t, []string{forgeCommitSHA}, res.Commits[1].Parents)
	assert.Nil(t, res.Commits[0].Files)
}

func TestGitHubClientRefusesForeignNextPage(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	gh.mux.HandleFunc("GET "+forgeCommitURL, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `<https://evil.example/steal?page=2>; rel="next"`)
		gh.serveCommit(w, r)
	})
	_, err := gh.client().GetCommit(context.Background(), forgeInstID, "acme", "shop", forgeCommitSHA)
	require.ErrorContains(t, err, "is not on")
}

func TestGitHubClientContextCancel(t *testing.T) {
	t.Parallel()
	clock := newForgeClock()
	gh := newFakeGitHub(t, clock)
	gh.mux.HandleFunc("GET "+forgeCommitURL, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &ingest.GitHubClient{BaseURL: gh.srv.URL, Token: "pat_valid"}
	_, err := c.GetCommit(ctx, 0, "acme", "shop", forgeCommitSHA)
	require.ErrorIs(t, err, context.Canceled)
}
