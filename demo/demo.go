// Package demo seeds the demonstration organization that `make run` shows
// on an empty database: people with every role, teams, an admin API key,
// weeks of conversations from every assistant, and the commits of the same
// weeks (those the assistants made, and the people's own). It goes through the
// same domain services as real use (the conversations are generated as raw
// capture files and stored through ingest), so the demo exercises the
// product rather than a side door.
package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/tenancy"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Seeded is what SeedIfEmpty created.
type Seeded struct {
	Org      warehouse.Organization
	Admin    warehouse.Member
	AdminKey string
	Captures int // capture files stored; their processing runs in jobs
	Commits  int // commits stored; their linking runs in jobs
}

// Storer stores capture files and commits and enqueues their processing.
type Storer interface {
	Store(ctx context.Context, u ingest.Upload) (ingest.Stored, error)
	StoreCommits(ctx context.Context, b ingest.CommitBatch) (int, error)
}

type person struct{ email, name, role, team, teamRole string }

var people = []person{
	{"maria.chen@demo.example", "Maria Chen", warehouse.RoleManager, "platform", "lead"},
	{"sam.okafor@demo.example", "Sam Okafor", warehouse.RoleDeveloper, "platform", "member"},
	{"lena.fischer@demo.example", "Lena Fischer", warehouse.RoleDeveloper, "platform", "member"},
	{"diego.ramos@demo.example", "Diego Ramos", warehouse.RoleManager, "web", "lead"},
	{"aisha.khan@demo.example", "Aisha Khan", warehouse.RoleDeveloper, "web", "member"},
	{"tom.berg@demo.example", "Tom Berg", warehouse.RoleDeveloper, "web", "member"},
	{"priya.nair@demo.example", "Priya Nair", warehouse.RoleAuditor, "", ""},
}

// SeedIfEmpty creates the demo org when no organization exists and returns
// nil, nil otherwise.
func SeedIfEmpty(ctx context.Context, svc *tenancy.Service, ing Storer) (*Seeded, error) {
	var n int
	err := svc.DB.AsSystem(ctx, func(tx pgx.Tx) error {
		var err error
		n, err = warehouse.CountOrganizations(ctx, tx)
		return err
	})
	if err != nil || n > 0 {
		return nil, err
	}
	actor := tenancy.SystemActor
	org, admin, err := svc.CreateOrg(ctx, actor, tenancy.NewOrg{
		Slug: "demo", Name: "Demo Co", Plan: "pro", Region: "us",
		AdminEmail: "admin@demo.example", AdminName: "Alex Admin",
	})
	if err != nil {
		return nil, err
	}
	for _, slug := range []string{"platform", "web"} {
		if _, err := svc.CreateTeam(ctx, actor, org.ID, slug, teamName(slug)); err != nil {
			return nil, err
		}
	}
	ids := map[string]uuid.UUID{admin.Email: admin.ID}
	for _, p := range people {
		m, err := svc.AddMember(ctx, actor, org.ID, p.email, p.name, p.role)
		if err != nil {
			return nil, err
		}
		ids[p.email] = m.ID
		if p.team != "" {
			if err := svc.AddTeamMember(ctx, actor, org.ID, p.team, p.email, p.teamRole); err != nil {
				return nil, err
			}
		}
	}
	key, _, err := svc.NewAPIKey(ctx, actor, org.ID, admin.ID, "demo admin", nil)
	if err != nil {
		return nil, fmt.Errorf("create demo API key: %w", err)
	}
	data := Generate(1, time.Now().UTC(), 6)
	for _, f := range data.Files {
		uid, ok := ids[f.UserEmail]
		if !ok {
			return nil, fmt.Errorf("demo file %s belongs to unknown person %s", f.Name, f.UserEmail)
		}
		if _, err := ing.Store(ctx, ingest.Upload{OrgID: org.ID, UserID: uid, Name: f.Name, Data: f.Data}); err != nil {
			return nil, fmt.Errorf("store demo capture: %w", err)
		}
	}
	// Commits go in per repository remote, as `commits import` sends them;
	// correlation links those the conversations made when either side
	// arrives.
	batches := map[string][]ingest.CommitInput{}
	var remotes []string
	for _, c := range data.Commits {
		if _, ok := batches[c.Remote]; !ok {
			remotes = append(remotes, c.Remote)
		}
		batches[c.Remote] = append(batches[c.Remote], ingest.CommitInput{SHA: c.SHA, Branch: c.Branch, AuthorName: c.AuthorName,
			AuthorEmail: c.AuthorEmail, CommittedAt: c.At, Message: c.Message, Additions: c.Additions, Deletions: c.Deletions})
	}
	for _, remote := range remotes {
		if _, err := ing.StoreCommits(ctx, ingest.CommitBatch{OrgID: org.ID, Remote: remote, Source: "import", Commits: batches[remote]}); err != nil {
			return nil, fmt.Errorf("store demo commits of %s: %w", remote, err)
		}
	}
	return &Seeded{Org: org, Admin: admin, AdminKey: key, Captures: len(data.Files), Commits: len(data.Commits)}, nil
}

func teamName(slug string) string {
	switch slug {
	case "platform":
		return "Platform"
	case "web":
		return "Web"
	}
	return slug
}
