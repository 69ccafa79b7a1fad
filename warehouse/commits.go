package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Commit is a stored commit.
type Commit struct {
	OrgID          uuid.UUID  `json:"-"`
	ID             uuid.UUID  `json:"id"`
	Repo           string     `json:"repo"`
	SHA            string     `json:"sha"`
	Parents        []string   `json:"parents"`
	Branch         string     `json:"branch,omitempty"`
	AuthorName     string     `json:"author_name"`
	AuthorEmail    string     `json:"author_email"`
	CommitterEmail string     `json:"committer_email,omitempty"`
	CommittedAt    time.Time  `json:"committed_at"`
	AuthoredAt     *time.Time `json:"authored_at,omitempty"`
	Message        string     `json:"message"`
	Files          []string   `json:"files"`
	Additions      int        `json:"additions"`
	Deletions      int        `json:"deletions"`
	AddedLines     []int64    `json:"-"`
	PatchID        string     `json:"patch_id,omitempty"`
	Source         string     `json:"source"`
}

const commitColumns = `c.org_id, c.id, c.repo, c.sha, c.parents, c.branch, c.author_name, c.author_email, c.committer_email,
	c.committed_at, c.message, c.files, c.additions, c.deletions, c.added_lines, c.patch_id, c.source, c.authored_at`

func scanCommit(row interface{ Scan(...any) error }) (Commit, error) {
	var c Commit
	err := row.Scan(&c.OrgID, &c.ID, &c.Repo, &c.SHA, &c.Parents, &c.Branch, &c.AuthorName, &c.AuthorEmail, &c.CommitterEmail,
		&c.CommittedAt, &c.Message, &c.Files, &c.Additions, &c.Deletions, &c.AddedLines, &c.PatchID, &c.Source, &c.AuthoredAt)
	return c, translate(err)
}

// UpsertCommit stores a commit or completes a stored one: a push payload
// knows files but not the diff, the REST API or a local hook knows both, so
// whichever arrives later fills in what is missing. inserted reports a new
// commit.
func UpsertCommit(ctx context.Context, q Querier, c Commit) (Commit, bool, error) {
	var inserted bool
	row := q.QueryRow(ctx, `insert into commits as c (org_id, repo, sha, parents, branch, author_name, author_email, committer_email,
			committed_at, message, files, additions, deletions, added_lines, patch_id, source, authored_at)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		on conflict (org_id, repo, sha) do update set
			parents = case when cardinality(c.parents) = 0 then excluded.parents else c.parents end,
			branch = coalesce(nullif(c.branch, ''), excluded.branch),
			files = case when cardinality(excluded.files) > cardinality(c.files) then excluded.files else c.files end,
			additions = greatest(c.additions, excluded.additions),
			deletions = greatest(c.deletions, excluded.deletions),
			added_lines = case when cardinality(c.added_lines) = 0 then excluded.added_lines else c.added_lines end,
			patch_id = coalesce(nullif(c.patch_id, ''), excluded.patch_id),
			authored_at = coalesce(c.authored_at, excluded.authored_at),
			updated_at = now()
		returning `+commitColumns+`, (xmax = 0)`,
		c.OrgID, c.Repo, c.SHA, nonNil(c.Parents), c.Branch, c.AuthorName, c.AuthorEmail, c.CommitterEmail,
		c.CommittedAt, c.Message, nonNil(c.Files), c.Additions, c.Deletions, nonNilInt(c.AddedLines), c.PatchID, c.Source, c.AuthoredAt)
	var out Commit
	err := row.Scan(&out.OrgID, &out.ID, &out.Repo, &out.SHA, &out.Parents, &out.Branch, &out.AuthorName, &out.AuthorEmail, &out.CommitterEmail,
		&out.CommittedAt, &out.Message, &out.Files, &out.Additions, &out.Deletions, &out.AddedLines, &out.PatchID, &out.Source, &out.AuthoredAt, &inserted)
	if err != nil {
		return out, false, fmt.Errorf("upsert commit %s: %w", c.SHA, translate(err))
	}
	return out, inserted, nil
}

func nonNilInt(s []int64) []int64 {
	if s == nil {
		return []int64{}
	}
	return s
}

// GetCommit reads a commit of the current org by id.
func GetCommit(ctx context.Context, q Querier, id uuid.UUID) (Commit, error) {
	c, err := scanCommit(q.QueryRow(ctx, `select `+commitColumns+` from commits c where c.id = $1`, id))
	if err != nil {
		return c, fmt.Errorf("get commit %s: %w", id, err)
	}
	return c, nil
}

// CommitsBySHA finds commits by a full sha or a prefix of at least 7.
func CommitsBySHA(ctx context.Context, q Querier, sha, repo string) ([]Commit, error) {
	rows, err := q.Query(ctx, `select `+commitColumns+` from commits c
		where starts_with(c.sha, $1) and ($2 = '' or c.repo = $2) order by c.committed_at desc limit 20`, sha, repo)
	if err != nil {
		return nil, fmt.Errorf("find commit %s: %w", sha, translate(err))
	}
	return collectCommits(rows)
}

func collectCommits(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close()
}) ([]Commit, error) {
	defer rows.Close()
	var out []Commit
	for rows.Next() {
		c, err := scanCommit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// CommitsInWindow lists the org's commits made between from and to, and
// those whose sha starts with one of hashes (named in a conversation):
// the candidates a conversation may have led to.
func CommitsInWindow(ctx context.Context, q Querier, from, to time.Time, hashes []string, limit int) ([]Commit, error) {
	rows, err := q.Query(ctx, `select `+commitColumns+` from commits c
		where (c.committed_at between $1 and $2)
			or exists (select 1 from unnest($3::text[]) h where length(h) >= 7 and starts_with(c.sha, h))
		order by c.committed_at limit $4`, from, to, nonNil(hashes), limit)
	if err != nil {
		return nil, fmt.Errorf("list candidate commits: %w", translate(err))
	}
	return collectCommits(rows)
}

// CorrelationConversation is a conversation with what correlation needs.
type CorrelationConversation struct {
	ID              uuid.UUID
	Tool            string
	Repo            string
	Cwd             string
	Branches        []string
	UserEmail       string
	StartedAt       time.Time // when the format records no time: when it was captured
	EndedAt         *time.Time
	FilesWritten    []string
	WrittenLines    []int64
	ShownLines      []int64
	Commands        []string
	MentionedHashes []string
	CommitRefs      []string
}

// correlationSelect reads the features; a conversation whose format records
// no time (Cursor) is anchored at when it was captured.
const correlationSelect = `select c.id, c.tool, c.repo, c.cwd, c.git_branches, u.email, coalesce(c.started_at, c.occurred_at), c.ended_at,
	coalesce((select array_agg(distinct f) from tool_calls t, unnest(t.files_written) f where t.org_id = c.org_id and t.conversation_id = c.id), '{}'),
	c.written_lines,
	coalesce((select array_agg(cmd) from tool_calls t, unnest(t.commands) cmd where t.org_id = c.org_id and t.conversation_id = c.id), '{}'),
	c.mentioned_hashes, c.commit_hashes, c.shown_lines
	from conversations c join users u on u.id = c.user_id`

func scanCorrelation(row interface{ Scan(...any) error }) (CorrelationConversation, error) {
	var c CorrelationConversation
	err := row.Scan(&c.ID, &c.Tool, &c.Repo, &c.Cwd, &c.Branches, &c.UserEmail, &c.StartedAt, &c.EndedAt,
		&c.FilesWritten, &c.WrittenLines, &c.Commands, &c.MentionedHashes, &c.CommitRefs, &c.ShownLines)
	return c, translate(err)
}

// GetCorrelationConversation loads one conversation's correlation features.
func GetCorrelationConversation(ctx context.Context, q Querier, id uuid.UUID) (CorrelationConversation, error) {
	c, err := scanCorrelation(q.QueryRow(ctx, correlationSelect+` where c.id = $1`, id))
	if err != nil {
		return c, fmt.Errorf("load conversation %s for correlation: %w", id, err)
	}
	return c, nil
}

// ConversationsNear lists conversations active between from and to, or
// naming sha: the candidates behind a commit.
func ConversationsNear(ctx context.Context, q Querier, from, to time.Time, sha string, limit int) ([]CorrelationConversation, error) {
	rows, err := q.Query(ctx, correlationSelect+`
		where (c.occurred_at <= $2 and coalesce(c.ended_at, c.occurred_at) >= $1)
			or exists (select 1 from unnest(c.mentioned_hashes) h where starts_with($3, h))
			or exists (select 1 from unnest(c.commit_hashes) h where starts_with($3, h))
		-- The latest first: with more candidates than the limit, the
		-- sessions right before the commit are the likeliest.
		order by c.occurred_at desc limit $4`, from, to, sha, limit)
	if err != nil {
		return nil, fmt.Errorf("list candidate conversations: %w", translate(err))
	}
	defer rows.Close()
	var out []CorrelationConversation
	for rows.Next() {
		c, err := scanCorrelation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// CommitLink is a stored link.
type CommitLink struct {
	ConversationID uuid.UUID       `json:"conversation_id"`
	CommitID       uuid.UUID       `json:"commit_id"`
	Confidence     float64         `json:"confidence"`
	Evidence       json.RawMessage `json:"evidence"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

// ReplaceLink stores a link, or removes it when keep is false (a link that
// no longer reaches the threshold after new evidence).
func ReplaceLink(ctx context.Context, q Querier, orgID uuid.UUID, l CommitLink, keep bool) (changed bool, err error) {
	if !keep {
		tag, err := q.Exec(ctx, `delete from commit_links where conversation_id = $1 and commit_id = $2`, l.ConversationID, l.CommitID)
		return tag.RowsAffected() > 0, translate(err)
	}
	tag, err := q.Exec(ctx, `insert into commit_links (org_id, conversation_id, commit_id, confidence, evidence)
		values ($1, $2, $3, $4, $5)
		on conflict (org_id, conversation_id, commit_id) do update set confidence = excluded.confidence, evidence = excluded.evidence, updated_at = now()
		where commit_links.confidence is distinct from excluded.confidence or commit_links.evidence is distinct from excluded.evidence`,
		orgID, l.ConversationID, l.CommitID, l.Confidence, l.Evidence)
	if err != nil {
		return false, fmt.Errorf("store link: %w", translate(err))
	}
	return tag.RowsAffected() > 0, nil
}

// LinkedCommit is a commit with its link to a conversation.
type LinkedCommit struct {
	Commit
	Confidence float64         `json:"confidence"`
	Evidence   json.RawMessage `json:"evidence"`
}

// CommitsOfConversation lists the commits a conversation led to, most
// confident first.
func CommitsOfConversation(ctx context.Context, q Querier, conversationID uuid.UUID) ([]LinkedCommit, error) {
	rows, err := q.Query(ctx, `select `+commitColumns+`, l.confidence, l.evidence from commit_links l
		join commits c on c.org_id = l.org_id and c.id = l.commit_id
		where l.conversation_id = $1 order by l.confidence desc, c.committed_at`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("list commits of conversation: %w", translate(err))
	}
	defer rows.Close()
	var out []LinkedCommit
	for rows.Next() {
		var lc LinkedCommit
		c := &lc.Commit
		if err := rows.Scan(&c.OrgID, &c.ID, &c.Repo, &c.SHA, &c.Parents, &c.Branch, &c.AuthorName, &c.AuthorEmail, &c.CommitterEmail,
			&c.CommittedAt, &c.Message, &c.Files, &c.Additions, &c.Deletions, &c.AddedLines, &c.PatchID, &c.Source, &c.AuthoredAt, &lc.Confidence, &lc.Evidence); err != nil {
			return nil, translate(err)
		}
		out = append(out, lc)
	}
	return out, translate(rows.Err())
}

// LinkedConversation is a conversation behind a commit.
type LinkedConversation struct {
	ConversationID uuid.UUID       `json:"conversation_id"`
	Title          string          `json:"title"`
	Source         string          `json:"source"`
	UserEmail      string          `json:"user_email"`
	StartedAt      *time.Time      `json:"started_at"`
	Confidence     float64         `json:"confidence"`
	Evidence       json.RawMessage `json:"evidence"`
}

// ConversationsOfCommit lists the conversations behind a commit the viewer
// may see.
func ConversationsOfCommit(ctx context.Context, q Querier, v Viewer, commitID uuid.UUID) ([]LinkedConversation, error) {
	rows, err := q.Query(ctx, `select c.id, c.title, c.tool, u.email, c.started_at, l.confidence, l.evidence
		from commit_links l join conversations c on c.org_id = l.org_id and c.id = l.conversation_id
		join users u on u.id = c.user_id
		where l.commit_id = $3 and `+visibleTo+` order by l.confidence desc`, v.UserID, v.Role, commitID)
	if err != nil {
		return nil, fmt.Errorf("list conversations of commit: %w", translate(err))
	}
	defer rows.Close()
	var out []LinkedConversation
	for rows.Next() {
		var lc LinkedConversation
		if err := rows.Scan(&lc.ConversationID, &lc.Title, &lc.Source, &lc.UserEmail, &lc.StartedAt, &lc.Confidence, &lc.Evidence); err != nil {
			return nil, translate(err)
		}
		out = append(out, lc)
	}
	return out, translate(rows.Err())
}

// InsertWebhookDelivery stores a delivery once; a replayed delivery id
// reports inserted = false and changes nothing.
func InsertWebhookDelivery(ctx context.Context, q Querier, orgID uuid.UUID, provider, deliveryID, event string, payload []byte) (bool, error) {
	tag, err := q.Exec(ctx, `insert into webhook_deliveries (org_id, provider, delivery_id, event, payload) values ($1, $2, $3, $4, $5)
		on conflict do nothing`, orgID, provider, deliveryID, event, payload)
	if err != nil {
		return false, fmt.Errorf("store webhook delivery: %w", translate(err))
	}
	return tag.RowsAffected() == 1, nil
}

// GetWebhookDelivery reads a stored delivery.
func GetWebhookDelivery(ctx context.Context, q Querier, provider, deliveryID string) (event string, payload []byte, err error) {
	err = q.QueryRow(ctx, `select event, payload from webhook_deliveries where provider = $1 and delivery_id = $2`, provider, deliveryID).Scan(&event, &payload)
	return event, payload, translate(err)
}

// FinishWebhookDelivery records how processing went.
func FinishWebhookDelivery(ctx context.Context, q Querier, provider, deliveryID, status, errMsg string) error {
	_, err := q.Exec(ctx, `update webhook_deliveries set status = $3, error = $4 where provider = $1 and delivery_id = $2`, provider, deliveryID, status, errMsg)
	return translate(err)
}

// Contribution is one person's activity on one day.
type Contribution struct {
	Day           time.Time `json:"day"`
	UserEmail     string    `json:"user_email"`
	Conversations int       `json:"conversations"`
	LinkedCommits int       `json:"linked_commits"`
}

// Contributions counts, per member and day, the conversations they had and
// the commits linked to them, for the contribution graph.
func Contributions(ctx context.Context, q Querier, v Viewer, from, to time.Time, userID *uuid.UUID) ([]Contribution, error) {
	rows, err := q.Query(ctx, `select date_trunc('day', c.occurred_at) as day, u.email, count(distinct c.id),
			count(distinct l.commit_id)
		from conversations c join users u on u.id = c.user_id
		left join commit_links l on l.org_id = c.org_id and l.conversation_id = c.id
		where `+visibleTo+` and c.occurred_at >= $3 and c.occurred_at < $4 and ($5::uuid is null or c.user_id = $5)
		group by 1, 2 order by 1, 2`, v.UserID, v.Role, from, to, userID)
	if err != nil {
		return nil, fmt.Errorf("contributions: %w", translate(err))
	}
	defer rows.Close()
	var out []Contribution
	for rows.Next() {
		var c Contribution
		if err := rows.Scan(&c.Day, &c.UserEmail, &c.Conversations, &c.LinkedCommits); err != nil {
			return nil, translate(err)
		}
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// ConversationsTouchingFile lists conversations (visible to the viewer)
// whose assistant read or wrote a path ending in path.
func ConversationsTouchingFile(ctx context.Context, q Querier, v Viewer, path, repo string, limit int) ([]Conversation, error) {
	rows, err := q.Query(ctx, `select `+conversationColumns+` from conversations c join users u on u.id = c.user_id
		where `+visibleTo+` and ($4 = '' or c.repo = $4)
			and exists (select 1 from unnest(c.files_touched) f where f = $3 or right(f, length($3) + 1) = '/' || $3)
		order by c.occurred_at desc limit $5`, v.UserID, v.Role, path, repo, limit)
	if err != nil {
		return nil, fmt.Errorf("conversations touching %s: %w", path, translate(err))
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// GetLink reads one link; ErrNotFound when there is none (any more).
func GetLink(ctx context.Context, q Querier, conversationID, commitID uuid.UUID) (CommitLink, error) {
	var l CommitLink
	err := q.QueryRow(ctx, `select conversation_id, commit_id, confidence, evidence, updated_at from commit_links
		where conversation_id = $1 and commit_id = $2`, conversationID, commitID).Scan(&l.ConversationID, &l.CommitID, &l.Confidence, &l.Evidence, &l.UpdatedAt)
	return l, translate(err)
}

// LinksOfSameChange lists links of other commits with the same patch id:
// the originals of a rebased or cherry-picked copy.
func LinksOfSameChange(ctx context.Context, q Querier, patchID string, except uuid.UUID) ([]CommitLink, []string, error) {
	rows, err := q.Query(ctx, `select l.conversation_id, l.commit_id, l.confidence, l.evidence, l.updated_at, c.sha
		from commits c join commit_links l on l.org_id = c.org_id and l.commit_id = c.id
		where c.patch_id = $1 and c.id <> $2`, patchID, except)
	if err != nil {
		return nil, nil, fmt.Errorf("links of the same change: %w", translate(err))
	}
	defer rows.Close()
	var links []CommitLink
	var shas []string
	for rows.Next() {
		var l CommitLink
		var sha string
		if err := rows.Scan(&l.ConversationID, &l.CommitID, &l.Confidence, &l.Evidence, &l.UpdatedAt, &sha); err != nil {
			return nil, nil, translate(err)
		}
		links = append(links, l)
		shas = append(shas, sha)
	}
	return links, shas, translate(rows.Err())
}
