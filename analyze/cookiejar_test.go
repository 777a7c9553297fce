package analyze

import (
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/capture"
)

// navTo is a top-level navigation to url whose response sets cookies.
func navTo(id capture.FlowID, at int, url, site string, setCookies ...string) ex {
	resp := []string{"Content-Type: text/html"}
	for _, c := range setCookies {
		resp = append(resp, "Set-Cookie: "+c)
	}
	return ex{id: id, at: at, method: "GET", url: url, status: 200, resp: resp,
		req: []string{"Accept: text/html", "Sec-Fetch-Site: " + site, "Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document", "Sec-Fetch-User: ?1"}}
}

// fetchSetting is a same-origin fetch() (GET, so no Origin header) whose
// response sets cookies, as a login call does.
func fetchSetting(id capture.FlowID, at int, url string, setCookies ...string) ex {
	x := navTo(id, at, url, "same-origin", setCookies...)
	x.req = []string{"Accept: */*", "Sec-Fetch-Site: same-origin", "Sec-Fetch-Mode: cors", "Sec-Fetch-Dest: empty"}
	return x
}

// plainGet is fetch(url) from page, without a Cookie header, answered
// with the page's origin and no Access-Control-Allow-Credentials: allowed
// without credentials, InvalidAllowCredentials with them.
func plainGet(id capture.FlowID, at int, url, page, site string) ex {
	return ex{id: id, at: at, method: "GET", url: url, status: 200,
		req:  []string{"Accept: */*", "Origin: " + page, "Sec-Fetch-Site: " + site, "Sec-Fetch-Mode: cors", "Sec-Fetch-Dest: empty"},
		resp: []string{"Access-Control-Allow-Origin: " + page, "Content-Type: application/json"}}
}

func TestSetCookieTellsAnUncredentialedRequest(t *testing.T) {
	const (
		page = "http://localhost:3000"
		api  = "http://localhost:8080"
	)
	get := func(id capture.FlowID, at int) ex { return plainGet(id, at, api+"/api/status", page, "same-site") }
	httpDate := func(d time.Duration) string { return labEpoch.Add(d).Format(time.RFC1123) }
	type jarCase struct {
		name   string
		flows  []ex
		decide bool   // true: allowed, credentials omitted; false: undecidable
		cookie string // the cookie the explanation must name
		setBy  string // and the flow that set it
		judge  capture.FlowID
	}
	cases := []jarCase{
		{name: "the page's Lax session cookie goes to another port of the same host (the demo)",
			flows:  []ex{navTo(1, 0, page+"/", "none", "session=3b1e6c0d9f2a; Path=/; HttpOnly; SameSite=Lax"), get(2, 50)},
			decide: true, cookie: "session", setBy: "#1"},
		{name: "a cookie set by a same-origin login fetch counts",
			flows:  []ex{fetchSetting(1, 0, page+"/auth/login", "sid=abc; Path=/"), get(2, 50)},
			decide: true, cookie: "sid", setBy: "#1"},
		{name: "without SameSite the cookie is Lax, and a same-site request gets it",
			flows:  []ex{navTo(1, 0, page+"/", "none", "sid=abc; Path=/"), get(2, 50)},
			decide: true, cookie: "sid"},
		{name: "a Strict cookie goes on a same-site request",
			flows:  []ex{navTo(1, 0, page+"/", "none", "sid=abc; Path=/; SameSite=Strict"), get(2, 50)},
			decide: true, cookie: "sid"},
		{name: "a later Set-Cookie replaces the cookie but keeps it",
			flows:  []ex{navTo(1, 0, page+"/", "none", "sid=a; Path=/"), fetchSetting(2, 10, page+"/refresh", "sid=b; Path=/; Max-Age=600"), get(3, 50)},
			decide: true, cookie: "sid", setBy: "#2"},

		{name: "no Set-Cookie, no evidence",
			flows: []ex{navTo(1, 0, page+"/", "none"), get(2, 50)}},
		{name: "a cookie set after the request started is no evidence for it",
			flows: []ex{get(1, 0), navTo(2, 5, page+"/", "none", "sid=abc; Path=/")}, judge: 1},
		{name: "a cookie scoped to another path does not go along",
			flows: []ex{navTo(1, 0, page+"/", "none", "sid=abc; Path=/admin"), get(2, 50)}},
		{name: "the default path is the setter's directory",
			flows: []ex{fetchSetting(1, 0, page+"/auth/login", "sid=abc"), get(2, 50)}},
		{name: "a path prefix is not a path match",
			flows: []ex{navTo(1, 0, page+"/", "none", "sid=abc; Path=/ap"), get(2, 50)}},
		{name: "deleted by Max-Age=0 before the request",
			flows: []ex{navTo(1, 0, page+"/", "none", "sid=abc; Path=/"), fetchSetting(2, 10, page+"/logout", "sid=; Path=/; Max-Age=0"), get(3, 50)}},
		{name: "deleted by an Expires in the past",
			flows: []ex{navTo(1, 0, page+"/", "none", "sid=abc; Path=/"), fetchSetting(2, 10, page+"/logout", "sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"), get(3, 50)}},
		{name: "expired by its Max-Age when the request starts",
			flows: []ex{navTo(1, 0, page+"/", "none", "sid=abc; Path=/; Max-Age=1"), get(2, 5000)}},
		{name: "an Expires corscope cannot read drops the cookie of that name",
			flows: []ex{navTo(1, 0, page+"/", "none", "sid=abc; Path=/"), fetchSetting(2, 10, page+"/x", "sid=; Path=/; Expires=yesterday"), get(3, 50)}},
		{name: "a host-only cookie of the parent domain does not reach a subdomain",
			flows: []ex{navTo(1, 0, "https://example.com/", "none", "sid=abc; Path=/"),
				plainGet(2, 50, "https://api.example.com/me", "https://example.com", "same-site")}},
		{name: "a Domain attribute the setter cannot set is refused",
			flows: []ex{navTo(1, 0, "https://example.com/", "none", "sid=abc; Path=/; Domain=other.com"),
				plainGet(2, 50, "https://api.example.com/me", "https://example.com", "same-site")}},
		{name: "a Domain that is a public suffix is refused",
			flows: []ex{navTo(1, 0, "https://www.example.com/", "none", "sid=abc; Path=/; Domain=com"),
				plainGet(2, 50, "https://api.example.com/me", "https://www.example.com", "same-site")}},
		{name: "a Secure cookie set over plain http to a public host is refused",
			flows: []ex{navTo(1, 0, "http://example.com/", "none", "sid=abc; Path=/; Secure; Domain=example.com"),
				plainGet(2, 50, "https://api.example.com/me", "https://example.com", "same-site")}},
		{name: "... while the same cookie set over https counts",
			flows: []ex{navTo(1, 0, "https://example.com/", "none", "sid=abc; Path=/; Secure; Domain=example.com"),
				plainGet(2, 50, "https://api.example.com/me", "https://example.com", "same-site")},
			decide: true, cookie: "sid"},
		{name: "a Secure cookie does not go to a plain-http public host",
			flows: []ex{navTo(1, 0, "https://example.com/", "none", "sid=abc; Path=/; Secure; Domain=example.com"),
				plainGet(2, 50, "http://api.example.com/me", "http://example.com", "same-site")}},
		{name: "SameSite=None without Secure is refused",
			flows: []ex{navTo(1, 0, page+"/", "none", "sid=abc; Path=/; SameSite=None"), get(2, 50)}},
		{name: "a __Host- cookie with a Domain attribute is refused",
			flows: []ex{navTo(1, 0, "https://example.com/", "none", "__Host-sid=abc; Path=/; Secure; Domain=example.com"),
				plainGet(2, 50, "https://example.com:8443/me", "https://example.com", "same-site")}},
		{name: "a Partitioned cookie does not count",
			flows: []ex{navTo(1, 0, page+"/", "none", "sid=abc; Path=/; Secure; Partitioned"), get(2, 50)}},
		{name: "a SameSite=None cookie proves nothing for a cross-site request (third-party cookies may be blocked)",
			flows: []ex{navTo(1, 0, "https://api.example.com/", "none", "sid=abc; Path=/; Secure; SameSite=None"),
				plainGet(2, 50, "https://api.example.com/me", "https://app.other.test", "cross-site")}},
		{name: "a cross-site no-cors load's Set-Cookie is not known to be stored",
			flows: []ex{{id: 1, at: 0, method: "GET", url: "http://localhost:8080/pixel.gif", status: 200, resp: []string{"Set-Cookie: sid=abc; Path=/"},
				req: []string{"Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors", "Sec-Fetch-Dest: image"}}, get(2, 50)}},
		{name: "a CORS response's Set-Cookie is not known to be stored (its credentials mode is unknown)",
			flows: []ex{{id: 1, at: 0, method: "GET", url: api + "/api/login", status: 200,
				req:  []string{"Origin: " + page, "Sec-Fetch-Site: same-site", "Sec-Fetch-Mode: cors", "Sec-Fetch-Dest: empty"},
				resp: []string{"Access-Control-Allow-Origin: " + page, "Access-Control-Allow-Credentials: true", "Set-Cookie: sid=abc; Path=/"}}, get(2, 50)}},
		{name: "without Fetch Metadata the setter's context is unknown",
			flows: []ex{{id: 1, at: 0, method: "GET", url: page + "/", status: 200, req: []string{"Accept: text/html"}, resp: []string{"Set-Cookie: sid=abc; Path=/"}}, get(2, 50)}},
	}
	// Two cases need a Date header: Chromium shifts Expires by the
	// server's clock skew.
	cases = append(cases,
		jarCase{name: "Expires is read against the server's Date (a server clock an hour behind)",
			flows: []ex{{id: 1, at: 0, method: "GET", url: page + "/", status: 200,
				req:  []string{"Sec-Fetch-Site: none", "Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document"},
				resp: []string{"Date: " + httpDate(-time.Hour), "Set-Cookie: sid=abc; Path=/; Expires=" + httpDate(-30*time.Minute)}}, get(2, 60_000)},
			decide: true, cookie: "sid"},
		jarCase{name: "an Expires already past by the server's Date deletes",
			flows: []ex{{id: 1, at: 0, method: "GET", url: page + "/", status: 200,
				req:  []string{"Sec-Fetch-Site: none", "Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document"},
				resp: []string{"Date: " + httpDate(time.Hour), "Set-Cookie: sid=abc; Path=/; Expires=" + httpDate(30*time.Minute)}}, get(2, 60_000)}},
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs := run(t, tc.flows...)
			judge := tc.judge
			if judge == 0 {
				judge = tc.flows[len(tc.flows)-1].id
			}
			v := vs[judge]
			if !tc.decide {
				if v.Kind != KindUndecidable || v.Credentials != CredUnknown {
					t.Fatalf("got %s (credentials %s), want undecidable: %s", v.Kind, v.Credentials, v.Explanation)
				}
				return
			}
			if v.Kind != KindAllowed || v.Credentials != CredOmitted {
				t.Fatalf("got %s (credentials %s), want allowed without credentials: %s %s", v.Kind, v.Credentials, v.DependsOn, v.Explanation)
			}
			want := `the cookie "` + tc.cookie + `"`
			if !strings.Contains(v.Explanation, want) || !strings.Contains(v.Explanation, "InvalidAllowCredentials") {
				t.Errorf("explanation does not name %s and the credentialed outcome: %q", want, v.Explanation)
			}
			if tc.setBy != "" && !strings.Contains(v.Explanation, "Set-Cookie of "+tc.setBy) {
				t.Errorf("explanation does not name the setting flow %s: %q", tc.setBy, v.Explanation)
			}
			for _, secret := range []string{"3b1e6c0d9f2a", "abc", "=a;", "=b;"} {
				if strings.Contains(v.Explanation, secret) {
					t.Errorf("explanation leaks a cookie value (%q): %q", secret, v.Explanation)
				}
			}
		})
	}
}

// The cookie rules that depend on the host and scheme, on loopback
// origins (Chromium treats http://localhost and 127.0.0.1 as secure for
// cookies; measured in Chromium 156).
func TestSetCookieSecureOnLoopback(t *testing.T) {
	cases := []struct {
		name   string
		setter ex
		req    ex
		decide bool
	}{
		{name: "a Secure cookie set over http://127.0.0.1 goes to http://127.0.0.1 on another port",
			setter: fetchSetting(1, 0, labPage+"/login", "sid=1; Path=/; Secure; SameSite=Lax"),
			req:    plainGet(2, 50, u("/x"), labPage, "same-site"), decide: true},
		{name: "a Secure cookie set over http://localhost goes to http://localhost",
			setter: fetchSetting(1, 0, "http://localhost:3000/login", "sid=1; Path=/; Secure"),
			req:    plainGet(2, 50, "http://localhost:8080/x", "http://localhost:3000", "same-site"), decide: true},
		{name: "Domain equal to an IP host is host-only and counts",
			setter: fetchSetting(1, 0, labPage+"/login", "sid=1; Path=/; Domain=127.0.0.1"),
			req:    plainGet(2, 50, u("/x"), labPage, "same-site"), decide: true},
		{name: "a cookie set over https goes to http on the same host (no scheme binding)",
			setter: fetchSetting(1, 0, "https://127.0.0.1:18005/login", "sid=1; Path=/"),
			req:    plainGet(2, 50, u("/x"), labPage, "same-site"), decide: true},
		{name: "a cookie of 127.0.0.1 does not go to localhost",
			setter: fetchSetting(1, 0, labPage+"/login", "sid=1; Path=/"),
			req:    plainGet(2, 50, "http://localhost:18002/x", "http://localhost:18001", "same-site")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := run(t, tc.setter, tc.req)[2]
			decided := v.Kind == KindAllowed && v.Credentials == CredOmitted
			if decided != tc.decide || !decided && v.Kind != KindUndecidable {
				t.Fatalf("got %s (credentials %s), want decided=%v: %s", v.Kind, v.Credentials, tc.decide, v.Explanation)
			}
		})
	}
}

func TestCredentialedRequestStillShowsItsCookie(t *testing.T) {
	vs := run(t,
		navTo(1, 0, "http://localhost:3000/", "none", "session=x; Path=/; SameSite=Lax"),
		ex{id: 2, at: 50, method: "GET", url: "http://localhost:8080/api/me", status: 200,
			req:  []string{"Origin: http://localhost:3000", "Sec-Fetch-Site: same-site", "Sec-Fetch-Mode: cors", "Sec-Fetch-Dest: empty", "Cookie: session=x"},
			resp: []string{"Access-Control-Allow-Origin: *"}},
	)
	if v := vs[2]; v.Error != "WildcardOriginNotAllowed" || v.Credentials != CredInclude {
		t.Fatalf("%s %s", v.Error, v.Credentials)
	}
}

func TestForgettingTheSetterForgetsItsCookies(t *testing.T) {
	a := NewAnalyzer()
	a.Ingest(navTo(1, 0, "http://localhost:3000/", "none", "session=x; Path=/; SameSite=Lax").flow())
	if v := a.Ingest(plainGet(2, 50, "http://localhost:8080/a", "http://localhost:3000", "same-site").flow())[0]; v.Kind != KindAllowed {
		t.Fatalf("with the setter: %s", v.Kind)
	}
	a.Ingest(navTo(3, 60, "https://www.example.com/", "none", "sid=y; Path=/; Domain=Example.com", "pref=z; Path=/").flow())
	if n := len(a.st.jar.byDomain); n != 3 {
		t.Fatalf("the jar model files cookies under %d domains, want 3 (localhost, example.com, www.example.com)", n)
	}
	a.Forget(1, 2, 3)
	if v := a.Ingest(plainGet(4, 100, "http://localhost:8080/b", "http://localhost:3000", "same-site").flow())[0]; v.Kind != KindUndecidable {
		t.Fatalf("after forgetting the setter: %s", v.Kind)
	}
	if n := len(a.st.jar.byDomain) + len(a.st.jarWhy); n != 0 {
		t.Errorf("the jar model still holds %d entries", n)
	}
}

func TestCrossSiteCookieEvidence(t *testing.T) {
	const api = "https://api.example.com"
	withCookie := func(id capture.FlowID, at int, page string) ex {
		x := plainGet(id, at, api+"/me", page, "cross-site")
		x.req = append(x.req, "Cookie: sid=1")
		x.resp = append(x.resp, "Access-Control-Allow-Credentials: true")
		return x
	}
	cases := []struct {
		name   string
		before ex
		page   string
		decide bool
	}{
		{name: "a cross-site CORS request with a Cookie from the same page: third-party cookies go through",
			before: withCookie(1, 0, "https://app.other.test"), page: "https://app.other.test", decide: true},
		{name: "... from another page is no evidence (third-party cookies are decided per top-level site)",
			before: withCookie(1, 0, "https://third.test"), page: "https://app.other.test"},
		{name: "a cross-site navigation carries Lax cookies, which a cross-site fetch does not get",
			before: ex{id: 1, at: 0, method: "GET", url: api + "/", status: 200,
				req: []string{"Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document", "Cookie: sid=1"}},
			page: "https://app.other.test"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := run(t, tc.before, plainGet(2, 50, api+"/me", tc.page, "cross-site"))[2]
			decided := v.Kind == KindAllowed && v.Credentials == CredOmitted
			if decided != tc.decide || !decided && v.Kind != KindUndecidable {
				t.Fatalf("got %s (credentials %s), want decided=%v", v.Kind, v.Credentials, tc.decide)
			}
		})
	}
}

func TestParseSetCookie(t *testing.T) {
	cases := []struct {
		line    string
		ok      bool
		name    string
		domain  string
		path    string
		secure  bool
		ss      cookieSameSite
		maxAge  int64
		expires string // RFC 3339, "" for none
	}{
		{line: "sid=abc", ok: true, name: "sid"},
		{line: " sid = abc ; Path=/x ; HttpOnly", ok: true, name: "sid", path: "/x"},
		{line: "sid=abc; Domain=.Example.COM; Secure; SameSite=none", ok: true, name: "sid", domain: "example.com", secure: true, ss: ssNone},
		{line: "sid=abc; SameSite=Strict; SameSite=Lax", ok: true, name: "sid", ss: ssLax},
		{line: "sid=abc; SameSite=bogus", ok: true, name: "sid", ss: ssLax},
		{line: "sid=abc; Max-Age=600; Max-Age=60", ok: true, name: "sid", maxAge: 60},
		{line: "sid=; Max-Age=-1", ok: true, name: "sid", maxAge: -1},
		{line: "sid=abc; Max-Age=60s", ok: false, name: "sid"},
		{line: "sid=abc; Max-Age=+60", ok: false, name: "sid"},
		{line: "sid=abc; Max-Age=60; Expires=garbage", ok: true, name: "sid", maxAge: 60},
		{line: "sid=abc; Expires=garbage", ok: false, name: "sid"},
		{line: "sid=abc; Expires=Wed, 21 Oct 2037 07:28:00 GMT", ok: true, name: "sid", expires: "2037-10-21T07:28:00Z"},
		{line: "sid=abc; expires=Wednesday, 21-Oct-37 07:28:00 GMT", ok: true, name: "sid", expires: "2037-10-21T07:28:00Z"},
		{line: "sid=abc; SameSite=None", ok: false, name: "sid"},
		{line: "__Secure-sid=abc", ok: false, name: "__Secure-sid"},
		{line: "__secure-sid=abc; Secure", ok: true, name: "__secure-sid", secure: true},
		{line: "__Host-sid=abc; Secure; Path=/", ok: true, name: "__Host-sid", path: "/", secure: true},
		{line: "__Host-sid=abc; Secure", ok: false, name: "__Host-sid"},
		{line: "__Http-sid=abc; Secure", ok: false, name: "__Http-sid"},
		{line: "abc", ok: false},
		{line: "=abc", ok: false},
		{line: "sid=a\x01b", ok: false, name: "sid"},
		{line: "sid=abc; Domain=bücher.example", ok: false, name: "sid"},
		{line: "sid=abc; Path=/" + strings.Repeat("a", 1100), ok: false, name: "sid"},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c, ok := parseSetCookie(tc.line)
			if ok != tc.ok || c.name != tc.name {
				t.Fatalf("ok %v name %q, want ok %v name %q", ok, c.name, tc.ok, tc.name)
			}
			if !ok {
				return
			}
			var exp string
			if !c.expires.IsZero() {
				exp = c.expires.Format(time.RFC3339)
			}
			if c.domain != tc.domain || c.path != tc.path || c.secure != tc.secure || c.sameSite != tc.ss || c.maxAge != tc.maxAge || exp != tc.expires {
				t.Errorf("got domain %q path %q secure %v %s max-age %d expires %q", c.domain, c.path, c.secure, c.sameSite, c.maxAge, exp)
			}
		})
	}
}

func TestParseCookieDate(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Wed, 21 Oct 2015 07:28:00 GMT", "2015-10-21T07:28:00Z"},
		{"Wed, 21-Oct-2015 07:28:00 GMT", "2015-10-21T07:28:00Z"},
		{"Wednesday, 21-Oct-15 07:28:00 GMT", "2015-10-21T07:28:00Z"},
		{"Wed Oct 21 07:28:00 2015", "2015-10-21T07:28:00Z"},
		{"21 october 1999 7:8:9", "1999-10-21T07:08:09Z"},
		{"Thu, 01 Jan 1970 00:00:00 GMT", "1970-01-01T00:00:00Z"},
		{"Sat, 31 Feb 2015 07:28:00 GMT", ""}, // no such day
		{"Wed, 21 Oct 2015 24:00:00 GMT", ""},
		{"Wed, 21 Oct 1600 07:28:00 GMT", ""},
		{"tomorrow", ""},
		{"0", ""},
		{"", ""},
	}
	for _, tc := range cases {
		got, ok := parseCookieDate(tc.in)
		s := ""
		if ok {
			s = got.Format(time.RFC3339)
		}
		if s != tc.want {
			t.Errorf("parseCookieDate(%q) = %q, want %q", tc.in, s, tc.want)
		}
	}
}

func TestCookiePaths(t *testing.T) {
	match := []struct {
		req, cookie string
		want        bool
	}{
		{"/", "/", true}, {"/api/x", "/", true}, {"/api/x", "/api", true}, {"/api", "/api", true},
		{"/api/x", "/api/", true}, {"/apix", "/api", false}, {"/ap", "/api", false}, {"/API/x", "/api", false},
	}
	for _, m := range match {
		if got := cookiePathMatch(m.req, m.cookie); got != m.want {
			t.Errorf("cookiePathMatch(%q, %q) = %v", m.req, m.cookie, got)
		}
	}
	for in, want := range map[string]string{"/": "/", "": "/", "/login": "/", "/auth/login": "/auth", "/a/b/": "/a/b"} {
		if got := defaultCookiePath(in); got != want {
			t.Errorf("defaultCookiePath(%q) = %q, want %q", in, got, want)
		}
	}
}
