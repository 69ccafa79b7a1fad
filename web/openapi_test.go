package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/context-intelligence/ctxintel/web"
)

// TestOpenAPIDocumentsEveryRoute keeps the OpenAPI document and the router
// in step: every API route is documented, with its method.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	t.Parallel()
	h := web.NewHandler(web.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry()})
	resp := httpGet(t, h, "/api/openapi.yaml")
	var doc struct {
		OpenAPI string                               `yaml:"openapi"`
		Paths   map[string]map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(resp, &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)
	routes := 0
	err := chi.Walk(h.(chi.Router), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route == "/api/openapi.yaml" || strings.HasSuffix(route, "/*") {
			return nil
		}
		routes++
		ops, ok := doc.Paths[route]
		require.True(t, ok, "route %s is not in the OpenAPI document", route)
		_, ok = ops[strings.ToLower(method)]
		require.True(t, ok, "%s %s is not in the OpenAPI document", method, route)
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, routes, 8)
}

func httpGet(t *testing.T, h http.Handler, path string) []byte {
	t.Helper()
	rec := &recorder{header: http.Header{}}
	req, err := http.NewRequest(http.MethodGet, path, nil)
	require.NoError(t, err)
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.status)
	return []byte(rec.body.String())
}

type recorder struct {
	header http.Header
	status int
	body   strings.Builder
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(s int)   { r.status = s }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
