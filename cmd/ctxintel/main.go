// Command ctxintel is Context Intelligence in one binary: the HTTP service,
// the job workers, migrations and the operator and developer commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		if err != errSilentFailure {
			fmt.Fprintln(os.Stderr, "ctxintel:", err)
		}
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	cfg := &Config{}
	root := &cobra.Command{
		Use:   "ctxintel",
		Short: "Context Intelligence: capture, search and analyze AI coding-assistant conversations",
		Long: `Context Intelligence stores the conversations developers have with AI coding
assistants (Claude Code, Codex CLI, Cursor, Copilot Chat, Aider, Gemini CLI),
makes them searchable, links them to the commits they led to, and reports on
them for teams, executives and auditors.

Every setting is a flag and an environment variable; see "Global Flags".`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cfg.bindFlags(root.PersistentFlags())
	root.AddCommand(
		newServeCmd(cfg),
		newWorkerCmd(cfg),
		newMigrateCmd(cfg),
		newAdminCmd(cfg),
		newImportCmd(cfg),
		newCaptureCmd(cfg),
		newSearchCmd(cfg),
		newCommitsCmd(cfg),
		newHookCmd(),
		newLinksCmd(cfg),
		newWarehouseCmd(cfg),
		newBenchCmd(cfg),
	)
	return root
}
