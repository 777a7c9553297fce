package demo

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testPage = "http://localhost:5173"

// exchange is one request to the API and the answer it must get.
type exchange struct {
	name    string
	method  string
	path    string
	header  map[string]string
	status  int
	want    map[string]string // response headers that must have exactly this value
	missing []string          // response headers that must be absent
}

// preflight builds the OPTIONS Chromium sends before method with headers.
func preflight(method, headers string) map[string]string {
	h := map[string]string{"Origin": testPage, "Access-Control-Request-Method": method}
	if headers != "" {
		h["Access-Control-Request-Headers"] = headers
	}
	return h
}

func withOrigin(kv ...string) map[string]string {
	h := map[string]string{"Origin": testPage}
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = kv[i+1]
	}
	return h
}

func TestAPIAnswersEachRouteWithItsPlantedMistake(t *testing.T) {
	api := httptest.NewServer(NewAPI(testPage))
	defer api.Close()

	for _, tc := range []exchange{
		{name: "products has no CORS headers", method: "GET", path: "/api/products", header: withOrigin(),
			status: 200, missing: []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials"}},
		{name: "users allows the production origin only", method: "GET", path: "/api/users", header: withOrigin(),
			status: 200, want: map[string]string{"Access-Control-Allow-Origin": wrongOrigin, "Vary": "Origin"}},
		{name: "orders allows the page origin with a trailing slash", method: "GET", path: "/api/orders", header: withOrigin(),
			status: 200, want: map[string]string{"Access-Control-Allow-Origin": testPage + "/"}},
		{name: "me answers the signed-in user with a wildcard and credentials", method: "GET", path: "/api/me",
			header: withOrigin("Cookie", sessionCookie), status: 200,
			want: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}},
		{name: "me refuses a request without the session cookie", method: "GET", path: "/api/me", header: withOrigin(), status: 401},
		{name: "users/42 preflight allows GET and POST only", method: "OPTIONS", path: "/api/users/42",
			header: preflight("PUT", "content-type"), status: 204,
			want: map[string]string{"Access-Control-Allow-Origin": testPage, "Access-Control-Allow-Methods": "GET, POST",
				"Access-Control-Allow-Headers": "Content-Type"}},
		{name: "users/42 PUT itself would have worked", method: "PUT", path: "/api/users/42", header: withOrigin(), status: 200,
			want: map[string]string{"Access-Control-Allow-Origin": testPage}},
		{name: "checkout preflight does not allow X-Request-Id", method: "OPTIONS", path: "/api/checkout",
			header: preflight("POST", "content-type,x-request-id"), status: 204,
			want: map[string]string{"Access-Control-Allow-Origin": testPage, "Access-Control-Allow-Headers": "Content-Type"}},
		{name: "invoices preflight meets authentication first", method: "OPTIONS", path: "/api/invoices",
			header: preflight("GET", "authorization"), status: 401,
			want:    map[string]string{"WWW-Authenticate": `Bearer realm="api"`},
			missing: []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Headers"}},
		{name: "invoices with a token has CORS headers", method: "GET", path: "/api/invoices",
			header: withOrigin("Authorization", bearerToken), status: 200,
			want: map[string]string{"Access-Control-Allow-Origin": testPage}},
		{name: "cart item preflight is 405 with CORS headers", method: "OPTIONS", path: "/api/cart/items/7",
			header: preflight("DELETE", ""), status: 405,
			want: map[string]string{"Access-Control-Allow-Origin": testPage, "Access-Control-Allow-Methods": "DELETE"}},
		{name: "cart item DELETE itself works", method: "DELETE", path: "/api/cart/items/7", header: withOrigin(), status: 204,
			want: map[string]string{"Access-Control-Allow-Origin": testPage}},
		{name: "settings preflight is redirected permanently", method: "OPTIONS", path: "/api/settings",
			header: preflight("PUT", "content-type"), status: 301,
			want:    map[string]string{"Location": "/api/settings/"},
			missing: []string{"Access-Control-Allow-Origin"}},
		{name: "settings with the slash answers the preflight", method: "OPTIONS", path: "/api/settings/",
			header: preflight("PUT", "content-type"), status: 204,
			want: map[string]string{"Access-Control-Allow-Origin": testPage, "Access-Control-Allow-Methods": "PUT"}},
		{name: "status control allows the page origin", method: "GET", path: "/api/status", header: withOrigin(), status: 200,
			want:    map[string]string{"Access-Control-Allow-Origin": testPage, "Vary": "Origin"},
			missing: []string{"Access-Control-Allow-Credentials"}},
		{name: "cart control preflight allows the PUT with credentials and X-Request-Id", method: "OPTIONS", path: "/api/cart",
			header: preflight("PUT", "content-type,x-request-id"), status: 204,
			want: map[string]string{"Access-Control-Allow-Origin": testPage, "Access-Control-Allow-Credentials": "true",
				"Access-Control-Allow-Methods": "GET, PUT, DELETE", "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Request-Id",
				"Access-Control-Max-Age": "600", "Vary": "Origin"}},
		{name: "cart control PUT answers with credentials", method: "PUT", path: "/api/cart",
			header: withOrigin("Cookie", sessionCookie, "Content-Type", jsonType), status: 200,
			want: map[string]string{"Access-Control-Allow-Origin": testPage, "Access-Control-Allow-Credentials": "true"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, api.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			// A RoundTrip, not Do: redirects must stay visible.
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			for k, v := range tc.want {
				if got := strings.Join(resp.Header.Values(k), ", "); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			for _, k := range tc.missing {
				if v, ok := resp.Header[http.CanonicalHeaderKey(k)]; ok {
					t.Errorf("%s is present (%q); the route must not send it", k, v)
				}
			}
		})
	}
}

// Every call the page makes must reach a route of the API that exists for
// its method, so that each mistake is the one planted and not a typo.
func TestEveryCallHasARoute(t *testing.T) {
	api := httptest.NewServer(NewAPI(testPage))
	defer api.Close()
	for _, c := range Calls() {
		req, _ := http.NewRequest(c.Method, api.URL+c.Path, strings.NewReader(c.Body))
		req.Header.Set("Origin", testPage)
		for _, h := range c.Header {
			req.Header.Set(h[0], h[1])
		}
		if c.Credentials {
			req.Header.Set("Cookie", sessionCookie)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if c.Path == "/api/settings" {
			if resp.StatusCode != http.StatusMovedPermanently {
				t.Errorf("%s %s: status %d, want the 301 the preflight gets too", c.Method, c.Path, resp.StatusCode)
			}
			continue
		}
		if resp.StatusCode >= 300 {
			t.Errorf("%s %s: status %d: the call must reach its handler", c.Method, c.Path, resp.StatusCode)
		}
	}
}
