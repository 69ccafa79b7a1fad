package transcript

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// format ties a Format to how it is recognised and read.
type format struct {
	Format Format
	sniff  func(name string, head []byte) bool
	parse  Parser
}

// formats in detection order: the most specific sniffers first, so that the
// several JSONL and markdown formats are never confused.
var formats = []format{
	{FormatGeneric, sniffGeneric, parseGeneric},
	{FormatCodexRollout, sniffCodexRollout, parseCodexRollout},
	{FormatCopilotJSONL, sniffCopilotJSONL, parseCopilotJSONL},
	{FormatCopilotSession, sniffCopilotSession, parseCopilotSession},
	{FormatCopilotExport, sniffCopilotExport, parseCopilotExport},
	{FormatGeminiJSON, sniffGeminiJSON, parseGeminiJSON},
	{FormatGeminiJSONL, sniffGeminiJSONL, parseGeminiJSONL},
	{FormatClaudeCodeJSONL, sniffClaudeCode, parseClaudeCode},
	{FormatCursorAgent, sniffCursorAgent, parseCursorAgent},
	{FormatSpecStory, sniffSpecStory, parseSpecStory},
	{FormatAiderHistory, sniffAiderHistory, parseAiderHistory},
}

// Formats lists every format this package reads.
func Formats() []Format {
	out := make([]Format, len(formats))
	for i, f := range formats {
		out[i] = f.Format
	}
	return out
}

// Errors of Detect; the message says what was found.
var (
	ErrEmpty         = errors.New("file is empty")
	ErrBinary        = errors.New("binary file, not a transcript")
	ErrUnknownFormat = errors.New("unknown format")
)

const sniffBytes = 64 << 10

// Detect names the format of data. name helps where formats keep hints in
// file names. The error says what was expected when nothing matches.
func Detect(name string, data []byte) (Format, error) {
	data, _ = normalizeEncoding(data)
	if len(bytes.TrimSpace(data)) == 0 {
		return "", ErrEmpty
	}
	head := data[:min(len(data), sniffBytes)]
	if looksBinary(head) {
		return "", ErrBinary
	}
	for _, f := range formats {
		if f.sniff(name, head) {
			return f.Format, nil
		}
	}
	first, _, _ := bytes.Cut(head, []byte("\n"))
	return "", fmt.Errorf("%w: the file starts with %q, which is none of the supported formats (%s)",
		ErrUnknownFormat, truncate(string(first), 80), strings.Join(formatNames(), ", "))
}

func formatNames() []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = string(f.Format)
	}
	return out
}

// Parse reads one file: it fixes the encoding, detects the format (or uses
// want when it is set) and runs the format's parser. A file that cannot be
// read at all is one error Problem and no conversations.
func Parse(name string, data []byte, want Format, lim Limits) Result {
	data, note := normalizeEncoding(data)
	var res Result
	f := want
	if f == "" {
		var err error
		if f, err = Detect(name, data); err != nil {
			res.errorf(name, 0, "%v", err)
			return res
		}
	}
	for _, spec := range formats {
		if spec.Format != f {
			continue
		}
		res = spec.parse(name, data, lim)
		res.Format = f
		if note != "" {
			res.warnf(name, 0, "%s", note)
		}
		for i := range res.Conversations {
			res.Conversations[i].Format = f
		}
		return res
	}
	res.errorf(name, 0, "%v: %q is not one of %s", ErrUnknownFormat, f, strings.Join(formatNames(), ", "))
	return res
}

// normalizeEncoding strips a UTF-8 byte-order mark and converts UTF-16
// (with a BOM, as Windows editors write it) to UTF-8, saying what it did.
func normalizeEncoding(data []byte) ([]byte, string) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:], ""
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		little := data[0] == 0xFF
		body := data[2:]
		units := make([]uint16, len(body)/2)
		for i := range units {
			if little {
				units[i] = uint16(body[2*i]) | uint16(body[2*i+1])<<8
			} else {
				units[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
			}
		}
		return []byte(string(utf16.Decode(units))), "file was UTF-16; converted to UTF-8"
	}
	return data, ""
}

// looksBinary: NUL bytes, or mostly invalid UTF-8, in the first bytes.
func looksBinary(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	invalid := 0
	for i := 0; i < len(head); {
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size == 1 {
			invalid++
		}
		i += size
	}
	return invalid > len(head)/20+1
}
