package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

// importResult is what `import --json` prints.
type importResult struct {
	Files   []ingest.Report `json:"files"`
	Skipped []skippedFile   `json:"skipped,omitempty"`
	Summary importSummary   `json:"summary"`
}

type skippedFile struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

type importSummary struct {
	New       int `json:"new"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Parsed    int `json:"parsed,omitempty"` // --dry-run
	Failed    int `json:"failed"`           // files that could not be imported
	Errors    int `json:"errors"`           // error problems: parts of files not imported
	Warnings  int `json:"warnings"`
}

func newImportCmd(cfg *Config) *cobra.Command {
	var dryRun, asJSON bool
	var format string
	cmd := &cobra.Command{
		Use:   "import PATH...",
		Short: "Import assistant transcripts from files or folders",
		Long: `Import conversations from files or folders. The format of each file is detected:
Claude Code (~/.claude/projects), Codex CLI (~/.codex/sessions), Cursor agent
transcripts, SpecStory exports (.specstory/history), VS Code Copilot Chat
(chatSessions, "Export Chat" files), Aider (.aider.chat.history.md) and Gemini CLI
(~/.gemini/tmp). In folders, files that are not transcripts are skipped and listed.

Files are uploaded to --server with --api-key, which processes them and answers what
happened to each conversation: new, updated (grew since the last import) or unchanged.
Importing the same file again changes nothing. --dry-run parses locally and uploads
nothing. The exit code is non-zero only when something could not be imported.`,
		Example: `  ctxintel import --dry-run --json ~/.claude/projects
  CTXINTEL_API_KEY=cik_… ctxintel import ~/.codex/sessions .specstory/history`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "" && !isFormat(transcript.Format(format)) {
				return fmt.Errorf("--format %q is not one of %s", format, formatNames())
			}
			if !dryRun {
				if err := cfg.validateClient(); err != nil {
					return err
				}
			}
			files, skipped, err := collectFiles(args, transcript.Format(format))
			if err != nil {
				return err
			}
			res := importResult{Files: []ingest.Report{}, Skipped: skipped}
			bar := newBar(cmd, len(files), asJSON)
			client := newAPIClient(cfg.Client, 2*time.Minute)
			for _, f := range files {
				bar.Describe(shortName(f))
				res.Files = append(res.Files, importOne(cmd.Context(), client, cfg, f, transcript.Format(format), dryRun))
				bar.Add(1) //nolint:errcheck
			}
			bar.Finish() //nolint:errcheck
			res.Summary = summarize(res.Files)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				printImport(cmd.OutOrStdout(), res, dryRun)
			}
			if res.Summary.Failed > 0 || res.Summary.Errors > 0 {
				return errSilentFailure
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "parse and report without uploading anything")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&format, "format", "", "read every file as this format instead of detecting it")
	return cmd
}

// errSilentFailure makes the exit code 1 after a report already said what failed.
var errSilentFailure = errors.New("")

func importOne(ctx context.Context, client *apiClient, cfg *Config, path string, format transcript.Format, dryRun bool) ingest.Report {
	data, err := os.ReadFile(path)
	if err != nil {
		return ingest.Report{File: path, Status: "failed", Error: err.Error(), Conversations: []ingest.ConversationReport{}}
	}
	if dryRun {
		return ingest.DryRun(path, data, format, ingest.Limits{MaxUploadBytes: cfg.MaxUploadBytes, MaxLineBytes: cfg.MaxLineBytes})
	}
	rep, err := client.upload(ctx, path, data, 60*time.Second)
	for err == nil && rep.Status == "pending" && rep.CaptureID != nil {
		time.Sleep(time.Second)
		rep, err = client.importReport(ctx, rep.CaptureID.String())
	}
	if err != nil {
		return ingest.Report{File: path, Status: "failed", Error: err.Error(), Conversations: []ingest.ConversationReport{}}
	}
	rep.File = path
	return rep
}

// collectFiles expands folders. Files named on the command line are always
// imported (an unreadable one is reported as failed); files found in
// folders are imported only when they look like a transcript.
func collectFiles(args []string, format transcript.Format) ([]string, []skippedFile, error) {
	var files []string
	var skipped []skippedFile
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, nil, fmt.Errorf("import %s: %w", arg, err)
		}
		if !info.IsDir() {
			files = append(files, arg)
			continue
		}
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				skipped = append(skipped, skippedFile{File: path, Reason: err.Error()})
				return nil
			}
			if d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			if format != "" {
				files = append(files, path)
				return nil
			}
			if reason := sniffFile(path); reason != "" {
				skipped = append(skipped, skippedFile{File: path, Reason: reason})
				return nil
			}
			files = append(files, path)
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	sort.Strings(files)
	return files, skipped, nil
}

// sniffFile says why a file found in a folder is not a transcript ("" if it is).
func sniffFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	if _, err := transcript.Detect(filepath.Base(path), head[:n]); err != nil {
		return err.Error()
	}
	return ""
}

func summarize(reports []ingest.Report) importSummary {
	var s importSummary
	for _, r := range reports {
		if r.Status == "failed" {
			s.Failed++
		}
		for _, p := range r.Problems {
			if p.Severity == transcript.SeverityError {
				s.Errors++
			} else {
				s.Warnings++
			}
		}
		for _, c := range r.Conversations {
			switch c.Outcome {
			case ingest.OutcomeNew:
				s.New++
			case ingest.OutcomeUpdated:
				s.Updated++
			case ingest.OutcomeUnchanged:
				s.Unchanged++
			case ingest.OutcomeParsed:
				s.Parsed++
			}
		}
	}
	return s
}

func printImport(w io.Writer, res importResult, dryRun bool) {
	for _, r := range res.Files {
		if r.Status == "failed" {
			fmt.Fprintf(w, "FAILED  %s: %s\n", r.File, r.Error)
		}
		for _, p := range r.Problems {
			if r.Status == "failed" && p.Message == r.Error {
				continue
			}
			loc := p.File
			if p.Line > 0 {
				loc = fmt.Sprintf("%s:%d", p.File, p.Line)
			}
			fmt.Fprintf(w, "%-7s %s: %s\n", strings.ToUpper(string(p.Severity)), loc, p.Message)
		}
	}
	s := res.Summary
	files := len(res.Files)
	if dryRun {
		fmt.Fprintf(w, "dry run: %d files, %d conversations parsed, %d failed files, %d errors, %d warnings; nothing was uploaded\n",
			files, s.Parsed, s.Failed, s.Errors, s.Warnings)
	} else {
		fmt.Fprintf(w, "%d files: %d new, %d updated, %d unchanged conversations; %d failed files, %d errors, %d warnings\n",
			files, s.New, s.Updated, s.Unchanged, s.Failed, s.Errors, s.Warnings)
	}
	if len(res.Skipped) > 0 {
		fmt.Fprintf(w, "%d files in folders were skipped as not transcripts (--json lists them)\n", len(res.Skipped))
	}
}

// newBar draws progress on stderr when it is a terminal and JSON is not
// being printed.
func newBar(cmd *cobra.Command, n int, quiet bool) *progressbar.ProgressBar {
	if quiet || !term.IsTerminal(int(os.Stderr.Fd())) {
		return progressbar.DefaultSilent(int64(n))
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionShowCount(),
		progressbar.OptionSetDescription("importing"), progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(30))
}

func shortName(path string) string {
	b := filepath.Base(path)
	if len(b) > 40 {
		b = b[:37] + "..."
	}
	return fmt.Sprintf("%-40s", b)
}

func isFormat(f transcript.Format) bool {
	for _, k := range transcript.Formats() {
		if k == f {
			return true
		}
	}
	return false
}

func formatNames() string {
	var out []string
	for _, f := range transcript.Formats() {
		out = append(out, string(f))
	}
	return strings.Join(out, ", ")
}
