package analyze

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

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
			want:  "any-origin:high ~null-origin:high ~post-domain:high ~pre-domain:high ~unescaped-dot:high ~any-subdomain:medium ~http-origin:medium",
			worst: SeverityHigh,
		},
		{
			name:    "echoing any origin without credentials is low",
			handler: policy(func(string) bool { return true }, false),
			want:    "any-origin:low ~null-origin:low ~post-domain:low ~pre-domain:low ~unescaped-dot:low ~any-subdomain:low ~http-origin:low",
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
			want: "pre-domain:high ~unescaped-dot:high ~any-subdomain:medium ~http-origin:medium", worst: SeverityHigh,
		},
		{
			name:    "a regular expression with unescaped dots",
			handler: policy(regexp.MustCompile(`^https://app.example.com$`).MatchString, true), credentials: true,
			want: "unescaped-dot:high", worst: SeverityHigh,
		},
		{
			name:    "any subdomain (endsWith .example.com)",
			handler: policy(func(o string) bool { return strings.HasPrefix(o, "https://") && strings.HasSuffix(o, ".example.com") }, true), credentials: true,
			want: "any-subdomain:medium", worst: SeverityMedium,
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
		{"POST", []string{"Content-Type", "text/plain"}, "OPTIONS", "POST"},
		{"DELETE", nil, "OPTIONS", "DELETE"},
		{"GET", nil, "GET", ""},
		{"GET", []string{"Authorization", "Bearer t"}, "OPTIONS", "GET"},
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
	if want := []string{"pre-domain", "unescaped-dot", "any-subdomain", "http-origin"}; !slices.Equal(skipped, want) {
		t.Fatalf("skipped %v, want %v", skipped, want)
	}
	if got := findings(a); got != "any-origin:high ~null-origin:high ~post-domain:high" {
		t.Fatalf("findings %q", got)
	}
	var b strings.Builder
	writeAuditText(&b, a)
	for _, want := range []string{
		"Audit: 9 checks with made-up origins, sent as GET requests",
		"HIGH     any-origin     Origin: http://corscope-audit.example → allowed, with credentials",
		"skipped  pre-domain     the page's host localhost has no registrable domain to imitate",
		"Audit result: 3 of 9 checks allowed, worst HIGH.",
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
