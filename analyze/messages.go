package analyze

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// codeInfo is what corscope knows about one CorsError: the CDP name, the
// reason part of Chromium's console line ({p} marks failed_parameter),
// which prefix/suffix Blink adds, and Firefox's reason name for the same
// condition (reference/cors.md §1.1, §1.3, §1.7).
type codeInfo struct {
	name      string
	reason    string
	preflight bool // "Response to preflight request doesn't pass access control check: "
	fetchHint bool // " Have the server send the header with a valid value." for fetch()
	xhrHint   bool // the withCredentials sentence for XMLHttpRequest
	firefox   string
}

const (
	preflightPrefix = "Response to preflight request doesn't pass access control check: "
	fetchSuffix     = " Have the server send the header with a valid value."
	xhrSuffix       = " The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute."
)

const (
	reasonWildcard = "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'."
	reasonMissing  = "No 'Access-Control-Allow-Origin' header is present on the requested resource."
	reasonMultiple = "The 'Access-Control-Allow-Origin' header contains multiple values '{p}', but only one is allowed."
	reasonInvalid  = "The 'Access-Control-Allow-Origin' header contains the invalid value '{p}'."
	reasonMismatch = "The 'Access-Control-Allow-Origin' header has a value '{p}' that is not equal to the supplied origin."
	reasonCreds    = "The value of the 'Access-Control-Allow-Credentials' header in the response is '{p}' which must be 'true' when the request's credentials mode is 'include'."
)

var codes = [numCodes]codeInfo{
	codeNone:                     {},
	codeWildcardOriginNotAllowed: {name: "WildcardOriginNotAllowed", reason: reasonWildcard, xhrHint: true, firefox: "CORSNotSupportingCredentials"},
	codeMissingAllowOriginHeader: {name: "MissingAllowOriginHeader", reason: reasonMissing, firefox: "CORSMissingAllowOrigin"},
	codeMultipleAllowOriginValues: {name: "MultipleAllowOriginValues", reason: reasonMultiple, fetchHint: true,
		firefox: "CORSMultipleAllowOriginNotAllowed"},
	codeInvalidAllowOriginValue: {name: "InvalidAllowOriginValue", reason: reasonInvalid, fetchHint: true, firefox: "CORSAllowOriginNotMatchingOrigin"},
	codeAllowOriginMismatch:     {name: "AllowOriginMismatch", reason: reasonMismatch, fetchHint: true, firefox: "CORSAllowOriginNotMatchingOrigin"},
	codeInvalidAllowCredentials: {name: "InvalidAllowCredentials", reason: reasonCreds, xhrHint: true, firefox: "CORSMissingAllowCredentials"},
	codePreflightInvalidStatus: {name: "PreflightInvalidStatus", reason: "It does not have HTTP ok status.", preflight: true,
		firefox: "CORSPreflightDidNotSucceed"},
	codePreflightDisallowedRedirect: {name: "PreflightDisallowedRedirect", reason: "Redirect is not allowed for a preflight request.",
		preflight: true, firefox: "CORSExternalRedirectNotAllowed"},
	codePreflightWildcardOriginNotAllowed: {name: "PreflightWildcardOriginNotAllowed", reason: reasonWildcard, preflight: true,
		xhrHint: true, firefox: "CORSNotSupportingCredentials"},
	codePreflightMissingAllowOriginHeader: {name: "PreflightMissingAllowOriginHeader", reason: reasonMissing, preflight: true,
		firefox: "CORSMissingAllowOrigin"},
	codePreflightMultipleAllowOriginValues: {name: "PreflightMultipleAllowOriginValues", reason: reasonMultiple, preflight: true,
		fetchHint: true, firefox: "CORSMultipleAllowOriginNotAllowed"},
	codePreflightInvalidAllowOriginValue: {name: "PreflightInvalidAllowOriginValue", reason: reasonInvalid, preflight: true,
		fetchHint: true, firefox: "CORSAllowOriginNotMatchingOrigin"},
	codePreflightAllowOriginMismatch: {name: "PreflightAllowOriginMismatch", reason: reasonMismatch, preflight: true,
		fetchHint: true, firefox: "CORSAllowOriginNotMatchingOrigin"},
	codePreflightInvalidAllowCredentials: {name: "PreflightInvalidAllowCredentials", reason: reasonCreds, preflight: true,
		xhrHint: true, firefox: "CORSMissingAllowCredentials"},
	codeInvalidAllowMethodsPreflightResponse: {name: "InvalidAllowMethodsPreflightResponse",
		reason: "Cannot parse Access-Control-Allow-Methods response header field in preflight response.", firefox: "CORSInvalidAllowMethod"},
	codeInvalidAllowHeadersPreflightResponse: {name: "InvalidAllowHeadersPreflightResponse",
		reason: "Cannot parse Access-Control-Allow-Headers response header field in preflight response.", firefox: "CORSInvalidAllowHeader"},
	codeMethodDisallowedByPreflightResponse: {name: "MethodDisallowedByPreflightResponse",
		reason: "Method {p} is not allowed by Access-Control-Allow-Methods in preflight response.", firefox: "CORSMethodNotFound"},
	codeHeaderDisallowedByPreflightResponse: {name: "HeaderDisallowedByPreflightResponse",
		reason:  "Request header field {p} is not allowed by Access-Control-Allow-Headers in preflight response.",
		firefox: "CORSMissingAllowHeaderFromPreflight"},
	codeRedirectContainsCredentials: {name: "RedirectContainsCredentials",
		reason: "Redirect location '{p}' contains a username and password, which is disallowed for cross-origin requests."},
	codeDisallowedByMode: {name: "DisallowedByMode", reason: "Cross origin requests are not allowed by request mode."},
}

func (c code) String() string { return codes[c].name }

// consoleKind is the {kind} word of the console line.
type consoleKind string

const (
	kindFetch consoleKind = "fetch"
	kindXHR   consoleKind = "XMLHttpRequest"
)

// kindFor derives the console {kind} from Chrome's HAR resource type or
// the Sec-Fetch-Dest request header. fetch() and XMLHttpRequest both send
// Sec-Fetch-Dest: empty and are told apart only by a HAR resource type, so
// an unknown initiator with dest "empty" prints as fetch.
func kindFor(resourceType, dest string) consoleKind {
	switch strings.ToLower(resourceType) {
	case "xhr":
		return kindXHR
	case "fetch":
		return kindFetch
	case "script":
		return "script"
	case "stylesheet":
		return "CSS stylesheet"
	case "image":
		return "image"
	case "font":
		return "font"
	case "manifest":
		return "manifest"
	case "texttrack":
		return "text track"
	}
	switch strings.ToLower(dest) {
	case "", "empty":
		return kindFetch
	case "script", "worker", "sharedworker", "serviceworker", "audioworklet", "paintworklet":
		return "script"
	case "style":
		return "CSS stylesheet"
	case "image":
		return "image"
	case "font":
		return "font"
	case "audio":
		return "audio"
	case "video":
		return "video"
	case "track":
		return "text track"
	case "manifest":
		return "manifest"
	case "xslt":
		return "XSL stylesheet"
	}
	return "resource"
}

// printableParam renders failed_parameter the way current Chromium prints
// it in the console: non-printable and non-ASCII characters as \uXXXX.
func printableParam(p string) string {
	clean := true
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] > 0x7e {
			clean = false
			break
		}
	}
	if clean {
		return p
	}
	var b strings.Builder
	for len(p) > 0 {
		r, size := utf8.DecodeRuneInString(p)
		if r == utf8.RuneError && size == 1 {
			r = rune(p[0])
		}
		p = p[size:]
		if r >= 0x20 && r <= 0x7e {
			b.WriteRune(r)
			continue
		}
		if r > 0xffff {
			// UTF-16 surrogate pair, as a JavaScript string would hold it.
			r -= 0x10000
			fmt.Fprintf(&b, "\\u%04X\\u%04X", 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			continue
		}
		fmt.Fprintf(&b, "\\u%04X", r)
	}
	return b.String()
}

// writeReason writes the reason part with failed_parameter filled in, plus
// the preflight prefix and the initiator suffix.
func writeReason(b *strings.Builder, c code, param string, kind consoleKind) {
	info := &codes[c]
	if info.preflight {
		b.WriteString(preflightPrefix)
	}
	before, after, hasP := strings.Cut(info.reason, "{p}")
	b.WriteString(before)
	if hasP {
		b.WriteString(printableParam(param))
		b.WriteString(after)
	}
	switch {
	case info.fetchHint && kind == kindFetch:
		b.WriteString(fetchSuffix)
	case info.xhrHint && kind == kindXHR:
		b.WriteString(xhrSuffix)
	}
}

// consoleLine builds Chromium's console message (reference/cors.md §1.1):
// Access to {kind} at '{url}' [(redirected from '{first}') ]from origin
// '{page}' has been blocked by CORS policy: {reason}.
func consoleLine(c code, param string, kind consoleKind, url, firstURL, pageOrigin string) string {
	var b strings.Builder
	b.Grow(len(url) + len(firstURL) + len(pageOrigin) + len(codes[c].reason) + len(param) + 300)
	b.WriteString("Access to ")
	b.WriteString(string(kind))
	b.WriteString(" at '")
	b.WriteString(url)
	b.WriteString("' ")
	if firstURL != "" && firstURL != url {
		b.WriteString("(redirected from '")
		b.WriteString(firstURL)
		b.WriteString("') ")
	}
	b.WriteString("from origin '")
	b.WriteString(pageOrigin)
	b.WriteString("' has been blocked by CORS policy: ")
	writeReason(&b, c, param, kind)
	return b.String()
}

// firefoxReason returns Firefox's reason name for a failure. Firefox calls
// a multi-value ACAO "multiple" only when it came in two or more lines.
func firefoxReason(c code, acaoLines int) string {
	switch c {
	case codeMultipleAllowOriginValues, codePreflightMultipleAllowOriginValues:
		if acaoLines < 2 {
			return "CORSAllowOriginNotMatchingOrigin"
		}
	}
	return codes[c].firefox
}
