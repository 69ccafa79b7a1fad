//go:build scratch

package bench

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/warehouse"
)

type logCH struct {
	warehouse.ClickHouse
	print bool
}

func (t *logCH) Select(ctx context.Context, dest any, query string, args ...any) error {
	start := time.Now()
	err := t.ClickHouse.Select(ctx, dest, query, args...)
	if t.print {
		fmt.Printf("   %7.1f ms  %s\n", float64(time.Since(start).Microseconds())/1000, statementLabel(query))
	}
	return err
}

func TestProf(t *testing.T) {
	ctx := context.Background()
	events, _ := strconv.Atoi(os.Getenv("EVENTS"))
	dir := os.Getenv("DIR")
	plan := NewAnalyticsPlan(AnalyticsGenConfig{Seed: 42, Events: events})
	bdb, err := openDatabase(ctx, "postgres://ctxintel:ctxintel@127.0.0.1:5432/postgres?sslmode=disable", analyticsDatabase(events))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := warehouse.OpenClickHouse(ctx, warehouse.ClickHouseConfig{DataDir: dir, LibPath: os.Getenv("CHDB_LIB_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	lc := &logCH{ClickHouse: ch}
	end := plan.Config.End
	m := &analytics.Metrics{DB: bdb.db, CH: lc, Prices: analytics.DefaultPrices(), Now: func() time.Time { return end.Add(-time.Hour) }}
	if os.Getenv("ONEPRICE") != "" {
		m.Prices = analytics.PriceTable{Currency: "USD", Models: map[string]analytics.Price{"claude-sonnet-4": m.Prices.Models["claude-sonnet-4"]}}
	}
	o := plan.Largest()
	admin := warehouse.Viewer{UserID: o.Users[0].ID, Role: warehouse.RoleAdmin}
	only := os.Getenv("ONLY")
	for _, k := range analyticsCases {
		name := k.metric + "/" + k.groupBy
		if only != "" && only != name {
			continue
		}
		req := analytics.MetricRequest{Metric: k.metric, GroupBy: k.groupBy, OrgID: o.ID, Viewer: admin, From: end.AddDate(0, 0, -90), To: end}
		var ms, cpus []float64
		for i := 0; i < 12; i++ {
			lc.print = i >= 9
			c0, s := processCPU(), time.Now()
			if _, err := m.Get(ctx, req); err != nil {
				t.Fatal(err)
			}
			ms = append(ms, float64(time.Since(s).Microseconds())/1000)
			cpus = append(cpus, float64((processCPU()-c0).Microseconds())/1000)
		}
		sort.Float64s(ms)
		sort.Float64s(cpus)
		fmt.Printf("%-22s p50 %6.1f  max %6.1f  cpu p50 %6.1f\n", name, ms[6], ms[11], cpus[6])
	}
}

type anyRow struct {
	N uint64 `ch:"n"`
	H uint64 `ch:"h"`
	S string `ch:"s"`
}

func TestSQL(t *testing.T) {
	ctx := context.Background()
	events, _ := strconv.Atoi(os.Getenv("EVENTS"))
	plan := NewAnalyticsPlan(AnalyticsGenConfig{Seed: 42, Events: events})
	ch, err := warehouse.OpenClickHouse(ctx, warehouse.ClickHouseConfig{DataDir: os.Getenv("DIR"), LibPath: os.Getenv("CHDB_LIB_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	src, _ := os.ReadFile(os.Getenv("SQL"))
	org := plan.Largest().ID.String()
	end := plan.Config.End
	from := end.AddDate(0, 0, -90)
	for _, q := range splitSQL(string(src)) {
		q = replaceAll(q, "$ORG", "'"+org+"'", "$FROM", "toDateTime64('"+from.Format("2006-01-02 15:04:05")+"', 3, 'UTC')", "$TO", "toDateTime64('"+end.Format("2006-01-02 15:04:05")+"', 3, 'UTC')")
		if len(q) > 5 && q[:5] == "EXEC " {
			if err := ch.Exec(ctx, q[5:]); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var ms, cpu []float64
		var r []anyRow
		for i := 0; i < 7; i++ {
			r = nil
			c0, s := processCPU(), time.Now()
			if err := ch.Select(ctx, &r, "SELECT count() AS n, sum(cityHash64(*)) AS h, substring(toString(groupArray(tuple(*))), 1, 300) AS s FROM ("+q+")"); err != nil {
				t.Fatalf("%v\n%s", err, q)
			}
			cpu = append(cpu, float64((processCPU()-c0).Microseconds())/1000)
			ms = append(ms, float64(time.Since(s).Microseconds())/1000)
		}
		sort.Float64s(ms)
		sort.Float64s(cpu)
		fmt.Printf("### cpu %6.1f min %6.1f  p50 %6.1f  rows %d hash %d\n%s\n%.300s\n\n", cpu[3], ms[0], ms[3], r[0].N, r[0].H, firstLine(q), r[0].S)
	}
}

func TestPar(t *testing.T) {
	ctx := context.Background()
	events, _ := strconv.Atoi(os.Getenv("EVENTS"))
	plan := NewAnalyticsPlan(AnalyticsGenConfig{Seed: 42, Events: events})
	ch, err := warehouse.OpenClickHouse(ctx, warehouse.ClickHouseConfig{DataDir: os.Getenv("DIR"), LibPath: os.Getenv("CHDB_LIB_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	src, _ := os.ReadFile(os.Getenv("SQL"))
	org := plan.Largest().ID.String()
	end := plan.Config.End
	from := end.AddDate(0, 0, -90)
	var qs []string
	for _, q := range splitSQL(string(src)) {
		qs = append(qs, "SELECT count() AS n, sum(cityHash64(*)) AS h, '' AS s FROM ("+replaceAll(q, "$ORG", "'"+org+"'", "$FROM", "toDateTime64('"+from.Format("2006-01-02 15:04:05")+"', 3, 'UTC')", "$TO", "toDateTime64('"+end.Format("2006-01-02 15:04:05")+"', 3, 'UTC')")+")")
	}
	for round := 0; round < 5; round++ {
		s := time.Now()
		for _, q := range qs {
			var r []anyRow
			if err := ch.Select(ctx, &r, q); err != nil {
				t.Fatal(err)
			}
		}
		seq := time.Since(s)
		s = time.Now()
		done := make(chan error, len(qs))
		for _, q := range qs {
			go func() {
				var r []anyRow
				done <- ch.Select(ctx, &r, q)
			}()
		}
		for range qs {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		fmt.Printf("### seq %v par %v\n", seq, time.Since(s))
	}
}
