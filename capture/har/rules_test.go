package har

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"
)

// harRuleViolations checks a HAR file against the members har-schema
// requires and the rules Chrome DevTools' importer enforces (every
// required number is a JSON number, optional numbers numeric when
// present, dates that parse, entries an array), plus the HAR timing rules
// (send/wait/receive non-negative, time = sum of the phases). It returns
// one line per violation.
func harRuleViolations(data []byte) []string {
	var out []string
	bad := func(path, format string, args ...any) {
		out = append(out, path+": "+fmt.Sprintf(format, args...))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	obj := func(path string, v any) map[string]any {
		m, ok := v.(map[string]any)
		if !ok {
			bad(path, "want an object, have %T", v)
		}
		return m
	}
	arr := func(path string, v any) []any {
		a, ok := v.([]any)
		if !ok {
			bad(path, "want an array, have %T", v)
		}
		return a
	}
	str := func(path string, m map[string]any, keys ...string) {
		for _, k := range keys {
			if _, ok := m[k].(string); !ok {
				bad(path+"."+k, "want a string, have %T", m[k])
			}
		}
	}
	num := func(path string, m map[string]any, required bool, keys ...string) {
		for _, k := range keys {
			v, present := m[k]
			if !present && !required {
				continue
			}
			n, ok := v.(json.Number)
			if !ok {
				bad(path+"."+k, "want a number (Chrome: \"Casting to number results in NaN\"), have %T %v", v, v)
				continue
			}
			if _, err := n.Float64(); err != nil {
				bad(path+"."+k, "not a number: %v", n)
			}
		}
	}
	date := func(path string, m map[string]any, key string) {
		s, ok := m[key].(string)
		if !ok {
			bad(path+"."+key, "want an ISO 8601 date string, have %T", m[key])
			return
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			bad(path+"."+key, "date does not parse: %q", s)
		}
	}
	nameValues := func(path string, v any) {
		for i, it := range arr(path, v) {
			str(fmt.Sprintf("%s[%d]", path, i), obj(path, it), "name", "value")
		}
	}

	log := obj("log", root["log"])
	if log == nil {
		return out
	}
	str("log", log, "version")
	creator := obj("log.creator", log["creator"])
	if creator != nil {
		str("log.creator", creator, "name", "version")
	}
	if p, ok := log["pages"]; ok {
		for i, pg := range arr("log.pages", p) {
			pm := obj("log.pages", pg)
			date(fmt.Sprintf("log.pages[%d]", i), pm, "startedDateTime")
		}
	}
	for i, e := range arr("log.entries", log["entries"]) {
		p := fmt.Sprintf("log.entries[%d]", i)
		em := obj(p, e)
		if em == nil {
			continue
		}
		date(p, em, "startedDateTime")
		num(p, em, true, "time")
		obj(p+".cache", em["cache"])
		req := obj(p+".request", em["request"])
		if req != nil {
			str(p+".request", req, "method", "url", "httpVersion")
			num(p+".request", req, true, "headersSize", "bodySize")
			arr(p+".request.cookies", req["cookies"])
			nameValues(p+".request.headers", req["headers"])
			nameValues(p+".request.queryString", req["queryString"])
			if pd, ok := req["postData"]; ok {
				str(p+".request.postData", obj(p+".request.postData", pd), "mimeType")
			}
		}
		resp := obj(p+".response", em["response"])
		if resp != nil {
			num(p+".response", resp, true, "status", "headersSize", "bodySize")
			num(p+".response", resp, false, "_transferSize")
			str(p+".response", resp, "statusText", "httpVersion", "redirectURL")
			arr(p+".response.cookies", resp["cookies"])
			nameValues(p+".response.headers", resp["headers"])
			c := obj(p+".response.content", resp["content"])
			if c != nil {
				num(p+".response.content", c, true, "size")
				num(p+".response.content", c, false, "compression")
				str(p+".response.content", c, "mimeType")
			}
		}
		tm := obj(p+".timings", em["timings"])
		if tm != nil {
			num(p+".timings", tm, true, "send", "wait", "receive")
			num(p+".timings", tm, false, "blocked", "dns", "connect", "ssl")
			sum := 0.0
			for _, k := range []string{"blocked", "dns", "connect", "send", "wait", "receive"} {
				n, _ := tm[k].(json.Number)
				f, _ := n.Float64()
				if (k == "send" || k == "wait" || k == "receive") && f < 0 {
					bad(p+".timings."+k, "must not be negative, is %v", f)
				}
				if f > 0 {
					sum += f
				}
			}
			if n, ok := em["time"].(json.Number); ok {
				if f, _ := n.Float64(); math.Abs(f-sum) > 0.01 {
					bad(p+".time", "is %v, the phases add up to %v", f, sum)
				}
			}
		}
	}
	return out
}

func TestExportFollowsChromeImporterRules(t *testing.T) {
	cases := map[string][]byte{}
	var buf bytes.Buffer
	if err := Write(&buf, sampleFlows(), Options{Version: "1.0.0"}); err != nil {
		t.Fatal(err)
	}
	cases["sample flows"] = buf.Bytes()
	buf = bytes.Buffer{}
	Write(&buf, nil, Options{})
	cases["empty capture"] = buf.Bytes()
	files, _ := filepath.Glob("testdata/har/*.har")
	for _, f := range files {
		flows, err := ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := Write(&b, flows, Options{}); err != nil {
			t.Fatal(err)
		}
		cases["re-export of "+filepath.Base(f)] = b.Bytes()
	}
	for name, data := range cases {
		for _, v := range harRuleViolations(data) {
			t.Errorf("%s: %s", name, v)
		}
	}
}

// The checker itself must catch what Chrome rejects, or the test above
// proves nothing.
func TestRuleCheckerCatchesWhatChromeRejects(t *testing.T) {
	good := `{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[{"startedDateTime":"2024-01-02T03:04:05.000Z","time":3,"request":{"method":"GET","url":"http://a/","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"queryString":[],"headersSize":-1,"bodySize":0},"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"content":{"size":0,"mimeType":"x-unknown"},"redirectURL":"","headersSize":-1,"bodySize":0},"cache":{},"timings":{"send":1,"wait":1,"receive":1}}]}}`
	if v := harRuleViolations([]byte(good)); len(v) != 0 {
		t.Fatalf("a valid file was flagged: %v", v)
	}
	for _, tc := range []struct{ name, from, to string }{
		{"null status", `"status":200`, `"status":null`},
		{"string time", `"time":3`, `"time":"3"`},
		{"missing bodySize", `"headersSize":-1,"bodySize":0},"response"`, `"headersSize":-1},"response"`},
		{"bad date", `2024-01-02T03:04:05.000Z`, `yesterday`},
		{"negative wait", `"wait":1`, `"wait":-1`},
		{"time is not the sum", `"time":3`, `"time":7`},
		{"missing timings.send", `"send":1,`, ``},
	} {
		bad := bytes.Replace([]byte(good), []byte(tc.from), []byte(tc.to), 1)
		if len(harRuleViolations(bad)) == 0 {
			t.Errorf("%s: not flagged", tc.name)
		}
	}
}
