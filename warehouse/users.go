package warehouse

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Roles a member can hold in an organization.
const (
	RoleDeveloper = "developer"
	RoleManager   = "manager"
	RoleAdmin     = "admin"
	RoleAuditor   = "auditor"
)

// User is a person; Member is a user with their role in one org.
type User struct {
	ID        uuid.UUID
	Email     string
	Name      string
	AvatarURL string
	CreatedAt time.Time
}

type Member struct {
	User
	OrgID    uuid.UUID
	Role     string
	JoinedAt time.Time
}

// UpsertUser finds a user by e-mail (case-insensitive) or creates one.
// Identity spans orgs, so this runs AsSystem; the user becomes visible to an
// org only through InsertMembership.
func UpsertUser(ctx context.Context, q Querier, email, name string) (User, error) {
	var u User
	err := q.QueryRow(ctx, `insert into users (email, name) values ($1, $2)
		on conflict (lower(email)) do update set name = case when users.name = '' then excluded.name else users.name end
		returning id, email, name, avatar_url, created_at`, email, name).
		Scan(&u.ID, &u.Email, &u.Name, &u.AvatarURL, &u.CreatedAt)
	if err != nil {
		return u, fmt.Errorf("upsert user %q: %w", email, translate(err))
	}
	return u, nil
}

// InsertMembership gives a user a role in the current org.
func InsertMembership(ctx context.Context, q Querier, orgID, userID uuid.UUID, role string) error {
	_, err := q.Exec(ctx, `insert into memberships (org_id, user_id, role) values ($1, $2, $3)`, orgID, userID, role)
	if err != nil {
		return fmt.Errorf("add member %s with role %q: %w", userID, role, translate(err))
	}
	return nil
}

const memberColumns = `u.id, u.email, u.name, u.avatar_url, u.created_at, m.org_id, m.role, m.created_at`

func scanMember(row interface{ Scan(...any) error }) (Member, error) {
	var m Member
	err := row.Scan(&m.ID, &m.Email, &m.Name, &m.AvatarURL, &m.CreatedAt, &m.OrgID, &m.Role, &m.JoinedAt)
	return m, translate(err)
}

// GetMember returns a user's membership in the current org.
func GetMember(ctx context.Context, q Querier, userID uuid.UUID) (Member, error) {
	m, err := scanMember(q.QueryRow(ctx, `select `+memberColumns+`
		from memberships m join users u on u.id = m.user_id where m.user_id = $1`, userID))
	if err != nil {
		return m, fmt.Errorf("get member %s: %w", userID, err)
	}
	return m, nil
}

// GetMemberByEmail returns the member of the current org with that e-mail.
func GetMemberByEmail(ctx context.Context, q Querier, email string) (Member, error) {
	m, err := scanMember(q.QueryRow(ctx, `select `+memberColumns+`
		from memberships m join users u on u.id = m.user_id where lower(u.email) = lower($1)`, email))
	if err != nil {
		return m, fmt.Errorf("get member %q: %w", email, err)
	}
	return m, nil
}

// ListMembers lists the current org's members by e-mail.
func ListMembers(ctx context.Context, q Querier) ([]Member, error) {
	rows, err := q.Query(ctx, `select `+memberColumns+`
		from memberships m join users u on u.id = m.user_id order by lower(u.email)`)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("list members: %w", err)
		}
		out = append(out, m)
	}
	return out, translate(rows.Err())
}
