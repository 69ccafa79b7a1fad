package correlate

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

// AssistantLines returns the hashes (LineHash) of the code lines an
// assistant wrote through its tool calls, as an ascending set. Only what
// the assistant wrote counts: the old side of an edit, files it read and
// command output do not.
//
// Inputs read, by tool (names as the transcript parsers record them):
//   - Claude Code: Write {file_path, content}; Edit {old_string, new_string}
//     (the lines of new_string that are not in old_string); MultiEdit
//     {edits: [{old_string, new_string}]}; NotebookEdit {new_source}; the
//     str_replace_based_edit_tool / str_replace_editor {old_str, new_str,
//     file_text}.
//   - Codex: apply_patch as a function ({input} or {patch}), as a custom
//     tool (the input is the patch) or inside a shell script
//     ("apply_patch <<'PATCH' … PATCH"): the '+' lines of its
//     "*** Add File" and "*** Update File" sections.
//   - Shell tools of every assistant (Bash, shell, exec_command,
//     run_shell_command, run_in_terminal …): bodies of heredocs redirected
//     to a file (cat > f <<'EOF' … EOF, tee f <<EOF) and embedded apply_patch.
//   - Gemini CLI: write_file {content}, replace / edit {old_string, new_string}.
//   - Copilot: create_file {content}, replace_string_in_file {oldString,
//     newString}, multi_replace_string_in_file {replacements: […]},
//     insert_edit_into_file {code}, apply_patch {input}. Copilot edits
//     recorded only as textEditGroup have no input: they add files, not lines.
//   - Cursor: Write {contents}, StrReplace / search_replace {old_string,
//     new_string}, edit_file {code_edit}; SpecStory renderings whose input is
//     a diff or an apply_patch envelope as plain text.
//
// A tool counts as writing when the parser recorded FilesWritten for it or
// its name says so (write, edit, replace, create, insert, patch); content
// keys of other tools (a chat message's "content") are ignored. Inputs
// that are not JSON objects are read as patches or diffs when they look
// like one. Aider's edits live in the answer text: see EditBlockLines.
func AssistantLines(calls []transcript.ToolCall) []uint64 {
	s := lineSet{}
	for _, tc := range calls {
		toolLines(tc, s)
	}
	return s.sorted()
}

var writeToolRe = regexp.MustCompile(`(?i)write|edit|replace|create|insert|patch|str_replace`)
var shellToolRe = regexp.MustCompile(`(?i)bash|shell|exec|terminal|command|run|powershell`)

// Keys whose value is whole new content, a patch, or one side of an edit.
var (
	contentKeys = []string{"content", "contents", "file_text", "new_source", "code", "code_edit", "newContent"}
	patchKeys   = []string{"input", "patch", "diff"}
	editPairs   = [][2]string{{"old_string", "new_string"}, {"oldString", "newString"}, {"old_str", "new_str"}, {"old_text", "new_text"}, {"oldText", "newText"}}
	listKeys    = []string{"edits", "replacements"}
	commandKeys = []string{"command", "cmd", "script"}
)

func toolLines(tc transcript.ToolCall, s lineSet) {
	writes := len(tc.FilesWritten) > 0 || writeToolRe.MatchString(tc.Name)
	shell := len(tc.Commands) > 0 || shellToolRe.MatchString(tc.Name)
	for _, c := range tc.Commands {
		shellLines(c, s)
	}
	in := strings.TrimSpace(tc.Input)
	var args map[string]json.RawMessage
	if !strings.HasPrefix(in, "{") || json.Unmarshal([]byte(in), &args) != nil {
		if writes || shell {
			rawPatchLines(in, s)
		}
		return
	}
	if shell {
		for _, k := range commandKeys {
			if script := commandString(args[k]); script != "" {
				shellLines(script, s)
				break
			}
		}
	}
	if !writes {
		return
	}
	editArgs(args, s)
	for _, k := range listKeys {
		var list []map[string]json.RawMessage
		if json.Unmarshal(args[k], &list) == nil {
			for _, e := range list {
				editArgs(e, s)
			}
		}
	}
	for _, k := range patchKeys {
		if p := jsonString(args[k]); p != "" {
			rawPatchLines(p, s)
		}
	}
}

// editArgs adds the content keys and the new side of edit pairs of one
// argument object.
func editArgs(args map[string]json.RawMessage, s lineSet) {
	for _, k := range contentKeys {
		if v := jsonString(args[k]); v != "" {
			s.addText(v)
		}
	}
	for _, p := range editPairs {
		if v := jsonString(args[p[1]]); v != "" {
			for h := range newLines(jsonString(args[p[0]]), v) {
				s[h] = struct{}{}
			}
		}
	}
}

func jsonString(raw json.RawMessage) string {
	var v string
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return v
}

// commandString reads a command given as a string or as an argv array
// (Codex: ["bash", "-lc", script]), returning a script.
func commandString(raw json.RawMessage) string {
	if v := jsonString(raw); v != "" {
		return v
	}
	var argv []string
	if len(raw) == 0 || json.Unmarshal(raw, &argv) != nil || len(argv) == 0 {
		return ""
	}
	if n := len(argv); n >= 3 && strings.HasPrefix(argv[n-2], "-") && strings.Contains(argv[n-2], "c") {
		return argv[n-1] // [bash, -lc, script]
	}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

// shellLines adds the lines a shell script writes into files: heredoc
// bodies of commands that redirect to a file or tee, and apply_patch
// envelopes (Codex intercepts "apply_patch <<'PATCH'" instead of running it).
func shellLines(script string, s lineSet) {
	if strings.Contains(script, "*** Begin Patch") {
		patchEnvelopeLines(script, s)
	}
	for _, c := range expandShells(parseShell(script), 0) {
		prog, _, _ := c.program()
		writes := len(c.outFiles) > 0 || prog == "tee"
		if !writes || prog == "apply_patch" {
			continue
		}
		for _, body := range c.heredocs {
			s.addText(body)
		}
		for _, body := range c.here {
			s.addText(body)
		}
	}
}

// rawPatchLines reads a patch given as plain text: an apply_patch
// envelope, or a unified diff (SpecStory's ```diff blocks, Aider udiff).
func rawPatchLines(text string, s lineSet) {
	if strings.Contains(text, "*** Begin Patch") {
		patchEnvelopeLines(text, s)
		return
	}
	plusLines(text, s)
}

// patchEnvelopeLines adds the '+' lines between "*** Begin Patch" and
// "*** End Patch" that belong to Add File and Update File sections.
func patchEnvelopeLines(text string, s lineSet) {
	in, writing := false, false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "*** Begin Patch":
			in, writing = true, false
			continue
		case trimmed == "*** End Patch":
			in = false
			continue
		case !in:
			continue
		case strings.HasPrefix(trimmed, "*** Add File:") || strings.HasPrefix(trimmed, "*** Update File:"):
			writing = true
			continue
		case strings.HasPrefix(trimmed, "*** Delete File:"):
			writing = false
			continue
		case strings.HasPrefix(trimmed, "*** Move to:") || trimmed == "*** End of File":
			continue
		}
		if writing && strings.HasPrefix(line, "+") {
			s.add(line[1:])
		}
	}
}

// plusLines adds the '+' lines of diff-like text that are not "+++ "
// file headers.
func plusLines(text string, s lineSet) {
	if !looksLikeDiff(text) {
		return
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "+") && !strings.HasPrefix(line, "+++ ") {
			s.add(line[1:])
		}
	}
}

// looksLikeDiff: a hunk header or a +++ file header on a line of its own.
func looksLikeDiff(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "@@") || strings.HasPrefix(line, "+++ ") {
			return true
		}
	}
	return false
}

var (
	searchRe  = regexp.MustCompile(`^\s*<{5,9} SEARCH\s*$`)
	dividerRe = regexp.MustCompile(`^\s*={5,9}\s*$`)
	replaceRe = regexp.MustCompile(`^\s*>{5,9} REPLACE\s*$`)
	fenceRe   = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([\\w+-]*)\\s*$")
)

// EditBlockLines returns the hashes of the lines an assistant's answer
// text writes through edit blocks, as an ascending set: Aider's
// SEARCH/REPLACE blocks (diff and diff-fenced formats; the REPLACE lines
// that are not SEARCH lines) and unified diffs in ```diff fences (udiff
// format; the '+' lines). Ordinary code blocks are ignored: assistants
// show code they do not write, and a whole-file block cannot be told from
// an example without the edit format.
func EditBlockLines(text string) []uint64 {
	s := lineSet{}
	const (
		outside = iota
		search
		replace
		diffFence
	)
	state := outside
	var old, repl strings.Builder
	var diff strings.Builder
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		switch state {
		case outside:
			if searchRe.MatchString(line) {
				state = search
				old.Reset()
				repl.Reset()
			} else if m := fenceRe.FindStringSubmatch(line); m != nil && (m[2] == "diff" || m[2] == "patch" || m[2] == "udiff") {
				state = diffFence
				diff.Reset()
			}
		case search:
			switch {
			case dividerRe.MatchString(line):
				state = replace
			case replaceRe.MatchString(line):
				state = outside // malformed: no divider
			default:
				old.WriteString(line)
				old.WriteByte('\n')
			}
		case replace:
			if replaceRe.MatchString(line) {
				for h := range newLines(old.String(), repl.String()) {
					s[h] = struct{}{}
				}
				state = outside
				continue
			}
			if searchRe.MatchString(line) { // malformed: a new block starts
				state = search
				old.Reset()
				repl.Reset()
				continue
			}
			repl.WriteString(line)
			repl.WriteByte('\n')
		case diffFence:
			// A closing fence; " ```" would be a context line of the diff.
			if m := fenceRe.FindStringSubmatch(line); m != nil && m[2] == "" && !strings.HasPrefix(line, " ") {
				plusLines(diff.String(), s)
				state = outside
				continue
			}
			diff.WriteString(line)
			diff.WriteByte('\n')
		}
	}
	if state == diffFence {
		plusLines(diff.String(), s)
	}
	return s.sorted()
}

// CodeBlockLines returns the hashes of the lines inside fenced code blocks
// (``` or ~~~) of an answer's text, as an ascending set: code the
// assistant showed, which a user may paste and commit. Edit blocks are
// included (they are fenced too); callers keep them apart by removing
// WrittenLines. Diff blocks count only their '+' lines.
func CodeBlockLines(text string) []uint64 {
	s := lineSet{}
	var block strings.Builder
	in, lang, fence := false, "", ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		m := fenceRe.FindStringSubmatch(line)
		switch {
		case !in && m != nil:
			in, lang, fence = true, m[2], m[1][:1]
			block.Reset()
		case in && m != nil && m[2] == "" && m[1][:1] == fence && !strings.HasPrefix(line, " "):
			in = false
			if lang == "diff" || lang == "patch" || lang == "udiff" {
				for _, l := range strings.Split(block.String(), "\n") {
					if strings.HasPrefix(l, "+") && !strings.HasPrefix(l, "+++ ") {
						s.add(l[1:])
					}
				}
				continue
			}
			for _, l := range strings.Split(block.String(), "\n") {
				if searchRe.MatchString(l) || dividerRe.MatchString(l) || replaceRe.MatchString(l) {
					continue
				}
				s.add(l)
			}
		case in:
			block.WriteString(line)
			block.WriteByte('\n')
		}
	}
	return s.sorted()
}
