package tenancy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/context-intelligence/ctxintel/warehouse"
)

// KeyPrefix starts every API key, so leaked keys are recognisable by
// secret scanners and by people.
const KeyPrefix = "cik_"

// ErrUnauthenticated is returned for a missing, malformed, unknown,
// revoked or expired key; callers must not tell these apart to the client.
var ErrUnauthenticated = errors.New("invalid API key")

const keyAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewAPIKey mints a key for a member of the org. The plaintext is returned
// once and never stored.
func (s *Service) NewAPIKey(ctx context.Context, actor Actor, orgID, userID uuid.UUID, name string, expiresAt *time.Time) (string, warehouse.APIKey, error) {
	if strings.TrimSpace(name) == "" {
		return "", warehouse.APIKey{}, fmt.Errorf("%w: API key name is empty", warehouse.ErrInvalid)
	}
	secret, err := randomString(40)
	if err != nil {
		return "", warehouse.APIKey{}, err
	}
	plain := KeyPrefix + secret
	var key warehouse.APIKey
	err = s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		if _, err := warehouse.GetMember(ctx, tx, userID); err != nil {
			return err
		}
		key, err = warehouse.InsertAPIKey(ctx, tx, warehouse.APIKey{
			OrgID: orgID, UserID: userID, Name: name, Prefix: plain[:len(KeyPrefix)+6], ExpiresAt: expiresAt,
		}, hashKey(plain))
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, actor, "api_key.created", "api_key", key.ID.String(),
			map[string]any{"name": name, "user": userID.String(), "prefix": key.Prefix})
	})
	if err != nil {
		return "", key, fmt.Errorf("create API key %q: %w", name, err)
	}
	return plain, key, nil
}

// Authenticate resolves a presented key to its principal.
func (s *Service) Authenticate(ctx context.Context, presented string) (warehouse.Principal, error) {
	var p warehouse.Principal
	if !strings.HasPrefix(presented, KeyPrefix) || len(presented) != len(KeyPrefix)+40 {
		return p, ErrUnauthenticated
	}
	now := s.now()
	err := s.DB.AsSystem(ctx, func(tx pgx.Tx) error {
		var err error
		if p, err = warehouse.LookupAPIKey(ctx, tx, hashKey(presented), now); err != nil {
			return err
		}
		return warehouse.TouchAPIKey(ctx, tx, p.APIKeyID, now)
	})
	if errors.Is(err, warehouse.ErrNotFound) {
		return p, ErrUnauthenticated
	}
	return p, err
}

// RevokeAPIKey revokes a key of the org.
func (s *Service) RevokeAPIKey(ctx context.Context, actor Actor, orgID, keyID uuid.UUID) error {
	return s.DB.InOrg(ctx, orgID, func(tx pgx.Tx) error {
		if err := warehouse.RevokeAPIKey(ctx, tx, keyID, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, orgID, actor, "api_key.revoked", "api_key", keyID.String(), nil)
	})
}

// hashKey is SHA-256: keys are 238 bits of randomness, so a slow password
// hash would add latency to every request without adding safety.
func hashKey(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}

func randomString(n int) (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(keyAlphabet)))
	for range n {
		i, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("generate key: %w", err)
		}
		b.WriteByte(keyAlphabet[i.Int64()])
	}
	return b.String(), nil
}
