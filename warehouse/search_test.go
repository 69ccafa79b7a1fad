package warehouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

// TestSearchVisibility: keyword and semantic search (index and exact) show
// every viewer exactly the conversations ListConversations shows them, for
// every role, team relation, conversation visibility and org default:
// search's own form of the visibility rule answers as visibleTo does.
func TestSearchVisibility(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := warehousetest.Postgres(t)
	org := warehouse.BulkOrganization{ID: uuid.New(), Slug: "vis-" + uuid.NewString()[:8], Name: "Visibility"}
	other := warehouse.BulkOrganization{ID: uuid.New(), Slug: "vis-" + uuid.NewString()[:8], Name: "Other"}
	teamA, teamB := uuid.New(), uuid.New()
	type person struct {
		name, role string
		team       uuid.UUID
		lead       bool
		id         uuid.UUID
	}
	people := []*person{
		{name: "admin", role: warehouse.RoleAdmin},
		{name: "auditor", role: warehouse.RoleAuditor},
		{name: "lead", role: warehouse.RoleManager, team: teamA, lead: true},
		{name: "manager", role: warehouse.RoleManager, team: teamA},
		{name: "dev-a", role: warehouse.RoleDeveloper, team: teamA},
		{name: "dev-a2", role: warehouse.RoleDeveloper, team: teamA},
		{name: "dev-b", role: warehouse.RoleDeveloper, team: teamB},
		{name: "loner", role: warehouse.RoleDeveloper},
	}
	var (
		users []warehouse.BulkUser
		ms    []warehouse.BulkMembership
		tms   []warehouse.BulkTeamMember
		convs []warehouse.Conversation
		msgs  []warehouse.BulkMessage
	)
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for _, p := range people {
		p.id = uuid.New()
		users = append(users, warehouse.BulkUser{ID: p.id, Email: p.name + "-" + org.Slug + "@vis.example", Name: p.name})
		ms = append(ms, warehouse.BulkMembership{OrgID: org.ID, UserID: p.id, Role: p.role})
		if p.team != uuid.Nil {
			role := "member"
			if p.lead {
				role = "lead"
			}
			tms = append(tms, warehouse.BulkTeamMember{OrgID: org.ID, TeamID: p.team, UserID: p.id, Role: role})
		}
		for _, vis := range []string{"", "private", "team", "org"} {
			c := warehouse.Conversation{OrgID: org.ID, ID: uuid.New(), UserID: p.id, Tool: "claude_code", Format: "claude_code",
				Title: p.name + " " + vis, StartedAt: &start, MessageCount: 1}
			c.ExternalID = c.ID.String()
			if vis != "" {
				c.Visibility = &vis
			}
			convs = append(convs, c)
			msgs = append(msgs, warehouse.BulkMessage{OrgID: org.ID, ConversationID: c.ID,
				Message: warehouse.Message{Seq: 0, ExternalID: "m0", Role: "user", Text: "the visibility probe of " + c.Title, SentAt: &start}})
		}
	}
	// Another org with the same words: never found.
	stranger := warehouse.BulkUser{ID: uuid.New(), Email: "stranger-" + other.Slug + "@vis.example"}
	users = append(users, stranger)
	ms = append(ms, warehouse.BulkMembership{OrgID: other.ID, UserID: stranger.ID, Role: warehouse.RoleAdmin})
	oc := warehouse.Conversation{OrgID: other.ID, ID: uuid.New(), UserID: stranger.ID, Tool: "claude_code", Format: "claude_code", Title: "other", StartedAt: &start}
	oc.ExternalID = oc.ID.String()
	convs = append(convs, oc)
	msgs = append(msgs, warehouse.BulkMessage{OrgID: other.ID, ConversationID: oc.ID,
		Message: warehouse.Message{ExternalID: "m0", Role: "user", Text: "the visibility probe of another org", SentAt: &start}})
	require.NoError(t, db.AsSystem(ctx, func(tx pgx.Tx) error {
		require.NoError(t, warehouse.BulkInsertOrganizations(ctx, tx, []warehouse.BulkOrganization{org, other}))
		require.NoError(t, warehouse.BulkInsertUsers(ctx, tx, users))
		require.NoError(t, warehouse.BulkInsertMemberships(ctx, tx, ms))
		require.NoError(t, warehouse.BulkInsertTeams(ctx, tx, []warehouse.BulkTeam{
			{OrgID: org.ID, ID: teamA, Slug: "a", Name: "A"}, {OrgID: org.ID, ID: teamB, Slug: "b", Name: "B"}}))
		require.NoError(t, warehouse.BulkInsertTeamMembers(ctx, tx, tms))
		require.NoError(t, warehouse.BulkInsertConversations(ctx, tx, convs))
		ids, err := warehouse.BulkInsertMessages(ctx, tx, msgs)
		require.NoError(t, err)
		var es []warehouse.BulkEmbedding
		for i, m := range msgs {
			es = append(es, warehouse.BulkEmbedding{OrgID: m.OrgID, Embedding: warehouse.Embedding{MessageID: ids[i], ConversationID: m.ConversationID,
				EndChar: len(m.Text), Vector: unitVector(i)}})
		}
		return warehouse.BulkInsertEmbeddings(ctx, tx, "use-lite", es)
	}))

	for _, def := range []string{"", "private", "team", "org"} {
		require.NoError(t, db.AsSystem(ctx, func(tx pgx.Tx) error {
			settings := `{}`
			if def != "" {
				settings = fmt.Sprintf(`{"conversation_visibility": %q}`, def)
			}
			_, err := tx.Exec(ctx, `update organizations set settings = $2::jsonb where id = $1`, org.ID, settings)
			return err
		}))
		for _, p := range people {
			v := warehouse.Viewer{UserID: p.id, Role: p.role}
			require.NoError(t, db.InOrg(ctx, org.ID, func(tx pgx.Tx) error {
				listed, err := warehouse.ListConversations(ctx, tx, v, warehouse.ConversationFilter{Limit: 500})
				require.NoError(t, err)
				want := map[uuid.UUID]bool{}
				for _, c := range listed {
					want[c.ID] = true
				}
				got := func(hits []warehouse.MessageHit) map[uuid.UUID]bool {
					out := map[uuid.UUID]bool{}
					for _, h := range hits {
						out[h.ConversationID] = true
					}
					return out
				}
				// Every way of searching: from the few conversations the
				// viewer sees (all of them here), and from the org's messages
				// and vectors checking each candidate, with the newest
				// messages read first (a window of 3) or not.
				for _, tuning := range []warehouse.SearchTuning{{NarrowConversations: 1000}, {NarrowConversations: -1, KeywordWindow: 3, KeywordDeep: 5},
					{NarrowConversations: -1, KeywordWindow: 1, KeywordDeep: 1}, {NarrowConversations: -1, KeywordWindow: 1000, KeywordDeep: 1000}} {
					kw, err := warehouse.KeywordSearchTuned(ctx, tx, org.ID, v, warehouse.KeywordQuery{Groups: [][]warehouse.TextMatch{{{Words: "visibility probe"}}}},
						warehouse.SearchFilter{}, 100, tuning)
					require.NoError(t, err)
					require.Equal(t, want, got(kw), "keyword, default %q, %s, %+v", def, p.name, tuning)
					for _, exact := range []bool{true, false} {
						sem, err := warehouse.SemanticSearchTuned(ctx, tx, org.ID, v, warehouse.SemanticQuery{Model: "use-lite", Dims: 512, Vector: unitVector(3),
							Exact: exact, Candidates: 100}, warehouse.SearchFilter{}, 100, tuning)
						require.NoError(t, err)
						require.Equal(t, want, got(sem), "semantic (exact %v), default %q, %s, %+v", exact, def, p.name, tuning)
					}
					// A filter narrows what is visible, never widens it.
					devA := people[4].id
					wantA := map[uuid.UUID]bool{}
					for _, c := range listed {
						if c.UserID == devA {
							wantA[c.ID] = true
						}
					}
					kw, err = warehouse.KeywordSearchTuned(ctx, tx, org.ID, v, warehouse.KeywordQuery{Groups: [][]warehouse.TextMatch{{{Words: "visibility probe"}}}},
						warehouse.SearchFilter{UserID: &devA}, 100, tuning)
					require.NoError(t, err)
					require.Equal(t, wantA, got(kw), "keyword by dev-a, default %q, %s, %+v", def, p.name, tuning)
					sem, err := warehouse.SemanticSearchTuned(ctx, tx, org.ID, v, warehouse.SemanticQuery{Model: "use-lite", Dims: 512, Vector: unitVector(3),
						Candidates: 100}, warehouse.SearchFilter{UserID: &devA, Role: "user"}, 100, tuning)
					require.NoError(t, err)
					require.Equal(t, wantA, got(sem), "semantic by dev-a, default %q, %s, %+v", def, p.name, tuning)
				}
				return nil
			}))
		}
	}
}

// TestKeywordCandidates: only the newest Candidates matches the viewer may
// see are ranked; with fewer matches than that, all of them.
func TestKeywordCandidates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := warehousetest.Postgres(t)
	org := warehousetest.Org(t, db, nil)
	dev := warehousetest.Member(t, db, org.ID, nil)
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var convs []warehouse.Conversation
	var msgs []warehouse.BulkMessage
	for i := range 30 {
		c := warehouse.Conversation{OrgID: org.ID, ID: uuid.New(), UserID: dev.ID, Tool: "claude_code", Format: "claude_code", Title: fmt.Sprint(i), StartedAt: &start}
		c.ExternalID = c.ID.String()
		convs = append(convs, c)
		// Later messages mention the word less often: ranking alone would
		// put the oldest first.
		text := "a deadlock in the scheduler"
		for range 30 - i {
			text += " deadlock"
		}
		msgs = append(msgs, warehouse.BulkMessage{OrgID: org.ID, ConversationID: c.ID, Message: warehouse.Message{ExternalID: "m0", Role: "user", Text: text, SentAt: &start}})
	}
	var ids []int64
	require.NoError(t, db.AsSystem(ctx, func(tx pgx.Tx) error {
		require.NoError(t, warehouse.BulkInsertConversations(ctx, tx, convs))
		var err error
		ids, err = warehouse.BulkInsertMessages(ctx, tx, msgs)
		return err
	}))
	search := func(candidates int, tuning warehouse.SearchTuning) []int64 {
		var out []int64
		require.NoError(t, db.InOrg(ctx, org.ID, func(tx pgx.Tx) error {
			hits, err := warehouse.KeywordSearchTuned(ctx, tx, org.ID, warehouse.Viewer{UserID: dev.ID, Role: dev.Role},
				warehouse.KeywordQuery{Groups: [][]warehouse.TextMatch{{{Words: "deadlock"}}}, Candidates: candidates}, warehouse.SearchFilter{}, 5, tuning)
			for _, h := range hits {
				out = append(out, h.MessageID)
			}
			return err
		}))
		return out
	}
	// From the viewer's conversations, from the org's messages, from its
	// newest three messages and four more first, and from its newest three
	// and all others backwards (every message matches: a common word).
	for _, tuning := range []warehouse.SearchTuning{{NarrowConversations: 1000}, {NarrowConversations: -1, KeywordWindow: 1000, KeywordDeep: 1000},
		{NarrowConversations: -1, KeywordWindow: 3, KeywordDeep: 4}, {NarrowConversations: -1, KeywordWindow: 3, KeywordDeep: 40}} {
		require.Equal(t, []int64{ids[0], ids[1], ids[2], ids[3], ids[4]}, search(0, tuning), "all 30 ranked: most mentions first (%+v)", tuning)
		require.Equal(t, []int64{ids[20], ids[21], ids[22], ids[23], ids[24]}, search(10, tuning), "the newest 10 ranked (%+v)", tuning)
	}
}
