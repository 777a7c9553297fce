package har

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/corscope/corscope/capture"
)

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

func at(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }

func hdrs(kv ...string) capture.Headers {
	var h capture.Headers
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, capture.Header{Name: kv[i], Value: kv[i+1]})
	}
	return h
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// sampleFlows covers what a capture produces: a preflight and its actual
// request over a fresh TLS connection, a reused connection, a binary and a
// truncated body, a gzip body, a failure before any response, a failure
// after the headers, and a WebSocket upgrade.
func sampleFlows() []capture.Flow {
	full := capture.Timings{
		Start: at(0), DNSStart: at(1), DNSDone: at(3), ConnectStart: at(3), ConnectDone: at(7),
		TLSStart: at(7), TLSDone: at(19), WroteRequest: at(19.5), FirstByte: at(42.25), End: at(43),
	}
	reused := func(off float64) capture.Timings {
		return capture.Timings{Start: at(off), WroteRequest: at(off + 0.2), FirstByte: at(off + 5), End: at(off + 9.125)}
	}
	return []capture.Flow{
		{
			ID: 1, State: capture.StateDone,
			Request: capture.Request{Method: "OPTIONS", URL: "https://api.example.test:8443/users/7", Proto: "HTTP/1.1",
				Header: hdrs("Host", "api.example.test:8443", "Origin", "http://localhost:3000",
					"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type,x-trace"),
				Body: capture.NewBody(nil, 0, false)},
			Response: &capture.Response{Status: 404, StatusText: "Not Found", Proto: "HTTP/1.1",
				Header: hdrs("Content-Type", "text/plain; charset=utf-8", "Content-Length", "19"),
				Body:   capture.NewBody([]byte("404 page not found\n"), 19, false)},
			Timings: full, ServerAddr: "127.0.0.1:8443", ClientAddr: "127.0.0.1:50000",
		},
		{
			ID: 2, State: capture.StateDone,
			Request: capture.Request{Method: "PUT", URL: "https://api.example.test:8443/users/7?fields=name&x=%C3%A9+1", Proto: "HTTP/1.1",
				Header: hdrs("Origin", "http://localhost:3000", "Content-Type", "application/json", "Cookie", "sid=abc; theme=dark",
					"Authorization", "Bearer tok"),
				Body: capture.NewBody([]byte(`{"name":"Ada <3"}`), 17, false)},
			Response: &capture.Response{Status: 200, StatusText: "OK", Proto: "HTTP/2.0",
				Header: hdrs("Content-Type", "application/octet-stream", "Set-Cookie", "sid=new; Path=/; HttpOnly; Secure; SameSite=None",
					"Set-Cookie", "theme=light; Expires=Wed, 21 Oct 2026 07:28:00 GMT"),
				Body: capture.NewBody([]byte{0, 1, 2, 0xff, 0xfe}, 5, false)},
			Timings: reused(50), ServerAddr: "[::1]:8443",
		},
		{
			ID: 3, State: capture.StateDone, Comment: "kept only a prefix",
			Request: capture.Request{Method: "GET", URL: "http://localhost:8080/big", Proto: "HTTP/1.1",
				Header: hdrs("Origin", "http://localhost:3000"), Body: capture.NewBody(nil, 0, false)},
			Response: &capture.Response{Status: 200, StatusText: "OK", Proto: "HTTP/1.1",
				Header: hdrs("Content-Type", "text/plain", "Access-Control-Allow-Origin", "*"),
				Body:   capture.NewBody([]byte("0123456789"), 5000, true)},
			Timings: reused(70),
		},
		{
			ID: 4, State: capture.StateFailed, Error: "connection refused", ErrorKind: capture.ErrRefused,
			Request: capture.Request{Method: "POST", URL: "http://localhost:9999/login", Proto: "HTTP/1.1",
				Header: hdrs("Content-Type", "application/x-www-form-urlencoded"),
				Body:   capture.NewBody([]byte("user=ada&pw=x%20y"), 17, false)},
			Timings: capture.Timings{Start: at(90), End: at(91.5)},
		},
		{
			ID: 5, State: capture.StateFailed, Error: "upstream reset the connection", ErrorKind: capture.ErrReset,
			Request: capture.Request{Method: "GET", URL: "http://localhost:8080/stream", Proto: "HTTP/1.1",
				Header: hdrs("Accept", "text/event-stream"), Body: capture.NewBody(nil, 0, false)},
			Response: &capture.Response{Status: 200, StatusText: "OK", Proto: "HTTP/1.1",
				Header: hdrs("Content-Type", "text/event-stream"),
				Body:   capture.NewBody([]byte("data: 1\n\n"), -1, false)},
			Timings: reused(95),
		},
		{
			ID: 6, State: capture.StateDone,
			Request: capture.Request{Method: "GET", URL: "http://localhost:8080/gz", Proto: "HTTP/1.1",
				Header: hdrs("Accept-Encoding", "gzip"), Body: capture.NewBody(nil, 0, false)},
			Response: &capture.Response{Status: 200, StatusText: "OK", Proto: "HTTP/1.1",
				Header: hdrs("Content-Type", "application/json", "Content-Encoding", "gzip"),
				Body:   capture.NewBody(gz(`{"ok":true}`), int64(len(gz(`{"ok":true}`))), false)},
			Timings: reused(110),
		},
		{
			ID: 7, State: capture.StateDone, Upgraded: true,
			Request: capture.Request{Method: "GET", URL: "http://localhost:8080/ws", Proto: "HTTP/1.1",
				Header: hdrs("Upgrade", "websocket", "Connection", "Upgrade", "Origin", "http://localhost:3000"),
				Body:   capture.NewBody(nil, 120, false)},
			Response: &capture.Response{Status: 101, StatusText: "Switching Protocols", Proto: "HTTP/1.1",
				Header: hdrs("Upgrade", "websocket", "Connection", "Upgrade"), Body: capture.NewBody(nil, 300, false)},
			Timings: reused(120),
		},
	}
}

// comparable returns what a HAR can carry of f: the fields it loses
// (client address, TLS details, the capture's error kind, sub-millisecond
// start) are normalised the way the importer restores them.
func comparable(f capture.Flow) capture.Flow {
	f.ClientAddr, f.TLS = "", nil
	if f.State == capture.StateFailed {
		f.ErrorKind = capture.ErrBrowser
	}
	if f.Timings.TLSStart.After(f.Timings.ConnectDone) {
		f.Timings.ConnectDone = f.Timings.TLSStart
	}
	if f.Request.Body.Kept() == 0 && !f.Request.Body.Truncated {
		f.Request.Body = capture.NewBody(nil, f.Request.Body.Size, false)
	}
	if f.Response != nil {
		r := *f.Response
		data, _ := r.Body.Data()
		switch {
		case r.Body.Kept() == 0 && !r.Body.Truncated:
			r.Body = capture.NewBody(nil, r.Body.Size, false)
		case r.Body.Size < 0 && !r.Body.Truncated && !r.Header.Has("Content-Encoding"):
			// An unknown wire size comes back as the content's size.
			r.Body = capture.NewBody(data, int64(len(data)), false)
		}
		f.Response = &r
	}
	switch {
	case IsPreflight(f.Request):
		f.ResourceType = "preflight"
	case f.Upgraded:
		f.ResourceType = "websocket"
	}
	return f
}

func roundTrip(t *testing.T, flows []capture.Flow, opts Options) []capture.Flow {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, flows, opts); err != nil {
		t.Fatalf("Write: %v", err)
	}
	back, err := Read(&buf)
	if err != nil {
		t.Fatalf("Read of our own output: %v", err)
	}
	if len(back) != len(flows) {
		t.Fatalf("read back %d flows, wrote %d", len(back), len(flows))
	}
	return back
}

func TestRoundTripKeepsEveryFieldHARCarries(t *testing.T) {
	flows := sampleFlows()
	back := roundTrip(t, flows, Options{IncludeSecrets: true})
	for i, f := range flows {
		want := comparable(f)
		got := back[i]
		if f.ID == 6 {
			// The importer holds the decoded content; the header still
			// says gzip and the wire size is kept.
			data, _ := got.Response.Body.Data()
			if string(data) != `{"ok":true}` || got.Response.Body.Size != want.Response.Body.Size {
				t.Errorf("gzip body came back as %q size %d, want decoded text and wire size %d", data, got.Response.Body.Size, want.Response.Body.Size)
			}
			got.Response.Body, want.Response.Body = capture.Body{}, capture.Body{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("flow %d changed in the round trip:\n got %+v\nwant %+v", f.ID, dump(got), dump(want))
		}
	}
}

func dump(f capture.Flow) string {
	s := fmt.Sprintf("%+v", f)
	if f.Response != nil {
		s += fmt.Sprintf(" response=%+v", *f.Response)
	}
	return s
}

func TestRoundTripOrdersByStartAndNumbersFromOne(t *testing.T) {
	flows := sampleFlows()
	// Written newest first, with IDs that are not 1..n.
	rev := make([]capture.Flow, len(flows))
	for i, f := range flows {
		f.ID = capture.FlowID(100 + i)
		rev[len(flows)-1-i] = f
	}
	back := roundTrip(t, rev, Options{})
	for i, f := range back {
		if f.ID != capture.FlowID(i+1) {
			t.Errorf("flow %d has ID %d, want %d", i, f.ID, i+1)
		}
		if f.Request.URL != flows[i].Request.URL {
			t.Errorf("flow %d is %s, want %s (start-time order)", i+1, f.Request.URL, flows[i].Request.URL)
		}
	}
}

func TestRoundTripEqualStartsKeepFileOrder(t *testing.T) {
	var flows []capture.Flow
	for i, u := range []string{"http://a.test/3", "http://a.test/1", "http://a.test/2"} {
		flows = append(flows, capture.Flow{ID: capture.FlowID(i + 1), State: capture.StateDone,
			Request:  capture.Request{Method: "GET", URL: u},
			Response: &capture.Response{Status: 204}, Timings: capture.Timings{Start: t0}})
	}
	back := roundTrip(t, flows, Options{})
	for i := range back {
		if back[i].Request.URL != flows[i].Request.URL {
			t.Fatalf("entry %d is %s, want %s: equal start times must keep file order", i, back[i].Request.URL, flows[i].Request.URL)
		}
	}
}
