package search

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// OpenAIConfig configures an OpenAIEmbedder. The same client serves OpenAI,
// Azure OpenAI and on-prem servers speaking OpenAI's /v1/embeddings API
// (vLLM, Ollama, text-embeddings-inference, LiteLLM, ...).
type OpenAIConfig struct {
	// BaseURL is the API root; requests go to POST {BaseURL}/embeddings, e.g.
	// https://api.openai.com/v1 or http://gpu-box:8000/v1. A BaseURL that
	// already ends in /embeddings is used as is. The query string is kept,
	// which Azure needs. Required.
	BaseURL string
	// Model is sent as "model" and names the stored vectors (Model() returns
	// "openai:" + Model), so it must name the model behind the endpoint even
	// on Azure, where the deployment URL selects it. Required.
	Model string
	// Dimensions is the length of every vector: sent as "dimensions" (unless
	// OmitDimensions) and checked against every returned vector. Required;
	// e.g. 1536 for text-embedding-3-large shortened, 3072 for its full size.
	Dimensions int
	// OmitDimensions leaves "dimensions" out of the request, for models with
	// a fixed size that reject the parameter (text-embedding-ada-002, most
	// on-prem models). Dimensions must still be set. Default false.
	OmitDimensions bool
	// APIKey is sent as "Authorization: Bearer <key>", or as the "api-key"
	// header when Azure is set. Required for Azure and for api.openai.com;
	// optional for on-prem servers without authentication. It never appears
	// in errors or logs.
	APIKey string
	// Azure selects Azure OpenAI's conventions: the key goes in the "api-key"
	// header, and BaseURL is the deployment URL including the API version,
	// e.g. https://res.openai.azure.com/openai/deployments/emb?api-version=2024-10-21.
	// Default false.
	Azure bool
	// BatchSize is the maximum number of texts per request. Default 96;
	// OpenAI accepts at most 2048. Batches are also cut at 300,000 bytes of
	// text, which keeps them under OpenAI's 300,000 tokens per request.
	BatchSize int
	// MaxRetries is how many times a request is retried after a 408, 409,
	// 429 or 5xx response or a network error. Default 5; negative disables
	// retries.
	MaxRetries int
	// HTTPClient sends the requests. Default: a client with a 60 s timeout.
	HTTPClient *http.Client
	// Logger receives a debug record per request and a warning per retry.
	// Default: slog.Default().
	Logger *slog.Logger
}

// ErrEmptyText is returned by OpenAIEmbedder.Embed for a text that is empty
// or only whitespace. OpenAI rejects empty input, and the vector of a blank
// text says nothing about a conversation yet would still match queries, so
// callers skip such texts rather than have them padded to " ".
var ErrEmptyText = errors.New("text is empty or only whitespace; skip it before embedding")

const (
	defaultOpenAIBatchSize  = 96
	maxOpenAIBatchSize      = 2048 // OpenAI's limit on inputs per request
	defaultOpenAIMaxRetries = 5
	defaultOpenAITimeout    = 60 * time.Second

	// openAIMaxBatchBytes bounds the text in one request. A byte-level BPE token
	// spans at least one byte, so this many bytes is at most OpenAI's
	// 300,000 tokens per request, without a tokenizer.
	openAIMaxBatchBytes = 300_000

	// Back-off without a server hint: 0.5 s doubling up to 8 s, the values
	// of OpenAI's own SDKs, with "equal jitter" (half fixed, half random).
	openAIRetryBaseDelay = 500 * time.Millisecond
	openAIRetryMaxDelay  = 8 * time.Second
	// openAIMaxRetryWait is the longest server-requested wait honoured. A longer
	// one (a daily request limit resetting in hours, say) fails the call so
	// that the caller's job retries later instead of blocking a worker.
	openAIMaxRetryWait = time.Minute

	openAIMaxErrorBody = 64 << 10
)

// OpenAIEmbedder is an Embedder backed by an OpenAI-compatible embeddings
// API. It is safe for concurrent use.
type OpenAIEmbedder struct {
	cfg        OpenAIConfig
	endpoint   string
	client     *http.Client
	log        *slog.Logger
	maxRetries int

	// Hooks replaced by tests.
	sleep  func(ctx context.Context, d time.Duration) error
	now    func() time.Time
	jitter func() float64 // uniform in [0, 1)
}

var _ Embedder = (*OpenAIEmbedder)(nil)

// NewOpenAIEmbedder validates cfg, fills in its defaults and returns the
// embedder. It makes no request.
func NewOpenAIEmbedder(cfg OpenAIConfig) (*OpenAIEmbedder, error) {
	endpoint, err := openAIEndpoint(cfg)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(cfg.Model) == "":
		return nil, errors.New("openai embedder: Model is required, e.g. text-embedding-3-large")
	case cfg.Dimensions <= 0:
		return nil, fmt.Errorf("openai embedder: Dimensions must be positive (got %d), e.g. 1536 for text-embedding-3-large shortened", cfg.Dimensions)
	case cfg.BatchSize < 0 || cfg.BatchSize > maxOpenAIBatchSize:
		return nil, fmt.Errorf("openai embedder: BatchSize must be between 1 and %d, or 0 for the default %d (got %d)", maxOpenAIBatchSize, defaultOpenAIBatchSize, cfg.BatchSize)
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = defaultOpenAIBatchSize
	}
	e := &OpenAIEmbedder{
		cfg:        cfg,
		endpoint:   endpoint,
		client:     cfg.HTTPClient,
		log:        cfg.Logger,
		maxRetries: cfg.MaxRetries,
		sleep:      sleepOpenAIBackoff,
		now:        time.Now,
		jitter:     rand.Float64,
	}
	if e.client == nil {
		e.client = &http.Client{Timeout: defaultOpenAITimeout}
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	switch {
	case cfg.MaxRetries == 0:
		e.maxRetries = defaultOpenAIMaxRetries
	case cfg.MaxRetries < 0:
		e.maxRetries = 0
	}
	return e, nil
}

// openAIEndpoint validates BaseURL and APIKey and returns the URL to POST to.
func openAIEndpoint(cfg OpenAIConfig) (string, error) {
	if strings.TrimSpace(cfg.BaseURL) == "" {
		return "", errors.New("openai embedder: BaseURL is required, e.g. https://api.openai.com/v1")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return "", fmt.Errorf("openai embedder: BaseURL %q is not a URL: %w", cfg.BaseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("openai embedder: BaseURL %q must be an absolute http or https URL, e.g. https://api.openai.com/v1", cfg.BaseURL)
	}
	if cfg.Azure {
		if cfg.APIKey == "" {
			return "", errors.New("openai embedder: APIKey is required for Azure OpenAI")
		}
		if strings.Contains(u.Path, "/deployments/") && u.Query().Get("api-version") == "" {
			return "", fmt.Errorf("openai embedder: Azure deployment URL %q needs ?api-version=, e.g. ?api-version=2024-10-21", cfg.BaseURL)
		}
	} else if cfg.APIKey == "" && u.Hostname() == "api.openai.com" {
		return "", errors.New("openai embedder: APIKey is required for api.openai.com")
	}
	u.Fragment, u.RawFragment = "", ""
	if !strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), "/embeddings") {
		u = u.JoinPath("embeddings")
	}
	return u.String(), nil
}

// Model returns "openai:<model>:<dimensions>".
// (The size is part of the name: vectors of one model at two sizes must
// never be compared.)
func (e *OpenAIEmbedder) Model() string {
	return fmt.Sprintf("openai:%s:%d", e.cfg.Model, e.cfg.Dimensions)
}

// Dimensions returns the configured vector length.
func (e *OpenAIEmbedder) Dimensions() int { return e.cfg.Dimensions }

// Embed returns one L2-normalised vector per text, in order. Texts are sent
// in batches, one request at a time; a text that is empty or only
// whitespace fails the whole call with ErrEmptyText before any request.
// Texts longer than the model's input limit (8192 tokens for OpenAI's
// models) fail with the API's 400 error: chunk them first.
func (e *OpenAIEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			return nil, fmt.Errorf("embed text %d of %d: %w", i, len(texts), ErrEmptyText)
		}
	}
	out := make([][]float32, 0, len(texts))
	for _, b := range splitOpenAIBatches(texts, e.cfg.BatchSize, openAIMaxBatchBytes) {
		vecs, err := e.embedBatch(ctx, texts[b.lo:b.hi])
		if err != nil {
			return nil, fmt.Errorf("embed texts %d-%d of %d with %s: %w", b.lo, b.hi-1, len(texts), e.cfg.Model, err)
		}
		out = append(out, vecs...)
	}
	return out, nil
}

type openAIBatch struct{ lo, hi int }

// splitOpenAIBatches cuts texts into consecutive runs of at most maxN texts and,
// unless a single text is larger, at most maxBytes bytes.
func splitOpenAIBatches(texts []string, maxN, maxBytes int) []openAIBatch {
	var out []openAIBatch
	lo, size := 0, 0
	for i, t := range texts {
		if i > lo && (i-lo == maxN || size+len(t) > maxBytes) {
			out = append(out, openAIBatch{lo, i})
			lo, size = i, 0
		}
		size += len(t)
	}
	if lo < len(texts) {
		out = append(out, openAIBatch{lo, len(texts)})
	}
	return out
}

// openAIRequest is the body of POST /embeddings.
type openAIRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	Dimensions     int      `json:"dimensions,omitempty"`
	EncodingFormat string   `json:"encoding_format"`
}

// openAIAttempt is the outcome of one HTTP request.
type openAIAttempt struct {
	vecs      [][]float32
	usage     openAIUsage
	err       error
	retryable bool
	hint      time.Duration // server-requested wait before retrying; 0 if none
}

// embedBatch sends one batch, retrying transient failures.
func (e *OpenAIEmbedder) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	req := openAIRequest{Model: e.cfg.Model, Input: texts, EncodingFormat: "float"}
	if !e.cfg.OmitDimensions {
		req.Dimensions = e.cfg.Dimensions
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	for attempt := 0; ; attempt++ {
		start := time.Now()
		res := e.do(ctx, body, len(texts))
		if res.err == nil {
			e.log.LogAttrs(ctx, slog.LevelDebug, "embedded batch",
				slog.String("model", e.cfg.Model), slog.Int("texts", len(texts)),
				slog.Int("prompt_tokens", res.usage.PromptTokens), slog.Int("attempt", attempt+1),
				slog.Duration("elapsed", time.Since(start)))
			return res.vecs, nil
		}
		if !res.retryable || ctx.Err() != nil {
			return nil, res.err
		}
		if attempt >= e.maxRetries {
			return nil, fmt.Errorf("giving up after %d attempts: %w", attempt+1, res.err)
		}
		if res.hint > openAIMaxRetryWait {
			return nil, fmt.Errorf("%w; not retrying: the server asks to wait %s, longer than the %s this client waits", res.err, res.hint, openAIMaxRetryWait)
		}
		delay := e.retryDelay(attempt, res.hint)
		e.log.LogAttrs(ctx, slog.LevelWarn, "embedding request failed; retrying",
			slog.String("model", e.cfg.Model), slog.Int("attempt", attempt+1),
			slog.Duration("delay", delay), slog.Any("error", res.err))
		if err := e.sleep(ctx, delay); err != nil {
			return nil, fmt.Errorf("%w; stopped waiting to retry: %w", res.err, err)
		}
	}
}

// retryDelay is the wait before retry number attempt+1: the server's hint
// plus up to 10% so that clients told the same instant do not return
// together, or else exponential back-off with jitter.
func (e *OpenAIEmbedder) retryDelay(attempt int, hint time.Duration) time.Duration {
	if hint > 0 {
		return hint + time.Duration(e.jitter()*float64(hint)/10)
	}
	d := openAIRetryMaxDelay
	if attempt < 16 {
		d = min(openAIRetryBaseDelay<<attempt, openAIRetryMaxDelay)
	}
	return d/2 + time.Duration(e.jitter()*float64(d/2))
}

func sleepOpenAIBackoff(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// do sends one request and classifies its outcome.
func (e *OpenAIEmbedder) do(ctx context.Context, body []byte, n int) openAIAttempt {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.endpoint, bytes.NewReader(body))
	if err != nil {
		return openAIAttempt{err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if e.cfg.APIKey != "" {
		if e.cfg.Azure {
			req.Header.Set("api-key", e.cfg.APIKey)
		} else {
			req.Header.Set("Authorization", "Bearer "+e.cfg.APIKey)
		}
	}
	resp, err := e.client.Do(req)
	if err != nil {
		// The client's errors name the URL, never the headers holding the key.
		return openAIAttempt{err: fmt.Errorf("send request: %w", err), retryable: true}
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, openAIMaxErrorBody))
		apiErr := parseAPIError(resp.StatusCode, raw, e.cfg.APIKey)
		res := openAIAttempt{err: apiErr, retryable: openAIRetryableStatus(resp.StatusCode)}
		if res.retryable {
			res.hint = openAIRetryHint(resp.StatusCode, resp.Header, e.now())
		}
		return res
	}
	// A float in JSON takes at most ~16 bytes; allow twice that.
	limit := int64(n)*int64(e.cfg.Dimensions)*32 + 1<<20
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return openAIAttempt{err: fmt.Errorf("read response: %w", err), retryable: true}
	}
	if int64(len(raw)) > limit {
		return openAIAttempt{err: fmt.Errorf("response exceeds %d bytes for %d vectors of %d dimensions", limit, n, e.cfg.Dimensions)}
	}
	vecs, usage, err := decodeOpenAIEmbeddings(raw, n, e.cfg.Dimensions)
	if err != nil {
		return openAIAttempt{err: err}
	}
	return openAIAttempt{vecs: vecs, usage: usage}
}

// openAIRetryableStatus follows OpenAI's SDKs: timeouts, lock conflicts, rate
// limits and server errors are transient; other 4xx are the request's fault.
func openAIRetryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusConflict ||
		code == http.StatusTooManyRequests || code >= 500
}

// openAIRetryHint reads how long the server asks us to wait: retry-after-ms (sent
// by OpenAI and Azure), Retry-After in seconds or as an HTTP date, and on a
// 429 OpenAI's x-ratelimit-reset-{requests,tokens}. Of the reset headers, it
// takes the latest among the limits whose x-ratelimit-remaining-* is 0, or
// if none says so the earliest, the first moment the request may pass. It
// returns 0 when there is no usable hint.
func openAIRetryHint(status int, h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < math.MaxInt64/1e6 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil {
			if s > 0 && s < math.MaxInt64/1e9 {
				return time.Duration(s * float64(time.Second))
			}
		} else if t, err := http.ParseTime(v); err == nil {
			if d := t.Sub(now); d > 0 {
				return d
			}
		}
	}
	if status != http.StatusTooManyRequests {
		return 0
	}
	var exhausted, other time.Duration
	for _, limit := range []string{"requests", "tokens"} {
		d, err := time.ParseDuration(strings.TrimSpace(h.Get("X-Ratelimit-Reset-" + limit)))
		if err != nil || d <= 0 {
			continue
		}
		if strings.TrimSpace(h.Get("X-Ratelimit-Remaining-"+limit)) == "0" {
			exhausted = max(exhausted, d)
		} else if other == 0 || d < other {
			other = d
		}
	}
	if exhausted > 0 {
		return exhausted
	}
	return other
}

type openAIUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

// openAIResponse is the body of a successful POST /embeddings.
type openAIResponse struct {
	Data []struct {
		Index     *int            `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
	Usage openAIUsage `json:"usage"`
}

// decodeOpenAIEmbeddings parses a response to a request of n inputs, orders its
// vectors by index, checks each has dims finite components and
// L2-normalises it. Vectors may be JSON arrays or, as with
// encoding_format "base64", base64 of little-endian float32s.
func decodeOpenAIEmbeddings(raw []byte, n, dims int) ([][]float32, openAIUsage, error) {
	var resp openAIResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return nil, openAIUsage{}, fmt.Errorf("decode response: %w", err)
	}
	if len(resp.Data) != n {
		return nil, openAIUsage{}, fmt.Errorf("response has %d embeddings for %d inputs", len(resp.Data), n)
	}
	out := make([][]float32, n)
	for i, d := range resp.Data {
		if d.Index == nil {
			return nil, openAIUsage{}, fmt.Errorf("response data[%d] has no index", i)
		}
		idx := *d.Index
		if idx < 0 || idx >= n {
			return nil, openAIUsage{}, fmt.Errorf("response data[%d] has index %d, outside 0-%d", i, idx, n-1)
		}
		if out[idx] != nil {
			return nil, openAIUsage{}, fmt.Errorf("response has index %d twice", idx)
		}
		v, err := decodeOpenAIVector(d.Embedding)
		if err != nil {
			return nil, openAIUsage{}, fmt.Errorf("response embedding %d: %w", idx, err)
		}
		if len(v) != dims {
			return nil, openAIUsage{}, fmt.Errorf("response embedding %d has %d dimensions, want %d: does the model support \"dimensions\", and is Dimensions right?", idx, len(v), dims)
		}
		if err := normalizeOpenAIVector(v); err != nil {
			return nil, openAIUsage{}, fmt.Errorf("response embedding %d: %w", idx, err)
		}
		out[idx] = v
	}
	return out, resp.Usage, nil
}

func decodeOpenAIVector(raw json.RawMessage) ([]float32, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errors.New("missing")
	}
	if raw[0] != '"' {
		var v []float32
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("decode float array: %w", err)
		}
		return v, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("decode base64 string: %w", err)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decode base64: %w", err)
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("base64 holds %d bytes, not a whole number of float32s", len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// normalizeOpenAIVector scales v to unit length in place.
func normalizeOpenAIVector(v []float32) error {
	var sum float64
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("component %d is %v", i, x)
		}
		sum += f * f
	}
	norm := math.Sqrt(sum)
	if norm == 0 || math.IsInf(norm, 0) {
		return fmt.Errorf("cannot normalise a vector of length %v", norm)
	}
	for i, x := range v {
		v[i] = float32(float64(x) / norm)
	}
	return nil
}

// APIError is a non-2xx response from the embeddings API.
type APIError struct {
	StatusCode int
	// Type, Code and Param come from the JSON error body, e.g.
	// "invalid_request_error", "invalid_api_key"; empty when absent.
	Type  string
	Code  string
	Param string
	// Message is the server's message with the API key removed, or the
	// start of the body when it is not a JSON error.
	Message string
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "embeddings API returned %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	var details []string
	if e.Type != "" {
		details = append(details, "type "+e.Type)
	}
	if e.Code != "" {
		details = append(details, "code "+e.Code)
	}
	if e.Param != "" {
		details = append(details, "param "+e.Param)
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, ", ") + ")")
	}
	return b.String()
}

// openAIErrorBody covers the error shapes of OpenAI and Azure
// ({"error":{"message","type","param","code"}}), vLLM's older top-level
// {"message","type","code"} and text-embeddings-inference's
// {"error":"...","error_type":"..."}.
type openAIErrorBody struct {
	Error     json.RawMessage `json:"error"`
	ErrorType string          `json:"error_type"`
	openAIErrorFields
}

type openAIErrorFields struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Param   json.RawMessage `json:"param"`
	Code    json.RawMessage `json:"code"`
}

// parseAPIError builds the error for a non-2xx response, removing apiKey
// from everything the server sent.
func parseAPIError(status int, raw []byte, apiKey string) *APIError {
	e := &APIError{StatusCode: status}
	if apiKey != "" {
		raw = bytes.ReplaceAll(raw, []byte(apiKey), []byte("[redacted]"))
	}
	var body openAIErrorBody
	if json.Unmarshal(raw, &body) == nil {
		f := body.openAIErrorFields
		switch inner := bytes.TrimSpace(body.Error); {
		case len(inner) > 0 && inner[0] == '"':
			f = openAIErrorFields{Type: body.ErrorType}
			_ = json.Unmarshal(inner, &f.Message) // valid: the body parsed
		case len(inner) > 0 && inner[0] == '{':
			f = openAIErrorFields{}
			_ = json.Unmarshal(inner, &f)
		}
		e.Message, e.Type = f.Message, f.Type
		e.Code, e.Param = openAIJSONScalar(f.Code), openAIJSONScalar(f.Param)
	}
	if e.Message == "" && e.Type == "" && e.Code == "" {
		e.Message = openAIErrorSnippet(raw, 200)
	}
	for _, p := range []*string{&e.Message, &e.Type, &e.Code, &e.Param} {
		*p = redactOpenAIKey(*p, apiKey)
	}
	return e
}

// openAIJSONScalar renders a JSON string, number or boolean; "" for null, absent
// or anything else.
func openAIJSONScalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		switch v.(type) {
		case float64, bool:
			return string(raw)
		}
	}
	return ""
}

// openAIErrorSnippet returns the start of a non-JSON body (an HTML error page from a
// proxy, say) as one line of valid UTF-8.
func openAIErrorSnippet(raw []byte, n int) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(raw), "\uFFFD")), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func redactOpenAIKey(s, apiKey string) string {
	if apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, apiKey, "[redacted]")
}
