package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/context-intelligence/ctxintel/analytics"
)

func newWarehouseCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "warehouse", Short: "Re-project analytics from Postgres into ClickHouse, and compare the two"}
	var org string
	var all, wipe bool
	// scope resolves --org / --all to an org id (uuid.Nil for all).
	scope := func(ctx context.Context, s *stores) (uuid.UUID, error) {
		switch {
		case all && org != "":
			return uuid.Nil, fmt.Errorf("give --org or --all, not both")
		case all:
			return uuid.Nil, nil
		case org == "":
			return uuid.Nil, fmt.Errorf("give --org SLUG or --all")
		}
		a := &adminEnv{stores: s}
		o, err := a.orgBySlug(ctx, org)
		return o.ID, err
	}
	rebuild := &cobra.Command{
		Use:   "rebuild",
		Short: "Re-project conversations, messages, commits and searches into ClickHouse",
		Long: `Re-project every conversation, message, commit and search from Postgres (the system
of record) into ClickHouse's event tables. Idempotent and safe while the service runs:
rows collapse with what the projection jobs write. --wipe first deletes the scope's
analytics rows, for entities Postgres no longer has. With embedded ClickHouse, stop
serve first (one process owns the data directory).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := openStores(ctx, cfg, true)
			if err != nil {
				return err
			}
			defer s.Close()
			orgID, err := scope(ctx, s)
			if err != nil {
				return err
			}
			if wipe {
				if err := analytics.Wipe(ctx, s.ch, orgID); err != nil {
					return err
				}
			}
			bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionSetDescription("rows"),
				progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
			if !isTerminal(os.Stderr) {
				bar = progressbar.DefaultSilent(-1)
			}
			n, err := analytics.Rebuild(ctx, s.db, s.ch, orgID, func(n int) { bar.Set(n) }) //nolint:errcheck
			bar.Finish()                                                                    //nolint:errcheck
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "re-projected %d rows\n", n)
			return nil
		},
	}
	rebuild.Flags().StringVar(&org, "org", "", "organization slug")
	rebuild.Flags().BoolVar(&all, "all", false, "every organization")
	rebuild.Flags().BoolVar(&wipe, "wipe", false, "delete the scope's analytics rows first")
	var from, to string
	var asJSON bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Compare counts per day between Postgres and ClickHouse and report every difference",
		Long: `Compare, per organization, day and table, the counts in ClickHouse with Postgres (the
system of record) over whole UTC days (default: the last 30 days). Exits non-zero when
they differ; ctxintel warehouse rebuild repairs it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := openStores(ctx, cfg, true)
			if err != nil {
				return err
			}
			defer s.Close()
			orgID, err := scope(ctx, s)
			if err != nil {
				return err
			}
			end := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
			start := end.AddDate(0, 0, -30)
			if from != "" {
				if start, err = time.Parse(time.DateOnly, from); err != nil {
					return fmt.Errorf("--from must be a date like 2026-11-01")
				}
			}
			if to != "" {
				if end, err = time.Parse(time.DateOnly, to); err != nil {
					return fmt.Errorf("--to must be a date like 2026-11-30")
				}
			}
			rep, err := analytics.Check(ctx, s.db, s.ch, orgID, start, end)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "TABLE\tMEASURE\tPOSTGRES\tCLICKHOUSE")
				for _, t := range rep.Totals {
					fmt.Fprintf(w, "%s\t%s\t%d\t%d\n", t.Table, t.Measure, t.Postgres, t.ClickHouse)
				}
				w.Flush() //nolint:errcheck
				for _, d := range rep.Differences {
					fmt.Fprintln(out, d.String())
				}
				if rep.Consistent() {
					fmt.Fprintln(out, "consistent")
				}
			}
			if !rep.Consistent() {
				return fmt.Errorf("%d differences between Postgres and ClickHouse; run ctxintel warehouse rebuild", len(rep.Differences))
			}
			return nil
		},
	}
	check.Flags().StringVar(&org, "org", "", "organization slug")
	check.Flags().BoolVar(&all, "all", false, "every organization")
	check.Flags().StringVar(&from, "from", "", "first day (default: 30 days ago)")
	check.Flags().StringVar(&to, "to", "", "day after the last (default: tomorrow)")
	check.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.AddCommand(rebuild, check)
	return cmd
}
