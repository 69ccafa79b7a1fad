// Package redact owns secret redaction: it finds credentials in text (cloud
// keys, tokens, private keys, passwords in URLs, .env-style assignments) and
// replaces each with a marker naming the kind, such as
// "[REDACTED:aws-access-token]", before anything is stored in clear or
// indexed. The raw copy of a payload goes through RedactBytes, which applies
// exactly the same rules.
//
// The rules are gitleaks' default rule set (github.com/zricethezav/gitleaks/v8,
// its embedded gitleaks.toml: regexes, keywords, entropy thresholds and
// allowlists), plus the few extra rules in extra_rules.go for what the
// defaults miss. gitleaks' keyword prefilter decides which rules run, and
// each rule is tried only where its leading literal occurs (anchor.go), so
// a transcript without secrets is scanned at about 100 MB/s. Findings
// match what gitleaks' regexes find over the whole text, except that a
// "gitleaks:allow" comment does not exempt a line.
//
// The package must never return, log or count a secret's value: a Findings
// only says which rule fired and how many times. It must not reformat what it
// does not redact: outside the replaced secrets the output is byte-for-byte
// the input, and a valid JSON document or JSON line stays valid (a marker
// only ever replaces characters inside a JSON string, never quotes, escape
// sequences in part, or structure). It holds no per-call state, talks to no
// store or network, and a Redactor is safe for concurrent use.
package redact
