package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/ingest/transcript"
	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// LagResult is the ingest-to-searchable lag: from ingest.Service.Store
// returning (the capture is committed) until the capture is processed
// (keyword-searchable) and until every message has its vectors
// (semantically searchable).
type LagResult struct {
	Database    string  `json:"database"`
	Captures    int     `json:"captures"`
	IntervalMS  float64 `json:"interval_ms"` // between two captures
	Messages    int     `json:"messages"`
	Chunks      int     `json:"chunks"`
	KeywordP50  float64 `json:"keyword_p50_s"`
	KeywordP95  float64 `json:"keyword_p95_s"`
	KeywordMax  float64 `json:"keyword_max_s"`
	SemanticP50 float64 `json:"semantic_p50_s"`
	SemanticP95 float64 `json:"semantic_p95_s"`
	SemanticMax float64 `json:"semantic_max_s"`
	Incomplete  int     `json:"incomplete"` // captures not searchable when the wait ended
	Workers     string  `json:"workers"`
}

const (
	lagCaptures = 30
	lagInterval = 3 * time.Second
)

// runLag stores realistic Claude Code captures one every lagInterval into
// a fresh org of a loaded benchmark database, with the real River workers
// (parse, then embed with the real USE-Lite model) running, and watches
// when each becomes searchable. The org is deleted afterwards.
func runLag(ctx context.Context, cfg *Config, b *benchDB, model *search.USELite) (LagResult, error) {
	r := LagResult{Database: b.name, Captures: lagCaptures, IntervalMS: float64(lagInterval.Milliseconds()),
		Workers: "River: ingest queue, embedding queue 2 workers (USE-Lite uses both cores per batch)"}
	if cfg.Workers == nil {
		return r, errors.New("no job workers configured")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	now := time.Now()
	org := warehouse.BulkOrganization{ID: uuid.New(), Slug: fmt.Sprintf("bench-lag-%d", now.Unix()), Name: "Ingest lag"}
	user := warehouse.BulkUser{ID: uuid.New(), Email: fmt.Sprintf("dev@%s.example", org.Slug), Name: "Lag Tester"}
	err := b.db.AsSystem(ctx, func(tx pgx.Tx) error {
		if err := warehouse.BulkInsertOrganizations(ctx, tx, []warehouse.BulkOrganization{org}); err != nil {
			return err
		}
		if err := warehouse.BulkInsertUsers(ctx, tx, []warehouse.BulkUser{user}); err != nil {
			return err
		}
		return warehouse.BulkInsertMemberships(ctx, tx, []warehouse.BulkMembership{{OrgID: org.ID, UserID: user.ID, Role: warehouse.RoleDeveloper}})
	})
	if err != nil {
		return r, err
	}
	defer func() {
		_ = b.db.AsSystem(context.WithoutCancel(ctx), func(tx pgx.Tx) error {
			_, err := tx.Exec(context.WithoutCancel(ctx), `delete from organizations where id = $1`, org.ID)
			return err
		})
	}()

	red, err := redact.New()
	if err != nil {
		return r, err
	}
	ing := &ingest.Service{DB: b.db, Redactor: red, Logger: cfg.Logger}
	searcher := &search.Service{DB: b.db, Embedder: model, Logger: cfg.Logger}
	workers, err := cfg.Workers(b.db, ing, searcher)
	if err != nil {
		return r, err
	}
	if err := workers.Start(ctx); err != nil {
		return r, fmt.Errorf("start workers: %w", err)
	}
	defer func() {
		stopCtx, done := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer done()
		_ = workers.Stop(stopCtx)
	}()

	// Captures: conversations of the generator (a different seed than any
	// loaded dataset) in Claude Code's JSONL format.
	p := NewPlan(GenConfig{Seed: cfg.Seed + 1000, Messages: 2000, Orgs: 1})
	type pending struct {
		capture, conv         uuid.UUID
		session               string
		stored                time.Time
		keyword, semantic     time.Duration
		keywordOK, semanticOK bool
	}
	var ps []*pending
	cfg.logf("ingest lag: %d captures, one every %s, real workers and USE-Lite…", lagCaptures, lagInterval)
	deadline := time.Now().Add(lagCaptures*lagInterval + 3*time.Minute)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	nextStore := time.Now()
	for {
		if len(ps) < lagCaptures && !time.Now().Before(nextStore) {
			c := p.Conversation(&p.Orgs[0], len(ps))
			session := uuid.NewString()
			data := claudeCodeJSONL(c, session, time.Now())
			for _, m := range c.Messages {
				r.Messages++
				r.Chunks += len(search.Chunk(m.Text, 400))
			}
			stored, err := ing.Store(ctx, ingest.Upload{OrgID: org.ID, UserID: user.ID, Format: transcript.FormatClaudeCodeJSONL,
				Name: "~/.claude/projects/-home-dev-src-shop-api/" + session + ".jsonl", Data: data})
			if err != nil {
				return r, err
			}
			ps = append(ps, &pending{capture: stored.Capture.ID, session: session, stored: time.Now()})
			nextStore = nextStore.Add(lagInterval)
		}
		if err := pollLag(ctx, b.db, org.ID, func(capture uuid.UUID, processed bool, session string, missing, total int) {
			for _, x := range ps {
				if x.capture == capture && processed && !x.keywordOK {
					x.keywordOK, x.keyword = true, time.Since(x.stored)
				}
				if x.session == session && total > 0 && missing == 0 && !x.semanticOK {
					x.semanticOK, x.semantic = true, time.Since(x.stored)
				}
			}
		}); err != nil {
			return r, err
		}
		done := len(ps) == lagCaptures
		for _, x := range ps {
			done = done && x.keywordOK && x.semanticOK
		}
		if done || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-tick.C:
		}
	}
	var kw, sem []float64
	for _, x := range ps {
		if x.keywordOK {
			kw = append(kw, x.keyword.Seconds())
		}
		if x.semanticOK {
			sem = append(sem, x.semantic.Seconds())
		}
		if !x.keywordOK || !x.semanticOK {
			r.Incomplete++
		}
	}
	sort.Float64s(kw)
	sort.Float64s(sem)
	if len(kw) > 0 {
		r.KeywordP50, r.KeywordP95, r.KeywordMax = percentile(kw, 50), percentile(kw, 95), kw[len(kw)-1]
	}
	if len(sem) > 0 {
		r.SemanticP50, r.SemanticP95, r.SemanticMax = percentile(sem, 50), percentile(sem, 95), sem[len(sem)-1]
	}
	cfg.logf("  keyword-searchable p50 %.2f s p95 %.2f s; semantic p50 %.2f s p95 %.2f s; %d incomplete", r.KeywordP50, r.KeywordP95, r.SemanticP50, r.SemanticP95, r.Incomplete)
	return r, nil
}

// pollLag reports each capture's status and each conversation's vector
// coverage (by Claude Code session id).
func pollLag(ctx context.Context, db *warehouse.DB, orgID uuid.UUID, fn func(capture uuid.UUID, processed bool, session string, missing, total int)) error {
	return db.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select id, status = 'processed' from raw_captures where org_id = $1`, orgID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id uuid.UUID
			var ok bool
			if err := rows.Scan(&id, &ok); err != nil {
				rows.Close()
				return err
			}
			fn(id, ok, "", 0, 0)
		}
		rows.Close()
		rows, err = tx.Query(ctx, `select c.external_id, count(*) filter (where not exists (select 1 from message_embeddings e
				where e.org_id = m.org_id and e.message_id = m.id)), count(*)
			from conversations c join messages m on m.org_id = c.org_id and m.conversation_id = c.id
			where c.org_id = $1 and m.role in ('user', 'assistant') and m.text <> ''
			group by c.external_id`, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var session string
			var missing, total int
			if err := rows.Scan(&session, &missing, &total); err != nil {
				return err
			}
			fn(uuid.Nil, false, session, missing, total)
		}
		return rows.Err()
	})
}

// claudeCodeJSONL renders a conversation as Claude Code writes it.
func claudeCodeJSONL(c Conversation, session string, start time.Time) []byte {
	var out []byte
	repo := c.Org.Repos[c.Repo]
	parent := ""
	for i, m := range c.Messages {
		id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%s/%d", session, i)).String()
		line := map[string]any{"type": m.Role, "timestamp": start.Add(time.Duration(i) * 40 * time.Second).UTC().Format("2006-01-02T15:04:05.000Z"),
			"sessionId": session, "cwd": "/home/dev/src/" + repo.Name, "gitBranch": c.Branch, "version": "2.0.14", "uuid": id, "parentUuid": nil}
		if parent != "" {
			line["parentUuid"] = parent
		}
		if m.Role == "user" {
			line["message"] = map[string]any{"role": "user", "content": m.Text}
		} else {
			line["message"] = map[string]any{"role": "assistant", "model": c.Model, "content": []any{map[string]any{"type": "text", "text": m.Text}},
				"usage": map[string]any{"input_tokens": 1200 + 37*i, "output_tokens": len(m.Text) / 4}}
		}
		b, _ := json.Marshal(line)
		out = append(append(out, b...), '\n')
		parent = id
	}
	return out
}
