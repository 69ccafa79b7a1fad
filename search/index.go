package search

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// EmbedConversationArgs asks a worker to embed a conversation's messages
// that have no vectors of the configured model yet. A wire contract: new
// fields must be optional.
type EmbedConversationArgs struct {
	OrgID          uuid.UUID `json:"org_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
}

// Kind names the job type in River.
func (EmbedConversationArgs) Kind() string { return "search.embed_conversation" }

// QueueEmbedding is the River queue of embedding work: slow (CPU or a
// rate-limited API), so it never holds up parsing.
const QueueEmbedding = "embedding"

// InsertOpts: the job is idempotent (it embeds only what has no vector
// yet), so a conversation captured on every turn may queue several; the
// later ones find little or nothing to do.
func (EmbedConversationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEmbedding, MaxAttempts: 10}
}

// Chunking: the local model reads at most 128 tokens (about 400
// characters of English); long messages are split into several vectors,
// up to MaxChunks per message (the rest is still keyword-searchable).
const MaxChunks = 8

func chunkChars(e Embedder) int {
	if e.Model() == "use-lite" {
		return 400
	}
	return 6000
}

// Chunk splits text into the byte ranges [start, end) the embedding job
// embeds: pieces of at most size bytes, cut at a paragraph, line, sentence
// or word boundary where one is near, at most MaxChunks of them.
func Chunk(text string, size int) [][2]int {
	var out [][2]int
	for start := 0; start < len(text) && len(out) < MaxChunks; {
		for start < len(text) {
			r, n := utf8.DecodeRuneInString(text[start:])
			if !unicode.IsSpace(r) {
				break
			}
			start += n
		}
		if start >= len(text) {
			break
		}
		end := min(len(text), start+size)
		if end < len(text) {
			cut := -1
			for _, sep := range []string{"\n\n", "\n", ". ", " "} {
				if i := strings.LastIndex(text[start:end], sep); i > size/2 {
					cut = start + i + len(sep)
					break
				}
			}
			if cut < 0 {
				cut = end
				for cut > start && !utf8.RuneStart(text[cut]) {
					cut--
				}
			}
			end = cut
		}
		out = append(out, [2]int{start, end})
		start = end
	}
	return out
}

// EmbedConversation embeds the conversation's messages that lack vectors
// of the configured model, in batches, and stores them. It is idempotent.
func (s *Service) EmbedConversation(ctx context.Context, args EmbedConversationArgs) (int, error) {
	if s.Embedder == nil {
		return 0, ErrSemanticUnavailable
	}
	model := s.Embedder.Model()
	var msgs []warehouse.MessageToEmbed
	err := s.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
		var err error
		msgs, err = warehouse.MessagesToEmbed(ctx, tx, args.ConversationID, model)
		return err
	})
	if err != nil {
		return 0, err
	}
	size := chunkChars(s.Embedder)
	var pending []warehouse.Embedding
	var texts []string
	stored := 0
	flush := func() error {
		if len(texts) == 0 {
			return nil
		}
		vecs, err := s.Embedder.Embed(ctx, texts)
		if err != nil {
			return fmt.Errorf("embed conversation %s: %w", args.ConversationID, err)
		}
		for i := range pending {
			pending[i].Vector = vecs[i]
		}
		if err := s.DB.InOrg(ctx, args.OrgID, func(tx pgx.Tx) error {
			return warehouse.InsertEmbeddings(ctx, tx, args.OrgID, model, pending)
		}); err != nil {
			return err
		}
		stored += len(pending)
		pending, texts = pending[:0], texts[:0]
		return nil
	}
	for _, m := range msgs {
		for i, sp := range Chunk(m.Text, size) {
			pending = append(pending, warehouse.Embedding{MessageID: m.ID, ConversationID: m.ConversationID, Chunk: i, StartChar: sp[0], EndChar: sp[1]})
			texts = append(texts, m.Text[sp[0]:sp[1]])
			if len(texts) == 64 {
				if err := flush(); err != nil {
					return stored, err
				}
			}
		}
	}
	return stored, flush()
}

// Enqueuer inserts jobs; *river.Client is one.
type Enqueuer interface {
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// Backfill enqueues embedding jobs for every conversation of the org that
// has messages without vectors of the configured model: after enabling
// semantic search, or after switching models.
func (s *Service) Backfill(ctx context.Context, jobs Enqueuer, orgID uuid.UUID) (int, error) {
	if s.Embedder == nil {
		return 0, ErrSemanticUnavailable
	}
	var ids []uuid.UUID
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		ids, err = warehouse.ConversationsMissingEmbeddings(ctx, tx, s.Embedder.Model(), 1_000_000)
		return err
	})
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: EmbedConversationArgs{OrgID: orgID, ConversationID: id}}
	}
	for i := 0; i < len(params); i += 1000 {
		if _, err := jobs.InsertMany(ctx, params[i:min(i+1000, len(params))]); err != nil {
			return i, fmt.Errorf("enqueue embedding jobs: %w", err)
		}
	}
	return len(ids), nil
}

// PruneOtherModels deletes the org's vectors of models other than the
// configured one, once a switch of models has been backfilled.
func (s *Service) PruneOtherModels(ctx context.Context, orgID uuid.UUID) (int64, error) {
	if s.Embedder == nil {
		return 0, ErrSemanticUnavailable
	}
	var n int64
	err := s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		n, err = warehouse.DeleteEmbeddingsExcept(ctx, tx, s.Embedder.Model())
		return err
	})
	return n, err
}

// EnsureIndex creates the vector index of the configured model if needed.
func (s *Service) EnsureIndex(ctx context.Context) error {
	if s.Embedder == nil {
		return nil
	}
	return s.DB.AsSystem(ctx, func(tx pgx.Tx) error {
		return warehouse.EnsureVectorIndex(ctx, tx, s.Embedder.Model(), s.Embedder.Dimensions())
	})
}

// TxEnqueuer inserts a job in the caller's transaction; *river.Client is one.
type TxEnqueuer interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}
