package transcript

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// formatsOf maps a corpus or testdata folder to the formats its files are in.
var formatsOf = map[string][]Format{
	"claude_code": {FormatClaudeCodeJSONL},
	"codex":       {FormatCodexRollout},
	"cursor":      {FormatCursorAgent},
	"specstory":   {FormatSpecStory},
	"copilot":     {FormatCopilotSession, FormatCopilotJSONL, FormatCopilotExport},
	"aider":       {FormatAiderHistory},
	"gemini":      {FormatGeminiJSON, FormatGeminiJSONL},
}

// notTranscripts are files that sit next to transcripts but are not ones.
func notTranscript(name string) bool {
	return strings.HasSuffix(name, ".meta.json") || strings.HasSuffix(name, ".tsv")
}

// TestDetectEveryFile: every fixture and every real corpus file is detected
// as its own format and as no other; companions are not transcripts.
func TestDetectEveryFile(t *testing.T) {
	t.Parallel()
	roots := []string{"testdata"}
	if _, err := os.Stat("../../../shared/corpus"); err == nil {
		roots = append(roots, "../../../shared/corpus")
	}
	checked := 0
	for _, root := range roots {
		for dir, want := range formatsOf {
			err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() || strings.Contains(path, string(filepath.Separator)+"fuzz"+string(filepath.Separator)) {
					return nil
				}
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				got, err := Detect(filepath.Base(path), data)
				switch {
				case notTranscript(path):
					require.Error(t, err, path)
				case len(strings.TrimSpace(string(data))) == 0:
					require.ErrorIs(t, err, ErrEmpty, path)
				default:
					require.NoError(t, err, path)
					require.Contains(t, want, got, path)
				}
				checked++
				return nil
			})
			require.NoError(t, err)
		}
	}
	require.Greater(t, checked, 50)
}
