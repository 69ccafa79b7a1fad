package correlate

import (
	"hash/fnv"
	"slices"
	"strings"
	"unicode"
)

// MinSignificantChars is how many letters or digits a line needs to be
// hashed. Shorter lines ("}", "end", "i++", "*/", "# ok") are shared by
// unrelated changes and would only add noise to content overlap.
const MinSignificantChars = 4

// boilerplateLines are normalised lines so common in every codebase that a
// match says nothing about where the code came from. Without this list a
// commit that adds "return nil" to a file the assistant also edited would
// look like it carries the assistant's code, and the negative evidence of
// a commit that carries none of it would be lost.
var boilerplateLines = map[string]bool{
	"if err != nil {": true, "return err": true, "return nil": true, "return nil, err": true,
	"} else {": true, "else {": true, "} else if": true, "return true": true, "return false": true,
	"return true;": true, "return false;": true, "return null;": true, "return this;": true,
	"return None": true, "return": true, "return;": true, "return 0;": true, "return 0": true,
	"import (": true, "package main": true, "func main() {": true, "try {": true, "} finally {": true,
	"} catch (e) {": true, "} catch (err) {": true, "} catch (error) {": true, "try:": true, "else:": true,
	"pass": true, "break": true, "break;": true, "continue": true, "continue;": true, "default:": true,
	"@Override": true, "\"use strict\";": true, "'use strict';": true, "export default {": true,
	"module.exports = {": true, "#!/bin/bash": true, "#!/bin/sh": true, "#!/usr/bin/env bash": true,
	"#!/usr/bin/env python3": true, "#!/usr/bin/env python": true, "set -e": true, "set -euo pipefail": true,
	"if __name__ == \"__main__\":": true, "if __name__ == '__main__':": true, "main()": true,
	"t.Parallel()": true, "else": true, "done": true, "then": true, "<div>": true, "</div>": true,
	"<template>": true, "</template>": true, "<script>": true, "</script>": true, "<html>": true, "</html>": true,
}

// declarationPrefixes start lines that declare where code lives or what
// it uses rather than what it does; every file of a package shares them.
var declarationPrefixes = []string{"package ", "import ", "from ", "#include ", "using ", "use ", "require ", "require(", "@import "}

// isDeclaration reports a package/import line, or a lone quoted path (an
// entry of a Go import block).
func isDeclaration(norm string) bool {
	for _, p := range declarationPrefixes {
		if strings.HasPrefix(norm, p) && (p != "from " || strings.Contains(norm, " import ")) {
			return true
		}
	}
	return len(norm) >= 2 && norm[0] == '"' && norm[len(norm)-1] == '"' && strings.Count(norm, `"`) == 2 && !strings.Contains(norm, " ")
}

// LineHash returns the FNV-1a 64-bit hash of a normalised line of code, or
// 0 when the line is too generic to say where code came from.
//
// Normalisation: surrounding white space (and a CR) is removed and every
// run of white space inside the line becomes one space, so re-indenting,
// tabs versus spaces and line endings do not change the hash; case and
// punctuation are kept.
//
// A line is dropped (0) when it has fewer than MinSignificantChars letters
// or digits: blank lines, lone braces and brackets, "});", "*/", "end",
// and comment markers with nothing after them ("//", "#", "/*", "--",
// "<!-- -->") all fall under this rule, since markers are punctuation. It
// is also dropped when it is one of a few ubiquitous boilerplate lines
// ("return nil", "if err != nil {", "} else {", "pass", shebangs …) or a
// declaration every file of a package shares: package and import lines
// (package, import, from … import, #include, using, use, require) and a
// lone quoted path as in a Go import block.
// A non-zero hash of 0 is remapped to 1, so 0 only ever means "dropped".
func LineHash(line string) uint64 {
	norm, ok := normaliseLine(line)
	if !ok {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(norm))
	if v := h.Sum64(); v != 0 {
		return v
	}
	return 1
}

// normaliseLine trims and collapses white space and reports whether the
// line is significant.
func normaliseLine(line string) (string, bool) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return "", false
	}
	significant := 0
	for _, f := range fields {
		for _, r := range f {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				significant++
			}
		}
	}
	if significant < MinSignificantChars {
		return "", false
	}
	norm := strings.Join(fields, " ")
	if boilerplateLines[norm] || isDeclaration(norm) {
		return "", false
	}
	return norm, true
}

// lineSet collects significant line hashes without duplicates.
type lineSet map[uint64]struct{}

func (s lineSet) add(line string) {
	if h := LineHash(line); h != 0 {
		s[h] = struct{}{}
	}
}

func (s lineSet) addText(text string) {
	for _, l := range strings.Split(text, "\n") {
		s.add(l)
	}
}

// sorted returns the set as an ascending slice (nil when empty), the form
// every exported extractor returns so that results compare and store well.
func (s lineSet) sorted() []uint64 {
	if len(s) == 0 {
		return nil
	}
	out := make([]uint64, 0, len(s))
	for h := range s {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

// textLines hashes every significant line of text, as a set.
func textLines(text string) lineSet {
	s := lineSet{}
	s.addText(text)
	return s
}

// newLines are the significant lines of after that are not lines of
// before: what an edit (old → new) actually wrote.
func newLines(before, after string) lineSet {
	old := textLines(before)
	out := lineSet{}
	for h := range textLines(after) {
		if _, ok := old[h]; !ok {
			out[h] = struct{}{}
		}
	}
	return out
}

// overlap counts how many of a are in b; both are sets (sorted or not).
func overlap(a, b []uint64) int {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	in := make(map[uint64]struct{}, len(b))
	for _, h := range b {
		in[h] = struct{}{}
	}
	n := 0
	seen := make(map[uint64]struct{}, len(a))
	for _, h := range a {
		if _, dup := seen[h]; dup || h == 0 {
			continue
		}
		seen[h] = struct{}{}
		if _, ok := in[h]; ok {
			n++
		}
	}
	return n
}

// distinct counts the distinct non-zero hashes of a.
func distinct(a []uint64) int {
	seen := make(map[uint64]struct{}, len(a))
	for _, h := range a {
		if h != 0 {
			seen[h] = struct{}{}
		}
	}
	return len(seen)
}
