package transcript

// sniffCopilotExport recognises a "Chat: Export Chat..." file: a JSON object
// with requests and requester/responder names but none of the session
// file's version, sessionId or creationDate. See copilot.go for the format.
func sniffCopilotExport(name string, head []byte) bool {
	if copilotLooksLikeLog(head) {
		return false
	}
	keys := copilotTopKeys(head)
	if keys["version"] || keys["sessionId"] || keys["creationDate"] {
		return false
	}
	return keys["requests"] && (keys["requesterUsername"] || keys["responderUsername"])
}

// parseCopilotExport reads an exported chat. Its ExternalID is derived from
// the first request (see copilotDerivedID); an export of no requests is a
// warning and no conversation.
func parseCopilotExport(name string, data []byte, lim Limits) Result {
	res := Result{Format: FormatCopilotExport}
	doc, ok := copilotDecodeJSON(name, data, &res, "a Copilot Chat export JSON object")
	if !ok {
		return res
	}
	b := newCopilotBuilder(name, FormatCopilotExport, &res)
	if conv, ok := b.build(doc, "export"); ok {
		res.Conversations = append(res.Conversations, conv)
	}
	return res
}
