package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v) //nolint:errcheck // the client went away
}

// apiError is the one error shape of the API.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	RequestID string `json:"request_id"`
}

func writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	var e apiError
	e.Error.Code, e.Error.Message, e.RequestID = code, message, RequestIDFrom(r.Context())
	writeJSON(w, status, e)
}

// serverError logs an unexpected failure once, here, and tells the client
// only the request id to quote.
func serverError(w http.ResponseWriter, r *http.Request, log *slog.Logger, action string, err error) {
	log.ErrorContext(r.Context(), action+" failed", slog.String("request_id", RequestIDFrom(r.Context())), slog.Any("error", err))
	writeError(w, r, http.StatusInternalServerError, "internal", "internal error while trying to "+action+"; quote request id "+RequestIDFrom(r.Context()))
}
