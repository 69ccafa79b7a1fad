package correlate

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
)

// evalDay is the working day the scenarios replay (a Tuesday).
var evalDay = time.Date(2025, 11, 4, 0, 0, 0, 0, time.UTC)

func at(h, m int) time.Time {
	return evalDay.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// evalCommit is a commit of a scenario and the sessions it truly came from.
type evalCommit struct {
	repo   *gitRepo
	sha    string
	branch string
	links  map[string]bool
	note   string
	commit Commit
}

// scenario is one repository's day: sessions, commits and the truth.
type scenario struct {
	t        *testing.T
	name     string
	repo     *gitRepo
	sessions []Session
	commits  []*evalCommit
	bySHA    map[string]*evalCommit
	copies   [][2]string // (original, copy) pairs Rebased must find
	n        int
}

func newScenario(t *testing.T, name, key string) *scenario {
	return &scenario{t: t, name: name, repo: newGitRepo(t, key), bySHA: map[string]*evalCommit{}}
}

// seed commits the repository's starting files three days earlier; the
// seed is history, not a candidate.
func (sc *scenario) seed(files map[string]string) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		sc.repo.write(p, files[p])
	}
	sc.repo.commit(ada, evalDay.Add(-72*time.Hour), "Initial import")
}

// session starts replaying an assistant session.
func (sc *scenario) session(tool transcript.Tool, who person, repo *gitRepo, start time.Time, cwd, remote string) *replay {
	sc.n++
	h := fnv.New32a()
	_, _ = h.Write([]byte(sc.name))
	id := fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", h.Sum32(), sc.n, sc.n, sc.n, sc.n)
	return &replay{sc: sc, repo: repo, tool: tool, id: id, user: who, cwd: cwd, remote: remote, clock: start}
}

func (sc *scenario) addCommit(repo *gitRepo, sha, branch string, by *replay) *evalCommit {
	c := &evalCommit{repo: repo, sha: sha, branch: branch, links: map[string]bool{}}
	if by != nil {
		c.links[by.id] = true
	}
	sc.commits = append(sc.commits, c)
	sc.bySHA[sha] = c
	return c
}

// human commits what is in a worktree as a person; links names the
// sessions whose work it carries (none for unrelated work).
func (sc *scenario) human(repo *gitRepo, who person, when time.Time, note, msg string, links ...*replay) string {
	return sc.humanPaths(repo, who, when, note, msg, nil, links...)
}

// humanPaths commits only some paths of the worktree.
func (sc *scenario) humanPaths(repo *gitRepo, who person, when time.Time, note, msg string, paths []string, links ...*replay) string {
	sha := repo.commit(who, when, msg, paths...)
	c := sc.addCommit(repo, sha, repo.branch, nil)
	c.note = note
	for _, l := range links {
		c.links[l.id] = true
	}
	return sha
}

// noise is a teammate's unrelated commit: new code appended to a file
// (created when missing) in the file's language.
func (sc *scenario) noise(repo *gitRepo, who person, when time.Time, path, topic, verb string) string {
	old, ok := tryRead(repo, path)
	if !ok && strings.HasSuffix(path, ".go") {
		old = "package " + pkgOf(path) + "\n"
	}
	repo.write(path, old+noiseSnippet(path, topic, verb))
	return sc.human(repo, who, when, "teammate", fmt.Sprintf("%s: %s %s entries", pkgOf(path), verb, topic))
}

func noiseSnippet(path, topic, verb string) string {
	switch {
	case strings.HasSuffix(path, ".ts"):
		return fmt.Sprintf("\nexport function %[1]s%[2]s(items: %[2]s[]): %[2]s[] {\n  const cutoff = Date.now() - 7 * 24 * 3600 * 1000;\n  return items.filter((%[3]s) => Date.parse(%[3]s.updatedAt) > cutoff);\n}\n", verb, title(topic), topic)
	case strings.HasSuffix(path, ".py"):
		return fmt.Sprintf("\n\ndef %[1]s_%[2]s(entries):\n    \"\"\"%[3]s %[1]s entries older than a week.\"\"\"\n    cutoff = datetime.now() - timedelta(days=7)\n    return [e for e in entries if e.%[1]s_at > cutoff]\n", topic, verb, title(verb))
	case strings.HasSuffix(path, ".md"):
		return fmt.Sprintf("- %s %s entries nightly; see the %s dashboard.\n", title(verb), topic, topic)
	}
	return goFunc(topic, verb)
}

// readOnly replays a question-and-answer session that edits nothing.
func (sc *scenario) readOnly(tool transcript.Tool, who person, repo *gitRepo, start time.Time, cwd, remote, question, answer string) {
	q := sc.session(tool, who, repo, start, cwd, remote)
	q.ask(question)
	if tool != transcript.ToolCopilot {
		q.run("grep -rn "+strings.Fields(question)[1]+" .", "")
	}
	q.say(answer)
	q.done()
}

func tryRead(repo *gitRepo, path string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(repo.dir, filepath.FromSlash(path)))
	return string(b), err == nil
}

func pkgOf(path string) string {
	parts := strings.Split(path, "/")
	if len(parts) < 2 {
		return "main"
	}
	return parts[len(parts)-2]
}

// tailOf returns the shortest run of whole last lines of content (at
// least two non-blank) that occurs once: the old_string an assistant
// would anchor an append on.
func tailOf(content string) string {
	lines := strings.SplitAfter(strings.TrimRight(content, "\n")+"\n", "\n")
	for k := 2; k <= len(lines); k++ {
		tail := strings.Join(lines[len(lines)-k:], "")
		nonBlank := 0
		for _, l := range lines[len(lines)-k:] {
			if strings.TrimSpace(l) != "" && strings.TrimSpace(l) != "}" {
				nonBlank++
			}
		}
		if nonBlank >= 2 && strings.Count(content, tail) == 1 {
			return tail
		}
	}
	return content
}

// appendTo has the assistant add text at the end of a file with an edit
// anchored on the file's last lines.
func (r *replay) appendTo(path, text string) {
	old := tailOf(r.repo.read(path))
	r.edit(path, old, old+text)
}

// finish reads every commit back from git.
func (sc *scenario) finish() {
	for _, c := range sc.commits {
		c.commit = c.repo.load(c.sha, c.branch)
	}
}

// copyOf records that cp is a rebased or squashed copy of orig and carries
// its links.
func (sc *scenario) copyOf(orig, cp string) {
	sc.copies = append(sc.copies, [2]string{orig, cp})
	for id := range sc.bySHA[orig].links {
		sc.bySHA[cp].links[id] = true
	}
}

// --- Scenarios --------------------------------------------------------

const (
	claudeTrailer = "\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
	claudeCoAuth  = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>"
)

// A Claude Code session on a feature branch that commits twice itself,
// leaves a change the user commits with edits of their own, and a second
// short session in the afternoon. Hard negatives: a commit just before
// the session on the same files, a teammate on another branch editing a
// file the session edited, the user's unrelated commits later that day,
// and the same files changed hours later with unrelated code.
func scenarioClaudeFeature(t *testing.T) *scenario {
	sc := newScenario(t, "claude-feature", "github.com/acme/shop")
	r := sc.repo
	sc.seed(map[string]string{
		"internal/checkout/handler.go": goHandler("checkout", "cart"),
		"internal/checkout/service.go": goService("checkout", "order", "approve"),
		"README.md":                    mdDoc("Shop", "Run `make dev` to start the shop locally.", "Payments go through the checkout package."),
		"docs/ops.md":                  mdDoc("Operations", "Deploys happen from main after CI passes.", "Page the on-call engineer for checkout errors."),
	})
	r.checkout("feature/refunds", true)
	chenWT := r.worktree("chen", "chen/ops-notes", "main")
	bobWT := r.worktree("bob", "bob/inventory", "main")

	r.write("internal/checkout/service.go", goService("checkout", "order", "approve", "cancel"))
	r.write("docs/ops.md", r.read("docs/ops.md")+"- Cancelled orders are kept for 30 days.\n")
	sc.human(r, ada, at(8, 45), "before the session, a file it edits", "Allow cancelling orders")

	a := sc.session(transcript.ToolClaudeCode, ada, r, at(9, 0), "/home/ada/src/shop", "")
	a.ask("Add refunds to checkout: a RefundService with issue and void, an HTTP handler, then commit.")
	a.write("internal/checkout/refund.go", goService("checkout", "refund", "issue", "void"))
	a.write("internal/checkout/refund_handler.go", goHandler("checkout", "refund"))
	a.run("go test ./internal/checkout/...", "ok  \tgithub.com/acme/shop/internal/checkout\t0.021s")
	a.commit("Add refund service and handler" + claudeCoAuth)
	a.ask("Now table tests for the refund rules, and document refunds in docs/ops.md. Commit that too.")
	a.write("internal/checkout/refund_test.go", goTest("checkout", "refund", "full refund", "partial refund", "refund after void", "refund of a refund"))
	a.appendTo("docs/ops.md", "- Refunds are issued by RefundService.IssueRefund and can be voided within 24 hours.\n- A voided refund is never sent to the payment provider.\n")
	a.commit("Test refund rules and document refunds" + claudeTrailer)
	a.ask("Make voiding idempotent; I'll commit it myself.")
	a.edit("internal/checkout/refund.go", "\trefund.LastVoid = s.clock()\n", "\tif !refund.LastVoid.IsZero() {\n\t\treturn nil // already voided: voiding twice is a no-op\n\t}\n\trefund.LastVoid = s.clock()\n")
	a.say("Voiding a refund twice is now a no-op.")
	a.done()

	chenWT.write("docs/ops.md", chenWT.read("docs/ops.md")+"- Rotate the checkout API keys every quarter.\n- Keep the incident channel open until the postmortem is filed.\n")
	sc.human(chenWT, chen, at(9, 40), "teammate, other branch, same file, during the session", "Add key rotation and incident notes")
	bobWT.write("internal/inventory/stock.go", goService("inventory", "stock", "reserve", "release"))
	sc.human(bobWT, bob, at(9, 55), "teammate, other branch, other files", "Add stock reservations")

	r.write("internal/checkout/refund.go", humanTouch(r.read("internal/checkout/refund.go"), "already voided", "voided before",
		"", "// ErrRefundClosed is returned for refunds of closed orders.", "var ErrRefundClosed = errors.New(\"refund: order is closed\")"))
	sc.human(r, ada, at(10, 20), "the user commits the assistant's last change with edits", "Make voiding refunds idempotent", a)

	r.write("README.md", r.read("README.md")+"- The shop needs Go 1.25 or newer.\n")
	sc.human(r, ada, at(11, 30), "same user, unrelated file, same day", "README: require Go 1.25")

	b := sc.session(transcript.ToolClaudeCode, ada, r, at(13, 0), "/home/ada/src/shop", "")
	b.ask("Write a runbook entry for failed refunds and commit it.")
	b.write("docs/runbook.md", mdDoc("Runbook: failed refunds", "Check the refund in the admin panel by its id.", "Retry with `shopctl refund retry <id>` once the provider is up.", "Escalate to payments if it fails three times."))
	b.commit("Add a runbook entry for failed refunds" + claudeTrailer)
	b.done()
	sc.readOnly(transcript.ToolClaudeCode, ada, r, at(13, 2), "/home/ada/src/shop", "",
		"Where are refunds sent to the payment provider?", "Nowhere yet: RefundService only records them. The provider client is in internal/payments.")

	r.edit("internal/checkout/refund_handler.go", "\t\tw.Header().Set(\"Content-Type\", \"application/json\")\n",
		"\t\tif refund.Amount <= 0 {\n\t\t\thttp.Error(w, \"refund amount must be positive\", http.StatusUnprocessableEntity)\n\t\t\treturn\n\t\t}\n\t\tw.Header().Set(\"Content-Type\", \"application/json\")\n\t\tw.Header().Set(\"Cache-Control\", \"no-store\")\n")
	sc.human(r, ada, at(15, 10), "same files, unrelated content, hours later", "Reject non-positive refund amounts")
	sc.noise(bobWT, bob, at(16, 5), "internal/inventory/cache.go", "stock", "evict")
	sc.noise(chenWT, chen, at(12, 30), "internal/checkout/handler.go", "cart", "expire")
	return sc
}

// Two Codex sessions in one repository on one day touching the same
// files: the morning one commits itself, the afternoon one is committed
// by the user; a teammate commits to the same branch in between.
func scenarioCodexTwoSessions(t *testing.T) *scenario {
	sc := newScenario(t, "codex-two-sessions", "github.com/acme/kettle")
	r := sc.repo
	const mainGo = "package main\n\nimport (\n\t\"flag\"\n\t\"time\"\n\n\t\"github.com/acme/kettle/internal/timer\"\n)\n\nfunc main() {\n\tflag.Parse()\n\ttimer.Start(timer.Options{})\n}\n"
	sc.seed(map[string]string{
		"cmd/kettle/main.go":      mainGo,
		"internal/timer/timer.go": goService("timer", "brew", "start", "stop"),
		"README.md":               mdDoc("Kettle", "Run `kettle` to boil water.", "The timer beeps when the tea is ready."),
	})
	remote := "git@github.com:acme/kettle.git"

	m := sc.session(transcript.ToolCodex, dana, r, at(9, 0), "/home/dana/src/kettle", remote)
	m.ask("Add a --brew-time flag and make the timer respect it. Commit when done.")
	m.edit("cmd/kettle/main.go", "\tflag.Parse()\n\ttimer.Start(timer.Options{})\n",
		"\tbrew := flag.Duration(\"brew-time\", timer.DefaultBrew, \"how long the tea steeps\")\n\tflag.Parse()\n\ttimer.Start(timer.Options{Brew: *brew})\n")
	m.write("internal/timer/flags.go", "package timer\n\nimport \"time\"\n\n// DefaultBrew is used when --brew-time is not given.\nconst DefaultBrew = 4 * time.Minute\n\n// Options configure a brew.\ntype Options struct {\n\tBrew time.Duration // steeping time; DefaultBrew when zero\n}\n")
	m.run("go test ./...", "ok  \tgithub.com/acme/kettle/internal/timer\t0.011s")
	m.commit("Add --brew-time flag\n\nThe timer takes the steeping time from the flag instead of a constant.")
	m.appendTo("README.md", "- `kettle --brew-time 3m` steeps for three minutes; the default is four.\n")
	m.commit("Document --brew-time")
	m.say("Both commits are on main.")
	m.done()

	r.write("internal/timer/timer.go", r.read("internal/timer/timer.go")+goFunc("brew", "pause"))
	sc.human(r, ellis, at(11, 0), "teammate, same branch, after the first session", "timer: pause brews")

	p := sc.session(transcript.ToolCodex, dana, r, at(14, 0), "/home/dana/src/kettle", remote)
	p.ask("Add brew presets (green, black, oolong) selectable with --preset.")
	p.write("internal/timer/presets.go", "package timer\n\nimport \"time\"\n\n// Presets are steeping times by tea.\nvar Presets = map[string]time.Duration{\n\t\"green\":  2 * time.Minute,\n\t\"black\":  4 * time.Minute,\n\t\"oolong\": 3 * time.Minute,\n}\n\n// PresetBrew returns the steeping time of a preset, or DefaultBrew.\nfunc PresetBrew(name string) time.Duration {\n\tif d, ok := Presets[name]; ok {\n\t\treturn d\n\t}\n\treturn DefaultBrew\n}\n")
	p.edit("internal/timer/flags.go", "\tBrew time.Duration // steeping time; DefaultBrew when zero\n", "\tBrew   time.Duration // steeping time; DefaultBrew when zero\n\tPreset string        // a key of Presets, used when Brew is zero\n")
	p.say("Presets are in internal/timer/presets.go; I did not commit.")
	p.done()

	r.write("internal/timer/presets.go", humanTouch(r.read("internal/timer/presets.go"), "oolong", "white"))
	sc.human(r, dana, at(14, 50), "the user commits the session's work, renaming a preset", "Add brew presets", p)

	r.write("internal/timer/flags.go", r.read("internal/timer/flags.go")+"\n// MaxBrew caps any steeping time, presets included.\nconst MaxBrew = 10 * time.Minute\n\n// ClampBrew limits d to MaxBrew.\nfunc ClampBrew(d time.Duration) time.Duration {\n\treturn min(d, MaxBrew)\n}\n")
	sc.human(r, dana, at(16, 30), "same user, same file, own code 90 min after", "Cap brew time at ten minutes")
	sc.noise(r, ellis, at(12, 15), "internal/timer/stats.go", "brew", "count")
	sc.readOnly(transcript.ToolCodex, dana, r, at(16, 20), "/home/dana/src/kettle", remote,
		"Explain how presets interact with --brew-time", "--brew-time wins when set; otherwise PresetBrew picks the preset's time.")
	return sc
}

// Aider sessions commit on their own ("> Commit abc1234"); Aider writes
// local time without a zone (the user is in California).
func scenarioAider(t *testing.T) *scenario {
	sc := newScenario(t, "aider", "github.com/acme/pricing")
	r := sc.repo
	sc.seed(map[string]string{
		"pricing/format.py":    pyModule("price", "round"),
		"pricing/tax.py":       pyModule("tax", "vat"),
		"tests/test_format.py": "from pricing.format import price_round\n\n\ndef test_round():\n    assert price_round(1000, 1) == 10\n",
	})
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		la = time.FixedZone("PST", -8*3600)
	}

	a1 := sc.session(transcript.ToolAider, ada, r, at(17, 0), "", "")
	a1.zone = la
	a1.ask("make the price formatter round half up for discounts too")
	a1.appendTo("pricing/format.py", "\n\ndef price_discount(amount, percent):\n    \"\"\"Apply a discount, rounding half up to the cent.\"\"\"\n    discounted = Decimal(amount) * (100 - Decimal(percent)) / 100\n    return discounted.quantize(Decimal('0.01'), ROUND_HALF_UP)\n")
	a1.commit("feat: add price_discount rounding half up")
	a1.ask("add a reduced VAT rule and a test for it")
	a1.appendTo("pricing/tax.py", "\n\ndef tax_reduced_vat(amount):\n    \"\"\"Reduced VAT for books and food.\"\"\"\n    return tax_vat(amount, Decimal('0.07'))\n")
	a1.write("tests/test_tax.py", "from decimal import Decimal\n\nfrom pricing.tax import tax_reduced_vat\n\n\ndef test_reduced_vat_rounds_half_up():\n    assert tax_reduced_vat(Decimal('10.05')) == Decimal('0.70')\n")
	a1.commit("feat: add reduced VAT rule with test\n\nCo-authored-by: aider (anthropic/claude-sonnet-4-20250514) <aider@aider.chat>")
	a1.run("pytest -q", "")
	a1.done()

	r.write("tests/test_format.py", r.read("tests/test_format.py")+"\n\ndef test_round_negative():\n    assert price_round(-1000, 1) == -10\n")
	sc.human(r, bob, at(18, 30), "teammate, same branch, a file the session did not edit", "test negative rounding")

	a2 := sc.session(transcript.ToolAider, ada, r, at(40, 0), "", "")
	a2.zone = la
	a2.ask("price_discount should reject percentages over 100")
	a2.edit("pricing/format.py", "    discounted = Decimal(amount) * (100 - Decimal(percent)) / 100\n",
		"    if not 0 <= Decimal(percent) <= 100:\n        raise ValueError(f\"discount {percent}% is out of range\")\n    discounted = Decimal(amount) * (100 - Decimal(percent)) / 100\n")
	a2.commit("fix: reject discounts over 100 percent")
	a2.ask("and a helper to format a price with its currency symbol")
	a2.appendTo("pricing/format.py", "\n\ndef price_label(amount, currency='EUR'):\n    \"\"\"Format an amount with its currency symbol.\"\"\"\n    symbol = {'EUR': '€', 'USD': '$', 'GBP': '£'}[currency]\n    return f\"{symbol}{Decimal(amount):.2f}\"\n")
	a2.commit("feat: add price_label")
	a2.done()

	r.write("pricing/tax.py", r.read("pricing/tax.py")+"\n\ndef tax_zero_rated(amount):\n    \"\"\"Exports are zero-rated.\"\"\"\n    return Decimal('0.00')\n")
	sc.human(r, ada, at(44, 0), "same user, a file of the first session, next day, own code", "Add zero-rated tax")
	sc.noise(r, bob, at(42, 10), "pricing/format.py", "price", "expire")
	return sc
}

// Copilot edit sessions record which files were edited but not the text:
// only files and time can link them.
func scenarioCopilot(t *testing.T) *scenario {
	sc := newScenario(t, "copilot-no-content", "github.com/acme/tidepool")
	r := sc.repo
	sc.seed(map[string]string{
		"parser/table.go":      goService("parser", "table", "parse"),
		"parser/table_test.go": goTest("parser", "table", "last row", "empty row"),
		"api/server.go":        goHandler("api", "tide"),
		"README.md":            mdDoc("Tidepool", "Parses tide tables into JSON."),
	})
	r.checkout("fix/last-row", true)
	bobWT := r.worktree("bob", "bob/api", "main")
	remote := "https://github.com/acme/tidepool"

	c1 := sc.session(transcript.ToolCopilot, ellis, r, at(10, 0), "/home/ellis/src/tidepool", remote)
	c1.ask("Why does the parser skip the last row? Fix it and add a test.")
	c1.edit("parser/table.go", "\ttable, err := s.store.GetTable(ctx, id)\n", "\ttable, err := s.store.GetTable(ctx, id) // includes the last row\n")
	c1.appendTo("parser/table_test.go", "\nfunc TestLastRowKept(t *testing.T) {\n\tif n := len(parseRows([]string{\"a\", \"b\"})); n != 2 {\n\t\tt.Fatalf(\"parsed %d rows, want 2\", n)\n\t}\n}\n")
	c1.ask("Mention the fix in the README.")
	c1.appendTo("README.md", "- The last row of a table is no longer dropped.\n")
	c1.say("Updated the README.")
	c1.done()
	sc.readOnly(transcript.ToolCopilot, ellis, r, at(10, 5), "/home/ellis/src/tidepool", remote,
		"What does parseRows return for an empty table?", "An empty slice: the loop body never runs.")

	bobWT.write("parser/table.go", bobWT.read("parser/table.go")+goFunc("table", "warm"))
	sc.human(bobWT, bob, at(10, 15), "teammate, other branch, same file, during the session", "parser: warm the table cache")

	// The user commits the code first and the README later.
	sc.humanPaths(r, ellis, at(10, 35), "the user commits the session's code edits", "Keep the last row of tide tables", []string{"parser/table.go", "parser/table_test.go"}, c1)
	sc.human(r, ellis, at(11, 15), "the session's README edit, committed 50 min later", "README: note the last-row fix", c1)

	r.write("parser/table.go", r.read("parser/table.go")+goFunc("table", "split"))
	sc.human(r, ellis, at(15, 40), "same user, same file, five hours later", "parser: split wide tables")

	c2 := sc.session(transcript.ToolCopilot, ellis, r, at(16, 0), "/home/ellis/src/tidepool", remote)
	c2.ask("Return 404 JSON errors from the tide handler.")
	c2.edit("api/server.go", "\t\t\thttp.Error(w, \"tide not found\", http.StatusNotFound)\n", "\t\t\tw.Header().Set(\"Content-Type\", \"application/json\")\n\t\t\tw.WriteHeader(http.StatusNotFound)\n\t\t\t_, _ = w.Write([]byte(`{\"error\":\"tide not found\"}`))\n")
	c2.say("The handler now answers 404 with a JSON body.")
	c2.done()
	sc.human(r, ellis, at(16, 30), "the second session's edit", "api: JSON 404 for unknown tides", c2)
	sc.noise(bobWT, bob, at(16, 45), "api/cache.go", "tide", "expire")
	return sc
}

// A Claude Code session commits three times on a feature branch; the next
// day the branch is rebased onto main (new hashes, same patches) and then
// squash-merged. A Gemini session on main in the afternoon is another
// session in the same repository.
func scenarioRebaseSquash(t *testing.T) *scenario {
	sc := newScenario(t, "rebase-squash", "github.com/acme/ledger")
	r := sc.repo
	sc.seed(map[string]string{
		"ledger/entry.go":   goService("ledger", "entry", "post", "reverse"),
		"ledger/balance.go": goService("ledger", "balance", "close"),
		"README.md":         mdDoc("Ledger", "Double-entry bookkeeping for the shop."),
	})
	r.checkout("feature/fx", true)
	mainWT := r.worktree("main", "main", "main")

	s := sc.session(transcript.ToolClaudeCode, chen, r, at(9, 0), "/Users/chen/dev/ledger", "")
	s.ask("Add foreign-exchange conversion to the ledger in three commits: rates, balances, tests.")
	s.write("ledger/fx.go", "package ledger\n\nimport \"math/big\"\n\n// Rate converts an amount from one currency to another.\ntype Rate struct {\n\tFrom, To string\n\tValue    *big.Rat\n}\n\n// Convert applies the rate to an amount in minor units, rounding half to even.\nfunc (r Rate) Convert(minor int64) int64 {\n\tv := new(big.Rat).Mul(big.NewRat(minor, 1), r.Value)\n\tf, _ := v.Float64()\n\treturn int64(math.RoundToEven(f))\n}\n")
	o1 := s.commit("Add FX rates" + claudeCoAuth)
	s.appendTo("ledger/balance.go", "\n// BalanceIn converts a balance into another currency at rate.\nfunc BalanceIn(b Balance, rate Rate) Balance {\n\tb.Minor = rate.Convert(b.Minor)\n\tb.Currency = rate.To\n\treturn b\n}\n")
	o2 := s.commit("Convert balances between currencies" + claudeCoAuth)
	s.write("ledger/fx_test.go", goTest("ledger", "rate", "EUR to USD", "USD to JPY rounds", "same currency", "zero rate"))
	o3 := s.commit("Test FX conversion" + claudeCoAuth)
	s.done()

	mainWT.write("ledger/entry.go", mainWT.read("ledger/entry.go")+goFunc("entry", "archive"))
	sc.human(mainWT, bob, at(10, 0), "teammate on main during the session", "ledger: archive old entries")
	sc.noise(mainWT, dana, at(9, 40), "ledger/snapshot.go", "balance", "snapshot")

	g := sc.session(transcript.ToolGemini, bob, mainWT, at(14, 0), "/home/bob/ledger", "")
	g.ask("Add a monthly report of posted entries and mention it in the README.")
	g.write("ledger/report.go", "package ledger\n\n// MonthlyReport sums posted entries per account for one month.\nfunc MonthlyReport(entries []Entry, month time.Month) map[string]int64 {\n\tsums := map[string]int64{}\n\tfor _, e := range entries {\n\t\tif e.PostedAt.Month() == month {\n\t\t\tsums[e.Account] += e.Minor\n\t\t}\n\t}\n\treturn sums\n}\n")
	g.appendTo("README.md", "- `ledger report --month 2025-10` prints the monthly report.\n")
	g.say("Added MonthlyReport.")
	g.done()
	sc.human(mainWT, bob, at(14, 40), "the user commits the Gemini session's work", "Add monthly report", g)

	// Next day: rebase onto main, then squash-merge into main.
	r.git(commitEnv(chen, at(33, 30), chen, at(33, 30)), "", "rebase", "-q", "main")
	copies := r.log("main..feature/fx")
	require.Len(t, copies, 3)
	for i, orig := range []string{o1, o2, o3} {
		sc.addCommit(r, copies[i], "feature/fx", nil).note = "rebased copy"
		sc.copyOf(orig, copies[i])
	}
	mainWT.git(nil, "", "merge", "--squash", "feature/fx")
	squash := sc.human(mainWT, chen, at(34, 0), "squash merge of the feature branch", "Add FX conversion (#42)\n\n* Add FX rates\n* Convert balances between currencies\n* Test FX conversion\n\nCo-authored-by: Claude <noreply@anthropic.com>")
	for _, orig := range append([]string{o1, o2, o3}, copies...) {
		sc.copyOf(orig, squash)
	}
	sc.noise(mainWT, dana, at(34, 30), "ledger/cache.go", "entry", "drop")
	return sc
}

// The user works from a Claude Code session that never commits and
// commits its work in pieces over two days, with a personal git address
// that is not the one their account knows; a teammate's Claude session
// edits one of the same files in the afternoon.
func scenarioPiecemeal(t *testing.T) *scenario {
	sc := newScenario(t, "piecemeal", "github.com/acme/atlas")
	r := sc.repo
	sc.seed(map[string]string{
		"web/src/api.ts":       "export const api = {\n  get: (path: string) => fetch(`/api${path}`),\n};\n",
		"web/src/app.ts":       "import { api } from './api';\n\nexport function start() {\n  console.log('atlas web starting');\n}\n",
		"docs/architecture.md": mdDoc("Architecture", "The web client talks to the API over JSON."),
	})
	personal := person{"Ellis Park", "ellis@personal.dev"}
	danaWT := r.worktree("dana", "dana-clone", "main")
	danaWT.branch = "main" // her clone pushes to main too

	w := sc.session(transcript.ToolClaudeCode, ellis, r, at(13, 0), "/Users/ellis/code/atlas", "")
	w.ask("Add invoice and coupon clients to the web app, plus docs. Don't commit, I'll review.")
	w.write("web/src/invoice.ts", tsModule("invoice", "fetch", "void"))
	w.write("web/src/coupon.ts", tsModule("coupon", "apply", "expire"))
	w.edit("web/src/api.ts", "  get: (path: string) => fetch(`/api${path}`),\n", "  get: (path: string) => fetch(`/api${path}`, { credentials: 'include' }),\n  post: (path: string, body: unknown) =>\n    fetch(`/api${path}`, { method: 'POST', body: JSON.stringify(body), credentials: 'include' }),\n")
	w.write("docs/invoices.md", mdDoc("Invoices", "Invoices are fetched with invoiceFetch(id).", "Voiding calls POST /invoice/{id}/void and cannot be undone.", "Coupons expire at midnight UTC on their last day."))
	w.say("Ready for review: invoice.ts, coupon.ts, api.ts and docs/invoices.md.")
	w.done()

	danaWT.write("web/src/api.ts", danaWT.read("web/src/api.ts")+"\nexport const apiVersion = 'v2';\n")
	sc.human(danaWT, dana, at(13, 20), "teammate, same branch, same file, own code, during the session", "api: expose the API version")

	sc.humanPaths(r, personal, at(14, 5), "the user commits part of the session's work", "Add the invoice client", []string{"web/src/invoice.ts", "web/src/api.ts"}, w)

	d := sc.session(transcript.ToolClaudeCode, dana, danaWT, at(15, 0), "/home/dana/atlas", "")
	d.ask("Add a retry wrapper around api.get and commit it.")
	d.appendTo("web/src/api.ts", "\nexport async function getWithRetry(path: string, attempts = 3): Promise<Response> {\n  for (let i = 1; ; i++) {\n    const res = await api.get(path);\n    if (res.ok || i >= attempts) return res;\n    await new Promise((r) => setTimeout(r, 200 * 2 ** i));\n  }\n}\n")
	d.commit("Retry API reads with backoff" + claudeTrailer)
	d.done()
	sc.noise(danaWT, dana, at(16, 0), "web/src/app.ts", "session", "prune")

	r.write("web/src/coupon.ts", humanTouch(r.read("web/src/coupon.ts"), "couponName", "couponCode", "", "export const COUPON_LIMIT = 3;"))
	sc.humanPaths(r, personal, at(16, 45), "the user commits more of the session's work, edited", "Add the coupon client", []string{"web/src/coupon.ts"}, w)
	r.write("docs/invoices.md", strings.Replace(r.read("docs/invoices.md"), "cannot be undone", "cannot be undone (ask finance first)", 1))
	sc.humanPaths(r, personal, at(34, 0), "the session's docs, next morning", "Document invoices and coupons", []string{"docs/invoices.md"}, w)
	r.write("docs/architecture.md", r.read("docs/architecture.md")+"- Invoices and coupons have their own client modules.\n")
	sc.human(r, personal, at(34, 20), "same user, a file the session did not edit", "Architecture: mention the new clients")
	return sc
}

// Three sessions of one user on the same file in one day (two Claude
// Code, one Codex), plus a teammate's Gemini session on a branch.
func scenarioSameFileThreeSessions(t *testing.T) *scenario {
	sc := newScenario(t, "same-file-three-sessions", "github.com/acme/auth")
	r := sc.repo
	sc.seed(map[string]string{
		"internal/auth/jwt.go":     goService("auth", "token", "sign", "verify"),
		"internal/auth/session.go": goService("auth", "session", "open", "close"),
	})
	bobWT := r.worktree("bob", "bob/audit", "main")

	a := sc.session(transcript.ToolClaudeCode, ada, r, at(9, 0), "/home/ada/src/auth", "")
	a.ask("Add refresh tokens to jwt.go and commit.")
	a.appendTo("internal/auth/jwt.go", "\n// Refresh issues a new token for a valid refresh token.\nfunc (s *TokenService) Refresh(ctx context.Context, refresh string) (string, error) {\n\tclaims, err := s.verifyRefresh(refresh)\n\tif err != nil {\n\t\treturn \"\", fmt.Errorf(\"refresh token: %w\", err)\n\t}\n\treturn s.sign(claims.Subject, s.clock().Add(15*time.Minute))\n}\n")
	a.commit("Add refresh tokens" + claudeTrailer)
	a.done()

	g := sc.session(transcript.ToolGemini, bob, bobWT, at(10, 0), "/home/bob/auth", "")
	g.ask("Log session opens and closes to the audit log.")
	g.edit("internal/auth/session.go", "\tsession.LastOpen = s.clock()\n", "\tsession.LastOpen = s.clock()\n\taudit.Record(ctx, \"session.open\", session.ID)\n")
	g.edit("internal/auth/session.go", "\tsession.LastClose = s.clock()\n", "\tsession.LastClose = s.clock()\n\taudit.Record(ctx, \"session.close\", session.ID)\n")
	g.done()
	sc.human(bobWT, bob, at(10, 30), "the teammate commits the Gemini session's work", "auth: audit session opens and closes", g)

	r.write("internal/auth/session.go", strings.Replace(r.read("internal/auth/session.go"), "manages session records", "manages login session records", 1))
	sc.human(r, ada, at(11, 0), "same user, hotfix in another file between sessions", "auth: clarify SessionService doc")

	b := sc.session(transcript.ToolClaudeCode, ada, r, at(13, 0), "/home/ada/src/auth", "")
	b.ask("Add token revocation to jwt.go and commit.")
	b.appendTo("internal/auth/jwt.go", "\n// Revoke makes a token unusable before it expires.\nfunc (s *TokenService) Revoke(ctx context.Context, jti string) error {\n\treturn s.store.AddRevoked(ctx, jti, s.clock().Add(24*time.Hour))\n}\n")
	b.commit("Add token revocation" + claudeTrailer)
	b.done()

	c := sc.session(transcript.ToolCodex, ada, r, at(16, 0), "/home/ada/src/auth", "git@github.com:acme/auth.git")
	c.ask("Rotate signing keys: load them from keys.go and sign with the newest.")
	c.write("internal/auth/keys.go", "package auth\n\n// SigningKey is one key of the rotation, newest first.\ntype SigningKey struct {\n\tID     string\n\tSecret []byte\n}\n\n// newestKey returns the key new tokens are signed with.\nfunc newestKey(keys []SigningKey) SigningKey {\n\treturn keys[0]\n}\n")
	c.edit("internal/auth/jwt.go", "// Revoke makes a token unusable before it expires.\n", "// Revoke makes a token unusable before it expires, whichever key signed it.\n")
	c.say("Keys rotate now; not committed.")
	c.done()
	sc.human(r, ada, at(16, 50), "the user commits the Codex session's work", "Rotate JWT signing keys", c)
	sc.noise(bobWT, bob, at(15, 20), "internal/auth/cache.go", "token", "evict")
	sc.noise(bobWT, bob, at(13, 30), "internal/auth/jwt.go", "token", "audit")
	sc.readOnly(transcript.ToolCodex, ada, r, at(9, 5), "/home/ada/src/auth", "git@github.com:acme/auth.git",
		"How long do access tokens live?", "Fifteen minutes; refresh tokens are checked by verifyRefresh.")
	r.write("internal/auth/jwt.go", r.read("internal/auth/jwt.go")+goFunc("token", "preload"))
	sc.human(r, ada, at(17, 45), "same user, same file, own code after the last session", "auth: preload tokens")
	return sc
}

// Cursor transcripts record no times at all: only files and content can
// link them.
func scenarioCursor(t *testing.T) *scenario {
	sc := newScenario(t, "cursor-no-times", "github.com/acme/web")
	r := sc.repo
	sc.seed(map[string]string{
		"src/config/load.ts": "import { readFileSync } from 'fs';\n\nexport function loadConfig(path: string): Config {\n  return JSON.parse(readFileSync(path, 'utf8')) as Config;\n}\n",
		"src/app.ts":         "import { loadConfig } from './config/load';\n\nconst cfg = loadConfig(process.env.CONFIG_PATH ?? 'config.json');\n",
		"CHANGELOG.md":       "# Changelog\n\n## 1.4.0\n- Dark mode.\n",
	})

	k := sc.session(transcript.ToolCursor, chen, r, time.Time{}, "/home/chen/web", "")
	k.ask("Rename the config loader to readConfig and add a schema check")
	k.edit("src/config/load.ts", "export function loadConfig(path: string): Config {\n  return JSON.parse(readFileSync(path, 'utf8')) as Config;\n", "export function readConfig(path: string): Config {\n  const raw = JSON.parse(readFileSync(path, 'utf8'));\n  return configSchema.parse(raw);\n")
	k.write("src/config/schema.ts", "import { z } from 'zod';\n\nexport const configSchema = z.object({\n  port: z.number().int().positive(),\n  databaseUrl: z.string().url(),\n  featureFlags: z.record(z.boolean()).default({}),\n});\n\nexport type Config = z.infer<typeof configSchema>;\n")
	k.edit("src/app.ts", "import { loadConfig } from './config/load';\n\nconst cfg = loadConfig(", "import { readConfig } from './config/load';\n\nconst cfg = readConfig(")
	k.say("Renamed and added a zod schema.")
	k.done()
	sc.human(r, chen, at(11, 30), "the user commits the Cursor session's work", "Validate the config with a schema", k)

	r.write("CHANGELOG.md", r.read("CHANGELOG.md")+"\n## 1.5.0\n- Config is validated at start-up.\n")
	sc.human(r, chen, at(11, 40), "same user, a file no session edited", "Changelog for 1.5.0")

	k2 := sc.session(transcript.ToolCursor, chen, r, time.Time{}, "/home/chen/web", "")
	k2.ask("Log the port on start-up")
	k2.appendTo("src/app.ts", "console.info(`atlas web listening on port ${cfg.port}`);\nprocess.on('SIGTERM', () => console.info('atlas web stopping'));\n")
	k2.say("Added start-up and shutdown logging.")
	k2.done()
	sc.human(r, chen, at(14, 0), "the user commits the second Cursor session's work", "Log the port and shutdown", k2)

	r.write("src/config/load.ts", r.read("src/config/load.ts")+"\nexport function configPath(): string {\n  return process.env.CONFIG_PATH ?? `${process.cwd()}/config.json`;\n}\n")
	sc.human(r, dana, at(15, 0), "teammate, a file of the first session, own code", "config: resolve the default path")
	sc.noise(r, dana, at(15, 30), "src/app.ts", "config", "reload")
	sc.noise(r, ellis, at(16, 0), "CHANGELOG.md", "release", "tag")
	return sc
}

// A session that names commits: an old one (the regression), the commit
// it makes, and a teammate's commit it pulled in, which it did not make.
func scenarioHashMentions(t *testing.T) *scenario {
	sc := newScenario(t, "hash-mentions", "github.com/acme/shop-api")
	r := sc.repo
	sc.seed(map[string]string{
		"api/client.go": goHandler("api", "order"),
		"api/retry.go":  "package api\n\nimport \"time\"\n\n// backoff is the wait before attempt n.\nfunc backoff(n int) time.Duration {\n\treturn time.Duration(n) * 100 * time.Millisecond\n}\n",
	})
	bobWT := r.worktree("bob", "bob/api", "main")
	r.write("api/retry.go", strings.Replace(r.read("api/retry.go"), "100 * time.Millisecond", "10 * time.Millisecond", 1))
	regression := sc.human(r, ada, at(8, 30), "an older commit the session names", "api: shorter backoff")

	bobSHA := ""
	bobWT.write("api/orders.go", goService("api", "order", "ship"))
	bobSHA = sc.human(bobWT, bob, at(9, 25), "teammate's commit on his branch, which the session names", "api: ship orders")

	h := sc.session(transcript.ToolClaudeCode, ada, r, at(9, 20), "/home/ada/src/shop-api", "")
	h.ask("Retries hammer the API since " + regression[:7] + ". Restore a sane exponential backoff and commit.")
	h.run("git log --oneline -3", regression[:7]+" api: shorter backoff\n")
	h.edit("api/retry.go", "\treturn time.Duration(n) * 10 * time.Millisecond\n", "\treturn time.Duration(1<<n) * 100 * time.Millisecond // exponential, as before "+regression[:7]+"\n")
	h.say("Bob's " + bobSHA[:7] + " on his branch also touches the API, but not retries.")
	sha := h.commit("Restore exponential backoff" + claudeCoAuth)
	h.say("Committed " + sha[:7] + ".")
	h.done()
	sc.noise(bobWT, bob, at(9, 40), "api/cache.go", "order", "warm")
	sc.noise(r, ada, at(12, 0), "api/retry.go", "retry", "jitter")
	return sc
}

// A busy trunk: a Copilot session whose edits the user commits while
// four teammates commit to the same branch, one to the same file; then a
// Claude Code session of a teammate.
func scenarioBusyTrunk(t *testing.T) *scenario {
	sc := newScenario(t, "busy-trunk", "github.com/acme/platform")
	r := sc.repo
	sc.seed(map[string]string{
		"services/billing/invoice.go":      goService("billing", "invoice", "issue"),
		"services/billing/invoice_test.go": goTest("billing", "invoice", "issued", "draft"),
		"services/billing/tax.go":          goService("billing", "tax", "compute"),
		"services/search/index.go":         goService("search", "index", "build"),
		"docs/billing.md":                  mdDoc("Billing", "Invoices are issued monthly."),
	})
	remote := "https://github.com/acme/platform"
	team := r.worktree("team", "team-clone", "main")
	team.branch = "main" // teammates push to main from their clones

	p := sc.session(transcript.ToolCopilot, ada, r, at(10, 0), "/home/ada/platform", remote)
	p.ask("Add credit notes to invoices.")
	p.appendTo("services/billing/invoice.go", "\n// CreditNote reverses part of an issued invoice.\ntype CreditNote struct {\n\tInvoiceID string\n\tMinor     int64\n\tReason    string\n}\n")
	p.appendTo("services/billing/invoice_test.go", "\nfunc TestCreditNoteReversesInvoice(t *testing.T) {\n\tnote := CreditNote{InvoiceID: \"inv_1\", Minor: 500, Reason: \"damaged\"}\n\tif note.Minor <= 0 {\n\t\tt.Fatal(\"credit notes are positive amounts\")\n\t}\n}\n")
	p.say("Added CreditNote and a test.")
	p.done()

	sc.noise(team, bob, at(10, 10), "services/billing/invoice.go", "invoice", "prefetch")
	sc.noise(team, chen, at(10, 20), "services/search/index.go", "index", "compact")
	sc.human(r, ada, at(10, 40), "the user commits the Copilot session's edits", "billing: credit notes", p)
	sc.noise(team, dana, at(10, 45), "services/billing/tax.go", "tax", "cache")
	team.write("docs/billing.md", team.read("docs/billing.md")+"- Disputes are handled by the finance team within 5 days.\n")
	sc.human(team, ellis, at(11, 30), "teammate, docs", "docs: disputes")
	r.write("services/search/index.go", r.read("services/search/index.go")+goFunc("index", "reindex"))
	sc.human(r, ada, at(12, 0), "same user, other files, after the session", "search: reindex")

	q := sc.session(transcript.ToolClaudeCode, chen, r, at(13, 0), "/home/chen/platform", "")
	q.ask("Write a ranker for search results by recency and popularity, commit it.")
	q.write("services/search/ranker.go", "package search\n\nimport \"math\"\n\n// Score ranks a result: popular and recent results first.\nfunc Score(views int, ageHours float64) float64 {\n\tpopularity := math.Log1p(float64(views))\n\trecency := math.Exp(-ageHours / 72)\n\treturn 0.7*popularity + 0.3*recency\n}\n")
	q.commit("search: rank by popularity and recency" + claudeTrailer)
	q.edit("services/search/ranker.go", "\treturn 0.7*popularity + 0.3*recency\n", "\tscore := 0.7*popularity + 0.3*recency\n\tif math.IsNaN(score) {\n\t\treturn 0\n\t}\n\treturn score\n")
	q.say("Guarded against NaN; not committed yet.")
	q.done()
	r.write("services/search/ranker.go", humanTouch(r.read("services/search/ranker.go"), "score", "s", "", "// Weights are tuned on October's click logs."))
	sc.human(r, chen, at(13, 50), "the teammate commits the rest of their session, edited", "search: guard ranker against NaN", q)
	sc.noise(team, dana, at(14, 30), "services/billing/tax.go", "tax", "refresh")
	sc.noise(team, bob, at(13, 20), "services/search/ranker_cache.go", "rank", "evict")
	sc.readOnly(transcript.ToolClaudeCode, bob, team, at(13, 10), "/home/bob/platform", "",
		"Which services read the billing tax tables?", "Only services/billing: tax.go computes, invoice.go reads the result.")
	return sc
}

// A long Claude Code session making many small commits, some with short
// generic messages, then the user's follow-up push.
func scenarioManySmallCommits(t *testing.T) *scenario {
	sc := newScenario(t, "many-small-commits", "github.com/acme/cli")
	r := sc.repo
	sc.seed(map[string]string{
		"cmd/root.go":   "package cmd\n\nimport \"github.com/spf13/cobra\"\n\nvar root = &cobra.Command{Use: \"acme\", Short: \"The acme command line\"}\n",
		"cmd/login.go":  goHandler("cmd", "login"),
		"internal/x.go": goService("internal", "profile", "load"),
	})
	d := sc.session(transcript.ToolClaudeCode, dana, r, at(9, 0), "/home/dana/cli", "")
	d.ask("Add subcommands: status, logout, whoami, version, each in its own commit. Fix lint at the end.")
	for i, sub := range []string{"status", "logout", "whoami", "version"} {
		d.write("cmd/"+sub+".go", fmt.Sprintf("package cmd\n\nimport \"github.com/spf13/cobra\"\n\n// %[1]sCmd prints the %[1]s of the current profile.\nvar %[1]sCmd = &cobra.Command{\n\tUse:   %[2]q,\n\tShort: \"Show %[1]s information\",\n\tRunE: func(cmd *cobra.Command, args []string) error {\n\t\treturn print%[3]s(cmd.OutOrStdout())\n\t},\n}\n\nfunc init() { root.AddCommand(%[1]sCmd) }\n", sub, sub, title(sub)))
		msg := "Add the " + sub + " command"
		if i%2 == 0 {
			msg += claudeCoAuth
		}
		d.commit(msg)
		d.wait(20 * time.Minute)
	}
	d.edit("cmd/login.go", "\t\tid := r.PathValue(\"login_id\")\n", "\t\tid := r.PathValue(\"login_id\") //nolint:gosec // validated by the router\n")
	d.commit("fix lint")
	d.ask("Give whoami a --json flag; leave it uncommitted, I'll review it.")
	d.appendTo("cmd/whoami.go", "\nvar whoamiJSON bool\n\nfunc init() {\n\twhoamiCmd.Flags().BoolVar(&whoamiJSON, \"json\", false, \"print the profile as JSON\")\n}\n")
	d.say("All commands are in; lint is clean; --json is ready for review.")
	d.done()
	r.write("cmd/whoami.go", humanTouch(strings.Replace(r.read("cmd/whoami.go"), "Show whoami information", "Show who you are logged in as", 1), "print the profile as JSON", "print the profile as JSON instead of text"))
	sc.human(r, dana, at(11, 0), "the user commits the session's last change after review", "whoami: --json", d)
	sc.noise(r, ellis, at(9, 30), "internal/cache.go", "profile", "evict")
	r.write("cmd/root.go", r.read("cmd/root.go")+"\nfunc init() { root.SilenceUsage = true }\n")
	sc.human(r, ellis, at(10, 15), "teammate, same branch, a file the session did not touch", "cmd: silence usage on errors")
	sc.noise(r, ellis, at(12, 30), "cmd/status.go", "status", "cache")
	return sc
}

// A chat-only session (no tools): the user pastes the code the assistant
// showed; another chat quotes existing code and leads to nothing.
func scenarioChatOnly(t *testing.T) *scenario {
	sc := newScenario(t, "chat-only", "github.com/acme/mobile")
	r := sc.repo
	sc.seed(map[string]string{
		"src/store/reducer.ts":   "export function reducer(state: State, action: Action): State {\n  switch (action.type) {\n    case 'search/set':\n      return { ...state, query: action.query };\n    default:\n      return state;\n  }\n}\n",
		"src/screens/Search.tsx": "export function Search() {\n  const [query, setQuery] = useState('');\n  return <TextInput value={query} onChangeText={setQuery} />;\n}\n",
	})
	remote := "https://github.com/acme/mobile"
	c := sc.session(transcript.ToolCopilot, bob, r, at(10, 0), "/home/bob/mobile", remote)
	c.ask("How do I debounce the search box?")
	hook := "import { useEffect, useState } from 'react';\n\nexport function useDebounce<T>(value: T, delayMs = 300): T {\n  const [debounced, setDebounced] = useState(value);\n  useEffect(() => {\n    const timer = setTimeout(() => setDebounced(value), delayMs);\n    return () => clearTimeout(timer);\n  }, [value, delayMs]);\n  return debounced;\n}\n"
	c.say("Use a small hook:\n\n```ts\n" + hook + "```\n\nThen search with `useDebounce(query)` instead of `query`.")
	c.done()
	r.write("src/hooks/useDebounce.ts", hook)
	r.edit("src/screens/Search.tsx", "  const [query, setQuery] = useState('');\n", "  const [query, setQuery] = useState('');\n  const debouncedQuery = useDebounce(query, 250);\n  useSearch(debouncedQuery);\n")
	sc.human(r, bob, at(10, 25), "the user pastes the code the chat showed", "Debounce the search box", c)

	g := sc.session(transcript.ToolGemini, bob, r, at(13, 0), "/home/bob/mobile", "")
	g.ask("Explain this reducer")
	g.say("It handles one action:\n\n```ts\n    case 'search/set':\n      return { ...state, query: action.query };\n```\n\nEverything else returns the state unchanged.")
	g.done()
	r.edit("src/store/reducer.ts", "    default:\n", "    case 'search/clear':\n      return { ...state, query: '', results: [] };\n    default:\n")
	sc.human(r, bob, at(13, 30), "the user's own change after a chat that quoted the file", "Clear search results")
	sc.noise(r, dana, at(11, 0), "src/store/reducer.ts", "query", "trim")
	sc.noise(r, chen, at(14, 0), "src/screens/Search.tsx", "search", "focus")
	return sc
}

// --- Holdout scenarios ------------------------------------------------
//
// Written after the model's weights were frozen, to check that the
// numbers above are not an artefact of tuning on the first eleven
// scenarios; the report lists them separately.

// An amended commit, and a cherry-pick to a release branch the next day.
func scenarioCherryPickAmend(t *testing.T) *scenario {
	sc := newScenario(t, "holdout-cherry-pick-amend", "github.com/acme/relay")
	r := sc.repo
	sc.seed(map[string]string{
		"relay/queue.go":  goService("relay", "message", "enqueue", "ack"),
		"relay/worker.go": "package relay\n\n// Work drains the queue.\nfunc Work(q *Queue) {\n\tfor m := range q.C {\n\t\thandle(m)\n\t}\n}\n",
		"VERSION":         "1.2.0\n",
	})
	r.git(nil, "", "branch", "release/1.2")
	rel := r.worktree("release", "release/1.2", "release/1.2")

	s := sc.session(transcript.ToolClaudeCode, chen, r, at(9, 0), "/home/chen/relay", "")
	s.ask("Deduplicate messages by id before handling them; commit in two steps.")
	s.write("relay/dedupe.go", "package relay\n\nimport \"sync\"\n\n// seenIDs remembers message ids already handled.\ntype seenIDs struct {\n\tmu  sync.Mutex\n\tids map[string]struct{}\n}\n\n// firstTime reports whether id is new, and remembers it.\nfunc (s *seenIDs) firstTime(id string) bool {\n\ts.mu.Lock()\n\tdefer s.mu.Unlock()\n\tif _, dup := s.ids[id]; dup {\n\t\treturn false\n\t}\n\ts.ids[id] = struct{}{}\n\treturn true\n}\n")
	dedupe := s.commit("Add a message id set for deduplication" + claudeCoAuth)
	s.edit("relay/worker.go", "\tfor m := range q.C {\n\t\thandle(m)\n\t}\n", "\tseen := &seenIDs{ids: map[string]struct{}{}}\n\tfor m := range q.C {\n\t\tif seen.firstTime(m.ID) {\n\t\t\thandle(m)\n\t\t}\n\t}\n")
	worker := s.commit("Skip duplicate messages in the worker" + claudeCoAuth)
	s.done()

	// The user amends the second commit: same author date, new hash.
	r.edit("relay/worker.go", "\t\t\thandle(m)\n", "\t\t\thandle(m) // at most once per id\n")
	r.git(nil, "", "add", "-A")
	r.git(commitEnv(chen, at(9, 5), chen, at(9, 50)), "", "commit", "-q", "--amend", "--no-edit", "--date", fmt.Sprintf("%d +0000", at(9, 5).Unix()))
	amended := strings.TrimSpace(r.git(nil, "", "rev-parse", "HEAD"))
	sc.addCommit(r, amended, r.branch, nil).note = "amended by the user"
	sc.copyOf(worker, amended)

	r.write("relay/queue.go", r.read("relay/queue.go")+goFunc("message", "requeue"))
	sc.human(r, dana, at(14, 0), "teammate, same branch, a file the session did not edit", "relay: requeue messages")

	rel.git(commitEnv(chen, at(9, 10), bob, at(35, 0)), "", "cherry-pick", "-x", dedupe)
	picked := strings.TrimSpace(rel.git(nil, "", "rev-parse", "HEAD"))
	sc.addCommit(rel, picked, rel.branch, nil).note = "cherry-picked to the release branch"
	sc.copyOf(dedupe, picked)
	rel.write("VERSION", "1.2.1\n")
	sc.human(rel, bob, at(35, 10), "teammate's release bump", "Release 1.2.1")
	return sc
}

// Three sessions of one user at once in three worktrees of one
// repository (Claude Code, Codex, Copilot), two of them on the same file.
func scenarioConcurrentWorktrees(t *testing.T) *scenario {
	sc := newScenario(t, "holdout-concurrent-worktrees", "github.com/acme/maps")
	r := sc.repo
	sc.seed(map[string]string{
		"maps/tiles.go": goService("maps", "tile", "render"),
		"maps/geo.go":   goService("maps", "point", "project"),
	})
	wa := r.worktree("tiles", "feature/tiles", "main")
	wb := r.worktree("geo", "feature/geo", "main")
	remote := "https://github.com/acme/maps"

	a := sc.session(transcript.ToolClaudeCode, ada, wa, at(10, 0), "/home/ada/maps-tiles", "")
	a.ask("Cache rendered tiles in memory and commit.")
	a.write("maps/cache.go", "package maps\n\n// tileCache keeps rendered tiles by z/x/y.\ntype tileCache struct {\n\tbyKey map[[3]int][]byte\n\tlimit int\n}\n\nfunc (c *tileCache) get(z, x, y int) ([]byte, bool) {\n\tb, ok := c.byKey[[3]int{z, x, y}]\n\treturn b, ok\n}\n")
	a.edit("maps/tiles.go", "\ttile, err := s.store.GetTile(ctx, id)\n", "\tif cached, ok := s.cache.get(id.Z, id.X, id.Y); ok {\n\t\treturn cached, nil\n\t}\n\ttile, err := s.store.GetTile(ctx, id)\n")
	a.commit("Cache rendered tiles" + claudeTrailer)
	a.done()

	b := sc.session(transcript.ToolCodex, ada, wb, at(10, 10), "/home/ada/maps-geo", "git@github.com:acme/maps.git")
	b.ask("Project points with Web Mercator and clamp latitudes.")
	b.edit("maps/geo.go", "\tpoint, err := s.store.GetPoint(ctx, id)\n", "\tpoint, err := s.store.GetPoint(ctx, id)\n\tpoint.Lat = math.Max(-85.05112878, math.Min(85.05112878, point.Lat))\n")
	b.edit("maps/tiles.go", "// TileService manages tile records.\n", "// TileService manages tile records in Web Mercator (EPSG:3857).\n")
	b.say("Done, not committed.")
	b.done()

	c := sc.session(transcript.ToolCopilot, ada, r, at(10, 20), "/home/ada/maps", remote)
	c.ask("Add a doc comment on the projection units to geo.go")
	c.edit("maps/geo.go", "// PointService manages point records.\n", "// PointService manages point records; coordinates are WGS84 degrees.\n")
	c.say("Added.")
	c.done()
	sc.human(r, ada, at(10, 45), "the user commits the Copilot session's edit on main", "geo: document units", c)
	sc.human(wb, ada, at(10, 50), "the user commits the Codex session's work", "Clamp latitudes for Web Mercator", b)
	sc.noise(r, bob, at(11, 10), "maps/tiles.go", "tile", "purge")
	return sc
}

// A session resumed the next morning; a teammate commits the same file
// in between.
func scenarioResumedSession(t *testing.T) *scenario {
	sc := newScenario(t, "holdout-resumed-session", "github.com/acme/notes")
	r := sc.repo
	sc.seed(map[string]string{
		"notes/store.go": goService("notes", "note", "save", "delete"),
		"notes/index.go": goService("notes", "index", "rebuild"),
	})
	team := r.worktree("team", "team-clone", "main")
	team.branch = "main"

	s := sc.session(transcript.ToolClaudeCode, ellis, r, at(16, 0), "/Users/ellis/notes", "")
	s.ask("Add full-text search over notes.")
	s.write("notes/search.go", "package notes\n\nimport \"strings\"\n\n// Search returns notes whose title or body contains every term.\nfunc Search(all []Note, query string) []Note {\n\tterms := strings.Fields(strings.ToLower(query))\n\tvar hits []Note\n\tfor _, n := range all {\n\t\ttext := strings.ToLower(n.Title + \" \" + n.Body)\n\t\tif containsAll(text, terms) {\n\t\t\thits = append(hits, n)\n\t\t}\n\t}\n\treturn hits\n}\n")
	s.write("notes/search_test.go", goTest("notes", "query", "single term", "two terms", "case folding", "no match"))
	s.say("Search is in; the helper containsAll comes tomorrow.")
	sc.humanPaths(r, ellis, at(17, 30), "the user commits the first half that evening", "Add note search", []string{"notes/search.go"}, s)
	team.write("notes/index.go", team.read("notes/index.go")+goFunc("index", "compact"))
	sc.human(team, bob, at(18, 0), "teammate, same branch, other file, between the two halves", "notes: compact the index")
	team.write("notes/search.go", "package notes\n\n// SearchLimit caps the results of one search.\nconst SearchLimit = 50\n")
	sc.human(team, bob, at(19, 0), "teammate creates the same file name with other code", "notes: search limit")
	s.wait(15 * time.Hour)
	s.ask("Now containsAll and commit everything.")
	s.appendTo("notes/search.go", "\n// containsAll reports whether text contains every term.\nfunc containsAll(text string, terms []string) bool {\n\tfor _, t := range terms {\n\t\tif !strings.Contains(text, t) {\n\t\t\treturn false\n\t\t}\n\t}\n\treturn true\n}\n")
	s.commit("Match every search term" + claudeTrailer)
	s.done()
	return sc
}
