package analytics_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

func TestMain(m *testing.M) { warehousetest.Main(m) }

type bundle struct {
	ctx     context.Context
	db      *warehouse.DB
	ch      warehouse.ClickHouse
	ingest  *ingest.Service
	writers *analytics.BatchWriters
	proj    *analytics.Projector
	org     warehouse.Organization
	user    warehouse.Member
}

var redactor = func() *redact.Redactor {
	r, err := redact.New()
	if err != nil {
		panic(err)
	}
	return r
}()

// setup gives a test its own organization in the test binary's Postgres
// database and chDB session, and batch writers that flush quickly.
func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	db := warehousetest.Postgres(t)
	ch := warehousetest.ClickHouse(t)
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	require.NoError(t, err)
	org := warehousetest.Org(t, db, nil)
	user := warehousetest.Member(t, db, org.ID, nil)
	writers := analytics.NewBatchWriters(ch, warehouse.BatchOptions{FlushInterval: 5 * time.Millisecond})
	t.Cleanup(func() { require.NoError(t, writers.Close(context.Background())) })
	return &bundle{
		ctx: ctx, db: db, ch: ch, org: org, user: user, writers: writers,
		ingest: &ingest.Service{DB: db, Jobs: client, Redactor: redactor},
		proj:   &analytics.Projector{DB: db, Writers: writers.Writers},
	}
}

// claudeLine is one line of a Claude Code transcript; assistant lines
// report 100 input and 20 output tokens.
func claudeLine(session, id, parent, typ, text string, at time.Time) string {
	p := "null"
	if parent != "" {
		p = fmt.Sprintf("%q", parent)
	}
	content := fmt.Sprintf("%q", text)
	model := ""
	if typ == "assistant" {
		content = fmt.Sprintf(`[{"type":"text","text":%q}]`, text)
		model = `"model":"claude-sonnet-4-5","id":"msg_` + id + `","usage":{"input_tokens":100,"output_tokens":20},`
	}
	return fmt.Sprintf(`{"parentUuid":%s,"isSidechain":false,"userType":"external","cwd":"/home/ada/src/shop","sessionId":%q,"version":"2.0.30","gitBranch":"main","type":%q,"message":{%s"role":%q,"content":%s},"uuid":%q,"timestamp":%q}`,
		p, session, typ, model, typ, content, id, at.UTC().Format(time.RFC3339Nano))
}

// transcript is a session of turns question/answer pairs, a minute apart,
// starting at start. answers, where given and not empty, replace the
// answers of the first turns.
func transcript(session string, turns int, start time.Time, answers ...string) string {
	var lines []string
	parent := ""
	for i := range turns {
		u := fmt.Sprintf("%s-u%d", session[:8], i)
		a := fmt.Sprintf("%s-a%d", session[:8], i)
		answer := fmt.Sprintf("Answer %d: check the session cookie", i)
		if i < len(answers) && answers[i] != "" {
			answer = answers[i]
		}
		lines = append(lines, claudeLine(session, u, parent, "user", fmt.Sprintf("Question %d about the login redirect", i), start.Add(time.Duration(2*i)*time.Minute)))
		lines = append(lines, claudeLine(session, a, u, "assistant", answer, start.Add(time.Duration(2*i+1)*time.Minute)))
		parent = a
	}
	return strings.Join(lines, "\n") + "\n"
}

// capture stores and processes a transcript the way the capture API and
// its job do, and returns the conversation's id.
func (b *bundle) capture(t *testing.T, session string, turns int, start time.Time, answers ...string) uuid.UUID {
	t.Helper()
	stored, err := b.ingest.Store(b.ctx, ingest.Upload{OrgID: b.org.ID, UserID: b.user.ID,
		Name: "projects/shop/" + session + ".jsonl", Data: []byte(transcript(session, turns, start, answers...))})
	require.NoError(t, err)
	rep, err := b.ingest.Process(b.ctx, ingest.ProcessCaptureArgs{OrgID: b.org.ID, CaptureID: stored.Capture.ID})
	require.NoError(t, err)
	require.Len(t, rep.Conversations, 1)
	return *rep.Conversations[0].ID
}

// messageID is the id of the message of a session's turn: its question, or
// its answer when answer is true.
func (b *bundle) messageID(t *testing.T, session string, turn int, answer bool) int64 {
	t.Helper()
	ext := fmt.Sprintf("%s-u%d", session[:8], turn)
	if answer {
		ext = fmt.Sprintf("%s-a%d", session[:8], turn)
	}
	var id int64
	require.NoError(t, b.db.InOrg(b.ctx, b.org.ID, func(tx pgx.Tx) error {
		return tx.QueryRow(b.ctx, `select id from messages where external_id = $1`, ext).Scan(&id)
	}))
	return id
}

// commit stores a commit of the shop repository.
func (b *bundle) commit(t *testing.T, sha string, at time.Time, additions int, files ...string) warehouse.Commit {
	t.Helper()
	var c warehouse.Commit
	err := b.db.InOrg(b.ctx, b.org.ID, func(tx pgx.Tx) error {
		var err error
		c, _, err = warehouse.UpsertCommit(b.ctx, tx, warehouse.Commit{OrgID: b.org.ID, Repo: "github.com/acme/shop", SHA: sha,
			AuthorName: "Ada", AuthorEmail: "ada@acme.example", CommittedAt: at, Message: "Fix the login redirect",
			Files: files, Additions: additions, Deletions: 2, Source: "hook"})
		return err
	})
	require.NoError(t, err)
	return c
}

// search records a search and returns it as stored.
func (b *bundle) search(t *testing.T, query string, results int) warehouse.StoredSearchEvent {
	t.Helper()
	var e warehouse.StoredSearchEvent
	err := b.db.InOrg(b.ctx, b.org.ID, func(tx pgx.Tx) error {
		id, _, err := warehouse.InsertSearchEvent(b.ctx, tx, warehouse.SearchEvent{OrgID: b.org.ID, UserID: b.user.ID,
			Query: query, Mode: "hybrid", Results: results, LatencyMS: 12.5})
		if err != nil {
			return err
		}
		e, err = warehouse.GetSearchEvent(b.ctx, tx, id, nil)
		return err
	})
	require.NoError(t, err)
	return e
}

// check runs Check for the test's org over the days around the fixtures.
func (b *bundle) check(t *testing.T) analytics.Report {
	t.Helper()
	rep, err := analytics.Check(b.ctx, b.db, b.ch, b.org.ID, day(-30), day(30))
	require.NoError(t, err)
	return rep
}

// base is the fixtures' day; day(n) is n days later, at midnight UTC.
var base = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

func day(n int) time.Time { return base.AddDate(0, 0, n) }

// count runs a ClickHouse count for the test's org.
func (b *bundle) count(t *testing.T, query string, args ...any) uint64 {
	t.Helper()
	var rows []struct {
		N uint64 `ch:"n"`
	}
	require.NoError(t, b.ch.Select(b.ctx, &rows, query, append([]any{b.org.ID}, args...)...))
	require.Len(t, rows, 1)
	return rows[0].N
}
