package warehousetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// OrgOpts are optional fields of a test organization.
type OrgOpts struct {
	Slug string
	Plan string
}

// Org inserts an organization with a random slug.
func Org(tb testing.TB, db *warehouse.DB, opts *OrgOpts) warehouse.Organization {
	tb.Helper()
	if opts == nil {
		opts = &OrgOpts{}
	}
	o := warehouse.Organization{Slug: opts.Slug, Name: "Test org", Plan: opts.Plan}
	if o.Slug == "" {
		o.Slug = "org-" + randomHex(6)
	}
	var created warehouse.Organization
	err := db.AsSystem(context.Background(), func(tx pgx.Tx) error {
		var err error
		created, err = warehouse.InsertOrganization(context.Background(), tx, o)
		return err
	})
	if err != nil {
		tb.Fatalf("create test org: %v", err)
	}
	return created
}

// MemberOpts are optional fields of a test member.
type MemberOpts struct {
	Email string
	Name  string
	Role  string // default developer
}

// Member inserts a user with a membership in org.
func Member(tb testing.TB, db *warehouse.DB, orgID uuid.UUID, opts *MemberOpts) warehouse.Member {
	tb.Helper()
	if opts == nil {
		opts = &MemberOpts{}
	}
	if opts.Email == "" {
		opts.Email = "user-" + randomHex(6) + "@test.example"
	}
	if opts.Role == "" {
		opts.Role = warehouse.RoleDeveloper
	}
	var m warehouse.Member
	err := db.AsSystem(context.Background(), func(tx pgx.Tx) error {
		u, err := warehouse.UpsertUser(context.Background(), tx, opts.Email, opts.Name)
		if err != nil {
			return err
		}
		if err := warehouse.InsertMembership(context.Background(), tx, orgID, u.ID, opts.Role); err != nil {
			return err
		}
		m = warehouse.Member{User: u, OrgID: orgID, Role: opts.Role}
		return nil
	})
	if err != nil {
		tb.Fatalf("create test member: %v", err)
	}
	return m
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck
	return hex.EncodeToString(b)[:n]
}
