package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// githubHeaders go with every GitHub REST request.
var githubHeaders = map[string]string{
	"Accept":               "application/vnd.github+json",
	"X-GitHub-Api-Version": "2022-11-28",
}

// GitHub's limits on what one commit or comparison lists.
const (
	githubMaxCommitFiles  = 3000
	githubDefaultMaxPages = 30
)

// GitHubClient reads commits from the GitHub REST API, as a GitHub App
// installation (App set) or with a personal access token (Token). Safe for
// concurrent use; do not copy after first use. Zero fields take the
// documented defaults.
type GitHubClient struct {
	BaseURL string // default DefaultGitHubAPIURL (or App.BaseURL)
	// App, when set, authenticates each call as the installation named by
	// its installationID argument.
	App *GitHubApp
	// Token is a personal access token (or any bearer token), used when App
	// is nil or a call has no installation id.
	Token      string
	HTTPClient *http.Client // default: 60 s timeout
	UserAgent  string       // default DefaultForgeUserAgent
	// MaxRetries bounds retries of 5xx answers and network errors, and
	// waits for a rate limit, each; default 3, negative for none.
	MaxRetries int
	// RetryBackoff is the first retry's delay, doubled each time (±20%
	// jitter, at most 30 s); default 1 s.
	RetryBackoff time.Duration
	// MaxRateLimitWait is the longest the client waits for a rate limit to
	// reset; beyond it the call fails with ErrRateLimited (a
	// *RateLimitedError with the reset time). Default 1 minute.
	MaxRateLimitWait time.Duration
	// MaxPages bounds pagination (commit files, 300 a page; compare
	// commits, 100 a page); default 30.
	MaxPages int
	Clock    func() time.Time                                 // default time.Now
	Sleep    func(ctx context.Context, d time.Duration) error // default: a timer honouring ctx

	gate rateGate
}

func (c *GitHubClient) baseURL() string {
	switch {
	case c.BaseURL != "":
		return strings.TrimRight(c.BaseURL, "/")
	case c.App != nil:
		return c.App.baseURL()
	}
	return DefaultGitHubAPIURL
}

func (c *GitHubClient) transport() *forgeTransport {
	return newForgeTransport(forgeTransportConfig{provider: ProviderGitHub, client: c.HTTPClient, userAgent: c.UserAgent,
		maxRetries: c.MaxRetries, backoff: c.RetryBackoff, maxWait: c.MaxRateLimitWait, now: c.Clock, sleep: c.Sleep,
		gate: &c.gate, headers: githubHeaders})
}

func (c *GitHubClient) maxPages() int {
	if c.MaxPages > 0 {
		return c.MaxPages
	}
	return githubDefaultMaxPages
}

// request prepares an authenticated call for one installation (0: Token).
func (c *GitHubClient) request(installationID int64, rawURL string) (forgeRequest, error) {
	r := forgeRequest{url: rawURL}
	switch {
	case c.App != nil && installationID > 0:
		app := c.App
		r.rateKey = "installation:" + strconv.FormatInt(installationID, 10)
		r.auth = func(ctx context.Context) (string, error) {
			tok, err := app.InstallationToken(ctx, installationID)
			if err != nil {
				return "", err
			}
			return "Authorization: Bearer " + tok.Token, nil
		}
		r.reauth = func() bool { app.InvalidateInstallationToken(installationID); return true }
	case c.Token != "":
		r.rateKey = "token"
		token := c.Token
		r.auth = func(context.Context) (string, error) { return "Authorization: Bearer " + token, nil }
	case c.App != nil:
		return r, errors.New("GitHub: no installation id for this repository and no token configured; install the GitHub App on it or set a token")
	default:
		return r, errors.New("GitHub: no credentials; set a GitHub App or a token")
	}
	return r, nil
}

// githubCommitJSON is a commit of GET /repos/{o}/{r}/commits/{sha}, and of
// the commits list of the compare API (without stats and files).
type githubCommitJSON struct {
	SHA    string `json:"sha"`
	Commit struct {
		Message string `json:"message"`
		Author  *struct {
			Name  string `json:"name"`
			Email string `json:"email"`
			Date  string `json:"date"`
		} `json:"author"`
		Committer *struct {
			Name  string `json:"name"`
			Email string `json:"email"`
			Date  string `json:"date"`
		} `json:"committer"`
	} `json:"commit"`
	Author *struct {
		Login string `json:"login"`
	} `json:"author"`
	HTMLURL string `json:"html_url"`
	Parents []struct {
		SHA string `json:"sha"`
	} `json:"parents"`
	Stats *struct {
		Additions int `json:"additions"`
		Deletions int `json:"deletions"`
		Total     int `json:"total"`
	} `json:"stats"`
	Files []githubFileJSON `json:"files"`
}

type githubFileJSON struct {
	Filename         string `json:"filename"`
	PreviousFilename string `json:"previous_filename"`
	Status           string `json:"status"`
	Additions        int    `json:"additions"`
	Deletions        int    `json:"deletions"`
	Changes          int    `json:"changes"`
	Patch            string `json:"patch"`
}

func (g *githubCommitJSON) detail() (CommitDetail, error) {
	d := CommitDetail{Provider: ProviderGitHub, SHA: g.SHA, Message: g.Commit.Message, HTMLURL: g.HTMLURL}
	if a := g.Commit.Author; a != nil {
		d.AuthorName, d.AuthorEmail = a.Name, a.Email
		if a.Date != "" {
			t, err := parseForgeTime(a.Date)
			if err != nil {
				return d, fmt.Errorf("commit.author.date: %w", err)
			}
			d.AuthoredAt = t
		}
	}
	if cm := g.Commit.Committer; cm != nil {
		d.CommitterName, d.CommitterEmail = cm.Name, cm.Email
		if cm.Date != "" {
			t, err := parseForgeTime(cm.Date)
			if err != nil {
				return d, fmt.Errorf("commit.committer.date: %w", err)
			}
			d.CommittedAt = t
		}
	}
	if g.Author != nil {
		d.AuthorLogin = g.Author.Login
	}
	for _, p := range g.Parents {
		d.Parents = append(d.Parents, p.SHA)
	}
	if g.Stats != nil {
		d.Stats = CommitStats{Additions: g.Stats.Additions, Deletions: g.Stats.Deletions, Total: g.Stats.Total}
	}
	return d, nil
}

func (f githubFileJSON) file() CommitFile {
	cf := CommitFile{Filename: f.Filename, Status: f.Status, Additions: f.Additions, Deletions: f.Deletions,
		Changes: f.Changes, Patch: f.Patch}
	if f.PreviousFilename != f.Filename {
		cf.PreviousFilename = f.PreviousFilename
	}
	return cf
}

// GetCommit fetches one commit with its files, stats and the combined
// unified diff (GET /repos/{owner}/{repo}/commits/{sha}, following the file
// pages GitHub sends for commits of more than 300 files). installationID
// is the push's InstallationID; 0 uses Token. An unknown commit matches
// ErrForgeNotFound.
func (c *GitHubClient) GetCommit(ctx context.Context, installationID int64, owner, repo, sha string) (CommitDetail, error) {
	if owner == "" || repo == "" || sha == "" {
		return CommitDetail{}, fmt.Errorf("get GitHub commit: owner, repo and sha are required (got %q, %q, %q)", owner, repo, sha)
	}
	base := c.baseURL()
	next := fmt.Sprintf("%s/repos/%s/%s/commits/%s", base, url.PathEscape(owner), url.PathEscape(repo), url.PathEscape(sha))
	t := c.transport()
	var d CommitDetail
	for page := 1; next != ""; page++ {
		if page > c.maxPages() {
			d.FilesTruncated = true
			break
		}
		r, err := c.request(installationID, next)
		if err != nil {
			return CommitDetail{}, err
		}
		var g githubCommitJSON
		resp, err := t.getJSON(ctx, r, &g)
		if err != nil {
			return CommitDetail{}, fmt.Errorf("get GitHub commit %s/%s@%s: %w", owner, repo, sha, err)
		}
		if page == 1 {
			if d, err = g.detail(); err != nil {
				return CommitDetail{}, fmt.Errorf("get GitHub commit %s/%s@%s: %w", owner, repo, sha, err)
			}
			d.Files = []CommitFile{}
		}
		for _, f := range g.Files {
			d.Files = append(d.Files, f.file())
		}
		next = nextLink(resp.header)
		if next != "" && !sameOrigin(base, next) {
			return CommitDetail{}, fmt.Errorf("get GitHub commit %s/%s@%s: next page %q is not on %s", owner, repo, sha, next, base)
		}
	}
	if len(d.Files) >= githubMaxCommitFiles {
		d.FilesTruncated = true
	}
	d.Diff = UnifiedDiff(d.Files)
	return d, nil
}

// ListCompare lists the commits between base and head, oldest first
// (GET /repos/{owner}/{repo}/compare/{base}...{head}, 100 commits a page):
// the commits of a push whose payload listed only some. base must exist;
// for a new branch (Before is ZeroSHA) compare against the default branch.
func (c *GitHubClient) ListCompare(ctx context.Context, installationID int64, owner, repo, base, head string) (CompareResult, error) {
	if owner == "" || repo == "" || base == "" || head == "" {
		return CompareResult{}, fmt.Errorf("compare GitHub commits: owner, repo, base and head are required (got %q, %q, %q, %q)", owner, repo, base, head)
	}
	apiBase := c.baseURL()
	next := fmt.Sprintf("%s/repos/%s/%s/compare/%s...%s?per_page=100", apiBase, url.PathEscape(owner), url.PathEscape(repo),
		url.PathEscape(base), url.PathEscape(head))
	t := c.transport()
	var out CompareResult
	for page := 1; next != ""; page++ {
		if page > c.maxPages() {
			out.Truncated = true
			break
		}
		r, err := c.request(installationID, next)
		if err != nil {
			return CompareResult{}, err
		}
		var body struct {
			Status       string             `json:"status"`
			AheadBy      int                `json:"ahead_by"`
			BehindBy     int                `json:"behind_by"`
			TotalCommits int                `json:"total_commits"`
			Commits      []githubCommitJSON `json:"commits"`
		}
		resp, err := t.getJSON(ctx, r, &body)
		if err != nil {
			return CompareResult{}, fmt.Errorf("compare GitHub commits %s/%s %s...%s: %w", owner, repo, base, head, err)
		}
		if page == 1 {
			out.Status, out.AheadBy, out.BehindBy, out.TotalCommits = body.Status, body.AheadBy, body.BehindBy, body.TotalCommits
			out.Commits = []CommitDetail{}
		}
		for i := range body.Commits {
			d, err := body.Commits[i].detail()
			if err != nil {
				return CompareResult{}, fmt.Errorf("compare GitHub commits %s/%s %s...%s: commits[%d].%w", owner, repo, base, head, i, err)
			}
			out.Commits = append(out.Commits, d)
		}
		next = nextLink(resp.header)
		if next != "" && !sameOrigin(apiBase, next) {
			return CompareResult{}, fmt.Errorf("compare GitHub commits %s/%s: next page %q is not on %s", owner, repo, next, apiBase)
		}
	}
	if len(out.Commits) < out.TotalCommits {
		out.Truncated = true
	}
	return out, nil
}
