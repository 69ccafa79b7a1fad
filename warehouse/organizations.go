package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Organization is a tenant.
type Organization struct {
	ID        uuid.UUID
	Slug      string
	Name      string
	Plan      string
	Region    string
	Settings  map[string]any
	Seats     int
	CreatedAt time.Time
}

const orgColumns = `id, slug, name, plan, region, settings, seats, created_at`

func scanOrg(row interface{ Scan(...any) error }) (Organization, error) {
	var o Organization
	var settings []byte
	if err := row.Scan(&o.ID, &o.Slug, &o.Name, &o.Plan, &o.Region, &settings, &o.Seats, &o.CreatedAt); err != nil {
		return o, translate(err)
	}
	if err := json.Unmarshal(settings, &o.Settings); err != nil {
		return o, fmt.Errorf("decode settings of org %s: %w", o.ID, err)
	}
	return o, nil
}

// InsertOrganization creates an org; run it in AsSystem (the org does not
// exist yet, so no tenant scope can admit it).
func InsertOrganization(ctx context.Context, q Querier, o Organization) (Organization, error) {
	if o.Settings == nil {
		o.Settings = map[string]any{}
	}
	settings, err := json.Marshal(o.Settings)
	if err != nil {
		return o, fmt.Errorf("encode settings: %w", err)
	}
	row := q.QueryRow(ctx, `insert into organizations (slug, name, plan, region, settings)
		values ($1, $2, coalesce(nullif($3, ''), 'starter'), coalesce(nullif($4, ''), 'us'), $5)
		returning `+orgColumns, o.Slug, o.Name, o.Plan, o.Region, settings)
	created, err := scanOrg(row)
	if err != nil {
		return created, fmt.Errorf("insert organization %q: %w", o.Slug, err)
	}
	return created, nil
}

// GetOrganization returns the org visible in the current scope.
func GetOrganization(ctx context.Context, q Querier, id uuid.UUID) (Organization, error) {
	o, err := scanOrg(q.QueryRow(ctx, `select `+orgColumns+` from organizations where id = $1 and deleted_at is null`, id))
	if err != nil {
		return o, fmt.Errorf("get organization %s: %w", id, err)
	}
	return o, nil
}

// GetOrganizationBySlug resolves a slug; needs AsSystem for orgs other than
// the current one.
func GetOrganizationBySlug(ctx context.Context, q Querier, slug string) (Organization, error) {
	o, err := scanOrg(q.QueryRow(ctx, `select `+orgColumns+` from organizations where slug = $1 and deleted_at is null`, slug))
	if err != nil {
		return o, fmt.Errorf("get organization %q: %w", slug, err)
	}
	return o, nil
}

// ListOrganizations lists the orgs visible in the current scope, oldest
// first.
func ListOrganizations(ctx context.Context, q Querier) ([]Organization, error) {
	rows, err := q.Query(ctx, `select `+orgColumns+` from organizations where deleted_at is null order by created_at, slug`)
	if err != nil {
		return nil, fmt.Errorf("list organizations: %w", err)
	}
	defer rows.Close()
	var out []Organization
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("list organizations: %w", err)
		}
		out = append(out, o)
	}
	return out, translate(rows.Err())
}

// CountOrganizations counts all orgs (AsSystem), e.g. to decide whether to
// seed the demo.
func CountOrganizations(ctx context.Context, q Querier) (int, error) {
	var n int
	err := q.QueryRow(ctx, `select count(*) from organizations`).Scan(&n)
	return n, translate(err)
}
