package search

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	testUSELiteOnce sync.Once
	testUSELite     *USELite
	testUSELiteDir  string
	testUSELiteErr  error
)

// useLiteModelDir is $CTXINTEL_MODEL_DIR, or .deps/models/use-lite in the
// module root found by walking up from the working directory.
func useLiteModelDir() string {
	if dir := os.Getenv("CTXINTEL_MODEL_DIR"); dir != "" {
		return dir
	}
	wd, _ := os.Getwd()
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, ".deps", "models", "use-lite")
		}
	}
	return filepath.Join(wd, ".deps", "models", "use-lite")
}

// loadTestUSELite loads the real model once per test binary. A missing
// model fails the test: these tests are the proof that the port is right.
func loadTestUSELite(tb testing.TB) *USELite {
	tb.Helper()
	testUSELiteOnce.Do(func() {
		testUSELiteDir = useLiteModelDir()
		testUSELite, testUSELiteErr = LoadUSELite(testUSELiteDir)
	})
	if testUSELiteErr != nil {
		tb.Fatalf("the USE-Lite model is needed in %s (set CTXINTEL_MODEL_DIR, or run `make setup` to download it): %v",
			testUSELiteDir, testUSELiteErr)
	}
	return testUSELite
}

// useLiteReference is testdata/uselite_reference.json, written by
// scripts/uselite-reference/generate.js from the JS implementation.
type useLiteReference struct {
	Texts   []string    `json:"texts"`
	Tokens  [][]int     `json:"tokens"`
	Vectors [][]float64 `json:"vectors"`
}

func loadUSELiteReference(tb testing.TB) useLiteReference {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "uselite_reference.json"))
	require.NoError(tb, err)
	var ref useLiteReference
	require.NoError(tb, json.Unmarshal(data, &ref))
	require.NotEmpty(tb, ref.Texts)
	require.Len(tb, ref.Tokens, len(ref.Texts))
	require.Len(tb, ref.Vectors, len(ref.Texts))
	return ref
}

func cosine64(a []float32, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * b[i]
		aa += float64(a[i]) * float64(a[i])
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb)
}

func dot32(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestUSELiteTokenizeMatchesJS(t *testing.T) {
	t.Parallel()
	m := loadTestUSELite(t)
	ref := loadUSELiteReference(t)
	for i, text := range ref.Texts {
		got := m.Tokenize(text)
		want := ref.Tokens[i]
		if want == nil {
			want = []int{}
		}
		require.Equal(t, want, got, "token ids of text %d %q", i, text)
	}
}

func TestUSELiteEmbedMatchesJS(t *testing.T) {
	t.Parallel()
	m := loadTestUSELite(t)
	ref := loadUSELiteReference(t)

	vecs, err := m.Embed(context.Background(), ref.Texts)
	require.NoError(t, err)
	require.Len(t, vecs, len(ref.Texts))

	worst := 0.0
	for i, v := range vecs {
		require.Len(t, v, m.Dimensions())
		require.Len(t, ref.Vectors[i], m.Dimensions())
		cos := cosine64(v, ref.Vectors[i])
		worst = max(worst, 1-cos)
		require.GreaterOrEqual(t, cos, 0.9999, "cosine with the JS vector of text %d %q", i, ref.Texts[i])
		require.InDelta(t, 1, math.Sqrt(dot32(v, v)), 1e-5, "length of the vector of text %d", i)
	}
	t.Logf("max cosine deviation from the JS reference over %d texts: %.2e", len(vecs), worst)
}

func TestUSELiteSemanticRanking(t *testing.T) {
	t.Parallel()
	m := loadTestUSELite(t)
	vecs, err := m.Embed(context.Background(), []string{
		"find discussions about authentication",
		"JWT security issues in the login flow",
		"CSS grid layout for the dashboard",
	})
	require.NoError(t, err)
	auth, css := dot32(vecs[0], vecs[1]), dot32(vecs[0], vecs[2])
	t.Logf("similarity to the query: JWT %.3f, CSS %.3f", auth, css)
	require.Greater(t, auth, css+0.15, "the authentication text must rank clearly above the CSS one")
}

func TestUSELiteEmbedIsDeterministicAndIndependent(t *testing.T) {
	t.Parallel()
	m := loadTestUSELite(t)
	ref := loadUSELiteReference(t)
	batch, err := m.Embed(context.Background(), ref.Texts)
	require.NoError(t, err)

	// Alone, concurrently, and in reverse order: the same bits.
	var wg sync.WaitGroup
	for i := range ref.Texts {
		wg.Go(func() {
			one, err := m.Embed(context.Background(), []string{ref.Texts[i]})
			require.NoError(t, err)
			require.Equal(t, batch[i], one[0], "text %d", i)
		})
	}
	wg.Wait()
	reversed := slices.Clone(ref.Texts)
	slices.Reverse(reversed)
	rev, err := m.Embed(context.Background(), reversed)
	require.NoError(t, err)
	for i := range rev {
		require.Equal(t, batch[len(batch)-1-i], rev[i])
	}
}

func TestUSELiteEmbedEmptyInputAndCap(t *testing.T) {
	t.Parallel()
	m := loadTestUSELite(t)
	require.Equal(t, "use-lite", m.Model())
	require.Equal(t, 512, m.Dimensions())
	require.Equal(t, 128, m.MaxTokens())

	vecs, err := m.Embed(context.Background(), nil)
	require.NoError(t, err)
	require.Empty(t, vecs)

	// Tokens past the cap do not change the vector.
	long := strings.Repeat("the quick brown fox jumps over the lazy dog ", 30)
	require.Greater(t, len(m.Tokenize(long)), 2*m.MaxTokens())
	vecs, err = m.Embed(context.Background(), []string{long, long + " and then something entirely different about databases"})
	require.NoError(t, err)
	require.Equal(t, vecs[0], vecs[1])
}

func TestUSELiteEmbedHonoursContext(t *testing.T) {
	t.Parallel()
	m := loadTestUSELite(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := m.Embed(ctx, []string{"hello", "world"})
	require.ErrorIs(t, err, context.Canceled)

	// Cancelled while running (200 long texts take seconds): the workers
	// stop taking texts and the call returns the error.
	ctx, cancel = context.WithCancel(context.Background())
	texts := make([]string, 200)
	for i := range texts {
		texts[i] = strings.Repeat("a long text about caching and retries ", 12)
	}
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = m.Embed(ctx, texts)
	require.ErrorIs(t, err, context.Canceled)
}

func TestUSELitePrefixTokensMatchFullTokenization(t *testing.T) {
	t.Parallel()
	m := loadTestUSELite(t)
	ref := loadUSELiteReference(t)
	long := strings.Repeat(ref.Texts[10]+" ", 40) // far past useLitePrefixRunes
	for _, text := range append(slices.Clone(ref.Texts), long) {
		var b useLiteTokenBuffers
		full := slices.Clone(m.tok.tokenize(text, &b))
		for _, prefix := range []int{1, 7, 50, useLitePrefixRunes} {
			got := m.tok.prefixTokens(text, m.MaxTokens(), prefix, &b)
			require.Equal(t, full[:min(len(full), m.MaxTokens())], got, "prefix %d of %q", prefix, text[:min(len(text), 40)])
		}
	}
}

func TestLoadUSELiteErrors(t *testing.T) {
	t.Parallel()
	loadTestUSELite(t) // the real files must exist to be copied
	srcDir := testUSELiteDir

	// copyModel makes a model directory with symlinks to the real files,
	// except those edited by edit.
	copyModel := func(t *testing.T, edit func(dir string)) string {
		dir := t.TempDir()
		entries, err := os.ReadDir(srcDir)
		require.NoError(t, err)
		for _, e := range entries {
			abs, err := filepath.Abs(filepath.Join(srcDir, e.Name()))
			require.NoError(t, err)
			require.NoError(t, os.Symlink(abs, filepath.Join(dir, e.Name())))
		}
		edit(dir)
		return dir
	}
	replace := func(t *testing.T, dir, name string, data []byte) {
		require.NoError(t, os.Remove(filepath.Join(dir, name)))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}

	t.Run("missing directory", func(t *testing.T) {
		_, err := LoadUSELite(filepath.Join(t.TempDir(), "nope"))
		require.ErrorIs(t, err, os.ErrNotExist)
		require.ErrorContains(t, err, "vocab.json")
	})
	t.Run("missing shard", func(t *testing.T) {
		dir := copyModel(t, func(dir string) { require.NoError(t, os.Remove(filepath.Join(dir, "group1-shard3of7"))) })
		_, err := LoadUSELite(dir)
		require.ErrorIs(t, err, os.ErrNotExist)
		require.ErrorContains(t, err, "group1-shard3of7")
	})
	t.Run("short shard", func(t *testing.T) {
		dir := copyModel(t, func(dir string) { replace(t, dir, "group1-shard7of7", make([]byte, 1000)) })
		_, err := LoadUSELite(dir)
		require.ErrorContains(t, err, "group1-shard7of7")
		require.ErrorContains(t, err, "bytes")
	})
	t.Run("wrong shape", func(t *testing.T) {
		dir := copyModel(t, func(dir string) {
			data, err := os.ReadFile(filepath.Join(srcDir, "model.json"))
			require.NoError(t, err)
			// Swap the two dimensions of the tanh layer; the byte count stays right.
			var model map[string]any
			require.NoError(t, json.Unmarshal(data, &model))
			for _, g := range model["weightsManifest"].([]any) {
				for _, w := range g.(map[string]any)["weights"].([]any) {
					w := w.(map[string]any)
					if w["name"] == "module/Encoder_en/hidden_layers/tanh_layer_0/weights" {
						w["shape"] = []int{256, 1024}
					}
				}
			}
			data, err = json.Marshal(model)
			require.NoError(t, err)
			replace(t, dir, "model.json", data)
		})
		_, err := LoadUSELite(dir)
		require.ErrorContains(t, err, "tanh_layer_0/weights has shape [256 1024], want [512 512]")
	})
	t.Run("bad vocabulary", func(t *testing.T) {
		dir := copyModel(t, func(dir string) { replace(t, dir, "vocab.json", []byte(`{"not": "a list"}`)) })
		_, err := LoadUSELite(dir)
		require.ErrorContains(t, err, "vocab.json")
		require.ErrorContains(t, err, "[piece, score]")
	})
}

func FuzzUSELiteTokenize(f *testing.F) {
	m := loadTestUSELite(f)
	for _, text := range loadUSELiteReference(f).Texts {
		f.Add(text)
	}
	f.Add("\xff\xfe invalid \xc3 utf-8 ▁▁ ▁")
	f.Add(strings.Repeat(":30", 50))
	f.Fuzz(func(t *testing.T, text string) {
		var b useLiteTokenBuffers
		ids := slices.Clone(m.tok.tokenize(text, &b))
		if got := m.Tokenize(text); len(got) != len(ids) {
			t.Fatalf("Tokenize returned %d ids, tokenize %d", len(got), len(ids))
		}
		for i, id := range ids {
			if id < 0 || int(id) >= m.tok.vocabSize() {
				t.Fatalf("id %d at %d is outside the vocabulary", id, i)
			}
			if i > 0 && id == useLiteUnknownID && ids[i-1] == useLiteUnknownID {
				t.Fatalf("unknowns at %d and %d were not merged", i-1, i)
			}
		}
		capped := m.tok.prefixTokens(text, m.MaxTokens(), 5, &b)
		if len(capped) > m.MaxTokens() {
			t.Fatalf("%d ids after the cap of %d", len(capped), m.MaxTokens())
		}
		if want := ids[:min(len(ids), m.MaxTokens())]; !slices.Equal(capped, want) {
			t.Fatalf("capped tokens %v differ from the first tokens %v", capped, want)
		}
	})
}

// BenchmarkUSELiteEmbed embeds a text of 99 tokens: one per call (the
// latency of a search query), and 16 per call on GOMAXPROCS goroutines
// (the throughput of indexing).
func BenchmarkUSELiteEmbed(b *testing.B) {
	m := loadTestUSELite(b)
	const text = "The assistant suggested moving the session check into middleware: every request under /api/ now passes " +
		"through requireSession(), which reads the cookie, verifies the HMAC, loads the user and the organization, " +
		"and stores both in the request context. Handlers call auth.FromContext(ctx) instead of parsing headers " +
		"themselves. We kept the old helper for one release and added new tests."
	if n := len(m.Tokenize(text)); n != 99 {
		b.Fatalf("benchmark text has %d tokens, want 99", n)
	}
	for _, n := range []int{1, 16} {
		texts := slices.Repeat([]string{text}, n)
		name := "one"
		if n > 1 {
			name = "batch16"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				if _, err := m.Embed(ctx, texts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "embeddings/s")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
	}
}
