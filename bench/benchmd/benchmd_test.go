package benchmd_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/bench/benchmd"
)

func TestWriteSection(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "B.md")

	require.NoError(t, benchmd.WriteSection(path, "## Commit correlation", "v1"))
	require.NoError(t, os.WriteFile(path, []byte("# Benchmarks\n\n## Search\n\nsearch numbers\n\n## Commit correlation\n\nold\nnumbers\n\n## Redaction\n\nkept\n"), 0o644))
	require.NoError(t, benchmd.WriteSection(path, "## Commit correlation", "new numbers\n"))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "# Benchmarks\n\n## Search\n\nsearch numbers\n\n## Commit correlation\n\nnew numbers\n\n## Redaction\n\nkept\n", string(b))

	require.NoError(t, os.WriteFile(path, []byte("# Benchmarks\n\n## Search\n\nx\n"), 0o644))
	require.NoError(t, benchmd.WriteSection(path, "## Commit correlation", "appended"))
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "# Benchmarks\n\n## Search\n\nx\n\n## Commit correlation\n\nappended\n", string(b))

	// Raw results embedded at the end stay at the end.
	require.NoError(t, os.WriteFile(path, []byte("# Benchmarks\n\n## Search\n\nx\n\n<!-- bench-results {} -->\n"), 0o644))
	require.NoError(t, benchmd.WriteSection(path, "## Commit correlation", "v1"))
	require.NoError(t, benchmd.WriteSection(path, "## Commit correlation", "v2"))
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "# Benchmarks\n\n## Search\n\nx\n\n## Commit correlation\n\nv2\n\n<!-- bench-results {} -->\n", string(b))
}
