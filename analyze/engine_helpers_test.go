package analyze

import (
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/capture"
)

// The lab origins of reference/cors.md Appendix A.
const (
	labPage  = "http://127.0.0.1:18001"
	labAPI   = "http://127.0.0.1:18002"
	labThird = "http://127.0.0.1:18003"
)

var labEpoch = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

// ex describes one exchange compactly for tests.
type ex struct {
	id     capture.FlowID
	at     int // milliseconds after labEpoch
	method string
	url    string
	req    []string // "Name: value"
	status int      // 0: no response yet
	resp   []string
	rt     string // HAR resource type
	kind   capture.ErrorKind
	err    string
	// browser marks the flow as recorded by the browser itself (a
	// DevTools HAR export).
	browser bool
}

// heads parses "Name: value" lines into Headers.
func heads(lines ...string) capture.Headers {
	h := make(capture.Headers, 0, len(lines))
	for _, l := range lines {
		n, v, _ := strings.Cut(l, ":")
		h = append(h, capture.Header{Name: n, Value: strings.TrimPrefix(v, " ")})
	}
	return h
}

func (x ex) flow() capture.Flow {
	start := labEpoch.Add(time.Duration(x.at) * time.Millisecond)
	f := capture.Flow{
		ID:              x.id,
		State:           capture.StateStarted,
		Request:         capture.Request{Method: x.method, URL: x.url, Proto: "HTTP/1.1", Header: heads(x.req...)},
		Timings:         capture.Timings{Start: start},
		ResourceType:    x.rt,
		Error:           x.err,
		ErrorKind:       x.kind,
		BrowserRecorded: x.browser,
	}
	if x.status > 0 || x.kind == capture.ErrBrowser && x.resp != nil {
		f.Response = &capture.Response{Status: x.status, Proto: "HTTP/1.1", Header: heads(x.resp...)}
		f.Timings.FirstByte = start.Add(time.Millisecond)
		f.Timings.End = start.Add(2 * time.Millisecond)
		f.State = capture.StateDone
	}
	if x.kind != capture.ErrNone {
		f.State = capture.StateFailed
		f.Timings.End = start.Add(2 * time.Millisecond)
	}
	return f
}

// chromeReq is the request header list Chromium 156 sends for a fetch()
// from the lab page, plus extra lines.
func chromeReq(extra ...string) []string {
	base := []string{
		"Host: 127.0.0.1:18002",
		"Accept: */*",
		"Origin: " + labPage,
		"Sec-Fetch-Site: same-site",
		"Sec-Fetch-Mode: cors",
		"Sec-Fetch-Dest: empty",
		"Referer: " + labPage + "/",
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0",
		"Accept-Encoding: gzip, deflate, br, zstd",
		"Accept-Language: en-US,en;q=0.9",
	}
	return append(base, extra...)
}

// chromePreflight is the OPTIONS Chromium sends before method with the
// given ACRH ("" for none), from origin.
func chromePreflight(origin, method, acrh string) []string {
	h := []string{
		"Accept: */*",
		"Access-Control-Request-Method: " + method,
	}
	if acrh != "" {
		h = append(h, "Access-Control-Request-Headers: "+acrh)
	}
	return append(h,
		"Origin: "+origin,
		"Sec-Fetch-Mode: cors",
		"Sec-Fetch-Site: same-site",
		"Sec-Fetch-Dest: empty",
		"Referer: "+labPage+"/",
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0",
	)
}

// run ingests exchanges in the order given and returns the final verdicts.
func run(t testing.TB, xs ...ex) map[capture.FlowID]Verdict {
	t.Helper()
	a := NewAnalyzer()
	for _, x := range xs {
		a.Ingest(x.flow())
	}
	out := make(map[capture.FlowID]Verdict, len(xs))
	for _, x := range xs {
		v, ok := a.Verdict(x.id)
		if !ok {
			t.Fatalf("no verdict for flow %d", x.id)
		}
		out[x.id] = v
	}
	return out
}

// envelope is the console line up to the reason, for a lab fetch.
func envelope(url string) string {
	return "Access to fetch at '" + url + "' from origin '" + labPage + "' has been blocked by CORS policy: "
}

func hasWarning(v Verdict, code string) bool {
	for _, w := range v.Warnings {
		if w.Code == code {
			return true
		}
	}
	return false
}

func warningCodes(v Verdict) []string {
	var out []string
	for _, w := range v.Warnings {
		out = append(out, w.Code)
	}
	return out
}
