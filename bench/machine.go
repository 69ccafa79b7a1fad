package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Machine describes where the benchmark ran.
type Machine struct {
	CPU        string            `json:"cpu"`
	Cores      int               `json:"cores"`
	RAMGB      float64           `json:"ram_gb"`
	OS         string            `json:"os"`
	Go         string            `json:"go"`
	Postgres   string            `json:"postgres"`
	PGVector   string            `json:"pgvector"`
	Settings   map[string]string `json:"settings"` // shared_buffers, work_mem, …
	LoadBefore [3]float64        `json:"load_before"`
	LoadAfter  [3]float64        `json:"load_after"`
}

func describeMachine(ctx context.Context, dbURL string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, LoadBefore: loadAverage(), Settings: map[string]string{}}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if fields := strings.Fields(s.Text()); len(fields) >= 2 && fields[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(fields[1], 64)
				m.RAMGB = kb / (1 << 20)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`) + " " + runtime.GOARCH
			}
		}
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return m
	}
	defer conn.Close(ctx)
	_ = conn.QueryRow(ctx, `show server_version`).Scan(&m.Postgres)
	_ = conn.QueryRow(ctx, `select default_version from pg_available_extensions where name = 'vector'`).Scan(&m.PGVector)
	for _, s := range []string{"shared_buffers", "huge_pages", "work_mem", "effective_cache_size", "max_parallel_workers_per_gather", "max_parallel_maintenance_workers", "jit", "random_page_cost"} {
		var v string
		if conn.QueryRow(ctx, `select current_setting($1)`, s).Scan(&v) == nil {
			m.Settings[s] = v
		}
	}
	return m
}

// loadAverage reads the 1, 5 and 15 minute load averages.
func loadAverage() [3]float64 {
	var out [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return out
	}
	f := strings.Fields(string(b))
	for i := 0; i < 3 && i < len(f); i++ {
		out[i], _ = strconv.ParseFloat(f[i], 64)
	}
	return out
}

// DatasetInfo describes a loaded dataset.
type DatasetInfo struct {
	Orgs          int              `json:"orgs"`
	Users         int              `json:"users"`
	Conversations int              `json:"conversations"`
	Messages      int              `json:"messages"`
	Embeddings    int              `json:"embeddings"`
	Top1Share     float64          `json:"top1_share"`
	Top10Share    float64          `json:"top10_share"`
	MedianOrg     int              `json:"median_org_messages"`
	Largest       OrgInfo          `json:"largest"`
	Mid           OrgInfo          `json:"mid"`
	Small         OrgInfo          `json:"small"`
	Relations     map[string]int64 `json:"relations"` // bytes: table (with TOAST) and index sizes
	AvgWords      float64          `json:"avg_words"`
	AvgChars      float64          `json:"avg_chars"`
}

// OrgInfo is one org used in the measurements.
type OrgInfo struct {
	Slug          string    `json:"slug"`
	ID            uuid.UUID `json:"id"`
	Messages      int       `json:"messages"`
	Conversations int       `json:"conversations"`
	Users         int       `json:"users"`
	Vectors       int       `json:"vectors"`
}

// benchOrgs picks the measured orgs: the largest, a mid-size one (about
// 3.5% of the messages) and a small one (about 0.1%).
func benchOrgs(p *Plan) (largest, mid, small *PlanOrg) {
	return &p.Orgs[0], p.OrgNearShare(0.035), p.OrgNearShare(0.001)
}

func describeDataset(ctx context.Context, b *benchDB, p *Plan) (DatasetInfo, error) {
	d := DatasetInfo{Orgs: len(p.Orgs), Users: p.Users, Conversations: p.Conversations, Messages: p.Messages, Relations: map[string]int64{}}
	pool := b.db.Pool()
	var err error
	if d.Embeddings, err = b.countVectors(ctx, uuid.Nil); err != nil {
		return d, err
	}
	var top10 int
	for i := 0; i < 10 && i < len(p.Orgs); i++ {
		top10 += p.Orgs[i].Messages
	}
	d.Top1Share = float64(p.Orgs[0].Messages) / float64(p.Messages)
	d.Top10Share = float64(top10) / float64(p.Messages)
	d.MedianOrg = p.Orgs[len(p.Orgs)/2].Messages
	l, m, s := benchOrgs(p)
	for _, x := range []struct {
		o   *PlanOrg
		dst *OrgInfo
	}{{l, &d.Largest}, {m, &d.Mid}, {s, &d.Small}} {
		*x.dst = OrgInfo{Slug: x.o.Slug, ID: x.o.ID, Messages: x.o.Messages, Conversations: len(x.o.ConvLengths), Users: len(x.o.Users)}
		if x.dst.Vectors, err = b.countVectors(ctx, x.o.ID); err != nil {
			return d, err
		}
	}
	rows, err := pool.Query(ctx, `select c.relname, case when c.relkind = 'r' then pg_table_size(c.oid) else pg_relation_size(c.oid) end
		from pg_class c join pg_namespace n on n.oid = c.relnamespace
		where n.nspname = current_schema() and c.relkind in ('r', 'i')
		and (c.relname in ('conversations', 'messages', 'message_embeddings') or c.relname like 'message%_idx' or c.relname like 'message%_hnsw' or c.relname like 'message%_pkey' or c.relname like 'message%_key')`)
	if err != nil {
		return d, err
	}
	for rows.Next() {
		var name string
		var size int64
		if err := rows.Scan(&name, &size); err != nil {
			return d, err
		}
		d.Relations[name] = size
	}
	rows.Close()
	// Text statistics from a sample of the generator (cheap, exact enough).
	var words, chars, n int
	o := &p.Orgs[0]
	for i := 0; i < len(o.ConvLengths) && n < 5000; i++ {
		for _, msg := range p.Conversation(o, i).Messages {
			words += len(strings.Fields(msg.Text))
			chars += len(msg.Text)
			n++
		}
	}
	d.AvgWords, d.AvgChars = float64(words)/float64(n), float64(chars)/float64(n)
	return d, rows.Err()
}

// countVectors counts the vectors of an org, or of all orgs for uuid.Nil
// (as the system: row-level security hides every row otherwise).
func (b *benchDB) countVectors(ctx context.Context, orgID uuid.UUID) (int, error) {
	var n int
	err := b.db.AsSystem(ctx, func(tx pgx.Tx) error {
		if orgID == uuid.Nil {
			return tx.QueryRow(ctx, `select count(*) from message_embeddings`).Scan(&n)
		}
		return tx.QueryRow(ctx, `select count(*) from message_embeddings where org_id = $1`, orgID).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count vectors: %w", err)
	}
	return n, nil
}
