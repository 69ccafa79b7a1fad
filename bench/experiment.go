package bench

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Experiment is a latency measurement with one change to the database,
// next to the measurement without it.
type Experiment struct {
	Name   string        `json:"name"`
	Change string        `json:"change"` // the SQL applied (and reverted afterwards)
	Cells  []LatencyCell `json:"cells"`
	// Leakproof is the state during the experiment; the main
	// measurements ran in the other.
	Leakproof bool `json:"leakproof"`
}

// leakproofFunctions are the functions behind the keyword search's
// operators. Under row-level security Postgres evaluates a query's
// conditions before the policy's only when their functions are LEAKPROOF;
// otherwise it cannot use them as index conditions, and the GIN indexes
// on (org_id, tsv) and (org_id, left(text, 20000)) serve only org_id.
// scripts/setup.sh marks them in the template benchmark databases copy.
var leakproofFunctions = []string{`pg_catalog.ts_match_vq(tsvector, tsquery)`, `pg_catalog.texticlike(text, text)`, `pg_catalog."left"(text, integer)`}

// runLeakproofExperiment measures keyword and hybrid search with the
// keyword operators' functions in the other LEAKPROOF state than the
// benchmark database has (set-up marks them; a database made without that
// step has them unmarked), then restores the state. It needs a superuser.
func runLeakproofExperiment(ctx context.Context, cfg *Config, b *benchDB, p *Plan) (*Experiment, error) {
	su, err := databaseURL(cfg.SuperuserURL, b.name)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, su)
	if err != nil {
		return nil, fmt.Errorf("connect as superuser: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	marked := 0
	for _, f := range leakproofFunctions {
		var leakproof bool
		if err := conn.QueryRow(ctx, `select proleakproof from pg_proc where oid = $1::regprocedure`, f).Scan(&leakproof); err != nil {
			return nil, fmt.Errorf("look up %s: %w", f, err)
		}
		if leakproof {
			marked++
		}
	}
	// The main measurements ran in the database's state; the experiment
	// flips it (a mixed state is completed first).
	ex := &Experiment{Name: "keyword operators marked LEAKPROOF", Leakproof: marked < len(leakproofFunctions)}
	set := func(leakproof bool) (string, error) {
		word := "not leakproof"
		if leakproof {
			word = "leakproof"
		}
		var stmts []string
		for _, f := range leakproofFunctions {
			stmt := "alter function " + f + " " + word
			if _, err := conn.Exec(context.WithoutCancel(ctx), stmt); err != nil {
				return "", fmt.Errorf("%s: %w", stmt, err)
			}
			stmts = append(stmts, stmt+";")
		}
		return strings.Join(stmts, "\n"), nil
	}
	if ex.Change, err = set(ex.Leakproof); err != nil {
		return nil, err
	}
	defer func() {
		if _, err := set(!ex.Leakproof); err != nil && cfg.Logger != nil {
			cfg.Logger.Error("restore the LEAKPROOF state of the benchmark database", "error", err)
		}
	}()
	// A fresh pool: no plan cached before the change.
	db, err := warehouse.OpenPostgres(ctx, b.url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	qs := p.Queries(400, 1)
	emb, err := NewFixedEmbedder(qs)
	if err != nil {
		return nil, err
	}
	svc := &search.Service{DB: db, Embedder: emb, Logger: cfg.Logger, Jobs: analyticsJobs(db)}
	largest, _, small := benchOrgs(p)
	state := "without LEAKPROOF"
	if ex.Leakproof {
		state = "with LEAKPROOF"
	}
	for _, target := range []struct {
		name string
		o    *PlanOrg
		conc []int
	}{{"largest", largest, []int{1, 8}}, {"small", small, []int{1}}} {
		vectors, err := b.countVectors(ctx, target.o.ID)
		if err != nil {
			return ex, err
		}
		viewer := warehouse.Viewer{UserID: target.o.Users[1].ID, Role: target.o.Users[1].Role}
		for _, mode := range []search.Mode{search.ModeKeyword, search.ModeHybrid} {
			for _, conc := range target.conc {
				cfg.logf("%s: experiment (%s) %s org, %s, concurrency %d…", p.sizeName(), state, target.name, mode, conc)
				c := measureCell(ctx, cfg, svc, target.o, viewer, mode, conc, qs)
				c.Org, c.OrgMessages, c.OrgVectors = target.name, target.o.Messages, vectors
				cfg.logf("  p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  (n=%d)", c.P50, c.P95, c.P99, c.N)
				ex.Cells = append(ex.Cells, c)
			}
		}
	}
	return ex, nil
}

// runPlanCacheExperiment measures keyword, semantic and hybrid search
// with Postgres free to use generic plans (plan_cache_mode = auto, its
// default) instead of the service's force_custom_plan (set by
// warehouse.OpenPostgres). pgx prepares each statement and Postgres may
// switch to a generic plan after five executions of one shape; in a
// generic plan plainto_tsquery($n) is no constant, so it is evaluated
// again for every candidate row, and the selectivity of the words is
// unknown.
func runPlanCacheExperiment(ctx context.Context, cfg *Config, b *benchDB, p *Plan) (*Experiment, error) {
	db, err := warehouse.OpenPostgres(ctx, b.url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// OpenPostgres asks for custom plans in every connection's start-up
	// parameters; the pool's connections are opened now and set back.
	var conns []*pgxpool.Conn
	for range db.Pool().Config().MaxConns {
		c, err := db.Pool().Acquire(ctx)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
		if _, err := c.Exec(ctx, `set plan_cache_mode = auto`); err != nil {
			return nil, err
		}
	}
	for _, c := range conns {
		c.Release()
	}
	ex := &Experiment{Name: "generic plans allowed", Change: "plan_cache_mode = auto  -- Postgres' default; the service sets force_custom_plan on its connections"}
	qs := p.Queries(400, 1)
	emb, err := NewFixedEmbedder(qs)
	if err != nil {
		return nil, err
	}
	svc := &search.Service{DB: db, Embedder: emb, Logger: cfg.Logger, Jobs: analyticsJobs(db)}
	o, _, _ := benchOrgs(p)
	vectors, err := b.countVectors(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	viewer := warehouse.Viewer{UserID: o.Users[1].ID, Role: o.Users[1].Role}
	for _, mode := range []search.Mode{search.ModeKeyword, search.ModeSemantic, search.ModeHybrid} {
		cfg.logf("%s: experiment (generic plans allowed) largest org, %s, concurrency 1…", p.sizeName(), mode)
		c := measureCell(ctx, cfg, svc, o, viewer, mode, 1, qs)
		c.Org, c.OrgMessages, c.OrgVectors = "largest", o.Messages, vectors
		cfg.logf("  p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  (n=%d)", c.P50, c.P95, c.P99, c.N)
		ex.Cells = append(ex.Cells, c)
	}
	return ex, nil
}
