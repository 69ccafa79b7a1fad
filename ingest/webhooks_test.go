package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/warehouse"
)

func githubPush(repo, sha string, installation int64) []byte {
	return []byte(fmt.Sprintf(`{"ref":"refs/heads/main","before":"%040d","after":%q,
	"repository":{"id":7,"name":"w","full_name":%q,"clone_url":"https://github.com/%s.git","html_url":"https://github.com/%s","owner":{"login":"acme"}},
	"installation":{"id":%d},"pusher":{"name":"a"},"sender":{"login":"a"},
	"commits":[{"id":%q,"distinct":true,"message":"Add tokens","timestamp":"2026-11-20T09:04:00Z","author":{"name":"A","email":"a@x.example"},
	"committer":{"name":"A","email":"a@x.example"},"added":["tok.go"],"removed":[],"modified":[]}]}`, 0, sha, repo, repo, repo, installation, sha))
}

// TestWebhookFetchesDiffsOnlyForRegisteredRepositories: the REST API is
// called for a registered repository, as its registered installation, and
// never for one a payload names on its own.
func TestWebhookFetchesDiffsOnlyForRegisteredRepositories(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	var calls atomic.Int32
	var gotAuth atomic.Value
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		gotAuth.Store(r.URL.Path)
		sha := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck
			"sha": sha, "parents": []any{},
			"commit": map[string]any{"message": "Add tokens", "author": map[string]any{"name": "A", "email": "a@x.example", "date": "2026-11-20T09:04:00Z"},
				"committer": map[string]any{"name": "A", "email": "a@x.example", "date": "2026-11-20T09:04:00Z"}},
			"stats": map[string]any{"additions": 2, "deletions": 0, "total": 2},
			"files": []any{map[string]any{"filename": "tok.go", "status": "added", "additions": 2, "deletions": 0, "changes": 2,
				"patch": "@@ -0,0 +1,2 @@\n+func Tokens(s string) []string {\n+\treturn strings.Fields(s)"}},
		})
	}))
	defer api.Close()
	b.svc.Forges = ingest.Forges{GitHub: &ingest.GitHubClient{BaseURL: api.URL, Token: "ghp_test"}}

	process := func(repo, sha, delivery string) {
		outcome, err := b.svc.ReceiveWebhook(ctx, b.org.ID, "github", "push", delivery, githubPush(repo, sha, 999))
		require.NoError(t, err)
		require.Equal(t, ingest.DeliveryAccepted, outcome)
		require.NoError(t, b.svc.ProcessWebhook(ctx, ingest.ProcessWebhookArgs{OrgID: b.org.ID, Provider: "github", DeliveryID: delivery}))
	}
	// Not registered: stored from the payload, no API call.
	process("victim/private", strings.Repeat("1", 40), "d-unregistered")
	require.Zero(t, calls.Load())

	require.NoError(t, b.db.InOrg(ctx, b.org.ID, func(tx pgx.Tx) error {
		_, err := warehouse.UpsertRepository(ctx, tx, warehouse.Repository{OrgID: b.org.ID, Key: "github.com/acme/w", Provider: "github"})
		return err
	}))
	process("acme/w", strings.Repeat("2", 40), "d-registered")
	require.EqualValues(t, 1, calls.Load())
	require.Equal(t, "/repos/acme/w/commits/"+strings.Repeat("2", 40), gotAuth.Load())

	require.NoError(t, b.db.InOrg(ctx, b.org.ID, func(tx pgx.Tx) error {
		cs, err := warehouse.CommitsBySHA(ctx, tx, strings.Repeat("2", 40), "")
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.NotEmpty(t, cs[0].AddedLines, "the diff fetched from the API was analysed")
		cs, err = warehouse.CommitsBySHA(ctx, tx, strings.Repeat("1", 40), "")
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.Equal(t, []string{"tok.go"}, cs[0].Files)
		require.Empty(t, cs[0].AddedLines)
		return nil
	}))
}
