package analyze

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/corscope/corscope/capture"
	"github.com/corscope/corscope/capture/har"
)

// analyzeHAR reads a HAR file from the HAR codec's test data and analyzes
// it the way `corscope open` and `corscope analyze` do.
func analyzeHAR(t *testing.T, name string) ([]capture.Flow, map[capture.FlowID]Verdict) {
	t.Helper()
	flows, err := har.ReadFile(filepath.Join("..", "capture", "har", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	vs := AnalyzeAll(flows)
	out := make(map[capture.FlowID]Verdict, len(vs))
	for i, v := range vs {
		if v.Flow != flows[i].ID {
			t.Fatalf("verdict %d is for flow %d, want %d", i, v.Flow, flows[i].ID)
		}
		out[v.Flow] = v
	}
	return flows, out
}

func TestChromeHARWithCORSFailures(t *testing.T) {
	_, vs := analyzeHAR(t, "crafted/chrome-cors-err-failed.har")
	// Chrome lists the failed PUT before its preflight and dates it 1 ms
	// earlier; they still pair.
	put, pre := vs[2], vs[3]
	if put.Pair != 3 || pre.Pair != 2 {
		t.Fatalf("pairs: %d, %d", put.Pair, pre.Pair)
	}
	wantConsole := "Access to fetch at 'http://localhost:8080/api/users/7' from origin 'http://localhost:3000' has been blocked by CORS policy: " +
		"Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."
	for _, v := range []Verdict{put, pre} {
		if v.Kind != KindBlocked || v.Error != "PreflightMissingAllowOriginHeader" || v.Console != wantConsole {
			t.Errorf("flow %d: %s %s %q", v.Flow, v.Kind, v.Error, v.Console)
		}
	}
	if !pre.NeverSent || pre.Fix == nil || !pre.Fix.PreflightUnhandled || !pre.Fix.BothLocal ||
		pre.Fix.Origin != "http://localhost:3000" || pre.Fix.APIOrigin != "http://localhost:8080" || strings.Join(pre.Fix.Headers, ",") != "content-type" {
		t.Errorf("preflight never-sent %v fix %+v", pre.NeverSent, pre.Fix)
	}
	if v := vs[4]; v.Kind != KindBlocked || v.Error != "MissingAllowOriginHeader" {
		t.Errorf("GET with response and ERR_FAILED: %s %s", v.Kind, v.Error)
	}
	// ACAO * passes only without credentials, and Chrome's own record
	// shows the XHR completed: it was made without withCredentials.
	if v := vs[5]; v.Kind != KindAllowed || v.Credentials != CredOmitted || v.DependsOn != "" || len(v.Alternatives) != 0 ||
		!strings.Contains(v.Explanation, "Chrome's own record decides it") || !strings.Contains(v.Explanation, "Chrome 156") {
		t.Errorf("completed XHR answered ACAO *: %s %s %q %+v", v.Kind, v.Credentials, v.Explanation, v.Alternatives)
	}
	if v := vs[1]; v.Kind != KindNotCORS {
		t.Errorf("document: %s", v.Kind)
	}
}

func TestRealBrowserHARs(t *testing.T) {
	type want struct {
		id       capture.FlowID
		kind     Kind
		pair     capture.FlowID
		cached   capture.FlowID
		warning  string
		fromCach bool
	}
	cases := []struct {
		file  string
		wants []want
	}{
		{"har/chrome-bbc-preflight-custom-header.har", []want{
			{id: 97, kind: KindAllowed, pair: 100},
			{id: 100, kind: KindAllowed, pair: 97},
		}},
		{"har/chrome-github-preflight-api-stats.har", []want{
			{id: 19, kind: KindAllowed, pair: 20, warning: WarnLargeMaxAge},
			{id: 20, kind: KindAllowed, pair: 19},
		}},
		{"har/chromehar-verizon-preflights-credentialed.har", []want{
			{id: 127, kind: KindAllowed, pair: 130},
			{id: 143, kind: KindAllowed, fromCach: true, cached: 127},
			{id: 142, kind: KindAllowed, pair: 152},
			{id: 26, kind: KindAllowed},
		}},
		{"har/webpagetest-aftonbladet-credentialed-preflights.har", []want{
			{id: 104, kind: KindAllowed, pair: 115, warning: WarnInsecureOrigin},
			{id: 129, kind: KindAllowed, pair: 131},
		}},
		{"har/chrome-nodejs-org-credentialed-xorigin-fetch.har", []want{{id: 1, kind: KindAllowed}}},
		{"har/chrome.har", nil},
		{"har/postdata.har", nil},
		{"har/proxyman-get-acao.har", []want{{id: 1, kind: KindNotCORS}}},
		{"har/insomnia.har", nil},
		{"har/head-content-length.har", nil},
		{"har/chrome-socketio-polling-xorigin.har", nil},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			flows, vs := analyzeHAR(t, tc.file)
			for _, f := range flows {
				v := vs[f.ID]
				// These are working sites: nothing is blocked, and no
				// network failure is dressed up as CORS.
				if v.Kind == KindBlocked {
					t.Errorf("flow %d %s %s blocked: %s %s", f.ID, f.Request.Method, f.Request.URL, v.Error, v.Explanation)
				}
				if f.ErrorKind != capture.ErrNone && v.Error != "" {
					t.Errorf("failed flow %d labelled %s", f.ID, v.Error)
				}
			}
			for _, w := range tc.wants {
				v := vs[w.id]
				if v.Kind != w.kind || v.Pair != w.pair || v.FromPreflightCache != w.fromCach || v.CachedFrom != w.cached {
					t.Errorf("flow %d: kind %s pair %d cache %v from %d; want %s %d %v %d (%s)", w.id, v.Kind, v.Pair,
						v.FromPreflightCache, v.CachedFrom, w.kind, w.pair, w.fromCach, w.cached, v.DependsOn)
				}
				if w.warning != "" && !hasWarning(v, w.warning) {
					t.Errorf("flow %d lacks %s: %v", w.id, w.warning, warningCodes(v))
				}
			}
		})
	}
}

func TestNetworkFailureInHARIsFailed(t *testing.T) {
	flows, vs := analyzeHAR(t, "har/chrome.har")
	n := 0
	for _, f := range flows {
		if f.ErrorKind == capture.ErrBrowser {
			n++
			if v := vs[f.ID]; v.Kind != KindFailed {
				t.Errorf("flow %d (%s): %s", f.ID, f.Error, v.Kind)
			}
		}
	}
	if n == 0 {
		t.Fatal("chrome.har should hold a failed entry (net::ERR_INTERNET_DISCONNECTED)")
	}
}
