package analytics_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// TestClusterTopics runs the knowledge-gap clustering on questions stored
// and embedded the way ingest and the embedding job store them (the real
// USE-Lite model), then reads the topics back through the metric.
func TestClusterTopics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	dir := os.Getenv("CTXINTEL_MODEL_DIR")
	if dir == "" {
		dir = filepath.Join("..", ".deps", "models", "use-lite")
	}
	model, err := search.LoadUSELite(dir)
	require.NoError(t, err, "run `make setup` to download the model")

	questions := []string{
		"Why does my JWT access token expire after five minutes?",
		"How do I refresh an expired JWT token without logging the user out?",
		"The JWT refresh token is rejected with invalid signature after rotation",
		"JWT token expiry: users get logged out too early",
		"Why is the Docker build cache not used when I change package.json?",
		"Docker layer caching does not work in CI, every build reinstalls dependencies",
		"How can I speed up docker build with cache mounts for npm?",
		"The Docker build cache is invalidated by COPY . . at the top",
		"What's the capital of Australia?",
	}
	now := time.Now().UTC().Truncate(time.Second)
	var lines []string
	for i, q := range questions {
		lines = append(lines, claudeLine("4f1c9e2b-4d3f-4e5a-8b6c-0d1e2f3a4b5c", fmt.Sprintf("q%d", i), "", "user", q, now.Add(-time.Duration(len(questions)-i)*time.Hour)))
	}
	stored, err := b.ingest.Store(b.ctx, ingest.Upload{OrgID: b.org.ID, UserID: b.user.ID, Name: "questions.jsonl",
		Data: []byte(strings.Join(lines, "\n") + "\n")})
	require.NoError(t, err)
	rep, err := b.ingest.Process(b.ctx, ingest.ProcessCaptureArgs{OrgID: b.org.ID, CaptureID: stored.Capture.ID})
	require.NoError(t, err)
	convID := *rep.Conversations[0].ID

	// Embed the questions as the embedding job would: one chunk each.
	vectors, err := model.Embed(b.ctx, questions)
	require.NoError(t, err)
	require.NoError(t, b.db.InOrg(b.ctx, b.org.ID, func(tx pgx.Tx) error {
		var es []warehouse.Embedding
		for i := range questions {
			var id int64
			if err := tx.QueryRow(b.ctx, `select id from messages where external_id = $1`, fmt.Sprintf("q%d", i)).Scan(&id); err != nil {
				return err
			}
			es = append(es, warehouse.Embedding{MessageID: id, ConversationID: convID, EndChar: len(questions[i]), Vector: vectors[i]})
		}
		return warehouse.InsertEmbeddings(b.ctx, tx, b.org.ID, model.Model(), es)
	}))

	c := &analytics.Clusterer{DB: b.db, CH: b.ch, Model: model.Model()}
	run, err := c.Cluster(b.ctx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, uint32(len(questions)), run.Questions)
	require.Equal(t, uint32(2), run.Topics, "JWT expiry and Docker caching; the one-off question is no topic")

	m := &analytics.Metrics{DB: b.db, CH: b.ch, Prices: analytics.DefaultPrices()}
	got, err := m.Get(b.ctx, analytics.MetricRequest{Metric: analytics.MetricKnowledgeGaps, OrgID: b.org.ID,
		Viewer: warehouse.Viewer{UserID: b.user.ID, Role: warehouse.RoleDeveloper}})
	require.NoError(t, err)
	gaps := got.(*analytics.KnowledgeGaps)
	require.Equal(t, run.ID, gaps.Run.ID)
	require.Len(t, gaps.Topics, 2)
	labels := gaps.Topics[0].Label + " | " + gaps.Topics[1].Label
	require.Contains(t, strings.ToLower(labels), "jwt")
	require.Contains(t, strings.ToLower(labels), "docker")
	for _, topic := range gaps.Topics {
		require.Equal(t, int64(4), topic.Questions)
		require.Equal(t, int64(1), topic.People)
		require.Equal(t, []analytics.GapExample{{ConversationID: convID, Title: rep.Conversations[0].Title}}, topic.Examples,
			"the developer's own conversation is an example they may open")
	}

	// The same data clusters the same way again.
	again, err := c.Cluster(b.ctx, b.org.ID)
	require.NoError(t, err)
	require.NotEqual(t, run.ID, again.ID)
	got, err = m.Get(b.ctx, analytics.MetricRequest{Metric: analytics.MetricKnowledgeGaps, OrgID: b.org.ID,
		Viewer: warehouse.Viewer{UserID: b.user.ID, Role: warehouse.RoleDeveloper}})
	require.NoError(t, err)
	require.Equal(t, again.ID, got.(*analytics.KnowledgeGaps).Run.ID)
	require.Equal(t, labels, got.(*analytics.KnowledgeGaps).Topics[0].Label+" | "+got.(*analytics.KnowledgeGaps).Topics[1].Label)

	// Without embeddings there is nothing to cluster, and the job says so.
	_, err = (&analytics.Clusterer{DB: b.db, CH: b.ch}).Cluster(b.ctx, uuid.New())
	require.ErrorIs(t, err, analytics.ErrNoEmbeddings)
}
