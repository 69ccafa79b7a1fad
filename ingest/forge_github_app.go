package ingest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultGitHubAPIURL is api.github.com; GitHub Enterprise Server is
// https://HOST/api/v3.
const DefaultGitHubAPIURL = "https://api.github.com"

// GitHub App token timing: the JWT is back-dated a minute against clock
// drift and lives ten minutes in all (GitHub's maximum); installation tokens
// (an hour) are renewed five minutes before they expire.
const (
	githubJWTBackdate    = 60 * time.Second
	githubJWTLifetime    = 9 * time.Minute
	githubTokenRenewSkew = 5 * time.Minute
)

// GitHubApp authenticates as a GitHub App: it signs the app's JWT and
// exchanges it for installation tokens, cached per installation. Safe for
// concurrent use; do not copy after first use.
type GitHubApp struct {
	AppID int64
	// PrivateKeyPEM is the app's private key as GitHub issues it (PKCS #1
	// "RSA PRIVATE KEY"; PKCS #8 "PRIVATE KEY" is read too).
	PrivateKeyPEM []byte
	BaseURL       string       // default DefaultGitHubAPIURL
	HTTPClient    *http.Client // default: 60 s timeout
	Clock         func() time.Time
	UserAgent     string // default DefaultForgeUserAgent

	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error

	mu     sync.Mutex
	tokens map[int64]*githubTokenEntry
}

type githubTokenEntry struct {
	mu        sync.Mutex
	token     string
	expiresAt time.Time
}

// GitHubInstallationToken is an installation access token and its expiry.
type GitHubInstallationToken struct {
	Token     string
	ExpiresAt time.Time
}

func (a *GitHubApp) now() time.Time {
	if a.Clock != nil {
		return a.Clock()
	}
	return time.Now()
}

func (a *GitHubApp) baseURL() string {
	if a.BaseURL == "" {
		return DefaultGitHubAPIURL
	}
	return strings.TrimRight(a.BaseURL, "/")
}

func (a *GitHubApp) privateKey() (*rsa.PrivateKey, error) {
	a.keyOnce.Do(func() { a.key, a.keyErr = parseRSAPrivateKey(a.PrivateKeyPEM) })
	return a.key, a.keyErr
}

func parseRSAPrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("GitHub App private key: no PEM block found; expected the .pem file GitHub issued (-----BEGIN RSA PRIVATE KEY-----)")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("GitHub App private key: parse PKCS #1 key: %w", err)
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("GitHub App private key: parse PKCS #8 key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("GitHub App private key: expected an RSA key, got %T", k)
		}
		return rk, nil
	default:
		return nil, fmt.Errorf("GitHub App private key: PEM block is %q; expected \"RSA PRIVATE KEY\" or \"PRIVATE KEY\"", block.Type)
	}
}

// JWT returns the app's RS256 JSON Web Token: iat now-60s, exp now+9m,
// iss the app id.
func (a *GitHubApp) JWT() (string, error) {
	if a.AppID <= 0 {
		return "", errors.New("GitHub App: AppID is not set")
	}
	key, err := a.privateKey()
	if err != nil {
		return "", err
	}
	now := a.now()
	header := `{"alg":"RS256","typ":"JWT"}`
	claims, err := json.Marshal(struct {
		IAT int64  `json:"iat"`
		EXP int64  `json:"exp"`
		ISS string `json:"iss"`
	}{now.Add(-githubJWTBackdate).Unix(), now.Add(githubJWTLifetime).Unix(), strconv.FormatInt(a.AppID, 10)})
	if err != nil {
		return "", fmt.Errorf("GitHub App JWT: %w", err)
	}
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("GitHub App JWT: sign: %w", err)
	}
	return signing + "." + enc.EncodeToString(sig), nil
}

func (a *GitHubApp) entry(installationID int64) *githubTokenEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tokens == nil {
		a.tokens = map[int64]*githubTokenEntry{}
	}
	e := a.tokens[installationID]
	if e == nil {
		e = &githubTokenEntry{}
		a.tokens[installationID] = e
	}
	return e
}

// InstallationToken returns a token for the installation, from the cache
// while it has more than five minutes left, else fresh from
// POST /app/installations/{id}/access_tokens.
func (a *GitHubApp) InstallationToken(ctx context.Context, installationID int64) (GitHubInstallationToken, error) {
	if installationID <= 0 {
		return GitHubInstallationToken{}, fmt.Errorf("GitHub App: installation id %d is not valid; take it from the webhook's installation.id", installationID)
	}
	e := a.entry(installationID)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.token != "" && a.now().Add(githubTokenRenewSkew).Before(e.expiresAt) {
		return GitHubInstallationToken{Token: e.token, ExpiresAt: e.expiresAt}, nil
	}
	tok, err := a.fetchInstallationToken(ctx, installationID)
	if err != nil {
		return GitHubInstallationToken{}, err
	}
	e.token, e.expiresAt = tok.Token, tok.ExpiresAt
	return tok, nil
}

// InvalidateInstallationToken drops the cached token, e.g. after GitHub
// answered 401 with it (the installation was suspended or the token revoked).
func (a *GitHubApp) InvalidateInstallationToken(installationID int64) {
	e := a.entry(installationID)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.token, e.expiresAt = "", time.Time{}
}

func (a *GitHubApp) fetchInstallationToken(ctx context.Context, installationID int64) (GitHubInstallationToken, error) {
	t := newForgeTransport(forgeTransportConfig{provider: ProviderGitHub, client: a.HTTPClient, userAgent: a.UserAgent,
		now: a.now, headers: githubHeaders})
	resp, err := t.do(ctx, forgeRequest{
		method: http.MethodPost,
		url:    fmt.Sprintf("%s/app/installations/%d/access_tokens", a.baseURL(), installationID),
		body:   []byte("{}"),
		auth: func(context.Context) (string, error) {
			jwt, err := a.JWT()
			if err != nil {
				return "", err
			}
			return "Authorization: Bearer " + jwt, nil
		},
	})
	if err != nil {
		return GitHubInstallationToken{}, fmt.Errorf("get GitHub installation %d token: %w", installationID, err)
	}
	var body struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := json.Unmarshal(resp.body, &body); err != nil {
		return GitHubInstallationToken{}, fmt.Errorf("get GitHub installation %d token: decode response: %w", installationID, err)
	}
	if body.Token == "" {
		return GitHubInstallationToken{}, fmt.Errorf("get GitHub installation %d token: response has no token", installationID)
	}
	exp, err := parseForgeTime(body.ExpiresAt)
	if err != nil {
		return GitHubInstallationToken{}, fmt.Errorf("get GitHub installation %d token: expires_at: %w", installationID, err)
	}
	return GitHubInstallationToken{Token: body.Token, ExpiresAt: exp}, nil
}
