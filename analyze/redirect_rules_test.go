package analyze

import (
	"strings"
	"testing"
)

// What Chromium 156 makes of 3xx answers, measured by the agreement suite
// (scenarios s10, p07, p08, p30–p41): only 301/302/303/307/308 with a
// non-empty Location redirect; any other 3xx is an ordinary response whose
// status the preflight check rejects after ACAO/ACAC; and a Location the
// network stack refuses fails the load before CORS looks at it.
func TestPreflight3xxAnswersAsChromiumJudgesThem(t *testing.T) {
	acao := "Access-Control-Allow-Origin: " + labPage
	acam := "Access-Control-Allow-Methods: PUT"
	cases := []struct {
		name   string
		status int
		resp   []string
		kind   Kind
		err    string
		netErr string // in the explanation of a failed verdict
	}{
		{"302 with Location", 302, []string{acao, acam, "Location: " + u("/y")}, KindBlocked, "PreflightDisallowedRedirect", ""},
		{"303 with Location", 303, []string{acao, acam, "Location: " + u("/y")}, KindBlocked, "PreflightDisallowedRedirect", ""},
		{"308 with Location, no ACAO", 308, []string{"Location: " + u("/y")}, KindBlocked, "PreflightDisallowedRedirect", ""},
		{"300 with Location is no redirect", 300, []string{acao, acam, "Location: " + u("/y")}, KindBlocked, "PreflightInvalidStatus", ""},
		{"300 with Location, no ACAO", 300, []string{"Location: " + u("/y")}, KindBlocked, "PreflightMissingAllowOriginHeader", ""},
		{"304", 304, []string{acao, acam}, KindBlocked, "PreflightInvalidStatus", ""},
		{"304 with Location, no ACAO", 304, []string{"Location: " + u("/y")}, KindBlocked, "PreflightMissingAllowOriginHeader", ""},
		{"302 without Location", 302, []string{acao, acam}, KindBlocked, "PreflightInvalidStatus", ""},
		{"307 without Location or ACAO", 307, nil, KindBlocked, "PreflightMissingAllowOriginHeader", ""},
		{"301 with an empty Location", 301, []string{acao, acam, "Location: "}, KindBlocked, "PreflightInvalidStatus", ""},
		{"399 with Location", 399, []string{acao, acam, "Location: " + u("/y")}, KindBlocked, "PreflightInvalidStatus", ""},
		{"302 with an unparseable Location", 302, []string{acao, acam, "Location: http://[::1"}, KindFailed, "", "net::ERR_INVALID_REDIRECT"},
		{"302 with an empty and a real Location", 302, []string{acao, acam, "Location: ", "Location: " + u("/y")}, KindFailed, "",
			"net::ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION"},
		{"204 with two different Locations", 204, []string{acao, acam, "Location: /a", "Location: /b"}, KindFailed, "",
			"net::ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION"},
		{"204 with the same Location twice", 204, []string{acao, acam, "Location: /a", "Location: /a"}, KindUndecidable, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := run(t, ex{id: 1, method: "OPTIONS", url: u("/r"), req: chromePreflight(labPage, "PUT", ""), status: tc.status, resp: tc.resp})[1]
			if v.Kind != tc.kind || v.Error != tc.err {
				t.Fatalf("%s %s, want %s %s (%s)", v.Kind, v.Error, tc.kind, tc.err, v.Explanation)
			}
			if tc.netErr != "" && (!strings.Contains(v.Explanation, tc.netErr) || !strings.Contains(v.Explanation, "not CORS") || !v.NeverSent) {
				t.Errorf("explanation %q (never sent %v)", v.Explanation, v.NeverSent)
			}
		})
	}
}

// The same network-stack rules hold for any response.
func TestResponsesChromeRefusesBeforeCORS(t *testing.T) {
	acao := "Access-Control-Allow-Origin: " + labPage
	cases := []struct {
		name   string
		status int
		resp   []string
		kind   Kind
		netErr string
	}{
		{"two different Location lines", 201, []string{acao, "Location: /items/1", "Location: /items/2"}, KindFailed, "net::ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION"},
		{"two different Content-Disposition lines", 200, []string{acao, "Content-Disposition: attachment; filename=a", "Content-Disposition: inline"}, KindFailed,
			"net::ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_DISPOSITION"},
		{"a redirect to an unparseable Location", 302, []string{acao, "Location: http://[::1"}, KindFailed, "net::ERR_INVALID_REDIRECT"},
		{"a 302 with an empty Location is a final response", 302, []string{acao, "Access-Control-Allow-Credentials: true", "Location: "}, KindAllowed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := run(t, ex{id: 1, method: "GET", url: u("/r"), req: chromeReq(), status: tc.status, resp: tc.resp})[1]
			if v.Kind != tc.kind || tc.netErr != "" && !strings.Contains(v.Explanation, tc.netErr) {
				t.Errorf("%s %s: %s", v.Kind, v.Error, v.Explanation)
			}
		})
	}
	// A navigation gets the same treatment: it is not CORS, but it failed.
	v := run(t, ex{id: 1, method: "GET", url: u("/page"), req: []string{"Sec-Fetch-Mode: navigate"}, status: 302,
		resp: []string{"Location: /a", "Location: /b"}})[1]
	if v.Kind != KindFailed {
		t.Errorf("navigation with two Locations: %s", v.Kind)
	}
}
