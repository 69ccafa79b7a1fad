package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Mode is how a query is matched.
type Mode string

const (
	ModeHybrid   Mode = "hybrid"
	ModeKeyword  Mode = "keyword"
	ModeSemantic Mode = "semantic"
)

// ParseMode reads a mode name; empty is hybrid.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", ModeHybrid:
		return ModeHybrid, nil
	case ModeKeyword, ModeSemantic:
		return Mode(s), nil
	}
	return "", fmt.Errorf("%w: mode %q must be hybrid, keyword or semantic", ErrBadRequest, s)
}

// ErrBadRequest wraps every error caused by the request rather than the
// service; callers answer 400.
var ErrBadRequest = errors.New("bad search request")

// ErrSemanticUnavailable: no embedding model is configured.
var ErrSemanticUnavailable = errors.New("semantic search is not available: no embedding model is configured")

// Request is one search.
type Request struct {
	OrgID  uuid.UUID
	Viewer warehouse.Viewer
	Query  string
	Mode   Mode
	Filter warehouse.SearchFilter
	// Limit is the number of conversations returned (default 20, max 100).
	Limit int
}

// Result is what a search found.
type Result struct {
	Query         string               `json:"query"`
	Mode          Mode                 `json:"mode"`
	Conversations []ConversationResult `json:"conversations"`
	// Reason says why nothing could be searched (a query of stop-words).
	Reason  string   `json:"reason,omitempty"`
	Notices []string `json:"notices,omitempty"`
	TookMS  float64  `json:"took_ms"`
	// EmbedMS is the part of TookMS spent embedding the query.
	EmbedMS float64 `json:"embed_ms,omitempty"`
}

// ConversationResult is a conversation with its best matching messages.
type ConversationResult struct {
	ID          uuid.UUID       `json:"id"`
	Title       string          `json:"title"`
	Source      string          `json:"source"`
	UserEmail   string          `json:"user_email"`
	Repo        string          `json:"repo,omitempty"`
	GitBranches []string        `json:"git_branches"`
	Models      []string        `json:"models"`
	StartedAt   *time.Time      `json:"started_at"`
	Score       float64         `json:"score"`
	Matches     []MessageMatch  `json:"matches"`
	Commits     json.RawMessage `json:"commits,omitempty"`
}

// MessageMatch is one matching message with a highlighted snippet.
type MessageMatch struct {
	MessageID int64      `json:"message_id"`
	Seq       int        `json:"seq"`
	Role      string     `json:"role"`
	SentAt    *time.Time `json:"sent_at"`
	Score     float64    `json:"score"`
	// Snippet is plain text; Highlights are [start, end) rune offsets of
	// the matched terms in it.
	Snippet    string   `json:"snippet"`
	Highlights [][2]int `json:"highlights"`
	// Via says which search found it: keyword, semantic or both.
	Via string `json:"via"`
}

// Service runs searches.
type Service struct {
	DB       *warehouse.DB
	Embedder Embedder // nil: keyword search only
	Logger   *slog.Logger
	// ExactBelow: orgs with fewer vectors than this are searched exactly
	// (faster than the index at that size, and exact). Default 20,000.
	ExactBelow int
	// Now is the clock (tests).
	Now func() time.Time
	// Redact removes secrets from queries before they are recorded.
	Redact func(string) string
	// Jobs enqueues the search event's projection to analytics (nil: not
	// projected).
	Jobs TxEnqueuer

	cacheMu sync.Mutex
	cache   map[string]cachedVector
	counts  map[uuid.UUID]cachedCount
}

type cachedVector struct {
	vec  []float32
	used time.Time
}

type cachedCount struct {
	n  int
	at time.Time
}

// SemanticCandidates is how many nearest chunks the semantic leg fetches
// (among those the viewer may see) when the request asks for fewer
// conversations: HNSW recall@10 above 0.99 at 1M messages, and the index
// work is about proportional to it (BENCHMARKS.md, HNSW recall).
const SemanticCandidates = 60

const (
	hitsPerList  = 100 // messages fetched from each search before grouping
	rrfK         = 60  // reciprocal rank fusion constant (Cormack et al.)
	matchesShown = 3   // messages shown per conversation
	cacheSize    = 2000
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Search runs a request and records it for analytics.
func (s *Service) Search(ctx context.Context, req Request) (Result, error) {
	start := s.now()
	res := Result{Query: req.Query, Mode: req.Mode, Conversations: []ConversationResult{}}
	if req.Mode == "" {
		req.Mode, res.Mode = ModeHybrid, ModeHybrid
	}
	if req.Limit <= 0 {
		req.Limit = 20
	}
	if req.Limit > 100 {
		return res, fmt.Errorf("%w: limit must be at most 100", ErrBadRequest)
	}
	parsed, err := ParseQuery(req.Query)
	if err != nil {
		return res, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	res.Notices = parsed.Notices
	if req.Mode != ModeKeyword && s.Embedder == nil {
		if req.Mode == ModeSemantic {
			return res, ErrSemanticUnavailable
		}
		req.Mode, res.Mode = ModeKeyword, ModeKeyword
		res.Notices = append(res.Notices, "semantic search is not configured: keyword results only")
	}
	kq := mergeWords(parsed.Keyword)

	// The keyword and semantic legs run at once, each in its own
	// transaction (its own connection): a hybrid search takes about as long
	// as its slower leg, not the sum.
	var keywordHits, semanticHits []warehouse.MessageHit
	var embedTook time.Duration
	var reason string
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return s.DB.InOrg(gctx, req.OrgID, func(tx pgx.Tx) error {
			var err error
			if kq, reason, err = plainWords(gctx, tx, kq, req.Mode); err != nil || reason != "" || req.Mode == ModeSemantic {
				return err
			}
			keywordHits, err = warehouse.KeywordSearch(gctx, tx, req.OrgID, req.Viewer, kq, req.Filter, hitsPerList)
			return err
		})
	})
	if req.Mode != ModeKeyword {
		g.Go(func() error {
			t0 := time.Now()
			vec, err := s.queryVector(gctx, req.OrgID, parsed.Text)
			if err != nil {
				return err
			}
			embedTook = time.Since(t0)
			return s.DB.InOrg(gctx, req.OrgID, func(tx pgx.Tx) error {
				exact, err := s.exact(gctx, tx, req.OrgID)
				if err != nil {
					return err
				}
				semanticHits, err = warehouse.SemanticSearch(gctx, tx, req.OrgID, req.Viewer, warehouse.SemanticQuery{
					Model: s.Embedder.Model(), Dims: s.Embedder.Dimensions(), Vector: vec, Exact: exact, Candidates: SemanticCandidates,
				}, req.Filter, max(SemanticCandidates, req.Limit))
				return err
			})
		})
	}
	err = g.Wait()
	if err == nil && reason != "" {
		res.Reason = reason
		semanticHits = nil // a query of stop-words finds nothing in any mode
	}
	if err == nil && res.Reason == "" {
		err = s.DB.InOrg(ctx, req.OrgID, func(tx pgx.Tx) error {
			ranked := fuse(keywordHits, semanticHits, req.Limit)
			ids := make([]uuid.UUID, len(ranked))
			for i, r := range ranked {
				ids[i] = r.id
			}
			headers, err := warehouse.ConversationsByID(ctx, tx, req.OrgID, ids)
			if err != nil {
				return err
			}
			for _, r := range ranked {
				res.Conversations = append(res.Conversations, s.present(r, headers[r.id], parsed))
			}
			return nil
		})
	}
	if err != nil {
		return res, fmt.Errorf("search: %w", err)
	}
	res.TookMS = ms(s.now().Sub(start))
	res.EmbedMS = ms(embedTook)
	s.record(ctx, req, res)
	return res, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// mergeWords folds plain words that must all match into one full-text
// match, so Postgres drops their stop-words together ("how to fix jwt"
// needs fix and jwt, not how and to).
func mergeWords(kq warehouse.KeywordQuery) warehouse.KeywordQuery {
	out := warehouse.KeywordQuery{Exclude: kq.Exclude}
	var words []string
	for _, g := range kq.Groups {
		if len(g) == 1 && g[0].Words != "" {
			words = append(words, g[0].Words)
			continue
		}
		out.Groups = append(out.Groups, g)
	}
	if len(words) > 0 {
		out.Groups = append([][]warehouse.TextMatch{{{Words: strings.Join(words, " ")}}}, out.Groups...)
	}
	return out
}

// plainWords applies the mode to the merged plain-words group (first,
// after mergeWords), without its stop-words: "ERR_CONNECTION_RESET in
// useAuthToken.ts" must not require the unindexed "in", and a query of
// nothing but stop-words gets a reason instead of results.
//
// Keyword mode keeps web-search semantics: every word required. Hybrid
// search's keyword leg requires any two of the words (any one of one or
// two): natural questions and paraphrases rarely contain every word, and
// semantic search carries the meaning (BENCHMARKS.md, Relevance: nDCG@10
// 0.637 with every word, 0.761 with any word, 0.738 with any two), while
// any single common word would match a large part of a big org.
// Phrases, code and exclusions keep their exact meaning in both modes.
func plainWords(ctx context.Context, tx pgx.Tx, kq warehouse.KeywordQuery, mode Mode) (warehouse.KeywordQuery, string, error) {
	if len(kq.Groups) == 0 || len(kq.Groups[0]) != 1 || kq.Groups[0][0].Words == "" {
		return kq, "", nil
	}
	words, err := warehouse.ContentWords(ctx, tx, strings.Fields(kq.Groups[0][0].Words))
	if err != nil {
		return kq, "", err
	}
	rest := kq.Groups[1:]
	switch {
	case len(words) == 0 && len(rest) == 0:
		return kq, "the query has only very common words (stop-words such as \"the\" or \"how\"), which are not indexed: add a distinctive word", nil
	case len(words) == 0:
		kq.Groups = rest
	case mode == ModeHybrid:
		kq.Groups = append([][]warehouse.TextMatch{anyTwoWords(words)}, rest...)
	default:
		kq.Groups = append([][]warehouse.TextMatch{{{Words: strings.Join(words, " ")}}}, rest...)
	}
	return kq, "", nil
}

// maxPairedWords bounds the words whose pairs hybrid search's keyword leg
// matches (45 pairs); later words of a long question are left to the
// semantic leg.
const maxPairedWords = 10

// anyTwoWords is the alternatives "w1 w2", "w1 w3", … of the words, or
// each word alone when there are fewer than three.
func anyTwoWords(words []string) []warehouse.TextMatch {
	var alts []warehouse.TextMatch
	if len(words) < 3 {
		for _, w := range words {
			alts = append(alts, warehouse.TextMatch{Words: w})
		}
		return alts
	}
	words = words[:min(len(words), maxPairedWords)]
	for i := range words {
		for j := i + 1; j < len(words); j++ {
			alts = append(alts, warehouse.TextMatch{Words: words[i] + " " + words[j]})
		}
	}
	return alts
}

// queryVector embeds the query, from the cache when it was asked before.
// The cache is per organization: a hit is faster, and timing must not tell
// one org what another searched.
func (s *Service) queryVector(ctx context.Context, orgID uuid.UUID, text string) ([]float32, error) {
	key := orgID.String() + "\x00" + s.Embedder.Model() + "\x00" + text
	s.cacheMu.Lock()
	if c, ok := s.cache[key]; ok {
		c.used = time.Now()
		s.cache[key] = c
		s.cacheMu.Unlock()
		return c.vec, nil
	}
	s.cacheMu.Unlock()
	vecs, err := s.Embedder.Embed(ctx, []string{text})
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if s.cache == nil {
		s.cache = map[string]cachedVector{}
	}
	if len(s.cache) >= cacheSize {
		s.evictOldest()
	}
	s.cache[key] = cachedVector{vec: vecs[0], used: time.Now()}
	return vecs[0], nil
}

// evictOldest drops the least recently used quarter of the cache.
func (s *Service) evictOldest() {
	type entry struct {
		key  string
		used time.Time
	}
	all := make([]entry, 0, len(s.cache))
	for k, v := range s.cache {
		all = append(all, entry{k, v.used})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].used.Before(all[j].used) })
	for _, e := range all[:len(all)/4+1] {
		delete(s.cache, e.key)
	}
}

// exact decides between an exact scan and the HNSW index from the org's
// vector count, re-counted at most once a minute.
func (s *Service) exact(ctx context.Context, tx pgx.Tx, orgID uuid.UUID) (bool, error) {
	threshold := s.ExactBelow
	if threshold <= 0 {
		threshold = 20000
	}
	s.cacheMu.Lock()
	c, ok := s.counts[orgID]
	s.cacheMu.Unlock()
	if !ok || time.Since(c.at) > time.Minute {
		n, err := warehouse.CountEmbeddings(ctx, tx, orgID, s.Embedder.Model(), threshold)
		if err != nil {
			return false, err
		}
		c = cachedCount{n: n, at: time.Now()}
		s.cacheMu.Lock()
		if s.counts == nil {
			s.counts = map[uuid.UUID]cachedCount{}
		}
		s.counts[orgID] = c
		s.cacheMu.Unlock()
	}
	return c.n < threshold, nil
}

// ranked is a conversation with its fused score and messages.
type ranked struct {
	id       uuid.UUID
	score    float64
	messages []*fusedHit
}

type fusedHit struct {
	warehouse.MessageHit
	score float64
	via   string
}

// fuse groups hits into conversations and ranks them by reciprocal rank
// fusion of the conversation ranks in each list (a single list ranks by
// its own order). Messages within a conversation rank the same way.
func fuse(keyword, semantic []warehouse.MessageHit, limit int) []ranked {
	byConv := map[uuid.UUID]*ranked{}
	byMsg := map[int64]*fusedHit{}
	var order []uuid.UUID
	add := func(hits []warehouse.MessageHit, via string) {
		convRank := map[uuid.UUID]int{}
		for i, h := range hits {
			r, ok := convRank[h.ConversationID]
			if !ok {
				r = len(convRank) + 1
				convRank[h.ConversationID] = r
				c := byConv[h.ConversationID]
				if c == nil {
					c = &ranked{id: h.ConversationID}
					byConv[h.ConversationID] = c
					order = append(order, h.ConversationID)
				}
				c.score += 1.0 / float64(rrfK+r)
			}
			m := byMsg[h.MessageID]
			if m == nil {
				m = &fusedHit{MessageHit: h, via: via}
				byMsg[h.MessageID] = m
				byConv[h.ConversationID].messages = append(byConv[h.ConversationID].messages, m)
			} else if m.via != via {
				m.via = "both"
				if via == "semantic" {
					m.StartChar, m.EndChar = h.StartChar, h.EndChar
				}
			}
			m.score += 1.0 / float64(rrfK+i+1)
		}
	}
	add(keyword, "keyword")
	add(semantic, "semantic")
	out := make([]ranked, 0, len(order))
	for _, id := range order {
		c := byConv[id]
		sort.SliceStable(c.messages, func(i, j int) bool { return c.messages[i].score > c.messages[j].score })
		out = append(out, *c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func (s *Service) present(r ranked, c warehouse.Conversation, q Parsed) ConversationResult {
	cr := ConversationResult{
		ID: r.id, Title: c.Title, Source: c.Tool, UserEmail: c.UserEmail, Repo: c.Repo,
		GitBranches: c.GitBranches, Models: c.Models, StartedAt: c.StartedAt, Score: r.score,
		Matches: []MessageMatch{},
	}
	if len(c.CommitRefs) > 2 {
		cr.Commits = c.CommitRefs
	}
	for i, m := range r.messages {
		if i == matchesShown {
			break
		}
		snippet, marks := makeSnippet(m.Text, q, m.StartChar, m.EndChar)
		cr.Matches = append(cr.Matches, MessageMatch{
			MessageID: m.MessageID, Seq: m.Seq, Role: m.Role, SentAt: m.SentAt, Score: m.score,
			Snippet: snippet, Highlights: marks, Via: m.via,
		})
	}
	return cr
}

// record stores the search event; a failure to record is logged, never
// turned into a failed search.
func (s *Service) record(ctx context.Context, req Request, res Result) {
	filters, _ := json.Marshal(req.Filter)
	query := req.Query
	if s.Redact != nil {
		query = s.Redact(query)
	}
	e := warehouse.SearchEvent{
		OrgID: req.OrgID, UserID: req.Viewer.UserID, Query: query, Mode: string(res.Mode), Filters: filters,
		Results: len(res.Conversations), LatencyMS: res.TookMS, EmbedMS: res.EmbedMS,
	}
	ctx = context.WithoutCancel(ctx) // recorded even when the client hung up
	err := s.DB.InOrg(ctx, req.OrgID, func(tx pgx.Tx) error {
		id, at, err := warehouse.InsertSearchEvent(ctx, tx, e)
		if err != nil || s.Jobs == nil {
			return err
		}
		_, err = s.Jobs.InsertTx(ctx, tx, analytics.ProjectSearchArgs{OrgID: req.OrgID, EventID: id, OccurredAt: at}, nil)
		return err
	})
	if err != nil && s.Logger != nil {
		s.Logger.WarnContext(ctx, "record search event", slog.Any("error", err))
	}
}

// ResolveTeam finds a team of the org by slug, for the team filter.
func (s *Service) ResolveTeam(ctx context.Context, orgID uuid.UUID, slug string) (uuid.UUID, error) {
	var t warehouse.Team
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		t, err = warehouse.GetTeamBySlug(ctx, tx, slug)
		return err
	})
	return t.ID, err
}
