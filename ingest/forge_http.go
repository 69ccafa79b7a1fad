package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of the forge REST clients' HTTP behaviour.
const (
	DefaultForgeUserAgent        = "ctxintel"
	DefaultForgeMaxRetries       = 3
	DefaultForgeRetryBackoff     = time.Second
	DefaultForgeMaxRateLimitWait = time.Minute
	// DefaultForgeMaxResponseBytes bounds one response body (a commit with
	// its patches can be large; anything past this is refused, not cut).
	DefaultForgeMaxResponseBytes = 64 << 20
	// forgeSecondaryWait is GitHub's advice for a secondary rate limit that
	// names no time: wait at least a minute.
	forgeSecondaryWait = time.Minute
	forgeMaxBackoff    = 30 * time.Second
)

// Errors of the forge REST clients. A *ForgeAPIError matches the first
// three by status; a *RateLimitedError matches ErrRateLimited.
var (
	ErrForgeNotFound     = errors.New("not found on the forge")
	ErrForgeUnauthorized = errors.New("forge rejected the credentials")
	ErrForgeForbidden    = errors.New("forge denied access")
	// ErrRateLimited: the forge's rate limit is exhausted and its reset is
	// further away than the client may wait; errors.As gives the
	// *RateLimitedError with the reset time (snooze the job until then).
	ErrRateLimited = errors.New("forge rate limit exceeded")
)

// RateLimitedError says when a rate limit resets.
type RateLimitedError struct {
	Provider  string
	ResetAt   time.Time
	Secondary bool   // a secondary (abuse) limit rather than the hourly quota
	Message   string // the forge's message, when it sent one
}

func (e *RateLimitedError) Error() string {
	kind := "rate limit"
	if e.Secondary {
		kind = "secondary rate limit"
	}
	msg := fmt.Sprintf("%s %s exceeded; retry after %s", e.Provider, kind, e.ResetAt.UTC().Format(time.RFC3339))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitedError) Is(target error) bool { return target == ErrRateLimited }

// ForgeAPIError is a non-success answer of a forge REST API.
type ForgeAPIError struct {
	Provider         string
	Method           string
	Path             string // the request path as sent (escaped), without the query
	StatusCode       int
	Message          string // the forge's "message" (or "error"), else the start of the body
	DocumentationURL string // GitHub's documentation_url
}

func (e *ForgeAPIError) Error() string {
	msg := fmt.Sprintf("%s %s %s: %d %s", e.Provider, e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.DocumentationURL != "" {
		msg += " (" + e.DocumentationURL + ")"
	}
	return msg
}

// Is maps statuses to ErrForgeNotFound, ErrForgeUnauthorized and
// ErrForgeForbidden. GitHub answers 422 "No commit found for SHA" for an
// unknown commit: that is not found too.
func (e *ForgeAPIError) Is(target error) bool {
	switch target {
	case ErrForgeNotFound:
		return e.StatusCode == http.StatusNotFound ||
			e.StatusCode == http.StatusUnprocessableEntity && strings.Contains(strings.ToLower(e.Message), "no commit found")
	case ErrForgeUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForgeForbidden:
		return e.StatusCode == http.StatusForbidden
	}
	return false
}

// forgeTransport is the request loop shared by the REST clients: headers,
// retries of 5xx and network errors with back-off, rate limits.
type forgeTransport struct {
	provider   string
	client     *http.Client
	userAgent  string
	maxRetries int
	backoff    time.Duration
	maxWait    time.Duration
	maxBytes   int64
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	gate       *rateGate
	headers    map[string]string // sent with every request
}

// forgeTransportConfig is what a client struct's public fields give.
type forgeTransportConfig struct {
	provider   string
	client     *http.Client
	userAgent  string
	maxRetries int
	backoff    time.Duration
	maxWait    time.Duration
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	gate       *rateGate
	headers    map[string]string
}

var defaultForgeHTTPClient = &http.Client{Timeout: 60 * time.Second}

func newForgeTransport(c forgeTransportConfig) *forgeTransport {
	t := &forgeTransport{provider: c.provider, client: c.client, userAgent: c.userAgent, maxRetries: c.maxRetries,
		backoff: c.backoff, maxWait: c.maxWait, maxBytes: DefaultForgeMaxResponseBytes, now: c.now, sleep: c.sleep,
		gate: c.gate, headers: c.headers}
	if t.client == nil {
		t.client = defaultForgeHTTPClient
	}
	if t.userAgent == "" {
		t.userAgent = DefaultForgeUserAgent
	}
	if t.maxRetries == 0 {
		t.maxRetries = DefaultForgeMaxRetries
	} else if t.maxRetries < 0 {
		t.maxRetries = 0
	}
	if t.backoff <= 0 {
		t.backoff = DefaultForgeRetryBackoff
	}
	if t.maxWait <= 0 {
		t.maxWait = DefaultForgeMaxRateLimitWait
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.sleep == nil {
		t.sleep = sleepContext
	}
	return t
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// rateGate remembers, per credential, until when the forge said it is out
// of quota, so later requests wait (or fail fast) without spending a call.
type rateGate struct {
	mu    sync.Mutex
	until map[string]rateBlock
}

type rateBlock struct {
	until     time.Time
	secondary bool
	message   string
}

func (g *rateGate) get(key string) rateBlock {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.until[key]
}

func (g *rateGate) set(key string, b rateBlock) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.until == nil {
		g.until = map[string]rateBlock{}
	}
	if b.until.After(g.until[key].until) {
		g.until[key] = b
	}
}

// forgeRequest is one logical call; the transport may send it several times.
type forgeRequest struct {
	method string
	url    string
	body   []byte
	header map[string]string
	// rateKey names the credential whose quota the call spends.
	rateKey string
	// auth returns the Authorization header value ("" for none); it is
	// called before every attempt so a refreshed token is picked up.
	auth func(ctx context.Context) (string, error)
	// reauth drops a cached credential after a 401 and reports whether a
	// fresh one is worth one more try.
	reauth func() bool
}

type forgeResponse struct {
	status int
	header http.Header
	body   []byte
}

func (t *forgeTransport) do(ctx context.Context, r forgeRequest) (*forgeResponse, error) {
	path := pathOf(r.url)
	var rateWaits, retries int
	reauthed, justWaited := false, false
	for {
		if !justWaited {
			if err := t.waitGate(ctx, r.rateKey); err != nil {
				return nil, err
			}
		}
		justWaited = false
		resp, err := t.send(ctx, r)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s %s %s: %w", t.provider, r.method, path, ctx.Err())
			}
			if retries < t.maxRetries {
				retries++
				if err := t.sleep(ctx, t.backoffFor(retries)); err != nil {
					return nil, fmt.Errorf("%s %s %s: %w", t.provider, r.method, path, err)
				}
				continue
			}
			return nil, fmt.Errorf("%s %s %s: %w", t.provider, r.method, path, err)
		}
		t.noteQuota(r.rateKey, resp.header)
		if resp.status >= 200 && resp.status < 300 {
			return resp, nil
		}
		if limited, wait, secondary := t.rateLimited(resp); limited {
			block := rateBlock{until: t.now().Add(wait), secondary: secondary, message: forgeErrorMessage(resp.body).message}
			if t.gate != nil {
				// Later calls on this credential wait (or fail fast) too.
				t.gate.set(r.rateKey, block)
			}
			if wait > t.maxWait || rateWaits >= t.maxRetries {
				return nil, &RateLimitedError{Provider: t.provider, ResetAt: block.until, Secondary: secondary, Message: block.message}
			}
			rateWaits++
			if err := t.sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("%s %s %s: wait for rate limit: %w", t.provider, r.method, path, err)
			}
			justWaited = true
			continue
		}
		if resp.status == http.StatusUnauthorized && !reauthed && r.reauth != nil && r.reauth() {
			reauthed = true
			continue
		}
		if resp.status >= 500 && retries < t.maxRetries {
			retries++
			wait := t.backoffFor(retries)
			if ra, ok := retryAfter(resp.header, t.now()); ok && ra > wait && ra <= t.maxWait {
				wait = ra
			}
			if err := t.sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("%s %s %s: %w", t.provider, r.method, path, err)
			}
			continue
		}
		m := forgeErrorMessage(resp.body)
		return nil, &ForgeAPIError{Provider: t.provider, Method: r.method, Path: path, StatusCode: resp.status,
			Message: m.message, DocumentationURL: m.docURL}
	}
}

func (t *forgeTransport) send(ctx context.Context, r forgeRequest) (*forgeResponse, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range t.headers {
		req.Header.Set(k, v)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", t.userAgent)
	if r.body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.auth != nil {
		a, err := r.auth(ctx)
		if err != nil {
			return nil, err
		}
		if a != "" {
			name, value, _ := strings.Cut(a, ": ")
			req.Header.Set(name, value)
		}
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, t.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if int64(len(data)) > t.maxBytes {
		return nil, fmt.Errorf("response larger than %d bytes", t.maxBytes)
	}
	return &forgeResponse{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// waitGate waits out a quota the forge reported exhausted, or fails with
// ErrRateLimited when the reset is further than maxWait.
func (t *forgeTransport) waitGate(ctx context.Context, key string) error {
	if t.gate == nil {
		return nil
	}
	b := t.gate.get(key)
	wait := b.until.Sub(t.now())
	if wait <= 0 {
		return nil
	}
	if wait > t.maxWait {
		return &RateLimitedError{Provider: t.provider, ResetAt: b.until, Secondary: b.secondary, Message: b.message}
	}
	if err := t.sleep(ctx, wait); err != nil {
		return fmt.Errorf("%s: wait for rate limit: %w", t.provider, err)
	}
	return nil
}

// rateHeader reads GitHub's X-RateLimit-* or GitLab's RateLimit-* header.
func rateHeader(h http.Header, name string) string {
	if v := h.Get("X-RateLimit-" + name); v != "" {
		return v
	}
	return h.Get("RateLimit-" + name)
}

// quotaReset returns the reset time when the response says no requests
// remain.
func quotaReset(h http.Header) (time.Time, bool) {
	if strings.TrimSpace(rateHeader(h, "Remaining")) != "0" {
		return time.Time{}, false
	}
	reset, err := strconv.ParseInt(strings.TrimSpace(rateHeader(h, "Reset")), 10, 64)
	if err != nil || reset <= 0 {
		return time.Time{}, false
	}
	return time.Unix(reset, 0), true
}

func (t *forgeTransport) noteQuota(key string, h http.Header) {
	if t.gate == nil {
		return
	}
	if reset, ok := quotaReset(h); ok {
		t.gate.set(key, rateBlock{until: reset})
	}
}

// rateLimited recognises GitHub's primary (403/429 with no requests
// remaining) and secondary (403/429 with Retry-After, or a message naming
// a secondary rate limit) limits and GitLab's 429, and says how long to
// wait.
func (t *forgeTransport) rateLimited(resp *forgeResponse) (limited bool, wait time.Duration, secondary bool) {
	if resp.status != http.StatusForbidden && resp.status != http.StatusTooManyRequests {
		return false, 0, false
	}
	now := t.now()
	if ra, ok := retryAfter(resp.header, now); ok {
		return true, ra, true
	}
	if reset, ok := quotaReset(resp.header); ok {
		return true, max(reset.Sub(now), 0), false
	}
	msg := strings.ToLower(forgeErrorMessage(resp.body).message)
	if resp.status == http.StatusTooManyRequests || strings.Contains(msg, "rate limit") {
		return true, forgeSecondaryWait, true
	}
	return false, 0, false
}

// retryAfter reads Retry-After in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

func (t *forgeTransport) backoffFor(retry int) time.Duration {
	d := t.backoff << (retry - 1)
	if d > forgeMaxBackoff || d <= 0 {
		d = forgeMaxBackoff
	}
	// ±20% jitter so many workers do not retry in step.
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// getJSON GETs a URL and decodes the JSON answer into v.
func (t *forgeTransport) getJSON(ctx context.Context, r forgeRequest, v any) (*forgeResponse, error) {
	r.method = http.MethodGet
	resp, err := t.do(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(resp.body, v); err != nil {
		return nil, fmt.Errorf("%s GET %s: decode response: %w", t.provider, pathOf(r.url), err)
	}
	return resp, nil
}

func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.EscapedPath()
	}
	return raw
}

type forgeMessage struct{ message, docURL string }

// forgeErrorMessage reads GitHub's {message, documentation_url} and
// GitLab's {message} / {error, error_description}; other bodies give their
// first line.
func forgeErrorMessage(body []byte) forgeMessage {
	var m struct {
		Message          json.RawMessage `json:"message"`
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		DocumentationURL string          `json:"documentation_url"`
	}
	if json.Unmarshal(body, &m) == nil {
		msg := rawText(m.Message)
		if msg == "" {
			msg = rawText(m.Error)
			if m.ErrorDescription != "" {
				msg = strings.TrimSpace(msg + ": " + m.ErrorDescription)
			}
		}
		if msg != "" || m.DocumentationURL != "" {
			return forgeMessage{message: msg, docURL: m.DocumentationURL}
		}
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if len(line) > 200 {
		line = line[:200] + "…"
	}
	return forgeMessage{message: line}
}

// rawText turns a JSON string into its text and anything else (GitLab
// sends {"message": {"field": ["problem"]}}) into compact JSON.
func rawText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return string(raw)
}

// nextLink returns the rel="next" URL of an RFC 8288 Link header.
func nextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for _, part := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(part, ";")
			if !ok {
				continue
			}
			target = strings.TrimSpace(target)
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(k, "rel") && strings.Contains(" "+strings.Trim(val, `"`)+" ", " next ") {
					return target[1 : len(target)-1]
				}
			}
		}
	}
	return ""
}

// sameOrigin guards pagination: credentials go only to the configured host.
func sameOrigin(base, next string) bool {
	b, err1 := url.Parse(base)
	n, err2 := url.Parse(next)
	return err1 == nil && err2 == nil && strings.EqualFold(b.Scheme, n.Scheme) && strings.EqualFold(b.Host, n.Host)
}
