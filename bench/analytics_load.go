package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// analyticsBatchRows is the number of rows per ClickHouse insert.
const analyticsBatchRows = 100_000

// loadAnalyticsPostgres writes the plan's orgs, members and teams: what
// Metrics reads from Postgres (the plan, who may see whom).
func loadAnalyticsPostgres(ctx context.Context, db *warehouse.DB, p *AnalyticsPlan) error {
	var orgs []warehouse.BulkOrganization
	var users []warehouse.BulkUser
	var members []warehouse.BulkMembership
	var teams []warehouse.BulkTeam
	var teamMembers []warehouse.BulkTeamMember
	for _, o := range p.Orgs {
		orgs = append(orgs, warehouse.BulkOrganization{ID: o.ID, Slug: o.Slug, Name: "Analytics " + o.Slug, Plan: o.Plan})
		for _, t := range o.Teams {
			teams = append(teams, warehouse.BulkTeam{OrgID: o.ID, ID: t.ID, Slug: t.Slug, Name: t.Slug})
		}
		for i, u := range o.Users {
			users = append(users, warehouse.BulkUser{ID: u.ID, Email: u.Email, Name: u.Email})
			members = append(members, warehouse.BulkMembership{OrgID: o.ID, UserID: u.ID, Role: u.Role})
			role := "member"
			if o.Teams[u.Team].Lead == i {
				role = "lead"
			}
			teamMembers = append(teamMembers, warehouse.BulkTeamMember{OrgID: o.ID, TeamID: o.Teams[u.Team].ID, UserID: u.ID, Role: role})
		}
	}
	return db.AsSystem(ctx, func(tx pgx.Tx) error {
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
		return warehouse.BulkInsertTeamMembers(ctx, tx, teamMembers)
	})
}

// anInsert is one batch on its way to ClickHouse.
type anInsert struct {
	table   string
	columns []string
	rows    [][]any
}

// loadAnalyticsEvents generates the events and inserts them, the next
// batch being generated while ClickHouse takes the last.
func loadAnalyticsEvents(ctx context.Context, cfg *Config, ch warehouse.ClickHouse, p *AnalyticsPlan) (AnalyticsCounts, AnalyticsLoad, error) {
	load := AnalyticsLoad{BatchRows: analyticsBatchRows, LoadedAt: time.Now().UTC()}
	cfg.logf("analytics: generating and inserting about %s events (%d orgs) in batches of %s rows…", humanCount(p.Config.Events), len(p.Orgs), humanCount(analyticsBatchRows))
	start := time.Now()
	queue := make(chan anInsert, 2)
	g, gctx := newGroup(ctx)
	var counts AnalyticsCounts
	g.Go(func() error {
		defer close(queue)
		var err error
		counts, err = p.Generate(analyticsBatchRows, func(table string, columns []string, rows [][]any) error {
			select {
			case queue <- anInsert{table, columns, rows}:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
		return err
	})
	g.Go(func() error {
		var rows, next int
		for batch := range queue {
			if err := ch.Insert(gctx, batch.table, batch.columns, batch.rows); err != nil {
				return fmt.Errorf("insert %d rows into %s: %w", len(batch.rows), batch.table, err)
			}
			rows += len(batch.rows)
			load.Inserts++
			if rows >= next {
				cfg.logf("  %s rows in %.0f s (%.0f rows/s)", humanCount(rows), time.Since(start).Seconds(), float64(rows)/time.Since(start).Seconds())
				next = rows + 1_000_000
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return counts, load, err
	}
	load.Seconds, load.LoadAvg = time.Since(start).Seconds(), loadAverage()
	load.RowsPerSecond = float64(counts.Total()) / load.Seconds
	cfg.logf("analytics: %s rows in %.0f s", humanCount(counts.Total()), load.Seconds)
	return counts, load, nil
}

// settleMerges waits until ClickHouse runs no background merge (at most
// limit): the timings should see the parts a running system has, not the
// hundreds a bulk load leaves.
func settleMerges(ctx context.Context, cfg *Config, ch warehouse.ClickHouse, limit time.Duration) (float64, bool, error) {
	start := time.Now()
	cfg.logf("analytics: waiting for background merges (at most %s)…", limit)
	quiet := 0
	for time.Since(start) < limit {
		var rows []struct {
			N uint64 `ch:"n"`
		}
		if err := ch.Select(ctx, &rows, `SELECT count() AS n FROM system.merges`); err != nil {
			return 0, false, fmt.Errorf("read system.merges: %w", err)
		}
		if rows[0].N == 0 {
			quiet++
			if quiet == 3 { // three quiet looks in a row: nothing is scheduled
				return time.Since(start).Seconds(), true, nil
			}
		} else {
			quiet = 0
		}
		select {
		case <-ctx.Done():
			return 0, false, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	return time.Since(start).Seconds(), false, nil
}

// describeAnalytics reads the stored sizes, what FINAL still collapses
// for the largest org, and chDB's version and settings.
func describeAnalytics(ctx context.Context, ch warehouse.ClickHouse, p *AnalyticsPlan, res *AnalyticsResult) error {
	o := p.Largest()
	res.Largest = AnalyticsOrgInfo{Slug: o.Slug, ID: o.ID, Plan: o.Plan, Members: len(o.Users), Teams: len(o.Teams),
		Events: res.Counts.LargestOrgEvents, Share: float64(res.Counts.LargestOrgEvents) / float64(max(1, res.Counts.Total()))}
	lead := o.Users[o.Teams[0].Lead]
	res.Largest.Manager = lead.Email
	for _, u := range o.Users {
		if u.Team == 0 {
			res.Largest.ManagerScope++
		}
	}
	res.Stored = nil
	err := ch.Select(ctx, &res.Stored, `SELECT table, sum(rows) AS rows, count() AS parts, sum(data_compressed_bytes) AS bytes,
			sum(data_uncompressed_bytes) AS uncompressed
		FROM system.parts WHERE active AND database = currentDatabase() AND table != 'schema_migrations'
		GROUP BY table ORDER BY table`)
	if err != nil {
		return fmt.Errorf("read system.parts: %w", err)
	}
	res.Unmerged = map[string]float64{}
	for _, t := range []string{analytics.TableConversationEvents, analytics.TableMessageEvents, analytics.TableCommitEvents, analytics.TableLinkEvents, analytics.TableSearchEvents} {
		var rows []struct {
			All   uint64 `ch:"n_all"`
			Final uint64 `ch:"n_final"`
		}
		err := ch.Select(ctx, &rows, `SELECT (SELECT count() FROM `+t+` WHERE org_id = ?) AS n_all,
			(SELECT count() FROM `+t+` FINAL WHERE org_id = ?) AS n_final`, o.ID, o.ID)
		if err != nil {
			return fmt.Errorf("count %s: %w", t, err)
		}
		if rows[0].All > 0 {
			res.Unmerged[t] = float64(rows[0].All-rows[0].Final) / float64(rows[0].All)
		}
	}
	var settings []struct {
		Name  string `ch:"name"`
		Value string `ch:"value"`
	}
	err = ch.Select(ctx, &settings, `SELECT name, value FROM system.settings
		WHERE name IN ('max_threads', 'use_query_cache', 'use_query_condition_cache', 'max_memory_usage', 'use_uncompressed_cache')
		ORDER BY name`)
	if err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	res.Settings = map[string]string{}
	for _, s := range settings {
		res.Settings[s.Name] = s.Value
	}
	var version []struct {
		V string `ch:"v"`
	}
	if err := ch.Select(ctx, &version, `SELECT version() AS v`); err != nil {
		return err
	}
	res.Engine = "chDB (libchdb " + version[0].V + "), embedded in the benchmark process"
	return nil
}
