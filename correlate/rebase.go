package correlate

import (
	"fmt"
	"strings"
)

// MinCopyCoverage is the share of an original commit's added lines a copy
// must carry to count as its rebased or squashed copy.
const MinCopyCoverage = 0.8

// minCopyLines: an original with fewer significant added lines is judged
// by patch id only; two or three lines are too easy to share by chance.
const minCopyLines = 3

// Rebased reports whether cp is a rebased, cherry-picked or squashed copy
// of orig, so that links of orig carry over to it (see CarryOver):
//   - the same non-empty PatchID (git patch-id: the same change on another
//     parent, what rebase and cherry-pick produce), or
//   - cp's added lines cover at least MinCopyCoverage of orig's (at least
//     minCopyLines of them): a squash of orig with other commits, or a
//     rebase that resolved a conflict.
//
// A commit is not a copy of itself, and a copy is not committed before its
// original (beyond ClockSkew). The Evidence's weight is the share of
// orig's lines cp carries (1 for an equal patch id).
func Rebased(orig, cp Commit) (Evidence, bool) {
	if orig.SHA != "" && strings.EqualFold(orig.SHA, cp.SHA) {
		return Evidence{}, false
	}
	if !orig.CommittedAt.IsZero() && !cp.CommittedAt.IsZero() && cp.CommittedAt.Before(orig.CommittedAt.Add(-ClockSkew)) {
		return Evidence{}, false
	}
	if orig.PatchID != "" && orig.PatchID == cp.PatchID {
		return Evidence{Signal: "rebase", Weight: 1,
			Detail: fmt.Sprintf("same change as commit %s (equal patch id): rebased or cherry-picked", short(orig.SHA))}, true
	}
	n := distinct(orig.AddedLines)
	if n < minCopyLines {
		return Evidence{}, false
	}
	k := overlap(orig.AddedLines, cp.AddedLines)
	share := float64(k) / float64(n)
	if share < MinCopyCoverage {
		return Evidence{}, false
	}
	return Evidence{Signal: "rebase", Weight: float64(int(share*100)) / 100,
		Detail: fmt.Sprintf("carries %d of the %d lines added by commit %s: a rebased or squashed copy", k, n, short(orig.SHA))}, true
}

// CarryOver gives a copy the link of its original: the same session and
// confidence, the original's evidence and the rebase evidence last.
func CarryOver(l Link, cp Commit, ev Evidence) Link {
	out := Link{SessionID: l.SessionID, CommitSHA: cp.SHA, Confidence: l.Confidence}
	out.Evidence = append(append([]Evidence(nil), l.Evidence...), ev)
	return out
}
