package har

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/corscope/corscope/capture"
)

type decodedHAR struct {
	Log struct {
		Creator harCreator       `json:"creator"`
		Entries []map[string]any `json:"entries"`
	} `json:"log"`
}

func decodeHAR(t *testing.T, data []byte) decodedHAR {
	t.Helper()
	var h decodedHAR
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, data)
	}
	return h
}

func writeSample(t *testing.T, opts Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, sampleFlows(), opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSecretsAreRedactedByDefault(t *testing.T) {
	out := writeSample(t, Options{})
	for _, secret := range []string{"sid=abc", "abc", "Bearer tok", "sid=new", `"value":"dark"`, `"value":"light"`, `"value":"new"`, "theme=light"} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("the export contains the secret %q", secret)
		}
	}
	back, err := Read(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	put := back[1]
	for _, name := range []string{"Cookie", "Authorization"} {
		if v := put.Request.Header.Get(name); v != Redacted {
			t.Errorf("request %s = %q, want the header kept with %q", name, v, Redacted)
		}
	}
	if vs := put.Response.Header.Values("Set-Cookie"); len(vs) != 2 || vs[0] != Redacted || vs[1] != Redacted {
		t.Errorf("Set-Cookie lines = %q, want both kept and redacted", vs)
	}
	// Cookie arrays keep the names (useful) without the values.
	h := decodeHAR(t, out)
	cookies := h.Log.Entries[1]["request"].(map[string]any)["cookies"].([]any)
	if len(cookies) != 2 || cookies[0].(map[string]any)["name"] != "sid" || cookies[0].(map[string]any)["value"] != Redacted {
		t.Errorf("request cookies = %v", cookies)
	}
	if !bytes.Contains(out, []byte(`"name":"Origin","value":"http://localhost:3000"`)) {
		t.Error("a header that is not secret was changed")
	}
}

func TestIncludeSecretsKeepsThem(t *testing.T) {
	out := writeSample(t, Options{IncludeSecrets: true})
	for _, secret := range []string{`"value":"sid=abc; theme=dark"`, `"value":"Bearer tok"`, `"name":"theme","value":"dark"`} {
		if !bytes.Contains(out, []byte(secret)) {
			t.Errorf("the export lost %s", secret)
		}
	}
	h := decodeHAR(t, out)
	rc := h.Log.Entries[1]["response"].(map[string]any)["cookies"].([]any)
	c := rc[0].(map[string]any)
	if c["name"] != "sid" || c["value"] != "new" || c["httpOnly"] != true || c["secure"] != true || c["path"] != "/" || c["sameSite"] != "None" {
		t.Errorf("Set-Cookie parsed as %v", c)
	}
	if exp := rc[1].(map[string]any)["expires"]; exp != "2026-10-21T07:28:00.000Z" {
		t.Errorf("cookie expires = %v, want ISO 8601", exp)
	}
}

func TestExportFields(t *testing.T) {
	h := decodeHAR(t, writeSample(t, Options{Creator: "corscope", Version: "0.3.1"}))
	if h.Log.Creator != (harCreator{"corscope", "0.3.1"}) {
		t.Errorf("creator %+v", h.Log.Creator)
	}
	e := h.Log.Entries
	get := func(i int, path ...string) any {
		var v any = e[i]
		for _, p := range path {
			v = v.(map[string]any)[p]
		}
		return v
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"preflight _resourceType", get(0, "_resourceType"), "preflight"},
		{"startedDateTime", get(0, "startedDateTime"), "2026-03-14T09:26:53.589Z"},
		{"time (sum of phases)", get(0, "time"), 43.0},
		{"dns", get(0, "timings", "dns"), 2.0},
		{"connect includes TLS", get(0, "timings", "connect"), 16.0},
		{"ssl", get(0, "timings", "ssl"), 12.0},
		{"wait", get(0, "timings", "wait"), 22.75},
		{"blocked", get(0, "timings", "blocked"), 1.0},
		{"reused connection: no dns", get(1, "timings", "dns"), -1.0},
		{"serverIPAddress without port", get(0, "serverIPAddress"), "127.0.0.1"},
		{"IPv6 serverIPAddress", get(1, "serverIPAddress"), "::1"},
		{"queryString decoded", get(1, "request", "queryString"), []any{
			map[string]any{"name": "fields", "value": "name"}, map[string]any{"name": "x", "value": "é 1"}}},
		{"postData text", get(1, "request", "postData", "text"), `{"name":"Ada <3"}`},
		{"postData mimeType", get(1, "request", "postData", "mimeType"), "application/json"},
		{"binary body as base64", get(1, "response", "content", "text"), "AAEC//4="},
		{"base64 encoding marked", get(1, "response", "content", "encoding"), "base64"},
		{"truncation noted", get(2, "response", "content", "comment"), "corscope: body truncated: kept 10 of 5000 bytes of the response body"},
		{"entry comment", get(2, "comment"), "kept only a prefix"},
		{"failure: status 0", get(3, "response", "status"), 0.0},
		{"failure: _error", get(3, "response", "_error"), "connection refused"},
		{"failure after headers keeps status", get(4, "response", "status"), 200.0},
		{"unknown bodySize", get(4, "response", "bodySize"), -1.0},
		{"gzip decoded", get(5, "response", "content", "text"), `{"ok":true}`},
		{"gzip: decoded size", get(5, "response", "content", "size"), 11.0},
		{"websocket _resourceType", get(6, "_resourceType"), "websocket"},
		{"redirectURL empty", get(0, "response", "redirectURL"), ""},
		{"headersSize unknown", get(0, "request", "headersSize"), -1.0},
	}
	for _, tc := range tests {
		gotJ, _ := json.Marshal(tc.got)
		wantJ, _ := json.Marshal(tc.want)
		if !bytes.Equal(gotJ, wantJ) {
			t.Errorf("%s: %s, want %s", tc.name, gotJ, wantJ)
		}
	}
	if c, ok := e[5]["response"].(map[string]any)["content"].(map[string]any)["compression"].(float64); !ok || c <= 0 && c != float64(11-len(gz(`{"ok":true}`))) {
		t.Errorf("gzip: compression = %v", e[5]["response"].(map[string]any)["content"].(map[string]any)["compression"])
	}
}

func TestExtraFieldsAreAddedToEachEntry(t *testing.T) {
	var seen []int
	out := writeSample(t, Options{Extra: func(i int, f capture.Flow) map[string]any {
		seen = append(seen, i)
		if f.ID == 3 {
			return nil
		}
		return map[string]any{"_cors": map[string]any{"kind": "blocked", "id": int(f.ID)}, "_resourceType": "fetch", "_a": "<&>"}
	}})
	if len(seen) != 7 || seen[6] != 6 {
		t.Fatalf("Extra called with indexes %v", seen)
	}
	h := decodeHAR(t, out)
	if got := h.Log.Entries[1]["_cors"].(map[string]any)["id"]; got != 2.0 {
		t.Errorf("_cors of entry 1 = %v", got)
	}
	if h.Log.Entries[0]["_resourceType"] != "fetch" || strings.Count(string(out), `"_resourceType":"fetch"`) != 6 {
		t.Error("an Extra _resourceType must replace the one Write fills, not duplicate it")
	}
	if _, ok := h.Log.Entries[2]["_cors"]; ok {
		t.Error("a nil Extra result added fields")
	}
	if !bytes.Contains(out, []byte(`"_a":"<&>"`)) {
		t.Error("extra values were HTML-escaped")
	}
	if err := Write(&bytes.Buffer{}, sampleFlows(), Options{Extra: func(int, capture.Flow) map[string]any {
		return map[string]any{"cors": 1}
	}}); err == nil || !strings.Contains(err.Error(), "must start with '_'") {
		t.Errorf("a custom field without '_' gave %v", err)
	}
}

func TestWriteFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "capture.har")
	if err := WriteFile(p, sampleFlows(), Options{}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("new file mode %v, want 0600", st.Mode().Perm())
	}
	before, _ := os.ReadFile(p)
	os.Chmod(p, 0o644)
	// A failing write leaves the previous file whole and no temp behind.
	err := WriteFile(p, sampleFlows(), Options{Extra: func(i int, _ capture.Flow) map[string]any {
		if i == 5 {
			return map[string]any{"bad": 1}
		}
		return nil
	}})
	if err == nil {
		t.Fatal("want an error")
	}
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Error("a failed write changed the existing file")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d files after a failed write, want 1", len(ents))
	}
	if err := WriteFile(p, sampleFlows()[:1], Options{}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
		t.Errorf("rewriting changed the mode to %v", st.Mode().Perm())
	}
	if flows, err := ReadFile(p); err != nil || len(flows) != 1 {
		t.Errorf("rewritten file: %d flows, %v", len(flows), err)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x.har"), nil, Options{}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("unwritable path gave %v", err)
	}
}

func TestEncoderStreamsOneEntryAtATime(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf, Options{})
	for _, f := range sampleFlows() {
		if err := enc.Encode(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	if err := enc.Encode(sampleFlows()[0]); err == nil {
		t.Error("Encode after Close must fail")
	}
	if lines := bytes.Count(buf.Bytes(), []byte("\n")); lines != 9 {
		t.Errorf("%d lines, want header + 7 entries + end", lines)
	}
	var empty bytes.Buffer
	NewEncoder(&empty, Options{}).Close()
	if h := decodeHAR(t, empty.Bytes()); h.Log.Entries == nil || len(h.Log.Entries) != 0 {
		t.Errorf("empty log: %s", empty.Bytes())
	}
}

func TestExportDecodesContentEncodings(t *testing.T) {
	text := `{"greeting":"hello, hello, hello"}`
	var br bytes.Buffer
	bw := brotli.NewWriter(&br)
	bw.Write([]byte(text))
	bw.Close()
	var zl bytes.Buffer
	zw := zlib.NewWriter(&zl)
	zw.Write([]byte(text))
	zw.Close()
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestCompression)
	fw.Write([]byte(text))
	fw.Close()
	gzBr := gz(br.String()) // br first, then gzip: "br, gzip"
	tests := []struct {
		name, coding string
		body         []byte
		truncated    bool
		wantText     string
		wantNote     string
	}{
		{"br", "br", br.Bytes(), false, text, ""},
		{"gzip", "gzip", gz(text), false, text, ""},
		{"deflate (zlib)", "deflate", zl.Bytes(), false, text, ""},
		{"deflate (raw)", "deflate", raw.Bytes(), false, text, ""},
		{"two codings", "br, gzip", gzBr, false, text, ""},
		{"identity", "identity", []byte(text), false, text, ""},
		{"truncated gzip decodes its prefix", "gzip", gz(text)[:len(gz(text))-8], true, text, "truncated"},
		{"unknown coding stays as recorded", "zstd", []byte{0x28, 0xb5, 0x2f, 0xfd}, false, "KLUv/Q==", `content left zstd-encoded: unsupported coding "zstd"`},
		{"corrupt gzip stays as recorded", "gzip", []byte{0x1f, 0x8b, 8, 0, 0xff, 0xfe}, false, "H4sIAP/+", "content left gzip-encoded"},
		{"text under a br header is already decoded", "br", []byte(text), false, text, ""},
	}
	for _, tc := range tests {
		f := capture.Flow{ID: 1, State: capture.StateDone, Timings: capture.Timings{Start: t0},
			Request: capture.Request{Method: "GET", URL: "http://a.test/"},
			Response: &capture.Response{Status: 200, Header: hdrs("Content-Encoding", tc.coding, "Content-Type", "application/json"),
				Body: capture.NewBody(tc.body, int64(len(tc.body))+map[bool]int64{true: 8, false: 0}[tc.truncated], tc.truncated)}}
		var buf bytes.Buffer
		if err := Write(&buf, []capture.Flow{f}, Options{}); err != nil {
			t.Fatal(err)
		}
		c := decodeHAR(t, buf.Bytes()).Log.Entries[0]["response"].(map[string]any)["content"].(map[string]any)
		got := fmt.Sprint(c["text"])
		if tc.truncated {
			if got == "" || !strings.HasPrefix(tc.wantText, got) {
				t.Errorf("%s: content.text %q, want a prefix of %q", tc.name, got, tc.wantText)
			}
		} else if got != tc.wantText {
			t.Errorf("%s: content.text %q, want %q", tc.name, got, tc.wantText)
		}
		if note, _ := c["comment"].(string); tc.wantNote != "" && !strings.Contains(note, tc.wantNote) || tc.wantNote == "" && note != "" {
			t.Errorf("%s: comment %q, want %q", tc.name, note, tc.wantNote)
		}
	}
}

// An imported flow holds the decoded body under its Content-Encoding
// header; exporting it again must not garble it or add a note.
func TestReexportOfImportedEncodedBody(t *testing.T) {
	var br bytes.Buffer
	bw := brotli.NewWriter(&br)
	bw.Write([]byte("<p>héllo</p>"))
	bw.Close()
	f := capture.Flow{ID: 1, State: capture.StateDone, Timings: capture.Timings{Start: t0},
		Request:  capture.Request{Method: "GET", URL: "http://a.test/"},
		Response: &capture.Response{Status: 200, Header: hdrs("Content-Encoding", "br"), Body: capture.NewBody(br.Bytes(), int64(br.Len()), false)}}
	once := roundTrip(t, []capture.Flow{f}, Options{})
	twice := roundTrip(t, once, Options{})
	if data, _ := twice[0].Response.Body.Data(); string(data) != "<p>héllo</p>" || twice[0].Response.Body.Size != int64(br.Len()) {
		t.Errorf("after two round trips: %q size %d", data, twice[0].Response.Body.Size)
	}
	var buf bytes.Buffer
	Write(&buf, once, Options{})
	if bytes.Contains(buf.Bytes(), []byte("left br-encoded")) {
		t.Error("re-export noted the decoded body as undecodable")
	}
}

func TestExportCapsDecompressionBombs(t *testing.T) {
	bomb := gz(strings.Repeat("A", maxDecoded+1000))
	f := capture.Flow{ID: 1, State: capture.StateDone, Timings: capture.Timings{Start: t0},
		Request:  capture.Request{Method: "GET", URL: "http://a.test/"},
		Response: &capture.Response{Status: 200, Header: hdrs("Content-Encoding", "gzip"), Body: capture.NewBody(bomb, int64(len(bomb)), false)}}
	var buf bytes.Buffer
	if err := Write(&buf, []capture.Flow{f}, Options{}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > maxDecoded+64<<10 {
		t.Errorf("a %d-byte gzip body exported as %d bytes", len(bomb), buf.Len())
	}
	if !bytes.Contains(buf.Bytes(), []byte("decoded content cut at")) {
		t.Error("the cut is not noted")
	}
}
