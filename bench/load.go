package bench

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/schollz/progressbar/v3"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// LoadStats is what loading a dataset took.
type LoadStats struct {
	Orgs          int          `json:"orgs"`
	Users         int          `json:"users"`
	Conversations int          `json:"conversations"`
	Messages      int          `json:"messages"`
	Embeddings    int          `json:"embeddings"`
	InsertSeconds float64      `json:"insert_seconds"` // generating and inserting rows, without secondary indexes
	Indexes       []IndexBuild `json:"indexes"`
	VacuumSeconds float64      `json:"vacuum_seconds"` // VACUUM (ANALYZE) of the loaded tables
	TotalSeconds  float64      `json:"total_seconds"`
	LoadedAt      time.Time    `json:"loaded_at"`
	Loaders       int          `json:"loaders"`
	Reused        bool         `json:"reused"` // this run found the dataset loaded by an earlier one
}

// IndexBuild is the time one index took to build after the load.
type IndexBuild struct {
	Name      string  `json:"name"`
	Table     string  `json:"table"`
	Seconds   float64 `json:"seconds"`
	SizeBytes int64   `json:"size_bytes"`
	Note      string  `json:"note,omitempty"`
}

// datasetSignature identifies a loaded dataset: a database whose
// signature matches can be reused as is.
type datasetSignature struct {
	Generator int    `json:"generator"` // bump when the generator's output changes
	Seed      uint64 `json:"seed"`
	Messages  int    `json:"messages"`
	Orgs      int    `json:"orgs"`
}

const generatorVersion = 3

// loadTables are the tables whose secondary indexes are dropped during
// the load and rebuilt after it.
var loadTables = []string{"messages", "message_embeddings"}

// batch is one unit of loading: a few hundred conversations, about
// BulkBatchSize messages.
type batch struct {
	convs []warehouse.Conversation
	msgs  []warehouse.BulkMessage
	vecs  [][]ChunkVector // per message
}

// Load generates the plan's dataset into db: tenants, then conversations,
// messages and chunk vectors with the secondary indexes dropped, then the
// indexes rebuilt (timed one by one) and the tables vacuumed.
func Load(ctx context.Context, db *warehouse.DB, p *Plan, progress io.Writer, loaders int) (LoadStats, error) {
	start := time.Now()
	st := LoadStats{Orgs: len(p.Orgs), Users: p.Users, Conversations: p.Conversations, Messages: p.Messages, Loaders: loaders}
	var defs []warehouse.IndexDef
	err := db.AsSystem(ctx, func(tx pgx.Tx) error {
		var err error
		if defs, err = warehouse.SecondaryIndexes(ctx, tx, loadTables...); err != nil {
			return err
		}
		for _, d := range defs {
			if err := warehouse.DropIndex(ctx, tx, d); err != nil {
				return err
			}
		}
		return loadTenants(ctx, tx, p)
	})
	if err != nil {
		return st, err
	}

	// Units of work: runs of conversations of about BulkBatchSize messages.
	type unit struct{ org, from, to int }
	var units []unit
	for oi := range p.Orgs {
		o := &p.Orgs[oi]
		from, n := 0, 0
		for ci, l := range o.ConvLengths {
			n += l
			if n >= warehouse.BulkBatchSize {
				units = append(units, unit{oi, from, ci + 1})
				from, n = ci+1, 0
			}
		}
		if from < len(o.ConvLengths) {
			units = append(units, unit{oi, from, len(o.ConvLengths)})
		}
	}
	var bar *progressbar.ProgressBar
	if progress != nil {
		bar = progressbar.NewOptions(p.Messages, progressbar.OptionSetWriter(progress), progressbar.OptionShowCount(), progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("msg"), progressbar.OptionSetDescription(fmt.Sprintf("loading %s messages", humanCount(p.Messages))),
			progressbar.OptionSetWidth(30), progressbar.OptionThrottle(500*time.Millisecond), progressbar.OptionSetPredictTime(true))
	}
	units2 := make(chan unit)
	batches := make(chan batch, 2)
	var embeddings atomic.Int64
	g, gctx := newGroup(ctx)
	g.Go(func() error {
		defer close(units2)
		for _, u := range units {
			select {
			case units2 <- u:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	var gen sync.WaitGroup
	for range 2 {
		gen.Add(1)
		g.Go(func() error {
			defer gen.Done()
			for u := range units2 {
				b := buildBatch(p, &p.Orgs[u.org], u.from, u.to)
				select {
				case batches <- b:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error { gen.Wait(); close(batches); return nil })
	for range loaders {
		g.Go(func() error {
			for b := range batches {
				n, err := insertBatch(gctx, db, b)
				if err != nil {
					return err
				}
				embeddings.Add(int64(n))
				if bar != nil {
					_ = bar.Add(len(b.msgs))
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return st, err
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(progress)
	}
	st.Embeddings = int(embeddings.Load())
	st.InsertSeconds = time.Since(start).Seconds()

	builds, err := buildIndexes(ctx, db, defs, st.Embeddings, progress)
	st.Indexes = builds
	if err != nil {
		return st, err
	}
	t0 := time.Now()
	for _, t := range []string{"conversations", "messages", "message_embeddings"} {
		if _, err := db.Pool().Exec(ctx, `vacuum (analyze) `+t); err != nil {
			return st, fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	st.VacuumSeconds = time.Since(t0).Seconds()
	st.TotalSeconds = time.Since(start).Seconds()
	st.LoadedAt = time.Now().UTC()
	return st, nil
}

func loadTenants(ctx context.Context, tx pgx.Tx, p *Plan) error {
	var (
		orgs    []warehouse.BulkOrganization
		users   []warehouse.BulkUser
		members []warehouse.BulkMembership
		teams   []warehouse.BulkTeam
		tms     []warehouse.BulkTeamMember
	)
	for oi := range p.Orgs {
		o := &p.Orgs[oi]
		plan := "pro"
		if oi == 0 {
			plan = "enterprise"
		}
		orgs = append(orgs, warehouse.BulkOrganization{ID: o.ID, Slug: o.Slug, Name: o.Slug, Plan: plan})
		teamIDs := make([]uuid.UUID, o.Teams)
		for t := range teamIDs {
			teamIDs[t] = teamID(o, t)
			teams = append(teams, warehouse.BulkTeam{OrgID: o.ID, ID: teamIDs[t], Slug: fmt.Sprintf("team-%d", t), Name: fmt.Sprintf("Team %d", t)})
		}
		for _, u := range o.Users {
			users = append(users, warehouse.BulkUser{ID: u.ID, Email: u.Email, Name: u.Name})
			members = append(members, warehouse.BulkMembership{OrgID: o.ID, UserID: u.ID, Role: u.Role})
			role := "member"
			if u.Lead {
				role = "lead"
			}
			tms = append(tms, warehouse.BulkTeamMember{OrgID: o.ID, TeamID: teamIDs[u.Team], UserID: u.ID, Role: role})
		}
	}
	if err := warehouse.BulkInsertOrganizations(ctx, tx, orgs); err != nil {
		return err
	}
	if err := warehouse.BulkInsertUsers(ctx, tx, users); err != nil {
		return err
	}
	if err := warehouse.BulkInsertMemberships(ctx, tx, members); err != nil {
		return err
	}
	if err := warehouse.BulkInsertTeams(ctx, tx, teams); err != nil {
		return err
	}
	return warehouse.BulkInsertTeamMembers(ctx, tx, tms)
}

// teamID derives a team's id from its org's (deterministic, no state).
func teamID(o *PlanOrg, t int) uuid.UUID {
	return uuid.NewSHA1(o.ID, fmt.Appendf(nil, "team-%d", t))
}

// ToWarehouse converts a generated conversation to rows.
func (c Conversation) ToWarehouse() (warehouse.Conversation, []warehouse.BulkMessage) {
	o := c.Org
	u := o.Users[c.User]
	repo := o.Repos[c.Repo]
	end := c.Messages[len(c.Messages)-1].SentAt
	start := c.StartedAt
	conv := warehouse.Conversation{OrgID: o.ID, ID: c.ID, UserID: u.ID, Tool: c.Tool, Format: c.Tool, ExternalID: c.ID.String(),
		Title: c.Title, Cwd: "/home/dev/src/" + repo.Name, GitRemote: repo.Remote, Repo: repo.Key, GitBranches: []string{c.Branch},
		Models: []string{c.Model}, StartedAt: &start, EndedAt: &end, MessageCount: len(c.Messages)}
	msgs := make([]warehouse.BulkMessage, len(c.Messages))
	for i, m := range c.Messages {
		sent := m.SentAt
		wm := warehouse.Message{Seq: i, ExternalID: fmt.Sprintf("m%d", i), Role: m.Role, Text: m.Text, SentAt: &sent, GitBranch: c.Branch}
		if m.Role == "assistant" {
			wm.Model = c.Model
		}
		msgs[i] = warehouse.BulkMessage{OrgID: o.ID, ConversationID: c.ID, Message: wm}
	}
	return conv, msgs
}

func buildBatch(p *Plan, o *PlanOrg, from, to int) batch {
	var b batch
	for i := from; i < to; i++ {
		c := p.Conversation(o, i)
		conv, msgs := c.ToWarehouse()
		b.convs = append(b.convs, conv)
		b.msgs = append(b.msgs, msgs...)
		b.vecs = append(b.vecs, p.ConversationVectors(c)...)
	}
	return b
}

// insertBatch writes one batch in one transaction and returns the number
// of vectors stored.
func insertBatch(ctx context.Context, db *warehouse.DB, b batch) (int, error) {
	n := 0
	err := db.AsSystem(ctx, func(tx pgx.Tx) error {
		// A benchmark database can lose its last commits in a crash.
		if _, err := tx.Exec(ctx, `set local synchronous_commit = off`); err != nil {
			return err
		}
		if err := warehouse.BulkInsertConversations(ctx, tx, b.convs); err != nil {
			return err
		}
		ids, err := warehouse.BulkInsertMessages(ctx, tx, b.msgs)
		if err != nil {
			return err
		}
		var es []warehouse.BulkEmbedding
		for i, chunks := range b.vecs {
			m := b.msgs[i]
			for ci, cv := range chunks {
				es = append(es, warehouse.BulkEmbedding{OrgID: m.OrgID, Embedding: warehouse.Embedding{MessageID: ids[i], ConversationID: m.ConversationID,
					Chunk: ci, StartChar: cv.Start, EndChar: cv.End, Vector: cv.Vector}})
			}
		}
		n = len(es)
		return warehouse.BulkInsertEmbeddings(ctx, tx, "use-lite", es)
	})
	return n, err
}

// buildIndexes recreates the dropped indexes with generous memory: the
// two GIN indexes of messages side by side (Postgres 15 builds GIN on one
// core), then the rest one at a time with parallel workers where the
// access method supports them (B-tree, pgvector's HNSW).
func buildIndexes(ctx context.Context, db *warehouse.DB, defs []warehouse.IndexDef, vectors int, progress io.Writer) ([]IndexBuild, error) {
	hnswMem := "2GB"
	if vectors > 1_000_000 {
		hnswMem = "8GB"
	} else if vectors > 300_000 {
		hnswMem = "4GB"
	}
	build := func(d warehouse.IndexDef, mem, note string) (IndexBuild, error) {
		conn, err := db.Pool().Acquire(ctx)
		if err != nil {
			return IndexBuild{}, err
		}
		defer conn.Release()
		if _, err := conn.Exec(ctx, `set maintenance_work_mem = '`+mem+`'`); err != nil {
			return IndexBuild{}, fmt.Errorf("set maintenance_work_mem: %w", err)
		}
		if _, err := conn.Exec(ctx, `set max_parallel_maintenance_workers = 2`); err != nil {
			return IndexBuild{}, err
		}
		if progress != nil {
			fmt.Fprintf(progress, "building index %s (%s)…\n", d.Name, note)
		}
		t0 := time.Now()
		if err := warehouse.CreateIndex(ctx, conn, d); err != nil {
			return IndexBuild{}, err
		}
		ib := IndexBuild{Name: d.Name, Table: d.Table, Seconds: time.Since(t0).Seconds(), Note: note}
		_ = conn.QueryRow(ctx, `select pg_relation_size($1::regclass)`, d.Name).Scan(&ib.SizeBytes)
		if progress != nil {
			fmt.Fprintf(progress, "  %s: %.1f s, %s\n", d.Name, ib.Seconds, humanBytes(ib.SizeBytes))
		}
		return ib, nil
	}
	var out []IndexBuild
	var gin, rest []warehouse.IndexDef
	for _, d := range defs {
		switch {
		case containsFold(d.SQL, "using gin"):
			gin = append(gin, d)
		default:
			rest = append(rest, d)
		}
	}
	var mu sync.Mutex
	g, _ := newGroup(ctx)
	for _, d := range gin {
		g.Go(func() error {
			ib, err := build(d, "2GB", fmt.Sprintf("GIN, single-threaded, built alongside %d other", len(gin)-1))
			mu.Lock()
			out = append(out, ib)
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return out, err
	}
	for _, d := range rest {
		mem, note := "1GB", "B-tree, 2 parallel workers"
		if containsFold(d.SQL, "using hnsw") {
			mem, note = hnswMem, "HNSW m=16 ef_construction=64, 2 parallel workers, maintenance_work_mem "+hnswMem
		}
		ib, err := build(d, mem, note)
		if err != nil {
			return out, err
		}
		out = append(out, ib)
	}
	return out, nil
}
