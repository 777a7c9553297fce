package analyze

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/capture"
)

// recorder is a test API server that remembers what it received.
type recorder struct {
	mu   sync.Mutex
	seen []*http.Request
}

func (r *recorder) add(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, req.Clone(context.Background()))
}

func (r *recorder) methods() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, q := range r.seen {
		out = append(out, q.Method)
	}
	return out
}

func (r *recorder) first(method string) *http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.seen {
		if q.Method == method {
			return q
		}
	}
	return nil
}

// apiServer starts a loopback API whose CORS behaviour is handler.
func apiServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

const pageOrigin = "http://localhost:3000"

// goodCORS answers like a correctly configured API for pageOrigin.
func goodCORS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", pageOrigin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Vary", "Origin")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT")
		h.Set("Access-Control-Allow-Headers", "authorization, x-custom, content-type, x-zeta, x-ok")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	_, _ = w.Write([]byte(`{"ok":true}`))
}

func probe(t *testing.T, req ProbeRequest) *ProbeResult {
	t.Helper()
	p := &Prober{Transport: &http.Transport{DisableCompression: true}}
	res, err := p.Probe(context.Background(), req)
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	return res
}

func hdr(kv ...string) capture.Headers {
	var h capture.Headers
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, capture.Header{Name: kv[i], Value: kv[i+1]})
	}
	return h
}

func TestProbeVerdictsMatchChromium(t *testing.T) {
	credPut := func(url string) ProbeRequest {
		return ProbeRequest{URL: url, Origin: pageOrigin, Method: "PUT", Credentials: true,
			Header: hdr("Authorization", "Bearer t", "X-Custom", "1", "Cookie", "sid=1")}
	}
	tests := []struct {
		name       string
		handler    func(w http.ResponseWriter, r *http.Request)
		req        func(url string) ProbeRequest
		wantError  string
		wantParam  string
		wantExit   int
		wantSent   []string // methods the server received, in order
		actualSent bool
	}{
		{
			name:      "no ACAO on a simple GET",
			handler:   func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{}")) },
			req:       func(u string) ProbeRequest { return ProbeRequest{URL: u, Origin: pageOrigin} },
			wantError: "MissingAllowOriginHeader", wantExit: 1, wantSent: []string{"GET"}, actualSent: true,
		},
		{
			name: "ACAO names another origin",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "http://localhost:4000")
			},
			req:       func(u string) ProbeRequest { return ProbeRequest{URL: u, Origin: pageOrigin} },
			wantError: "AllowOriginMismatch", wantParam: "http://localhost:4000", wantExit: 1,
			wantSent: []string{"GET"}, actualSent: true,
		},
		{
			name: "preflight rejected by auth that runs before CORS",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") == "" {
					http.Error(w, "unauthorized", http.StatusUnauthorized)
					return
				}
				goodCORS(w, r)
			},
			req:       credPut,
			wantError: "PreflightMissingAllowOriginHeader", wantExit: 1, wantSent: []string{"OPTIONS"},
		},
		{
			name: "preflight 404 with CORS headers",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", pageOrigin)
				w.Header().Set("Access-Control-Allow-Credentials", "true")
				http.NotFound(w, r)
			},
			req:       credPut,
			wantError: "PreflightInvalidStatus", wantExit: 1, wantSent: []string{"OPTIONS"},
		},
		{
			name: "method not in Access-Control-Allow-Methods",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", pageOrigin)
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
				w.WriteHeader(http.StatusNoContent)
			},
			req: func(u string) ProbeRequest {
				return ProbeRequest{URL: u, Origin: pageOrigin, Method: "put"}
			},
			wantError: "MethodDisallowedByPreflightResponse", wantParam: "PUT", wantExit: 1, wantSent: []string{"OPTIONS"},
		},
		{
			name: "lower-case patch against ACAM PATCH",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", pageOrigin)
				w.Header().Set("Access-Control-Allow-Methods", "PATCH")
				w.WriteHeader(http.StatusNoContent)
			},
			req: func(u string) ProbeRequest {
				return ProbeRequest{URL: u, Origin: pageOrigin, Method: "patch"}
			},
			wantError: "MethodDisallowedByPreflightResponse", wantParam: "patch", wantExit: 1, wantSent: []string{"OPTIONS"},
		},
		{
			name: "header not in Access-Control-Allow-Headers",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", pageOrigin)
				w.Header().Set("Access-Control-Allow-Headers", "content-type")
				w.WriteHeader(http.StatusNoContent)
			},
			req: func(u string) ProbeRequest {
				return ProbeRequest{URL: u, Origin: pageOrigin, Method: "POST",
					Header: hdr("Content-Type", "application/json", "X-B", "1", "X-A", "2")}
			},
			wantError: "HeaderDisallowedByPreflightResponse", wantParam: "x-a", wantExit: 1, wantSent: []string{"OPTIONS"},
		},
		{
			name: "wildcard ACAO with credentials",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
			},
			req: func(u string) ProbeRequest {
				return ProbeRequest{URL: u, Origin: pageOrigin, Credentials: true, Header: hdr("Cookie", "sid=1")}
			},
			wantError: "WildcardOriginNotAllowed", wantExit: 1, wantSent: []string{"GET"}, actualSent: true,
		},
		{
			name: "wildcard on the preflight with credentials",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
				w.Header().Set("Access-Control-Allow-Credentials", "true")
				w.Header().Set("Access-Control-Allow-Methods", "PUT")
				w.Header().Set("Access-Control-Allow-Headers", "authorization, x-custom")
			},
			req:       credPut,
			wantError: "PreflightWildcardOriginNotAllowed", wantExit: 1, wantSent: []string{"OPTIONS"},
		},
		{
			name:     "correct configuration, credentialed PUT with custom headers",
			handler:  goodCORS,
			req:      credPut,
			wantExit: 0, wantSent: []string{"OPTIONS", "PUT"}, actualSent: true,
		},
		{
			name:     "correct configuration, simple GET needs no preflight",
			handler:  goodCORS,
			req:      func(u string) ProbeRequest { return ProbeRequest{URL: u, Origin: pageOrigin} },
			wantExit: 0, wantSent: []string{"GET"}, actualSent: true,
		},
		{
			name: "wildcard without credentials is allowed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
			},
			req:      func(u string) ProbeRequest { return ProbeRequest{URL: u, Origin: pageOrigin} },
			wantExit: 0, wantSent: []string{"GET"}, actualSent: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, rec := apiServer(t, tt.handler)
			res := probe(t, tt.req(srv.URL+"/api/users"))
			if res.Outcome.Error != tt.wantError {
				t.Errorf("error = %q (kind %s), want %q", res.Outcome.Error, res.Outcome.Kind, tt.wantError)
			}
			if tt.wantParam != "" && res.Outcome.FailedParameter != tt.wantParam {
				t.Errorf("failedParameter = %q, want %q", res.Outcome.FailedParameter, tt.wantParam)
			}
			if got := res.ExitCode(); got != tt.wantExit {
				t.Errorf("exit code = %d (kind %s), want %d", got, res.Outcome.Kind, tt.wantExit)
			}
			if got := strings.Join(rec.methods(), " "); got != strings.Join(tt.wantSent, " ") {
				t.Errorf("server received %q, want %q", got, strings.Join(tt.wantSent, " "))
			}
			if res.ActualSent != tt.actualSent {
				t.Errorf("ActualSent = %v, want %v", res.ActualSent, tt.actualSent)
			}
			if len(res.Flows) != len(tt.wantSent) || len(res.Verdicts) != len(res.Flows) {
				t.Errorf("recorded %d flows and %d verdicts, want %d of each", len(res.Flows), len(res.Verdicts), len(tt.wantSent))
			}
			if tt.wantExit == 1 && res.FixSpec() == nil {
				t.Error("blocked probe without a fix")
			}
		})
	}
}

func TestProbeSendsThePreflightChromiumSends(t *testing.T) {
	srv, rec := apiServer(t, goodCORS)
	probe(t, ProbeRequest{URL: srv.URL + "/api/users?id=7", Origin: "http://localhost:3000/", Method: "PUT", Credentials: true,
		Header: hdr("X-Zeta", "1", "Authorization", "Bearer t", "Content-Type", "application/json", "Cookie", "sid=1")})
	pre := rec.first(http.MethodOptions)
	if pre == nil {
		t.Fatal("no OPTIONS received")
	}
	want := map[string]string{
		"Origin":                         "http://localhost:3000",
		"Access-Control-Request-Method":  "PUT",
		"Access-Control-Request-Headers": "authorization,content-type,x-zeta",
		"Accept":                         "*/*",
		"Sec-Fetch-Mode":                 "cors",
		"Sec-Fetch-Site":                 "cross-site", // localhost vs 127.0.0.1
		"Sec-Fetch-Dest":                 "empty",
	}
	for k, v := range want {
		if got := pre.Header.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(pre.Header.Get("User-Agent"), "Chrome/") {
		t.Errorf("preflight User-Agent = %q, want a Chrome one", pre.Header.Get("User-Agent"))
	}
	for _, k := range []string{"Cookie", "Authorization", "X-Zeta"} {
		if pre.Header.Get(k) != "" {
			t.Errorf("preflight carries %s; a browser never sends it on the OPTIONS", k)
		}
	}
	if pre.URL.RawQuery != "id=7" {
		t.Errorf("preflight query = %q, want the exact URL", pre.URL.RawQuery)
	}
	put := rec.first(http.MethodPut)
	if put == nil {
		t.Fatal("no PUT received after a passing preflight")
	}
	for k, v := range map[string]string{"Origin": "http://localhost:3000", "Cookie": "sid=1", "Authorization": "Bearer t", "X-Zeta": "1", "Sec-Fetch-Mode": "cors"} {
		if got := put.Header.Get(k); got != v {
			t.Errorf("actual %s = %q, want %q", k, got, v)
		}
	}
}

func TestProbeSecFetchSiteIsSameSiteForAnotherPortOnTheSameHost(t *testing.T) {
	srv, rec := apiServer(t, goodCORS)
	probe(t, ProbeRequest{URL: srv.URL + "/x", Origin: "http://127.0.0.1:1"})
	if got := rec.first("GET").Header.Get("Sec-Fetch-Site"); got != "same-site" {
		t.Errorf("Sec-Fetch-Site = %q, want same-site", got)
	}
}

func TestProbeDropsHeadersAScriptCannotSet(t *testing.T) {
	srv, rec := apiServer(t, goodCORS)
	res := probe(t, ProbeRequest{URL: srv.URL + "/x", Origin: pageOrigin,
		Header: hdr("Cookie", "sid=1", "Host", "evil.example", "Sec-Fetch-Site", "none", "X-Ok", "1")})
	got := rec.first("GET")
	if got.Header.Get("Cookie") != "" {
		t.Error("Cookie sent without --credentials")
	}
	if got.Host == "evil.example" || got.Header.Get("Sec-Fetch-Site") == "none" {
		t.Error("a forbidden header set with -H reached the server")
	}
	if got.Header.Get("X-Ok") != "1" {
		t.Error("an ordinary header was dropped")
	}
	if len(res.Dropped) != 3 {
		t.Errorf("Dropped = %q, want the three forbidden headers explained", res.Dropped)
	}
}

func TestProbeFollowsRedirectsLikeTheBrowser(t *testing.T) {
	final, finalRec := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		// Answers the page's origin, not the null the tainted hop sends.
		w.Header().Set("Access-Control-Allow-Origin", pageOrigin)
	})
	first, firstRec := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", pageOrigin)
		http.Redirect(w, r, final.URL+"/final", http.StatusFound)
	})
	res := probe(t, ProbeRequest{URL: first.URL + "/start", Origin: pageOrigin})
	if len(firstRec.methods()) != 1 || len(finalRec.methods()) != 1 {
		t.Fatalf("hops received %v and %v, want one request each", firstRec.methods(), finalRec.methods())
	}
	if got := finalRec.first("GET").Header.Get("Origin"); got != "null" {
		t.Errorf("Origin after a cross-origin hop from a third origin = %q, want null", got)
	}
	if res.Outcome.Error != "AllowOriginMismatch" || res.Outcome.FailedParameter != pageOrigin {
		t.Errorf("outcome = %s/%q, want AllowOriginMismatch/%q (lab s17)", res.Outcome.Error, res.Outcome.FailedParameter, pageOrigin)
	}
	if res.ExitCode() != 1 {
		t.Errorf("exit code %d, want 1", res.ExitCode())
	}
	if res.TaintedAt != final.URL+"/final" {
		t.Errorf("TaintedAt = %q, want the final URL", res.TaintedAt)
	}
	if spec := res.FixSpec(); spec != nil {
		t.Errorf("a tainted chain got a header fix %+v; allowing the page origin there cannot work", spec)
	}
	var b strings.Builder
	if err := res.WriteText(&b, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Origin: null") {
		t.Errorf("text does not explain the tainted origin:\n%s", b.String())
	}
}

func TestProbeStopsAtARedirectWithoutCORSHeaders(t *testing.T) {
	final, finalRec := apiServer(t, goodCORS)
	first, _ := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, final.URL+"/final", http.StatusFound)
	})
	res := probe(t, ProbeRequest{URL: first.URL + "/start", Origin: pageOrigin})
	if n := len(finalRec.methods()); n != 0 {
		t.Errorf("the browser stops at the 302 without ACAO, but the target got %d requests", n)
	}
	if res.Outcome.Error != "MissingAllowOriginHeader" || res.OutcomeIndex != 0 {
		t.Errorf("outcome = %s on exchange %d, want MissingAllowOriginHeader on the 302 (lab s16)", res.Outcome.Error, res.OutcomeIndex+1)
	}
}

func TestProbeNeverFollowsARedirectedPreflight(t *testing.T) {
	srv, rec := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", pageOrigin)
		http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
	})
	res := probe(t, ProbeRequest{URL: srv.URL + "/x", Origin: pageOrigin, Method: "PUT"})
	if got := strings.Join(rec.methods(), " "); got != "OPTIONS" {
		t.Errorf("server received %q, want only the OPTIONS", got)
	}
	if res.Outcome.Error != "PreflightDisallowedRedirect" {
		t.Errorf("outcome = %q, want PreflightDisallowedRedirect", res.Outcome.Error)
	}
}

func TestProbeNetworkErrorsAreOneClearLine(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := &Prober{Transport: &http.Transport{}}
	_, err = p.Probe(context.Background(), ProbeRequest{URL: "http://" + addr + "/api", Origin: pageOrigin})
	var pe *ProbeError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a ProbeError", err)
	}
	if !strings.Contains(pe.Error(), "connection refused to "+addr) || strings.Contains(pe.Error(), "\n") {
		t.Errorf("message = %q, want one line naming the refused address", pe.Error())
	}
}

func TestProbeRejectsBadInput(t *testing.T) {
	p := &Prober{Transport: &http.Transport{}}
	for _, req := range []ProbeRequest{
		{URL: "localhost:8080/api", Origin: pageOrigin},
		{URL: "http://u:p@localhost/api", Origin: pageOrigin},
		{URL: "http://localhost/api", Origin: "localhost:3000"},
		{URL: "http://localhost/api", Origin: "http://localhost:3000/app"},
		{URL: "http://localhost/api", Origin: pageOrigin, Method: "TRACE"},
		{URL: "http://localhost/api", Origin: pageOrigin, Method: "BAD METHOD"},
	} {
		_, err := p.Probe(context.Background(), req)
		var pe *ProbeError
		if !errors.As(err, &pe) {
			t.Errorf("Probe(%+v) err = %v, want a ProbeError", req, err)
		}
	}
	if _, err := ParseProbeHeader("no colon here"); err == nil {
		t.Error("ParseProbeHeader accepted a line without a colon")
	}
	if h, err := ParseProbeHeader("X-A:  b c "); err != nil || h.Name != "X-A" || h.Value != "b c" {
		t.Errorf("ParseProbeHeader = %+v, %v", h, err)
	}
}

func TestProbeRecordsTimingsFromItsClock(t *testing.T) {
	srv, _ := apiServer(t, goodCORS)
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var mu sync.Mutex
	tick := 0
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		tick++
		return base.Add(time.Duration(tick) * time.Millisecond)
	}
	p := &Prober{Transport: &http.Transport{}, Clock: clock}
	res, err := p.Probe(context.Background(), ProbeRequest{URL: srv.URL, Origin: pageOrigin, Method: "PUT"})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range res.Flows {
		tm := f.Timings
		if tm.Start.Before(base) || !tm.End.After(tm.Start) || tm.FirstByte.IsZero() || tm.WroteRequest.IsZero() {
			t.Errorf("flow %d timings not from the probe's clock or incomplete: %+v", i+1, tm)
		}
		if i > 0 && !f.Timings.Start.After(res.Flows[i-1].Timings.End) && !f.Timings.Start.Equal(res.Flows[i-1].Timings.End) {
			t.Errorf("flow %d starts before flow %d ended", i+1, i)
		}
	}
}

func TestProbeJSONShapeIsStable(t *testing.T) {
	srv, _ := apiServer(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusUnauthorized) })
	res := probe(t, ProbeRequest{URL: srv.URL + "/api/users", Origin: pageOrigin, Method: "PUT", Header: hdr("Authorization", "Bearer t")})
	var buf bytes.Buffer
	if err := res.WriteJSON(&buf, ""); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	for _, k := range []string{"verdict", "exitCode", "error", "failedParameter", "console", "firefox", "explanation", "dependsOn", "request", "needsPreflight", "unsafeHeaders", "dropped", "actualSent", "taintedAt", "decidedBy", "exchanges", "headers", "warnings", "fix", "fixes"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	if doc["verdict"] != "blocked" || doc["exitCode"] != float64(1) || doc["actualSent"] != false {
		t.Errorf("verdict/exitCode/actualSent = %v/%v/%v", doc["verdict"], doc["exitCode"], doc["actualSent"])
	}
	ex := doc["exchanges"].([]any)
	if len(ex) != 1 || ex[0].(map[string]any)["role"] != "preflight" || ex[0].(map[string]any)["status"] != float64(401) {
		t.Errorf("exchanges = %v", ex)
	}
	fix, _ := doc["fix"].(map[string]any)
	if fix == nil || fix["preflightUnhandled"] != true || fix["origin"] != pageOrigin {
		t.Errorf("fix = %v, want the page origin and preflightUnhandled", doc["fix"])
	}
	if fixes := doc["fixes"].([]any); len(fixes) < 12 {
		t.Errorf("fixes has %d entries, want every framework", len(fixes))
	}

	buf.Reset()
	if err := res.WriteText(&buf, "nginx"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BLOCKED", "never sent", "add_header Access-Control-Allow-Origin \"" + pageOrigin + "\" always;", "return 204;"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, buf.String())
		}
	}
}

// The probe tells the analyzer the credentials mode it used: a credentialed
// probe with no cookie to send, which the wire cannot tell from one without
// credentials, is judged as credentialed, with the analyzer's own
// explanation and header references, and no alternatives left over.
func TestProbeHintsItsCredentialsMode(t *testing.T) {
	star := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Methods", "PUT")
	}
	for _, tc := range []struct {
		name   string
		req    ProbeRequest
		kind   Kind
		err    string
		cred   Credentials
		refs   bool // header references expected
		expose string
	}{
		{"GET with --credentials, no cookie", ProbeRequest{Origin: pageOrigin, Credentials: true},
			KindBlocked, "WildcardOriginNotAllowed", CredInclude, true, ""},
		{"GET without credentials", ProbeRequest{Origin: pageOrigin}, KindAllowed, "", CredOmitted, false, ""},
		{"PUT with --credentials: the preflight fails", ProbeRequest{Origin: pageOrigin, Method: "PUT", Credentials: true},
			KindBlocked, "PreflightWildcardOriginNotAllowed", CredInclude, true, ""},
		{"PUT without credentials", ProbeRequest{Origin: pageOrigin, Method: "PUT"}, KindAllowed, "", CredOmitted, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := apiServer(t, star)
			req := tc.req
			req.URL = srv.URL + "/api/users"
			res := probe(t, req)
			o := res.Outcome
			if o.Kind != tc.kind || o.Error != tc.err || o.Credentials != tc.cred {
				t.Fatalf("%s %s %s, want %s %s %s (%s)", o.Kind, o.Error, o.Credentials, tc.kind, tc.err, tc.cred, o.Explanation)
			}
			if o.DependsOn != "" || len(o.Alternatives) != 0 {
				t.Errorf("depends on %q, alternatives %+v", o.DependsOn, o.Alternatives)
			}
			for _, v := range res.Verdicts {
				if v.Kind == KindUndecidable {
					t.Errorf("flow %d undecidable: %s", v.Flow, v.DependsOn)
				}
			}
			if tc.refs && (len(o.Headers) == 0 || !strings.Contains(o.Explanation, "Access-Control-Allow-Origin: *")) {
				t.Errorf("blocked without the analyzer's explanation: %q, refs %+v", o.Explanation, o.Headers)
			}
		})
	}
}
