package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCorpusWebhooks posts every real GitHub and GitLab payload of the
// corpus to the webhook endpoint: accepted with the org's secret, refused
// (401, nothing stored) with a wrong one.
func TestCorpusWebhooks(t *testing.T) {
	root := filepath.Join(corpusDir)
	if _, err := os.Stat(root); err != nil {
		t.Skipf("no corpus at %s", root)
	}
	s := startServer(t, "hooks-org")
	ctx := context.Background()
	secrets := map[string]string{}
	for _, provider := range []string{"github", "gitlab"} {
		out, err := run(t, ctx, "admin", "webhook", "--org", "hooks-org", "--provider", provider)
		require.NoError(t, err)
		secrets[provider] = regexp.MustCompile(`Secret: (\S+)`).FindStringSubmatch(out)[1]
	}
	post := func(provider, event string, body []byte, good bool, delivery string) int {
		req, err := http.NewRequest(http.MethodPost, s.base+"/webhooks/"+provider+"/hooks-org", bytes.NewReader(body))
		require.NoError(t, err)
		secret := secrets[provider]
		if !good {
			secret += "x"
		}
		if provider == "github" {
			mac := hmac.New(sha256.New, []byte(secret))
			mac.Write(body)
			req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
			req.Header.Set("X-GitHub-Event", event)
			req.Header.Set("X-GitHub-Delivery", delivery)
		} else {
			req.Header.Set("X-Gitlab-Token", secret)
			req.Header.Set("X-Gitlab-Event", event)
			req.Header.Set("X-Gitlab-Event-UUID", delivery)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	files, _ := filepath.Glob(filepath.Join(root, "webhooks_github", "*.json"))
	gl, _ := filepath.Glob(filepath.Join(root, "webhooks_gitlab", "*.json"))
	require.NotEmpty(t, files)
	require.NotEmpty(t, gl)
	for i, f := range append(files, gl...) {
		body, err := os.ReadFile(f)
		require.NoError(t, err)
		provider, event := "github", "push"
		var probe map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(body, &probe))
		if b, ok := probe["body"]; ok && probe["headers"] != nil { // a captured delivery: {headers, body}
			body = b
		}
		switch {
		case strings.Contains(f, "webhooks_gitlab"):
			provider, event = "gitlab", "Push Hook"
			if strings.Contains(f, "system") {
				event = "System Hook"
			} else if strings.Contains(f, "tag_push") {
				event = "Tag Push Hook"
			}
		case strings.Contains(f, "ping"):
			event = "ping"
		}
		delivery := "corpus-" + string(rune('a'+i))
		require.Equal(t, http.StatusUnauthorized, post(provider, event, body, false, delivery), f)
		status := post(provider, event, body, true, delivery)
		require.Contains(t, []int{http.StatusOK, http.StatusAccepted}, status, f)
		again := post(provider, event, body, true, delivery)
		require.Equal(t, http.StatusOK, again, "a replayed delivery is acknowledged, not stored twice: %s", f)
		t.Logf("%s: %s %q → %d", filepath.Base(f), provider, event, status)
	}
}
