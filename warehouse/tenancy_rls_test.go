package warehouse_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

// TestRowLevelSecurity proves tenancy does not depend on every query
// remembering its WHERE org_id: queries that forget it still see one org.
func TestRowLevelSecurity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := warehousetest.Postgres(t)

	// RLS does not apply to superusers; the test would prove nothing.
	var super bool
	require.NoError(t, db.Pool().QueryRow(ctx, "select rolsuper from pg_roles where rolname = current_user").Scan(&super))
	require.False(t, super, "tests must connect as the application role, not a superuser")

	orgA := warehousetest.Org(t, db, nil)
	orgB := warehousetest.Org(t, db, nil)
	alice := warehousetest.Member(t, db, orgA.ID, &warehousetest.MemberOpts{Role: warehouse.RoleAdmin})
	bob := warehousetest.Member(t, db, orgB.ID, nil)
	for _, o := range []struct {
		org  warehouse.Organization
		user warehouse.Member
	}{{orgA, alice}, {orgB, bob}} {
		require.NoError(t, db.InOrg(ctx, o.org.ID, func(tx pgx.Tx) error {
			team, err := warehouse.InsertTeam(ctx, tx, o.org.ID, "core", "Core")
			if err != nil {
				return err
			}
			if err := warehouse.UpsertTeamMember(ctx, tx, o.org.ID, team.ID, o.user.ID, "lead"); err != nil {
				return err
			}
			if _, err := warehouse.InsertAPIKey(ctx, tx, warehouse.APIKey{OrgID: o.org.ID, UserID: o.user.ID, Name: "k", Prefix: "cik_x"}, randomHash()); err != nil {
				return err
			}
			_, err = warehouse.InsertAuditEntry(ctx, tx, warehouse.AuditEntry{OrgID: o.org.ID, ActorKind: "system", Action: "test"})
			return err
		}))
	}

	// Every tenant table, queried without any org filter, inside org A.
	tables := []string{"organizations", "users", "memberships", "teams", "team_members", "api_keys", "audit_log"}
	require.NoError(t, db.InOrg(ctx, orgA.ID, func(tx pgx.Tx) error {
		for _, table := range tables {
			var n int
			require.NoError(t, tx.QueryRow(ctx, "select count(*) from "+table).Scan(&n), table)
			require.Equal(t, 1, n, "org A sees exactly its own row in %s", table)
		}
		var email string
		require.NoError(t, tx.QueryRow(ctx, "select email from users").Scan(&email))
		require.Equal(t, alice.Email, email)

		// Naming org B's rows explicitly does not help either.
		var n int
		require.NoError(t, tx.QueryRow(ctx, "select count(*) from teams where org_id = $1", orgB.ID).Scan(&n))
		require.Zero(t, n)
		_, err := warehouse.GetOrganization(ctx, tx, orgB.ID)
		require.ErrorIs(t, err, warehouse.ErrNotFound)
		return nil
	}))

	// Writing into another org is refused, and changes nothing.
	err := db.InOrg(ctx, orgA.ID, func(tx pgx.Tx) error {
		_, err := warehouse.InsertTeam(ctx, tx, orgB.ID, "sneaky", "Sneaky")
		return err
	})
	require.Error(t, err)
	err = db.InOrg(ctx, orgA.ID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "update teams set name = 'pwned'")
		require.NoError(t, err)
		require.EqualValues(t, 1, tag.RowsAffected(), "only org A's team is updatable")
		tag, err = tx.Exec(ctx, "delete from audit_log where org_id = $1", orgB.ID)
		require.NoError(t, err)
		require.Zero(t, tag.RowsAffected())
		return errors.New("roll back")
	})
	require.EqualError(t, err, "roll back")
	require.NoError(t, db.InOrg(ctx, orgB.ID, func(tx pgx.Tx) error {
		teams, err := warehouse.ListTeams(ctx, tx)
		require.NoError(t, err)
		require.Len(t, teams, 1)
		require.Equal(t, "Core", teams[0].Name)
		return nil
	}))

	// Outside any transaction scope nothing at all is visible.
	for _, table := range tables {
		var n int
		require.NoError(t, db.Pool().QueryRow(ctx, "select count(*) from "+table).Scan(&n), table)
		require.Zero(t, n, "unscoped query on %s", table)
	}

	// A tenant transaction needs an org.
	require.ErrorIs(t, db.InOrg(ctx, [16]byte{}, func(pgx.Tx) error { return nil }), warehouse.ErrInvalid)
}

func randomHash() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}
