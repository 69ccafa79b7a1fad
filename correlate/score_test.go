package correlate

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC)

// sessionFactory and commitFactory build a typical Claude Code session and
// the commit it made; tests change what they are about.
func sessionFactory(opts ...func(*Session)) Session {
	s := Session{
		ID: "s1", Tool: "claude_code", Repo: "github.com/acme/shop", Cwd: "/home/ada/shop",
		Branches: []string{"feature/retry"}, UserEmail: "ada@example.com",
		StartedAt: t0, EndedAt: t0.Add(50 * time.Minute),
		FilesWritten: []string{"/home/ada/shop/src/retry.go", "/home/ada/shop/src/client.go"},
		WrittenLines: hashes("func retry(n int) error {", "for i := 0; i < n; i++ {", "time.Sleep(backoff(i))", "resp, err := c.retry(req, 5)", "// retry retries with backoff."),
	}
	for _, o := range opts {
		o(&s)
	}
	return s
}

func commitFactory(opts ...func(*Commit)) Commit {
	c := Commit{
		SHA: "7b3e9a1c0d2e4f6a8b0c1d2e3f4a5b6c7d8e9f01", Repo: "github.com/acme/shop", Branch: "feature/retry",
		AuthorName: "Ada", AuthorEmail: "ada@example.com", CommittedAt: t0.Add(30 * time.Minute),
		Message:      "Add retry to the client",
		FilesChanged: []string{"src/retry.go", "src/client.go"},
		AddedLines:   hashes("func retry(n int) error {", "for i := 0; i < n; i++ {", "time.Sleep(backoff(i))", "resp, err := c.retry(req, 5)", "// retry retries with backoff."),
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func signals(l Link) map[string]float64 {
	out := map[string]float64{}
	for _, e := range l.Evidence {
		out[e.Signal] += e.Weight
	}
	return out
}

func detail(l Link, signal string) string {
	for _, e := range l.Evidence {
		if e.Signal == signal {
			return e.Detail
		}
	}
	return ""
}

func TestScoreAssistantCommit(t *testing.T) {
	t.Parallel()
	l := Score(sessionFactory(), commitFactory())

	require.Equal(t, "s1", l.SessionID)
	require.Equal(t, "7b3e9a1c0d2e4f6a8b0c1d2e3f4a5b6c7d8e9f01", l.CommitSHA)
	require.Greater(t, l.Confidence, 0.99)
	require.Equal(t, "5 of 5 added lines written by the assistant", detail(l, "content_overlap"))
	require.Equal(t, "edited 2 of the commit's 2 files", detail(l, "file_overlap"))
	require.Equal(t, "commit made during the session", detail(l, "time"))
	require.Equal(t, "on the session's branch feature/retry", detail(l, "branch"))
	_, err := json.Marshal(l)
	require.NoError(t, err)
}

func TestScoreExplicitSignals(t *testing.T) {
	t.Parallel()

	// A session that recorded no edits (it only committed, say) and a
	// commit with no other evidence for it.
	bare := func(s *Session) {
		s.FilesWritten, s.WrittenLines, s.Branches, s.Repo, s.UserEmail = nil, nil, nil, "", ""
	}
	far := func(c *Commit) { c.CommittedAt = t0.Add(30 * time.Hour) } // time counts against

	l := Score(sessionFactory(bare, func(s *Session) { s.CommitRefs = []string{"7b3e9a1"} }), commitFactory(far))
	require.GreaterOrEqual(t, l.Confidence, Threshold, "a recorded commit links even a day later")
	require.Equal(t, "the transcript records commit 7b3e9a1 as made in the session", detail(l, "commit_ref"))

	l = Score(sessionFactory(bare, func(s *Session) { s.MentionedHashes = []string{"7b3e9a1c0d2e"} }), commitFactory())
	require.GreaterOrEqual(t, l.Confidence, Threshold)
	require.Equal(t, "the conversation names commit 7b3e9a1c0d2e", detail(l, "hash_mentioned"))

	l = Score(sessionFactory(bare, func(s *Session) { s.Commands = []string{`git commit -m "Add retry to the client"`} }), commitFactory())
	require.GreaterOrEqual(t, l.Confidence, Threshold)
	require.Equal(t, `the assistant ran git commit with the same message "Add retry to the client"`, detail(l, "git_commit_command"))

	// A generic subject alone is not enough.
	l = Score(sessionFactory(bare, func(s *Session) { s.Commands = []string{`git commit -m wip`} }), commitFactory(far, func(c *Commit) { c.Message = "wip" }))
	require.Less(t, l.Confidence, Threshold)

	// A prefix that is not the commit's.
	l = Score(sessionFactory(bare, func(s *Session) { s.MentionedHashes = []string{"7b3e9a2"} }), commitFactory())
	require.Less(t, l.Confidence, Threshold)

	// A teammate's commit the conversation names is not the session's.
	l = Score(sessionFactory(func(s *Session) { s.MentionedHashes = []string{"7b3e9a1"} }), commitFactory(func(c *Commit) {
		c.AuthorEmail, c.Branch, c.FilesChanged, c.AddedLines = "bob@example.com", "bob/api", []string{"api/orders.go"}, nil
	}))
	require.Less(t, l.Confidence, Threshold)
}

func TestScoreTrailerNeedsCorroboration(t *testing.T) {
	t.Parallel()
	trailer := func(c *Commit) {
		c.Message = "Add retry\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
		c.FilesChanged, c.AddedLines = []string{"docs/other.md"}, hashes("unrelated documentation line")
	}

	// Same assistant, same repository, but other files, hours later: no.
	l := Score(sessionFactory(), commitFactory(trailer, func(c *Commit) { c.CommittedAt = t0.Add(5 * time.Hour) }))
	require.Less(t, l.Confidence, Threshold)
	require.Equal(t, "commit trailer names Claude Code, the session's assistant", detail(l, "trailer"))

	// A session that edited nothing (questions and answers) did not make
	// the commit, even one made during it on its branch by its assistant.
	l = Score(sessionFactory(func(s *Session) { s.FilesWritten, s.WrittenLines = nil, nil }), commitFactory(trailer))
	require.Less(t, l.Confidence, Threshold)
	require.Equal(t, "the session edited no files", detail(l, "file_overlap"))

	// Files corroborate it: a session whose edits are recorded without
	// their text (Copilot) and the trailered commit of those files.
	l = Score(sessionFactory(func(s *Session) { s.WrittenLines = nil }), commitFactory(func(c *Commit) {
		c.Message = "Add retry\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
	}))
	require.GreaterOrEqual(t, l.Confidence, Threshold)

	// A trailer naming another assistant counts against.
	l = Score(sessionFactory(func(s *Session) { s.Tool = "copilot" }), commitFactory(trailer))
	require.Equal(t, WeightTrailerOtherTool, signals(l)["trailer"])
	require.Equal(t, "commit trailer names Claude Code, not the session's Copilot", detail(l, "trailer"))
}

func TestScoreVetoBeforeSession(t *testing.T) {
	t.Parallel()

	l := Score(sessionFactory(func(s *Session) { s.CommitRefs = []string{"7b3e9a1"} }),
		commitFactory(func(c *Commit) { c.CommittedAt = t0.Add(-3 * time.Hour) }))
	require.Zero(t, l.Confidence)
	require.Len(t, l.Evidence, 1)
	require.Equal(t, "commit 3 h before the session started; it cannot come from it", l.Evidence[0].Detail)

	// Clock skew is tolerated.
	l = Score(sessionFactory(), commitFactory(func(c *Commit) { c.CommittedAt = t0.Add(-5 * time.Minute) }))
	require.Greater(t, l.Confidence, 0.99)

	// Aider records local time without a zone: hours off are tolerated.
	l = Score(sessionFactory(func(s *Session) { s.Tool = "aider"; s.EndedAt = time.Time{} }),
		commitFactory(func(c *Commit) { c.CommittedAt = t0.Add(-7 * time.Hour) }))
	require.Greater(t, l.Confidence, 0.99)
	require.Equal(t, "commit within 18 h of the session start (its times have no zone)", detail(l, "time"))

	// An amend or cherry-pick keeps an old author date; the commit date decides.
	l = Score(sessionFactory(), commitFactory(func(c *Commit) { c.AuthoredAt = t0.Add(-48 * time.Hour) }))
	require.Greater(t, l.Confidence, 0.99)
}

func TestScoreHardNegatives(t *testing.T) {
	t.Parallel()

	// Same files, someone else's content, hours later.
	l := Score(sessionFactory(), commitFactory(func(c *Commit) {
		c.CommittedAt = t0.Add(4 * time.Hour)
		c.AddedLines = hashes("log.Printf(\"request %s\", id)", "metrics.Inc(\"requests\")", "defer span.End()", "ctx, span := tracer.Start(ctx, \"do\")")
	}))
	require.Less(t, l.Confidence, Threshold)
	require.Equal(t, "none of the commit's 4 added lines written by the assistant", detail(l, "content_overlap"))

	// A teammate's commit on another branch during the session.
	l = Score(sessionFactory(func(s *Session) { s.WrittenLines = nil }), commitFactory(func(c *Commit) {
		c.Branch, c.AuthorEmail = "main", "bob@example.com"
	}))
	require.Less(t, l.Confidence, Threshold)
	require.Equal(t, "on branch main; the session was on feature/retry", detail(l, "branch"))
	require.Equal(t, "authored by bob@example.com, not the session's user ada@example.com", detail(l, "author"))

	// Another repository with files of the same names.
	l = Score(sessionFactory(func(s *Session) { s.WrittenLines = nil }), commitFactory(func(c *Commit) { c.Repo = "github.com/acme/other" }))
	require.Less(t, l.Confidence, Threshold)
	require.Equal(t, "in repository github.com/acme/other; the session was in github.com/acme/shop", detail(l, "repo"))
}

func TestScoreTimeWording(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		after time.Duration
		want  string
	}{
		{50*time.Minute + 40*time.Minute, "commit 40 min after the session"},
		{50*time.Minute + 3*time.Hour, ""}, // no evidence between 2 h and 8 h
		{50*time.Minute + 20*time.Hour, "commit 20 h after the session"},
		{50*time.Minute + 72*time.Hour, "commit 3 days after the session"},
	} {
		l := Score(sessionFactory(), commitFactory(func(c *Commit) { c.CommittedAt = t0.Add(tc.after) }))
		require.Equal(t, tc.want, detail(l, "time"))
	}
}

func TestRebased(t *testing.T) {
	t.Parallel()
	orig := commitFactory(func(c *Commit) { c.PatchID = "p1" })

	ev, ok := Rebased(orig, commitFactory(func(c *Commit) {
		c.SHA, c.PatchID = "aaaa111", "p1"
		c.AddedLines = nil
		c.CommittedAt = t0.Add(time.Hour)
	}))
	require.True(t, ok)
	require.Equal(t, "rebase", ev.Signal)
	require.Equal(t, "same change as commit 7b3e9a1c0d2e (equal patch id): rebased or cherry-picked", ev.Detail)

	squash := commitFactory(func(c *Commit) {
		c.SHA, c.PatchID = "bbbb222", "p2"
		c.AddedLines = append(hashes("another change in the squash", "and one more line of it"), orig.AddedLines[:4]...)
	})
	ev, ok = Rebased(orig, squash)
	require.True(t, ok)
	require.Equal(t, "carries 4 of the 5 lines added by commit 7b3e9a1c0d2e: a rebased or squashed copy", ev.Detail)
	require.InDelta(t, 0.8, ev.Weight, 1e-9)

	carried := CarryOver(Score(sessionFactory(), orig), squash, ev)
	require.Equal(t, "bbbb222", carried.CommitSHA)
	require.Equal(t, "rebase", carried.Evidence[len(carried.Evidence)-1].Signal)

	// Not copies: itself, too little shared, committed before the original.
	_, ok = Rebased(orig, orig)
	require.False(t, ok)
	_, ok = Rebased(orig, commitFactory(func(c *Commit) { c.SHA, c.AddedLines = "cccc333", orig.AddedLines[:3] }))
	require.False(t, ok)
	_, ok = Rebased(orig, commitFactory(func(c *Commit) { c.SHA, c.PatchID, c.CommittedAt = "dddd444", "p1", t0.Add(-time.Hour) }))
	require.False(t, ok)
}
