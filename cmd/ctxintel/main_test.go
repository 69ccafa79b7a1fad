package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

// dataDir is shared by every test here: one process holds one chDB session,
// so all commands in this test binary must use the same ClickHouse path.
var (
	dataDirOnce sync.Once
	dataDir     string
)

func sharedDataDir(t *testing.T) string {
	dataDirOnce.Do(func() {
		d, err := os.MkdirTemp("", "ctxintel-cmd-test-")
		require.NoError(t, err)
		dataDir = d
	})
	return dataDir
}

// run executes the CLI in-process with the test stores.
func run(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	return runIn(t, ctx, nil, args...)
}

// runIn is run with stdin.
func runIn(t *testing.T, ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	t.Helper()
	lib, err := warehousetest.ChDBLibPath()
	require.NoError(t, err)
	// Semantic search is off unless a test turns it on: embedding every
	// imported message with the local model would dominate the suite.
	base := []string{"--database-url", warehousetest.PostgresURL(t), "--data-dir", sharedDataDir(t), "--chdb-lib", lib, "--log-level", "warn",
		"--embedding-provider", "none"}
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	if stdin != nil {
		cmd.SetIn(stdin)
	}
	cmd.SetArgs(append(base, args...))
	err = cmd.ExecuteContext(ctx)
	return out.String(), err
}

func migrated(t *testing.T) {
	t.Helper()
	_, err := run(t, context.Background(), "migrate", "up")
	require.NoError(t, err)
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate", "status", "--database-url", "mysql://x"}, "--database-url (DATABASE_URL)"},
		{[]string{"migrate", "status", "--clickhouse-url", "nope"}, "--clickhouse-url (CLICKHOUSE_URL)"},
		{[]string{"migrate", "status", "--chdb-lib", "/nonexistent/libchdb.so"}, "--chdb-lib (CHDB_LIB_PATH)"},
		{[]string{"migrate", "status", "--log-level", "loud"}, "--log-level (CTXINTEL_LOG_LEVEL)"},
		{[]string{"serve", "--listen", "8080"}, "--listen (CTXINTEL_LISTEN)"},
		{[]string{"serve", "--embedding-provider", "magic"}, "--embedding-provider (CTXINTEL_EMBEDDING_PROVIDER)"},
		{[]string{"serve", "--model-dir", "/nonexistent"}, "--model-dir (CTXINTEL_MODEL_DIR)"},
		{[]string{"worker", "--workers", "0"}, "--workers (CTXINTEL_WORKERS)"},
	} {
		cmd := newRootCmd()
		cmd.SetOut(io.Discard)
		cmd.SetArgs(tc.args)
		err := cmd.ExecuteContext(context.Background())
		require.Error(t, err, tc.args)
		require.Contains(t, err.Error(), tc.want)
		require.NotContains(t, err.Error(), "\n", "one line")
	}
}

func TestMigrateStatusUpDown(t *testing.T) {
	migrated(t)
	ctx := context.Background()
	status := func() string {
		out, err := run(t, ctx, "migrate", "status")
		require.NoError(t, err)
		return out
	}
	out := status()
	for _, m := range []string{`postgres\s+river \(version \d+\)\s+applied`, `postgres\s+0001_tenancy\s+applied`, `postgres\s+0003_search\s+applied`,
		`clickhouse\s+0001_audit_events\s+applied`} {
		require.Regexp(t, m, out)
	}
	require.NotContains(t, out, "pending")

	// Down one step of each store, then everything, then all the way up.
	_, err := run(t, ctx, "migrate", "down")
	require.NoError(t, err)
	out = status()
	require.Regexp(t, `postgres\s+0005_message_usage\s+pending`, out)
	require.Regexp(t, `postgres\s+0004_commits\s+applied`, out)
	require.Regexp(t, `clickhouse\s+0005_link_lines\s+pending`, out)
	require.Regexp(t, `clickhouse\s+0004_metrics\s+applied`, out)
	_, err = run(t, ctx, "migrate", "down", "--all")
	require.NoError(t, err)
	out = status()
	require.Regexp(t, `postgres\s+river \(version 0\)\s+pending`, out)
	require.Regexp(t, `postgres\s+0001_tenancy\s+pending`, out)
	_, err = run(t, ctx, "migrate", "up")
	require.NoError(t, err)
	require.NotContains(t, status(), "pending")
}

var keyPattern = regexp.MustCompile(`cik_[0-9A-Za-z]{40}`)

func TestAdminCommands(t *testing.T) {
	migrated(t)
	ctx := context.Background()
	out, err := run(t, ctx, "admin", "org", "create", "--slug", "acme-admin", "--name", "Acme", "--admin-email", "ada@acme.example", "--plan", "pro")
	require.NoError(t, err)
	require.Contains(t, out, "created organization acme-admin")

	_, err = run(t, ctx, "admin", "org", "create", "--slug", "acme-admin", "--name", "Again", "--admin-email", "x@acme.example")
	require.ErrorContains(t, err, "already exists")

	out, err = run(t, ctx, "admin", "user", "add", "--org", "acme-admin", "--email", "bob@acme.example", "--name", "Bob", "--role", "manager")
	require.NoError(t, err)
	require.Contains(t, out, "as manager")
	_, err = run(t, ctx, "admin", "user", "add", "--org", "nope-org", "--email", "c@acme.example")
	require.ErrorContains(t, err, "not found")

	_, err = run(t, ctx, "admin", "team", "create", "--org", "acme-admin", "--slug", "core", "--name", "Core")
	require.NoError(t, err)
	_, err = run(t, ctx, "admin", "team", "add-member", "--org", "acme-admin", "--team", "core", "--email", "bob@acme.example", "--role", "lead")
	require.NoError(t, err)

	out, err = run(t, ctx, "admin", "apikey", "create", "--org", "acme-admin", "--email", "bob@acme.example", "--name", "bob laptop")
	require.NoError(t, err)
	key := keyPattern.FindString(out)
	require.NotEmpty(t, key, out)

	out, err = run(t, ctx, "admin", "apikey", "list", "--org", "acme-admin")
	require.NoError(t, err)
	require.Contains(t, out, key[:10])
	require.NotContains(t, out, key, "the secret is never listed")

	out, err = run(t, ctx, "admin", "user", "list", "--org", "acme-admin")
	require.NoError(t, err)
	require.Contains(t, out, "ada@acme.example")
	require.Regexp(t, `bob@acme.example\s+Bob\s+manager`, out)

	out, err = run(t, ctx, "admin", "org", "list")
	require.NoError(t, err)
	require.Regexp(t, `acme-admin\s+Acme\s+pro\s+us`, out)

	out, err = run(t, ctx, "admin", "jobs", "--state", "discarded")
	require.NoError(t, err)
	require.Contains(t, out, "no discarded jobs")
	_, err = run(t, ctx, "admin", "jobs", "--state", "weird")
	require.ErrorContains(t, err, "--state must be")
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func getJSON(t *testing.T, url string, header http.Header) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	}
	return resp.StatusCode, body, resp.Header
}

func waitUp(t *testing.T, base string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("server exited early: %v", err)
		default:
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server did not come up")
}

// TestServe runs `serve` end to end on real stores: health, readiness of
// Postgres, chDB and River, an authenticated API call, metrics, request ids,
// and a graceful stop.
func TestServe(t *testing.T) {
	migrated(t)
	ctx := context.Background()
	_, err := run(t, ctx, "admin", "org", "create", "--slug", "serve-org", "--name", "Serve", "--admin-email", "root@serve.example")
	require.NoError(t, err)
	out, err := run(t, ctx, "admin", "apikey", "create", "--org", "serve-org", "--email", "root@serve.example", "--name", "t")
	require.NoError(t, err)
	key := keyPattern.FindString(out)

	addr := freeAddr(t)
	base := "http://" + addr
	srvCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := run(t, srvCtx, "serve", "--listen", addr, "--shutdown-timeout", "10s")
		done <- err
	}()
	waitUp(t, base, done)

	status, body, _ := getJSON(t, base+"/healthz", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ok", body["status"])

	status, body, _ = getJSON(t, base+"/readyz", nil)
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, map[string]any{"postgres": "ok", "clickhouse": "ok", "river": "ok"}, body["checks"])

	status, body, hdr := getJSON(t, base+"/api/v1/me", http.Header{"Authorization": {"Bearer " + key}, "X-Request-Id": {"trace-123"}})
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, "serve-org", body["org_slug"])
	require.Equal(t, "admin", body["role"])
	require.Equal(t, "trace-123", hdr.Get("X-Request-Id"))

	status, body, hdr = getJSON(t, base+"/api/v1/me", http.Header{"Authorization": {"Bearer cik_" + strings.Repeat("x", 40)}})
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "unauthenticated", body["error"].(map[string]any)["code"])
	require.NotEmpty(t, body["request_id"])
	require.Equal(t, hdr.Get("X-Request-Id"), body["request_id"])

	status, _, _ = getJSON(t, base+"/api/v1/me", nil)
	require.Equal(t, http.StatusUnauthorized, status)

	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(metrics), `ctxintel_http_requests_total{method="GET",route="/api/v1/me",status="200"} 1`)

	resp, err = http.Get(base + "/api/openapi.yaml")
	require.NoError(t, err)
	spec, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Contains(t, string(spec), "/api/v1/me:")

	stop()
	select {
	case err := <-done:
		require.NoError(t, err, "graceful shutdown")
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeWithClickHouseServerNeedsNoLibchdb: with a ClickHouse URL the
// process starts without libchdb; an unreachable server shows in /readyz.
func TestServeWithClickHouseServerNeedsNoLibchdb(t *testing.T) {
	migrated(t)
	addr := freeAddr(t)
	base := "http://" + addr
	srvCtx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() {
		_, err := run(t, srvCtx, "serve", "--listen", addr, "--clickhouse-url", "clickhouse://127.0.0.1:1/default",
			"--chdb-lib", filepath.Join(t.TempDir(), "missing.so"))
		done <- err
	}()
	waitUp(t, base, done)
	status, body, _ := getJSON(t, base+"/readyz", nil)
	require.Equal(t, http.StatusServiceUnavailable, status)
	checks := body["checks"].(map[string]any)
	require.Equal(t, "ok", checks["postgres"])
	require.Contains(t, fmt.Sprint(checks["clickhouse"]), "error")
	stop()
	require.NoError(t, <-done)
}
