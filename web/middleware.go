package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/context-intelligence/ctxintel/tenancy"
	"github.com/context-intelligence/ctxintel/warehouse"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	principalKey
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID keeps a caller's X-Request-Id when it is sane, or makes one,
// and echoes it so logs on both sides can be joined.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			var b [8]byte
			rand.Read(b[:]) //nolint:errcheck // never fails
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

// RequestIDFrom returns the request id of a request's context.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ctxintel_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ctxintel_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// accessLog logs one JSON line per request and records its metrics under
// the route pattern (not the raw path, which would explode cardinality).
func accessLog(log *slog.Logger, m *httpMetrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			route := chi.RouteContext(r.Context()).RoutePattern()
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			m.requests.WithLabelValues(r.Method, route, strconv.Itoa(rec.status)).Inc()
			m.duration.WithLabelValues(r.Method, route).Observe(elapsed.Seconds())
			level := slog.LevelInfo
			if rec.status >= 500 {
				level = slog.LevelError
			}
			if route == "/healthz" || route == "/readyz" || route == "/metrics" {
				level = slog.LevelDebug
			}
			log.LogAttrs(r.Context(), level, "http request",
				slog.String("request_id", RequestIDFrom(r.Context())),
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
				slog.Int("status", rec.status), slog.Int("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000))
		})
	}
}

func recoverer(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.ErrorContext(r.Context(), "handler panic", slog.String("request_id", RequestIDFrom(r.Context())),
						slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
					writeError(w, r, http.StatusInternalServerError, "internal", "internal error; quote request id "+RequestIDFrom(r.Context()))
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// authenticate requires an API key: "Authorization: Bearer cik_…" or
// "X-Api-Key: cik_…".
func authenticate(auth Authenticator, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := r.Header.Get("X-Api-Key")
			if h := r.Header.Get("Authorization"); key == "" && h != "" {
				scheme, token, ok := strings.Cut(h, " ")
				if !ok || !strings.EqualFold(scheme, "Bearer") {
					writeError(w, r, http.StatusUnauthorized, "unauthenticated", "Authorization header must be \"Bearer <API key>\"")
					return
				}
				key = strings.TrimSpace(token)
			}
			if key == "" {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ctxintel"`)
				writeError(w, r, http.StatusUnauthorized, "unauthenticated", "an API key is required: send \"Authorization: Bearer <API key>\"")
				return
			}
			p, err := auth.Authenticate(r.Context(), key)
			if err != nil {
				if errors.Is(err, tenancy.ErrUnauthenticated) {
					writeError(w, r, http.StatusUnauthorized, "unauthenticated", "the API key is invalid, revoked or expired")
					return
				}
				serverError(w, r, log, "authenticate", err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
		})
	}
}

func principalFrom(ctx context.Context) warehouse.Principal {
	p, _ := ctx.Value(principalKey).(warehouse.Principal)
	return p
}
