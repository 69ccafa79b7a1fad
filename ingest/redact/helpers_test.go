package redact

import (
	"encoding/base64"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The fake secrets below are built at run time, from prefixes and seeded
// random characters, so that the repository holds no secret-shaped string
// for push protection or scanners to flag. They have the shape and entropy
// of real ones and belong to nobody.

const (
	alnum   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upper27 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b64     = alnum + "+/"
	urlsafe = alnum + "_-"
)

// fakeChars returns n characters from alphabet, the same for the same seed.
func fakeChars(seed uint64, n int, alphabet string) string {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b strings.Builder
	for range n {
		b.WriteByte(alphabet[rng.IntN(len(alphabet))])
	}
	return b.String()
}

func fakeAWSKeyID() string     { return "AK" + "IA" + fakeChars(1, 16, upper27) }
func fakeAWSSecret() string    { return fakeChars(2, 40, b64) }
func fakeGitHubPAT() string    { return "gh" + "p_" + fakeChars(3, 36, alnum) }
func fakeGitHubFineGr() string { return "github" + "_pat_" + fakeChars(4, 82, alnum+"_") }
func fakeOpenAIKey() string {
	return "sk-" + "proj-" + fakeChars(5, 74, urlsafe) + "T3Blbk" + "FJ" + fakeChars(6, 74, urlsafe)
}
func fakeAnthropicKey() string { return "sk-" + "ant-api03-" + fakeChars(7, 93, urlsafe) + "AA" }
func fakeStripeKey() string    { return "sk" + "_live_" + fakeChars(8, 99, alnum)[:24] }
func fakeSlackBot() string {
	return "xo" + "xb-" + fakeChars(9, 13, "0123456789") + "-" + fakeChars(10, 13, "0123456789") + "-" + fakeChars(11, 24, alnum)
}
func fakeGoogleKey() string { return "AI" + "za" + fakeChars(12, 35, urlsafe) }

func fakeJWT() string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload := enc.EncodeToString([]byte(`{"sub":"4821","name":"Ada Lovelace","iat":1767225600}`))
	return header + "." + payload + "." + fakeChars(13, 43, urlsafe)
}

// fakePEM returns a PEM private key block, lines joined by "\n".
func fakePEM() string {
	body := base64.StdEncoding.EncodeToString([]byte(fakeChars(14, 600, alnum)))
	var b strings.Builder
	b.WriteString("-----BEGIN " + "RSA PRIVATE KEY-----\n")
	for len(body) > 64 {
		b.WriteString(body[:64] + "\n")
		body = body[64:]
	}
	b.WriteString(body + "\n-----END " + "RSA PRIVATE KEY-----")
	return b.String()
}

func fakeDBPassword() string { return "Vq7" + fakeChars(15, 13, alnum) }

type testBundle struct {
	redactor *Redactor
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	r, err := New()
	require.NoError(t, err)
	return &testBundle{redactor: r}
}

// transcriptFixture is a realistic Claude Code JSONL session without
// secrets: code, tests, logs, .env.example placeholders, SHAs, UUIDs.
func transcriptFixture(tb testing.TB) string {
	tb.Helper()
	data, err := os.ReadFile("testdata/transcript.jsonl")
	require.NoError(tb, err)
	return string(data)
}

// requireRedacted checks that out holds none of the secrets and that the
// findings are exactly want.
func requireRedacted(t *testing.T, out string, got, want Findings, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		require.NotContains(t, out, s)
	}
	require.Equal(t, want, got)
	for id := range want {
		require.Contains(t, out, "[REDACTED:"+id+"]")
	}
}
