// Package web is the HTTP entry point: the chi router, the JSON API and its
// OpenAPI document, health and metrics endpoints, authentication
// middleware, and (later) the templ pages. Handlers decode and check the
// request, call a domain package, and encode the answer; they hold no
// business rules and no SQL.
package web

import (
	"context"
	_ "embed"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Authenticator resolves an API key to who it acts for.
type Authenticator interface {
	Authenticate(ctx context.Context, key string) (warehouse.Principal, error)
}

// Check is one dependency /readyz verifies.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Deps are the services the handlers call.
type Deps struct {
	Logger   *slog.Logger
	Auth     Authenticator
	Checks   []Check
	Registry *prometheus.Registry // metrics are registered here and served at /metrics
	Version  string
	Ingest   Ingester
	Search   Searcher
	Commits  Correlator
	Webhooks WebhookReceiver
	Orgs     OrgResolver
	Metrics  MetricsService
	// WebhookSecret derives an org's webhook secret for a provider.
	WebhookSecret func(orgID uuid.UUID, provider string) string
	// MaxUploadBytes bounds request bodies of uploads (413 beyond).
	MaxUploadBytes int64
}

//go:embed openapi.yaml
var openAPI []byte

// NewHandler builds the router of the API process.
func NewHandler(d Deps) http.Handler {
	r := newRouter(d)
	r.Get("/api/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openAPI) //nolint:errcheck
	})
	wh := &webhookHandlers{recv: d.Webhooks, orgs: d.Orgs, secret: d.WebhookSecret, log: d.Logger, maxBody: d.MaxUploadBytes}
	r.Post("/webhooks/{provider}/{org}", wh.receive)
	r.Route("/api/v1", func(r chi.Router) {
		r.Use(authenticate(d.Auth, d.Logger))
		r.Get("/me", me)
		ch := &captureHandlers{ing: d.Ingest, log: d.Logger, maxUpload: d.MaxUploadBytes}
		r.Post("/imports", ch.upload(""))
		r.Get("/imports/{id}", ch.get)
		r.Post("/conversations", ch.upload(transcript.FormatGeneric))
		r.Get("/conversations", ch.list)
		r.Get("/conversations/{id}", ch.detail)
		sh := &searchHandlers{search: d.Search, ing: d.Ingest, log: d.Logger}
		r.Get("/search", sh.get)
		cm := &commitHandlers{c: d.Commits, log: d.Logger, maxBody: d.MaxUploadBytes}
		r.Post("/commits", cm.post)
		r.Get("/commits/{sha}/conversations", cm.ofCommit)
		r.Get("/conversations/{id}/commits", cm.ofConversation)
		r.Get("/files/conversations", cm.ofFile)
		r.Get("/contributions", cm.contributions)
		mh := &metricHandlers{metrics: d.Metrics, log: d.Logger}
		r.Get("/metrics", mh.list)
		r.Get("/metrics/{metric}", mh.get)
	})
	return r
}

// NewOpsHandler serves only /healthz, /readyz and /metrics, for worker
// processes.
func NewOpsHandler(d Deps) http.Handler { return newRouter(d) }

func newRouter(d Deps) chi.Router {
	m := newHTTPMetrics(d.Registry)
	r := chi.NewRouter()
	r.Use(requestID, recoverer(d.Logger), accessLog(d.Logger, m))
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": d.Version})
	})
	r.Get("/readyz", readyz(d.Checks, d.Logger))
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{Registry: d.Registry}))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+r.URL.Path)
	})
	return r
}

// readyz answers 200 only when every dependency answers within 2 s. The
// reasons are logged, not shown: the endpoint is unauthenticated.
func readyz(checks []Check, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status := http.StatusOK
		results := map[string]string{}
		for _, c := range checks {
			if err := c.Ping(ctx); err != nil {
				status = http.StatusServiceUnavailable
				results[c.Name] = "error"
				log.WarnContext(ctx, "not ready", slog.String("check", c.Name), slog.Any("error", err))
				continue
			}
			results[c.Name] = "ok"
		}
		writeJSON(w, status, map[string]any{"ready": status == http.StatusOK, "checks": results})
	}
}

func me(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{
		"org_id": p.OrgID, "org_slug": p.OrgSlug, "user_id": p.UserID,
		"email": p.Email, "role": p.Role, "api_key_id": p.APIKeyID,
	})
}
