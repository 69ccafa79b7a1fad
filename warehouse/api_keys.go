package warehouse

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// APIKey is a stored key: never the secret, only its hash and prefix.
type APIKey struct {
	OrgID      uuid.UUID
	ID         uuid.UUID
	UserID     uuid.UUID
	Name       string
	Prefix     string
	Scopes     []string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
}

// Principal is who an API key acts as.
type Principal struct {
	OrgID    uuid.UUID
	OrgSlug  string
	UserID   uuid.UUID
	Email    string
	Role     string
	APIKeyID uuid.UUID
	Scopes   []string
}

// InsertAPIKey stores a key's hash in the current org.
func InsertAPIKey(ctx context.Context, q Querier, k APIKey, secretHash []byte) (APIKey, error) {
	if k.Scopes == nil {
		k.Scopes = []string{}
	}
	err := q.QueryRow(ctx, `insert into api_keys (org_id, user_id, name, prefix, secret_hash, scopes, expires_at)
		values ($1, $2, $3, $4, $5, $6, $7) returning id, created_at`,
		k.OrgID, k.UserID, k.Name, k.Prefix, secretHash, k.Scopes, k.ExpiresAt).Scan(&k.ID, &k.CreatedAt)
	if err != nil {
		return k, fmt.Errorf("insert API key %q: %w", k.Name, translate(err))
	}
	return k, nil
}

// LookupAPIKey resolves a key's hash to its principal, across orgs (run it
// AsSystem: the org is what we are finding out). Revoked, expired, and
// keys of deleted orgs or removed members are ErrNotFound.
func LookupAPIKey(ctx context.Context, q Querier, secretHash []byte, now time.Time) (Principal, error) {
	var p Principal
	err := q.QueryRow(ctx, `select k.org_id, o.slug, k.user_id, u.email, m.role, k.id, k.scopes
		from api_keys k
		join organizations o on o.id = k.org_id and o.deleted_at is null
		join memberships m on m.org_id = k.org_id and m.user_id = k.user_id
		join users u on u.id = k.user_id and u.erased_at is null
		where k.secret_hash = $1 and k.revoked_at is null and (k.expires_at is null or k.expires_at > $2)`,
		secretHash, now).Scan(&p.OrgID, &p.OrgSlug, &p.UserID, &p.Email, &p.Role, &p.APIKeyID, &p.Scopes)
	if err != nil {
		return p, fmt.Errorf("look up API key: %w", translate(err))
	}
	return p, nil
}

// TouchAPIKey records use, at most once a minute per key to spare writes.
func TouchAPIKey(ctx context.Context, q Querier, id uuid.UUID, now time.Time) error {
	_, err := q.Exec(ctx, `update api_keys set last_used_at = $2
		where id = $1 and (last_used_at is null or last_used_at < $2::timestamptz - interval '1 minute')`, id, now)
	return translate(err)
}

// ListAPIKeys lists the current org's keys, newest first.
func ListAPIKeys(ctx context.Context, q Querier) ([]APIKey, error) {
	rows, err := q.Query(ctx, `select org_id, id, user_id, name, prefix, scopes, created_at, last_used_at, expires_at, revoked_at
		from api_keys order by created_at desc`)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		if err := rows.Scan(&k.OrgID, &k.ID, &k.UserID, &k.Name, &k.Prefix, &k.Scopes, &k.CreatedAt, &k.LastUsedAt, &k.ExpiresAt, &k.RevokedAt); err != nil {
			return nil, fmt.Errorf("list API keys: %w", translate(err))
		}
		out = append(out, k)
	}
	return out, translate(rows.Err())
}

// RevokeAPIKey revokes a key of the current org.
func RevokeAPIKey(ctx context.Context, q Querier, id uuid.UUID, now time.Time) error {
	tag, err := q.Exec(ctx, `update api_keys set revoked_at = $2 where id = $1 and revoked_at is null`, id, now)
	if err != nil {
		return fmt.Errorf("revoke API key %s: %w", id, translate(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke API key %s: %w", id, ErrNotFound)
	}
	return nil
}
