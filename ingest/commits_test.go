package ingest_test

import (
	"context"
	"fmt"
	"github.com/context-intelligence/ctxintel/analytics"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/migrations"
	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

// claudeWrite is a session whose assistant writes a file with code.
func claudeWrite(session, cwd, path, code string, at time.Time) string {
	return fmt.Sprintf(`{"type":"user","uuid":"u1","parentUuid":null,"sessionId":%q,"cwd":%q,"gitBranch":"main","timestamp":%q,"message":{"role":"user","content":"write the parser"}}
{"type":"assistant","uuid":"a1","parentUuid":"u1","sessionId":%q,"cwd":%q,"gitBranch":"main","timestamp":%q,"message":{"role":"assistant","id":"m1","model":"claude-sonnet-4-5","content":[{"type":"tool_use","id":"t1","name":"Write","input":{"file_path":%q,"content":%q}}]}}
`, session, cwd, at.Format(time.RFC3339), session, cwd, at.Add(time.Minute).Format(time.RFC3339), cwd+"/"+path, code)
}

const parserCode = "package parse\n\n// Tokens splits a line into words.\nfunc Tokens(line string) []string {\n\tfields := strings.Fields(line)\n\tout := make([]string, 0, len(fields))\n\tfor _, f := range fields {\n\t\tout = append(out, strings.ToLower(f))\n\t}\n\treturn out\n}\n"

func addedDiff(path, code string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "diff --git a/%s b/%s\nnew file mode 100644\n--- /dev/null\n+++ b/%s\n@@ -0,0 +1,%d @@\n", path, path, path, strings.Count(code, "\n"))
	for _, l := range strings.Split(strings.TrimSuffix(code, "\n"), "\n") {
		b.WriteString("+" + l + "\n")
	}
	return b.String()
}

// TestLinkingBothOrders: the link appears whether the commit or the
// conversation arrives first; a rebased copy inherits it; every change is
// projected to ClickHouse once.
func TestLinkingBothOrders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	ch := warehousetest.ClickHouse(t)
	require.NoError(t, warehouse.MigrateClickHouse(ctx, ch, migrations.ClickHouse, "up", 0))
	at := time.Date(2026, 11, 12, 10, 0, 0, 0, time.UTC)
	cwd := "/home/ada/src/parser"
	commit := ingest.CommitInput{SHA: strings.Repeat("ab", 20), AuthorName: "Ada", AuthorEmail: b.user.Email, CommittedAt: at.Add(20 * time.Minute),
		Message: "Add tokenizer", Diff: addedDiff("parse/tokens.go", parserCode), PatchID: strings.Repeat("9", 40), Branch: "main"}

	// Commit first, conversation later.
	_, err := b.svc.StoreCommits(ctx, ingest.CommitBatch{OrgID: b.org.ID, Remote: "git@github.com:acme/parser.git", Source: "hook", Commits: []ingest.CommitInput{commit}})
	require.NoError(t, err)
	session := uuid.NewString()
	_, rep := b.storeAndProcess(t, session+".jsonl", claudeWrite(session, cwd, "parse/tokens.go", parserCode, at))
	convID := *rep.Conversations[0].ID
	n, err := b.svc.LinkConversation(ctx, ingest.LinkConversationArgs{OrgID: b.org.ID, ConversationID: convID})
	require.NoError(t, err)
	require.Equal(t, 1, n)

	var links []warehouse.LinkedCommit
	require.NoError(t, b.db.InOrg(ctx, b.org.ID, func(tx pgx.Tx) error {
		links, err = warehouse.CommitsOfConversation(ctx, tx, convID)
		return err
	}))
	require.Len(t, links, 1)
	require.Contains(t, string(links[0].Evidence), "content_overlap")

	// A rebased copy (same patch id, new sha, later) inherits the link.
	rebased := commit
	rebased.SHA, rebased.CommittedAt = strings.Repeat("cd", 20), at.Add(30*24*time.Hour)
	_, err = b.svc.StoreCommits(ctx, ingest.CommitBatch{OrgID: b.org.ID, Remote: "https://github.com/acme/parser", Source: "hook", Commits: []ingest.CommitInput{rebased}})
	require.NoError(t, err)
	var rebasedID uuid.UUID
	require.NoError(t, b.db.InOrg(ctx, b.org.ID, func(tx pgx.Tx) error {
		cs, err := warehouse.CommitsBySHA(ctx, tx, rebased.SHA, "")
		rebasedID = cs[0].ID
		return err
	}))
	n, err = b.svc.LinkCommit(ctx, ingest.LinkCommitArgs{OrgID: b.org.ID, CommitID: rebasedID})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoError(t, b.db.InOrg(ctx, b.org.ID, func(tx pgx.Tx) error {
		links, err = warehouse.CommitsOfConversation(ctx, tx, convID)
		return err
	}))
	require.Len(t, links, 2)
	require.Contains(t, string(links[1].Evidence)+string(links[0].Evidence), "rebased or cherry-picked")

	// Projection: the link jobs enqueued are replayed twice; ClickHouse
	// holds one row per link.
	rows, err := b.db.Pool().Query(ctx, `select (args->>'conversation_id')::uuid, (args->>'commit_id')::uuid from river_job
		where kind = 'correlate.project_link' and args->>'org_id' = $1`, b.org.ID.String())
	require.NoError(t, err)
	var jobs []analytics.ProjectLinkArgs
	for rows.Next() {
		a := analytics.ProjectLinkArgs{OrgID: b.org.ID}
		require.NoError(t, rows.Scan(&a.ConversationID, &a.CommitID))
		jobs = append(jobs, a)
	}
	require.Len(t, jobs, 2)
	w := warehouse.NewBatchWriter(ch, analytics.TableLinkEvents, analytics.LinkEventColumns, warehouse.BatchOptions{FlushInterval: 10 * time.Millisecond})
	defer w.Close(ctx) //nolint:errcheck
	projector := &analytics.Projector{DB: b.db, Writers: analytics.Writers{Links: w}}
	for range 2 {
		for _, a := range jobs {
			require.NoError(t, projector.ProjectLink(ctx, a))
		}
	}
	var got []struct {
		N uint64 `ch:"n"`
	}
	require.NoError(t, ch.Select(ctx, &got, `select count() as n from link_events final where org_id = ? and linked = 1`, b.org.ID))
	require.Equal(t, uint64(2), got[0].N)
	var owners []struct {
		UserID uuid.UUID `ch:"user_id"`
	}
	require.NoError(t, ch.Select(ctx, &owners, `select distinct user_id from link_events final where org_id = ?`, b.org.ID))
	require.Len(t, owners, 1)
	require.NotEqual(t, uuid.Nil, owners[0].UserID, "a link event names the conversation's owner")
}

func TestStoreCommitsBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	good := ingest.CommitInput{SHA: strings.Repeat("a", 40), CommittedAt: time.Now()}
	for _, tc := range []struct {
		batch ingest.CommitBatch
		want  string
	}{
		{ingest.CommitBatch{Remote: "", Commits: []ingest.CommitInput{good}}, "remote is empty"},
		{ingest.CommitBatch{Remote: "git@github.com:a/b.git"}, "1 to 1000 commits"},
		{ingest.CommitBatch{Remote: "git@github.com:a/b.git", Commits: []ingest.CommitInput{{SHA: "xyz", CommittedAt: time.Now()}}}, `sha "xyz"`},
		{ingest.CommitBatch{Remote: "git@github.com:a/b.git", Commits: []ingest.CommitInput{{SHA: strings.Repeat("b", 40)}}}, "committed_at is required"},
	} {
		tc.batch.OrgID, tc.batch.Source = b.org.ID, "hook"
		_, err := b.svc.StoreCommits(ctx, tc.batch)
		require.ErrorIs(t, err, ingest.ErrInvalidCommit)
		require.ErrorContains(t, err, tc.want)
	}
}
