package analyze

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/capture"
)

func okPreflight(methods, headers string, extra ...string) []string {
	h := []string{"Access-Control-Allow-Origin: " + labPage, "Access-Control-Allow-Methods: " + methods}
	if headers != "" {
		h = append(h, "Access-Control-Allow-Headers: "+headers)
	}
	return append(h, extra...)
}

func TestPairingWithInterleavedFlows(t *testing.T) {
	acao := "Access-Control-Allow-Origin: " + labPage
	vs := run(t,
		ex{id: 1, at: 0, method: "OPTIONS", url: u("/a"), req: chromePreflight(labPage, "PUT", "x-a"), status: 204, resp: okPreflight("PUT", "x-a")},
		ex{id: 2, at: 1, method: "OPTIONS", url: u("/b"), req: chromePreflight(labPage, "DELETE", ""), status: 204, resp: okPreflight("DELETE", "")},
		ex{id: 3, at: 2, method: "OPTIONS", url: u("/a"), req: chromePreflight(labPage, "PUT", "x-b"), status: 204, resp: okPreflight("PUT", "x-b")},
		ex{id: 4, at: 3, method: "GET", url: u("/a"), req: chromeReq(), status: 200, resp: []string{acao}},           // simple, no partner
		ex{id: 5, at: 4, method: "DELETE", url: u("/b"), req: chromeReq(), status: 204, resp: []string{acao}},        // pairs with 2
		ex{id: 6, at: 5, method: "PUT", url: u("/a"), req: chromeReq("X-A: 1"), status: 200, resp: []string{acao}},   // pairs with 1 (3 asked for x-b)
		ex{id: 7, at: 6, method: "PUT", url: u("/a"), req: chromeReq("X-B: 1"), status: 200, resp: []string{acao}},   // pairs with 3
		ex{id: 8, at: 7, method: "PUT", url: u("/a?x"), req: chromeReq("X-B: 1"), status: 200, resp: []string{acao}}, // other URL: no partner
	)
	want := map[capture.FlowID]capture.FlowID{1: 6, 2: 5, 3: 7, 4: 0, 5: 2, 6: 1, 7: 3, 8: 0}
	for id, p := range want {
		if vs[id].Pair != p {
			t.Errorf("flow %d paired with %d, want %d", id, vs[id].Pair, p)
		}
	}
	if vs[4].Role != RoleSimple || vs[6].Role != RoleActual || vs[1].Role != RolePreflight {
		t.Errorf("roles: %s %s %s", vs[4].Role, vs[6].Role, vs[1].Role)
	}
	if !vs[8].FromPreflightCache || vs[8].CachedFrom != 0 {
		t.Errorf("flow 8 needed a preflight and had none: cache %v from %d", vs[8].FromPreflightCache, vs[8].CachedFrom)
	}
	if strings.Join(vs[6].UnsafeHeaders, ",") != "x-a" {
		t.Errorf("actual's unsafe headers come from its preflight's ACRH: %v", vs[6].UnsafeHeaders)
	}
}

func TestIngestReturnsEveryChangedVerdict(t *testing.T) {
	a := NewAnalyzer()
	pre := ex{id: 1, at: 0, method: "OPTIONS", url: u("/p"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "")}
	act := ex{id: 2, at: 5, method: "PUT", url: u("/p"), req: chromeReq(), status: 200, resp: []string{"Access-Control-Allow-Origin: " + labPage}}

	started := pre.flow()
	started.Response, started.State = nil, capture.StateStarted
	got := a.Ingest(started)
	if len(got) != 1 || got[0].Flow != 1 || got[0].Kind != KindPending {
		t.Fatalf("preflight started: %+v", got)
	}
	got = a.Ingest(pre.flow())
	if len(got) != 1 || got[0].Kind != KindUndecidable {
		t.Fatalf("preflight done, no actual yet: %+v", kinds(got))
	}
	actStarted := act.flow()
	actStarted.Response, actStarted.State = nil, capture.StateStarted
	got = a.Ingest(actStarted)
	if len(got) != 2 || got[0].Flow != 2 || got[0].Kind != KindPending || got[1].Flow != 1 || got[1].Kind != KindAllowed {
		t.Fatalf("actual started: want [2 pending, 1 allowed], got %v", kinds(got))
	}
	got = a.Ingest(act.flow())
	if len(got) != 1 || got[0].Flow != 2 || got[0].Kind != KindAllowed {
		t.Fatalf("actual done: want only [2 allowed], got %v", kinds(got))
	}
	if v, _ := a.Verdict(1); v.Pair != 2 || v.Credentials != CredOmitted {
		t.Errorf("preflight pair %d credentials %s", v.Pair, v.Credentials)
	}
}

func kinds(vs []Verdict) []string {
	var out []string
	for _, v := range vs {
		out = append(out, strings.Join([]string{string(rune('0' + v.Flow)), string(v.Kind)}, ":"))
	}
	return out
}

func TestFailedPreflightNeverPairsWithALaterRequest(t *testing.T) {
	vs := run(t,
		ex{id: 1, at: 0, method: "OPTIONS", url: u("/n"), req: chromePreflight(labPage, "PUT", ""), status: 405, resp: []string{"Allow: GET"}},
		// A later PUT to the same URL cannot be the one this preflight
		// guarded: Chromium never sends it after a failure.
		ex{id: 2, at: 8000, method: "PUT", url: u("/n"), req: chromeReq(), status: 200, resp: []string{"Access-Control-Allow-Origin: " + labPage}},
	)
	if v := vs[1]; v.Kind != KindBlocked || !v.NeverSent || v.Pair != 0 || v.Error != "PreflightMissingAllowOriginHeader" {
		t.Errorf("preflight: %s %s never-sent %v pair %d", v.Kind, v.Error, v.NeverSent, v.Pair)
	}
	if v := vs[2]; v.Pair != 0 || !v.FromPreflightCache {
		t.Errorf("later PUT: pair %d cache %v", v.Pair, v.FromPreflightCache)
	}
}

func TestPreflightCacheModel(t *testing.T) {
	acao := "Access-Control-Allow-Origin: " + labPage
	pre := func(id capture.FlowID, at int, extra ...string) ex {
		return ex{id: id, at: at, method: "OPTIONS", url: u("/c"), req: chromePreflight(labPage, "PUT", "x-k"), status: 204,
			resp: okPreflight("PUT", "x-k", extra...)}
	}
	put := func(id capture.FlowID, at int, h ...string) ex {
		return ex{id: id, at: at, method: "PUT", url: u("/c"), req: chromeReq(h...), status: 200, resp: []string{acao}}
	}
	cases := []struct {
		name       string
		flows      []ex
		judge      capture.FlowID
		cachedFrom capture.FlowID
	}{
		{"default 5 s covers a request 4 s later", []ex{pre(1, 0), put(2, 5, "X-K: 1"), put(3, 4000, "X-K: 1")}, 3, 1},
		{"default 5 s does not cover 6 s later", []ex{pre(1, 0), put(2, 5, "X-K: 1"), put(3, 6000, "X-K: 1")}, 3, 0},
		{"max-age 600 covers 10 minutes minus a second", []ex{pre(1, 0, "Access-Control-Max-Age: 600"), put(2, 5, "X-K: 1"), put(3, 599000, "X-K: 1")}, 3, 1},
		{"max-age is capped at 7200 s", []ex{pre(1, 0, "Access-Control-Max-Age: 86400"), put(2, 5, "X-K: 1"), put(3, 7300000, "X-K: 1")}, 3, 0},
		{"max-age 0 disables reuse", []ex{pre(1, 0, "Access-Control-Max-Age: 0"), put(2, 5, "X-K: 1"), put(3, 100, "X-K: 1")}, 3, 0},
		{"a header the cached result does not allow is not covered", []ex{pre(1, 0), put(2, 5, "X-K: 1"), put(3, 100, "X-K: 1", "X-Other: 2")}, 3, 0},
		{"a newer preflight replaces the entry", []ex{
			pre(1, 0, "Access-Control-Max-Age: 600"), put(2, 5, "X-K: 1"),
			{id: 3, at: 100, method: "OPTIONS", url: u("/c"), req: chromePreflight(labPage, "PUT", "x-k"), status: 204, resp: okPreflight("PUT", "x-k", "Access-Control-Max-Age: 1")},
			put(4, 105, "X-K: 1"),
			put(5, 3000, "X-K: 1"),
		}, 5, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs := run(t, tc.flows...)
			v := vs[tc.judge]
			if !v.FromPreflightCache || v.CachedFrom != tc.cachedFrom || v.Pair != 0 {
				t.Fatalf("from cache %v cached from %d (want %d) pair %d: %s", v.FromPreflightCache, v.CachedFrom, tc.cachedFrom, v.Pair, v.Explanation)
			}
			if !strings.Contains(v.Explanation, "preflight cache") {
				t.Errorf("explanation: %q", v.Explanation)
			}
		})
	}
}

func TestAnalyzeAllIngestsInStartOrder(t *testing.T) {
	acao := "Access-Control-Allow-Origin: " + labPage
	xs := []ex{
		{id: 1, at: 0, method: "OPTIONS", url: u("/h"), req: chromePreflight(labPage, "PUT", "x-a"), status: 204, resp: okPreflight("PUT", "x-a")},
		{id: 2, at: 5, method: "PUT", url: u("/h"), req: chromeReq("X-A: 1"), status: 200, resp: []string{acao}},
		{id: 3, at: 100, method: "PUT", url: u("/h"), req: chromeReq("X-A: 1"), status: 200, resp: []string{acao}},
		{id: 4, at: 200, method: "GET", url: u("/g"), req: chromeReq(), status: 302, resp: []string{acao, "Location: /g2"}},
		{id: 5, at: 205, method: "GET", url: u("/g2"), req: chromeReq(), status: 200, resp: []string{"X-None: 1"}},
		{id: 6, at: 300, method: "OPTIONS", url: u("/z"), req: chromePreflight(labPage, "DELETE", ""), status: 404},
	}
	flows := make([]capture.Flow, len(xs))
	for i, x := range xs {
		flows[i] = x.flow()
	}
	want := AnalyzeAll(flows)
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 20; round++ {
		shuffled := append([]capture.Flow(nil), flows...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := AnalyzeAll(shuffled)
		for i, f := range shuffled {
			if got[i].Flow != f.ID {
				t.Fatalf("round %d: verdict %d is for flow %d, want %d (order given)", round, i, got[i].Flow, f.ID)
			}
			w := want[f.ID-1]
			if !sameVerdict(&got[i], &w) {
				t.Fatalf("round %d: flow %d differs from the ordered analysis:\n%+v\n%+v", round, f.ID, got[i], w)
			}
		}
	}
	if want[1].Pair != 1 || !want[2].FromPreflightCache || want[2].CachedFrom != 1 {
		t.Errorf("pairing/cache: %d %v %d", want[1].Pair, want[2].FromPreflightCache, want[2].CachedFrom)
	}
	if want[4].Error != "MissingAllowOriginHeader" || !strings.Contains(want[4].Console, "(redirected from '"+u("/g")+"')") {
		t.Errorf("redirected hop: %s %q", want[4].Error, want[4].Console)
	}
}

func TestForgetDropsEverythingAboutAFlow(t *testing.T) {
	a := NewAnalyzer()
	xs := []ex{
		{id: 1, at: 0, method: "OPTIONS", url: u("/f"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "")},
		{id: 2, at: 2, method: "PUT", url: u("/f"), req: chromeReq(), status: 200, resp: []string{"Access-Control-Allow-Origin: " + labPage}},
		{id: 3, at: 4, method: "GET", url: u("/r"), req: chromeReq(), status: 302, resp: []string{"Location: /r2", "Access-Control-Allow-Origin: *"}},
		{id: 4, at: 6, method: "OPTIONS", url: u("/lonely"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "")},
		{id: 5, at: 8, method: "GET", url: labPage + "/", req: []string{"Sec-Fetch-Mode: navigate"}, status: 200},
	}
	for _, x := range xs {
		a.Ingest(x.flow())
	}
	a.Forget(1)
	if _, ok := a.Verdict(1); ok {
		t.Fatal("forgotten flow still has a verdict")
	}
	// Its partner keeps its verdict, and a newer value of it still
	// evaluates without the forgotten preflight.
	if v, ok := a.Verdict(2); !ok || v.Pair != 1 {
		t.Fatalf("partner verdict: %+v %v", v, ok)
	}
	v := a.Ingest(xs[1].flow())[0]
	if v.Pair != 1 || v.FromPreflightCache {
		t.Errorf("re-ingested partner: pair %d cache %v", v.Pair, v.FromPreflightCache)
	}
	a.Forget(2, 3, 4, 5, 99)
	st := &a.st
	if st.flows.len() != 0 || len(st.keys) != 0 || len(st.apis) != 0 || len(st.redirects) != 0 || len(st.hosts) != 0 {
		t.Errorf("indexes not empty: flows %d keys %d apis %d redirects %d hosts %d", st.flows.len(), len(st.keys), len(st.apis), len(st.redirects), len(st.hosts))
	}
}

func TestNetworkFailuresAreNotCORS(t *testing.T) {
	synthetic := []string{"Content-Type: text/plain; charset=utf-8"}
	cases := []struct {
		name string
		x    ex
	}{
		{"refused, answered by corscope with a 502", ex{id: 1, method: "GET", url: u("/down"), req: chromeReq(), status: 502, resp: synthetic,
			kind: capture.ErrRefused, err: "127.0.0.1:18002 refused the connection"}},
		{"DNS", ex{id: 1, method: "GET", url: "http://nope.invalid/x", req: chromeReq(), kind: capture.ErrDNS, err: "no such host"}},
		{"TLS", ex{id: 1, method: "POST", url: "https://self-signed.example/x", req: chromeReq("Content-Type: application/json"), status: 502,
			resp: synthetic, kind: capture.ErrTLS, err: "certificate signed by unknown authority"}},
		{"reset before any byte", ex{id: 1, method: "GET", url: u("/reset"), req: chromeReq(), status: 502, resp: synthetic, kind: capture.ErrReset, err: "EOF"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.x.flow()
			// corscope answered itself: no byte came from upstream.
			f.Timings.FirstByte = time.Time{}
			a := NewAnalyzer()
			v := a.Ingest(f)[0]
			if v.Kind != KindFailed || v.Error != "" || v.Console != "" {
				t.Fatalf("kind %s error %q console %q", v.Kind, v.Error, v.Console)
			}
			if !strings.Contains(v.Explanation, "not CORS") {
				t.Errorf("explanation: %q", v.Explanation)
			}
		})
	}
	t.Run("a failed preflight means the actual request was never sent", func(t *testing.T) {
		vs := run(t, ex{id: 1, method: "OPTIONS", url: u("/down"), req: chromePreflight(labPage, "PUT", ""), kind: capture.ErrRefused, err: "refused"})
		if v := vs[1]; v.Kind != KindFailed || !v.NeverSent || v.Role != RolePreflight {
			t.Errorf("%s never-sent %v role %s", v.Kind, v.NeverSent, v.Role)
		}
	})
	t.Run("a reset after real headers is still judged on them", func(t *testing.T) {
		vs := run(t, ex{id: 1, method: "GET", url: u("/sse"), req: chromeReq(), status: 200, resp: []string{"Content-Type: text/event-stream"},
			kind: capture.ErrClientAbort, err: "the browser closed the connection"})
		if v := vs[1]; v.Kind != KindBlocked || v.Error != "MissingAllowOriginHeader" {
			t.Errorf("%s %s", v.Kind, v.Error)
		}
	})
}

func TestImportedChromeFailures(t *testing.T) {
	failed := func(id capture.FlowID, at int, method, path string, h []string, rt string) ex {
		return ex{id: id, at: at, method: method, url: u(path), req: h, rt: rt, kind: capture.ErrBrowser, err: "net::ERR_FAILED", status: 0}
	}
	t.Run("a status-0 ERR_FAILED cross-origin fetch is blocked with the error unknown", func(t *testing.T) {
		vs := run(t, failed(1, 0, "GET", "/x", chromeReq(), "fetch"))
		v := vs[1]
		if v.Kind != KindBlocked || v.Error != "" || !strings.Contains(v.Explanation, "HAR") {
			t.Errorf("%s %q %q", v.Kind, v.Error, v.Explanation)
		}
	})
	t.Run("the failed actual inherits its preflight's error", func(t *testing.T) {
		vs := run(t,
			ex{id: 1, at: 0, method: "OPTIONS", url: u("/x"), req: chromePreflight(labPage, "PUT", ""), status: 404, rt: "preflight"},
			failed(2, 1, "PUT", "/x", chromeReq(), "fetch"),
		)
		v := vs[2]
		if v.Kind != KindBlocked || v.Error != "PreflightMissingAllowOriginHeader" || v.Pair != 1 {
			t.Fatalf("%s %s pair %d", v.Kind, v.Error, v.Pair)
		}
		if v.Console != envelope(u("/x"))+rPrefix+rMissing {
			t.Errorf("console %q", v.Console)
		}
		if !vs[1].NeverSent || vs[1].Pair != 2 {
			t.Errorf("preflight never-sent %v pair %d", vs[1].NeverSent, vs[1].Pair)
		}
	})
	t.Run("a credentials-dependent preflight followed by a failure means include", func(t *testing.T) {
		vs := run(t,
			ex{id: 1, at: 0, method: "OPTIONS", url: u("/x"), req: chromePreflight(labPage, "PUT", ""), status: 204,
				resp: []string{"Access-Control-Allow-Origin: *", "Access-Control-Allow-Methods: PUT"}},
			failed(2, 1, "PUT", "/x", chromeReq(), "xhr"),
		)
		if v := vs[2]; v.Error != "PreflightWildcardOriginNotAllowed" || !strings.HasPrefix(v.Console, "Access to XMLHttpRequest at") {
			t.Errorf("%s %q", v.Error, v.Console)
		}
		if v := vs[1]; v.Kind != KindBlocked || v.Credentials != CredInclude {
			t.Errorf("preflight %s %s", v.Kind, v.Credentials)
		}
	})
	t.Run("other browser errors are network failures", func(t *testing.T) {
		x := failed(1, 0, "GET", "/x", chromeReq(), "fetch")
		x.err = "net::ERR_CONNECTION_REFUSED"
		if v := run(t, x)[1]; v.Kind != KindFailed {
			t.Errorf("%s", v.Kind)
		}
	})
}

func TestCredentialsFromTheWire(t *testing.T) {
	star := []string{"Access-Control-Allow-Origin: *"}
	t.Run("Authorization not named in the preflight's ACRH was added by the browser", func(t *testing.T) {
		vs := run(t,
			ex{id: 1, at: 0, method: "OPTIONS", url: u("/a"), req: chromePreflight(labPage, "PUT", ""), status: 204, resp: okPreflight("PUT", "", "Access-Control-Allow-Credentials: true")},
			ex{id: 2, at: 2, method: "PUT", url: u("/a"), req: chromeReq("Authorization: Basic dTpw"), status: 200, resp: star},
		)
		if v := vs[2]; v.Credentials != CredInclude || v.Error != "WildcardOriginNotAllowed" {
			t.Errorf("%s %s", v.Credentials, v.Error)
		}
	})
	t.Run("a script-set bearer token on a simple-looking GET is not credentials", func(t *testing.T) {
		vs := run(t, ex{id: 1, method: "GET", url: u("/b"), req: chromeReq("Authorization: Bearer abc"), status: 200, resp: star})
		if v := vs[1]; v.Credentials != CredUnknown || !v.NeedsPreflight || !v.FromPreflightCache {
			t.Errorf("cred %s needs %v cache %v", v.Credentials, v.NeedsPreflight, v.FromPreflightCache)
		}
	})
	t.Run("a followed redirect that needs the non-credentialed mode tells the chain's mode", func(t *testing.T) {
		vs := run(t,
			ex{id: 1, at: 0, method: "GET", url: u("/r"), req: chromeReq(), status: 302, resp: []string{"Access-Control-Allow-Origin: *", "Location: /r2"}},
			ex{id: 2, at: 2, method: "GET", url: u("/r2"), req: chromeReq(), status: 200, resp: star},
		)
		for id := capture.FlowID(1); id <= 2; id++ {
			if v := vs[id]; v.Kind != KindAllowed || v.Credentials != CredOmitted {
				t.Errorf("flow %d: %s %s", id, v.Kind, v.Credentials)
			}
		}
	})
}

func TestCookiesInTheJarTellAnUncredentialedRequest(t *testing.T) {
	star := []string{"Access-Control-Allow-Origin: *"}
	t.Run("a same-site request without Cookie after one with Cookie", func(t *testing.T) {
		vs := run(t,
			ex{id: 1, at: 0, method: "GET", url: u("/login"), req: chromeReq("Cookie: sid=1"), status: 200,
				resp: []string{"Access-Control-Allow-Origin: " + labPage, "Access-Control-Allow-Credentials: true"}},
			ex{id: 2, at: 5, method: "GET", url: u("/public"), req: chromeReq(), status: 200, resp: star},
		)
		if v := vs[2]; v.Kind != KindAllowed || v.Credentials != CredOmitted || !strings.Contains(v.Explanation, "carried cookies") {
			t.Errorf("%s %s %q", v.Kind, v.Credentials, v.Explanation)
		}
	})
	t.Run("a later cookie is no evidence for an earlier request", func(t *testing.T) {
		vs := run(t,
			ex{id: 1, at: 0, method: "GET", url: u("/public"), req: chromeReq(), status: 200, resp: star},
			ex{id: 2, at: 5, method: "GET", url: u("/login"), req: chromeReq("Cookie: sid=1"), status: 200,
				resp: []string{"Access-Control-Allow-Origin: " + labPage, "Access-Control-Allow-Credentials: true"}},
		)
		if v := vs[1]; v.Kind != KindUndecidable {
			t.Errorf("%s", v.Kind)
		}
	})
	t.Run("a same-site cookie says nothing about a cross-site request", func(t *testing.T) {
		vs := run(t,
			ex{id: 1, at: 0, method: "GET", url: "https://api.example.com/", req: []string{"Sec-Fetch-Mode: navigate", "Cookie: sid=1"}, status: 200},
			ex{id: 2, at: 5, method: "GET", url: "https://api.example.com/x", req: []string{"Origin: https://other.example", "Sec-Fetch-Mode: cors",
				"Sec-Fetch-Site: cross-site"}, status: 200, resp: star},
		)
		if v := vs[2]; v.Kind != KindUndecidable {
			t.Errorf("%s %s", v.Kind, v.Credentials)
		}
	})
	t.Run("cookies on a same-origin hop do not make the chain credentialed", func(t *testing.T) {
		vs := run(t,
			ex{id: 1, at: 0, method: "GET", url: labPage + "/go", req: []string{"Sec-Fetch-Mode: cors", "Sec-Fetch-Site: same-origin", "Cookie: sid=1"},
				status: 302, resp: []string{"Location: " + u("/data")}},
			ex{id: 2, at: 2, method: "GET", url: u("/data"), req: chromeReq(), status: 200, resp: []string{"Access-Control-Allow-Origin: " + labPage}},
		)
		if v := vs[2]; v.Kind != KindAllowed || v.Credentials != CredOmitted {
			t.Errorf("%s %s %s", v.Kind, v.Error, v.Credentials)
		}
	})
}

func TestRequestModeUnknownOnPlainHTTP(t *testing.T) {
	// A POST with Origin to a plain-http, non-local host carries no Fetch
	// Metadata: a form submission looks the same as a fetch.
	vs := run(t, ex{id: 1, method: "POST", url: "http://api.example.com/form", req: []string{"Origin: http://app.example.com",
		"Content-Type: application/x-www-form-urlencoded", "Cookie: s=1"}, status: 200, resp: []string{"Content-Type: text/html"}})
	v := vs[1]
	if v.Kind != KindUndecidable || v.Mode != "" || !strings.Contains(v.DependsOn, "mode") {
		t.Fatalf("%s mode %q depends %q", v.Kind, v.Mode, v.DependsOn)
	}
	var sawCORS, sawNot bool
	for _, a := range v.Alternatives {
		sawCORS = sawCORS || a.Error == "MissingAllowOriginHeader"
		sawNot = sawNot || a.Kind == KindNotCORS
	}
	if !sawCORS || !sawNot {
		t.Errorf("alternatives %+v", v.Alternatives)
	}
	// The same GET is unambiguous: Chromium sends Origin on a GET only in cors mode.
	vs = run(t, ex{id: 2, method: "GET", url: "http://api.example.com/x", req: []string{"Origin: http://app.example.com"}, status: 200})
	if v := vs[2]; v.Kind != KindBlocked || v.Mode != "cors" {
		t.Errorf("GET: %s mode %q", v.Kind, v.Mode)
	}
}

func TestRevalidation304IsJudgedOnTheCachedCopy(t *testing.T) {
	vs := run(t, ex{id: 1, method: "GET", url: u("/etag"), req: chromeReq(`If-None-Match: "abc"`), status: 304, resp: []string{`ETag: "abc"`}})
	if v := vs[1]; v.Kind != KindUndecidable || v.Error != "" || !strings.Contains(v.DependsOn, "cached") {
		t.Errorf("%s %s %q", v.Kind, v.Error, v.DependsOn)
	}
}

func TestRedirectFromThePageOriginIsNotTainted(t *testing.T) {
	// A/x -> A/y -> B: the only cross-origin hop leaves the page's own
	// origin, so the request to B carries the page origin, not null.
	vs := run(t,
		ex{id: 1, at: 0, method: "GET", url: labPage + "/x", req: []string{"Sec-Fetch-Mode: cors", "Sec-Fetch-Site: same-origin"}, status: 302, resp: []string{"Location: /y"}},
		ex{id: 2, at: 1, method: "GET", url: labPage + "/y", req: []string{"Sec-Fetch-Mode: cors", "Sec-Fetch-Site: same-origin"}, status: 302, resp: []string{"Location: " + u("/z")}},
		ex{id: 3, at: 2, method: "GET", url: u("/z"), req: chromeReq(), status: 200, resp: []string{"Content-Type: text/plain"}},
	)
	if vs[1].Kind != KindNotCORS || vs[2].Kind != KindNotCORS {
		t.Errorf("same-origin hops: %s %s", vs[1].Kind, vs[2].Kind)
	}
	v := vs[3]
	if v.Error != "MissingAllowOriginHeader" || !strings.Contains(v.Console, "(redirected from '"+labPage+"/x')") {
		t.Errorf("%s %q", v.Error, v.Console)
	}
}
