package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/context-intelligence/ctxintel/analytics"
)

// writeAnalytics renders the "## Analytics" section.
func writeAnalytics(b *strings.Builder, a *AnalyticsResult) {
	if a == nil {
		return
	}
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	c := a.Counts
	w("## Analytics\n\n")
	w("The dashboard metrics of issue #6 at %s events, measured by `ctxintel bench --parts analytics` (part of `make bench`): synthetic ClickHouse events of %d organizations over %d days, and every metric of the largest org timed through `analytics.Metrics.Get`, the code the dashboard and the API call (Postgres scope lookup included), over the last 30 and 90 days of the data, cold and warm. ",
		humanCount(c.Total()), a.Orgs, int(a.To.Sub(a.From).Hours()/24))
	w("Reproduce with `bin/ctxintel bench --parts analytics --reuse --out BENCHMARKS.md` (`--analytics-events` sizes it, default 10M; the first run generates and loads the data into `%s` and a chDB directory of its own, `.bench/analytics-chdb`, which `--reuse` keeps).\n\n", a.Database)

	// Target.
	w("### Target\n\n")
	w("Each dashboard metric p95 < %.0f ms over 90 days for the largest org at 10M events on this 2-core machine. Judged on warm runs (a dashboard is opened over and over; ClickHouse's caches are warm); cold runs are shown next to them.\n\n", targetMetricP95MS)
	w("| metric (admin, whole org, 90 days) | warm p95 | cold p95 | < %.0f ms warm | < %.0f ms cold |\n|---|---|---|---|---|\n", targetMetricP95MS, targetMetricP95MS)
	var meets, misses []string
	for _, t := range a.wholeOrg90() {
		w("| %s | %.0f ms | %.0f ms | %s | %s |\n", t.Name(), t.Warm.P95, t.Cold.P95, yes(t.Warm.P95 < targetMetricP95MS), yes(t.Cold.P95 < targetMetricP95MS))
		if t.Warm.P95 < targetMetricP95MS {
			meets = append(meets, t.Name())
		} else {
			misses = append(misses, t.Name())
		}
	}
	w("\n")
	switch {
	case len(misses) == 0:
		w("**Every metric meets the target (warm p95 < %.0f ms over 90 days).**\n\n", targetMetricP95MS)
	case len(meets) == 0:
		w("**No metric meets the target.** See the findings below for why and the fixes.\n\n")
	default:
		w("**Meet the target:** %s. **Miss it:** %s (see the findings below).\n\n", strings.Join(meets, ", "), strings.Join(misses, ", "))
	}

	// Machine.
	if m := a.Machine; m != nil {
		w("### Machine\n\n| | |\n|---|---|\n")
		w("| CPU | %s, %d cores |\n| RAM | %.1f GB |\n| OS | %s |\n| Go | %s |\n| ClickHouse | %s |\n", m.CPU, m.Cores, m.RAMGB, m.OS, m.Go, a.Engine)
		var set []string
		for _, k := range []string{"max_threads", "max_memory_usage", "use_query_cache", "use_query_condition_cache", "use_uncompressed_cache"} {
			if v, ok := a.Settings[k]; ok {
				set = append(set, k+" "+v)
			}
		}
		w("| ClickHouse settings | %s (defaults) |\n| Postgres | %s (orgs, members, teams; the scope lookup) |\n", strings.Join(set, ", "), m.Postgres)
		w("| load average (1/5/15 min) | %.2f / %.2f / %.2f when the timings started, %.2f / %.2f / %.2f when they ended |\n\n",
			a.LoadBefore[0], a.LoadBefore[1], a.LoadBefore[2], a.LoadAfter[0], a.LoadAfter[1], a.LoadAfter[2])
		w("The machine is shared: other engineers' builds, test suites and the search benchmark ran at the same time, so the latencies include their noise (a load average above 2 means queries waited for a core).\n\n")
	}

	// Dataset.
	w("### Dataset\n\n")
	w("Synthetic and deterministic (seed %d, `bench/analytics_plan.go`), %s to %s. %d organizations whose sizes follow Zipf (exponent 1.4), %d members (one per 6,000 events, 3 to 500 per org) in %d teams of about ten, each led by a manager. ",
		a.Seed, a.From.Format("2006-01-02"), a.To.AddDate(0, 0, -1).Format("2006-01-02"), a.Orgs, a.Users, a.Teams)
	w("The largest org, `%s` (plan %s), has %d members in %d teams and %s events (%.0f%% of all). ", a.Largest.Slug, a.Largest.Plan, a.Largest.Members, a.Largest.Teams, humanCount(a.Largest.Events), 100*a.Largest.Share)
	w("People adopt assistants over the months (60%% in the first two weeks, the rest later) and use them more towards the end; activity is on working days and hours. ")
	w("Conversations have 5–200 messages (log-normal, median 22; user turns, assistant answers, tool results), six tools with their models (one or two per conversation, tokens per model with cache reads and writes); members commit every working day at their own rate (bots too); a commit is linked to its author’s latest conversation of the three days before in half the cases where there is one; about 10%% of searches find nothing, mostly recurring internal names; a topic clustering every 30 days over the questions (3%% of user messages) of the 90 days before it.\n\n")
	w("Re-projections are written as the service writes them: 2%% of conversations mid-session and again at the end, 2%% twice in full (a retried job or a rebuild), 2%% imported days later; 10%% of commits before their diff arrived; 4%% of links removed later; 1%% of searches twice.\n\n")
	stored := map[string]TableSize{}
	for _, s := range a.Stored {
		stored[s.Table] = s
	}
	w("| table | rows written | of which re-projections | stored rows after merges | parts | on disk (compressed) | uncompressed |\n|---|---|---|---|---|---|---|\n")
	row := func(table string, written, dups int, note string) {
		s := stored[table]
		w("| %s | %s | %s | %s | %d | %s | %s |\n", table, fmtInt(written), note+fmtDups(dups, written), fmtInt(int(s.Rows)), s.Parts, humanBytes(int64(s.Bytes)), humanBytes(int64(s.Uncompressed)))
	}
	row(analytics.TableConversationEvents, c.Conversations, c.ConversationDups, "")
	row(analytics.TableMessageEvents, c.Messages, c.MessageDups, "")
	row(analytics.TableCommitEvents, c.Commits, c.CommitDups, "")
	row(analytics.TableLinkEvents, c.Links, c.LinkRemovals, "removals: ")
	row(analytics.TableSearchEvents, c.Searches, c.SearchDups, "")
	row(analytics.TableTopicRuns, c.TopicRuns, 0, "")
	row(analytics.TableTopics, c.Topics, 0, "")
	row(analytics.TableTopicQuestions, c.TopicQuestions, 0, "")
	for _, t := range []string{analytics.TableConversationsDaily, analytics.TableCommitsDaily, analytics.TableSearchesDaily, analytics.TableAdopters} {
		s := stored[t]
		w("| %s (rollup, materialized view) | — | — | %s | %d | %s | %s |\n", t, fmtInt(int(s.Rows)), s.Parts, humanBytes(int64(s.Bytes)), humanBytes(int64(s.Uncompressed)))
	}
	w("| **all event tables** | **%s** | | | | | |\n\n", fmtInt(c.Total()))
	linkedShare := float64(c.LinkedCommits) / float64(max(1, c.Commits-c.CommitDups))
	w("%s user messages; %s of %s commits (%.0f%%) linked; %s searches found nothing (%.1f%%). ",
		fmtInt(c.UserMessages), fmtInt(c.LinkedCommits), fmtInt(c.Commits-c.CommitDups), 100*linkedShare, fmtInt(c.NoResultSearches), 100*float64(c.NoResultSearches)/float64(max(1, c.Searches)))
	if len(a.Unmerged) > 0 {
		var parts []string
		for _, t := range []string{analytics.TableConversationEvents, analytics.TableMessageEvents, analytics.TableCommitEvents, analytics.TableLinkEvents, analytics.TableSearchEvents} {
			parts = append(parts, fmt.Sprintf("%s %.2f%%", t, 100*a.Unmerged[t]))
		}
		w("When the timings ran, the background merges had already collapsed re-projected rows; the share of the largest org's rows that FINAL still had to collapse: %s. FINAL still merges the parts of each partition it reads, so it costs the same whether duplicates remain or not (see the experiments).", strings.Join(parts, ", "))
	}
	w("\n\n")

	// Load.
	l := a.Load
	w("### Loading\n\n")
	reused := ""
	if l.Reused {
		reused = fmt.Sprintf(" This run reused the dataset loaded %s.", l.LoadedAt.Format("2006-01-02 15:04 UTC"))
	}
	settled := "the merges had finished"
	if !l.Settled {
		settled = "merges were still running when the wait ended"
	}
	shared := ""
	if l.LoadAvg[0] > 0 {
		shared = fmt.Sprintf("; the load average was %.1f when the inserts ended (other work shared the cores)", l.LoadAvg[0])
	}
	w("Generating and inserting every row took **%.0f s (%.0f rows/s)**: %d `ClickHouse.Insert` calls of up to %s rows (`INSERT … VALUES`, the materialized views updating the rollups on the way), generation overlapped with the inserts%s. Postgres (orgs, members, teams) took %.1f s; waiting for the background merges afterwards %.0f s (%s).%s\n\n",
		l.Seconds, l.RowsPerSecond, l.Inserts, humanCount(l.BatchRows), shared, l.Postgres, l.Settle, settled, reused)

	// Latency.
	writeAnalyticsLatency(b, a)
	writeAnalyticsStatements(b, a)
	writeAnalyticsExperiments(b, a)
	writeAnalyticsFindings(b, a)
	writeProjectionLag(b, a)

	w("### Method notes (analytics)\n\n")
	w("- Wall time around `Metrics.Get` in the benchmark process; chDB is embedded (no network), runs one statement at a time and each with up to `max_threads` threads. Percentiles are nearest-rank. All cold runs come first, then the disk-cold ones, then %d warm runs per cell; each phase goes round-robin over the cells (metric × window × viewer), so that a burst of other work on the machine hits every cell alike. ClickHouse's caches hold the whole working set of all cells during the warm phase.\n", warmRuns)
	w("- **Cold** (%d runs per cell) means each run follows `SYSTEM DROP` of %s. The **OS page cache is not dropped** for these: the data files stay in memory, as on a server that has been running. **Disk-cold** (%d runs per cell) also evicts the chDB data files from the OS page cache first (`posix_fadvise(POSIX_FADV_DONTNEED)` on every file of the data directory; only these files, so other processes keep their caches): the first dashboard load after a restart.\n",
		coldRuns, strings.Join(a.ColdCaches, ", "), diskRuns)
	w("- Warm runs keep ClickHouse's defaults: the query cache is off (`use_query_cache` 0), so every run computes its result; the query condition cache is on, as on a server.\n")
	w("- The windows end at the data's end (%s) and start 30 or 90 days before; the org's plan allows both. The manager timings use the view of the lead of `team-00` (%d people).\n\n", a.To.Format("2006-01-02"), a.Largest.ManagerScope)
}

func writeAnalyticsLatency(b *strings.Builder, a *AnalyticsResult) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("### Metric latency\n\n")
	w("The largest org (`%s`, %s events), as its admin (the whole org). Milliseconds; cold n = %d, disk-cold n = %d, warm n = %d per cell.\n\n", a.Largest.Slug, humanCount(a.Largest.Events), coldRuns, diskRuns, warmRuns)
	w("| metric | window | cold p50 / p95 / p99 | disk-cold p50 / max | warm p50 / p95 / p99 | warm CPU p50 | warm p95 < %.0f ms | what it returned |\n|---|---|---|---|---|---|---|---|\n", targetMetricP95MS)
	for _, t := range a.Timings {
		if t.Scope != "admin" {
			continue
		}
		disk := "—"
		if t.DiskCold != nil {
			disk = fmt.Sprintf("%.0f / %.0f", t.DiskCold.P50, t.DiskCold.Max)
		}
		w("| %s | %d days | %.0f / %.0f / %.0f | %s | %.0f / %.0f / %.0f | %s | %s | %s |\n", t.Name(), t.Days, t.Cold.P50, t.Cold.P95, t.Cold.P99, disk,
			t.Warm.P50, t.Warm.P95, t.Warm.P99, cpuOf(t.WarmCPU), yes(t.Warm.P95 < targetMetricP95MS), t.Check)
	}
	w("\n")
	w("*Warm CPU* is the CPU time the benchmark process (chDB's threads included) spent per warm run: the work a run needs, less sensitive to other work than wall time but not immune to it (on this VM, busy neighbours slow every instruction). On an idle machine a run's wall time would lie between that divided by the threads it ran on (at most %s) and that.\n\n", a.Settings["max_threads"])
	var mgr []MetricTiming
	for _, t := range a.Timings {
		if t.Scope == "manager" {
			mgr = append(mgr, t)
		}
	}
	if len(mgr) > 0 {
		w("As a manager (`%s`: their team and themselves, %d people; the queries add `user_id IN members`, or the authors' e-mails for commits, in PREWHERE), 90 days. Milliseconds; cold n = %d, warm n = %d.\n\n", a.Largest.Manager, a.Largest.ManagerScope, mgr[0].Cold.N, mgr[0].Warm.N)
		w("| metric | cold p50 / p95 | warm p50 / p95 / p99 | warm CPU p50 | warm p95 < %.0f ms | what it returned |\n|---|---|---|---|---|---|\n", targetMetricP95MS)
		for _, t := range mgr {
			w("| %s | %.0f / %.0f | %.0f / %.0f / %.0f | %s | %s | %s |\n", t.Name(), t.Cold.P50, t.Cold.P95, t.Warm.P50, t.Warm.P95, t.Warm.P99, cpuOf(t.WarmCPU), yes(t.Warm.P95 < targetMetricP95MS), t.Check)
		}
		w("\n")
	}
}

func writeAnalyticsStatements(b *strings.Builder, a *AnalyticsResult) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("### Where the time goes\n\n")
	w("Each metric runs a few ClickHouse statements one after the other; their warm times for the whole org over 90 days (named by the tables they read), and the rest of `Get` (the Postgres scope lookup, decoding):\n\n")
	w("| metric | statement | warm p50 | warm p95 |\n|---|---|---|---|\n")
	for _, t := range a.wholeOrg90() {
		for i, s := range t.Statements {
			w("| %s | %d. %s | %.1f ms | %.1f ms |\n", t.Name(), i+1, s.Label, s.P50, s.P95)
		}
		w("| %s | Postgres and the rest | %.1f ms | |\n", t.Name(), t.PostgresP50)
	}
	w("\n")
}

func writeProjectionLag(b *strings.Builder, a *AnalyticsResult) {
	l := a.Lag
	if l == nil {
		return
	}
	events, days := a.Counts.Total(), int(a.To.Sub(a.From).Hours()/24)
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("### Projection lag\n\n")
	w("%d Claude Code captures (%d messages) stored through `ingest.Service.Store`, one every %.2f s (%.0f messages/s offered), for a new org of `%s`; %s; %s. The projection writes into a ClickHouse database of its own beside the loaded dataset (dropped afterwards). A conversation counts as visible when the inserts holding its row and every one of its message rows have completed.\n\n",
		l.Captures, l.Messages, l.IntervalMS/1000, l.OfferedPerSec, l.Database, l.Workers, l.Writers)
	w("| from `Store` returning until | p50 | p95 | max |\n|---|---|---|---|\n")
	w("| processed (in Postgres) | %.2f s | %.2f s | |\n", l.ProcessedP50, l.ProcessedP95)
	w("| in ClickHouse | %.2f s | %.2f s | %.2f s |\n", l.VisibleP50, l.VisibleP95, l.VisibleMax)
	w("| **projection lag** (processed → in ClickHouse) | **%.2f s** | %.2f s | %.2f s |\n\n", l.ProjectP50, l.ProjectP95, l.ProjectMax)
	keeps := "does not grow over the run: the projection keeps up"
	if l.LateP50 > 2*l.EarlyP50+0.5 {
		keeps = "grows over the run: the projection falls behind at this rate"
	}
	w("Projection lag p50 of the first third of the captures %.2f s, of the last third %.2f s: it %s. ", l.EarlyP50, l.LateP50, keeps)
	if l.Incomplete > 0 {
		w("%d captures were not in ClickHouse when the wait ended. ", l.Incomplete)
	}
	w("Most of the lag is the writers' group commit: a batch is inserted 1 s after its first row unless 1,000 rows arrive sooner.\n\n")
	w("One message `BatchWriter` alone, with %d jobs writing 40-row conversations at once, stores **%.0f rows/s** (%s rows): %.0f× the messages this lag run offered, and thousands of times the benchmark dataset's own average (%s events over %d days, %.1f per second). The projection keeps up with ingest with a wide margin.\n\n",
		l.WriterClients, l.WriterRowsPerSec, humanCount(l.WriterRows), l.WriterRowsPerSec/max(l.OfferedPerSec, 1), humanCount(events), days, float64(events)/float64(days)/86400)
}

// timingOf finds a timing cell.
func (a *AnalyticsResult) timingOf(metric, groupBy, scope string, days int) *MetricTiming {
	for i := range a.Timings {
		t := &a.Timings[i]
		if t.Metric == metric && t.GroupBy == groupBy && t.Scope == scope && t.Days == days {
			return t
		}
	}
	return nil
}

// wholeOrg90 are the timings of the whole org (its admin) over 90 days:
// the cells the target is judged on.
func (a *AnalyticsResult) wholeOrg90() []MetricTiming {
	var out []MetricTiming
	for _, t := range a.Timings {
		if t.Scope == "admin" && t.Days == 90 {
			out = append(out, t)
		}
	}
	return out
}

// experimentOf finds an experiment by its metric and the start of its change.
func (a *AnalyticsResult) experimentOf(metric, groupBy, change string) *MetricExperiment {
	for i := range a.Experiments {
		e := &a.Experiments[i]
		if e.Metric == metric && e.GroupBy == groupBy && strings.HasPrefix(e.Change, change) {
			return e
		}
	}
	return nil
}

// writeAnalyticsFindings explains the misses from the measurements and
// says what would fix them.
func writeAnalyticsFindings(b *strings.Builder, a *AnalyticsResult) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	var misses, idle, tight, heavy []string
	for _, t := range a.wholeOrg90() {
		if t.Warm.P95 >= targetMetricP95MS {
			misses = append(misses, t.Name())
		}
		cpu := fmt.Sprintf("%s %.0f ms", t.Name(), t.WarmCPU.P50)
		switch {
		case t.WarmCPU.P50 < targetMetricP95MS:
			idle = append(idle, cpu)
		case t.WarmCPU.P50 < 2*targetMetricP95MS:
			tight = append(tight, cpu)
		default:
			heavy = append(heavy, cpu)
		}
	}
	w("### Findings and recommended fixes\n\n")
	if len(misses) == 0 {
		w("1. **Every metric meets the target** over 90 days, warm, on this run (load average %.1f–%.1f while they ran). ", min(a.LoadBefore[0], a.LoadAfter[0]), max(a.LoadBefore[0], a.LoadAfter[0]))
	} else {
		verb := "misses"
		if len(misses) > 1 {
			verb = "miss"
		}
		w("1. **What misses, and how much is the machine.** Over 90 days, %s %s the target on this run. The wall times include waiting for a core (load average %.1f–%.1f while they ran). ", strings.Join(misses, ", "), verb, min(a.LoadBefore[0], a.LoadAfter[0]), max(a.LoadBefore[0], a.LoadAfter[0]))
	}
	w("The CPU time per call is the work itself: ")
	if len(idle) > 0 {
		w("under %.0f ms for %s, which meet the target with the machine to themselves; ", targetMetricP95MS, strings.Join(idle, ", "))
	}
	if len(tight) > 0 {
		w("between %.0f and %.0f ms for %s, which meet it only if ClickHouse keeps both cores busy for the whole call (it does not: most statements are small); ", targetMetricP95MS, 2*targetMetricP95MS, strings.Join(tight, ", "))
	}
	if len(heavy) > 0 {
		w("over %.0f ms for %s, which cannot meet it on 2 cores whatever else runs; ", 2*targetMetricP95MS, strings.Join(heavy, ", "))
	}
	w("a busy machine adds the wait for a core on top.\n")

	w("1. **What changed since the previous report** (%s). The statements now do less work for the same numbers (`TestMetricsExactValues`, `TestLiveLinks`, `TestProductivitySharedCommit`, `TestLinkLinesMigration`):\n\n", previousAnalyticsWhen)
	w("   - **Links carry their commits' lines** (ClickHouse migration 0005, which backfills the links already stored from `commit_events`; a commit's projection re-writes its links, since its diff can arrive after them). The linked commits of each person's conversations, with their lines, are counted from `link_events FINAL` alone; that statement joined every commit of the window before.\n")
	w("   - **Each group's weekly series is optional** (`group_weeks=true`). Productivity by user returned every person's counts per week as well as over the window: 500 series of 13 weeks for the largest org, which no table shows at once (one person's weeks are the metric with `user=`). Groups now carry their totals, and the whole scope its weeks; the experiment below measures what asking for every group's weeks costs.\n")
	w("   - **What every version of an entity shares is tested before FINAL's merge.** `PREWHERE` takes the org, the time columns in the tables' sort keys (commits, links, searches) and the scope's people as owners or authors, as `IN` sets instead of `has()`; a conversation's start, a link's state and a repository, which a newer version can change, stay in `WHERE` (`TestLiveLinks` fails if the start moves before the merge). It matters most for a manager's few people: in a run of its own, a manager's productivity by user went from 176 to 139 ms at p50.\n")
	w("   - **Cost by group no longer computes each group's weeks**, which it never returned.\n\n")
	w("   | metric (whole org, 90 days) | previous warm p50 / CPU p50 | now warm p50 / CPU p50 | statements before → now |\n   |---|---|---|---|\n")
	for _, t := range a.wholeOrg90() {
		prev, ok := previousAnalytics[t.Name()]
		if !ok {
			continue
		}
		w("   | %s | %.0f / %.0f ms | %.0f / %.0f ms | %.0f → %d |\n", t.Name(), prev[0], prev[1], t.Warm.P50, t.WarmCPU.P50, prev[2], len(t.Statements))
	}

	if e := a.experimentOf(analytics.MetricProductivity, "user", "with each person's weeks"); e != nil {
		w("1. **Each person's weeks.** With every person's weekly series (`group_weeks=true`) productivity by user takes %.0f → %.0f ms at p50 (CPU %.0f → %.0f ms). A per-person daily rollup of closed days, built by the nightly job, would make them cheap; one person's weeks (`user=`) already are.\n", e.AsIsP50, e.P50, e.AsIsCPU, e.CPU)
	}
	var merged, noFinal []string
	var changes []float64
	for _, e := range a.Experiments {
		if strings.HasPrefix(e.Change, "event tables with every closed month") {
			merged = append(merged, fmt.Sprintf("%s %.0f → %.0f", e.Name(), e.AsIsCPU, e.CPU))
			changes = append(changes, 100*(e.CPU-e.AsIsCPU)/max(e.AsIsCPU, 1))
		}
		if strings.HasPrefix(e.Change, "without FINAL") {
			noFinal = append(noFinal, fmt.Sprintf("%s %.0f → %.0f", e.Name(), e.AsIsCPU, e.CPU))
		}
	}
	if len(merged) > 0 {
		parts := 0
		for _, s := range a.Stored {
			if s.Table == analytics.TableConversationEvents {
				parts = int(s.Parts)
			}
		}
		months := 0
		for m := time.Date(a.From.Year(), a.From.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(a.To); m = m.AddDate(0, 1, 0) {
			months++
		}
		sorted := sortedCopy(changes)
		w("1. **Closed months merged to one part: the service now does it nightly.** `FINAL` merges, at query time, the parts of each partition it reads, whether they still hold duplicates or not, again on every query; `conversation_events` had %d parts for %d monthly partitions. Merging every closed month to one part (copies of the tables, `OPTIMIZE TABLE … PARTITION … FINAL` for each month before the current one) changed the metrics' CPU p50 (ms) by %+.0f%% to %+.0f%%, median %+.0f%%: %s.",
			parts, months, sorted[0], sorted[len(sorted)-1], percentile(sorted, 50), strings.Join(merged, ", "))
		if len(noFinal) > 0 {
			w(" Dropping FINAL altogether (a diagnostic: wrong numbers) saves about as much: %s.", strings.Join(noFinal, ", "))
		}
		w(" So the service runs `analytics.Compact` nightly (a River job every night at 03:00 UTC): every closed month of the tables read with FINAL that holds more than one part is merged with `OPTIMIZE … PARTITION … FINAL`; the current month is left to the background merges (`TestCompact`). The timings above are of the tables as loaded, before any compaction: what a dashboard sees during the day after a month's first busy days, and the month in progress always. `do_not_merge_across_partitions_select_final = 1` is safe for these tables (every version of an entity lies in one partition, 0003) and made no difference beyond the noise.\n")
	}
	if t30, t90 := a.timingOf(analytics.MetricSummary, "", "admin", 30), a.timingOf(analytics.MetricSummary, "", "admin", 90); t30 != nil && t90 != nil {
		months := func(days int) int {
			from := a.To.AddDate(0, 0, -days)
			first := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
			n := 0
			for m := first; m.Before(a.To); m = m.AddDate(0, 1, 0) {
				n++
			}
			return n
		}
		w("1. **Summary reads whole months.** It widens the window to whole calendar months and reads the month before as well (for the change), so it reads %d months for the last 30 days and %d for the last 90 (warm p50 %.0f and %.0f ms).\n", months(30), months(90), t30.Warm.P50, t90.Warm.P50)
	}
	var coldExtra, diskExtra []float64
	for _, t := range a.wholeOrg90() {
		coldExtra = append(coldExtra, t.Cold.P50-t.Warm.P50)
		if t.DiskCold != nil {
			diskExtra = append(diskExtra, t.DiskCold.P50-t.Cold.P50)
		}
	}
	if len(coldExtra) > 0 {
		c := sortedCopy(coldExtra)
		w("1. **Cold and disk-cold.** Over 90 days a cold call (ClickHouse's caches dropped: marks, primary index, the query condition cache) took %+.0f to %+.0f ms more than a warm one at p50 (median %+.0f ms)", c[0], c[len(c)-1], percentile(c, 50))
		if len(diskExtra) > 0 {
			d := sortedCopy(diskExtra)
			w("; evicting the data files from the OS page cache as well added a median %+.0f ms (%+.0f to %+.0f): the org's data is small on disk (the whole dataset is %s compressed) and this disk is fast", percentile(d, 50), d[0], d[len(d)-1], humanBytes(int64(storedBytes(a))))
		}
		w(". A dashboard's first load after a restart pays that once; later loads are the warm numbers.\n\n")
	}
}

func storedBytes(a *AnalyticsResult) uint64 {
	var n uint64
	for _, s := range a.Stored {
		n += s.Bytes
	}
	return n
}

func cpuOf(p Percentiles) string {
	if p.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f", p.P50)
}

func writeAnalyticsExperiments(b *strings.Builder, a *AnalyticsResult) {
	if len(a.Experiments) == 0 {
		return
	}
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("### Experiments\n\n")
	w("Some metrics timed warm with one change, %d runs alternating with the metric as is (so both see the same machine); whole org, 90 days. A *diagnostic* changes the numbers and only shows where the time goes; a *candidate fix* keeps them.\n\n", experimentRuns)
	w("| metric | change | kind | p50 as is → changed | CPU p50 as is → changed |\n|---|---|---|---|---|\n")
	for _, e := range a.Experiments {
		kind := "diagnostic"
		if e.Same {
			kind = "candidate fix, same numbers"
			if e.Check == "" {
				kind = "candidate fix"
			} else if !e.SameCheck {
				kind = "candidate fix, **numbers differ**: " + e.Check
			}
		}
		w("| %s | %s | %s | %.0f → %.0f ms | %.0f → %.0f ms |\n", e.Name(), e.Change, kind, e.AsIsP50, e.P50, e.AsIsCPU, e.CPU)
	}
	w("\n")
}

func fmtDups(dups, of int) string {
	if dups == 0 {
		return "—"
	}
	return fmt.Sprintf("%s (%.1f%%)", fmtInt(dups), 100*float64(dups)/float64(max(1, of)))
}

// fmtInt writes n with thousands separators.
func fmtInt(n int) string {
	s := fmt.Sprint(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// previousAnalytics are the whole org's 90-day warm p50, warm CPU p50 and
// statement count per metric in the report before the statements were
// rewritten, for "what changed".
var previousAnalytics = map[string][3]float64{
	"productivity": {95, 139, 2}, "productivity by user": {251, 371, 3}, "adoption": {88, 126, 4},
	"cost": {93, 144, 2}, "cost by model": {88, 121, 2}, "knowledge-gaps": {80, 107, 4}, "summary": {138, 209, 4},
}

// previousAnalyticsWhen says which report previousAnalytics come from.
const previousAnalyticsWhen = "the run of 2026-11-26 07:19 UTC, commit 8f02848"
