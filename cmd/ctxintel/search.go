package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/context-intelligence/ctxintel/search"
)

func newSearchCmd(cfg *Config) *cobra.Command {
	var mode, user, team, tool, model, repo, branch, from, to, role, hasCommit string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "search QUERY...",
		Short: "Search your team's conversations by keyword, meaning or both",
		Long: `Search the conversations you may see on --server. Web-search syntax: "quoted
phrases", -excluded words, OR between alternatives. Identifiers, paths and error
strings (getUserById, src/auth/jwt.go, ERR_CONNECTION_RESET) match exactly.

Modes: hybrid (default: keyword and semantic results fused), keyword, semantic.`,
		Example: `  ctxintel search find discussions about authentication
  ctxintel search --mode keyword 'ERR_CONNECTION_RESET in useAuthToken.ts'
  ctxintel search --repo github.com/acme/shop --from 2026-11-01 --role prompts "flaky test" -cypress`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.validateClient(); err != nil {
				return err
			}
			q := url.Values{"q": {strings.Join(args, " ")}}
			for k, v := range map[string]string{"mode": mode, "user": user, "team": team, "tool": tool, "model": model,
				"repo": repo, "branch": branch, "from": from, "to": to, "role": role, "has_commit": hasCommit} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if limit > 0 {
				q.Set("limit", fmt.Sprint(limit))
			}
			raw, err := newAPIClient(cfg.Client, 30*time.Second).get(cmd.Context(), "/api/v1/search?"+q.Encode())
			if err != nil {
				return err
			}
			if asJSON {
				_, err := cmd.OutOrStdout().Write(raw)
				return err
			}
			var res search.Result
			if err := json.Unmarshal(raw, &res); err != nil {
				return fmt.Errorf("decode answer: %w", err)
			}
			printSearch(cmd.OutOrStdout(), res, isTerminal(cmd.OutOrStdout()))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&mode, "mode", "hybrid", "hybrid, keyword or semantic")
	f.StringVar(&user, "user", "", "only this person's conversations (e-mail)")
	f.StringVar(&team, "team", "", "only this team's conversations (slug)")
	f.StringVar(&tool, "tool", "", "only this assistant: claude_code, codex, cursor, copilot, aider, gemini, …")
	f.StringVar(&model, "model", "", "only conversations that used this model")
	f.StringVar(&repo, "repo", "", "only this repository (any form of its remote)")
	f.StringVar(&branch, "branch", "", "only this branch")
	f.StringVar(&from, "from", "", "only conversations from this date (2026-11-01) or time on")
	f.StringVar(&to, "to", "", "only conversations before this date or time")
	f.StringVar(&role, "role", "", "prompts (what people asked) or answers (what assistants said)")
	f.StringVar(&hasCommit, "has-commit", "", "true: only conversations linked to a commit; false: only those without")
	f.IntVar(&limit, "limit", 10, "conversations to show (at most 100)")
	f.BoolVar(&asJSON, "json", false, "print the API's JSON answer")
	return cmd
}

// get performs an authenticated GET and returns the body of a 200.
func (c *apiClient) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, newAPIError(resp.StatusCode, raw)
	}
	return raw, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func printSearch(w io.Writer, res search.Result, color bool) {
	bold, dim, reset := "", "", ""
	if color {
		bold, dim, reset = "\033[1m", "\033[2m", "\033[0m"
	}
	for _, n := range res.Notices {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if len(res.Conversations) == 0 {
		fmt.Fprintf(w, "no results: %s\n", res.Reason)
		return
	}
	for i, c := range res.Conversations {
		when := ""
		if c.StartedAt != nil {
			when = c.StartedAt.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(w, "%s%d. %s%s\n", bold, i+1, c.Title, reset)
		fmt.Fprintf(w, "   %s%s · %s · %s · %s · %s%s\n", dim, c.Source, c.UserEmail, when, c.Repo, c.ID, reset)
		for _, m := range c.Matches {
			fmt.Fprintf(w, "   %s%-9s%s %s\n", dim, m.Role, reset, mark(m.Snippet, m.Highlights, bold, reset))
		}
	}
	fmt.Fprintf(w, "%s%d conversations · %s · %.0f ms%s\n", dim, len(res.Conversations), res.Mode, res.TookMS, reset)
}

// mark wraps highlighted rune ranges with on/off (or brackets without
// a terminal).
func mark(s string, spans [][2]int, on, off string) string {
	if on == "" {
		on, off = "[", "]"
	}
	r := []rune(s)
	var b strings.Builder
	prev := 0
	for _, sp := range spans {
		if sp[0] < prev || sp[1] > len(r) || sp[0] >= sp[1] {
			continue
		}
		b.WriteString(string(r[prev:sp[0]]))
		b.WriteString(on + string(r[sp[0]:sp[1]]) + off)
		prev = sp[1]
	}
	b.WriteString(string(r[prev:]))
	return b.String()
}
