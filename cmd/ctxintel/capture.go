package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// hookInput is what assistant hooks pass on stdin (Claude Code's Stop,
// SubagentStop and SessionEnd hooks; other tools' wrappers send the same).
type hookInput struct {
	SessionID      string `json:"session_id"`
	TranscriptPath string `json:"transcript_path"`
	Cwd            string `json:"cwd"`
	HookEventName  string `json:"hook_event_name"`
}

// queued is one transcript waiting to be uploaded.
type queued struct {
	Path     string    `json:"path"`
	QueuedAt time.Time `json:"queued_at"`
}

// sentState remembers what was uploaded, so an unchanged file is not sent
// again on every hook.
type sentState map[string]sentFile

type sentFile struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
}

func newCaptureCmd(cfg *Config) *cobra.Command {
	var files []string
	var budget time.Duration
	cmd := &cobra.Command{
		Use:   "capture",
		Short: "Upload new transcript content from an assistant hook (fast, never blocks)",
		Long: `Upload what is new in a transcript to --server, for assistant hooks. It reads the
hook's JSON on stdin ({"session_id", "transcript_path", "cwd", ...}, as Claude Code's
Stop and SessionEnd hooks send it) or takes --file paths. For Claude Code it also
sends the session's subagent transcripts.

It returns within --budget: when the server cannot be reached it queues the paths in
--queue-dir and sends them on the next run, so the assistant is never blocked by the
network. Files that did not change since they were last sent are skipped.`,
		Example: `  # ~/.claude/settings.json
  {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "ctxintel capture"}]}],
             "SessionEnd": [{"hooks": [{"type": "command", "command": "ctxintel capture"}]}]}}

  ctxintel capture --file ~/.codex/sessions/2026/11/20/rollout-….jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.validateClient(); err != nil {
				return err
			}
			if len(files) == 0 && !term.IsTerminal(int(os.Stdin.Fd())) {
				in, err := readHook(cmd.InOrStdin())
				if err != nil {
					return err
				}
				files = append(files, hookFiles(in)...)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), budget)
			defer cancel()
			c := &capturer{dir: cfg.Client.QueueDir, client: newAPIClient(cfg.Client, budget), errOut: cmd.ErrOrStderr()}
			if err := c.enqueue(files); err != nil {
				return err
			}
			c.flush(ctx)
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&files, "file", nil, "transcript to send (repeatable); default: the hook's transcript_path from stdin")
	cmd.Flags().DurationVar(&budget, "budget", 8*time.Second, "longest time to spend before returning")
	return cmd
}

func readHook(r io.Reader) (hookInput, error) {
	var in hookInput
	raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return in, fmt.Errorf("read hook input: %w", err)
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return in, errors.New("no hook input on stdin and no --file: nothing to capture")
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return in, fmt.Errorf("hook input on stdin is not JSON with transcript_path: %w", err)
	}
	if in.TranscriptPath == "" {
		return in, errors.New("hook input has no transcript_path: nothing to capture")
	}
	return in, nil
}

// hookFiles is the transcript and, for Claude Code, its subagents'
// transcripts (<dir>/<session>/subagents/agent-*.jsonl).
func hookFiles(in hookInput) []string {
	path := expandHome(in.TranscriptPath)
	out := []string{path}
	if in.SessionID != "" {
		sub, _ := filepath.Glob(filepath.Join(filepath.Dir(path), in.SessionID, "subagents", "agent-*.jsonl"))
		out = append(out, sub...)
	}
	return out
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[2:])
		}
	}
	return p
}

type capturer struct {
	dir    string
	client *apiClient
	errOut io.Writer
}

func (c *capturer) enqueue(files []string) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("capture queue %s: %w", c.dir, err)
	}
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(abs))
		body, _ := json.Marshal(queued{Path: abs, QueuedAt: time.Now().UTC()})
		if err := os.WriteFile(filepath.Join(c.dir, hex.EncodeToString(sum[:8])+".json"), body, 0o600); err != nil {
			return fmt.Errorf("queue %s: %w", f, err)
		}
	}
	return nil
}

// flush sends queued transcripts, oldest first, until the queue is empty,
// the server is unreachable, or the budget is spent.
func (c *capturer) flush(ctx context.Context) {
	entries, _ := filepath.Glob(filepath.Join(c.dir, "*.json"))
	sort.Strings(entries)
	state := c.loadState()
	defer c.saveState(state)
	for i, e := range entries {
		var q queued
		raw, err := os.ReadFile(e)
		if err != nil || json.Unmarshal(raw, &q) != nil {
			os.Remove(e) //nolint:errcheck // an unreadable entry cannot be retried
			continue
		}
		info, err := os.Stat(q.Path)
		if err != nil {
			fmt.Fprintf(c.errOut, "ctxintel capture: %s: %v; dropped from the queue\n", q.Path, err)
			os.Remove(e) //nolint:errcheck
			continue
		}
		if s, ok := state[q.Path]; ok && s.Size == info.Size() && s.ModTime.Equal(info.ModTime()) {
			os.Remove(e) //nolint:errcheck // already sent as it is
			continue
		}
		data, err := os.ReadFile(q.Path)
		if err != nil {
			fmt.Fprintf(c.errOut, "ctxintel capture: %v; dropped from the queue\n", err)
			os.Remove(e) //nolint:errcheck
			continue
		}
		_, err = c.client.upload(ctx, q.Path, data, 0)
		var apiErr *apiError
		switch {
		case err == nil:
			state[q.Path] = sentFile{Size: info.Size(), ModTime: info.ModTime()}
			os.Remove(e) //nolint:errcheck
		case errors.As(err, &apiErr) && apiErr.Status < 500 && apiErr.Status != 429 && apiErr.Status != 401:
			// The server refused this file for good (too large, not a
			// transcript): say so once and do not retry it forever.
			fmt.Fprintf(c.errOut, "ctxintel capture: %s: %v\n", q.Path, err)
			os.Remove(e) //nolint:errcheck
		default:
			fmt.Fprintf(c.errOut, "ctxintel capture: could not reach %s (%v); %d transcript(s) queued in %s for the next run\n",
				c.client.server, err, len(entries)-i, c.dir)
			return
		}
	}
}

func (c *capturer) loadState() sentState {
	s := sentState{}
	raw, err := os.ReadFile(filepath.Join(c.dir, "sent.state"))
	if err == nil {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

func (c *capturer) saveState(s sentState) {
	raw, _ := json.Marshal(s)
	tmp := filepath.Join(c.dir, "sent.state.tmp")
	if os.WriteFile(tmp, raw, 0o600) == nil {
		os.Rename(tmp, filepath.Join(c.dir, "sent.state")) //nolint:errcheck
	}
}
