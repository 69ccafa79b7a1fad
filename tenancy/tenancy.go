// Package tenancy owns organizations, their members and roles, teams, API
// keys and the audit trail: the rules (who may be created how, how keys are
// minted and checked) on top of the warehouse's tables.
//
// Every change is recorded in the audit log in the same transaction, and
// the audit entry's projection to ClickHouse is enqueued in that
// transaction too, so an action is either fully recorded or not at all.
// It must not know about HTTP or the CLI.
package tenancy

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// Enqueuer inserts jobs in the caller's transaction; *river.Client is one.
type Enqueuer interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Service applies the tenancy rules.
type Service struct {
	DB    *warehouse.DB
	Jobs  Enqueuer
	Clock func() time.Time
}

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// Actor is who performs an action, for the audit log.
type Actor struct {
	Kind string // user, api_key, system
	ID   *uuid.UUID
}

// SystemActor is the operator CLI and the service itself.
var SystemActor = Actor{Kind: "system"}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// NewOrg describes an organization to create with its first admin.
type NewOrg struct {
	Slug       string
	Name       string
	Plan       string // starter (default), pro, enterprise
	Region     string // us (default), eu, ap
	AdminEmail string
	AdminName  string
}

// CreateOrg creates the org, its admin member and the audit entry.
func (s *Service) CreateOrg(ctx context.Context, actor Actor, n NewOrg) (warehouse.Organization, warehouse.Member, error) {
	var org warehouse.Organization
	var admin warehouse.Member
	if !slugPattern.MatchString(n.Slug) {
		return org, admin, fmt.Errorf("%w: slug %q must be 2-63 lowercase letters, digits or dashes, starting with a letter or digit", warehouse.ErrInvalid, n.Slug)
	}
	if strings.TrimSpace(n.Name) == "" {
		return org, admin, fmt.Errorf("%w: organization name is empty", warehouse.ErrInvalid)
	}
	if err := validEmail(n.AdminEmail); err != nil {
		return org, admin, err
	}
	err := s.DB.AsSystem(ctx, func(tx pgx.Tx) error {
		var err error
		org, err = warehouse.InsertOrganization(ctx, tx, warehouse.Organization{Slug: n.Slug, Name: n.Name, Plan: n.Plan, Region: n.Region})
		if err != nil {
			return err
		}
		u, err := warehouse.UpsertUser(ctx, tx, n.AdminEmail, n.AdminName)
		if err != nil {
			return err
		}
		if err := warehouse.InsertMembership(ctx, tx, org.ID, u.ID, warehouse.RoleAdmin); err != nil {
			return err
		}
		admin = warehouse.Member{User: u, OrgID: org.ID, Role: warehouse.RoleAdmin}
		return s.audit(ctx, tx, org.ID, actor, "org.created", "organization", org.ID.String(),
			map[string]any{"slug": org.Slug, "plan": org.Plan, "region": org.Region, "admin": u.ID.String()})
	})
	if err != nil {
		return warehouse.Organization{}, warehouse.Member{}, fmt.Errorf("create organization %q: %w", n.Slug, err)
	}
	return org, admin, nil
}

// AddMember adds a person (created if new) to an org with a role.
func (s *Service) AddMember(ctx context.Context, actor Actor, orgID uuid.UUID, email, name, role string) (warehouse.Member, error) {
	var m warehouse.Member
	if err := validEmail(email); err != nil {
		return m, err
	}
	if err := ValidRole(role); err != nil {
		return m, err
	}
	// Identity is global (AsSystem); the membership and audit entry are
	// written in the same transaction under the org's scope check.
	err := s.DB.AsSystem(ctx, func(tx pgx.Tx) error {
		if _, err := warehouse.GetOrganization(ctx, tx, orgID); err != nil {
			return err
		}
		u, err := warehouse.UpsertUser(ctx, tx, email, name)
		if err != nil {
			return err
		}
		if err := warehouse.InsertMembership(ctx, tx, orgID, u.ID, role); err != nil {
			return err
		}
		m = warehouse.Member{User: u, OrgID: orgID, Role: role}
		return s.audit(ctx, tx, orgID, actor, "member.added", "user", u.ID.String(), map[string]any{"role": role})
	})
	if err != nil {
		return m, fmt.Errorf("add member %q: %w", email, err)
	}
	return m, nil
}

// CreateTeam creates a team in an org.
func (s *Service) CreateTeam(ctx context.Context, actor Actor, orgID uuid.UUID, slug, name string) (warehouse.Team, error) {
	var t warehouse.Team
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		if t, err = warehouse.InsertTeam(ctx, tx, orgID, slug, name); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, actor, "team.created", "team", t.ID.String(), map[string]any{"slug": slug})
	})
	return t, err
}

// AddTeamMember puts an org member into a team as member or lead.
func (s *Service) AddTeamMember(ctx context.Context, actor Actor, orgID uuid.UUID, teamSlug, email, teamRole string) error {
	if teamRole != "member" && teamRole != "lead" {
		return fmt.Errorf("%w: team role %q must be member or lead", warehouse.ErrInvalid, teamRole)
	}
	return s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		team, err := warehouse.GetTeamBySlug(ctx, tx, teamSlug)
		if err != nil {
			return err
		}
		m, err := warehouse.GetMemberByEmail(ctx, tx, email)
		if err != nil {
			return err
		}
		if err := warehouse.UpsertTeamMember(ctx, tx, orgID, team.ID, m.ID, teamRole); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, actor, "team.member_added", "team", team.ID.String(),
			map[string]any{"user": m.ID.String(), "role": teamRole})
	})
}

// ValidRole checks an org role name.
func ValidRole(role string) error {
	switch role {
	case warehouse.RoleDeveloper, warehouse.RoleManager, warehouse.RoleAdmin, warehouse.RoleAuditor:
		return nil
	}
	return fmt.Errorf("%w: role %q must be one of developer, manager, admin, auditor", warehouse.ErrInvalid, role)
}

func validEmail(email string) error {
	at := strings.IndexByte(email, '@')
	if at < 1 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n") || strings.Count(email, "@") != 1 {
		return fmt.Errorf("%w: e-mail %q is not an address like name@example.com", warehouse.ErrInvalid, email)
	}
	return nil
}

// OrgIDBySlug resolves an organization's slug (for routes that identify the
// org in the URL, such as webhooks).
func (s *Service) OrgIDBySlug(ctx context.Context, slug string) (uuid.UUID, error) {
	var org warehouse.Organization
	err := s.DB.AsSystem(ctx, func(tx pgx.Tx) error {
		var err error
		org, err = warehouse.GetOrganizationBySlug(ctx, tx, slug)
		return err
	})
	return org.ID, err
}
