package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// GenConfig sizes a synthetic dataset.
type GenConfig struct {
	// Seed makes everything deterministic: the same GenConfig always
	// gives the same orgs, users, texts and vectors.
	Seed uint64
	// Messages is the total number of (user and assistant) messages.
	Messages int
	// Orgs is the number of organizations. Default Messages/500, at
	// least 10.
	Orgs int
	// ZipfS is the exponent of the org size distribution: org k gets a
	// share proportional to k^-ZipfS. Default 1.5, which gives the largest
	// org about 40% of all messages and a long tail of tiny ones.
	ZipfS float64
	// Now is the end of the 180-day window conversations fall in.
	// Default 2026-11-30T00:00:00Z (a fixed date: no clock is read).
	Now time.Time
}

func (c GenConfig) withDefaults() GenConfig {
	if c.Orgs <= 0 {
		c.Orgs = max(10, c.Messages/500)
	}
	if c.ZipfS <= 0 {
		c.ZipfS = 1.5
	}
	if c.Now.IsZero() {
		c.Now = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	}
	return c
}

// Plan is a dataset's tenants and the shape of its conversations; the
// conversations themselves are generated on demand (Conversation), so a
// million messages never sit in memory at once.
type Plan struct {
	Config GenConfig
	Orgs   []PlanOrg
	// Total counts.
	Users, Conversations, Messages int
	vectors                        *VectorModel
}

// PlanOrg is one organization of a plan.
type PlanOrg struct {
	Index    int
	ID       uuid.UUID
	Slug     string
	Messages int
	Users    []PlanUser
	Teams    int
	Repos    []PlanRepo
	// ConvLengths are the message counts of its conversations, in order.
	ConvLengths []int
	// FirstConv is the plan-wide index of its first conversation.
	FirstConv int
	userCDF   []float64 // activity: who starts conversations
}

// PlanUser is a member of an org.
type PlanUser struct {
	ID    uuid.UUID
	Email string
	Name  string
	Role  string // admin, manager, developer
	Team  int    // index of the user's team
	Lead  bool
}

// PlanRepo is a repository of an org with its branches.
type PlanRepo struct {
	Name, Remote, Key string // Key is the normalised form stored in conversations.repo
	Branches          []string
}

// Conversation is one generated conversation.
type Conversation struct {
	Org       *PlanOrg
	Index     int // within the org
	ID        uuid.UUID
	Topic     int
	User      int // index into Org.Users
	Tool      string
	Model     string
	Repo      int // index into Org.Repos
	Branch    string
	Title     string
	StartedAt time.Time
	Messages  []Message
}

// Message is one generated message.
type Message struct {
	Role   string // user or assistant
	Text   string
	SentAt time.Time
}

// NewPlan lays out the orgs, members, teams, repositories and
// conversation lengths of a dataset.
func NewPlan(cfg GenConfig) *Plan {
	cfg = cfg.withDefaults()
	p := &Plan{Config: cfg, vectors: NewVectorModel(cfg.Seed)}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6f726773)) // "orgs"

	// Message budgets: Zipf shares, at least 2 messages each, rounding
	// remainder to the largest org so the total is exact.
	weights := make([]float64, cfg.Orgs)
	var sum float64
	for k := range weights {
		weights[k] = math.Pow(float64(k+1), -cfg.ZipfS)
		sum += weights[k]
	}
	budgets := make([]int, cfg.Orgs)
	assigned := 0
	for k := range budgets {
		budgets[k] = max(2, int(float64(cfg.Messages)*weights[k]/sum))
		assigned += budgets[k]
	}
	budgets[0] += cfg.Messages - assigned

	conv := 0
	for k, budget := range budgets {
		o := PlanOrg{Index: k, ID: uuidFrom(rng), Slug: fmt.Sprintf("bench-%s-%04d", orgWords[k%len(orgWords)], k), Messages: budget, FirstConv: conv}
		nUsers := min(400, max(2, (budget+599)/600))
		o.Teams = (nUsers + 7) / 8
		for u := range nUsers {
			pu := PlanUser{ID: uuidFrom(rng), Role: "developer", Team: u / 8, Lead: u%8 == 0}
			first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
			pu.Name = first + " " + last
			pu.Email = fmt.Sprintf("%s.%s.%d@%s.example", strings.ToLower(first), strings.ToLower(last), u, o.Slug)
			switch {
			case u == 0:
				pu.Role = "admin"
			case pu.Lead:
				pu.Role = "manager"
			}
			o.Users = append(o.Users, pu)
		}
		// Activity is skewed among members too (Zipf, exponent 1).
		o.userCDF = make([]float64, nUsers)
		var acc float64
		for u := range nUsers {
			acc += 1 / float64(u+1)
			o.userCDF[u] = acc
		}
		for u := range o.userCDF {
			o.userCDF[u] /= acc
		}
		nRepos := min(80, max(1, (nUsers+4)/5))
		for r := range nRepos {
			name := repoNames[(k+r)%len(repoNames)]
			if r >= len(repoNames) {
				name += "-" + strconv.Itoa(r/len(repoNames)+1)
			}
			repo := PlanRepo{Name: name, Remote: "git@github.com:" + o.Slug + "/" + name + ".git", Key: "github.com/" + o.Slug + "/" + name,
				Branches: []string{"main"}}
			for b := range 6 {
				t := topics[rng.IntN(len(topics))]
				repo.Branches = append(repo.Branches, fmt.Sprintf("%s/%s-%d", branchKinds[b%len(branchKinds)], pick(rng, t.terms), 100+rng.IntN(900)))
			}
			o.Repos = append(o.Repos, repo)
		}
		// Conversation lengths: 2 + 2×geometric (mean about 10), up to 40;
		// the last one takes what is left of the budget.
		for left := budget; left > 0; {
			n := 2
			for n < 40 && rng.Float64() < 0.8 {
				n += 2
			}
			if rng.IntN(5) == 0 {
				n-- // a final question without an answer yet
			}
			n = min(n, left)
			o.ConvLengths = append(o.ConvLengths, n)
			left -= n
		}
		conv += len(o.ConvLengths)
		p.Users += nUsers
		p.Messages += budget
		p.Orgs = append(p.Orgs, o)
	}
	p.Conversations = conv
	return p
}

// OrgByRank returns the org whose message count is closest to share of
// all messages (orgs are ranked largest first).
func (p *Plan) OrgNearShare(share float64) *PlanOrg {
	best := &p.Orgs[0]
	want := share * float64(p.Messages)
	for i := range p.Orgs {
		if math.Abs(float64(p.Orgs[i].Messages)-want) < math.Abs(float64(best.Messages)-want) {
			best = &p.Orgs[i]
		}
	}
	return best
}

// Vectors is the plan's vector model.
func (p *Plan) Vectors() *VectorModel { return p.vectors }

func uuidFrom(rng *rand.Rand) uuid.UUID {
	var u uuid.UUID
	hi, lo := rng.Uint64(), rng.Uint64()
	for i := range 8 {
		u[i] = byte(hi >> (8 * i))
		u[8+i] = byte(lo >> (8 * i))
	}
	u[6] = (u[6] & 0x0f) | 0x40
	u[8] = (u[8] & 0x3f) | 0x80
	return u
}

// convRNG is the random source of one conversation: it depends only on
// the seed and the conversation's plan-wide index, so conversations can be
// generated in any order and in parallel.
func (p *Plan) convRNG(global int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(p.Config.Seed^0x636f6e76, uint64(global)<<8|stream)) // "conv"
}

var tools = []struct {
	name   string
	weight int
	models []string
}{
	{"claude_code", 40, []string{"claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"}},
	{"cursor", 20, []string{"claude-sonnet-4-5", "gpt-5", "cursor-small"}},
	{"codex", 15, []string{"gpt-5-codex", "gpt-5"}},
	{"copilot", 12, []string{"gpt-4.1", "claude-sonnet-4-5"}},
	{"aider", 7, []string{"claude-sonnet-4-5", "deepseek-chat"}},
	{"gemini", 6, []string{"gemini-2.5-pro", "gemini-2.5-flash"}},
}

// Conversation generates conversation i of org o.
func (p *Plan) Conversation(o *PlanOrg, i int) Conversation {
	global := o.FirstConv + i
	rng := p.convRNG(global, 0)
	c := Conversation{Org: o, Index: i, ID: uuidFrom(rng)}
	c.Topic = rng.IntN(len(topics))
	u := rng.Float64()
	for c.User = 0; c.User < len(o.userCDF)-1 && o.userCDF[c.User] < u; c.User++ {
	}
	w := rng.IntN(100)
	for _, t := range tools {
		if w < t.weight {
			c.Tool, c.Model = t.name, t.models[rng.IntN(len(t.models))]
			break
		}
		w -= t.weight
	}
	c.Repo = rng.IntN(len(o.Repos))
	repo := o.Repos[c.Repo]
	c.Branch = repo.Branches[0]
	if rng.IntN(3) > 0 {
		c.Branch = repo.Branches[1+rng.IntN(len(repo.Branches)-1)]
	}
	window := 180 * 24 * time.Hour
	c.StartedAt = p.Config.Now.Add(-time.Duration(rng.Int64N(int64(window)))).Truncate(time.Second)

	w2 := newWriter(rng, c.Topic)
	c.Title = w2.title()
	at := c.StartedAt
	for m := range o.ConvLengths[i] {
		role := "user"
		if m%2 == 1 {
			role = "assistant"
		}
		c.Messages = append(c.Messages, Message{Role: role, Text: w2.message(role, m), SentAt: at})
		at = at.Add(time.Duration(20+rng.IntN(280)) * time.Second)
	}
	return c
}

// writer writes the text of one conversation: a main topic, sometimes a
// second one, and a focus (the few identifiers, files and errors the
// conversation keeps coming back to).
type writer struct {
	rng                 *rand.Rand
	t, t2               *topic
	idents, files, errs []string
	lastErr, lastIdent  string
}

func newWriter(rng *rand.Rand, topicIndex int) *writer {
	w := &writer{rng: rng, t: &topics[topicIndex], t2: &topics[topicIndex]}
	if rng.IntN(4) == 0 {
		w.t2 = &topics[rng.IntN(len(topics))]
	}
	for range 3 {
		w.idents = append(w.idents, pick(rng, w.t.idents))
		w.files = append(w.files, pick(rng, w.t.files))
	}
	w.errs = []string{pick(rng, w.t.errors), pick(rng, w.t.errors)}
	return w
}

// pick is skewed to the front of the list (its most common entries).
func pick(rng *rand.Rand, list []string) string {
	a, b := rng.IntN(len(list)), rng.IntN(len(list))
	return list[min(a, b)]
}

func (w *writer) title() string {
	return fmt.Sprintf(w.t.titles[w.rng.IntN(len(w.t.titles))], pick(w.rng, w.t.phrases))
}

var userSentences = []string{
	"I'm getting {e} when {vi} the {n} in {f}.",
	"Can you help me {v} the {p} in {f}?",
	"{i} {pr} and I don't understand why.",
	"Why does {i} return {val} after the {t} {n} changes?",
	"We recently changed the {t} {n} and now {i} {pr}.",
	"The {a} {t} {n} in {f} {pr}.",
	"Is there a better way to {v} the {p} without breaking {i}?",
	"This only happens in {n} when the {t} is {a}.",
	"I tried to {v} the {t} but {i} still {pr}.",
	"What is the right way to handle the {p} here?",
	"Our {p} {pr} since the last release.",
	"How should {i} deal with {a} {t} values?",
	"It worked yesterday, {fl} the {o} {n} was updated this morning.",
	"I also see {t} warnings {fl} I'm not sure they are related.",
	"Please {v} {f} so the {t} is checked before {i} runs.",
}

var assistantSentences = []string{
	"The problem is that {i} {pr}, so the {t} is {a} by the time the {n} runs.",
	"Look at {f}: the {p} is created before the {t} is set.",
	"You can {v} this by moving the {t} check into {i}.",
	"First, {v} the {n} so that {i} gets a fresh {t}.",
	"A {a} {t} here usually means the {p} was not configured.",
	"Make sure the {n} sets {i} before {vi} the {t}.",
	"This is a common issue with the {p}: {e} means the {t} {pr}.",
	"I changed {f} so that {i} handles the {t} explicitly.",
	"After this change run {c} to confirm that the {p} works.",
	"Another option is to {v} the {n} and keep the {t} in {i}.",
	"The {t} should be validated once, in {i}, not in every {n}.",
	"Note that {i} is called for every {n}, so a {a} {t} affects all of them.",
	"If you still see {e}, check the {p} in {f}.",
	"The {o} {n} is not involved here; the {t} comes from {i}.",
	"I would {v} the {p} first and {v} the {n} in a separate change.",
	"That explains why it only fails in {n}: the {t} there is {a}.",
}

var bulletSentences = []string{
	"- {V} the {t} in {f}.",
	"- {V} {i} to return an error instead of {val}.",
	"- Add a test for the {a} {t} case.",
	"- {V} the {p} and re-run {c}.",
	"- Keep the {t} in one place: {i}.",
}

func (w *writer) fill(tmpl string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		j := strings.IndexByte(tmpl[i:], '}')
		b.WriteString(tmpl[:i])
		b.WriteString(w.slot(tmpl[i+1 : i+j]))
		tmpl = tmpl[i+j+1:]
	}
}

func (w *writer) topicFor() *topic {
	if w.rng.IntN(5) == 0 {
		return w.t2
	}
	return w.t
}

func (w *writer) slot(name string) string {
	r := w.rng
	switch name {
	case "t":
		return pick(r, w.topicFor().terms)
	case "p":
		return pick(r, w.topicFor().phrases)
	case "i":
		if r.IntN(4) == 0 {
			w.lastIdent = pick(r, w.t.idents)
		} else {
			w.lastIdent = w.idents[r.IntN(len(w.idents))]
		}
		return w.lastIdent
	case "f":
		if r.IntN(4) == 0 {
			return pick(r, w.t.files)
		}
		return w.files[r.IntN(len(w.files))]
	case "e":
		w.lastErr = w.errs[r.IntN(len(w.errs))]
		return w.lastErr
	case "o":
		return pick(r, topics[r.IntN(len(topics))].terms)
	case "v":
		return verbs[r.IntN(len(verbs))]
	case "V":
		v := verbs[r.IntN(len(verbs))]
		return strings.ToUpper(v[:1]) + v[1:]
	case "vi":
		return verbsIng[r.IntN(len(verbsIng))]
	case "n":
		return nouns[r.IntN(len(nouns))]
	case "a":
		return adjs[r.IntN(len(adjs))]
	case "c":
		return commands[r.IntN(len(commands))]
	case "val":
		return values[r.IntN(len(values))]
	case "pr":
		return problems[r.IntN(len(problems))]
	case "fl":
		return fillers[r.IntN(len(fillers))]
	}
	return name
}

// message writes one message of 50-400 words: prompts are shorter and
// often paste an error or a stack trace; answers explain, list steps and
// show code.
func (w *writer) message(role string, seq int) string {
	r := w.rng
	var target int
	var parts []string
	if role == "user" {
		target = 50 + int(r.ExpFloat64()*25)
		if seq > 0 && r.IntN(3) == 0 {
			target = 50 + r.IntN(30) // follow-ups are short
		}
	} else {
		target = 70 + int(r.ExpFloat64()*70)
	}
	target = min(target, 400)
	words := 0
	add := func(s string) {
		parts = append(parts, s)
		words += len(strings.Fields(s))
	}
	if role == "user" {
		add(w.fill(userSentences[r.IntN(len(userSentences))]))
		if r.IntN(10) < 3 {
			add("Here is the output:\n\n```\n" + w.trace() + "\n```")
		}
		for words < target {
			add(w.fill(userSentences[r.IntN(len(userSentences))]))
		}
		return joinSentences(parts)
	}
	add(w.fill(assistantSentences[r.IntN(len(assistantSentences))]))
	codeDone, listDone := false, false
	for words < target {
		switch k := r.IntN(10); {
		case k == 0 && !codeDone && target-words > 40:
			add("\n\n```" + w.t.lang + "\n" + w.code() + "\n```\n")
			codeDone = true
		case k == 1 && !listDone:
			var items []string
			for range 2 + r.IntN(3) {
				items = append(items, w.fill(bulletSentences[r.IntN(len(bulletSentences))]))
			}
			add("\n\n" + strings.Join(items, "\n") + "\n")
			listDone = true
		default:
			add(w.fill(assistantSentences[r.IntN(len(assistantSentences))]))
		}
	}
	return joinSentences(parts)
}

func joinSentences(parts []string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 && !strings.HasPrefix(p, "\n") && !strings.HasSuffix(parts[i-1], "\n") {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return strings.TrimSpace(b.String())
}

func (w *writer) trace() string {
	r := w.rng
	e := w.errs[r.IntN(len(w.errs))]
	i := w.idents[r.IntN(len(w.idents))]
	f := w.files[r.IntN(len(w.files))]
	line := 20 + r.IntN(400)
	switch w.t.lang {
	case "go":
		return fmt.Sprintf("panic: %s\n\ngoroutine %d [running]:\nmain.%s(0xc000%04x)\n\t/app/%s:%d +0x%x\nmain.main()\n\t/app/cmd/api/main.go:%d +0x1d", e, 1+r.IntN(200), goName(i), r.IntN(65536), f, line, r.IntN(4096), 10+r.IntN(90))
	case "py":
		return fmt.Sprintf("Traceback (most recent call last):\n  File \"/app/%s\", line %d, in %s\n    result = %s(payload)\n  File \"/usr/lib/python3.12/site-packages/app/core.py\", line %d, in wrapper\n    return fn(*args, **kwargs)\n%s", f, line, pyName(i), pyName(i), 10+r.IntN(300), e)
	case "java":
		return fmt.Sprintf("%s\n\tat com.acme.%s(%s.java:%d)\n\tat org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:186)\n\tat java.base/java.lang.Thread.run(Thread.java:1583)", e, goName(i), goName(i), line)
	case "rust":
		return fmt.Sprintf("%s\n  --> %s:%d:%d\n   |\n%d |     let guard = %s;\n   |                 ^^^^^", e, f, line, 5+r.IntN(40), line, i)
	default:
		return fmt.Sprintf("%s\n    at %s (%s:%d:%d)\n    at processTicksAndRejections (node:internal/process/task_queues:95:5)\n    at async Promise.all (index 0)", e, goName(i), f, line, 3+r.IntN(60))
	}
}

func (w *writer) code() string {
	r := w.rng
	i := w.idents[r.IntN(len(w.idents))]
	t := pick(r, w.t.terms)
	v := verbs[r.IntN(len(verbs))]
	switch w.t.lang {
	case "go":
		return fmt.Sprintf("func %s(ctx context.Context, %s string) error {\n\tif err := check(ctx, %q); err != nil {\n\t\treturn fmt.Errorf(\"%s %s: %%w\", err)\n\t}\n\treturn nil // %s\n}", goName(i), t, t, v, t, i)
	case "py":
		return fmt.Sprintf("def %s(%s, *, retries=3):\n    for attempt in range(retries):\n        try:\n            return client.%s(%s)\n        except Exception as exc:  # %s\n            log.warning(\"%s failed: %%s\", exc)\n    raise RuntimeError(\"%s\")", pyName(i), t, v, t, i, v, t)
	case "java":
		return fmt.Sprintf("public %s %s(%s %s) {\n    // %s\n    return repository.findBy%s(%s)\n        .orElseThrow(() -> new IllegalStateException(\"%s\"));\n}", goName(t), pyName(v), goName(t), t, i, goName(t), t, t)
	case "rust":
		return fmt.Sprintf("fn %s(%s: &str) -> Result<(), Box<dyn Error>> {\n    let guard = state.lock()?; // %s\n    guard.%s(%s)?;\n    Ok(())\n}", pyName(v), t, i, pyName(v), t)
	default:
		return fmt.Sprintf("export async function %s(%s: string) {\n  // %s\n  const res = await fetchWithRetry(`/api/%s`, { signal });\n  if (!res.ok) throw new Error(`%s failed: ${res.status}`);\n  return res.json();\n}", pyName(v)+goName(t), t, i, t, v)
	}
}

// goName makes an exported-looking name of an identifier or word.
func goName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		case r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	if b.Len() == 0 {
		return "Handler"
	}
	return b.String()
}

func pyName(s string) string {
	n := goName(s)
	return strings.ToLower(n[:1]) + n[1:]
}

var (
	orgWords    = strings.Split("acme|globex|initech|umbrella|hooli|vandelay|stark|wayne|wonka|tyrell|cyberdyne|soylent|oscorp|massive|aperture|blackmesa|gringotts|nakatomi|monarch|dunder", "|")
	repoNames   = strings.Split("shop-api|shop-web|payments-worker|infra|design-system|mobile-app|data-pipeline|auth-service|search|notifications|admin-portal|ml-models|billing|gateway|docs", "|")
	firstNames  = strings.Split("Ada|Grace|Linus|Ken|Barbara|Edsger|Margaret|Dennis|Frances|Guido|Rob|Radia|Anders|Katherine|Bjarne|Sophie|John|Hedy|Alan|Mary|Yukihiro|Lynn|Tim|Shafi|Niklaus", "|")
	lastNames   = strings.Split("Lovelace|Hopper|Torvalds|Thompson|Liskov|Dijkstra|Hamilton|Ritchie|Allen|Rossum|Pike|Perlman|Hejlsberg|Johnson|Stroustrup|Wilson|Backus|Lamarr|Turing|Shaw|Matsumoto|Conway|Berners|Goldwasser|Wirth", "|")
	branchKinds = strings.Split("feat|fix|chore|refactor|spike|hotfix", "|")
)
