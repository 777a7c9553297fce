package analyze

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/corscope/corscope/capture"
)

// withUA replaces the User-Agent of a request header list.
func withUA(h []string, ua string) []string {
	out := make([]string, 0, len(h))
	for _, l := range h {
		if !strings.HasPrefix(l, "User-Agent:") {
			out = append(out, l)
		}
	}
	if ua != "" {
		out = append(out, "User-Agent: "+ua)
	}
	return out
}

const (
	ua120 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
	ua56  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/56.0.2924.87 Safari/537.36"
)

func TestBrowserRecordDecidesWhatTheWireCannot(t *testing.T) {
	star := []string{"Access-Control-Allow-Origin: *", "Content-Type: application/json"}
	failed := func(x ex) ex { x.kind, x.err = capture.ErrBrowser, "net::ERR_FAILED"; return x }
	// A POST with Origin and no Sec-Fetch-Mode (plain http to a remote
	// host): fetch() or a form, the wire cannot tell.
	formReq := []string{"Origin: " + labPage, "Content-Type: application/x-www-form-urlencoded", "User-Agent: " + ua120}
	cases := []struct {
		name    string
		x       ex
		kind    Kind
		err     string
		cred    Credentials
		note    string // in the explanation; "" means no record note
		element string // the wording the note must use, if any
	}{
		{name: "a completed fetch answered * was made without credentials",
			x: ex{method: "GET", req: chromeReq(), status: 200, resp: star, browser: true}, kind: KindAllowed, cred: CredOmitted,
			note: "Chrome's own record decides it", element: "fetch's default"},
		{name: "a completed <img crossorigin> answered * had no use-credentials",
			x: ex{method: "GET", req: destReq("image"), status: 200, resp: star, browser: true}, kind: KindAllowed, cred: CredOmitted,
			note: "Chrome's own record decides it", element: `<img> was marked crossorigin or crossorigin="anonymous"`},
		{name: "net::ERR_FAILED on a response that fails only with credentials was credentialed",
			x: failed(ex{method: "GET", req: chromeReq(), status: 200, resp: star, browser: true}), kind: KindBlocked,
			err: "WildcardOriginNotAllowed", cred: CredInclude, note: "only a credentialed request fails on this response"},
		{name: "a live capture decides nothing",
			x: ex{method: "GET", req: chromeReq(), status: 200, resp: star}, kind: KindUndecidable, cred: CredUnknown},
		{name: "Chrome 56 checked CORS after DevTools logged the response: its record decides nothing",
			x: ex{method: "GET", req: withUA(chromeReq(), ua56), status: 200, resp: star, browser: true}, kind: KindUndecidable, cred: CredUnknown},
		{name: "no User-Agent: the browser version is unknown",
			x: ex{method: "GET", req: withUA(chromeReq(), ""), status: 200, resp: star, browser: true}, kind: KindUndecidable, cred: CredUnknown},
		{name: "net::ERR_ABORTED is no CORS outcome",
			x:    ex{method: "GET", req: chromeReq(), status: 200, resp: star, browser: true, kind: capture.ErrBrowser, err: "net::ERR_ABORTED"},
			kind: KindUndecidable, cred: CredUnknown},
		{name: "a completed request of unknown mode that fails CORS was not CORS-checked",
			x:    ex{method: "POST", url: "http://api.example/form", req: formReq, status: 200, resp: []string{"Content-Type: text/html"}, browser: true},
			kind: KindNotCORS, cred: CredUnknown, note: "it was a form submission or a no-cors request"},
		{name: "a failed request of unknown mode was a CORS request",
			x:    failed(ex{method: "POST", url: "http://api.example/form", req: formReq, status: 200, resp: []string{"Content-Type: text/html"}, browser: true}),
			kind: KindBlocked, err: "MissingAllowOriginHeader", cred: CredUnknown, note: "so it was a CORS request from fetch() or XMLHttpRequest"},
		{name: "the same request of unknown mode, not browser-recorded, stays a question",
			x:    ex{method: "POST", url: "http://api.example/form", req: formReq, status: 200, resp: []string{"Content-Type: text/html"}},
			kind: KindUndecidable, cred: CredUnknown},
		{name: "a completed 304 revalidation passed on the cached copy",
			x:    ex{method: "GET", req: chromeReq(`If-None-Match: "v1"`), status: 304, resp: []string{`ETag: "v1"`}, browser: true},
			kind: KindAllowed, cred: CredUnknown, note: "so the cached copy passed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			x := tc.x
			x.id = 1
			if x.url == "" {
				x.url = u("/r")
			}
			v := run(t, x)[1]
			if v.Kind != tc.kind || v.Error != tc.err || v.Credentials != tc.cred {
				t.Fatalf("%s %s %s, want %s %s %s (%s)", v.Kind, v.Error, v.Credentials, tc.kind, tc.err, tc.cred, v.Explanation)
			}
			if tc.kind != KindUndecidable && (v.DependsOn != "" || len(v.Alternatives) != 0) {
				t.Errorf("decided, yet depends on %q with %d alternatives", v.DependsOn, len(v.Alternatives))
			}
			switch {
			case tc.note == "" && strings.Contains(v.Explanation, "own record"):
				t.Errorf("claims the record decided: %q", v.Explanation)
			case tc.note != "" && !strings.Contains(v.Explanation, tc.note):
				t.Errorf("explanation lacks %q: %q", tc.note, v.Explanation)
			case tc.element != "" && !strings.Contains(v.Explanation, tc.element):
				t.Errorf("explanation lacks %q: %q", tc.element, v.Explanation)
			}
		})
	}
}

func TestChromeMajor(t *testing.T) {
	for ua, want := range map[string]int{
		ua120: 120, ua56: 56, "": 0, "curl/8.5.0": 0,
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36 Edg/156.0.0.0": 156,
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                              0,
	} {
		if got := chromeMajor(ua); got != want {
			t.Errorf("chromeMajor(%q) = %d, want %d", ua, got, want)
		}
	}
}

// The real HAR files: how many verdicts stay undecidable, and why. Chrome
// DevTools exports from Chrome 83 on decide what their loads did; the
// 2016–2017 exports (Chrome 47, 56) predate out-of-renderer CORS, and the
// chrome-har and WebPagetest files are not the browser's own export.
func TestRealHARUndecidableCounts(t *testing.T) {
	want := map[string]int{
		"chrome-bbc-preflight-custom-header.har":              0, // its font came from a stylesheet
		"chrome-github-preflight-api-stats.har":               7, // Chrome 56: <link crossorigin> and a script, mode unknown
		"chrome-nodejs-org-credentialed-xorigin-fetch.har":    0,
		"chrome-socketio-polling-xorigin.har":                 0, // Chrome 97 recorded every poll as completed
		"chrome.har":                                          0,
		"chromehar-verizon-preflights-credentialed.har":       1, // a JSON GET answered * in a converted perflog
		"head-content-length.har":                             0,
		"insomnia.har":                                        0,
		"postdata.har":                                        0,
		"proxyman-get-acao.har":                               0,
		"webpagetest-aftonbladet-credentialed-preflights.har": 0, // its fonts came from stylesheets
	}
	files, err := filepath.Glob(filepath.Join("..", "capture", "har", "testdata", "har", "*.har"))
	if err != nil || len(files) != len(want) {
		t.Fatalf("%d files (%v), want %d", len(files), err, len(want))
	}
	for _, path := range files {
		name := filepath.Base(path)
		flows, vs := analyzeHAR(t, filepath.Join("har", name))
		n, byRecord := 0, 0
		for _, f := range flows {
			v := vs[f.ID]
			if v.Kind == KindUndecidable {
				n++
			}
			if strings.Contains(v.Explanation, "Chrome's own record") {
				byRecord++
				if !f.BrowserRecorded {
					t.Errorf("%s #%d: the record decided a flow the browser did not record", name, f.ID)
				}
			}
		}
		if n != want[name] {
			t.Errorf("%s: %d undecidable, want %d", name, n, want[name])
		}
		if name == "chrome-socketio-polling-xorigin.har" && byRecord != 4 {
			t.Errorf("%s: %d verdicts decided by Chrome's record, want 4", name, byRecord)
		}
	}
}

// Chrome lists a request whose preflight failed as net::ERR_FAILED, before
// its preflight: a preflight that fails only with credentials was then
// guarding a credentialed request.
func TestFailedActualInTheRecordDecidesThePreflight(t *testing.T) {
	vs := run(t,
		ex{id: 1, at: 0, method: "PUT", url: u("/p"), req: chromeReq(), rt: "fetch", kind: capture.ErrBrowser, err: "net::ERR_FAILED", browser: true},
		ex{id: 2, at: 1, method: "OPTIONS", url: u("/p"), req: chromePreflight(labPage, "PUT", ""), rt: "preflight", status: 204,
			resp: []string{"Access-Control-Allow-Origin: *", "Access-Control-Allow-Methods: PUT"}, browser: true},
	)
	v := vs[2]
	if v.Kind != KindBlocked || v.Error != "PreflightWildcardOriginNotAllowed" || v.Credentials != CredInclude || v.Pair != 1 {
		t.Fatalf("%s %s %s pair %d", v.Kind, v.Error, v.Credentials, v.Pair)
	}
	if !strings.Contains(v.Explanation, "lists the actual request (#1) as failed (net::ERR_FAILED)") {
		t.Errorf("explanation %q", v.Explanation)
	}
}
