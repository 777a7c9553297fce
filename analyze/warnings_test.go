package analyze

import (
	"slices"
	"strings"
	"testing"

	"github.com/corscope/corscope/capture"
)

// reqFrom is a Chrome fetch request header list from another page origin.
func reqFrom(origin string, extra ...string) []string {
	return append(replaceOrigin(chromeReq(), origin), extra...)
}

func TestWarnings(t *testing.T) {
	acao := "Access-Control-Allow-Origin: " + labPage
	creds := "Access-Control-Allow-Credentials: true"
	cases := []struct {
		name  string
		flows []ex
		judge capture.FlowID
		want  string // warning code that must be present
		not   bool   // true: must be absent
	}{
		{
			name: "an origin echoed for two origins with credentials is reflection (on the later flow)",
			flows: []ex{
				{id: 1, at: 0, method: "GET", url: u("/me"), req: chromeReq("Cookie: s=1"), status: 200, resp: []string{acao, creds, "Vary: Origin"}},
				{id: 2, at: 5, method: "GET", url: u("/me"), req: reqFrom("https://evil.example", "Cookie: s=1"), status: 200,
					resp: []string{"Access-Control-Allow-Origin: https://evil.example", creds, "Vary: Origin"}},
			},
			judge: 2, want: WarnReflectedOrigin,
		},
		{
			name: "... and on the earlier flow too",
			flows: []ex{
				{id: 1, at: 0, method: "GET", url: u("/me"), req: chromeReq("Cookie: s=1"), status: 200, resp: []string{acao, creds, "Vary: Origin"}},
				{id: 2, at: 5, method: "GET", url: u("/me"), req: reqFrom("https://evil.example", "Cookie: s=1"), status: 200,
					resp: []string{"Access-Control-Allow-Origin: https://evil.example", creds, "Vary: Origin"}},
			},
			judge: 1, want: WarnReflectedOrigin,
		},
		{
			name: "one allowed origin with credentials is not reflection",
			flows: []ex{
				{id: 1, at: 0, method: "GET", url: u("/me"), req: chromeReq("Cookie: s=1"), status: 200, resp: []string{acao, creds}},
				{id: 2, at: 5, method: "GET", url: u("/me"), req: chromeReq("Cookie: s=1"), status: 200, resp: []string{acao, creds}},
			},
			judge: 2, want: WarnReflectedOrigin, not: true,
		},
		{
			name: "an allow-list of two real origins, both with credentials, is not reflection",
			flows: []ex{
				{id: 1, at: 0, method: "GET", url: u("/me"), req: reqFrom("https://app.example.com", "Cookie: s=1"), status: 200,
					resp: []string{"Access-Control-Allow-Origin: https://app.example.com", creds, "Vary: Origin"}},
				{id: 2, at: 5, method: "GET", url: u("/me"), req: reqFrom("https://admin.example.com", "Cookie: s=1"), status: 200,
					resp: []string{"Access-Control-Allow-Origin: https://admin.example.com", creds, "Vary: Origin"}},
			},
			judge: 2, want: WarnReflectedOrigin, not: true,
		},
		{
			name: "echoing a random-looking origin with credentials is reflection",
			flows: []ex{{id: 1, method: "GET", url: u("/me"), req: reqFrom("https://q7x2k9v4m1.example", "Cookie: s=1"), status: 200,
				resp: []string{"Access-Control-Allow-Origin: https://q7x2k9v4m1.example", creds}}},
			judge: 1, want: WarnReflectedOrigin,
		},
		{
			name:  "echoing Origin null with credentials is reflection at once",
			flows: []ex{{id: 1, method: "GET", url: u("/me"), req: reqFrom("null", "Cookie: s=1"), status: 200, resp: []string{"Access-Control-Allow-Origin: null", creds}}},
			judge: 1, want: WarnReflectedOrigin,
		},
		{
			name:  "ACAO null is flagged",
			flows: []ex{{id: 1, method: "GET", url: u("/n"), req: reqFrom("null"), status: 200, resp: []string{"Access-Control-Allow-Origin: null"}}},
			judge: 1, want: WarnNullOrigin,
		},
		{
			name: "ACAO varying by origin without Vary: Origin",
			flows: []ex{
				{id: 1, at: 0, method: "GET", url: u("/v"), req: chromeReq(), status: 200, resp: []string{acao}},
				{id: 2, at: 5, method: "GET", url: u("/v"), req: reqFrom("http://other.example"), status: 200, resp: []string{"Access-Control-Allow-Origin: http://other.example"}},
			},
			judge: 1, want: WarnMissingVary,
		},
		{
			name: "varying ACAO with Vary: Origin is fine",
			flows: []ex{
				{id: 1, at: 0, method: "GET", url: u("/v"), req: chromeReq(), status: 200, resp: []string{acao, "Vary: Accept-Encoding, Origin"}},
				{id: 2, at: 5, method: "GET", url: u("/v"), req: reqFrom("http://other.example"), status: 200, resp: []string{"Access-Control-Allow-Origin: http://other.example", "Vary: Origin"}},
			},
			judge: 1, want: WarnMissingVary, not: true,
		},
		{
			name:  "ACAC true with ACAO *",
			flows: []ex{{id: 1, method: "GET", url: u("/w"), req: chromeReq(), status: 200, resp: []string{"Access-Control-Allow-Origin: *", creds}}},
			judge: 1, want: WarnCredentialsWithWildcard,
		},
		{
			name: "headers the page likely reads are not exposed",
			flows: []ex{{id: 1, method: "POST", url: u("/items"), req: chromeReq("Cookie: s=1"), status: 201,
				resp: []string{acao, creds, "Location: /items/7", "ETag: \"1\"", "X-Total-Count: 9", "X-Powered-By: Express", "Access-Control-Expose-Headers: ETag"}}},
			judge: 1, want: WarnUnexposedHeaders,
		},
		{
			name: "an endpoint preflighted three times without Access-Control-Max-Age",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/hot?t=1"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "")},
				{id: 2, at: 1000, method: "OPTIONS", url: u("/hot?t=2"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "")},
				{id: 3, at: 2000, method: "OPTIONS", url: u("/hot?t=3"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "")},
				{id: 4, at: 2005, method: "PUT", url: u("/hot?t=3"), req: chromeReq(), status: 200, resp: []string{acao}},
			},
			judge: 3, want: WarnPreflightNotCached,
		},
		{
			name: "repeated preflights with a long Max-Age are fine",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/hot?t=1"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "", "Access-Control-Max-Age: 600")},
				{id: 2, at: 1000, method: "OPTIONS", url: u("/hot?t=2"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "", "Access-Control-Max-Age: 600")},
				{id: 3, at: 2000, method: "OPTIONS", url: u("/hot?t=3"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "", "Access-Control-Max-Age: 600")},
			},
			judge: 3, want: WarnPreflightNotCached, not: true,
		},
		{
			name: "an https API trusting a plain-http origin",
			flows: []ex{{id: 1, method: "GET", url: "https://api.example.com/me", req: reqFrom("http://app.example.com"), status: 200,
				resp: []string{"Access-Control-Allow-Origin: http://app.example.com", "Vary: Origin"}}},
			judge: 1, want: WarnInsecureOrigin,
		},
		{
			name: "http://localhost trusted by an https API is not flagged",
			flows: []ex{{id: 1, method: "GET", url: "https://api.example.com/me", req: reqFrom("http://localhost:3000"), status: 200,
				resp: []string{"Access-Control-Allow-Origin: http://localhost:3000"}}},
			judge: 1, want: WarnInsecureOrigin, not: true,
		},
		{
			name: "a static ACAH equal to the one preflight's ACRH is an allow-list, not reflection",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/cart"), req: chromePreflight(labPage, "PUT", "content-type,x-request-id"), status: 204,
					resp: okPreflight("PUT", "Content-Type, X-Request-Id")},
			},
			judge: 1, want: WarnReflectedHeaders, not: true,
		},
		{
			// rs/cors v1.11 answers a passing preflight with the ACRH it
			// was sent, verbatim, after checking it (cors.go, handlePreflight).
			name: "ACAH equal to each of two different ACRH lists is what rs/cors does with an allow-list",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/h1"), req: chromePreflight(labPage, "PUT", "content-type,x-request-id"), status: 204,
					resp: okPreflight("PUT", "content-type,x-request-id")},
				{id: 2, at: 10, method: "OPTIONS", url: u("/h2"), req: chromePreflight(labPage, "GET", "authorization"), status: 204,
					resp: okPreflight("GET", "authorization")},
			},
			judge: 2, want: WarnReflectedHeaders, not: true,
		},
		{
			name: "ACAH allowing a header no allow-list holds is reflection",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/h"), req: chromePreflight(labPage, "PUT", "x-evil"), status: 204, resp: okPreflight("PUT", "x-evil")},
			},
			judge: 1, want: WarnReflectedHeaders,
		},
		{
			name: "ACAH allowing a random-looking header name is reflection, even merged into a list",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/h"), req: chromePreflight(labPage, "PUT", "content-type,x-5f0c2a9e-4b1d"), status: 204,
					resp: okPreflight("PUT", "authorization, content-type, x-5f0c2a9e-4b1d")},
			},
			judge: 1, want: WarnReflectedHeaders,
		},
		{
			name: "once an API is shown to reflect, an earlier preflight that echoed its ACRH gets the warning",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/h1"), req: chromePreflight(labPage, "PUT", "content-type"), status: 204, resp: okPreflight("PUT", "content-type")},
				{id: 2, at: 10, method: "OPTIONS", url: u("/h2"), req: chromePreflight(labPage, "PUT", "x-canary"), status: 204, resp: okPreflight("PUT", "x-canary")},
			},
			judge: 1, want: WarnReflectedHeaders,
		},
		{
			name: "... but not one whose ACAH is a fixed list longer than its ACRH",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/h1"), req: chromePreflight(labPage, "PUT", "content-type"), status: 204, resp: okPreflight("PUT", "content-type, x-request-id")},
				{id: 2, at: 10, method: "OPTIONS", url: u("/h2"), req: chromePreflight(labPage, "PUT", "x-canary"), status: 204, resp: okPreflight("PUT", "x-canary")},
			},
			judge: 1, want: WarnReflectedHeaders, not: true,
		},
		{
			name: "another API's reflection says nothing about this one",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/h1"), req: chromePreflight(labPage, "PUT", "content-type"), status: 204, resp: okPreflight("PUT", "content-type")},
				{id: 2, at: 10, method: "OPTIONS", url: labThird + "/h2", req: chromePreflight(labPage, "PUT", "x-canary"), status: 204, resp: okPreflight("PUT", "x-canary")},
			},
			judge: 1, want: WarnReflectedHeaders, not: true,
		},
		{
			name: "ACAM echoing ACRM for two different methods is what rs/cors does",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/m1"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "")},
				{id: 2, at: 10, method: "OPTIONS", url: u("/m2"), req: chromePreflight(labPage, "DELETE", ""), status: 204, resp: okPreflight("DELETE", "")},
			},
			judge: 2, want: WarnReflectedMethods, not: true,
		},
		{
			name: "ACAM allowing a method no allow-list holds is reflection, and the earlier echo gets the warning",
			flows: []ex{
				{id: 1, at: 0, method: "OPTIONS", url: u("/m1"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "")},
				{id: 2, at: 10, method: "OPTIONS", url: u("/m2"), req: chromePreflight(labPage, "FOO", ""), status: 204, resp: okPreflight("FOO", "")},
			},
			judge: 1, want: WarnReflectedMethods,
		},
		{
			name:  "ACAM listing TRACE",
			flows: []ex{{id: 1, method: "OPTIONS", url: u("/m"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("GET, PUT, TRACE", "")}},
			judge: 1, want: WarnReflectedMethods,
		},
		{
			name:  "Max-Age above Chromium's cap",
			flows: []ex{{id: 1, method: "OPTIONS", url: u("/m"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "", "Access-Control-Max-Age: 86400")}},
			judge: 1, want: WarnLargeMaxAge,
		},
		{
			name:  "a blocked POST was still executed by the server",
			flows: []ex{{id: 1, method: "POST", url: u("/orders"), req: chromeReq("Content-Type: text/plain"), status: 201}},
			judge: 1, want: WarnExecutedDespiteBlock,
		},
		{
			name:  "a blocked GET is not flagged as executed",
			flows: []ex{{id: 1, method: "GET", url: u("/orders"), req: chromeReq(), status: 200}},
			judge: 1, want: WarnExecutedDespiteBlock, not: true,
		},
		{
			name: "a cross-site simple POST with cookies",
			flows: []ex{{id: 1, method: "POST", url: "https://bank.example/transfer", req: []string{"Origin: https://evil.example", "Sec-Fetch-Mode: cors",
				"Sec-Fetch-Site: cross-site", "Cookie: s=1", "Content-Type: application/x-www-form-urlencoded"}, status: 200,
				resp: []string{"Access-Control-Allow-Origin: https://evil.example", creds}}},
			judge: 1, want: WarnSimpleCSRF,
		},
		{
			name:  "exposing a token header",
			flows: []ex{{id: 1, method: "GET", url: u("/t"), req: chromeReq(), status: 200, resp: []string{"Access-Control-Allow-Origin: *", "Access-Control-Expose-Headers: X-Auth-Token", "X-Auth-Token: s3cr3t"}}},
			judge: 1, want: WarnSensitiveExposed,
		},
		{
			name: "a public page reaching a local address",
			flows: []ex{{id: 1, method: "GET", url: "http://localhost:8080/x", req: []string{"Origin: https://app.example.com", "Sec-Fetch-Mode: cors"}, status: 200,
				resp: []string{"Access-Control-Allow-Origin: *"}}},
			judge: 1, want: WarnLocalNetworkAccess,
		},
		{
			name: "a local service answering * to another site",
			flows: []ex{{id: 1, method: "GET", url: "http://192.168.1.20/api", req: []string{"Origin: https://app.example.com", "Sec-Fetch-Mode: cors"}, status: 200,
				resp: []string{"Access-Control-Allow-Origin: *"}}},
			judge: 1, want: WarnWildcardLocal,
		},
		{
			name: "localhost to localhost with * is the dev setup, not flagged",
			flows: []ex{{id: 1, method: "GET", url: "http://localhost:8080/x", req: []string{"Origin: http://localhost:3000", "Sec-Fetch-Mode: cors"}, status: 200,
				resp: []string{"Access-Control-Allow-Origin: *"}}},
			judge: 1, want: WarnWildcardLocal, not: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := run(t, tc.flows...)[tc.judge]
			got := hasWarning(v, tc.want)
			if got == tc.not {
				t.Fatalf("warning %s present = %v, want %v (kind %s, warnings %v)", tc.want, got, !tc.not, v.Kind, warningCodes(v))
			}
			for _, w := range v.Warnings {
				if w.Message == "" || strings.Contains(w.Message, "%") {
					t.Errorf("warning %s has a bad message %q", w.Code, w.Message)
				}
			}
			if got && v.Fix == nil && (v.Kind != KindAllowed || slices.ContainsFunc(v.Warnings, serverConfigFixes)) {
				t.Error("a verdict with warnings the CORS configuration cures has no fix spec")
			}
		})
	}
}

func TestReflectionFoundLaterUpdatesEarlierVerdicts(t *testing.T) {
	a := NewAnalyzer()
	first := ex{id: 1, at: 0, method: "GET", url: u("/me"), req: chromeReq("Cookie: s=1"), status: 200,
		resp: []string{"Access-Control-Allow-Origin: " + labPage, "Access-Control-Allow-Credentials: true", "Vary: Origin"}}
	second := ex{id: 2, at: 5, method: "GET", url: u("/me"), req: reqFrom("https://evil.example", "Cookie: s=1"), status: 200,
		resp: []string{"Access-Control-Allow-Origin: https://evil.example", "Access-Control-Allow-Credentials: true", "Vary: Origin"}}
	if vs := a.Ingest(first.flow()); hasWarning(vs[0], WarnReflectedOrigin) {
		t.Fatal("reflection claimed from one origin")
	}
	vs := a.Ingest(second.flow())
	if len(vs) != 2 || vs[0].Flow != 2 || vs[1].Flow != 1 || !hasWarning(vs[1], WarnReflectedOrigin) {
		t.Fatalf("want the new verdict and the updated earlier one, got %v", kinds(vs))
	}
}

func TestHeaderReflectionFoundLaterUpdatesEarlierVerdicts(t *testing.T) {
	a := NewAnalyzer()
	echo := ex{id: 1, at: 0, method: "OPTIONS", url: u("/a"), req: chromePreflight(labPage, "PUT", "content-type"), status: 204,
		resp: okPreflight("PUT", "content-type")}
	probe := ex{id: 2, at: 10, method: "OPTIONS", url: u("/b"), req: chromePreflight(labPage, "PUT", "x-7f3a9c2e1b"), status: 204,
		resp: okPreflight("PUT", "x-7f3a9c2e1b")}
	if vs := a.Ingest(echo.flow()); hasWarning(vs[0], WarnReflectedHeaders) {
		t.Fatal("reflection claimed from one echo")
	}
	vs := a.Ingest(probe.flow())
	if len(vs) != 2 || vs[0].Flow != 2 || vs[1].Flow != 1 || !hasWarning(vs[0], WarnReflectedHeaders) || !hasWarning(vs[1], WarnReflectedHeaders) {
		t.Fatalf("want the new verdict and the updated earlier one, both warned, got %v", kinds(vs))
	}
	for _, w := range vs[1].Warnings {
		if w.Code == WarnReflectedHeaders && !strings.Contains(w.Message, "preflight #2 asked for the header x-7f3a9c2e1b") {
			t.Errorf("the warning does not say which preflight proved it: %q", w.Message)
		}
	}
}

func TestImplausibleNames(t *testing.T) {
	real := []string{"content-type", "x-request-id", "authorization", "x-csrf-token", "x-xsrf-token", "x-requested-with",
		"traceparent", "tracestate", "baggage", "sentry-trace", "x-b3-traceid", "x-b3-parentspanid", "x-amz-content-sha256",
		"x-amz-security-token", "x-goog-api-key", "x-goog-ext-353267353-bin", "x-client-data", "x-api-key", "apikey",
		"x-supabase-api-version", "x-stainless-package-version", "x-ms-client-request-id", "ocp-apim-subscription-key",
		"x-datadog-parent-id", "x-http-method-override", "x-oauth2token", "x-sha256digest", "if-none-match",
		"put", "patch", "delete", "propfind", "mkcalendar", "purge", "query"}
	for _, n := range real {
		if implausibleName(n) {
			t.Errorf("%q taken for a name no allow-list holds", n)
		}
	}
	made := []string{"x-evil", "x-foo", "foo", "x-canary", "x-pwned", "x-5f0c2a9e", "5f0c2a9e-4b1d-4c8e-9a57-1d2f3e4a5b6c",
		"x-corscope-k3j9x2m7q1", "x_attacker_header", "bogus"}
	for _, n := range made {
		if !implausibleName(n) {
			t.Errorf("%q not recognised as made up", n)
		}
	}
}

func TestUnexposedHeadersFeedTheFix(t *testing.T) {
	v := run(t, ex{id: 1, method: "GET", url: u("/list"), req: chromeReq(), status: 200,
		resp: []string{"Access-Control-Allow-Origin: *", "Link: <x>; rel=next", "X-Total-Count: 3", "X-Frame-Options: DENY", "Content-Type: application/json"}})[1]
	if v.Fix == nil || strings.Join(v.Fix.Expose, ",") != "link,x-total-count" {
		t.Fatalf("fix %+v", v.Fix)
	}
}

func TestAllowedWithoutWarningsHasNoFix(t *testing.T) {
	v := run(t,
		ex{id: 1, at: 0, method: "OPTIONS", url: u("/ok"), req: chromePreflight(labPage, "PUT", "content-type"), status: 204,
			resp: okPreflight("PUT", "content-type", "Access-Control-Max-Age: 600")},
		ex{id: 2, at: 3, method: "PUT", url: u("/ok"), req: chromeReq("Content-Type: application/json"), status: 200,
			resp: []string{"Access-Control-Allow-Origin: " + labPage, "Content-Type: application/json"}},
	)
	for id := capture.FlowID(1); id <= 2; id++ {
		if v[id].Kind != KindAllowed || v[id].Fix != nil || len(v[id].Warnings) != 0 {
			t.Errorf("flow %d: %s fix %+v warnings %v", id, v[id].Kind, v[id].Fix, warningCodes(v[id]))
		}
	}
}

// Local Network Access is the browser's permission, not a header: an
// allowed request warned only about it gets no "the server must send".
func TestAllowedWithOnlyABrowserSideWarningHasNoFix(t *testing.T) {
	v := run(t, ex{id: 1, method: "GET", url: "http://127.0.0.1:8080/me", req: reqFrom("https://app.example.com", "Cookie: s=1"), status: 200,
		resp: []string{"Access-Control-Allow-Origin: https://app.example.com", "Access-Control-Allow-Credentials: true", "Vary: Origin"}})[1]
	if v.Kind != KindAllowed || !hasWarning(v, WarnLocalNetworkAccess) || v.Fix != nil {
		t.Fatalf("%s, warnings %v, fix %+v; want allowed, local-network-access and no fix", v.Kind, warningCodes(v), v.Fix)
	}
	v = run(t, ex{id: 1, method: "GET", url: "http://127.0.0.1:8080/me", req: reqFrom("null"), status: 200,
		resp: []string{"Access-Control-Allow-Origin: null"}})[1]
	if !hasWarning(v, WarnNullOrigin) || v.Fix == nil {
		t.Fatalf("warnings %v, fix %+v; a warning the configuration cures keeps its fix", warningCodes(v), v.Fix)
	}
}
