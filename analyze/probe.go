package analyze

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/corscope/corscope/capture"
)

// The probe asks a server the questions a browser would, without a browser:
// it decides whether Chromium would preflight, sends the OPTIONS the way
// Chromium sends it, sends the actual request only if the browser would,
// follows redirects the way the browser does, and hands every exchange to
// the same analyzer the proxy uses. It is the only part of package analyze
// that does I/O, always through the http.RoundTripper it is given, and the
// only part with a clock.

// ProbeRequest is what the user asked the probe to send, as a page's
// fetch() would.
type ProbeRequest struct {
	// URL is the absolute http(s) URL of the API.
	URL string
	// Origin is the page origin making the request, e.g.
	// "http://localhost:3000".
	Origin string
	// Method is the method exactly as the page passes it to fetch(); empty
	// means GET. Chromium upper-cases only DELETE, GET, HEAD, OPTIONS, POST
	// and PUT; the probe does the same, so "patch" stays "patch".
	Method string
	// Header holds the headers the script sets, in order. Headers a script
	// may not set (Cookie, Host, Sec-*, …) are dropped as the browser drops
	// them, except Cookie when Credentials is set: it stands for the
	// browser's cookie jar.
	Header capture.Headers
	// Credentials is fetch's credentials: 'include' (XHR withCredentials).
	Credentials bool
}

// Prober sends probes. The zero value is not usable: Transport is required.
type Prober struct {
	// Transport carries every request. It must not follow redirects (an
	// http.RoundTripper never does) and should not decompress bodies.
	Transport http.RoundTripper
	// Clock gives the time stamps of the recorded flows; nil means
	// time.Now. The probe owns the clock so the analyzer stays pure.
	Clock func() time.Time
	// UserAgent is sent as Chromium would send its own; empty means a
	// current Chrome on Linux.
	UserAgent string
	// MaxBody is how many bytes of each response body are kept in the
	// recorded flow; 0 means 1 MiB. The rest is read and counted.
	MaxBody int64
}

// DefaultUserAgent is a current desktop Chrome's User-Agent string.
const DefaultUserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"

// maxRedirects is Chromium's (and the Fetch standard's) redirect limit.
const maxRedirects = 20

// ProbeResult is what a probe saw and what the analyzer decided.
type ProbeResult struct {
	Request ProbeRequest
	// Method is the method as the browser sends it.
	Method string
	// NeedsPreflight says whether the browser sends an OPTIONS first;
	// UnsafeHeaders are the header names that make it (lower-case, sorted).
	NeedsPreflight bool
	UnsafeHeaders  []string
	// Dropped lists the headers the browser would not send, with why.
	Dropped []string
	// Flows are the exchanges in the order sent; Verdicts[i] is the
	// analyzer's final verdict on Flows[i].
	Flows    []capture.Flow
	Verdicts []Verdict
	// ActualSent is false when the browser stopped after the preflight.
	ActualSent bool
	// TaintedAt is the first URL the browser sent "Origin: null" to,
	// because a redirect left an origin that was neither the page's nor
	// the target's; "" when the chain was never tainted.
	TaintedAt string
	// Outcome is the verdict that decides the probe: the first blocked
	// exchange, or else the final response.
	Outcome Verdict
	// OutcomeIndex is the index of Outcome's flow in Flows.
	OutcomeIndex int
	// Audit holds the audit's checks when one was run (see Prober.Audit).
	Audit *AuditResult
}

// Blocked reports whether the browser would refuse the response to the
// page.
func (r *ProbeResult) Blocked() bool {
	return r.Outcome.Kind != KindAllowed && r.Outcome.Kind != KindNotCORS
}

// ExitCode is the probe command's exit status: 0 when the page could read
// the response, 1 otherwise (blocked, or the analyzer cannot decide) or
// when an audit found a medium or high risk, 2 when an audit could not
// test the origin check at all.
func (r *ProbeResult) ExitCode() int {
	switch {
	case r.Blocked():
		return 1
	case r.Audit == nil:
		return 0
	case r.Audit.Worst().rank() >= SeverityMedium.rank():
		return 1
	case !r.Audit.Conclusive():
		return 2
	}
	return 0
}

// ProbeError is a failure that is not a CORS verdict: bad input, or a
// network error talking to the server. Its message is one line that says
// what to do.
type ProbeError struct {
	Msg string
	Err error
}

func (e *ProbeError) Error() string { return e.Msg }
func (e *ProbeError) Unwrap() error { return e.Err }

// check validates req for p: the target URL, the page origin (nil for
// "null") and the method as the browser sends it.
func (p *Prober) check(req ProbeRequest) (target, origin *url.URL, method string, err error) {
	if p.Transport == nil {
		return nil, nil, "", &ProbeError{Msg: "probe: no transport"}
	}
	if target, err = parseProbeURL(req.URL); err != nil {
		return nil, nil, "", err
	}
	if origin, err = parseProbeOrigin(req.Origin); err != nil {
		return nil, nil, "", err
	}
	method = normalizeFetchMethod(req.Method)
	if err = validateMethod(method); err != nil {
		return nil, nil, "", err
	}
	return target, origin, method, nil
}

// Probe runs one probe.
func (p *Prober) Probe(ctx context.Context, req ProbeRequest) (*ProbeResult, error) {
	target, origin, method, err := p.check(req)
	if err != nil {
		return nil, err
	}
	originStr := "null"
	if origin != nil {
		originStr = originOf(origin)
	}
	res := &ProbeResult{Request: req, Method: method}
	author, dropped := authorHeaders(req.Header, req.Credentials)
	res.Dropped = dropped

	crossOrigin := !sameOrigin(origin, target)
	if crossOrigin {
		res.NeedsPreflight, res.UnsafeHeaders = NeedsPreflight(res.Method, author)
	}

	run := &probeRun{p: p, ctx: ctx, res: res, origin: originStr, pageOrigin: origin, author: author, cred: req.Credentials}
	if err := run.chain(target, crossOrigin); err != nil {
		return nil, err
	}
	run.finish()
	return res, nil
}

// probeRun is the state of one probe while its requests are in flight.
type probeRun struct {
	p          *Prober
	ctx        context.Context
	res        *ProbeResult
	origin     string   // the page origin as given
	pageOrigin *url.URL // parsed
	author     capture.Headers
	cred       bool
	site       string // worst Sec-Fetch-Site so far over the chain
	nextID     capture.FlowID
}

// chain sends the request and follows its redirects like the browser. It
// stops where the browser stops: a failed preflight, a response (redirects
// included) that fails the CORS check, a Location with credentials.
func (r *probeRun) chain(target *url.URL, corsFlag bool) error {
	method := r.res.Method
	header := r.author
	sentOrigin := r.origin // becomes "null" once the chain is tainted
	current := target
	var prev *url.URL
	for hop := 0; ; hop++ {
		if hop > maxRedirects {
			return &ProbeError{Msg: fmt.Sprintf("more than %d redirects starting at %s: the browser gives up with net::ERR_TOO_MANY_REDIRECTS", maxRedirects, target)}
		}
		r.updateSite(current)
		// Tainted: a hop to another origin from a URL that is not the
		// page's origin makes every later request send Origin: null.
		if prev != nil && !sameOrigin(prev, current) && !sameOrigin(r.pageOrigin, prev) && sentOrigin != "null" {
			sentOrigin = "null"
			r.res.TaintedAt = current.String()
		}
		// The CORS flag, once set, stays set for the rest of the chain.
		corsFlag = corsFlag || !sameOrigin(r.pageOrigin, current)
		if corsFlag {
			// A redirect may have changed the method and dropped headers,
			// so the need for a preflight is decided again for each hop.
			needs, unsafe := NeedsPreflight(method, header)
			if needs {
				passed, err := r.preflight(current, method, unsafe, sentOrigin)
				if err != nil || !passed {
					return err
				}
			}
		}
		f, err := r.send(r.actualRequest(current, method, sentOrigin, header, corsFlag))
		if err != nil {
			return err
		}
		r.res.ActualSent = true
		if corsFlag && !probeAccessPasses(f.Response, sentOrigin, r.cred) {
			return nil
		}
		loc, ok := redirectLocation(f)
		if !ok {
			return nil
		}
		next, err := current.Parse(loc)
		if err != nil || (next.Scheme != "http" && next.Scheme != "https") {
			return &ProbeError{Msg: fmt.Sprintf("%s redirected to %q, which is not an http(s) URL: the browser fails with a network error", current, loc)}
		}
		if next.User != nil && corsFlag {
			// RedirectContainsCredentials: the analyzer labels the 3xx.
			return nil
		}
		next.User = nil
		method, header = redirectedRequest(f.Response.Status, method, header, current, next)
		prev, current = current, next
	}
}

// preflight sends the OPTIONS for the request to u and reports whether the
// browser goes on to send the request.
func (r *probeRun) preflight(u *url.URL, method string, unsafe []string, sentOrigin string) (bool, error) {
	h := capture.Headers{
		{Name: "Accept", Value: "*/*"},
		{Name: "Access-Control-Request-Method", Value: method},
	}
	if len(unsafe) > 0 {
		h = append(h, capture.Header{Name: "Access-Control-Request-Headers", Value: strings.Join(unsafe, ",")})
	}
	h = append(h, capture.Header{Name: "Origin", Value: sentOrigin})
	h = append(h, r.fetchMetadata(u)...)
	h = append(h, capture.Header{Name: "User-Agent", Value: r.userAgent()})
	h = append(h, capture.Header{Name: "Accept-Encoding", Value: "gzip, deflate, br, zstd"})
	f, err := r.send(outgoing{method: http.MethodOptions, url: u, header: h, resourceType: "preflight"})
	if err != nil {
		return false, err
	}
	// A preflight never follows a redirect; the check says so too.
	return probePreflightPasses(f.Response, sentOrigin, r.cred, method, unsafe), nil
}

// outgoing is one request about to be sent.
type outgoing struct {
	method       string
	url          *url.URL
	header       capture.Headers
	resourceType string
}

func (r *probeRun) actualRequest(u *url.URL, method, sentOrigin string, author capture.Headers, corsFlag bool) outgoing {
	h := capture.Headers{{Name: "Accept", Value: "*/*"}}
	for _, kv := range author {
		if strings.EqualFold(kv.Name, "Accept") {
			h[0].Value = kv.Value
			continue
		}
		h = append(h, kv)
	}
	// Chromium sends Origin on every CORS request, and on any non-GET/HEAD
	// request even when same-origin.
	if corsFlag || (method != http.MethodGet && method != http.MethodHead) {
		h = append(h, capture.Header{Name: "Origin", Value: sentOrigin})
	}
	h = append(h, r.fetchMetadata(u)...)
	h = append(h, capture.Header{Name: "User-Agent", Value: r.userAgent()})
	h = append(h, capture.Header{Name: "Accept-Encoding", Value: "gzip, deflate, br, zstd"})
	return outgoing{method: method, url: u, header: h, resourceType: "fetch"}
}

// fetchMetadata returns the Sec-Fetch-* headers Chromium adds for a fetch().
// Chromium sends them only to potentially trustworthy URLs (https, and http
// to loopback), so a plain-http API on another host gets none.
func (r *probeRun) fetchMetadata(u *url.URL) capture.Headers {
	if !potentiallyTrustworthy(u) {
		return nil
	}
	return capture.Headers{
		{Name: "Sec-Fetch-Site", Value: r.site},
		{Name: "Sec-Fetch-Mode", Value: "cors"},
		{Name: "Sec-Fetch-Dest", Value: "empty"},
	}
}

// updateSite folds u into the chain's Sec-Fetch-Site: the value is computed
// over every URL of the redirect chain, and only ever gets less related.
func (r *probeRun) updateSite(u *url.URL) {
	s := siteRelation(r.pageOrigin, u)
	if siteRank(s) > siteRank(r.site) {
		r.site = s
	}
}

func siteRank(site string) int {
	switch site {
	case "same-origin":
		return 1
	case "same-site":
		return 2
	case "cross-site":
		return 3
	}
	return 0
}

func (r *probeRun) userAgent() string {
	if r.p.UserAgent != "" {
		return r.p.UserAgent
	}
	return DefaultUserAgent
}

func (r *probeRun) now() time.Time {
	if r.p.Clock != nil {
		return r.p.Clock()
	}
	return time.Now()
}

// send performs one exchange and records it as a flow.
func (r *probeRun) send(o outgoing) (capture.Flow, error) {
	r.nextID++
	f := capture.Flow{
		ID:           r.nextID,
		ResourceType: o.resourceType,
		Request: capture.Request{
			Method: o.method,
			URL:    o.url.String(),
			Proto:  "HTTP/1.1",
			Header: append(capture.Headers{{Name: "Host", Value: o.url.Host}}, o.header...),
			Body:   capture.NewBody(nil, 0, false),
		},
	}
	hreq, err := http.NewRequestWithContext(r.ctx, o.method, o.url.String(), nil)
	if err != nil {
		return f, &ProbeError{Msg: fmt.Sprintf("cannot build the %s request to %s: %v", o.method, o.url, err), Err: err}
	}
	for _, kv := range o.header {
		hreq.Header.Add(kv.Name, kv.Value)
	}
	if o.method == http.MethodPost || o.method == http.MethodPut || o.method == "PATCH" {
		// Go sends Content-Length: 0 for these methods without a body, as
		// Chromium does; record it so the flow shows the wire.
		f.Request.Header = append(f.Request.Header, capture.Header{Name: "Content-Length", Value: "0"})
	}

	t := &f.Timings
	trace := &httptrace.ClientTrace{
		DNSStart:          func(httptrace.DNSStartInfo) { t.DNSStart = r.now() },
		DNSDone:           func(httptrace.DNSDoneInfo) { t.DNSDone = r.now() },
		ConnectStart:      func(string, string) { t.ConnectStart = r.now() },
		ConnectDone:       func(string, string, error) { t.ConnectDone = r.now() },
		TLSHandshakeStart: func() { t.TLSStart = r.now() },
		GotConn: func(info httptrace.GotConnInfo) {
			if info.Conn != nil {
				f.ServerAddr = info.Conn.RemoteAddr().String()
				f.ClientAddr = info.Conn.LocalAddr().String()
			}
		},
		WroteRequest:         func(httptrace.WroteRequestInfo) { t.WroteRequest = r.now() },
		GotFirstResponseByte: func() { t.FirstByte = r.now() },
	}
	trace.TLSHandshakeDone = func(tls.ConnectionState, error) { t.TLSDone = r.now() }
	hreq = hreq.WithContext(httptrace.WithClientTrace(r.ctx, trace))

	t.Start = r.now()
	resp, err := r.p.Transport.RoundTrip(hreq)
	if err != nil {
		return f, networkError(o, err)
	}
	defer resp.Body.Close()
	limit := r.p.MaxBody
	if limit <= 0 {
		limit = 1 << 20
	}
	kept, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	rest, err := io.Copy(io.Discard, resp.Body)
	t.End = r.now()
	if err != nil {
		return f, networkError(o, err)
	}
	size := int64(len(kept)) + rest
	f.State = capture.StateDone
	f.Request.Proto = resp.Proto
	f.Response = &capture.Response{
		Status:     resp.StatusCode,
		StatusText: strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode))),
		Proto:      resp.Proto,
		Header:     capture.HeadersFromHTTP(resp.Header),
		Trailer:    capture.HeadersFromHTTP(resp.Trailer),
		Body:       capture.NewBody(kept, size, rest > 0),
	}
	r.res.Flows = append(r.res.Flows, f)
	return f, nil
}

// analyze runs the analyzer over every flow so far and keeps the verdicts.
func (r *probeRun) analyze() []Verdict {
	r.res.Verdicts = analyzeProbe(r.res.Flows, r.cred)
	return r.res.Verdicts
}

// finish picks the deciding verdict.
func (r *probeRun) finish() {
	vs := r.analyze()
	r.res.OutcomeIndex = len(vs) - 1
	for i, v := range vs {
		if v.Kind == KindBlocked || v.Kind == KindUndecidable || v.Kind == KindFailed {
			r.res.OutcomeIndex = i
			break
		}
	}
	if r.res.OutcomeIndex >= 0 {
		r.res.Outcome = vs[r.res.OutcomeIndex]
	}
}

// redirectLocation returns the Location of a redirect the browser follows.
func redirectLocation(f capture.Flow) (string, bool) {
	if f.Response == nil || !isRedirectStatus(f.Response.Status) {
		return "", false
	}
	loc := firstLocation(f.Response.Header)
	return loc, loc != ""
}

// redirectedRequest applies the Fetch standard's redirect rules: 301/302
// answering POST and 303 answering anything but GET/HEAD turn the request
// into a body-less GET without its content headers, and a hop to another
// origin drops Authorization.
func redirectedRequest(status int, method string, h capture.Headers, from, to *url.URL) (string, capture.Headers) {
	toGET := (status == 301 || status == 302) && method == http.MethodPost ||
		status == 303 && method != http.MethodGet && method != http.MethodHead
	crossOrigin := !sameOrigin(from, to)
	if !toGET && !crossOrigin {
		return method, h
	}
	var out capture.Headers
	for _, kv := range h {
		name := strings.ToLower(kv.Name)
		if toGET && (name == "content-encoding" || name == "content-language" || name == "content-location" || name == "content-type") {
			continue
		}
		if crossOrigin && name == "authorization" {
			continue
		}
		out = append(out, kv)
	}
	if toGET {
		method = http.MethodGet
	}
	return method, out
}

// networkError turns a transport failure into one clear line.
func networkError(o outgoing, err error) error {
	what := fmt.Sprintf("%s %s", o.method, o.url)
	if o.resourceType == "preflight" {
		what = "the preflight OPTIONS to " + o.url.String()
	}
	var msg string
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("%s timed out", what)
	case errors.Is(err, context.Canceled):
		msg = fmt.Sprintf("%s was cancelled", what)
	case errors.Is(err, syscall.ECONNREFUSED):
		msg = fmt.Sprintf("connection refused to %s (%s): is the server running on that port?", o.url.Host, what)
	case errors.As(err, &dnsErr):
		msg = fmt.Sprintf("cannot resolve %s (%s): check the host name", dnsErr.Name, what)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		msg = fmt.Sprintf("the server closed the connection during %s", what)
	default:
		msg = fmt.Sprintf("%s failed: %v", what, err)
	}
	if !strings.HasSuffix(msg, "?") {
		msg += "."
	}
	return &ProbeError{Msg: msg + " A browser would fail with a network error here, not a CORS error.", Err: err}
}
