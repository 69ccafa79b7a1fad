package ingest

import (
	"cmp"
	"strings"
	"time"
)

// CommitDetail is one commit as a forge's REST API describes it, the same
// shape for GitHub and GitLab.
type CommitDetail struct {
	Provider       string
	SHA            string
	Message        string
	AuthorName     string
	AuthorEmail    string
	AuthorLogin    string // GitHub account of the author, when GitHub maps the e-mail to one
	AuthoredAt     time.Time
	CommitterName  string
	CommitterEmail string
	CommittedAt    time.Time
	Parents        []string
	HTMLURL        string
	Stats          CommitStats
	// Files changed, in the forge's order. Nil when the call does not
	// return files (commits listed by ListCompare).
	Files []CommitFile
	// Diff is the combined unified diff rebuilt from the files' patches,
	// with "diff --git a/… b/…" headers. Files whose patch the forge
	// withheld (binary, too large) appear with their header only.
	Diff string
	// FilesTruncated: the forge stopped listing files (GitHub lists at most
	// 3000, GitLab's diff pages were cut at the client's page limit).
	FilesTruncated bool
}

// CommitStats counts changed lines. GitHub reports them for the whole
// commit; for GitLab they come from the commit's stats.
type CommitStats struct {
	Additions int
	Deletions int
	Total     int
}

// File statuses of CommitFile, in GitHub's words; GitLab's flags map to
// added, removed, renamed and modified.
const (
	FileAdded    = "added"
	FileRemoved  = "removed"
	FileModified = "modified"
	FileRenamed  = "renamed"
	FileCopied   = "copied"
	FileChanged  = "changed" // GitHub: mode or type change only
)

// CommitFile is one changed file of a commit.
type CommitFile struct {
	Filename         string // the path after the commit
	PreviousFilename string // the path before, for renames (and GitLab's old_path)
	Status           string // FileAdded, FileRemoved, …
	Additions        int
	Deletions        int
	Changes          int
	// Patch is the file's hunks ("@@ -1,3 +1,4 @@ …") without file headers;
	// "" when the forge withheld it (binary or too large).
	Patch   string
	OldMode string // GitLab's a_mode, "" when unknown
	NewMode string // GitLab's b_mode
}

// CompareResult is the commits between two commits of a repository
// (base..head), used to complete a push whose payload listed only some.
type CompareResult struct {
	Status       string // GitHub: ahead, behind, diverged, identical; "" for GitLab
	AheadBy      int
	BehindBy     int
	TotalCommits int
	// Commits, oldest first, without Files or Diff: call GetCommit for those.
	Commits []CommitDetail
	// Truncated: the client stopped paging before TotalCommits (GitHub) or
	// GitLab timed the comparison out.
	Truncated bool
}

// UnifiedDiff rebuilds one unified diff from per-file patches, the form of
// `git show --patch`: a "diff --git a/old b/new" header, mode and rename
// lines when known, ---/+++ lines and the hunks.
func UnifiedDiff(files []CommitFile) string {
	var b strings.Builder
	for _, f := range files {
		writeFileDiff(&b, f)
	}
	return b.String()
}

func writeFileDiff(b *strings.Builder, f CommitFile) {
	oldPath, newPath := f.Filename, f.Filename
	if f.PreviousFilename != "" {
		oldPath = f.PreviousFilename
	}
	b.WriteString("diff --git a/" + oldPath + " b/" + newPath + "\n")
	// GitHub's API gives no file modes: a regular file (100644) is assumed
	// for creations and deletions so git apply and other readers see them
	// as such.
	switch f.Status {
	case FileAdded:
		b.WriteString("new file mode " + cmp.Or(f.NewMode, "100644") + "\n")
	case FileRemoved:
		b.WriteString("deleted file mode " + cmp.Or(f.OldMode, "100644") + "\n")
	default:
		if f.OldMode != "" && f.NewMode != "" && f.OldMode != f.NewMode && f.OldMode != "0" && f.NewMode != "0" {
			b.WriteString("old mode " + f.OldMode + "\nnew mode " + f.NewMode + "\n")
		}
	}
	if oldPath != newPath && (f.Status == FileRenamed || f.Status == FileCopied) {
		verb := "rename"
		if f.Status == FileCopied {
			verb = "copy"
		}
		b.WriteString(verb + " from " + oldPath + "\n" + verb + " to " + newPath + "\n")
	}
	if f.Patch == "" {
		return
	}
	from, to := "a/"+oldPath, "b/"+newPath
	switch f.Status {
	case FileAdded:
		from = "/dev/null"
	case FileRemoved:
		to = "/dev/null"
	}
	b.WriteString("--- " + from + "\n+++ " + to + "\n")
	b.WriteString(f.Patch)
	if !strings.HasSuffix(f.Patch, "\n") {
		b.WriteString("\n")
	}
}

// countPatchLines counts added and deleted lines of hunks (GitLab's diff
// API gives no per-file counts).
func countPatchLines(patch string) (added, deleted int) {
	inHunk := false
	for line := range strings.SplitSeq(patch, "\n") {
		switch {
		case strings.HasPrefix(line, "@@"):
			inHunk = true
		case !inHunk:
		case strings.HasPrefix(line, "+"):
			added++
		case strings.HasPrefix(line, "-"):
			deleted++
		}
	}
	return added, deleted
}

// CommitInput turns the detail into what Service.StoreCommits takes.
func (d CommitDetail) CommitInput(branch string) CommitInput {
	files := make([]string, 0, len(d.Files))
	for _, f := range d.Files {
		files = append(files, f.Filename)
		if f.Status == FileRenamed && f.PreviousFilename != "" && f.PreviousFilename != f.Filename {
			files = append(files, f.PreviousFilename)
		}
	}
	committed := d.CommittedAt
	if committed.IsZero() {
		committed = d.AuthoredAt
	}
	in := CommitInput{
		SHA: d.SHA, Parents: d.Parents, Branch: branch,
		AuthorName: d.AuthorName, AuthorEmail: d.AuthorEmail, CommitterEmail: d.CommitterEmail,
		CommittedAt: committed, Message: d.Message, Files: files,
		Additions: d.Stats.Additions, Deletions: d.Stats.Deletions, Diff: d.Diff,
	}
	if !d.AuthoredAt.IsZero() {
		authored := d.AuthoredAt
		in.AuthoredAt = &authored
	}
	return in
}

// CommitInput turns a webhook commit into what Service.StoreCommits takes,
// for when the REST detail cannot be fetched: files without counts or diff.
func (c PushCommit) CommitInput(branch string) CommitInput {
	files := make([]string, 0, len(c.Added)+len(c.Modified)+len(c.Removed))
	files = append(files, c.Added...)
	files = append(files, c.Modified...)
	files = append(files, c.Removed...)
	return CommitInput{
		SHA: c.SHA, Branch: branch, AuthorName: c.AuthorName, AuthorEmail: c.AuthorEmail,
		CommitterEmail: c.CommitterEmail, CommittedAt: c.Timestamp, Message: c.Message, Files: files,
	}
}
