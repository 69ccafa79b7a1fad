package demo

// The demo's conversations are generated as raw capture files in each
// tool's own format (Claude Code JSONL, Codex rollouts, Cursor agent
// transcripts, SpecStory markdown, Copilot chatSessions, Aider histories,
// Gemini CLI recordings), so that the demo organization is filled through
// the same upload and parse path as real captures. The generator is
// table-driven: people, repositories and topics are tables below; a topic
// is a template of turns (prompt, tool steps, answer) with slots that each
// conversation fills; one renderer per format writes the same turns the
// way that tool would have. It reads no clock, network or disk: the same
// (seed, now, weeks) always gives the same bytes.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// File is one generated capture file, owned by a demo user.
type File struct {
	UserEmail string // one of the demo people (see people) or admin@demo.example
	Name      string // where the tool writes it, e.g. ~/.claude/projects/-home-sam-src-shop-api/<uuid>.jsonl
	Data      []byte
}

// Generate returns the demo's capture files: conversations of every tool
// over the weeks weeks before now (about 150 for six weeks), in each tool's
// native format, deterministic for the same (seed, now, weeks).
func Generate(seed int64, now time.Time, weeks int) Dataset {
	g := &generator{
		rng:   rand.New(rand.NewPCG(uint64(seed), 0x6374_7869_6e74_656c)), // "ctxintel"
		now:   now.UTC(),
		weeks: max(weeks, 1),
	}
	var files []File
	var commits []Commit
	// Aider appends every session to one history file per repository.
	histories := map[string][]*convo{}
	var historyOrder []string
	for _, c := range g.plan() {
		if c.kind == aiderChat {
			key := c.who.email + " " + c.repo.name
			if _, ok := histories[key]; !ok {
				historyOrder = append(historyOrder, key)
			}
			histories[key] = append(histories[key], c)
			continue
		}
		files = append(files, kindSpecs[c.kind].render(g, c))
		commits = append(commits, g.madeCommits(c)...)
	}
	for _, key := range historyOrder {
		files = append(files, g.aiderFile(histories[key]))
	}
	// Drawn last, so that the conversations are the same with or without
	// them.
	commits = append(commits, g.ownCommits()...)
	return Dataset{Files: files, Commits: commits}
}

// Dataset is what Generate makes: capture files, and the commits of the
// same weeks (as `ctxintel commits import` would send them).
type Dataset struct {
	Files   []File
	Commits []Commit
}

// Commit is a commit of a demo repository.
type Commit struct {
	Remote      string // the author's remote of the repository
	SHA         string
	Branch      string
	AuthorName  string
	AuthorEmail string
	At          time.Time
	Message     string
	Additions   int
	Deletions   int
}

// pendingCommit is a commit a conversation's assistant makes; it gets its
// time when the conversation has been written.
type pendingCommit struct {
	sha      string
	ins, del int
}

// madeCommits are the commits c's assistant made, a few minutes after the
// session's last message (git printed their hashes in the session).
func (g *generator) madeCommits(c *convo) []Commit {
	var out []Commit
	for _, p := range c.commits {
		out = append(out, Commit{Remote: c.remote, SHA: p.sha, Branch: c.branch, AuthorName: c.who.first,
			AuthorEmail: c.who.email, At: c.clock.Add(time.Duration(1+g.rng.IntN(4)) * time.Minute),
			Message: c.topic.commit, Additions: p.ins, Deletions: p.del})
	}
	return out
}

// ownSubjects are commits people make without an assistant.
var ownSubjects = []string{
	"chore: bump dependencies", "docs: update the README", "fix: typo in error message", "refactor: rename helpers",
	"test: cover the empty case", "chore: tidy CI config", "feat: add a feature flag", "fix: handle nil response",
}

// ownCommits are the commits people make on their own: on about half of
// the working days, one or two to their main repository.
func (g *generator) ownCommits() []Commit {
	var out []Commit
	start := g.now.AddDate(0, 0, -7*g.weeks).Truncate(24 * time.Hour)
	for _, a := range actors {
		main, best := "", -1
		for name, w := range a.repos {
			if w > best || (w == best && name < main) {
				main, best = name, w
			}
		}
		var r *repo
		for _, rp := range repos {
			if rp.name == main {
				r = rp
			}
		}
		if r == nil {
			continue
		}
		for day := start; day.Before(g.now.Truncate(24 * time.Hour)); day = day.AddDate(0, 0, 1) {
			if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday || g.rng.IntN(2) == 0 {
				continue
			}
			for range 1 + g.rng.IntN(2) {
				out = append(out, Commit{Remote: r.remotes[0], SHA: g.hex(40), Branch: "main", AuthorName: a.first,
					AuthorEmail: a.email, At: day.Add(time.Duration(9*3600+g.rng.IntN(8*3600)) * time.Second),
					Message: pick(g, ownSubjects), Additions: 1 + g.rng.IntN(40), Deletions: g.rng.IntN(15)})
			}
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Who, where and which tool.

// captureKind is a tool's capture format as the generator writes it.
type captureKind int

const (
	claudeCode       captureKind = iota // ~/.claude/projects/<slug>/<session>.jsonl
	codexCLI                            // ~/.codex/sessions/YYYY/MM/DD/rollout-….jsonl
	cursorAgent                         // ~/.cursor/projects/<slug>/agent-transcripts/<uuid>.jsonl
	specStoryCursor                     // .specstory/history/*.md, Markdown v2 from Cursor
	specStoryCopilot                    // .specstory/history/*.md from VS Code Copilot
	copilotChat                         // VS Code workspaceStorage/<ws>/chatSessions/<uuid>.json
	aiderChat                           // <repo>/.aider.chat.history.md
	geminiJSON                          // ~/.gemini/tmp/<hash>/chats/session-….json
	geminiJSONL                         // ~/.gemini/tmp/<hash>/chats/session-….jsonl
)

// kindSpec says how many conversations of a kind six weeks hold, whether
// the tool runs shell commands itself and how its files are written.
type kindSpec struct {
	quota  int
	runs   bool
	render func(*generator, *convo) File // nil for Aider: sessions share a file
}

var kindSpecs = [...]kindSpec{
	claudeCode:       {quota: 44, runs: true, render: (*generator).claudeFile},
	codexCLI:         {quota: 22, runs: true, render: (*generator).codexFile},
	cursorAgent:      {quota: 16, runs: true, render: (*generator).cursorFile},
	specStoryCursor:  {quota: 9, runs: true, render: (*generator).specStoryCursorFile},
	specStoryCopilot: {quota: 8, runs: false, render: (*generator).specStoryCopilotFile},
	copilotChat:      {quota: 16, runs: true, render: (*generator).copilotFile},
	aiderChat:        {quota: 20, runs: false},
	geminiJSON:       {quota: 10, runs: true, render: (*generator).geminiJSONFile},
	geminiJSONL:      {quota: 6, runs: true, render: (*generator).geminiJSONLFile},
}

// actor is a demo person as the tools see them: a home directory, a
// GitHub login, how much they use assistants and which ones.
type actor struct {
	email, first, login string
	home, src           string // the checkout of repo r is home/src/r
	mac                 bool
	weight              int
	tools               map[captureKind]int
	repos               map[string]int // repository name → weight
}

// Activity is skewed on purpose: two heavy users, a long tail, an auditor
// who barely uses assistants. Emails are those of people in demo.go.
var actors = []*actor{
	{email: "sam.okafor@demo.example", first: "Sam", login: "sokafor", home: "/home/sam", src: "src", weight: 30,
		tools: map[captureKind]int{claudeCode: 6, codexCLI: 4, geminiJSONL: 2, aiderChat: 1},
		repos: map[string]int{"shop-api": 6, "infra": 2, "payments-worker": 2}},
	{email: "aisha.khan@demo.example", first: "Aisha", login: "aisha-k", home: "/Users/aisha", src: "code", mac: true, weight: 26,
		tools: map[captureKind]int{cursorAgent: 6, specStoryCursor: 4, claudeCode: 3, copilotChat: 1},
		repos: map[string]int{"shop-web": 7, "design-system": 3}},
	{email: "lena.fischer@demo.example", first: "Lena", login: "lfischer", home: "/home/lena", src: "src", weight: 16,
		tools: map[captureKind]int{aiderChat: 6, geminiJSON: 3, codexCLI: 2, claudeCode: 1},
		repos: map[string]int{"payments-worker": 5, "shop-api": 4, "infra": 2}},
	{email: "tom.berg@demo.example", first: "Tom", login: "tberg", home: "/Users/tom", src: "dev", mac: true, weight: 12,
		tools: map[captureKind]int{copilotChat: 6, specStoryCopilot: 4, cursorAgent: 3},
		repos: map[string]int{"shop-web": 5, "design-system": 3}},
	{email: "diego.ramos@demo.example", first: "Diego", login: "dramos", home: "/Users/diego", src: "src", mac: true, weight: 8,
		tools: map[captureKind]int{copilotChat: 3, specStoryCopilot: 3, claudeCode: 3, geminiJSON: 1},
		repos: map[string]int{"shop-web": 4, "design-system": 2, "shop-api": 1}},
	{email: "maria.chen@demo.example", first: "Maria", login: "mchen-demo", home: "/home/maria", src: "work", weight: 5,
		tools: map[captureKind]int{claudeCode: 4, codexCLI: 3, geminiJSONL: 2},
		repos: map[string]int{"shop-api": 3, "infra": 3, "payments-worker": 1}},
	{email: "priya.nair@demo.example", first: "Priya", login: "pnair", home: "/Users/priya", src: "src", mac: true, weight: 3,
		tools: map[captureKind]int{geminiJSON: 4, geminiJSONL: 2, copilotChat: 1},
		repos: map[string]int{"shop-api": 2, "payments-worker": 1, "infra": 1}},
}

// repo is a demo repository. Clones use different remote spellings, as
// real teams do, so that remote normalization has something to do.
type repo struct {
	name    string
	remotes []string // picked per person
	owner   string   // GitHub owner, "" when hosted on GitLab
	test    string   // the test command
	testOK  string   // what a passing run prints
	tree    string   // top of the tree, for Copilot's workspace_info
}

var repos = []*repo{
	{name: "shop-api", owner: "demo-co",
		remotes: []string{"git@github.com:demo-co/shop-api.git", "https://github.com/demo-co/shop-api.git", "https://github.com/demo-co/shop-api"},
		test:    "go test ./...",
		testOK:  "ok  \tgithub.com/demo-co/shop-api/internal/auth\t0.412s\nok  \tgithub.com/demo-co/shop-api/internal/cart\t0.233s\nok  \tgithub.com/demo-co/shop-api/internal/orders\t1.907s\nok  \tgithub.com/demo-co/shop-api/internal/session\t0.318s",
		tree:    "cmd/\ninternal/\nmigrations/\ndocker-compose.yml\nDockerfile\ngo.mod\nMakefile\nREADME.md"},
	{name: "shop-web", owner: "demo-co",
		remotes: []string{"https://github.com/demo-co/shop-web", "git@github.com:demo-co/shop-web.git"},
		test:    "npm test -- --run",
		testOK:  " ✓ src/hooks/useAuthToken.test.ts (6 tests) 48ms\n ✓ src/hooks/useCart.test.ts (9 tests) 61ms\n ✓ src/routes/ProtectedRoute.test.tsx (5 tests) 112ms\n\n Test Files  3 passed (3)\n      Tests  20 passed (20)",
		tree:    "e2e/\npublic/\nsrc/\n.nvmrc\npackage.json\nplaywright.config.ts\ntsconfig.json\nvite.config.ts"},
	{name: "infra",
		remotes: []string{"https://gitlab.com/demo-co/infra.git", "git@gitlab.com:demo-co/infra.git"},
		test:    "make validate",
		testOK:  "terraform fmt -check -recursive\nterraform -chdir=envs/prod validate\nSuccess! The configuration is valid.\nhelm lint charts/shop-api\n1 chart(s) linted, 0 chart(s) failed",
		tree:    "charts/\nenvs/\nmodules/\n.gitlab-ci.yml\nMakefile"},
	{name: "payments-worker",
		remotes: []string{"git@gitlab.com:demo-co/payments-worker.git", "https://gitlab.com/demo-co/payments-worker"},
		test:    "pytest -q",
		testOK:  "........................................                                 [100%]\n40 passed in 3.12s",
		tree:    "payments_worker/\ntests/\nalembic/\npyproject.toml\nDockerfile"},
	{name: "design-system", owner: "demo-co",
		remotes: []string{"https://github.com/demo-co/design-system.git", "ssh://git@github.com/demo-co/design-system.git"},
		test:    "npm test -- --run",
		testOK:  " ✓ src/Button/Button.test.tsx (7 tests) 74ms\n ✓ src/Grid/Grid.test.tsx (4 tests) 39ms\n\n Test Files  2 passed (2)\n      Tests  11 passed (11)",
		tree:    "src/\nstories/\npackage.json\ntsconfig.json"},
}

func repoByName(name string) *repo {
	for _, r := range repos {
		if r.name == name {
			return r
		}
	}
	panic("demo: unknown repo " + name) // the tables are wrong
}

func actorByEmail(email string) *actor {
	for _, a := range actors {
		if a.email == email {
			return a
		}
	}
	panic("demo: unknown actor " + email)
}

// pin puts a topic with a given person and tool, so that the stories the
// demo tells (a JWT review, the useAuthToken bug, questions several people
// ask) are there whatever the seed.
type pin struct {
	kind               captureKind
	email, repo, topic string
}

var pins = []pin{
	{claudeCode, "sam.okafor@demo.example", "shop-api", "jwt-login-review"},
	{geminiJSON, "priya.nair@demo.example", "shop-api", "jwt-login-review"},
	{cursorAgent, "aisha.khan@demo.example", "shop-web", "auth-token-reset"},
	{copilotChat, "tom.berg@demo.example", "shop-web", "auth-token-reset"},
	{codexCLI, "lena.fischer@demo.example", "shop-api", "migrations-local"},
	{copilotChat, "diego.ramos@demo.example", "shop-api", "migrations-local"},
	{claudeCode, "maria.chen@demo.example", "shop-api", "migrations-local"},
	{geminiJSONL, "sam.okafor@demo.example", "shop-api", "migrations-local"},
	{specStoryCursor, "aisha.khan@demo.example", "shop-web", "flaky-checkout"},
	{specStoryCopilot, "tom.berg@demo.example", "shop-web", "flaky-checkout"},
	{claudeCode, "diego.ramos@demo.example", "shop-web", "flaky-checkout"},
	{aiderChat, "lena.fischer@demo.example", "payments-worker", "refund-currency"},
	{codexCLI, "sam.okafor@demo.example", "shop-api", "go-nil-panic"},
}

// ---------------------------------------------------------------------------
// Planning: which conversations exist.

// generator carries the random source and the clock of one Generate call.
type generator struct {
	rng   *rand.Rand
	now   time.Time
	weeks int
}

// convo is one conversation before it is written in its tool's format.
type convo struct {
	kind    captureKind
	who     *actor
	repo    *repo
	topic   *topic
	id      string    // the tool's session id
	start   time.Time // when the session began
	clock   time.Time // advances while the session is written
	branch  string    // checked out when the session began
	head    string    // HEAD commit when the session began
	remote  string
	turns   []exchange
	commits []pendingCommit // made by the assistant during the session
}

func (c *convo) cwd() string             { return c.who.home + "/" + c.who.src + "/" + c.repo.name }
func (c *convo) abs(p string) string     { return c.cwd() + "/" + p }
func (c *convo) homeRel(p string) string { return "~" + strings.TrimPrefix(p, c.who.home) }

// tick advances the session clock by lo..hi seconds and returns it.
func (g *generator) tick(c *convo, lo, hi int) time.Time {
	c.clock = c.clock.Add(time.Duration(lo+g.rng.IntN(hi-lo+1))*time.Second + time.Duration(g.rng.IntN(1000))*time.Millisecond)
	return c.clock
}

func (g *generator) plan() []*convo {
	var out []*convo
	asked := map[string]int{} // email+topic → times asked
	for k, spec := range kindSpecs {
		kind := captureKind(k)
		n := max(1, (spec.quota*g.weeks+3)/6)
		var kindPins []pin
		for _, p := range pins {
			if p.kind == kind {
				kindPins = append(kindPins, p)
			}
		}
		for i := range n {
			var who *actor
			var r *repo
			var t *topic
			if i < len(kindPins) {
				p := kindPins[i]
				who, r, t = actorByEmail(p.email), repoByName(p.repo), topicByKey(p.topic)
			} else {
				who = g.pickActor(kind)
				r = g.pickRepo(who)
				t = g.pickTopic(r, who, asked)
			}
			asked[who.email+" "+t.key]++
			out = append(out, g.newConvo(kind, who, r, t))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

func (g *generator) pickActor(kind captureKind) *actor {
	w := make([]int, len(actors))
	for i, a := range actors {
		w[i] = a.weight * a.tools[kind]
	}
	return actors[g.weighted(w)]
}

func (g *generator) pickRepo(a *actor) *repo {
	w := make([]int, len(repos))
	for i, r := range repos {
		w[i] = a.repos[r.name]
	}
	return repos[g.weighted(w)]
}

// pickTopic prefers topics the person has not asked about yet; people do
// ask the same thing twice (the knowledge gaps the reports look for), but
// rarely a fourth time.
func (g *generator) pickTopic(r *repo, a *actor, asked map[string]int) *topic {
	w := make([]int, len(topics))
	total := 0
	for i := range topics {
		t := &topics[i]
		if !t.fits(r.name) {
			continue
		}
		w[i] = t.weight * [...]int{9, 2, 1, 0}[min(asked[a.email+" "+t.key], 3)]
		total += w[i]
	}
	if total == 0 { // asked about everything already: anything goes
		for i := range topics {
			if topics[i].fits(r.name) {
				w[i] = topics[i].weight
			}
		}
	}
	return &topics[g.weighted(w)]
}

func (g *generator) weighted(w []int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	if total == 0 {
		panic("demo: nothing to pick from") // the tables are wrong
	}
	r := g.rng.IntN(total)
	for i, x := range w {
		if r < x {
			return i
		}
		r -= x
	}
	return len(w) - 1
}

func (g *generator) chance(percent int) bool { return g.rng.IntN(100) < percent }

func pick[T any](g *generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

// when picks a session start on one of the days before today, mostly on
// weekdays and in working hours, so that every session ends before now.
func (g *generator) when() time.Time {
	today := time.Date(g.now.Year(), g.now.Month(), g.now.Day(), 0, 0, 0, 0, time.UTC)
	days := g.weeks * 7
	for {
		day := today.AddDate(0, 0, -(1 + g.rng.IntN(days-1)))
		if wd := day.Weekday(); (wd == time.Saturday || wd == time.Sunday) && !g.chance(12) {
			continue
		}
		hour := pick(g, []int{8, 9, 9, 10, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 16, 17, 18, 20})
		return day.Add(time.Duration(hour)*time.Hour + time.Duration(g.rng.IntN(3600_000))*time.Millisecond)
	}
}

func (g *generator) newConvo(kind captureKind, who *actor, r *repo, t *topic) *convo {
	c := &convo{kind: kind, who: who, repo: r, topic: t, start: g.when(), head: g.hex(40), branch: "main"}
	c.clock = c.start
	c.remote = r.remotes[int(hash32(who.email+r.name))%len(r.remotes)]
	switch kind {
	case codexCLI:
		c.id = g.uuidV7(c.start)
	default:
		c.id = g.uuid()
	}
	runs := kindSpecs[kind].runs
	if t.branch != "" && (!runs || g.chance(40)) {
		c.branch = t.branch // work already under way on the topic branch
	}
	c.turns = g.turns(c, runs)
	return c
}

// turns fills the topic's template for this conversation: its opening
// exchange, some of its follow-ups, then perhaps tests and a commit.
func (g *generator) turns(c *convo, runs bool) []exchange {
	t := c.topic
	first := exchange{prompt: pick(g, t.prompts), thinking: t.thinking, steps: t.steps, answer: t.answer}
	if runs && t.branch != "" && c.branch != t.branch {
		checkout := step{act: run, say: "I'll do this on a branch.", cmd: "git checkout -b {branch}", out: "Switched to a new branch '{branch}'"}
		first.steps = append([]step{checkout}, first.steps...)
	}
	out := []exchange{first}
	for _, m := range t.more {
		if g.chance(55) {
			out = append(out, m)
		}
	}
	if runs && t.commit != "" && g.chance(50) {
		if g.chance(40) {
			out = append(out, exchange{
				prompt: pick(g, []string{"Run the whole test suite before we commit.", "Can you run all the tests once more?", "run the tests"}),
				steps:  []step{{act: run, cmd: "{test}", out: "{testok}"}},
				answer: "The full suite passes:\n\n'''\n{testok}\n'''",
			})
		}
		out = append(out, g.commitExchange(c))
	}
	peer := actors[(indexOfActor(c.who)+1+g.rng.IntN(len(actors)-1))%len(actors)].first
	fill := strings.NewReplacer(
		"{repo}", c.repo.name, "{branch}", firstNonEmpty(t.branch, c.branch), "{peer}", peer,
		"{test}", c.repo.test, "{testok}", c.repo.testOK, "{commit}", t.commit,
		"‹", "`", "›", "`", "'''", "```",
	)
	for i := range out {
		out[i] = out[i].filled(fill)
	}
	return out
}

func (g *generator) commitExchange(c *convo) exchange {
	hash := g.hex(40)
	ins, del := 8+g.rng.IntN(90), 1+g.rng.IntN(30)
	c.commits = append(c.commits, pendingCommit{sha: hash, ins: ins, del: del})
	files := 1 + g.rng.IntN(4)
	cmd := `git add -A && git commit -m "{commit}"`
	out := fmt.Sprintf("[{branch} %s] {commit}\n %d files changed, %d insertions(+), %d deletions(-)", hash[:7], files, ins, del)
	ex := exchange{
		prompt: pick(g, []string{"Looks good, commit it.", "Commit this with a conventional commit message.", "ok commit and push please", "Great — please commit."}),
		steps:  []step{{act: run, say: "Committing the change.", cmd: cmd, out: out}},
		answer: "Committed as ‹" + hash[:7] + "› on ‹{branch}›: {commit}",
	}
	if strings.Contains(ex.prompt, "push") {
		remote := "remote: \nremote: To create a merge request for {branch}, visit:\nremote:   https://gitlab.com/demo-co/{repo}/-/merge_requests/new?merge_request%5Bsource_branch%5D={branch}\nremote: \n * [new branch]      {branch} -> {branch}"
		if c.repo.owner != "" {
			remote = "remote: \nremote: Create a pull request for '{branch}' on GitHub by visiting:\nremote:      https://github.com/demo-co/{repo}/pull/new/{branch}\nremote: \n * [new branch]      {branch} -> {branch}"
		}
		ex.steps = append(ex.steps, step{act: run, cmd: "git push -u origin {branch}", out: remote + "\nbranch '{branch}' set up to track 'origin/{branch}'."})
		ex.answer += "\n\nPushed ‹{branch}› to origin; you can open the review from the link above."
	}
	return ex
}

func indexOfActor(a *actor) int {
	for i, x := range actors {
		if x == a {
			return i
		}
	}
	return 0
}

// ---------------------------------------------------------------------------
// Topics: templates of turns.

// action is what a tool step does.
type action int

const (
	read   action = iota // path → out is the file's text
	search               // cmd is the pattern, path the directory, out the matches
	edit                 // path, old → new
	write                // path, new is the whole file
	run                  // cmd → out; fail when it exits non-zero
)

// step is one tool call by the assistant. Paths are relative to the
// repository; renderers make them absolute where the tool does.
type step struct {
	act      action
	say      string // what the assistant says before the call
	path     string
	cmd      string
	old, new string
	out      string
	fail     bool
}

// exchange is one prompt, the work it led to and the answer.
type exchange struct {
	prompt   string
	thinking string
	steps    []step
	answer   string
}

func (e exchange) filled(r *strings.Replacer) exchange {
	out := exchange{prompt: r.Replace(e.prompt), thinking: r.Replace(e.thinking), answer: r.Replace(e.answer)}
	for _, s := range e.steps {
		s.say, s.path, s.cmd = r.Replace(s.say), r.Replace(s.path), r.Replace(s.cmd)
		s.old, s.new, s.out = r.Replace(s.old), r.Replace(s.new), r.Replace(s.out)
		out.steps = append(out.steps, s)
	}
	return out
}

// topic is a template conversation. Text slots: {repo}, {branch}, {peer}
// (a colleague's first name), {test}, {testok}, {commit}; ‹x› becomes
// `x` and three single quotes a code fence (Go raw strings cannot hold
// backticks).
type topic struct {
	key      string
	repos    []string
	weight   int
	title    string // what a tool that names sessions would call it
	branch   string // the topic's branch; "" when the work needs none
	commit   string // the commit subject when the work is committed
	prompts  []string
	thinking string
	steps    []step
	answer   string
	more     []exchange // follow-ups, each asked or not
}

func (t *topic) fits(repo string) bool {
	for _, r := range t.repos {
		if r == repo {
			return true
		}
	}
	return false
}

func topicByKey(key string) *topic {
	for i := range topics {
		if topics[i].key == key {
			return &topics[i]
		}
	}
	panic("demo: unknown topic " + key)
}

// ---------------------------------------------------------------------------
// Claude Code: one JSON object per line, one assistant line per content
// block, tool results in user lines, gitBranch per line.

var (
	claudeVersions = []string{"2.0.55", "2.0.76", "2.1.9", "2.1.19"}
	claudeModels   = []string{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929", "claude-opus-4-5-20251101"}
)

func (g *generator) claudeFile(c *convo) File {
	var out jsonLines
	cwd := c.cwd()
	version := g.byAge(c, claudeVersions)
	model := pick(g, claudeModels)
	branch := c.branch
	parent := ""
	common := func() obj {
		var p any
		if parent != "" {
			p = parent
		}
		return obj{"parentUuid", p, "isSidechain", false, "userType", "external", "cwd", cwd,
			"sessionId", c.id, "version", version, "gitBranch", branch}
	}
	// One API response: every content block is its own line, with the same
	// message id, request id and input counts; output_tokens grows.
	type response struct {
		id, req         string
		input, creation int
		output          int
	}
	cacheRead := 12000 + g.rng.IntN(9000)
	newResponse := func() *response {
		return &response{id: "msg_01" + g.alnum(22), req: "req_011C" + g.alnum(20),
			input: 4 + g.rng.IntN(8), creation: 800 + g.rng.IntN(3000), output: 10 + g.rng.IntN(40)}
	}
	block := func(r *response, b obj, moreOutput int) {
		r.output += moreOutput
		u := g.uuid()
		msg := obj{"model", model, "id", r.id, "type", "message", "role", "assistant", "content", []any{b},
			"stop_reason", nil, "stop_sequence", nil,
			"usage", obj{"input_tokens", r.input, "cache_creation_input_tokens", r.creation,
				"cache_read_input_tokens", cacheRead, "output_tokens", r.output, "service_tier", "standard"}}
		out.add(append(common(), "message", msg, "requestId", r.req, "type", "assistant",
			"uuid", u, "timestamp", iso(g.tick(c, 1, 8))))
		parent = u
	}
	for _, ex := range c.turns {
		u := g.uuid()
		ts := g.tick(c, 30, 240)
		out.add(obj{"type", "file-history-snapshot", "messageId", u, "snapshot",
			obj{"messageId", u, "trackedFileBackups", obj{}, "timestamp", iso(ts)}, "isSnapshotUpdate", false})
		out.add(append(common(), "type", "user", "message", obj{"role", "user", "content", ex.prompt},
			"uuid", u, "timestamp", iso(ts)))
		parent = u
		cacheRead += 1500 + g.rng.IntN(4000)

		r := newResponse()
		if ex.thinking != "" {
			block(r, obj{"type", "thinking", "thinking", ex.thinking, "signature", g.base64(240)}, 0)
		}
		for i, s := range ex.steps {
			if i > 0 {
				r = newResponse() // the previous response ended with its tool call
				cacheRead += 300 + g.rng.IntN(2000)
			}
			if s.say != "" {
				block(r, obj{"type", "text", "text", s.say}, 0)
			}
			id := "toolu_01" + g.alnum(22)
			name, input := claudeTool(c, s)
			block(r, obj{"type", "tool_use", "id", id, "name", name, "input", input}, 60+g.rng.IntN(400))
			result := obj{"tool_use_id", id, "type", "tool_result", "content", claudeResult(c, s)}
			if s.fail {
				result = append(result, "is_error", true)
			}
			ru := g.uuid()
			out.add(append(common(), "type", "user", "message", obj{"role", "user", "content", []any{result}},
				"uuid", ru, "timestamp", iso(g.tick(c, 1, 20))))
			parent = ru
			if b, ok := strings.CutPrefix(s.cmd, "git checkout -b "); ok && s.act == run {
				branch = b
			}
		}
		if len(ex.steps) > 0 {
			r = newResponse()
		}
		block(r, obj{"type", "text", "text", ex.answer}, 120+g.rng.IntN(900))
	}
	if g.chance(35) || c.topic.key == "jwt-login-review" {
		out.prepend(obj{"type", "summary", "summary", c.topic.title, "leafUuid", parent})
	}
	slug := strings.NewReplacer("/", "-", ".", "-", "_", "-").Replace(cwd)
	return File{UserEmail: c.who.email, Name: "~/.claude/projects/" + slug + "/" + c.id + ".jsonl", Data: out.bytes()}
}

func claudeTool(c *convo, s step) (string, obj) {
	switch s.act {
	case read:
		return "Read", obj{"file_path", c.abs(s.path)}
	case search:
		return "Grep", obj{"pattern", s.cmd, "path", c.abs(s.path), "output_mode", "content", "-n", true}
	case edit:
		return "Edit", obj{"file_path", c.abs(s.path), "old_string", s.old, "new_string", s.new}
	case write:
		return "Write", obj{"file_path", c.abs(s.path), "content", s.new}
	}
	return "Bash", obj{"command", s.cmd, "description", commandDescription(s.cmd)}
}

func claudeResult(c *convo, s step) string {
	switch s.act {
	case read:
		return numbered(s.out, 1)
	case edit:
		return "The file " + c.abs(s.path) + " has been updated. Here's the result of running `cat -n` on a snippet of the edited file:\n" + numbered(s.new, 20+len(s.path)%40)
	case write:
		return "File created successfully at: " + c.abs(s.path)
	case search:
		return s.out
	}
	if s.fail {
		return "Exit code 1\n" + s.out
	}
	return s.out
}

// numbered renders text the way Claude Code's Read tool does: a padded
// line number, an arrow, the line.
func numbered(text string, from int) string {
	var b strings.Builder
	for i, l := range strings.Split(text, "\n") {
		fmt.Fprintf(&b, "%6d→%s\n", from+i, l)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func commandDescription(cmd string) string {
	switch {
	case strings.HasPrefix(cmd, "git checkout -b"):
		return "Create a branch for the fix"
	case strings.HasPrefix(cmd, "git add"):
		return "Commit the changes"
	case strings.HasPrefix(cmd, "git push"):
		return "Push the branch"
	case strings.Contains(cmd, "test"), strings.Contains(cmd, "vitest"), strings.Contains(cmd, "pytest"):
		return "Run the tests"
	}
	return "Run " + strings.Fields(cmd)[0]
}

// ---------------------------------------------------------------------------
// Codex CLI rollout: {timestamp, type, payload} envelopes.

var (
	codexVersions = []string{"0.58.0", "0.63.0", "0.77.0"}
	codexModels   = []string{"gpt-5-codex", "gpt-5.1-codex", "gpt-5.1-codex-max"}
)

func (g *generator) codexFile(c *convo) File {
	var out jsonLines
	cwd := c.cwd()
	version := g.byAge(c, codexVersions)
	model := pick(g, codexModels)
	textOutput := version >= "0.77.0" // newer versions return plain text with the exit code on top
	patchAsShell := g.chance(35)      // older habit: apply_patch through the shell tool
	envelope := func(typ string, payload obj) {
		out.add(obj{"timestamp", iso(c.clock), "type", typ, "payload", payload})
	}
	envelope("session_meta", obj{"id", c.id, "timestamp", iso(c.start), "cwd", cwd, "originator", "codex_cli_rs",
		"cli_version", version, "instructions", nil, "source", "cli", "model_provider", "openai",
		"git", obj{"commit_hash", c.head, "branch", c.branch, "repository_url", c.remote}})
	g.tick(c, 1, 5)
	envelope("response_item", obj{"type", "message", "role", "user", "content", []any{obj{"type", "input_text", "text",
		"<environment_context>\n  <cwd>" + cwd + "</cwd>\n  <approval_policy>on-request</approval_policy>\n  <sandbox_mode>workspace-write</sandbox_mode>\n  <network_access>restricted</network_access>\n  <shell>zsh</shell>\n</environment_context>"}}})

	var total [4]int // input, cached input, output, reasoning output
	tokenCount := func() {
		in := 3000 + g.rng.IntN(9000)
		out := 40 + g.rng.IntN(600)
		last := [4]int{in, min(in, 2000+g.rng.IntN(7000)), out, min(out, g.rng.IntN(300))}
		usage := func(u [4]int) obj {
			return obj{"input_tokens", u[0], "cached_input_tokens", u[1], "output_tokens", u[2],
				"reasoning_output_tokens", u[3], "total_tokens", u[0] + u[2]}
		}
		for i := range total {
			total[i] += last[i]
		}
		envelope("event_msg", obj{"type", "token_count", "info", obj{"total_token_usage", usage(total), "last_token_usage", usage(last),
			"model_context_window", 272000}, "rate_limits", g.codexRateLimits()})
	}
	callOutput := func(s step) string {
		text := codexStepOutput(s)
		code := 0
		if s.fail {
			code = 1
		}
		if textOutput {
			return fmt.Sprintf("Exit code: %d\nWall time: %.1f seconds\nOutput:\n%s", code, 0.1+float64(g.rng.IntN(90))/10, text)
		}
		return string(mustJSON(obj{"output", text, "metadata", obj{"exit_code", code, "duration_seconds", float64(g.rng.IntN(40)) / 10}}))
	}
	for _, ex := range c.turns {
		g.tick(c, 20, 300)
		envelope("response_item", obj{"type", "message", "role", "user", "content", []any{obj{"type", "input_text", "text", ex.prompt}}})
		envelope("event_msg", obj{"type", "user_message", "message", ex.prompt, "images", []any{}})
		envelope("turn_context", obj{"cwd", cwd, "approval_policy", "on-request",
			"sandbox_policy", obj{"mode", "workspace-write", "network_access", false, "exclude_tmpdir_env_var", false, "exclude_slash_tmp", false},
			"model", model, "effort", "medium", "summary", "auto"})
		envelope("event_msg", obj{"type", "token_count", "info", nil, "rate_limits", g.codexRateLimits()})
		if ex.thinking != "" {
			g.tick(c, 2, 15)
			summary := "**" + g.headline(c) + "**\n\n" + ex.thinking
			envelope("response_item", obj{"type", "reasoning", "summary", []any{obj{"type", "summary_text", "text", summary}},
				"content", nil, "encrypted_content", "gAAAAA" + g.base64(320)})
			envelope("event_msg", obj{"type", "agent_reasoning", "text", summary})
		}
		for _, s := range ex.steps {
			g.tick(c, 2, 40)
			callID := "call_" + g.alnum(24)
			switch {
			case (s.act == edit || s.act == write) && patchAsShell:
				args := obj{"command", []any{"apply_patch", codexPatch(s)}, "workdir", cwd}
				envelope("response_item", obj{"type", "function_call", "name", "shell", "arguments", string(mustJSON(args)), "call_id", callID})
				g.tick(c, 0, 3)
				envelope("response_item", obj{"type", "function_call_output", "call_id", callID, "output", callOutput(s)})
			case s.act == edit || s.act == write:
				envelope("response_item", obj{"type", "custom_tool_call", "status", "completed", "call_id", callID, "name", "apply_patch", "input", codexPatch(s)})
				g.tick(c, 0, 1)
				envelope("response_item", obj{"type", "custom_tool_call_output", "call_id", callID, "output", callOutput(s)})
			default:
				args := obj{"command", []any{"bash", "-lc", codexCommand(s)}, "workdir", cwd, "timeout_ms", 120000}
				envelope("response_item", obj{"type", "function_call", "name", "shell", "arguments", string(mustJSON(args)), "call_id", callID})
				g.tick(c, 0, 20)
				envelope("response_item", obj{"type", "function_call_output", "call_id", callID, "output", callOutput(s)})
			}
			tokenCount()
		}
		g.tick(c, 5, 60)
		envelope("event_msg", obj{"type", "agent_message", "message", ex.answer})
		envelope("response_item", obj{"type", "message", "role", "assistant", "content", []any{obj{"type", "output_text", "text", ex.answer}}})
		tokenCount()
	}
	day := c.start.Format("2006/01/02")
	name := fmt.Sprintf("~/.codex/sessions/%s/rollout-%s-%s.jsonl", day, c.start.Format("2006-01-02T15-04-05"), c.id)
	return File{UserEmail: c.who.email, Name: name, Data: out.bytes()}
}

func (g *generator) codexRateLimits() obj {
	return obj{"primary", obj{"used_percent", float64(g.rng.IntN(80)), "window_minutes", 300, "resets_in_seconds", 600 + g.rng.IntN(17000)},
		"secondary", obj{"used_percent", float64(g.rng.IntN(60)), "window_minutes", 10080, "resets_in_seconds", 3600 + g.rng.IntN(500000)}}
}

// codexCommand is how Codex does a step through its shell tool.
func codexCommand(s step) string {
	switch s.act {
	case read:
		return fmt.Sprintf("sed -n '1,200p' %s", s.path)
	case search:
		return fmt.Sprintf("rg -n %q %s", s.cmd, s.path)
	}
	return s.cmd
}

func codexStepOutput(s step) string {
	switch s.act {
	case read, search, run:
		return s.out
	case write:
		return "Success. Updated the following files:\nA " + s.path + "\n"
	}
	return "Success. Updated the following files:\nM " + s.path + "\n"
}

// codexPatch renders an edit as an apply_patch envelope.
func codexPatch(s step) string {
	var b strings.Builder
	b.WriteString("*** Begin Patch\n")
	if s.act == write {
		b.WriteString("*** Add File: " + s.path + "\n")
		for _, l := range strings.Split(s.new, "\n") {
			b.WriteString("+" + l + "\n")
		}
	} else {
		b.WriteString("*** Update File: " + s.path + "\n@@\n")
		for _, l := range strings.Split(s.old, "\n") {
			b.WriteString("-" + l + "\n")
		}
		for _, l := range strings.Split(s.new, "\n") {
			b.WriteString("+" + l + "\n")
		}
	}
	b.WriteString("*** End Patch\n")
	return b.String()
}

// ---------------------------------------------------------------------------
// Cursor agent transcript: {role, message:{content}} lines, no ids, no
// times; the model's reasoning is the literal [REDACTED].

func (g *generator) cursorFile(c *convo) File {
	var out jsonLines
	line := func(role string, blocks ...obj) {
		content := make([]any, len(blocks))
		for i, b := range blocks {
			content[i] = b
		}
		out.add(obj{"role", role, "message", obj{"content", content}})
	}
	text := func(s string) obj { return obj{"type", "text", "text", s} }
	markers := g.chance(50)
	for _, ex := range c.turns {
		line("user", text("<user_query>\n"+ex.prompt+"\n</user_query>"))
		for i, s := range ex.steps {
			say := "[REDACTED]"
			if s.say != "" && (i == 0 || g.chance(40)) {
				say = s.say + "\n\n[REDACTED]"
			}
			name, input := cursorTool(c, s)
			line("assistant", text(say), obj{"type", "tool_use", "name", name, "input", input})
		}
		line("assistant", text(ex.answer))
		if markers {
			out.add(obj{"type", "turn_ended", "status", "success"})
		}
	}
	slug := strings.TrimPrefix(strings.NewReplacer("/", "-", ".", "-").Replace(c.cwd()), "-")
	return File{UserEmail: c.who.email, Name: "~/.cursor/projects/" + slug + "/agent-transcripts/" + c.id + ".jsonl", Data: out.bytes()}
}

func cursorTool(c *convo, s step) (string, obj) {
	switch s.act {
	case read:
		return "Read", obj{"path", c.abs(s.path)}
	case search:
		return "Grep", obj{"pattern", s.cmd, "path", c.abs(s.path)}
	case edit:
		return "StrReplace", obj{"path", c.abs(s.path), "old_string", s.old, "new_string", s.new}
	case write:
		return "Write", obj{"path", c.abs(s.path), "contents", s.new}
	}
	return "Shell", obj{"command", s.cmd, "working_directory", c.cwd(), "is_background", false}
}

// ---------------------------------------------------------------------------
// SpecStory markdown.

var specStoryCursorModels = []string{"claude-4.5-sonnet", "gpt-5-codex", "default", "claude-4.5-sonnet-thinking"}

// specStoryCursorFile writes the Markdown v2 layout of the SpecStory
// extension in Cursor: think blocks and <tool-use> blocks between "---".
func (g *generator) specStoryCursorFile(c *convo) File {
	var b strings.Builder
	b.WriteString("<!-- Generated by SpecStory, Markdown v2.0.0 -->\n\n")
	fmt.Fprintf(&b, "<!-- cursor Session %s (%s) -->\n\n", c.id, specTime(c.start))
	fmt.Fprintf(&b, "# %s (%s)\n\n", c.topic.title, specTime(c.start))
	model := pick(g, specStoryCursorModels)
	for _, ex := range c.turns {
		fmt.Fprintf(&b, "_**User (%s)**_\n\n%s\n\n---\n\n", specTime(g.tick(c, 60, 300)), ex.prompt)
		fmt.Fprintf(&b, "_**Agent (model %s, mode Agent)**_\n\n", model)
		if ex.thinking != "" {
			fmt.Fprintf(&b, "<think><details><summary>Thought Process</summary>\n**%s**\n\n%s</details></think>\n\n---\n\n", g.headline(c), ex.thinking)
		}
		for _, s := range ex.steps {
			if s.say != "" {
				b.WriteString(s.say + "\n\n---\n\n")
			}
			b.WriteString(specStoryToolUse(c, s))
			b.WriteString("\n\n---\n\n")
		}
		b.WriteString(ex.answer + "\n\n---\n\n")
	}
	return File{UserEmail: c.who.email, Name: c.homeRel(c.cwd()) + "/.specstory/history/" + specStoryName(c), Data: []byte(b.String())}
}

func specStoryToolUse(c *convo, s step) string {
	esc := specStoryEscape.Replace
	switch s.act {
	case read:
		return fmt.Sprintf("<tool-use data-tool-type=\"read\" data-tool-name=\"read_file\">\n<details><summary>Tool use: **read_file** • Read file: %s</summary>\n\n</details>\n</tool-use>", c.abs(s.path))
	case search:
		n := strings.Count(s.out, "\n") + 1
		return fmt.Sprintf("<tool-use data-tool-type=\"search\" data-tool-name=\"grep\">\n<details>\n<summary>Tool use: **grep** • Grep for \"%s\" in \"%s\" • %d matches</summary>\n\nOutput mode: content\n\n```\n%s\n```\n\n</details>\n</tool-use>", esc(s.cmd), s.path, n, esc(s.out))
	case edit, write:
		var d strings.Builder
		added, removed := strings.Count(s.new, "\n")+1, 0
		if s.act == edit {
			removed = strings.Count(s.old, "\n") + 1
			for _, l := range strings.Split(s.old, "\n") {
				d.WriteString("- " + l + "\n")
			}
		}
		for _, l := range strings.Split(s.new, "\n") {
			d.WriteString("+ " + l + "\n")
		}
		return fmt.Sprintf("<tool-use data-tool-type=\"write\" data-tool-name=\"search_replace\">\n\n<details><summary>Tool use: **search_replace** • Edit file: %s</summary>\n\n**Chunk 1**\nLines added: %d, lines removed: %d\n\n```diff\n%s```\n\n</details>\n\n</tool-use>", s.path, added, removed, esc(d.String()))
	}
	return fmt.Sprintf("<tool-use data-tool-type=\"bash\" data-tool-name=\"run_terminal_cmd\">\n<details><summary>Tool use: **command** • Run command: %s</summary>\n\n```bash\n%s\n```\n\n```\n%s\n\n```\n</details>\n</tool-use>", esc(s.cmd), esc(s.cmd), esc(s.out))
}

var specStoryCopilotModels = []string{"github.copilot-chat/gpt-4.1", "github.copilot-chat/claude-sonnet-4.5", "github.copilot-chat/gpt-5-mini"}

// specStoryCopilotFile writes what the SpecStory extension saves from VS
// Code Copilot Chat: no tool blocks, the edits shown as code in the answer.
func (g *generator) specStoryCopilotFile(c *convo) File {
	var b strings.Builder
	b.WriteString("<!-- Generated by SpecStory -->\n\n")
	fmt.Fprintf(&b, "<!-- vscode Session %s (%s) -->\n\n", c.id, specTime(c.start))
	fmt.Fprintf(&b, "# %s (%s)\n\n", c.topic.title, specTime(c.start))
	model := pick(g, specStoryCopilotModels)
	for i, ex := range c.turns {
		prompt := ex.prompt
		if i == 0 {
			for _, s := range ex.steps {
				if s.act == read || s.act == edit {
					prompt += " #file:" + path.Base(s.path)
					break
				}
			}
		}
		fmt.Fprintf(&b, "_**User (%s)**_\n\n%s\n\n---\n\n", specTime(g.tick(c, 60, 400)), prompt)
		fmt.Fprintf(&b, "_**Assistant (%s)**_\n\n", model)
		for _, s := range ex.steps {
			if s.act != edit && s.act != write {
				continue
			}
			if s.say != "" {
				b.WriteString(s.say + "\n\n")
			}
			code := s.new
			if s.act == edit {
				code = comment(s.path, "...existing code...") + "\n" + code + "\n" + comment(s.path, "...existing code...")
			}
			fmt.Fprintf(&b, "```%s\n%s\n%s\n```\n\n", fence(s.path), comment(s.path, "filepath: "+c.abs(s.path)), code)
		}
		b.WriteString(ex.answer + "\n\n---\n\n")
	}
	return File{UserEmail: c.who.email, Name: c.homeRel(c.cwd()) + "/.specstory/history/" + specStoryName(c), Data: []byte(b.String())}
}

// specStoryEscape escapes tool bodies the way SpecStory's HTML blocks do.
var specStoryEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func specTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04Z") }

func specStoryName(c *convo) string {
	return c.start.Format("2006-01-02_15-04Z") + "-" + slugify(c.topic.title, 48) + ".md"
}

// ---------------------------------------------------------------------------
// VS Code Copilot Chat session, chatSessions/<id>.json, version 3.

var copilotModels = []struct{ id, details string }{
	{"gpt-4.1", "GPT-4.1 • 0x"},
	{"claude-sonnet-4.5", "Claude Sonnet 4.5 • 1x"},
	{"gpt-5-mini", "GPT-5 mini • 0x"},
}

func (g *generator) copilotFile(c *convo) File {
	model := pick(g, copilotModels)
	extVersion := g.byAge(c, []string{"0.31.5", "0.32.4", "0.33.2"})
	var requests []any
	branch := c.branch
	for _, ex := range c.turns {
		requests = append(requests, g.copilotRequest(c, ex, branch, model.id, model.details, extVersion))
		for _, s := range ex.steps {
			if b, ok := strings.CutPrefix(s.cmd, "git checkout -b "); ok && s.act == run {
				branch = b
			}
		}
	}
	doc := obj{
		"version", 3,
		"requesterUsername", c.who.login,
		"requesterAvatarIconUri", obj{"$mid", 1, "path", "/u/" + strconv.Itoa(1000000+int(hash32(c.who.login)%9000000)), "scheme", "https", "authority", "avatars.githubusercontent.com", "query", "v=4"},
		"responderUsername", "GitHub Copilot",
		"responderAvatarIconUri", obj{"id", "copilot"},
		"initialLocation", "panel",
		"requests", requests,
		"sessionId", c.id,
		"creationDate", c.start.UnixMilli(),
		"isImported", false,
		"lastMessageDate", c.clock.UnixMilli(),
		"customTitle", c.topic.title,
	}
	sum := sha256.Sum256([]byte(c.cwd()))
	storage := "~/.config/Code/User/workspaceStorage/"
	if c.who.mac {
		storage = "~/Library/Application Support/Code/User/workspaceStorage/"
	}
	return File{UserEmail: c.who.email, Name: storage + hex.EncodeToString(sum[:16]) + "/chatSessions/" + c.id + ".json", Data: prettyJSON(doc)}
}

func (g *generator) copilotRequest(c *convo, ex exchange, branch, model, details, extVersion string) obj {
	ts := g.tick(c, 60, 400)
	base := obj{"$mid", 1, "path", c.cwd() + "/", "scheme", "file"}
	markdown := func(s string) obj {
		return obj{"value", s, "supportThemeIcons", false, "supportHtml", false, "baseUri", base}
	}
	uri := func(p string) obj {
		return obj{"$mid", 1, "fsPath", p, "external", "file://" + p, "path", p, "scheme", "file"}
	}
	var response, rounds, variables []any
	results := obj{}
	if ex.thinking != "" && strings.HasPrefix(model, "claude") {
		response = append(response, obj{"kind", "thinking", "value", ex.thinking, "id", g.alnum(16)})
	}
	for i, s := range ex.steps {
		if s.act == read && len(variables) == 0 {
			p := c.abs(s.path)
			variables = append(variables, obj{"kind", "file", "value", uri(p), "id", "file://" + p, "name", path.Base(p)})
		}
		if s.say != "" {
			response = append(response, markdown(s.say+" "))
		}
		toolID, lmName, args, inv, past := copilotTool(c, s)
		callID := "toolu_vrtx_01" + g.alnum(22) + "__vscode-" + strconv.FormatInt(ts.UnixMilli()+int64(i), 10)
		invocation := obj{"kind", "toolInvocationSerialized",
			"invocationMessage", obj{"value", inv, "uris", obj{}},
			"pastTenseMessage", obj{"value", past, "uris", obj{}},
			"isConfirmed", obj{"type", 1}, "isComplete", true,
			"source", obj{"type", "internal", "label", "Built-In"},
			"toolCallId", g.uuid(), "toolId", toolID}
		if s.act == run {
			invocation = append(invocation, "toolSpecificData", obj{"kind", "terminal", "commandLine", obj{"original", s.cmd}, "language", "sh"})
		}
		response = append(response, obj{"kind", "prepareToolInvocation", "toolName", toolID}, invocation)
		if s.act == edit || s.act == write {
			p := c.abs(s.path)
			response = append(response,
				obj{"value", "\n```\n", "supportThemeIcons", false, "supportHtml", false, "uris", obj{}},
				obj{"id", g.uuid(), "kind", "undoStop"},
				obj{"kind", "codeblockUri", "uri", uri(p), "isEdit", true},
				obj{"kind", "textEditGroup", "uri", uri(p), "edits", []any{[]any{obj{"text", s.new,
					"range", obj{"startLineNumber", 1, "startColumn", 1, "endLineNumber", 1 + strings.Count(s.old, "\n"), "endColumn", 1}}}, []any{}}, "done", true},
				obj{"value", "\n```\n", "supportThemeIcons", false, "supportHtml", false, "uris", obj{}},
			)
		}
		rounds = append(rounds, obj{"response", s.say, "toolCalls", []any{obj{"name", lmName, "arguments", string(mustJSON(args)), "id", callID}},
			"toolInputRetry", 0, "id", g.uuid()})
		results = append(results, callID, obj{"$mid", 20, "content", []any{obj{"$mid", 21, "value", copilotResultText(c, s)}}})
	}
	response = append(response, markdown(ex.answer))
	rounds = append(rounds, obj{"response", ex.answer, "toolCalls", []any{}, "toolInputRetry", 0, "id", g.uuid()})
	elapsed := 4000 + g.rng.IntN(40000) + 6000*len(ex.steps)
	c.clock = ts.Add(time.Duration(elapsed) * time.Millisecond)

	repoContext := ""
	if c.repo.owner != "" {
		repoContext = "<repoContext>\nBelow is the information about the current repository. You can use this information when you need to calculate diffs or compare changes with the default branch.\nRepository name: " +
			c.repo.name + "\nOwner: " + c.repo.owner + "\nCurrent branch: " + branch + "\n\n</repoContext>\n"
	}
	userMessage := "<context>\nThe current date is " + ts.Format("January 2, 2006") + ".\nTerminals:\nTerminal: zsh\n\n</context>\n" + repoContext +
		"<reminderInstructions>\nWhen using the replace_string_in_file tool, include 3-5 lines of unchanged code before and after the string you want to replace, to make it unambiguous which part of the file should be edited.\n\n</reminderInstructions>\n<userRequest>\n" +
		ex.prompt + "\n</userRequest>\n"
	osName := "Linux"
	if c.who.mac {
		osName = "macOS"
	}
	global := "<environment_info>\nThe user's current OS is: " + osName + "\nThe user's default shell is: \"zsh\". When you generate terminal commands, please generate them correctly for this shell.\n</environment_info>\n<workspace_info>\nI am working in a workspace with the following folders:\n- " +
		c.cwd() + " \nI am working in a workspace that has the following structure:\n```\n" + c.repo.tree +
		"\n```\nThis is the state of the context at this point in the conversation. The view of the workspace structure may be truncated. You can use tools to collect more context if needed.\n</workspace_info>\n"
	if variables == nil {
		variables = []any{}
	}
	result := obj{"timings", obj{"firstProgress", 1500 + g.rng.IntN(4000), "totalElapsed", elapsed},
		"metadata", obj{"codeBlocks", []any{},
			"renderedUserMessage", []any{obj{"type", 1, "text", userMessage}, obj{"type", 3, "cacheType", "ephemeral"}},
			"renderedGlobalContext", []any{obj{"type", 1, "text", global}, obj{"type", 3, "cacheType", "ephemeral"}},
			"toolCallRounds", rounds, "toolCallResults", results,
			"modelMessageId", g.uuid(), "responseId", g.uuid(), "sessionId", g.uuid(), "agentId", "github.copilot.editsAgent"},
		"details", details}
	if extVersion >= "0.33" { // newer versions record usage
		prompt := 9000 + g.rng.IntN(30000)
		result = append(result, "usage", obj{"promptTokens", prompt, "completionTokens", 150 + g.rng.IntN(2500),
			"promptTokenDetails", []any{obj{"category", "System", "label", "System Instructions", "percentageOfPrompt", 12}}})
	}
	return obj{
		"requestId", "request_" + g.uuid(),
		"message", obj{"parts", []any{obj{"range", obj{"start", 0, "endExclusive", len([]rune(ex.prompt))},
			"editorRange", obj{"startLineNumber", 1, "startColumn", 1, "endLineNumber", 1 + strings.Count(ex.prompt, "\n"), "endColumn", 1},
			"text", ex.prompt, "kind", "text"}}, "text", ex.prompt},
		"variableData", obj{"variables", variables},
		"response", response,
		"responseId", "response_" + g.uuid(),
		"result", result,
		"responseMarkdownInfo", []any{},
		"followups", []any{},
		"isCanceled", false,
		"agent", obj{"extensionId", obj{"value", "GitHub.copilot-chat", "_lower", "github.copilot-chat"},
			"extensionVersion", extVersion, "publisherDisplayName", "GitHub", "extensionPublisherId", "GitHub",
			"extensionDisplayName", "GitHub Copilot Chat", "id", "github.copilot.editsAgent",
			"description", "Edit files in your workspace in agent mode", "when", "config.chat.agent.enabled",
			"metadata", obj{"themeIcon", obj{"id", "tools"}, "hasFollowups", false, "supportIssueReporting", false},
			"name", "agent", "fullName", "GitHub Copilot", "isDefault", true, "locations", []any{"panel"},
			"modes", []any{"agent"}, "slashCommands", []any{obj{"name", "list"}}, "disambiguation", []any{}},
		"contentReferences", []any{},
		"codeCitations", []any{},
		"timestamp", ts.UnixMilli(),
		"modelId", "copilot/" + model,
	}
}

// copilotTool names a step as Copilot does: the tool id VS Code records,
// the name the model calls, its arguments and the progress messages.
func copilotTool(c *convo, s step) (toolID, lmName string, args obj, inv, past string) {
	p := c.abs(s.path)
	link := "[](file://" + p + ")"
	switch s.act {
	case read:
		return "copilot_readFile", "read_file", obj{"filePath", p, "startLine", 1, "endLine", 120}, "Reading " + link, "Read " + link
	case search:
		return "copilot_findTextInFiles", "grep_search", obj{"query", s.cmd, "isRegexp", false, "includePattern", s.path + "/**"},
			"Searching text for `" + s.cmd + "`", "Searched text for `" + s.cmd + "`"
	case edit:
		return "copilot_replaceString", "replace_string_in_file", obj{"filePath", p, "oldString", s.old, "newString", s.new},
			"Using \"Replace String in File\"", "Edited " + link
	case write:
		return "copilot_createFile", "create_file", obj{"filePath", p, "content", s.new}, "Creating " + link, "Created " + link
	}
	return "run_in_terminal", "run_in_terminal", obj{"command", s.cmd, "explanation", commandDescription(s.cmd), "isBackground", false},
		"Running `" + s.cmd + "`", "Ran `" + s.cmd + "`"
}

func copilotResultText(c *convo, s step) string {
	switch s.act {
	case read:
		return "```" + fence(s.path) + "\n" + s.out + "\n```"
	case edit:
		return "The following files were successfully edited:\n" + c.abs(s.path)
	case write:
		return "File created at " + c.abs(s.path)
	}
	return s.out
}

// ---------------------------------------------------------------------------
// Gemini CLI recordings: the whole-file JSON and the append-only JSONL.

var geminiModels = []string{"gemini-2.5-pro", "gemini-2.5-pro", "gemini-2.5-flash"}

// geminiRecord is one message of a Gemini recording; calls are written
// twice in JSONL (scheduled, then with their result).
type geminiRecord struct {
	msg     obj
	pending obj // the message as first written, before its tool results; nil when none
}

func (g *generator) geminiRecords(c *convo) []geminiRecord {
	model := pick(g, geminiModels)
	var recs []geminiRecord
	tokens := func() obj {
		in, outT, cached, thoughts := 4000+g.rng.IntN(20000), 20+g.rng.IntN(600), g.rng.IntN(12000), g.rng.IntN(400)
		return obj{"input", in, "output", outT, "cached", cached, "thoughts", thoughts, "tool", 0, "total", in + outT + thoughts}
	}
	for _, ex := range c.turns {
		ts := g.tick(c, 30, 300)
		recs = append(recs, geminiRecord{msg: obj{"id", g.uuid(), "timestamp", iso(ts), "type", "user", "content", ex.prompt}})
		var thoughts []any
		if ex.thinking != "" {
			thoughts = []any{obj{"subject", g.headline(c), "description", ex.thinking, "timestamp", iso(g.tick(c, 1, 4))}}
		}
		for _, s := range ex.steps {
			at := g.tick(c, 2, 30)
			name, display, args := geminiTool(c, s)
			callID := fmt.Sprintf("%s-%d-%s", name, at.UnixMilli(), g.hex(12))
			status := "success"
			response := obj{"output", geminiOutput(c, s)}
			if s.fail {
				status = "error"
				response = obj{"error", geminiOutput(c, s)}
			}
			id := g.uuid()
			head := obj{"id", id, "timestamp", iso(at), "type", "gemini", "content", s.say}
			call := obj{"id", callID, "name", name, "args", args}
			done := append(append(obj{}, call...), "result", []any{obj{"functionResponse", obj{"id", callID, "name", name, "response", response}}},
				"status", status, "timestamp", iso(at), "resultDisplay", "", "displayName", display, "renderOutputAsMarkdown", s.act != run)
			msg := append(append(obj{}, head...), "toolCalls", []any{done})
			pending := append(append(obj{}, head...), "toolCalls", []any{append(call, "status", "scheduled", "timestamp", iso(at))})
			if thoughts != nil {
				msg = append(msg, "thoughts", thoughts)
				pending = append(pending, "thoughts", thoughts)
				thoughts = nil
			}
			msg = append(msg, "model", model, "tokens", tokens())
			pending = append(pending, "model", model)
			recs = append(recs, geminiRecord{msg: msg, pending: pending})
		}
		final := obj{"id", g.uuid(), "timestamp", iso(g.tick(c, 3, 40)), "type", "gemini", "content", ex.answer}
		if thoughts != nil {
			final = append(final, "thoughts", thoughts)
		}
		recs = append(recs, geminiRecord{msg: append(final, "tokens", tokens(), "model", model)})
	}
	return recs
}

func geminiTool(c *convo, s step) (name, display string, args obj) {
	switch s.act {
	case read:
		return "read_file", "ReadFile", obj{"absolute_path", c.abs(s.path)}
	case search:
		return "search_file_content", "SearchText", obj{"pattern", s.cmd, "path", c.abs(s.path)}
	case edit:
		return "replace", "Edit", obj{"file_path", c.abs(s.path), "instruction", strings.TrimSuffix(s.say, "."), "old_string", s.old, "new_string", s.new}
	case write:
		return "write_file", "WriteFile", obj{"file_path", c.abs(s.path), "content", s.new}
	}
	return "run_shell_command", "Shell", obj{"command", s.cmd, "description", commandDescription(s.cmd), "directory", "."}
}

func geminiOutput(c *convo, s step) string {
	switch s.act {
	case edit:
		return "Successfully modified file: " + c.abs(s.path) + " (1 replacements)."
	case write:
		return "Successfully created and wrote to new file: " + c.abs(s.path) + "."
	case run:
		code := 0
		if s.fail {
			code = 1
		}
		return fmt.Sprintf("Command: %s\nDirectory: (root)\nOutput: %s\nError: (none)\nExit Code: %d\nSignal: (none)\nBackground PIDs: (none)\nProcess Group PGID: %d", s.cmd, s.out, code, 40000+len(s.cmd)*97)
	}
	return s.out
}

func (g *generator) geminiJSONFile(c *convo) File {
	recs := g.geminiRecords(c)
	msgs := make([]any, len(recs))
	for i, r := range recs {
		msgs[i] = r.msg
	}
	doc := obj{"sessionId", c.id, "projectHash", projectHash(c.cwd()), "startTime", iso(c.start), "lastUpdated", iso(c.clock)}
	if g.chance(40) || c.topic.key == "jwt-login-review" {
		doc = append(doc, "summary", c.topic.title)
	}
	doc = append(doc, "messages", msgs)
	return File{UserEmail: c.who.email, Name: geminiName(c, ".json"), Data: prettyJSON(doc)}
}

func (g *generator) geminiJSONLFile(c *convo) File {
	var out jsonLines
	recs := g.geminiRecords(c)
	out.add(obj{"sessionId", c.id, "projectHash", projectHash(c.cwd()), "startTime", iso(c.start), "lastUpdated", iso(c.start)})
	for _, r := range recs {
		if r.pending != nil {
			out.add(r.pending) // rewritten in place once the tool has run
		}
		out.add(r.msg)
	}
	out.add(obj{"$set", obj{"lastUpdated", iso(c.clock)}})
	return File{UserEmail: c.who.email, Name: geminiName(c, ".jsonl"), Data: out.bytes()}
}

func geminiName(c *convo, ext string) string {
	return "~/.gemini/tmp/" + projectHash(c.cwd()) + "/chats/session-" + c.start.Format("2006-01-02T15-04") + "-" + c.id[:8] + ext
}

// projectHash is how Gemini CLI names a project: sha256 of its root.
func projectHash(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return hex.EncodeToString(sum[:])
}

// ---------------------------------------------------------------------------
// Aider: every session appended to <repo>/.aider.chat.history.md.

var aiderModels = []struct{ main, weak, format string }{
	{"anthropic/claude-sonnet-4-5-20250929", "anthropic/claude-haiku-4-5-20251001", "diff"},
	{"gpt-4.1", "gpt-4.1-mini", "diff"},
	{"gemini/gemini-2.5-pro", "gemini/gemini-2.5-flash", "diff-fenced"},
}

func (g *generator) aiderFile(sessions []*convo) File {
	var b strings.Builder
	first := sessions[0]
	files := 120 + int(hash32(first.repo.name)%200)
	for _, c := range sessions {
		m := pick(g, aiderModels)
		version := g.byAge(c, []string{"0.85.2", "0.86.1"})
		fmt.Fprintf(&b, "\n# aider chat started at %s\n\n", c.start.Format("2006-01-02 15:04:05"))
		fmt.Fprintf(&b, "> %s/.local/bin/aider --model %s  \n", c.who.home, strings.TrimPrefix(strings.TrimPrefix(m.main, "anthropic/"), "gemini/"))
		fmt.Fprintf(&b, "> Aider v%s  \n> Main model: %s with %s edit format, infinite output  \n> Weak model: %s  \n", version, m.main, m.format, m.weak)
		fmt.Fprintf(&b, "> Git repo: .git with %d files  \n> Repo-map: using 4096 tokens, auto refresh  \n\n", files)
		sent := 2.0 + float64(g.rng.IntN(40))/10
		for _, ex := range c.turns {
			// Aider makes no tool calls: the person adds files and runs
			// commands; edits are SEARCH/REPLACE blocks in the answer.
			var edits, runs []step
			for _, s := range ex.steps {
				switch {
				case s.act == read:
					fmt.Fprintf(&b, "#### /add %s  \n> Added %s to the chat  \n\n", s.path, s.path)
				case s.act == edit || s.act == write:
					edits = append(edits, s)
				case s.act == run && !strings.HasPrefix(s.cmd, "git "):
					runs = append(runs, s)
				}
			}
			for _, l := range strings.Split(ex.prompt, "\n") {
				fmt.Fprintf(&b, "#### %s  \n", l)
			}
			b.WriteString("\n")
			for _, s := range edits {
				if s.say != "" {
					b.WriteString(s.say + "\n\n")
				}
				b.WriteString(aiderEditBlock(s, m.format))
			}
			b.WriteString(ex.answer + "\n\n")
			sent += 1 + float64(g.rng.IntN(30))/10
			fmt.Fprintf(&b, "> Tokens: %.1fk sent, %d received. Cost: $%.2f message, $%.2f session.  \n", sent, 120+g.rng.IntN(1500), sent*0.004, sent*0.011)
			for _, s := range edits {
				fmt.Fprintf(&b, "> Applied edit to %s  \n", s.path)
			}
			if len(edits) > 0 && c.topic.commit != "" {
				fmt.Fprintf(&b, "> Commit %s %s  \n> You can use /undo to undo and discard each aider commit.  \n", g.hex(7), c.topic.commit)
			}
			b.WriteString("\n")
			for _, s := range runs {
				fmt.Fprintf(&b, "#### /run %s  \n", s.cmd)
				n := strings.Count(s.out, "\n") + 1
				fmt.Fprintf(&b, "> Add %.1fk tokens of command output to the chat? (Y)es/(N)o [Yes]: y  \n> Added %d line%s of output to the chat.  \n\n", float64(len(s.out))/4000+0.1, n, plural(n))
			}
		}
	}
	name := first.homeRel(first.cwd()) + "/.aider.chat.history.md"
	return File{UserEmail: first.who.email, Name: name, Data: []byte(b.String())}
}

func aiderEditBlock(s step, format string) string {
	lang := fence(s.path)
	if format == "diff-fenced" {
		return fmt.Sprintf("```%s\n%s\n<<<<<<< SEARCH\n%s=======\n%s\n>>>>>>> REPLACE\n```\n\n", lang, s.path, lines(s.old), s.new)
	}
	return fmt.Sprintf("%s\n```%s\n<<<<<<< SEARCH\n%s=======\n%s\n>>>>>>> REPLACE\n```\n\n", s.path, lang, lines(s.old), s.new)
}

// lines is text with a trailing newline, or nothing for empty text (the
// SEARCH part of a new file is empty).
func lines(s string) string {
	if s == "" {
		return ""
	}
	return s + "\n"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// ---------------------------------------------------------------------------
// Helpers.

// byAge picks the tool version in use when the session ran: older
// versions early in the period, newer ones later, as people upgrade.
func (g *generator) byAge(c *convo, versions []string) string {
	span := time.Duration(g.weeks) * 7 * 24 * time.Hour
	age := g.now.Sub(c.start)
	i := len(versions) - 1 - int(float64(len(versions))*float64(age)/float64(span))
	if g.chance(15) {
		i-- // not everyone upgrades at once
	}
	return versions[min(max(i, 0), len(versions)-1)]
}

func (g *generator) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// uuidV7 is a time-ordered UUID, as Codex names its sessions.
func (g *generator) uuidV7(t time.Time) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	for i := 6; i < 16; i++ {
		b[i] = byte(g.rng.Uint32())
	}
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (g *generator) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.rng.IntN(16)]
	}
	return string(b)
}

func (g *generator) alnum(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.rng.IntN(len(chars))]
	}
	return string(b)
}

func (g *generator) base64(n int) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.rng.IntN(len(chars))]
	}
	return string(b)
}

func hash32(s string) uint32 {
	sum := sha256.Sum256([]byte(s))
	return uint32(sum[0])<<24 | uint32(sum[1])<<16 | uint32(sum[2])<<8 | uint32(sum[3])
}

func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// headline is the bold subject models give their reasoning summaries
// ("Investigating the login redirect loop").
func (g *generator) headline(c *convo) string {
	t := c.topic.title
	if len(t) > 1 && t[1] >= 'a' && t[1] <= 'z' && t[0] >= 'A' && t[0] <= 'Z' {
		t = strings.ToLower(t[:1]) + t[1:] // keep "JWT", "CI", "GET"
	}
	return pick(g, []string{"Investigating", "Looking into", "Tracing", "Checking"}) + " " + t
}

// fence is the code-fence language of a file.
func fence(p string) string {
	switch path.Ext(p) {
	case ".go":
		return "go"
	case ".ts":
		return "typescript"
	case ".tsx":
		return "tsx"
	case ".py":
		return "python"
	case ".css":
		return "css"
	case ".sql":
		return "sql"
	case ".yml", ".yaml":
		return "yaml"
	case ".tf":
		return "hcl"
	}
	if path.Base(p) == "Dockerfile" {
		return "dockerfile"
	}
	if path.Base(p) == "Makefile" {
		return "makefile"
	}
	return ""
}

// comment writes text as a line comment in the file's language, as VS
// Code Copilot marks code blocks ("// filepath: …", "# ...existing code...").
func comment(p, text string) string {
	switch fence(p) {
	case "python", "yaml", "hcl", "dockerfile", "makefile", "":
		return "# " + text
	case "sql":
		return "-- " + text
	case "css":
		return "/* " + text + " */"
	}
	return "// " + text
}

func slugify(s string, n int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if len(out) > n {
		out = out[:n]
		if i := strings.LastIndexByte(out, '-'); i > n/2 {
			out = out[:i]
		}
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// obj is a JSON object that keeps its keys in the order written (pairs of
// key, value), as the tools' own serializers do.
type obj []any

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i+1 < len(o); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		k, ok := o[i].(string)
		if !ok {
			return nil, fmt.Errorf("demo: object key %v is a %T, not a string", o[i], o[i])
		}
		kb, err := encodeJSON(k)
		if err != nil {
			return nil, err
		}
		vb, err := encodeJSON(o[i+1])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// encodeJSON marshals without escaping <, > and &, as JavaScript does.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// mustJSON encodes values built in this file: strings, numbers, obj and
// slices of them, which cannot fail to encode.
func mustJSON(v any) []byte {
	b, err := encodeJSON(v)
	if err != nil {
		panic(fmt.Sprintf("demo: encode %T: %v", v, err))
	}
	return b
}

func prettyJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("demo: encode %T: %v", v, err))
	}
	return b.Bytes()
}

// jsonLines builds a JSONL file.
type jsonLines struct{ lines [][]byte }

func (j *jsonLines) add(v any)     { j.lines = append(j.lines, mustJSON(v)) }
func (j *jsonLines) prepend(v any) { j.lines = append([][]byte{mustJSON(v)}, j.lines...) }

func (j *jsonLines) bytes() []byte {
	var b bytes.Buffer
	for _, l := range j.lines {
		b.Write(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ---------------------------------------------------------------------------
// The topics. Several are asked by more than one person on purpose (running
// migrations locally, the flaky checkout test): they are the knowledge gaps
// the demo's reports should find.

var topics = []topic{
	{
		key: "jwt-login-review", repos: []string{"shop-api"}, weight: 1,
		title:  "JWT security issues in the login flow",
		branch: "fix/jwt-validation",
		commit: "fix(auth): pin the JWT signing method and require exp and aud",
		prompts: []string{
			"Can you look for JWT security issues in the login flow? The security review flagged internal/auth/jwt.go and I want to fix whatever is real before the pen test next week.",
			"I think we have JWT security issues in the login flow: we accept tokens without checking the signing method. Can you audit internal/auth and fix it without changing the package API?",
			"Review the JWT handling in the login flow for security issues (alg confusion, expiry, audience). What would an attacker try first?",
		},
		thinking: "The keyfunc passed to jwt.Parse returns the HMAC secret whatever the token's alg says, so the signing method is never pinned. I also need to check whether exp and aud are required and what happens when JWT_SECRET is unset.",
		steps: []step{
			{act: search, say: "Let me find where tokens are parsed.", cmd: "jwt.Parse", path: "internal",
				out: "internal/auth/jwt.go:24:\ttok, err := jwt.Parse(raw, func(t *jwt.Token) (any, error) {\ninternal/auth/middleware.go:31:\tclaims, err := ParseToken(r.Context(), raw)"},
			{act: read, path: "internal/auth/jwt.go", out: `package auth

import (
	"context"
	"errors"
	"os"

	"github.com/golang-jwt/jwt/v5"
)

var secret = []byte(os.Getenv("JWT_SECRET"))

// ParseToken validates a bearer token from the login flow.
func ParseToken(ctx context.Context, raw string) (*Claims, error) {
	tok, err := jwt.Parse(raw, func(t *jwt.Token) (any, error) {
		return secret, nil
	})
	if err != nil {
		return nil, err
	}
	mc, ok := tok.Claims.(jwt.MapClaims)
	if !ok {
		return nil, errors.New("auth: unexpected claims")
	}
	return claimsFromMap(mc), nil
}`},
			{act: edit, say: "Pinning the algorithm and requiring the registered claims.", path: "internal/auth/jwt.go",
				old: `	tok, err := jwt.Parse(raw, func(t *jwt.Token) (any, error) {
		return secret, nil
	})`,
				new: `	var claims Claims
	_, err := jwt.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		return secret, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithAudience("shop-web"),
		jwt.WithIssuer("shop-api"),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(30*time.Second),
	)`},
			{act: run, cmd: "go test ./internal/auth/...", out: "ok  \tgithub.com/demo-co/shop-api/internal/auth\t0.412s"},
		},
		answer: `I found four problems in the login flow, in order of severity:

1. **Algorithm not pinned.** ‹jwt.Parse› accepted whatever ‹alg› the token header named, and the keyfunc returned the HMAC secret for all of them. Tokens are now parsed with ‹jwt.WithValidMethods([]string{"HS256"})›, so ‹alg: none› and RS/HS confusion are rejected.
2. **Expiry was optional.** A token without ‹exp› never expired. ‹WithExpirationRequired()› fixes that, with 30s leeway for clock skew.
3. **No audience or issuer check.** A token minted for the admin tool was valid on the storefront API. ‹aud› must now be ‹shop-web› and ‹iss› ‹shop-api›.
4. **Empty secret.** If ‹JWT_SECRET› is unset, ‹secret› is an empty slice and HMAC with an empty key still "verifies". The service should refuse to start in that case.

Not changed here but worth a ticket: shop-web keeps the refresh token in ‹localStorage›, so any XSS can steal it. An ‹HttpOnly; Secure; SameSite=Strict› cookie would be safer.

The auth tests pass.`,
		more: []exchange{
			{
				prompt: "Yes, make the service refuse to start when JWT_SECRET is empty or shorter than 32 bytes.",
				steps: []step{
					{act: edit, say: "Failing fast at startup.", path: "internal/auth/jwt.go",
						old: `var secret = []byte(os.Getenv("JWT_SECRET"))`,
						new: `var secret []byte

// Init loads the signing secret; the service must not start without one.
func Init() error {
	secret = []byte(os.Getenv("JWT_SECRET"))
	if len(secret) < 32 {
		return fmt.Errorf("auth: JWT_SECRET must be at least 32 bytes, got %d", len(secret))
	}
	return nil
}`},
					{act: run, cmd: "go build ./... && JWT_SECRET= go run ./cmd/shop-api", fail: true,
						out: "2025/01/01 09:00:00 auth: JWT_SECRET must be at least 32 bytes, got 0\nexit status 1"},
				},
				answer: "‹auth.Init› now returns an error for an empty or short secret and ‹main› exits with it, as shown above. Remember to set ‹JWT_SECRET› in ‹.env.local› (see ‹.env.example›) before ‹make run›.",
			},
		},
	},
	{
		key: "login-redirect", repos: []string{"shop-web"}, weight: 2,
		title:  "Login redirect loop after session expiry",
		branch: "fix/login-redirect-loop",
		commit: "fix(auth): stop the login redirect loop and only allow relative next URLs",
		prompts: []string{
			"After the session expires, /login redirects to /account which redirects back to /login forever. The next param keeps growing: ‹/login?next=%2Flogin%3Fnext%3D%252Faccount›. Can you fix the redirect logic?",
			"Users report an infinite redirect loop on login when their session has expired; Chrome shows ERR_TOO_MANY_REDIRECTS. Where does ProtectedRoute build the next URL?",
			"Login redirects are broken again: after logging in I land on /login instead of the page I came from. Can you check ProtectedRoute.tsx?",
		},
		thinking: "ProtectedRoute probably sets next to the current location even when the current location is /login itself, which nests the param. Also the login page should only follow relative next URLs, otherwise it's an open redirect.",
		steps: []step{
			{act: read, say: "Let me look at how the redirect is built.", path: "src/routes/ProtectedRoute.tsx", out: `import { Navigate, useLocation } from "react-router-dom";
import { useSession } from "../hooks/useSession";

export function ProtectedRoute({ children }: { children: JSX.Element }) {
  const { session, loading } = useSession();
  const location = useLocation();
  if (loading) return <Spinner />;
  if (!session) {
    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={"/login?next=" + next} replace />;
  }
  return children;
}`},
			{act: edit, path: "src/routes/ProtectedRoute.tsx",
				old: `    const next = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={"/login?next=" + next} replace />;`,
				new: `    if (location.pathname === "/login") return children;
    const next = safeNext(location.pathname + location.search);
    return <Navigate to={"/login?next=" + encodeURIComponent(next)} replace />;`},
			{act: write, path: "src/routes/safeNext.ts", new: `// safeNext keeps only same-origin relative paths, so that ?next= cannot
// send a user to another site after login (open redirect).
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//")) return "/";
  if (next.startsWith("/login")) return "/";
  return next;
}`},
			{act: run, cmd: "npx vitest run src/routes", out: " ✓ src/routes/ProtectedRoute.test.tsx (5 tests) 112ms\n ✓ src/routes/safeNext.test.ts (4 tests) 9ms\n\n Test Files  2 passed (2)\n      Tests  9 passed (9)"},
		},
		answer: `The loop came from ‹ProtectedRoute› wrapping ‹/login› itself: when the session expired while you were on ‹/login?next=…›, it redirected to ‹/login?next=/login?next=…›, and the login page then followed the inner ‹next› back to a protected page.

Fixes:
- ‹ProtectedRoute› never redirects from ‹/login›.
- New ‹safeNext()› accepts only relative paths (not ‹//evil.example›, not ‹/login›), used both when building and when following ‹next›. This also closes an open redirect.

Tests pass.`,
	},
	{
		key: "session-expiry", repos: []string{"shop-api"}, weight: 2,
		title:  "Sessions expire after 15 minutes despite the refresh token",
		branch: "fix/refresh-session-ttl",
		commit: "fix(session): keep refresh sessions for RefreshTokenTTL, not the access token TTL",
		prompts: []string{
			"Customers get logged out after exactly 15 minutes even though the refresh token should last 7 days. POST /api/auth/refresh returns 401 ‹{\"error\":\"session_not_found\"}›. What's going on?",
			"Why does /api/auth/refresh return 401 session_not_found after 15 minutes? I thought refresh tokens were valid for a week.",
		},
		thinking: "15 minutes is the access token TTL. If the session row in Redis is written with that TTL, the refresh token outlives its session and refresh fails with session_not_found.",
		steps: []step{
			{act: search, cmd: "AccessTokenTTL", path: "internal",
				out: "internal/config/config.go:41:\tAccessTokenTTL  time.Duration `env:\"ACCESS_TOKEN_TTL\" envDefault:\"15m\"`\ninternal/config/config.go:42:\tRefreshTokenTTL time.Duration `env:\"REFRESH_TOKEN_TTL\" envDefault:\"168h\"`\ninternal/session/store.go:58:\treturn s.rdb.Set(ctx, key(sess.ID), data, s.cfg.AccessTokenTTL).Err()"},
			{act: read, path: "internal/session/store.go", out: `// Save stores a session under its id; refresh looks it up by the id
// embedded in the refresh token.
func (s *Store) Save(ctx context.Context, sess Session) error {
	data, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("encode session %s: %w", sess.ID, err)
	}
	return s.rdb.Set(ctx, key(sess.ID), data, s.cfg.AccessTokenTTL).Err()
}`},
			{act: edit, say: "The session key must live as long as the refresh token.", path: "internal/session/store.go",
				old: `	return s.rdb.Set(ctx, key(sess.ID), data, s.cfg.AccessTokenTTL).Err()`,
				new: `	// The session backs the refresh token, so it lives as long as that.
	return s.rdb.Set(ctx, key(sess.ID), data, s.cfg.RefreshTokenTTL).Err()`},
			{act: run, cmd: "go test ./internal/session/...", out: "ok  \tgithub.com/demo-co/shop-api/internal/session\t0.318s"},
		},
		answer: "The Redis key of the session was written with ‹AccessTokenTTL› (15m) instead of ‹RefreshTokenTTL› (7 days). The refresh token itself was still valid, but the session it points to had expired, hence ‹session_not_found›. It now uses the refresh TTL. Existing users will still be logged out once; new sessions last the full week.",
	},
	{
		key: "auth-token-reset", repos: []string{"shop-web"}, weight: 2,
		title:  "ERR_CONNECTION_RESET when the auth token refreshes",
		branch: "fix/use-auth-token-refresh",
		commit: "fix(web): share one token refresh in useAuthToken and abort it on unmount",
		prompts: []string{
			"The dashboard sometimes goes blank and the console shows ‹net::ERR_CONNECTION_RESET in useAuthToken.ts› (line 38) right after the token refresh fires. It happens mostly in dev with React StrictMode. Any idea?",
			"Getting ERR_CONNECTION_RESET in useAuthToken.ts whenever two tabs refresh the token at the same time. Can we dedupe the refresh request?",
			"Seeing ERR_CONNECTION_RESET in useAuthToken.ts again on staging, the refresh call seems to fire twice on mount. Is this the same thing {peer} looked at?",
		},
		thinking: "StrictMode mounts effects twice in dev, so two refresh requests race. The API rotates the refresh token on the first one; the second arrives with the old token and the server drops the connection, which the browser reports as ERR_CONNECTION_RESET.",
		steps: []step{
			{act: read, say: "Let me look at the hook.", path: "src/hooks/useAuthToken.ts", out: `export function useAuthToken() {
  const [token, setToken] = useState<string | null>(null);

  useEffect(() => {
    const timer = setInterval(async () => {
      const res = await fetch("/api/auth/refresh", { method: "POST", credentials: "include" });
      const body = await res.json(); // line 38: ERR_CONNECTION_RESET surfaces here
      setToken(body.accessToken);
    }, REFRESH_EVERY_MS);
  }, []);

  return token;
}`},
			{act: edit, say: "Sharing one in-flight refresh and cleaning up on unmount.", path: "src/hooks/useAuthToken.ts",
				old: `  useEffect(() => {
    const timer = setInterval(async () => {
      const res = await fetch("/api/auth/refresh", { method: "POST", credentials: "include" });
      const body = await res.json(); // line 38: ERR_CONNECTION_RESET surfaces here
      setToken(body.accessToken);
    }, REFRESH_EVERY_MS);
  }, []);`,
				new: `  useEffect(() => {
    const ctrl = new AbortController();
    const tick = () =>
      refreshOnce(ctrl.signal)
        .then(setToken)
        .catch((err) => {
          if (err.name !== "AbortError") console.warn("token refresh failed", err);
        });
    tick();
    const timer = setInterval(tick, REFRESH_EVERY_MS);
    return () => {
      clearInterval(timer);
      ctrl.abort();
    };
  }, []);`},
			{act: write, path: "src/auth/refreshOnce.ts", new: `// refreshOnce shares one in-flight refresh between every caller in this
// tab: the API rotates the refresh token, so a second concurrent request
// would present a token that was just revoked.
let inflight: Promise<string> | null = null;

export function refreshOnce(signal?: AbortSignal): Promise<string> {
  inflight ??= fetch("/api/auth/refresh", { method: "POST", credentials: "include", signal })
    .then((res) => {
      if (!res.ok) throw new Error("refresh failed: " + res.status);
      return res.json();
    })
    .then((body) => body.accessToken as string)
    .finally(() => {
      inflight = null;
    });
  return inflight;
}`},
			{act: run, cmd: "npx vitest run src/hooks/useAuthToken.test.ts", out: " ✓ src/hooks/useAuthToken.test.ts (6 tests) 48ms\n\n Test Files  1 passed (1)\n      Tests  6 passed (6)"},
		},
		answer: `The reset comes from two refresh requests racing:

- The effect had no cleanup, so StrictMode's double mount (and every remount) started a second interval.
- ‹/api/auth/refresh› rotates the refresh token. The second request still carries the old cookie, the API revokes the whole token family (reuse detection) and closes the connection, which Chrome reports as ‹ERR_CONNECTION_RESET› at the ‹res.json()› line.

Now ‹refreshOnce()› shares a single in-flight request per tab, and the effect clears its interval and aborts on unmount. Two tabs can still race; if that matters, a ‹BroadcastChannel("auth")› can let one tab refresh for all.`,
		more: []exchange{
			{
				prompt: "Can you add the BroadcastChannel part so only one tab refreshes?",
				steps: []step{
					{act: edit, path: "src/auth/refreshOnce.ts",
						old: `let inflight: Promise<string> | null = null;`,
						new: `let inflight: Promise<string> | null = null;
const channel = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel("auth") : null;
channel?.addEventListener("message", (e) => {
  if (e.data?.type === "token") inflight = Promise.resolve(e.data.accessToken);
});`},
				},
				answer: "Tabs now share refreshed tokens over a ‹BroadcastChannel›: the first tab to refresh posts the new access token, and the others reuse it instead of calling the API with a revoked refresh token.",
			},
		},
	},
	{
		key: "css-grid", repos: []string{"shop-web", "design-system"}, weight: 2,
		title:  "Product grid overflows on tablet",
		branch: "fix/product-grid-wrap",
		commit: "fix(ui): let the product grid wrap with auto-fill",
		prompts: []string{
			"The product grid overflows horizontally between 768px and 1024px, cards get cut off on the right. Can you fix the CSS grid in ProductGrid.module.css?",
			"How do I make a CSS grid wrap cards automatically instead of hardcoding 4 columns with media queries?",
			"Cards in the grid have different heights and long product names push the column wider than 1fr. Why doesn't 1fr shrink?",
		},
		thinking: "repeat(4, 1fr) with cards that have a min-width of 240px can't fit under ~1000px. Also 1fr has an implicit min of auto, so long words stretch the track; minmax(0, 1fr) or min() fixes that.",
		steps: []step{
			{act: read, path: "src/components/ProductGrid/ProductGrid.module.css", out: `.grid {
  display: grid;
  grid-template-columns: repeat(4, 1fr);
  gap: 24px;
}

@media (max-width: 640px) {
  .grid {
    grid-template-columns: repeat(2, 1fr);
  }
}

.card {
  min-width: 240px;
}`},
			{act: edit, say: "Switching to an auto-filling grid.", path: "src/components/ProductGrid/ProductGrid.module.css",
				old: `.grid {
  display: grid;
  grid-template-columns: repeat(4, 1fr);
  gap: 24px;
}`,
				new: `.grid {
  display: grid;
  /* as many columns as fit, each at least 220px but never wider than the grid */
  grid-template-columns: repeat(auto-fill, minmax(min(220px, 100%), 1fr));
  gap: var(--space-6, 24px);
}`},
		},
		answer: `Two things caused the overflow:

1. ‹repeat(4, 1fr)› forces four columns, and ‹.card { min-width: 240px }› makes that at least 4 × 240 + 3 × 24 = 1032px.
2. ‹1fr› means ‹minmax(auto, 1fr)›: a track can't shrink below its content's min size, so long unbroken product names widen a column.

‹repeat(auto-fill, minmax(min(220px, 100%), 1fr))› lets the browser pick the column count, and the ‹min()› keeps a single card from overflowing on very narrow screens. The media query and the card's ‹min-width› are no longer needed; I left the media query in place for now so you can compare.`,
	},
	{
		key: "migrations-local", repos: []string{"shop-api"}, weight: 4,
		title: "How to run the database migrations locally",
		prompts: []string{
			"How do I run the database migrations locally? I just cloned shop-api and ‹go run ./cmd/shop-api› fails with ‹pq: relation \"orders\" does not exist›.",
			"What's the right way to run migrations against my local Postgres? The README still mentions ‹make migrate› but that target doesn't exist anymore.",
			"Quick one: how do I apply the Postgres migrations locally before running the integration tests?",
			"Running migrations locally fails with ‹error: Dirty database version 42. Fix and force version.› How do I recover without wiping my data?",
		},
		thinking: "Check the Makefile and docker-compose for the Postgres service and the migrate targets, then explain the steps and the dirty-version recovery.",
		steps: []step{
			{act: read, say: "Let me check the Makefile targets.", path: "Makefile", out: `DATABASE_URL ?= postgres://shop:shop@localhost:5432/shop?sslmode=disable

db-up: ## start Postgres and Redis for local development
	docker compose up -d postgres redis

migrate-up: ## apply all migrations
	migrate -path migrations -database "$(DATABASE_URL)" up

migrate-down: ## roll back the last migration
	migrate -path migrations -database "$(DATABASE_URL)" down 1

migrate-force: ## mark VERSION as applied after fixing a failed migration
	migrate -path migrations -database "$(DATABASE_URL)" force $(VERSION)`},
			{act: run, cmd: "docker compose up -d postgres redis", out: "[+] Running 3/3\n ✔ Network shop-api_default       Created\n ✔ Container shop-api-postgres-1  Started\n ✔ Container shop-api-redis-1     Started"},
			{act: run, cmd: "make migrate-up", out: "migrate -path migrations -database \"postgres://shop:shop@localhost:5432/shop?sslmode=disable\" up\n1/u create_customers (21.4ms)\n2/u create_orders (18.9ms)\n…\n43/u create_refunds (12.7ms)"},
		},
		answer: `Migrations are run with golang-migrate through the Makefile:

'''sh
make db-up          # Postgres 16 and Redis in Docker
make migrate-up     # applies migrations/*.up.sql to $DATABASE_URL
'''

The default ‹DATABASE_URL› points at the compose database (‹postgres://shop:shop@localhost:5432/shop›); override it in ‹.env.local› if you run Postgres yourself. Install the CLI once with ‹brew install golang-migrate› or ‹go install -tags postgres github.com/golang-migrate/migrate/v4/cmd/migrate@latest›.

If a migration fails halfway, golang-migrate marks the version **dirty**. Fix the SQL, undo whatever part of it did apply, then:

'''sh
make migrate-force VERSION=41   # the last version that fully applied
make migrate-up
'''

‹make migrate› was renamed to ‹migrate-up› in March; I'd update the README too.`,
		more: []exchange{
			{
				prompt: "Can you fix the README while you're at it?",
				steps: []step{
					{act: edit, path: "README.md",
						old: "Run `make migrate` to create the schema.",
						new: "Start the databases with `make db-up`, then run `make migrate-up` to create the schema.\nIf a migration fails and leaves the database dirty, see `make migrate-force`."},
				},
				answer: "Updated the README's local setup section to ‹make db-up› + ‹make migrate-up› and mentioned ‹migrate-force› for dirty databases.",
			},
		},
	},
	{
		key: "migration-concurrent-index", repos: []string{"shop-api"}, weight: 2,
		title:  "Add orders.fulfilled_at without locking the table",
		branch: "feat/order-fulfilled-at",
		commit: "feat(db): add orders.fulfilled_at with a concurrent index",
		prompts: []string{
			"Write a migration that adds orders.fulfilled_at and an index for the fulfilment report. The orders table has ~40M rows so it can't lock writes.",
			"My migration fails with ‹ERROR: CREATE INDEX CONCURRENTLY cannot run inside a transaction block (SQLSTATE 25001)›. How do I split it?",
		},
		thinking: "Adding a nullable column without a default is metadata-only in Postgres 11+. The index must be built CONCURRENTLY, which cannot run in a transaction, and golang-migrate wraps nothing by itself but our runner uses a transaction per file, so it goes in its own file.",
		steps: []step{
			{act: write, say: "The column first, in its own migration.", path: "migrations/000044_orders_fulfilled_at.up.sql",
				new: "-- Nullable without a default: a metadata-only change, no table rewrite.\nALTER TABLE orders ADD COLUMN fulfilled_at timestamptz;"},
			{act: write, path: "migrations/000045_orders_fulfilled_at_idx.up.sql",
				new: "-- CONCURRENTLY cannot run inside a transaction: keep this file to one statement.\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_fulfilled_at_idx\n    ON orders (fulfilled_at)\n    WHERE fulfilled_at IS NOT NULL;"},
			{act: run, cmd: "make migrate-up", out: "44/u orders_fulfilled_at (6.1ms)\n45/u orders_fulfilled_at_idx (48.302s)"},
		},
		answer: "Split into two migrations: ‹000044› adds the nullable column (instant), ‹000045› builds a partial index ‹CONCURRENTLY› in a file of its own, since that statement can't run in a transaction block. The partial ‹WHERE fulfilled_at IS NOT NULL› keeps the index small while most orders are unfulfilled. If a concurrent build fails it leaves an ‹INVALID› index; drop it and rerun.",
	},
	{
		key: "slow-orders-query", repos: []string{"shop-api"}, weight: 2,
		title:  "GET /api/orders takes 4 seconds",
		branch: "perf/orders-customer-index",
		commit: "perf(orders): index orders by customer and created_at",
		prompts: []string{
			"GET /api/orders?customer_id=… takes ~4s in production. EXPLAIN ANALYZE says ‹Seq Scan on orders (cost=0.00..1284311.20 rows=212 width=148) (actual time=2.113..3987.402 rows=187 loops=1)› with ‹Filter: (customer_id = $1)›. How do I speed it up?",
			"The orders list endpoint is slow again. pg_stat_statements shows the ‹ORDER BY created_at DESC LIMIT 50› query at 3.9s mean. Can you help?",
			"Why is this Postgres query doing a sequential scan? ‹SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 50›",
		},
		thinking: "There's no index leading with customer_id, so Postgres scans 40M rows. A composite index (customer_id, created_at DESC) serves both the filter and the sort, so the LIMIT can stop early.",
		steps: []step{
			{act: read, path: "internal/orders/repo.go", out: `const listByCustomer = ` + "`" + `
SELECT id, customer_id, status, total_cents, currency, created_at
FROM orders
WHERE customer_id = $1
ORDER BY created_at DESC
LIMIT $2` + "`"},
			{act: write, path: "migrations/000046_orders_customer_created_idx.up.sql",
				new: "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_created_idx\n    ON orders (customer_id, created_at DESC);"},
			{act: run, cmd: `psql "$DATABASE_URL" -c "EXPLAIN ANALYZE SELECT * FROM orders WHERE customer_id = 81723 ORDER BY created_at DESC LIMIT 50"`,
				out: " Limit  (cost=0.57..52.31 rows=50 width=148) (actual time=0.041..0.212 rows=50 loops=1)\n   ->  Index Scan using orders_customer_created_idx on orders  (cost=0.57..219.84 rows=212 width=148) (actual time=0.040..0.205 rows=50 loops=1)\n         Index Cond: (customer_id = 81723)\n Planning Time: 0.164 ms\n Execution Time: 0.241 ms"},
		},
		answer: "The query filtered on ‹customer_id› and sorted by ‹created_at› with no index covering either, so Postgres read the whole table (40M rows) and sorted. With ‹orders_customer_created_idx (customer_id, created_at DESC)› it walks the index in order and stops after 50 rows: **3987 ms → 0.24 ms** locally on a copy of prod data. Build it ‹CONCURRENTLY› (done in the migration) so writes aren't blocked.",
	},
	{
		key: "flaky-checkout", repos: []string{"shop-web"}, weight: 4,
		title:  "Flaky checkout e2e test",
		branch: "test/fix-flaky-checkout",
		commit: "test(e2e): wait for the order request and isolate checkout test users",
		prompts: []string{
			"The checkout e2e test is flaky in CI: ‹checkout.spec.ts:48:5 › guest checkout › places an order› fails with ‹Timeout 5000ms exceeded waiting for getByTestId('order-confirmation')› about 1 run in 5. How do I fix it properly instead of bumping the timeout?",
			"How do we fix the flaky checkout test? It passed locally 20 times but failed twice today on main.",
			"Is there a known fix for the flaky checkout test? {peer} said something about the payment iframe.",
			"checkout.spec.ts failed again on my PR (nothing to do with checkout). Can you look at why it's flaky?",
		},
		thinking: "Timeouts on the confirmation usually mean the click on Place order happened before the payment iframe was ready, or the order request failed. With fullyParallel and a shared test user, two workers can also empty each other's cart.",
		steps: []step{
			{act: read, path: "e2e/checkout.spec.ts", out: `test("places an order", async ({ page }) => {
  await login(page, "checkout@test.demo.example");
  await page.goto("/cart");
  await page.getByRole("button", { name: "Checkout" }).click();
  await fillCard(page, "4242 4242 4242 4242");
  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page.getByTestId("order-confirmation")).toBeVisible();
});`},
			{act: edit, say: "Waiting for the real signals and giving each worker its own user.", path: "e2e/checkout.spec.ts",
				old: `  await login(page, "checkout@test.demo.example");`,
				new: `  // one user per worker: tests run in parallel and share nothing
  await login(page, ` + "`" + `checkout+${test.info().workerIndex}@test.demo.example` + "`" + `);`},
			{act: edit, path: "e2e/checkout.spec.ts",
				old: `  await page.getByRole("button", { name: "Place order" }).click();
  await expect(page.getByTestId("order-confirmation")).toBeVisible();`,
				new: `  await expect(page.frameLocator("iframe[name^=__privateStripeFrame]").getByPlaceholder("Card number")).toBeEditable();
  const order = page.waitForResponse((r) => r.url().endsWith("/api/orders") && r.request().method() === "POST");
  await page.getByRole("button", { name: "Place order" }).click();
  expect((await order).status()).toBe(201);
  await expect(page.getByTestId("order-confirmation")).toBeVisible();`},
			{act: run, cmd: "npx playwright test e2e/checkout.spec.ts --repeat-each=20 --workers=4", out: "Running 40 tests using 4 workers\n  40 passed (1.4m)"},
		},
		answer: `Two independent causes, which is why it looked random:

1. **Shared test user.** All workers logged in as ‹checkout@test.demo.example›; with ‹fullyParallel: true›, another worker's "empty cart" test sometimes cleared the cart mid-checkout, and the order request failed with 409. Each worker now has its own user.
2. **Clicking before the payment iframe is ready.** On slow CI runners the Stripe iframe loads after the button is enabled; the click submits nothing and no confirmation ever appears. The test now waits for the card field to be editable and asserts the ‹POST /api/orders› response, so a failure says *why*.

40/40 passes with ‹--repeat-each=20›. No timeout was increased.`,
	},
	{
		key: "flaky-checkout-go", repos: []string{"shop-api"}, weight: 2,
		title:  "Flaky TestCheckout_ConcurrentCoupons",
		branch: "test/checkout-coupon-race",
		commit: "fix(checkout): redeem coupons with a conditional update",
		prompts: []string{
			"The checkout test is flaky in CI: ‹checkout_test.go:112: expected 1 redemption, got 2› in TestCheckout_ConcurrentCoupons, maybe 1 in 10 runs. Is the test wrong or the code?",
			"How do I fix the flaky checkout test in shop-api? It only fails with -race on CI.",
		},
		thinking: "Two goroutines redeem a single-use coupon at the same time. If redemption is read-check-write without a lock, both can pass the check. The fix is a conditional UPDATE ... WHERE redeemed_at IS NULL and checking rows affected.",
		steps: []step{
			{act: read, path: "internal/checkout/coupons.go", out: `func (s *Service) redeem(ctx context.Context, tx pgx.Tx, code string, orderID int64) error {
	c, err := s.coupons.Get(ctx, tx, code)
	if err != nil {
		return err
	}
	if c.RedeemedAt != nil {
		return ErrCouponUsed
	}
	return s.coupons.MarkRedeemed(ctx, tx, code, orderID)
}`},
			{act: edit, say: "Making redemption atomic in the database.", path: "internal/checkout/coupons.go",
				old: `	c, err := s.coupons.Get(ctx, tx, code)
	if err != nil {
		return err
	}
	if c.RedeemedAt != nil {
		return ErrCouponUsed
	}
	return s.coupons.MarkRedeemed(ctx, tx, code, orderID)`,
				new: `	// One statement decides: two concurrent checkouts cannot both see the
	// coupon unredeemed.
	tag, err := tx.Exec(ctx, ` + "`" + `UPDATE coupons SET redeemed_at = now(), order_id = $2
		WHERE code = $1 AND redeemed_at IS NULL` + "`" + `, code, orderID)
	if err != nil {
		return fmt.Errorf("redeem coupon %s: %w", code, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrCouponUsed
	}
	return nil`},
			{act: run, cmd: "go test ./internal/checkout/ -run TestCheckout_ConcurrentCoupons -race -count=200", out: "ok  \tgithub.com/demo-co/shop-api/internal/checkout\t38.114s"},
		},
		answer: "The test was right: it caught a real race. ‹redeem› read the coupon, checked ‹redeemed_at›, then wrote, so two concurrent checkouts could both pass the check (READ COMMITTED doesn't prevent that). Redemption is now a single conditional ‹UPDATE … WHERE redeemed_at IS NULL›, and zero rows affected means the coupon was already used. 200 runs with ‹-race› pass.",
	},
	{
		key: "go-nil-panic", repos: []string{"shop-api"}, weight: 2,
		title:  "nil pointer panic in cart.Service.Total",
		branch: "fix/cart-nil-coupon",
		commit: "fix(cart): handle carts without a coupon in Total",
		prompts: []string{
			`We're getting this panic in production when a coupon is removed from a cart:

'''
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x8f2c4a]

goroutine 1942 [running]:
github.com/demo-co/shop-api/internal/cart.(*Service).Total(0xc000312a80, {0x1a3e2c0, 0xc0004b6f00}, 0xc0002d4b40)
	/src/internal/cart/service.go:142 +0x8a
github.com/demo-co/shop-api/internal/api.(*Handler).getCart(0xc0001c6000, {0x1a3b980, 0xc0003be0e0}, 0xc0004c2a00)
	/src/internal/api/cart.go:57 +0x1c5
net/http.HandlerFunc.ServeHTTP(...)
'''

Can you find the bug?`,
			"shop-api panics at internal/cart/service.go:142 with ‹invalid memory address or nil pointer dereference› after DELETE /api/cart/coupon. What's nil there?",
		},
		thinking: "Line 142 dereferences c.Coupon. After the coupon is removed the field is set to nil but Total still reads c.Coupon.Percent.",
		steps: []step{
			{act: read, path: "internal/cart/service.go", out: `// Total is the cart's total after discounts, in cents.
func (s *Service) Total(ctx context.Context, c *Cart) (int64, error) {
	var sum int64
	for _, l := range c.Lines {
		sum += l.UnitCents * int64(l.Qty)
	}
	discount := sum * int64(c.Coupon.Percent) / 100 // line 142
	return sum - discount, nil
}`},
			{act: edit, path: "internal/cart/service.go",
				old: `	discount := sum * int64(c.Coupon.Percent) / 100 // line 142
	return sum - discount, nil`,
				new: `	if c.Coupon == nil {
		return sum, nil
	}
	discount := sum * int64(c.Coupon.Percent) / 100
	return sum - discount, nil`},
			{act: edit, say: "And a regression test.", path: "internal/cart/service_test.go",
				old: `		{name: "ten percent coupon", coupon: &Coupon{Percent: 10}, want: 9000},`,
				new: `		{name: "ten percent coupon", coupon: &Coupon{Percent: 10}, want: 9000},
		{name: "coupon removed", coupon: nil, want: 10000},`},
			{act: run, cmd: "go test ./internal/cart/ -run TestTotal -race", out: "ok  \tgithub.com/demo-co/shop-api/internal/cart\t0.233s"},
		},
		answer: "‹c.Coupon› is ‹nil› once the coupon is removed (‹DELETE /api/cart/coupon› sets it to nil rather than to a zero coupon), and ‹Total› read ‹c.Coupon.Percent› unconditionally at service.go:142. It now returns the undiscounted sum when there's no coupon; the table test has a \"coupon removed\" case. The panic also took down the request without a 500 log line, so it may be worth adding a recover middleware that logs the stack.",
	},
	{
		key: "refund-currency", repos: []string{"payments-worker"}, weight: 2,
		title:  "KeyError: 'currency' in the refund handler",
		branch: "fix/refund-currency",
		commit: "fix(refunds): fall back to the charge currency for partial refunds",
		prompts: []string{
			`Refund jobs are failing with:

'''
Traceback (most recent call last):
  File "/app/payments_worker/worker.py", line 88, in run_job
    result = handler(event)
  File "/app/payments_worker/handlers/refund.py", line 58, in handle_refund
    currency = event["data"]["object"]["currency"].upper()
KeyError: 'currency'
'''

Only for partial refunds. What changed?`,
			"handle_refund crashes with ‹KeyError: 'currency'› on charge.refund.updated events. Can you make it robust?",
		},
		thinking: "charge.refund.updated events carry a refund object, which in the newer API version does not repeat the currency when it's a partial refund created from the dashboard. Fall back to the charge's currency.",
		steps: []step{
			{act: read, path: "payments_worker/handlers/refund.py", out: `def handle_refund(event: dict) -> RefundResult:
    obj = event["data"]["object"]
    currency = event["data"]["object"]["currency"].upper()
    amount = Money(obj["amount"], currency)
    order = orders.by_charge(obj["charge"])
    return refunds.record(order, amount, reason=obj.get("reason"))`},
			{act: edit, path: "payments_worker/handlers/refund.py",
				old: `    currency = event["data"]["object"]["currency"].upper()`,
				new: `    # Partial refunds made in the dashboard omit the currency; it is
    # always the charge's.
    currency = (obj.get("currency") or charges.get(obj["charge"]).currency).upper()`},
			{act: run, cmd: "pytest tests/handlers/test_refund.py -q", out: ".....                                                                    [100%]\n5 passed in 0.41s"},
		},
		answer: "Since the Stripe API version bump, ‹charge.refund.updated› events for partial refunds created from the dashboard don't include ‹currency› on the refund object. The handler now falls back to the charge's currency (a refund is always in the currency of its charge). I added a test with a payload captured from staging.",
	},
	{
		key: "docker-build", repos: []string{"shop-api"}, weight: 2,
		title:  "Docker build fails at go mod download",
		branch: "build/private-modules",
		commit: "build: fetch private modules with a BuildKit secret and cache go mod",
		prompts: []string{
			`‹docker build› fails in CI at the builder stage:

'''
 => ERROR [builder 4/7] RUN go mod download
------
 > [builder 4/7] RUN go mod download:
12.31 go: github.com/demo-co/go-common@v0.4.2: reading https://proxy.golang.org/github.com/demo-co/go-common/@v/v0.4.2.mod: 404 Not Found
------
ERROR: failed to solve: process "/bin/sh -c go mod download" did not complete successfully: exit code: 1
'''

It works on my laptop. What's different?`,
			"Our shop-api Docker image is 1.2GB and rebuilds every module on each push. Can you make the Dockerfile multi-stage with a cached go mod download and a distroless runtime?",
		},
		thinking: "go-common is a private module: the proxy returns 404 and the builder has no git credentials. Locally GOPRIVATE and the ssh agent hide that. Use GOPRIVATE plus a BuildKit secret for a token, and cache mounts for modules and the build cache.",
		steps: []step{
			{act: read, path: "Dockerfile", out: `FROM golang:1.25
WORKDIR /src
COPY . .
RUN go mod download
RUN go build -o /shop-api ./cmd/shop-api
CMD ["/shop-api"]`},
			{act: write, say: "Rewriting it as a multi-stage build.", path: "Dockerfile", new: `# syntax=docker/dockerfile:1.7
FROM golang:1.25 AS builder
WORKDIR /src
ENV GOPRIVATE=github.com/demo-co/* CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=secret,id=gh_token \
    --mount=type=cache,target=/go/pkg/mod \
    git config --global url."https://x-access-token:$(cat /run/secrets/gh_token)@github.com/".insteadOf "https://github.com/" && \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/shop-api ./cmd/shop-api

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=builder /out/shop-api /shop-api
USER nonroot:nonroot
ENTRYPOINT ["/shop-api"]`},
			{act: run, cmd: "docker build --secret id=gh_token,env=GH_TOKEN -t shop-api:dev .", out: " => [builder 4/7] RUN --mount=type=secret,id=gh_token --mount=type=cache,target=/go/pkg/mod go mod download   9.8s\n => [builder 6/7] RUN --mount=type=cache,target=/go/pkg/mod go build -trimpath -ldflags=\"-s -w\" -o /out/shop-api ./cmd/shop-api  41.2s\n => exporting to image                                                                                   0.3s\n => => naming to docker.io/library/shop-api:dev                                                           0.0s"},
		},
		answer: `‹github.com/demo-co/go-common› is private: in CI the builder asks proxy.golang.org, which answers 404, and it has no git credentials to fall back on. On your laptop ‹GOPRIVATE› and your SSH agent hide that.

The new Dockerfile:
- sets ‹GOPRIVATE=github.com/demo-co/*›,
- passes a GitHub token as a **BuildKit secret** (never baked into a layer): ‹docker build --secret id=gh_token,env=GH_TOKEN …›,
- caches ‹/go/pkg/mod› and the build cache between builds,
- ships a static binary on ‹distroless/static› as nonroot: the image went from 1.2 GB to 24 MB.

In CI, add ‹secrets: gh_token=${{ secrets.GH_TOKEN }}› to the build step.`,
	},
	{
		key: "ci-lint-node", repos: []string{"shop-web", "design-system"}, weight: 2,
		title:  "CI lint job fails after the Node upgrade",
		branch: "ci/node-version-file",
		commit: "ci: read the Node version from .nvmrc and use npm ci",
		prompts: []string{
			"The GitHub Actions build is red on main: the lint job fails with ‹Error: Cannot find module '@typescript-eslint/parser'› and then ‹Error: Process completed with exit code 2.› Nothing changed in package.json. Can you look at .github/workflows/ci.yml?",
			"Why does CI use Node 18 when .nvmrc says 20? Lint fails with ‹SyntaxError: Unexpected token '?'› only in Actions.",
		},
		thinking: "The workflow probably hardcodes node-version 18 and runs npm install without the lockfile, so it resolves different versions than local.",
		steps: []step{
			{act: read, path: ".github/workflows/ci.yml", out: `  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 18
      - run: npm install
      - run: npm run lint`},
			{act: edit, path: ".github/workflows/ci.yml",
				old: `      - uses: actions/setup-node@v4
        with:
          node-version: 18
      - run: npm install`,
				new: `      - uses: actions/setup-node@v4
        with:
          node-version-file: .nvmrc
          cache: npm
      - run: npm ci`},
			{act: run, cmd: "npx eslint . --max-warnings=0", out: ""},
		},
		answer: "The lint job pinned ‹node-version: 18› while ‹.nvmrc› says 20, and ran ‹npm install›, which ignores ‹package-lock.json› when it's out of sync, so CI resolved a newer ‹@typescript-eslint› than your machine (and one that needs Node 20). It now uses ‹node-version-file: .nvmrc›, ‹npm ci› and the npm cache. ESLint is clean locally.",
	},
	{
		key: "gitlab-terraform-ci", repos: []string{"infra"}, weight: 2,
		title:  "GitLab pipeline fails in terraform validate",
		branch: "fix/aws-provider-5",
		commit: "fix(vpc): drop enable_classiclink for AWS provider 5",
		prompts: []string{
			"The GitLab pipeline fails in the validate stage after the AWS provider bump: ‹Error: Unsupported argument … An argument named \"enable_classiclink\" is not expected here.› in modules/vpc/main.tf. Can you fix it?",
			"terraform validate is failing on CI (‹job failed: exit code 1›) but not locally. Can you check .gitlab-ci.yml and the provider versions?",
		},
		thinking: "AWS provider 5 removed the EC2-Classic arguments. Locally the lock file still has 4.x. Remove the argument and commit the updated lock file.",
		steps: []step{
			{act: search, cmd: "enable_classiclink", path: "modules", out: "modules/vpc/main.tf:9:  enable_classiclink   = false"},
			{act: edit, path: "modules/vpc/main.tf",
				old: "  enable_dns_hostnames = true\n  enable_classiclink   = false",
				new: "  enable_dns_hostnames = true"},
			{act: run, cmd: "terraform -chdir=envs/prod init -upgrade && terraform -chdir=envs/prod validate", out: "- Installing hashicorp/aws v5.82.2...\nTerraform has been successfully initialized!\nSuccess! The configuration is valid."},
		},
		answer: "AWS provider 5 removed the EC2-Classic arguments (‹enable_classiclink›, ‹enable_classiclink_dns_support›). CI runs ‹init -upgrade› and got 5.x; your local ‹.terraform.lock.hcl› still pinned 4.67, which is why it only failed in GitLab. I removed the argument and upgraded the lock file; commit it so local and CI agree.",
	},
	{
		key: "rate-limit-login", repos: []string{"shop-api"}, weight: 2,
		title:  "Rate limit the login endpoint",
		branch: "feat/login-rate-limit",
		commit: "feat(auth): rate limit login attempts per IP and per email",
		prompts: []string{
			"We're seeing credential stuffing on POST /api/auth/login (~300 req/s from a handful of IPs). Add rate limiting: 10 attempts per minute per IP and per email, and return 429 with Retry-After.",
			"How should I implement rate limiting across our 6 API pods? An in-memory limiter won't work behind the load balancer.",
		},
		thinking: "Needs to be shared across pods, so Redis. A fixed window with INCR and EXPIRE is simple and good enough for login; key by IP and by normalized email so rotating IPs doesn't help.",
		steps: []step{
			{act: write, say: "A small Redis-backed limiter.", path: "internal/ratelimit/limiter.go", new: `// Package ratelimit counts attempts in fixed windows shared by every API
// pod through Redis.
package ratelimit

// Allow records an attempt for key and reports whether it is within limit
// for the current window, and when the window ends.
func (l *Limiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	k := "rl:" + key + ":" + strconv.FormatInt(time.Now().Unix()/int64(window.Seconds()), 10)
	pipe := l.rdb.TxPipeline()
	n := pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, window)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, 0, fmt.Errorf("rate limit %s: %w", key, err)
	}
	return n.Val() <= int64(limit), window - time.Duration(time.Now().Unix()%int64(window.Seconds()))*time.Second, nil
}`},
			{act: edit, path: "internal/api/router.go",
				old: `	r.Post("/api/auth/login", h.login)`,
				new: `	r.With(h.limitLogin(10, time.Minute)).Post("/api/auth/login", h.login)`},
			{act: run, cmd: "go test ./internal/ratelimit/... ./internal/api/...", out: "ok  \tgithub.com/demo-co/shop-api/internal/ratelimit\t0.087s\nok  \tgithub.com/demo-co/shop-api/internal/api\t1.204s"},
		},
		answer: "Login attempts are now limited to 10 per minute per client IP **and** per normalized email, counted in Redis so all pods share the window. Over the limit the API answers ‹429 Too Many Requests› with ‹Retry-After› in seconds, and logs the key at warn level. The client IP comes from ‹X-Forwarded-For› only when the request is from the load balancer's subnet; otherwise attackers could spoof it.",
	},
	{
		key: "catalog-cache", repos: []string{"shop-api"}, weight: 2,
		title:  "Cache the product catalog in Redis",
		branch: "perf/catalog-cache",
		commit: "perf(catalog): cache product lists in Redis behind singleflight",
		prompts: []string{
			"GET /api/products hits Postgres on every request and DB CPU spikes at 9am when the newsletter goes out. Can you add a Redis cache with a short TTL and avoid a thundering herd when it expires?",
			"Our catalog cache has a stampede problem: when the key expires, 200 requests miss at once and all query Postgres. How do I fix it?",
		},
		thinking: "Combine singleflight per key within a pod with a jittered TTL so pods don't expire together. Invalidate on product updates.",
		steps: []step{
			{act: read, path: "internal/catalog/service.go", out: `func (s *Service) List(ctx context.Context, q Query) ([]Product, error) {
	return s.repo.List(ctx, q)
}`},
			{act: edit, path: "internal/catalog/service.go",
				old: `	return s.repo.List(ctx, q)`,
				new: `	key := "catalog:v1:" + q.CacheKey()
	if cached, err := s.cache.Get(ctx, key); err == nil {
		return cached, nil
	}
	// One query per key and pod however many requests miss at once.
	v, err, _ := s.group.Do(key, func() (any, error) {
		products, err := s.repo.List(ctx, q)
		if err != nil {
			return nil, err
		}
		ttl := 60*time.Second + time.Duration(rand.IntN(15))*time.Second // jitter: pods don't expire together
		_ = s.cache.Set(ctx, key, products, ttl)
		return products, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return v.([]Product), nil`},
			{act: run, cmd: "go test ./internal/catalog/...", out: "ok  \tgithub.com/demo-co/shop-api/internal/catalog\t0.512s"},
		},
		answer: "Product lists are now cached in Redis for 60–75s (jittered so the pods don't all expire together), and misses go through ‹singleflight›, so one query per key and pod runs however many requests miss at once. Cache errors fall through to Postgres rather than failing the request. For updates I'd bump the ‹v1› prefix or delete ‹catalog:*› keys from the admin save handler; tell me which you prefer.",
	},
	{
		key: "use-cart-stale", repos: []string{"shop-web"}, weight: 2,
		title:  "useCart shows a stale quantity",
		branch: "fix/use-cart-functional-update",
		commit: "fix(web): use functional updates in useCart",
		prompts: []string{
			"In useCart.ts the quantity shown after clicking + twice quickly is off by one. Looks like a stale closure; ESLint also warns ‹React Hook useCallback has a missing dependency: 'items'›. Can you fix the hook?",
			"Why does my React hook read an old value of state inside useCallback?",
		},
		thinking: "increment closes over items from the render it was created in, with an empty dependency list. Use the functional form of setItems so it never reads stale state.",
		steps: []step{
			{act: read, path: "src/hooks/useCart.ts", out: `const increment = useCallback((sku: string) => {
  setItems(items.map((i) => (i.sku === sku ? { ...i, qty: i.qty + 1 } : i)));
}, []);`},
			{act: edit, path: "src/hooks/useCart.ts",
				old: `  setItems(items.map((i) => (i.sku === sku ? { ...i, qty: i.qty + 1 } : i)));`,
				new: `  setItems((prev) => prev.map((i) => (i.sku === sku ? { ...i, qty: i.qty + 1 } : i)));`},
			{act: run, cmd: "npx vitest run src/hooks/useCart.test.ts", out: " ✓ src/hooks/useCart.test.ts (9 tests) 61ms"},
		},
		answer: "‹increment› was memoized with ‹[]›, so it kept the ‹items› of the first render: two quick clicks both computed ‹qty + 1› from the same old array. With ‹setItems(prev => …)› React hands it the current state, the callback no longer depends on ‹items›, and the ESLint warning goes away without adding a dependency that would recreate the callback on every change.",
	},
	{
		key: "terraform-rds-replace", repos: []string{"infra"}, weight: 2,
		title:  "terraform plan wants to replace the RDS instance",
		branch: "fix/rds-engine-version",
		commit: "fix(db): track only the major Postgres version",
		prompts: []string{
			"terraform plan for prod says ‹# module.db.aws_db_instance.main must be replaced› because ‹engine_version: \"16.3\" -> \"16.6\" # forces replacement›. AWS auto-upgraded the minor version. How do I stop Terraform from recreating the database?!",
			"Why does Terraform want to destroy and recreate our Postgres RDS instance after a minor version upgrade?",
		},
		thinking: "With auto_minor_version_upgrade on, AWS moves the minor version and the config pins 16.3. Pin only the major version (engine_version = \"16\") so the provider ignores minor drift. Never apply this plan.",
		steps: []step{
			{act: read, path: "modules/db/main.tf", out: `resource "aws_db_instance" "main" {
  identifier                 = "${var.env}-shop"
  engine                     = "postgres"
  engine_version             = "16.3"
  auto_minor_version_upgrade = true
  instance_class             = var.instance_class
}`},
			{act: edit, path: "modules/db/main.tf",
				old: `  engine_version             = "16.3"`,
				new: `  engine_version             = "16" # major only: AWS applies minor upgrades itself`},
			{act: run, cmd: "terraform -chdir=envs/prod plan -target=module.db", out: "module.db.aws_db_instance.main: Refreshing state... [id=db-7QF3LXK2]\n\nNo changes. Your infrastructure matches the configuration."},
		},
		answer: "Don't apply that plan: it would destroy the database. With ‹auto_minor_version_upgrade = true›, AWS moved the instance to 16.6 while the config still said 16.3, and a *downgrade* forces replacement. Pinning only the major version (‹\"16\"›) lets the AWS provider accept any 16.x; the plan is now empty. Also add ‹deletion_protection = true› to the prod instance so a bad plan can't drop it.",
	},
	{
		key: "k8s-probes", repos: []string{"infra"}, weight: 1,
		title:  "shop-api pods in CrashLoopBackOff after deploy",
		branch: "fix/chart-probes",
		commit: "fix(chart): point the probes at /health/ready and /health/live",
		prompts: []string{
			"After today's deploy the shop-api pods are in CrashLoopBackOff. ‹kubectl describe pod› shows ‹Liveness probe failed: HTTP probe failed with statuscode: 404›. What's wrong with the chart?",
		},
		thinking: "The app moved /healthz to /health/live and /health/ready in the last release, but the chart's probes still hit /healthz, so the liveness probe kills the pod.",
		steps: []step{
			{act: read, path: "charts/shop-api/values.yaml", out: "probes:\n  liveness:\n    path: /healthz\n    initialDelaySeconds: 5\n  readiness:\n    path: /healthz"},
			{act: edit, path: "charts/shop-api/values.yaml",
				old: "  liveness:\n    path: /healthz\n    initialDelaySeconds: 5\n  readiness:\n    path: /healthz",
				new: "  liveness:\n    path: /health/live\n    initialDelaySeconds: 5\n  readiness:\n    path: /health/ready"},
			{act: run, cmd: "helm template charts/shop-api | kubeconform -strict -summary -", out: "Summary: 7 resources found parsing stdin - Valid: 7, Invalid: 0, Errors: 0, Skipped: 0"},
		},
		answer: "shop-api 2.14 replaced ‹/healthz› with ‹/health/live› and ‹/health/ready›, but the chart still probed ‹/healthz›: every liveness check got a 404 and the kubelet restarted the container, hence CrashLoopBackOff. The probes now use the new paths. Roll out with ‹helm upgrade shop-api charts/shop-api -n shop --atomic› so a bad release rolls back by itself.",
	},
	{
		key: "idempotent-charges", repos: []string{"payments-worker"}, weight: 2,
		title:  "Duplicate charges when the worker retries",
		branch: "fix/idempotent-charges",
		commit: "fix(charges): send a stable idempotency key to Stripe",
		prompts: []string{
			"We charged a customer twice: the worker timed out talking to Stripe (‹stripe.error.APIConnectionError: Could not connect to Stripe (https://api.stripe.com/v1/payment_intents)›), Celery retried the task, and the first request had actually gone through. How do we make charge_order idempotent?",
			"How do idempotency keys work with Stripe and Celery retries?",
		},
		thinking: "Stripe deduplicates requests with the same Idempotency-Key for 24h. The key must be stable across retries of the same logical charge: derive it from the order id and the payment attempt, not from the task id of each retry.",
		steps: []step{
			{act: read, path: "payments_worker/tasks/charge.py", out: `@app.task(bind=True, autoretry_for=(stripe.error.APIConnectionError,), retry_backoff=True)
def charge_order(self, order_id: int) -> str:
    order = orders.get(order_id)
    intent = stripe.PaymentIntent.create(
        amount=order.total_cents,
        currency=order.currency,
        customer=order.stripe_customer_id,
        confirm=True,
    )
    return intent.id`},
			{act: edit, path: "payments_worker/tasks/charge.py",
				old: `        confirm=True,
    )`,
				new: `        confirm=True,
        # Same key on every retry of this attempt: Stripe returns the first
        # result instead of charging again.
        idempotency_key=f"charge-{order.id}-{order.payment_attempt}",
    )`},
			{act: run, cmd: "pytest tests/tasks/test_charge.py -q", out: "....                                                                     [100%]\n4 passed in 0.62s"},
		},
		answer: "Celery's retry re-ran ‹PaymentIntent.create› with nothing tying it to the first call, so Stripe created a second intent. Now every call carries ‹idempotency_key=charge-<order>-<attempt>›: a retry within 24h gets the original response back, and a deliberate new attempt (the customer changes card) increments ‹payment_attempt›. I'd also refund the duplicate from the dashboard; the logs show intent ‹pi_…› created twice for order 81723.",
	},
	{
		key: "button-focus", repos: []string{"design-system", "shop-web"}, weight: 1,
		title:  "Button focus ring invisible in dark mode",
		branch: "fix/button-focus-visible",
		commit: "fix(button): visible :focus-visible ring in dark mode",
		prompts: []string{
			"The accessibility audit says our Button has no visible focus indicator in dark mode (WCAG 2.4.7). Can you fix the focus styles in Button.css without showing the ring on mouse clicks?",
		},
		thinking: "outline: none on :focus removes it for everyone; use :focus-visible with a token color that has enough contrast on both themes.",
		steps: []step{
			{act: read, path: "src/Button/Button.css", out: ".button:focus {\n  outline: none;\n  box-shadow: 0 0 0 2px var(--color-primary-200);\n}"},
			{act: edit, path: "src/Button/Button.css",
				old: ".button:focus {\n  outline: none;\n  box-shadow: 0 0 0 2px var(--color-primary-200);\n}",
				new: ".button:focus-visible {\n  outline: 2px solid var(--color-focus);\n  outline-offset: 2px;\n}\n\n[data-theme=\"dark\"] {\n  --color-focus: #8ab4ff; /* 7.1:1 on --color-bg-dark */\n}"},
		},
		answer: "‹:focus { outline: none }› hid the ring and the replacement shadow (‹primary-200›) has a 1.3:1 contrast on the dark background. Now ‹:focus-visible› draws a 2px outline in ‹--color-focus›, which is 7.1:1 in dark mode and 4.8:1 in light mode; mouse clicks don't show it because ‹:focus-visible› only matches keyboard focus.",
	},
	{
		key: "payments-deadline", repos: []string{"shop-api"}, weight: 1,
		title:  "context deadline exceeded calling payments",
		branch: "fix/payments-client-timeout",
		commit: "fix(payments): give charge requests a 5s budget and retry on 503",
		prompts: []string{
			"Checkout fails under load with ‹POST /api/checkout: charge order 81723: Post \"http://payments-worker:8000/charges\": context deadline exceeded›. The payments service p99 is 1.8s. Where is the timeout set?",
		},
		thinking: "Probably an http.Client with a 1s timeout, below the payments p99. Give the call its own context budget and retry only what is safe to retry.",
		steps: []step{
			{act: search, cmd: "http.Client{", path: "internal", out: "internal/payments/client.go:22:\t\thttp: &http.Client{Timeout: 1 * time.Second},"},
			{act: edit, path: "internal/payments/client.go",
				old: `		http: &http.Client{Timeout: 1 * time.Second},`,
				new: `		// No client-wide timeout: each call sets its own budget with its context.
		http: &http.Client{Transport: otelhttp.NewTransport(http.DefaultTransport)},`},
			{act: run, cmd: "go test ./internal/payments/...", out: "ok  \tgithub.com/demo-co/shop-api/internal/payments\t0.644s"},
		},
		answer: "The payments client had ‹http.Client{Timeout: 1s}›, below the service's 1.8s p99, so about 2% of charges timed out under load. Charges now get a 5s budget from their context and one retry on 503 (safe because the worker deduplicates by idempotency key). I'd also add a histogram on this call; right now the only signal is the error log.",
	},
	{
		key: "pricing-table-tests", repos: []string{"shop-api"}, weight: 1,
		title:  "Table tests for pricing.Calculate",
		branch: "test/pricing-table",
		commit: "test(pricing): table tests for Calculate; round tax half up",
		prompts: []string{
			"Write table-driven tests for pricing.Calculate covering discounts, tax rounding and zero-quantity lines.",
		},
		thinking: "Read Calculate first; tax rounding is the likely bug, it probably truncates.",
		steps: []step{
			{act: read, path: "internal/pricing/calculate.go", out: `func Calculate(lines []Line, taxRate float64, discountPct int) Total {
	var net int64
	for _, l := range lines {
		net += l.UnitCents * int64(l.Qty)
	}
	net -= net * int64(discountPct) / 100
	tax := int64(float64(net) * taxRate)
	return Total{Net: net, Tax: tax, Gross: net + tax}
}`},
			{act: write, path: "internal/pricing/calculate_test.go", new: `func TestCalculate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lines    []Line
		tax      float64
		discount int
		want     Total
	}{
		{"empty", nil, 0.19, 0, Total{}},
		{"zero quantity", []Line{{UnitCents: 999, Qty: 0}}, 0.19, 0, Total{}},
		{"ten percent off", []Line{{UnitCents: 1000, Qty: 2}}, 0, 10, Total{Net: 1800, Gross: 1800}},
		{"tax rounds half up", []Line{{UnitCents: 53, Qty: 1}}, 0.19, 0, Total{Net: 53, Tax: 10, Gross: 63}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Calculate(tt.lines, tt.tax, tt.discount))
		})
	}
}`},
			{act: run, cmd: "go test ./internal/pricing/", fail: true, out: "--- FAIL: TestCalculate (0.00s)\n    --- FAIL: TestCalculate/tax_rounds_half_up (0.00s)\n        calculate_test.go:24: \n            \tError:      \tNot equal: \n            \t            \texpected: pricing.Total{Net:53, Tax:10, Gross:63}\n            \t            \tactual  : pricing.Total{Net:53, Tax:9, Gross:62}\nFAIL\nFAIL\tgithub.com/demo-co/shop-api/internal/pricing\t0.011s"},
			{act: edit, say: "The test found a real bug: tax is truncated, not rounded.", path: "internal/pricing/calculate.go",
				old: `	tax := int64(float64(net) * taxRate)`,
				new: `	tax := int64(math.Round(float64(net) * taxRate)) // half away from zero, as the invoices do`},
			{act: run, cmd: "go test ./internal/pricing/", out: "ok  \tgithub.com/demo-co/shop-api/internal/pricing\t0.009s"},
		},
		answer: "Added a table test with empty carts, zero-quantity lines, discounts and tax rounding. It caught a real bug: tax was **truncated** (53¢ × 19% = 10.07¢ → 9¢) while invoices round half up, so some orders were a cent short. ‹Calculate› now uses ‹math.Round›. Money in floats is still fragile; consider ‹shopspring/decimal› or integer basis points for rates.",
	},
	{
		key: "alembic-local", repos: []string{"payments-worker"}, weight: 3,
		title: "How to run the alembic migrations locally",
		prompts: []string{
			"How do I run the migrations locally for payments-worker? ‹alembic upgrade head› fails with ‹sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"localhost\" (127.0.0.1), port 5433 failed: Connection refused›.",
			"What's the local setup for payments-worker's database? I need the tables to run the tests.",
		},
		thinking: "The worker's compose file exposes Postgres on 5433 to avoid clashing with shop-api's 5432. Check docker-compose.yml and alembic.ini.",
		steps: []step{
			{act: read, path: "docker-compose.yml", out: "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_USER: payments\n      POSTGRES_PASSWORD: payments\n    ports:\n      - \"5433:5432\""},
			{act: run, cmd: "docker compose up -d db && alembic upgrade head", out: "[+] Running 1/1\n ✔ Container payments-worker-db-1  Started\nINFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\nINFO  [alembic.runtime.migration] Will assume transactional DDL.\nINFO  [alembic.runtime.migration] Running upgrade  -> 3f9a1c2d7e10, create charges\nINFO  [alembic.runtime.migration] Running upgrade 3f9a1c2d7e10 -> a81be44c09f2, add refunds"},
		},
		answer: "payments-worker runs its own Postgres on port **5433** (so it doesn't clash with shop-api's 5432); ‹Connection refused› on 5433 means it isn't running. ‹docker compose up -d db›, then ‹alembic upgrade head› (it reads ‹DATABASE_URL›, defaulting to ‹postgresql://payments:payments@localhost:5433/payments›). The tests create their own schema per session, so you only need this for running the worker by hand.",
	},
	{
		key: "webhook-signature", repos: []string{"payments-worker"}, weight: 2,
		title:  "Stripe webhook signature verification fails",
		branch: "fix/webhook-raw-body",
		commit: "fix(webhooks): verify Stripe signatures against the raw request body",
		prompts: []string{
			"Every Stripe webhook fails with ‹stripe.error.SignatureVerificationError: No signatures found matching the expected signature for payload› since we moved the endpoint to FastAPI. The signing secret is right, I checked it in the dashboard. What's wrong?",
			"Why would Stripe webhook signature verification fail only in production? Locally with the Stripe CLI it works.",
		},
		thinking: "Stripe signs the exact raw bytes of the body. If the handler lets FastAPI parse the JSON and then re-serializes it with json.dumps, whitespace and key order differ and the HMAC never matches.",
		steps: []step{
			{act: read, path: "payments_worker/api/webhooks.py", out: `@router.post("/webhooks/stripe")
async def stripe_webhook(request: Request, payload: dict = Body(...)):
    sig = request.headers.get("stripe-signature")
    event = stripe.Webhook.construct_event(json.dumps(payload), sig, settings.stripe_webhook_secret)
    dispatch(event)
    return {"received": True}`},
			{act: edit, say: "Verifying against the raw body instead of re-serialized JSON.", path: "payments_worker/api/webhooks.py",
				old: `async def stripe_webhook(request: Request, payload: dict = Body(...)):
    sig = request.headers.get("stripe-signature")
    event = stripe.Webhook.construct_event(json.dumps(payload), sig, settings.stripe_webhook_secret)`,
				new: `async def stripe_webhook(request: Request):
    # Stripe signs the exact bytes it sent: never parse before verifying.
    payload = await request.body()
    sig = request.headers.get("stripe-signature")
    event = stripe.Webhook.construct_event(payload, sig, settings.stripe_webhook_secret)`},
			{act: run, cmd: "pytest tests/api/test_webhooks.py -q", out: "...                                                                      [100%]\n3 passed in 0.38s"},
		},
		answer: "The signature is an HMAC over the **raw request body**. The FastAPI handler declared ‹payload: dict = Body(...)›, so the body was parsed and then re-serialized with ‹json.dumps›, which changes whitespace and escaping, so the HMAC could never match. Locally the Stripe CLI hit the old Flask endpoint, which used the raw body. The handler now reads ‹await request.body()› and verifies that; parse the event only after verification.",
	},
	{
		key: "reconcile-oom", repos: []string{"payments-worker"}, weight: 1,
		title:  "Worker OOMKilled during nightly reconciliation",
		branch: "fix/reconcile-batches",
		commit: "fix(reconcile): stream charges in pages instead of loading the whole day",
		prompts: []string{
			"The payments-worker pods get OOMKilled (exit code 137) every night at 02:00 during ‹reconcile_charges›. Memory climbs to the 1Gi limit in about 4 minutes. How do I find what's holding the memory?",
		},
		thinking: "reconcile_charges probably materializes every charge of the day from Stripe and from the database at once. Stream both sides in pages.",
		steps: []step{
			{act: read, path: "payments_worker/tasks/reconcile.py", out: `@app.task
def reconcile_charges(day: str) -> int:
    start, end = day_bounds(day)
    remote = list(stripe.Charge.list(created={"gte": start, "lt": end}, limit=100).auto_paging_iter())
    local = session.query(Charge).filter(Charge.created_at >= start, Charge.created_at < end).all()
    return report_mismatches(remote, local)`},
			{act: edit, path: "payments_worker/tasks/reconcile.py",
				old: `    remote = list(stripe.Charge.list(created={"gte": start, "lt": end}, limit=100).auto_paging_iter())
    local = session.query(Charge).filter(Charge.created_at >= start, Charge.created_at < end).all()
    return report_mismatches(remote, local)`,
				new: `    # Compare page by page: a busy day has 300k charges, too many to hold.
    mismatches = 0
    for page in stripe_pages(start, end, page_size=100):
        ids = [c.id for c in page]
        local = {c.stripe_id: c for c in session.query(Charge).filter(Charge.stripe_id.in_(ids)).yield_per(500)}
        mismatches += report_mismatches(page, local)
    return mismatches`},
			{act: run, cmd: "python -m memray run -o /tmp/reconcile.bin -m payments_worker.cli reconcile 2026-10-01 && python -m memray stats /tmp/reconcile.bin",
				out: "📏 Total allocations:\n\t4812331\n\n📦 Total memory allocated:\n\t2.104GB\n\n📊 Peak memory usage:\n\t96.412MB"},
		},
		answer: "‹reconcile_charges› loaded the whole day twice: every Stripe charge (‹list(auto_paging_iter())›) and every local row (‹.all()›). On a sale day that's ~300k objects per side, each a few KB as Python objects, well past the 1Gi limit. It now compares one Stripe page (100 charges) at a time against the matching local rows. memray shows peak memory at 96 MB instead of >1 GB for the October 1st data.",
	},
	{
		key: "ingress-413", repos: []string{"infra"}, weight: 2,
		title:  "413 Request Entity Too Large on image upload",
		branch: "fix/ingress-body-size",
		commit: "fix(ingress): allow 20m request bodies on shop-api",
		prompts: []string{
			"Uploading product images over ~1MB fails with ‹413 Request Entity Too Large› from nginx. The API itself accepts up to 20MB. Where is the limit?",
			"Why does the admin image upload return 413 in staging but works against the API pod directly (kubectl port-forward)?",
		},
		thinking: "ingress-nginx defaults client_max_body_size to 1m. The chart's ingress needs the proxy-body-size annotation.",
		steps: []step{
			{act: read, path: "charts/shop-api/templates/ingress.yaml", out: "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {{ include \"shop-api.fullname\" . }}\n  annotations:\n    cert-manager.io/cluster-issuer: letsencrypt\nspec:\n  ingressClassName: nginx"},
			{act: edit, path: "charts/shop-api/templates/ingress.yaml",
				old: "    cert-manager.io/cluster-issuer: letsencrypt",
				new: "    cert-manager.io/cluster-issuer: letsencrypt\n    # ingress-nginx defaults to 1m; product images are up to 20 MB\n    nginx.ingress.kubernetes.io/proxy-body-size: \"20m\""},
			{act: run, cmd: "helm template charts/shop-api | grep -n proxy-body-size", out: "14:    nginx.ingress.kubernetes.io/proxy-body-size: \"20m\""},
		},
		answer: "The 413 comes from ingress-nginx, not the API: its default ‹client_max_body_size› is **1m**, which is why port-forwarding straight to the pod works. The chart now sets ‹nginx.ingress.kubernetes.io/proxy-body-size: \"20m\"› on the shop-api ingress only, so other services keep the safer default.",
	},
	{
		key: "dark-mode-tokens", repos: []string{"design-system", "shop-web"}, weight: 2,
		title:  "Dark mode with CSS custom properties",
		branch: "feat/dark-mode-tokens",
		commit: "feat(tokens): dark theme through CSS custom properties",
		prompts: []string{
			"How should we implement dark mode in the design system? Right now colors are hardcoded hex values in every component's CSS.",
			"Can you add a dark theme that follows prefers-color-scheme but can be overridden with a data-theme attribute on <html>?",
		},
		thinking: "Define semantic color tokens as custom properties on :root, override them for dark under prefers-color-scheme unless data-theme=light forces light, and for data-theme=dark explicitly. Components then use the tokens.",
		steps: []step{
			{act: write, path: "src/tokens/colors.css", new: `:root {
  --color-bg: #ffffff;
  --color-fg: #1b1f24;
  --color-primary: #2f6feb;
  --color-focus: #1f4fbf;
}

@media (prefers-color-scheme: dark) {
  :root:not([data-theme="light"]) {
    --color-bg: #0d1117;
    --color-fg: #e6edf3;
    --color-primary: #4c8dff;
    --color-focus: #8ab4ff;
  }
}

:root[data-theme="dark"] {
  --color-bg: #0d1117;
  --color-fg: #e6edf3;
  --color-primary: #4c8dff;
  --color-focus: #8ab4ff;
}`},
			{act: edit, path: "src/Button/Button.css",
				old: ".button {\n  background: #2f6feb;\n  color: #ffffff;\n}",
				new: ".button {\n  background: var(--color-primary);\n  color: var(--color-bg);\n}"},
			{act: run, cmd: "npm test -- --run", out: "{testok}"},
		},
		answer: "Colors are now **semantic tokens** (‹--color-bg›, ‹--color-fg›, ‹--color-primary›, ‹--color-focus›) in ‹src/tokens/colors.css›. Dark values apply when the OS prefers dark unless ‹<html data-theme=\"light\">› forces light, and ‹data-theme=\"dark\"› forces dark. I converted Button as the example; the other 14 components still have hex values (‹rg -l '#[0-9a-f]{6}' src› lists them). Components must import nothing: the tokens cascade from ‹:root›.",
	},
	{
		key: "cors-preflight", repos: []string{"shop-api"}, weight: 2,
		title:  "CORS preflight fails for the new API domain",
		branch: "fix/cors-allowed-origins",
		commit: "fix(api): allow the storefront origin in CORS preflight",
		prompts: []string{
			"After moving the API to api.demo-shop.example, every call from the storefront fails with ‹Access to fetch at 'https://api.demo-shop.example/api/cart' from origin 'https://www.demo-shop.example' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.› What do I need to change?",
			"Why does the browser send an OPTIONS request before POST /api/cart, and why does it fail with a CORS error?",
		},
		thinking: "The preflight must be answered with Access-Control-Allow-Origin echoing the exact origin and Allow-Credentials, since the storefront sends the session cookie; a wildcard is not allowed with credentials.",
		steps: []step{
			{act: search, cmd: "AllowedOrigins", path: "internal", out: "internal/api/router.go:38:\t\tAllowedOrigins:   []string{\"https://demo-shop.example\"},"},
			{act: read, path: "internal/api/router.go", out: `	r.Use(cors.Handler(cors.Options{
		AllowedOrigins:   []string{"https://demo-shop.example"},
		AllowedMethods:   []string{"GET", "POST", "PUT", "DELETE"},
		AllowedHeaders:   []string{"Content-Type", "X-CSRF-Token"},
		AllowCredentials: false,
	}))`},
			{act: edit, path: "internal/api/router.go",
				old: `		AllowedOrigins:   []string{"https://demo-shop.example"},
		AllowedMethods:   []string{"GET", "POST", "PUT", "DELETE"},
		AllowedHeaders:   []string{"Content-Type", "X-CSRF-Token"},
		AllowCredentials: false,`,
				new: `		AllowedOrigins:   cfg.CORSOrigins, // https://www.demo-shop.example in prod
		AllowedMethods:   []string{"GET", "POST", "PUT", "DELETE"},
		AllowedHeaders:   []string{"Content-Type", "X-CSRF-Token"},
		AllowCredentials: true, // the session cookie crosses origins now
		MaxAge:           600,  // cache preflights for 10 minutes`},
			{act: run, cmd: "curl -si -X OPTIONS http://localhost:8080/api/cart -H 'Origin: https://www.demo-shop.example' -H 'Access-Control-Request-Method: POST' | head -6",
				out: "HTTP/1.1 204 No Content\nAccess-Control-Allow-Credentials: true\nAccess-Control-Allow-Methods: POST\nAccess-Control-Allow-Origin: https://www.demo-shop.example\nAccess-Control-Max-Age: 600\nVary: Origin"},
		},
		answer: "The storefront moved to ‹www.demo-shop.example› but the API only allowed ‹https://demo-shop.example›, so the preflight ‹OPTIONS› got no ‹Access-Control-Allow-Origin› and the browser never sent the real request. The allowed origins now come from config (‹CORS_ORIGINS›), and ‹AllowCredentials› is on because the session cookie is now cross-origin; with credentials the origin must be echoed exactly, ‹*› won't work. Preflights are cached for 10 minutes. Also check the cookie has ‹SameSite=None; Secure›, or the browser won't send it cross-site.",
	},
	{
		key: "vite-env", repos: []string{"shop-web"}, weight: 2,
		title:  "import.meta.env is undefined in the production build",
		branch: "fix/vite-env-prefix",
		commit: "fix(web): expose the API URL to the client with the VITE_ prefix",
		prompts: []string{
			"In production the app requests ‹undefined/api/products›, in ‹npm run dev› everything works. We set ‹API_URL› in the deploy environment. Why is ‹import.meta.env.API_URL› undefined after ‹vite build›?",
			"How do environment variables work in Vite? Our API URL is undefined in the built app.",
		},
		thinking: "Vite only exposes VITE_-prefixed variables to client code and inlines them at build time. In dev the /api proxy hides the undefined base URL.",
		steps: []step{
			{act: read, path: "src/api/client.ts", out: `const base = import.meta.env.API_URL;

export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(base + path, { credentials: "include", ...init });
  if (!res.ok) throw new ApiError(res.status, await res.text());
  return res.json();
}`},
			{act: edit, path: "src/api/client.ts",
				old: `const base = import.meta.env.API_URL;`,
				new: `// Inlined at build time: set VITE_API_URL when running vite build, not at runtime.
const base = import.meta.env.VITE_API_URL ?? "";`},
			{act: run, cmd: "VITE_API_URL=https://api.demo-shop.example npx vite build", out: "vite v6.0.7 building for production...\n✓ 1342 modules transformed.\ndist/index.html                   0.62 kB │ gzip:   0.38 kB\ndist/assets/index-BvX2k1Qe.js   412.18 kB │ gzip: 131.07 kB\n✓ built in 6.41s"},
		},
		answer: "Two Vite rules together:\n\n1. Only variables prefixed with ‹VITE_› are exposed to client code; ‹API_URL› is deliberately hidden (it could be a secret).\n2. They are **inlined at build time**. Setting the variable in the container that serves the static files does nothing; it must be set where ‹vite build› runs (the CI build job).\n\nIn dev it looked fine because the dev server proxies ‹/api› (‹server.proxy› in vite.config.ts), so requests never needed the base URL. Renamed to ‹VITE_API_URL›, with ‹\"\"› as the fallback so dev keeps using the proxy.",
	},
	{
		key: "lazy-routes", repos: []string{"shop-web"}, weight: 1,
		title:  "Main bundle is 1.9 MB: lazy load the admin routes",
		branch: "perf/lazy-routes",
		commit: "perf(web): lazy load the admin and account routes",
		prompts: []string{
			"Lighthouse says our main bundle is 1.9 MB and LCP is 4.8s on mobile. The admin pages (with the chart library) ship in the same chunk as the storefront. Can you split them?",
		},
		thinking: "Use React.lazy with dynamic imports for the admin and account routes so Rollup puts them (and recharts) in separate chunks, with a Suspense fallback.",
		steps: []step{
			{act: read, path: "src/routes/index.tsx", out: `import { AdminDashboard } from "../admin/AdminDashboard";
import { AdminProducts } from "../admin/AdminProducts";
import { Account } from "../pages/Account";`},
			{act: edit, path: "src/routes/index.tsx",
				old: `import { AdminDashboard } from "../admin/AdminDashboard";
import { AdminProducts } from "../admin/AdminProducts";
import { Account } from "../pages/Account";`,
				new: `// Split out of the storefront bundle: the admin pulls in recharts (~600 kB).
const AdminDashboard = lazy(() => import("../admin/AdminDashboard"));
const AdminProducts = lazy(() => import("../admin/AdminProducts"));
const Account = lazy(() => import("../pages/Account"));`},
			{act: run, cmd: "npx vite build", out: "dist/assets/index-C8aQf2Lk.js            498.31 kB │ gzip: 152.90 kB\ndist/assets/AdminDashboard-D1nR5tGc.js   712.44 kB │ gzip: 214.03 kB\ndist/assets/AdminProducts-Bq9xTz3e.js     64.10 kB │ gzip:  19.77 kB\ndist/assets/Account-Cw1pXo0a.js           31.52 kB │ gzip:  10.08 kB\n✓ built in 7.02s"},
		},
		answer: "The storefront entry chunk drops from 1.9 MB to 498 kB (153 kB gzipped): the admin pages and recharts now load only when someone opens ‹/admin›. Each lazy route sits in the existing ‹<Suspense fallback={<PageSpinner />}>›. The admin components needed ‹export default› for ‹lazy()›; I kept the named exports too so the tests don't change.",
	},
	{
		key: "invalidate-queries", repos: []string{"shop-web"}, weight: 2,
		title:  "Product list stale after saving in the admin",
		branch: "fix/invalidate-products",
		commit: "fix(web): invalidate product queries after saving a product",
		prompts: []string{
			"After editing a product in the admin and going back to the list, it still shows the old price until I reload. We use TanStack Query. What's the right fix?",
			"How do I refresh a TanStack Query list after a mutation without refetching everything on the page?",
		},
		thinking: "The mutation doesn't invalidate the products query, and staleTime is 5 minutes, so the list is served from cache.",
		steps: []step{
			{act: read, path: "src/admin/useSaveProduct.ts", out: `export function useSaveProduct() {
  return useMutation({
    mutationFn: (p: ProductInput) => api<Product>("/api/products/" + p.id, { method: "PUT", body: JSON.stringify(p) }),
  });
}`},
			{act: edit, path: "src/admin/useSaveProduct.ts",
				old: `  return useMutation({
    mutationFn: (p: ProductInput) => api<Product>("/api/products/" + p.id, { method: "PUT", body: JSON.stringify(p) }),
  });`,
				new: `  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (p: ProductInput) => api<Product>("/api/products/" + p.id, { method: "PUT", body: JSON.stringify(p) }),
    onSuccess: (saved) => {
      queryClient.setQueryData(["product", saved.id], saved);
      return queryClient.invalidateQueries({ queryKey: ["products"] });
    },
  });`},
			{act: run, cmd: "npx vitest run src/admin", out: " ✓ src/admin/useSaveProduct.test.tsx (3 tests) 84ms\n\n Test Files  1 passed (1)\n      Tests  3 passed (3)"},
		},
		answer: "The list query (‹[\"products\", filters]›) has a 5-minute ‹staleTime› and nothing told TanStack Query the save changed it. ‹onSuccess› now writes the saved product into its detail query and invalidates every query whose key starts with ‹\"products\"›: only the lists currently on screen refetch, others refetch when next used. Returning the promise keeps the mutation pending until the list is fresh, so the save button spinner lasts until the new price shows.",
	},
	{
		key: "modal-focus-trap", repos: []string{"design-system"}, weight: 2,
		title:  "Modal doesn't trap focus",
		branch: "fix/modal-native-dialog",
		commit: "fix(modal): use the native dialog element to trap and restore focus",
		prompts: []string{
			"Keyboard users can Tab out of our Modal into the page behind it, and focus is lost when it closes. Can you fix Modal.tsx, ideally without adding a dependency?",
			"Should we use the native <dialog> element for our Modal component? What do we lose?",
		},
		thinking: "dialog.showModal() makes the rest of the page inert, handles Escape and the top layer, and browsers restore focus on close. All evergreen browsers support it now.",
		steps: []step{
			{act: read, path: "src/Modal/Modal.tsx", out: `export function Modal({ open, onClose, title, children }: ModalProps) {
  if (!open) return null;
  return createPortal(
    <div className="backdrop" onClick={onClose}>
      <div role="dialog" aria-label={title} className="modal">{children}</div>
    </div>,
    document.body,
  );
}`},
			{act: write, say: "Rewriting it on top of <dialog>.", path: "src/Modal/Modal.tsx", new: `export function Modal({ open, onClose, title, children }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal(); // inert background, Escape, top layer
    if (!open && d.open) d.close(); // the browser returns focus to the opener
  }, [open]);
  return (
    <dialog ref={ref} aria-label={title} className="modal" onClose={onClose}>
      {children}
    </dialog>
  );
}`},
			{act: run, cmd: "npm test -- --run Modal", out: " ✓ src/Modal/Modal.test.tsx (6 tests) 97ms\n\n Test Files  1 passed (1)\n      Tests  6 passed (6)"},
		},
		answer: "I'd use ‹<dialog>› with ‹showModal()›: the browser makes everything outside the dialog **inert** (Tab can't leave it, screen readers don't see the page behind), closes on Escape, renders in the top layer (no z-index or portal), and returns focus to the element that opened it. What you lose: styling the backdrop needs ‹::backdrop›, and closing on a backdrop click needs a small click handler (a click on the dialog element itself, outside its content). Tests cover Tab cycling and focus restore with user-event.",
	},
	{
		key: "ts-strict", repos: []string{"shop-web", "design-system"}, weight: 1,
		title:  "TypeScript errors after enabling strict mode",
		branch: "chore/ts-strict",
		commit: "chore(ts): enable strict mode and handle missing route params",
		prompts: []string{
			"I turned on ‹\"strict\": true› in tsconfig and now there are 143 errors, mostly ‹TS2345: Argument of type 'string | undefined' is not assignable to parameter of type 'string'.› on route params. What's the pattern to fix these without sprinkling ‹!› everywhere?",
		},
		thinking: "useParams returns string | undefined for every param. A small helper that throws a 404-style error when a required param is missing narrows the type once per page.",
		steps: []step{
			{act: run, cmd: "npx tsc --noEmit | grep -c 'error TS'", out: "143"},
			{act: write, path: "src/routes/requireParam.ts", new: `// requireParam reads a route param the page cannot work without. A
// missing one is a routing bug, so it throws into the error boundary.
export function requireParam(params: Readonly<Params<string>>, name: string): string {
  const v = params[name];
  if (v === undefined || v === "") throw new Response("Not found", { status: 404 });
  return v;
}`},
			{act: edit, path: "src/pages/Product.tsx",
				old: `  const { id } = useParams();
  const product = useProduct(id);`,
				new: `  const id = requireParam(useParams(), "id");
  const product = useProduct(id);`},
			{act: run, cmd: "npx tsc --noEmit | grep -c 'error TS'", out: "37"},
		},
		answer: "For route params, narrow once at the top of each page with ‹requireParam(useParams(), \"id\")›: it returns a ‹string› or throws a 404 into the route's error boundary, which is what a missing param really is. That fixed 106 of the 143 errors. The remaining 37 are real nullability bugs (mostly ‹user?.address› used without checks in checkout); I'd fix those by hand rather than with ‹!›, and keep ‹\"strict\": true› with a ‹// @ts-expect-error› only where a ticket exists.",
	},
	{
		key: "onboarding-checkout", repos: []string{"shop-api", "shop-web"}, weight: 1,
		title: "How does checkout work end to end?",
		prompts: []string{
			"I'm new to {repo}. Can you give me an overview of how checkout works end to end: which packages are involved and where the order gets written?",
			"Explain the checkout flow in {repo} to me like I'm joining the team tomorrow.",
		},
		thinking: "Find the checkout entry points and follow them to the order write and the payment call.",
		steps: []step{
			{act: search, cmd: "checkout", path: ".", out: "internal/api/checkout.go:18:func (h *Handler) checkout(w http.ResponseWriter, r *http.Request) {\ninternal/checkout/service.go:44:func (s *Service) PlaceOrder(ctx context.Context, cart *cart.Cart, pay PaymentMethod) (*orders.Order, error) {\nsrc/pages/Checkout.tsx:12:export function Checkout() {\ne2e/checkout.spec.ts:3:test.describe(\"guest checkout\", () => {"},
			{act: read, path: "internal/checkout/service.go", out: `// PlaceOrder turns a cart into an order: price it, reserve stock, write
// the order and enqueue the charge, in one transaction.
func (s *Service) PlaceOrder(ctx context.Context, c *cart.Cart, pay PaymentMethod) (*orders.Order, error) {
	total, err := s.pricing.Total(ctx, c)
	...
	return s.db.InTx(ctx, func(tx pgx.Tx) (*orders.Order, error) {
		if err := s.stock.Reserve(ctx, tx, c.Lines); err != nil {
			return nil, err
		}
		o, err := s.orders.Create(ctx, tx, c, total)
		...
		return o, s.jobs.InsertTx(ctx, tx, ChargeArgs{OrderID: o.ID})
	})
}`},
		},
		answer: `End to end:

1. **shop-web** ‹src/pages/Checkout.tsx› collects the address and the card (Stripe Elements, so card data never touches our servers) and posts the cart to ‹POST /api/checkout›.
2. **shop-api** ‹internal/api/checkout.go› validates the request and calls ‹checkout.Service.PlaceOrder›.
3. ‹PlaceOrder› prices the cart (‹internal/pricing›), then in **one transaction** reserves stock, writes the order (‹internal/orders›) and enqueues a ‹charge› job.
4. **payments-worker** picks up the charge, creates the Stripe PaymentIntent (with an idempotency key) and reports back through ‹charge.succeeded› / ‹charge.failed› webhooks, which flip the order status.

The e2e test ‹e2e/checkout.spec.ts› covers the happy path; it has been flaky, ask in #web before trusting a red run.`,
	},
}
