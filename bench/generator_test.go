package bench

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest/transcript"
	"github.com/context-intelligence/ctxintel/search"
)

func TestPlanIsDeterministic(t *testing.T) {
	t.Parallel()
	a := NewPlan(GenConfig{Seed: 7, Messages: 20_000})
	b := NewPlan(GenConfig{Seed: 7, Messages: 20_000})
	require.Equal(t, len(a.Orgs), len(b.Orgs))
	for i := range a.Orgs {
		require.Equal(t, a.Orgs[i].ID, b.Orgs[i].ID)
		require.Equal(t, a.Orgs[i].Users, b.Orgs[i].Users)
		require.Equal(t, a.Orgs[i].ConvLengths, b.Orgs[i].ConvLengths)
	}
	// Conversations depend only on (seed, index): generating them in
	// another order gives the same ones.
	o := &a.Orgs[0]
	later := a.Conversation(o, 25)
	first := a.Conversation(o, 3)
	require.Equal(t, first, b.Conversation(&b.Orgs[0], 3))
	require.Equal(t, later.Messages, b.Conversation(&b.Orgs[0], 25).Messages)
	require.Equal(t, a.ConversationVectors(first), b.ConversationVectors(b.Conversation(&b.Orgs[0], 3)))
	require.Equal(t, a.Queries(50, 1), b.Queries(50, 1))

	other := NewPlan(GenConfig{Seed: 8, Messages: 20_000})
	require.NotEqual(t, a.Orgs[0].ID, other.Orgs[0].ID)
	require.NotEqual(t, first.Messages[0].Text, other.Conversation(&other.Orgs[0], 3).Messages[0].Text)
}

func TestPlanDistribution(t *testing.T) {
	t.Parallel()
	p := NewPlan(GenConfig{Seed: 42, Messages: 100_000})
	require.Equal(t, 100_000, p.Messages)
	require.Len(t, p.Orgs, 200)
	total, convs, users := 0, 0, 0
	emails := map[string]bool{}
	for i, o := range p.Orgs {
		sum := 0
		for _, l := range o.ConvLengths {
			require.GreaterOrEqual(t, l, 1)
			require.LessOrEqual(t, l, 40)
			sum += l
		}
		require.Equal(t, o.Messages, sum, "org %d's conversations add up to its budget", i)
		require.GreaterOrEqual(t, o.Messages, 2)
		require.GreaterOrEqual(t, len(o.Users), 2)
		require.Equal(t, "admin", o.Users[0].Role)
		require.Equal(t, "developer", o.Users[1].Role, "the latency viewer is a developer")
		for _, u := range o.Users {
			require.False(t, emails[u.Email], "emails are unique across orgs")
			emails[u.Email] = true
		}
		if i > 0 {
			require.LessOrEqual(t, o.Messages, p.Orgs[i-1].Messages+1, "orgs are ranked by size")
		}
		require.Equal(t, o.FirstConv, convs)
		total += sum
		convs += len(o.ConvLengths)
		users += len(o.Users)
	}
	require.Equal(t, p.Messages, total)
	require.Equal(t, p.Conversations, convs)
	require.Equal(t, p.Users, users)

	// Zipf: one org holds about 40%, a long tail of small ones.
	share := float64(p.Orgs[0].Messages) / float64(p.Messages)
	require.InDelta(t, 0.40, share, 0.03)
	require.Less(t, p.Orgs[len(p.Orgs)/2].Messages, 100, "the median org is small")
	largest, mid, small := benchOrgs(p)
	require.Same(t, &p.Orgs[0], largest)
	require.InDelta(t, 0.035, float64(mid.Messages)/float64(p.Messages), 0.01)
	require.Less(t, small.Messages, 500)
}

func TestConversationText(t *testing.T) {
	t.Parallel()
	p := NewPlan(GenConfig{Seed: 42, Messages: 20_000})
	o := &p.Orgs[0]
	var words, n, withCode, withTrace, idents int
	for i := range 300 {
		c := p.Conversation(o, i)
		require.NotEmpty(t, c.Title)
		require.Len(t, c.Messages, o.ConvLengths[i])
		tp := topics[c.Topic]
		vecs := p.ConversationVectors(c)
		for j, m := range c.Messages {
			want := "user"
			if j%2 == 1 {
				want = "assistant"
			}
			require.Equal(t, want, m.Role)
			if j > 0 {
				require.True(t, m.SentAt.After(c.Messages[j-1].SentAt))
			}
			wc := len(strings.Fields(m.Text))
			require.GreaterOrEqual(t, wc, 50, m.Text)
			require.LessOrEqual(t, wc, 470, m.Text)
			words += wc
			n++
			if strings.Contains(m.Text, "```") {
				withCode++
			}
			if strings.Contains(m.Text, "Traceback") || strings.Contains(m.Text, "goroutine") || strings.Contains(m.Text, "\tat ") || strings.Contains(m.Text, "    at ") || strings.Contains(m.Text, "-->") {
				withTrace++
			}
			for _, id := range tp.idents {
				if strings.Contains(m.Text, id) {
					idents++
					break
				}
			}
			// One vector per chunk of at most 400 bytes, as the embedding job stores them.
			require.NotEmpty(t, vecs[j])
			require.LessOrEqual(t, len(vecs[j]), search.MaxChunks)
			for _, cv := range vecs[j] {
				require.LessOrEqual(t, cv.End-cv.Start, 400)
				require.Len(t, cv.Vector, 512)
				var norm float64
				for _, x := range cv.Vector {
					norm += float64(x) * float64(x)
				}
				require.InDelta(t, 1, math.Sqrt(norm), 1e-4)
			}
		}
	}
	avg := float64(words) / float64(n)
	require.Greater(t, avg, 80.0)
	require.Less(t, avg, 200.0)
	require.Greater(t, withCode, n/20, "answers show code")
	require.Greater(t, withTrace, n/40, "prompts paste stack traces")
	require.Greater(t, idents, n/2, "messages name the topic's identifiers")
}

func TestVectorsCluster(t *testing.T) {
	t.Parallel()
	p := NewPlan(GenConfig{Seed: 42, Messages: 20_000})
	o := &p.Orgs[0]
	byTopic := map[int][][]float32{}
	var sameConv, sameTopic, other []float64
	for i := range 200 {
		c := p.Conversation(o, i)
		var mine [][]float32
		for _, chunks := range p.ConversationVectors(c) {
			for _, cv := range chunks {
				mine = append(mine, cv.Vector)
			}
		}
		if len(mine) >= 2 {
			sameConv = append(sameConv, cosine(mine[0], mine[1]))
		}
		for t2, vs := range byTopic {
			if t2 == c.Topic {
				sameTopic = append(sameTopic, cosine(mine[0], vs[0]))
			} else if len(other) < 2000 {
				other = append(other, cosine(mine[0], vs[0]))
			}
		}
		byTopic[c.Topic] = append(byTopic[c.Topic], mine[0])
	}
	mean := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	// Not uniform noise: nearby by conversation and topic, and everything
	// in one cone, as real sentence embeddings are.
	require.Greater(t, mean(sameConv), mean(sameTopic))
	require.Greater(t, mean(sameTopic), mean(other)+0.04)
	require.Greater(t, mean(other), 0.5)

	// Query vectors come from the same model.
	q := p.Queries(20, 3)
	for _, x := range q {
		require.Len(t, x.Vector, 512)
	}
}

func TestQueriesAndFixedEmbedder(t *testing.T) {
	t.Parallel()
	p := NewPlan(GenConfig{Seed: 42, Messages: 20_000})
	qs := p.Queries(400, 1)
	kinds := map[string]int{}
	for _, q := range qs {
		kinds[q.Kind]++
		parsed, err := search.ParseQuery(q.Text)
		require.NoError(t, err, q.Text)
		require.NotEmpty(t, parsed.Keyword.Groups, q.Text)
	}
	for _, k := range QueryKinds {
		require.InDelta(t, 4*k.Share, kinds[k.Kind], float64(2*k.Share), k.Kind)
	}
	emb, err := NewFixedEmbedder(qs)
	require.NoError(t, err)
	for _, q := range qs[:20] {
		parsed, _ := search.ParseQuery(q.Text)
		vecs, err := emb.Embed(context.Background(), []string{parsed.Text})
		require.NoError(t, err)
		require.NotEmpty(t, vecs[0])
	}
	_, err = emb.Embed(context.Background(), []string{"never asked"})
	require.Error(t, err)
	require.Equal(t, "use-lite", emb.Model())
	require.Equal(t, 512, emb.Dimensions())

	require.Equal(t, "ERR_JWT_EXPIRED", errorQuery("Error: ERR_JWT_EXPIRED: token is expired"))
	require.Equal(t, `"Error: socket hang up"`, errorQuery("Error: socket hang up"))
}

func TestRelevanceMetrics(t *testing.T) {
	t.Parallel()
	judged := map[string]int{"a": 2, "b": 1, "c": 1}
	require.InDelta(t, 1, ndcgAt10([]string{"a", "b", "c"}, judged), 1e-9)
	require.InDelta(t, 1, ndcgAt10([]string{"a", "c", "b", "x"}, judged), 1e-9)
	require.Less(t, ndcgAt10([]string{"b", "a", "c"}, judged), 1.0)
	require.Zero(t, ndcgAt10([]string{"x", "y"}, judged))
	require.InDelta(t, 2.0/3, recallAt10([]string{"a", "x", "c"}, judged), 1e-9)

	fused := rrf(60, 1, 1)([]string{"k1", "both"}, []string{"both", "s1"})
	require.Equal(t, "both", fused[0])
	require.Equal(t, "a OR b OR c", anyWordQuery("a b c"))
	require.Equal(t, `"a b"`, anyWordQuery(`"a b"`))
	require.Equal(t, "ERR_X in y", anyWordQuery("ERR_X in y"))

	// Every judged key exists in the corpus.
	keys := map[string]bool{}
	for _, c := range judgedConvs {
		require.False(t, keys[c.Key], "duplicate key %s", c.Key)
		keys[c.Key] = true
	}
	for _, q := range judgedQueries {
		for k := range q.Judgment {
			require.True(t, keys[k], "query %q judges unknown %s", q.Query, k)
		}
	}
}

// The lag benchmark's captures are real Claude Code transcripts to the
// parser: every generated message comes back with its text.
func TestClaudeCodeCaptureParses(t *testing.T) {
	t.Parallel()
	p := NewPlan(GenConfig{Seed: 1042, Messages: 2000, Orgs: 1})
	c := p.Conversation(&p.Orgs[0], 2)
	data := claudeCodeJSONL(c, "8c0b7a52-5f55-4d2c-9d7e-0b3a4c1e2f60", time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC))
	res := transcript.Parse("~/.claude/projects/-home-dev-src-shop-api/8c0b7a52-5f55-4d2c-9d7e-0b3a4c1e2f60.jsonl", data, transcript.FormatClaudeCodeJSONL, transcript.Limits{MaxLineBytes: 1 << 20})
	require.False(t, res.HasErrors(), res.Problems)
	require.Len(t, res.Conversations, 1)
	got := res.Conversations[0]
	require.Equal(t, "8c0b7a52-5f55-4d2c-9d7e-0b3a4c1e2f60", got.ExternalID)
	require.Len(t, got.Messages, len(c.Messages))
	for i, m := range got.Messages {
		require.Equal(t, c.Messages[i].Role, string(m.Role))
		require.Equal(t, c.Messages[i].Text, m.Text)
	}
}
