package analyze

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/corscope/corscope/capture"
)

// labCase returns the Appendix A vector whose name starts with id.
func labCaseNamed(t *testing.T, id string) labCase {
	t.Helper()
	for _, tc := range labCases() {
		if strings.HasPrefix(tc.name, id+" ") {
			return tc
		}
	}
	t.Fatalf("no lab vector %s", id)
	return labCase{}
}

// allowsNull reports a snippet line, outside comments, that names null:
// any config allowing it opens the API to every sandboxed page.
func allowsNull(snippet string) bool {
	for _, l := range strings.Split(snippet, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "//") || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.Contains(strings.ToLower(l), "null") {
			return true
		}
	}
	return false
}

func TestTaintedChainsAreFixedAtTheRedirect(t *testing.T) {
	third := labThird
	cases := []struct {
		name  string
		flows []ex
		judge capture.FlowID
		kind  Kind
		chain []string
	}{
		{"s17: ACAO = page origin after Origin: null", labCaseNamed(t, "s17").flows, 2, KindBlocked,
			[]string{u("/s17/x"), third + "/s17/final"}},
		{"u02: the restarted preflight answered with the page origin", labCaseNamed(t, "u02").flows, 3, KindBlocked,
			[]string{u("/u02/x"), third + "/u02/y"}},
		{"u01: passing only because null is allowed", labCaseNamed(t, "u01").flows, 4, KindAllowed,
			[]string{u("/u01/x"), third + "/u01/y"}},
		{"s17 with no ACAO at all on the final hop", []ex{
			{id: 1, at: 0, method: "GET", url: u("/t/x"), req: chromeReq(), status: 302,
				resp: []string{"Location: " + third + "/t/final", "Access-Control-Allow-Origin: *"}},
			{id: 2, at: 3, method: "GET", url: third + "/t/final", req: replaceOrigin(chromeReq(), "null"), status: 200,
				resp: []string{"Content-Type: application/json"}},
		}, 2, KindBlocked, []string{u("/t/x"), third + "/t/final"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := run(t, tc.flows...)[tc.judge]
			if v.Kind != tc.kind {
				t.Fatalf("%s %s, want %s", v.Kind, v.Error, tc.kind)
			}
			spec := v.Fix
			if spec == nil || !spec.Tainted || !slices.Equal(spec.Chain, tc.chain) || spec.Origin != labPage {
				t.Fatalf("fix spec %+v, want tainted with chain %v", spec, tc.chain)
			}
			final := tc.chain[len(tc.chain)-1]
			fixes := Fixes(*spec)
			if len(fixes) != 1 || fixes[0].Framework != "redirect" {
				t.Fatalf("fixes %+v, want only the redirect fix", fixes)
			}
			call := "fetch('" + final + "')"
			if m := spec.Methods[0]; m != "GET" {
				call = "fetch('" + final + "', { method: '" + m + "' })"
			}
			if !strings.Contains(fixes[0].Snippet, call) || allowsNull(fixes[0].Snippet) {
				t.Errorf("snippet:\n%s", fixes[0].Snippet)
			}
			if !strings.Contains(fixes[0].Note, "Do not allow 'null'") || !strings.Contains(fixes[0].Note, "Origin: "+labPage) {
				t.Errorf("note %q", fixes[0].Note)
			}
			for _, fw := range Frameworks() {
				f, err := FixFor(*spec, fw)
				if err != nil || f.Framework != "redirect" {
					t.Errorf("FixFor(%s) = %s, %v: want the redirect fix", fw, f.Framework, err)
				}
			}
			if v.Kind == KindBlocked {
				if !strings.Contains(v.Explanation, "have the page call "+final+" directly") {
					t.Errorf("explanation does not point at the redirect: %q", v.Explanation)
				}
				for _, bad := range []string{"Access-Control-Allow-Origin: null", "exactly: null", "origin null"} {
					if strings.Contains(v.Explanation, bad) {
						t.Errorf("explanation suggests allowing null (%q): %q", bad, v.Explanation)
					}
				}
				for _, h := range v.Headers {
					if h.Want == "null" {
						t.Errorf("header ref wants null: %+v", h)
					}
				}
			}
		})
	}
}

func TestTaintedChainInTheReport(t *testing.T) {
	tc := labCaseNamed(t, "s17")
	flows := make([]capture.Flow, len(tc.flows))
	for i, x := range tc.flows {
		flows[i] = x.flow()
	}
	vs := AnalyzeAll(flows)
	for _, format := range ReportFormats {
		var buf bytes.Buffer
		if err := NewReport(flows, vs, ReportOptions{}).Write(&buf, format); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if format == "json" {
			if !strings.Contains(out, `"tainted": true`) || !strings.Contains(out, `"framework": "redirect"`) {
				t.Errorf("json report lacks the tainted fix:\n%s", out)
			}
			continue
		}
		if !strings.Contains(out, "Avoid the cross-origin redirect") || strings.Contains(out, "must carry") {
			t.Errorf("%s report:\n%s", format, out)
		}
	}
}

// A FixSpec with a hostile chain renders no URL into the snippet.
func TestRedirectFixLeavesUnsafeURLsOut(t *testing.T) {
	f := redirectFix(FixSpec{Tainted: true, Origin: labPage, Chain: []string{u("/a"), "http://x.test/');alert(1)//"}})
	if strings.Contains(f.Snippet, "alert") || strings.Contains(f.Snippet, "fetch(") {
		t.Errorf("snippet:\n%s", f.Snippet)
	}
}
