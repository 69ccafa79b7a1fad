package bench

import (
	"context"
	"fmt"
	"time"
)

// Prewarm is what was read into shared buffers before the searches were
// timed.
type Prewarm struct {
	Blocks  int64   `json:"blocks"`
	Bytes   int64   `json:"bytes"`
	Seconds float64 `json:"seconds"`
	// Skipped says why nothing was prewarmed (no pg_prewarm extension).
	Skipped string `json:"skipped,omitempty"`
}

// searchRelations are the relations a search reads: the messages (with
// the long texts TOAST holds, which substring matches and snippets read)
// and their text indexes, the embeddings and their HNSW index.
var searchRelations = []string{"messages", "messages_tsv_idx", "messages_text_trgm_idx", "messages_conversation_idx",
	"message_embeddings", "message_embeddings_use_lite_hnsw", "message_embeddings_org_model_idx", "conversations"}

// prewarmSQL reads each of the named relations ($1) and the TOAST table
// and index of messages into shared buffers, and returns the blocks read.
// The TOAST relations go by OID: their names are in the schema pg_toast,
// which the service's role may not look into.
const prewarmSQL = `select coalesce(sum(pg_prewarm(oid::regclass)), 0) from (
		select r::regclass::oid from unnest($1::text[]) r
		union all select c.reltoastrelid from pg_class c where c.oid = 'messages'::regclass and c.reltoastrelid <> 0
		union all select i.indexrelid from pg_class c join pg_index i on i.indrelid = c.reltoastrelid
			where c.oid = 'messages'::regclass) rels (oid)`

// prewarm loads the search relations into shared buffers with pg_prewarm,
// as pg_prewarm's autoprewarm does for a production server after a restart
// (scripts/tune-postgres.sh): the timings are then of a running server, not
// of one whose buffers were emptied by loading the dataset.
func prewarm(ctx context.Context, b *benchDB) (Prewarm, error) {
	var ok bool
	if err := b.db.Pool().QueryRow(ctx, `select exists (select 1 from pg_extension where extname = 'pg_prewarm')`).Scan(&ok); err != nil {
		return Prewarm{}, fmt.Errorf("look for pg_prewarm: %w", err)
	}
	if !ok {
		return Prewarm{Skipped: "pg_prewarm is not installed in " + b.name + " (scripts/tune-postgres.sh installs it in the template)"}, nil
	}
	start := time.Now()
	var p Prewarm
	if err := b.db.Pool().QueryRow(ctx, prewarmSQL, searchRelations).Scan(&p.Blocks); err != nil {
		return p, fmt.Errorf("pg_prewarm the search relations of %s: %w", b.name, err)
	}
	p.Bytes, p.Seconds = p.Blocks*8192, time.Since(start).Seconds()
	return p, nil
}
