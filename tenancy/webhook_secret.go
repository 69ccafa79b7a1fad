package tenancy

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
)

// WebhookSecret is the secret an organization configures on its forge
// webhooks (GitHub's X-Hub-Signature-256 key, GitLab's X-Gitlab-Token).
// It is derived from the server's secret key rather than stored, so there
// is nothing to leak from the database and every replica agrees on it.
func WebhookSecret(serverKey []byte, orgID uuid.UUID, provider string) string {
	mac := hmac.New(sha256.New, serverKey)
	mac.Write([]byte("webhook/" + provider + "/" + orgID.String()))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// LoadServerKey reads the server's secret key: hex or base64 of at least 32
// bytes in value, or, when value is empty, the key file in dataDir, created
// with a random key on first use (fine for one machine; set the key
// explicitly when several replicas must agree).
func LoadServerKey(value, dataDir string) ([]byte, error) {
	if value != "" {
		for _, dec := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
			if k, err := dec(strings.TrimSpace(value)); err == nil && len(k) >= 32 {
				return k, nil
			}
		}
		return nil, errors.New("the secret key must be at least 32 bytes, hex or base64 encoded (e.g. `openssl rand -hex 32`)")
	}
	path := filepath.Join(dataDir, "secret.key")
	if raw, err := os.ReadFile(path); err == nil {
		return LoadServerKey(string(raw), "")
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return key, nil
}
