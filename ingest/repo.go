package ingest

import (
	"net/url"
	"strings"
)

// NormalizeRemote turns the forms of a git remote into one key,
// "host/owner/repo" in lower case: git@github.com:Acme/Shop.git,
// ssh://git@github.com/acme/shop, https://github.com/acme/shop.git and
// https://user:token@github.com/acme/shop/ all become github.com/acme/shop.
// Anything it cannot read is returned trimmed and lower-cased.
func NormalizeRemote(remote string) string {
	r := strings.TrimSpace(remote)
	if r == "" {
		return ""
	}
	var host, path string
	if i := strings.Index(r, "://"); i >= 0 {
		u, err := url.Parse(r)
		if err != nil {
			return strings.ToLower(r)
		}
		host, path = u.Hostname(), u.Path
	} else if at, colon := strings.Index(r, "@"), strings.Index(r, ":"); colon > 0 && (at < 0 || at < colon) && !strings.HasPrefix(r, "/") {
		// scp-like: [user@]host:owner/repo
		host, path = r[at+1:colon], r[colon+1:]
	} else {
		return strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(r, "/"), ".git"))
	}
	path = strings.Trim(path, "/")
	path = strings.TrimSuffix(path, ".git")
	host = strings.TrimPrefix(strings.ToLower(host), "www.")
	if host == "" {
		return strings.ToLower(path)
	}
	return host + "/" + strings.ToLower(path)
}
