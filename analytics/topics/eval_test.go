package topics_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/bench/benchmd"

	"github.com/context-intelligence/ctxintel/analytics/topics"
	"github.com/context-intelligence/ctxintel/search"
)

type (
	Question = topics.Question
	Options  = topics.Options
	Result   = topics.Result
)

// The evaluation: two hand-written sets of developer questions to a coding
// assistant, each question labeled with its topic or as a one-off,
// embedded with the project's real model (USE-Lite). questions.json is
// the set the defaults of Options were tuned on; holdout.json was written
// after they were frozen and is scored as it came.

// labeledSet is the format of testdata/questions.json and holdout.json.
type labeledSet struct {
	Topics []struct {
		Name      string   `json:"name"`
		Questions []string `json:"questions"`
	} `json:"topics"`
	OneOffs []string `json:"one_offs"`
}

// labeled is a labeled set with its questions embedded.
type labeled struct {
	file      string
	questions []Question // IDs 1..n in file order
	truth     []string   // by question: its topic, "" for a one-off
	topics    int
}

func (l labeled) truthOf(id int64) string { return l.truth[id-1] }

var (
	modelOnce sync.Once
	model     *search.USELite
	modelDir  string
	modelErr  error

	setsMu sync.Mutex
	sets   = map[string]labeled{}
)

// testModel loads the USE-Lite model once per test binary from
// $CTXINTEL_MODEL_DIR, or .deps/models/use-lite in the module root, where
// `make setup` puts it. A missing model fails the test.
func testModel(tb testing.TB) *search.USELite {
	tb.Helper()
	modelOnce.Do(func() {
		modelDir = os.Getenv("CTXINTEL_MODEL_DIR")
		if modelDir == "" {
			wd, _ := os.Getwd()
			for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
				if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
					modelDir = filepath.Join(d, ".deps", "models", "use-lite")
					break
				}
			}
		}
		model, modelErr = search.LoadUSELite(modelDir)
	})
	if modelErr != nil {
		tb.Fatalf("the USE-Lite model is needed in %s (set CTXINTEL_MODEL_DIR, or run `make setup` to download it): %v", modelDir, modelErr)
	}
	return model
}

// loadLabeled reads testdata/<file> and embeds its questions (once per
// test binary).
func loadLabeled(t *testing.T, file string) labeled {
	t.Helper()
	setsMu.Lock()
	defer setsMu.Unlock()
	if l, ok := sets[file]; ok {
		return l
	}
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	require.NoError(t, err)
	var set labeledSet
	require.NoError(t, json.Unmarshal(raw, &set), "parse testdata/%s", file)
	l := labeled{file: file, topics: len(set.Topics)}
	var texts []string
	for _, topic := range set.Topics {
		for _, q := range topic.Questions {
			texts = append(texts, q)
			l.truth = append(l.truth, topic.Name)
		}
	}
	for _, q := range set.OneOffs {
		texts = append(texts, q)
		l.truth = append(l.truth, "")
	}
	vecs, err := testModel(t).Embed(context.Background(), texts)
	require.NoError(t, err, "embed testdata/%s", file)
	for i, text := range texts {
		l.questions = append(l.questions, Question{ID: int64(i + 1), Text: text, Vector: vecs[i]})
	}
	sets[file] = l
	return l
}

// scores measure a Result against the labels.
type scores struct {
	questions, topicQuestions, oneOffs int
	topicsFound                        int
	clustered                          int // questions in some topic
	clusteredTopicQuestions            int // questions of a labeled topic in some topic
	oneOffsUnclustered                 int
	// purity: the share of clustered questions that belong to their
	// topic's majority label (a one-off in a topic is never the majority).
	purity float64
	// nmi and ari compare the partitions of all questions, each
	// unclustered question a cluster of its own and each one-off a label
	// of its own: leaving a topic's question out costs, leaving a one-off
	// out does not.
	nmi, ari float64
	rows     []scoreRow
}

type scoreRow struct {
	label    string
	size     int
	majority string
	share    float64
	members  []string // the questions' labels, in id order
}

func (s scores) coverage() float64 {
	return float64(s.clusteredTopicQuestions) / float64(s.topicQuestions)
}

func score(l labeled, res Result) scores {
	s := scores{questions: len(l.questions), topicsFound: len(res.Topics)}
	for _, tr := range l.truth {
		if tr == "" {
			s.oneOffs++
		} else {
			s.topicQuestions++
		}
	}
	pred := make([]int, len(l.questions)) // topic index, -1 if unclustered
	for i := range pred {
		pred[i] = -1
	}
	majority := 0
	for k, t := range res.Topics {
		count := map[string]int{}
		row := scoreRow{label: t.Label, size: len(t.Questions)}
		for _, id := range t.Questions {
			pred[id-1] = k
			tr := l.truthOf(id)
			row.members = append(row.members, cmp.Or(tr, "one-off"))
			if tr != "" {
				count[tr]++
				s.clusteredTopicQuestions++
			}
		}
		best := 0
		for name, c := range count {
			if c > best || c == best && name < row.majority {
				row.majority, best = name, c
			}
		}
		row.share = float64(best) / float64(len(t.Questions))
		s.rows = append(s.rows, row)
		s.clustered += len(t.Questions)
		majority += best
	}
	for _, id := range res.Unclustered {
		if l.truthOf(id) == "" {
			s.oneOffsUnclustered++
		}
	}
	s.purity = ratio(majority, s.clustered)
	truth := make([]string, len(l.truth))
	predicted := make([]string, len(pred))
	for i := range truth {
		truth[i] = cmp.Or(l.truth[i], fmt.Sprintf("one-off %d", i))
		predicted[i] = fmt.Sprintf("topic %d", pred[i])
		if pred[i] < 0 {
			predicted[i] = fmt.Sprintf("alone %d", i)
		}
	}
	s.nmi, s.ari = nmi(truth, predicted), ari(truth, predicted)
	return s
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// contingency counts the items of every (a, b) label pair, and of every a
// and every b label.
func contingency(a, b []string) (pairs map[[2]string]int, as, bs map[string]int) {
	pairs, as, bs = map[[2]string]int{}, map[string]int{}, map[string]int{}
	for i := range a {
		pairs[[2]string{a[i], b[i]}]++
		as[a[i]]++
		bs[b[i]]++
	}
	return pairs, as, bs
}

// nmi is the normalised mutual information of two partitions, with the
// arithmetic mean of their entropies as the normaliser (scikit-learn's
// default).
func nmi(a, b []string) float64 {
	pairs, as, bs := contingency(a, b)
	n := float64(len(a))
	entropy := func(m map[string]int) float64 {
		var h float64
		for _, c := range m {
			p := float64(c) / n
			h -= p * math.Log(p)
		}
		return h
	}
	var mi float64
	for k, c := range pairs {
		p := float64(c) / n
		mi += p * math.Log(p/(float64(as[k[0]])/n*float64(bs[k[1]])/n))
	}
	ha, hb := entropy(as), entropy(bs)
	if ha+hb == 0 {
		return 1
	}
	return 2 * mi / (ha + hb)
}

// ari is the adjusted Rand index of two partitions.
func ari(a, b []string) float64 {
	pairs, as, bs := contingency(a, b)
	c2 := func(x int) float64 { return float64(x) * float64(x-1) / 2 }
	var index, sumA, sumB float64
	for _, c := range pairs {
		index += c2(c)
	}
	for _, c := range as {
		sumA += c2(c)
	}
	for _, c := range bs {
		sumB += c2(c)
	}
	expected := sumA * sumB / c2(len(a))
	maximum := (sumA + sumB) / 2
	if maximum == expected {
		return 1
	}
	return (index - expected) / (maximum - expected)
}

func TestClusterEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("the evaluation embeds its questions with the USE-Lite model")
	}
	tuning := loadLabeled(t, "questions.json")
	holdout := loadLabeled(t, "holdout.json")

	run := func(l labeled, opts Options) scores {
		res, err := topics.Cluster(l.questions, opts)
		require.NoError(t, err)
		require.Empty(t, res.Skipped)
		return score(l, res)
	}
	tuned, held := run(tuning, Options{}), run(holdout, Options{})
	for _, s := range []struct {
		name string
		s    scores
	}{{"questions.json", tuned}, {"holdout.json", held}} {
		t.Logf("%s: %d topics found, purity %.3f, NMI %.3f, ARI %.3f, %d/%d topic questions clustered, %d/%d one-offs unclustered",
			s.name, s.s.topicsFound, s.s.purity, s.s.nmi, s.s.ari, s.s.clusteredTopicQuestions, s.s.topicQuestions,
			s.s.oneOffsUnclustered, s.s.oneOffs)
		for _, r := range s.s.rows {
			t.Logf("  %-45s %2d  %-28s %.2f  %s", r.label, r.size, r.majority, r.share, strings.Join(r.members, ","))
		}
	}

	// The bars on the tuning set sit a little below what the tuned defaults
	// reach there (purity 0.94, NMI 0.85, ARI 0.65, 71% of topic questions
	// clustered, 14 of 16 one-offs unclustered), so that a change that
	// loses quality fails. They were tuned on this set: they are not a
	// promise for other questions.
	require.GreaterOrEqual(t, tuned.purity, 0.90, "purity on questions.json")
	require.GreaterOrEqual(t, tuned.nmi, 0.80, "NMI on questions.json")
	require.GreaterOrEqual(t, tuned.ari, 0.55, "ARI on questions.json")
	require.GreaterOrEqual(t, tuned.coverage(), 0.60, "share of topic questions clustered on questions.json")
	require.GreaterOrEqual(t, tuned.oneOffsUnclustered, 12, "one-offs left unclustered on questions.json")
	// The holdout bars were set before the holdout was first scored: a
	// topic list a manager can trust (purity 0.8), and clearly better than
	// chance agreement with the labels.
	require.GreaterOrEqual(t, held.purity, 0.80, "purity on holdout.json")
	require.GreaterOrEqual(t, held.nmi, 0.65, "NMI on holdout.json")
	require.GreaterOrEqual(t, held.oneOffsUnclustered, held.oneOffs*6/10, "one-offs left unclustered on holdout.json")

	// Why the similarity mixes words and vectors: nearest-neighbour
	// accuracy of each on the tuning set.
	nnVectors := topics.NearestNeighbourAccuracy(tuning.questions, tuning.truth, 0)
	nnWords := topics.NearestNeighbourAccuracy(tuning.questions, tuning.truth, 1)
	nnMix := topics.NearestNeighbourAccuracy(tuning.questions, tuning.truth, topics.DefaultTextWeight)
	t.Logf("nearest neighbour on the same topic: vectors %.3f, words %.3f, mix %.3f", nnVectors, nnWords, nnMix)
	require.Greater(t, nnMix, nnVectors)
	require.Greater(t, nnMix, nnWords)
	wordsOnly := run(tuning, Options{TextWeight: 1})
	t.Logf("words alone (TextWeight 1): purity %.3f, NMI %.3f, ARI %.3f, %d/%d topic questions clustered",
		wordsOnly.purity, wordsOnly.nmi, wordsOnly.ari, wordsOnly.clusteredTopicQuestions, wordsOnly.topicQuestions)

	// Around the defaults: how much the numbers move with the thresholds.
	var grid []gridPoint
	for _, threshold := range []float64{0.10, 0.12, 0.14, 0.16, 0.18} {
		for _, join := range []float64{0.04, 0.06, 0.08} {
			opts := Options{Threshold: threshold, JoinThreshold: join}
			grid = append(grid, gridPoint{threshold, join, run(tuning, opts), run(holdout, opts)})
		}
	}

	if os.Getenv("CTXINTEL_WRITE_BENCHMARKS") == "1" {
		ev := evaluationReport{tuned: tuned, held: held, tuning: tuning, holdout: holdout,
			nnVectors: nnVectors, nnWords: nnWords, nnMix: nnMix, wordsOnly: wordsOnly, grid: grid}
		for _, c := range []struct{ n, topics int }{{160, 12}, {1500, 30}, {5000, 150}} {
			for _, guards := range []bool{true, false} {
				s, err := topics.SyntheticQuality(c.n, c.topics, guards)
				require.NoError(t, err)
				ev.scale = append(ev.scale, scaleRow{guards: guards, s: s})
			}
		}
		path := filepath.Join("..", "..", "BENCHMARKS.md")
		require.NoError(t, benchmd.WriteSection(path, "## Knowledge-gap topics", ev.markdown()))
		t.Logf("wrote %s", path)
	}
}

// TestClusterEvaluationIsDeterministic clusters the real questions in
// shuffled orders: the result must not change.
func TestClusterEvaluationIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("the evaluation embeds its questions with the USE-Lite model")
	}
	l := loadLabeled(t, "questions.json")
	want, err := topics.Cluster(l.questions, Options{})
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(7, 11))
	for range 5 {
		qs := slices.Clone(l.questions)
		r.Shuffle(len(qs), func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
		got, err := topics.Cluster(qs, Options{})
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

type gridPoint struct {
	threshold, join float64
	tuning, holdout scores
}

type evaluationReport struct {
	tuned, held, wordsOnly    scores
	tuning, holdout           labeled
	nnVectors, nnWords, nnMix float64
	grid                      []gridPoint
	scale                     []scaleRow
}

type scaleRow struct {
	guards bool
	s      topics.SyntheticScores
}

// markdown renders the evaluation as a fragment for BENCHMARKS.md.
func (ev evaluationReport) markdown() string {
	var b strings.Builder
	b.WriteString("Quality of `topics.Cluster` with its default options (TextWeight 0.8, Threshold 0.14, JoinThreshold 0.06,\n")
	b.WriteString("MinClusterSize 3), measured by `TestClusterEvaluation` (`analytics/topics/eval_test.go`) on hand-written\n")
	b.WriteString("developer questions embedded with the real USE-Lite model. Regenerate with:\n\n")
	b.WriteString("    CTXINTEL_WRITE_BENCHMARKS=1 go test ./analytics/topics/ -run TestClusterEvaluation\n\n")
	fmt.Fprintf(&b, "`questions.json`: %d topics × 12 questions (JWT expiry, flaky CI, Docker caching, Postgres migration locks,\n", ev.tuning.topics)
	b.WriteString("React re-renders, Kubernetes crash loops, goroutine leaks, rebase conflicts, CORS, memory leaks, Terraform\n")
	fmt.Fprintf(&b, "state, date parsing), phrased differently within a topic, and %d one-off questions. The defaults were tuned\n", ev.tuned.oneOffs)
	fmt.Fprintf(&b, "on it. `holdout.json`: %d topics × 8 questions and %d one-offs, written after the defaults were frozen and\n", ev.holdout.topics, ev.held.oneOffs)
	b.WriteString("scored as they came.\n\n")

	b.WriteString("| set | questions | topics found | purity | NMI | ARI | topic questions clustered | one-offs unclustered |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	row := func(name string, s scores) {
		fmt.Fprintf(&b, "| %s | %d | %d | %.3f | %.3f | %.3f | %d/%d (%.0f%%) | %d/%d |\n", name, s.questions, s.topicsFound,
			s.purity, s.nmi, s.ari, s.clusteredTopicQuestions, s.topicQuestions, 100*s.coverage(), s.oneOffsUnclustered, s.oneOffs)
	}
	row("questions.json (tuning)", ev.tuned)
	row("holdout.json", ev.held)
	b.WriteString("\nPurity is the share of clustered questions that belong to their topic's majority label. NMI and ARI\n")
	b.WriteString("compare the partition of all questions with the labels, each unclustered question a cluster of its own\n")
	b.WriteString("and each one-off a label of its own: a topic question left out costs, a one-off left out does not.\n")
	b.WriteString("Test bars on the tuning set: purity ≥ 0.90, NMI ≥ 0.80, ARI ≥ 0.55, ≥ 60% of topic questions clustered,\n")
	b.WriteString("≥ 12 one-offs unclustered; on the holdout, set before it was first scored: purity ≥ 0.80, NMI ≥ 0.65,\n")
	b.WriteString("≥ 60% of one-offs unclustered.\n\n")

	b.WriteString("Why words and vectors together: the share of topic questions whose nearest other question (by each\n")
	b.WriteString("similarity) is on the same topic, on `questions.json`:\n\n")
	b.WriteString("| similarity | nearest neighbour on the same topic |\n|---|---:|\n")
	fmt.Fprintf(&b, "| USE-Lite vectors (cosine) | %.3f |\n| words (tf-idf cosine) | %.3f |\n| 0.2 · vectors + 0.8 · words | %.3f |\n\n",
		ev.nnVectors, ev.nnWords, ev.nnMix)
	fmt.Fprintf(&b, "Clustering on the words alone (TextWeight 1) clusters %d of %d topic questions, at purity %.3f, NMI %.3f,\n",
		ev.wordsOnly.clusteredTopicQuestions, ev.wordsOnly.topicQuestions, ev.wordsOnly.purity, ev.wordsOnly.nmi)
	fmt.Fprintf(&b, "ARI %.3f: the vectors make the topics purer (%.3f, %.3f, %.3f with them).\n\n", ev.wordsOnly.ari, ev.tuned.purity, ev.tuned.nmi, ev.tuned.ari)

	b.WriteString("### Topics found\n\n")
	for _, set := range []struct {
		name string
		s    scores
	}{{"questions.json", ev.tuned}, {"holdout.json", ev.held}} {
		fmt.Fprintf(&b, "%s:\n\n| label | questions | majority label | share |\n|---|---:|---|---:|\n", set.name)
		for _, r := range set.s.rows {
			fmt.Fprintf(&b, "| %s | %d | %s | %.2f |\n", r.label, r.size, r.majority, r.share)
		}
		b.WriteString("\n")
	}

	b.WriteString("### At scale\n\n")
	b.WriteString("The labeled sets are small. At thousands of questions each question meets more chance partners above a\n")
	b.WriteString("fixed threshold, and one-offs chain into topics; the clustering then raises its bars to levels random pairs\n")
	b.WriteString("of the input rarely pass (`analytics/topics/noise.go`). Synthetic questions shaped like `questions.json`\n")
	b.WriteString("(15% of same-topic pairs and 0.34% of other pairs above the default threshold, against 21% and 0.35% there;\n")
	b.WriteString("planted topics of falling sizes, 40% one-offs, 512-dimensional vectors), with and without those guards:\n\n")
	b.WriteString("| questions | guards | topics found | purity | topic questions clustered | one-offs in topics |\n")
	b.WriteString("|---:|---|---:|---:|---:|---:|\n")
	for _, r := range ev.scale {
		guards := "on"
		if !r.guards {
			guards = "off"
		}
		fmt.Fprintf(&b, "| %d | %s | %d | %.3f | %.0f%% | %.0f%% |\n", r.s.Questions, guards, r.s.Topics, r.s.Purity,
			100*r.s.TopicShare, 100*r.s.OneOffShare)
	}
	b.WriteString("\nBelow 300 questions and 30 topics the guards are off by design. Time: `go test ./analytics/topics/\n")
	b.WriteString("-run '^$' -bench BenchmarkCluster -cpu 1` clusters 5,000 synthetic questions and reports wall and CPU time.\n\n")
	b.WriteString("### Sensitivity\n\n")
	b.WriteString("The thresholds around the defaults (TextWeight 0.8), as NMI / purity on each set:\n\n")
	b.WriteString("| Threshold | JoinThreshold | questions.json | holdout.json |\n|---:|---:|---|---|\n")
	for _, g := range ev.grid {
		mark := ""
		if g.threshold == topics.DefaultThreshold && g.join == topics.DefaultJoinThreshold {
			mark = " (default)"
		}
		fmt.Fprintf(&b, "| %.2f | %.2f%s | %.3f / %.3f | %.3f / %.3f |\n", g.threshold, g.join, mark,
			g.tuning.nmi, g.tuning.purity, g.holdout.nmi, g.holdout.purity)
	}
	b.WriteString("\nThe defaults were chosen by a grid search on `questions.json` (TextWeight 0.5–1, Threshold 0.08–0.28,\n")
	b.WriteString("JoinThreshold 0.04–0.10), maximising NMI with purity above 0.9. With 160 questions that is a small set to\n")
	b.WriteString("tune three numbers on; the holdout row is the better guide to what to expect from new questions.\n")
	return b.String()
}
