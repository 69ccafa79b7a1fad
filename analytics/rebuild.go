package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// rebuildBatch is how many entities Rebuild reads per Postgres transaction
// and writes per ClickHouse insert.
const rebuildBatch = 5000

// Rebuild re-projects every conversation, message, commit, link and search of
// one organization (every organization when orgID is uuid.Nil) from
// Postgres into the event tables, inserting in batches. It is idempotent
// and safe while the workers run: each row it writes collapses with the
// rows projection jobs write for the same entity (the latest read wins),
// and the rollups only gain ids they already hold. progress, if not nil,
// is called after each batch with the number of rows written so far.
//
// Rebuild adds and updates; it does not remove rows of entities Postgres
// no longer has. Wipe first for that (the organization's dashboards are
// then incomplete until Rebuild has finished).
func Rebuild(ctx context.Context, db *warehouse.DB, ch warehouse.ClickHouse, orgID uuid.UUID, progress func(n int)) (int, error) {
	orgs, err := orgsOf(ctx, db, orgID)
	if err != nil {
		return 0, fmt.Errorf("rebuild analytics: %w", err)
	}
	r := rebuilder{db: db, ch: ch, progress: progress}
	for _, org := range orgs {
		if err := r.org(ctx, org); err != nil {
			return r.written, fmt.Errorf("rebuild analytics of org %s: %w", org, err)
		}
	}
	return r.written, nil
}

// orgsOf is the organization itself, or every organization for uuid.Nil.
func orgsOf(ctx context.Context, db *warehouse.DB, orgID uuid.UUID) ([]uuid.UUID, error) {
	if orgID != uuid.Nil {
		return []uuid.UUID{orgID}, nil
	}
	var ids []uuid.UUID
	err := db.AsSystem(ctx, func(tx pgx.Tx) error {
		orgs, err := warehouse.ListOrganizations(ctx, tx)
		for _, o := range orgs {
			ids = append(ids, o.ID)
		}
		return err
	})
	return ids, err
}

type rebuilder struct {
	db       *warehouse.DB
	ch       warehouse.ClickHouse
	progress func(n int)
	written  int
}

func (r *rebuilder) org(ctx context.Context, orgID uuid.UUID) error {
	err := copyPages(ctx, r, orgID, TableConversationEvents, ConversationEventColumns, conversationRow,
		func(ctx context.Context, tx pgx.Tx, last *warehouse.ConversationEvent) ([]warehouse.ConversationEvent, error) {
			var after uuid.UUID
			if last != nil {
				after = last.ID
			}
			return warehouse.ListConversationEvents(ctx, tx, after, rebuildBatch)
		})
	if err != nil {
		return err
	}
	err = copyPages(ctx, r, orgID, TableMessageEvents, MessageEventColumns, messageRow,
		func(ctx context.Context, tx pgx.Tx, last *warehouse.MessageEvent) ([]warehouse.MessageEvent, error) {
			var after int64
			if last != nil {
				after = last.ID
			}
			return warehouse.ListMessageEvents(ctx, tx, after, rebuildBatch)
		})
	if err != nil {
		return err
	}
	err = copyPages(ctx, r, orgID, TableCommitEvents, CommitEventColumns, commitRow,
		func(ctx context.Context, tx pgx.Tx, last *warehouse.CommitEvent) ([]warehouse.CommitEvent, error) {
			var after uuid.UUID
			if last != nil {
				after = last.ID
			}
			return warehouse.ListCommitEvents(ctx, tx, after, rebuildBatch)
		})
	if err != nil {
		return err
	}
	err = copyPages(ctx, r, orgID, TableLinkEvents, LinkEventColumns, linkRow,
		func(ctx context.Context, tx pgx.Tx, last *warehouse.LinkEvent) ([]warehouse.LinkEvent, error) {
			var afterConv, afterCommit uuid.UUID
			if last != nil {
				afterConv, afterCommit = last.ConversationID, last.CommitID
			}
			return warehouse.ListLinkEvents(ctx, tx, afterConv, afterCommit, rebuildBatch)
		})
	if err != nil {
		return err
	}
	return copyPages(ctx, r, orgID, TableSearchEvents, SearchEventColumns, searchRow,
		func(ctx context.Context, tx pgx.Tx, last *warehouse.StoredSearchEvent) ([]warehouse.StoredSearchEvent, error) {
			var afterAt time.Time
			var afterID uuid.UUID
			if last != nil {
				afterAt, afterID = last.OccurredAt, last.ID
			}
			return warehouse.ListSearchEvents(ctx, tx, afterAt, afterID, rebuildBatch)
		})
}

// copyPages copies one entity type of an organization page by page: list
// reads the page that follows last (nil: the first page), each in its own
// short transaction so a large organization never holds one snapshot open
// for the whole rebuild.
func copyPages[E any](ctx context.Context, r *rebuilder, orgID uuid.UUID, table string, columns []string, row func(E) []any,
	list func(ctx context.Context, tx pgx.Tx, last *E) ([]E, error)) error {
	var last *E
	for {
		var page []E
		err := r.db.InOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
			page, err = list(ctx, tx, last)
			return err
		})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		rows := make([][]any, len(page))
		for i, e := range page {
			rows[i] = row(e)
		}
		if err := r.insert(ctx, table, columns, rows); err != nil {
			return err
		}
		last = &page[len(page)-1]
	}
}

func (r *rebuilder) insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	if err := r.ch.Insert(ctx, table, columns, rows); err != nil {
		return fmt.Errorf("write %d rows to %s: %w", len(rows), table, err)
	}
	r.written += len(rows)
	if r.progress != nil {
		r.progress(r.written)
	}
	return nil
}

// Wipe deletes one organization's rows (every organization's when orgID is
// uuid.Nil) from the event tables and the rollups, so that a following
// Rebuild leaves exactly what Postgres holds: rows of entities that were
// deleted in Postgres are gone, and the rollups no longer count them.
// Projection jobs that run meanwhile write correct rows, which Rebuild then
// confirms.
func Wipe(ctx context.Context, ch warehouse.ClickHouse, orgID uuid.UUID) error {
	for _, t := range tables {
		var err error
		if orgID == uuid.Nil {
			err = ch.Exec(ctx, "TRUNCATE TABLE IF EXISTS "+t)
		} else {
			// A lightweight delete: the rows disappear from queries at
			// once and from disk with the next merges.
			err = ch.Exec(ctx, "DELETE FROM "+t+" WHERE org_id = ?", orgID)
		}
		if err != nil {
			return fmt.Errorf("wipe analytics table %s: %w", t, err)
		}
	}
	return nil
}
