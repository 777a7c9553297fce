package analyze

import (
	"strings"
	"testing"
)

func TestSafelistedContentTypeRules(t *testing.T) {
	cases := []struct {
		v    string
		safe bool
	}{
		{"text/plain", true},
		{"text/plain;charset=UTF-8", true},
		{"text/plain; charset=utf-8", true},
		{"TEXT/PLAIN", true},
		{"application/x-www-form-urlencoded;charset=UTF-8", true},
		{"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", true},
		{"text/plain;", true},
		{" text/plain ", true},
		{`text/plain; a="b"`, false}, // '"' is a CORS-unsafe byte (lab t03)
		{"text/plain; a=(b)", false},
		{"application/json", false}, // lab t11
		{"application/json; charset=utf-8", false},
		{"text/html", false},
		{"text/plain, text/html", false},
		{"text", false},
		{"/plain", false},
		{"text/", false},
		{"", false},
		{"text/pl ain", false},
		{"text/plain\x01", false},
		{"text/plain; x=" + strings.Repeat("y", 120), false}, // 129+ bytes
	}
	for _, tc := range cases {
		if got := isSafelistedHeader(hkContentType, tc.v); got != tc.safe {
			t.Errorf("Content-Type %q safelisted = %v, want %v", tc.v, got, tc.safe)
		}
	}
}

func TestSafelistedHeaderValueRules(t *testing.T) {
	cases := []struct {
		name, v string
		safe    bool
	}{
		{"Accept", "*/*", true},
		{"Accept", "application/json, text/plain, */*", true},
		{"Accept", strings.Repeat("a", 128), true},
		{"Accept", strings.Repeat("a", 129), false}, // lab t01
		{"Accept", "text/html; q=(1)", false},
		{"Accept", "a\tb", true},    // tab is not unsafe
		{"Accept", "a\x7fb", false}, // DEL is
		{"Accept-Language", "en-US,en;q=0.9", true},
		{"Accept-Language", "en(US)", false}, // lab t10
		{"Accept-Language", "*", true},
		{"Accept-Language", "de_DE", false},
		{"Content-Language", "de-DE", true}, // lab t15
		{"Content-Language", "de/DE", false},
		{"Range", "bytes=0-100", true}, // lab t04
		{"Range", "bytes=0-", true},
		{"Range", "bytes=-100", false}, // lab t05: suffix range
		{"Range", "bytes=100-0", false},
		{"Range", "bytes=0-1,2-3", false},
		{"Range", "bytes= 0-1", false},
		{"Range", "BYTES=0-1", true},
		{"Range", "items=0-1", false},
		{"Range", "bytes=a-1", false},
		{"Range", "bytes=99999999999999999999-", false},
		{"DPR", "2", true}, // lab t06
		{"DPR", "1.5", true},
		{"DPR", "1.", false},
		{"DPR", ".5", false},
		{"DPR", "1.5.1", false},
		{"Device-Memory", "8", true},
		{"Downlink", "10.0", true},
		{"Downlink", "fast", false},
		{"Width", "100", true}, // lab t08
		{"Width", "100.5", false},
		{"Viewport-Width", "", false},
		{"RTT", "50", true},
		{"RTT", "-1", false},
		{"ECT", "4g", true},
		{"ECT", "slow-2g", true},
		{"ECT", "5g", false},
		{"ECT", "4G", false},
		{"Save-Data", "on", true}, // lab t07
		{"Save-Data", "ON", true},
		{"Save-Data", "off", false},
		{"Intervention", "x", true}, // lab t09
		{"Intervention", strings.Repeat("x", 129), false},
		{"X-Custom", "1", false},
	}
	for _, tc := range cases {
		if got := isSafelistedHeader(headerKindOf(tc.name), tc.v); got != tc.safe {
			t.Errorf("%s: %q safelisted = %v, want %v", tc.name, tc.v, got, tc.safe)
		}
	}
}

func TestUnsafeRequestHeadersSkipForbiddenAndBrowserAdded(t *testing.T) {
	cases := []struct {
		name         string
		lines        []string
		authzBrowser bool
		want         string
	}{
		{"a plain Chrome fetch has none", chromeReq(), false, ""},
		{"custom headers are lower-cased and sorted", chromeReq("X-B: 1", "X-A: 2"), false, "x-a,x-b"},
		{"JSON content type counts", chromeReq("Content-Type: application/json"), false, "content-type"},
		{"cookies and Sec- headers never count", chromeReq("Cookie: a=b", "Sec-CH-UA: x", "Proxy-Connection: keep-alive"), false, ""},
		{"HTTP/2 pseudo-headers never count", []string{":method: GET", ":path: /", "origin: " + labPage}, false, ""},
		{"revalidation and cache-mode headers are the browser's", chromeReq("Cache-Control: no-cache", "Pragma: no-cache", "If-None-Match: \"x\""), false, ""},
		{"a bearer token counts", chromeReq("Authorization: Bearer x"), false, "authorization"},
		{"browser-added basic auth does not", chromeReq("Authorization: Basic eDp5"), true, ""},
		{"X-HTTP-Method-Override with TRACE is forbidden", chromeReq("X-HTTP-Method-Override: TRACE"), false, ""},
		{"X-HTTP-Method-Override with PATCH counts", chromeReq("X-HTTP-Method-Override: PATCH"), false, "x-http-method-override"},
		{"repeated custom header is listed once", chromeReq("X-A: 1", "x-a: 2"), false, "x-a"},
		{
			"more than 1024 bytes of safelisted values make them all unsafe",
			[]string{"Origin: " + labPage, "Accept: " + strings.Repeat("a", 128), "Accept-Language: " + strings.Repeat("b", 128),
				"Content-Language: " + strings.Repeat("c", 128), "DPR: " + strings.Repeat("1", 128), "Device-Memory: " + strings.Repeat("2", 128),
				"Downlink: " + strings.Repeat("3", 128), "Width: " + strings.Repeat("4", 128), "Viewport-Width: " + strings.Repeat("5", 128),
				"RTT: " + strings.Repeat("6", 128)},
			false,
			"accept,accept-language,content-language,device-memory,downlink,dpr,rtt,viewport-width,width",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := unsafeRequestHeaders(heads(tc.lines...), tc.authzBrowser)
			if strings.Join(got, ",") != tc.want {
				t.Errorf("unsafe = %v, want %q", got, tc.want)
			}
		})
	}
}

func TestParseAllowList(t *testing.T) {
	cases := []struct {
		v     string
		lower bool
		want  string
		ok    bool
	}{
		{"", false, "", true},
		{"GET, POST", false, "GET|POST", true},
		{"GET,POST,,", false, "GET|POST", true},
		{" PUT ,\tpatch ", false, "PUT|patch", true},
		{"*", false, "*", true},
		{"GET POST", false, "", false}, // lab s15
		{"GET;POST", false, "", false},
		{`"GET"`, false, "", false},
		{"X Foo", true, "", false}, // lab s21
		{"Content-Type, X-Custom", true, "content-type|x-custom", true},
		{"x-a/b", true, "", false},
	}
	for _, tc := range cases {
		got, _, ok := parseAllowList(tc.v, tc.lower)
		if ok != tc.ok || ok && strings.Join(got, "|") != tc.want {
			t.Errorf("parseAllowList(%q) = %v, %v; want %q, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseOrigin(t *testing.T) {
	cases := []struct{ in, want string }{
		{"http://127.0.0.1:18002/s01/x", "http://127.0.0.1:18002"},
		{"https://API.Example.com/x?y", "https://api.example.com"},
		{"https://example.com:443/", "https://example.com"},
		{"http://example.com:80", "http://example.com"},
		{"http://example.com:8080?q", "http://example.com:8080"},
		{"http://user:pw@example.com/x", "http://example.com"},
		{"http://[::1]:3000/x", "http://[::1]:3000"},
		{"http://example.com:0080/", "http://example.com"},
		{"null", "null"},
		{"", "null"},
		{"data:text/plain,hi", "null"},
		{"http://", "null"},
		{"http://example.com:99999/", "null"},
		{"http://[::1/", "null"},
	}
	for _, tc := range cases {
		if got := parseOrigin(tc.in).Serialized; got != tc.want {
			t.Errorf("parseOrigin(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParsesAsURLSplitsInvalidFromMismatch(t *testing.T) {
	cases := []struct {
		v  string
		ok bool
	}{
		{"http://a.example", true},
		{"https://a.example:8443/path", true},
		{"http://127.0.0.1:18001/", true},
		{"foo", false}, // lab s05
		{"example.com", false},
		{"", false}, // lab s26
		{"http://", false},
		{"http://a b", false},
		{"https://*.example.com", true},
		{"chrome-extension://abc", true},
		{"http://a.example:port", false},
	}
	for _, tc := range cases {
		if got := parsesAsURL(tc.v); got != tc.ok {
			t.Errorf("parsesAsURL(%q) = %v, want %v", tc.v, got, tc.ok)
		}
	}
}

func TestSameSiteIsSchemefulAndUsesRegistrableDomains(t *testing.T) {
	cases := []struct {
		a, b string
		same bool
	}{
		{"http://127.0.0.1:18001", "http://127.0.0.1:18002", true},
		{"https://app.example.com", "https://api.example.com", true},
		{"http://app.example.com", "https://api.example.com", false},
		{"https://a.github.io", "https://b.github.io", false}, // github.io is a public suffix
		{"https://example.com", "https://example.org", false},
		{"http://localhost:3000", "http://localhost:8080", true},
	}
	for _, tc := range cases {
		if got := sameSite(parseOrigin(tc.a), parseOrigin(tc.b)); got != tc.same {
			t.Errorf("sameSite(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
}

func TestAccessCheckOrder(t *testing.T) {
	o := labPage
	cases := []struct {
		name    string
		lines   []string
		include bool
		want    code
		param   string
	}{
		{"wildcard without credentials passes and ignores ACAC", []string{"Access-Control-Allow-Origin: *", "Access-Control-Allow-Credentials: false"}, false, codeNone, ""},
		{"wildcard with credentials", []string{"Access-Control-Allow-Origin: *", "Access-Control-Allow-Credentials: true"}, true, codeWildcardOriginNotAllowed, ""},
		{"missing", nil, false, codeMissingAllowOriginHeader, ""},
		{"list in one line", []string{"Access-Control-Allow-Origin: " + o + " " + o}, false, codeMultipleAllowOriginValues, o + " " + o},
		{"two identical lines", []string{"Access-Control-Allow-Origin: " + o, "Access-Control-Allow-Origin: " + o}, false, codeMultipleAllowOriginValues, o + ", " + o},
		{"upper-case origin is a mismatch", []string{"Access-Control-Allow-Origin: HTTP://127.0.0.1:18001"}, false, codeAllowOriginMismatch, "HTTP://127.0.0.1:18001"},
		{"exact origin without credentials ignores ACAC", []string{"Access-Control-Allow-Origin: " + o}, false, codeNone, ""},
		{"ACAC true, true fails", []string{"Access-Control-Allow-Origin: " + o, "Access-Control-Allow-Credentials: true", "Access-Control-Allow-Credentials: true"}, true, codeInvalidAllowCredentials, "true, true"},
		{"surrounding spaces are trimmed", []string{"Access-Control-Allow-Origin:  " + o + " "}, false, codeNone, ""},
	}
	for _, tc := range cases {
		r := accessCheck(heads(tc.lines...), tc.include, o)
		if r.code != tc.want || r.param != tc.param {
			t.Errorf("%s: got %s/%q, want %s/%q", tc.name, r.code, r.param, tc.want, tc.param)
		}
	}
}

func TestMaxAgeFollowsChromium(t *testing.T) {
	cases := []struct {
		line string
		want int64
	}{
		{"", 5},
		{"Access-Control-Max-Age: 600", 600},
		{"Access-Control-Max-Age: 86400", 7200},
		{"Access-Control-Max-Age: 0", 0},
		{"Access-Control-Max-Age: -1", 0},
		{"Access-Control-Max-Age: abc", 5},
		{"Access-Control-Max-Age: 99999999999999999999999", 7200},
	}
	for _, tc := range cases {
		var lines []string
		if tc.line != "" {
			lines = []string{tc.line}
		}
		raw, present := heads(lines...).Joined(hACMA)
		if got, _, _ := parseMaxAge(raw, present); got != tc.want {
			t.Errorf("%q: max age %d, want %d", tc.line, got, tc.want)
		}
	}
}

func TestPrintableParamEscapesLikeChromium(t *testing.T) {
	cases := map[string]string{
		"http://a.example": "http://a.example",
		"a\x01b":           `a\u0001b`,
		"é":                `\u00E9`,
		"😀":                `\uD83D\uDE00`,
	}
	for in, want := range cases {
		if got := printableParam(in); got != want {
			t.Errorf("printableParam(%q) = %q, want %q", in, got, want)
		}
	}
}

// The switch-based lookups must agree with the reference tables.
func TestHeaderKindSwitchesMatchTables(t *testing.T) {
	for name, k := range headerKinds {
		if got := kindOfLower(name); got != k {
			t.Errorf("kindOfLower(%q) = %d, want %d", name, got, k)
		}
		if got := headerKindOf(strings.ToUpper(name)); got != k {
			t.Errorf("headerKindOf(%q) = %d, want %d", strings.ToUpper(name), got, k)
		}
	}
	for name, k := range respKinds {
		if got := respKindOfLower(name); got != k {
			t.Errorf("respKindOfLower(%q) = %d, want %d", name, got, k)
		}
	}
	if kindOfLower("x-custom") != hkOther || respKindOfLower("x-custom") != rkOther {
		t.Error("unknown names must be 'other'")
	}
}
