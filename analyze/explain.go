package analyze

import (
	"strconv"
	"strings"

	"github.com/corscope/corscope/capture"
)

// failure describes one failed check for the explanation and the header
// references: which flow's response failed, against which origin, for
// which request.
type failure struct {
	r         result
	resp      *capture.Response
	respFlow  capture.FlowID // the flow holding resp
	reqFlow   capture.FlowID // the flow holding the request headers named (ACRM/ACRH on a preflight)
	origin    string         // the Origin sent on that hop
	page      string         // the page origin
	include   bool
	method    string   // the actual request's method
	unsafe    []string // the actual request's unsafe header names
	url       string
	first     string // the first URL of the redirect chain, "" when url is it
	neverSent bool   // the actual request was not sent (preflight failure)
	// words names the credentials modes and the failure in the terms of
	// the request's initiator (fetch/XHR or an element).
	words *initiatorWords
}

// refs and text for each CorsError.
func (x *failure) explain() (string, []HeaderRef) {
	var b strings.Builder
	b.Grow(512) // most explanations fit: one allocation
	var refs []HeaderRef
	resp := x.resp
	w := x.words
	if w == nil {
		w = &fetchWords
	}
	status := 0
	if resp != nil {
		status = resp.Status
	}
	acao, hasACAO := "", false
	acac, hasACAC := "", false
	if resp != nil {
		acao, hasACAO = resp.Header.Joined(hACAO)
		acac, hasACAC = resp.Header.Joined(hACAC)
	}
	want := x.origin
	// After a redirect across origins the browser sends Origin: null,
	// which only "null" (dangerous) or "*" match: the fix is the redirect,
	// never a header value naming null.
	tainted := x.origin == "null" && x.page != "null"
	wantRef := want
	if tainted {
		wantRef = "no cross-origin redirect before this request (after one, Origin is null and no safe value matches)"
	}
	respRef := func(name, value string, missing bool, want string) {
		refs = append(refs, HeaderRef{Flow: x.respFlow, Side: SideResponse, Name: name, Value: value, Missing: missing, Want: want})
	}
	acaoRef := func() {
		if hasACAO {
			respRef(hACAO, acao, false, wantRef)
		} else {
			respRef(hACAO, "", true, wantRef)
		}
	}
	preflightIntro := func() {
		b.WriteString("Before sending the ")
		b.WriteString(x.method)
		b.WriteString(" request, Chrome asked the server for permission with a preflight OPTIONS request. ")
	}
	neverSent := func() {
		if x.neverSent {
			b.WriteString(" The actual ")
			b.WriteString(x.method)
			b.WriteString(" request was never sent.")
		}
	}
	switch x.r.code {
	case codeMissingAllowOriginHeader, codePreflightMissingAllowOriginHeader:
		if x.r.code == codePreflightMissingAllowOriginHeader {
			preflightIntro()
			b.WriteString("Its response (")
			b.WriteString(statusText(resp))
			b.WriteString(") has no Access-Control-Allow-Origin header, so the answer is no.")
			neverSent()
			if preflightUnhandled(resp) {
				b.WriteString(" A ")
				b.WriteString(strconv.Itoa(status))
				b.WriteString(" without any CORS header usually means nothing handles OPTIONS for this path: routing or authentication answered before the CORS layer ran. Put the CORS middleware before routes and auth (or answer OPTIONS with 204 and the Access-Control-Allow-* headers).")
			} else if !tainted {
				b.WriteString(" The OPTIONS response must carry Access-Control-Allow-Origin: ")
				b.WriteString(want)
				b.WriteString(".")
			}
		} else {
			b.WriteString("The server answered (")
			b.WriteString(statusText(resp))
			b.WriteString(") without an Access-Control-Allow-Origin header, so Chrome hid the response from the page at ")
			b.WriteString(x.page)
			b.WriteString(" (")
			b.WriteString(w.failed)
			b.WriteString("). The request itself did reach the server.")
			if !tainted {
				b.WriteString(" Add Access-Control-Allow-Origin: ")
				b.WriteString(want)
				b.WriteString(" to this response.")
			}
			switch {
			case isRedirect(resp):
				b.WriteString(" This is a redirect: Chrome checks CORS on every redirect response too, so the ")
				b.WriteString(strconv.Itoa(status))
				b.WriteString(" itself needs the header.")
			case status >= 400:
				b.WriteString(" Error responses often bypass the CORS middleware (an exception handler or proxy answered first); make sure 4xx/5xx answers get the header as well.")
			}
		}
		acaoRef()
	case codeWildcardOriginNotAllowed, codePreflightWildcardOriginNotAllowed:
		if x.r.code == codePreflightWildcardOriginNotAllowed {
			preflightIntro()
			b.WriteString("Its response")
		} else {
			b.WriteString("The response")
		}
		b.WriteString(" says Access-Control-Allow-Origin: *, but the request is made with credentials (cookies or HTTP auth; ")
		b.WriteString(w.withCreds)
		b.WriteString("), and '*' is not accepted then.")
		if !tainted {
			b.WriteString(" Answer with the exact origin ")
			b.WriteString(want)
			b.WriteString(" and Access-Control-Allow-Credentials: true, or ")
			b.WriteString(w.dropCreds)
			b.WriteString(".")
		}
		neverSent()
		acaoRef()
		if acac != "true" {
			respRef(hACAC, acac, !hasACAC, "true")
		}
	case codeMultipleAllowOriginValues, codePreflightMultipleAllowOriginValues:
		if x.r.code == codePreflightMultipleAllowOriginValues {
			preflightIntro()
			b.WriteString("Its Access-Control-Allow-Origin")
		} else {
			b.WriteString("Access-Control-Allow-Origin")
		}
		b.WriteString(" holds several values ('")
		b.WriteString(acao)
		b.WriteString("'), but it must be exactly one origin.")
		if resp != nil && resp.Header.Count(hACAO) > 1 {
			b.WriteString(" It came in ")
			b.WriteString(strconv.Itoa(resp.Header.Count(hACAO)))
			b.WriteString(" separate lines: CORS is added twice, typically by the application and again by a proxy or CDN in front of it. Keep only one layer.")
		} else {
			b.WriteString(" A list is never allowed: pick the request's origin from your allow-list and send only that one.")
		}
		neverSent()
		acaoRef()
	case codeInvalidAllowOriginValue, codePreflightInvalidAllowOriginValue:
		if x.r.code == codePreflightInvalidAllowOriginValue {
			preflightIntro()
			b.WriteString("Its Access-Control-Allow-Origin")
		} else {
			b.WriteString("Access-Control-Allow-Origin")
		}
		if acao == "" {
			b.WriteString(" is present but empty")
		} else {
			b.WriteString(" is '")
			b.WriteString(acao)
			b.WriteString("', which is not an origin")
		}
		if tainted {
			b.WriteString(".")
		} else {
			b.WriteString(". It must be a full origin with scheme, host and port, exactly: ")
			b.WriteString(want)
			b.WriteString(" (patterns such as *.example.com are not supported; match the Origin against an allow-list on the server).")
		}
		neverSent()
		acaoRef()
	case codeAllowOriginMismatch, codePreflightAllowOriginMismatch:
		if x.r.code == codePreflightAllowOriginMismatch {
			preflightIntro()
			b.WriteString("Its Access-Control-Allow-Origin")
		} else {
			b.WriteString("Access-Control-Allow-Origin")
		}
		b.WriteString(" is '")
		b.WriteString(acao)
		b.WriteString("' but the request's Origin was '")
		b.WriteString(x.origin)
		b.WriteString("'. They must match byte for byte.")
		if !tainted {
			b.WriteString(mismatchHint(acao, x.origin))
		}
		neverSent()
		acaoRef()
	case codeInvalidAllowCredentials, codePreflightInvalidAllowCredentials:
		if x.r.code == codePreflightInvalidAllowCredentials {
			preflightIntro()
			b.WriteString("The request will carry credentials (cookies or HTTP auth; ")
			b.WriteString(w.withCreds)
			b.WriteString("), so the preflight response must also say Access-Control-Allow-Credentials: true")
		} else {
			b.WriteString("The request carries credentials (cookies or HTTP auth; ")
			b.WriteString(w.withCreds)
			b.WriteString("), so the response must also say Access-Control-Allow-Credentials: true")
		}
		if hasACAC {
			b.WriteString(" (exactly, lower case); it says '")
			b.WriteString(acac)
			b.WriteString("'.")
			respRef(hACAC, acac, false, "true")
		} else {
			b.WriteString("; the header is missing.")
			respRef(hACAC, "", true, "true")
		}
		neverSent()
	case codePreflightInvalidStatus:
		preflightIntro()
		b.WriteString("Its response passed the origin check but has status ")
		b.WriteString(statusText(resp))
		b.WriteString("; a preflight must be answered with a 2xx status (200 or 204).")
		if status == 401 || status == 403 {
			b.WriteString(" Authentication ran on the OPTIONS request: browsers never send credentials on a preflight, so let OPTIONS through before the auth check.")
		} else if status == 404 || status == 405 {
			b.WriteString(" The OPTIONS route is not handled; answer OPTIONS for this path with 204.")
		}
		neverSent()
	case codePreflightDisallowedRedirect:
		preflightIntro()
		loc := ""
		if resp != nil {
			loc = firstLocation(resp.Header)
		}
		b.WriteString("The server answered it with a redirect (")
		b.WriteString(statusText(resp))
		if loc != "" {
			b.WriteString(" to ")
			b.WriteString(loc)
		}
		b.WriteString("), and browsers never follow redirects for a preflight. Call the final URL directly (often an http→https or trailing-slash redirect), or answer OPTIONS before the redirect rule.")
		neverSent()
		respRef("Location", loc, false, "no redirect: answer the OPTIONS with 204 and the CORS headers")
	case codeInvalidAllowMethodsPreflightResponse, codeInvalidAllowHeadersPreflightResponse:
		name, lower := hACAM, false
		if x.r.code == codeInvalidAllowHeadersPreflightResponse {
			name, lower = hACAH, true
		}
		val, _ := resp.Header.Joined(name)
		_, bad, _ := parseAllowList(val, lower)
		preflightIntro()
		b.WriteString("Its ")
		b.WriteString(name)
		b.WriteString(" value '")
		b.WriteString(val)
		b.WriteString("' cannot be parsed: '")
		b.WriteString(bad)
		b.WriteString("' is not a single name. Separate the names with commas, e.g. '")
		if lower {
			b.WriteString("content-type, authorization")
		} else {
			b.WriteString("GET, POST, PUT")
		}
		b.WriteString("'.")
		neverSent()
		respRef(name, val, false, "a comma-separated list of names")
	case codeMethodDisallowedByPreflightResponse:
		val, has := resp.Header.Joined(hACAM)
		preflightIntro()
		b.WriteString("It asked whether ")
		b.WriteString(x.r.param)
		b.WriteString(" is allowed, and ")
		if has {
			b.WriteString("Access-Control-Allow-Methods ('")
			b.WriteString(val)
			b.WriteString("') does not list it.")
		} else {
			b.WriteString("the response has no Access-Control-Allow-Methods header.")
		}
		methods, _, _ := parseAllowList(val, false)
		switch {
		case x.include && containsString(methods, "*"):
			b.WriteString(" '*' counts only for requests without credentials; this one has credentials, so list the method by name.")
		case containsFold(methods, x.r.param):
			b.WriteString(" Methods are compared case-sensitively: the page sent '")
			b.WriteString(x.r.param)
			b.WriteString("' (fetch upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT). Use '")
			b.WriteString(strings.ToUpper(x.r.param))
			b.WriteString("' in the page, or list '")
			b.WriteString(x.r.param)
			b.WriteString("' exactly.")
		default:
			b.WriteString(" Add ")
			b.WriteString(x.r.param)
			b.WriteString(" to it.")
		}
		neverSent()
		wantM := appendList(methods, x.r.param)
		if has {
			respRef(hACAM, val, false, wantM)
		} else {
			respRef(hACAM, "", true, wantM)
		}
	case codeHeaderDisallowedByPreflightResponse:
		val, has := resp.Header.Joined(hACAH)
		preflightIntro()
		b.WriteString("The page sets the request header '")
		b.WriteString(x.r.param)
		b.WriteString("', and ")
		if has {
			b.WriteString("Access-Control-Allow-Headers ('")
			b.WriteString(val)
			b.WriteString("') does not list it.")
		} else {
			b.WriteString("the response has no Access-Control-Allow-Headers header.")
		}
		headers, _, _ := parseAllowList(val, true)
		if x.include && containsString(headers, "*") {
			b.WriteString(" '*' counts only for requests without credentials; this one has credentials, so list the headers by name.")
		}
		if len(x.unsafe) > 0 {
			b.WriteString(" It must allow every header the page sets: ")
			b.WriteString(strings.Join(x.unsafe, ", "))
			b.WriteString(".")
		}
		neverSent()
		wantH := strings.Join(x.unsafe, ", ")
		if has {
			respRef(hACAH, val, false, wantH)
		} else {
			respRef(hACAH, "", true, wantH)
		}
		refs = append(refs, HeaderRef{Flow: x.reqFlow, Side: SideRequest, Name: hACRH, Value: strings.Join(x.unsafe, ",")})
	case codeRedirectContainsCredentials:
		loc := firstLocation(resp.Header)
		b.WriteString("The redirect's Location (")
		b.WriteString(loc)
		b.WriteString(") contains a user name and password; Chrome refuses to follow such a redirect for a cross-origin request. Redirect to a URL without user:password@ and authenticate with a header or cookie instead.")
		respRef("Location", loc, false, "a URL without user:password@")
	case codeDisallowedByMode:
		loc := ""
		if resp != nil {
			loc = firstLocation(resp.Header)
		}
		b.WriteString("The request was made with mode 'same-origin', and the server redirected it to another origin (")
		b.WriteString(loc)
		b.WriteString("). Chrome stops it there (Chrome 156 reports it as blocked:origin in DevTools, with an \"Unsafe attempt to load URL\" console message). Use mode 'cors' if the cross-origin answer is expected, or keep the redirect on the same origin.")
		respRef("Location", loc, false, "a URL on the page's origin")
	}
	if tainted {
		switch x.r.code {
		case codeMissingAllowOriginHeader, codePreflightMissingAllowOriginHeader, codeWildcardOriginNotAllowed,
			codePreflightWildcardOriginNotAllowed, codeMultipleAllowOriginValues, codePreflightMultipleAllowOriginValues,
			codeInvalidAllowOriginValue, codePreflightInvalidAllowOriginValue, codeAllowOriginMismatch,
			codePreflightAllowOriginMismatch:
			b.WriteString(" ")
			b.WriteString(taintText(x.first, x.url))
		}
	}
	return b.String(), refs
}

// taintText explains a tainted origin and its only safe fix.
func taintText(first, url string) string {
	var b strings.Builder
	b.WriteString("The request was redirected across origins")
	if first != "" && first != url {
		b.WriteString(" (from ")
		b.WriteString(first)
		b.WriteString(" to ")
		b.WriteString(url)
		b.WriteString(")")
	}
	b.WriteString(", so Chrome replaced its Origin with 'null' (a \"tainted\" origin): only 'null' or '*' can match now. Do not allow 'null': every sandboxed iframe and data: page sends it too. Avoid the cross-origin redirect instead: have the page call ")
	b.WriteString(url)
	b.WriteString(" directly, or keep the redirect within one origin.")
	return b.String()
}

// statusText renders "404 Not Found" or "404".
func statusText(r *capture.Response) string {
	if r == nil {
		return "no response"
	}
	s := strconv.Itoa(r.Status)
	if r.StatusText != "" {
		s += " " + r.StatusText
	}
	return s
}

// preflightUnhandled reports an OPTIONS answered by routing or auth:
// 401/403/404/405 with no CORS header at all.
func preflightUnhandled(r *capture.Response) bool {
	if r == nil {
		return false
	}
	switch r.Status {
	case 401, 403, 404, 405:
	default:
		return false
	}
	for _, kv := range r.Header {
		if len(kv.Name) > 15 && strings.EqualFold(kv.Name[:15], "access-control-") {
			return false
		}
	}
	return true
}

// mismatchHint names the usual difference between ACAO and the origin.
func mismatchHint(acao, origin string) string {
	switch {
	case acao == "null":
		return " 'null' matches only sandboxed or opaque origins; send the page's origin instead."
	case strings.TrimRight(acao, "/") == origin:
		return " Remove the trailing slash: an origin has no path."
	case strings.EqualFold(acao, origin):
		return " The comparison is case-sensitive; send the origin in lower case, exactly as the browser sent it."
	}
	a, o := parseOrigin(acao), parseOrigin(origin)
	switch {
	case a.Opaque:
	case a.Host == o.Host && a.Port == o.Port && a.Scheme != o.Scheme:
		return " The scheme differs (" + a.Scheme + " vs " + o.Scheme + ")."
	case a.Host == o.Host && a.Scheme == o.Scheme && a.Port != o.Port:
		return " The port differs; the port is part of the origin."
	case a.Serialized == o.Serialized:
		return " Send only scheme://host[:port], without a path."
	}
	return " The server allows a different origin; add " + origin + " to its allow-list."
}

// appendList renders list with extra added if absent, comma-separated.
func appendList(list []string, extra string) string {
	out := make([]string, 0, len(list)+1)
	for _, x := range list {
		if x != "*" {
			out = append(out, x)
		}
	}
	if !containsString(out, extra) {
		out = append(out, extra)
	}
	return strings.Join(out, ", ")
}
