package topics

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWords(t *testing.T) {
	t.Parallel()
	type w struct {
		key, surface string
		part         bool
	}
	cases := []struct {
		text string
		want []w
	}{
		{"How do I fix this error, please?", nil},
		{"Rebasing my branch; rebased again", []w{{"rebas", "rebasing", false}, {"branch", "branch", false}, {"rebas", "rebased", false}}},
		{"Why does context.WithCancel leak?", []w{
			{"context.withcancel", "context.WithCancel", false}, {"context", "context", true}, {"cancel", "cancel", true}, {"leak", "leak", false},
		}},
		{"useEffect runs twice", []w{{"useeffect", "useEffect", false}, {"effect", "effect", true}, {"twic", "twice", false}}},
		{"TokenExpiredError: jwt expired", []w{
			{"tokenexpirederror", "TokenExpiredError", false}, {"token", "token", true}, {"expir", "expired", true}, {"jwt", "jwt", false}, {"expir", "expired", false},
		}},
		{"OOMKilled pods in k8s", []w{{"oomkilled", "OOMKilled", false}, {"oom", "oom", true}, {"kill", "killed", true}, {"pod", "pods", false}, {"k8s", "k8s", false}}},
		{"--no-cache is slow", []w{{"no-cach", "no-cache", false}, {"cach", "cache", true}, {"slow", "slow", false}}},
		{"What’s the deal with pg_locks?", []w{{"pg_locks", "pg_locks", false}, {"pg", "pg", true}, {"lock", "locks", true}}},
		{"2024-03-15 and 401", nil},
		{"queries vs query", []w{{"queri", "queries", false}, {"queri", "query", false}}},
		{"JWTs and APIs on GitHub" /* "apis" keeps its s, like "analysis" */, []w{{"jwt", "jwts", false}, {"apis", "apis", false}, {"github", "GitHub", false}, {"git", "git", true}, {"hub", "hub", true}}},
	}
	for _, c := range cases {
		var got []w
		for _, x := range words(c.text) {
			got = append(got, w{x.key, x.surface, x.part})
		}
		require.Equal(t, c.want, got, c.text)
	}
}

func TestWordsBigramJoins(t *testing.T) {
	t.Parallel()
	ws := words("refresh token expiry, then the token rotation")
	var joined []string
	for _, w := range ws {
		if w.joined {
			joined = append(joined, w.surface)
		}
	}
	// "token" follows "refresh", "expiry" follows "token"; the comma and
	// the stop words break "expiry … token".
	require.Equal(t, []string{"token", "expiry", "rotation"}, joined)
}

func TestWordsLongAndInvalidText(t *testing.T) {
	t.Parallel()
	long := make([]byte, 10*maxTextBytes)
	for i := range long {
		long[i] = "abc "[i%4]
	}
	require.Len(t, words(string(long)), maxTextBytes/4)
	require.NotPanics(t, func() { words("\xff\xfe rebase \xc3") })
	require.Equal(t, "rebas", words("\xff\xfe rebase \xc3")[0].key)
}

func TestStem(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"rebase": "rebas", "rebasing": "rebas", "rebased": "rebas", "rebases": "rebas",
		"cache": "cach", "caching": "cach", "cached": "cach",
		"policies": "polici", "policy": "polici", "key": "key", "keys": "key",
		"running": "run", "installing": "install", "passed": "pass", "speed": "speed",
		"string": "string", "strings": "string", "class": "class", "status": "status",
		"analysis": "analysis", "go": "go",
	} {
		require.Equal(t, want, stem(in), in)
	}
}
