package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/context-intelligence/ctxintel/ingest"
)

// WebhookReceiver stores verified forge deliveries.
type WebhookReceiver interface {
	ReceiveWebhook(ctx context.Context, orgID uuid.UUID, provider, event, deliveryID string, body []byte) (string, error)
}

// OrgResolver finds an organization by slug for unauthenticated routes.
type OrgResolver interface {
	OrgIDBySlug(ctx context.Context, slug string) (uuid.UUID, error)
}

type webhookHandlers struct {
	recv    WebhookReceiver
	orgs    OrgResolver
	secret  func(orgID uuid.UUID, provider string) string
	log     *slog.Logger
	maxBody int64
}

// receive answers POST /webhooks/{provider}/{org}: verify the signature
// (401 and nothing stored when it fails), store the delivery once (a
// replay answers 200 "duplicate"), and acknowledge at once (202); the push
// is processed in a job.
func (h *webhookHandlers) receive(w http.ResponseWriter, r *http.Request) {
	provider := chi.URLParam(r, "provider")
	if provider != ingest.ProviderGitHub && provider != ingest.ProviderGitLab {
		writeError(w, r, http.StatusNotFound, "not_found", "webhooks are received for github and gitlab, not "+provider)
		return
	}
	body, err := readBody(w, r, h.maxBody)
	if err != nil {
		bodyError(w, r, err, "the delivery is larger than the upload limit")
		return
	}
	// An unknown organization fails the signature check like a wrong
	// secret does, so the URL does not tell which organizations exist.
	orgID, orgErr := h.orgs.OrgIDBySlug(r.Context(), chi.URLParam(r, "org"))
	secret := []byte(h.secret(orgID, provider))
	if orgErr != nil {
		secret = []byte(uuid.NewString())
	}
	var event, delivery string
	switch provider {
	case ingest.ProviderGitHub:
		err = ingest.VerifyGitHubSignature(secret, body, r.Header.Get("X-Hub-Signature-256"))
		event, delivery = r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery")
	case ingest.ProviderGitLab:
		err = ingest.VerifyGitLabToken(string(secret), r.Header.Get("X-Gitlab-Token"))
		event = r.Header.Get("X-Gitlab-Event")
		delivery = r.Header.Get("Idempotency-Key")
		if delivery == "" {
			delivery = r.Header.Get("X-Gitlab-Event-UUID")
		}
	}
	if err != nil {
		writeError(w, r, http.StatusUnauthorized, "bad_signature", err.Error()+": check the webhook secret (ctxintel admin webhook)")
		return
	}
	outcome, err := h.recv.ReceiveWebhook(r.Context(), orgID, provider, event, delivery, body)
	switch {
	case errors.Is(err, ingest.ErrForgePayload):
		writeError(w, r, http.StatusBadRequest, "bad_payload", err.Error())
		return
	case err != nil:
		serverError(w, r, h.log, "store the webhook delivery", err)
		return
	}
	status := http.StatusAccepted
	if outcome != ingest.DeliveryAccepted {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]string{"status": outcome})
}
