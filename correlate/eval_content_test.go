package correlate

import (
	"fmt"
	"strings"
)

// Code for the evaluation's repositories. Each generator writes plausible
// source for a topic: most lines name the topic (so different topics are
// different code) and some are the idioms every file of the language
// shares (so unrelated changes do overlap a little, as real ones do).

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// goHandler is a JSON HTTP handler for a resource.
func goHandler(pkg, topic string) string {
	T := title(topic)
	return fmt.Sprintf(`package %[1]s

import (
	"encoding/json"
	"net/http"
)

// %[2]sHandler serves %[3]s records as JSON.
func %[2]sHandler(store %[2]sStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("%[3]s_id")
		%[3]s, err := store.Get%[2]s(r.Context(), id)
		if err != nil {
			http.Error(w, "%[3]s not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(%[3]s)
	}
}
`, pkg, T, topic)
}

// goService is a small service type with a method per verb.
func goService(pkg, topic string, verbs ...string) string {
	T := title(topic)
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"time\"\n)\n\n", pkg)
	fmt.Fprintf(&b, "// %sService manages %s records.\ntype %sService struct {\n\tstore %sStore\n\tclock func() time.Time\n}\n", T, topic, T, T)
	for _, v := range verbs {
		V := title(v)
		fmt.Fprintf(&b, `
// %[1]s%[2]s %[3]ss a %[4]s and records when.
func (s *%[2]sService) %[1]s%[2]s(ctx context.Context, id string) error {
	%[4]s, err := s.store.Get%[2]s(ctx, id)
	if err != nil {
		return fmt.Errorf("%[3]s %[4]s %%s: %%w", id, err)
	}
	%[4]s.Last%[1]s = s.clock()
	return s.store.Save%[2]s(ctx, %[4]s)
}
`, V, T, v, topic)
	}
	return b.String()
}

// goTest is a table test for a topic.
func goTest(pkg, topic string, cases ...string) string {
	T := title(topic)
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\nimport \"testing\"\n\nfunc Test%sRules(t *testing.T) {\n\tt.Parallel()\n\tfor _, tc := range []struct {\n\t\tname string\n\t\twant bool\n\t}{\n", pkg, T)
	for i, c := range cases {
		fmt.Fprintf(&b, "\t\t{%q, %v},\n", c, i%2 == 0)
	}
	fmt.Fprintf(&b, "\t} {\n\t\tif got := valid%s(tc.name); got != tc.want {\n\t\t\tt.Errorf(\"valid%s(%%q) = %%v, want %%v\", tc.name, got, tc.want)\n\t\t}\n\t}\n}\n", T, T)
	return b.String()
}

// pyModule is a Python module with a function per rule.
func pyModule(topic string, rules ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\"\"\"%s rules.\"\"\"\n\nfrom decimal import Decimal, ROUND_HALF_UP\n\n", title(topic))
	for _, r := range rules {
		fmt.Fprintf(&b, "\ndef %[1]s_%[2]s(amount, rate):\n    \"\"\"Apply the %[2]s rule to a %[1]s amount.\"\"\"\n    value = Decimal(amount) * Decimal(rate)\n    %[2]s_total = value.quantize(Decimal('0.01'), ROUND_HALF_UP)\n    return %[2]s_total\n", topic, r)
	}
	return b.String()
}

// tsModule is a TypeScript module exporting functions for a topic.
func tsModule(topic string, fns ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "import { api } from './api';\n\nexport interface %[1]s {\n  id: string;\n  %[2]sName: string;\n  updatedAt: string;\n}\n", title(topic), topic)
	for _, f := range fns {
		fmt.Fprintf(&b, "\nexport async function %[1]s%[2]s(id: string): Promise<%[2]s> {\n  const res = await api.get(`/%[3]s/${id}/%[1]s`);\n  if (!res.ok) {\n    throw new Error(`%[1]s %[3]s ${id}: ${res.status}`);\n  }\n  return (await res.json()) as %[2]s;\n}\n", f, title(topic), topic)
	}
	return b.String()
}

// mdDoc is a markdown page with bullet points.
func mdDoc(heading string, points ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", heading)
	for _, p := range points {
		fmt.Fprintf(&b, "- %s\n", p)
	}
	return b.String()
}

// humanTouch is what a person does to an assistant's code before
// committing it: renames a variable on a couple of lines and adds lines
// of their own.
func humanTouch(content, from, to string, extra ...string) string {
	lines := strings.Split(content, "\n")
	renamed := 0
	for i, l := range lines {
		if renamed < 2 && strings.Contains(l, from) {
			lines[i] = strings.ReplaceAll(l, from, to)
			renamed++
		}
	}
	out := strings.Join(lines, "\n")
	if len(extra) > 0 {
		out = strings.TrimRight(out, "\n") + "\n" + strings.Join(extra, "\n") + "\n"
	}
	return out
}

// goFunc is one more function for a Go file (a teammate's change).
func goFunc(topic, verb string) string {
	T, V := title(topic), title(verb)
	return fmt.Sprintf(`
// %[2]s%[1]s %[3]ss the %[4]s cache entry for id.
func %[2]s%[1]s(cache map[string]%[1]s, id string) (%[1]s, bool) {
	entry, ok := cache["%[4]s:"+id]
	if !ok {
		metrics.%[1]sMisses.Inc()
	}
	return entry, ok
}
`, T, V, verb, topic)
}
