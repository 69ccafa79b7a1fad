package warehouse_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

type bulkOrg struct {
	org   warehouse.BulkOrganization
	admin warehouse.BulkUser
	dev   warehouse.BulkUser
	team  uuid.UUID
	conv  []uuid.UUID
}

// unitVector is a 512-d vector pointing mostly along axis i.
func unitVector(i int) []float32 {
	v := make([]float32, 512)
	for j := range v {
		v[j] = 0.01
	}
	v[i%512] = 1
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	for j := range v {
		v[j] = float32(float64(v[j]) / math.Sqrt(n))
	}
	return v
}

func TestBulkLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := warehousetest.Postgres(t)
	suffix := uuid.NewString()[:8]

	// Two orgs; the first gets more messages than one batch holds.
	var orgs []*bulkOrg
	for i := range 2 {
		o := &bulkOrg{
			org:   warehouse.BulkOrganization{ID: uuid.New(), Slug: fmt.Sprintf("bulk-%d-%s", i, suffix), Name: "Bulk", Plan: "pro"},
			admin: warehouse.BulkUser{ID: uuid.New(), Email: fmt.Sprintf("admin-%d-%s@bulk.example", i, suffix), Name: "Admin"},
			dev:   warehouse.BulkUser{ID: uuid.New(), Email: fmt.Sprintf("dev-%d-%s@bulk.example", i, suffix), Name: "Dev"},
			team:  uuid.New(),
		}
		orgs = append(orgs, o)
	}
	var (
		bo    []warehouse.BulkOrganization
		users []warehouse.BulkUser
		ms    []warehouse.BulkMembership
		teams []warehouse.BulkTeam
		tms   []warehouse.BulkTeamMember
		convs []warehouse.Conversation
		msgs  []warehouse.BulkMessage
	)
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i, o := range orgs {
		bo = append(bo, o.org)
		users = append(users, o.admin, o.dev)
		ms = append(ms, warehouse.BulkMembership{OrgID: o.org.ID, UserID: o.admin.ID, Role: warehouse.RoleAdmin},
			warehouse.BulkMembership{OrgID: o.org.ID, UserID: o.dev.ID, Role: warehouse.RoleDeveloper})
		teams = append(teams, warehouse.BulkTeam{OrgID: o.org.ID, ID: o.team, Slug: "core", Name: "Core"})
		tms = append(tms, warehouse.BulkTeamMember{OrgID: o.org.ID, TeamID: o.team, UserID: o.admin.ID, Role: "lead"},
			warehouse.BulkTeamMember{OrgID: o.org.ID, TeamID: o.team, UserID: o.dev.ID, Role: "member"})
		nConv, perConv := 3, 2
		if i == 0 {
			nConv, perConv = 501, 10 // 5010 messages: two batches
		}
		for c := range nConv {
			id := uuid.New()
			o.conv = append(o.conv, id)
			ended := start.Add(time.Duration(c) * time.Minute)
			convs = append(convs, warehouse.Conversation{OrgID: o.org.ID, ID: id, UserID: o.dev.ID, Tool: "claude_code", Format: "claude_code",
				ExternalID: id.String(), Title: fmt.Sprintf("conversation %d", c), GitRemote: "git@github.com:acme/shop.git", Repo: "github.com/acme/shop",
				GitBranches: []string{"main", "fix/jwt"}, Models: []string{"claude-sonnet-4-5"}, StartedAt: &start, EndedAt: &ended, MessageCount: perConv})
			for m := range perConv {
				role := "user"
				if m%2 == 1 {
					role = "assistant"
				}
				text := fmt.Sprintf("org %d conversation %d message %d about the refresh token", i, c, m)
				if i == 0 && c == 7 && m == 3 {
					text = "ERR_CONNECTION_RESET in useAuthToken.ts when the token refreshes"
				}
				msgs = append(msgs, warehouse.BulkMessage{OrgID: o.org.ID, ConversationID: id,
					Message: warehouse.Message{Seq: m, ExternalID: fmt.Sprintf("m%d", m), Role: role, Text: text, SentAt: &start}})
			}
		}
	}
	var ids []int64
	require.NoError(t, db.AsSystem(ctx, func(tx pgx.Tx) error {
		require.NoError(t, warehouse.BulkInsertOrganizations(ctx, tx, bo))
		require.NoError(t, warehouse.BulkInsertUsers(ctx, tx, users))
		require.NoError(t, warehouse.BulkInsertMemberships(ctx, tx, ms))
		require.NoError(t, warehouse.BulkInsertTeams(ctx, tx, teams))
		require.NoError(t, warehouse.BulkInsertTeamMembers(ctx, tx, tms))
		require.NoError(t, warehouse.BulkInsertConversations(ctx, tx, convs))
		var err error
		ids, err = warehouse.BulkInsertMessages(ctx, tx, msgs)
		require.NoError(t, err)
		require.Len(t, ids, len(msgs))
		var es []warehouse.BulkEmbedding
		for i, m := range msgs {
			es = append(es, warehouse.BulkEmbedding{OrgID: m.OrgID, Embedding: warehouse.Embedding{MessageID: ids[i], ConversationID: m.ConversationID,
				Chunk: 0, StartChar: 0, EndChar: len(m.Text), Vector: unitVector(i)}})
		}
		return warehouse.BulkInsertEmbeddings(ctx, tx, "use-lite", es)
	}))

	// Ids line up with the input: each id's row has the input's text.
	first := orgs[0]
	require.NoError(t, db.InOrg(ctx, first.org.ID, func(tx pgx.Tx) error {
		for _, i := range []int{0, 4999, 5000, 5009} {
			var text string
			require.NoError(t, tx.QueryRow(ctx, `select text from messages where id = $1`, ids[i]).Scan(&text))
			require.Equal(t, msgs[i].Text, text, "message %d", i)
		}
		// Row-level security: the org sees its own rows only.
		var nConv, nMsg, nVec int
		require.NoError(t, tx.QueryRow(ctx, `select (select count(*) from conversations), (select count(*) from messages), (select count(*) from message_embeddings)`).Scan(&nConv, &nMsg, &nVec))
		require.Equal(t, []int{501, 5010, 5010}, []int{nConv, nMsg, nVec})

		c, err := warehouse.GetConversation(ctx, tx, warehouse.Viewer{UserID: first.dev.ID, Role: warehouse.RoleDeveloper}, first.conv[7])
		require.NoError(t, err)
		require.Equal(t, []string{"main", "fix/jwt"}, c.GitBranches)
		require.Equal(t, []string{"claude-sonnet-4-5"}, c.Models)
		require.Equal(t, 10, c.MessageCount)
		listed, err := warehouse.ListMessages(ctx, tx, first.conv[7])
		require.NoError(t, err)
		require.Len(t, listed, 10)
		require.Equal(t, "ERR_CONNECTION_RESET in useAuthToken.ts when the token refreshes", listed[3].Text)

		// The loaded rows are searchable like any others: the generated
		// tsv column, the trigram match and the vectors.
		hits, err := warehouse.KeywordSearch(ctx, tx, first.org.ID, warehouse.Viewer{UserID: first.dev.ID, Role: warehouse.RoleDeveloper},
			warehouse.KeywordQuery{Groups: [][]warehouse.TextMatch{{{Substring: "ERR_CONNECTION_RESET"}}}}, warehouse.SearchFilter{}, 10)
		require.NoError(t, err)
		require.Len(t, hits, 1)
		require.Equal(t, ids[7*10+3], hits[0].MessageID)
		sem, err := warehouse.SemanticSearch(ctx, tx, first.org.ID, warehouse.Viewer{UserID: first.admin.ID, Role: warehouse.RoleAdmin},
			warehouse.SemanticQuery{Model: "use-lite", Dims: 512, Vector: unitVector(42), Exact: true, Candidates: 10}, warehouse.SearchFilter{}, 5)
		require.NoError(t, err)
		require.NotEmpty(t, sem)
		require.Equal(t, ids[42], sem[0].MessageID)
		require.InDelta(t, 1, sem[0].Score, 0.01)
		return nil
	}))
	require.NoError(t, db.InOrg(ctx, orgs[1].org.ID, func(tx pgx.Tx) error {
		var n int
		require.NoError(t, tx.QueryRow(ctx, `select count(*) from messages`).Scan(&n))
		require.Equal(t, 6, n)
		return nil
	}))

	// A row that exists fails its batch.
	err := db.AsSystem(ctx, func(tx pgx.Tx) error { return warehouse.BulkInsertOrganizations(ctx, tx, bo[:1]) })
	require.ErrorIs(t, err, warehouse.ErrConflict)
}

func TestSecondaryIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := warehousetest.Postgres(t)

	// The schema's own: primary keys and unique constraints are not listed.
	require.NoError(t, db.AsSystem(ctx, func(tx pgx.Tx) error {
		defs, err := warehouse.SecondaryIndexes(ctx, tx, "messages", "message_embeddings")
		require.NoError(t, err)
		var names []string
		for _, d := range defs {
			names = append(names, d.Name)
		}
		require.Subset(t, names, []string{"messages_tsv_idx", "messages_text_trgm_idx", "messages_conversation_idx",
			"message_embeddings_org_model_idx", "message_embeddings_use_lite_hnsw"})
		require.NotContains(t, names, "messages_pkey")
		require.NotContains(t, names, "message_embeddings_pkey")
		return nil
	}))

	// Drop and rebuild on a scratch table (the schema's tables are shared
	// with the package's other tests).
	table := "bulk_idx_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	require.NoError(t, db.AsSystem(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `create table `+table+` (id bigint primary key, v text unique, w text)`)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `create index `+table+`_w_idx on `+table+` (lower(w))`)
		require.NoError(t, err)
		defs, err := warehouse.SecondaryIndexes(ctx, tx, table)
		require.NoError(t, err)
		require.Len(t, defs, 1)
		require.Equal(t, table+"_w_idx", defs[0].Name)
		require.Equal(t, table, defs[0].Table)
		require.NoError(t, warehouse.DropIndex(ctx, tx, defs[0]))
		left, err := warehouse.SecondaryIndexes(ctx, tx, table)
		require.NoError(t, err)
		require.Empty(t, left)
		require.NoError(t, warehouse.CreateIndex(ctx, tx, defs[0]))
		require.NoError(t, warehouse.CreateIndex(ctx, tx, defs[0]), "creating an index that exists is a no-op")
		again, err := warehouse.SecondaryIndexes(ctx, tx, table)
		require.NoError(t, err)
		require.Equal(t, defs, again)
		_, err = tx.Exec(ctx, `drop table `+table)
		return err
	}))
}
