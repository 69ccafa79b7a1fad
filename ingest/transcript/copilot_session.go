package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
)

// sniffCopilotSession recognises a chatSessions/<id>.json file: a JSON
// object whose top level has "version" and the chat keys (requests,
// requesterUsername, responderUsername). See copilot.go for the format.
func sniffCopilotSession(name string, head []byte) bool {
	if copilotLooksLikeLog(head) {
		return false
	}
	keys := copilotTopKeys(head)
	return keys["version"] && (keys["requests"] || keys["requesterUsername"] || keys["responderUsername"])
}

// parseCopilotSession reads a chatSessions/<id>.json file.
func parseCopilotSession(name string, data []byte, lim Limits) Result {
	res := Result{Format: FormatCopilotSession}
	doc, ok := copilotDecodeJSON(name, data, &res, "a Copilot Chat session JSON object")
	if !ok {
		return res
	}
	b := newCopilotBuilder(name, FormatCopilotSession, &res)
	if conv, ok := b.build(doc, "session"); ok {
		res.Conversations = append(res.Conversations, conv)
	}
	return res
}

// copilotTopKeys lists the top-level keys of the JSON object that starts
// head, as far as head goes (it may end mid-value).
func copilotTopKeys(head []byte) map[string]bool {
	keys := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(head))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return keys
	}
	for dec.More() {
		tok, err := dec.Token()
		k, ok := tok.(string)
		if err != nil || !ok {
			break
		}
		keys[k] = true
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			break
		}
	}
	return keys
}

var copilotLogStart = regexp.MustCompile(`^\s*\{\s*"kind"\s*:\s*0\s*,\s*"v"\s*:\s*\{`)

// copilotLooksLikeLog: the first line of a chat mutation log is
// {"kind":0,"v":{...session...}} (VS Code's ChatSessionOperationLog).
func copilotLooksLikeLog(head []byte) bool {
	if !copilotLogStart.Match(head) {
		return false
	}
	first := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		first = head[:i]
	}
	for _, k := range []string{`"requests"`, `"responderUsername"`, `"requesterUsername"`, `"sessionId"`, `"creationDate"`} {
		if bytes.Contains(first, []byte(k)) {
			return true
		}
	}
	return false
}

// copilotDecodeJSON reads a session or export object, keeping the line of
// each request. A file cut short keeps the requests before the cut: the
// break is reported and ok stays true when there is something to map.
func copilotDecodeJSON(name string, data []byte, res *Result, expected string) (copilotDoc, bool) {
	var doc copilotDoc
	if len(bytes.TrimSpace(data)) == 0 {
		res.warnf(name, 0, "file is empty; expected %s", expected)
		return doc, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	fail := func(err error) {
		off := dec.InputOffset()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			off = int64(len(data))
		}
		res.errorf(name, copilotLineAt(data, off), "invalid JSON (%s); expected %s; the rest of the file was not imported", copilotJSONErr(err), expected)
	}
	tok, err := dec.Token()
	if err != nil {
		fail(err)
		return doc, false
	}
	if tok != json.Delim('{') {
		res.errorf(name, 1, "file holds a JSON %s; expected %s", copilotTokenKind(tok), expected)
		return doc, false
	}
	doc.top = map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			fail(err)
			return doc, true
		}
		key, _ := tok.(string)
		if key == "requests" {
			if !copilotDecodeRequests(dec, data, &doc, res, name, fail) {
				return doc, true
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			fail(err)
			return doc, true
		}
		doc.top[key] = raw
	}
	if _, err := dec.Token(); err != nil {
		fail(err)
		return doc, true
	}
	if _, err := dec.Token(); err != io.EOF {
		res.warnf(name, copilotLineAt(data, dec.InputOffset()), "data after the end of the JSON object; ignored")
	}
	return doc, true
}

// copilotDecodeRequests reads the requests array element by element so
// that each request's line is known and a break keeps the ones before it.
func copilotDecodeRequests(dec *json.Decoder, data []byte, doc *copilotDoc, res *Result, name string, fail func(error)) bool {
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		fail(err)
		return false
	}
	if tok != json.Delim('[') {
		res.errorf(name, copilotLineAt(data, copilotSkipSpace(data, start)), "\"requests\" is a JSON %s, expected an array of requests; none imported", copilotTokenKind(tok))
		if d, ok := tok.(json.Delim); ok && d == '{' {
			return copilotSkipRest(dec, fail)
		}
		return true
	}
	for dec.More() {
		off := copilotSkipSpace(data, dec.InputOffset())
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			fail(err)
			return false
		}
		doc.reqs = append(doc.reqs, copilotRawRequest{raw: raw, line: copilotLineAt(data, off)})
	}
	if _, err := dec.Token(); err != nil {
		fail(err)
		return false
	}
	return true
}

// copilotSkipRest consumes the rest of an object or array whose opening
// delimiter was already read.
func copilotSkipRest(dec *json.Decoder, fail func(error)) bool {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			fail(err)
			return false
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return true
}

func copilotTokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "array"
		}
		return "object"
	case string:
		return "string"
	case float64, json.Number:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}

// copilotSkipSpace moves off past whitespace and the separating comma to
// where the next value starts.
func copilotSkipSpace(data []byte, off int64) int64 {
	for off >= 0 && off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// copilotLineAt is the 1-based line of byte offset off.
func copilotLineAt(data []byte, off int64) int {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}
