package demo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestFrontendServesThePageThatSignsInAndCallsEveryRoute(t *testing.T) {
	const api = "http://localhost:8081"
	fe := httptest.NewServer(NewFrontend(api, Calls()))
	defer fe.Close()

	resp, err := http.Get(fe.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ck := resp.Header.Get("Set-Cookie")
	if !strings.HasPrefix(ck, sessionCookie+";") || !strings.Contains(ck, "SameSite=Lax") {
		t.Errorf("Set-Cookie %q: want the session cookie, SameSite=Lax, so credentialed calls carry it", ck)
	}

	// The calls the script runs are the table's, aimed at the API.
	page := string(body)
	start := strings.Index(page, "const calls = ")
	if start < 0 {
		t.Fatal("the page has no call list")
	}
	rest := page[start+len("const calls = "):]
	var got []pageCall
	if err := json.NewDecoder(strings.NewReader(rest)).Decode(&got); err != nil {
		t.Fatalf("the call list is not JSON: %v", err)
	}
	calls := Calls()
	if len(got) != len(calls) {
		t.Fatalf("%d calls in the page, want %d", len(got), len(calls))
	}
	for i, c := range calls {
		g := got[i]
		if g.Method != c.Method || g.URL != api+c.Path || g.Credentials != c.Credentials || len(g.Headers) != len(c.Header) {
			t.Errorf("call %d: %+v, want %s %s%s credentials=%v headers=%v", i, g, c.Method, api, c.Path, c.Credentials, c.Header)
		}
	}
	if !strings.Contains(page, "window.corscopeDemo = runAll()") {
		t.Error("the page does not run its calls on load")
	}
	if !strings.Contains(page, `rel="icon" href="data:,"`) {
		t.Error("the page must not make the browser ask for /favicon.ico (a flow nobody planted)")
	}

	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/", 405},
		{"GET", "/favicon.ico", 404},
		{"GET", "/api/products", 404},
	} {
		req, _ := http.NewRequest(tc.method, fe.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
	}
}
