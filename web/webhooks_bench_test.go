package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/tenancy"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
	"github.com/context-intelligence/ctxintel/web"
)

// BenchmarkWebhookAck measures how long a signed GitHub push takes to be
// acknowledged (verify, parse, store the delivery, enqueue its job) on the
// real stores; the target is under 100 ms.
func BenchmarkWebhookAck(b *testing.B) {
	ctx := context.Background()
	db := warehousetest.Postgres(b)
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	if err != nil {
		b.Fatal(err)
	}
	red, err := redact.New()
	if err != nil {
		b.Fatal(err)
	}
	ten := &tenancy.Service{DB: db, Jobs: client}
	slug := "bench-" + uuid.NewString()[:8]
	org, _, err := ten.CreateOrg(ctx, tenancy.SystemActor, tenancy.NewOrg{Slug: slug, Name: slug, AdminEmail: "a@" + slug + ".example"})
	if err != nil {
		b.Fatal(err)
	}
	key := []byte(strings.Repeat("k", 32))
	ing := &ingest.Service{DB: db, Jobs: client, Redactor: red}
	h := web.NewHandler(web.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(), Auth: ten,
		Webhooks: ing, Orgs: ten, MaxUploadBytes: 25 << 20,
		WebhookSecret: func(id uuid.UUID, p string) string { return tenancy.WebhookSecret(key, id, p) }})
	srv := httptest.NewServer(h)
	defer srv.Close()
	secret := []byte(tenancy.WebhookSecret(key, org.ID, "github"))
	var took []time.Duration
	b.ResetTimer()
	for i := range b.N {
		sha := fmt.Sprintf("%040x", i+1)
		body := fmt.Sprintf(`{"ref":"refs/heads/main","before":"%040x","after":%q,"repository":{"id":1,"name":"w","full_name":"acme/w",
			"clone_url":"https://github.com/acme/w.git","html_url":"https://github.com/acme/w","owner":{"login":"acme"}},"pusher":{"name":"a"},"sender":{"login":"a"},
			"commits":[{"id":%q,"distinct":true,"message":"change %d","timestamp":"2026-11-20T09:04:00Z","author":{"name":"A","email":"a@x.example"},
			"committer":{"name":"A","email":"a@x.example"},"added":["a.go"],"removed":[],"modified":["b.go"]}]}`, i, sha, sha, i)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/github/"+slug, strings.NewReader(body))
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-GitHub-Delivery", uuid.NewString())
		req.Header.Set("X-Hub-Signature-256", ingest.SignGitHubPayload(secret, []byte(body)))
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck
		resp.Body.Close()
		took = append(took, time.Since(start))
		if resp.StatusCode != http.StatusAccepted {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.StopTimer()
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
}
