package analyze

import (
	"strings"
	"testing"

	"github.com/corscope/corscope/capture"
)

// Run one with: go test ./analyze/ -run '^$' -fuzz FuzzParseAllowList -fuzztime 30s

func FuzzParseAllowList(f *testing.F) {
	for _, s := range []string{"", "GET, POST", "GET POST", "GET;POST", `"PUT"`, "*", " a ,, b ", "X Foo",
		"content-type,x-a,x-b", "\tPATCH\r\n", "é", "a,\x00", strings.Repeat("x,", 100)} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, v string, lower bool) {
		items, bad, ok := parseAllowList(v, lower)
		if !ok {
			if bad == "" || isToken(bad) {
				t.Fatalf("failure without a non-token element: bad=%q", bad)
			}
			return
		}
		for _, it := range items {
			if !isToken(it) {
				t.Fatalf("item %q is not a token", it)
			}
			if lower && it != strings.ToLower(it) {
				t.Fatalf("item %q not lower-cased", it)
			}
		}
		// Re-serialising and parsing again is stable.
		again, _, ok2 := parseAllowList(strings.Join(items, ", "), lower)
		if !ok2 || strings.Join(again, ",") != strings.Join(items, ",") {
			t.Fatalf("round trip: %v -> %v", items, again)
		}
	})
}

func FuzzParseRequestHeaderList(f *testing.F) {
	for _, s := range []string{"", "content-type,x-a,x-b", "X-B, x-a", "a,,a", " , "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		names := parseRequestHeaderList(v)
		for i, n := range names {
			if n == "" || n != lowerASCII(n) {
				t.Fatalf("bad name %q", n)
			}
			if i > 0 && names[i-1] >= n {
				t.Fatalf("not sorted and unique: %v", names)
			}
		}
	})
}

func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:18001", "https://API.example.com:443/x?y#z", "null", "", "http://[::1]:3000",
		"http://user:pw@h/", "data:,x", "http://:80", "ws://h:80", "HTTP://H:0080", "http://h:/", "a://b@c@d:1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		o := parseOrigin(v)
		if o.Opaque != (o.Serialized == "null") {
			t.Fatalf("opaque %v but serialized %q", o.Opaque, o.Serialized)
		}
		if o.Opaque {
			return
		}
		again := parseOrigin(o.Serialized)
		if again.Serialized != o.Serialized {
			t.Fatalf("not idempotent: %q -> %q -> %q", v, o.Serialized, again.Serialized)
		}
		if o.Scheme != lowerASCII(o.Scheme) || o.Host != lowerASCII(o.Host) {
			t.Fatalf("not lower-cased: %+v", o)
		}
		if o.Port != "" && o.Port == defaultPort(o.Scheme) {
			t.Fatalf("default port kept: %+v", o)
		}
		_ = parsesAsURL(v)
		_ = sameSite(o, again)
		_ = o.isLocalNetwork()
	})
}

func FuzzContentTypeSafelist(f *testing.F) {
	for _, s := range []string{"text/plain", "text/plain;charset=UTF-8", `text/plain; a="b"`, "application/json",
		"multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "text/", "/", ";", "TEXT/PLAIN ; x=y",
		strings.Repeat("a", 129)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		safe := isSafelistedHeader(hkContentType, v)
		if !safe {
			return
		}
		if len(v) > 128 || hasCORSUnsafeByte(v) {
			t.Fatalf("%q safelisted despite length %d or an unsafe byte", v, len(v))
		}
		ess, ok := mimeEssence(v)
		switch {
		case !ok:
			t.Fatalf("%q safelisted without a MIME essence", v)
		case ess != "text/plain" && ess != "multipart/form-data" && ess != "application/x-www-form-urlencoded":
			t.Fatalf("%q safelisted with essence %q", v, ess)
		}
		// ASCII case never changes the answer.
		if !isSafelistedHeader(hkContentType, strings.ToUpper(v)) && strings.ToUpper(v) == upperASCII(v) {
			t.Fatalf("%q safe but its upper-case form is not", v)
		}
	})
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// FuzzAccessCheck: the access check never panics, passes only on "*" (no
// credentials) or an exact match, and fills failed_parameter only for the
// errors that carry one.
func FuzzAccessCheck(f *testing.F) {
	f.Add("*", "", false, labPage)
	f.Add(labPage, "true", true, labPage)
	f.Add("foo", "", false, labPage)
	f.Add("null", "true", true, "null")
	f.Add("a, b", "", false, labPage)
	f.Fuzz(func(t *testing.T, acao, acac string, include bool, origin string) {
		h := heads("Access-Control-Allow-Origin: "+acao, "Access-Control-Allow-Credentials: "+acac)
		r := accessCheck(h, include, origin)
		joined, _ := h.Joined(hACAO)
		if r.ok() && !(joined == "*" && !include || joined == origin) {
			t.Fatalf("passed with ACAO %q for origin %q", joined, origin)
		}
		switch r.code {
		case codeWildcardOriginNotAllowed, codeMissingAllowOriginHeader, codeNone:
			if r.param != "" {
				t.Fatalf("%s with parameter %q", r.code, r.param)
			}
		case codeMultipleAllowOriginValues, codeInvalidAllowOriginValue, codeAllowOriginMismatch:
			if r.param != joined {
				t.Fatalf("%s parameter %q, want the ACAO value %q", r.code, r.param, joined)
			}
		}
	})
}

// FuzzIngest feeds arbitrary requests and responses through an Analyzer:
// it never panics, answers every flow first with its own verdict, and a
// blocked verdict with a CorsError always carries its console line.
func FuzzIngest(f *testing.F) {
	f.Add("GET", u("/x"), "Origin: "+labPage+"\nSec-Fetch-Mode: cors", 200, "Access-Control-Allow-Origin: *", uint8(0))
	f.Add("OPTIONS", u("/x"), "Origin: "+labPage+"\nAccess-Control-Request-Method: PUT\nAccess-Control-Request-Headers: x-a", 204,
		"Access-Control-Allow-Origin: "+labPage+"\nAccess-Control-Allow-Methods: PUT\nAccess-Control-Allow-Headers: *", uint8(1))
	f.Add("PUT", u("/x"), "Origin: null\nCookie: a=b", 302, "Location: http://u:p@h/\nAccess-Control-Allow-Origin: null", uint8(2))
	f.Add("POST", "weird", "Origin: \x00", 0, "", uint8(3))
	f.Fuzz(func(t *testing.T, method, url, reqHeaders string, status int, respHeaders string, flags uint8) {
		a := NewAnalyzer()
		var id capture.FlowID
		for round := 0; round < 3; round++ {
			id++
			x := ex{id: id, at: round, method: method, url: url, req: strings.Split(reqHeaders, "\n"), status: status % 1000,
				resp: strings.Split(respHeaders, "\n")}
			if flags&1 != 0 {
				x.kind, x.err = capture.ErrBrowser, "net::ERR_FAILED"
			}
			if flags&2 != 0 {
				x.rt = "preflight"
			}
			vs := a.Ingest(x.flow())
			if len(vs) == 0 || vs[0].Flow != id {
				t.Fatalf("first verdict %+v, want flow %d", vs, id)
			}
			for _, v := range vs {
				if v.Kind == KindBlocked && v.Error != "" && v.Console == "" {
					t.Fatalf("blocked %s without a console line", v.Error)
				}
			}
			if flags&4 != 0 {
				a.Forget(id)
			}
		}
	})
}
