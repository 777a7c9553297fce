package analyze

import (
	"strings"

	"github.com/corscope/corscope/capture"
)

// class is what the request alone says about a flow (reference/cors.md §3,
// §4 step 1, §7). It is computed once, when the flow is first seen.
type class struct {
	origin    string // the Origin header as sent (trimmed), "" if none
	hasOrigin bool
	target    origin // origin of the request URL
	// cross is Chromium's CORS flag as the wire shows it: an Origin was
	// sent and differs from the URL's origin (a tainted "null" always does).
	cross    bool
	sameSite bool

	preflight bool     // OPTIONS with Origin and Access-Control-Request-Method
	acrm      string   // Access-Control-Request-Method
	acrh      []string // Access-Control-Request-Headers, lower-cased, sorted

	mode      string // effective mode: cors, no-cors, navigate, same-origin, websocket; "" unknown
	modeKnown bool   // mode came from Sec-Fetch-Mode
	// dest is Sec-Fetch-Dest, or, when neither it nor a HAR resource type
	// was recorded, the destination the request's own headers betray
	// (inferDest); destInferred says which.
	dest         string
	destInferred bool
	// initiatorUnknown: no destination was recorded or inferred, and no
	// HAR resource type, so fetch() and an element are both possible.
	initiatorUnknown bool
	kind             consoleKind
	// fromStylesheet: a GET whose Referer is a stylesheet. CSS starts CORS
	// loads only for fonts and mask/shape images, all in credentials mode
	// same-origin (reference/cors.md §2d), so such a request never
	// carries credentials to another origin.
	fromStylesheet bool

	cookie    bool   // a Cookie header was sent
	authz     bool   // an Authorization header was sent
	authzBrow bool   // its scheme is one the browser's HTTP-auth cache adds
	referer   string // Referer, for the page origin of tainted chains

	// wireUnsafe are the CORS-unsafe names computed from the wire headers
	// (used when no preflight is paired); chromiumOnly reports a header
	// only Chromium safelists. wireNeedsPreflight combines them with the
	// method.
	wireUnsafe         []string
	chromiumOnly       bool
	wireNeedsPreflight bool

	revalidation bool // If-None-Match / If-Modified-Since: a browser cache revalidation

	// chrome is the Chrome major version of a browser-recorded flow's
	// User-Agent (0 unknown), and recordDecides whether that browser's
	// record of the outcome settles what the wire cannot (record.go).
	chrome        int
	recordDecides bool
}

type reqKind uint8

const (
	rqOther reqKind = iota
	rqOrigin
	rqAccept
	rqSite
	rqMode
	rqDest
	rqCookie
	rqAuthorization
	rqReferer
	rqConditional
	rqACRM
	rqACRH
	rqUpgrade
	rqUserAgent
)

// reqKindOf classifies a request header name, case-insensitively. It
// dispatches on the length first: most headers are rejected without
// comparing a single byte.
func reqKindOf(n string) reqKind {
	eq := nameEqual
	switch len(n) {
	case 6:
		switch {
		case eq(n, "origin"):
			return rqOrigin
		case eq(n, "cookie"):
			return rqCookie
		case eq(n, "accept"):
			return rqAccept
		}
	case 7:
		switch {
		case eq(n, "referer"):
			return rqReferer
		case eq(n, "upgrade"):
			return rqUpgrade
		}
	case 10:
		if eq(n, "user-agent") {
			return rqUserAgent
		}
	case 13:
		switch {
		case eq(n, "authorization"):
			return rqAuthorization
		case eq(n, "if-none-match"):
			return rqConditional
		}
	case 14:
		if len(n) == 14 && eq(n[:10], "sec-fetch-") {
			switch {
			case eq(n[10:], "site"):
				return rqSite
			case eq(n[10:], "mode"):
				return rqMode
			case eq(n[10:], "dest"):
				return rqDest
			}
		}
	case 17:
		if eq(n, "if-modified-since") {
			return rqConditional
		}
	case 29:
		if eq(n, "access-control-request-method") {
			return rqACRM
		}
	case 30:
		if eq(n, "access-control-request-headers") {
			return rqACRH
		}
	}
	return rqOther
}

// classifyOrigin reads the request of f, in one pass over its headers, and
// also returns the parsed Origin header (opaque when absent).
func classifyOrigin(f *capture.Flow) (class, origin) {
	var c class
	h := f.Request.Header
	var site, mode, dest, authz, acrh, upgrade, accept, ua string
	var hasACRM bool
	var reqOrigin origin
	for _, kv := range h {
		switch reqKindOf(kv.Name) {
		case rqOrigin:
			c.origin, c.hasOrigin = join(c.origin, kv.Value, c.hasOrigin), true
		case rqSite:
			site = kv.Value
		case rqMode:
			mode = kv.Value
		case rqDest:
			dest = kv.Value
		case rqAccept:
			accept = kv.Value
		case rqCookie:
			c.cookie = true
		case rqAuthorization:
			if !c.authz {
				authz, c.authz = kv.Value, true
			}
		case rqReferer:
			c.referer = kv.Value
		case rqConditional:
			c.revalidation = true
		case rqACRM:
			c.acrm, hasACRM = join(c.acrm, kv.Value, hasACRM), true
		case rqACRH:
			acrh = join(acrh, kv.Value, acrh != "")
		case rqUpgrade:
			upgrade = kv.Value
		case rqUserAgent:
			ua = kv.Value
		}
	}
	if c.hasOrigin {
		c.origin = trimSP(c.origin)
		reqOrigin = parseOrigin(c.origin)
	}
	c.target = parseOrigin(f.Request.URL).withSpace()
	if c.hasOrigin {
		c.cross = c.origin == "null" || reqOrigin.Opaque || reqOrigin.Serialized != c.target.Serialized
	}
	site = lowerASCII(site)
	switch {
	case site == "same-origin" || site == "same-site":
		c.sameSite = true
	case site == "cross-site":
		c.sameSite = false
	case c.hasOrigin:
		c.sameSite = sameSite(reqOrigin, c.target)
	default:
		c.sameSite = true // no Origin: same-origin or a navigation; nothing to compare
	}
	if c.authz {
		c.authzBrow = authzByBrowser(authz)
	}
	if f.BrowserRecorded {
		c.chrome = chromeMajor(ua)
		c.recordDecides = c.chrome >= minRecordChrome
	}
	c.dest = lowerASCII(dest)
	isGet := strings.EqualFold(f.Request.Method, "GET")
	if c.dest == "" && f.ResourceType == "" && c.hasOrigin && isGet {
		c.dest = inferDest(accept, c.referer)
		c.destInferred = c.dest != ""
	}
	c.kind = kindFor(f.ResourceType, c.dest)
	c.initiatorUnknown = c.dest == "" && f.ResourceType == ""
	if isGet && c.referer != "" {
		switch c.dest {
		case "", "font", "image":
			c.fromStylesheet = isStylesheetURL(c.referer)
		}
	}

	if hasACRM && c.hasOrigin && strings.EqualFold(f.Request.Method, "OPTIONS") {
		c.preflight = true
		c.acrm = trimSP(c.acrm)
		c.acrh = parseRequestHeaderList(acrh)
		c.mode, c.modeKnown = "cors", true
		return c, reqOrigin
	}
	c.acrm = ""

	if c.hasOrigin { // the preflight decision only matters to CORS requests
		c.wireUnsafe, c.chromiumOnly = unsafeRequestHeaders(h, c.authzBrow)
		c.wireNeedsPreflight = !isSafelistedMethod(f.Request.Method) || len(c.wireUnsafe) > 0
	}

	if mode != "" {
		c.mode, c.modeKnown = lowerASCII(mode), true
		return c, reqOrigin
	}
	switch {
	case f.Upgraded || strings.EqualFold(upgrade, "websocket"):
		c.mode = "websocket"
	case strings.EqualFold(f.ResourceType, "document") || strings.EqualFold(f.ResourceType, "websocket"):
		c.mode = "navigate"
		if strings.EqualFold(f.ResourceType, "websocket") {
			c.mode = "websocket"
		}
	case !c.hasOrigin:
		// Same-origin GETs, no-cors GETs and navigations carry no Origin.
	case strings.EqualFold(f.Request.Method, "GET") || strings.EqualFold(f.Request.Method, "HEAD"):
		// Chromium sends Origin on a GET/HEAD only for CORS requests.
		c.mode = "cors"
	case c.wireNeedsPreflight:
		// no-cors and navigations cannot use such methods or headers.
		c.mode = "cors"
	case strings.EqualFold(f.ResourceType, "xhr") || strings.EqualFold(f.ResourceType, "fetch"):
		c.mode = "cors"
	}
	return c, reqOrigin
}

// corsChecked reports whether the browser CORS-checks this request's
// responses, or might (mode unknown).
func (c *class) corsChecked() bool {
	return c.hasOrigin && c.cross && (c.mode == "cors" || c.mode == "")
}

// notCORSReason says why a flow is not CORS-checked, in plain words.
func (c *class) notCORSReason(f *flowView) string {
	switch {
	case c.mode == "websocket":
		return "A WebSocket connection: browsers do no CORS check on it (the server should check the Origin header itself)."
	case c.mode == "navigate" || c.mode == "nested-navigate":
		return "A navigation (page load or form submission): CORS does not apply to navigations."
	case !c.hasOrigin:
		return "No Origin header: a same-origin request, a navigation or a no-cors load (an <img> or <script> without crossorigin), none of which the browser CORS-checks."
	case !c.cross:
		return "Same origin: the page and " + c.target.Serialized + " share scheme, host and port, so the browser does no CORS check."
	case c.mode == "no-cors":
		return "Mode no-cors: the browser does no CORS check and hands the page an opaque response (status 0, no headers, no body)."
	case c.mode == "same-origin":
		return "Mode same-origin: the request must stay on the page's origin; it is not CORS-checked."
	}
	return "The browser does no CORS check on this request (mode " + c.mode + ")."
}

// inferDest guesses the destination of a cross-origin GET that recorded
// neither Sec-Fetch-Dest (Chrome before 76, plain-http sites) nor a HAR
// resource type, from what only the browser's own loaders send:
//   - Accept "text/css,…": Chromium's Accept for stylesheets (fetch() and
//     XMLHttpRequest send "*/*" unless a script sets it);
//   - Accept "image/…": Chromium's Accept for images;
//   - a Referer that is a stylesheet: CSS loads fonts in CORS mode.
//
// Anything else stays unknown (""): scripts, fonts and fetch() all send
// "*/*".
func inferDest(accept, referer string) string {
	a := trimSP(accept)
	switch {
	case hasPrefixFold(a, "text/css"):
		return "style"
	case hasPrefixFold(a, "image/"):
		return "image"
	case referer != "" && isStylesheetURL(referer):
		return "font"
	}
	return ""
}

// isStylesheetURL reports a URL whose path ends in ".css" (query and
// fragment aside): the Referer of a request a stylesheet started.
func isStylesheetURL(u string) bool {
	if i := queryStart(u); i >= 0 {
		u = u[:i]
	}
	return len(u) > 4 && strings.EqualFold(u[len(u)-4:], ".css")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
