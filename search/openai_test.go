package search

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const openAITestKey = "sk-proj-test-0123456789abcdefghijklmnopqrstuvwxyz"

// fakeOpenAIRequest is one request as the fake OpenAI server received it.
type fakeOpenAIRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	Dimensions     *int     `json:"dimensions"`
	EncodingFormat string   `json:"encoding_format"`

	path   string
	query  url.Values
	header http.Header
}

// fakeOpenAI plays OpenAI's (or Azure's) POST /embeddings: it authenticates
// and validates requests as the real API does, and answers in its wire
// format with deterministic vectors, listing data in reverse order so that
// only the index field tells which vector is which. A test scripts other
// answers with respond.
type fakeOpenAI struct {
	srv *httptest.Server

	mu       sync.Mutex
	apiKey   string
	azure    bool
	dims     int // vector length when the request has no "dimensions"
	requests []fakeOpenAIRequest
	// respond, if set, may answer request number n (from 0) itself and
	// return true; false falls through to the normal answer.
	respond func(w http.ResponseWriter, r *http.Request, n int, req fakeOpenAIRequest) bool
}

func newFakeOpenAI(t *testing.T) *fakeOpenAI {
	t.Helper()
	f := &fakeOpenAI{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serveHTTP))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOpenAI) serveHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	apiKey, azure, dims, respond := f.apiKey, f.azure, f.dims, f.respond
	f.mu.Unlock()

	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/embeddings") {
		writeOpenAIError(w, http.StatusNotFound, "Invalid URL ("+r.Method+" "+r.URL.Path+")", "invalid_request_error", "", "")
		return
	}
	if azure {
		if r.Header.Get("api-key") != apiKey {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}`)
			return
		}
	} else if got := r.Header.Get("Authorization"); got != "Bearer "+apiKey {
		writeOpenAIError(w, http.StatusUnauthorized, "Incorrect API key provided: "+strings.TrimPrefix(got, "Bearer ")+". You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "", "invalid_api_key")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		writeOpenAIError(w, http.StatusBadRequest, "Unsupported content type: '"+ct+"'.", "invalid_request_error", "", "")
		return
	}
	var req fakeOpenAIRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeOpenAIError(w, http.StatusBadRequest, "We could not parse the JSON body of your request. ("+err.Error()+")", "invalid_request_error", "", "")
		return
	}
	if len(req.Input) == 0 || slices.Contains(req.Input, "") || len(req.Input) > 2048 {
		writeOpenAIError(w, http.StatusBadRequest, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", "invalid_request_error", "", "")
		return
	}
	if req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		writeOpenAIError(w, http.StatusBadRequest, "Invalid value for 'encoding_format'.", "invalid_request_error", "encoding_format", "")
		return
	}
	req.path, req.query, req.header = r.URL.Path, r.URL.Query(), r.Header.Clone()

	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, req)
	f.mu.Unlock()

	if respond != nil && respond(w, r, n, req) {
		return
	}
	if req.Dimensions != nil {
		dims = *req.Dimensions
	}
	data := make([]any, len(req.Input))
	for i, text := range req.Input {
		data[i] = fakeOpenAIEmbedding(i, fakeOpenAIVector(text, dims))
	}
	slices.Reverse(data)
	writeOpenAIEmbeddings(w, req.Model, data, len(req.Input))
}

func (f *fakeOpenAI) received() []fakeOpenAIRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// fakeOpenAIVector is the server's unnormalised vector for text.
func fakeOpenAIVector(text string, dims int) []float32 {
	h := fnv.New32a()
	h.Write([]byte(text))
	seed := h.Sum32()
	v := make([]float32, dims)
	for j := range v {
		v[j] = float32((seed+uint32(j)*2654435761)%1000) - 499.5
	}
	return v
}

func fakeOpenAIEmbedding(index int, embedding any) map[string]any {
	return map[string]any{"object": "embedding", "index": index, "embedding": embedding}
}

func writeOpenAIEmbeddings(w http.ResponseWriter, model string, data []any, inputs int) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("openai-model", model)
	w.Header().Set("x-request-id", "req_0123456789abcdef")
	w.Header().Set("x-ratelimit-limit-requests", "10000")
	w.Header().Set("x-ratelimit-remaining-requests", "9999")
	w.Header().Set("x-ratelimit-reset-requests", "6ms")
	json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck // test server
		"object": "list",
		"data":   data,
		"model":  model,
		"usage":  map[string]int{"prompt_tokens": 4 * inputs, "total_tokens": 4 * inputs},
	})
}

// writeOpenAIError writes OpenAI's error body; empty param and code are null.
func writeOpenAIError(w http.ResponseWriter, status int, message, typ, param, code string) {
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{ //nolint:errcheck // test server
		"message": message, "type": typ, "param": nullable(param), "code": nullable(code),
	}})
}

// openAISleepRecorder replaces the back-off sleep: it records the delay and
// returns at once.
type openAISleepRecorder struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *openAISleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *openAISleepRecorder) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.delays)
}

type openAIBundle struct {
	fake   *fakeOpenAI
	emb    *OpenAIEmbedder
	sleeps *openAISleepRecorder
}

// setupOpenAI starts a fake server and an embedder pointed at it, with
// 8-dimensional vectors, 3 retries and recorded (instant) back-off. opts
// adjust the config, whose BaseURL is the server's /v1.
func setupOpenAI(t *testing.T, opts ...func(*OpenAIConfig)) openAIBundle {
	t.Helper()
	fake := newFakeOpenAI(t)
	cfg := OpenAIConfig{
		BaseURL:    fake.srv.URL + "/v1",
		Model:      "text-embedding-3-large",
		Dimensions: 8,
		APIKey:     openAITestKey,
		MaxRetries: 3,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, opt := range opts {
		opt(&cfg)
	}
	fake.mu.Lock()
	fake.apiKey, fake.azure, fake.dims = cfg.APIKey, cfg.Azure, cfg.Dimensions
	fake.mu.Unlock()
	emb, err := NewOpenAIEmbedder(cfg)
	require.NoError(t, err)
	sleeps := &openAISleepRecorder{}
	emb.sleep = sleeps.sleep
	return openAIBundle{fake: fake, emb: emb, sleeps: sleeps}
}

func (b openAIBundle) respond(fn func(w http.ResponseWriter, r *http.Request, n int, req fakeOpenAIRequest) bool) {
	b.fake.mu.Lock()
	b.fake.respond = fn
	b.fake.mu.Unlock()
}

func openAIUnitVector(v []float32) []float32 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / math.Sqrt(sum))
	}
	return out
}

func requireOpenAIUnit(t *testing.T, v []float32) {
	t.Helper()
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	require.InDelta(t, 1, sum, 1e-5)
}

func openAITexts(n int) []string {
	texts := make([]string, n)
	for i := range texts {
		texts[i] = "message " + strings.Repeat("x", i) + " about the failing migration"
	}
	return texts
}

func writeOpenAIRateLimit(w http.ResponseWriter) {
	writeOpenAIError(w, http.StatusTooManyRequests, "Rate limit reached for text-embedding-3-large in organization org-abc on tokens per min (TPM): Limit 1000000, Used 999000, Requested 5000. Please try again in 300ms.", "tokens", "", "rate_limit_exceeded")
}

func TestOpenAIEmbedder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("SendsOpenAIWireFormat", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t, func(c *OpenAIConfig) { c.Dimensions = 1536 })

		vecs, err := b.emb.Embed(ctx, []string{"why does the build fail?", "go test ./..."})
		require.NoError(t, err)
		require.Len(t, vecs, 2)
		for _, v := range vecs {
			require.Len(t, v, 1536)
			requireOpenAIUnit(t, v)
		}
		require.Equal(t, "openai:text-embedding-3-large:1536", b.emb.Model())
		require.Equal(t, 1536, b.emb.Dimensions())

		reqs := b.fake.received()
		require.Len(t, reqs, 1)
		got := reqs[0]
		require.Equal(t, "/v1/embeddings", got.path)
		require.Equal(t, "text-embedding-3-large", got.Model)
		require.Equal(t, []string{"why does the build fail?", "go test ./..."}, got.Input)
		require.NotNil(t, got.Dimensions)
		require.Equal(t, 1536, *got.Dimensions)
		require.Equal(t, "float", got.EncodingFormat)
		require.Equal(t, "Bearer "+openAITestKey, got.header.Get("Authorization"))
		require.Empty(t, got.header.Get("api-key"))
	})

	t.Run("BatchesAndOrdersByIndex", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t, func(c *OpenAIConfig) { c.BatchSize = 3 })
		texts := openAITexts(10)

		vecs, err := b.emb.Embed(ctx, texts)
		require.NoError(t, err)

		var sizes []int
		var sent []string
		for _, r := range b.fake.received() {
			sizes = append(sizes, len(r.Input))
			sent = append(sent, r.Input...)
		}
		require.Equal(t, []int{3, 3, 3, 1}, sizes)
		require.Equal(t, texts, sent)
		require.Len(t, vecs, len(texts))
		for i, text := range texts {
			require.InDeltaSlice(t, openAIUnitVector(fakeOpenAIVector(text, 8)), vecs[i], 1e-6, "text %d", i)
		}
	})

	t.Run("CutsBatchesAtByteBudget", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t)
		texts := make([]string, 5)
		for i := range texts {
			texts[i] = strings.Repeat(string(rune('a'+i)), 120_000)
		}

		vecs, err := b.emb.Embed(ctx, texts)
		require.NoError(t, err)
		require.Len(t, vecs, 5)
		var sizes []int
		for _, r := range b.fake.received() {
			sizes = append(sizes, len(r.Input))
		}
		require.Equal(t, []int{2, 2, 1}, sizes)
	})

	t.Run("Normalises", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t, func(c *OpenAIConfig) { c.Dimensions = 3 })
		b.respond(func(w http.ResponseWriter, _ *http.Request, _ int, req fakeOpenAIRequest) bool {
			writeOpenAIEmbeddings(w, req.Model, []any{fakeOpenAIEmbedding(0, []float32{3, 0, 4})}, 1)
			return true
		})

		vecs, err := b.emb.Embed(ctx, []string{"hello"})
		require.NoError(t, err)
		require.InDeltaSlice(t, []float32{0.6, 0, 0.8}, vecs[0], 1e-7)
	})

	t.Run("AcceptsBase64Vectors", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t, func(c *OpenAIConfig) { c.Dimensions = 2 })
		b.respond(func(w http.ResponseWriter, _ *http.Request, _ int, req fakeOpenAIRequest) bool {
			raw := binary.LittleEndian.AppendUint32(nil, math.Float32bits(0))
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(-2))
			writeOpenAIEmbeddings(w, req.Model, []any{fakeOpenAIEmbedding(0, base64.StdEncoding.EncodeToString(raw))}, 1)
			return true
		})

		vecs, err := b.emb.Embed(ctx, []string{"hello"})
		require.NoError(t, err)
		require.Equal(t, [][]float32{{0, -1}}, vecs)
	})

	t.Run("WrongLengthVectorFails", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t)
		b.respond(func(w http.ResponseWriter, _ *http.Request, _ int, req fakeOpenAIRequest) bool {
			writeOpenAIEmbeddings(w, req.Model, []any{fakeOpenAIEmbedding(0, fakeOpenAIVector("x", 3072))}, 1)
			return true
		})

		_, err := b.emb.Embed(ctx, []string{"hello"})
		require.ErrorContains(t, err, "has 3072 dimensions, want 8")
		require.Len(t, b.fake.received(), 1, "a wrong length is not transient")
	})

	t.Run("OmitDimensions", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t, func(c *OpenAIConfig) { c.Model, c.Dimensions, c.OmitDimensions = "text-embedding-ada-002", 1536, true })

		vecs, err := b.emb.Embed(ctx, []string{"hello"})
		require.NoError(t, err)
		require.Len(t, vecs[0], 1536)
		require.Nil(t, b.fake.received()[0].Dimensions)
	})

	t.Run("RejectsEmptyTextWithoutRequest", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t)

		_, err := b.emb.Embed(ctx, []string{"fine", " \n\t", "fine too"})
		require.ErrorIs(t, err, ErrEmptyText)
		require.ErrorContains(t, err, "text 1 of 3")
		require.Empty(t, b.fake.received())
	})

	t.Run("NoTextsNoRequest", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t)

		vecs, err := b.emb.Embed(ctx, nil)
		require.NoError(t, err)
		require.Empty(t, vecs)
		require.Empty(t, b.fake.received())
	})

	t.Run("RateLimitHonoursRetryAfter", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t)
		b.respond(func(w http.ResponseWriter, _ *http.Request, n int, _ fakeOpenAIRequest) bool {
			if n > 0 {
				return false
			}
			w.Header().Set("Retry-After", "2")
			w.Header().Set("x-ratelimit-remaining-tokens", "0")
			w.Header().Set("x-ratelimit-reset-tokens", "300ms")
			writeOpenAIRateLimit(w)
			return true
		})

		vecs, err := b.emb.Embed(ctx, []string{"hello", "world"})
		require.NoError(t, err)
		require.Len(t, vecs, 2)
		require.Len(t, b.fake.received(), 2)
		delays := b.sleeps.recorded()
		require.Len(t, delays, 1)
		require.GreaterOrEqual(t, delays[0], 2*time.Second)
		require.LessOrEqual(t, delays[0], 2200*time.Millisecond)
	})

	t.Run("RateLimitHonoursRateLimitReset", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t)
		b.respond(func(w http.ResponseWriter, _ *http.Request, n int, _ fakeOpenAIRequest) bool {
			if n > 0 {
				return false
			}
			// The token limit is the exhausted one; the request limit's
			// far-off reset is irrelevant.
			w.Header().Set("x-ratelimit-remaining-requests", "4999")
			w.Header().Set("x-ratelimit-reset-requests", "6m0s")
			w.Header().Set("x-ratelimit-remaining-tokens", "0")
			w.Header().Set("x-ratelimit-reset-tokens", "250ms")
			writeOpenAIRateLimit(w)
			return true
		})

		_, err := b.emb.Embed(ctx, []string{"hello"})
		require.NoError(t, err)
		delays := b.sleeps.recorded()
		require.Len(t, delays, 1)
		require.GreaterOrEqual(t, delays[0], 250*time.Millisecond)
		require.LessOrEqual(t, delays[0], 275*time.Millisecond)
	})

	t.Run("RateLimitTooLongGivesUp", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t)
		b.respond(func(w http.ResponseWriter, _ *http.Request, _ int, _ fakeOpenAIRequest) bool {
			w.Header().Set("x-ratelimit-remaining-requests", "0")
			w.Header().Set("x-ratelimit-reset-requests", "6m0s")
			writeOpenAIRateLimit(w)
			return true
		})

		_, err := b.emb.Embed(ctx, []string{"hello"})
		require.ErrorContains(t, err, "wait 6m0s")
		require.ErrorContains(t, err, "Rate limit reached")
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, http.StatusTooManyRequests, apiErr.StatusCode)
		require.Equal(t, "rate_limit_exceeded", apiErr.Code)
		require.Len(t, b.fake.received(), 1)
		require.Empty(t, b.sleeps.recorded())
	})

	t.Run("ServerErrorsGiveUpAfterMaxRetries", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t)
		b.respond(func(w http.ResponseWriter, _ *http.Request, n int, _ fakeOpenAIRequest) bool {
			msg := "The server had an error while processing your request. Sorry about that!"
			if n == 3 {
				msg = "The engine is currently overloaded, please try again later."
			}
			writeOpenAIError(w, http.StatusInternalServerError, msg, "server_error", "", "")
			return true
		})

		_, err := b.emb.Embed(ctx, []string{"hello"})
		require.ErrorContains(t, err, "giving up after 4 attempts")
		require.ErrorContains(t, err, "currently overloaded", "the last error is returned")
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
		require.Equal(t, "server_error", apiErr.Type)
		require.Len(t, b.fake.received(), 4)

		// Exponential back-off with equal jitter: 0.5 s, 1 s, 2 s, each
		// between half and all of it.
		delays := b.sleeps.recorded()
		require.Len(t, delays, 3)
		for i, d := range delays {
			full := openAIRetryBaseDelay << i
			require.GreaterOrEqual(t, d, full/2, "delay %d", i)
			require.LessOrEqual(t, d, full, "delay %d", i)
		}
	})

	t.Run("RetriesNetworkErrors", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t)
		b.respond(func(w http.ResponseWriter, _ *http.Request, n int, _ fakeOpenAIRequest) bool {
			if n > 0 {
				return false
			}
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close() // the connection drops without an answer
			}
			return true
		})

		vecs, err := b.emb.Embed(ctx, []string{"hello"})
		require.NoError(t, err)
		require.Len(t, vecs, 1)
		require.Len(t, b.fake.received(), 2)
		require.Len(t, b.sleeps.recorded(), 1)
	})

	t.Run("ClientErrorsAreNotRetried", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			status                    int
			message, typ, param, code string
		}{
			{http.StatusBadRequest, "This model's maximum context length is 8192 tokens, however you requested 9000 tokens (9000 in your prompt; 0 for the completion). Please reduce your prompt; or completion length.", "invalid_request_error", "", ""},
			{http.StatusUnauthorized, "Incorrect API key provided: " + openAITestKey + ". You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "", "invalid_api_key"},
			{http.StatusForbidden, "Country, region, or territory not supported", "request_forbidden", "", "unsupported_country_region_territory"},
			{http.StatusNotFound, "The model `text-embedding-4` does not exist or you do not have access to it.", "invalid_request_error", "", "model_not_found"},
		} {
			t.Run(http.StatusText(tc.status), func(t *testing.T) {
				t.Parallel()
				b := setupOpenAI(t)
				b.respond(func(w http.ResponseWriter, _ *http.Request, _ int, _ fakeOpenAIRequest) bool {
					w.Header().Set("Retry-After", "1") // must not tempt a retry
					writeOpenAIError(w, tc.status, tc.message, tc.typ, tc.param, tc.code)
					return true
				})

				_, err := b.emb.Embed(ctx, []string{"hello"})
				require.Error(t, err)
				require.Len(t, b.fake.received(), 1)
				require.Empty(t, b.sleeps.recorded())
				require.NotContains(t, err.Error(), openAITestKey)
				require.ErrorContains(t, err, tc.typ)
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				require.Equal(t, tc.status, apiErr.StatusCode)
				require.Equal(t, tc.code, apiErr.Code)
				require.Equal(t, strings.ReplaceAll(tc.message, openAITestKey, "[redacted]"), apiErr.Message)
			})
		}
	})

	t.Run("WrongKeyFromRealAuthCheck", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t)
		b.fake.mu.Lock()
		b.fake.apiKey = "sk-proj-the-right-one"
		b.fake.mu.Unlock()

		_, err := b.emb.Embed(ctx, []string{"hello"})
		require.ErrorContains(t, err, "401 Unauthorized: Incorrect API key provided")
		require.ErrorContains(t, err, "invalid_api_key")
		require.NotContains(t, err.Error(), openAITestKey)
		require.Empty(t, b.sleeps.recorded())
	})

	t.Run("CancelDuringBackoffReturnsPromptly", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t)
		b.emb.sleep = sleepOpenAIBackoff // really wait
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		b.respond(func(w http.ResponseWriter, _ *http.Request, _ int, _ fakeOpenAIRequest) bool {
			w.Header().Set("Retry-After", "30")
			writeOpenAIRateLimit(w)
			time.AfterFunc(50*time.Millisecond, cancel)
			return true
		})

		start := time.Now()
		_, err := b.emb.Embed(ctx, []string{"hello"})
		require.Less(t, time.Since(start), 5*time.Second)
		require.ErrorIs(t, err, context.Canceled)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr, "the error says what was being waited out")
		require.Equal(t, http.StatusTooManyRequests, apiErr.StatusCode)
		require.Len(t, b.fake.received(), 1)
	})

	t.Run("AzureSendsAPIKeyAndKeepsQuery", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t, func(c *OpenAIConfig) {
			c.Azure = true
			c.BaseURL = strings.TrimSuffix(c.BaseURL, "/v1") + "/openai/deployments/emb-large?api-version=2024-10-21"
		})

		vecs, err := b.emb.Embed(ctx, []string{"hello"})
		require.NoError(t, err)
		require.Len(t, vecs, 1)
		got := b.fake.received()[0]
		require.Equal(t, "/openai/deployments/emb-large/embeddings", got.path)
		require.Equal(t, url.Values{"api-version": {"2024-10-21"}}, got.query)
		require.Equal(t, openAITestKey, got.header.Get("api-key"))
		require.Empty(t, got.header.Get("Authorization"))
	})

	t.Run("AzureWrongKey", func(t *testing.T) {
		t.Parallel()
		b := setupOpenAI(t, func(c *OpenAIConfig) {
			c.Azure = true
			c.BaseURL = strings.TrimSuffix(c.BaseURL, "/v1") + "/openai/deployments/emb-large?api-version=2024-10-21"
		})
		b.fake.mu.Lock()
		b.fake.apiKey = "another-key"
		b.fake.mu.Unlock()

		_, err := b.emb.Embed(ctx, []string{"hello"})
		require.ErrorContains(t, err, "Access denied due to invalid subscription key")
		require.ErrorContains(t, err, "code 401")
		require.Empty(t, b.sleeps.recorded())
	})
}

func TestOpenAIConfigValidation(t *testing.T) {
	t.Parallel()
	valid := OpenAIConfig{BaseURL: "https://api.openai.com/v1", Model: "text-embedding-3-large", Dimensions: 1536, APIKey: "sk-x"}
	for name, tc := range map[string]struct {
		change func(*OpenAIConfig)
		want   string
	}{
		"no base URL":        {func(c *OpenAIConfig) { c.BaseURL = "" }, "BaseURL is required"},
		"relative base URL":  {func(c *OpenAIConfig) { c.BaseURL = "api.openai.com/v1" }, "absolute http or https URL"},
		"bad scheme":         {func(c *OpenAIConfig) { c.BaseURL = "ftp://example.com/v1" }, "absolute http or https URL"},
		"unparsable":         {func(c *OpenAIConfig) { c.BaseURL = "http://[::1" }, "is not a URL"},
		"no model":           {func(c *OpenAIConfig) { c.Model = " " }, "Model is required"},
		"no dimensions":      {func(c *OpenAIConfig) { c.Dimensions = 0 }, "Dimensions must be positive (got 0)"},
		"batch too large":    {func(c *OpenAIConfig) { c.BatchSize = 4096 }, "BatchSize must be between 1 and 2048"},
		"negative batch":     {func(c *OpenAIConfig) { c.BatchSize = -1 }, "BatchSize must be between 1 and 2048"},
		"openai without key": {func(c *OpenAIConfig) { c.APIKey = "" }, "APIKey is required for api.openai.com"},
		"azure without key": {func(c *OpenAIConfig) {
			c.Azure, c.APIKey, c.BaseURL = true, "", "https://res.openai.azure.com/openai/deployments/emb?api-version=2024-10-21"
		}, "APIKey is required for Azure"},
		"azure without api-version": {func(c *OpenAIConfig) {
			c.Azure, c.BaseURL = true, "https://res.openai.azure.com/openai/deployments/emb"
		}, "needs ?api-version="},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			tc.change(&cfg)
			_, err := NewOpenAIEmbedder(cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}

	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		e, err := NewOpenAIEmbedder(valid)
		require.NoError(t, err)
		require.Equal(t, 96, e.cfg.BatchSize)
		require.Equal(t, 5, e.maxRetries)
		require.Equal(t, 60*time.Second, e.client.Timeout)
		require.NotNil(t, e.log)

		cfg := valid
		cfg.MaxRetries = -1
		e, err = NewOpenAIEmbedder(cfg)
		require.NoError(t, err)
		require.Zero(t, e.maxRetries)
	})

	t.Run("on-prem needs no key", func(t *testing.T) {
		t.Parallel()
		_, err := NewOpenAIEmbedder(OpenAIConfig{BaseURL: "http://gpu-box:8000/v1", Model: "bge-m3", Dimensions: 1024, OmitDimensions: true})
		require.NoError(t, err)
	})
}

func TestOpenAIEndpoint(t *testing.T) {
	t.Parallel()
	for base, want := range map[string]string{
		"https://api.openai.com/v1":             "https://api.openai.com/v1/embeddings",
		"https://api.openai.com/v1/":            "https://api.openai.com/v1/embeddings",
		"http://gpu-box:8000/v1/embeddings":     "http://gpu-box:8000/v1/embeddings",
		"http://gpu-box:8000":                   "http://gpu-box:8000/embeddings",
		"https://proxy.internal/openai/v1#frag": "https://proxy.internal/openai/v1/embeddings",
		"https://res.openai.azure.com/openai/deployments/emb?api-version=2024-10-21":  "https://res.openai.azure.com/openai/deployments/emb/embeddings?api-version=2024-10-21",
		"https://res.openai.azure.com/openai/deployments/emb/?api-version=2024-10-21": "https://res.openai.azure.com/openai/deployments/emb/embeddings?api-version=2024-10-21",
	} {
		got, err := openAIEndpoint(OpenAIConfig{BaseURL: base, APIKey: "k", Azure: strings.Contains(base, "azure")})
		require.NoError(t, err, base)
		require.Equal(t, want, got, base)
	}
}

func TestOpenAIRetryHint(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		status  int
		headers map[string]string
		want    time.Duration
	}{
		"none":                 {429, nil, 0},
		"retry-after seconds":  {429, map[string]string{"Retry-After": "7"}, 7 * time.Second},
		"retry-after fraction": {503, map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond},
		"retry-after date":     {503, map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second},
		"retry-after past":     {503, map[string]string{"Retry-After": now.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		"retry-after garbage":  {503, map[string]string{"Retry-After": "soon"}, 0},
		"retry-after-ms first": {429, map[string]string{"retry-after-ms": "120", "Retry-After": "1"}, 120 * time.Millisecond},
		"exhausted tokens": {429, map[string]string{
			"x-ratelimit-remaining-requests": "10", "x-ratelimit-reset-requests": "6m0s",
			"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1s",
		}, time.Second},
		"both exhausted takes latest": {429, map[string]string{
			"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s",
			"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "250ms",
		}, 2 * time.Second},
		"unknown which takes earliest": {429, map[string]string{
			"x-ratelimit-reset-requests": "6m0s", "x-ratelimit-reset-tokens": "17ms",
		}, 17 * time.Millisecond},
		"reset ignored on 5xx": {500, map[string]string{
			"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1s",
		}, 0},
		"retry-after beats reset": {429, map[string]string{
			"Retry-After": "3", "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1s",
		}, 3 * time.Second},
	} {
		h := http.Header{}
		for k, v := range tc.headers {
			h.Set(k, v)
		}
		require.Equal(t, tc.want, openAIRetryHint(tc.status, h, now), name)
	}
}

func TestOpenAIParseError(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		body string
		want APIError
	}{
		"openai": {
			`{"error":{"message":"Invalid 'input': empty.","type":"invalid_request_error","param":"input","code":null}}`,
			APIError{StatusCode: 400, Message: "Invalid 'input': empty.", Type: "invalid_request_error", Param: "input"},
		},
		"azure numeric-string code": {
			`{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}`,
			APIError{StatusCode: 400, Message: "The API deployment for this resource does not exist.", Code: "DeploymentNotFound"},
		},
		"vllm top level": {
			`{"object":"error","message":"This model's maximum context length is 512 tokens.","type":"BadRequestError","param":null,"code":400}`,
			APIError{StatusCode: 400, Message: "This model's maximum context length is 512 tokens.", Type: "BadRequestError", Code: "400"},
		},
		"text-embeddings-inference": {
			`{"error":"Input validation error: inputs cannot be empty","error_type":"Validation"}`,
			APIError{StatusCode: 400, Message: "Input validation error: inputs cannot be empty", Type: "Validation"},
		},
		"html from a proxy": {
			"<html>\n<head><title>400 Bad Request</title></head>\n</html>",
			APIError{StatusCode: 400, Message: "<html> <head><title>400 Bad Request</title></head> </html>"},
		},
		"key redacted even when cut": {
			strings.Repeat("z", 190) + " key " + openAITestKey,
			APIError{StatusCode: 400, Message: strings.Repeat("z", 190) + " key [reda…"},
		},
	} {
		got := parseAPIError(400, []byte(tc.body), openAITestKey)
		require.Equal(t, tc.want, *got, name)
	}
}

func TestOpenAIDecodeEmbeddings(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"not json":        {`<html>`, "decode response"},
		"too few":         {`{"data":[{"index":0,"embedding":[1,0]}]}`, "1 embeddings for 2 inputs"},
		"missing index":   {`{"data":[{"embedding":[1,0]},{"index":1,"embedding":[1,0]}]}`, "data[0] has no index"},
		"index twice":     {`{"data":[{"index":1,"embedding":[1,0]},{"index":1,"embedding":[1,0]}]}`, "index 1 twice"},
		"index too big":   {`{"data":[{"index":0,"embedding":[1,0]},{"index":2,"embedding":[1,0]}]}`, "index 2, outside 0-1"},
		"null embedding":  {`{"data":[{"index":0,"embedding":null},{"index":1,"embedding":[1,0]}]}`, "embedding 0: missing"},
		"zero vector":     {`{"data":[{"index":0,"embedding":[0,0]},{"index":1,"embedding":[1,0]}]}`, "cannot normalise"},
		"overflow":        {`{"data":[{"index":0,"embedding":[1e39,0]},{"index":1,"embedding":[1,0]}]}`, "decode float array"},
		"short base64":    {`{"data":[{"index":0,"embedding":"AAAAAA=="},{"index":1,"embedding":[1,0]}]}`, "has 1 dimensions, want 2"},
		"ragged base64":   {`{"data":[{"index":0,"embedding":"AAA="},{"index":1,"embedding":[1,0]}]}`, "not a whole number of float32s"},
		"nan from base64": {`{"data":[{"index":0,"embedding":"AADA/wAAAAA="},{"index":1,"embedding":[1,0]}]}`, "component 0 is NaN"},
	} {
		_, _, err := decodeOpenAIEmbeddings([]byte(tc.body), 2, 2)
		require.ErrorContains(t, err, tc.want, name)
	}
}

func FuzzOpenAIDecodeEmbeddings(f *testing.F) {
	f.Add([]byte(`{"object":"list","data":[{"object":"embedding","index":1,"embedding":[0.1,0.2,0.3]},{"object":"embedding","index":0,"embedding":[3,0,4]}],"model":"text-embedding-3-large","usage":{"prompt_tokens":4,"total_tokens":4}}`), 2, 3)
	f.Add([]byte(`{"data":[{"index":0,"embedding":"AACAPwAAAAA="}]}`), 1, 2)
	f.Add([]byte(`{"data":[{"index":0,"embedding":[1e-45,1e-45]}]}`), 1, 2)
	f.Add([]byte(`{"data":null}`), 0, 1)
	f.Fuzz(func(t *testing.T, body []byte, n, dims int) {
		if n < 0 || n > 64 || dims < 1 || dims > 64 {
			return
		}
		vecs, _, err := decodeOpenAIEmbeddings(body, n, dims)
		if err != nil {
			return
		}
		require.Len(t, vecs, n)
		for _, v := range vecs {
			require.Len(t, v, dims)
			requireOpenAIUnit(t, v)
		}
	})
}

func FuzzOpenAIParseError(f *testing.F) {
	f.Add([]byte(`{"error":{"message":"Incorrect API key provided: `+openAITestKey+`","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`), 401)
	f.Add([]byte(`{"error":"bad `+openAITestKey+`","error_type":"Validation"}`), 422)
	f.Add([]byte(`{"object":"error","message":"x","type":"BadRequestError","code":400}`), 400)
	f.Add([]byte("<html>"+openAITestKey+"</html>"), 502)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		err := parseAPIError(status, body, openAITestKey)
		if !strings.Contains(string(body), "\\") { // JSON escapes may spell the key differently
			require.NotContains(t, err.Error(), openAITestKey)
		}
	})
}
