package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/search"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// Searcher runs searches.
type Searcher interface {
	Search(ctx context.Context, req search.Request) (search.Result, error)
	ResolveTeam(ctx context.Context, orgID uuid.UUID, slug string) (uuid.UUID, error)
}

type searchHandlers struct {
	search Searcher
	ing    Ingester
	log    *slog.Logger
}

// get answers GET /api/v1/search.
func (h *searchHandlers) get(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	if msg := checkParams(q); msg != "" {
		writeError(w, r, http.StatusBadRequest, "bad_request", msg)
		return
	}
	mode, err := search.ParseMode(q.Get("mode"))
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	req := search.Request{OrgID: p.OrgID, Viewer: viewer(p), Query: q.Get("q"), Mode: mode}
	if msg := h.filters(r, p, &req); msg != "" {
		writeError(w, r, http.StatusBadRequest, "bad_request", msg)
		return
	}
	res, err := h.search.Search(r.Context(), req)
	switch {
	case errors.Is(err, search.ErrBadRequest):
		writeError(w, r, http.StatusBadRequest, "bad_query", errorText(err))
		return
	case errors.Is(err, search.ErrSemanticUnavailable):
		writeError(w, r, http.StatusBadRequest, "semantic_unavailable", err.Error())
		return
	case err != nil:
		serverError(w, r, h.log, "search", err)
		return
	}
	if len(res.Conversations) == 0 && res.Reason == "" {
		res.Reason = "no conversation matches"
		if hasFilters(req.Filter) {
			res.Reason += " with these filters"
		}
	}
	writeJSON(w, http.StatusOK, res)
}

// errorText drops the sentinel's prefix: "bad search request: the query is
// empty…" reads better as "the query is empty…".
func errorText(err error) string {
	msg := err.Error()
	prefix := search.ErrBadRequest.Error() + ": "
	if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
		return msg[len(prefix):]
	}
	return msg
}

// filters reads the filter parameters; a message means a 400.
func (h *searchHandlers) filters(r *http.Request, p warehouse.Principal, req *search.Request) string {
	q := r.URL.Query()
	f := &req.Filter
	f.Tool, f.Model, f.Branch = q.Get("tool"), q.Get("model"), q.Get("branch")
	if repo := q.Get("repo"); repo != "" {
		f.Repo = ingest.NormalizeRemote(repo)
	}
	if u := q.Get("user"); u != "" {
		m, err := h.ing.ResolveMember(r.Context(), p.OrgID, u)
		if err != nil {
			return fmt.Sprintf("user %q is not a member of this organization", u)
		}
		f.UserID = &m.ID
	}
	if t := q.Get("team"); t != "" {
		id, err := h.search.ResolveTeam(r.Context(), p.OrgID, t)
		if err != nil {
			return fmt.Sprintf("team %q does not exist in this organization", t)
		}
		f.TeamID = &id
	}
	switch role := q.Get("role"); role {
	case "":
	case "user", "prompts":
		f.Role = "user"
	case "assistant", "answers":
		f.Role = "assistant"
	default:
		return fmt.Sprintf("role %q must be prompts (user) or answers (assistant)", role)
	}
	if hc := q.Get("has_commit"); hc != "" {
		b, err := strconv.ParseBool(hc)
		if err != nil {
			return fmt.Sprintf("has_commit must be true or false, got %q", hc)
		}
		f.HasCommit = &b
	}
	var err error
	if f.From, err = parseTimeParam(q, "from"); err != nil {
		return err.Error()
	}
	if f.To, err = parseTimeParam(q, "to"); err != nil {
		return err.Error()
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return "from must be before to"
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			return "limit must be a number from 1 to 100"
		}
		req.Limit = n
	}
	return ""
}

func hasFilters(f warehouse.SearchFilter) bool {
	return f.UserID != nil || f.TeamID != nil || f.Tool != "" || f.Model != "" || f.Repo != "" || f.Branch != "" ||
		f.From != nil || f.To != nil || f.Role != "" || f.HasCommit != nil
}
