package analyze

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corscope/corscope/capture"
)

const auditPage = "https://app.example.com"

// policy answers CORS the way a server with a given origin check does:
// allow decides the Origin, and the preflight lists methods and headers.
func policy(allow func(origin string) bool, credentials bool) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Vary", "Origin")
		if o := r.Header.Get("Origin"); o != "" && allow(o) {
			h.Set("Access-Control-Allow-Origin", o)
			if credentials {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
		}
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT")
			h.Set("Access-Control-Allow-Headers", "authorization, content-type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}
}

// findings lists the trusted checks as "name:severity", explained ones
// with a "~" (they do not count towards the worst).
func findings(a *AuditResult) string {
	var out []string
	for _, c := range a.Checks {
		if !c.Trusted {
			continue
		}
		s := c.Name + ":" + string(c.Severity)
		if c.ExplainedBy != "" {
			s = "~" + s
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestAuditFindsEachKindOfBrokenOriginCheck(t *testing.T) {
	exact := func(o string) bool { return o == auditPage }
	tests := []struct {
		name        string
		handler     func(w http.ResponseWriter, r *http.Request)
		credentials bool
		want        string   // findings()
		worst       Severity // Worst()
		wildcard    bool
	}{
		{
			name:    "an exact allow-list passes every check",
			handler: policy(exact, true), credentials: true,
			want: "", worst: "",
		},
		{
			name:    "echoing any origin with credentials is high, and explains the rest",
			handler: policy(func(string) bool { return true }, true), credentials: true,
			want:  "any-origin:high ~null-origin:high ~post-domain:high ~substring:high ~pre-domain:high ~unescaped-dot:high ~any-subdomain:low ~http-origin:medium",
			worst: SeverityHigh,
		},
		{
			name:    "echoing any origin without credentials is low",
			handler: policy(func(string) bool { return true }, false),
			want:    "any-origin:low ~null-origin:low ~post-domain:low ~substring:low ~pre-domain:low ~unescaped-dot:low ~any-subdomain:low ~http-origin:low",
			worst:   SeverityLow,
		},
		{
			name:    "null allowed next to the real origin",
			handler: policy(func(o string) bool { return o == auditPage || o == "null" }, true), credentials: true,
			want: "null-origin:high", worst: SeverityHigh,
		},
		{
			name:    "a prefix check (startsWith the page origin)",
			handler: policy(func(o string) bool { return strings.HasPrefix(o, auditPage) }, true), credentials: true,
			want: "post-domain:high", worst: SeverityHigh,
		},
		{
			name:    "a suffix check without the dot (endsWith example.com)",
			handler: policy(func(o string) bool { return strings.HasSuffix(o, "example.com") }, true), credentials: true,
			want: "pre-domain:high ~unescaped-dot:high ~any-subdomain:low ~http-origin:medium", worst: SeverityHigh,
		},
		{
			name:    "a regular expression with unescaped dots",
			handler: policy(regexp.MustCompile(`^https://app.example.com$`).MatchString, true), credentials: true,
			want: "unescaped-dot:high", worst: SeverityHigh,
		},
		{
			name:    "any subdomain (endsWith .example.com) is low: often deliberate",
			handler: policy(func(o string) bool { return strings.HasPrefix(o, "https://") && strings.HasSuffix(o, ".example.com") }, true), credentials: true,
			want: "any-subdomain:low", worst: SeverityLow,
		},
		{
			name:    "a finding explained by a lower one still counts: subdomains on any scheme",
			handler: policy(func(o string) bool { return strings.HasSuffix(o, ".example.com") }, true), credentials: true,
			want: "any-subdomain:low ~http-origin:medium", worst: SeverityMedium,
		},
		{
			name: "the scheme is not checked (host only)",
			handler: policy(func(o string) bool {
				return strings.TrimPrefix(strings.TrimPrefix(o, "https://"), "http://") == "app.example.com"
			}, true), credentials: true,
			want: "http-origin:medium", worst: SeverityMedium,
		},
		{
			name: "a wildcard is reported once, not as a finding per origin",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
				w.WriteHeader(http.StatusNoContent)
			},
			want: "", worst: "", wildcard: true,
		},
		{
			name: "methods and headers copied from the preflight request",
			handler: func(w http.ResponseWriter, r *http.Request) {
				h := w.Header()
				if r.Header.Get("Origin") == auditPage {
					h.Set("Access-Control-Allow-Origin", auditPage)
					h.Set("Access-Control-Allow-Credentials", "true")
				}
				h.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
				h.Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
				w.WriteHeader(http.StatusNoContent)
			},
			credentials: true,
			want:        "any-header:low any-method:low", worst: SeverityLow,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := apiServer(t, tc.handler)
			p := &Prober{Transport: &http.Transport{}}
			req := ProbeRequest{URL: srv.URL + "/api/me", Origin: auditPage, Method: "PUT",
				Header: hdrs("Content-Type", "application/json"), Credentials: tc.credentials}
			a, err := p.Audit(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if got := findings(a); got != tc.want {
				t.Errorf("findings:\n got  %q\n want %q", got, tc.want)
			}
			if a.Worst() != tc.worst || a.Wildcard != tc.wildcard {
				t.Errorf("worst %q wildcard %v, want %q %v", a.Worst(), a.Wildcard, tc.worst, tc.wildcard)
			}
			for _, c := range a.Checks {
				if c.Skipped != "" || c.Err != "" {
					t.Errorf("check %s did not run: %s%s", c.Name, c.Skipped, c.Err)
				}
			}
		})
	}
}

// The audit never repeats a request that could change data: a PUT or a
// simple POST is audited with preflights, a GET with GETs.
func TestAuditSendsOnlyReadOnlyRequests(t *testing.T) {
	for _, tc := range []struct {
		method  string
		header  []string
		want    string // the one method every audit request used
		wantACR string // Access-Control-Request-Method of the origin checks
	}{
		{"PUT", []string{"Content-Type", "application/json"}, "OPTIONS", "PUT"},
		// A GET stands in for the simple POST an attacker's page sends.
		{"POST", []string{"Content-Type", "text/plain"}, "GET", ""},
		{"POST", []string{"Content-Type", "application/json"}, "GET", ""},
		{"DELETE", nil, "OPTIONS", "DELETE"},
		{"GET", nil, "GET", ""},
		// An attacker's page sends the simple GET, not the page's
		// preflighted one.
		{"GET", []string{"Authorization", "Bearer t"}, "GET", ""},
	} {
		t.Run(tc.method+strings.Join(tc.header, ":"), func(t *testing.T) {
			srv, rec := apiServer(t, policy(func(o string) bool { return o == auditPage }, false))
			p := &Prober{Transport: &http.Transport{}}
			a, err := p.Audit(context.Background(), ProbeRequest{URL: srv.URL + "/x", Origin: auditPage, Method: tc.method, Header: hdrs(tc.header...)})
			if err != nil {
				t.Fatal(err)
			}
			methods := rec.methods()
			if len(methods) != len(a.Flows) || len(methods) < 7 {
				t.Fatalf("server saw %d requests, audit recorded %d", len(methods), len(a.Flows))
			}
			for i, m := range methods {
				if m != "OPTIONS" && m != "GET" && m != "HEAD" {
					t.Fatalf("request %d was a %s: the audit must only send OPTIONS, GET or HEAD", i+1, m)
				}
			}
			// The origin checks use the page's own request shape.
			first := rec.first(tc.want)
			if first == nil {
				t.Fatalf("no %s among %v", tc.want, methods)
			}
			if got := first.Header.Get("Access-Control-Request-Method"); got != tc.wantACR {
				t.Errorf("first %s asked for method %q, want %q", tc.want, got, tc.wantACR)
			}
			if a.Method != tc.want {
				t.Errorf("AuditResult.Method = %q, want %q", a.Method, tc.want)
			}
		})
	}
}

// Checks that need a registrable domain or an https page say why they
// did not run, instead of reporting a pass.
func TestAuditSkipsChecksThatDoNotApply(t *testing.T) {
	srv, _ := apiServer(t, policy(func(o string) bool { return true }, true))
	p := &Prober{Transport: &http.Transport{}}
	a, err := p.Audit(context.Background(), ProbeRequest{URL: srv.URL + "/x", Origin: "http://localhost:3000", Credentials: true})
	if err != nil {
		t.Fatal(err)
	}
	var skipped []string
	for _, c := range a.Checks {
		if c.Skipped != "" {
			skipped = append(skipped, c.Name)
		}
	}
	if want := []string{"substring", "pre-domain", "unescaped-dot", "any-subdomain", "http-origin"}; !slices.Equal(skipped, want) {
		t.Fatalf("skipped %v, want %v", skipped, want)
	}
	if got := findings(a); got != "any-origin:high ~null-origin:high ~post-domain:high" {
		t.Fatalf("findings %q", got)
	}
	var b strings.Builder
	writeAuditText(&b, a)
	for _, want := range []string{
		"Audit: 8 made-up origins, sent as the simple GET an attacker's page would send",
		"HIGH     any-origin     Origin: http://corscope-audit.example → allowed, with Access-Control-Allow-Credentials: true",
		"Any origin is allowed: the server copies whatever Origin arrives, so every website can read these responses as the signed-in user (cookies included).",
		"skipped  pre-domain     the page's host localhost has no registrable domain to imitate",
		"Audit result: 3 of 10 checks allowed, worst HIGH.",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, b.String())
		}
	}
}

func hdrs(kv ...string) (h capture.Headers) {
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, capture.Header{Name: kv[i], Value: kv[i+1]})
	}
	return h
}

// Each case is a server the first version of the audit judged wrongly
// (review of 3a0d40a); the audit must now get it right.
func TestAuditJudgesWhatTheBrowserWouldDo(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
	tests := []struct {
		name        string
		origin      string // default auditPage
		method      string
		header      []string
		credentials bool
		handler     func(w http.ResponseWriter, r *http.Request)
		// check is the one check looked at; want its state as
		// "trusted:SEV", "trusted:SEV:refused", "ok", "unclear", "skipped".
		check, want string
		conclusive  bool
		text        string // in the report
	}{
		{
			name:   "a simple POST is audited with a GET standing in, not with a preflight the browser never sends",
			method: "POST", header: []string{"Content-Type", "text/plain"}, credentials: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodOptions {
					policy(func(o string) bool { return o == auditPage }, true)(w, r)
					return
				}
				echo(w, r)
			},
			check: "any-origin", want: "trusted:high", conclusive: true,
			text: "as a GET standing in for the simple POST",
		},
		{
			name:   "a POST-only endpoint falls back to the preflight and says the simple POST is untested",
			method: "POST", header: []string{"Content-Type", "application/json"}, credentials: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				switch r.Method {
				case http.MethodGet:
					w.WriteHeader(http.StatusMethodNotAllowed)
				case http.MethodOptions:
					policy(func(o string) bool { return o == auditPage }, true)(w, r)
				default:
					echo(w, r)
				}
			},
			check: "any-origin", want: "ok", conclusive: true,
			text: "Not tested: the simple POST an attacker's page can send without a preflight.",
		},
		{
			name:   "nothing testable: the page's own origin is refused on every route",
			method: "POST", header: []string{"Content-Type", "text/plain"}, credentials: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusMethodNotAllowed)
			},
			check: "any-origin", want: "unclear", conclusive: false,
			text: "the origin check could not be tested",
		},
		{
			name:   "a bearer-token GET whose simple request is closed is audited by its preflight",
			header: []string{"Authorization", "Bearer t"}, credentials: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodOptions {
					policy(func(o string) bool { return o == auditPage }, true)(w, r)
					return
				}
				if r.Header.Get("Authorization") == "" {
					w.WriteHeader(http.StatusUnauthorized) // before any CORS header
					return
				}
				policy(func(o string) bool { return o == auditPage }, true)(w, r)
			},
			check: "any-origin", want: "ok", conclusive: true,
			text: "gets nothing readable even for the page's own origin (status 401), so the origin checks use the preflight",
		},
		{
			name:   "a POST whose stand-in GET gets an error falls back, and an echo on the preflight counts in full",
			method: "POST", header: []string{"Content-Type", "application/json"}, credentials: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				echo(w, r) // a global middleware, on every status
				if r.Method != http.MethodPost {
					w.WriteHeader(http.StatusMethodNotAllowed)
				}
			},
			check: "any-origin", want: "trusted:high", conclusive: true,
			text: "a GET to this URL cannot stand in for it (status 405)",
		},
		{
			name:    "an IPv4 page origin still gets the prefix check",
			origin:  "http://127.0.0.1:3000",
			handler: policy(func(o string) bool { return strings.HasPrefix(o, "http://127.0.0.1") }, true),
			check:   "post-domain", want: "trusted:high", conclusive: true,
			text: "Origin: http://127.0.0.1.corscope-audit.example:3000 → allowed",
		},
		{
			name: "the same value twice is not an echo of a made-up origin",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Add("Access-Control-Allow-Origin", auditPage)
				w.Header().Add("Access-Control-Allow-Origin", auditPage)
			},
			check: "substring", want: "unclear", conclusive: false,
		},
		{
			name:   "a bearer-token API whose 401 carries the echo is audited by its preflight too",
			header: []string{"Authorization", "Bearer t"}, credentials: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				echo(w, r) // CORS middleware before authentication
				if r.Method == http.MethodOptions {
					w.Header().Set("Access-Control-Allow-Headers", "authorization")
					w.WriteHeader(http.StatusNoContent)
					return
				}
				if r.Header.Get("Authorization") == "" {
					w.WriteHeader(http.StatusUnauthorized)
				}
			},
			check: "any-origin", want: "trusted:high", conclusive: true,
			text: "gets nothing readable even for the page's own origin (status 401)",
		},
		{
			name:    "a login the audit was not given is named",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) },
			check:   "any-origin", want: "unclear", conclusive: false,
			text: "(MissingAllowOriginHeader, status 401), so a refusal proves nothing: if the API needs a login, pass its cookie with --credentials -H 'Cookie: …'",
		},
		{
			name:    "a null page origin gets a baseline too",
			origin:  "null",
			handler: policy(func(o string) bool { return o == auditPage }, true),
			check:   "any-origin", want: "unclear", conclusive: false,
		},
		{
			name:    "a wildcard is an answer, not a doubt",
			handler: func(w http.ResponseWriter, r *http.Request) { w.Header().Set("Access-Control-Allow-Origin", "*") },
			check:   "any-origin", want: "ok", conclusive: true,
			text: "Access-Control-Allow-Origin: * lets every site read it, without cookies",
		},
		{
			name:   "Access-Control-Allow-Headers: * allows the made-up header",
			method: "PUT", header: []string{"X-Foo", "1"},
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", "*")
				w.Header().Set("Access-Control-Allow-Headers", "*")
				w.Header().Set("Access-Control-Allow-Methods", "*")
				w.WriteHeader(http.StatusNoContent)
			},
			check: "any-header", want: "trusted:low", conclusive: true,
			text: "Access-Control-Allow-Headers: * lets a script send any header",
		},
		{
			name:   "a preflighted GET is audited as the attacker's simple GET",
			method: "GET", header: []string{"Authorization", "Bearer x"}, credentials: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodOptions {
					policy(func(o string) bool { return o == auditPage }, true)(w, r)
					return
				}
				echo(w, r)
			},
			check: "any-origin", want: "trusted:high", conclusive: true,
		},
		{
			name:   "an echo on a refused preflight is low",
			method: "PUT", credentials: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				echo(w, r)
				if r.Header.Get("Origin") != auditPage {
					w.WriteHeader(http.StatusForbidden)
					return
				}
				w.Header().Set("Access-Control-Allow-Methods", "PUT")
				w.WriteHeader(http.StatusNoContent)
			},
			check: "any-origin", want: "trusted:low:refused", conclusive: true,
			text: "but the request is refused",
		},
		{
			name: "an echo on a 403 the page's origin does not get is low",
			handler: func(w http.ResponseWriter, r *http.Request) {
				echo(w, r)
				if r.Header.Get("Origin") != auditPage {
					w.WriteHeader(http.StatusForbidden)
				}
			},
			check: "any-origin", want: "trusted:low:refused", conclusive: true,
			text: "(status 403)",
		},
		{
			name: "a redirect is not judged on its 3xx",
			handler: func(w http.ResponseWriter, r *http.Request) {
				echo(w, r)
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
			},
			check: "any-origin", want: "unclear", conclusive: false,
			text: "run the audit on that URL",
		},
		{
			name:    "an allow-list searched as a string (indexOf)",
			handler: policy(func(o string) bool { return strings.Contains("https://app.example.com,https://admin.example.com", o) }, true),
			check:   "substring", want: "trusted:high", conclusive: true,
		},
		{
			name:    "a null page origin still tests any origin",
			origin:  "null",
			handler: policy(func(string) bool { return true }, true),
			check:   "any-origin", want: "trusted:high", conclusive: true,
		},
		{
			name:    "the page origin is serialized as a browser would",
			origin:  "https://APP.Example.COM",
			handler: policy(regexp.MustCompile(`^https://app.example.com$`).MatchString, true),
			check:   "unescaped-dot", want: "trusted:high", conclusive: true,
			text: "Origin: http://app.example.com → not allowed",
		},
		{
			name:    "a trailing dot stays on the page's origin, not inside made-up ones",
			origin:  "https://app.example.com.",
			handler: policy(func(o string) bool { return o == "https://app.example.com." }, true),
			check:   "post-domain", want: "ok", conclusive: true,
			text: "Origin: https://app.example.com.corscope-audit.example → not allowed",
		},
		{
			name:    "an internationalized host is sent in punycode",
			origin:  "https://bücher.example.com",
			handler: policy(func(o string) bool { return o == "https://xn--bcher-kva.example.com" }, true),
			check:   "http-origin", want: "ok", conclusive: true,
			text: "Origin: http://xn--bcher-kva.example.com → not allowed",
		},
		{
			name:    "no domain begins with an IPv6 address",
			origin:  "https://[::1]:3000",
			handler: policy(func(string) bool { return false }, true),
			check:   "post-domain", want: "skipped", conclusive: false,
		},
		{
			name:   "the header policy says why it could not be seen",
			method: "PUT", credentials: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
				w.Header().Set("Access-Control-Allow-Methods", "PUT")
				w.WriteHeader(http.StatusNoContent)
			},
			check: "any-header", want: "unclear", conclusive: true,
			text: "(PreflightInvalidAllowCredentials)",
		},
		{
			name: "an echo next to a second Access-Control-Allow-Origin is a latent finding",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Add("Access-Control-Allow-Origin", r.Header.Get("Origin"))
				w.Header().Add("Access-Control-Allow-Origin", r.Header.Get("Origin"))
			},
			check: "any-origin", want: "trusted:low:refused", conclusive: true,
			text: "remove the duplicate and the echo lets this origin in",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, rec := apiServer(t, tc.handler)
			origin := tc.origin
			if origin == "" {
				origin = auditPage
			}
			p := &Prober{Transport: &http.Transport{}}
			a, err := p.Audit(context.Background(), ProbeRequest{URL: srv.URL + "/x", Origin: origin, Method: tc.method, Header: hdrs(tc.header...), Credentials: tc.credentials})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range rec.methods() {
				if m != "OPTIONS" && m != "GET" && m != "HEAD" {
					t.Fatalf("the audit sent a %s", m)
				}
			}
			var got string
			for _, c := range a.Checks {
				if c.Name != tc.check {
					continue
				}
				switch {
				case c.Trusted:
					got = "trusted:" + string(c.Severity)
					if c.Refused {
						got += ":refused"
					}
				case c.Skipped != "":
					got = "skipped"
				case c.Inconclusive != "" || c.Err != "":
					got = "unclear"
				default:
					got = "ok"
				}
			}
			var b strings.Builder
			writeAuditText(&b, a)
			if got != tc.want || a.Conclusive() != tc.conclusive || !strings.Contains(b.String(), tc.text) {
				t.Errorf("%s: %s, conclusive %v; want %s, %v and %q in:\n%s", tc.check, got, a.Conclusive(), tc.want, tc.conclusive, tc.text, b.String())
			}
		})
	}
}

// The audit has its own time limit: when it runs out, the checks not yet
// answered say so, and what was learnt is kept.
func TestAuditCutShortKeepsWhatItLearnt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var n atomic.Int32
	srv, _ := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > 3 {
			// The fourth request (after the baseline, any-origin and
			// null-origin) outlasts the time limit.
			cancel()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		policy(func(string) bool { return true }, true)(w, r)
	})
	p := &Prober{Transport: &http.Transport{}}
	a, err := p.Audit(ctx, ProbeRequest{URL: srv.URL + "/x", Origin: auditPage, Credentials: true})
	if err != nil {
		t.Fatal(err)
	}
	if !a.CutShort || !trusted(a.Checks, "any-origin") || n.Load() != 4 {
		t.Fatalf("cut short %v, any-origin trusted %v, %d requests; want both and 4", a.CutShort, trusted(a.Checks, "any-origin"), n.Load())
	}
	for _, c := range a.Checks[3:] {
		if c.Skipped == "" && !strings.Contains(c.Err, "--timeout") {
			t.Fatalf("check %s says %q; want the time limit named", c.Name, c.Err)
		}
	}
	var b strings.Builder
	writeAuditText(&b, a)
	if !strings.Contains(b.String(), "give more with --timeout") {
		t.Fatalf("the report must say the audit was cut short:\n%s", b.String())
	}
}

// Each answered check names its own exchange; a check whose request got
// no answer names none.
func TestAuditExchangesMatchTheirChecks(t *testing.T) {
	srv, _ := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != auditPage && r.Method == http.MethodGet {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close() // unknown origins get the door shut
			return
		}
		policy(func(o string) bool { return o == auditPage }, true)(w, r)
	})
	p := &Prober{Transport: &http.Transport{DisableKeepAlives: true}}
	a, err := p.Audit(context.Background(), ProbeRequest{URL: srv.URL + "/x", Origin: auditPage, Credentials: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range a.Checks {
		switch {
		case c.Err != "" && c.Exchange != 0:
			t.Errorf("%s failed (%s) yet names exchange %d", c.Name, c.Err, c.Exchange)
		case c.Err == "" && c.Skipped == "":
			if c.Exchange < 1 || c.Exchange > len(a.Flows) {
				t.Fatalf("%s names exchange %d of %d", c.Name, c.Exchange, len(a.Flows))
			}
			f := a.Flows[c.Exchange-1]
			if c.isOriginCheck() && f.Request.Header.Get("Origin") != c.Sent {
				t.Errorf("%s sent %q but its exchange carries Origin %q", c.Name, c.Sent, f.Request.Header.Get("Origin"))
			}
		}
	}
	if trusted(a.Checks, "any-origin") || a.Checks[0].Err == "" {
		t.Fatalf("any-origin: %+v; want a connection error", a.Checks[0])
	}
}

// The exit status: a medium or high finding fails, and so does an audit
// that tested nothing or was cut short with nothing found.
func TestAuditExitCodes(t *testing.T) {
	ok := AuditCheck{Name: "any-origin", Sent: "https://corscope-audit.example"}
	low := AuditCheck{Name: "any-subdomain", Trusted: true, Severity: SeverityLow}
	high := AuditCheck{Name: "any-origin", Trusted: true, Severity: SeverityHigh, ExplainedBy: "x"}
	for _, tc := range []struct {
		name string
		a    AuditResult
		want int
	}{
		{"nothing found", AuditResult{Checks: []AuditCheck{ok}}, 0},
		{"a low finding", AuditResult{Checks: []AuditCheck{ok, low}}, 0},
		{"a high finding, even one that follows from another", AuditResult{Checks: []AuditCheck{high}}, 1},
		{"cut short with nothing found", AuditResult{CutShort: true, Checks: []AuditCheck{ok}}, 2},
		{"cut short after a high finding", AuditResult{CutShort: true, Checks: []AuditCheck{high}}, 1},
		{"nothing answered", AuditResult{Checks: []AuditCheck{{Name: "any-origin", Inconclusive: "x"}}}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &ProbeResult{Outcome: Verdict{Kind: KindAllowed}, Audit: &tc.a}
			if got := r.ExitCode(); got != tc.want {
				t.Errorf("exit %d, want %d", got, tc.want)
			}
		})
	}
}
