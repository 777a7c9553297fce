package ui

import (
	"context"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// Hand-built flows and verdicts for model tests. The verdicts are fixed
// here (not computed by the analyzer) so the UI's goldens change only when
// the UI does; analyzer_integration_test.go covers the real engine.

var t0 = time.Date(2026, 11, 27, 14, 3, 0, 0, time.UTC)

func hdr(kv ...string) capture.Headers {
	var h capture.Headers
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, capture.Header{Name: kv[i], Value: kv[i+1]})
	}
	return h
}

type fx struct {
	f capture.Flow
	v *analyze.Verdict
}

func done(method, url string, reqH capture.Headers, status int, statusText string, respH capture.Headers, body string, at, dur time.Duration) capture.Flow {
	return capture.Flow{
		State:   capture.StateDone,
		Request: capture.Request{Method: method, URL: url, Proto: "HTTP/1.1", Header: reqH},
		Response: &capture.Response{Status: status, StatusText: statusText, Proto: "HTTP/1.1", Header: respH,
			Body: capture.NewBody([]byte(body), int64(len(body)), false)},
		Timings: capture.Timings{Start: t0.Add(at), End: t0.Add(at + dur)},
	}
}

const page = "http://localhost:3000"

// mixedFixture is a small capture with every verdict class: not-cors
// page loads, a preflight that failed (so its PUT was never sent), an
// allowed preflight + actual pair, a warning, a blocked simple request, an
// undecidable one, a cache-served actual, a pending and a failed flow.
func mixedFixture() []fx {
	fixSpec := &analyze.FixSpec{Origin: page, Methods: []string{"PUT"}, Headers: []string{"authorization", "content-type"},
		Credentials: false, Path: "/api/users", BothLocal: true, APIOrigin: "http://localhost:8080"}
	fontSpec := &analyze.FixSpec{Origin: page, Methods: []string{"GET"}, Path: "/fonts/inter.woff2", APIOrigin: "https://cdn.example.test"}
	return []fx{
		{done("GET", page+"/", hdr("Accept", "text/html"), 200, "OK", hdr("Content-Type", "text/html"), "<!doctype html><title>app</title>", 0, 4*time.Millisecond),
			&analyze.Verdict{Kind: analyze.KindNotCORS, Role: analyze.RoleNotCORS, Mode: "navigate", Explanation: "A top-level navigation: no CORS check applies."}},
		{done("GET", page+"/assets/app.js", hdr("Accept", "*/*"), 200, "OK", hdr("Content-Type", "text/javascript"), "console.log(1)", time.Second, 3*time.Millisecond),
			&analyze.Verdict{Kind: analyze.KindNotCORS, Role: analyze.RoleNotCORS, Explanation: "Same-origin request: no CORS check applies."}},
		{done("OPTIONS", "http://localhost:8080/api/users",
			hdr("Origin", page, "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "authorization,content-type", "Sec-Fetch-Mode", "cors"),
			403, "Forbidden", hdr("Content-Type", "application/json", "Content-Length", "27"), `{"error":"missing api key"}`, 2*time.Second, 12*time.Millisecond),
			&analyze.Verdict{Kind: analyze.KindBlocked, Role: analyze.RolePreflight, Error: "PreflightMissingAllowOriginHeader",
				Console:     "Access to fetch at 'http://localhost:8080/api/users' from origin 'http://localhost:3000' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
				Firefox:     "CORSMissingAllowOrigin",
				Explanation: "The server answered the OPTIONS preflight with 403 and no Access-Control-Allow-Origin: auth or routing ran before any CORS handling, so the browser never sent the PUT.",
				Headers:     []analyze.HeaderRef{{Side: analyze.SideResponse, Name: "Access-Control-Allow-Origin", Missing: true, Want: page}},
				NeverSent:   true, Origin: page, CrossOrigin: true, SameSite: true, Mode: "cors", Credentials: analyze.CredUnknown,
				NeedsPreflight: true, UnsafeHeaders: []string{"authorization", "content-type"}, Method: "PUT", Fix: fixSpec}},
		{done("GET", "http://localhost:8080/api/items?page=2", hdr("Origin", page, "Sec-Fetch-Mode", "cors"), 200, "OK",
			hdr("Content-Type", "application/json", "Access-Control-Allow-Origin", page), `[{"id":1,"name":"lamp"},{"id":2,"name":"desk"}]`, 3*time.Second, 21*time.Millisecond),
			&analyze.Verdict{Kind: analyze.KindAllowed, Role: analyze.RoleSimple, Origin: page, CrossOrigin: true, Method: "GET",
				Explanation: "A simple GET: no preflight needed, and the response allows the page origin.",
				Warnings:    []analyze.Warning{{Code: "vary-origin-missing", Message: "Access-Control-Allow-Origin names one origin but the response has no Vary: Origin, so a cache may serve it to another origin.", Header: "Vary"}},
				Fix:         &analyze.FixSpec{Origin: page, Methods: []string{"GET"}, Path: "/api/items", BothLocal: true}}},
		{done("OPTIONS", "https://api.example.test/v1/orders", hdr("Origin", page, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"),
			204, "No Content", hdr("Access-Control-Allow-Origin", "*", "Access-Control-Allow-Methods", "POST", "Access-Control-Allow-Headers", "content-type", "Access-Control-Max-Age", "600"), "", 4*time.Second, 30*time.Millisecond),
			&analyze.Verdict{Kind: analyze.KindAllowed, Role: analyze.RolePreflight, Pair: 6, Origin: page, Method: "POST", Explanation: "The preflight allows POST with content-type from any origin."}},
		{done("POST", "https://api.example.test/v1/orders", hdr("Origin", page, "Content-Type", "application/json"), 201, "Created",
			hdr("Access-Control-Allow-Origin", "*", "Content-Type", "application/json"), `{"id":"ord_1"}`, 4*time.Second+40*time.Millisecond, 85*time.Millisecond),
			&analyze.Verdict{Kind: analyze.KindAllowed, Role: analyze.RoleActual, Pair: 5, Origin: page, Method: "POST", NeedsPreflight: true, Explanation: "The preflight passed and the response allows any origin."}},
		{done("GET", "https://cdn.example.test/fonts/inter.woff2", hdr("Origin", page, "Sec-Fetch-Mode", "cors"), 200, "OK",
			hdr("Content-Type", "font/woff2"), "wOF2\x00\x01\x00\x00binary", 5*time.Second, 140*time.Millisecond),
			&analyze.Verdict{Kind: analyze.KindBlocked, Role: analyze.RoleSimple, Error: "MissingAllowOriginHeader", Origin: page,
				Console:     "Access to font at 'https://cdn.example.test/fonts/inter.woff2' from origin 'http://localhost:3000' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
				Explanation: "Fonts are always fetched in CORS mode; the CDN sent no Access-Control-Allow-Origin.",
				Headers:     []analyze.HeaderRef{{Side: analyze.SideResponse, Name: "Access-Control-Allow-Origin", Missing: true, Want: page}},
				Method:      "GET", Fix: fontSpec}},
		{done("GET", "http://localhost:8080/api/session", hdr("Origin", page, "Sec-Fetch-Mode", "cors"), 200, "OK",
			hdr("Access-Control-Allow-Origin", "*"), `{"user":null}`, 6*time.Second, 9*time.Millisecond),
			&analyze.Verdict{Kind: analyze.KindUndecidable, Role: analyze.RoleSimple, Origin: page, Method: "GET",
				DependsOn:   "whether the page used credentials: 'include'; with it, Access-Control-Allow-Origin: * is rejected.",
				Explanation: "No cookie was sent, so the wire cannot show the credentials mode."}},
		{done("PUT", "http://localhost:8080/api/users/7", hdr("Origin", page, "Authorization", "Bearer x", "Content-Type", "application/json"), 200, "OK",
			hdr("Access-Control-Allow-Origin", page), `{"ok":true}`, 7*time.Second, 15*time.Millisecond),
			&analyze.Verdict{Kind: analyze.KindAllowed, Role: analyze.RoleActual, FromPreflightCache: true, Origin: page, Method: "PUT", NeedsPreflight: true,
				Explanation: "The PUT needed a preflight; none was on the wire, so the browser used its preflight cache."}},
		{capture.Flow{State: capture.StateStarted, Request: capture.Request{Method: "POST", URL: "http://localhost:8080/api/upload", Proto: "HTTP/1.1", Header: hdr("Origin", page)},
			Timings: capture.Timings{Start: t0.Add(8 * time.Second)}},
			&analyze.Verdict{Kind: analyze.KindPending, Role: analyze.RoleSimple, Origin: page, Method: "POST"}},
		{capture.Flow{State: capture.StateFailed, Error: "connection refused by 127.0.0.1:9999", ErrorKind: capture.ErrRefused,
			Request: capture.Request{Method: "GET", URL: "http://localhost:9999/health", Proto: "HTTP/1.1", Header: hdr("Origin", page)},
			Timings: capture.Timings{Start: t0.Add(9 * time.Second), End: t0.Add(9*time.Second + 2*time.Millisecond)}},
			&analyze.Verdict{Kind: analyze.KindFailed, Role: analyze.RoleSimple, Origin: page, Method: "GET", Explanation: "The server could not be reached: this is a network failure, not CORS."}},
	}
}

// fakeAnalyzer returns the fixture verdict of each flow (with its ID) and
// records what it was asked to forget.
type fakeAnalyzer struct {
	mu       sync.Mutex // program tests add verdicts while the feed runs
	verdicts map[capture.FlowID]analyze.Verdict
	ingested []capture.FlowID
	forgot   []capture.FlowID
}

// set records the verdict the fake returns for flow id.
func (a *fakeAnalyzer) set(id capture.FlowID, v analyze.Verdict) {
	a.mu.Lock()
	a.verdicts[id] = v
	a.mu.Unlock()
}

func (a *fakeAnalyzer) Ingest(f capture.Flow) []analyze.Verdict {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ingested = append(a.ingested, f.ID)
	v, ok := a.verdicts[f.ID]
	if !ok {
		return nil
	}
	v.Flow = f.ID
	return []analyze.Verdict{v}
}

func (a *fakeAnalyzer) Forget(ids ...capture.FlowID) {
	a.mu.Lock()
	a.forgot = append(a.forgot, ids...)
	a.mu.Unlock()
}

// fixtureFixes replaces analyze.Fixes in golden tests, so they do not
// change whenever a snippet's wording does.
func fixtureFixes(s analyze.FixSpec) []analyze.Fix {
	return []analyze.Fix{
		{Framework: "express", Title: "Express (cors package)", Language: "js",
			Note:    "Register it before your routes and auth middleware, so OPTIONS is answered first.",
			Snippet: "const cors = require('cors');\napp.use(cors({\n  origin: '" + s.Origin + "',\n  methods: ['" + s.Methods[0] + "'],\n  allowedHeaders: ['authorization', 'content-type'],\n  maxAge: 600,\n}));\n"},
		{Framework: "nginx", Title: "nginx", Language: "nginx", Note: "Inside the location block that proxies the API.",
			Snippet: "if ($request_method = OPTIONS) {\n  add_header Access-Control-Allow-Origin '" + s.Origin + "' always;\n  return 204;\n}\n"},
		{Framework: "go", Title: "Go net/http", Language: "go", Note: "Wrap your mux.", Snippet: "w.Header().Set(\"Access-Control-Allow-Origin\", \"" + s.Origin + "\")\n"},
	}
}

type testOpts struct {
	live     bool
	home     string
	w, h     int
	export   func(string, []capture.Flow) error
	maxFlows int
}

// newFixtureModel builds a model over a store holding fxs, sized w×h,
// with every batch applied.
func newFixtureModel(t testing.TB, fxs []fx, o testOpts) (*Model, *capture.Store, *fakeAnalyzer) {
	t.Helper()
	st := capture.NewStore(o.maxFlows)
	an := &fakeAnalyzer{verdicts: map[capture.FlowID]analyze.Verdict{}}
	for _, x := range fxs {
		id := st.Add(x.f)
		if x.v != nil {
			an.verdicts[id] = *x.v
		}
	}
	if o.w == 0 {
		o.w, o.h = 80, 24
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := New(ctx, Options{
		Store: st, Analyzer: an, Live: o.live, ListenAddr: "127.0.0.1:8080", Title: "fixture.har",
		Home: o.home, Location: time.UTC, Now: func() time.Time { return t0 }, Export: o.export,
	})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: o.w, Height: o.h})
	pump(m)
	return m, st, an
}

// pump applies every waiting batch, the way the re-armed pull command
// would, without timers.
func pump(m *Model) {
	for {
		select {
		case <-m.feed.sub.Ready():
		default:
			if len(m.feed.pending) == 0 {
				return
			}
		}
		b := m.feed.pull()
		m.Update(b)
		if !b.more && len(m.feed.pending) == 0 {
			select {
			case <-m.feed.sub.Ready():
				m.Update(m.feed.pull())
			default:
			}
			return
		}
	}
}

// press sends keys: single characters, or names like "down", "enter".
func press(m *Model, keys ...string) {
	for _, k := range keys {
		m.Update(keyMsg(k))
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// typeText sends each rune as a key press.
func typeText(m *Model, s string) {
	for _, r := range s {
		if r == ' ' {
			m.Update(keyMsg("space"))
			continue
		}
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}
