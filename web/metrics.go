package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/context-intelligence/ctxintel/analytics"
	"github.com/context-intelligence/ctxintel/ingest"
	"github.com/context-intelligence/ctxintel/warehouse"
)

// MetricsService computes dashboard metrics.
type MetricsService interface {
	Get(ctx context.Context, req analytics.MetricRequest) (any, error)
}

type metricHandlers struct {
	metrics MetricsService
	log     *slog.Logger
}

// metricDescriptions answer GET /api/v1/metrics.
var metricDescriptions = map[string]string{
	analytics.MetricProductivity:  "conversations, linked commits, conversation→commit ratio, median time to commit, AI-assisted share of commits and their lines, per week; group_by user, team or repo (each group's totals, and its weeks with group_weeks=true)",
	analytics.MetricAdoption:      "active users by tool and model per week, new adopters, week-over-week retention",
	analytics.MetricCost:          "tokens and cost by the configured price table, cost per linked commit, per week; group_by user, team, tool or model",
	analytics.MetricKnowledgeGaps: "the topics people keep asking about (clustered questions) and the searches that found nothing",
	analytics.MetricSummary:       "the headline numbers per calendar month with the change against the month before",
}

// list answers GET /api/v1/metrics.
func (h *metricHandlers) list(w http.ResponseWriter, r *http.Request) {
	out := make([]map[string]string, 0, len(analytics.MetricNames))
	for _, name := range analytics.MetricNames {
		out = append(out, map[string]string{"name": name, "description": metricDescriptions[name], "path": "/api/v1/metrics/" + name})
	}
	writeJSON(w, http.StatusOK, map[string]any{"metrics": out})
}

// get answers GET /api/v1/metrics/{metric}.
func (h *metricHandlers) get(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	q := r.URL.Query()
	if msg := checkParams(q); msg != "" {
		writeError(w, r, http.StatusBadRequest, "bad_request", msg)
		return
	}
	for key := range q {
		switch key {
		case "from", "to", "team", "user", "repo", "group_by", "group_weeks":
		default:
			writeError(w, r, http.StatusBadRequest, "bad_request",
				"unknown parameter "+key+"; the parameters are from, to, team, user, repo, group_by and group_weeks")
			return
		}
	}
	groupWeeks := false
	if v := q.Get("group_weeks"); v != "" {
		var err error
		if groupWeeks, err = strconv.ParseBool(v); err != nil {
			writeError(w, r, http.StatusBadRequest, "bad_request", "group_weeks must be true or false, not "+strconv.Quote(v))
			return
		}
	}
	req := analytics.MetricRequest{Metric: chi.URLParam(r, "metric"), OrgID: p.OrgID, Viewer: viewer(p),
		Team: q.Get("team"), User: q.Get("user"), GroupBy: q.Get("group_by"), GroupWeeks: groupWeeks}
	if repo := q.Get("repo"); repo != "" {
		req.Repo = ingest.NormalizeRemote(repo)
	}
	for key, dst := range map[string]*time.Time{"from": &req.From, "to": &req.To} {
		t, err := parseTimeParam(q, key)
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		if t != nil {
			*dst = *t
		}
	}
	res, err := h.metrics.Get(r.Context(), req)
	switch {
	case errors.Is(err, analytics.ErrUnknownMetric):
		writeError(w, r, http.StatusNotFound, "unknown_metric", err.Error())
	case errors.Is(err, analytics.ErrBadRequest):
		writeError(w, r, http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), analytics.ErrBadRequest.Error()+": "))
	case errors.Is(err, analytics.ErrForbidden):
		writeError(w, r, http.StatusForbidden, "forbidden", strings.TrimPrefix(err.Error(), analytics.ErrForbidden.Error()+": "))
	case errors.Is(err, warehouse.ErrNotFound):
		writeError(w, r, http.StatusNotFound, "not_found", strings.TrimSuffix(err.Error(), ": "+warehouse.ErrNotFound.Error()))
	case err != nil:
		serverError(w, r, h.log, "compute metric "+req.Metric, err)
	default:
		writeJSON(w, http.StatusOK, res)
	}
}
