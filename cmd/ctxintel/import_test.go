package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

// server is a running `ctxintel serve` with an org and a member's key.
type server struct {
	base string
	key  string
	stop func() // stops the server (once); also run at cleanup
}

func startServer(t *testing.T, slug string, serveArgs ...string) server {
	t.Helper()
	migrated(t)
	ctx := context.Background()
	_, err := run(t, ctx, "admin", "org", "create", "--slug", slug, "--name", slug, "--admin-email", "root@"+slug+".example")
	require.NoError(t, err)
	out, err := run(t, ctx, "admin", "apikey", "create", "--org", slug, "--email", "root@"+slug+".example", "--name", "cli")
	require.NoError(t, err)
	addr := freeAddr(t)
	srvCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := run(t, srvCtx, append([]string{"serve", "--listen", addr}, serveArgs...)...)
		done <- err
	}()
	var once sync.Once
	stopNow := func() {
		once.Do(func() {
			stop()
			<-done
		})
	}
	t.Cleanup(stopNow)
	waitUp(t, "http://"+addr, done)
	return server{base: "http://" + addr, key: keyPattern.FindString(out), stop: stopNow}
}

func (s server) importJSON(t *testing.T, args ...string) (importResult, error) {
	t.Helper()
	out, err := run(t, context.Background(), append([]string{"import", "--json", "--server", s.base, "--api-key", s.key}, args...)...)
	var res importResult
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	return res, err
}

func claudeTranscript(session string, turns int) string {
	var b strings.Builder
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	parent := "null"
	for i := range turns {
		for j, role := range []string{"user", "assistant"} {
			id := fmt.Sprintf("%s-%d-%d", session[:8], i, j)
			content := fmt.Sprintf("%q", fmt.Sprintf("Why does the checkout test flake? (%d)", i))
			if role == "assistant" {
				content = fmt.Sprintf(`[{"type":"text","text":"Because of a race in cart.ts (%d)"}]`, i)
			}
			fmt.Fprintf(&b, `{"parentUuid":%s,"isSidechain":false,"cwd":"/home/ada/shop","sessionId":%q,"version":"2.0.30","gitBranch":"main","type":%q,"message":{"role":%q,"content":%s},"uuid":%q,"timestamp":%q}`+"\n",
				parent, session, role, role, content, id, start.Add(time.Duration(2*i+j)*time.Minute).Format(time.RFC3339))
			parent = fmt.Sprintf("%q", id)
		}
	}
	return b.String()
}

// TestImportAndCapture drives the client commands against a running server.
func TestImportAndCapture(t *testing.T) {
	s := startServer(t, "import-org")
	dir := t.TempDir()
	session := "5d1f3c2a-8b7e-4f6d-9a0c-1e2b3c4d5e6f"
	path := filepath.Join(dir, session+".jsonl")
	require.NoError(t, os.WriteFile(path, []byte(claudeTranscript(session, 2)), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a transcript\n"), 0o600))

	// Dry run: parsed, nothing uploaded, the non-transcript listed as skipped.
	out, err := run(t, context.Background(), "import", "--dry-run", "--json", dir)
	require.NoError(t, err)
	var dry importResult
	require.NoError(t, json.Unmarshal([]byte(out), &dry))
	require.Equal(t, 1, dry.Summary.Parsed)
	require.Len(t, dry.Skipped, 1)
	require.Contains(t, dry.Skipped[0].Reason, "unknown format")
	c := dry.Files[0].Conversations[0]
	require.Equal(t, session, c.ExternalID)
	require.Equal(t, 4, c.Messages)
	require.Equal(t, []string{"main"}, c.GitBranches)

	res, err := s.importJSON(t, dir)
	require.NoError(t, err)
	require.Equal(t, importSummary{New: 1}, res.Summary)
	res, err = s.importJSON(t, dir)
	require.NoError(t, err)
	require.Equal(t, importSummary{Unchanged: 1}, res.Summary, "re-import changes nothing")

	// The session grows; capture (as the Claude Code hook runs it) sends it.
	require.NoError(t, os.WriteFile(path, []byte(claudeTranscript(session, 3)), 0o600))
	queue := t.TempDir()
	hook := fmt.Sprintf(`{"session_id":%q,"transcript_path":%q,"cwd":"/home/ada/shop","hook_event_name":"Stop"}`, session, path)
	_, err = runIn(t, context.Background(), strings.NewReader(hook), "capture", "--server", s.base, "--api-key", s.key, "--queue-dir", queue)
	require.NoError(t, err)
	entries, _ := filepath.Glob(filepath.Join(queue, "*.json"))
	require.Empty(t, entries, "sent, nothing left in the queue")

	var list struct {
		Conversations []struct {
			ID       string `json:"id"`
			Messages int    `json:"messages"`
		} `json:"conversations"`
	}
	require.Eventually(t, func() bool {
		getInto(t, s, "/api/v1/conversations", &list)
		return len(list.Conversations) == 1 && list.Conversations[0].Messages == 6
	}, 20*time.Second, 100*time.Millisecond, "the captured growth is processed")

	// The server is down: capture returns at once and keeps the path queued.
	require.NoError(t, os.WriteFile(path, []byte(claudeTranscript(session, 4)), 0o600))
	start := time.Now()
	out, err = runIn(t, context.Background(), strings.NewReader(hook), "capture", "--server", "http://"+freeAddr(t), "--api-key", s.key, "--queue-dir", queue)
	require.NoError(t, err)
	require.Less(t, time.Since(start), 5*time.Second)
	require.Contains(t, out, "queued")
	entries, _ = filepath.Glob(filepath.Join(queue, "*.json"))
	require.Len(t, entries, 1)
	// Next time it is sent.
	_, err = runIn(t, context.Background(), strings.NewReader(hook), "capture", "--server", s.base, "--api-key", s.key, "--queue-dir", queue)
	require.NoError(t, err)
	entries, _ = filepath.Glob(filepath.Join(queue, "*.json"))
	require.Empty(t, entries)

	// A file named explicitly that is not a transcript fails the import.
	bad := filepath.Join(dir, "README.txt")
	res, err = s.importJSON(t, bad)
	require.Error(t, err)
	require.Equal(t, 1, res.Summary.Failed)
	require.Contains(t, res.Files[0].Error, "unknown format")
}

func getInto(t *testing.T, s server, path string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
}

// TestSearchEndToEnd: imported conversations become keyword-searchable at
// once and semantically searchable once the embedding jobs ran, through
// the API and the CLI.
func TestSearchEndToEnd(t *testing.T) {
	s := startServer(t, "search-org", "--embedding-provider", "local")
	dir := t.TempDir()
	docs := map[string]string{
		"jwt.json": `{"source":"my-assistant","external_id":"jwt-1","title":"JWT security issues","started_at":"2026-11-20T09:00:00Z",
			"messages":[{"role":"user","text":"Our login flow accepts expired JWT tokens"},{"role":"assistant","text":"Validate exp and the signature algorithm."}]}`,
		"css.json": `{"source":"my-assistant","external_id":"css-1","title":"CSS grid layout for the dashboard","started_at":"2026-11-20T10:00:00Z",
			"messages":[{"role":"user","text":"Make the dashboard cards wrap in a grid"},{"role":"assistant","text":"Use grid-template-columns with auto-fill."}]}`,
	}
	for name, body := range docs {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
	}
	res, err := s.importJSON(t, dir)
	require.NoError(t, err)
	require.Equal(t, 2, res.Summary.New)

	out, err := run(t, context.Background(), "search", "--server", s.base, "--api-key", s.key, "--mode", "keyword", "expired tokens")
	require.NoError(t, err)
	require.Contains(t, out, "JWT security issues")
	require.Contains(t, out, "[expired] JWT [tokens]")

	var sem struct {
		Conversations []struct {
			Title string `json:"title"`
		} `json:"conversations"`
		EmbedMS float64 `json:"embed_ms"`
	}
	require.Eventually(t, func() bool {
		getInto(t, s, "/api/v1/search?mode=semantic&q=find+discussions+about+authentication", &sem)
		return len(sem.Conversations) == 2
	}, 60*time.Second, 200*time.Millisecond, "both conversations embedded")
	require.Equal(t, "JWT security issues", sem.Conversations[0].Title)

	_, err = run(t, context.Background(), "search", "--server", s.base, "--api-key", s.key, "--mode", "fuzzy", "x")
	require.ErrorContains(t, err, "mode \"fuzzy\" must be hybrid, keyword or semantic")
	_, err = run(t, context.Background(), "search", "--server", s.base, "--api-key", s.key, "--repo", "github.com/none/such", "jwt")
	require.NoError(t, err)
}

// TestWarehouseCheckAndRebuild: what serve projected matches Postgres, and
// a wiped ClickHouse is rebuilt to match again.
func TestWarehouseCheckAndRebuild(t *testing.T) {
	s := startServer(t, "wh-org")
	dir := t.TempDir()
	for i, session := range []string{"6d1f3c2a-8b7e-4f6d-9a0c-1e2b3c4d5e6f", "7d1f3c2a-8b7e-4f6d-9a0c-1e2b3c4d5e6f"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, session+".jsonl"), []byte(claudeTranscript(session, i+2)), 0o600))
	}
	_, err := s.importJSON(t, dir)
	require.NoError(t, err)
	db := warehousetest.Postgres(t)
	require.Eventually(t, func() bool {
		var pending int
		require.NoError(t, db.Pool().QueryRow(context.Background(),
			`select count(*) from river_job where kind like 'analytics.%' and state not in ('completed', 'cancelled', 'discarded')`).Scan(&pending))
		return pending == 0
	}, 30*time.Second, 100*time.Millisecond, "projection jobs done")
	s.stop() // one process owns embedded ClickHouse

	ctx := context.Background()
	out, err := run(t, ctx, "warehouse", "check", "--org", "wh-org", "--from", "2026-11-01", "--to", "2026-12-01")
	require.NoError(t, err, out)
	require.Contains(t, out, "consistent")
	out, err = run(t, ctx, "warehouse", "rebuild", "--org", "wh-org", "--wipe")
	require.NoError(t, err, out)
	require.Contains(t, out, "re-projected")
	out, err = run(t, ctx, "warehouse", "check", "--org", "wh-org", "--from", "2026-11-01", "--to", "2026-12-01")
	require.NoError(t, err, out)
	require.Contains(t, out, "consistent")
}
