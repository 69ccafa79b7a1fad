package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/context-intelligence/ctxintel/migrations"
	"github.com/context-intelligence/ctxintel/warehouse"
)

func newMigrateCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, revert or list database migrations (Postgres with River's, and ClickHouse)",
	}
	var upSteps, downSteps int
	var all bool
	up := &cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration (River's, then ours, then ClickHouse's)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := openStores(ctx, cfg, true)
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.db.MigratePostgres(ctx, migrations.Postgres, "up", upSteps, s.log); err != nil {
				return err
			}
			if err := warehouse.MigrateClickHouse(ctx, s.ch, migrations.ClickHouse, "up", upSteps); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "migrations: up to date")
			return nil
		},
	}
	up.Flags().IntVar(&upSteps, "steps", 0, "apply at most this many of our migrations per store (0 = all)")
	down := &cobra.Command{
		Use:   "down",
		Short: "Revert the newest migration of each store (--steps N for more, --all for everything incl. River)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := openStores(ctx, cfg, true)
			if err != nil {
				return err
			}
			defer s.Close()
			n := downSteps
			if all {
				n = -1
			}
			if err := warehouse.MigrateClickHouse(ctx, s.ch, migrations.ClickHouse, "down", n); err != nil {
				return err
			}
			if err := s.db.MigratePostgres(ctx, migrations.Postgres, "down", n, s.log); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "migrations: reverted")
			return nil
		},
	}
	down.Flags().IntVar(&downSteps, "steps", 1, "revert this many of our migrations per store")
	down.Flags().BoolVar(&all, "all", false, "revert every migration, River's included (drops all data)")
	status := &cobra.Command{
		Use:   "status",
		Short: "List migrations and whether each is applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			s, err := openStores(ctx, cfg, true)
			if err != nil {
				return err
			}
			defer s.Close()
			pg, riverVersion, err := s.db.PostgresMigrationStatus(ctx, migrations.Postgres)
			if err != nil {
				return err
			}
			chs, err := warehouse.ClickHouseMigrationStatus(ctx, s.ch, migrations.ClickHouse)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "STORE\tMIGRATION\tSTATUS\tAPPLIED AT")
			riverState := "applied"
			if riverVersion == 0 {
				riverState = "pending"
			}
			fmt.Fprintf(w, "postgres\triver (version %d)\t%s\t\n", riverVersion, riverState)
			print := func(store string, list []warehouse.MigrationStatus) {
				for _, m := range list {
					state, at := "pending", ""
					if m.Applied {
						state, at = "applied", m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
					}
					fmt.Fprintf(w, "%s\t%04d_%s\t%s\t%s\n", store, m.Version, m.Name, state, at)
				}
			}
			print("postgres", pg)
			print("clickhouse", chs)
			return w.Flush()
		},
	}
	cmd.AddCommand(up, down, status)
	return cmd
}
