//go:build scratch

package bench

import "strings"

func splitSQL(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";\n") {
		if p = strings.TrimSpace(p); p != "" && !strings.HasPrefix(p, "--") {
			out = append(out, p)
		}
	}
	return out
}

func replaceAll(s string, kv ...string) string { return strings.NewReplacer(kv...).Replace(s) }

func firstLine(s string) string {
	if i := strings.Index(s, "\n"); i > 0 {
		return s[:i]
	}
	return s
}
