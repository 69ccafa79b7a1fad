package tenancy_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/tenancy"
	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

type bundle struct {
	db  *warehouse.DB
	svc *tenancy.Service
}

func setup(t *testing.T) bundle {
	t.Helper()
	db := warehousetest.Postgres(t)
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	require.NoError(t, err)
	return bundle{db: db, svc: &tenancy.Service{DB: db, Jobs: client}}
}

func newOrg(t *testing.T, b bundle) (warehouse.Organization, warehouse.Member) {
	t.Helper()
	slug := "t-" + uuid.NewString()[:8]
	org, admin, err := b.svc.CreateOrg(context.Background(), tenancy.SystemActor, tenancy.NewOrg{
		Slug: slug, Name: "Test " + slug, AdminEmail: "admin@" + slug + ".example", AdminName: "Ada",
	})
	require.NoError(t, err)
	return org, admin
}

// auditJobs returns the audit projection jobs enqueued for an org.
func auditJobs(t *testing.T, db *warehouse.DB, orgID uuid.UUID) []tenancy.ProjectAuditArgs {
	t.Helper()
	rows, err := db.Pool().Query(context.Background(),
		`select args from river_job where kind = 'audit.project' and args->>'org_id' = $1 order by id`, orgID.String())
	require.NoError(t, err)
	raw, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	require.NoError(t, err)
	out := make([]tenancy.ProjectAuditArgs, len(raw))
	for i, r := range raw {
		require.NoError(t, json.Unmarshal(r, &out[i]))
	}
	return out
}

func TestCreateOrg(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	org, admin := newOrg(t, b)
	require.Equal(t, "starter", org.Plan)
	require.Equal(t, "us", org.Region)
	require.Equal(t, warehouse.RoleAdmin, admin.Role)

	// The audit entry and its projection job were written with the org.
	jobs := auditJobs(t, b.db, org.ID)
	require.Len(t, jobs, 1)
	require.NoError(t, b.db.InOrg(ctx, org.ID, func(tx pgx.Tx) error {
		e, err := warehouse.GetAuditEntry(ctx, tx, jobs[0].AuditID)
		require.NoError(t, err)
		require.Equal(t, "org.created", e.Action)
		require.Equal(t, org.Slug, e.Details["slug"])
		m, err := warehouse.GetMember(ctx, tx, admin.ID)
		require.NoError(t, err)
		require.Equal(t, warehouse.RoleAdmin, m.Role)
		return nil
	}))

	// A failed creation leaves neither rows nor jobs behind.
	_, _, err := b.svc.CreateOrg(ctx, tenancy.SystemActor, tenancy.NewOrg{Slug: org.Slug, Name: "Again", AdminEmail: "x@y.example"})
	require.ErrorIs(t, err, warehouse.ErrConflict)
	require.Len(t, auditJobs(t, b.db, org.ID), 1)
}

func TestCreateOrgValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for name, n := range map[string]tenancy.NewOrg{
		"bad slug":   {Slug: "Not A Slug", Name: "x", AdminEmail: "a@b.example"},
		"no name":    {Slug: "fine-slug", Name: " ", AdminEmail: "a@b.example"},
		"bad email":  {Slug: "fine-slug", Name: "x", AdminEmail: "nobody"},
		"bad plan":   {Slug: "fine-slug-2", Name: "x", AdminEmail: "a@b.example", Plan: "platinum"},
		"bad region": {Slug: "fine-slug-3", Name: "x", AdminEmail: "a@b.example", Region: "mars"},
	} {
		_, _, err := b.svc.CreateOrg(context.Background(), tenancy.SystemActor, n)
		require.ErrorIs(t, err, warehouse.ErrInvalid, name)
	}
}

func TestMembersAndTeams(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	org, _ := newOrg(t, b)
	other, _ := newOrg(t, b)

	dev, err := b.svc.AddMember(ctx, tenancy.SystemActor, org.ID, "Dev@Example.com", "Dev", warehouse.RoleDeveloper)
	require.NoError(t, err)
	// The same person joins a second org: one identity, two memberships.
	dev2, err := b.svc.AddMember(ctx, tenancy.SystemActor, other.ID, "dev@example.com", "", warehouse.RoleAuditor)
	require.NoError(t, err)
	require.Equal(t, dev.ID, dev2.ID)

	_, err = b.svc.AddMember(ctx, tenancy.SystemActor, org.ID, "x@example.com", "", "owner")
	require.ErrorIs(t, err, warehouse.ErrInvalid)
	_, err = b.svc.AddMember(ctx, tenancy.SystemActor, org.ID, "dev@example.com", "", warehouse.RoleManager)
	require.ErrorIs(t, err, warehouse.ErrConflict)

	_, err = b.svc.CreateTeam(ctx, tenancy.SystemActor, org.ID, "platform", "Platform")
	require.NoError(t, err)
	require.NoError(t, b.svc.AddTeamMember(ctx, tenancy.SystemActor, org.ID, "platform", "dev@example.com", "lead"))
	// Someone who is not a member of this org cannot be put in its team.
	_, err = b.svc.AddMember(ctx, tenancy.SystemActor, other.ID, "stranger@example.com", "", warehouse.RoleDeveloper)
	require.NoError(t, err)
	require.ErrorIs(t, b.svc.AddTeamMember(ctx, tenancy.SystemActor, org.ID, "platform", "stranger@example.com", "member"), warehouse.ErrNotFound)

	require.NoError(t, b.db.InOrg(ctx, org.ID, func(tx pgx.Tx) error {
		members, err := warehouse.ListMembers(ctx, tx)
		require.NoError(t, err)
		require.Len(t, members, 2) // admin + dev
		teams, err := warehouse.ListTeams(ctx, tx)
		require.NoError(t, err)
		require.Len(t, teams, 1)
		require.Equal(t, 1, teams[0].Members)
		return nil
	}))
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	org, admin := newOrg(t, b)

	plain, key, err := b.svc.NewAPIKey(ctx, tenancy.SystemActor, org.ID, admin.ID, "laptop", nil)
	require.NoError(t, err)
	require.Len(t, plain, len(tenancy.KeyPrefix)+40)
	require.True(t, len(key.Prefix) < len(plain) && plain[:len(key.Prefix)] == key.Prefix)

	p, err := b.svc.Authenticate(ctx, plain)
	require.NoError(t, err)
	require.Equal(t, org.ID, p.OrgID)
	require.Equal(t, admin.ID, p.UserID)
	require.Equal(t, warehouse.RoleAdmin, p.Role)
	require.Equal(t, org.Slug, p.OrgSlug)

	// The secret is not stored anywhere in clear.
	var n int
	require.NoError(t, b.db.Pool().QueryRow(ctx, `select count(*) from api_keys where encode(secret_hash, 'escape') like '%'||$1||'%'`, plain[4:20]).Scan(&n))
	require.Zero(t, n)

	for _, bad := range []string{"", "cik_short", plain[:len(plain)-1] + "x", "Bearer " + plain} {
		_, err := b.svc.Authenticate(ctx, bad)
		require.ErrorIs(t, err, tenancy.ErrUnauthenticated, bad)
	}

	require.NoError(t, b.svc.RevokeAPIKey(ctx, tenancy.SystemActor, org.ID, key.ID))
	_, err = b.svc.Authenticate(ctx, plain)
	require.ErrorIs(t, err, tenancy.ErrUnauthenticated)

	past := time.Now().Add(-time.Minute)
	expired, _, err := b.svc.NewAPIKey(ctx, tenancy.SystemActor, org.ID, admin.ID, "old", &past)
	require.NoError(t, err)
	_, err = b.svc.Authenticate(ctx, expired)
	require.ErrorIs(t, err, tenancy.ErrUnauthenticated)

	// A key cannot be minted for someone outside the org.
	other, otherAdmin := newOrg(t, b)
	_, _, err = b.svc.NewAPIKey(ctx, tenancy.SystemActor, org.ID, otherAdmin.ID, "cross", nil)
	require.ErrorIs(t, err, warehouse.ErrNotFound)
	require.NotEqual(t, org.ID, other.ID)
}
