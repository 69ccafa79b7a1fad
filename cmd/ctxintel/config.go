package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Config is every setting, read once from flags and the environment (a flag
// wins over its variable, which wins over the default). The README lists
// them all; keep the two in step.
type Config struct {
	DatabaseURL     string        // --database-url, DATABASE_URL
	ClickHouseURL   string        // --clickhouse-url, CLICKHOUSE_URL; empty = embedded chDB
	DataDir         string        // --data-dir, CTXINTEL_DATA_DIR
	ChdbLibPath     string        // --chdb-lib, CHDB_LIB_PATH
	Listen          string        // --listen, CTXINTEL_LISTEN
	WorkerListen    string        // --worker-listen, CTXINTEL_WORKER_LISTEN
	Workers         int           // --workers, CTXINTEL_WORKERS
	ShutdownTimeout time.Duration // --shutdown-timeout, CTXINTEL_SHUTDOWN_TIMEOUT
	LogLevel        string        // --log-level, CTXINTEL_LOG_LEVEL
	LogFormat       string        // --log-format, CTXINTEL_LOG_FORMAT
	MaxUploadBytes  int64         // --max-upload-bytes, CTXINTEL_MAX_UPLOAD_BYTES
	MaxLineBytes    int           // --max-line-bytes, CTXINTEL_MAX_LINE_BYTES
	Embedding       EmbeddingConfig
	Client          ClientConfig
	Forges          ForgeConfig
	// SecretKey derives per-organization webhook secrets (CTXINTEL_SECRET_KEY,
	// environment only); empty = a key generated in the data directory.
	SecretKey string
	PublicURL string // --public-url, CTXINTEL_PUBLIC_URL: how forges reach this server
	// PriceTable is a JSON file of model prices for the cost metrics
	// (--price-table, CTXINTEL_PRICE_TABLE); empty = the built-in table.
	PriceTable string
}

// ForgeConfig enables the REST clients that complete pushed commits with
// their diffs.
type ForgeConfig struct {
	GitHubAPIURL     string // --github-api-url, CTXINTEL_GITHUB_API_URL
	GitHubAppID      int64  // --github-app-id, CTXINTEL_GITHUB_APP_ID
	GitHubAppKeyFile string // --github-app-key-file, CTXINTEL_GITHUB_APP_KEY_FILE
	GitHubToken      string // CTXINTEL_GITHUB_TOKEN (environment only)
	GitLabURL        string // --gitlab-url, CTXINTEL_GITLAB_URL
	GitLabToken      string // CTXINTEL_GITLAB_TOKEN (environment only)
}

// ClientConfig is how the client commands (import, capture) reach a server.
type ClientConfig struct {
	Server   string // --server, CTXINTEL_SERVER
	APIKey   string // --api-key, CTXINTEL_API_KEY
	QueueDir string // --queue-dir, CTXINTEL_CAPTURE_QUEUE: where capture keeps what it could not send yet
}

// EmbeddingConfig selects the embedding provider.
type EmbeddingConfig struct {
	Provider   string // --embedding-provider, CTXINTEL_EMBEDDING_PROVIDER: local | openai | none
	BaseURL    string // --embedding-url, CTXINTEL_EMBEDDING_URL
	Model      string // --embedding-model, CTXINTEL_EMBEDDING_MODEL
	APIKey     string // CTXINTEL_EMBEDDING_API_KEY (environment only: keys do not belong in process lists)
	Dimensions int    // --embedding-dimensions, CTXINTEL_EMBEDDING_DIMENSIONS
	Azure      bool   // --embedding-azure, CTXINTEL_EMBEDDING_AZURE: Azure OpenAI (api-key header, deployment URL)
	ModelDir   string // --model-dir, CTXINTEL_MODEL_DIR: the local USE-Lite model files
}

// setting ties a flag to its environment variable for messages.
type setting struct{ flag, env string }

func (s setting) String() string { return "--" + s.flag + " (" + s.env + ")" }

// bindFlags registers every setting on fs with env-or-default defaults.
func (c *Config) bindFlags(fs *pflag.FlagSet) {
	home := installRoot()
	str := func(p *string, flag, env, def, usage string) {
		if v, ok := os.LookupEnv(env); ok {
			def = v
		}
		fs.StringVar(p, flag, def, usage+" ["+env+"]")
	}
	str(&c.DatabaseURL, "database-url", "DATABASE_URL", "postgres://ctxintel:ctxintel@127.0.0.1:5432/ctxintel?sslmode=disable", "Postgres URL")
	str(&c.ClickHouseURL, "clickhouse-url", "CLICKHOUSE_URL", "", "ClickHouse server URL (clickhouse://user:pass@host:9000/db); empty = embedded chDB in the data directory")
	str(&c.DataDir, "data-dir", "CTXINTEL_DATA_DIR", filepath.Join(home, "data"), "data directory (embedded ClickHouse, capture queue)")
	str(&c.ChdbLibPath, "chdb-lib", "CHDB_LIB_PATH", filepath.Join(home, ".deps", "lib", "libchdb.so"), "path to libchdb.so (embedded ClickHouse only)")
	str(&c.Listen, "listen", "CTXINTEL_LISTEN", ":8080", "HTTP listen address of serve")
	str(&c.WorkerListen, "worker-listen", "CTXINTEL_WORKER_LISTEN", ":9091", "health and metrics listen address of worker")
	str(&c.LogLevel, "log-level", "CTXINTEL_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	str(&c.LogFormat, "log-format", "CTXINTEL_LOG_FORMAT", "json", "log format: json or text")
	str(&c.Embedding.Provider, "embedding-provider", "CTXINTEL_EMBEDDING_PROVIDER", "local", "embedding provider: local (built-in USE-Lite), openai (any OpenAI-compatible /v1/embeddings) or none (keyword search only)")
	str(&c.Embedding.BaseURL, "embedding-url", "CTXINTEL_EMBEDDING_URL", "https://api.openai.com/v1", "base URL of the OpenAI-compatible embeddings API")
	str(&c.Embedding.Model, "embedding-model", "CTXINTEL_EMBEDDING_MODEL", "text-embedding-3-large", "embedding model of the openai provider")
	str(&c.Embedding.ModelDir, "model-dir", "CTXINTEL_MODEL_DIR", filepath.Join(home, ".deps", "models", "use-lite"), "directory of the local USE-Lite model files")
	c.Embedding.APIKey = os.Getenv("CTXINTEL_EMBEDDING_API_KEY")
	str(&c.Client.Server, "server", "CTXINTEL_SERVER", "http://localhost:8080", "server that import and capture upload to")
	str(&c.Client.APIKey, "api-key", "CTXINTEL_API_KEY", "", "API key that import and capture upload with")
	c.SecretKey = os.Getenv("CTXINTEL_SECRET_KEY")
	c.Forges.GitHubToken = os.Getenv("CTXINTEL_GITHUB_TOKEN")
	c.Forges.GitLabToken = os.Getenv("CTXINTEL_GITLAB_TOKEN")
	str(&c.PublicURL, "public-url", "CTXINTEL_PUBLIC_URL", "http://localhost:8080", "the URL forges and clients reach this server at (printed in webhook set-up)")
	str(&c.PriceTable, "price-table", "CTXINTEL_PRICE_TABLE", "", "JSON file of model prices (USD per million tokens by model-name prefix) for the cost metrics; empty = the built-in table, analytics/prices.json")
	str(&c.Forges.GitHubAPIURL, "github-api-url", "CTXINTEL_GITHUB_API_URL", "https://api.github.com", "GitHub REST API (GitHub Enterprise: https://HOST/api/v3)")
	str(&c.Forges.GitHubAppKeyFile, "github-app-key-file", "CTXINTEL_GITHUB_APP_KEY_FILE", "", "GitHub App private key (PEM) for installation tokens")
	str(&c.Forges.GitLabURL, "gitlab-url", "CTXINTEL_GITLAB_URL", "https://gitlab.com", "GitLab instance for commit details")
	appID := int64(0)
	if v, err := strconv.ParseInt(os.Getenv("CTXINTEL_GITHUB_APP_ID"), 10, 64); err == nil {
		appID = v
	}
	fs.Int64Var(&c.Forges.GitHubAppID, "github-app-id", appID, "GitHub App id; with --github-app-key-file, commit diffs are fetched as the app's installation [CTXINTEL_GITHUB_APP_ID]")
	stateHome := os.Getenv("XDG_STATE_HOME")
	if stateHome == "" {
		h, _ := os.UserHomeDir()
		stateHome = filepath.Join(h, ".local", "state")
	}
	str(&c.Client.QueueDir, "queue-dir", "CTXINTEL_CAPTURE_QUEUE", filepath.Join(stateHome, "ctxintel", "capture-queue"), "where capture queues transcripts it could not upload yet")

	intDef := func(env string, def int) int {
		if v, err := strconv.Atoi(os.Getenv(env)); err == nil {
			return v
		}
		return def
	}
	fs.BoolVar(&c.Embedding.Azure, "embedding-azure", os.Getenv("CTXINTEL_EMBEDDING_AZURE") == "true", "the openai provider is Azure OpenAI: --embedding-url is the deployment URL with ?api-version= [CTXINTEL_EMBEDDING_AZURE]")
	fs.IntVar(&c.Workers, "workers", intDef("CTXINTEL_WORKERS", 10), "jobs run at once per process [CTXINTEL_WORKERS]")
	fs.IntVar(&c.Embedding.Dimensions, "embedding-dimensions", intDef("CTXINTEL_EMBEDDING_DIMENSIONS", 1536), "vector size requested from the openai provider [CTXINTEL_EMBEDDING_DIMENSIONS]")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", int64(intDef("CTXINTEL_MAX_UPLOAD_BYTES", 64<<20)), "largest accepted upload; larger ones get 413 [CTXINTEL_MAX_UPLOAD_BYTES]")
	fs.IntVar(&c.MaxLineBytes, "max-line-bytes", intDef("CTXINTEL_MAX_LINE_BYTES", 8<<20), "longest accepted line of a line-based transcript; longer lines are reported and skipped [CTXINTEL_MAX_LINE_BYTES]")
	shutdown := 30 * time.Second
	if d, err := time.ParseDuration(os.Getenv("CTXINTEL_SHUTDOWN_TIMEOUT")); err == nil {
		shutdown = d
	}
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", shutdown, "how long shutdown waits for requests and jobs to finish [CTXINTEL_SHUTDOWN_TIMEOUT]")
}

// installRoot is where relative defaults point: the checkout holding the
// binary (bin/ctxintel) or the working directory, found by its go.mod;
// otherwise the working directory.
func installRoot() string {
	wd, _ := os.Getwd()
	var starts []string
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, dir := range append(starts, wd) {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				return d
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return wd
}

// validateStores checks what every command touching the stores needs.
// Errors name the setting, in one line.
func (c *Config) validateStores() error {
	u, err := url.Parse(c.DatabaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return fmt.Errorf("config: %s must be a URL like postgres://user:pass@host:5432/db, got %q", setting{"database-url", "DATABASE_URL"}, redactURL(c.DatabaseURL))
	}
	if c.ClickHouseURL != "" {
		u, err := url.Parse(c.ClickHouseURL)
		if err != nil || (u.Scheme != "clickhouse" && u.Scheme != "tcp" && u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: %s must be a URL like clickhouse://user:pass@host:9000/db, got %q", setting{"clickhouse-url", "CLICKHOUSE_URL"}, redactURL(c.ClickHouseURL))
		}
	} else {
		if c.DataDir == "" {
			return fmt.Errorf("config: %s is empty; embedded ClickHouse needs a data directory", setting{"data-dir", "CTXINTEL_DATA_DIR"})
		}
		if _, err := os.Stat(c.ChdbLibPath); err != nil {
			return fmt.Errorf("config: %s: %s not found; run `make setup` to download it, or set CLICKHOUSE_URL to use a ClickHouse server", setting{"chdb-lib", "CHDB_LIB_PATH"}, c.ChdbLibPath)
		}
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return fmt.Errorf("config: %s: %w", setting{"log-level", "CTXINTEL_LOG_LEVEL"}, err)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return fmt.Errorf("config: %s must be json or text, got %q", setting{"log-format", "CTXINTEL_LOG_FORMAT"}, c.LogFormat)
	}
	if c.MaxUploadBytes < 1024 {
		return fmt.Errorf("config: %s must be at least 1024, got %d", setting{"max-upload-bytes", "CTXINTEL_MAX_UPLOAD_BYTES"}, c.MaxUploadBytes)
	}
	if c.MaxLineBytes < 1024 {
		return fmt.Errorf("config: %s must be at least 1024, got %d", setting{"max-line-bytes", "CTXINTEL_MAX_LINE_BYTES"}, c.MaxLineBytes)
	}
	if c.Workers < 1 || c.Workers > 1000 {
		return fmt.Errorf("config: %s must be between 1 and 1000, got %d", setting{"workers", "CTXINTEL_WORKERS"}, c.Workers)
	}
	return nil
}

// validateServe adds what the long-running processes need.
func (c *Config) validateServe(listen string, s setting) error {
	if err := c.validateStores(); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return fmt.Errorf("config: %s must be host:port or :port, got %q", s, listen)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("config: %s must be positive, got %s", setting{"shutdown-timeout", "CTXINTEL_SHUTDOWN_TIMEOUT"}, c.ShutdownTimeout)
	}
	switch c.Embedding.Provider {
	case "local":
		if _, err := os.Stat(filepath.Join(c.Embedding.ModelDir, "model.json")); err != nil {
			return fmt.Errorf("config: %s: no model.json in %s; run `make setup` to download the model", setting{"model-dir", "CTXINTEL_MODEL_DIR"}, c.Embedding.ModelDir)
		}
	case "openai":
		if u, err := url.Parse(c.Embedding.BaseURL); err != nil || u.Host == "" {
			return fmt.Errorf("config: %s must be a URL like https://api.openai.com/v1, got %q", setting{"embedding-url", "CTXINTEL_EMBEDDING_URL"}, c.Embedding.BaseURL)
		}
		if c.Embedding.Model == "" {
			return fmt.Errorf("config: %s is empty", setting{"embedding-model", "CTXINTEL_EMBEDDING_MODEL"})
		}
		if c.Embedding.Dimensions < 1 || c.Embedding.Dimensions > 4096 {
			return fmt.Errorf("config: %s must be between 1 and 4096, got %d", setting{"embedding-dimensions", "CTXINTEL_EMBEDDING_DIMENSIONS"}, c.Embedding.Dimensions)
		}
	case "none":
	default:
		return fmt.Errorf("config: %s must be local, openai or none, got %q", setting{"embedding-provider", "CTXINTEL_EMBEDDING_PROVIDER"}, c.Embedding.Provider)
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("must be debug, info, warn or error, got %q", s)
	}
	return l, nil
}

func (c *Config) logger() *slog.Logger {
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// redactURL hides a password in a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.Index(s, "@"); i > 0 {
			return "…" + s[i:]
		}
		return s
	}
	return u.Redacted()
}

// validateClient checks what import and capture need to reach a server.
func (c *Config) validateClient() error {
	u, err := url.Parse(c.Client.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: %s must be a URL like https://ctxintel.example.com, got %q", setting{"server", "CTXINTEL_SERVER"}, c.Client.Server)
	}
	if c.Client.APIKey == "" {
		return fmt.Errorf("config: %s is empty; create one with `ctxintel admin apikey create` or in the web app", setting{"api-key", "CTXINTEL_API_KEY"})
	}
	return nil
}
