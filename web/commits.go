package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Correlator is the commit side the API needs.
type Correlator interface {
	StoreCommits(ctx context.Context, b ingest.CommitBatch) (int, error)
	CommitsOfConversation(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, id uuid.UUID) ([]warehouse.LinkedCommit, error)
	ConversationsOfCommit(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, sha, repo string) ([]ingest.CommitWithConversations, error)
	ConversationsTouchingFile(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, path, repo string) ([]warehouse.Conversation, error)
	Contributions(ctx context.Context, orgID uuid.UUID, v warehouse.Viewer, from, to time.Time, userID *uuid.UUID) ([]warehouse.Contribution, error)
	ResolveMember(ctx context.Context, orgID uuid.UUID, emailOrID string) (warehouse.Member, error)
}

type commitHandlers struct {
	c       Correlator
	log     *slog.Logger
	maxBody int64
}

// post stores commits sent by a local git hook or a repository import.
func (h *commitHandlers) post(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	body, err := readBody(w, r, h.maxBody)
	if err != nil {
		bodyError(w, r, err, fmt.Sprintf("the commit batch is larger than %d bytes: send fewer commits per request", h.maxBody))
		return
	}
	var b ingest.CommitBatch
	if err := json.Unmarshal(body, &b); err != nil {
		writeError(w, r, http.StatusBadRequest, "bad_request", "the body must be {\"remote\": \"…\", \"commits\": [{\"sha\", \"committed_at\", …}]}: "+err.Error())
		return
	}
	b.OrgID = p.OrgID
	if b.Source == "" {
		b.Source = "hook"
	}
	if src := r.URL.Query().Get("source"); src == "import" {
		b.Source = src
	}
	n, err := h.c.StoreCommits(r.Context(), b)
	if errors.Is(err, ingest.ErrInvalidCommit) {
		writeError(w, r, http.StatusBadRequest, "invalid_commit", err.Error())
		return
	}
	if err != nil {
		serverError(w, r, h.log, "store commits", err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"received": len(b.Commits), "new": n})
}

func (h *commitHandlers) ofConversation(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "bad_request", "the conversation id must be a UUID")
		return
	}
	commits, err := h.c.CommitsOfConversation(r.Context(), p.OrgID, viewer(p), id)
	if errors.Is(err, warehouse.ErrNotFound) {
		writeError(w, r, http.StatusNotFound, "not_found", "no conversation "+id.String())
		return
	}
	if err != nil {
		serverError(w, r, h.log, "list the conversation's commits", err)
		return
	}
	if commits == nil {
		commits = []warehouse.LinkedCommit{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"commits": commits})
}

func (h *commitHandlers) ofCommit(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	sha := strings.ToLower(chi.URLParam(r, "sha"))
	if !shaPrefix.MatchString(sha) {
		writeError(w, r, http.StatusBadRequest, "bad_request", "the sha must be 7 to 64 hex characters of a commit id")
		return
	}
	if msg := checkParams(r.URL.Query()); msg != "" {
		writeError(w, r, http.StatusBadRequest, "bad_request", msg)
		return
	}
	commits, err := h.c.ConversationsOfCommit(r.Context(), p.OrgID, viewer(p), sha, r.URL.Query().Get("repo"))
	if err != nil {
		serverError(w, r, h.log, "list the commit's conversations", err)
		return
	}
	if len(commits) == 0 {
		writeError(w, r, http.StatusNotFound, "not_found", "no commit "+sha+" has been received")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"commits": commits})
}

func (h *commitHandlers) ofFile(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	path := r.URL.Query().Get("path")
	if msg := checkParams(r.URL.Query()); msg != "" {
		writeError(w, r, http.StatusBadRequest, "bad_request", msg)
		return
	}
	if path == "" {
		writeError(w, r, http.StatusBadRequest, "bad_request", "path is required (a repository-relative file path)")
		return
	}
	convs, err := h.c.ConversationsTouchingFile(r.Context(), p.OrgID, viewer(p), path, r.URL.Query().Get("repo"))
	if err != nil {
		serverError(w, r, h.log, "list the file's conversations", err)
		return
	}
	if convs == nil {
		convs = []warehouse.Conversation{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": convs})
}

func (h *commitHandlers) contributions(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	to := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	from := to.AddDate(0, 0, -365)
	if t, err := parseTimeParam(q, "from"); err != nil {
		writeError(w, r, http.StatusBadRequest, "bad_request", err.Error())
		return
	} else if t != nil {
		from = *t
	}
	if t, err := parseTimeParam(q, "to"); err != nil {
		writeError(w, r, http.StatusBadRequest, "bad_request", err.Error())
		return
	} else if t != nil {
		to = *t
	}
	if !from.Before(to) || to.Sub(from) > 366*24*time.Hour {
		writeError(w, r, http.StatusBadRequest, "bad_request", "from must be before to, and at most a year apart")
		return
	}
	var userID *uuid.UUID
	if u := q.Get("user"); u != "" {
		m, err := h.c.ResolveMember(r.Context(), p.OrgID, u)
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "bad_request", fmt.Sprintf("user %q is not a member of this organization", u))
			return
		}
		userID = &m.ID
	}
	days, err := h.c.Contributions(r.Context(), p.OrgID, viewer(p), from, to, userID)
	if err != nil {
		serverError(w, r, h.log, "count contributions", err)
		return
	}
	if days == nil {
		days = []warehouse.Contribution{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "days": days})
}

var shaPrefix = regexp.MustCompile(`^[0-9a-f]{7,64}$`)
