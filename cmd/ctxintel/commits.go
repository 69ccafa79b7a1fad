package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/context-intelligence/ctxintel/ingest"
)

// git runs a git command in a repository and returns its output.
func git(ctx context.Context, repo string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// repoRemote is the repository's origin URL, or its path when it has no
// remote (commits of a local-only repository still link to conversations
// whose cwd is that path).
func repoRemote(ctx context.Context, repo string) (string, error) {
	if out, err := git(ctx, repo, "remote", "get-url", "origin"); err == nil && strings.TrimSpace(out) != "" {
		return strings.TrimSpace(out), nil
	}
	top, err := git(ctx, repo, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(top), nil
}

// readCommits reads commits with their diffs and patch ids.
func readCommits(ctx context.Context, repo string, shas []string, branch string) ([]ingest.CommitInput, error) {
	out := make([]ingest.CommitInput, 0, len(shas))
	for _, sha := range shas {
		meta, err := git(ctx, repo, "show", "-s", "--format=%H%x00%P%x00%an%x00%ae%x00%ce%x00%cI%x00%aI%x00%B", sha)
		if err != nil {
			return nil, err
		}
		f := strings.SplitN(meta, "\x00", 8)
		if len(f) != 8 {
			return nil, fmt.Errorf("git show %s: unexpected output", sha)
		}
		at, err := time.Parse(time.RFC3339, f[5])
		if err != nil {
			return nil, fmt.Errorf("commit %s: committer date %q: %w", sha, f[5], err)
		}
		c := ingest.CommitInput{SHA: f[0], Parents: strings.Fields(f[1]), AuthorName: f[2], AuthorEmail: f[3], CommitterEmail: f[4],
			CommittedAt: at, Message: strings.TrimRight(f[7], "\n"), Branch: branch}
		if authored, err := time.Parse(time.RFC3339, f[6]); err == nil {
			c.AuthoredAt = &authored
		}
		diff, err := git(ctx, repo, "show", "--format=", "--patch", "--no-color", "--no-ext-diff", sha)
		if err != nil {
			return nil, err
		}
		if len(diff) <= ingest.MaxDiffBytes {
			c.Diff = diff
		}
		numstat, err := git(ctx, repo, "show", "--format=", "--numstat", "--no-color", sha)
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(strings.TrimSpace(numstat), "\n") {
			var add, del int
			var path string
			if n, _ := fmt.Sscanf(line, "%d\t%d\t%s", &add, &del, &path); n == 3 {
				c.Additions += add
				c.Deletions += del
				c.Files = append(c.Files, path)
			} else if parts := strings.Split(line, "\t"); len(parts) == 3 { // binary files: "-\t-\tpath"
				c.Files = append(c.Files, parts[2])
			}
		}
		if diff != "" {
			cmd := exec.CommandContext(ctx, "git", "-C", repo, "patch-id", "--stable")
			cmd.Stdin = strings.NewReader(diff)
			if pid, err := cmd.Output(); err == nil {
				if fields := strings.Fields(string(pid)); len(fields) > 0 {
					c.PatchID = fields[0]
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// postCommits sends a batch to POST /api/v1/commits.
func (c *apiClient) postCommits(ctx context.Context, remote, source string, commits []ingest.CommitInput) error {
	body, err := json.Marshal(ingest.CommitBatch{Remote: remote, Commits: commits})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/api/v1/commits?source="+url.QueryEscape(source), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return newAPIError(resp.StatusCode, raw)
	}
	return nil
}

func newCommitsCmd(cfg *Config) *cobra.Command {
	cmd := &cobra.Command{Use: "commits", Short: "Send commits so conversations can be linked to them"}
	var repo string
	send := &cobra.Command{
		Use:   "send [REV...]",
		Short: "Send commits of a repository (default HEAD); run by the post-commit hook",
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.validateClient(); err != nil {
				return err
			}
			ctx := cmd.Context()
			if len(args) == 0 {
				args = []string{"HEAD"}
			}
			var shas []string
			for _, a := range args {
				sha, err := git(ctx, repo, "rev-parse", "--verify", a+"^{commit}")
				if err != nil {
					return err
				}
				shas = append(shas, strings.TrimSpace(sha))
			}
			branch, _ := git(ctx, repo, "rev-parse", "--abbrev-ref", "HEAD")
			branch = strings.TrimSpace(branch)
			if branch == "HEAD" {
				branch = ""
			}
			remote, err := repoRemote(ctx, repo)
			if err != nil {
				return err
			}
			commits, err := readCommits(ctx, repo, shas, branch)
			if err != nil {
				return err
			}
			if err := newAPIClient(cfg.Client, 15*time.Second).postCommits(ctx, remote, "hook", commits); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "sent %d commit(s) of %s\n", len(commits), ingest.NormalizeRemote(remote))
			return nil
		},
	}
	send.Flags().StringVar(&repo, "repo", ".", "repository path")
	var since string
	var maxCount int
	imp := &cobra.Command{
		Use:     "import REPO_PATH",
		Short:   "Send a repository's history (all branches), with a progress bar",
		Example: `  ctxintel commits import ~/src/shop --since 2026-09-01`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.validateClient(); err != nil {
				return err
			}
			ctx := cmd.Context()
			path := args[0]
			remote, err := repoRemote(ctx, path)
			if err != nil {
				return err
			}
			logArgs := []string{"rev-list", "--all", "--no-merges"}
			if since != "" {
				logArgs = append(logArgs, "--since="+since)
			}
			if maxCount > 0 {
				logArgs = append(logArgs, fmt.Sprintf("--max-count=%d", maxCount))
			}
			list, err := git(ctx, path, logArgs...)
			if err != nil {
				return err
			}
			shas := strings.Fields(list)
			bar := newBar(cmd, len(shas), false)
			client := newAPIClient(cfg.Client, time.Minute)
			const batch = 100
			for i := 0; i < len(shas); i += batch {
				commits, err := readCommits(ctx, path, shas[i:min(i+batch, len(shas))], "")
				if err != nil {
					return err
				}
				if err := client.postCommits(ctx, remote, "import", commits); err != nil {
					return fmt.Errorf("send commits %d–%d: %w", i+1, i+len(commits), err)
				}
				bar.Add(len(commits)) //nolint:errcheck
			}
			bar.Finish() //nolint:errcheck
			fmt.Fprintf(cmd.OutOrStdout(), "sent %d commits of %s; linking runs on the server\n", len(shas), ingest.NormalizeRemote(remote))
			return nil
		},
	}
	imp.Flags().StringVar(&since, "since", "", "only commits after this date (git's --since)")
	imp.Flags().IntVar(&maxCount, "max", 0, "at most this many commits, newest first (0 = all)")
	cmd.AddCommand(send, imp)
	return cmd
}

// hookMarker identifies our post-commit hook lines.
const hookMarker = "# ctxintel: send each commit to Context Intelligence"

func newHookCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "hook", Short: "Install the git hook that sends every commit"}
	install := &cobra.Command{
		Use:   "install [REPO_PATH]",
		Short: "Add a post-commit hook that sends each commit (in the background) to the server",
		Long: `Add a post-commit hook to a repository (default: the current one) that runs
"ctxintel commits send" in the background after every commit, so commits made
anywhere (any git host, or none) can be linked to conversations. An existing hook is
kept: our lines are appended once. The hook uses CTXINTEL_SERVER and CTXINTEL_API_KEY
from the environment git runs in.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo := "."
			if len(args) == 1 {
				repo = args[0]
			}
			hooksDir, err := git(cmd.Context(), repo, "rev-parse", "--git-path", "hooks")
			if err != nil {
				return err
			}
			dir := strings.TrimSpace(hooksDir)
			if !filepath.IsAbs(dir) {
				top, err := git(cmd.Context(), repo, "rev-parse", "--show-toplevel")
				if err != nil {
					return err
				}
				dir = filepath.Join(strings.TrimSpace(top), dir)
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			path := filepath.Join(dir, "post-commit")
			existing, _ := os.ReadFile(path)
			if bytes.Contains(existing, []byte(hookMarker)) {
				fmt.Fprintf(cmd.OutOrStdout(), "already installed in %s\n", path)
				return nil
			}
			script := string(existing)
			if script == "" {
				script = "#!/bin/sh\n"
			}
			script += fmt.Sprintf("\n%s (installed by `ctxintel hook install`)\n(%q commits send --repo \"$(git rev-parse --show-toplevel)\" HEAD >/dev/null 2>&1 &)\n", hookMarker, exe)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "installed %s\n", path)
			return nil
		},
	}
	cmd.AddCommand(install)
	return cmd
}

func newLinksCmd(cfg *Config) *cobra.Command {
	var conversation, commit, file, repo string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "links",
		Short: "Show links between conversations and commits, with their evidence",
		Example: `  ctxintel links --conversation 1e081c19-66b1-406c-9420-074a78099e55
  ctxintel links --commit 4cce5a7
  ctxintel links --file internal/auth/jwt.go --repo github.com/demo-co/shop-api`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.validateClient(); err != nil {
				return err
			}
			var path string
			switch {
			case conversation != "":
				path = "/api/v1/conversations/" + url.PathEscape(conversation) + "/commits"
			case commit != "":
				path = "/api/v1/commits/" + url.PathEscape(commit) + "/conversations?repo=" + url.QueryEscape(repo)
			case file != "":
				path = "/api/v1/files/conversations?path=" + url.QueryEscape(file) + "&repo=" + url.QueryEscape(repo)
			default:
				return fmt.Errorf("give --conversation ID, --commit SHA or --file PATH")
			}
			raw, err := newAPIClient(cfg.Client, 30*time.Second).get(cmd.Context(), path)
			if err != nil {
				return err
			}
			if asJSON {
				_, err := cmd.OutOrStdout().Write(raw)
				return err
			}
			return printLinks(cmd.OutOrStdout(), raw)
		},
	}
	cmd.Flags().StringVar(&conversation, "conversation", "", "the commits this conversation led to")
	cmd.Flags().StringVar(&commit, "commit", "", "the conversations behind this commit (sha or prefix)")
	cmd.Flags().StringVar(&file, "file", "", "the conversations that touched this file")
	cmd.Flags().StringVar(&repo, "repo", "", "narrow --commit or --file to a repository")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON answer")
	return cmd
}

type evidenceLine struct {
	Signal string  `json:"signal"`
	Detail string  `json:"detail"`
	Weight float64 `json:"weight"`
}

func printLinks(w io.Writer, raw []byte) error {
	var res struct {
		Commits []struct {
			SHA           string         `json:"sha"`
			Repo          string         `json:"repo"`
			Message       string         `json:"message"`
			Confidence    float64        `json:"confidence"`
			Evidence      []evidenceLine `json:"evidence"`
			Conversations []struct {
				ConversationID string         `json:"conversation_id"`
				Title          string         `json:"title"`
				Source         string         `json:"source"`
				UserEmail      string         `json:"user_email"`
				Confidence     float64        `json:"confidence"`
				Evidence       []evidenceLine `json:"evidence"`
			} `json:"conversations"`
		} `json:"commits"`
		Conversations []struct {
			ID        string `json:"id"`
			Title     string `json:"title"`
			Source    string `json:"source"`
			UserEmail string `json:"user_email"`
		} `json:"conversations"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return err
	}
	subject := func(msg string) string { s, _, _ := strings.Cut(msg, "\n"); return s }
	for _, c := range res.Commits {
		if c.Conversations == nil {
			fmt.Fprintf(w, "%s %s  %s  confidence %.2f\n", c.SHA[:min(10, len(c.SHA))], c.Repo, subject(c.Message), c.Confidence)
			for _, e := range c.Evidence {
				fmt.Fprintf(w, "    · %s\n", e.Detail)
			}
			continue
		}
		fmt.Fprintf(w, "%s %s  %s\n", c.SHA[:min(10, len(c.SHA))], c.Repo, subject(c.Message))
		if len(c.Conversations) == 0 {
			fmt.Fprintln(w, "    no linked conversation")
		}
		for _, conv := range c.Conversations {
			fmt.Fprintf(w, "  ← %s (%s, %s) %s  confidence %.2f\n", conv.Title, conv.Source, conv.UserEmail, conv.ConversationID, conv.Confidence)
			for _, e := range conv.Evidence {
				fmt.Fprintf(w, "    · %s\n", e.Detail)
			}
		}
	}
	for _, c := range res.Conversations {
		fmt.Fprintf(w, "%s  %s (%s, %s)\n", c.ID, c.Title, c.Source, c.UserEmail)
	}
	if len(res.Commits) == 0 && len(res.Conversations) == 0 {
		fmt.Fprintln(w, "no links")
	}
	return nil
}
