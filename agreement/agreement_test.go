package agreement

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/browser"
	"github.com/corscope/corscope/internal/testenv"
)

// TestAgreement runs every scenario in headless Chromium through corscope
// and direct, and fails on every scenario where corscope's verdict differs
// from Chromium's, or where the proxy changed what Chromium decided.
func TestAgreement(t *testing.T) {
	if testing.Short() {
		t.Skip("the agreement suite drives a real Chromium; skipped in -short mode")
	}
	chromiumPath := findChromium(t)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	scenarios := table()
	srv := startServers(t, scenarios)
	cs := startCorscope(t, srv)
	rows := make([]*row, len(scenarios))
	for i := range scenarios {
		rows[i] = &row{sc: &scenarios[i]}
	}

	// Through corscope: the browser as `corscope browser` starts it.
	proxied, err := startChromium(ctx, "proxied", browser.Options{
		Path: chromiumPath, Proxy: cs.proxy.Addr(), SPKI: cs.proxy.CA().SPKIHash(),
	}, srv.origins)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxied.close)
	version := proxied.version
	for _, r := range rows {
		r.proxied, r.proxiedErr = proxied.run(r.sc)
		r.proxiedHits = srv.hitsFor(r.sc.ID)
		r.cs, r.csErr = cs.verdict(ctx, r.sc)
	}
	proxied.close()

	// Direct: the same launch without a proxy, trusting the test servers'
	// certificate instead of corscope's CA.
	srv.resetHits()
	direct, err := startChromium(ctx, "direct", browser.Options{
		Path: chromiumPath, Direct: true, SPKI: srv.httpsSPKI,
	}, srv.origins)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(direct.close)
	for _, r := range rows {
		r.direct, r.directErr = direct.run(r.sc)
		r.directHits = srv.hitsFor(r.sc.ID)
	}
	direct.close()

	for _, r := range rows {
		r.judge(srv.origins)
	}
	elapsed := time.Since(start).Round(100 * time.Millisecond)
	t.Log("\n" + agreementTable(rows, version, elapsed))
	if path := os.Getenv("CORSCOPE_AGREEMENT_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(mismatchReport(rows, version, elapsed)), 0o644); err != nil {
			t.Errorf("write the mismatch report: %v", err)
		} else {
			t.Logf("mismatch report written to %s", path)
		}
	}
	// One subtest per scenario, so CI lists each failing scenario by name.
	// (Filtering with -run Agreement/ID only filters the verdicts: both
	// browser runs always play the whole table, in about 20 s.)
	for _, r := range rows {
		t.Run(r.sc.ID, func(t *testing.T) {
			for _, p := range r.problems {
				t.Errorf("%s: %s", r.sc.Name, p)
			}
		})
	}
}

// findChromium returns the Chromium to drive, or skips when there is none,
// unless CORSCOPE_REQUIRE_CHROMIUM is set (CI sets it: there a missing
// browser must fail the run, not hide it).
func findChromium(t *testing.T) string {
	t.Helper()
	p, err := browser.Find(browser.Chromium)
	if err == nil {
		return p
	}
	if errors.Is(err, browser.ErrNotFound) && os.Getenv("CORSCOPE_REQUIRE_CHROMIUM") == "" && !testenv.Required() {
		t.Skipf("%v (set CORSCOPE_REQUIRE_CHROMIUM=1 to make this a failure)", err)
	}
	t.Fatalf("the agreement suite needs Chromium: %v", err)
	return ""
}

// row is one scenario's results across the two runs.
type row struct {
	sc                      *scenario
	proxied, direct         chromeResult
	proxiedErr, directErr   error
	proxiedHits, directHits []hit
	cs                      corscopeResult
	csErr                   error

	agree    string   // "yes", "no", or "declared" (an allowed undecidable)
	problems []string // each fails the scenario
	notes    []string // worth reading, not failures
}

// preflightError reports whether a CorsError is decided on the preflight:
// the actual request was never sent, so corscope must say so on the OPTIONS.
func preflightError(e string) bool {
	return strings.HasPrefix(e, "Preflight") || strings.HasSuffix(e, "PreflightResponse")
}

func (w want) label(o origins, page string) string {
	switch w.Kind {
	case kindBlocked:
		return w.Error + paramSuffix(o.expand(page, w.Param))
	case kindAllowed:
		if w.Warning {
			return "allowed+AuthorizationCoveredByWildcard"
		}
	}
	return w.Kind
}

// judge compares everything one scenario produced.
func (r *row) judge(o origins) {
	sc := r.sc
	fail := func(format string, args ...any) { r.problems = append(r.problems, sprintf(format, args...)) }
	r.agree = "no"
	for _, e := range []struct {
		what string
		err  error
	}{{"proxied Chromium", r.proxiedErr}, {"direct Chromium", r.directErr}, {"corscope", r.csErr}} {
		if e.err != nil {
			fail("%s: %v", e.what, e.err)
		}
	}
	ch := r.proxied

	// The scenario does what it says, in both runs.
	if want := sc.Want.label(o, sc.Page); ch.label() != want {
		fail("Chromium decided %s; the table expects %s (cors.md): trust Chromium, then fix the table or cors.md", ch.label(), want)
	}
	if ch.Note != "" {
		r.notes = append(r.notes, "Chromium: "+ch.Note)
	}
	if !ch.same(r.direct) {
		fail("the proxy changed Chromium's decision: direct %s, through corscope %s", r.direct.label(), ch.label())
	}
	for _, run := range []struct {
		name string
		hits []hit
	}{{"through corscope", r.proxiedHits}, {"direct", r.directHits}} {
		options := 0
		for _, h := range run.hits {
			if !h.Routed {
				fail("%s, the servers got a request the table did not plan: %s %s", run.name, h.Method, h.URL)
			}
			if h.Method == "OPTIONS" {
				options++
			}
		}
		if sc.Preflights != nil && options != *sc.Preflights {
			fail("%s, Chromium sent %d preflights; the scenario expects %d", run.name, options, *sc.Preflights)
		}
		if sc.WireInvisible != "" && len(run.hits) > 0 {
			fail("%s, %d requests reached the servers, but the scenario says nothing does: %s", run.name, len(run.hits), sc.WireInvisible)
		}
	}
	if r.csErr != nil {
		return
	}

	// corscope against Chromium.
	cs := r.cs
	if sc.WireInvisible != "" {
		if len(cs.Flows) > 0 {
			fail("corscope recorded %d flows for a scenario that never reaches the network", len(cs.Flows))
			return
		}
		r.agree = "yes"
		r.notes = append(r.notes, "nothing on the wire, as expected: "+sc.WireInvisible)
		return
	}
	if len(cs.Flows) == 0 {
		fail("corscope recorded no flow for the scenario")
		return
	}
	if analyze.Kind(cs.Kind) == analyze.KindUndecidable {
		if sc.MayBeUndecidable != "" {
			r.agree = "declared"
			r.notes = append(r.notes, "corscope says undecidable ("+cs.DependsOn+"); declared: "+sc.MayBeUndecidable)
		} else {
			fail("corscope says undecidable (%s) where Chromium decided %s", cs.DependsOn, ch.label())
		}
	} else if cs.Kind != ch.Kind || cs.Error != ch.Error || cs.Param != ch.Param || cs.Warning != ch.Warning {
		fail("corscope says %s, Chromium %s", cs.label(), ch.label())
	} else {
		r.agree = "yes"
		if ch.Kind == kindBlocked && preflightError(ch.Error) && (cs.Role != string(analyze.RolePreflight) || !cs.NeverSent) {
			fail("corscope puts %s on a %s flow (never-sent=%v); Chromium failed the preflight, so the OPTIONS must carry it with \"the actual request was never sent\"", cs.Error, cs.Role, cs.NeverSent)
		}
		if ch.Kind == kindBlocked && !preflightError(ch.Error) && cs.Role == string(analyze.RolePreflight) {
			fail("corscope puts %s on the preflight; Chromium failed the request itself", cs.Error)
		}
	}
	if sc.CacheHits != nil && cs.CacheHits != *sc.CacheHits {
		fail("corscope marks %d actual requests as served from the preflight cache; Chromium sent %d without a preflight", cs.CacheHits, *sc.CacheHits)
	}
	if len(r.problems) > 0 {
		r.agree = "no"
	}
	r.judgeConsole()
}

// judgeConsole compares the console line corscope writes with the one
// Chromium printed for a scenario both call blocked. The wire cannot tell
// fetch() from XMLHttpRequest (cors.md §7.3), so for XHR scenarios, where
// Chromium says "XMLHttpRequest" and adds its withCredentials sentence, a
// difference is only noted.
func (r *row) judgeConsole() {
	line := corsConsoleLine(r.proxied.Console)
	if r.agree != "yes" || r.proxied.Kind != kindBlocked || line == "" || r.cs.Console == line {
		return
	}
	msg := sprintf("console line differs:\n      Chromium: %s\n      corscope: %s", line, or(r.cs.Console, "(none)"))
	if slices.ContainsFunc(r.sc.Steps, func(s step) bool { return s.XHR }) {
		r.notes = append(r.notes, msg+"\n      (XMLHttpRequest: the wire cannot tell it from fetch, cors.md §7.3)")
		return
	}
	r.problems = append(r.problems, msg)
	r.agree = "no"
}

// corsConsoleLine picks Chromium's "blocked by CORS policy" line.
func corsConsoleLine(lines []string) string {
	for _, l := range lines {
		if strings.Contains(l, "blocked by CORS policy") {
			return l
		}
	}
	return ""
}
