package ingest_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/ingest"
)

// forgeCorpusDir is the shared corpus of real webhook payloads, beside the
// repository (absent in some clones: those tests skip).
const forgeCorpusDir = "../../shared/corpus"

func forgeCorpusFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(forgeCorpusDir, dir))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("corpus not available: %v", err)
	}
	require.NoError(t, err)
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			files = append(files, filepath.Join(forgeCorpusDir, dir, e.Name()))
		}
	}
	require.NotEmpty(t, files)
	return files
}

// unwrapCapturedDelivery returns the event type and body of a file: a bare
// payload (the event inferred from its shape) or a captured delivery
// {headers, body} as request bins record it.
func unwrapCapturedDelivery(t *testing.T, data []byte) (event string, body []byte) {
	t.Helper()
	var probe struct {
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
		Zen     *string           `json:"zen"`
	}
	require.NoError(t, json.Unmarshal(data, &probe))
	if len(probe.Body) > 0 && probe.Headers != nil {
		for k, v := range probe.Headers {
			if strings.EqualFold(k, ingest.GitHubEventHeader) {
				event = v
			}
		}
		return event, probe.Body
	}
	if probe.Zen != nil {
		return "ping", data
	}
	return "push", data
}

func TestForgeCorpusGitHub(t *testing.T) {
	t.Parallel()
	for _, path := range forgeCorpusFiles(t, "webhooks_github") {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		event, body := unwrapCapturedDelivery(t, data)
		ev, err := ingest.ParseGitHubEvent(event, "", body)
		require.NoError(t, err, filepath.Base(path))
		switch {
		case ev.Push != nil:
			p := ev.Push
			require.NotEmpty(t, p.Repo.FullName)
			t.Logf("%s: push %s %s..%s branch=%q tag=%q commits=%d created=%v deleted=%v installation=%d sender=%s",
				filepath.Base(path), p.Repo.FullName, forgeShort(p.Before), forgeShort(p.After), p.Branch, p.Tag, len(p.Commits),
				p.Created, p.Deleted, p.InstallationID, p.Sender)
		case ev.Ping != nil:
			t.Logf("%s: ping hook=%d type=%s app=%d zen=%q", filepath.Base(path), ev.Ping.HookID, ev.Ping.HookType, ev.Ping.AppID, ev.Ping.Zen)
		}
	}
}

func TestForgeCorpusGitLab(t *testing.T) {
	t.Parallel()
	for _, path := range forgeCorpusFiles(t, "webhooks_gitlab") {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		var probe struct {
			ObjectKind string `json:"object_kind"`
		}
		require.NoError(t, json.Unmarshal(data, &probe))
		header := map[string]string{"push": ingest.GitLabPushHook, "tag_push": ingest.GitLabTagPushHook, "": ingest.GitLabSystemHook}[probe.ObjectKind]
		ev, err := ingest.ParseGitLabEvent(header, "", data)
		require.NoError(t, err, filepath.Base(path))
		p := ev.Push
		require.NotEmpty(t, p.Repo.FullName)
		require.NotEmpty(t, p.Commits)
		t.Logf("%s: %s (%s) %s %s..%s commits=%d/%d truncated=%v sender=%s", filepath.Base(path), header, ev.Kind, p.Repo.FullName,
			forgeShort(p.Before), forgeShort(p.After), len(p.Commits), p.TotalCommits, p.CommitsTruncated, p.Sender)
	}
}

func forgeShort(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}
