package analyze

import "github.com/corscope/corscope/capture"

// The probe's questions to the engine. Every CORS rule is decided by the
// engine's own checks (safelist.go, check.go), never re-implemented here,
// so the probe and the proxy always agree. These wrappers are the only
// places the probe touches the engine's unexported functions.

// NeedsPreflight reports whether Chromium sends a preflight before a
// cross-origin cors-mode request with this method and these script-set
// headers, and the CORS-unsafe header names it lists in
// Access-Control-Request-Headers (lower-case, sorted).
func NeedsPreflight(method string, author capture.Headers) (bool, []string) {
	// Every header here was set by the script, so an Authorization is the
	// script's and counts as unsafe.
	unsafe, _ := unsafeRequestHeaders(author, false)
	return !isSafelistedMethod(method) || len(unsafe) > 0, unsafe
}

// probePreflightPasses reports whether the browser, knowing the request's
// credentials mode, accepts the preflight response and sends the actual
// request.
func probePreflightPasses(resp *capture.Response, origin string, include bool, method string, unsafe []string) bool {
	if resp == nil {
		return false
	}
	return preflightCheck(resp, origin, include, method, unsafe).ok()
}

// probeAccessPasses reports whether a response (final or a redirect in the
// chain) passes the CORS check for the Origin sent on that hop.
func probeAccessPasses(resp *capture.Response, origin string, include bool) bool {
	if resp == nil {
		return false
	}
	return accessCheck(resp.Header, include, origin).ok()
}

// analyzeProbe analyzes the probe's flows with the same analyzer the proxy
// uses. The probe knows the credentials mode it sent, which the wire does
// not always show (a credentialed request with no cookie to send looks
// like any other), so it tells the analyzer: no verdict then hinges on it,
// and every explanation, header reference and fix is the one for that
// mode.
func analyzeProbe(flows []capture.Flow, credentials bool) []Verdict {
	h := Hints{Credentials: CredOmitted}
	if credentials {
		h.Credentials = CredInclude
	}
	return AnalyzeAllWith(flows, h)
}
