package analyze

import (
	"strings"
	"testing"

	"github.com/corscope/corscope/capture"
)

// labCase is one Chromium 156 lab vector of reference/cors.md Appendix A,
// replayed as the wire showed it.
type labCase struct {
	name  string
	flows []ex
	judge capture.FlowID // the flow whose verdict Chromium's label belongs to
	kind  Kind
	err   string
	param string
	// console is the full console line; "" means none is expected.
	console string
	// alt, for undecidable verdicts: the alternative Chromium reaches
	// when the page used credentials.
	alt *Alternative
	// check runs extra assertions on all verdicts.
	check func(t *testing.T, vs map[capture.FlowID]Verdict)
}

func u(path string) string { return labAPI + path }

const (
	rMissing  = "No 'Access-Control-Allow-Origin' header is present on the requested resource."
	rWildcard = "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'."
	rHint     = " Have the server send the header with a valid value."
	rPrefix   = "Response to preflight request doesn't pass access control check: "
)

func labCases() []labCase {
	cookie := "Cookie: sid=abc"
	acao := "Access-Control-Allow-Origin: " + labPage
	return []labCase{
		{
			name:    "s01 GET without ACAO is MissingAllowOriginHeader",
			flows:   []ex{{id: 1, method: "GET", url: u("/s01/x"), req: chromeReq(), status: 200, resp: []string{"Content-Type: text/plain"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "MissingAllowOriginHeader",
			console: envelope(u("/s01/x")) + rMissing,
		},
		{
			name:    "s02 credentialed GET answered ACAO * is WildcardOriginNotAllowed",
			flows:   []ex{{id: 1, method: "GET", url: u("/s02/x"), req: chromeReq(cookie), status: 200, resp: []string{"Access-Control-Allow-Origin: *"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "WildcardOriginNotAllowed",
			console: envelope(u("/s02/x")) + rWildcard,
		},
		{
			name:  "s02 without a cookie on the wire is undecidable, with the wildcard error as the credentialed outcome",
			flows: []ex{{id: 1, method: "GET", url: u("/s02/x"), req: chromeReq(), status: 200, resp: []string{"Access-Control-Allow-Origin: *"}}},
			judge: 1,
			kind:  KindUndecidable,
			alt:   &Alternative{If: ifInclude, Credentials: CredInclude, Kind: KindBlocked, Error: "WildcardOriginNotAllowed", Console: envelope(u("/s02/x")) + rWildcard},
		},
		{
			name: "s03 two ACAO lines are MultipleAllowOriginValues joined with a comma",
			flows: []ex{{id: 1, method: "GET", url: u("/s03/x"), req: chromeReq(), status: 200,
				resp: []string{acao, "Access-Control-Allow-Origin: *"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "MultipleAllowOriginValues",
			param:   labPage + ", *",
			console: envelope(u("/s03/x")) + "The 'Access-Control-Allow-Origin' header contains multiple values '" + labPage + ", *', but only one is allowed." + rHint,
			check: func(t *testing.T, vs map[capture.FlowID]Verdict) {
				if vs[1].Firefox != "CORSMultipleAllowOriginNotAllowed" {
					t.Errorf("Firefox = %q, want CORSMultipleAllowOriginNotAllowed for two lines", vs[1].Firefox)
				}
				if !hasWarning(vs[1], WarnDuplicateAllowOrigin) {
					t.Errorf("no %s warning: %v", WarnDuplicateAllowOrigin, warningCodes(vs[1]))
				}
			},
		},
		{
			name:    "s04 ACAO with a trailing slash is AllowOriginMismatch",
			flows:   []ex{{id: 1, method: "GET", url: u("/s04/x"), req: chromeReq(), status: 200, resp: []string{acao + "/"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "AllowOriginMismatch",
			param:   labPage + "/",
			console: envelope(u("/s04/x")) + "The 'Access-Control-Allow-Origin' header has a value '" + labPage + "/' that is not equal to the supplied origin." + rHint,
		},
		{
			name:    "s05 ACAO foo is InvalidAllowOriginValue",
			flows:   []ex{{id: 1, method: "GET", url: u("/s05/x"), req: chromeReq(), status: 200, resp: []string{"Access-Control-Allow-Origin: foo"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "InvalidAllowOriginValue",
			param:   "foo",
			console: envelope(u("/s05/x")) + "The 'Access-Control-Allow-Origin' header contains the invalid value 'foo'." + rHint,
		},
		{
			name:    "s26 empty ACAO is InvalidAllowOriginValue with an empty parameter",
			flows:   []ex{{id: 1, method: "GET", url: u("/s26/x"), req: chromeReq(), status: 200, resp: []string{"Access-Control-Allow-Origin: "}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "InvalidAllowOriginValue",
			param:   "",
			console: envelope(u("/s26/x")) + "The 'Access-Control-Allow-Origin' header contains the invalid value ''." + rHint,
		},
		{
			name:    "s25 ACAO null is AllowOriginMismatch",
			flows:   []ex{{id: 1, method: "GET", url: u("/s25/x"), req: chromeReq(), status: 200, resp: []string{"Access-Control-Allow-Origin: null"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "AllowOriginMismatch",
			param:   "null",
			console: envelope(u("/s25/x")) + "The 'Access-Control-Allow-Origin' header has a value 'null' that is not equal to the supplied origin." + rHint,
		},
		{
			name:    "s06 credentialed GET without ACAC is InvalidAllowCredentials with an empty parameter",
			flows:   []ex{{id: 1, method: "GET", url: u("/s06/x"), req: chromeReq(cookie), status: 200, resp: []string{acao}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "InvalidAllowCredentials",
			console: envelope(u("/s06/x")) + "The value of the 'Access-Control-Allow-Credentials' header in the response is '' which must be 'true' when the request's credentials mode is 'include'.",
		},
		{
			name:    "s07 ACAC True is InvalidAllowCredentials (case-sensitive)",
			flows:   []ex{{id: 1, method: "GET", url: u("/s07/x"), req: chromeReq(cookie), status: 200, resp: []string{acao, "Access-Control-Allow-Credentials: True"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "InvalidAllowCredentials",
			param:   "True",
			console: envelope(u("/s07/x")) + "The value of the 'Access-Control-Allow-Credentials' header in the response is 'True' which must be 'true' when the request's credentials mode is 'include'.",
		},
		{
			name:    "s08 OPTIONS 404 without ACAO is PreflightMissingAllowOriginHeader, not PreflightInvalidStatus",
			flows:   []ex{{id: 1, method: "OPTIONS", url: u("/s08/x"), req: chromePreflight(labPage, "PUT", ""), status: 404, resp: []string{"Content-Type: text/html"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "PreflightMissingAllowOriginHeader",
			console: envelope(u("/s08/x")) + rPrefix + rMissing,
			check: func(t *testing.T, vs map[capture.FlowID]Verdict) {
				v := vs[1]
				if !v.NeverSent {
					t.Error("NeverSent not set on a failed preflight")
				}
				if v.Fix == nil || !v.Fix.PreflightUnhandled {
					t.Errorf("Fix.PreflightUnhandled not set for a 404 OPTIONS without CORS headers: %+v", v.Fix)
				}
				if !strings.Contains(v.Explanation, "never sent") || !strings.Contains(v.Explanation, "OPTIONS") {
					t.Errorf("explanation does not say the actual request was never sent: %q", v.Explanation)
				}
			},
		},
		{
			name:    "s09 OPTIONS 404 with a matching ACAO is PreflightInvalidStatus",
			flows:   []ex{{id: 1, method: "OPTIONS", url: u("/s09/x"), req: chromePreflight(labPage, "PUT", ""), status: 404, resp: []string{acao}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "PreflightInvalidStatus",
			console: envelope(u("/s09/x")) + rPrefix + "It does not have HTTP ok status.",
		},
		{
			name:    "s24 OPTIONS 500 with another origin is PreflightAllowOriginMismatch",
			flows:   []ex{{id: 1, method: "OPTIONS", url: u("/s24/x"), req: chromePreflight(labPage, "PUT", ""), status: 500, resp: []string{"Access-Control-Allow-Origin: http://evil.example"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "PreflightAllowOriginMismatch",
			param:   "http://evil.example",
			console: envelope(u("/s24/x")) + rPrefix + "The 'Access-Control-Allow-Origin' header has a value 'http://evil.example' that is not equal to the supplied origin." + rHint,
		},
		{
			name: "s10 OPTIONS 301 is PreflightDisallowedRedirect whatever its headers",
			flows: []ex{{id: 1, method: "OPTIONS", url: u("/s10/x"), req: chromePreflight(labPage, "PUT", ""), status: 301,
				resp: []string{"Location: /s10/y", acao, "Access-Control-Allow-Methods: PUT"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "PreflightDisallowedRedirect",
			console: envelope(u("/s10/x")) + rPrefix + "Redirect is not allowed for a preflight request.",
		},
		{
			name: "s19 preflight ACAO * with ACAC true and no follow-up is undecidable, PreflightWildcardOriginNotAllowed if credentialed",
			flows: []ex{{id: 1, method: "OPTIONS", url: u("/s19/x"), req: chromePreflight(labPage, "PUT", ""), status: 204,
				resp: []string{"Access-Control-Allow-Origin: *", "Access-Control-Allow-Credentials: true", "Access-Control-Allow-Methods: PUT"}}},
			judge: 1,
			kind:  KindUndecidable,
			alt: &Alternative{If: ifInclude, Credentials: CredInclude, Kind: KindBlocked, Error: "PreflightWildcardOriginNotAllowed",
				Console: envelope(u("/s19/x")) + rPrefix + rWildcard},
		},
		{
			name: "s11 PUT not in ACAM is MethodDisallowedByPreflightResponse",
			flows: []ex{{id: 1, method: "OPTIONS", url: u("/s11/x"), req: chromePreflight(labPage, "PUT", ""), status: 204,
				resp: []string{acao, "Access-Control-Allow-Methods: GET, POST"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "MethodDisallowedByPreflightResponse",
			param:   "PUT",
			console: envelope(u("/s11/x")) + "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response.",
			check: func(t *testing.T, vs map[capture.FlowID]Verdict) {
				if vs[1].Firefox != "CORSMethodNotFound" {
					t.Errorf("Firefox = %q", vs[1].Firefox)
				}
				if len(vs[1].Headers) == 0 || vs[1].Headers[0].Name != hACAM || !strings.Contains(vs[1].Headers[0].Want, "PUT") {
					t.Errorf("header refs = %+v, want ACAM wanting PUT", vs[1].Headers)
				}
			},
		},
		{
			name: "s12 lower-case patch is not allowed by ACAM PATCH",
			flows: []ex{{id: 1, method: "OPTIONS", url: u("/s12/x"), req: chromePreflight(labPage, "patch", ""), status: 204,
				resp: []string{acao, "Access-Control-Allow-Methods: PATCH"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "MethodDisallowedByPreflightResponse",
			param:   "patch",
			console: envelope(u("/s12/x")) + "Method patch is not allowed by Access-Control-Allow-Methods in preflight response.",
			check: func(t *testing.T, vs map[capture.FlowID]Verdict) {
				if !strings.Contains(vs[1].Explanation, "case-sensitively") {
					t.Errorf("explanation does not mention case: %q", vs[1].Explanation)
				}
			},
		},
		{
			name: "t14 ACAM * with credentials is undecidable without a cookie, MethodDisallowed if credentialed",
			flows: []ex{{id: 1, method: "OPTIONS", url: u("/t14/x"), req: chromePreflight(labPage, "PUT", ""), status: 204,
				resp: []string{acao, "Access-Control-Allow-Credentials: true", "Access-Control-Allow-Methods: *"}}},
			judge: 1,
			kind:  KindUndecidable,
			alt: &Alternative{If: ifInclude, Credentials: CredInclude, Kind: KindBlocked, Error: "MethodDisallowedByPreflightResponse", FailedParameter: "PUT",
				Console: envelope(u("/t14/x")) + "Method PUT is not allowed by Access-Control-Allow-Methods in preflight response."},
		},
		{
			name: "s15 ACAM 'GET POST' is InvalidAllowMethodsPreflightResponse",
			flows: []ex{{id: 1, method: "OPTIONS", url: u("/s15/x"), req: chromePreflight(labPage, "PUT", ""), status: 204,
				resp: []string{acao, "Access-Control-Allow-Methods: GET POST"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "InvalidAllowMethodsPreflightResponse",
			console: envelope(u("/s15/x")) + "Cannot parse Access-Control-Allow-Methods response header field in preflight response.",
		},
		{
			name: "s21 ACAH 'X Foo' is InvalidAllowHeadersPreflightResponse",
			flows: []ex{{id: 1, method: "OPTIONS", url: u("/s21/x"), req: chromePreflight(labPage, "GET", "x-custom"), status: 204,
				resp: []string{acao, "Access-Control-Allow-Headers: X Foo"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "InvalidAllowHeadersPreflightResponse",
			console: envelope(u("/s21/x")) + "Cannot parse Access-Control-Allow-Headers response header field in preflight response.",
		},
		{
			name: "s13 the alphabetically first missing header is reported",
			flows: []ex{{id: 1, method: "OPTIONS", url: u("/s13/x"), req: chromePreflight(labPage, "POST", "content-type,x-a,x-b"), status: 204,
				resp: []string{acao, "Access-Control-Allow-Headers: content-type"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "HeaderDisallowedByPreflightResponse",
			param:   "x-a",
			console: envelope(u("/s13/x")) + "Request header field x-a is not allowed by Access-Control-Allow-Headers in preflight response.",
			check: func(t *testing.T, vs map[capture.FlowID]Verdict) {
				fs := vs[1].Fix
				if fs == nil || strings.Join(fs.Headers, ",") != "content-type,x-a,x-b" || fs.Origin != labPage || strings.Join(fs.Methods, ",") != "POST" {
					t.Errorf("fix spec = %+v", fs)
				}
			},
		},
		{
			name: "s20 ACAH * is literal for a credentialed request: undecidable without cookie, HeaderDisallowed x-custom if credentialed",
			flows: []ex{{id: 1, method: "OPTIONS", url: u("/s20/x"), req: chromePreflight(labPage, "GET", "x-custom"), status: 204,
				resp: []string{acao, "Access-Control-Allow-Credentials: true", "Access-Control-Allow-Headers: *"}}},
			judge: 1,
			kind:  KindUndecidable,
			alt: &Alternative{If: ifInclude, Credentials: CredInclude, Kind: KindBlocked, Error: "HeaderDisallowedByPreflightResponse", FailedParameter: "x-custom",
				Console: envelope(u("/s20/x")) + "Request header field x-custom is not allowed by Access-Control-Allow-Headers in preflight response."},
		},
		{
			name: "s14 Authorization covered by ACAH * passes with the deprecation warning",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/s14/x"), req: chromePreflight(labPage, "GET", "authorization"), status: 204,
					resp: []string{"Access-Control-Allow-Origin: *", "Access-Control-Allow-Headers: *"}},
				{id: 2, at: 5, method: "GET", url: u("/s14/x"), req: chromeReq("Authorization: Bearer t0k3n"), status: 200,
					resp: []string{"Access-Control-Allow-Origin: *"}},
			},
			judge: 2,
			kind:  KindAllowed,
			check: func(t *testing.T, vs map[capture.FlowID]Verdict) {
				for _, id := range []capture.FlowID{1, 2} {
					if vs[id].Kind != KindAllowed {
						t.Errorf("flow %d kind = %s (%s)", id, vs[id].Kind, vs[id].DependsOn)
					}
					if !hasWarning(vs[id], WarnAuthorizationByWildcard) {
						t.Errorf("flow %d lacks %s: %v", id, WarnAuthorizationByWildcard, warningCodes(vs[id]))
					}
				}
				if vs[1].Pair != 2 || vs[2].Pair != 1 {
					t.Errorf("pairs = %d, %d", vs[1].Pair, vs[2].Pair)
				}
				if vs[2].Credentials != CredOmitted {
					t.Errorf("credentials = %s, want omitted (the actual followed a preflight that fails with credentials)", vs[2].Credentials)
				}
			},
		},
		{
			name: "s16 a 302 without ACAO is MissingAllowOriginHeader on the redirect URL",
			flows: []ex{{id: 1, method: "GET", url: u("/s16/x"), req: chromeReq(), status: 302,
				resp: []string{"Location: " + labThird + "/s16/final"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "MissingAllowOriginHeader",
			console: envelope(u("/s16/x")) + rMissing,
		},
		{
			name: "s17 tainted Origin null after a cross-origin redirect: ACAO = page origin is a mismatch",
			flows: []ex{
				{id: 1, at: 0, method: "GET", url: u("/s17/x"), req: chromeReq(), status: 302,
					resp: []string{"Location: " + labThird + "/s17/final", "Access-Control-Allow-Origin: *"}},
				{id: 2, at: 3, method: "GET", url: labThird + "/s17/final", req: replaceOrigin(chromeReq(), "null"), status: 200,
					resp: []string{acao}},
			},
			judge: 2,
			kind:  KindBlocked,
			err:   "AllowOriginMismatch",
			param: labPage,
			console: "Access to fetch at '" + labThird + "/s17/final' (redirected from '" + labAPI + "/s17/x') from origin '" + labPage +
				"' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '" + labPage + "' that is not equal to the supplied origin." + rHint,
			check: func(t *testing.T, vs map[capture.FlowID]Verdict) {
				if vs[1].Kind != KindAllowed {
					t.Errorf("the redirect hop: %s %s", vs[1].Kind, vs[1].Error)
				}
				if !strings.Contains(vs[2].Explanation, "null") {
					t.Errorf("explanation does not explain the tainted origin: %q", vs[2].Explanation)
				}
			},
		},
		{
			name: "u01 a restarted chain preflights the new origin with Origin null and passes with ACAO null",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/u01/x"), req: chromePreflight(labPage, "PUT", ""), status: 204,
					resp: []string{acao, "Access-Control-Allow-Methods: PUT"}},
				{id: 2, at: 2, method: "PUT", url: u("/u01/x"), req: chromeReq(), status: 307,
					resp: []string{acao, "Location: " + labThird + "/u01/y"}},
				{id: 3, at: 4, method: "OPTIONS", url: labThird + "/u01/y", req: chromePreflight("null", "PUT", ""), status: 204,
					resp: []string{"Access-Control-Allow-Origin: null", "Access-Control-Allow-Methods: PUT"}},
				{id: 4, at: 6, method: "PUT", url: labThird + "/u01/y", req: replaceOrigin(chromeReq(), "null"), status: 200,
					resp: []string{"Access-Control-Allow-Origin: null"}},
			},
			judge: 4,
			kind:  KindAllowed,
			check: func(t *testing.T, vs map[capture.FlowID]Verdict) {
				for id := capture.FlowID(1); id <= 4; id++ {
					if vs[id].Kind != KindAllowed {
						t.Errorf("flow %d: %s %s %s", id, vs[id].Kind, vs[id].Error, vs[id].DependsOn)
					}
				}
				if vs[3].Pair != 4 || vs[1].Pair != 2 {
					t.Errorf("pairs: 1↔%d, 3↔%d", vs[1].Pair, vs[3].Pair)
				}
				if !hasWarning(vs[4], WarnNullOrigin) {
					t.Errorf("no %s on the null-origin hop: %v", WarnNullOrigin, warningCodes(vs[4]))
				}
			},
		},
		{
			name: "u02 the restarted preflight answered with the page origin is PreflightAllowOriginMismatch with the redirect in the console",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/u02/x"), req: chromePreflight(labPage, "PUT", ""), status: 204,
					resp: []string{acao, "Access-Control-Allow-Methods: PUT"}},
				{id: 2, at: 2, method: "PUT", url: u("/u02/x"), req: chromeReq(), status: 307,
					resp: []string{acao, "Location: " + labThird + "/u02/y"}},
				{id: 3, at: 4, method: "OPTIONS", url: labThird + "/u02/y", req: chromePreflight("null", "PUT", ""), status: 204,
					resp: []string{acao, "Access-Control-Allow-Methods: PUT"}},
			},
			judge: 3,
			kind:  KindBlocked,
			err:   "PreflightAllowOriginMismatch",
			param: labPage,
			console: "Access to fetch at '" + labThird + "/u02/y' (redirected from '" + labAPI + "/u02/x') from origin '" + labPage +
				"' has been blocked by CORS policy: " + rPrefix + "The 'Access-Control-Allow-Origin' header has a value '" + labPage + "' that is not equal to the supplied origin." + rHint,
		},
		{
			name: "s18 a redirect to a URL with user:password is RedirectContainsCredentials with an empty parameter",
			flows: []ex{{id: 1, method: "GET", url: u("/s18/x"), req: chromeReq(), status: 302,
				resp: []string{acao, "Location: http://user:pw@127.0.0.1:18003/s18/y"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "RedirectContainsCredentials",
			console: envelope(u("/s18/x")) + "Redirect location '' contains a username and password, which is disallowed for cross-origin requests.",
		},
		{
			name: "s22 XHR with credentials and ACAO * prints the XMLHttpRequest form and suffix",
			flows: []ex{{id: 1, method: "GET", url: u("/s22/x"), req: chromeReq(cookie), rt: "xhr", status: 200,
				resp: []string{"Access-Control-Allow-Origin: *"}}},
			judge: 1,
			kind:  KindBlocked,
			err:   "WildcardOriginNotAllowed",
			console: "Access to XMLHttpRequest at '" + u("/s22/x") + "' from origin '" + labPage + "' has been blocked by CORS policy: " + rWildcard +
				" The credentials mode of requests initiated by the XMLHttpRequest is controlled by the withCredentials attribute.",
		},
		{
			name: "s23 a same-origin-mode request redirected cross-origin is stopped (DisallowedByMode, Blink's console line)",
			flows: []ex{{id: 1, method: "GET", url: labPage + "/s23/x",
				req:    []string{"Accept: */*", "Sec-Fetch-Site: same-origin", "Sec-Fetch-Mode: same-origin", "Sec-Fetch-Dest: empty", "Referer: " + labPage + "/"},
				status: 302, resp: []string{"Location: " + labAPI + "/s23/data"}}},
			judge:   1,
			kind:    KindBlocked,
			err:     "DisallowedByMode",
			console: "Unsafe attempt to load URL " + labAPI + "/s23/data from frame with URL " + labPage + "/. Domains, protocols and ports must match.",
		},
		{
			name: "s28 a no-cors fetch is not CORS",
			flows: []ex{{id: 1, method: "GET", url: u("/s28/x"),
				req:    []string{"Accept: */*", "Sec-Fetch-Site: same-site", "Sec-Fetch-Mode: no-cors", "Sec-Fetch-Dest: empty", "Referer: " + labPage + "/"},
				status: 200, resp: []string{"Content-Type: text/plain"}}},
			judge: 1,
			kind:  KindNotCORS,
		},
		labHeaderCase("t01 an Accept value of 129 bytes preflights", "t01", "accept", "Accept: "+strings.Repeat("a", 129)),
		labHeaderCase("t03 Content-Type with a quoted parameter preflights", "t03", "content-type", `Content-Type: text/plain; a="b"`),
		labHeaderCase("t05 a suffix Range preflights", "t05", "range", "Range: bytes=-100"),
		labHeaderCase("t10 Accept-Language with parentheses preflights", "t10", "accept-language", "Accept-Language: en(US)"),
		labHeaderCase("t11 a Blob body typed application/json preflights", "t11", "content-type", "Content-Type: application/json"),
		{
			name: "t12 a forced preflight (XHR upload listener) pairs with a simple-looking POST",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/t12/x"), req: chromePreflight(labPage, "POST", ""), status: 204, resp: []string{acao}},
				{id: 2, at: 3, method: "POST", url: u("/t12/x"), req: chromeReq("Content-Type: text/plain;charset=UTF-8"), rt: "xhr", status: 200, resp: []string{acao}},
			},
			judge: 2,
			kind:  KindAllowed,
			check: func(t *testing.T, vs map[capture.FlowID]Verdict) {
				if vs[2].Pair != 1 || !vs[2].NeedsPreflight || vs[2].Role != RoleActual || vs[2].FromPreflightCache {
					t.Errorf("actual: pair %d needs %v role %s cache %v", vs[2].Pair, vs[2].NeedsPreflight, vs[2].Role, vs[2].FromPreflightCache)
				}
				if vs[1].Kind != KindAllowed {
					t.Errorf("preflight: %s %s", vs[1].Kind, vs[1].DependsOn)
				}
			},
		},
		{
			name: "t16–t18 the second PUT is served from the preflight cache, the third re-preflights and fails on x-y",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/t16/x"), req: chromePreflight(labPage, "PUT", "x-z"), status: 204,
					resp: []string{acao, "Access-Control-Allow-Methods: PUT", "Access-Control-Allow-Headers: x-z"}},
				{id: 2, at: 3, method: "PUT", url: u("/t16/x"), req: chromeReq("X-Z: 1"), status: 200, resp: []string{acao}},
				{id: 3, at: 100, method: "PUT", url: u("/t16/x"), req: chromeReq("X-Z: 2"), status: 200, resp: []string{acao}},
				{id: 4, at: 200, method: "OPTIONS", url: u("/t16/x"), req: chromePreflight(labPage, "PUT", "x-y"), status: 204,
					resp: []string{acao, "Access-Control-Allow-Methods: PUT", "Access-Control-Allow-Headers: x-z"}},
			},
			judge:   4,
			kind:    KindBlocked,
			err:     "HeaderDisallowedByPreflightResponse",
			param:   "x-y",
			console: envelope(u("/t16/x")) + "Request header field x-y is not allowed by Access-Control-Allow-Headers in preflight response.",
			check: func(t *testing.T, vs map[capture.FlowID]Verdict) {
				if vs[2].Pair != 1 || vs[2].Kind != KindAllowed {
					t.Errorf("first PUT: pair %d kind %s", vs[2].Pair, vs[2].Kind)
				}
				v := vs[3]
				if !v.FromPreflightCache || v.CachedFrom != 1 || v.Kind != KindAllowed || v.Credentials != CredOmitted {
					t.Errorf("second PUT: cache %v from %d kind %s cred %s (%s)", v.FromPreflightCache, v.CachedFrom, v.Kind, v.Credentials, v.DependsOn)
				}
				if !vs[4].NeverSent {
					t.Error("third preflight: NeverSent not set")
				}
			},
		},
	}
}

// labHeaderCase: a request header that makes Chromium preflight (t01, t03,
// t05, t10, t11): the actual request needs a preflight, and the preflight
// without ACAH fails on that header.
func labHeaderCase(name, id, lower, line string) labCase {
	path := "/" + id + "/x"
	method := "GET"
	if lower == "content-type" {
		method = "POST"
	}
	return labCase{
		name: name,
		flows: []ex{
			{id: 1, at: 0, method: "OPTIONS", url: u(path), req: chromePreflight(labPage, method, lower), status: 204,
				resp: []string{"Access-Control-Allow-Origin: " + labPage}},
		},
		judge:   1,
		kind:    KindBlocked,
		err:     "HeaderDisallowedByPreflightResponse",
		param:   lower,
		console: envelope(u(path)) + "Request header field " + lower + " is not allowed by Access-Control-Allow-Headers in preflight response.",
		check: func(t *testing.T, _ map[capture.FlowID]Verdict) {
			// The same header on an actual request computes the same ACRH.
			unsafe, _ := unsafeRequestHeaders(heads(chromeReq(line)...), false)
			if strings.Join(unsafe, ",") != lower {
				t.Errorf("unsafe headers of %q = %v, want [%s]", line, unsafe, lower)
			}
		},
	}
}

func replaceOrigin(h []string, o string) []string {
	out := append([]string(nil), h...)
	for i, l := range out {
		if strings.HasPrefix(l, "Origin: ") {
			out[i] = "Origin: " + o
		}
	}
	return out
}

func TestChromiumLabVectors(t *testing.T) {
	for _, tc := range labCases() {
		t.Run(tc.name, func(t *testing.T) {
			vs := run(t, tc.flows...)
			v := vs[tc.judge]
			if v.Kind != tc.kind {
				t.Fatalf("kind = %s, want %s (error %q, depends on %q, explanation %q)", v.Kind, tc.kind, v.Error, v.DependsOn, v.Explanation)
			}
			if v.Error != tc.err || v.FailedParameter != tc.param {
				t.Errorf("error = %q/%q, want %q/%q", v.Error, v.FailedParameter, tc.err, tc.param)
			}
			if v.Console != tc.console {
				t.Errorf("console =\n  %q\nwant\n  %q", v.Console, tc.console)
			}
			if tc.kind == KindBlocked {
				if v.Explanation == "" {
					t.Error("blocked verdict without an explanation")
				}
				if v.Error != "PreflightInvalidStatus" && len(v.Headers) == 0 {
					t.Error("blocked verdict without a header reference")
				}
				for _, h := range v.Headers {
					if h.Side == SideResponse && h.Want == "" || h.Missing && h.Value != "" || h.Name == "" || h.Flow == 0 {
						t.Errorf("bad header reference %+v", h)
					}
				}
				noFirefox := v.Error == "RedirectContainsCredentials" || v.Error == "DisallowedByMode"
				if (v.Firefox == "") != noFirefox {
					t.Errorf("Firefox reason %q for %s", v.Firefox, v.Error)
				}
				if v.Error != "DisallowedByMode" && v.Fix == nil {
					t.Error("blocked verdict without a fix spec")
				}
			}
			if tc.alt != nil {
				if v.DependsOn == "" {
					t.Error("undecidable verdict without DependsOn")
				}
				found := false
				for _, a := range v.Alternatives {
					if a == *tc.alt {
						found = true
					}
				}
				if !found {
					t.Errorf("alternatives = %+v\nwant one = %+v", v.Alternatives, *tc.alt)
				}
			}
			if tc.check != nil {
				tc.check(t, vs)
			}
		})
	}
}

// The safelisted requests of the lab (t02, t04, t06–t09, t15) need no
// preflight in Chromium.
func TestChromiumLabSafelistedRequestsNeedNoPreflight(t *testing.T) {
	cases := []struct {
		name, line   string
		chromiumOnly bool
	}{
		{"t02 urlencoded Content-Type with parameters", "Content-Type: application/x-www-form-urlencoded;charset=UTF-8", false},
		{"t04 a single closed Range", "Range: bytes=0-100", false},
		{"t06 DPR", "DPR: 2", true},
		{"t07 Save-Data on", "Save-Data: on", true},
		{"t08 Width", "Width: 100", true},
		{"t09 Intervention", "Intervention: x", true},
		{"t15 Content-Language de-DE", "Content-Language: de-DE", false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := capture.FlowID(i + 1)
			vs := run(t, ex{id: id, method: "POST", url: u("/t/x"), req: chromeReq(tc.line), status: 200,
				resp: []string{"Access-Control-Allow-Origin: *"}})
			v := vs[id]
			if v.NeedsPreflight || v.Role != RoleSimple || v.FromPreflightCache || len(v.UnsafeHeaders) != 0 {
				t.Fatalf("needs preflight %v role %s cache %v unsafe %v", v.NeedsPreflight, v.Role, v.FromPreflightCache, v.UnsafeHeaders)
			}
			if got := hasWarning(v, WarnFirefoxPreflights); got != tc.chromiumOnly {
				t.Errorf("%s warning = %v, want %v", WarnFirefoxPreflights, got, tc.chromiumOnly)
			}
			// Without a cookie the wire cannot tell whether the page used
			// credentials; without them the response passes.
			ok := false
			for _, a := range v.Alternatives {
				if a.If == ifOmit && a.Kind == KindAllowed {
					ok = true
				}
			}
			if v.Kind != KindUndecidable || !ok {
				t.Errorf("kind %s, alternatives %+v", v.Kind, v.Alternatives)
			}
		})
	}
}
