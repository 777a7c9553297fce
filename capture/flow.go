// Package capture records HTTP(S) exchanges: the flow model, the recording
// proxy, the per-install CA, and the bounded store the rest of corscope reads.
//
// capture knows nothing about CORS. Anything that needs a verdict (the UI,
// HAR export with _cors fields) gets it from package analyze and passes it in.
package capture

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// FlowID identifies a flow within one store. IDs start at 1, grow by one per
// flow and are never reused, so ordering by ID is ordering by arrival.
type FlowID uint64

// State is how far a flow has progressed.
type State uint8

const (
	// StateStarted: the request has been received; no response yet.
	StateStarted State = iota
	// StateHeaders: the response headers have arrived; the body is streaming.
	StateHeaders
	// StateDone: the response ended normally (or the upgraded connection closed).
	StateDone
	// StateFailed: the exchange ended with an error; Flow.Error says why.
	StateFailed
)

func (s State) String() string {
	switch s {
	case StateStarted:
		return "started"
	case StateHeaders:
		return "headers"
	case StateDone:
		return "done"
	case StateFailed:
		return "failed"
	}
	return "unknown"
}

// Finished reports whether the flow will not change any more.
func (s State) Finished() bool { return s == StateDone || s == StateFailed }

// Header is one header line. Name keeps the case it was received or
// imported with (HTTP/2 peers and HAR files use lower case).
type Header struct {
	Name  string
	Value string
}

// Headers is an ordered header list. Repeated headers stay separate lines,
// because Chromium joins them with ", " before comparing while Firefox counts
// lines, and both behaviours matter to the analysis.
//
// Lookups are case-insensitive on the name and linear: header lists are
// short, and a slice keeps the order a map would lose.
type Headers []Header

// Values returns every value of name, in order.
func (h Headers) Values(name string) []string {
	var out []string
	for _, kv := range h {
		if strings.EqualFold(kv.Name, name) {
			out = append(out, kv.Value)
		}
	}
	return out
}

// Get returns the first value of name, or "".
func (h Headers) Get(name string) string {
	for _, kv := range h {
		if strings.EqualFold(kv.Name, name) {
			return kv.Value
		}
	}
	return ""
}

// Has reports whether at least one line named name is present.
func (h Headers) Has(name string) bool {
	for _, kv := range h {
		if strings.EqualFold(kv.Name, name) {
			return true
		}
	}
	return false
}

// Count returns how many lines are named name.
func (h Headers) Count(name string) int {
	n := 0
	for _, kv := range h {
		if strings.EqualFold(kv.Name, name) {
			n++
		}
	}
	return n
}

// Joined returns the values of name joined with ", " and trimmed of
// surrounding spaces and tabs, the way Chromium normalises a header before
// checking it, and whether the header was present at all.
func (h Headers) Joined(name string) (string, bool) {
	var b strings.Builder
	found := false
	for _, kv := range h {
		if !strings.EqualFold(kv.Name, name) {
			continue
		}
		if found {
			b.WriteString(", ")
		}
		found = true
		b.WriteString(kv.Value)
	}
	return strings.Trim(b.String(), " \t"), found
}

// HeadersFromHTTP converts a net/http header map. Go keeps the order of the
// values of one name but not the order of names, so names are sorted to keep
// the result deterministic.
func HeadersFromHTTP(h http.Header) Headers {
	names := make([]string, 0, len(h))
	n := 0
	for k, vs := range h {
		names = append(names, k)
		n += len(vs)
	}
	sort.Strings(names)
	out := make(Headers, 0, n)
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, Header{Name: k, Value: v})
		}
	}
	return out
}

// Body is what was kept of a request or response body.
//
// A Body is a value: once a flow is published its body bytes never change,
// so a Body can be shared by the store, the UI and an exporter at once.
//
// The kept bytes are in memory, or, for a large body recorded by a proxy
// with a Spill, in the capture's spill file; Data reads them either way.
type Body struct {
	// Size is the number of bytes that crossed the wire (after any transfer
	// coding, before any content coding), or -1 when unknown (for example a
	// stream still running or a HAR that did not say).
	Size int64
	// Truncated is true when fewer than Size bytes were kept.
	Truncated bool

	data []byte
	ext  *extent // the kept bytes are in a spill file instead of data
}

// NewBody returns a Body keeping data, where size is the full size on the
// wire (-1 if unknown) and truncated says whether data is only a prefix.
func NewBody(data []byte, size int64, truncated bool) Body {
	return Body{Size: size, Truncated: truncated, data: data}
}

// Data returns the kept bytes; callers must not modify the returned slice.
// A body kept in the spill file is read back from it, and the error says
// so when it can no longer be (the file was removed when corscope exited,
// or the flow was evicted and its bytes released).
func (b Body) Data() ([]byte, error) {
	if b.ext != nil {
		return b.ext.read()
	}
	return b.data, nil
}

// Kept returns how many bytes of the body were kept.
func (b Body) Kept() int {
	if b.ext != nil {
		return int(b.ext.n)
	}
	return len(b.data)
}

// InMemory returns how many of the kept bytes are held in memory: Kept()
// unless the body was spilled to disk.
func (b Body) InMemory() int { return len(b.data) }

// Spilled reports whether the kept bytes are in the capture's spill file.
func (b Body) Spilled() bool { return b.ext != nil }

// release gives a spilled body's bytes back to its spill file (the body's
// flow left the store).
func (b Body) release() {
	if b.ext != nil {
		b.ext.release()
	}
}

// Request is the request as the client sent it.
type Request struct {
	Method string
	// URL is absolute: scheme://host[:port]/path?query (MITM'd requests get
	// their https scheme and authority back).
	URL string
	// Proto is the client's protocol, e.g. "HTTP/1.1" or "HTTP/2.0".
	Proto  string
	Header Headers
	Body   Body
}

// Response is the response as the server sent it.
type Response struct {
	Status int
	// StatusText is the reason phrase without the code, e.g. "Not Found".
	StatusText string
	// Proto is the upstream protocol, e.g. "HTTP/1.1" or "HTTP/2.0".
	Proto   string
	Header  Headers
	Trailer Headers
	Body    Body
}

// Timings are the moments of an exchange. A zero time means "did not happen
// or not measured" (a reused connection has no Connect or TLS times).
type Timings struct {
	Start        time.Time // request headers received from the client
	DNSStart     time.Time
	DNSDone      time.Time
	ConnectStart time.Time
	ConnectDone  time.Time
	TLSStart     time.Time
	TLSDone      time.Time
	WroteRequest time.Time // request fully written upstream
	FirstByte    time.Time // first response byte from upstream
	End          time.Time // response body finished, or the failure
}

// Duration returns End-Start, or 0 while the flow is running.
func (t Timings) Duration() time.Duration {
	if t.End.IsZero() || t.Start.IsZero() {
		return 0
	}
	return t.End.Sub(t.Start)
}

// TLSInfo describes the client side of an intercepted TLS connection.
type TLSInfo struct {
	ServerName string // SNI sent by the client
	Version    string // e.g. "TLS 1.3"
	ALPN       string
}

// ErrorKind classifies why a flow failed, so the UI and the analyzer can
// tell a network failure from a CORS one without parsing text.
type ErrorKind string

const (
	ErrNone        ErrorKind = ""
	ErrRefused     ErrorKind = "refused"      // connection refused
	ErrDNS         ErrorKind = "dns"          // name did not resolve
	ErrTLS         ErrorKind = "tls"          // upstream certificate or handshake failed
	ErrTimeout     ErrorKind = "timeout"      // dial, handshake or header timeout
	ErrReset       ErrorKind = "reset"        // upstream closed or reset mid-exchange
	ErrClientAbort ErrorKind = "client-abort" // the client went away first
	ErrProxy       ErrorKind = "proxy"        // corscope itself failed (e.g. a recovered panic)
	ErrBrowser     ErrorKind = "browser"      // imported: the browser reported an error (HAR _error)
	ErrOther       ErrorKind = "other"
)

// Flow is one recorded HTTP exchange.
//
// Flows are values. Whoever records a flow publishes a new value on every
// change (Store.Update); a published value and the slices it holds are never
// modified again, so readers need no locks.
type Flow struct {
	ID    FlowID
	State State

	Request Request
	// Response is nil until response headers arrive (or for a failure
	// before any response).
	Response *Response

	Timings Timings

	ClientAddr string   // the browser's address as the proxy saw it
	ServerAddr string   // the upstream address connected to, if known
	TLS        *TLSInfo // nil unless the client connection was intercepted TLS

	// Error is a plain-language reason when State is StateFailed
	// (or, for imported flows, the browser's error text such as
	// "net::ERR_FAILED").
	Error     string
	ErrorKind ErrorKind

	// Upgraded is true for a connection upgrade (WebSocket): after the 101,
	// Request.Body.Size and Response.Body.Size count the bytes each way.
	Upgraded bool

	// ResourceType is the browser's resource type when known from an import
	// (Chrome's _resourceType: "fetch", "xhr", "preflight", "document", …).
	// Live captures leave it empty.
	ResourceType string
	// BrowserRecorded is set on flows imported from a file the browser
	// recorded itself (a Chrome or Edge DevTools HAR export): a load that
	// failed would carry Error, so a finished flow with a response and no
	// Error is one the browser accepted. Live captures and files written
	// by other tools (Firefox, Safari, proxies, converters) leave it
	// false: what they say about failures is not known.
	BrowserRecorded bool
	// Marked is set on a flow the user marked in the interface when it was
	// exported (HAR _marked), so marks survive a hand-over: the proxy never
	// sets it, and the interface marks such flows when it loads them.
	Marked bool
	// Comment is free text carried from or to HAR.
	Comment string
}

// Finished reports whether the flow will not change any more.
func (f *Flow) Finished() bool { return f.State.Finished() }
