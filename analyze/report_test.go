package analyze_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// The report tests build verdicts by hand, so they pin the report's
// grouping and rendering whatever the analyzer decides.

func reqFlow(id capture.FlowID, method, url, origin string) capture.Flow {
	f := capture.Flow{ID: id, State: capture.StateDone, Request: capture.Request{Method: method, URL: url}}
	if origin != "" {
		f.Request.Header = capture.Headers{{Name: "Origin", Value: origin}}
	}
	return f
}

var spec = &analyze.FixSpec{Origin: "http://localhost:3000", Methods: []string{"PUT"}, Headers: []string{"content-type"},
	Path: "/users", APIOrigin: "http://api.test"}

func blockedV(id capture.FlowID, err, console string) analyze.Verdict {
	return analyze.Verdict{Flow: id, Kind: analyze.KindBlocked, Role: analyze.RoleSimple, Error: err, Console: console,
		Explanation: "why " + err, Fix: spec,
		Headers: []analyze.HeaderRef{{Side: analyze.SideResponse, Name: "Access-Control-Allow-Origin", Missing: true, Want: "http://localhost:3000"}}}
}

func reportFixture() ([]capture.Flow, []analyze.Verdict) {
	flows := []capture.Flow{
		reqFlow(1, "GET", "http://api.test/items?page=1", "http://localhost:3000"),
		reqFlow(2, "GET", "http://api.test/items?page=2", "http://localhost:3000"),
		reqFlow(3, "GET", "http://api.test/items", "http://localhost:5173"),
		reqFlow(4, "OPTIONS", "http://api.test/users", "http://localhost:3000"),
		reqFlow(5, "PUT", "http://api.test/users", "http://localhost:3000"),
		reqFlow(6, "GET", "http://api.test/me", "http://localhost:3000"),
		reqFlow(7, "GET", "http://api.test/open", "http://localhost:3000"),
		reqFlow(8, "GET", "http://localhost:3000/", ""),
		reqFlow(9, "GET", "http://down.test/", "http://localhost:3000"),
		reqFlow(10, "GET", "http://api.test/open", "http://localhost:3000"),
	}
	pre := blockedV(4, "PreflightMissingAllowOriginHeader", "Access to fetch at 'http://api.test/users' … preflight …")
	pre.Role, pre.Method, pre.Pair, pre.NeverSent = analyze.RolePreflight, "PUT", 5, true
	unhandled := *spec
	unhandled.PreflightUnhandled = true
	pre.Fix = &unhandled
	act := blockedV(5, "PreflightMissingAllowOriginHeader", "Access to fetch at 'http://api.test/users' … preflight …")
	act.Role, act.Method, act.Pair = analyze.RoleActual, "PUT", 4
	warn := []analyze.Warning{{Code: "wildcard-origin", Message: "Any site can read this.", Header: "Access-Control-Allow-Origin"}}
	verdicts := []analyze.Verdict{
		blockedV(1, "MissingAllowOriginHeader", "Access to fetch at 'http://api.test/items?page=1' … No 'Access-Control-Allow-Origin' header …"),
		blockedV(2, "MissingAllowOriginHeader", "second console"),
		blockedV(3, "MissingAllowOriginHeader", "third console"),
		pre, act,
		{Flow: 6, Kind: analyze.KindUndecidable, DependsOn: "the credentials mode", Explanation: "no cookie",
			Fix: &analyze.FixSpec{Origin: "http://localhost:3000", Methods: []string{"GET"}, Credentials: true}},
		{Flow: 7, Kind: analyze.KindAllowed, Warnings: warn, Fix: &analyze.FixSpec{Origin: "http://localhost:3000", Methods: []string{"GET"}}},
		{Flow: 8, Kind: analyze.KindNotCORS},
		{Flow: 9, Kind: analyze.KindFailed},
		{Flow: 10, Kind: analyze.KindAllowed, Warnings: warn},
	}
	return flows, verdicts
}

func TestReportGroupsByEndpointAndLabel(t *testing.T) {
	flows, verdicts := reportFixture()
	r := analyze.NewReport(flows, verdicts, analyze.ReportOptions{Source: "x.har"})
	type row struct {
		kind, label, endpoint string
		count                 int
		requests              []capture.FlowID
		origins               []string
	}
	want := []row{
		{"blocked", "MissingAllowOriginHeader", "GET http://api.test/items", 3, []capture.FlowID{1, 2, 3}, []string{"http://localhost:3000", "http://localhost:5173"}},
		{"blocked", "PreflightMissingAllowOriginHeader", "PUT http://api.test/users", 1, []capture.FlowID{4, 5}, []string{"http://localhost:3000"}},
		{"undecidable", "undecidable", "GET http://api.test/me", 1, []capture.FlowID{6}, []string{"http://localhost:3000"}},
		{"warning", "wildcard-origin", "GET http://api.test/open", 2, []capture.FlowID{7, 10}, []string{"http://localhost:3000"}},
	}
	if len(r.Problems) != len(want) {
		t.Fatalf("%d problems, want %d: %+v", len(r.Problems), len(want), r.Problems)
	}
	for i, w := range want {
		p := r.Problems[i]
		if p.Kind != w.kind || p.Label != w.label || p.Endpoint != w.endpoint || p.Count != w.count ||
			!slices.Equal(p.Requests, w.requests) || !slices.Equal(p.PageOrigins, w.origins) {
			t.Errorf("problem %d = %s %s %s ×%d %v %v, want %+v", i, p.Kind, p.Label, p.Endpoint, p.Count, p.Requests, p.PageOrigins, w)
		}
	}
	first := r.Problems[0]
	if !strings.Contains(first.Console, "page=1") || first.Explanation != "why MissingAllowOriginHeader" || len(first.Headers) != 1 || first.Fix == nil {
		t.Errorf("a group shows its first occurrence: %+v", first)
	}
	if !r.Problems[1].NeverSent {
		t.Error("the preflight group lost neverSent")
	}
	if r.Problems[3].Warning == nil || r.Problems[3].Warning.Message != "Any site can read this." {
		t.Errorf("warning group: %+v", r.Problems[3])
	}
	wantSummary := analyze.ReportSummary{Requests: 10, CORS: 8, Allowed: 2, Blocked: 5, Undecidable: 1, NotCORS: 1, Failed: 1, Warnings: 2}
	if r.Summary != wantSummary {
		t.Errorf("summary %+v, want %+v", r.Summary, wantSummary)
	}
	if !r.Blocked || r.Version != analyze.ReportVersion || r.Source != "x.har" {
		t.Errorf("report header: blocked %v version %d source %q", r.Blocked, r.Version, r.Source)
	}
}

func TestReportOnlyFailuresDropsWarnings(t *testing.T) {
	flows, verdicts := reportFixture()
	r := analyze.NewReport(flows, verdicts, analyze.ReportOptions{OnlyFailures: true})
	for _, p := range r.Problems {
		if p.Kind == analyze.ProblemWarning {
			t.Errorf("warning %s kept with OnlyFailures", p.Label)
		}
	}
	if len(r.Problems) != 3 {
		t.Errorf("%d problems, want the 2 blocked and the undecidable", len(r.Problems))
	}
}

func TestReportBlockedOnlyWhenSomethingIsBlocked(t *testing.T) {
	flows, verdicts := reportFixture()
	r := analyze.NewReport(flows[5:], verdicts[5:], analyze.ReportOptions{})
	if r.Blocked {
		t.Error("Blocked without a blocked verdict")
	}
	var buf bytes.Buffer
	analyze.NewReport(flows[7:9], verdicts[7:9], analyze.ReportOptions{Source: "a.har"}).WriteText(&buf)
	if !strings.Contains(buf.String(), "No cross-origin (CORS) requests") {
		t.Errorf("no CORS at all: %s", buf.String())
	}
	buf.Reset()
	analyze.NewReport([]capture.Flow{flows[6]}, []analyze.Verdict{{Flow: 7, Kind: analyze.KindAllowed}}, analyze.ReportOptions{}).WriteText(&buf)
	if !strings.Contains(buf.String(), "No CORS problems found.") {
		t.Errorf("all allowed: %s", buf.String())
	}
}

func TestReportFrameworkSelectsOneFix(t *testing.T) {
	flows, verdicts := reportFixture()
	all := analyze.NewReport(flows, verdicts, analyze.ReportOptions{})
	if n := len(all.Problems[0].Fixes); n != len(analyze.Fixes(*spec)) || n < 10 {
		t.Errorf("without --framework: %d fixes", n)
	}
	one := analyze.NewReport(flows, verdicts, analyze.ReportOptions{Framework: "Express"})
	if one.Framework != "express" {
		t.Errorf("framework %q, want the key", one.Framework)
	}
	fx := one.Problems[0].Fixes
	if len(fx) != 1 || fx[0].Framework != "express" || !strings.Contains(fx[0].Snippet, "http://localhost:3000") {
		t.Errorf("fixes %+v", fx)
	}
	var buf bytes.Buffer
	one.WriteText(&buf)
	if !strings.Contains(buf.String(), fx[0].Snippet[:20]) || strings.Contains(buf.String(), "--framework NAME") {
		t.Errorf("text with one framework:\n%s", buf.String())
	}
}

func TestReportFixForAnUnallowableOrigin(t *testing.T) {
	flows, verdicts := reportFixture()
	nullSpec := *spec
	nullSpec.Origin = "null"
	verdicts[0].Fix = &nullSpec
	r := analyze.NewReport(flows[:1], verdicts[:1], analyze.ReportOptions{})
	if len(r.Problems[0].Fixes) != 0 || r.Problems[0].FixError == "" {
		t.Errorf("origin null: fixes %d, fixError %q", len(r.Problems[0].Fixes), r.Problems[0].FixError)
	}
	var buf bytes.Buffer
	r.WriteText(&buf)
	if !strings.Contains(buf.String(), "No fix snippet: ") {
		t.Errorf("text does not say why there is no snippet:\n%s", buf.String())
	}
}

func TestReportTextAndMarkdown(t *testing.T) {
	flows, verdicts := reportFixture()
	r := analyze.NewReport(flows, verdicts, analyze.ReportOptions{Source: "bug.har"})
	var text, md bytes.Buffer
	if err := r.Write(&text, "text"); err != nil {
		t.Fatal(err)
	}
	if err := r.Write(&md, "markdown"); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"corscope analyze bug.har: 10 requests, 8 CORS: 5 blocked, 1 undecidable, 2 allowed; 2 with warnings; 1 failed for other reasons (network)",
		"BLOCKED  MissingAllowOriginHeader  (3 times)",
		"GET http://api.test/items  from http://localhost:3000, http://localhost:5173  [#1, #2, #3]",
		"Console: Access to fetch at 'http://api.test/items?page=1'",
		"Header: response header Access-Control-Allow-Origin is missing (want http://localhost:3000)",
		"Fix: the preflight response (OPTIONS, 2xx) must carry:\n    Access-Control-Allow-Origin: http://localhost:3000\n    Access-Control-Allow-Methods: PUT\n    Access-Control-Allow-Headers: content-type",
		"  Then the PUT response must carry:\n    Access-Control-Allow-Origin: http://localhost:3000\n    Vary: Origin\n  And let the CORS layer answer OPTIONS /users before routing and authentication run.",
		"UNDECIDABLE  (once)",
		"To pass in every case, the GET response must carry:",
		"Safely configured, the GET response must carry:",
		"Depends on: the credentials mode",
		"WARNING  wildcard-origin  (2 times)",
	} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text report lacks %q:\n%s", w, text.String())
		}
	}
	if strings.Contains(text.String(), "\x1b[") {
		t.Error("the text report has terminal escapes")
	}
	mdS := md.String()
	for _, w := range []string{"## CORS report: `bug.har`", "### Blocked: MissingAllowOriginHeader — `GET http://api.test/items` (3 times)",
		"```text\nAccess to fetch at", "```http\nAccess-Control-Allow-Origin: http://localhost:3000", "<details><summary>"} {
		if !strings.Contains(mdS, w) {
			t.Errorf("markdown lacks %q", w)
		}
	}
	if strings.Count(mdS, "<details>") != strings.Count(mdS, "</details>") {
		t.Error("unbalanced <details>")
	}
	if err := r.Write(&text, "yaml"); err == nil {
		t.Error("an unknown format was accepted")
	}
}

// The JSON report is a contract (README documents it): these members are
// always present with these types.
func TestReportJSONShape(t *testing.T) {
	flows, verdicts := reportFixture()
	var buf bytes.Buffer
	if err := analyze.NewReport(flows, verdicts, analyze.ReportOptions{Source: "bug.har", Framework: "nginx"}).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"version": "number", "source": "string", "blocked": "bool", "framework": "string", "summary": "object", "problems": "array"}
	checkMembers(t, "report", doc, want)
	checkMembers(t, "summary", doc["summary"].(map[string]any), map[string]string{
		"requests": "number", "cors": "number", "allowed": "number", "blocked": "number", "undecidable": "number",
		"notCors": "number", "failed": "number", "pending": "number", "warnings": "number"})
	p := doc["problems"].([]any)[0].(map[string]any)
	checkMembers(t, "problem", p, map[string]string{
		"kind": "string", "label": "string", "endpoint": "string", "method": "string", "origin": "string", "path": "string",
		"pageOrigins": "array", "count": "number", "requests": "array", "error": "string", "console": "string",
		"explanation": "string", "headers": "array", "fix": "object", "fixes": "array"})
	checkMembers(t, "fix", p["fix"].(map[string]any), map[string]string{"origin": "string", "methods": "array", "headers": "array",
		"expose": "array", "credentials": "bool", "maxAge": "number", "path": "string", "preflightUnhandled": "bool",
		"bothLocal": "bool", "apiOrigin": "string"})
	checkMembers(t, "fixes[0]", p["fixes"].([]any)[0].(map[string]any), map[string]string{
		"framework": "string", "title": "string", "language": "string", "snippet": "string", "note": "string"})

	buf.Reset()
	analyze.NewReport(nil, nil, analyze.ReportOptions{}).WriteJSON(&buf)
	if !strings.Contains(buf.String(), `"problems": []`) {
		t.Errorf("an empty report must have an empty problems list, not null:\n%s", buf.String())
	}
}

func checkMembers(t *testing.T, what string, m map[string]any, want map[string]string) {
	t.Helper()
	for k, typ := range want {
		v, ok := m[k]
		if !ok {
			t.Errorf("%s has no %q", what, k)
			continue
		}
		got := "?"
		switch v.(type) {
		case string:
			got = "string"
		case float64:
			got = "number"
		case bool:
			got = "bool"
		case map[string]any:
			got = "object"
		case []any:
			got = "array"
		}
		if got != typ {
			t.Errorf("%s.%s is %s, want %s", what, k, got, typ)
		}
	}
}

func TestRequiredHeaders(t *testing.T) {
	tests := []struct {
		name     string
		spec     analyze.FixSpec
		pre, act []string
	}{
		{"simple GET", analyze.FixSpec{Origin: "http://a.test", Methods: []string{"GET"}}, nil,
			[]string{"Access-Control-Allow-Origin: http://a.test", "Vary: Origin"}},
		{"credentials and exposed headers", analyze.FixSpec{Origin: "http://a.test", Methods: []string{"POST"}, Credentials: true, Expose: []string{"x-total"}}, nil,
			[]string{"Access-Control-Allow-Origin: http://a.test", "Access-Control-Allow-Credentials: true", "Access-Control-Expose-Headers: x-total", "Vary: Origin"}},
		{"preflighted", analyze.FixSpec{Origin: "http://a.test", Methods: []string{"GET", "DELETE"}, Headers: []string{"authorization"}, MaxAge: 600},
			[]string{"Access-Control-Allow-Origin: http://a.test", "Access-Control-Allow-Methods: DELETE", "Access-Control-Allow-Headers: authorization", "Access-Control-Max-Age: 600", "Vary: Origin"},
			[]string{"Access-Control-Allow-Origin: http://a.test", "Vary: Origin"}},
	}
	for _, tc := range tests {
		pre, act := analyze.RequiredHeaders(tc.spec)
		if !slices.Equal(pre, tc.pre) || !slices.Equal(act, tc.act) {
			t.Errorf("%s:\npre %q\nact %q", tc.name, pre, act)
		}
	}
}

func TestCheckReportOptions(t *testing.T) {
	if err := analyze.CheckReportOptions("json", analyze.ReportOptions{Framework: "net/http"}); err != nil {
		t.Errorf("an alias was refused: %v", err)
	}
	if err := analyze.CheckReportOptions("html", analyze.ReportOptions{}); err == nil || !strings.Contains(err.Error(), "text, markdown, json") {
		t.Errorf("unknown format: %v", err)
	}
	if err := analyze.CheckReportOptions("text", analyze.ReportOptions{Framework: "cobol"}); err == nil || !strings.Contains(err.Error(), "express") {
		t.Errorf("unknown framework: %v", err)
	}
}
