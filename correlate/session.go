package correlate

import (
	"regexp"
	"slices"
	"strings"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

// SessionFromConversation extracts what Score compares from a parsed
// conversation. It fills Tool, Cwd, Branches, times, FilesWritten,
// WrittenLines (AssistantLines of every tool call and EditBlockLines of
// assistant answers), ShownLines (CodeBlockLines of answers that are not
// written lines), Commands, MentionedHashes (HashesMentioned in user
// and assistant text) and CommitRefs (the transcript's own refs and the
// hashes git printed for commits the assistant made, CommittedHashes).
//
// The caller sets what the conversation does not know: ID, Repo (the
// normalised remote key of GitRemote) and UserEmail (the capturing member).
// These are the features the store must keep per conversation.
func SessionFromConversation(c transcript.Conversation) Session {
	s := Session{
		Tool: string(c.Tool), Cwd: c.Cwd, StartedAt: c.StartedAt, EndedAt: c.EndedAt,
		ZonelessTimes: c.Tool == transcript.ToolAider,
	}
	for _, b := range c.GitBranches {
		if nb := normBranch(b); nb != "" && !slices.Contains(s.Branches, nb) {
			s.Branches = append(s.Branches, nb)
		}
	}
	lines, shown := lineSet{}, lineSet{}
	seenFile, seenCmd, seenHash, seenRef := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range c.CommitRefs {
		if h := strings.ToLower(r.Hash); h != "" && !seenRef[h] {
			seenRef[h] = true
			s.CommitRefs = append(s.CommitRefs, h)
		}
	}
	for _, m := range c.Messages {
		if nb := normBranch(m.GitBranch); nb != "" && !slices.Contains(s.Branches, nb) {
			s.Branches = append(s.Branches, nb)
		}
		for _, tc := range m.ToolCalls {
			for _, f := range tc.FilesWritten {
				if !seenFile[f] {
					seenFile[f] = true
					s.FilesWritten = append(s.FilesWritten, f)
				}
			}
			for _, cmd := range tc.Commands {
				if !seenCmd[cmd] {
					seenCmd[cmd] = true
					s.Commands = append(s.Commands, cmd)
				}
			}
		}
		for _, h := range AssistantLines(m.ToolCalls) {
			lines[h] = struct{}{}
		}
		for _, h := range CommittedHashes(m.ToolCalls) {
			if !seenRef[h] {
				seenRef[h] = true
				s.CommitRefs = append(s.CommitRefs, h)
			}
		}
		switch m.Role {
		case transcript.RoleAssistant:
			for _, h := range EditBlockLines(m.Text) {
				lines[h] = struct{}{}
			}
			for _, h := range CodeBlockLines(m.Text) {
				shown[h] = struct{}{}
			}
		case transcript.RoleUser:
		default:
			continue // system and tool text is harness output, not the conversation
		}
		for _, h := range HashesMentioned(m.Text) {
			if !seenHash[h] {
				seenHash[h] = true
				s.MentionedHashes = append(s.MentionedHashes, h)
			}
		}
	}
	s.WrittenLines = lines.sorted()
	for h := range lines {
		delete(shown, h)
	}
	s.ShownLines = shown.sorted()
	return s
}

// gitCommitOutputRe is the summary line git commit prints:
// "[main 3f2a1b9] Add retry", "[main (root-commit) 3f2a1b9] Init",
// "[detached HEAD 3f2a1b9] x".
var gitCommitOutputRe = regexp.MustCompile(`(?m)^\[[^\]\n]*?\s([0-9a-f]{7,40})\]\s`)

// CommittedHashes returns the hashes of commits that tool calls made, read
// from git's "[branch abc1234] subject" line in the output of shell calls
// that ran git commit (including cherry-pick, revert, merge and rebase,
// which print the same line for the commits they create).
func CommittedHashes(calls []transcript.ToolCall) []string {
	var out []string
	for _, tc := range calls {
		if tc.IsError || !strings.Contains(tc.Output, "]") {
			continue
		}
		ran := false
		for _, c := range append(append([]string(nil), tc.Commands...), tc.Input) {
			ran = ran || strings.Contains(c, "git") && (strings.Contains(c, "commit") || strings.Contains(c, "cherry-pick") || strings.Contains(c, "revert") || strings.Contains(c, "merge") || strings.Contains(c, "rebase"))
		}
		if !ran {
			continue
		}
		for _, m := range gitCommitOutputRe.FindAllStringSubmatch(tc.Output, -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	return out
}
