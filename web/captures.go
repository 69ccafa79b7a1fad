package web

import (
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/ingest/transcript"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Ingester is the capture side the API needs.
type Ingester interface {
	Store(ctx context.Context, u ingest.Upload) (ingest.Stored, error)
	CaptureReport(ctx context.Context, orgID, captureID uuid.UUID) (warehouse.RawCapture, ingest.Report, error)
	ListConversations(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, f warehouse.ConversationFilter) ([]warehouse.Conversation, error)
	GetConversation(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, id uuid.UUID) (warehouse.Conversation, []warehouse.Message, error)
	ResolveMember(ctx context.Context, orgID uuid.UUID, emailOrID string) (warehouse.Member, error)
}

type captureHandlers struct {
	ing       Ingester
	log       *slog.Logger
	maxUpload int64
}

// maxWait bounds how long an upload waits for its processing.
const maxWait = 60 * time.Second

// upload stores a raw file (POST /api/v1/imports) or a generic JSON
// conversation (POST /api/v1/conversations), then waits up to ?wait=
// seconds (default 30) for it to be processed: 200 with the report when it
// was, 202 with the capture id to poll when not yet.
func (h *captureHandlers) upload(format transcript.Format) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		wait, err := parseWait(r.URL.Query().Get("wait"))
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		name := r.Header.Get("X-Filename")
		if name == "" {
			name = r.URL.Query().Get("name")
		}
		if name == "" {
			name = "upload"
		}
		if msg := checkText("X-Filename", name, 4096); msg != "" {
			writeError(w, r, http.StatusBadRequest, "bad_request", msg)
			return
		}
		if msg := checkText("X-Git-Remote", r.Header.Get("X-Git-Remote"), 2048); msg != "" {
			writeError(w, r, http.StatusBadRequest, "bad_request", msg)
			return
		}
		f := format
		if q := r.URL.Query().Get("format"); q != "" && f == "" {
			f = transcript.Format(q)
			if !knownFormat(f) {
				writeError(w, r, http.StatusBadRequest, "unknown_format", fmt.Sprintf("format %q is not one of %s", q, formatList()))
				return
			}
		}
		data, err := readBody(w, r, h.maxUpload)
		if err != nil {
			bodyError(w, r, err, fmt.Sprintf("%s is larger than the %d-byte upload limit", name, h.maxUpload))
			return
		}
		if format == transcript.FormatGeneric {
			// Check the document before storing it, so the client learns
			// at once what is wrong with it.
			rep := ingest.DryRun(name, data, format, ingest.Limits{})
			if rep.Status == "failed" {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "invalid_conversation", "message": rep.Error},
					"problems": rep.Problems, "request_id": RequestIDFrom(r.Context())})
				return
			}
		}
		stored, err := h.ing.Store(r.Context(), ingest.Upload{OrgID: p.OrgID, UserID: p.UserID, Name: name, Data: data, Format: f,
			GitRemote: r.Header.Get("X-Git-Remote")})
		switch {
		case errors.Is(err, ingest.ErrTooLarge):
			writeError(w, r, http.StatusRequestEntityTooLarge, "too_large", err.Error())
			return
		case errors.Is(err, ingest.ErrFormat):
			writeError(w, r, http.StatusBadRequest, "unknown_format", err.Error())
			return
		case err != nil:
			serverError(w, r, h.log, "store the upload", err)
			return
		}
		h.answer(w, r, stored.Capture.ID, stored.Duplicate, wait)
	}
}

// answer waits for processing and writes the report.
func (h *captureHandlers) answer(w http.ResponseWriter, r *http.Request, id uuid.UUID, duplicate bool, wait time.Duration) {
	p := principalFrom(r.Context())
	deadline := time.Now().Add(wait)
	for {
		c, rep, err := h.ing.CaptureReport(r.Context(), p.OrgID, id)
		if err != nil {
			serverError(w, r, h.log, "read the capture", err)
			return
		}
		if c.Status != warehouse.CapturePending || !time.Now().Before(deadline) {
			if duplicate {
				rep.Status = "unchanged"
				for i := range rep.Conversations {
					rep.Conversations[i].Outcome = ingest.OutcomeUnchanged
					rep.Conversations[i].NewMessages = 0
				}
			}
			status := http.StatusOK
			if c.Status == warehouse.CapturePending {
				status = http.StatusAccepted
				rep.Status = warehouse.CapturePending
			}
			w.Header().Set("Location", "/api/v1/imports/"+id.String())
			writeJSON(w, status, rep)
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (h *captureHandlers) get(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "bad_request", "the import id must be a UUID")
		return
	}
	p := principalFrom(r.Context())
	c, _, err := h.ing.CaptureReport(r.Context(), p.OrgID, id)
	if err == nil && c.UserID != p.UserID && p.Role != warehouse.RoleAdmin && p.Role != warehouse.RoleAuditor {
		err = warehouse.ErrNotFound // another member's upload
	}
	if errors.Is(err, warehouse.ErrNotFound) {
		writeError(w, r, http.StatusNotFound, "not_found", "no import "+id.String())
		return
	}
	if err != nil {
		serverError(w, r, h.log, "read the import", err)
		return
	}
	h.answer(w, r, id, false, 0)
}

func parseWait(s string) (time.Duration, error) {
	if s == "" {
		return 30 * time.Second, nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("wait must be a number of seconds from 0 to %d, got %q", int(maxWait.Seconds()), s)
	}
	return min(time.Duration(n*float64(time.Second)), maxWait), nil
}

func knownFormat(f transcript.Format) bool {
	for _, k := range transcript.Formats() {
		if k == f {
			return true
		}
	}
	return false
}

func formatList() string {
	var names []string
	for _, f := range transcript.Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// conversationList is the answer of GET /api/v1/conversations.
type conversationList struct {
	Conversations []warehouse.Conversation `json:"conversations"`
	NextCursor    string                   `json:"next_cursor,omitempty"`
}

func (h *captureHandlers) list(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	if msg := checkParams(q); msg != "" {
		writeError(w, r, http.StatusBadRequest, "bad_request", msg)
		return
	}
	f := warehouse.ConversationFilter{Tool: q.Get("tool"), Branch: q.Get("branch")}
	if repo := q.Get("repo"); repo != "" {
		f.Repo = ingest.NormalizeRemote(repo)
	}
	if u := q.Get("user"); u != "" {
		m, err := h.ing.ResolveMember(r.Context(), p.OrgID, u)
		if errors.Is(err, warehouse.ErrNotFound) {
			writeError(w, r, http.StatusBadRequest, "bad_request", fmt.Sprintf("user %q is not a member of this organization", u))
			return
		}
		if err != nil {
			serverError(w, r, h.log, "resolve the user filter", err)
			return
		}
		f.UserID = &m.ID
	}
	var err error
	if f.From, err = parseTimeParam(q, "from"); err != nil {
		writeError(w, r, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if f.To, err = parseTimeParam(q, "to"); err != nil {
		writeError(w, r, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		writeError(w, r, http.StatusBadRequest, "bad_request", "from must be before to")
		return
	}
	if l := q.Get("limit"); l != "" {
		if f.Limit, err = strconv.Atoi(l); err != nil || f.Limit < 1 || f.Limit > 500 {
			writeError(w, r, http.StatusBadRequest, "bad_request", "limit must be a number from 1 to 500")
			return
		}
	} else {
		f.Limit = 50
	}
	if c := q.Get("cursor"); c != "" {
		t, id, err := decodeCursor(c)
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "bad_request", "cursor is not one this API returned")
			return
		}
		f.AfterOccurred, f.AfterID = &t, &id
	}
	convs, err := h.ing.ListConversations(r.Context(), p.OrgID, viewer(p), f)
	if err != nil {
		serverError(w, r, h.log, "list conversations", err)
		return
	}
	out := conversationList{Conversations: convs}
	if out.Conversations == nil {
		out.Conversations = []warehouse.Conversation{}
	}
	if len(convs) == f.Limit {
		last := convs[len(convs)-1]
		out.NextCursor = encodeCursor(last.OccurredAt, last.ID)
	}
	writeJSON(w, http.StatusOK, out)
}

// conversationDetail is the answer of GET /api/v1/conversations/{id}.
type conversationDetail struct {
	warehouse.Conversation
	Messages []warehouse.Message `json:"messages"`
}

func (h *captureHandlers) detail(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "bad_request", "the conversation id must be a UUID")
		return
	}
	c, msgs, err := h.ing.GetConversation(r.Context(), p.OrgID, viewer(p), id)
	if errors.Is(err, warehouse.ErrNotFound) {
		writeError(w, r, http.StatusNotFound, "not_found", "no conversation "+id.String())
		return
	}
	if err != nil {
		serverError(w, r, h.log, "read the conversation", err)
		return
	}
	if msgs == nil {
		msgs = []warehouse.Message{}
	}
	writeJSON(w, http.StatusOK, conversationDetail{Conversation: c, Messages: msgs})
}

func viewer(p warehouse.Principal) warehouse.Viewer {
	return warehouse.Viewer{UserID: p.UserID, Role: p.Role}
}

func parseTimeParam(q map[string][]string, key string) (*time.Time, error) {
	v := ""
	if vs := q[key]; len(vs) > 0 {
		v = vs[0]
	}
	if v == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return &t, nil
		}
	}
	return nil, fmt.Errorf("%s must be a date (2026-11-20) or an RFC 3339 time (2026-11-20T09:00:00Z), got %q", key, v)
}

func encodeCursor(t time.Time, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(t.UTC().Format(time.RFC3339Nano) + "|" + id.String()))
}

func decodeCursor(s string) (time.Time, uuid.UUID, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, uuid.Nil, err
	}
	ts, idStr, ok := strings.Cut(string(raw), "|")
	if !ok {
		return time.Time{}, uuid.Nil, errors.New("malformed cursor")
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return t, uuid.Nil, err
	}
	id, err := uuid.Parse(idStr)
	return t, id, err
}

var (
	errTooLarge = errors.New("body too large")
	errEncoding = errors.New("unsupported Content-Encoding")
)

// readBody reads an upload, gzip-compressed or not, bounding both the
// bytes on the wire and the bytes after decompression.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var body io.Reader = http.MaxBytesReader(w, r.Body, limit)
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		defer zr.Close()
		body = zr
	default:
		return nil, fmt.Errorf("%w %q: send the body as is or gzip-compressed", errEncoding, enc)
	}
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
}

// checkText refuses what Postgres cannot store or index: invalid UTF-8, NUL
// bytes, and values beyond a sane length.
func checkText(name, v string, maxLen int) string {
	switch {
	case !utf8.ValidString(v):
		return name + " is not valid UTF-8"
	case strings.ContainsRune(v, 0):
		return name + " contains a NUL byte"
	case len(v) > maxLen:
		return fmt.Sprintf("%s is longer than %d bytes", name, maxLen)
	}
	return ""
}

// checkParams applies checkText to every query parameter.
func checkParams(q map[string][]string) string {
	for k, vs := range q {
		for _, v := range vs {
			if msg := checkText(k, v, 2048); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// bodyError answers a failure of readBody: 413, 415 or 400.
func bodyError(w http.ResponseWriter, r *http.Request, err error, tooLarge string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig), errors.Is(err, errTooLarge):
		writeError(w, r, http.StatusRequestEntityTooLarge, "too_large", tooLarge)
	case errors.Is(err, errEncoding):
		writeError(w, r, http.StatusUnsupportedMediaType, "unsupported_encoding", err.Error())
	default:
		writeError(w, r, http.StatusBadRequest, "bad_request", "could not read the request body: "+err.Error())
	}
}
