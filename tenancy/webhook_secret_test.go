package tenancy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/context-intelligence/ctxintel/tenancy"
)

func TestWebhookSecret(t *testing.T) {
	t.Parallel()
	key := []byte(strings.Repeat("k", 32))
	a, b := uuid.New(), uuid.New()
	require.Equal(t, tenancy.WebhookSecret(key, a, "github"), tenancy.WebhookSecret(key, a, "github"))
	require.NotEqual(t, tenancy.WebhookSecret(key, a, "github"), tenancy.WebhookSecret(key, b, "github"))
	require.NotEqual(t, tenancy.WebhookSecret(key, a, "github"), tenancy.WebhookSecret(key, a, "gitlab"))
	require.NotEqual(t, tenancy.WebhookSecret(key, a, "github"), tenancy.WebhookSecret([]byte(strings.Repeat("j", 32)), a, "github"))
}

func TestLoadServerKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1, err := tenancy.LoadServerKey("", dir)
	require.NoError(t, err)
	require.Len(t, k1, 32)
	info, err := os.Stat(filepath.Join(dir, "secret.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	k2, err := tenancy.LoadServerKey("", dir)
	require.NoError(t, err)
	require.Equal(t, k1, k2, "the generated key is kept")

	k3, err := tenancy.LoadServerKey(strings.Repeat("ab", 32), "")
	require.NoError(t, err)
	require.Len(t, k3, 32)
	_, err = tenancy.LoadServerKey("tooshort", "")
	require.ErrorContains(t, err, "at least 32 bytes")
}
