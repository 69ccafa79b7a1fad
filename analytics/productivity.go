package analytics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Productivity is what AI-assisted work produced: conversations and the
// commits they led to, over a window, for the whole scope, per week, and
// per group (user, team or repository) when asked.
type Productivity struct {
	Window  Window              `json:"window"`
	Scope   Scope               `json:"scope"`
	GroupBy string              `json:"group_by,omitempty"`
	Total   ProductivityCounts  `json:"total"`
	Weeks   []ProductivityWeek  `json:"weeks"`
	Groups  []ProductivityGroup `json:"groups,omitempty"`
}

// ProductivityGroup is one user, team or repository; Weeks only when asked
// for (MetricRequest.GroupWeeks).
type ProductivityGroup struct {
	Key   string             `json:"key"`
	Total ProductivityCounts `json:"total"`
	Weeks []ProductivityWeek `json:"weeks,omitempty"`
}

// ProductivityWeek is one ISO week (starting Monday, UTC).
type ProductivityWeek struct {
	Week string `json:"week"`
	ProductivityCounts
}

// ProductivityCounts are the measures, each counted where it belongs in
// time: conversations in the week they started, commits in the week they
// were committed.
type ProductivityCounts struct {
	// Conversations started, and their messages.
	Conversations int64 `json:"conversations"`
	Messages      int64 `json:"messages"`
	// ConversationsWithCommits of those started led to at least one linked
	// commit (committed before the window's end), and their share.
	ConversationsWithCommits  int64   `json:"conversations_with_commits"`
	ConversationToCommitRatio float64 `json:"conversation_to_commit_ratio"`
	// MedianHoursToCommit is the median time from a conversation's start to
	// its first linked commit; nil when none led to one.
	MedianHoursToCommit *float64 `json:"median_hours_to_commit"`
	// LinkedCommits are commits linked to a conversation of the scope's
	// people, and the lines they added and removed.
	LinkedCommits int64 `json:"linked_commits"`
	LinesAdded    int64 `json:"lines_added"`
	LinesRemoved  int64 `json:"lines_removed"`
	// Commits authored by the scope's people (every commit of the org for
	// the whole organization), those linked to any conversation, and
	// their share.
	Commits           int64   `json:"commits"`
	AIAssistedCommits int64   `json:"ai_assisted_commits"`
	AIAssistedShare   float64 `json:"ai_assisted_share"`
}

// prodRow is one row of the productivity queries: a key, a week, whether
// the row is the key's total over all weeks (level 1), and the measures
// the query fills.
type prodRow struct {
	Key           string    `ch:"key"`
	Week          time.Time `ch:"week"`
	Level         uint64    `ch:"level"`
	Conversations uint64    `ch:"conversations"`
	Messages      uint64    `ch:"messages"`
	WithCommits   uint64    `ch:"with_commits"`
	MedianSec     float64   `ch:"median_seconds"`
	Linked        uint64    `ch:"linked_commits"`
	Added         uint64    `ch:"lines_added"`
	Removed       uint64    `ch:"lines_removed"`
	Commits       uint64    `ch:"commits"`
	AICommits     uint64    `ch:"ai_commits"`
}

// noKey is a grouping key that is ” for every row.
const noKey = "left(toString(user_id), 0)"

// dimension is the SQL of a grouping key for the tables whose person is in
// the user column (conversations, links) and for commits (by author), with
// their arguments.
type dimension struct {
	user, commit         string
	userArgs, commitArgs []any
}

func (s Scope) dimension(groupBy string) dimension {
	author, authorArgs := s.authorUser()
	switch groupBy {
	case "user":
		return dimension{user: "toString(user_id)", commit: author, commitArgs: authorArgs}
	case "repo":
		return dimension{user: "repo", commit: "repo"}
	case "team":
		teams, teamArgs := s.teamsOf("toString(user_id)")
		authorTeams, authorTeamArgs := s.teamsOf(author)
		return dimension{user: "arrayJoin(" + teams + ")", userArgs: teamArgs,
			commit: "arrayJoin(" + authorTeams + ")", commitArgs: append(slices.Clone(authorArgs), authorTeamArgs...)}
	default:
		// '' for every row, but not a constant: ClickHouse drops constant
		// keys from GROUP BY, and grouping() needs the key there.
		return dimension{user: noKey, commit: "left(author_email, 0)"}
	}
}

func (m *Metrics) productivity(ctx context.Context, w Window, s Scope, groupBy string, groupWeeks bool) (*Productivity, error) {
	out := &Productivity{Window: w, Scope: s, GroupBy: groupBy}
	whole, groups, err := m.productivityBy(ctx, w, s, groupBy, groupWeeks)
	if err != nil {
		return nil, err
	}
	if whole == nil {
		// A person in two teams counts in both: the whole scope's numbers
		// come from a pass of their own.
		if whole, _, err = m.productivityBy(ctx, w, s, "", false); err != nil {
			return nil, err
		}
	}
	out.Total, out.Weeks = whole.total, whole.weeks()
	if groupBy == "" {
		return out, nil
	}
	for _, key := range slices.Sorted(maps.Keys(groups)) {
		name := key
		if groupBy == "user" {
			if key == "" {
				name = "(not a member)"
			} else if id, err := uuid.Parse(key); err == nil {
				name = s.email(id)
			}
		}
		g := ProductivityGroup{Key: name, Total: groups[key].total}
		if groupWeeks {
			g.Weeks = groups[key].weeks()
		}
		out.Groups = append(out.Groups, g)
	}
	slices.SortStableFunc(out.Groups, func(a, b ProductivityGroup) int {
		if a.Total.Conversations != b.Total.Conversations {
			return int(b.Total.Conversations - a.Total.Conversations)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// prodSeries is one key's counts: over the window and per week.
type prodSeries struct {
	total  ProductivityCounts
	byWeek map[string]*ProductivityCounts
}

func newProdSeries() *prodSeries { return &prodSeries{byWeek: map[string]*ProductivityCounts{}} }

func (p *prodSeries) weeks() []ProductivityWeek {
	out := []ProductivityWeek{}
	for _, wk := range slices.Sorted(maps.Keys(p.byWeek)) {
		out = append(out, ProductivityWeek{Week: wk, ProductivityCounts: *p.byWeek[wk]})
	}
	return out
}

// week is the counts of the week starting on monday.
func (p *prodSeries) week(monday time.Time) *ProductivityCounts {
	wk := monday.Format(time.DateOnly)
	if p.byWeek[wk] == nil {
		p.byWeek[wk] = &ProductivityCounts{}
	}
	return p.byWeek[wk]
}

// productivityBy runs the productivity queries grouped by groupBy ("" for
// none) and returns the whole scope's counts and each group's, with each
// group's weeks when groupWeeks. The whole scope comes from the grouped
// queries' own GROUPING SETS where a row has one key (a conversation one
// owner, a commit one author). Linked commits are attributed to the owner
// of every conversation linked to them (a commit linked to two people's
// conversations is in two groups, and a total of the groups would add its
// lines twice), so the whole scope's come from the commits pass for the
// whole organization and from an ungrouped run of the linked-commits query
// otherwise. whole is nil for teams: a person in two teams is in two
// groups of every query.
func (m *Metrics) productivityBy(ctx context.Context, w Window, s Scope, groupBy string, groupWeeks bool) (whole *prodSeries, groups map[string]*prodSeries, err error) {
	d := s.dimension(groupBy)
	groups = map[string]*prodSeries{}
	// The sets of each statement: the key's weeks when they are wanted
	// (always without a group: the key is then the same for every row),
	// the key's total, and the whole scope's weeks and total where a row
	// has one key. A statement must group by every column it selects, so
	// week is in some set even when no group's weeks are wanted.
	weeks := groupWeeks || groupBy == ""
	var sets string
	switch {
	case groupBy == "" || groupBy == "team" && weeks:
		sets = "((key, week), (key))"
	case groupBy == "team":
		sets = "((key), (week))"
	case weeks:
		sets, whole = "((key, week), (key), (week), ())", newProdSeries()
	default:
		sets, whole = "((key), (week), ())", newProdSeries()
	}
	// grouping(key, week): 0 per key and week, 1 per key, 2 per week, 3 in
	// all. Without a group every row has the key "", the whole scope. nil:
	// a row of a set no result needs (teams' weeks across teams).
	at := func(r prodRow) *ProductivityCounts {
		p := whole
		if r.Level < 2 {
			if p = groups[r.Key]; p == nil {
				p = newProdSeries()
				groups[r.Key] = p
			}
		} else if p == nil {
			return nil
		}
		if r.Level == 1 || r.Level == 3 {
			return &p.total
		}
		return p.week(r.Week)
	}
	defer func() {
		if groupBy == "" && err == nil {
			whole, groups = groups[""], nil
			if whole == nil {
				whole = newProdSeries()
			}
		}
	}()

	// Conversations started in the window, and whether (and how soon) each
	// led to a linked commit before the window's end.
	conv := where(s, "started_at", w).people(s, "user_id").repo(s)
	inWindow := where(s, "committed_at", w)
	q := `SELECT ` + d.user + ` AS key, toMonday(started_at) AS week, grouping(key, week) AS level,
			count() AS conversations, sum(messages) AS messages, countIf(has_commit = 1) AS with_commits,
			quantileExactInclusiveIf(0.5)(toFloat64(greatest(dateDiff('millisecond', started_at, first_commit), 0)) / 1000, has_commit = 1) AS median_seconds
		FROM (SELECT conversation_id, user_id, repo, started_at, messages FROM conversation_events FINAL ` + conv.clause() + `) AS c
		LEFT JOIN (SELECT conversation_id, min(committed_at) AS first_commit, toUInt8(1) AS has_commit
			FROM ` + liveLinks(inWindow) + ` GROUP BY conversation_id) AS l
		USING (conversation_id)
		GROUP BY GROUPING SETS ` + sets
	args := append(append(slices.Clone(d.userArgs), conv.params()...), inWindow.params()...)
	var rows []prodRow
	if err := m.CH.Select(ctx, &rows, q, args...); err != nil {
		return nil, nil, fmt.Errorf("productivity: conversations: %w", err)
	}
	for _, r := range rows {
		c := at(r)
		if c == nil {
			continue
		}
		c.Conversations, c.Messages, c.ConversationsWithCommits = int64(r.Conversations), int64(r.Messages), int64(r.WithCommits)
		c.ConversationToCommitRatio = ratio(float64(r.WithCommits), float64(r.Conversations))
		if r.WithCommits > 0 {
			h := r.MedianSec / 3600
			c.MedianHoursToCommit = &h
		}
	}
	fillLinked := func(r prodRow, c *ProductivityCounts) {
		c.LinkedCommits, c.LinesAdded, c.LinesRemoved = int64(r.Linked), int64(r.Added), int64(r.Removed)
	}
	fillCommits := func(r prodRow, c *ProductivityCounts) {
		c.Commits, c.AIAssistedCommits = int64(r.Commits), int64(r.AICommits)
		c.AIAssistedShare = ratio(float64(r.AICommits), float64(r.Commits))
	}
	authored := where(s, "committed_at", w).authors(s).repo(s)

	// Commits the scope's people authored, and how many of them any
	// conversation led to (isLinked). For the whole organization the commits linked to its
	// conversations are exactly its AI-assisted ones, so the same pass
	// counts its linked commits and their lines, by repository (a link's
	// repository is its commit's) and for the whole scope; per person or
	// team a linked commit counts for the conversation's owner, not for its
	// author, and the linked-commits statement below counts those.
	orgWide := s.Users == nil
	q = `SELECT key, week, grouping(key, week) AS level, count() AS commits, countIf(ai) AS ai_commits,
			ai_commits AS linked_commits, sumIf(additions, ai) AS lines_added, sumIf(deletions, ai) AS lines_removed
		FROM (SELECT ` + d.commit + ` AS key, toMonday(committed_at) AS week, additions, deletions,
				` + isLinked(inWindow) + ` AS ai
			FROM commit_events FINAL ` + authored.clause() + `)
		GROUP BY GROUPING SETS ` + sets
	rows = nil
	if err := m.CH.Select(ctx, &rows, q, append(append(slices.Clone(d.commitArgs), inWindow.params()...), authored.params()...)...); err != nil {
		return nil, nil, fmt.Errorf("productivity: commits: %w", err)
	}
	byOwner := groupBy == "user" || groupBy == "team"
	for _, r := range rows {
		c := at(r)
		if c == nil {
			continue
		}
		fillCommits(r, c)
		if orgWide && (!byOwner || r.Level >= 2) {
			fillLinked(r, c)
		}
	}
	if orgWide && !byOwner {
		return whole, groups, nil
	}

	// Commits committed in the window that are linked to a conversation of
	// the scope's people (attributed to the conversation's owner), each
	// counted once per key and week, with its lines (which the links
	// carry: no join with the commits).
	linked := func(d dimension) error {
		wholePass := d.user == noKey && groupBy != ""
		sets := "((key, week), (key))"
		if !weeks && !wholePass {
			sets = "((key), (week))" // its weeks, summed over the groups, would add twice what two groups share
		}
		links := where(s, "committed_at", w).people(s, "user_id").repo(s)
		q := `SELECT key, week, grouping(key, week) AS level, uniqExact(commit_id) AS linked_commits,
				sum(additions) AS lines_added, sum(deletions) AS lines_removed
			FROM (SELECT DISTINCT ` + d.user + ` AS key, toMonday(committed_at) AS week, commit_id, additions, deletions
				FROM ` + liveLinks(links) + `)
			GROUP BY GROUPING SETS ` + sets
		var rows []prodRow
		if err := m.CH.Select(ctx, &rows, q, append(slices.Clone(d.userArgs), links.params()...)...); err != nil {
			return fmt.Errorf("productivity: linked commits: %w", err)
		}
		for _, r := range rows {
			if wholePass {
				r.Level += 2
			} else if r.Level >= 2 {
				continue
			}
			fillLinked(r, at(r))
		}
		return nil
	}
	if err := linked(d); err != nil {
		return nil, nil, err
	}
	if whole != nil && !orgWide {
		return whole, groups, linked(s.dimension(""))
	}
	return whole, groups, nil
}
