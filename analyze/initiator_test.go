package analyze

import (
	"strings"
	"testing"
)

// destReq is what Chromium sends for a cross-origin load with destination
// dest ("" leaves Sec-Fetch-Dest out, as Chrome before 76 and plain-http
// sites do), with the extra lines replacing the base ones of the same name.
func destReq(dest string, extra ...string) []string {
	var out []string
	for _, l := range chromeReq() {
		name, _, _ := strings.Cut(l, ":")
		switch {
		case name == "Sec-Fetch-Dest" && dest == "":
			continue
		case name == "Sec-Fetch-Dest":
			l = "Sec-Fetch-Dest: " + dest
		}
		replaced := false
		for _, x := range extra {
			if n, _, _ := strings.Cut(x, ":"); strings.EqualFold(n, name) {
				replaced = true
			}
		}
		if !replaced {
			out = append(out, l)
		}
	}
	return append(out, extra...)
}

// allTexts is every sentence of a verdict that words the request's
// credentials mode.
func allTexts(v Verdict) string {
	parts := []string{v.Explanation, v.DependsOn}
	for _, a := range v.Alternatives {
		parts = append(parts, a.If)
	}
	return strings.Join(parts, "\n")
}

func TestElementLoadsAreWordedByTheirCrossoriginAttribute(t *testing.T) {
	cases := []struct {
		name    string
		rt      string
		req     []string
		element string // the element the texts must name
		kind    string // the console kind
	}{
		{"stylesheet by Sec-Fetch-Dest", "", destReq("style", "Accept: text/css,*/*;q=0.1"), `<link rel="stylesheet">`, "CSS stylesheet"},
		{"stylesheet by HAR resource type", "stylesheet", destReq(""), `<link rel="stylesheet">`, "CSS stylesheet"},
		{"stylesheet by Chromium's Accept alone", "", destReq("", "Accept: text/css,*/*;q=0.1"), `<link rel="stylesheet">`, "CSS stylesheet"},
		{"script", "", destReq("script"), `<script>`, "script"},
		{"script by HAR resource type", "script", destReq(""), `<script>`, "script"},
		{"image", "", destReq("image", "Accept: image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"), `<img>`, "image"},
		{"image by Chromium's Accept alone", "", destReq("", "Accept: image/webp,image/*,*/*;q=0.8"), `<img>`, "image"},
		{"video", "", destReq("video"), `<video>`, "video"},
		{"audio", "", destReq("audio"), `<audio>`, "audio"},
		{"text track", "", destReq("track"), `<track>`, "text track"},
		{"manifest", "", destReq("manifest"), `<link rel="manifest">`, "manifest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs := run(t, ex{id: 1, method: "GET", url: u("/asset"), req: tc.req, rt: tc.rt, status: 200,
				resp: []string{"Access-Control-Allow-Origin: *"}})
			v := vs[1]
			if v.Kind != KindUndecidable || len(v.Alternatives) != 2 {
				t.Fatalf("%s with %d alternatives (%s)", v.Kind, len(v.Alternatives), v.Explanation)
			}
			text := allTexts(v)
			for _, want := range []string{tc.element, `crossorigin="use-credentials"`, `crossorigin="anonymous"`} {
				if !strings.Contains(text, want) {
					t.Errorf("the texts do not name %s:\n%s", want, text)
				}
			}
			for _, wrong := range []string{"fetch", "XHR", "withCredentials", "credentials: '"} {
				if strings.Contains(text, wrong) {
					t.Errorf("an element load worded in fetch/XHR terms (%q):\n%s", wrong, text)
				}
			}
			inc, omit := v.Alternatives[0], v.Alternatives[1]
			if inc.Credentials != CredInclude || inc.Kind != KindBlocked || inc.Error != "WildcardOriginNotAllowed" ||
				omit.Credentials != CredOmitted || omit.Kind != KindAllowed {
				t.Errorf("alternatives %+v", v.Alternatives)
			}
			if want := "Access to " + tc.kind + " at '" + u("/asset") + "'"; !strings.HasPrefix(inc.Console, want) {
				t.Errorf("console %q, want it to start %q", inc.Console, want)
			}
		})
	}
}

func TestScriptRequestsKeepFetchAndXHRWording(t *testing.T) {
	cases := []struct {
		name       string
		rt         string
		req        []string
		want, not  []string
		consoleFor string
	}{
		{"Sec-Fetch-Dest empty is fetch or XHR", "", chromeReq(), []string{"fetch credentials: 'include'", "XHR withCredentials"}, []string{"crossorigin"}, "fetch"},
		{"HAR resource type xhr is XMLHttpRequest", "xhr", chromeReq(), []string{"XHR withCredentials = true"}, []string{"crossorigin", "fetch"}, "XMLHttpRequest"},
		{"HAR resource type fetch", "fetch", chromeReq(), []string{"fetch credentials: 'include'"}, []string{"crossorigin"}, "fetch"},
		{"no destination on the wire: fetch, XHR or an element", "", destReq(""),
			[]string{"fetch credentials: 'include'", "XHR withCredentials", `crossorigin="use-credentials"`}, nil, "fetch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := run(t, ex{id: 1, method: "GET", url: u("/api"), req: tc.req, rt: tc.rt, status: 200,
				resp: []string{"Access-Control-Allow-Origin: *"}})[1]
			text := allTexts(v)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing %q in:\n%s", w, text)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(text, w) {
					t.Errorf("unexpected %q in:\n%s", w, text)
				}
			}
			if !strings.HasPrefix(v.Alternatives[0].Console, "Access to "+tc.consoleFor+" at") {
				t.Errorf("console %q", v.Alternatives[0].Console)
			}
		})
	}
}

func TestBlockedElementLoadsExplainInElementTerms(t *testing.T) {
	cookie := "Cookie: sid=1"
	acao := "Access-Control-Allow-Origin: " + labPage
	cases := []struct {
		name      string
		req       []string
		resp      []string
		err       string
		want, not []string
	}{
		{"credentialed image answered *", destReq("image", cookie), []string{"Access-Control-Allow-Origin: *"}, "WildcardOriginNotAllowed",
			[]string{`the <img> is marked crossorigin="use-credentials"`, `mark the <img> crossorigin="anonymous" if it needs no cookies`},
			[]string{"fetch", "XHR"}},
		{"stylesheet without ACAO", destReq("style"), []string{"Content-Type: text/css"}, "MissingAllowOriginHeader",
			[]string{"the stylesheet is not applied"}, []string{"Failed to fetch"}},
		{"script without ACAO", destReq("script"), []string{"Content-Type: text/javascript"}, "MissingAllowOriginHeader",
			[]string{"the script does not run"}, []string{"Failed to fetch"}},
		{"font without ACAO", destReq("font"), []string{"Content-Type: font/woff2"}, "MissingAllowOriginHeader",
			[]string{"falls back to another font"}, []string{"Failed to fetch"}},
		{"credentialed script without ACAC", destReq("script", cookie), []string{acao}, "InvalidAllowCredentials",
			[]string{`the <script> is marked crossorigin="use-credentials"`}, []string{"fetch", "XHR"}},
		{"fetch without ACAO", chromeReq(), []string{"Content-Type: application/json"}, "MissingAllowOriginHeader",
			[]string{`fetch rejects with "TypeError: Failed to fetch"`}, []string{"crossorigin"}},
		{"credentialed fetch answered *", chromeReq(cookie), []string{"Access-Control-Allow-Origin: *"}, "WildcardOriginNotAllowed",
			[]string{"fetch credentials: 'include' or XHR withCredentials", "send the request without credentials"}, []string{"crossorigin"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := run(t, ex{id: 1, method: "GET", url: u("/x"), req: tc.req, status: 200, resp: tc.resp})[1]
			if v.Kind != KindBlocked || v.Error != tc.err {
				t.Fatalf("%s %s, want blocked %s", v.Kind, v.Error, tc.err)
			}
			for _, w := range tc.want {
				if !strings.Contains(v.Explanation, w) {
					t.Errorf("missing %q in %q", w, v.Explanation)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(v.Explanation, w) {
					t.Errorf("unexpected %q in %q", w, v.Explanation)
				}
			}
		})
	}
}

// A load whose Referer is a stylesheet was started by CSS: a font (or a
// mask image), fetched without credentials. Old Chrome HARs carry no
// Sec-Fetch-Dest, so this is the only sign of it on the wire.
func TestLoadsStartedByAStylesheetCarryNoCredentials(t *testing.T) {
	css := "Referer: " + labAPI + "/css/site.min.css?v=3"
	v := run(t, ex{id: 1, method: "GET", url: u("/fonts/a.woff2"), req: destReq("", css), status: 200,
		resp: []string{"Access-Control-Allow-Origin: *"}})[1]
	if v.Kind != KindAllowed || v.Credentials != CredOmitted {
		t.Errorf("font from a stylesheet: %s, credentials %s (%s)", v.Kind, v.Credentials, v.DependsOn)
	}
	v = run(t, ex{id: 1, method: "GET", url: u("/fonts/b.woff2"), req: destReq("", css), status: 200,
		resp: []string{"Content-Type: font/woff2"}})[1]
	if want := "Access to font at '" + u("/fonts/b.woff2") + "'"; !strings.HasPrefix(v.Console, want) {
		t.Errorf("console %q, want %q…", v.Console, want)
	}
	// The same request with a page Referer stays a question.
	v = run(t, ex{id: 1, method: "GET", url: u("/fonts/a.woff2"), req: destReq(""), status: 200,
		resp: []string{"Access-Control-Allow-Origin: *"}})[1]
	if v.Kind != KindUndecidable {
		t.Errorf("a GET from the page: %s", v.Kind)
	}
}
