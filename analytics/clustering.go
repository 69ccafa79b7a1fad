package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/context-intelligence/ctxintel/analytics/topics"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Topic clustering for knowledge gaps: a daily job per organization
// clusters the user questions of the last QuestionWindow by meaning
// (package topics, on the embeddings search already stores) and writes the
// topics and each clustered question's topic to ClickHouse as one run;
// the knowledge-gaps metric reads the latest run.

// QuestionWindow is how far back a clustering looks, and MaxQuestions how
// many of the newest questions it takes at most (the clustering's time
// and memory grow faster than linearly).
const (
	QuestionWindow = 90 * 24 * time.Hour
	MaxQuestions   = 5000
)

// ClusterTopicsArgs asks a worker to cluster one organization's questions.
// A wire contract: new fields must be optional.
type ClusterTopicsArgs struct {
	OrgID uuid.UUID `json:"org_id"`
}

// Kind names the job type in River.
func (ClusterTopicsArgs) Kind() string { return "analytics.cluster_topics" }

// InsertOpts: at most one clustering per organization an hour, retried a
// few times (the next daily run supersedes a failed one anyway).
func (ClusterTopicsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Hour}}
}

// ClusterAllTopicsArgs asks a worker to enqueue a ClusterTopicsArgs for
// every organization: the daily periodic job.
type ClusterAllTopicsArgs struct{}

// Kind names the job type in River.
func (ClusterAllTopicsArgs) Kind() string { return "analytics.cluster_all_topics" }

// Clusterer runs topic clusterings.
type Clusterer struct {
	DB *warehouse.DB
	CH warehouse.ClickHouse
	// Model is the embedding model whose vectors are clustered (the
	// search embedder's); empty means embeddings are off and nothing is
	// clustered.
	Model string
	// Options tune the clustering (zero: package topics' defaults).
	Options topics.Options
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// ErrNoEmbeddings: the clustering needs an embedding model.
var ErrNoEmbeddings = fmt.Errorf("topic clustering needs embeddings: the embedding provider is none")

// Cluster clusters one organization's recent questions and stores the run.
// A run is written topics first and its topic_runs row last, so the metric
// never reads a run that is half written.
func (c *Clusterer) Cluster(ctx context.Context, orgID uuid.UUID) (TopicRun, error) {
	if c.Model == "" {
		return TopicRun{}, ErrNoEmbeddings
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	run := TopicRun{ID: uuid.New(), ComputedAt: now().UTC().Truncate(time.Millisecond), Model: c.Model}
	run.WindowTo = run.ComputedAt
	run.WindowFrom = run.WindowTo.Add(-QuestionWindow)
	var qs []warehouse.Question
	err := c.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		qs, err = warehouse.ListQuestions(ctx, tx, c.Model, run.WindowFrom, run.WindowTo, MaxQuestions)
		return err
	})
	if err != nil {
		return run, fmt.Errorf("cluster topics of org %s: %w", orgID, err)
	}
	in := make([]topics.Question, len(qs))
	byID := make(map[int64]warehouse.Question, len(qs))
	for i, q := range qs {
		in[i] = topics.Question{ID: q.MessageID, Text: q.Text, Vector: q.Vector}
		byID[q.MessageID] = q
	}
	res, err := topics.Cluster(in, c.Options)
	if err != nil {
		return run, fmt.Errorf("cluster topics of org %s: %w", orgID, err)
	}
	var topicRows, questionRows [][]any
	for i, t := range res.Topics {
		topicRows = append(topicRows, []any{orgID, run.ID, uint32(i), run.ComputedAt, t.Label, t.Terms})
		for _, id := range t.Questions {
			q := byID[id]
			questionRows = append(questionRows, []any{orgID, run.ID, uint32(i), q.MessageID, q.ConversationID, q.UserID, q.AskedAt})
		}
	}
	run.Questions, run.Topics = uint32(len(qs)), uint32(len(res.Topics))
	if len(topicRows) > 0 {
		if err := c.CH.Insert(ctx, TableTopics, TopicColumns, topicRows); err != nil {
			return run, fmt.Errorf("store topics of org %s: %w", orgID, err)
		}
		if err := c.CH.Insert(ctx, TableTopicQuestions, TopicQuestionColumns, questionRows); err != nil {
			return run, fmt.Errorf("store topic questions of org %s: %w", orgID, err)
		}
	}
	err = c.CH.Insert(ctx, TableTopicRuns, TopicRunColumns, [][]any{{orgID, run.ID, run.ComputedAt, run.WindowFrom, run.WindowTo,
		run.Questions, run.Topics, run.Model}})
	if err != nil {
		return run, fmt.Errorf("store topic run of org %s: %w", orgID, err)
	}
	return run, nil
}

// Organizations lists every organization, for the daily job.
func (c *Clusterer) Organizations(ctx context.Context) ([]uuid.UUID, error) {
	return orgsOf(ctx, c.DB, uuid.Nil)
}
