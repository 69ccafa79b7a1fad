package correlate

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

// Threshold is the confidence from which a link is kept and shown: a
// log-odds sum of 0, i.e. the signals together make the link at least as
// likely as not. At this threshold the evaluation in eval_test.go (real
// git repositories, replayed sessions of six assistants, hard negatives)
// must reach precision ≥ 0.95 and recall ≥ 0.90; BENCHMARKS.md has the
// numbers.
const Threshold = 0.5

// ClockSkew is how far before a session's start a commit may be dated and
// still come from it: machines' clocks and a forge's dates disagree by
// minutes. ZonelessSkew replaces it for sessions whose times have no zone.
const (
	ClockSkew    = 10 * time.Minute
	ZonelessSkew = 14 * time.Hour
)

// The scoring model is a logistic regression with hand-set weights:
//
//	confidence = 1 / (1 + e^−z),  z = Bias + Σ weight of each signal that fired
//
// Each weight is a log-odds contribution (+2.2 multiplies the odds by 9),
// so signals add up and negative evidence can cancel positive evidence,
// which a noisy-OR cannot express: "edited the same file but none of the
// commit's lines are the assistant's" must count against a link.
//
// The bias says that before any evidence a (session, commit) pair is very
// unlikely to be a link (σ(−5) ≈ 0.7 %): candidates are every commit in
// the same organisation within days of the session. The weights were set
// by reasoning about each signal's reliability, then corrected once after
// the first run of the evaluation (BENCHMARKS.md says what changed and
// why); they are not fitted:
//
//   - Explicit signals are near proof. commit_ref (+10: the transcript
//     records the commit as made, Aider's "> Commit abc1234" or git's
//     "[main abc1234] subject" in a tool output) passes the threshold
//     alone. hash_mentioned (+5.5: the conversation names the hash, so the
//     commit existed while the session ran; commits before the session are
//     vetoed) passes alone only barely, because a session also names
//     commits it did not make, such as a teammate's it pulled: a
//     teammate's author, branch and files bring it back under.
//     git_commit_command (+7) fires when the assistant ran git commit with
//     the commit's subject; a short, generic subject ("fix", "wip", fewer
//     than 3 words and 20 characters) gets only +3.5 because another
//     session or person may use it too.
//   - trailer: a Co-Authored-By / Generated-with line naming an assistant
//     says the commit is AI-assisted, not which session made it, so it is
//     weak (+1.5 when it names the session's assistant, +0.5 when the
//     session's assistant is unknown) and needs corroboration by time,
//     files or content. Naming a different assistant counts against (−2.5).
//   - content_overlap: the share r of the commit's added lines (distinct,
//     significant, see LineHash) that the assistant wrote: +1.5 + 4.5·r
//     when at least 3 lines match or at least half of them do (14 of 14
//     gives +6). Content is the best implicit signal because a human
//     commit after the session still carries the assistant's lines. When
//     the commit touches a file the session edited, the session wrote ≥ 5
//     lines and fewer than 10 % of the commit's lines match, the commit is
//     someone else's change to the same files: −3 (−1.5 when the commit
//     adds fewer than 4 lines).
//     Code the assistant only showed in its answers (ShownLines; chat
//     sessions whose code the user pasted) scores +1.0 + 4.0·r by the same
//     rule when no written line matched.
//   - file_overlap: the share f of the commit's files the session wrote:
//     +1.0 + 2.0·f. When both sides list files and none is shared: −1.5;
//     when the session recorded no edit at all (a question-and-answer
//     session): −1.0.
//   - time (author date, which rebases keep; commit date when the author
//     date predates the session): during the session (up to 10 min after
//     its last message) +2.5; after it, ≤ 30 min +2.0, ≤ 2 h +1.0, ≤ 8 h
//     nothing, ≤ 24 h −0.5, ≤ 7 days −1.5, later −2.5. A commit dated more
//     than ClockSkew before the session started cannot come from it: a
//     veto (confidence 0, whatever else fired). Sessions without a zone
//     (Aider) get ZonelessSkew for the veto and +0.5 when within 18 h of
//     the start, since their clock may be off by a time zone.
//   - branch: the commit is on a branch the session was on +0.5, on
//     another −1.5 (a teammate's work in the same files).
//   - repo: same repository +0.5, another −6 (a hash collision or a fork).
//   - author: the commit's author email is the session user's +0.5,
//     another −2.0 (a teammate; not a veto because people also commit with
//     a personal address, which content and explicit signals overcome).
//
// Consequences worth knowing: without content or explicit signals, a
// link needs file overlap and a commit within about 2 hours of the session
// (f = 1, 30 min–2 h after, same branch and author: z = 0, exactly the
// threshold; same repository known: +0.5). This is how sessions that
// record edits without their text (Copilot) link, and how a user's commit
// of a small assistant edit they rewrote links; both sit close to the
// threshold. Trailer, time, branch, repository and author alone never
// reach it.
const (
	Bias = -5.0

	WeightCommitRef          = 10.0
	WeightHashMentioned      = 5.5
	WeightCommitCommand      = 7.0
	WeightCommitCommandShort = 3.5

	WeightTrailerSameTool    = 1.5
	WeightTrailerUnknownTool = 0.5
	WeightTrailerOtherTool   = -2.5

	WeightContentBase    = 1.5
	WeightContentShare   = 4.5
	WeightContentMissing = -3.0
	// WeightContentMissingSmall is for commits adding 1–3 lines, where
	// "none is the assistant's" says less.
	WeightContentMissingSmall = -1.5

	// WeightShownBase and WeightShownShare score code the assistant only
	// showed (ShownLines): a little less than code it wrote, since the
	// user chose to paste it.
	WeightShownBase  = 1.0
	WeightShownShare = 4.0

	WeightFilesBase  = 1.0
	WeightFilesShare = 2.0
	WeightFilesNone  = -1.5
	// WeightFilesNoWrites is for a session that recorded no edit at all.
	WeightFilesNoWrites = -1.0

	WeightDuring       = 2.5
	WeightAfter30m     = 2.0
	WeightAfter2h      = 1.0
	WeightAfter24h     = -0.5
	WeightAfter7d      = -1.5
	WeightAfterLater   = -2.5
	WeightZonelessNear = 0.5
	// WeightVeto marks the evidence of a veto; the link's confidence is 0.
	WeightVeto = -100.0

	WeightBranchSame  = 0.5
	WeightBranchOther = -1.5
	WeightRepoSame    = 0.5
	WeightRepoOther   = -6.0
	WeightAuthorSame  = 0.5
	WeightAuthorOther = -2.0
)

// Thresholds of the content signals, in lines.
const (
	minContentMatches  = 3 // or at least half of the commit's lines
	minMissingAdded    = 4 // below it, WeightContentMissingSmall
	minMissingWritten  = 5
	maxMissingShare    = 0.1
	duringGrace        = 10 * time.Minute
	zonelessNearWindow = 18 * time.Hour
)

// Score compares a session with a commit and returns the link with its
// confidence and the evidence, each fired signal with a sentence and its
// log-odds weight (see the model above). It is pure and cheap: callers
// score every candidate pair and keep links with Confidence ≥ Threshold.
func Score(s Session, c Commit) Link {
	l := Link{SessionID: s.ID, CommitSHA: c.SHA}
	if ev, vetoed := timeVeto(s, c); vetoed {
		l.Evidence = []Evidence{ev}
		return l
	}
	var ev []Evidence
	add := func(signal string, weight float64, format string, args ...any) {
		ev = append(ev, Evidence{Signal: signal, Detail: fmt.Sprintf(format, args...), Weight: math.Round(weight*100) / 100})
	}

	// Explicit signals.
	explicitRef := false
	for _, r := range s.CommitRefs {
		if hashMatches(r, c.SHA) {
			add("commit_ref", WeightCommitRef, "the transcript records commit %s as made in the session", short(r))
			explicitRef = true
			break
		}
	}
	if !explicitRef {
		for _, h := range s.MentionedHashes {
			if hashMatches(h, c.SHA) {
				add("hash_mentioned", WeightHashMentioned, "the conversation names commit %s", short(h))
				break
			}
		}
	}
	if subject := subjectLine(c.Message); subject != "" {
		for _, msg := range CommitMessageCommands(s.Commands) {
			if strings.EqualFold(subjectLine(msg), subject) {
				w := WeightCommitCommand
				if !distinctiveSubject(subject) {
					w = WeightCommitCommandShort
				}
				add("git_commit_command", w, "the assistant ran git commit with the same message %q", clip(subject, 72))
				break
			}
		}
	}

	// Trailers.
	if tools := AITools(c); len(tools) > 0 {
		names := make([]string, len(tools))
		same := false
		for i, t := range tools {
			names[i] = toolLabel(string(t))
			same = same || string(t) == s.Tool
		}
		named := strings.Join(names, " and ")
		switch {
		case same:
			add("trailer", WeightTrailerSameTool, "commit trailer names %s, the session's assistant", named)
		case s.Tool == "" || s.Tool == string(transcript.ToolGeneric):
			add("trailer", WeightTrailerUnknownTool, "commit trailer names %s", named)
		default:
			add("trailer", WeightTrailerOtherTool, "commit trailer names %s, not the session's %s", named, toolLabel(s.Tool))
		}
	}

	// Files and content.
	filesMatched := 0
	if len(c.FilesChanged) > 0 && len(s.FilesWritten) == 0 && len(s.WrittenLines) == 0 {
		add("file_overlap", WeightFilesNoWrites, "the session edited no files")
	}
	if len(c.FilesChanged) > 0 && len(s.FilesWritten) > 0 {
		cf := len(c.FilesChanged)
		filesMatched = matchFiles(s.FilesWritten, s.Cwd, c.FilesChanged)
		share := float64(filesMatched) / float64(cf)
		switch {
		case filesMatched == 0:
			add("file_overlap", WeightFilesNone, "edited none of the commit's %s", plural(cf, "file"))
		case cf == 1:
			add("file_overlap", WeightFilesBase+WeightFilesShare*share, "edited the commit's only file")
		default:
			add("file_overlap", WeightFilesBase+WeightFilesShare*share, "edited %d of the commit's %d files", filesMatched, cf)
		}
	}
	if n, w := distinct(c.AddedLines), distinct(s.WrittenLines); n > 0 && w > 0 {
		k := overlap(c.AddedLines, s.WrittenLines)
		r := float64(k) / float64(n)
		switch {
		case k >= minContentMatches || (k >= 1 && r >= 0.5):
			add("content_overlap", WeightContentBase+WeightContentShare*r, "%d of %s written by the assistant", k, plural(n, "added line"))
		case filesMatched > 0 && w >= minMissingWritten && r < maxMissingShare && !shownContent(s, c):
			weight := WeightContentMissing
			if n < minMissingAdded {
				weight = WeightContentMissingSmall
			}
			if k == 0 {
				add("content_overlap", weight, "none of the commit's %s written by the assistant", plural(n, "added line"))
			} else {
				add("content_overlap", weight, "only %d of the commit's %s written by the assistant", k, plural(n, "added line"))
			}
		}
	}

	if !contentFired(ev) {
		if n, k := distinct(c.AddedLines), overlap(c.AddedLines, s.ShownLines); n > 0 && (k >= minContentMatches || (k >= 1 && float64(k)/float64(n) >= 0.5)) {
			r := float64(k) / float64(n)
			add("content_overlap", WeightShownBase+WeightShownShare*r, "%d of %s shown by the assistant in its answers", k, plural(n, "added line"))
		}
	}

	// Context: time, branch, repository, author.
	if e, ok := timeEvidence(s, c); ok {
		ev = append(ev, e)
	}
	if branches := sessionBranches(s); len(branches) > 0 && normBranch(c.Branch) != "" {
		cb := normBranch(c.Branch)
		same := false
		for _, b := range branches {
			same = same || b == cb
		}
		if same {
			add("branch", WeightBranchSame, "on the session's branch %s", cb)
		} else {
			add("branch", WeightBranchOther, "on branch %s; the session was on %s", cb, strings.Join(branches, ", "))
		}
	}
	if s.Repo != "" && c.Repo != "" {
		if strings.EqualFold(s.Repo, c.Repo) {
			add("repo", WeightRepoSame, "in the session's repository %s", c.Repo)
		} else {
			add("repo", WeightRepoOther, "in repository %s; the session was in %s", c.Repo, s.Repo)
		}
	}
	if se, ce := strings.TrimSpace(s.UserEmail), strings.TrimSpace(c.AuthorEmail); se != "" && ce != "" {
		if strings.EqualFold(se, ce) {
			add("author", WeightAuthorSame, "authored by the session's user %s", ce)
		} else {
			add("author", WeightAuthorOther, "authored by %s, not the session's user %s", ce, se)
		}
	}

	z := Bias
	for _, e := range ev {
		z += e.Weight
	}
	l.Confidence = math.Round(sigmoid(z)*10000) / 10000
	l.Evidence = ev
	return l
}

// contentFired reports a content_overlap evidence already added.
func contentFired(ev []Evidence) bool {
	for _, e := range ev {
		if e.Signal == "content_overlap" {
			return true
		}
	}
	return false
}

// shownContent: the commit carries code the assistant showed, so missing
// written lines are no evidence against it.
func shownContent(s Session, c Commit) bool {
	return overlap(c.AddedLines, s.ShownLines) >= minContentMatches
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// zoneless reports whether a session's times may be off by a time zone.
func zoneless(s Session) bool {
	return s.ZonelessTimes || s.Tool == string(transcript.ToolAider)
}

// sessionEnd is EndedAt, or StartedAt when the format records no end.
func sessionEnd(s Session) time.Time {
	if s.EndedAt.After(s.StartedAt) {
		return s.EndedAt
	}
	return s.StartedAt
}

// timeVeto: a commit created before the session started (beyond clock
// skew) cannot contain its work. The commit date decides, not the author
// date: an assistant may amend or cherry-pick an older commit.
func timeVeto(s Session, c Commit) (Evidence, bool) {
	if s.StartedAt.IsZero() || c.CommittedAt.IsZero() {
		return Evidence{}, false
	}
	skew := ClockSkew
	if zoneless(s) {
		skew = ZonelessSkew
	}
	before := s.StartedAt.Sub(c.CommittedAt)
	if before <= skew {
		return Evidence{}, false
	}
	return Evidence{Signal: "time", Weight: WeightVeto,
		Detail: fmt.Sprintf("commit %s before the session started; it cannot come from it", humanDuration(before))}, true
}

// workTime is when the commit's work was done: the author date (kept by
// rebases) unless it predates the session, then the commit date.
func workTime(s Session, c Commit) time.Time {
	if !c.AuthoredAt.IsZero() && !c.AuthoredAt.Before(s.StartedAt.Add(-ClockSkew)) {
		return c.AuthoredAt
	}
	return c.CommittedAt
}

func timeEvidence(s Session, c Commit) (Evidence, bool) {
	if s.StartedAt.IsZero() || (c.CommittedAt.IsZero() && c.AuthoredAt.IsZero()) {
		return Evidence{}, false
	}
	t := workTime(s, c)
	if t.IsZero() {
		t = c.AuthoredAt
	}
	end := sessionEnd(s)
	if zoneless(s) {
		if t.Before(s.StartedAt.Add(zonelessNearWindow)) {
			return Evidence{Signal: "time", Weight: WeightZonelessNear,
				Detail: "commit within 18 h of the session start (its times have no zone)"}, true
		}
		end = s.StartedAt.Add(zonelessNearWindow)
	}
	after := t.Sub(end)
	var w float64
	switch {
	case after <= duringGrace:
		return Evidence{Signal: "time", Weight: WeightDuring, Detail: "commit made during the session"}, true
	case after <= 30*time.Minute:
		w = WeightAfter30m
	case after <= 2*time.Hour:
		w = WeightAfter2h
	case after <= 8*time.Hour:
		return Evidence{}, false
	case after <= 24*time.Hour:
		w = WeightAfter24h
	case after <= 7*24*time.Hour:
		w = WeightAfter7d
	default:
		w = WeightAfterLater
	}
	return Evidence{Signal: "time", Weight: w, Detail: fmt.Sprintf("commit %s after the session", humanDuration(after))}, true
}

// sessionBranches are the session's branches without detached "HEAD".
func sessionBranches(s Session) []string {
	var out []string
	for _, b := range s.Branches {
		if nb := normBranch(b); nb != "" {
			out = append(out, nb)
		}
	}
	return out
}

func normBranch(b string) string {
	b = strings.TrimSpace(b)
	b = strings.TrimPrefix(b, "refs/heads/")
	b = strings.TrimPrefix(b, "refs/remotes/")
	b = strings.TrimPrefix(b, "origin/")
	if b == "HEAD" {
		return ""
	}
	return b
}

// distinctiveSubject: a subject unlikely to be reused by someone else.
func distinctiveSubject(s string) bool {
	return len(strings.Fields(s)) >= 3 || len(s) >= 20
}

// humanDuration: "45 s", "40 min", "3 h", "2 days".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(math.Round(d.Hours())))
	}
	return fmt.Sprintf("%d days", int(math.Round(d.Hours()/24)))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
