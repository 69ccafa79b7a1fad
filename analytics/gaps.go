package analytics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// KnowledgeGaps are the topics people keep asking assistants about, from
// the latest topic clustering (ClusterTopicsArgs), and the searches that
// found nothing.
type KnowledgeGaps struct {
	Window Window `json:"window"`
	Scope  Scope  `json:"scope"`
	// Run is the clustering the topics come from; nil when none has run
	// for the organization yet (Reason says so).
	Run    *TopicRun  `json:"run"`
	Reason string     `json:"reason,omitempty"`
	Topics []GapTopic `json:"topics"`
	// FailedSearches are the queries that found nothing, most repeated
	// first (at most 50).
	FailedSearches []FailedSearch `json:"failed_searches"`
}

// TopicRun describes one clustering of an organization's questions.
type TopicRun struct {
	ID         uuid.UUID `json:"id" ch:"run_id"`
	ComputedAt time.Time `json:"computed_at" ch:"computed_at"`
	WindowFrom time.Time `json:"window_from" ch:"window_from"`
	WindowTo   time.Time `json:"window_to" ch:"window_to"`
	Questions  uint32    `json:"questions" ch:"questions"`
	Topics     uint32    `json:"topics" ch:"topics"`
	Model      string    `json:"model" ch:"model"`
}

// GapTopic is one topic: how often, by how many people, its trend and
// examples, counting the questions asked in the window by the scope's
// people.
type GapTopic struct {
	Topic     uint32   `json:"topic"`
	Label     string   `json:"label"`
	Terms     []string `json:"terms"`
	Questions int64    `json:"questions"`
	People    int64    `json:"people"`
	// Weeks counts the questions per ISO week; Trend is the change of the
	// window's second half against its first (nil when the first half had
	// none).
	Weeks    []WeekCount  `json:"weeks"`
	Trend    *float64     `json:"trend"`
	Examples []GapExample `json:"examples"`
}

// WeekCount is a count in one ISO week (starting Monday, UTC).
type WeekCount struct {
	Week  string `json:"week"`
	Count int64  `json:"count"`
}

// GapExample is a conversation that asked about the topic and that the
// viewer may open.
type GapExample struct {
	ConversationID uuid.UUID `json:"conversation_id"`
	Title          string    `json:"title"`
}

// FailedSearch is a query that found nothing.
type FailedSearch struct {
	Query    string    `json:"query" ch:"query"`
	Searches uint64    `json:"searches" ch:"searches"`
	People   uint64    `json:"people" ch:"people"`
	LastAt   time.Time `json:"last_at" ch:"last_at"`
}

// staleRuns: a clustering older than this before the window's end is not
// used (the job runs daily).
const staleRuns = 30 * 24 * time.Hour

func (m *Metrics) knowledgeGaps(ctx context.Context, w Window, s Scope, v warehouse.Viewer) (*KnowledgeGaps, error) {
	out := &KnowledgeGaps{Window: w, Scope: s, Topics: []GapTopic{}, FailedSearches: []FailedSearch{}}
	var runs []TopicRun
	err := m.CH.Select(ctx, &runs, `SELECT run_id, computed_at, window_from, window_to, questions, topics, model
		FROM topic_runs FINAL WHERE org_id = ? AND computed_at >= ? AND computed_at < ?
		ORDER BY computed_at DESC, run_id LIMIT 1`, s.OrgID, w.From.Add(-staleRuns), w.To.Add(staleRuns))
	if err != nil {
		return nil, fmt.Errorf("knowledge gaps: latest run: %w", err)
	}
	if len(runs) == 0 {
		out.Reason = "no topic clustering has run for this organization in this period yet; it runs daily once questions have embeddings"
	} else {
		out.Run = &runs[0]
		if err := m.gapTopics(ctx, w, s, v, out); err != nil {
			return nil, err
		}
	}

	searches := where(s, "occurred_at", w).and("no_result = 1").and("trim(query) != ''").people(s, "user_id")
	err = m.CH.Select(ctx, &out.FailedSearches, `SELECT lower(trim(query)) AS query, count() AS searches,
			uniqExact(user_id) AS people, max(occurred_at) AS last_at
		FROM search_events FINAL `+searches.clause()+`
		GROUP BY query ORDER BY searches DESC, people DESC, query LIMIT 50`, searches.params()...)
	if err != nil {
		return nil, fmt.Errorf("knowledge gaps: failed searches: %w", err)
	}
	return out, nil
}

func (m *Metrics) gapTopics(ctx context.Context, w Window, s Scope, v warehouse.Viewer, out *KnowledgeGaps) error {
	run := out.Run
	qs := where(s, "asked_at", w).and("run_id = ?", run.ID).people(s, "user_id")
	var rows []struct {
		Topic     uint32      `ch:"topic"`
		Label     string      `ch:"label"`
		Terms     []string    `ch:"terms"`
		Questions uint64      `ch:"questions"`
		People    uint64      `ch:"people"`
		Firsts    uint64      `ch:"first_half"`
		Seconds   uint64      `ch:"second_half"`
		Examples  []uuid.UUID `ch:"examples"`
	}
	mid := w.From.Add(w.To.Sub(w.From) / 2)
	err := m.CH.Select(ctx, &rows, `SELECT q.topic AS topic, any(t.label) AS label, any(t.terms) AS terms,
			count() AS questions, uniqExact(q.user_id) AS people,
			countIf(q.asked_at < ?) AS first_half, countIf(q.asked_at >= ?) AS second_half,
			arraySlice(arrayDistinct(arrayMap(x -> x.2, arrayReverseSort(groupArray((q.asked_at, q.conversation_id))))), 1, 20) AS examples
		FROM (SELECT topic, user_id, asked_at, conversation_id FROM topic_questions FINAL `+qs.clause()+`) AS q
		JOIN (SELECT topic, label, terms FROM topics FINAL WHERE org_id = ? AND run_id = ? AND computed_at = ?) AS t
		ON t.topic = q.topic
		GROUP BY q.topic ORDER BY questions DESC, people DESC, topic LIMIT 50`,
		append(append([]any{mid, mid}, qs.params()...), s.OrgID, run.ID, run.ComputedAt)...)
	if err != nil {
		return fmt.Errorf("knowledge gaps: topics: %w", err)
	}
	var weeks []struct {
		Topic uint32    `ch:"topic"`
		Week  time.Time `ch:"week"`
		N     uint64    `ch:"n"`
	}
	err = m.CH.Select(ctx, &weeks, `SELECT topic, toMonday(asked_at) AS week, count() AS n FROM topic_questions FINAL
		`+qs.clause()+` GROUP BY topic, week ORDER BY topic, week`, qs.params()...)
	if err != nil {
		return fmt.Errorf("knowledge gaps: topic weeks: %w", err)
	}
	byTopic := map[uint32][]WeekCount{}
	for _, wk := range weeks {
		byTopic[wk.Topic] = append(byTopic[wk.Topic], WeekCount{Week: wk.Week.Format(time.DateOnly), Count: int64(wk.N)})
	}

	// Examples: only conversations the viewer may open, which Postgres
	// decides; aggregates above may count conversations they may not.
	ids := map[uuid.UUID]bool{}
	for _, r := range rows {
		for _, id := range r.Examples {
			ids[id] = true
		}
	}
	titles := map[uuid.UUID]string{}
	if len(ids) > 0 {
		err = m.DB.InOrg(ctx, s.OrgID, func(tx pgx.Tx) error {
			var err error
			titles, err = warehouse.ConversationTitles(ctx, tx, s.OrgID, v, slices.Collect(maps.Keys(ids)))
			return err
		})
		if err != nil {
			return fmt.Errorf("knowledge gaps: examples: %w", err)
		}
	}
	for _, r := range rows {
		t := GapTopic{Topic: r.Topic, Label: r.Label, Terms: r.Terms, Questions: int64(r.Questions), People: int64(r.People),
			Weeks: byTopic[r.Topic], Trend: change(float64(r.Seconds), float64(r.Firsts)), Examples: []GapExample{}}
		for _, id := range r.Examples {
			if title, ok := titles[id]; ok && len(t.Examples) < 3 {
				t.Examples = append(t.Examples, GapExample{ConversationID: id, Title: title})
			}
		}
		out.Topics = append(out.Topics, t)
	}
	return nil
}
