package correlate

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

// A replay plays an assistant session against a real repository: every
// edit is made in the working tree, every commit the assistant makes is a
// real commit, and at the end the session is rendered in its tool's own
// capture format, parsed by the real parser and reduced to a Session by
// SessionFromConversation, exactly as ingestion would.

type eventKind int

const (
	evUser eventKind = iota
	evSay
	evWrite
	evEdit
	evRun
	evCommit
)

type event struct {
	at                time.Time
	kind              eventKind
	text              string // user/say text
	path              string // repository-relative
	content, old, new string
	cmd, output, subj string
	sha, branch       string
}

type replay struct {
	sc      *scenario
	repo    *gitRepo
	tool    transcript.Tool
	id      string
	user    person
	cwd     string // recorded working directory (the user's machine)
	remote  string // recorded remote URL, for formats that keep one
	clock   time.Time
	events  []event
	zone    *time.Location // Aider writes local time without a zone
	session Session
}

// step advances the clock by a realistic pause between actions.
func (r *replay) step() time.Time {
	r.clock = r.clock.Add(90 * time.Second)
	return r.clock
}

func (r *replay) wait(d time.Duration) { r.clock = r.clock.Add(d) }

// add records an event at the next step, on the branch checked out now.
func (r *replay) add(e event) {
	if e.at.IsZero() {
		e.at = r.step()
	}
	e.branch = r.repo.branch
	r.events = append(r.events, e)
}

func (r *replay) ask(text string) { r.add(event{kind: evUser, text: text}) }

func (r *replay) say(text string) { r.add(event{kind: evSay, text: text}) }

// write creates or overwrites a file.
func (r *replay) write(p, content string) {
	r.repo.write(p, content)
	r.add(event{kind: evWrite, path: p, content: content})
}

// edit replaces old by new in a file.
func (r *replay) edit(p, old, new string) {
	r.repo.edit(p, old, new)
	r.add(event{kind: evEdit, path: p, old: old, new: new})
}

func (r *replay) run(cmd, output string) { r.add(event{kind: evRun, cmd: cmd, output: output}) }

// commit has the assistant commit everything with msg; the commit is a
// true link of this session.
func (r *replay) commit(msg string) string {
	at := r.step()
	who := r.user
	if r.tool == transcript.ToolAider {
		who.name += " (aider)" // aider marks the commits it makes
	}
	sha := r.repo.commit(who, at, msg)
	subject := subjectLine(msg)
	r.add(event{at: at, kind: evCommit, cmd: r.commitCommand(msg), subj: subject, sha: sha,
		output: fmt.Sprintf("[%s %s] %s\n 2 files changed, 14 insertions(+), 2 deletions(-)", r.repo.branch, sha[:7], subject)})
	r.sc.addCommit(r.repo, sha, r.repo.branch, r).note = "made by a session's assistant"
	return sha
}

// commitCommand is how each assistant runs git commit.
func (r *replay) commitCommand(msg string) string {
	switch r.tool {
	case transcript.ToolClaudeCode:
		return "git add -A && git commit -m \"$(cat <<'EOF'\n" + msg + "\nEOF\n)\""
	case transcript.ToolCodex:
		var b strings.Builder
		b.WriteString("git add -A && git commit")
		for _, p := range strings.Split(msg, "\n\n") {
			b.WriteString(" -m '" + strings.ReplaceAll(p, "'", `'\''`) + "'")
		}
		return b.String()
	}
	return "git commit -am \"" + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`").Replace(msg) + "\""
}

// done renders, parses and extracts the session.
func (r *replay) done() Session {
	t := r.sc.t
	t.Helper()
	name, data := r.render()
	format, err := transcript.Detect(name, data)
	require.NoError(t, err, "%s: %s", r.id, name)
	res := transcript.Parse(name, data, format, transcript.Limits{})
	for _, p := range res.Problems {
		require.NotEqual(t, transcript.SeverityError, p.Severity, "%s: %+v", r.id, p)
	}
	require.Len(t, res.Conversations, 1, r.id)
	conv := res.Conversations[0]
	require.Equal(t, r.tool, conv.Tool, r.id)
	s := SessionFromConversation(conv)
	s.ID = r.id
	s.Repo = normaliseRemote(conv.GitRemote)
	s.UserEmail = r.user.email
	r.session = s
	r.sc.sessions = append(r.sc.sessions, s)
	return s
}

// normaliseRemote is the test's stand-in for ingest.NormalizeRemote.
func normaliseRemote(remote string) string {
	r := strings.TrimSpace(remote)
	r = strings.TrimSuffix(strings.TrimSuffix(r, "/"), ".git")
	for _, p := range []string{"https://", "http://", "ssh://", "git@"} {
		r = strings.TrimPrefix(r, p)
	}
	return strings.ToLower(strings.Replace(r, ":", "/", 1))
}

func (r *replay) render() (string, []byte) {
	switch r.tool {
	case transcript.ToolClaudeCode:
		return r.id + ".jsonl", r.renderClaude()
	case transcript.ToolCodex:
		return "rollout-" + r.events[0].at.Format("2006-01-02T15-04-05") + "-" + r.id + ".jsonl", r.renderCodex()
	case transcript.ToolAider:
		return ".aider.chat.history.md", r.renderAider()
	case transcript.ToolCopilot:
		return r.id + ".json", r.renderCopilot()
	case transcript.ToolGemini:
		return "session-" + r.events[0].at.Format("2006-01-02T15-04") + "-" + r.id[:8] + ".json", r.renderGemini()
	case transcript.ToolCursor:
		return r.id + ".jsonl", r.renderCursor()
	}
	panic("no renderer for " + r.tool)
}

func jsonLine(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b) + "\n"
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (r *replay) abs(p string) string { return path.Join(r.cwd, p) }

// renderClaude writes a Claude Code session JSONL: one line per block,
// tool results as user lines, gitBranch on every line.
func (r *replay) renderClaude() []byte {
	var b strings.Builder
	parent := any(nil)
	n := 0
	line := func(typ string, at time.Time, msg map[string]any, branch string) {
		n++
		uuid := fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n)
		b.WriteString(jsonLine(map[string]any{"parentUuid": parent, "isSidechain": false, "userType": "external", "cwd": r.cwd,
			"sessionId": r.id, "version": "2.0.31", "gitBranch": branch, "type": typ, "message": msg, "uuid": uuid, "timestamp": ts(at)}))
		parent = uuid
	}
	for i, e := range r.events {
		branch := e.branch
		id := fmt.Sprintf("msg_%s_%d", r.id[:8], i)
		use := func(name string, input map[string]any, output string) {
			line("assistant", e.at, map[string]any{"id": id, "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
				"content": []any{map[string]any{"type": "tool_use", "id": "toolu_" + id, "name": name, "input": input}},
				"usage":   map[string]any{"input_tokens": 4, "output_tokens": 60}}, branch)
			line("user", e.at.Add(time.Second), map[string]any{"role": "user",
				"content": []any{map[string]any{"type": "tool_result", "tool_use_id": "toolu_" + id, "content": output}}}, branch)
		}
		switch e.kind {
		case evUser:
			line("user", e.at, map[string]any{"role": "user", "content": e.text}, branch)
		case evSay:
			line("assistant", e.at, map[string]any{"id": id, "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
				"content": []any{map[string]any{"type": "text", "text": e.text}}, "usage": map[string]any{"input_tokens": 4, "output_tokens": 30}}, branch)
		case evWrite:
			use("Write", map[string]any{"file_path": r.abs(e.path), "content": e.content}, "File created successfully at: "+r.abs(e.path))
		case evEdit:
			use("Edit", map[string]any{"file_path": r.abs(e.path), "old_string": e.old, "new_string": e.new}, "The file "+r.abs(e.path)+" has been updated.")
		case evRun, evCommit:
			use("Bash", map[string]any{"command": e.cmd, "description": "Run a command"}, e.output)
		}
	}
	return []byte(b.String())
}

// renderCodex writes a Codex CLI rollout. Edits are apply_patch calls in
// the three shapes Codex uses, in turn: a shell heredoc, the custom tool
// (raw patch input) and the function ({"input": patch}).
func (r *replay) renderCodex() []byte {
	var b strings.Builder
	start := r.events[0].at.Add(-time.Second)
	b.WriteString(jsonLine(map[string]any{"timestamp": ts(start), "type": "session_meta", "payload": map[string]any{
		"id": r.id, "timestamp": ts(start), "cwd": r.cwd, "originator": "codex_cli_rs", "cli_version": "0.77.0", "source": "cli",
		"model_provider": "openai", "git": map[string]any{"commit_hash": strings.Repeat("ab", 20), "branch": r.repo.branch, "repository_url": r.remote}}}))
	b.WriteString(jsonLine(map[string]any{"timestamp": ts(start), "type": "turn_context", "payload": map[string]any{
		"cwd": r.cwd, "approval_policy": "on-request", "sandbox_policy": map[string]any{"mode": "workspace-write"}, "model": "gpt-5.1-codex", "effort": "medium", "summary": "auto"}}))
	item := func(at time.Time, payload map[string]any) {
		b.WriteString(jsonLine(map[string]any{"timestamp": ts(at), "type": "response_item", "payload": payload}))
	}
	patches := 0
	for i, e := range r.events {
		call := fmt.Sprintf("call_%s_%d", r.id[:6], i)
		shell := func(script, output string) {
			args, _ := json.Marshal(map[string]any{"command": []string{"bash", "-lc", script}, "workdir": r.cwd, "timeout_ms": 120000})
			item(e.at, map[string]any{"type": "function_call", "name": "shell", "arguments": string(args), "call_id": call})
			out, _ := json.Marshal(map[string]any{"output": output, "metadata": map[string]any{"exit_code": 0, "duration_seconds": 0.4}})
			item(e.at.Add(time.Second), map[string]any{"type": "function_call_output", "call_id": call, "output": string(out)})
		}
		switch e.kind {
		case evUser:
			item(e.at, map[string]any{"type": "message", "role": "user", "content": []any{map[string]any{"type": "input_text", "text": e.text}}})
		case evSay:
			item(e.at, map[string]any{"type": "message", "role": "assistant", "content": []any{map[string]any{"type": "output_text", "text": e.text}}})
		case evWrite, evEdit:
			var p strings.Builder
			p.WriteString("*** Begin Patch\n")
			if e.kind == evWrite {
				p.WriteString("*** Add File: " + e.path + "\n")
				for _, l := range strings.Split(strings.TrimSuffix(e.content, "\n"), "\n") {
					p.WriteString("+" + l + "\n")
				}
			} else {
				p.WriteString("*** Update File: " + e.path + "\n@@\n")
				for _, l := range strings.Split(strings.TrimSuffix(e.old, "\n"), "\n") {
					p.WriteString("-" + l + "\n")
				}
				for _, l := range strings.Split(strings.TrimSuffix(e.new, "\n"), "\n") {
					p.WriteString("+" + l + "\n")
				}
			}
			p.WriteString("*** End Patch\n")
			switch patches % 3 {
			case 0:
				shell("apply_patch <<'PATCH'\n"+p.String()+"PATCH", "Success. Updated the following files:\nM "+e.path+"\n")
			case 1:
				item(e.at, map[string]any{"type": "custom_tool_call", "status": "completed", "call_id": call, "name": "apply_patch", "input": p.String()})
				item(e.at.Add(time.Second), map[string]any{"type": "custom_tool_call_output", "call_id": call, "output": `{"output":"Success.","metadata":{"exit_code":0}}`})
			default:
				args, _ := json.Marshal(map[string]any{"input": p.String()})
				item(e.at, map[string]any{"type": "function_call", "name": "apply_patch", "arguments": string(args), "call_id": call})
				item(e.at.Add(time.Second), map[string]any{"type": "function_call_output", "call_id": call, "output": "Success."})
			}
			patches++
		case evRun, evCommit:
			shell(e.cmd, e.output)
		}
	}
	return []byte(b.String())
}

// renderAider writes an Aider chat history: edits are SEARCH/REPLACE
// blocks in the answer, commits are "> Commit <hash> <subject>" lines, and
// the start time is the user's local time without a zone.
func (r *replay) renderAider() []byte {
	var b strings.Builder
	zone := r.zone
	if zone == nil {
		zone = time.UTC
	}
	b.WriteString("\n# aider chat started at " + r.events[0].at.In(zone).Format("2006-01-02 15:04:05") + "\n\n")
	b.WriteString("> aider --model sonnet  \n> Aider v0.86.1  \n> Main model: anthropic/claude-sonnet-4-20250514 with diff edit format, infinite output  \n")
	b.WriteString("> Git repo: .git with 24 files  \n> Repo-map: using 4096 tokens, auto refresh  \n\n")
	var applied []string
	flush := func() {
		if len(applied) == 0 {
			return
		}
		b.WriteString("\n> Tokens: 4.1k sent, 320 received. Cost: $0.02 message, $0.05 session.  \n")
		for _, p := range applied {
			b.WriteString("> Applied edit to " + p + "  \n")
		}
		applied = nil
	}
	inAnswer := false
	for _, e := range r.events {
		switch e.kind {
		case evUser:
			flush()
			inAnswer = false
			b.WriteString("\n")
			for _, l := range strings.Split(e.text, "\n") {
				b.WriteString("#### " + l + "  \n")
			}
			b.WriteString("\n")
		case evSay:
			b.WriteString(e.text + "\n\n")
			inAnswer = true
		case evWrite, evEdit:
			if !inAnswer {
				b.WriteString("I'll make that change.\n\n")
				inAnswer = true
			}
			old, new := e.old, e.new
			if e.kind == evWrite {
				old, new = "", e.content
			}
			b.WriteString(e.path + "\n```\n<<<<<<< SEARCH\n")
			if old != "" {
				b.WriteString(strings.TrimSuffix(old, "\n") + "\n")
			}
			b.WriteString("=======\n" + strings.TrimSuffix(new, "\n") + "\n>>>>>>> REPLACE\n```\n\n")
			applied = append(applied, e.path)
		case evRun:
			flush()
			b.WriteString("> Running " + e.cmd + "  \n")
		case evCommit:
			flush()
			b.WriteString("> Commit " + e.sha[:7] + " " + e.subj + "  \n")
			inAnswer = false
		}
	}
	flush()
	return []byte(b.String())
}

// renderCopilot writes a VS Code chat session (version 3): one request per
// prompt; edits are textEditGroup parts, which record the file but not
// the text, like most Copilot edit-mode sessions.
func (r *replay) renderCopilot() []byte {
	type request struct {
		prompt   string
		at, done time.Time
		parts    []any
	}
	var reqs []*request
	for _, e := range r.events {
		switch e.kind {
		case evUser:
			reqs = append(reqs, &request{prompt: e.text, at: e.at, done: e.at})
		case evSay, evWrite, evEdit:
			if len(reqs) == 0 {
				continue
			}
			q := reqs[len(reqs)-1]
			q.done = e.at
			if e.kind == evSay {
				q.parts = append(q.parts, map[string]any{"value": e.text, "supportThemeIcons": false, "supportHtml": false})
				continue
			}
			p := r.abs(e.path)
			q.parts = append(q.parts, map[string]any{"kind": "textEditGroup",
				"uri":   map[string]any{"$mid": 1, "fsPath": p, "external": "file://" + p, "path": p, "scheme": "file"},
				"edits": []any{[]any{map[string]any{"text": "…", "range": map[string]any{"startLineNumber": 1, "startColumn": 1, "endLineNumber": 1, "endColumn": 1}}}, []any{}}, "done": true})
		}
	}
	owner, name := "", ""
	if parts := strings.Split(normaliseRemote(r.remote), "/"); len(parts) == 3 {
		owner, name = parts[1], parts[2]
	}
	var requests []any
	for i, q := range reqs {
		rendered := fmt.Sprintf("<context>\nThe current date is %s.\n</context>\n<repoContext>\nRepository name: %s\nOwner: %s\nCurrent branch: %s\nDefault branch: main\n</repoContext>\n<userRequest>\n%s\n</userRequest>\n",
			q.at.Format("January 2, 2006"), name, owner, r.repo.branch, q.prompt)
		requests = append(requests, map[string]any{
			"requestId":    fmt.Sprintf("request_%s_%d", r.id[:8], i),
			"message":      map[string]any{"text": q.prompt, "parts": []any{map[string]any{"text": q.prompt, "kind": "text"}}},
			"variableData": map[string]any{"variables": []any{}},
			"response":     q.parts,
			"responseId":   fmt.Sprintf("response_%s_%d", r.id[:8], i),
			"result": map[string]any{"timings": map[string]any{"firstProgress": 900, "totalElapsed": q.done.Sub(q.at).Milliseconds()},
				"metadata": map[string]any{
					"renderedUserMessage":   []any{map[string]any{"type": 1, "text": rendered}},
					"renderedGlobalContext": []any{map[string]any{"type": 1, "text": "<workspace_info>\nI am working in a workspace with the following folders:\n- " + r.cwd + " \n</workspace_info>\n"}},
				}},
			"timestamp": q.at.UnixMilli(), "modelId": "copilot/gpt-4.1",
		})
	}
	doc := map[string]any{"version": 3, "requesterUsername": strings.Split(r.user.email, "@")[0], "responderUsername": "GitHub Copilot",
		"initialLocation": "panel", "requests": requests, "sessionId": r.id, "creationDate": reqs[0].at.UnixMilli(),
		"lastMessageDate": reqs[len(reqs)-1].done.UnixMilli(), "isImported": false}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

// renderGemini writes a Gemini CLI session JSON: write_file, replace and
// run_shell_command calls on "gemini" messages.
func (r *replay) renderGemini() []byte {
	var msgs []any
	for i, e := range r.events {
		id := fmt.Sprintf("%s-%d", r.id[:8], i)
		call := func(name string, args map[string]any, output string) {
			msgs = append(msgs, map[string]any{"id": id, "timestamp": ts(e.at), "type": "gemini", "content": "", "model": "gemini-2.5-pro",
				"tokens": map[string]any{"input": 900, "output": 80, "cached": 0, "thoughts": 0, "tool": 0, "total": 980},
				"toolCalls": []any{map[string]any{"id": name + "-" + id, "name": name, "args": args, "status": "success", "timestamp": ts(e.at),
					"result": []any{map[string]any{"functionResponse": map[string]any{"id": name + "-" + id, "name": name, "response": map[string]any{"output": output}}}}}}})
		}
		switch e.kind {
		case evUser:
			msgs = append(msgs, map[string]any{"id": id, "timestamp": ts(e.at), "type": "user", "content": e.text})
		case evSay:
			msgs = append(msgs, map[string]any{"id": id, "timestamp": ts(e.at), "type": "gemini", "content": e.text, "model": "gemini-2.5-pro",
				"tokens": map[string]any{"input": 900, "output": 80, "cached": 0, "thoughts": 0, "tool": 0, "total": 980}})
		case evWrite:
			call("write_file", map[string]any{"file_path": r.abs(e.path), "content": e.content}, "Successfully created and wrote to new file.")
		case evEdit:
			call("replace", map[string]any{"file_path": r.abs(e.path), "old_string": e.old, "new_string": e.new, "instruction": "apply the change"}, "Successfully modified file.")
		case evRun, evCommit:
			call("run_shell_command", map[string]any{"command": e.cmd, "description": "run"}, e.output)
		}
	}
	doc := map[string]any{"sessionId": r.id, "projectHash": strings.Repeat("9d", 32), "startTime": ts(r.events[0].at),
		"lastUpdated": ts(r.events[len(r.events)-1].at), "messages": msgs}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

// renderCursor writes a Cursor agent transcript: no times, no branch, no
// session id but the file name.
func (r *replay) renderCursor() []byte {
	var b strings.Builder
	use := func(name string, input map[string]any) {
		b.WriteString(jsonLine(map[string]any{"role": "assistant", "message": map[string]any{"content": []any{
			map[string]any{"type": "text", "text": "[REDACTED]"}, map[string]any{"type": "tool_use", "name": name, "input": input}}}}))
	}
	for _, e := range r.events {
		switch e.kind {
		case evUser:
			b.WriteString(jsonLine(map[string]any{"role": "user", "message": map[string]any{"content": []any{
				map[string]any{"type": "text", "text": "<user_query>\n" + e.text + "\n</user_query>"}}}}))
		case evSay:
			b.WriteString(jsonLine(map[string]any{"role": "assistant", "message": map[string]any{"content": []any{map[string]any{"type": "text", "text": e.text}}}}))
			b.WriteString(jsonLine(map[string]any{"type": "turn_ended", "status": "success"}))
		case evWrite:
			use("Write", map[string]any{"path": r.abs(e.path), "contents": e.content})
		case evEdit:
			use("StrReplace", map[string]any{"path": r.abs(e.path), "old_string": e.old, "new_string": e.new})
		case evRun, evCommit:
			use("Shell", map[string]any{"command": e.cmd, "explanation": "run"})
		}
	}
	return []byte(b.String())
}
