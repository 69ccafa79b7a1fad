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

// DefaultGitLabURL is gitlab.com; self-managed instances give their own.
const DefaultGitLabURL = "https://gitlab.com"

const (
	gitlabPerPage         = 100
	gitlabDefaultMaxPages = 50
)

// GitLabClient reads commits from the GitLab REST API (v4) with a personal,
// project or group access token. Safe for concurrent use; do not copy
// after first use. Zero fields take the documented defaults.
type GitLabClient struct {
	// BaseURL is the instance, e.g. https://gitlab.example.com (a trailing
	// /api/v4 is accepted too); default DefaultGitLabURL.
	BaseURL string
	// Token is sent as PRIVATE-TOKEN; it needs the read_api scope.
	Token      string
	HTTPClient *http.Client // default: 60 s timeout
	UserAgent  string       // default DefaultForgeUserAgent
	// MaxRetries bounds retries of 5xx answers and network errors, and
	// waits for a rate limit, each; default 3, negative for none.
	MaxRetries int
	// RetryBackoff is the first retry's delay, doubled each time; default 1 s.
	RetryBackoff time.Duration
	// MaxRateLimitWait is the longest the client waits for a 429's
	// Retry-After or RateLimit-Reset; beyond it the call fails with
	// ErrRateLimited. Default 1 minute.
	MaxRateLimitWait time.Duration
	// MaxPages bounds diff pagination (100 files a page); default 50.
	MaxPages int
	Clock    func() time.Time                                 // default time.Now
	Sleep    func(ctx context.Context, d time.Duration) error // default: a timer honouring ctx

	gate rateGate
}

func (c *GitLabClient) apiURL() string {
	base := strings.TrimRight(c.BaseURL, "/")
	if base == "" {
		base = DefaultGitLabURL
	}
	base = strings.TrimSuffix(base, "/api/v4")
	return base + "/api/v4"
}

func (c *GitLabClient) transport() *forgeTransport {
	return newForgeTransport(forgeTransportConfig{provider: ProviderGitLab, client: c.HTTPClient, userAgent: c.UserAgent,
		maxRetries: c.MaxRetries, backoff: c.RetryBackoff, maxWait: c.MaxRateLimitWait, now: c.Clock, sleep: c.Sleep,
		gate: &c.gate, headers: map[string]string{"Accept": "application/json"}})
}

func (c *GitLabClient) maxPages() int {
	if c.MaxPages > 0 {
		return c.MaxPages
	}
	return gitlabDefaultMaxPages
}

func (c *GitLabClient) request(rawURL string) (forgeRequest, error) {
	if c.Token == "" {
		return forgeRequest{}, errors.New("GitLab: no token configured; set an access token with the read_api scope")
	}
	token := c.Token
	return forgeRequest{url: rawURL, rateKey: "token",
		auth: func(context.Context) (string, error) { return "PRIVATE-TOKEN: " + token, nil }}, nil
}

// projectPath is the :id of a GitLab URL: the numeric id, or the
// URL-encoded path ("group/sub/name" → "group%2Fsub%2Fname").
func (c *GitLabClient) projectPath(project string) (string, error) {
	project = strings.Trim(strings.TrimSpace(project), "/")
	if project == "" {
		return "", errors.New("GitLab: project is required (numeric id or \"group/name\")")
	}
	return url.PathEscape(project), nil
}

type gitlabCommitJSON struct {
	ID             string   `json:"id"`
	Message        string   `json:"message"`
	AuthorName     string   `json:"author_name"`
	AuthorEmail    string   `json:"author_email"`
	AuthoredDate   string   `json:"authored_date"`
	CommitterName  string   `json:"committer_name"`
	CommitterEmail string   `json:"committer_email"`
	CommittedDate  string   `json:"committed_date"`
	ParentIDs      []string `json:"parent_ids"`
	WebURL         string   `json:"web_url"`
	Stats          *struct {
		Additions int `json:"additions"`
		Deletions int `json:"deletions"`
		Total     int `json:"total"`
	} `json:"stats"`
}

func (g *gitlabCommitJSON) detail() (CommitDetail, error) {
	d := CommitDetail{Provider: ProviderGitLab, SHA: g.ID, Message: g.Message, AuthorName: g.AuthorName,
		AuthorEmail: g.AuthorEmail, CommitterName: g.CommitterName, CommitterEmail: g.CommitterEmail,
		Parents: g.ParentIDs, HTMLURL: g.WebURL}
	var err error
	if g.AuthoredDate != "" {
		if d.AuthoredAt, err = parseForgeTime(g.AuthoredDate); err != nil {
			return d, fmt.Errorf("authored_date: %w", err)
		}
	}
	if g.CommittedDate != "" {
		if d.CommittedAt, err = parseForgeTime(g.CommittedDate); err != nil {
			return d, fmt.Errorf("committed_date: %w", err)
		}
	}
	if g.Stats != nil {
		d.Stats = CommitStats{Additions: g.Stats.Additions, Deletions: g.Stats.Deletions, Total: g.Stats.Total}
	}
	return d, nil
}

type gitlabDiffJSON struct {
	Diff        string  `json:"diff"`
	NewPath     string  `json:"new_path"`
	OldPath     string  `json:"old_path"`
	AMode       *string `json:"a_mode"`
	BMode       *string `json:"b_mode"`
	NewFile     bool    `json:"new_file"`
	RenamedFile bool    `json:"renamed_file"`
	DeletedFile bool    `json:"deleted_file"`
}

func (g gitlabDiffJSON) file() CommitFile {
	f := CommitFile{Filename: g.NewPath, Patch: g.Diff, Status: FileModified}
	switch {
	case g.NewFile:
		f.Status = FileAdded
	case g.DeletedFile:
		f.Status = FileRemoved
	case g.RenamedFile:
		f.Status = FileRenamed
	}
	if g.OldPath != "" && g.OldPath != g.NewPath {
		f.PreviousFilename = g.OldPath
	}
	if g.AMode != nil && *g.AMode != "0" {
		f.OldMode = *g.AMode
	}
	if g.BMode != nil && *g.BMode != "0" {
		f.NewMode = *g.BMode
	}
	f.Additions, f.Deletions = countPatchLines(g.Diff)
	f.Changes = f.Additions + f.Deletions
	return f
}

// GetCommit fetches one commit with its stats
// (GET /projects/:id/repository/commits/:sha?stats=true) and its files and
// combined unified diff (GetCommitDiff). project is the numeric id or the
// "group/name" path. An unknown commit matches ErrForgeNotFound.
func (c *GitLabClient) GetCommit(ctx context.Context, project, sha string) (CommitDetail, error) {
	id, err := c.projectPath(project)
	if err != nil {
		return CommitDetail{}, err
	}
	if sha == "" {
		return CommitDetail{}, errors.New("get GitLab commit: sha is required")
	}
	r, err := c.request(fmt.Sprintf("%s/projects/%s/repository/commits/%s?stats=true", c.apiURL(), id, url.PathEscape(sha)))
	if err != nil {
		return CommitDetail{}, err
	}
	var g gitlabCommitJSON
	if _, err := c.transport().getJSON(ctx, r, &g); err != nil {
		return CommitDetail{}, fmt.Errorf("get GitLab commit %s@%s: %w", project, sha, err)
	}
	d, err := g.detail()
	if err != nil {
		return CommitDetail{}, fmt.Errorf("get GitLab commit %s@%s: %w", project, sha, err)
	}
	files, truncated, err := c.getCommitDiff(ctx, project, id, sha)
	if err != nil {
		return CommitDetail{}, err
	}
	d.Files, d.FilesTruncated, d.Diff = files, truncated, UnifiedDiff(files)
	return d, nil
}

// GetCommitDiff fetches a commit's changed files with their patches
// (GET /projects/:id/repository/commits/:sha/diff, every page) in the same
// shape as CommitDetail: Files, FilesTruncated and Diff filled, the rest
// empty. Per-file additions and deletions are counted from the patches.
func (c *GitLabClient) GetCommitDiff(ctx context.Context, project, sha string) (CommitDetail, error) {
	id, err := c.projectPath(project)
	if err != nil {
		return CommitDetail{}, err
	}
	if sha == "" {
		return CommitDetail{}, errors.New("get GitLab commit diff: sha is required")
	}
	files, truncated, err := c.getCommitDiff(ctx, project, id, sha)
	if err != nil {
		return CommitDetail{}, err
	}
	d := CommitDetail{Provider: ProviderGitLab, SHA: sha, Files: files, FilesTruncated: truncated, Diff: UnifiedDiff(files)}
	for _, f := range files {
		d.Stats.Additions += f.Additions
		d.Stats.Deletions += f.Deletions
	}
	d.Stats.Total = d.Stats.Additions + d.Stats.Deletions
	return d, nil
}

func (c *GitLabClient) getCommitDiff(ctx context.Context, project, id, sha string) ([]CommitFile, bool, error) {
	api := c.apiURL()
	first := fmt.Sprintf("%s/projects/%s/repository/commits/%s/diff?per_page=%d", api, id, url.PathEscape(sha), gitlabPerPage)
	next := first + "&page=1"
	t := c.transport()
	files := []CommitFile{}
	for page := 1; next != ""; page++ {
		if page > c.maxPages() {
			return files, true, nil
		}
		r, err := c.request(next)
		if err != nil {
			return nil, false, err
		}
		var diffs []gitlabDiffJSON
		resp, err := t.getJSON(ctx, r, &diffs)
		if err != nil {
			return nil, false, fmt.Errorf("get GitLab commit diff %s@%s page %d: %w", project, sha, page, err)
		}
		for _, d := range diffs {
			files = append(files, d.file())
		}
		next = gitlabNextPage(resp.header, first)
		if next != "" && !sameOrigin(api, next) {
			return nil, false, fmt.Errorf("get GitLab commit diff %s@%s: next page %q is not on %s", project, sha, next, api)
		}
	}
	return files, false, nil
}

// gitlabNextPage follows X-Next-Page (empty on the last page), else the
// Link header. GitLab omits X-Next-Page and X-Total on very large
// collections but keeps Link.
func gitlabNextPage(h http.Header, first string) string {
	if v := strings.TrimSpace(h.Get("X-Next-Page")); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return first + "&page=" + strconv.Itoa(n)
		}
		return ""
	}
	if _, ok := h["X-Next-Page"]; ok {
		return ""
	}
	return nextLink(h)
}

// ListCompare lists the commits between from and to, in GitLab's order
// (GET /projects/:id/repository/compare?from=…&to=…): the commits of a push
// whose hook listed only 20. GitLab answers in one response; Truncated
// reports compare_timeout.
func (c *GitLabClient) ListCompare(ctx context.Context, project, from, to string) (CompareResult, error) {
	id, err := c.projectPath(project)
	if err != nil {
		return CompareResult{}, err
	}
	if from == "" || to == "" {
		return CompareResult{}, fmt.Errorf("compare GitLab commits: from and to are required (got %q, %q)", from, to)
	}
	q := url.Values{"from": {from}, "to": {to}}
	r, err := c.request(fmt.Sprintf("%s/projects/%s/repository/compare?%s", c.apiURL(), id, q.Encode()))
	if err != nil {
		return CompareResult{}, err
	}
	var body struct {
		Commits        []gitlabCommitJSON `json:"commits"`
		CompareTimeout bool               `json:"compare_timeout"`
	}
	if _, err := c.transport().getJSON(ctx, r, &body); err != nil {
		return CompareResult{}, fmt.Errorf("compare GitLab commits %s %s...%s: %w", project, from, to, err)
	}
	out := CompareResult{Commits: make([]CommitDetail, 0, len(body.Commits)), Truncated: body.CompareTimeout}
	for i := range body.Commits {
		d, err := body.Commits[i].detail()
		if err != nil {
			return CompareResult{}, fmt.Errorf("compare GitLab commits %s %s...%s: commits[%d].%w", project, from, to, i, err)
		}
		out.Commits = append(out.Commits, d)
	}
	out.TotalCommits, out.AheadBy = len(out.Commits), len(out.Commits)
	return out, nil
}
