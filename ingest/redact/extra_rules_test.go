package redact

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExtraRulePasswordInURL(t *testing.T) {
	t.Parallel()

	pass := fakeDBPassword()
	tests := []struct {
		name, text, want string
		found            Findings
	}{
		{
			name:  "postgres",
			text:  "postgres://billing:" + pass + "@db.internal:5432/billing",
			want:  "postgres://billing:[REDACTED:password-in-url]@db.internal:5432/billing",
			found: Findings{"password-in-url": 1},
		},
		{
			name:  "redis without a user",
			text:  "REDIS_URL=redis://:" + pass + "@cache:6379/0",
			want:  "REDIS_URL=redis://:[REDACTED:password-in-url]@cache:6379/0",
			found: Findings{"password-in-url": 1},
		},
		{
			name:  "mongodb srv with an @ in the password",
			text:  `mongoose.connect("mongodb+srv://app:p@` + pass + `@cluster0.ab1cd.mongodb.net/prod")`,
			want:  `mongoose.connect("mongodb+srv://app:[REDACTED:password-in-url]@cluster0.ab1cd.mongodb.net/prod")`,
			found: Findings{"password-in-url": 1},
		},
		{
			name:  "amqp in a JSON string",
			text:  `{"broker":"amqp://guest:` + pass + `@rabbit:5672/"}`,
			want:  `{"broker":"amqp://guest:[REDACTED:password-in-url]@rabbit:5672/"}`,
			found: Findings{"password-in-url": 1},
		},
		{
			name:  "a provider token in the URL is named by its provider",
			text:  "https://x-access-token:" + fakeGitHubPAT() + "@github.com/acme/api.git",
			want:  "https://x-access-token:[REDACTED:github-pat]@github.com/acme/api.git",
			found: Findings{"github-pat": 1},
		},
		{name: "placeholder password", text: "postgres://user:password@localhost/app", want: "postgres://user:password@localhost/app"},
		{name: "placeholder in angle brackets", text: "mysql://root:<password>@127.0.0.1/db", want: "mysql://root:<password>@127.0.0.1/db"},
		{name: "variable", text: "redis://:$REDIS_PASSWORD@cache:6379", want: "redis://:$REDIS_PASSWORD@cache:6379"},
		{name: "no password", text: "ssh://git@github.com:22/acme/api.git and https://localhost:8080/@fs/app", want: "ssh://git@github.com:22/acme/api.git and https://localhost:8080/@fs/app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bundle := setup(t)

			out, found := bundle.redactor.Redact(tt.text)
			require.Equal(t, tt.want, out)
			require.Equal(t, tt.found, found)
		})
	}
}

func TestExtraRuleAWSSecretAccessKey(t *testing.T) {
	t.Parallel()

	secret := fakeAWSSecret()
	for _, text := range []string{
		"aws_secret_access_key = " + secret,
		"AWS_SECRET_ACCESS_KEY=" + secret,
		`{"AwsSecretAccessKey": "` + secret + `"}`,
		`  aws-secret-key: '` + secret + `'`,
	} {
		t.Run(text[:12], func(t *testing.T) {
			t.Parallel()
			bundle := setup(t)

			out, found := bundle.redactor.Redact(text)
			requireRedacted(t, out, found, Findings{"aws-secret-access-key": 1}, secret)
		})
	}
}

func TestExtraRuleSecretAssignment(t *testing.T) {
	t.Parallel()

	pass := fakeDBPassword()
	tests := []struct {
		name, text, want string
		found            Findings
	}{
		{
			name:  "dotenv",
			text:  "POSTGRES_PASSWORD=" + pass + "\n",
			want:  "POSTGRES_PASSWORD=[REDACTED:secret-assignment]\n",
			found: Findings{"secret-assignment": 1},
		},
		{
			name:  "short low-entropy password",
			text:  "export DB_PASS=hunter22",
			want:  "export DB_PASS=[REDACTED:secret-assignment]",
			found: Findings{"secret-assignment": 1},
		},
		{
			name:  "docker run",
			text:  "docker run -e MYSQL_ROOT_PASSWORD=" + pass + " -d mysql:8",
			want:  "docker run -e MYSQL_ROOT_PASSWORD=[REDACTED:secret-assignment] -d mysql:8",
			found: Findings{"secret-assignment": 1},
		},
		{
			name:  "compose list",
			text:  "    environment:\n      - JWT_SECRET=" + pass + "\n",
			want:  "    environment:\n      - JWT_SECRET=[REDACTED:secret-assignment]\n",
			found: Findings{"secret-assignment": 1},
		},
		{
			name:  "quoted with spaces in code",
			text:  `SECRET_KEY = "` + pass + `"`,
			want:  `SECRET_KEY = "[REDACTED:secret-assignment]"`,
			found: Findings{"secret-assignment": 1},
		},
		{
			name:  "JSON env map",
			text:  `{"env": {"DB_PASSWORD": "` + pass + `", "DB_HOST": "db"}}`,
			want:  `{"env": {"DB_PASSWORD": "[REDACTED:secret-assignment]", "DB_HOST": "db"}}`,
			found: Findings{"secret-assignment": 1},
		},
		{
			name:  "JSON-escaped .env file",
			text:  `{"content":"APP_ENV=prod\nSMTP_PASSWORD=` + pass + `\nSMTP_HOST=mail\n"}`,
			want:  `{"content":"APP_ENV=prod\nSMTP_PASSWORD=[REDACTED:secret-assignment]\nSMTP_HOST=mail\n"}`,
			found: Findings{"secret-assignment": 1},
		},
		{
			name:  "JSON-escaped quotes",
			text:  `{"content":"API_KEY = \"` + pass + `\""}`,
			want:  `{"content":"API_KEY = \"[REDACTED:secret-assignment]\""}`,
			found: Findings{"secret-assignment": 1},
		},
		// Low-entropy values, which generic-api-key lets through too.
		{name: "keyword glued to the name", text: "BYPASS=hunter22 MYSECRET=hunter22", want: "BYPASS=hunter22 MYSECRET=hunter22"},
		{name: "lowercase name", text: "db_password=hunter22", want: "db_password=hunter22"},
		{name: "call", text: "API_KEY=os.getenv('API_KEY')", want: "API_KEY=os.getenv('API_KEY')"},
		{name: "reference", text: "API_KEY=process.env.API_KEY", want: "API_KEY=process.env.API_KEY"},
		{name: "template", text: "GITHUB_TOKEN={{ secrets.GITHUB_TOKEN }}", want: "GITHUB_TOKEN={{ secrets.GITHUB_TOKEN }}"},
		{name: "too short to be a secret", text: "REQUIRE_TOKEN=yes", want: "REQUIRE_TOKEN=yes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bundle := setup(t)

			out, found := bundle.redactor.Redact(tt.text)
			require.Equal(t, tt.want, out)
			require.Equal(t, tt.found, found)
		})
	}
}

func TestExtraRulesAreLiteralLed(t *testing.T) {
	t.Parallel()
	bundle := setup(t)

	for _, r := range bundle.redactor.rules.rules {
		if _, extra := extraRuleTiers[r.id]; !extra {
			continue
		}
		require.NotNil(t, r.anchor, r.id)
		require.NotEmpty(t, r.anchor.literals, "%s must start with a literal", r.id)
	}
}
