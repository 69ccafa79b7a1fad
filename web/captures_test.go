package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/tenancy"
	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
	"github.com/context-intelligence/ctxintel/web"
)

type bundle struct {
	srv    *httptest.Server
	ing    *ingest.Service
	ten    *tenancy.Service
	orgA   warehouse.Organization
	orgB   warehouse.Organization
	keys   map[string]string // person → API key
	people map[string]warehouse.Member
}

func setup(t *testing.T) bundle {
	t.Helper()
	ctx := context.Background()
	db := warehousetest.Postgres(t)
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	require.NoError(t, err)
	red, err := redact.New()
	require.NoError(t, err)
	b := bundle{
		ing:    &ingest.Service{DB: db, Jobs: client, Redactor: red},
		ten:    &tenancy.Service{DB: db, Jobs: client},
		keys:   map[string]string{},
		people: map[string]warehouse.Member{},
	}
	mk := func(slug string) (warehouse.Organization, warehouse.Member) {
		s := slug + "-" + uuid.NewString()[:6]
		org, admin, err := b.ten.CreateOrg(ctx, tenancy.SystemActor, tenancy.NewOrg{Slug: s, Name: s, AdminEmail: "admin@" + s + ".example"})
		require.NoError(t, err)
		return org, admin
	}
	var adminA, adminB warehouse.Member
	b.orgA, adminA = mk("a")
	b.orgB, adminB = mk("b")
	b.people["adminA"], b.people["adminB"] = adminA, adminB
	_, err = b.ten.CreateTeam(ctx, tenancy.SystemActor, b.orgA.ID, "core", "Core")
	require.NoError(t, err)
	for _, p := range []struct{ name, role, team string }{{"dev1", "developer", "core"}, {"dev2", "developer", "core"}, {"loner", "developer", ""}} {
		m, err := b.ten.AddMember(ctx, tenancy.SystemActor, b.orgA.ID, p.name+"@"+b.orgA.Slug+".example", p.name, p.role)
		require.NoError(t, err)
		if p.team != "" {
			require.NoError(t, b.ten.AddTeamMember(ctx, tenancy.SystemActor, b.orgA.ID, p.team, m.Email, "member"))
		}
		b.people[p.name] = m
	}
	for name, m := range b.people {
		key, _, err := b.ten.NewAPIKey(ctx, tenancy.SystemActor, m.OrgID, m.ID, name, nil)
		require.NoError(t, err)
		b.keys[name] = key
	}
	h := web.NewHandler(web.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Auth: b.ten, Registry: prometheus.NewRegistry(),
		Ingest: b.ing, MaxUploadBytes: 64 << 10})
	b.srv = httptest.NewServer(h)
	t.Cleanup(b.srv.Close)
	return b
}

func (b bundle) do(t *testing.T, who, method, path string, body []byte, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+b.keys[who])
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return resp.StatusCode, out
}

// generic builds a generic-format conversation.
func generic(id, repo, branch string, at time.Time) []byte {
	doc := map[string]any{
		"source": "my-assistant", "external_id": id, "git_remote": repo, "git_branches": []string{branch},
		"started_at": at.Format(time.RFC3339),
		"messages": []map[string]any{
			{"role": "user", "text": "How do I rotate the JWT signing key?", "timestamp": at.Format(time.RFC3339)},
			{"role": "assistant", "text": "Add the new key to the JWKS first.", "model": "gpt-4o",
				"tool_calls": []map[string]any{{"name": "edit", "input": map[string]string{"path": "auth/jwks.go"}, "files_written": []string{"auth/jwks.go"}}}},
		},
	}
	out, _ := json.Marshal(doc)
	return out
}

// upload posts and processes a conversation as the worker would.
func (b bundle) upload(t *testing.T, who string, body []byte) uuid.UUID {
	t.Helper()
	status, rep := b.do(t, who, http.MethodPost, "/api/v1/conversations?wait=0", body, nil)
	require.Equal(t, http.StatusAccepted, status, rep)
	require.Equal(t, "pending", rep["status"])
	capture := uuid.MustParse(rep["capture_id"].(string))
	_, err := b.ing.Process(context.Background(), ingest.ProcessCaptureArgs{OrgID: b.people[who].OrgID, CaptureID: capture})
	require.NoError(t, err)
	status, rep = b.do(t, who, http.MethodGet, "/api/v1/imports/"+capture.String(), nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "processed", rep["status"])
	convs := rep["conversations"].([]any)
	require.Len(t, convs, 1)
	return uuid.MustParse(convs[0].(map[string]any)["id"].(string))
}

func ids(resp map[string]any) []string {
	var out []string
	for _, c := range resp["conversations"].([]any) {
		out = append(out, c.(map[string]any)["external_id"].(string))
	}
	return out
}

func TestConversationsAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	day := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	c1 := b.upload(t, "dev1", generic("s1", "git@github.com:Acme/Shop.git", "fix/jwt", day))
	b.upload(t, "dev1", generic("s2", "https://github.com/acme/shop", "main", day.Add(24*time.Hour)))
	b.upload(t, "loner", generic("s3", "https://gitlab.com/acme/infra.git", "main", day.Add(48*time.Hour)))

	// Filters and newest-first order.
	_, resp := b.do(t, "adminA", http.MethodGet, "/api/v1/conversations", nil, nil)
	require.Equal(t, []string{"s3", "s2", "s1"}, ids(resp))
	_, resp = b.do(t, "adminA", http.MethodGet, "/api/v1/conversations?repo=https://github.com/ACME/shop.git", nil, nil)
	require.Equal(t, []string{"s2", "s1"}, ids(resp))
	_, resp = b.do(t, "adminA", http.MethodGet, "/api/v1/conversations?branch=fix/jwt", nil, nil)
	require.Equal(t, []string{"s1"}, ids(resp))
	_, resp = b.do(t, "adminA", http.MethodGet, "/api/v1/conversations?user="+b.people["loner"].Email, nil, nil)
	require.Equal(t, []string{"s3"}, ids(resp))
	_, resp = b.do(t, "adminA", http.MethodGet, "/api/v1/conversations?from=2026-11-11&to=2026-11-12", nil, nil)
	require.Equal(t, []string{"s2"}, ids(resp))
	_, resp = b.do(t, "adminA", http.MethodGet, "/api/v1/conversations?tool=claude_code", nil, nil)
	require.Empty(t, ids(resp))

	// Keyset pagination.
	_, page1 := b.do(t, "adminA", http.MethodGet, "/api/v1/conversations?limit=2", nil, nil)
	require.Equal(t, []string{"s3", "s2"}, ids(page1))
	_, page2 := b.do(t, "adminA", http.MethodGet, "/api/v1/conversations?limit=2&cursor="+page1["next_cursor"].(string), nil, nil)
	require.Equal(t, []string{"s1"}, ids(page2))
	require.Nil(t, page2["next_cursor"])

	// Detail: messages with tool calls and files.
	status, detail := b.do(t, "dev1", http.MethodGet, "/api/v1/conversations/"+c1.String(), nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "github.com/acme/shop", detail["repo"])
	require.Equal(t, []any{"auth/jwks.go"}, detail["files_touched"])
	msgs := detail["messages"].([]any)
	require.Len(t, msgs, 2)
	call := msgs[1].(map[string]any)["tool_calls"].([]any)[0].(map[string]any)
	require.Equal(t, "edit", call["name"])

	// Visibility: team mates see each other's work, others do not.
	_, resp = b.do(t, "dev2", http.MethodGet, "/api/v1/conversations", nil, nil)
	require.Equal(t, []string{"s2", "s1"}, ids(resp))
	_, resp = b.do(t, "loner", http.MethodGet, "/api/v1/conversations", nil, nil)
	require.Equal(t, []string{"s3"}, ids(resp))
	status, _ = b.do(t, "loner", http.MethodGet, "/api/v1/conversations/"+c1.String(), nil, nil)
	require.Equal(t, http.StatusNotFound, status)
}

// TestTenantIsolation: another org cannot list, read, poll or infer.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.upload(t, "dev1", generic("secret-session", "git@github.com:acme/shop.git", "main", time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)))

	_, resp := b.do(t, "adminB", http.MethodGet, "/api/v1/conversations", nil, nil)
	require.Empty(t, ids(resp))
	status, resp := b.do(t, "adminB", http.MethodGet, "/api/v1/conversations/"+c.String(), nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, "no conversation "+c.String(), resp["error"].(map[string]any)["message"])
	// Filtering by a user of the other org is refused like an unknown user.
	status, _ = b.do(t, "adminB", http.MethodGet, "/api/v1/conversations?user="+b.people["dev1"].Email, nil, nil)
	require.Equal(t, http.StatusBadRequest, status)
	// An upload's report is its uploader's (and admins').
	status, rep := b.do(t, "dev2", http.MethodPost, "/api/v1/conversations?wait=0", generic("dev2-own", "", "main", time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)), nil)
	require.Equal(t, http.StatusAccepted, status)
	status, _ = b.do(t, "dev1", http.MethodGet, "/api/v1/imports/"+rep["capture_id"].(string), nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, _ = b.do(t, "adminB", http.MethodGet, "/api/v1/imports/"+rep["capture_id"].(string), nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, _ = b.do(t, "adminA", http.MethodGet, "/api/v1/imports/"+rep["capture_id"].(string), nil, nil)
	require.Equal(t, http.StatusAccepted, status, "pending, visible to the org's admin")
	// The same session id in org B is a different conversation.
	cB := b.upload(t, "adminB", generic("secret-session", "git@github.com:acme/shop.git", "main", time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)))
	require.NotEqual(t, c, cB)
	_, resp = b.do(t, "adminB", http.MethodGet, "/api/v1/conversations", nil, nil)
	require.Equal(t, []string{"secret-session"}, ids(resp))
}

func TestUploadBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name   string
		path   string
		body   []byte
		header map[string]string
		status int
		want   string
	}{
		{"no external id", "/api/v1/conversations", []byte(`{"source":"x","external_id":"","messages":[]}`), nil, 400, "external_id is required"},
		{"not json", "/api/v1/conversations", []byte(`{"source":"x",`), nil, 400, "invalid JSON"},
		{"bad role", "/api/v1/conversations", []byte(`{"source":"x","external_id":"e","messages":[{"role":"robot","text":"hi"}]}`), nil, 400, `role "robot"`},
		{"too large", "/api/v1/imports", bytes.Repeat([]byte("a"), 65<<10), nil, 413, "upload limit"},
		{"unknown format", "/api/v1/imports", []byte("hello there\n"), map[string]string{"X-Filename": "notes.txt"}, 400, "notes.txt: unknown format"},
		{"binary", "/api/v1/imports", []byte("\x00\x01\x02binary"), nil, 400, "binary file"},
		{"bad format param", "/api/v1/imports?format=word", []byte("x"), nil, 400, `format "word"`},
		{"bad wait", "/api/v1/imports?wait=soon", []byte("x"), nil, 400, "wait must be"},
		{"bad encoding", "/api/v1/imports", []byte("x"), map[string]string{"Content-Encoding": "br"}, 415, "Content-Encoding"},
	} {
		status, resp := b.do(t, "dev1", http.MethodPost, tc.path, tc.body, tc.header)
		require.Equal(t, tc.status, status, tc.name)
		require.Contains(t, fmt.Sprint(resp["error"]), tc.want, tc.name)
	}
	for _, q := range []string{"from=yesterday", "limit=0", "limit=9999", "cursor=zzz", "from=2026-11-12&to=2026-11-11", "user=nobody@nowhere.example",
		"tool=%00x", "branch=%ff"} {
		status, resp := b.do(t, "dev1", http.MethodGet, "/api/v1/conversations?"+q, nil, nil)
		require.Equal(t, http.StatusBadRequest, status, q)
		require.NotEmpty(t, resp["error"].(map[string]any)["message"], q)
	}
	status, _ := b.do(t, "dev1", http.MethodGet, "/api/v1/conversations/not-a-uuid", nil, nil)
	require.Equal(t, http.StatusBadRequest, status)
	for _, q := range []string{"q=%00x", "q=%ff", "q=x&repo=%00"} {
		status, _ = b.do(t, "dev1", http.MethodGet, "/api/v1/search?"+q, nil, nil)
		require.Equal(t, http.StatusBadRequest, status, q)
	}
	for _, sha := range []string{"%25%25%25%25%25%25%25", "_______", "abc"} {
		status, _ = b.do(t, "dev1", http.MethodGet, "/api/v1/commits/"+sha+"/conversations", nil, nil)
		require.Equal(t, http.StatusBadRequest, status, sha)
	}
}
