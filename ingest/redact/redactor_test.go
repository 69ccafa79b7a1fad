package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactSecretClasses(t *testing.T) {
	t.Parallel()

	awsID, awsSecret := fakeAWSKeyID(), fakeAWSSecret()
	ghp, ghFine := fakeGitHubPAT(), fakeGitHubFineGr()
	openai, anthropic := fakeOpenAIKey(), fakeAnthropicKey()
	stripe, slack, google := fakeStripeKey(), fakeSlackBot(), fakeGoogleKey()
	jwt, pem, dbPass := fakeJWT(), fakePEM(), fakeDBPassword()
	secretKey := fakeChars(16, 50, alnum)

	tests := []struct {
		name    string
		text    string
		secrets []string
		want    Findings
	}{
		{
			name:    "aws credentials file",
			text:    "[default]\naws_access_key_id = " + awsID + "\naws_secret_access_key = " + awsSecret + "\nregion = eu-west-1\n",
			secrets: []string{awsID, awsSecret},
			want:    Findings{"aws-access-token": 1, "aws-secret-access-key": 1},
		},
		{
			name:    "aws env exports",
			text:    "export AWS_ACCESS_KEY_ID=" + awsID + "\nexport AWS_SECRET_ACCESS_KEY=" + awsSecret + "\n",
			secrets: []string{awsID, awsSecret},
			want:    Findings{"aws-access-token": 1, "aws-secret-access-key": 1},
		},
		{
			name:    "github classic token in a clone URL and a header",
			text:    "git clone https://" + ghp + "@github.com/acme/api.git\ncurl -H 'Authorization: token " + ghp + "' https://api.github.com/user",
			secrets: []string{ghp},
			want:    Findings{"github-pat": 2},
		},
		{
			name:    "github fine-grained token",
			text:    `gh auth login --with-token <<< "` + ghFine + `"`,
			secrets: []string{ghFine},
			want:    Findings{"github-fine-grained-pat": 1},
		},
		{
			name:    "openai project key in .env",
			text:    "OPENAI_API_KEY=" + openai + "\n",
			secrets: []string{openai},
			want:    Findings{"openai-api-key": 1},
		},
		{
			name:    "anthropic key in python",
			text:    `client = anthropic.Anthropic(api_key="` + anthropic + `")`,
			secrets: []string{anthropic},
			want:    Findings{"anthropic-api-key": 1},
		},
		{
			name:    "stripe live secret key",
			text:    `const stripe = require("stripe")("` + stripe + `");`,
			secrets: []string{stripe},
			want:    Findings{"stripe-access-token": 1},
		},
		{
			name:    "slack bot token",
			text:    "SLACK_BOT_TOKEN=" + slack + " node bot.js",
			secrets: []string{slack},
			want:    Findings{"slack-bot-token": 1},
		},
		{
			name:    "google api key in a URL",
			text:    "curl 'https://maps.googleapis.com/maps/api/geocode/json?address=Paris&key=" + google + "'",
			secrets: []string{google},
			want:    Findings{"gcp-api-key": 1},
		},
		{
			name:    "jwt in an authorization header",
			text:    "Authorization: Bearer " + jwt + "\nContent-Type: application/json",
			secrets: []string{jwt},
			want:    Findings{"jwt": 1},
		},
		{
			name:    "pem private key block",
			text:    "Here is the deploy key:\n\n" + pem + "\n\nAdd it to the CI secrets.",
			secrets: []string{pem, strings.Split(pem, "\n")[3]},
			want:    Findings{"private-key": 1},
		},
		{
			name:    "password in a database URL",
			text:    "DATABASE_URL is postgres://billing:" + dbPass + "@db.internal:5432/billing?sslmode=require",
			secrets: []string{dbPass},
			want:    Findings{"password-in-url": 1},
		},
		{
			name:    "env file assignments",
			text:    "DB_HOST=db.internal\nDB_PASSWORD=" + dbPass + "\nSECRET_KEY='" + secretKey + "'\nDEBUG=false\n",
			secrets: []string{dbPass, secretKey},
			want:    Findings{"secret-assignment": 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bundle := setup(t)

			out, found := bundle.redactor.Redact(tt.text)
			requireRedacted(t, out, found, tt.want, tt.secrets...)

			outBytes, foundBytes := bundle.redactor.RedactBytes([]byte(tt.text))
			require.Equal(t, out, string(outBytes), "RedactBytes must redact the raw copy the same way")
			require.Equal(t, found, foundBytes)
		})
	}
}

func TestRedactKeepsTheRest(t *testing.T) {
	t.Parallel()
	bundle := setup(t)

	dbPass := fakeDBPassword()
	out, found := bundle.redactor.Redact("psql postgres://billing:" + dbPass + "@db.internal:5432/billing -c 'select 1'")
	require.Equal(t, "psql postgres://billing:[REDACTED:password-in-url]@db.internal:5432/billing -c 'select 1'", out)
	require.Equal(t, Findings{"password-in-url": 1}, found)

	out, found = bundle.redactor.Redact("DB_PASSWORD=" + dbPass + "\nDB_USER=billing")
	require.Equal(t, "DB_PASSWORD=[REDACTED:secret-assignment]\nDB_USER=billing", out)
	require.Equal(t, Findings{"secret-assignment": 1}, found)
}

func TestRedactNoFalsePositives(t *testing.T) {
	t.Parallel()

	tests := map[string]string{
		"go code": `func (s *Server) authenticate(r *http.Request) (*User, error) {
	token := r.Header.Get("Authorization")
	apiKey := os.Getenv("OPENAI_API_KEY")
	password := r.FormValue("password")
	secret, err := s.secrets.Get(ctx, "stripe/api-key")
	if err != nil {
		return nil, fmt.Errorf("load secret: %w", err)
	}
	return s.sessions.Lookup(ctx, token, apiKey, password, secret)
}`,
		"python code": "API_KEY = os.environ[\"API_KEY\"]\nSECRET_KEY = settings.SECRET_KEY\nTOKEN = get_token()\npassword = input(\"Password: \")\n",
		"git shas": "commit 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39\nMerge: 9c1d8e7 3f2a9c1\n" +
			"a94a8fe5ccb19ba61c4c0873d391e987982fbbd3 refs/heads/main\ngit checkout -b fix/token-refresh 7d6c5b4",
		"uuids": `{"sessionId":"c64cc478-3430-40fe-8e9c-4ee9986e9754","uuid":"1b4951f2-dc07-4bb4-9740-777baa85b06e",` +
			`"parentUuid":"244eec3a-8c69-4ba4-8cf3-8eca2737a928","requestId":"req_011CXL3BXxXpqshf6BAp1chN"}`,
		"file paths": "/home/dev/src/api/internal/auth/token_refresh.go\n/Users/ada/.config/gh/hosts.yml\n" +
			"C:\\Users\\ada\\AppData\\Roaming\\npm\\node_modules\\@anthropic-ai\\claude-code\\cli.js\n" +
			"src/components/PasswordResetForm.tsx:42:17",
		"base64 of nothing secret": "favicon: " + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("GIF89a transparent pixel ", 8))),
		"password in prose": "The password reset email links to /reset?token=... and the token expires after 30 minutes. " +
			"Never log the password or the API key; rotate the secret key if it leaks.",
		"placeholders": "OPENAI_API_KEY=your_api_key_here\nSTRIPE_SECRET_KEY=<your-stripe-key>\nDB_PASSWORD=${DB_PASSWORD}\n" +
			"GITHUB_TOKEN=$GITHUB_TOKEN\nANTHROPIC_API_KEY=\"your-anthropic-key-here\"\nSESSION_SECRET=changeme\n" +
			"DATABASE_URL=postgres://user:password@localhost:5432/app\nREDIS_URL=redis://:${REDIS_PASSWORD}@cache:6379\n" +
			"api_key: \"<YOUR_API_KEY>\"\npassword: xxxxxxxx\n",
		"token counts":                     `{"usage":{"input_tokens":3,"cache_creation_input_tokens":3257,"cache_read_input_tokens":15289,"output_tokens":351}}`,
		"idempotency key":                  `"request": {"id": "req_4f9b1a2c3d4e5f", "idempotency_key": "af06a7d9-5408-4f65-8379-59a93874d04c"}`,
		"names that only end in a keyword": "BYPASS=1\nMAX_TOKENS=4096\nTOKEN_TTL=3600\nPASSWORD_MIN_LENGTH=12\n",
		"code assignment with spaces":      "ACCESS_TOKEN = access_token\nDB_PASSWORD = password_from_vault\n",
	}
	for name, text := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bundle := setup(t)

			out, found := bundle.redactor.Redact(text)
			require.Nil(t, found)
			require.Equal(t, text, out)
		})
	}
}

func TestRedactIgnoresGitleaksAllow(t *testing.T) {
	t.Parallel()
	bundle := setup(t)

	ghp := fakeGitHubPAT()
	out, found := bundle.redactor.Redact(`token = "` + ghp + `" // gitleaks:allow`)
	requireRedacted(t, out, found, Findings{"github-pat": 1}, ghp)
}

func TestRedactTranscriptFixtureIsClean(t *testing.T) {
	t.Parallel()
	bundle := setup(t)

	text := transcriptFixture(t)
	out, found := bundle.redactor.Redact(text)
	require.Nil(t, found)
	require.Equal(t, text, out)
}

// TestRedactCorpusIsClean runs over the real captures in shared/corpus,
// when this checkout has them: they hold no secrets, so every finding
// would be a false positive.
func TestRedactCorpusIsClean(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../../../shared/corpus/*/*")
	if len(files) == 0 {
		t.Skip("no shared/corpus beside this checkout")
	}
	bundle := setup(t)

	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		out, found := bundle.redactor.RedactBytes(data)
		t.Logf("%s: %d bytes, %d redacted", filepath.Base(f), len(data), found.Total())
		require.Nil(t, found, f)
		require.Equal(t, data, out)
	}
}

func TestRedactBytesKeepsJSONLValid(t *testing.T) {
	t.Parallel()
	bundle := setup(t)

	openai, dbPass, jwt, pem := fakeOpenAIKey(), fakeDBPassword(), fakeJWT(), fakePEM()
	result := "OPENAI_API_KEY=" + openai + "\nDB_PASSWORD=" + dbPass + "\n"
	line, err := json.Marshal(map[string]any{
		"type": "user",
		"message": map[string]any{"role": "user", "content": []any{map[string]any{
			"type": "tool_result", "tool_use_id": "toolu_01", "content": result,
		}}},
		// A secret right before an escaped quote, and a multi-line key.
		"toolUseResult": map[string]any{"stdout": `token="` + jwt + `"`, "key": pem},
	})
	require.NoError(t, err)
	jsonl := append(append([]byte(`{"type":"summary","summary":"Rotate keys"}`+"\n"), line...), '\n')

	out, found := bundle.redactor.RedactBytes(jsonl)
	require.Equal(t, Findings{"openai-api-key": 1, "secret-assignment": 1, "jwt": 1, "private-key": 1}, found)
	for _, s := range []string{openai, dbPass, jwt, strings.Split(pem, "\n")[2]} {
		require.NotContains(t, string(out), s)
	}

	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	require.Len(t, lines, 2)
	for _, l := range lines {
		require.True(t, json.Valid([]byte(l)), "line is not valid JSON: %s", l)
	}
	var got struct {
		Message struct {
			Content []struct{ Content string } `json:"content"`
		} `json:"message"`
		ToolUseResult struct{ Stdout, Key string } `json:"toolUseResult"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &got))
	require.Equal(t, "OPENAI_API_KEY=[REDACTED:openai-api-key]\nDB_PASSWORD=[REDACTED:secret-assignment]\n", got.Message.Content[0].Content)
	require.Equal(t, `token="[REDACTED:jwt]"`, got.ToolUseResult.Stdout)
	require.Equal(t, "[REDACTED:private-key]", got.ToolUseResult.Key)
}

func TestRedactIsIdempotent(t *testing.T) {
	t.Parallel()
	bundle := setup(t)

	text := "export GITHUB_TOKEN=" + fakeGitHubPAT() + "\nDB_PASSWORD=" + fakeDBPassword() + "\n" + fakePEM() +
		"\npostgres://app:" + fakeDBPassword() + "@db/app"
	once, found := bundle.redactor.Redact(text)
	require.Equal(t, 4, found.Total())

	twice, again := bundle.redactor.Redact(once)
	require.Nil(t, again)
	require.Equal(t, once, twice)
}

func TestRedactBytesReturnsInputWhenClean(t *testing.T) {
	t.Parallel()
	bundle := setup(t)

	in := []byte("nothing to see here")
	out, found := bundle.redactor.RedactBytes(in)
	require.Nil(t, found)
	require.Same(t, &in[0], &out[0])

	out, found = bundle.redactor.RedactBytes(nil)
	require.Nil(t, found)
	require.Empty(t, out)
}

func TestRedactConcurrentUse(t *testing.T) {
	t.Parallel()
	bundle := setup(t)

	text := transcriptFixture(t) + "AWS_SECRET_ACCESS_KEY=" + fakeAWSSecret() + "\n"
	want, wantFound := bundle.redactor.Redact(text)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, found := bundle.redactor.Redact(text)
			require.Equal(t, want, got)
			require.Equal(t, wantFound, found)
		})
	}
	wg.Wait()
}

func TestNewSharesCompiledRules(t *testing.T) {
	t.Parallel()

	a, err := New()
	require.NoError(t, err)
	b, err := New()
	require.NoError(t, err)
	require.Same(t, a.rules, b.rules)
	// gitleaks v8.30.1 ships 222 rules; 5 are scoped to file paths.
	require.Equal(t, 222-5+len(extraRuleTiers), a.RuleCount())
	require.Equal(t, []string{"freemius-secret-key", "hashicorp-tf-password", "kubernetes-secret-yaml", "nuget-config-password", "pkcs12-file"}, a.SkippedRules())
}

func TestRulesVersionMatchesGoMod(t *testing.T) {
	t.Parallel()

	gomod, err := os.ReadFile("../../go.mod")
	require.NoError(t, err)
	m := regexp.MustCompile(`github.com/zricethezav/gitleaks/v8 (v\S+)`).FindSubmatch(gomod)
	require.NotNil(t, m, "gitleaks is not in go.mod")
	require.True(t, strings.HasPrefix(RulesVersion, "gitleaks-"+string(m[1])+"+"),
		"RulesVersion %s does not name gitleaks %s: update it (and re-check the skipped rules)", RulesVersion, m[1])
}

func TestFindings(t *testing.T) {
	t.Parallel()

	var total Findings
	require.Equal(t, 0, total.Total())
	total.Add(nil)
	require.Nil(t, total)
	total.Add(Findings{"jwt": 1, "github-pat": 2})
	total.Add(Findings{"jwt": 3})
	require.Equal(t, Findings{"jwt": 4, "github-pat": 2}, total)
	require.Equal(t, 6, total.Total())
}

func TestMarkersOnlyUseInertCharacters(t *testing.T) {
	t.Parallel()
	bundle := setup(t)

	for _, r := range bundle.redactor.rules.rules {
		require.Regexp(t, `^\[REDACTED:[a-z0-9-]+\]$`, r.marker, fmt.Sprintf("rule %s", r.id))
	}
}
