package redact

import (
	"github.com/zricethezav/gitleaks/v8/config"
	"github.com/zricethezav/gitleaks/v8/regexp"
)

// extraRulesTOML holds the only rules that are not gitleaks' own, in
// gitleaks' config format so they go through the same parser, keyword
// prefilter, entropy check and global allowlists as the defaults. Each
// covers a class the issue names that the defaults miss:
//
//   - password-in-url: gitleaks has no rule for credentials in a URL's
//     userinfo (postgres://user:pass@host); only the password is replaced,
//     so the user and host stay readable.
//   - aws-secret-access-key: gitleaks only knows the access key id (AKIA…);
//     the 40-character secret was left to generic-api-key's entropy test.
//   - secret-assignment: .env-style NAME=value (and NAME = "value",
//     "NAME": "value") where NAME is an UPPER_SNAKE name whose last part is
//     PASSWORD, SECRET, TOKEN, API_KEY and the like. generic-api-key needs
//     10+ characters and high entropy, so it lets DB_PASSWORD=hunter22
//     through. An unquoted value needs NAME=value without spaces (shell and
//     .env syntax), because `TOKEN = token` with spaces is code assigning a
//     variable, not a secret. Values have 4 to 256 characters: bounded, an
//     attempt at each of many keywords reads little (see anchor.go), and a
//     longer secret is generic-api-key's if it is random enough.
//
// Placeholders are let through: your_api_key_here, <password>, ${VAR},
// $VAR, {{ var }}, xxx, ***, changeme, call or index expressions such as
// os.getenv( and dotted references such as settings.SECRET_KEY.
//
// Each regex starts with a literal, its keyword (after a lazy
// "[class]{0,n}?" prefix, as gitleaks writes them), so that it only runs
// where the literal occurs (see anchor.go); TestExtraRulesAreLiteralLed
// checks it.
const extraRulesTOML = `
title = "ctxintel extra redaction rules"

[[rules]]
id = "password-in-url"
description = "Password in the userinfo part of a URL (scheme://user:password@host)."
regex = '''://[^\s:/?#\[\]@"'\x60\\<>{}|^]{0,256}:([^\s/?#\[\]"'\x60\\<>{}|^]{1,256})@[A-Za-z0-9\[]'''
keywords = ["://"]
[[rules.allowlists]]
regexes = [
    '''(?i)^(?:password|passwd|pass|pwd|secret|changeme|x+|\*+|\.+|<[^>]*>|\$[a-z_][a-z0-9_]*|%[a-z_]+%|your[_-]?[a-z_-]*)$''',
]

[[rules]]
id = "aws-secret-access-key"
description = "AWS secret access key assigned to an aws_secret_access_key-like name."
regex = '''(?i)aws[_-]?secret[_-]?(?:access[_-]?)?key(?:\\?["'\x60])?[ \t]{0,5}(?:=|:|=>|:=)[ \t]{0,5}(?:\\?["'\x60])?([A-Za-z0-9/+]{40})(?:$|[\s"'\x60;,]|\\)'''
entropy = 3.5
keywords = ["aws"]
[[rules.allowlists]]
regexes = ['''EXAMPLEKEY$''']

[[rules]]
id = "secret-assignment"
description = ".env-style assignment of a secret to an UPPER_SNAKE name (DB_PASSWORD=..., SECRET_KEY=...)."
regex = '''[A-Z0-9_]{0,64}?(?:PASSWORD|PASSWD|PASSPHRASE|PASS|SECRET|TOKEN|APIKEY|CREDENTIALS?|(?:API|ACCESS|SECRET|PRIVATE|AUTH|MASTER|SIGNING|ENCRYPTION|CLIENT|SERVICE|LICENSE|ADMIN|APP|SESSION)_KEY|_PWD)(?:=([^\s"'\x60\\]{4,256})(?:$|[\s"'\x60\\])|(?:\\?["'])?[ \t]*[:=][ \t]*\\?(?:"([^"\s\\]{4,256})\\?"|'([^'\s\\]{4,256})'))'''
keywords = [
    "pass", "secret", "token", "apikey", "credential", "_pwd",
    "api_key", "access_key", "private_key", "auth_key", "master_key", "signing_key",
    "encryption_key", "client_key", "service_key", "license_key", "admin_key", "app_key", "session_key",
]
# The keyword must be a whole part of the name: BYPASS=, MYSECRET= are not
# secrets. (The match starts at the name, the lazy prefix reaching back.)
[[rules.allowlists]]
regexTarget = "match"
regexes = [
    '''^[A-Z0-9_]*[A-Z0-9](?:PASSWORD|PASSWD|PASSPHRASE|PASS|SECRET|TOKEN|APIKEY|CREDENTIALS?)(?:\\?["']|[ \t]*[:=])''',
]
[[rules.allowlists]]
regexes = [
    '''(?i)^(?:your|my|the|some|insert|enter|put|replace|add)[_-]|[_-]here$|^<[^>]*>$|^\$\{[^}]*\}$|^\$[A-Za-z_][A-Za-z0-9_]*$|^\{\{.*\}\}$|^%[A-Za-z_]+%$''',
    '''(?i)^(?:x+|\*+|\.+|-+|_+|#+|0+|true|false|null|nil|none|undefined|empty|required|optional|changeme|placeholder|secret|password|token|redacted|todo|tbd)$''',
    '''^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*[(\[]''',
    '''^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$''',
]
`

// extraRuleTiers ranks the extra rules against gitleaks' (see tierOf): a
// provider's own rule names a secret before these, these before generic-*.
var extraRuleTiers = map[string]int{
	"password-in-url":       tierContext,
	"aws-secret-access-key": tierContext,
	"secret-assignment":     tierAssign,
}

// extraAllowlists are added to gitleaks default rules' own allowlists, each
// for a false positive seen in real transcripts and payloads.
func extraAllowlists() map[string][]*config.Allowlist {
	return map[string][]*config.Allowlist{
		// Stripe (and other APIs) send "idempotency_key": "<uuid>" in every
		// event; it is a request id, not a credential.
		"generic-api-key": {{
			Description: "idempotency keys",
			RegexTarget: "match",
			Regexes:     []*regexp.Regexp{regexp.MustCompile(`(?i)idempotency[_.-]?key`)},
		}},
	}
}
