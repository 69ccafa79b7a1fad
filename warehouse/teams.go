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
