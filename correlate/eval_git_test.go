package correlate

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// person is someone who commits: the session's user or a teammate.
type person struct{ name, email string }

var (
	ada   = person{"Ada Lovelace", "ada@example.com"}
	bob   = person{"Bob Okafor", "bob@example.com"}
	chen  = person{"Chen Wei", "chen@example.com"}
	dana  = person{"Dana Kovac", "dana@example.com"}
	ellis = person{"Ellis Park", "ellis@example.com"}
)

// gitRepo is a real repository (or one worktree of it) in a temporary
// directory, driven by the git binary with a clean configuration.
type gitRepo struct {
	t      testing.TB
	dir    string
	home   string
	key    string // the normalised remote key commits are stored under
	branch string // checked out in dir
}

func newGitRepo(t testing.TB, key string) *gitRepo {
	t.Helper()
	_, err := exec.LookPath("git")
	require.NoError(t, err, "the evaluation needs the git binary")
	base := t.TempDir()
	r := &gitRepo{t: t, dir: filepath.Join(base, "repo"), home: filepath.Join(base, "home"), key: key, branch: "main"}
	require.NoError(t, os.MkdirAll(r.dir, 0o755))
	require.NoError(t, os.MkdirAll(r.home, 0o755))
	r.git(nil, "", "init", "-q", "-b", "main")
	return r
}

// git runs a git command in the repository and returns its stdout.
func (r *gitRepo) git(env []string, stdin string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", "-c", "advice.detachedHead=false"}, args...)...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "HOME="+r.home, "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"LC_ALL=C", "TZ=UTC", "GIT_AUTHOR_NAME=Setup", "GIT_AUTHOR_EMAIL=setup@example.com",
		"GIT_COMMITTER_NAME=Setup", "GIT_COMMITTER_EMAIL=setup@example.com")
	cmd.Env = append(cmd.Env, env...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	require.NoError(r.t, err, "git %s: %s", strings.Join(args, " "), errOut.String())
	return out.String()
}

// who and when a commit is made, for git's environment.
func commitEnv(author person, authored time.Time, committer person, committed time.Time) []string {
	date := func(t time.Time) string { return fmt.Sprintf("%d +0000", t.Unix()) }
	return []string{
		"GIT_AUTHOR_NAME=" + author.name, "GIT_AUTHOR_EMAIL=" + author.email, "GIT_AUTHOR_DATE=" + date(authored),
		"GIT_COMMITTER_NAME=" + committer.name, "GIT_COMMITTER_EMAIL=" + committer.email, "GIT_COMMITTER_DATE=" + date(committed),
	}
}

func (r *gitRepo) write(path, content string) {
	r.t.Helper()
	full := filepath.Join(r.dir, filepath.FromSlash(path))
	require.NoError(r.t, os.MkdirAll(filepath.Dir(full), 0o755))
	require.NoError(r.t, os.WriteFile(full, []byte(content), 0o644))
}

func (r *gitRepo) read(path string) string {
	r.t.Helper()
	b, err := os.ReadFile(filepath.Join(r.dir, filepath.FromSlash(path)))
	require.NoError(r.t, err)
	return string(b)
}

// edit replaces the one occurrence of old in a file.
func (r *gitRepo) edit(path, old, new string) {
	r.t.Helper()
	content := r.read(path)
	require.Equal(r.t, 1, strings.Count(content, old), "edit of %s: %q must occur once", path, old)
	r.write(path, strings.Replace(content, old, new, 1))
}

func (r *gitRepo) remove(path string) {
	r.t.Helper()
	require.NoError(r.t, os.Remove(filepath.Join(r.dir, filepath.FromSlash(path))))
}

// commit stages the paths (everything when none) and commits them; it
// returns the full hash.
func (r *gitRepo) commit(who person, at time.Time, msg string, paths ...string) string {
	r.t.Helper()
	if len(paths) == 0 {
		r.git(nil, "", "add", "-A")
	} else {
		r.git(nil, "", append([]string{"add", "--"}, paths...)...)
	}
	r.git(commitEnv(who, at, who, at), msg, "commit", "-q", "--cleanup=verbatim", "-F", "-")
	return strings.TrimSpace(r.git(nil, "", "rev-parse", "HEAD"))
}

// checkout switches the worktree to a branch, creating it from HEAD.
func (r *gitRepo) checkout(branch string, create bool) {
	r.t.Helper()
	if create {
		r.git(nil, "", "checkout", "-q", "-b", branch)
	} else {
		r.git(nil, "", "checkout", "-q", branch)
	}
	r.branch = branch
}

// worktree adds a second worktree of the same repository, on a new branch
// from base (a teammate's checkout): its commits share the object store.
func (r *gitRepo) worktree(name, branch, base string) *gitRepo {
	r.t.Helper()
	dir := filepath.Join(filepath.Dir(r.dir), "wt-"+name)
	if branch == base {
		r.git(nil, "", "worktree", "add", "-q", dir, branch)
	} else {
		r.git(nil, "", "worktree", "add", "-q", "-b", branch, dir, base)
	}
	return &gitRepo{t: r.t, dir: dir, home: r.home, key: r.key, branch: branch}
}

// load reads a commit the way a local git hook or an import would send
// it: metadata from git show, the patch, and git patch-id.
func (r *gitRepo) load(sha, branch string) Commit {
	r.t.Helper()
	meta := r.git(nil, "", "show", "-s", "--format=%H%x00%an%x00%ae%x00%aI%x00%cI%x00%B", sha)
	f := strings.SplitN(meta, "\x00", 6)
	require.Len(r.t, f, 6)
	authored, err := time.Parse(time.RFC3339, f[3])
	require.NoError(r.t, err)
	committed, err := time.Parse(time.RFC3339, f[4])
	require.NoError(r.t, err)
	diff := r.git(nil, "", "show", "--format=", "--patch", "-M", "--no-color", "--no-ext-diff", sha)
	patchID := ""
	if fields := strings.Fields(r.git(nil, r.git(nil, "", "show", "--no-color", sha), "patch-id", "--stable")); len(fields) > 0 {
		patchID = fields[0]
	}
	return Commit{
		SHA: f[0], Repo: r.key, Branch: branch, AuthorName: f[1], AuthorEmail: f[2],
		AuthoredAt: authored.UTC(), CommittedAt: committed.UTC(), Message: strings.TrimRight(f[5], "\n"),
		FilesChanged: FilesInDiff(diff), AddedLines: AddedLines(diff), PatchID: patchID,
	}
}

// log lists the hashes of base..branch, oldest first.
func (r *gitRepo) log(rangeSpec string) []string {
	r.t.Helper()
	return strings.Fields(r.git(nil, "", "rev-list", "--reverse", rangeSpec))
}
