package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// sniffCopilotJSONL recognises a chatSessions/<id>.jsonl mutation log: its
// first line is {"kind":0,"v":{...}} holding a chat session. See copilot.go.
func sniffCopilotJSONL(name string, head []byte) bool {
	return copilotLooksLikeLog(head)
}

// parseCopilotJSONL replays the mutation log onto its snapshot, the way
// VS Code's ChatSessionOperationLog reads it, then maps the session like a
// chatSessions .json file. A line that cannot be applied is reported and
// skipped; the rest of the log is still replayed.
func parseCopilotJSONL(name string, data []byte, lim Limits) Result {
	res := Result{Format: FormatCopilotJSONL}
	b := newCopilotBuilder(name, FormatCopilotJSONL, &res)
	lines := splitLines(name, data, lim, &res)
	if len(lines) == 0 {
		res.warnf(name, 0, "file is empty; expected a Copilot Chat session mutation log")
		return res
	}
	lg := copilotLog{b: b}
	for i, l := range lines {
		last := i == len(lines)-1 && !bytes.HasSuffix(data, []byte{'\n'})
		lg.apply(l, last)
	}
	if lg.state == nil {
		res.errorf(name, 0, "no readable initial snapshot line ({\"kind\":0,\"v\":{...}}); nothing imported")
		return res
	}
	if conv, ok := b.build(lg.doc(), "session"); ok {
		res.Conversations = append(res.Conversations, conv)
	}
	return res
}

// copilotLog is the state being replayed, with the line that introduced
// each request (for messages' Line).
type copilotLog struct {
	b        *copilotBuilder
	state    map[string]any
	reqLines []int
}

type copilotEntry struct {
	Kind *int            `json:"kind"`
	K    []any           `json:"k"`
	V    json.RawMessage `json:"v"`
	I    *int            `json:"i"`
}

func (lg *copilotLog) apply(l line, last bool) {
	b := lg.b
	var e copilotEntry
	if err := json.Unmarshal(l.Text, &e); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			b.res.errorf(b.name, l.N, "not a mutation-log entry (%s); expected {\"kind\":0|1|2,\"k\":[path],\"v\":value}; skipped", copilotJSONErr(err))
			return
		}
		hint := ""
		if last {
			hint = " (the last line looks cut short)"
		}
		b.res.errorf(b.name, l.N, "invalid JSON (%s)%s; expected one JSON object per line; skipped", copilotJSONErr(err), hint)
		return
	}
	if e.Kind == nil {
		b.res.errorf(b.name, l.N, "entry has no \"kind\"; expected {\"kind\":0|1|2,...}; skipped")
		return
	}
	if *e.Kind != 0 && *e.Kind != 1 && *e.Kind != 2 {
		b.warnOnce("kind:"+strconv.Itoa(*e.Kind), l.N, "mutation kind %d is not known (expected 0 snapshot, 1 set, 2 push); skipped", *e.Kind)
		return
	}
	v, err := copilotDecodeAny(e.V)
	if err != nil {
		b.res.errorf(b.name, l.N, "entry value is not valid JSON (%s); skipped", copilotJSONErr(err))
		return
	}
	if *e.Kind == 0 {
		st, ok := v.(map[string]any)
		if !ok {
			b.res.errorf(b.name, l.N, "snapshot \"v\" is a JSON %s, expected the session object; skipped", copilotJSONKind(e.V))
			return
		}
		lg.state = st
		reqs, _ := st["requests"].([]any)
		lg.reqLines = copilotFill(nil, len(reqs), l.N)
		return
	}
	if lg.state == nil {
		b.res.errorf(b.name, l.N, "mutation before the initial snapshot line (kind 0); skipped")
		return
	}
	where := copilotPathString(e.K)
	if *e.Kind == 1 {
		if err := copilotSet(lg.state, e.K, v); err != nil {
			b.res.errorf(b.name, l.N, "cannot set %s: %v; skipped", where, err)
			return
		}
	} else {
		items, ok := v.([]any)
		if v != nil && !ok {
			b.res.errorf(b.name, l.N, "push to %s: \"v\" is a JSON %s, expected an array; skipped", where, copilotJSONKind(e.V))
			return
		}
		if err := copilotPush(lg.state, e.K, items, e.I); err != nil {
			b.res.errorf(b.name, l.N, "cannot push to %s: %v; skipped", where, err)
			return
		}
	}
	lg.trackRequests(e, l.N)
}

// trackRequests keeps reqLines in step with changes to the requests array.
func (lg *copilotLog) trackRequests(e copilotEntry, n int) {
	if len(e.K) == 0 || copilotSegKey(e.K[0]) != "requests" {
		return
	}
	reqs, _ := lg.state["requests"].([]any)
	switch {
	case len(e.K) == 1 && *e.Kind == 1: // the whole array replaced
		lg.reqLines = copilotFill(nil, len(reqs), n)
	case len(e.K) == 1: // push
		keep := len(lg.reqLines)
		if e.I != nil && *e.I < keep {
			keep = max(*e.I, 0)
		}
		lg.reqLines = copilotFill(lg.reqLines[:keep], len(reqs), n)
	case len(e.K) == 2 && *e.Kind == 1: // one request replaced
		if i, ok := copilotSegIndex(e.K[1]); ok && i < len(lg.reqLines) {
			lg.reqLines[i] = n
		}
	}
	lg.reqLines = copilotFill(lg.reqLines, len(reqs), n)
}

// copilotFill extends lines to length n with v (or cuts it to n).
func copilotFill(lines []int, n, v int) []int {
	if len(lines) > n {
		return lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, v)
	}
	return lines
}

// doc turns the replayed state into the shape the mapper reads.
func (lg *copilotLog) doc() copilotDoc {
	doc := copilotDoc{top: map[string]json.RawMessage{}}
	for k, v := range lg.state {
		if k == "requests" {
			continue
		}
		if raw, err := json.Marshal(v); err == nil {
			doc.top[k] = raw
		}
	}
	reqs, ok := lg.state["requests"].([]any)
	if !ok && lg.state["requests"] != nil {
		lg.b.res.errorf(lg.b.name, 0, "\"requests\" is not an array after replay; no requests imported")
	}
	for i, r := range reqs {
		raw, err := json.Marshal(r)
		if err != nil {
			continue
		}
		n := 0
		if i < len(lg.reqLines) {
			n = lg.reqLines[i]
		}
		doc.reqs = append(doc.reqs, copilotRawRequest{raw: raw, line: n})
	}
	return doc
}

// copilotDecodeAny decodes a JSON value keeping numbers exact.
func copilotDecodeAny(raw json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// copilotSet replaces the property at path (kind 1).
func copilotSet(root any, p []any, v any) error {
	if len(p) == 0 {
		return errors.New("empty path")
	}
	parent, err := copilotWalk(root, p[:len(p)-1])
	if err != nil {
		return err
	}
	return copilotAssign(parent, p[len(p)-1], v)
}

// copilotPush appends items to the array at path, first cutting it to
// length i when i is set (kind 2). A missing array starts empty.
func copilotPush(root any, p []any, items []any, i *int) error {
	if len(p) == 0 {
		return errors.New("empty path")
	}
	parent, err := copilotWalk(root, p[:len(p)-1])
	if err != nil {
		return err
	}
	cur, err := copilotChild(parent, p[len(p)-1], true)
	if err != nil {
		return err
	}
	var arr []any
	switch x := cur.(type) {
	case nil:
	case []any:
		arr = x
	default:
		return fmt.Errorf("the value there is a %s, not an array", copilotTypeName(cur))
	}
	if i != nil {
		if *i < 0 {
			return fmt.Errorf("negative index %d", *i)
		}
		if *i < len(arr) {
			arr = arr[:*i]
		}
	}
	arr = append(arr, items...)
	return copilotAssign(parent, p[len(p)-1], arr)
}

func copilotWalk(root any, p []any) (any, error) {
	cur := root
	for _, seg := range p {
		next, err := copilotChild(cur, seg, false)
		if err != nil {
			return nil, err
		}
		cur = next
	}
	return cur, nil
}

// copilotChild reads container[seg]; a missing object property is nil when
// missingOK.
func copilotChild(c any, seg any, missingOK bool) (any, error) {
	switch x := c.(type) {
	case map[string]any:
		k := copilotSegKey(seg)
		v, ok := x[k]
		if !ok && !missingOK {
			return nil, fmt.Errorf("no property %q", k)
		}
		return v, nil
	case []any:
		i, ok := copilotSegIndex(seg)
		if !ok || i >= len(x) {
			return nil, fmt.Errorf("index %s is out of range (length %d)", copilotSegKey(seg), len(x))
		}
		return x[i], nil
	}
	return nil, fmt.Errorf("cannot index into a %s", copilotTypeName(c))
}

func copilotAssign(c any, seg any, v any) error {
	switch x := c.(type) {
	case map[string]any:
		x[copilotSegKey(seg)] = v
		return nil
	case []any:
		i, ok := copilotSegIndex(seg)
		if !ok || i >= len(x) {
			return fmt.Errorf("index %s is out of range (length %d)", copilotSegKey(seg), len(x))
		}
		x[i] = v
		return nil
	}
	return fmt.Errorf("cannot set a property of a %s", copilotTypeName(c))
}

// copilotSegKey is a path segment as a property name (JS semantics).
func copilotSegKey(seg any) string {
	switch s := seg.(type) {
	case string:
		return s
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64)
	}
	return fmt.Sprint(seg)
}

// copilotSegIndex is a path segment as an array index.
func copilotSegIndex(seg any) (int, bool) {
	switch s := seg.(type) {
	case float64:
		if s >= 0 && s < math.MaxInt32 && s == math.Trunc(s) {
			return int(s), true
		}
	case string:
		if i, err := strconv.Atoi(s); err == nil && i >= 0 {
			return i, true
		}
	}
	return 0, false
}

func copilotPathString(p []any) string {
	parts := make([]string, len(p))
	for i, s := range p {
		parts[i] = copilotSegKey(s)
	}
	return truncate("["+strings.Join(parts, ".")+"]", 120)
}

func copilotTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return "number"
}
