package analyze

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/corscope/corscope/capture"
)

// mixFlows builds n flows shaped like a browsing session through the proxy:
// mostly navigations, same-origin and no-cors subresources, then simple
// CORS reads, preflight + actual pairs (some served from the preflight
// cache), blocked requests of several kinds, redirects and failures.
func mixFlows(n int, seed int64) []capture.Flow {
	rng := rand.New(rand.NewSource(seed))
	out := make([]capture.Flow, 0, n)
	at := 0
	id := capture.FlowID(0)
	add := func(x ex) {
		id++
		x.id = id
		at += 1 + rng.Intn(3)
		x.at = at
		out = append(out, x.flow())
	}
	pages := []string{labPage, "http://localhost:3000", "https://app.example.com"}
	for len(out) < n {
		page := pages[rng.Intn(len(pages))]
		path := fmt.Sprintf("/api/items/%d", rng.Intn(200))
		req := replaceOrigin(chromeReq(), page)
		acao := "Access-Control-Allow-Origin: " + page
		switch r := rng.Intn(100); {
		case r < 25: // same-origin asset
			add(ex{method: "GET", url: page + "/static/app.js", req: []string{"Accept: */*", "Sec-Fetch-Mode: no-cors", "Sec-Fetch-Dest: script", "Referer: " + page + "/"},
				status: 200, resp: []string{"Content-Type: text/javascript", "Content-Length: 1234", "Cache-Control: max-age=3600"}})
		case r < 35: // navigation
			add(ex{method: "GET", url: page + "/", req: []string{"Accept: text/html", "Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document", "Sec-Fetch-Site: none"},
				status: 200, resp: []string{"Content-Type: text/html"}})
		case r < 45: // cross-origin image without crossorigin
			add(ex{method: "GET", url: "https://cdn.example.net/img/" + fmt.Sprint(rng.Intn(1000)) + ".png",
				req: []string{"Accept: image/*", "Sec-Fetch-Mode: no-cors", "Sec-Fetch-Dest: image"}, status: 200, resp: []string{"Content-Type: image/png"}})
		case r < 65: // simple CORS GET, allowed
			add(ex{method: "GET", url: u(path), req: req, status: 200,
				resp: []string{acao, "Access-Control-Allow-Credentials: true", "Vary: Origin", "Content-Type: application/json", "ETag: \"x\""}})
		case r < 80: // preflight + actual
			acrh := "authorization,content-type"
			add(ex{method: "OPTIONS", url: u(path), req: chromePreflight(page, "PUT", acrh), status: 204,
				resp: []string{acao, "Access-Control-Allow-Methods: GET, PUT, DELETE", "Access-Control-Allow-Headers: authorization, content-type", "Access-Control-Max-Age: 600"}})
			add(ex{method: "PUT", url: u(path), req: append(req, "Authorization: Bearer t", "Content-Type: application/json"), status: 200,
				resp: []string{acao, "Content-Type: application/json"}})
			if rng.Intn(2) == 0 { // again, from the preflight cache
				add(ex{method: "PUT", url: u(path), req: append(req, "Authorization: Bearer t", "Content-Type: application/json"), status: 200,
					resp: []string{acao, "Content-Type: application/json"}})
			}
		case r < 85: // failing preflight
			add(ex{method: "OPTIONS", url: u(path), req: chromePreflight(page, "DELETE", "x-csrf"), status: 404, resp: []string{"Content-Type: text/html"}})
		case r < 90: // blocked simple
			add(ex{method: "POST", url: u("/login"), req: append(req, "Content-Type: text/plain;charset=UTF-8"), status: 200, resp: []string{"Content-Type: application/json"}})
		case r < 95: // redirect chain
			add(ex{method: "GET", url: u("/old" + path), req: req, status: 302, resp: []string{acao, "Location: " + path}})
			add(ex{method: "GET", url: u(path), req: req, status: 200, resp: []string{acao}})
		default: // upstream down
			add(ex{method: "GET", url: "http://127.0.0.1:9/x", req: req, status: 502, resp: []string{"Content-Type: text/plain"},
				kind: capture.ErrRefused, err: "refused"})
		}
	}
	return out[:n]
}

// BenchmarkAnalyzeAll measures AnalyzeAll on 100k flows of the mix,
// side by side with a baseline that only sorts and indexes the flows (the
// least any analysis must do).
func BenchmarkAnalyzeAll(b *testing.B) {
	flows := mixFlows(100_000, 1)
	b.Run("baseline-index", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			m := make(map[capture.FlowID]*capture.Flow, len(flows))
			for j := range flows {
				m[flows[j].ID] = &flows[j]
			}
			if len(m) != len(flows) {
				b.Fatal("lost flows")
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(flows)), "ns/flow")
	})
	b.Run("analyze-100k", func(b *testing.B) {
		b.ReportAllocs()
		var vs []Verdict
		for i := 0; i < b.N; i++ {
			vs = AnalyzeAll(flows)
		}
		if len(vs) != len(flows) {
			b.Fatal("lost verdicts")
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(flows)), "ns/flow")
		b.ReportMetric(allocsPerFlow(b, func() { AnalyzeAll(flows) }, len(flows)), "allocs/flow")
	})
	// The same mix where every page load sets a session cookie, as real
	// sites do: the cookie-jar model is then filled, and every CORS
	// request without a Cookie header consults it.
	withCookies := withSessionCookies(flows)
	b.Run("analyze-100k-cookies", func(b *testing.B) {
		b.ReportAllocs()
		var vs []Verdict
		for i := 0; i < b.N; i++ {
			vs = AnalyzeAll(withCookies)
		}
		if len(vs) != len(withCookies) {
			b.Fatal("lost verdicts")
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(withCookies)), "ns/flow")
		b.ReportMetric(allocsPerFlow(b, func() { AnalyzeAll(withCookies) }, len(withCookies)), "allocs/flow")
	})
}

// withSessionCookies returns a copy of flows in which every navigation's
// response sets a session cookie.
func withSessionCookies(flows []capture.Flow) []capture.Flow {
	out := append([]capture.Flow(nil), flows...)
	for i := range out {
		f := &out[i]
		if f.Response == nil || f.Request.Header.Get("Sec-Fetch-Mode") != "navigate" {
			continue
		}
		r := *f.Response
		r.Header = append(append(capture.Headers(nil), r.Header...), capture.Header{Name: "Set-Cookie", Value: "session=0123456789abcdef; Path=/; HttpOnly; SameSite=Lax"})
		f.Response = &r
	}
	return out
}

// BenchmarkIngest1M feeds 1M flows to one Analyzer the way the live
// pipeline does, and forgets flows beyond a 10k window as the bounded store
// evicts them. The flows replay a 20k-flow pool with fresh IDs and later
// timestamps, so the fixture itself stays as small as a real store. The
// "done" variant ingests each finished flow once; "live" ingests it twice
// (request started, then finished), as the proxy publishes it.
func BenchmarkIngest1M(b *testing.B) {
	const n, window, poolSize = 1_000_000, 10_000, 20_000
	pool := mixFlows(poolSize, 2)
	span := pool[len(pool)-1].Timings.Start.Sub(pool[0].Timings.Start) + time.Second
	replay := func(f *capture.Flow, i int) {
		src := &pool[i%poolSize]
		*f = *src
		f.ID = capture.FlowID(i + 1)
		shift := time.Duration(i/poolSize) * span
		f.Timings.Start = src.Timings.Start.Add(shift)
		if !src.Timings.FirstByte.IsZero() {
			f.Timings.FirstByte = src.Timings.FirstByte.Add(shift)
			f.Timings.End = src.Timings.End.Add(shift)
		}
	}
	for _, mode := range []string{"done", "live"} {
		b.Run(mode, func(b *testing.B) {
			b.ReportAllocs()
			var f, started capture.Flow
			for it := 0; it < b.N; it++ {
				a := NewAnalyzer()
				for i := 0; i < n; i++ {
					replay(&f, i)
					if mode == "live" {
						started = f
						started.Response, started.State, started.Error, started.ErrorKind = nil, capture.StateStarted, "", capture.ErrNone
						a.Ingest(started)
					}
					a.Ingest(f)
					if i >= window {
						a.Forget(capture.FlowID(i + 1 - window))
					}
				}
				if a.st.flows.len() > window+1 {
					b.Fatalf("%d flows kept", a.st.flows.len())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/flow")
		})
	}
}

func allocsPerFlow(b *testing.B, f func(), n int) float64 {
	b.StopTimer()
	defer b.StartTimer()
	return testing.AllocsPerRun(1, f) / float64(n)
}

// TestMixIsRealistic keeps the benchmark honest: the mix must exercise
// every outcome.
func TestMixIsRealistic(t *testing.T) {
	flows := mixFlows(5000, 1)
	vs := AnalyzeAll(flows)
	count := map[Kind]int{}
	cached, paired := 0, 0
	for _, v := range vs {
		count[v.Kind]++
		if v.FromPreflightCache && v.CachedFrom != 0 {
			cached++
		}
		if v.Pair != 0 {
			paired++
		}
	}
	for _, k := range []Kind{KindNotCORS, KindAllowed, KindBlocked, KindFailed} {
		if count[k] == 0 {
			t.Errorf("no %s verdict in the mix: %v", k, count)
		}
	}
	if cached == 0 || paired == 0 {
		t.Errorf("cached %d paired %d", cached, paired)
	}
	// The cookie variant must reach the jar model: requests for which it
	// found the cookie the pages set.
	a := NewAnalyzer()
	withCookies := withSessionCookies(flows)
	for _, f := range withCookies {
		a.Ingest(f)
	}
	byJar := 0
	for _, f := range withCookies {
		if e := a.st.flows.get(f.ID); e != nil && e.jarHint && a.st.jarWhy[f.ID].name == "session" {
			byJar++
		}
	}
	if byJar == 0 {
		t.Error("the jar model found the pages' session cookie for no request of the cookie mix")
	}
}
