package search_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

var (
	modelOnce sync.Once
	model     *search.USELite
	modelErr  error
)

// useLite loads the real local model (make setup downloads it).
func useLite(t *testing.T) *search.USELite {
	t.Helper()
	modelOnce.Do(func() {
		dir := os.Getenv("CTXINTEL_MODEL_DIR")
		if dir == "" {
			wd, _ := os.Getwd()
			for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
				if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
					dir = filepath.Join(d, ".deps", "models", "use-lite")
					break
				}
			}
		}
		model, modelErr = search.LoadUSELite(dir)
	})
	if modelErr != nil {
		t.Fatalf("load USE-Lite (run `make setup`): %v", modelErr)
	}
	return model
}

type convo struct {
	id, title, user, repo, branch, tool string
	msgs                                []string // alternating user / assistant
}

type bundle struct {
	db      *warehouse.DB
	svc     *search.Service
	org     warehouse.Organization
	members map[string]warehouse.Member
	convIDs map[string]uuid.UUID
}

func setup(t *testing.T, convos []convo) bundle {
	t.Helper()
	ctx := context.Background()
	db := warehousetest.Postgres(t)
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	require.NoError(t, err)
	red, err := redact.New()
	require.NoError(t, err)
	ing := &ingest.Service{DB: db, Jobs: client, Redactor: red}
	b := bundle{db: db, org: warehousetest.Org(t, db, nil), members: map[string]warehouse.Member{}, convIDs: map[string]uuid.UUID{}}
	b.svc = &search.Service{DB: db, Embedder: useLite(t)}
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for i, c := range convos {
		m, ok := b.members[c.user]
		if !ok {
			m = warehousetest.Member(t, db, b.org.ID, &warehousetest.MemberOpts{Role: warehouse.RoleAdmin})
			b.members[c.user] = m
		}
		var msgs []map[string]any
		for j, text := range c.msgs {
			role := "user"
			if j%2 == 1 {
				role = "assistant"
			}
			msgs = append(msgs, map[string]any{"role": role, "text": text})
		}
		tool := c.tool
		if tool == "" {
			tool = "claude-code-test"
		}
		doc, _ := json.Marshal(map[string]any{"source": tool, "external_id": c.id, "title": c.title, "git_remote": c.repo,
			"git_branches": []string{c.branch}, "started_at": start.Add(time.Duration(i) * time.Hour).Format(time.RFC3339), "messages": msgs})
		stored, err := ing.Store(ctx, ingest.Upload{OrgID: b.org.ID, UserID: m.ID, Name: c.id + ".json", Data: doc})
		require.NoError(t, err)
		rep, err := ing.Process(ctx, ingest.ProcessCaptureArgs{OrgID: b.org.ID, CaptureID: stored.Capture.ID})
		require.NoError(t, err)
		require.Len(t, rep.Conversations, 1, rep)
		id := *rep.Conversations[0].ID
		b.convIDs[c.id] = id
		_, err = b.svc.EmbedConversation(ctx, search.EmbedConversationArgs{OrgID: b.org.ID, ConversationID: id})
		require.NoError(t, err)
	}
	return b
}

func (b bundle) search(t *testing.T, who, q string, mode search.Mode, f warehouse.SearchFilter) search.Result {
	t.Helper()
	m := b.members[who]
	res, err := b.svc.Search(context.Background(), search.Request{OrgID: b.org.ID, Viewer: warehouse.Viewer{UserID: m.ID, Role: m.Role}, Query: q, Mode: mode, Filter: f})
	require.NoError(t, err)
	return res
}

func titles(res search.Result) []string {
	var out []string
	for _, c := range res.Conversations {
		out = append(out, c.Title)
	}
	return out
}

var corpus = []convo{
	{id: "jwt", title: "JWT security issues", user: "ada", repo: "git@github.com:acme/shop.git", branch: "fix/jwt", msgs: []string{
		"The login flow accepts expired tokens. Is our JWT validation wrong?",
		"Yes: jwt.Parse is called without checking exp. In src/auth/jwt.go:118 add a leeway and verify the signature algorithm; never accept alg=none.",
	}},
	{id: "css", title: "CSS grid layout for the dashboard", user: "bo", repo: "https://github.com/acme/web", branch: "main", msgs: []string{
		"How do I make the dashboard cards wrap into a responsive grid?",
		"Use display: grid with grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)).",
	}},
	{id: "net", title: "Fetch fails in the auth hook", user: "ada", repo: "https://github.com/acme/web", branch: "main", msgs: []string{
		"Getting ERR_CONNECTION_RESET in useAuthToken.ts when the token refreshes",
		"The refresh races with logout; this.getUserById(42) runs after the socket closed. Retry with backoff.",
	}},
	{id: "panic", title: "Nil pointer in the billing worker", user: "bo", repo: "git@github.com:acme/shop.git", branch: "main", msgs: []string{
		"panic: runtime error: invalid memory address or nil pointer dereference\ngoroutine 12 [running]:\nmain.(*Invoice).Total(0x0)\n\t/src/billing/invoice.go:42",
		"Invoice is nil when the customer has no subscription; check before calling Total.",
	}},
	{id: "migr", title: "Running database migrations locally", user: "cy", repo: "https://gitlab.com/acme/infra.git", branch: "main", msgs: []string{
		"What is the command to run the Postgres migrations on my laptop?",
		"Run make migrate after starting the database container.",
	}},
}

func TestKeywordSearch(t *testing.T) {
	t.Parallel()
	b := setup(t, corpus)
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"ERR_CONNECTION_RESET in useAuthToken.ts", []string{"Fetch fails in the auth hook"}},
		{"getUserById", []string{"Fetch fails in the auth hook"}},                    // inside this.getUserById(42)
		{"src/auth/jwt.go", []string{"JWT security issues"}},                         // a path
		{"invalid memory address", []string{"Nil pointer in the billing worker"}},    // stack-trace words
		{`"nil pointer dereference"`, []string{"Nil pointer in the billing worker"}}, // exact phrase
		{"invoice.go:42", []string{"Nil pointer in the billing worker"}},             // file:line
		{"expired tokens", []string{"JWT security issues"}},                          // stemming: expire, token
		{"migration OR grid", []string{"Running database migrations locally", "CSS grid layout for the dashboard"}},
		{"token -refresh", []string{"JWT security issues"}}, // exclusion
		{`token -"ERR_CONNECTION_RESET"`, []string{"JWT security issues"}},
		{"how do I run the migrations", []string{"Running database migrations locally"}}, // stop-words dropped
	} {
		res := b.search(t, "ada", tc.q, search.ModeKeyword, warehouse.SearchFilter{})
		require.ElementsMatch(t, tc.want, titles(res), tc.q)
	}

	// Snippets highlight the match.
	res := b.search(t, "ada", "ERR_CONNECTION_RESET", search.ModeKeyword, warehouse.SearchFilter{})
	m := res.Conversations[0].Matches[0]
	require.Len(t, m.Highlights, 1)
	r := []rune(m.Snippet)
	require.Equal(t, "ERR_CONNECTION_RESET", string(r[m.Highlights[0][0]:m.Highlights[0][1]]))
	require.Equal(t, "keyword", m.Via)
}

func TestFilters(t *testing.T) {
	t.Parallel()
	b := setup(t, corpus)
	shop := "github.com/acme/shop"
	res := b.search(t, "ada", "nil OR token OR grid", search.ModeKeyword, warehouse.SearchFilter{Repo: shop})
	require.ElementsMatch(t, []string{"JWT security issues", "Nil pointer in the billing worker"}, titles(res))
	res = b.search(t, "ada", "token", search.ModeKeyword, warehouse.SearchFilter{Branch: "fix/jwt"})
	require.Equal(t, []string{"JWT security issues"}, titles(res))
	bo := b.members["bo"].ID
	res = b.search(t, "ada", "grid OR invoice", search.ModeKeyword, warehouse.SearchFilter{UserID: &bo})
	require.Len(t, res.Conversations, 2)
	res = b.search(t, "ada", "expired", search.ModeKeyword, warehouse.SearchFilter{Role: "assistant"})
	require.Empty(t, res.Conversations, "the word is only in a prompt")
	from := time.Date(2026, 11, 2, 11, 30, 0, 0, time.UTC)
	res = b.search(t, "ada", "token OR grid OR migrations", search.ModeKeyword, warehouse.SearchFilter{From: &from})
	require.Equal(t, []string{"Running database migrations locally"}, titles(res))
	res = b.search(t, "ada", "token", search.ModeKeyword, warehouse.SearchFilter{Repo: "github.com/acme/nope"})
	require.Empty(t, res.Conversations)
}

func TestSemanticAndHybrid(t *testing.T) {
	t.Parallel()
	b := setup(t, corpus)
	res := b.search(t, "ada", "find discussions about authentication", search.ModeSemantic, warehouse.SearchFilter{})
	require.NotEmpty(t, res.Conversations)
	top := titles(res)
	require.Contains(t, top[:2], "JWT security issues", top)
	require.Less(t, indexOf(top, "JWT security issues"), indexOf(top, "CSS grid layout for the dashboard"))
	require.Positive(t, res.EmbedMS)

	res = b.search(t, "ada", "find discussions about authentication", search.ModeHybrid, warehouse.SearchFilter{})
	require.Contains(t, titles(res)[:2], "JWT security issues")
	res = b.search(t, "ada", "ERR_CONNECTION_RESET in useAuthToken.ts", search.ModeHybrid, warehouse.SearchFilter{})
	require.Equal(t, "Fetch fails in the auth hook", res.Conversations[0].Title)
	require.Equal(t, "both", res.Conversations[0].Matches[0].Via)
}

func TestBadQueries(t *testing.T) {
	t.Parallel()
	b := setup(t, corpus[:1])
	m := b.members["ada"]
	run := func(q string, mode search.Mode) (search.Result, error) {
		return b.svc.Search(context.Background(), search.Request{OrgID: b.org.ID, Viewer: warehouse.Viewer{UserID: m.ID, Role: m.Role}, Query: q, Mode: mode})
	}
	for _, q := range []string{"", "   ", strings.Repeat("x", search.MaxQueryLength+1), "-token", `-"a b"`} {
		_, err := run(q, search.ModeKeyword)
		require.ErrorIs(t, err, search.ErrBadRequest, q)
	}
	res, err := run("the and of how", search.ModeHybrid)
	require.NoError(t, err)
	require.Empty(t, res.Conversations)
	require.Contains(t, res.Reason, "stop-words")
	res, err = run(`"expired tokens`, search.ModeKeyword)
	require.NoError(t, err)
	require.Len(t, res.Conversations, 1)
	require.Contains(t, res.Notices[0], "quote was not closed")
	_, err = search.ParseMode("fuzzy")
	require.ErrorIs(t, err, search.ErrBadRequest)

	// Every search was recorded, no-result ones included.
	var n, empty int
	require.NoError(t, b.db.InOrg(context.Background(), b.org.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `select count(*), count(*) filter (where results = 0) from search_events`).Scan(&n, &empty)
	}))
	require.Equal(t, 2, n)
	require.Equal(t, 1, empty)
}

// TestSearchIsolation: another org finds nothing of this org's, even with
// the exact words; a developer outside the owner's team does not either.
func TestSearchIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t, corpus)
	other := warehousetest.Org(t, b.db, nil)
	stranger := warehousetest.Member(t, b.db, other.ID, &warehousetest.MemberOpts{Role: warehouse.RoleAdmin})
	for _, mode := range []search.Mode{search.ModeKeyword, search.ModeSemantic, search.ModeHybrid} {
		res, err := b.svc.Search(context.Background(), search.Request{OrgID: other.ID, Viewer: warehouse.Viewer{UserID: stranger.ID, Role: stranger.Role},
			Query: "ERR_CONNECTION_RESET in useAuthToken.ts", Mode: mode})
		require.NoError(t, err)
		require.Empty(t, res.Conversations, mode)
	}
	dev := warehousetest.Member(t, b.db, b.org.ID, nil) // a developer in no team
	res, err := b.svc.Search(context.Background(), search.Request{OrgID: b.org.ID, Viewer: warehouse.Viewer{UserID: dev.ID, Role: dev.Role},
		Query: "ERR_CONNECTION_RESET", Mode: search.ModeKeyword})
	require.NoError(t, err)
	require.Empty(t, res.Conversations)
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return len(list) + 1
}
