package warehouse

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Repository is a repository registered to an organization.
type Repository struct {
	OrgID          uuid.UUID
	ID             uuid.UUID
	Key            string // normalised remote: host/owner/repo
	Provider       string // github, gitlab, git
	RemoteURL      string
	InstallationID int64
	CreatedAt      time.Time
}

// UpsertRepository registers a repository to the current org, or updates
// its provider, URL and installation.
func UpsertRepository(ctx context.Context, q Querier, r Repository) (Repository, error) {
	err := q.QueryRow(ctx, `insert into repositories (org_id, key, provider, remote_url, installation_id) values ($1, $2, $3, $4, $5)
		on conflict (org_id, key) do update set provider = excluded.provider, remote_url = excluded.remote_url, installation_id = excluded.installation_id
		returning id, created_at`, r.OrgID, r.Key, r.Provider, r.RemoteURL, r.InstallationID).Scan(&r.ID, &r.CreatedAt)
	if err != nil {
		return r, fmt.Errorf("register repository %s: %w", r.Key, translate(err))
	}
	return r, nil
}

// GetRepository finds a registered repository of the current org.
func GetRepository(ctx context.Context, q Querier, key string) (Repository, error) {
	var r Repository
	err := q.QueryRow(ctx, `select org_id, id, key, provider, remote_url, installation_id, created_at from repositories where key = $1`, key).
		Scan(&r.OrgID, &r.ID, &r.Key, &r.Provider, &r.RemoteURL, &r.InstallationID, &r.CreatedAt)
	if err != nil {
		return r, fmt.Errorf("get repository %s: %w", key, translate(err))
	}
	return r, nil
}

// ListRepositories lists the current org's registered repositories.
func ListRepositories(ctx context.Context, q Querier) ([]Repository, error) {
	rows, err := q.Query(ctx, `select org_id, id, key, provider, remote_url, installation_id, created_at from repositories order by key`)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", translate(err))
	}
	defer rows.Close()
	var out []Repository
	for rows.Next() {
		var r Repository
		if err := rows.Scan(&r.OrgID, &r.ID, &r.Key, &r.Provider, &r.RemoteURL, &r.InstallationID, &r.CreatedAt); err != nil {
			return nil, translate(err)
		}
		out = append(out, r)
	}
	return out, translate(rows.Err())
}
