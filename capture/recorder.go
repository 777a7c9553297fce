package capture

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"
)

// tunnel is what the proxy knows about an intercepted CONNECT. goproxy
// copies ctx.UserData from the CONNECT into every request read inside the
// tunnel, which is how a request finds it.
type tunnel struct {
	target string    // host:port from the CONNECT
	client string    // the client's address
	conn   *idleConn // the client connection, guarded while it carries HTTP
	tls    atomic.Pointer[TLSInfo]
}

// recording follows one exchange and publishes a new Flow value each time
// it learns something: started, response headers, done or failed.
//
// It is also the request's goproxy RoundTripper, so upstream errors, body
// tees and timings are all seen in one place, in the plain and the MITM
// paths alike (goproxy calls no response handler for MITM failures).
type recording struct {
	p         *Proxy
	tun       *tunnel         // nil on the plain-HTTP path
	host      string          // upstream host:port, for messages
	clientCtx context.Context // the client request's context (plain path: cancelled when the client leaves)
	client    *idleConn       // plain path: the client connection, closed after an upgrade

	mu       sync.Mutex
	f        Flow // working copy; every publish hands the store a copy
	resp     *http.Response
	reqTee   *bodyTee
	respTee  *bodyTee
	finished bool

	// uploadFailed is set when reading the request body from the client
	// failed: the client went away mid-upload, whatever error the
	// Transport then reports for the upstream side.
	uploadFailed atomic.Bool
	// left is set when the tunnel's client closed its connection while
	// the exchange ran (see clientWatch); cancelUpstream then ends the
	// upstream request.
	left           atomic.Bool
	cancelUpstream atomic.Pointer[context.CancelCauseFunc]
	// leftEarly is set with left when the response had not been read in
	// full at that moment. Cancelling the upstream can make the server end
	// a stream cleanly (its request context is cancelled, its handler
	// returns, the last chunk goes out before the connection closes), and
	// that end must not turn a client abort into a completed flow.
	leftEarly atomic.Bool
}

// onRequest starts recording a request and routes it through the recorder.
func (p *Proxy) onRequest(req *http.Request, ctx *goproxy.ProxyCtx) (out *http.Request, resp *http.Response) {
	var rec *recording
	defer func() {
		if v := recover(); v != nil {
			reason := p.recovered("request handler", v)
			if rec == nil {
				p.store.Add(Flow{
					State:     StateFailed,
					Request:   Request{Method: req.Method, URL: req.URL.String(), Proto: req.Proto},
					Timings:   Timings{Start: time.Now(), End: time.Now()},
					Error:     reason,
					ErrorKind: ErrProxy,
				})
			} else {
				rec.end(ErrProxy, reason)
			}
			out, resp = req, errorResponse(req, reason)
		}
	}()
	rec = p.startRecording(req, ctx)
	p.callHook(hookRequest)
	ctx.UserData = rec
	ctx.RoundTripper = rec
	return req, nil
}

func (p *Proxy) startRecording(req *http.Request, ctx *goproxy.ProxyCtx) *recording {
	tun, _ := ctx.UserData.(*tunnel)
	rec := &recording{p: p, tun: tun, host: hostPort(req.URL), clientCtx: req.Context()}
	if tun == nil {
		rec.client, _ = req.Context().Value(connKey{}).(*idleConn)
	}
	f := Flow{
		State: StateStarted,
		Request: Request{
			Method: req.Method,
			URL:    req.URL.String(),
			Proto:  req.Proto,
			Header: requestHeaders(req),
		},
		ClientAddr: req.RemoteAddr,
		Timings:    Timings{Start: time.Now()},
	}
	if tun != nil {
		f.TLS = tun.tls.Load()
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	if tun != nil && tun.conn != nil {
		tun.conn.requestStarted(hasBody)
	}
	if hasBody {
		rec.reqTee = newBodyTee(req.Body, p.keep, req.ContentLength, rec.requestBodyEnded)
		req.Body = rec.reqTee
		f.Request.Body = Body{Size: -1}
	}
	// Go's Transport sends "User-Agent: Go-http-client/1.1" when the
	// header is absent; an explicit empty value sends none, as the
	// client did.
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""}
	}
	p.track(rec)
	f.ID = p.store.Add(f)
	rec.f = f
	return rec
}

// RoundTrip sends the request upstream. It never returns an error: a
// failure is recorded and answered with a 502 whose body says why, because
// goproxy would otherwise close an intercepted connection without a word.
func (rec *recording) RoundTrip(req *http.Request, ctx *goproxy.ProxyCtx) (resp *http.Response, err error) {
	p := rec.p
	defer func() {
		if v := recover(); v != nil {
			reason := p.recovered("round trip", v)
			rec.end(ErrProxy, reason) // first: closing the body would end it as an abort
			if resp != nil && resp.Body != nil {
				resp.Body.Close()
			}
			resp, err = errorResponse(req, reason), nil
		}
	}()
	p.callHook(hookRoundTrip)
	upCtx, cancel := context.WithCancelCause(req.Context())
	rec.cancelUpstream.Store(&cancel)
	up := req.WithContext(httptrace.WithClientTrace(upCtx, rec.trace()))
	if rec.reqTee == nil {
		rec.watchClient() // the request has been read in full
	}
	resp, err = p.tr.RoundTrip(up)
	if err != nil {
		kind, reason := classify(err, rec.host, rec.clientGone())
		if rec.uploadFailed.Load() {
			reason = "the browser closed the connection while it was still sending the request body"
		}
		rec.end(kind, reason)
		return errorResponse(req, reason), nil
	}
	rec.gotResponse(resp, ctx.Req)
	p.callHook(hookResponse)
	return resp, nil
}

// gotResponse records the response headers and wraps the body so the
// rest is recorded as it streams to the client.
func (rec *recording) gotResponse(resp *http.Response, clientReq *http.Request) {
	r := &Response{
		Status:     resp.StatusCode,
		StatusText: statusText(resp),
		Proto:      resp.Proto,
		Header:     responseHeaders(resp),
		Body:       Body{Size: -1},
	}
	rec.mu.Lock()
	rec.resp = resp
	rec.f.State = StateHeaders
	rec.f.Response = r
	if rec.f.Timings.FirstByte.IsZero() {
		rec.f.Timings.FirstByte = time.Now()
	}
	if rec.reqTee != nil {
		rec.f.Request.Body = rec.reqTee.body()
	}

	switch body := resp.Body; {
	case resp.StatusCode == http.StatusSwitchingProtocols:
		rwc, ok := body.(io.ReadWriteCloser)
		if !ok {
			break // goproxy cannot relay it either; the flow ends on close
		}
		rec.f.Upgraded = true
		if rec.tun != nil && rec.tun.conn != nil {
			rec.tun.conn.unguard() // WebSocket frames are not request heads
		}
		resp.Body = &upgradeTee{rwc: rwc, onClose: rec.upgradeEnded}
		rec.publishLocked()
		rec.mu.Unlock()
		return
	case body == nil || body == http.NoBody:
		r.Body = Body{}
		rec.publishLocked()
		rec.mu.Unlock()
		rec.end(ErrNone, "")
		return
	}
	rec.respTee = newBodyTee(resp.Body, rec.p.keep, resp.ContentLength, rec.responseEnded)
	if rec.p.hook != nil {
		rec.respTee.hook = func() { rec.p.callHook(hookResponseBody) }
	}
	resp.Body = rec.respTee
	rec.publishLocked()
	rec.mu.Unlock()

	// goproxy's plain-HTTP path flushes each write only for SSE or when
	// the header map says chunked, which Go's client never leaves there:
	// NDJSON and other streams of unknown length would reach the browser
	// only at the end. Declaring chunked framing (after recording the real
	// headers) makes it flush every write; net/http writes the framing
	// once, so the client sees a normal chunked response. The MITM path
	// re-chunks unknown lengths itself.
	if rec.tun == nil && resp.ContentLength < 0 && clientReq != nil &&
		clientReq.ProtoMajor == 1 && clientReq.ProtoMinor >= 1 &&
		clientReq.Method != http.MethodHead && bodyAllowed(resp.StatusCode) {
		resp.Header.Set("Transfer-Encoding", "chunked")
	}
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// responseEnded is called once by the response tee.
func (rec *recording) responseEnded(err error) {
	switch {
	case err == nil && rec.leftEarly.Load():
		rec.end(ErrClientAbort, reasonClientAbort)
	case err == nil:
		rec.end(ErrNone, "")
	case err == errClosedEarly:
		rec.end(ErrClientAbort, reasonClientAbort)
	default:
		if rec.client != nil {
			rec.client.abortResponse.Store(true)
		}
		if pe, ok := err.(*panicError); ok {
			rec.p.logf("corscope: recovered from a panic while reading a response body: %v", pe.v)
			rec.end(ErrProxy, pe.Error())
			return
		}
		kind, reason := classify(err, rec.host, rec.clientGone())
		rec.end(kind, reason)
	}
}

// requestBodyEnded is called once by the request tee. A Close before the
// end is the Transport giving up on the body (the server answered
// early), not a client failure.
func (rec *recording) requestBodyEnded(err error) {
	if err != nil && err != errClosedEarly {
		rec.uploadFailed.Store(true)
	}
	if rec.tun != nil && rec.tun.conn != nil {
		rec.tun.conn.requestBodyDone()
	}
	if err == nil {
		rec.watchClient()
	}
}

// watchClient watches an intercepted tunnel's client once its request has
// been read, so a client that leaves ends the upstream request. (On the
// plain path net/http does this and cancels the request's context.)
func (rec *recording) watchClient() {
	if rec.tun != nil && rec.tun.conn != nil {
		rec.tun.conn.watchClient(rec.clientLeft)
	}
}

func (rec *recording) clientLeft() {
	rec.mu.Lock()
	early := !rec.finished && !(rec.respTee != nil && rec.resp != nil &&
		rec.resp.ContentLength >= 0 && rec.respTee.seen() >= rec.resp.ContentLength)
	rec.mu.Unlock()
	rec.leftEarly.Store(early)
	rec.left.Store(true)
	if cancel := rec.cancelUpstream.Load(); cancel != nil {
		(*cancel)(errClientGone)
	}
}

// upgradeEnded is called once when an upgraded connection (WebSocket)
// closes, with the bytes relayed each way.
func (rec *recording) upgradeEnded(toClient, toServer int64) {
	rec.mu.Lock()
	if !rec.finished {
		rec.f.Request.Body = Body{Size: toServer, Truncated: toServer > 0}
		if rec.f.Response != nil {
			r := *rec.f.Response
			r.Body = Body{Size: toClient, Truncated: toClient > 0}
			rec.f.Response = &r
		}
	}
	rec.mu.Unlock()
	rec.end(ErrNone, "")
	// On the plain path goproxy returns without closing the hijacked
	// client connection, so a server that drops the socket would leave
	// the browser waiting forever.
	if rec.client != nil {
		rec.client.Close()
	}
}

// end publishes the final state once: done when kind is ErrNone, failed
// with reason otherwise.
func (rec *recording) end(kind ErrorKind, reason string) {
	rec.mu.Lock()
	if rec.finished {
		rec.mu.Unlock()
		return
	}
	rec.finished = true
	f := &rec.f
	f.Timings.End = time.Now()
	if rec.reqTee != nil {
		f.Request.Body = rec.reqTee.seal()
	}
	if f.Response != nil && !f.Upgraded {
		r := *f.Response
		if rec.respTee != nil {
			r.Body = rec.respTee.seal()
		}
		if kind == ErrNone && rec.resp != nil && len(rec.resp.Trailer) > 0 {
			r.Trailer = HeadersFromHTTP(rec.resp.Trailer)
		}
		f.Response = &r
	}
	if kind == ErrNone {
		f.State = StateDone
	} else {
		f.State = StateFailed
		f.Error, f.ErrorKind = reason, kind
	}
	rec.publishLocked()
	rec.mu.Unlock()
	rec.p.untrack(rec)
}

// publishLocked hands the store a copy of the working flow. The caller
// holds rec.mu, so values reach the store in the order they were made.
func (rec *recording) publishLocked() {
	if rec.f.ID != 0 {
		rec.p.store.Update(rec.f)
	}
}

func (rec *recording) clientGone() bool {
	return rec.clientCtx.Err() != nil || rec.uploadFailed.Load() || rec.left.Load()
}

// trace collects connection timings and the server address.
func (rec *recording) trace() *httptrace.ClientTrace {
	mark := func(t *time.Time) {
		now := time.Now()
		rec.mu.Lock()
		if t.IsZero() {
			*t = now
		}
		rec.mu.Unlock()
	}
	tm := &rec.f.Timings
	return &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { mark(&tm.DNSStart) },
		DNSDone:           func(httptrace.DNSDoneInfo) { mark(&tm.DNSDone) },
		ConnectStart:      func(string, string) { mark(&tm.ConnectStart) },
		ConnectDone:       func(string, string, error) { mark(&tm.ConnectDone) },
		TLSHandshakeStart: func() { mark(&tm.TLSStart) },
		TLSHandshakeDone:  func(_ tls.ConnectionState, _ error) { mark(&tm.TLSDone) },
		GotConn: func(info httptrace.GotConnInfo) {
			addr := info.Conn.RemoteAddr().String()
			rec.mu.Lock()
			rec.f.ServerAddr = addr
			rec.mu.Unlock()
		},
		WroteRequest:         func(httptrace.WroteRequestInfo) { mark(&tm.WroteRequest) },
		GotFirstResponseByte: func() { mark(&tm.FirstByte) },
	}
}

// requestHeaders lists the client's headers as received: Host first (net/http
// moves it out of the map), then the rest, then the transfer coding that
// net/http also moves out.
func requestHeaders(req *http.Request) Headers {
	h := make(Headers, 0, len(req.Header)+2)
	if req.Host != "" {
		h = append(h, Header{Name: "Host", Value: req.Host})
	}
	h = appendHTTPHeaders(h, req.Header)
	if len(req.TransferEncoding) > 0 {
		h = append(h, Header{Name: "Transfer-Encoding", Value: strings.Join(req.TransferEncoding, ", ")})
	}
	return h
}

func responseHeaders(resp *http.Response) Headers {
	h := make(Headers, 0, len(resp.Header)+1)
	h = appendHTTPHeaders(h, resp.Header)
	if len(resp.TransferEncoding) > 0 {
		h = append(h, Header{Name: "Transfer-Encoding", Value: strings.Join(resp.TransferEncoding, ", ")})
	}
	return h
}

// appendHTTPHeaders appends h with names sorted (Go keeps no name order)
// and each name's values in received order.
func appendHTTPHeaders(dst Headers, h http.Header) Headers {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range h[k] {
			dst = append(dst, Header{Name: k, Value: v})
		}
	}
	return dst
}

// statusText returns the reason phrase of resp.Status ("404 Not Found"
// -> "Not Found"), without allocating on the common path.
func statusText(resp *http.Response) string {
	s := resp.Status
	if len(s) >= 4 && s[3] == ' ' && s[0] >= '1' && s[0] <= '9' {
		return strings.TrimSpace(s[4:])
	}
	if len(s) == 3 {
		return ""
	}
	return http.StatusText(resp.StatusCode)
}

// hostPort returns u's host with the scheme's default port added.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" || u.Scheme == "wss" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// errorResponse is the 502 the client gets when the exchange failed
// before a response arrived. Its body is the recorded reason.
func errorResponse(req *http.Request, reason string) *http.Response {
	body := "corscope: " + reason + "\n"
	return &http.Response{
		Status:     "502 Bad Gateway",
		StatusCode: http.StatusBadGateway,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header: http.Header{
			"Content-Type":           {"text/plain; charset=utf-8"},
			"Content-Length":         {strconv.Itoa(len(body))},
			"X-Content-Type-Options": {"nosniff"},
			"Cache-Control":          {"no-store"},
		},
		ContentLength: int64(len(body)),
		Body:          io.NopCloser(strings.NewReader(body)),
		Request:       req,
	}
}
