// Package ingest takes conversations in: it receives raw payloads (files
// from `ctxintel import` and `ctxintel capture`, API uploads, generic JSON),
// redacts secrets, stores the raw copy first and enqueues its processing in
// the same transaction; the processing job parses it with
// ingest/transcript and merges the conversations into the store, appending
// only what is new.
//
// Nothing is stored in clear before redaction: the raw copy is redacted
// with the same rules as the parsed text. A payload that fails to parse is
// kept with its error and can be processed again after a fix. Commits come
// in here too: from local git hooks and imports, and from GitHub and GitLab
// push webhooks (verified, de-duplicated, completed through the forges'
// REST APIs), and so does the linking of commits to conversations, using
// the scores of package correlate. It must not know about HTTP routing or
// the CLI.
package ingest
