package analyze_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
	"github.com/corscope/corscope/capture/har"
)

const (
	realHARDir    = "../capture/har/testdata/har"
	craftedHARDir = "../capture/har/testdata/crafted"
)

func readHAR(t *testing.T, path string) []capture.Flow {
	t.Helper()
	flows, err := har.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return flows
}

// verdictKey is what must survive a HAR round trip of a verdict.
type verdictKey struct {
	Kind                            analyze.Kind
	Role                            analyze.Role
	Error, FailedParameter, Console string
	Pair                            capture.FlowID
	NeverSent, FromPreflightCache   bool
	Credentials                     analyze.Credentials
	Warnings                        int
	FixOrigin                       string
}

func keyOf(v analyze.Verdict) verdictKey {
	k := verdictKey{Kind: v.Kind, Role: v.Role, Error: v.Error, FailedParameter: v.FailedParameter, Console: v.Console,
		Pair: v.Pair, NeverSent: v.NeverSent, FromPreflightCache: v.FromPreflightCache, Credentials: v.Credentials, Warnings: len(v.Warnings)}
	if v.Fix != nil {
		k.FixOrigin = v.Fix.Origin
	}
	return k
}

// corsAPI is a loopback API with the classic mistakes: /users answers its
// preflight with 404 (no CORS on OPTIONS), /items forgets
// Access-Control-Allow-Origin, /me reflects the origin with credentials,
// /ok is right.
func corsAPI(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		switch {
		case r.URL.Path == "/users" && r.Method == http.MethodOptions:
			http.NotFound(w, r)
		case r.URL.Path == "/items":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `[1,2,3]`)
		case r.URL.Path == "/me":
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Set-Cookie", "sid=rotated; HttpOnly")
			io.WriteString(w, `{"user":"ada"}`)
		case r.URL.Path == "/ok":
			w.Header().Set("Access-Control-Allow-Origin", "http://localhost:3000")
			w.Header().Set("Vary", "Origin")
			io.WriteString(w, `ok`)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// browserLike sends the requests a page on http://localhost:3000 would.
func browserLike(t *testing.T, client *http.Client, api string) {
	t.Helper()
	send := func(method, path string, h ...string) {
		req, _ := http.NewRequest(method, api+path, nil)
		req.Header.Set("Origin", "http://localhost:3000")
		req.Header.Set("Sec-Fetch-Mode", "cors")
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	send("OPTIONS", "/users", "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type")
	send("GET", "/items")
	send("GET", "/me", "Cookie", "sid=secret-session")
	send("GET", "/ok")
}

// A real capture through the proxy, exported and imported again, gives
// the same verdicts, with secrets redacted in the file.
func TestRealCaptureRoundTripKeepsVerdicts(t *testing.T) {
	api := corsAPI(t)
	store := capture.NewStore(0)
	ca, err := capture.LoadOrCreateCA(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := capture.Listen(capture.Config{Listen: "127.0.0.1:0", CA: ca, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- p.Serve() }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		p.Shutdown(ctx)
		<-served
	}()
	proxyURL, _ := url.Parse("http://" + p.Addr())
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}, Timeout: 5 * time.Second}
	browserLike(t, client, api.URL)

	var flows []capture.Flow
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		flows = store.Snapshot()
		done := len(flows) == 4
		for _, f := range flows {
			done = done && f.Finished()
		}
		if done {
			break
		}
	}
	if len(flows) != 4 {
		t.Fatalf("the proxy recorded %d flows, want 4", len(flows))
	}
	before := analyze.AnalyzeAll(flows)

	path := filepath.Join(t.TempDir(), "capture.har")
	if err := har.WriteFile(path, flows, har.Options{Creator: "corscope", Version: "test", Extra: analyze.HARExtra(before)}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("secret-session")) || bytes.Contains(raw, []byte("rotated")) {
		t.Error("the exported capture holds cookie values")
	}
	back := readHAR(t, path)
	after := analyze.AnalyzeAll(back)
	if len(after) != len(before) {
		t.Fatalf("%d verdicts after the round trip, %d before", len(after), len(before))
	}
	blocked := 0
	for i := range before {
		if keyOf(before[i]) != keyOf(after[i]) {
			t.Errorf("flow %d %s: verdict changed in the round trip:\nbefore %+v\nafter  %+v",
				flows[i].ID, flows[i].Request.URL, keyOf(before[i]), keyOf(after[i]))
		}
		if after[i].Kind == analyze.KindBlocked {
			blocked++
		}
	}
	if blocked == 0 {
		t.Error("the capture has blocked requests, none found after the round trip")
	}
	// The file carries the verdicts for other tools.
	var doc struct {
		Log struct {
			Entries []struct {
				ResourceType string          `json:"_resourceType"`
				Cors         analyze.HARCors `json:"_cors"`
			} `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for i, e := range doc.Log.Entries {
		if e.Cors.Kind != before[i].Kind || e.Cors.Error != before[i].Error || e.Cors.Message != before[i].Console {
			t.Errorf("entry %d _cors = %+v, verdict %+v", i, e.Cors, keyOf(before[i]))
		}
	}
	if doc.Log.Entries[0].ResourceType != "preflight" {
		t.Errorf("the captured preflight has _resourceType %q", doc.Log.Entries[0].ResourceType)
	}
}

func TestHARExtraShape(t *testing.T) {
	flows := readHAR(t, filepath.Join(craftedHARDir, "chrome-cors-err-failed.har"))
	verdicts := analyze.AnalyzeAll(flows)
	// Give one verdict a pair, a warning and a header, whatever the
	// analyzer decided, so every member is exercised.
	verdicts[1].Pair = flows[2].ID
	verdicts[1].Warnings = []analyze.Warning{{Code: "c", Message: "m", Header: "h"}}
	verdicts[1].Headers = []analyze.HeaderRef{{Side: analyze.SideResponse, Name: "Access-Control-Allow-Origin", Missing: true, Want: "http://localhost:3000"}}
	extra := analyze.HARExtra(verdicts)
	var buf bytes.Buffer
	if err := har.Write(&buf, flows, har.Options{Extra: extra}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Log struct {
			Entries []map[string]json.RawMessage `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for i, e := range doc.Log.Entries {
		var c map[string]any
		if err := json.Unmarshal(e["_cors"], &c); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		for _, member := range []string{"kind", "role", "error", "failedParameter", "message", "pairedWith", "warnings"} {
			if _, ok := c[member]; !ok {
				t.Errorf("entry %d: _cors has no %q: %v", i, member, c)
			}
		}
		if _, isList := c["warnings"].([]any); !isList {
			t.Errorf("entry %d: warnings is %T, want a list (empty when none)", i, c["warnings"])
		}
		wantPair := -1.0
		for j, v := range verdicts {
			if verdicts[i].Pair != 0 && v.Flow == verdicts[i].Pair {
				wantPair = float64(j)
			}
		}
		if c["pairedWith"] != wantPair {
			t.Errorf("entry %d: pairedWith %v, want %v", i, c["pairedWith"], wantPair)
		}
	}
	var c analyze.HARCors
	json.Unmarshal(doc.Log.Entries[1]["_cors"], &c)
	if len(c.Warnings) != 1 || c.Warnings[0].Code != "c" || len(c.Headers) != 1 || !c.Headers[0].Missing {
		t.Errorf("warnings/headers: %+v", c)
	}
	// Flows without a verdict get no _cors.
	if got := extra(0, capture.Flow{ID: 999}); got != nil {
		t.Errorf("a flow without a verdict got %v", got)
	}
}

// Every real HAR file analyses, with a verdict assertion per file where
// the file pins one down.
func TestAnalyzeRealFiles(t *testing.T) {
	find := func(flows []capture.Flow, method, prefix string) int {
		for i, f := range flows {
			if f.Request.Method == method && strings.HasPrefix(f.Request.URL, prefix) {
				return i
			}
		}
		t.Fatalf("no %s %s", method, prefix)
		return -1
	}
	notBlocked := func(t *testing.T, flows []capture.Flow, vs []analyze.Verdict) {
		for i, v := range vs {
			if v.Kind == analyze.KindBlocked {
				t.Errorf("%s %s: blocked (%s), but the browser loaded it", flows[i].Request.Method, flows[i].Request.URL, v.Label())
			}
		}
	}
	tests := map[string]func(t *testing.T, flows []capture.Flow, vs []analyze.Verdict){
		"chrome.har": func(t *testing.T, flows []capture.Flow, vs []analyze.Verdict) {
			i := find(flows, "GET", "https://www.google.com/")
			if vs[i].Kind == analyze.KindBlocked || vs[i].Kind == analyze.KindAllowed {
				t.Errorf("a navigation that failed offline is %s, want a non-CORS verdict", vs[i].Kind)
			}
		},
		"insomnia.har": func(t *testing.T, flows []capture.Flow, vs []analyze.Verdict) {
			if vs[0].Kind != analyze.KindNotCORS {
				t.Errorf("a request without Origin is %s", vs[0].Kind)
			}
		},
		"head-content-length.har": func(t *testing.T, flows []capture.Flow, vs []analyze.Verdict) {
			if vs[0].Kind != analyze.KindNotCORS {
				t.Errorf("a request without Origin is %s", vs[0].Kind)
			}
		},
		"proxyman-get-acao.har": func(t *testing.T, flows []capture.Flow, vs []analyze.Verdict) {
			if vs[0].Kind != analyze.KindNotCORS {
				t.Errorf("a request without Origin is %s", vs[0].Kind)
			}
		},
		"postdata.har": func(t *testing.T, flows []capture.Flow, vs []analyze.Verdict) {
			// A ping (Sec-Fetch-Mode: no-cors): no CORS check at all.
			if vs[0].Kind != analyze.KindNotCORS || vs[0].Mode != "no-cors" {
				t.Errorf("the no-cors ping is %s in mode %q (%s)", vs[0].Kind, vs[0].Mode, vs[0].Explanation)
			}
		},
		"chrome-socketio-polling-xorigin.har": func(t *testing.T, flows []capture.Flow, vs []analyze.Verdict) {
			// ACAO * passes unless the XHR used withCredentials, which the
			// wire does not show (no cookie was sent); Chrome's own record
			// (a DevTools export, Chrome 97) shows every poll completed, so
			// none was credentialed.
			for i, v := range vs {
				if v.Kind != analyze.KindAllowed || !v.CrossOrigin || v.Credentials != analyze.CredOmitted ||
					!strings.Contains(v.Explanation, "Chrome's own record decides it") {
					t.Errorf("%s: %s %s (%q), want allowed by Chrome's record, cross-origin (ports differ)", flows[i].Request.URL, v.Kind, v.Credentials, v.Explanation)
				}
			}
		},
		"chrome-nodejs-org-credentialed-xorigin-fetch.har": func(t *testing.T, flows []capture.Flow, vs []analyze.Verdict) {
			if vs[0].Kind != analyze.KindAllowed {
				t.Errorf("echoed origin + credentials is %s", vs[0].Kind)
			}
		},
		"chrome-github-preflight-api-stats.har": func(t *testing.T, flows []capture.Flow, vs []analyze.Verdict) {
			pre := find(flows, "OPTIONS", "https://api.github.com/_private/browser/stats")
			post := find(flows, "POST", "https://api.github.com/_private/browser/stats")
			if vs[pre].Kind != analyze.KindAllowed || vs[post].Kind != analyze.KindAllowed {
				t.Errorf("preflight %s, POST %s: both allowed in the browser", vs[pre].Kind, vs[post].Kind)
			}
			notBlocked(t, flows, vs)
		},
		"chrome-bbc-preflight-custom-header.har": func(t *testing.T, flows []capture.Flow, vs []analyze.Verdict) {
			pre := find(flows, "OPTIONS", "http://api.iperceptions.com/InviteTriggers")
			if vs[pre].Kind != analyze.KindAllowed {
				t.Errorf("preflight allowing securitytoken is %s (%s)", vs[pre].Kind, vs[pre].Label())
			}
			notBlocked(t, flows, vs)
		},
		"chromehar-verizon-preflights-credentialed.har":       notBlocked,
		"webpagetest-aftonbladet-credentialed-preflights.har": notBlocked,
	}
	files, _ := filepath.Glob(filepath.Join(realHARDir, "*.har"))
	if len(files) != len(tests) {
		t.Errorf("%d files, %d with assertions", len(files), len(tests))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			flows := readHAR(t, path)
			vs := analyze.AnalyzeAll(flows)
			if len(vs) != len(flows) {
				t.Fatalf("%d verdicts for %d flows", len(vs), len(flows))
			}
			r := analyze.NewReport(flows, vs, analyze.ReportOptions{Source: name})
			for _, f := range analyze.ReportFormats {
				if err := r.Write(io.Discard, f); err != nil {
					t.Errorf("%s report: %v", f, err)
				}
			}
			check := tests[name]
			if check == nil {
				t.Fatal("no assertion for this file")
			}
			check(t, flows, vs)
		})
	}
}

// Chrome's own export of a CORS failure: status 0 with _error
// net::ERR_FAILED, a preflight answered 404, a response without ACAO.
func TestChromeErrFailedExportIsDiagnosed(t *testing.T) {
	flows := readHAR(t, filepath.Join(craftedHARDir, "chrome-cors-err-failed.har"))
	vs := analyze.AnalyzeAll(flows)
	byURL := func(method, u string) analyze.Verdict {
		for i, f := range flows {
			if f.Request.Method == method && f.Request.URL == u {
				return vs[i]
			}
		}
		t.Fatalf("no %s %s", method, u)
		return analyze.Verdict{}
	}
	tests := []struct {
		method, url string
		kind        analyze.Kind
		err         string
	}{
		{"GET", "http://localhost:3000/", analyze.KindNotCORS, ""},
		{"OPTIONS", "http://localhost:8080/api/users/7", analyze.KindBlocked, "PreflightMissingAllowOriginHeader"},
		{"PUT", "http://localhost:8080/api/users/7", analyze.KindBlocked, ""},
		{"GET", "http://localhost:8080/api/items", analyze.KindBlocked, "MissingAllowOriginHeader"},
	}
	for _, tc := range tests {
		v := byURL(tc.method, tc.url)
		if v.Kind != tc.kind || (tc.err != "" && v.Error != tc.err) {
			t.Errorf("%s %s: %s %q, want %s %q", tc.method, tc.url, v.Kind, v.Error, tc.kind, tc.err)
		}
	}
	if v := byURL("OPTIONS", "http://localhost:8080/api/users/7"); !strings.Contains(v.Console, "Response to preflight request doesn't pass access control check") {
		t.Errorf("console line %q", v.Console)
	}
	if v := byURL("GET", "http://localhost:8080/api/health"); v.Kind == analyze.KindBlocked {
		t.Errorf("the allowed XHR is blocked: %s", v.Explanation)
	}
}

// The verdicts survive a HAR round trip even with secrets redacted: the
// analysis needs to know a Cookie was sent, not its value.
func TestRoundTripVerdictsWithRedaction(t *testing.T) {
	for _, path := range append(mustGlob(t, filepath.Join(realHARDir, "*.har")), filepath.Join(craftedHARDir, "chrome-cors-err-failed.har")) {
		flows := readHAR(t, path)
		before := analyze.AnalyzeAll(flows)
		var buf bytes.Buffer
		if err := har.Write(&buf, flows, har.Options{Extra: analyze.HARExtra(before)}); err != nil {
			t.Fatal(err)
		}
		back, err := har.Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		after := analyze.AnalyzeAll(back)
		for i := range before {
			if !reflect.DeepEqual(keyOf(before[i]), keyOf(after[i])) {
				t.Errorf("%s: %s %s: %+v became %+v", filepath.Base(path), flows[i].Request.Method, flows[i].Request.URL, keyOf(before[i]), keyOf(after[i]))
			}
		}
	}
}

func mustGlob(t *testing.T, pattern string) []string {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files for %s", pattern)
	}
	return files
}
