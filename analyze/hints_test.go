package analyze

import (
	"strings"
	"testing"

	"github.com/corscope/corscope/capture"
)

func TestHintsDecideWhatTheWireCannot(t *testing.T) {
	// ACAO * without a cookie: undecidable from the wire alone.
	x := ex{id: 1, method: "GET", url: u("/h"), req: chromeReq(), status: 200, resp: []string{"Access-Control-Allow-Origin: *"}}
	flows := []capture.Flow{x.flow()}
	if v := AnalyzeAll(flows)[0]; v.Kind != KindUndecidable {
		t.Fatalf("without hints: %s", v.Kind)
	}
	inc := AnalyzeAllWith(flows, Hints{Credentials: CredInclude})[0]
	if inc.Kind != KindBlocked || inc.Error != "WildcardOriginNotAllowed" || inc.Credentials != CredInclude || inc.DependsOn != "" {
		t.Errorf("include: %s %s %s %q", inc.Kind, inc.Error, inc.Credentials, inc.DependsOn)
	}
	omit := AnalyzeAllWith(flows, Hints{Credentials: CredOmitted})[0]
	if omit.Kind != KindAllowed || omit.Credentials != CredOmitted {
		t.Errorf("omitted: %s %s", omit.Kind, omit.Credentials)
	}
	a := NewAnalyzerWith(Hints{Credentials: CredInclude})
	pre := ex{id: 2, method: "OPTIONS", url: u("/h2"), req: chromePreflight(labPage, "PUT", ""), status: 204,
		resp: []string{"Access-Control-Allow-Origin: *", "Access-Control-Allow-Methods: PUT"}}
	if v := a.Ingest(pre.flow())[0]; v.Kind != KindBlocked || v.Error != "PreflightWildcardOriginNotAllowed" || !v.NeverSent {
		t.Errorf("hinted preflight: %s %s never-sent %v", v.Kind, v.Error, v.NeverSent)
	}
}

func TestMissingACAOAfterAPassingPreflightPointsAtTheHandler(t *testing.T) {
	vs := run(t,
		ex{id: 1, at: 0, method: "OPTIONS", url: u("/p"), req: chromePreflight(labPage, "DELETE", ""), status: 204, resp: okPreflight("DELETE", "")},
		ex{id: 2, at: 3, method: "DELETE", url: u("/p"), req: chromeReq(), status: 500, resp: []string{"Content-Type: text/html"}},
	)
	v := vs[2]
	if v.Error != "MissingAllowOriginHeader" || !strings.Contains(v.Explanation, "answers OPTIONS but not the DELETE") {
		t.Errorf("%s %q", v.Error, v.Explanation)
	}
	if !hasWarning(v, WarnExecutedDespiteBlock) {
		t.Errorf("warnings %v", warningCodes(v))
	}
	if len(v.Headers) != 1 || !v.Headers[0].Missing || v.Headers[0].Want != labPage || v.Headers[0].Flow != 2 {
		t.Errorf("header refs %+v", v.Headers)
	}
}

func TestOpaqueOriginPagePrintsNull(t *testing.T) {
	vs := run(t, ex{id: 1, method: "GET", url: u("/sandbox"), req: replaceOrigin(chromeReq(), "null"), status: 200,
		resp: []string{"Access-Control-Allow-Origin: " + labPage}})
	v := vs[1]
	want := "Access to fetch at '" + u("/sandbox") + "' from origin 'null' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '" +
		labPage + "' that is not equal to the supplied origin." + rHint
	if v.Error != "AllowOriginMismatch" || v.Console != want {
		t.Errorf("%s\n%q\n%q", v.Error, v.Console, want)
	}
}
