package analyze

import (
	"sort"
	"strings"

	"github.com/corscope/corscope/capture"
)

// respInfo is what the checks read from one response, gathered in a single
// pass over its headers and kept with the flow, so that evaluating a flow
// again (when its pair or its API's observations change) costs no header
// scans. Values are Chromium's "normalized" ones: all lines of a header
// joined with ", ", trimmed of spaces and tabs.
type respInfo struct {
	resp *capture.Response // the response this was computed from

	acao, acac, acam, acah, aceh, acma, vary, cacheControl, location string
	contentType                                                      string
	hasACAO, hasACAC, hasACAM, hasACAH, hasACEH, hasACMA, hasVary    bool
	hasLocation                                                      bool
	acaoLines                                                        int
	// target is the resolved URL a redirect leads to ("" when this is no
	// redirect or its Location is no valid URL), set by resolve.
	target string
	// netErr is the network error Chrome fails the load with before any
	// CORS check looks at this response (netError), "" for none.
	netErr string
	// locationConflict, dispositionConflict: two lines of Location or
	// Content-Disposition with different values.
	locationConflict, dispositionConflict bool
	anyCORS                               bool // any Access-Control-* header
	// setCookie: the response carries a Set-Cookie header (cookiejar.go).
	setCookie bool

	// Parsed ACAM (case kept) and ACAH (lower case); okACAM/okACAH false
	// when the list does not parse.
	methods, headers []string
	okACAM, okACAH   bool

	// wanted are response headers a script likely reads that are neither
	// safelisted nor listed in ACEH; acehStar reports ACEH "*".
	wanted   []string
	acehStar bool
}

type respKind uint8

const (
	rkOther respKind = iota
	rkACAO
	rkACAC
	rkACAM
	rkACAH
	rkACEH
	rkACMA
	rkVary
	rkCacheControl
	rkLocation
	rkSafelisted // CORS-safelisted response header names
	rkWanted     // standard headers scripts commonly read
	rkSetCookie
)

var respKinds = map[string]respKind{
	"access-control-allow-origin":      rkACAO,
	"access-control-allow-credentials": rkACAC,
	"access-control-allow-methods":     rkACAM,
	"access-control-allow-headers":     rkACAH,
	"access-control-expose-headers":    rkACEH,
	"access-control-max-age":           rkACMA,
	"vary":                             rkVary,
	"cache-control":                    rkCacheControl,
	"location":                         rkLocation,
	"content-language":                 rkSafelisted,
	"content-length":                   rkSafelisted,
	"content-type":                     rkSafelisted,
	"expires":                          rkSafelisted,
	"last-modified":                    rkSafelisted,
	"pragma":                           rkSafelisted,
	"etag":                             rkWanted,
	"link":                             rkWanted,
	"content-disposition":              rkWanted,
	"content-range":                    rkWanted,
	"retry-after":                      rkWanted,
	"ratelimit":                        rkWanted,
	"ratelimit-limit":                  rkWanted,
	"ratelimit-remaining":              rkWanted,
	"ratelimit-reset":                  rkWanted,
	"ratelimit-policy":                 rkWanted,
	"set-cookie":                       rkSetCookie,
}

// lowerInto lower-cases name into buf when it fits, without allocating.
func lowerInto(buf []byte, name string) ([]byte, bool) {
	if len(name) > len(buf) {
		return nil, false
	}
	b := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return b, true
}

// respKindOfLower classifies a lower-case response header name (the
// respKinds table is the reference; a test keeps them equal).
func respKindOfLower(b string) respKind {
	switch b {
	case "access-control-allow-origin":
		return rkACAO
	case "access-control-allow-credentials":
		return rkACAC
	case "access-control-allow-methods":
		return rkACAM
	case "access-control-allow-headers":
		return rkACAH
	case "access-control-expose-headers":
		return rkACEH
	case "access-control-max-age":
		return rkACMA
	case "vary":
		return rkVary
	case "cache-control":
		return rkCacheControl
	case "location":
		return rkLocation
	case "set-cookie":
		return rkSetCookie
	case "content-language", "content-length", "content-type", "expires", "last-modified", "pragma":
		return rkSafelisted
	case "etag", "link", "content-disposition", "content-range", "retry-after", "ratelimit", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy":
		return rkWanted
	}
	return rkOther
}

func respKindOf(name string) (respKind, bool) {
	var buf [40]byte
	b, ok := lowerInto(buf[:], name)
	if !ok {
		return rkOther, len(name) > 15 && strings.EqualFold(name[:15], "access-control-")
	}
	k := respKindOfLower(string(b))
	return k, len(b) > 15 && string(b[:15]) == "access-control-"
}

// interned holds the lower-case spellings of the header names the
// analyzer knows, so lower-casing a known name costs no allocation.
var interned = func() map[string]string {
	m := make(map[string]string, len(respKinds)+len(headerKinds)+8)
	for k := range respKinds {
		m[k] = k
	}
	for k := range headerKinds {
		m[k] = k
	}
	for _, k := range []string{"x-total-count", "x-request-id", "x-csrf-token", "x-requested-with"} {
		m[k] = k
	}
	return m
}()

// lowerName lower-cases a header name, without allocating for names that
// are already lower case or known.
func lowerName(name string) string {
	if !hasUpperASCII(name) {
		return name
	}
	var buf [40]byte
	b, ok := lowerInto(buf[:], name)
	if !ok {
		return lowerASCII(name)
	}
	if s, ok := interned[string(b)]; ok {
		return s
	}
	return string(b)
}

// join appends v to a normalized header value.
func join(prev, v string, had bool) string {
	if !had {
		return v
	}
	return prev + ", " + v
}

func trimSP(s string) string { return strings.Trim(s, " \t") }

// scanResponse gathers a response's CORS-relevant values in one pass.
// req, the request's headers, tells which infrastructure headers the
// page deals with itself (nil: none).
func scanResponse(r *capture.Response, req capture.Headers) respInfo {
	ri := respInfo{resp: r}
	if r == nil {
		return ri
	}
	var wantedBuf [16]int
	wanted := wantedBuf[:0] // indexes of candidate header lines
	var nLoc, nDisp int
	var firstLoc, firstDisp string
	for i, kv := range r.Header {
		k, cors := respKindOf(kv.Name)
		ri.anyCORS = ri.anyCORS || cors
		switch k {
		case rkACAO:
			ri.acao, ri.hasACAO = join(ri.acao, kv.Value, ri.hasACAO), true
			ri.acaoLines++
		case rkACAC:
			ri.acac, ri.hasACAC = join(ri.acac, kv.Value, ri.hasACAC), true
		case rkACAM:
			ri.acam, ri.hasACAM = join(ri.acam, kv.Value, ri.hasACAM), true
		case rkACAH:
			ri.acah, ri.hasACAH = join(ri.acah, kv.Value, ri.hasACAH), true
		case rkACEH:
			ri.aceh, ri.hasACEH = join(ri.aceh, kv.Value, ri.hasACEH), true
		case rkACMA:
			ri.acma, ri.hasACMA = join(ri.acma, kv.Value, ri.hasACMA), true
		case rkVary:
			ri.vary, ri.hasVary = join(ri.vary, kv.Value, ri.hasVary), true
		case rkCacheControl:
			ri.cacheControl = join(ri.cacheControl, kv.Value, ri.cacheControl != "")
		case rkLocation:
			ri.noteLocation(kv.Value, &nLoc, &firstLoc)
			wanted = append(wanted, i)
		case rkWanted:
			if len(kv.Name) == 19 && strings.EqualFold(kv.Name, "content-disposition") {
				if nDisp > 0 && trimSP(kv.Value) != firstDisp {
					ri.dispositionConflict = true
				}
				if nDisp == 0 {
					firstDisp = trimSP(kv.Value)
				}
				nDisp++
			}
			wanted = append(wanted, i)
		case rkSetCookie:
			ri.setCookie = true
		case rkSafelisted:
			if len(kv.Name) == 12 && ri.contentType == "" && strings.EqualFold(kv.Name, "content-type") {
				ri.contentType = kv.Value
			}
		case rkOther:
			if len(kv.Name) > 2 && (kv.Name[0] == 'x' || kv.Name[0] == 'X') && kv.Name[1] == '-' {
				wanted = append(wanted, i)
			}
		}
	}
	ri.acao, ri.acac, ri.acam, ri.acah = trimSP(ri.acao), trimSP(ri.acac), trimSP(ri.acam), trimSP(ri.acah)
	ri.aceh, ri.acma, ri.vary = trimSP(ri.aceh), trimSP(ri.acma), trimSP(ri.vary)
	ri.methods, _, ri.okACAM = parseAllowList(ri.acam, false)
	ri.headers, _, ri.okACAH = parseAllowList(ri.acah, true)
	if len(wanted) > 0 {
		exposed, _, _ := parseAllowList(ri.aceh, true)
		ri.acehStar = containsString(exposed, "*")
		for _, i := range wanted {
			n := lowerName(r.Header[i].Name)
			if containsString(exposed, n) || containsString(ri.wanted, n) {
				continue
			}
			if strings.HasPrefix(n, "x-") && infraHeader(n) && !pageUses(req, n) {
				continue
			}
			ri.wanted = append(ri.wanted, n)
		}
		sort.Strings(ri.wanted)
	} else if ri.hasACEH {
		ri.acehStar = strings.Contains(ri.aceh, "*")
	}
	return ri
}

// scanLocation reads only the Location header, for flows no CORS check
// applies to.
func scanLocation(r *capture.Response) respInfo {
	ri := respInfo{resp: r}
	if r == nil {
		return ri
	}
	var nLoc, nDisp int
	var firstLoc, firstDisp string
	for _, kv := range r.Header {
		switch {
		case len(kv.Name) == 8 && strings.EqualFold(kv.Name, "Location"):
			ri.noteLocation(kv.Value, &nLoc, &firstLoc)
		case len(kv.Name) == 10 && strings.EqualFold(kv.Name, "Set-Cookie"):
			ri.setCookie = true
		case len(kv.Name) == 19 && strings.EqualFold(kv.Name, "Content-Disposition"):
			if nDisp > 0 && trimSP(kv.Value) != firstDisp {
				ri.dispositionConflict = true
			}
			if nDisp == 0 {
				firstDisp = trimSP(kv.Value)
			}
			nDisp++
		}
	}
	return ri
}

// noteLocation records one Location line. Like Chromium, the redirect
// target is the first non-empty value (an empty Location makes no
// redirect), and two lines that differ are a conflict.
func (ri *respInfo) noteLocation(v string, n *int, first *string) {
	v = trimSP(v)
	if *n > 0 && v != *first {
		ri.locationConflict = true
	}
	if *n == 0 {
		*first = v
	}
	*n++
	if !ri.hasLocation && v != "" {
		ri.location, ri.hasLocation = v, true
	}
}

// netError is the error Chrome's network stack fails the load with before
// CORS sees the response (measured in Chromium 156 for preflights, agreement
// scenarios p40/p41):
//   - two Location (or Content-Disposition) lines with different values,
//     which it refuses as possible response smuggling;
//   - a redirect whose Location is no valid URL.
func (ri *respInfo) netError() string {
	switch {
	case ri.resp == nil:
		return ""
	case ri.locationConflict:
		return "net::ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION"
	case ri.dispositionConflict:
		return "net::ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_DISPOSITION"
	case ri.isRedirect() && ri.target == "":
		return "net::ERR_INVALID_REDIRECT"
	}
	return ""
}

// resolve fills what depends on the request URL: the redirect target and
// the network error, once per response.
func (ri *respInfo) resolve(reqURL string) {
	if ri.isRedirect() {
		ri.target = resolveLocation(reqURL, ri.location)
	}
	ri.netErr = ri.netError()
}

// unexposed lists the headers a script likely wants but cannot read.
func (ri *respInfo) unexposed(include bool) []string {
	if !include && ri.acehStar {
		return nil
	}
	return ri.wanted
}

// unhandled reports an OPTIONS answered by routing or auth: 401, 403, 404
// or 405 with no CORS header at all.
func (ri *respInfo) unhandled() bool {
	if ri.resp == nil || ri.anyCORS {
		return false
	}
	switch ri.resp.Status {
	case 401, 403, 404, 405:
		return true
	}
	return false
}

// isRedirect reports a redirect the browser follows: 301, 302, 303, 307
// or 308 with a non-empty Location (a 300, a 304 or a 3xx without one is
// an ordinary response; agreement scenarios p32–p39).
func (ri *respInfo) isRedirect() bool {
	return ri.resp != nil && isRedirectStatus(ri.resp.Status) && ri.hasLocation
}

// varyHasOrigin reports Vary: Origin (or Vary: *).
func (ri *respInfo) varyHasOrigin() bool {
	if !ri.hasVary {
		return false
	}
	v := ri.vary
	for len(v) > 0 {
		var p string
		if i := strings.IndexByte(v, ','); i >= 0 {
			p, v = v[:i], v[i+1:]
		} else {
			p, v = v, ""
		}
		p = trimListSpace(p)
		if p == "*" || strings.EqualFold(p, "origin") {
			return true
		}
	}
	return false
}
