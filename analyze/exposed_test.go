package analyze

import (
	"slices"
	"strings"
	"testing"
)

// unexposedOf returns the header names the unexposed-response-headers
// warning lists, nil when there is none, and checks that the fix exposes
// the same names. (Without a warning the fix may still expose names: with
// credentials, "Access-Control-Expose-Headers: *" is a literal name.)
func unexposedOf(t *testing.T, v Verdict) []string {
	t.Helper()
	var names []string
	for _, w := range v.Warnings {
		if w.Code != WarnUnexposedHeaders {
			continue
		}
		_, list, ok := strings.Cut(w.Message, "Access-Control-Expose-Headers: ")
		if !ok {
			t.Fatalf("warning without a header list: %q", w.Message)
		}
		names = strings.Split(strings.TrimSuffix(list, "."), ", ")
	}
	if names != nil && (v.Fix == nil || !slices.Equal(names, v.Fix.Expose)) {
		t.Errorf("warning lists %v, fix %+v", names, v.Fix)
	}
	return names
}

// busyResponse carries headers a page reads next to the infrastructure
// headers real servers and CDNs add.
var busyResponse = []string{
	"Access-Control-Allow-Origin: *",
	"Content-Type: application/json",
	"ETag: \"v1\"",
	"Link: <https://api.example/items?page=2>; rel=\"next\"",
	"X-Total-Count: 42",
	"X-RateLimit-Remaining: 59",
	"X-Request-Id: 7f3a",
	"Content-Disposition: attachment; filename=report.csv",
	"X-GitHub-Request-Id: 0F80:30D2:320BA9:32CB96:589D6983",
	"X-Fastly-Request-ID: f72d616937de15711aade1df70220cf6f994cc98",
	"X-Amzn-RequestId: 1b2c",
	"X-Amz-Cf-Id: hcqRPcdq",
	"X-Cache: HIT",
	"X-Cache-Hits: 8003",
	"X-Served-By: cache-lax8626-LAX",
	"X-Timer: S1486805784.071691,VS0,VE0",
	"X-Powered-By: Express",
	"X-Frame-Options: DENY",
	"Via: 1.1 varnish",
	"Age: 94612",
	"CF-Ray: 8a1b2c3d4e5f-AMS",
	"Server-Timing: db;dur=53",
}

var busyWanted = []string{"content-disposition", "etag", "link", "x-ratelimit-remaining", "x-request-id", "x-total-count"}

func TestUnexposedHeadersOnlyWhereScriptCanReadThem(t *testing.T) {
	js := []string{"Access-Control-Allow-Origin: *", "Content-Type: text/javascript", "ETag: \"v1\"", "X-Request-Id: 1"}
	cases := []struct {
		name string
		rt   string
		req  []string
		resp []string
		want []string // nil: no warning
	}{
		{"fetch (Sec-Fetch-Dest empty)", "", chromeReq(), busyResponse, busyWanted},
		{"HAR resource type fetch", "fetch", destReq(""), busyResponse, busyWanted},
		{"HAR resource type xhr", "xhr", destReq(""), busyResponse, busyWanted},
		{"<script crossorigin>", "", destReq("script"), busyResponse, nil},
		{"<link rel=stylesheet crossorigin>", "", destReq("style"), busyResponse, nil},
		{"<img crossorigin>", "", destReq("image"), busyResponse, nil},
		{"@font-face", "", destReq("font"), busyResponse, nil},
		{"<video crossorigin>", "", destReq("video"), busyResponse, nil},
		{"HAR resource type script", "script", destReq(""), busyResponse, nil},
		{"HAR resource type stylesheet", "stylesheet", destReq(""), busyResponse, nil},
		{"HAR resource type font", "font", destReq(""), busyResponse, nil},
		{"HAR resource type eventsource (no headers API)", "eventsource", destReq(""), busyResponse, nil},
		{"stylesheet known only by Chromium's Accept", "", destReq("", "Accept: text/css,*/*;q=0.1"), busyResponse, nil},
		{"no destination, answered with a script", "", destReq(""), js, nil},
		{"no destination, answered with JSON", "", destReq(""), busyResponse, busyWanted},
		{"infrastructure header the page sends itself", "", chromeReq("X-Amzn-Trace-Id: Root=1-abc"),
			[]string{"Access-Control-Allow-Origin: *", "X-Amzn-Trace-Id: Root=1-abc;Self=1-def", "X-Cache: MISS"}, []string{"x-amzn-trace-id"}},
		{"everything exposed", "", chromeReq(), append(slices.Clone(busyResponse), "Access-Control-Expose-Headers: *"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := run(t, ex{id: 1, method: "GET", url: u("/items"), req: tc.req, rt: tc.rt, status: 200, resp: tc.resp})[1]
			if got := unexposedOf(t, v); !slices.Equal(got, tc.want) {
				t.Errorf("unexposed %v, want %v", got, tc.want)
			}
		})
	}
}

func TestUnexposedHeadersSkipRedirects(t *testing.T) {
	vs := run(t, ex{id: 1, method: "GET", url: u("/old"), req: chromeReq(), status: 302,
		resp: []string{"Access-Control-Allow-Origin: *", "Location: " + u("/new"), "ETag: \"1\""}})
	if got := unexposedOf(t, vs[1]); got != nil {
		t.Errorf("a redirect, which fetch follows without showing it: %v", got)
	}
	// A 201's Location is what the page reads to find the new resource.
	vs = run(t, ex{id: 1, method: "POST", url: u("/items"), req: chromeReq("Content-Type: text/plain"), status: 201,
		resp: []string{"Access-Control-Allow-Origin: *", "Location: /items/7"}})
	if got := unexposedOf(t, vs[1]); !slices.Equal(got, []string{"location"}) {
		t.Errorf("201 Created: %v", got)
	}
}

func TestUnexposedWarningNamesTheXHRGetter(t *testing.T) {
	v := run(t, ex{id: 1, method: "GET", url: u("/items"), req: chromeReq(), rt: "xhr", status: 200, resp: busyResponse})[1]
	for _, w := range v.Warnings {
		if w.Code == WarnUnexposedHeaders && !strings.Contains(w.Message, "xhr.getResponseHeader()") {
			t.Errorf("%q", w.Message)
		}
	}
}

func TestInfraHeaderKeepsApplicationIDs(t *testing.T) {
	for n, infra := range map[string]bool{
		"x-github-request-id": true, "x-amz-request-id": true, "x-amzn-requestid": true, "x-amzn-trace-id": true,
		"x-fastly-request-id": true, "x-cache": true, "x-cache-status": true, "x-served-by": true, "x-powered-by": true,
		"x-request-id": false, "x-correlation-id": false, "x-trace-id": false, "x-total-count": false,
		"x-ratelimit-remaining": false, "x-pagination-page": false, "x-my-app-request-id": false,
	} {
		if got := infraHeader(n); got != infra {
			t.Errorf("infraHeader(%q) = %v, want %v", n, got, infra)
		}
	}
}
