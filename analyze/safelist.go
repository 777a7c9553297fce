package analyze

import (
	"sort"
	"strconv"
	"strings"

	"github.com/corscope/corscope/capture"
)

// hdrKind classifies a request header name for the preflight decision
// (reference/cors.md §2a).
type hdrKind uint8

const (
	hkOther     hdrKind = iota // author-settable, CORS-unsafe
	hkForbidden                // browser-controlled: never counts
	// hkBrowser: not forbidden, but on the wire it is normally the
	// browser's own (cache modes, revalidation, priority hints). It only
	// counts when a paired preflight's ACRH names it.
	hkBrowser
	hkAuthorization // script-set, or added by the browser from its HTTP-auth cache
	hkAccept
	hkLanguage // Accept-Language, Content-Language
	hkContentType
	hkRange
	hkIntervention // Chromium-only safelist, any value
	hkDoubleHint   // DPR, Device-Memory, Downlink: 1*DIGIT ["." 1*DIGIT]
	hkIntHint      // Width, Viewport-Width, RTT: 1*DIGIT
	hkECT          // ECT: an effective connection type name
	hkSaveData     // Save-Data: on
	hkMethodOverride
)

// headerKinds holds the lower-case names with a special meaning. Anything
// else is hkOther (or forbidden by prefix).
var headerKinds = map[string]hdrKind{
	// Forbidden request headers (Fetch, plus Chromium's User-Agent).
	"accept-charset":                         hkForbidden,
	"accept-encoding":                        hkForbidden,
	"access-control-request-headers":         hkForbidden,
	"access-control-request-method":          hkForbidden,
	"access-control-request-private-network": hkForbidden,
	"connection":                             hkForbidden,
	"content-length":                         hkForbidden,
	"cookie":                                 hkForbidden,
	"cookie2":                                hkForbidden,
	"date":                                   hkForbidden,
	"dnt":                                    hkForbidden,
	"expect":                                 hkForbidden,
	"host":                                   hkForbidden,
	"keep-alive":                             hkForbidden,
	"origin":                                 hkForbidden,
	"referer":                                hkForbidden,
	"set-cookie":                             hkForbidden,
	"te":                                     hkForbidden,
	"trailer":                                hkForbidden,
	"transfer-encoding":                      hkForbidden,
	"upgrade":                                hkForbidden,
	"user-agent":                             hkForbidden,
	"via":                                    hkForbidden,
	"x-http-method":                          hkMethodOverride,
	"x-http-method-override":                 hkMethodOverride,
	"x-method-override":                      hkMethodOverride,

	// Added by the browser itself: HTTP-cache revalidation and cache modes
	// (DevTools "Disable cache" adds Cache-Control and Pragma), priority
	// hints, Chrome's variations header, navigation-only headers.
	"cache-control":             hkBrowser,
	"pragma":                    hkBrowser,
	"if-modified-since":         hkBrowser,
	"if-none-match":             hkBrowser,
	"if-range":                  hkBrowser,
	"priority":                  hkBrowser,
	"x-client-data":             hkBrowser,
	"upgrade-insecure-requests": hkBrowser,
	"purpose":                   hkBrowser,

	"authorization":    hkAuthorization,
	"accept":           hkAccept,
	"accept-language":  hkLanguage,
	"content-language": hkLanguage,
	"content-type":     hkContentType,
	"range":            hkRange,
	"intervention":     hkIntervention,
	"dpr":              hkDoubleHint,
	"device-memory":    hkDoubleHint,
	"downlink":         hkDoubleHint,
	"width":            hkIntHint,
	"viewport-width":   hkIntHint,
	"rtt":              hkIntHint,
	"ect":              hkECT,
	"save-data":        hkSaveData,
}

// kindOfLower classifies a lower-case header name. A switch on string
// constants compiles to a search that beats a map lookup here; the
// headerKinds table stays the reference (a test keeps them equal).
func kindOfLower(b string) hdrKind {
	switch b {
	case "accept-charset", "accept-encoding", "access-control-request-headers", "access-control-request-method", "access-control-request-private-network", "connection", "content-length", "cookie", "cookie2", "date", "dnt", "expect", "host", "keep-alive", "origin", "referer", "set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "via":
		return hkForbidden
	case "x-http-method", "x-http-method-override", "x-method-override":
		return hkMethodOverride
	case "cache-control", "pragma", "if-modified-since", "if-none-match", "if-range", "priority", "x-client-data", "upgrade-insecure-requests", "purpose":
		return hkBrowser
	case "authorization":
		return hkAuthorization
	case "accept":
		return hkAccept
	case "accept-language", "content-language":
		return hkLanguage
	case "content-type":
		return hkContentType
	case "range":
		return hkRange
	case "intervention":
		return hkIntervention
	case "dpr", "device-memory", "downlink":
		return hkDoubleHint
	case "width", "viewport-width", "rtt":
		return hkIntHint
	case "ect":
		return hkECT
	case "save-data":
		return hkSaveData
	}
	return hkOther
}

// headerKindOf classifies name without allocating.
func headerKindOf(name string) hdrKind {
	if name == "" || name[0] == ':' { // HTTP/2 pseudo-headers in HAR files
		return hkForbidden
	}
	var buf [48]byte
	if len(name) > len(buf) {
		l := lowerASCII(name)
		if strings.HasPrefix(l, "proxy-") || strings.HasPrefix(l, "sec-") {
			return hkForbidden
		}
		return hkOther
	}
	b := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	if len(b) >= 4 && string(b[:4]) == "sec-" || len(b) >= 6 && string(b[:6]) == "proxy-" {
		return hkForbidden
	}
	if len(b) >= 11 && string(b[:11]) == "x-devtools-" {
		// Added by DevTools itself while it is open (older Chrome HARs).
		return hkBrowser
	}
	return kindOfLower(string(b))
}

// isForbiddenRequestHeader reports whether scripts cannot set name at all.
func isForbiddenRequestHeader(name, value string) bool {
	switch headerKindOf(name) {
	case hkForbidden:
		return true
	case hkMethodOverride:
		for _, m := range strings.Split(value, ",") {
			switch strings.ToUpper(trimListSpace(m)) {
			case "CONNECT", "TRACE", "TRACK":
				return true
			}
		}
	}
	return false
}

// isCORSUnsafeByte is Fetch's CORS-unsafe request-header byte.
func isCORSUnsafeByte(c byte) bool {
	if c < 0x20 && c != '\t' {
		return true
	}
	switch c {
	case '"', '(', ')', ':', '<', '>', '?', '@', '[', '\\', ']', '{', '}', 0x7f:
		return true
	}
	return false
}

func hasCORSUnsafeByte(v string) bool {
	for i := 0; i < len(v); i++ {
		if isCORSUnsafeByte(v[i]) {
			return true
		}
	}
	return false
}

// isSafelistedHeader reports whether a header of kind k with value v is a
// CORS-safelisted request header in Chromium (the Fetch list plus
// Chromium's client hints and Intervention).
func isSafelistedHeader(k hdrKind, v string) bool {
	if len(v) > 128 {
		return false
	}
	switch k {
	case hkAccept:
		return !hasCORSUnsafeByte(v)
	case hkLanguage:
		for i := 0; i < len(v); i++ {
			c := v[i]
			switch {
			case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
			case c == ' ', c == '*', c == ',', c == '-', c == '.', c == ';', c == '=':
			default:
				return false
			}
		}
		return true
	case hkContentType:
		return isSafelistedContentType(v)
	case hkRange:
		return isSimpleRange(v)
	case hkIntervention:
		return true
	case hkDoubleHint:
		return isDecimalHint(v)
	case hkIntHint:
		return v != "" && allDigits(v)
	case hkECT:
		switch v {
		case "slow-2g", "2g", "3g", "4g":
			return true
		}
		return false
	case hkSaveData:
		return strings.EqualFold(v, "on")
	}
	return false
}

// isSafelistedContentType: no CORS-unsafe byte, parses as a MIME type, and
// the essence is one of the three form encodings. Parameters are allowed.
func isSafelistedContentType(v string) bool {
	if hasCORSUnsafeByte(v) {
		return false
	}
	essence, ok := mimeEssence(v)
	if !ok {
		return false
	}
	switch essence {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}

// mimeEssence extracts type/subtype, lower-cased, from a media type. The
// type and subtype must be non-empty HTTP tokens.
func mimeEssence(v string) (string, bool) {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	v = strings.Trim(v, " \t\r\n")
	slash := strings.IndexByte(v, '/')
	if slash <= 0 || slash == len(v)-1 {
		return "", false
	}
	if !isToken(v[:slash]) || !isToken(v[slash+1:]) {
		return "", false
	}
	return lowerASCII(v), true
}

// isSimpleRange: a single "bytes=N-" or "bytes=N-M" (N <= M), no
// whitespace, no comma, no suffix range.
func isSimpleRange(v string) bool {
	if strings.ContainsAny(v, " \t,") {
		return false
	}
	v = lowerASCII(v)
	rest, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return false
	}
	first, last, ok := strings.Cut(rest, "-")
	if !ok || first == "" || !allDigits(first) {
		return false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return false
	}
	if last == "" {
		return true
	}
	if !allDigits(last) {
		return false
	}
	end, err := strconv.ParseInt(last, 10, 64)
	return err == nil && start <= end
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isDecimalHint matches 1*DIGIT ["." 1*DIGIT].
func isDecimalHint(v string) bool {
	whole, frac, dot := strings.Cut(v, ".")
	if whole == "" || !allDigits(whole) {
		return false
	}
	return !dot || (frac != "" && allDigits(frac))
}

// isSafelistedMethod: GET, HEAD or POST, compared case-insensitively.
func isSafelistedMethod(m string) bool {
	return strings.EqualFold(m, "GET") || strings.EqualFold(m, "HEAD") || strings.EqualFold(m, "POST")
}

// authzByBrowser reports whether an Authorization value looks like one the
// browser adds from its HTTP-auth cache (Basic, Digest, Negotiate, NTLM)
// rather than a script's token (Bearer and everything else).
func authzByBrowser(v string) bool {
	scheme, _, _ := strings.Cut(strings.TrimSpace(v), " ")
	for _, s := range [...]string{"basic", "digest", "negotiate", "ntlm"} {
		if strings.EqualFold(scheme, s) {
			return true
		}
	}
	return false
}

// unsafeRequestHeaders computes, from the headers seen on the wire, the
// lower-cased, sorted CORS-unsafe header names a script must have set
// (reference/cors.md §2a step 5): forbidden and browser-added headers are
// skipped, as is Authorization when authzBrowser says the browser added
// it. It also reports whether a Chromium-only safelisted header was
// present (Firefox would preflight).
func unsafeRequestHeaders(h capture.Headers, authzBrowser bool) (_ []string, chromiumOnly bool) {
	var safeNames, unsafeNames [8]string
	safe := safeNames[:0]
	unsafe := unsafeNames[:0] // copied out at the end in one allocation
	safeSize := 0
	for i, kv := range h {
		k := headerKindOf(kv.Name)
		switch k {
		case hkForbidden, hkBrowser:
			continue
		case hkMethodOverride:
			if isForbiddenRequestHeader(kv.Name, kv.Value) {
				continue
			}
		case hkAuthorization:
			if authzBrowser {
				continue
			}
		}
		v := kv.Value
		if repeated(h, i) {
			if seenBefore(h, i) {
				continue
			}
			v, _ = h.Joined(kv.Name)
		}
		if isSafelistedHeader(k, v) {
			safe = append(safe, kv.Name)
			safeSize += len(v)
			if k >= hkIntervention && k <= hkSaveData {
				chromiumOnly = true
			}
			continue
		}
		unsafe = append(unsafe, lowerName(kv.Name))
	}
	if safeSize > 1024 {
		for _, n := range safe {
			unsafe = append(unsafe, lowerName(n))
		}
		chromiumOnly = false
	}
	if len(unsafe) == 0 {
		return nil, chromiumOnly
	}
	if len(unsafe) > 1 {
		sort.Strings(unsafe)
		unsafe = dedupSorted(unsafe)
	}
	return append([]string(nil), unsafe...), chromiumOnly
}

// seenBefore reports whether h[i]'s name already occurred in h[:i].
func seenBefore(h capture.Headers, i int) bool {
	for j := 0; j < i; j++ {
		if nameEqual(h[j].Name, h[i].Name) {
			return true
		}
	}
	return false
}

// repeated reports whether h[i]'s name occurs elsewhere in h.
func repeated(h capture.Headers, i int) bool {
	for j := range h {
		if j != i && nameEqual(h[j].Name, h[i].Name) {
			return true
		}
	}
	return false
}

// nameEqual compares header names case-insensitively. Names are HTTP
// tokens (ASCII), so names of different lengths differ: most comparisons
// end there.
func nameEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}
