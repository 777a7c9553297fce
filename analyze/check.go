package analyze

import (
	"strconv"
	"strings"

	"github.com/corscope/corscope/capture"
)

// Header names, spelled canonically for HeaderRefs and messages.
const (
	hACAO = "Access-Control-Allow-Origin"
	hACAC = "Access-Control-Allow-Credentials"
	hACAM = "Access-Control-Allow-Methods"
	hACAH = "Access-Control-Allow-Headers"
	hACEH = "Access-Control-Expose-Headers"
	hACMA = "Access-Control-Max-Age"
	hACRM = "Access-Control-Request-Method"
	hACRH = "Access-Control-Request-Headers"
)

// code is a Chromium network::mojom::CorsError the wire can show, plus
// codeNone for a passing check.
type code uint8

const (
	codeNone code = iota
	codeWildcardOriginNotAllowed
	codeMissingAllowOriginHeader
	codeMultipleAllowOriginValues
	codeInvalidAllowOriginValue
	codeAllowOriginMismatch
	codeInvalidAllowCredentials
	codePreflightInvalidStatus
	codePreflightDisallowedRedirect
	codePreflightWildcardOriginNotAllowed
	codePreflightMissingAllowOriginHeader
	codePreflightMultipleAllowOriginValues
	codePreflightInvalidAllowOriginValue
	codePreflightAllowOriginMismatch
	codePreflightInvalidAllowCredentials
	codeInvalidAllowMethodsPreflightResponse
	codeInvalidAllowHeadersPreflightResponse
	codeMethodDisallowedByPreflightResponse
	codeHeaderDisallowedByPreflightResponse
	codeRedirectContainsCredentials
	codeDisallowedByMode
	numCodes
)

// result is the outcome of one check: the CorsError (codeNone on success)
// and its failed_parameter exactly as Chromium fills it.
type result struct {
	code  code
	param string
}

func (r result) ok() bool { return r.code == codeNone }

// accessCheck is Chromium's CheckAccess (reference/cors.md §2c steps 1–4),
// run on an actual, redirect or preflight response. origin is the
// request's Origin header as sent on that hop ("null" when tainted).
func accessCheck(h capture.Headers, include bool, origin string) result {
	acao, has := h.Joined(hACAO)
	acac, _ := h.Joined(hACAC)
	return accessCheckValues(acao, has, acac, include, origin)
}

// accessCheckValues is accessCheck on normalized header values.
func accessCheckValues(acao string, has bool, acac string, include bool, origin string) result {
	switch {
	case has && acao == "*":
		if include {
			return result{code: codeWildcardOriginNotAllowed}
		}
		return result{}
	case !has:
		return result{code: codeMissingAllowOriginHeader}
	case acao != origin:
		if strings.ContainsAny(acao, " ,") {
			return result{codeMultipleAllowOriginValues, acao}
		}
		if acao == "null" {
			return result{codeAllowOriginMismatch, acao}
		}
		if !parsesAsURL(acao) {
			return result{codeInvalidAllowOriginValue, acao}
		}
		return result{codeAllowOriginMismatch, acao}
	}
	if include && acac != "true" {
		return result{codeInvalidAllowCredentials, acac}
	}
	return result{}
}

func (ri *respInfo) access(include bool, origin string) result {
	return accessCheckValues(ri.acao, ri.hasACAO, ri.acac, include, origin)
}

// preflightVariant maps an access-check failure to its kPreflight… twin.
func preflightVariant(c code) code {
	switch c {
	case codeWildcardOriginNotAllowed:
		return codePreflightWildcardOriginNotAllowed
	case codeMissingAllowOriginHeader:
		return codePreflightMissingAllowOriginHeader
	case codeMultipleAllowOriginValues:
		return codePreflightMultipleAllowOriginValues
	case codeInvalidAllowOriginValue:
		return codePreflightInvalidAllowOriginValue
	case codeAllowOriginMismatch:
		return codePreflightAllowOriginMismatch
	case codeInvalidAllowCredentials:
		return codePreflightInvalidAllowCredentials
	}
	return c
}

// isRedirectStatus reports whether the network stack follows a response
// with this status (given a Location header): 301, 302, 303, 307, 308.
func isRedirectStatus(s int) bool {
	switch s {
	case 301, 302, 303, 307, 308:
		return true
	}
	return false
}

// isRedirect reports whether resp is a redirect the browser would follow.
func isRedirect(resp *capture.Response) bool {
	return resp != nil && isRedirectStatus(resp.Status) && firstLocation(resp.Header) != ""
}

// firstLocation is the first non-empty Location value, the target Chromium
// follows.
func firstLocation(h capture.Headers) string {
	for _, kv := range h {
		if len(kv.Name) == 8 && strings.EqualFold(kv.Name, "Location") {
			if v := trimSP(kv.Value); v != "" {
				return v
			}
		}
	}
	return ""
}

// preflightOutcome is the result of checking a preflight response, with
// what was parsed on the way (for the cache model and warnings).
type preflightOutcome struct {
	result
	methods, headers []string // parsed ACAM (case kept) and ACAH (lower case)
	parsed           bool     // ACAM and ACAH parsed
	// authzByWildcard: Authorization passed only through ACAH "*"
	// (Chromium's has_authorization_covered_by_wildcard_on_preflight).
	authzByWildcard bool
}

// preflightCheck runs Chromium's preflight checks in order (reference/
// cors.md §2b): redirect, access check with the actual request's
// credentials mode, status, ACAM parse, ACAH parse, method, headers.
// method is the Access-Control-Request-Method; unsafe the sorted
// lower-case unsafe header names (the ACRH list).
func preflightCheck(resp *capture.Response, origin string, include bool, method string, unsafe []string) preflightOutcome {
	ri := scanResponse(resp, nil)
	return ri.preflight(origin, include, method, unsafe)
}

func (ri *respInfo) preflight(origin string, include bool, method string, unsafe []string) preflightOutcome {
	var out preflightOutcome
	if ri.isRedirect() {
		out.code = codePreflightDisallowedRedirect
		return out
	}
	if r := ri.access(include, origin); !r.ok() {
		out.result = result{preflightVariant(r.code), r.param}
		return out
	}
	if ri.resp.Status < 200 || ri.resp.Status > 299 {
		out.code = codePreflightInvalidStatus
		return out
	}
	if !ri.okACAM {
		out.code = codeInvalidAllowMethodsPreflightResponse
		return out
	}
	if !ri.okACAH {
		out.code = codeInvalidAllowHeadersPreflightResponse
		return out
	}
	out.methods, out.headers, out.parsed = ri.methods, ri.headers, true
	if !methodAllowed(method, ri.methods, include) {
		out.result = result{codeMethodDisallowedByPreflightResponse, method}
		return out
	}
	name, byWildcard := firstDisallowedHeader(unsafe, ri.headers, include)
	if name != "" {
		out.result = result{codeHeaderDisallowedByPreflightResponse, name}
		return out
	}
	out.authzByWildcard = byWildcard
	return out
}

// methodAllowed: GET/HEAD/POST always; otherwise listed byte-for-byte in
// ACAM, or ACAM holds "*" and the request is not credentialed.
func methodAllowed(method string, allowed []string, include bool) bool {
	if isSafelistedMethod(method) {
		return true
	}
	for _, m := range allowed {
		if m == method || m == "*" && !include {
			return true
		}
	}
	return false
}

// firstDisallowedHeader returns the first (sorted) unsafe name not allowed
// by the lower-cased ACAH list, and whether Authorization got through only
// because of "*" (allowed by Chromium's default, with a deprecation issue).
func firstDisallowedHeader(unsafe, allowed []string, include bool) (string, bool) {
	wildcard := !include && containsString(allowed, "*")
	byWildcard := false
	for _, n := range unsafe {
		if containsString(allowed, n) {
			continue
		}
		if wildcard {
			if n == "authorization" {
				byWildcard = true
			}
			continue
		}
		return n, false
	}
	return "", byWildcard
}

// parseMaxAge is the preflight cache lifetime Chromium derives from
// Access-Control-Max-Age: absent or unparsable 5 s, capped at 7200 s,
// zero or negative means the result is not reused. raw is the normalized
// value and present whether the header was sent; both are returned as given.
func parseMaxAge(raw string, present bool) (secs int64, _ string, _ bool) {
	if !present {
		return 5, raw, false
	}
	v := raw
	neg := strings.HasPrefix(v, "-")
	if neg {
		v = v[1:]
	}
	if v == "" || !allDigits(v) {
		return 5, raw, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if neg {
			return 0, raw, true
		}
		return 7200, raw, true
	}
	if neg || n <= 0 {
		return 0, raw, true
	}
	if n > 7200 {
		n = 7200
	}
	return n, raw, true
}
