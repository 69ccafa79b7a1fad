package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

// apiClient is the CLI's side of the capture API.
type apiClient struct {
	server string
	key    string
	http   *http.Client
}

func newAPIClient(c ClientConfig, timeout time.Duration) *apiClient {
	return &apiClient{server: strings.TrimRight(c.Server, "/"), key: c.APIKey, http: &http.Client{Timeout: timeout}}
}

// apiError is an error answer of the server, with its message.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("server answered %d %s: %s", e.Status, e.Code, e.Message)
}

// upload sends a file to POST /api/v1/imports, gzip-compressed, and waits
// up to wait for the server to process it. The report's status is
// "pending" when processing was still under way.
func (c *apiClient) upload(ctx context.Context, name string, data []byte, wait time.Duration) (ingest.Report, error) {
	remote := localRemote(ctx, name, data)
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	zw.Write(data) //nolint:errcheck // writes to memory
	zw.Close()     //nolint:errcheck
	q := url.Values{"wait": {fmt.Sprintf("%g", wait.Seconds())}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/api/v1/imports?"+q.Encode(), &body)
	if err != nil {
		return ingest.Report{}, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("X-Filename", name)
	if remote != "" {
		req.Header.Set("X-Git-Remote", remote)
	}
	return c.do(req)
}

// importReport polls GET /api/v1/imports/{id}.
func (c *apiClient) importReport(ctx context.Context, id string) (ingest.Report, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server+"/api/v1/imports/"+url.PathEscape(id), nil)
	if err != nil {
		return ingest.Report{}, err
	}
	return c.do(req)
}

func (c *apiClient) do(req *http.Request) (ingest.Report, error) {
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("User-Agent", "ctxintel/"+version)
	resp, err := c.http.Do(req)
	if err != nil {
		return ingest.Report{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return ingest.Report{}, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		return ingest.Report{}, newAPIError(resp.StatusCode, raw)
	}
	var rep ingest.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return rep, fmt.Errorf("decode answer: %w", err)
	}
	return rep, nil
}

// newAPIError reads the API's error shape, {"error": {"code", "message"}}.
func newAPIError(status int, raw []byte) *apiError {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	if e.Error.Message == "" {
		e.Error.Message = strings.TrimSpace(string(raw))
	}
	return &apiError{Status: status, Code: e.Error.Code, Message: e.Error.Message}
}

// localRemote finds the git remote of the transcript's working directory
// on this machine, for transcripts that record a cwd but no remote
// (Claude Code, Gemini, Cursor, Aider): commit linking needs the
// repository.
func localRemote(ctx context.Context, name string, data []byte) string {
	res := transcript.Parse(name, data, "", transcript.Limits{})
	for _, c := range res.Conversations {
		if c.GitRemote != "" {
			return ""
		}
		if c.Cwd == "" {
			continue
		}
		if info, err := os.Stat(c.Cwd); err == nil && info.IsDir() {
			if remote, err := git(ctx, c.Cwd, "remote", "get-url", "origin"); err == nil {
				return strings.TrimSpace(remote)
			}
		}
	}
	return ""
}
