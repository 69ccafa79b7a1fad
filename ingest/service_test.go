package ingest_test

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

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/redact"
	"github.com/context-intelligence/ctxintel/warehouse"
	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

type bundle struct {
	db   *warehouse.DB
	svc  *ingest.Service
	org  warehouse.Organization
	user warehouse.Member
}

var redactor = func() *redact.Redactor {
	r, err := redact.New()
	if err != nil {
		panic(err)
	}
	return r
}()

func setup(t *testing.T) bundle {
	t.Helper()
	db := warehousetest.Postgres(t)
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	require.NoError(t, err)
	org := warehousetest.Org(t, db, nil)
	user := warehousetest.Member(t, db, org.ID, nil)
	return bundle{db: db, org: org, user: user,
		svc: &ingest.Service{DB: db, Jobs: client, Redactor: redactor, Limits: ingest.Limits{MaxUploadBytes: 1 << 20}}}
}

// claudeLine writes one Claude Code transcript line.
func claudeLine(session, uuid, parent, typ, text string, at time.Time) string {
	p := "null"
	if parent != "" {
		p = fmt.Sprintf("%q", parent)
	}
	content := fmt.Sprintf("%q", text)
	if typ == "assistant" {
		content = fmt.Sprintf(`[{"type":"text","text":%q}]`, text)
	}
	model := ""
	if typ == "assistant" {
		model = `"model":"claude-sonnet-4-5","id":"msg_` + uuid + `","usage":{"input_tokens":100,"output_tokens":20},`
	}
	return fmt.Sprintf(`{"parentUuid":%s,"isSidechain":false,"userType":"external","cwd":"/home/ada/src/shop","sessionId":%q,"version":"2.0.30","gitBranch":"fix/login","type":%q,"message":{%s"role":%q,"content":%s},"uuid":%q,"timestamp":%q}`,
		p, session, typ, model, typ, content, uuid, at.UTC().Format(time.RFC3339Nano))
}

func transcriptOf(session string, turns int, start time.Time) string {
	var lines []string
	parent := ""
	for i := range turns {
		u := fmt.Sprintf("%s-u%d", session[:8], i)
		a := fmt.Sprintf("%s-a%d", session[:8], i)
		lines = append(lines, claudeLine(session, u, parent, "user", fmt.Sprintf("Question %d about the login redirect", i), start.Add(time.Duration(2*i)*time.Minute)))
		lines = append(lines, claudeLine(session, a, u, "assistant", fmt.Sprintf("Answer %d: check the session cookie", i), start.Add(time.Duration(2*i+1)*time.Minute)))
		parent = a
	}
	return strings.Join(lines, "\n") + "\n"
}

func (b bundle) storeAndProcess(t *testing.T, name, data string) (ingest.Stored, ingest.Report) {
	t.Helper()
	ctx := context.Background()
	stored, err := b.svc.Store(ctx, ingest.Upload{OrgID: b.org.ID, UserID: b.user.ID, Name: name, Data: []byte(data)})
	require.NoError(t, err)
	if stored.Duplicate {
		_, rep, err := b.svc.CaptureReport(ctx, b.org.ID, stored.Capture.ID)
		require.NoError(t, err)
		return stored, rep
	}
	// The processing job was enqueued with the capture.
	var n int
	require.NoError(t, b.db.Pool().QueryRow(ctx, `select count(*) from river_job where kind = 'capture.process' and args->>'capture_id' = $1`,
		stored.Capture.ID.String()).Scan(&n))
	require.Equal(t, 1, n)
	rep, err := b.svc.Process(ctx, ingest.ProcessCaptureArgs{OrgID: b.org.ID, CaptureID: stored.Capture.ID})
	require.NoError(t, err)
	return stored, rep
}

func TestStoreAndProcess(t *testing.T) {
	t.Parallel()
	b := setup(t)
	session := uuid.NewString()
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	_, rep := b.storeAndProcess(t, "projects/shop/"+session+".jsonl", transcriptOf(session, 3, start))
	require.Equal(t, "processed", rep.Status)
	require.Len(t, rep.Conversations, 1)
	c := rep.Conversations[0]
	require.Equal(t, ingest.OutcomeNew, c.Outcome)
	require.Equal(t, session, c.ExternalID)
	require.Equal(t, 6, c.Messages)
	require.Equal(t, 6, c.NewMessages)
	require.Equal(t, []string{"fix/login"}, c.GitBranches)
	require.Equal(t, start, *c.StartedAt)

	// The same bytes again: a duplicate, nothing changes.
	stored, err := b.svc.Store(context.Background(), ingest.Upload{OrgID: b.org.ID, UserID: b.user.ID, Name: "elsewhere.jsonl", Data: []byte(transcriptOf(session, 3, start))})
	require.NoError(t, err)
	require.True(t, stored.Duplicate)

	// The session grew: only the new messages are appended, and the older
	// capture's payload is superseded by the one that contains it.
	_, rep = b.storeAndProcess(t, "projects/shop/"+session+".jsonl", transcriptOf(session, 5, start))
	require.Equal(t, ingest.OutcomeUpdated, rep.Conversations[0].Outcome)
	require.Equal(t, 4, rep.Conversations[0].NewMessages)
	require.Equal(t, 10, rep.Conversations[0].Messages)

	// Captured from another machine (another path, a prefix of it): stored once.
	_, rep = b.storeAndProcess(t, "/other/machine/"+session+".jsonl", transcriptOf(session, 4, start))
	require.Equal(t, ingest.OutcomeUnchanged, rep.Conversations[0].Outcome)
	require.Equal(t, 0, rep.Conversations[0].NewMessages)

	ctx := context.Background()
	require.NoError(t, b.db.InOrg(ctx, b.org.ID, func(tx pgx.Tx) error {
		var convs, msgs, superseded int
		require.NoError(t, tx.QueryRow(ctx, `select count(*) from conversations where external_id = $1`, session).Scan(&convs))
		require.NoError(t, tx.QueryRow(ctx, `select count(*) from messages m join conversations c on c.id = m.conversation_id where c.external_id = $1`, session).Scan(&msgs))
		require.NoError(t, tx.QueryRow(ctx, `select count(*) from raw_captures where status = 'superseded' and payload is null`).Scan(&superseded))
		require.Equal(t, 1, convs)
		require.Equal(t, 10, msgs)
		require.Equal(t, 1, superseded)
		return nil
	}))
}

func TestSecretsAreRedactedEverywhere(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	session := uuid.NewString()
	secret := "ghp_" + strings.Repeat("aB3dE5", 6)
	start := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	data := claudeLine(session, "u1", "", "user", "deploy with GITHUB_TOKEN="+secret+" please", start) + "\n" +
		claudeLine(session, "a1", "u1", "assistant", "Done.", start.Add(time.Minute)) + "\n"
	stored, rep := b.storeAndProcess(t, session+".jsonl", data)
	require.Equal(t, "processed", rep.Status)
	require.NotEmpty(t, stored.Capture.Redactions)
	require.NoError(t, b.db.InOrg(ctx, b.org.ID, func(tx pgx.Tx) error {
		var n int
		require.NoError(t, tx.QueryRow(ctx, `select count(*) from messages where text like '%'||$1||'%'`, secret).Scan(&n))
		require.Zero(t, n, "no message holds the secret")
		require.NoError(t, tx.QueryRow(ctx, `select count(*) from messages where text like '%[REDACTED:%'`).Scan(&n))
		require.Equal(t, 1, n)
		c, err := warehouse.GetRawCapture(ctx, tx, stored.Capture.ID)
		require.NoError(t, err)
		require.NotContains(t, string(c.Payload), secret)
		return nil
	}))
	_, rep, err := b.svc.CaptureReport(ctx, b.org.ID, stored.Capture.ID)
	require.NoError(t, err)
	require.NotContains(t, fmt.Sprint(rep), secret)
}

func TestBadInputIsKeptWithItsReason(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	_, err := b.svc.Store(ctx, ingest.Upload{OrgID: b.org.ID, UserID: b.user.ID, Name: "big.jsonl", Data: make([]byte, 2<<20)})
	require.ErrorIs(t, err, ingest.ErrTooLarge)
	_, err = b.svc.Store(ctx, ingest.Upload{OrgID: b.org.ID, UserID: b.user.ID, Name: "photo.png", Data: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00")})
	require.ErrorIs(t, err, ingest.ErrFormat)
	require.ErrorContains(t, err, "photo.png")
	_, err = b.svc.Store(ctx, ingest.Upload{OrgID: b.org.ID, UserID: b.user.ID, Name: "notes.txt", Data: []byte("just some notes\n")})
	require.ErrorContains(t, err, "unknown format")

	// A truncated last line: the rest is imported, the line is reported.
	session := uuid.NewString()
	good := transcriptOf(session, 2, time.Date(2026, 11, 4, 9, 0, 0, 0, time.UTC))
	_, rep := b.storeAndProcess(t, session+".jsonl", good+`{"parentUuid":"x","sessionId":"`+session+`","type":"user","mess`)
	require.Equal(t, "processed", rep.Status)
	require.Equal(t, 4, rep.Conversations[0].Messages)
	require.NotEmpty(t, rep.Problems)
	require.Equal(t, 5, rep.Problems[0].Line)
	require.Equal(t, session+".jsonl", rep.Problems[0].File)
}

func TestReprocess(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	session := uuid.NewString()
	stored, rep := b.storeAndProcess(t, session+".jsonl", transcriptOf(session, 1, time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)))
	require.Equal(t, ingest.OutcomeNew, rep.Conversations[0].Outcome)
	require.NoError(t, b.svc.Reprocess(ctx, b.org.ID, stored.Capture.ID))
	rep, err := b.svc.Process(ctx, ingest.ProcessCaptureArgs{OrgID: b.org.ID, CaptureID: stored.Capture.ID})
	require.NoError(t, err)
	require.Equal(t, ingest.OutcomeUnchanged, rep.Conversations[0].Outcome, "processing twice changes nothing")
}

func TestNormalizeRemote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"git@github.com:Acme/Shop.git":              "github.com/acme/shop",
		"ssh://git@github.com/acme/shop":            "github.com/acme/shop",
		"https://github.com/acme/shop.git":          "github.com/acme/shop",
		"https://user:tok@github.com/acme/shop/":    "github.com/acme/shop",
		"https://www.GitLab.com/group/sub/proj.git": "gitlab.com/group/sub/proj",
		"ssh://git@host.example:2222/team/repo.git": "host.example/team/repo",
		"/srv/git/repo.git":                         "/srv/git/repo",
		"":                                          "",
	} {
		require.Equal(t, want, ingest.NormalizeRemote(in), in)
	}
}

// TestSessionOfAnotherMember: a member cannot write into someone else's
// conversation by reusing its session id.
func TestSessionOfAnotherMember(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	session := uuid.NewString()
	start := time.Date(2026, 11, 6, 9, 0, 0, 0, time.UTC)
	_, rep := b.storeAndProcess(t, session+".jsonl", transcriptOf(session, 2, start))
	require.Equal(t, ingest.OutcomeNew, rep.Conversations[0].Outcome)

	mallory := warehousetest.Member(t, b.db, b.org.ID, nil)
	stored, err := b.svc.Store(ctx, ingest.Upload{OrgID: b.org.ID, UserID: mallory.ID, Name: "x.jsonl", Data: []byte(transcriptOf(session, 3, start))})
	require.NoError(t, err)
	require.False(t, stored.Duplicate, "duplicates are per member")
	rep, err = b.svc.Process(ctx, ingest.ProcessCaptureArgs{OrgID: b.org.ID, CaptureID: stored.Capture.ID})
	require.NoError(t, err)
	require.Empty(t, rep.Conversations)
	require.Equal(t, "failed", rep.Status)
	require.Contains(t, rep.Problems[0].Message, "captured by another member")
	require.NoError(t, b.db.InOrg(ctx, b.org.ID, func(tx pgx.Tx) error {
		var n int
		require.NoError(t, tx.QueryRow(ctx, `select message_count from conversations where external_id = $1`, session).Scan(&n))
		require.Equal(t, 4, n, "unchanged")
		return nil
	}))
}

// TestToolResultArrivingLater: a transcript captured between a tool call
// and its result gets the result when captured again.
func TestToolResultArrivingLater(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	session := uuid.NewString()
	at := time.Date(2026, 11, 7, 9, 0, 0, 0, time.UTC).Format(time.RFC3339)
	head := fmt.Sprintf(`{"type":"user","uuid":"u1","parentUuid":null,"sessionId":%q,"timestamp":%q,"message":{"role":"user","content":"run the tests"}}
{"type":"assistant","uuid":"a1","parentUuid":"u1","sessionId":%q,"timestamp":%q,"message":{"role":"assistant","id":"m1","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"go test ./..."}}]}}
`, session, at, session, at)
	tail := fmt.Sprintf(`{"type":"user","uuid":"u2","parentUuid":"a1","sessionId":%q,"timestamp":%q,"message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"FAIL: TestLogin"}]}}
`, session, at)
	_, rep := b.storeAndProcess(t, session+".jsonl", head)
	convID := *rep.Conversations[0].ID
	_, rep = b.storeAndProcess(t, session+".jsonl", head+tail)
	require.Equal(t, ingest.OutcomeUpdated, rep.Conversations[0].Outcome)
	_, msgs, err := b.svc.GetConversation(ctx, b.org.ID, warehouse.Viewer{UserID: b.user.ID, Role: b.user.Role}, convID)
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	require.Len(t, msgs[1].ToolCalls, 1)
	require.Equal(t, "FAIL: TestLogin", msgs[1].ToolCalls[0].Output)
	require.Equal(t, []string{"go test ./..."}, msgs[1].ToolCalls[0].Commands)
}
