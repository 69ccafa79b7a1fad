// Package benchmd writes sections of BENCHMARKS.md: each benchmark or
// evaluation owns one "## " section and replaces only it, so runs of
// different parts never erase each other's numbers.
package benchmd

import (
	"fmt"
	"os"
	"strings"
)

// WriteSection replaces the section that starts with heading (a "## "
// line) in the markdown file at path with body, up to the next "## "
// heading or "<!--" comment; a missing section is added before the first
// comment, or at the end.
func WriteSection(path, heading, body string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	text := string(old)
	section := heading + "\n\n" + strings.TrimRight(body, "\n") + "\n"
	lines := strings.SplitAfter(text, "\n")
	start, end, comment := -1, len(lines), -1
	for i, l := range lines {
		trimmed := strings.TrimRight(l, "\r\n")
		switch {
		case start < 0 && trimmed == heading:
			start = i
		case start >= 0 && (strings.HasPrefix(trimmed, "## ") || strings.HasPrefix(trimmed, "<!--")):
			end = i
		case start < 0 && comment < 0 && strings.HasPrefix(trimmed, "<!--"):
			comment = i
		}
		if start >= 0 && end < len(lines) {
			break
		}
	}
	var out string
	switch {
	case start >= 0:
		after := strings.Join(lines[end:], "")
		if after != "" {
			section += "\n"
		}
		out = strings.Join(lines[:start], "") + section + after
	case text == "":
		out = "# Benchmarks\n\n" + section
	case comment >= 0:
		out = strings.TrimRight(strings.Join(lines[:comment], ""), "\n") + "\n\n" + section + "\n" + strings.Join(lines[comment:], "")
	default:
		out = strings.TrimRight(text, "\n") + "\n\n" + section
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
