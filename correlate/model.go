// Package correlate links conversations to the commits they led to. Each
// link has a confidence between 0 and 1 and the evidence behind it in
// words, so that managers and auditors can see why a commit counts as
// AI-assisted. Signals are layered: explicit ones (trailers such as
// Co-Authored-By: Claude, Aider's "> Commit <hash>" lines, a hash named in
// the conversation, a `git commit` the assistant ran with the same
// message), file overlap, content overlap (normalised line hashes of code
// the assistant wrote and lines the commit added), and time, branch,
// repository and author proximity.
//
// The scoring is pure: features in, a Link out. Reading features from the
// store and writing links belongs to the callers; this package must not
// touch HTTP or the forge APIs.
package correlate

import "time"

// Commit is what the scorer knows about a commit.
type Commit struct {
	SHA         string
	Repo        string // normalised remote key, e.g. github.com/acme/shop ("" when unknown)
	Branch      string // the branch it was pushed to or made on ("" when unknown)
	AuthorName  string
	AuthorEmail string
	CommittedAt time.Time
	// AuthoredAt is the author date (git %aI), which rebases, amends and
	// cherry-picks keep; zero when unknown (CommittedAt is used instead).
	AuthoredAt time.Time
	Message    string // full message, trailers included
	// Files the commit added, modified or removed, as repository-relative paths.
	FilesChanged []string
	// AddedLines are normalised hashes of the lines the commit added (see
	// LineHash); empty when the diff is not known.
	AddedLines []uint64
	// PatchID identifies the change independent of its parent (git
	// patch-id): a rebased or squashed copy of a linked commit has the same
	// one, or its AddedLines cover the original's.
	PatchID string
}

// Session is what the scorer knows about a conversation.
type Session struct {
	ID        string
	Tool      string // claude_code, codex, aider, …
	Repo      string // normalised remote key ("" when unknown)
	Cwd       string
	Branches  []string
	UserEmail string // the member who captured it
	StartedAt time.Time
	EndedAt   time.Time
	// ZonelessTimes says StartedAt/EndedAt are local clock times read as
	// UTC because the format records no zone (legacy SpecStory titles;
	// Aider is always treated so), so they may be off by up to 14 hours.
	ZonelessTimes bool
	// FilesWritten are paths the assistant wrote or edited, as recorded
	// (often absolute: /home/ada/src/shop/src/auth/jwt.go).
	FilesWritten []string
	// WrittenLines are normalised hashes of code lines the assistant wrote
	// (Write contents, Edit new strings, apply_patch + lines).
	WrittenLines []uint64
	// ShownLines are normalised hashes of code lines the assistant showed
	// in fenced blocks of its answers without writing them (see
	// CodeBlockLines): chat-only sessions whose code the user pasted.
	ShownLines []uint64
	// Commands are shell commands the assistant ran (git commit -m …).
	Commands []string
	// MentionedHashes are commit hashes (7–40 hex) named in the messages,
	// and CommitRefs those the transcript records as made (Aider's
	// "> Commit" lines, git's "[branch hash]" output of an assistant's
	// git commit; see CommittedHashes).
	MentionedHashes []string
	CommitRefs      []string
}

// Evidence is one signal that fired, in words.
type Evidence struct {
	Signal string  `json:"signal"` // trailer, commit_ref, hash_mentioned, git_commit_command, file_overlap, content_overlap, time, branch, repo, author, rebase
	Detail string  `json:"detail"` // e.g. "edited 3 of the commit's 4 files"
	Weight float64 `json:"weight"` // its contribution to the score, in log-odds (see Bias)
}

// Link is a scored conversation→commit link.
type Link struct {
	SessionID  string
	CommitSHA  string
	Confidence float64
	Evidence   []Evidence
}
