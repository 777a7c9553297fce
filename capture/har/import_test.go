package har

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/corscope/corscope/capture"
)

func findURL(flows []capture.Flow, method, prefix string) *capture.Flow {
	for i := range flows {
		if flows[i].Request.Method == method && strings.HasPrefix(flows[i].Request.URL, prefix) {
			return &flows[i]
		}
	}
	return nil
}

// Every real HAR file in testdata/har (see SOURCES.md there) imports, with
// an assertion about what each one holds.
func TestImportRealFiles(t *testing.T) {
	tests := []struct {
		file    string
		entries int
		check   func(t *testing.T, flows []capture.Flow)
	}{
		{"chrome.har", 3, func(t *testing.T, flows []capture.Flow) {
			f := findURL(flows, "GET", "https://www.google.com/")
			if f == nil || f.State != capture.StateFailed || f.ErrorKind != capture.ErrBrowser ||
				f.Error != "net::ERR_INTERNET_DISCONNECTED" || f.Response != nil {
				t.Fatalf("the status-0 _error entry: %+v", f)
			}
			if f.ResourceType != "document" {
				t.Errorf("_resourceType = %q, want document", f.ResourceType)
			}
			logo := findURL(flows, "GET", "https://www.google.com/images/")
			if data, _ := logo.Response.Body.Data(); len(data) != 7108 || !bytes.HasPrefix(data, []byte("\x89PNG")) {
				t.Errorf("base64 image body: %d bytes, want the 7108-byte PNG", len(data))
			}
			if flows[0].Request.URL != "https://mitmproxy.org/" || flows[0].Request.Proto != "HTTP/2.0" {
				t.Errorf("first flow by start time: %s %s", flows[0].Request.URL, flows[0].Request.Proto)
			}
		}},
		{"insomnia.har", 1, func(t *testing.T, flows []capture.Flow) {
			f := flows[0]
			if f.Request.URL != "http://mitm.it/" || f.Response.Status != 200 || f.Response.Body.Kept() != 250 {
				t.Errorf("insomnia entry: %s %d body %d", f.Request.URL, f.Response.Status, f.Response.Body.Kept())
			}
		}},
		{"postdata.har", 1, func(t *testing.T, flows []capture.Flow) {
			f := flows[0]
			if f.Request.Method != "POST" || f.Request.Header.Get("Origin") != "https://reqbin.com" {
				t.Errorf("request: %s Origin %q", f.Request.Method, f.Request.Header.Get("Origin"))
			}
			if data, _ := f.Request.Body.Data(); len(data) == 0 {
				t.Error("postData.text was not read into the request body")
			}
			if f.Response.Header.Get("Access-Control-Allow-Origin") != "*" || f.ResourceType != "ping" {
				t.Errorf("ACAO %q, type %q", f.Response.Header.Get("access-control-allow-origin"), f.ResourceType)
			}
		}},
		{"head-content-length.har", 1, func(t *testing.T, flows []capture.Flow) {
			f := flows[0]
			if f.Request.Method != "HEAD" || f.Response.Header.Get("Content-Length") != "78258" || f.Response.Body.Kept() != 0 {
				t.Errorf("HEAD entry: %s CL %q kept %d", f.Request.Method, f.Response.Header.Get("content-length"), f.Response.Body.Kept())
			}
			if f.Timings.Start.Nanosecond() != 67_544_000 {
				t.Errorf("Firefox's microsecond start time read as %v", f.Timings.Start)
			}
		}},
		{"proxyman-get-acao.har", 1, func(t *testing.T, flows []capture.Flow) {
			f := flows[0]
			if f.Request.URL != "https://source.mswjs.io/docs/?selected=hello" || f.Response.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("proxyman entry: %s ACAO %q", f.Request.URL, f.Response.Header.Get("Access-Control-Allow-Origin"))
			}
			if f.Request.Header.Has("Origin") {
				t.Error("a proxy capture without Origin grew one")
			}
		}},
		{"chrome-socketio-polling-xorigin.har", 4, func(t *testing.T, flows []capture.Flow) {
			for _, f := range flows {
				if !strings.HasPrefix(f.Request.URL, "http://127.0.0.1:62292/socket.io/") || f.ResourceType != "xhr" {
					t.Errorf("%s (%s): want socket.io xhr on :62292", f.Request.URL, f.ResourceType)
				}
			}
		}},
		{"chrome-nodejs-org-credentialed-xorigin-fetch.har", 1, func(t *testing.T, flows []capture.Flow) {
			h := flows[0].Response.Header
			if h.Get("Access-Control-Allow-Origin") != "https://nodejs.org" || h.Get("Access-Control-Allow-Credentials") != "true" {
				t.Errorf("ACAO %q ACAC %q", h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Credentials"))
			}
		}},
		{"chrome-github-preflight-api-stats.har", 20, func(t *testing.T, flows []capture.Flow) {
			pre := findURL(flows, "OPTIONS", "https://api.github.com/_private/browser/stats")
			if pre == nil || pre.Response.Status != 204 || pre.Request.Header.Get("Access-Control-Request-Method") != "POST" ||
				pre.Response.Header.Get("Access-Control-Max-Age") != "86400" {
				t.Fatalf("preflight: %+v", pre)
			}
			post := findURL(flows, "POST", "https://api.github.com/_private/browser/stats")
			if post == nil || post.ID <= pre.ID {
				t.Errorf("the POST must follow its preflight in ID order: %v", post)
			}
		}},
		{"chrome-bbc-preflight-custom-header.har", 120, func(t *testing.T, flows []capture.Flow) {
			pre := findURL(flows, "OPTIONS", "http://api.iperceptions.com/InviteTriggers")
			if pre == nil || !strings.EqualFold(pre.Request.Header.Get("Access-Control-Request-Headers"), "securitytoken") ||
				!strings.EqualFold(pre.Response.Header.Get("Access-Control-Allow-Headers"), "securitytoken") {
				t.Fatalf("preflight: %+v", pre)
			}
		}},
		{"chromehar-verizon-preflights-credentialed.har", 169, func(t *testing.T, flows []capture.Flow) {
			if findURL(flows, "OPTIONS", "https://scache.vzw.com/VZWChat/chatGNProps.js") == nil {
				t.Error("the GET script preflight to scache.vzw.com is missing")
			}
			var redirect *capture.Flow
			for i := range flows {
				f := &flows[i]
				if strings.Contains(f.Request.URL, "dpm.demdex.net") && f.Response != nil && f.Response.Status == 302 &&
					f.Response.Header.Get("Access-Control-Allow-Credentials") == "true" {
					redirect = f
				}
			}
			if redirect == nil {
				t.Error("the credentialed 302 from dpm.demdex.net with ACAO/ACAC is missing")
			}
		}},
		{"webpagetest-aftonbladet-credentialed-preflights.har", 175, func(t *testing.T, flows []capture.Flow) {
			pre := findURL(flows, "OPTIONS", "https://cis.schibsted.com/api/v1/identify")
			if pre == nil || pre.Request.Header.Get("Origin") != "http://www.aftonbladet.se" {
				t.Fatalf("preflight from the http page: %+v", pre)
			}
		}},
	}
	files, _ := filepath.Glob("testdata/har/*.har")
	if len(files) != len(tests) {
		t.Errorf("testdata/har has %d files, the table covers %d: add the new file's assertions", len(files), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			flows, err := ReadFile(filepath.Join("testdata/har", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(flows) != tc.entries {
				t.Fatalf("%d flows, want %d", len(flows), tc.entries)
			}
			for i, f := range flows {
				if f.ID != capture.FlowID(i+1) {
					t.Fatalf("flow %d has ID %d", i, f.ID)
				}
				if i > 0 && f.Timings.Start.Before(flows[i-1].Timings.Start) {
					t.Fatalf("flow %d starts before flow %d", f.ID, flows[i-1].ID)
				}
				if f.State != capture.StateDone && f.State != capture.StateFailed {
					t.Fatalf("flow %d is %v", f.ID, f.State)
				}
			}
			tc.check(t, flows)
		})
	}
}

const minimalEntry = `{"startedDateTime":"2024-05-01T10:00:00.000Z","time":5,` +
	`"request":{"method":"GET","url":"http://api.test/x","httpVersion":"HTTP/1.1","cookies":[],"headers":[{"name":"Origin","value":"http://page.test"}],"queryString":[],"headersSize":-1,"bodySize":0},` +
	`"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","cookies":[],"headers":[{"name":"Access-Control-Allow-Origin","value":"*"}],"content":{"size":2,"mimeType":"text/plain","text":"hi"},"redirectURL":"","headersSize":-1,"bodySize":2},` +
	`"cache":{},"timings":{"send":1,"wait":3,"receive":1}}`

func minimalHAR(entries ...string) string {
	return `{"log":{"version":"1.2","creator":{"name":"t","version":"1"},"entries":[` + strings.Join(entries, ",") + `]}}`
}

func utf16LE(s string) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xff, 0xfe})
	for _, u := range utf16.Encode([]rune(s)) {
		binary.Write(&b, binary.LittleEndian, u)
	}
	return b.Bytes()
}

func compress(kind, s string) []byte {
	var b bytes.Buffer
	switch kind {
	case "gzip":
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
	case "zlib":
		w := zlib.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
	}
	return b.Bytes()
}

// What tools write that the specification does not say, and the importer
// must take anyway.
func TestImportTolerates(t *testing.T) {
	plain := minimalHAR(minimalEntry)
	tests := []struct {
		name  string
		input []byte
		check func(t *testing.T, f capture.Flow)
	}{
		{"UTF-8 BOM", append([]byte(utf8BOM), plain...), nil},
		{"UTF-16 with BOM", utf16LE(plain), nil},
		{"gzip", compress("gzip", plain), nil},
		{"zlib (mitmproxy .zhar)", compress("zlib", plain), nil},
		{"gzip of a BOM file", compress("gzip", utf8BOM+plain), nil},
		{"headers as [name, value] pairs", []byte(strings.Replace(plain,
			`"headers":[{"name":"Origin","value":"http://page.test"}]`, `"headers":[["Origin","http://page.test"]]`, 1)), nil},
		{"headers as an object", []byte(strings.Replace(plain,
			`"headers":[{"name":"Origin","value":"http://page.test"}]`, `"headers":{"Origin":"http://page.test"}`, 1)), nil},
		{"numbers as strings and nulls", []byte(strings.NewReplacer(`"status":200`, `"status":"200"`, `"time":5`, `"time":null`,
			`"send":1`, `"send":"1"`, `"bodySize":2`, `"bodySize":"n/a"`).Replace(plain)), func(t *testing.T, f capture.Flow) {
			if f.Response.Status != 200 {
				t.Errorf("status %d", f.Response.Status)
			}
		}},
		{"missing optional and required members", []byte(minimalHAR(`{"startedDateTime":"2024-05-01T10:00:00Z","request":{"url":"http://api.test/x","headers":[{"name":"Origin","value":"http://page.test"}]},"response":{"status":200,"headers":[{"name":"Access-Control-Allow-Origin","value":"*"}],"content":{"text":"hi"}}}`)), func(t *testing.T, f capture.Flow) {
			if f.Request.Method != "GET" || f.State != capture.StateDone {
				t.Errorf("method %q state %v", f.Request.Method, f.State)
			}
		}},
		{"a date without a zone", []byte(strings.Replace(plain, `2024-05-01T10:00:00.000Z`, `2024-05-01T10:00:00.000`, 1)), func(t *testing.T, f capture.Flow) {
			if f.Timings.Start.Hour() != 10 {
				t.Errorf("start %v", f.Timings.Start)
			}
		}},
		{"a zone without a colon", []byte(strings.Replace(plain, `2024-05-01T10:00:00.000Z`, `2024-05-01T12:00:00.000+0200`, 1)), func(t *testing.T, f capture.Flow) {
			if f.Timings.Start.UTC().Hour() != 10 {
				t.Errorf("start %v", f.Timings.Start.UTC())
			}
		}},
		{"members in another order, log after other keys", []byte(`{"x":{"deep":[1,{"a":[]}]},"log":{"entries":[` + minimalEntry + `],"version":"1.2","pages":[{"id":"p"}]}}`), nil},
		{"unknown encoding on content", []byte(strings.Replace(plain, `"text":"hi"`, `"text":"hi","encoding":"utf-8"`, 1)), nil},
		{"base64 without padding", []byte(strings.Replace(plain, `"text":"hi"`, `"text":"aGk","encoding":"base64"`, 1)), nil},
		{"Playwright _file without the archive", []byte(strings.Replace(plain, `"text":"hi"`, `"_file":"abc.txt"`, 1)), func(t *testing.T, f capture.Flow) {
			if !f.Response.Body.Truncated {
				t.Error("a body that was not kept must read as truncated")
			}
		}},
		{"invalid UTF-8 in a string", []byte(strings.Replace(plain, `"OK"`, "\"O\xffK\"", 1)), func(t *testing.T, f capture.Flow) {
			if f.Response.StatusText != "O\uFFFDK" {
				t.Errorf("status text %q", f.Response.StatusText)
			}
		}},
		{"our own _cors is ignored", []byte(strings.Replace(plain, `"cache":{}`, `"cache":{},"_cors":{"kind":"allowed","pairedWith":"junk"}`, 1)), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			flows, err := Read(bytes.NewReader(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			if len(flows) != 1 {
				t.Fatalf("%d flows", len(flows))
			}
			f := flows[0]
			if f.Request.URL != "http://api.test/x" || f.Response == nil ||
				f.Response.Header.Get("Access-Control-Allow-Origin") != "*" || f.Request.Header.Get("Origin") != "http://page.test" {
				t.Fatalf("flow not read as written: %s", dump(f))
			}
			if data, _ := f.Response.Body.Data(); tc.check == nil && string(data) != "hi" {
				t.Errorf("body %q", data)
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

func TestImportPlaywrightZipTakesBodiesFromAttachments(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("har.har")
	w.Write([]byte(minimalHAR(strings.Replace(minimalEntry, `"text":"hi"`, `"_file":"75a1.txt"`, 1))))
	w, _ = zw.Create("75a1.txt")
	w.Write([]byte("hi"))
	zw.Close()
	for name, open := range map[string]func() ([]capture.Flow, error){
		"stream": func() ([]capture.Flow, error) { return Read(bytes.NewReader(b.Bytes())) },
		"file": func() ([]capture.Flow, error) {
			p := filepath.Join(t.TempDir(), "trace.zip")
			os.WriteFile(p, b.Bytes(), 0o600)
			return ReadFile(p)
		},
	} {
		flows, err := open()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if data, _ := flows[0].Response.Body.Data(); string(data) != "hi" || flows[0].Response.Body.Truncated {
			t.Errorf("%s: body %q (truncated %v), want the attachment", name, data, flows[0].Response.Body.Truncated)
		}
	}
}

func TestImportChromeFailures(t *testing.T) {
	// A Chrome export of a CORS failure: the preflight answered 404
	// without CORS headers, and the fetch it guarded failing with
	// net::ERR_FAILED and status 0.
	pre := `{"startedDateTime":"2024-05-01T10:00:00.000Z","time":4,"_resourceType":"preflight",` +
		`"request":{"method":"OPTIONS","url":"http://api.test/users","httpVersion":"http/1.1","cookies":[],"headers":[{"name":"Origin","value":"http://page.test"},{"name":"Access-Control-Request-Method","value":"PUT"}],"queryString":[],"headersSize":-1,"bodySize":0},` +
		`"response":{"status":404,"statusText":"Not Found","httpVersion":"http/1.1","cookies":[],"headers":[{"name":"Content-Type","value":"text/plain"}],"content":{"size":9,"mimeType":"text/plain"},"redirectURL":"","headersSize":-1,"bodySize":-1,"_transferSize":120,"_error":null},` +
		`"cache":{},"timings":{"blocked":1,"dns":-1,"ssl":-1,"connect":-1,"send":1,"wait":1,"receive":1}}`
	actual := `{"startedDateTime":"2024-05-01T10:00:00.001Z","time":0,"_resourceType":"fetch",` +
		`"request":{"method":"PUT","url":"http://api.test/users","httpVersion":"","cookies":[],"headers":[{"name":"Origin","value":"http://page.test"}],"queryString":[],"headersSize":-1,"bodySize":0},` +
		`"response":{"status":0,"statusText":"","httpVersion":"","cookies":[],"headers":[],"content":{"size":0,"mimeType":"x-unknown"},"redirectURL":"","headersSize":-1,"bodySize":-1,"_transferSize":0,"_error":"net::ERR_FAILED"},` +
		`"cache":{},"timings":{"blocked":-1,"dns":-1,"ssl":-1,"connect":-1,"send":0,"wait":0,"receive":0}}`
	flows, err := Read(strings.NewReader(minimalHAR(actual, pre)))
	if err != nil {
		t.Fatal(err)
	}
	p, a := flows[0], flows[1]
	if p.ResourceType != "preflight" || p.State != capture.StateDone || p.Response.Status != 404 || p.Error != "" {
		t.Errorf("preflight: %s", dump(p))
	}
	if a.State != capture.StateFailed || a.Error != "net::ERR_FAILED" || a.ErrorKind != capture.ErrBrowser || a.Response != nil {
		t.Errorf("failed fetch: %s", dump(a))
	}
	if p.Request.Proto != "HTTP/1.1" {
		t.Errorf("http/1.1 read as %q", p.Request.Proto)
	}
}

func TestImportErrorsSayWhereAndWhat(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		offset int64
		line   int
		want   []string
	}{
		{"empty", "", 0, 0, []string{"empty"}},
		{"not JSON", "hello", 0, 1, []string{"not valid JSON"}},
		{"an array", "[1,2]", 0, 1, []string{`expected a HAR file`, "an array"}},
		{"no log", `{"entries":[]}`, 0, 1, []string{`no "log"`}},
		{"no entries", `{"log":{"version":"1.2"}}`, -1, 1, []string{`no "entries"`}},
		{"entries not an array", "{\"log\":\n {\"entries\": \"x\"}}", 21, 2, []string{"log.entries", "expected an array of entries", `"x"`, "column 14"}},
		{"cut short", minimalHAR(minimalEntry)[:200], 200, 1, []string{"cut short"}},
		{"syntax error on line 3", "{\"log\": {\"entries\": [\n{\"request\": {}},\n{\"request\": {]}}\n]}}", 52, 3, []string{"not valid JSON", "log.entries[1]", "column 14"}},
		{"request is a string", `{"log":{"entries":[{"request":"GET /"}]}}`, -1, 1, []string{"log.entries[0].request", "expected an object, found string"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.input))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T), want *SyntaxError", err, err)
			}
			if tc.offset >= 0 && se.Offset != tc.offset {
				t.Errorf("offset %d, want %d (%v)", se.Offset, tc.offset, err)
			}
			if se.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", se.Line, tc.line, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
}

func TestImportErrorOffsetCountsTheBOM(t *testing.T) {
	_, err := Read(strings.NewReader(utf8BOM + `{"log": 5}`))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 3+8 {
		t.Fatalf("%v: want the offset of 5 in the file, 11", err)
	}
}

func TestImportKeepsFlowsBeforeABreak(t *testing.T) {
	in := minimalHAR(minimalEntry, minimalEntry, minimalEntry)
	in = in[:len(in)-len(minimalEntry)/2-3]
	flows, err := Read(strings.NewReader(in))
	if err == nil || len(flows) != 2 {
		t.Fatalf("got %d flows and %v, want the 2 complete entries and an error", len(flows), err)
	}
}

func TestReadFileNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bug.har")
	os.WriteFile(p, []byte(`{"log": []}`), 0o600)
	_, err := ReadFile(p)
	if err == nil || !strings.HasPrefix(err.Error(), p+": ") || !strings.Contains(err.Error(), "byte 8") {
		t.Fatalf("error %v: want the path and the byte offset", err)
	}
}

// An error far into a large file still gets its line, column and excerpt
// from the kept tail of the input.
func TestImportErrorDeepInALargeFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("{\"log\": {\"entries\": [\n")
	for i := 0; i < 3000; i++ {
		b.WriteString(minimalEntry)
		b.WriteString(",\n")
	}
	at := b.Len()
	b.WriteString("{\"request\": nope}]}}")
	_, err := Read(strings.NewReader(b.String()))
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatal(err)
	}
	if se.Offset != int64(at+13) || se.Line != 3002 || se.Column != 14 || !strings.Contains(se.Near, "nope") || se.Path != "log.entries[3000]" {
		t.Errorf("%v: offset %d line %d column %d, want %d, 3002, 14", err, se.Offset, se.Line, se.Column, at+13)
	}
}

func TestParseHeadersShapes(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want capture.Headers
	}{
		{"objects", `[{"name":"A","value":"1"},{"value":"2","name":"B"}]`, hdrs("A", "1", "B", "2")},
		{"escapes and a comment member", ` [ {"name":"X-Q","value":"say \"hi\"\u00e9","comment":"c"} ] `, hdrs("X-Q", `say "hi"é`)},
		{"a number value", `[{"name":"Content-Length","value":42}]`, hdrs("Content-Length", "42")},
		{"a null value", `[{"name":"X","value":null}]`, hdrs("X", "")},
		{"pairs", `[["A","1"],["B"]]`, hdrs("A", "1", "B", "")},
		{"an object", `{"A":"1"}`, hdrs("A", "1")},
		{"nameless entries dropped", `[{"value":"x"},{"name":"","value":"y"},{"name":"Z","value":"z"}]`, hdrs("Z", "z")},
		{"invalid UTF-8", "[{\"name\":\"A\",\"value\":\"\xff\"}]", hdrs("A", "\uFFFD")},
		{"null", `null`, nil},
	}
	for _, tc := range tests {
		got := parseHeaders([]byte(tc.raw), interner{})
		if len(got) != len(tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		}
	}
}

func TestImportMarksBrowserRecordedFiles(t *testing.T) {
	withCreator := func(creator string, after bool) string {
		if after {
			return `{"log":{"version":"1.2","entries":[` + minimalEntry + `],"creator":` + creator + `}}`
		}
		return `{"log":{"version":"1.2","creator":` + creator + `,"entries":[` + minimalEntry + `]}}`
	}
	tests := []struct {
		name  string
		input string
		want  bool
	}{
		{"Chrome DevTools export", withCreator(`{"name":"WebInspector","version":"537.36"}`, false), true},
		{"creator after the entries", withCreator(`{"name":"WebInspector","version":"537.36"}`, true), true},
		{"Firefox", withCreator(`{"name":"Firefox","version":"128.0"}`, false), false},
		{"chrome-har converter", withCreator(`{"name":"chrome-har","version":"0.2.3"}`, false), false},
		{"mitmproxy", withCreator(`{"name":"mitmproxy","version":"10.1"}`, false), false},
		{"creator that is not an object", withCreator(`"WebInspector"`, false), false},
		{"no creator", `{"log":{"version":"1.2","entries":[` + minimalEntry + `]}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			flows, err := Read(strings.NewReader(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			if len(flows) != 1 || flows[0].BrowserRecorded != tc.want {
				t.Errorf("%d flows, BrowserRecorded %v, want %v", len(flows), len(flows) > 0 && flows[0].BrowserRecorded, tc.want)
			}
		})
	}
	// The real files: every DevTools export, and nothing else.
	for name, want := range map[string]bool{
		"chrome-github-preflight-api-stats.har":               true,
		"chrome-socketio-polling-xorigin.har":                 true,
		"chromehar-verizon-preflights-credentialed.har":       false,
		"webpagetest-aftonbladet-credentialed-preflights.har": false,
		"head-content-length.har":                             false,
		"proxyman-get-acao.har":                               false,
	} {
		flows, err := ReadFile(filepath.Join("testdata", "har", name))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range flows {
			if f.BrowserRecorded != want {
				t.Errorf("%s flow %d: BrowserRecorded %v, want %v", name, f.ID, f.BrowserRecorded, want)
				break
			}
		}
	}
}

// corscope's own export keeps the mark, so a re-exported DevTools HAR is
// judged the same way again.
func TestExportKeepsBrowserRecorded(t *testing.T) {
	flows, err := ReadFile(filepath.Join("testdata", "har", "chrome-socketio-polling-xorigin.har"))
	if err != nil {
		t.Fatal(err)
	}
	flows[0].BrowserRecorded = false
	var buf bytes.Buffer
	if err := Write(&buf, flows, Options{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), `"_browserRecorded":true`); n != len(flows)-1 {
		t.Errorf("%d entries marked, want %d", n, len(flows)-1)
	}
	back, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range back {
		if back[i].BrowserRecorded != flows[i].BrowserRecorded {
			t.Errorf("flow %d: BrowserRecorded %v after the round trip, want %v", i, back[i].BrowserRecorded, flows[i].BrowserRecorded)
		}
	}
}

// Marks made in the interface travel with the file: exported as _marked,
// read back on import, and absent where nobody marked anything.
func TestMarksSurviveTheRoundTrip(t *testing.T) {
	flows, err := ReadFile(filepath.Join("testdata", "har", "chrome-socketio-polling-xorigin.har"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range flows {
		if flows[i].Marked {
			t.Fatalf("flow %d of a DevTools export came in marked", i)
		}
	}
	flows[1].Marked = true
	var buf bytes.Buffer
	if err := Write(&buf, flows, Options{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), `"_marked":true`); n != 1 {
		t.Errorf("%d entries carry _marked, want 1", n)
	}
	back, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range back {
		if back[i].Marked != (i == 1) {
			t.Errorf("flow %d: Marked %v after the round trip", i, back[i].Marked)
		}
	}
}
