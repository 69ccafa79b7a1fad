package warehouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Question is a user message with its embedding, for topic clustering
// (package analytics).
type Question struct {
	MessageID      int64
	ConversationID uuid.UUID
	UserID         uuid.UUID
	AskedAt        time.Time
	Text           string
	Vector         []float32
}

// ListQuestions returns the current org's newest user messages sent in
// [from, to) that have an embedding of model (their first chunk), at most
// limit of them, newest first. Text is cut to its first 2,000 characters:
// a question's gist is at its start, and pasted logs would drown it.
func ListQuestions(ctx context.Context, q Querier, model string, from, to time.Time, limit int) ([]Question, error) {
	rows, err := q.Query(ctx, `select m.id, m.conversation_id, c.user_id, coalesce(m.sent_at, m.created_at), left(m.text, 2000),
			e.embedding::text
		from messages m
		join conversations c on c.org_id = m.org_id and c.id = m.conversation_id
		join message_embeddings e on e.org_id = m.org_id and e.message_id = m.id and e.model = $1 and e.chunk = 0
		where m.role = 'user' and coalesce(m.sent_at, m.created_at) >= $2 and coalesce(m.sent_at, m.created_at) < $3
		order by m.id desc limit $4`, model, from, to, limit)
	if err != nil {
		return nil, fmt.Errorf("list questions: %w", translate(err))
	}
	defer rows.Close()
	var out []Question
	for rows.Next() {
		var qn Question
		var vec string
		if err := rows.Scan(&qn.MessageID, &qn.ConversationID, &qn.UserID, &qn.AskedAt, &qn.Text, &vec); err != nil {
			return nil, fmt.Errorf("list questions: %w", translate(err))
		}
		if qn.Vector, err = parseVector(vec); err != nil {
			return nil, fmt.Errorf("list questions: message %d: %w", qn.MessageID, err)
		}
		out = append(out, qn)
	}
	return out, translate(rows.Err())
}

// parseVector reads pgvector's text form, "[0.1,0.2]".
func parseVector(s string) ([]float32, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, fmt.Errorf("vector %.20q is not [x,y,...]", s)
	}
	parts := strings.Split(s[1:len(s)-1], ",")
	out := make([]float32, len(parts))
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 32)
		if err != nil {
			return nil, fmt.Errorf("vector element %d: %w", i, err)
		}
		out[i] = float32(f)
	}
	return out, nil
}
