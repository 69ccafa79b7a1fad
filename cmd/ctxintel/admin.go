package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/spf13/cobra"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/jobs"
	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/tenancy"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// adminEnv is what every admin subcommand works with.
type adminEnv struct {
	*stores
	svc   *tenancy.Service
	river *river.Client[pgx.Tx]
}

// withAdmin opens Postgres (ClickHouse is not needed: admin writes go to
// Postgres, and their projections are enqueued for the workers).
func withAdmin(cfg *Config, fn func(ctx context.Context, a *adminEnv, out io.Writer) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		s, err := openStores(ctx, cfg, false)
		if err != nil {
			return err
		}
		defer s.Close()
		client, err := jobs.NewInsertClient(s.db, s.log)
		if err != nil {
			return err
		}
		return fn(ctx, &adminEnv{stores: s, svc: &tenancy.Service{DB: s.db, Jobs: client}, river: client}, cmd.OutOrStdout())
	}
}

// orgBySlug resolves --org.
func (a *adminEnv) orgBySlug(ctx context.Context, slug string) (warehouse.Organization, error) {
	var org warehouse.Organization
	if slug == "" {
		return org, fmt.Errorf("--org is required (an organization slug; see `ctxintel admin org list`)")
	}
	err := a.db.AsSystem(ctx, func(tx pgx.Tx) error {
		var err error
		org, err = warehouse.GetOrganizationBySlug(ctx, tx, slug)
		return err
	})
	return org, err
}

func newAdminCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Operator commands: organizations, users, teams, API keys, failed jobs",
	}
	cmd.AddCommand(newAdminOrgCmd(cfg), newAdminUserCmd(cfg), newAdminTeamCmd(cfg), newAdminAPIKeyCmd(cfg), newAdminJobsCmd(cfg),
		newAdminCapturesCmd(cfg), newAdminReprocessCmd(cfg), newAdminReembedCmd(cfg), newAdminWebhookCmd(cfg), newAdminRepoCmd(cfg))
	return cmd
}

func newAdminOrgCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Create and list organizations"}
	var n tenancy.NewOrg
	create := &cobra.Command{
		Use:     "create",
		Short:   "Create an organization with its first admin",
		Example: `  ctxintel admin org create --slug acme --name "Acme Inc" --admin-email ada@acme.example --plan pro`,
		Args:    cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			org, admin, err := a.svc.CreateOrg(ctx, tenancy.SystemActor, n)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "created organization %s (%s), plan %s, region %s\nadmin: %s (%s)\n", org.Slug, org.ID, org.Plan, org.Region, admin.Email, admin.ID)
			return nil
		}),
	}
	create.Flags().StringVar(&n.Slug, "slug", "", "URL name: lowercase letters, digits, dashes (required)")
	create.Flags().StringVar(&n.Name, "name", "", "display name (required)")
	create.Flags().StringVar(&n.Plan, "plan", "starter", "starter, pro or enterprise")
	create.Flags().StringVar(&n.Region, "region", "us", "data residency region: us, eu or ap")
	create.Flags().StringVar(&n.AdminEmail, "admin-email", "", "e-mail of the first admin (required)")
	create.Flags().StringVar(&n.AdminName, "admin-name", "", "name of the first admin")
	for _, f := range []string{"slug", "name", "admin-email"} {
		create.MarkFlagRequired(f) //nolint:errcheck
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List organizations",
		Args:  cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			var orgs []warehouse.Organization
			err := a.db.AsSystem(ctx, func(tx pgx.Tx) error {
				var err error
				orgs, err = warehouse.ListOrganizations(ctx, tx)
				return err
			})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SLUG\tNAME\tPLAN\tREGION\tID\tCREATED")
			for _, o := range orgs {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Slug, o.Name, o.Plan, o.Region, o.ID, o.CreatedAt.UTC().Format(time.DateOnly))
			}
			return w.Flush()
		}),
	}
	cmd.AddCommand(create, list)
	return cmd
}

func newAdminUserCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Add and list an organization's members"}
	var org, email, name, role string
	add := &cobra.Command{
		Use:     "add",
		Short:   "Add a person to an organization with a role",
		Example: `  ctxintel admin user add --org acme --email bob@acme.example --name "Bob" --role developer`,
		Args:    cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			m, err := a.svc.AddMember(ctx, tenancy.SystemActor, o.ID, email, name, role)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "added %s (%s) to %s as %s\n", m.Email, m.ID, o.Slug, m.Role)
			return nil
		}),
	}
	add.Flags().StringVar(&org, "org", "", "organization slug (required)")
	add.Flags().StringVar(&email, "email", "", "e-mail (required)")
	add.Flags().StringVar(&name, "name", "", "display name")
	add.Flags().StringVar(&role, "role", "developer", "developer, manager, admin or auditor")
	add.MarkFlagRequired("org")   //nolint:errcheck
	add.MarkFlagRequired("email") //nolint:errcheck
	var listOrg string
	list := &cobra.Command{
		Use:   "list",
		Short: "List an organization's members",
		Args:  cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, listOrg)
			if err != nil {
				return err
			}
			var members []warehouse.Member
			err = a.db.InOrg(ctx, o.ID, func(tx pgx.Tx) error {
				members, err = warehouse.ListMembers(ctx, tx)
				return err
			})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "EMAIL\tNAME\tROLE\tID")
			for _, m := range members {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", m.Email, m.Name, m.Role, m.ID)
			}
			return w.Flush()
		}),
	}
	list.Flags().StringVar(&listOrg, "org", "", "organization slug (required)")
	cmd.AddCommand(add, list)
	return cmd
}

func newAdminTeamCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "team", Short: "Create teams and add members"}
	var org, slug, name, email, role string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create a team",
		Args:  cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			t, err := a.svc.CreateTeam(ctx, tenancy.SystemActor, o.ID, slug, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "created team %s (%s) in %s\n", t.Slug, t.ID, o.Slug)
			return nil
		}),
	}
	create.Flags().StringVar(&org, "org", "", "organization slug (required)")
	create.Flags().StringVar(&slug, "slug", "", "team slug (required)")
	create.Flags().StringVar(&name, "name", "", "team name (required)")
	addMember := &cobra.Command{
		Use:   "add-member",
		Short: "Add an organization member to a team",
		Args:  cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			if err := a.svc.AddTeamMember(ctx, tenancy.SystemActor, o.ID, slug, email, role); err != nil {
				return err
			}
			fmt.Fprintf(out, "added %s to team %s as %s\n", email, slug, role)
			return nil
		}),
	}
	addMember.Flags().StringVar(&org, "org", "", "organization slug (required)")
	addMember.Flags().StringVar(&slug, "team", "", "team slug (required)")
	addMember.Flags().StringVar(&email, "email", "", "member e-mail (required)")
	addMember.Flags().StringVar(&role, "role", "member", "member or lead")
	list := &cobra.Command{
		Use:   "list",
		Short: "List an organization's teams",
		Args:  cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			var teams []warehouse.Team
			err = a.db.InOrg(ctx, o.ID, func(tx pgx.Tx) error {
				teams, err = warehouse.ListTeams(ctx, tx)
				return err
			})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SLUG\tNAME\tMEMBERS\tID")
			for _, t := range teams {
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\n", t.Slug, t.Name, t.Members, t.ID)
			}
			return w.Flush()
		}),
	}
	list.Flags().StringVar(&org, "org", "", "organization slug (required)")
	cmd.AddCommand(create, addMember, list)
	return cmd
}

func newAdminAPIKeyCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "apikey", Short: "Create, list and revoke API keys"}
	var org, email, name, id string
	var ttl time.Duration
	create := &cobra.Command{
		Use:     "create",
		Short:   "Create an API key for a member (printed once)",
		Example: `  ctxintel admin apikey create --org acme --email bob@acme.example --name "bob laptop"`,
		Args:    cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			var m warehouse.Member
			err = a.db.InOrg(ctx, o.ID, func(tx pgx.Tx) error {
				m, err = warehouse.GetMemberByEmail(ctx, tx, email)
				return err
			})
			if err != nil {
				return fmt.Errorf("%s is not a member of %s: %w", email, o.Slug, err)
			}
			var expires *time.Time
			if ttl > 0 {
				t := time.Now().Add(ttl)
				expires = &t
			}
			plain, k, err := a.svc.NewAPIKey(ctx, tenancy.SystemActor, o.ID, m.ID, name, expires)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "created API key %q (%s) for %s in %s\n\n  %s\n\nStore it now: it is not shown again.\n", k.Name, k.ID, m.Email, o.Slug, plain)
			return nil
		}),
	}
	create.Flags().StringVar(&org, "org", "", "organization slug (required)")
	create.Flags().StringVar(&email, "email", "", "member the key acts as (required)")
	create.Flags().StringVar(&name, "name", "", "a name to recognise the key by (required)")
	create.Flags().DurationVar(&ttl, "expires-in", 0, "expire after this long, e.g. 720h (default: never)")
	list := &cobra.Command{
		Use:   "list",
		Short: "List an organization's API keys (never the secrets)",
		Args:  cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			var keys []warehouse.APIKey
			err = a.db.InOrg(ctx, o.ID, func(tx pgx.Tx) error {
				keys, err = warehouse.ListAPIKeys(ctx, tx)
				return err
			})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "PREFIX\tNAME\tUSER\tSTATE\tLAST USED\tID")
			for _, k := range keys {
				state := "active"
				switch {
				case k.RevokedAt != nil:
					state = "revoked"
				case k.ExpiresAt != nil && k.ExpiresAt.Before(time.Now()):
					state = "expired"
				}
				used := "never"
				if k.LastUsedAt != nil {
					used = k.LastUsedAt.UTC().Format(time.DateTime)
				}
				fmt.Fprintf(w, "%s…\t%s\t%s\t%s\t%s\t%s\n", k.Prefix, k.Name, k.UserID, state, used, k.ID)
			}
			return w.Flush()
		}),
	}
	list.Flags().StringVar(&org, "org", "", "organization slug (required)")
	revoke := &cobra.Command{
		Use:   "revoke",
		Short: "Revoke an API key",
		Args:  cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			keyID, err := uuid.Parse(id)
			if err != nil {
				return fmt.Errorf("--id must be a key id from `ctxintel admin apikey list`, got %q", id)
			}
			if err := a.svc.RevokeAPIKey(ctx, tenancy.SystemActor, o.ID, keyID); err != nil {
				return err
			}
			fmt.Fprintf(out, "revoked API key %s\n", keyID)
			return nil
		}),
	}
	revoke.Flags().StringVar(&org, "org", "", "organization slug (required)")
	revoke.Flags().StringVar(&id, "id", "", "key id (required)")
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func newAdminJobsCmd(cfg *Config) *cobra.Command {
	var state string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "List failed jobs with their errors (the dead-letter view)",
		Long: `List jobs that failed: "discarded" jobs used up their attempts and will not run
again (the dead letters); "retryable" jobs failed and wait for their next attempt.`,
		Args: cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			states := map[string][]rivertype.JobState{
				"discarded": {rivertype.JobStateDiscarded},
				"retryable": {rivertype.JobStateRetryable},
				"failed":    {rivertype.JobStateDiscarded, rivertype.JobStateRetryable},
				"cancelled": {rivertype.JobStateCancelled},
			}[state]
			if states == nil {
				return fmt.Errorf("--state must be failed, discarded, retryable or cancelled, got %q", state)
			}
			res, err := a.river.JobList(ctx, river.NewJobListParams().States(states...).First(limit).
				OrderBy(river.JobListOrderByTime, river.SortOrderDesc))
			if err != nil {
				return fmt.Errorf("list jobs: %w", err)
			}
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(res.Jobs)
			}
			if len(res.Jobs) == 0 {
				fmt.Fprintf(out, "no %s jobs\n", state)
				return nil
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tKIND\tQUEUE\tSTATE\tATTEMPTS\tLAST ERROR")
			for _, j := range res.Jobs {
				last := ""
				if n := len(j.Errors); n > 0 {
					last = oneLine(j.Errors[n-1].Error)
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d/%d\t%s\n", j.ID, j.Kind, j.Queue, j.State, j.Attempt, j.MaxAttempts, last)
			}
			return w.Flush()
		}),
	}
	cmd.Flags().StringVar(&state, "state", "failed", "failed (discarded + retryable), discarded, retryable or cancelled")
	cmd.Flags().IntVar(&limit, "limit", 50, "list at most this many, newest first")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the jobs as JSON, with every attempt's error")
	return cmd
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

func newAdminCapturesCmd(cfg *Config) *cobra.Command {
	var org, status string
	var limit int
	cmd := &cobra.Command{
		Use:   "captures",
		Short: "List stored capture payloads and how their processing went",
		Args:  cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			var list []warehouse.RawCapture
			err = a.db.InOrg(ctx, o.ID, func(tx pgx.Tx) error {
				list, err = warehouse.ListRawCaptures(ctx, tx, status, limit)
				return err
			})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tSTATUS\tFORMAT\tBYTES\tSOURCE\tERROR")
			for _, c := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", c.ID, c.Status, c.Format, c.SizeBytes, c.SourceName, oneLine(c.Error))
			}
			return w.Flush()
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "organization slug (required)")
	cmd.Flags().StringVar(&status, "status", "", "only this status: pending, processed, failed or superseded")
	cmd.Flags().IntVar(&limit, "limit", 100, "list at most this many, oldest first")
	return cmd
}

func newAdminReprocessCmd(cfg *Config) *cobra.Command {
	var org, id string
	var failed bool
	cmd := &cobra.Command{
		Use:   "reprocess",
		Short: "Process stored captures again (after a parser fix): one by --id, or every --failed one",
		Args:  cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			ing := &ingest.Service{DB: a.db, Jobs: a.river}
			var ids []uuid.UUID
			switch {
			case id != "" && failed:
				return fmt.Errorf("give --id or --failed, not both")
			case id != "":
				u, err := uuid.Parse(id)
				if err != nil {
					return fmt.Errorf("--id must be a capture id from `ctxintel admin captures`, got %q", id)
				}
				ids = append(ids, u)
			case failed:
				var list []warehouse.RawCapture
				err = a.db.InOrg(ctx, o.ID, func(tx pgx.Tx) error {
					list, err = warehouse.ListRawCaptures(ctx, tx, warehouse.CaptureFailed, 100000)
					return err
				})
				if err != nil {
					return err
				}
				for _, c := range list {
					ids = append(ids, c.ID)
				}
			default:
				return fmt.Errorf("give --id ID or --failed")
			}
			for _, c := range ids {
				if err := ing.Reprocess(ctx, o.ID, c); err != nil {
					return err
				}
			}
			fmt.Fprintf(out, "enqueued %d capture(s) for processing; the workers of `ctxintel serve` or `ctxintel worker` pick them up\n", len(ids))
			return nil
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "organization slug (required)")
	cmd.Flags().StringVar(&id, "id", "", "capture id")
	cmd.Flags().BoolVar(&failed, "failed", false, "every capture whose processing failed")
	return cmd
}

func newAdminReembedCmd(cfg *Config) *cobra.Command {
	var org string
	var all, prune bool
	cmd := &cobra.Command{
		Use:   "reembed",
		Short: "Embed every message that has no vector of the configured model (backfill or model switch)",
		Long: `Enqueue embedding jobs for every conversation with messages that have no vector of
the configured embedding model: after enabling semantic search, after an outage of
the embedding service, or after switching models (--embedding-provider/-model). The
workers of serve or worker do the work; admin jobs shows failures.

After a switch has been backfilled, --prune deletes the vectors of other models.`,
		Args: cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			if org == "" && !all {
				return fmt.Errorf("give --org SLUG or --all")
			}
			embedder, err := newEmbedder(cfg, a.log)
			if err != nil {
				return err
			}
			svc := &search.Service{DB: a.db, Embedder: embedder}
			if err := svc.EnsureIndex(ctx); err != nil {
				return err
			}
			var orgs []warehouse.Organization
			if all {
				err = a.db.AsSystem(ctx, func(tx pgx.Tx) error {
					orgs, err = warehouse.ListOrganizations(ctx, tx)
					return err
				})
			} else {
				var o warehouse.Organization
				o, err = a.orgBySlug(ctx, org)
				orgs = append(orgs, o)
			}
			if err != nil {
				return err
			}
			for _, o := range orgs {
				if prune {
					n, err := svc.PruneOtherModels(ctx, o.ID)
					if err != nil {
						return err
					}
					fmt.Fprintf(out, "%s: deleted %d vectors of models other than %s\n", o.Slug, n, embedder.Model())
					continue
				}
				n, err := svc.Backfill(ctx, a.river, o.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%s: enqueued embedding of %d conversations with %s\n", o.Slug, n, embedder.Model())
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "organization slug")
	cmd.Flags().BoolVar(&all, "all", false, "every organization")
	cmd.Flags().BoolVar(&prune, "prune", false, "delete vectors of other models instead (after a switch was backfilled)")
	return cmd
}

func newAdminWebhookCmd(cfg *Config) *cobra.Command {
	var org, provider string
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Print the URL and secret to configure a GitHub or GitLab push webhook",
		Long: `Print what to enter in the forge's webhook settings for an organization:
GitHub (repository or organization Settings → Webhooks): the payload URL, content type
application/json, the secret, and the "push" event. GitLab (Settings → Webhooks): the
URL, the secret token, and "Push events". The secret is derived from the server's
secret key (CTXINTEL_SECRET_KEY, or the key file in the data directory).`,
		Args: cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			if provider != ingest.ProviderGitHub && provider != ingest.ProviderGitLab {
				return fmt.Errorf("--provider must be github or gitlab, got %q", provider)
			}
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			key, err := tenancy.LoadServerKey(cfg.SecretKey, cfg.DataDir)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "URL:    %s/webhooks/%s/%s\nSecret: %s\nEvents: push (content type application/json)\n",
				strings.TrimRight(cfg.PublicURL, "/"), provider, o.Slug, tenancy.WebhookSecret(key, o.ID, provider))
			return nil
		}),
	}
	cmd.Flags().StringVar(&org, "org", "", "organization slug (required)")
	cmd.Flags().StringVar(&provider, "provider", "github", "github or gitlab")
	return cmd
}

func newAdminRepoCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "repo", Short: "Register repositories whose commit diffs may be fetched from GitHub or GitLab"}
	var org, remote string
	var installation int64
	add := &cobra.Command{
		Use:   "add",
		Short: "Register a repository to an organization (and its GitHub App installation)",
		Long: `Register a repository so that webhook pushes of it are completed with their diffs from
the forge's REST API (--github-app-id / CTXINTEL_GITHUB_TOKEN / CTXINTEL_GITLAB_TOKEN).
Pushes of repositories that are not registered are still stored and linked, from the file
lists in the payload: the shared API credentials are never used for a repository an
organization has not registered, nor with an installation id taken from a payload.`,
		Example: `  ctxintel admin repo add --org acme --remote https://github.com/acme/shop --github-installation 4242`,
		Args:    cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			key := ingest.NormalizeRemote(remote)
			if key == "" {
				return fmt.Errorf("--remote is required (the repository's URL)")
			}
			provider := "git"
			switch {
			case strings.HasPrefix(key, "github.com/") || installation != 0:
				provider = ingest.ProviderGitHub
			case strings.HasPrefix(key, "gitlab."):
				provider = ingest.ProviderGitLab
			}
			var r warehouse.Repository
			err = a.db.InOrg(ctx, o.ID, func(tx pgx.Tx) error {
				r, err = warehouse.UpsertRepository(ctx, tx, warehouse.Repository{OrgID: o.ID, Key: key, Provider: provider, RemoteURL: remote, InstallationID: installation})
				if err != nil {
					return err
				}
				return a.svc.Record(ctx, tx, o.ID, tenancy.SystemActor, "repository.registered", "repository", r.ID.String(),
					map[string]any{"key": key, "installation_id": installation})
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "registered %s (%s) in %s\n", key, provider, o.Slug)
			return nil
		}),
	}
	add.Flags().StringVar(&org, "org", "", "organization slug (required)")
	add.Flags().StringVar(&remote, "remote", "", "repository URL, any form (required)")
	add.Flags().Int64Var(&installation, "github-installation", 0, "the org's GitHub App installation id for this repository")
	list := &cobra.Command{
		Use:   "list",
		Short: "List an organization's registered repositories",
		Args:  cobra.NoArgs,
		RunE: withAdmin(cfg, func(ctx context.Context, a *adminEnv, out io.Writer) error {
			o, err := a.orgBySlug(ctx, org)
			if err != nil {
				return err
			}
			var repos []warehouse.Repository
			err = a.db.InOrg(ctx, o.ID, func(tx pgx.Tx) error {
				repos, err = warehouse.ListRepositories(ctx, tx)
				return err
			})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "REPOSITORY\tPROVIDER\tINSTALLATION")
			for _, r := range repos {
				fmt.Fprintf(w, "%s\t%s\t%d\n", r.Key, r.Provider, r.InstallationID)
			}
			return w.Flush()
		}),
	}
	list.Flags().StringVar(&org, "org", "", "organization slug (required)")
	cmd.AddCommand(add, list)
	return cmd
}
