package redact

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// secretSnippets hold one secret of every class the issue names, each in a
// context transcripts put it in.
func secretSnippets() []string {
	return []string{
		"aws_access_key_id = " + fakeAWSKeyID(),
		"AWS_SECRET_ACCESS_KEY=" + fakeAWSSecret(),
		"git clone https://" + fakeGitHubPAT() + "@github.com/acme/api.git",
		`gh auth login --with-token <<< "` + fakeGitHubFineGr() + `"`,
		"OPENAI_API_KEY=" + fakeOpenAIKey(),
		`client = anthropic.Anthropic(api_key="` + fakeAnthropicKey() + `")`,
		`stripe.api_key = "` + fakeStripeKey() + `"`,
		"SLACK_BOT_TOKEN=" + fakeSlackBot(),
		"https://maps.googleapis.com/maps/api/geocode/json?key=" + fakeGoogleKey(),
		"Authorization: Bearer " + fakeJWT(),
		fakePEM(),
		"postgres://billing:" + fakeDBPassword() + "@db.internal:5432/billing",
		"DB_PASSWORD=" + fakeDBPassword(),
		`curl -H "Authorization: Bearer ` + fakeChars(17, 40, alnum) + `" https://api.example.com`,
		"twilio_api_key = SK" + fakeChars(18, 32, "0123456789abcdef"),
	}
}

func secretsDocument() string {
	return strings.Join(secretSnippets(), "\n") + "\n"
}

func TestAnchoredRulesMatchWholeTextScan(t *testing.T) {
	t.Parallel()
	bundle := setup(t)
	rs := bundle.redactor.rules

	texts := map[string]string{
		"fixture": transcriptFixture(t),
		"secrets": secretsDocument(),
	}
	// The real captures, when this checkout has them, cut short: the whole
	// text scan is what is slow.
	files, _ := filepath.Glob("../../../shared/corpus/*/*")
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		texts[filepath.Base(f)] = string(data[:min(len(data), 8<<10)])
	}
	for name, text := range texts {
		require.Equal(t, rs.find(text, true), rs.find(text, false), name)
	}
}

func TestPlanAnchor(t *testing.T) {
	t.Parallel()
	bundle := setup(t)

	byID := map[string]*rule{}
	counts := map[string]int{}
	for i := range bundle.redactor.rules.rules {
		r := &bundle.redactor.rules.rules[i]
		byID[r.id] = r
		switch a := r.anchor; {
		case a == nil:
			counts["whole text"]++
		case a.branches != nil:
			counts["branches"]++
		case a.literals != nil:
			counts["literal-led"]++
		default:
			counts["stripped"]++
		}
	}
	t.Logf("rules by strategy: %v", counts)
	require.GreaterOrEqual(t, counts["literal-led"], 200)

	generic := byID["generic-api-key"].anchor
	require.Equal(t, foldLiterals("access", "api", "auth", "credential", "creds", "key", "passwd", "password", "secret", "token"), generic.literals)
	require.Len(t, generic.lead, 1)
	require.Equal(t, 50, generic.lead[0].max)

	cohere := byID["cohere-api-token"].anchor // [\w.-]{0,50}?(?i:[\w.-]{0,50}?(?:cohere|CO_API_KEY)…
	require.Equal(t, foldLiterals("co_api_key", "cohere"), cohere.literals)
	require.Len(t, cohere.lead, 2)

	jwt := byID["jwt"].anchor // \b(ey…
	require.Equal(t, []literal{{text: "ey"}}, jwt.literals)
	require.Empty(t, jwt.lead)

	// Its keywords ("test_", "live_") are in the secret; it anchors on "lob".
	require.Equal(t, foldLiterals("lob"), byID["lob-api-key"].anchor.literals)
	require.Equal(t, []literal{{text: "sk-"}}, byID["openai-api-key"].anchor.literals)
	// Case-sensitive: tried at "PASS", not at every "pass".
	require.Contains(t, byID["secret-assignment"].anchor.literals, literal{text: "PASS"})
	require.NotNil(t, byID["atlassian-api-token"].anchor.branches)
}

func foldLiterals(texts ...string) []literal {
	out := make([]literal, len(texts))
	for i, t := range texts {
		out[i] = literal{text: t, fold: true}
	}
	return out
}

func TestLeadStart(t *testing.T) {
	t.Parallel()

	a, err := planAnchor(`[a-z]{0,3}?(?i:[a-z_]{0,2}?key)=(\w+)`)
	require.NoError(t, err)
	require.Equal(t, foldLiterals("key="), a.literals)
	require.Len(t, a.lead, 2)

	s := "xx abcd_ekey=v1"
	p := strings.Index(s, "key")
	// Innermost class first: "_e" (2), then "bcd" (3) of the outer class.
	require.Equal(t, strings.Index(s, "bcd"), a.leadStart(s, p, 0))
	require.Equal(t, p-1, a.leadStart(s, p, p-1), "never before the previous match")
}

func TestPrefilterFoldsCase(t *testing.T) {
	t.Parallel()

	p := newPrefilter([]string{"key", "secret", "s."})
	s := "KEY Key \u212aeY \u017fecret sEcReT ks.s."
	occ := p.occurrences(s)
	require.Equal(t, []int{0, 4, 8}, occ[0], "KELVIN SIGN folds to k, at its first byte")
	require.Equal(t, []int{strings.Index(s, "\u017f"), strings.Index(s, "sEcReT")}, occ[1])
	require.Equal(t, []int{strings.Index(s, "s.s."), strings.Index(s, "s.s.") + 2}, occ[2])
}

func TestAnchorBudget(t *testing.T) {
	t.Parallel()

	// Bounded: attempts may read up to attemptBudget times the text.
	bounded, err := planAnchor(`TOKEN=([a-z]{4,256})`)
	require.NoError(t, err)
	require.False(t, bounded.risky)
	require.Equal(t, len("TOKEN=")+256*utf8.UTFMax+utf8.UTFMax, bounded.maxLen)
	s := strings.Repeat("TOKEN=", 1<<16)
	require.False(t, bounded.overBudget(s, []int{0, 6, 12}))
	var all []int
	for p := 0; p < len(s); p += 6 {
		all = append(all, p)
	}
	require.True(t, bounded.overBudget(s, all))

	// A loop over any byte could read the rest of the text at each attempt.
	risky, err := planAnchor(`\bcurl\b.*?-H ('[^']*')`)
	require.NoError(t, err)
	require.True(t, risky.risky)
	require.False(t, risky.overBudget(s, all[:riskyAttempts]))
	require.True(t, risky.overBudget(s, all[:riskyAttempts+1]))

	// Unbounded but narrow: attempts stop at the first byte outside it.
	narrow, err := planAnchor(`\bey[a-zA-Z0-9]{17,}\.ey`)
	require.NoError(t, err)
	require.False(t, narrow.risky)
	require.False(t, narrow.overBudget(s, all))
}
