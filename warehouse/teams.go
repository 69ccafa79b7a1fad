package warehouse

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Team groups members of an org; leads see the team's work.
type Team struct {
	OrgID     uuid.UUID
	ID        uuid.UUID
	Slug      string
	Name      string
	Members   int
	CreatedAt time.Time
}

// InsertTeam creates a team in the current org.
func InsertTeam(ctx context.Context, q Querier, orgID uuid.UUID, slug, name string) (Team, error) {
	t := Team{OrgID: orgID, Slug: slug, Name: name}
	err := q.QueryRow(ctx, `insert into teams (org_id, slug, name) values ($1, $2, $3) returning id, created_at`,
		orgID, slug, name).Scan(&t.ID, &t.CreatedAt)
	if err != nil {
		return t, fmt.Errorf("insert team %q: %w", slug, translate(err))
	}
	return t, nil
}

// GetTeamBySlug finds a team of the current org.
func GetTeamBySlug(ctx context.Context, q Querier, slug string) (Team, error) {
	var t Team
	err := q.QueryRow(ctx, `select org_id, id, slug, name, created_at from teams where slug = $1`, slug).
		Scan(&t.OrgID, &t.ID, &t.Slug, &t.Name, &t.CreatedAt)
	if err != nil {
		return t, fmt.Errorf("get team %q: %w", slug, translate(err))
	}
	return t, nil
}

// UpsertTeamMember adds a member to a team or changes their team role.
func UpsertTeamMember(ctx context.Context, q Querier, orgID, teamID, userID uuid.UUID, role string) error {
	_, err := q.Exec(ctx, `insert into team_members (org_id, team_id, user_id, role) values ($1, $2, $3, $4)
		on conflict (org_id, team_id, user_id) do update set role = excluded.role`, orgID, teamID, userID, role)
	if err != nil {
		return fmt.Errorf("add team member %s: %w", userID, translate(err))
	}
	return nil
}

// ListTeams lists the current org's teams with their member counts.
func ListTeams(ctx context.Context, q Querier) ([]Team, error) {
	rows, err := q.Query(ctx, `select t.org_id, t.id, t.slug, t.name, t.created_at, count(tm.user_id)
		from teams t left join team_members tm on tm.org_id = t.org_id and tm.team_id = t.id
		group by t.org_id, t.id order by t.slug`)
	if err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		var t Team
		if err := rows.Scan(&t.OrgID, &t.ID, &t.Slug, &t.Name, &t.CreatedAt, &t.Members); err != nil {
			return nil, fmt.Errorf("list teams: %w", translate(err))
		}
		out = append(out, t)
	}
	return out, translate(rows.Err())
}

// ListTeamMembers lists the members of teams of the current org: of the
// team teamID, or, when leadID is set instead, of every team whose lead
// leadID is (the people a manager answers for). Each member once, by
// e-mail.
func ListTeamMembers(ctx context.Context, q Querier, teamID, leadID *uuid.UUID) ([]Member, error) {
	rows, err := q.Query(ctx, `select `+memberColumns+`
		from memberships m join users u on u.id = m.user_id
		where exists (select 1 from team_members tm where tm.org_id = m.org_id and tm.user_id = m.user_id
			and ($1::uuid is null or tm.team_id = $1)
			and ($2::uuid is null or exists (select 1 from team_members l where l.org_id = tm.org_id
				and l.team_id = tm.team_id and l.user_id = $2 and l.role = 'lead')))
		order by lower(u.email)`, teamID, leadID)
	if err != nil {
		return nil, fmt.Errorf("list team members: %w", translate(err))
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("list team members: %w", err)
		}
		out = append(out, m)
	}
	return out, translate(rows.Err())
}

// IsTeamLead reports whether the user leads the team.
func IsTeamLead(ctx context.Context, q Querier, teamID, userID uuid.UUID) (bool, error) {
	var lead bool
	err := q.QueryRow(ctx, `select exists (select 1 from team_members where team_id = $1 and user_id = $2 and role = 'lead')`,
		teamID, userID).Scan(&lead)
	if err != nil {
		return false, fmt.Errorf("check team lead: %w", translate(err))
	}
	return lead, nil
}

// TeamMembership is one member of one team.
type TeamMembership struct {
	TeamSlug string
	UserID   uuid.UUID
	Role     string
}

// ListTeamMemberships lists every team membership of the current org.
func ListTeamMemberships(ctx context.Context, q Querier) ([]TeamMembership, error) {
	rows, err := q.Query(ctx, `select t.slug, tm.user_id, tm.role from team_members tm
		join teams t on t.org_id = tm.org_id and t.id = tm.team_id order by t.slug, tm.user_id`)
	if err != nil {
		return nil, fmt.Errorf("list team memberships: %w", translate(err))
	}
	defer rows.Close()
	var out []TeamMembership
	for rows.Next() {
		var m TeamMembership
		if err := rows.Scan(&m.TeamSlug, &m.UserID, &m.Role); err != nil {
			return nil, fmt.Errorf("list team memberships: %w", translate(err))
		}
		out = append(out, m)
	}
	return out, translate(rows.Err())
}
