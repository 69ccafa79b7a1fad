package analytics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// The metrics a dashboard or report can ask for (Metrics.Get).
const (
	MetricProductivity  = "productivity"
	MetricAdoption      = "adoption"
	MetricCost          = "cost"
	MetricKnowledgeGaps = "knowledge-gaps"
	MetricSummary       = "summary"
)

// MetricNames lists every metric, in the order the API documents them.
var MetricNames = []string{MetricProductivity, MetricAdoption, MetricCost, MetricKnowledgeGaps, MetricSummary}

// Errors of a metric request; the message after the sentinel says what to
// change.
var (
	// ErrUnknownMetric: no metric of that name (404).
	ErrUnknownMetric = errors.New("unknown metric")
	// ErrBadRequest: a parameter is wrong (400).
	ErrBadRequest = errors.New("bad metrics request")
	// ErrForbidden: the caller's role may not see what was asked (403).
	ErrForbidden = errors.New("not allowed")
)

// MaxRangeDays is the longest window each plan may query at once.
var MaxRangeDays = map[string]int{"starter": 92, "pro": 366, "enterprise": 1096}

// DefaultRange is the window when a request names none: the last 30 whole
// UTC days including today.
const DefaultRange = 30 * 24 * time.Hour

// MetricRequest asks for one metric over one window.
type MetricRequest struct {
	Metric string
	OrgID  uuid.UUID
	Viewer warehouse.Viewer
	// From and To bound the window, [From, To). Zero From: To minus 30
	// days (DefaultRange); zero To: the end of today (UTC).
	From, To time.Time
	// Team (a slug) or User (an e-mail or id) narrow the people counted;
	// both empty: everyone the viewer answers for.
	Team, User string
	// Repo (a normalised key, ingest.NormalizeRemote) narrows to one
	// repository.
	Repo string
	// GroupBy splits productivity and cost rows: "user", "team", "repo"
	// (productivity), "tool", "model" (cost), or "" for no split.
	GroupBy string
	// GroupWeeks adds each group's weekly series to productivity's groups
	// (their totals over the window come always). Off by default: for a
	// large organization by user it is hundreds of series nobody reads at
	// once, and about a third of the metric's time (BENCHMARKS.md); one
	// person's weeks are the metric with User set.
	GroupWeeks bool
}

// Window is the time range a metric covers, [From, To), in UTC.
type Window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Days is the window's length in days.
func (w Window) Days() float64 { return w.To.Sub(w.From).Hours() / 24 }

// Scope is whose activity a metric counts: always one organization, and
// within it everyone (Users nil) or the listed people.
type Scope struct {
	OrgID uuid.UUID `json:"-"`
	// Users are the people counted; nil means the whole organization.
	Users []uuid.UUID `json:"-"`
	// Describes says in words whom the numbers cover ("the organization",
	// "team platform", "dev@example.com").
	Describes string `json:"describes"`
	// Repo, when set, limits conversations, links and commits to one
	// repository.
	Repo string `json:"repo,omitempty"`

	members map[uuid.UUID]string // every org member's e-mail, for names and commit authors
	teams   []warehouse.TeamMembership
}

// email names a user for the reader.
func (s Scope) email(id uuid.UUID) string {
	if e, ok := s.members[id]; ok {
		return e
	}
	return id.String()
}

// Metrics computes dashboard metrics in ClickHouse, for one organization
// at a time and always over a bounded window. Postgres answers who the
// caller is allowed to count; ClickHouse does the counting.
type Metrics struct {
	DB     *warehouse.DB
	CH     warehouse.ClickHouse
	Prices PriceTable
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Get computes one metric. Its result is one of *Productivity, *Adoption,
// *Cost, *KnowledgeGaps and *Summary.
func (m *Metrics) Get(ctx context.Context, req MetricRequest) (any, error) {
	if !slices.Contains(MetricNames, req.Metric) {
		return nil, fmt.Errorf("%w %q: the metrics are %s", ErrUnknownMetric, req.Metric, strings.Join(MetricNames, ", "))
	}
	groups := map[string][]string{MetricProductivity: {"user", "team", "repo"}, MetricCost: {"user", "team", "tool", "model"}}[req.Metric]
	if req.GroupBy != "" && !slices.Contains(groups, req.GroupBy) {
		if len(groups) == 0 {
			return nil, fmt.Errorf("%w: %s takes no group_by", ErrBadRequest, req.Metric)
		}
		return nil, fmt.Errorf("%w: group_by %q must be one of %s", ErrBadRequest, req.GroupBy, strings.Join(groups, ", "))
	}
	if req.GroupWeeks && (req.Metric != MetricProductivity || req.GroupBy == "") {
		return nil, fmt.Errorf("%w: group_weeks applies to productivity with a group_by", ErrBadRequest)
	}
	w, scope, err := m.resolve(ctx, req)
	if err != nil {
		return nil, err
	}
	switch req.Metric {
	case MetricProductivity:
		return m.productivity(ctx, w, scope, req.GroupBy, req.GroupWeeks)
	case MetricAdoption:
		return m.adoption(ctx, w, scope)
	case MetricCost:
		return m.cost(ctx, w, scope, req.GroupBy)
	case MetricKnowledgeGaps:
		return m.knowledgeGaps(ctx, w, scope, req.Viewer)
	default:
		return m.summary(ctx, w, scope)
	}
}

// resolve checks the window against the org's plan and works out whom the
// viewer may count: admins and auditors the whole organization, managers
// the members of the teams they lead and themselves, developers
// themselves.
func (m *Metrics) resolve(ctx context.Context, req MetricRequest) (Window, Scope, error) {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	w := Window{From: req.From.UTC(), To: req.To.UTC()}
	if w.To.IsZero() {
		w.To = now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	if w.From.IsZero() {
		w.From = w.To.Add(-DefaultRange)
	}
	if !w.From.Before(w.To) {
		return w, Scope{}, fmt.Errorf("%w: from (%s) must be before to (%s)", ErrBadRequest,
			w.From.Format(time.RFC3339), w.To.Format(time.RFC3339))
	}
	scope := Scope{OrgID: req.OrgID, Repo: req.Repo, members: map[uuid.UUID]string{}}
	err := m.DB.InOrg(ctx, req.OrgID, func(tx pgx.Tx) error {
		org, err := warehouse.GetOrganization(ctx, tx, req.OrgID)
		if err != nil {
			return err
		}
		if limit := MaxRangeDays[org.Plan]; limit > 0 && w.Days() > float64(limit) {
			return fmt.Errorf("%w: the range is %.0f days; the %s plan allows at most %d days per query", ErrBadRequest,
				w.Days(), org.Plan, limit)
		}
		members, err := warehouse.ListMembers(ctx, tx)
		if err != nil {
			return err
		}
		for _, mb := range members {
			scope.members[mb.ID] = mb.Email
		}
		if scope.teams, err = warehouse.ListTeamMemberships(ctx, tx); err != nil {
			return err
		}
		return m.narrow(ctx, tx, req, &scope)
	})
	return w, scope, err
}

func (m *Metrics) narrow(ctx context.Context, tx pgx.Tx, req MetricRequest, scope *Scope) error {
	v := req.Viewer
	orgWide := v.Role == warehouse.RoleAdmin || v.Role == warehouse.RoleAuditor
	// answersFor is everyone a manager may count.
	answersFor := func() ([]uuid.UUID, error) {
		led, err := warehouse.ListTeamMembers(ctx, tx, nil, &v.UserID)
		ids := []uuid.UUID{v.UserID}
		for _, mb := range led {
			if mb.ID != v.UserID {
				ids = append(ids, mb.ID)
			}
		}
		return ids, err
	}
	switch {
	case req.Team != "":
		team, err := warehouse.GetTeamBySlug(ctx, tx, req.Team)
		if errors.Is(err, warehouse.ErrNotFound) {
			return fmt.Errorf("team %q does not exist in this organization: %w", req.Team, warehouse.ErrNotFound)
		} else if err != nil {
			return err
		}
		if !orgWide {
			lead, err := warehouse.IsTeamLead(ctx, tx, team.ID, v.UserID)
			if err != nil {
				return err
			}
			if v.Role != warehouse.RoleManager || !lead {
				return fmt.Errorf("%w: team metrics are for the team's leads, admins and auditors", ErrForbidden)
			}
		}
		members, err := warehouse.ListTeamMembers(ctx, tx, &team.ID, nil)
		if err != nil {
			return err
		}
		scope.Users = []uuid.UUID{}
		for _, mb := range members {
			scope.Users = append(scope.Users, mb.ID)
		}
		scope.Describes = "team " + team.Slug
	case req.User != "":
		var mb warehouse.Member
		var err error
		if id, perr := uuid.Parse(req.User); perr == nil {
			mb, err = warehouse.GetMember(ctx, tx, id)
		} else {
			mb, err = warehouse.GetMemberByEmail(ctx, tx, req.User)
		}
		if errors.Is(err, warehouse.ErrNotFound) {
			return fmt.Errorf("user %q is not a member of this organization: %w", req.User, warehouse.ErrNotFound)
		} else if err != nil {
			return err
		}
		if !orgWide && mb.ID != v.UserID {
			allowed := false
			if v.Role == warehouse.RoleManager {
				ids, err := answersFor()
				if err != nil {
					return err
				}
				allowed = slices.Contains(ids, mb.ID)
			}
			if !allowed {
				return fmt.Errorf("%w: you may see the metrics of %s only as their team's lead, an admin or an auditor", ErrForbidden, req.User)
			}
		}
		scope.Users, scope.Describes = []uuid.UUID{mb.ID}, mb.Email
	case orgWide:
		scope.Describes = "the organization"
	case v.Role == warehouse.RoleManager:
		ids, err := answersFor()
		if err != nil {
			return err
		}
		scope.Users, scope.Describes = ids, "your teams"
	default:
		scope.Users, scope.Describes = []uuid.UUID{v.UserID}, scope.email(v.UserID)
	}
	return nil
}

// filter is the PREWHERE and WHERE clauses of a metric query under
// construction: the org and the window always come first, so that no query
// can leave them out.
//
// Read with FINAL, a table's WHERE tests the newest version of each entity:
// ClickHouse merges the versions first and filters after
// (optimize_move_to_prewhere_if_final stays off). TestLiveLinks holds this.
// PREWHERE filters before the merge, so it only takes conditions on what
// every version of an entity shares: the org, the columns of the table's
// sort key (the dedupe key: versions differ in none of them), and the
// person an entity belongs to (a conversation's owner, a commit's author, a
// search's user are fixed when it is first stored). Testing those first
// reads far fewer rows when the scope is a few people (BENCHMARKS.md,
// manager scope).
type filter struct {
	pre, post         []string
	preArgs, postArgs []any
}

// sortKeyTimes are the window columns that are in their tables' sort keys
// (commit_events, link_events: committed_at; search_events: occurred_at;
// topic_questions: asked_at; the daily rollups' day has days). A
// conversation's started_at is not: a re-projection can move it.
var sortKeyTimes = map[string]bool{"committed_at": true, "occurred_at": true, "asked_at": true}

// where starts a filter on the org and on column's window.
func where(s Scope, column string, w Window) *filter {
	f := &filter{pre: []string{"org_id = ?"}, preArgs: []any{s.OrgID}}
	window := []string{column + " >= ?", column + " < ?"}
	if sortKeyTimes[column] {
		f.pre, f.preArgs = append(f.pre, window...), append(f.preArgs, w.From, w.To)
	} else {
		f.post, f.postArgs = window, []any{w.From, w.To}
	}
	return f
}

// orgOnly starts a filter on the org alone, for a rollup whose window
// condition its query writes itself (and takes as pre conditions).
func orgOnly(s Scope) *filter { return &filter{pre: []string{"org_id = ?"}, preArgs: []any{s.OrgID}} }

// rollupDays starts a filter on a daily rollup: the org and the days that start
// in the window.
func rollupDays(s Scope, w Window) *filter {
	return orgOnly(s).before("day >= toDate(?)", w.From).before("day < toDate(?)", w.To)
}

// before adds a condition on what every version of an entity shares.
func (f *filter) before(cond string, args ...any) *filter {
	f.pre, f.preArgs = append(f.pre, cond), append(f.preArgs, args...)
	return f
}

// and adds a condition tested on each entity's newest version.
func (f *filter) and(cond string, args ...any) *filter {
	f.post, f.postArgs = append(f.post, cond), append(f.postArgs, args...)
	return f
}

// people adds the scope's people, matched on the user column.
func (f *filter) people(s Scope, column string) *filter {
	if s.Users != nil {
		f.before(column+" IN ?", s.Users)
	}
	return f
}

// repo adds the scope's repository, matched on the repo column.
func (f *filter) repo(s Scope) *filter {
	if s.Repo != "" {
		f.and("repo = ?", s.Repo)
	}
	return f
}

// authors adds the scope's people as commit authors: a commit counts for
// the member whose e-mail is its author's.
func (f *filter) authors(s Scope) *filter {
	if s.Users != nil {
		f.before("lower(author_email) IN ?", s.authorEmails())
	}
	return f
}

// clause is the filter's PREWHERE and WHERE clauses.
func (f *filter) clause() string {
	out := "PREWHERE " + strings.Join(f.pre, " AND ")
	if len(f.post) > 0 {
		out += " WHERE " + strings.Join(f.post, " AND ")
	}
	return out
}

// params are the filter's arguments, in the order of its clauses.
func (f *filter) params() []any { return append(slices.Clone(f.preArgs), f.postArgs...) }

func (s Scope) authorEmails() []string {
	out := []string{}
	for _, id := range s.Users {
		if e, ok := s.members[id]; ok {
			out = append(out, strings.ToLower(e))
		}
	}
	return out
}

// authorUser is a ClickHouse expression mapping lower(author_email) to the
// member's id as a string ("" for authors who are not members), with its
// two array arguments.
func (s Scope) authorUser() (string, []any) {
	emails, ids := []string{}, []string{}
	for id, e := range s.members {
		emails, ids = append(emails, strings.ToLower(e)), append(ids, id.String())
	}
	return "transform(lower(author_email), ?, ?, '')", []any{emails, ids}
}

// teamsOf is a ClickHouse expression of the array of team slugs of the
// user in column (a UUID as a string), with its two array arguments.
func (s Scope) teamsOf(column string) (string, []any) {
	slugs, users := []string{}, []string{}
	for _, t := range s.teams {
		slugs, users = append(slugs, t.TeamSlug), append(users, t.UserID.String())
	}
	return "arrayFilter((t, u) -> u = " + column + ", ?, ?)", []any{slugs, users}
}

// liveLinks is a subquery of the links that hold (their newest state is
// linked) among those f selects: one row per conversation and commit.
// Its own scope keeps the condition on the column: an outer query that
// names something else "linked" cannot capture it.
func liveLinks(f *filter) string {
	g := *f
	g.post = append(slices.Clone(f.post), "linked = 1")
	return `(SELECT conversation_id, commit_id, committed_at, user_id, repo, additions, deletions
		FROM link_events FINAL ` + g.clause() + `)`
}

// isLinked is a condition on a commit_id column: the commit has a live
// link among those f selects. An IN set: at the largest benchmark org a
// hash join on the commit ids cost twice as much.
func isLinked(f *filter) string {
	return "commit_id IN (SELECT commit_id FROM " + liveLinks(f) + ")"
}

// ratio is a/b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// change is the relative change from before to now, nil when before is 0.
func change(now, before float64) *float64 {
	if before == 0 {
		return nil
	}
	c := (now - before) / before
	return &c
}
