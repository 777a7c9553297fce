package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/elazarl/goproxy"
)

// DefaultListen is where the proxy listens unless told otherwise.
const DefaultListen = "127.0.0.1:8080"

// DefaultMaxBody is how many bytes of each body are kept by default.
const DefaultMaxBody = 1 << 20

// Config configures a Proxy.
type Config struct {
	// Listen is the address to listen on (host:port; port 0 picks a free
	// one). Empty means DefaultListen.
	Listen string
	// CA signs the certificates shown to the browser. When nil, the CA in
	// Home is loaded or created.
	CA *CA
	// Home is the directory holding the CA (used when CA is nil).
	Home string
	// MaxBody is how many bytes of each request and response body are
	// kept; the full size is always counted. 0 means DefaultMaxBody; a
	// negative value keeps none.
	MaxBody int64
	// UpstreamCAFiles are PEM files of extra roots trusted for upstream
	// TLS, on top of the system roots.
	UpstreamCAFiles []string
	// InsecureUpstream turns off upstream certificate verification.
	InsecureUpstream bool
	// AllowRemote lists the non-loopback client networks that may use the
	// proxy. Loopback clients are always allowed; others are refused.
	AllowRemote []netip.Prefix
	// Spill receives the bodies that keep more than InlineBody bytes, so
	// memory per flow stays near the size of its headers. nil keeps every
	// body in memory. The caller closes it after the last use of the
	// flows (e.g. after writing the HAR).
	Spill *Spill
	// InlineBody is how many bytes of a body stay in memory when Spill is
	// set; 0 means DefaultInlineBody.
	InlineBody int64
	// Store receives the flows. When nil, NewStore(0) is used.
	Store *Store
	// ErrorLog receives the proxy's own problems (refused clients,
	// recovered panics). When nil they are discarded.
	ErrorLog *log.Logger
}

// Proxy is corscope's recording HTTP(S) proxy.
type Proxy struct {
	ca      *CA
	store   *Store
	maxBody int64
	keep    keepPolicy
	allow   []netip.Prefix
	self    netip.AddrPort
	errlog  *log.Logger
	verbose bool // pass goproxy's own log lines to errlog

	gp     *goproxy.ProxyHttpServer
	tr     *http.Transport
	dialer *loopGuardDialer
	leaves *leafCache
	ln     net.Listener
	srv    *http.Server

	mitm, blind, reject *goproxy.ConnectAction

	// hijackIdle closes hijacked client connections idle this long.
	hijackIdle time.Duration

	// hook is called at fixed points of an exchange; tests make it panic.
	hook func(hookPoint)

	// Client TLS handshakes completed with corscope's leaves, and those the
	// browser rejected: together they say whether the CA is trusted yet.
	tlsIntercepted, tlsRejected atomic.Uint64

	mu       sync.Mutex
	inflight map[*recording]struct{}
	hijacked map[*idleConn]struct{}
	refused  map[netip.Addr]bool // remote clients already logged
}

type hookPoint int

const (
	hookConnect hookPoint = iota
	hookRequest
	hookRoundTrip
	hookResponse
	hookResponseBody
)

type connKey struct{}

// maxHeaderBytes bounds a request head (request line and headers) from a
// client; larger heads get 431. It is Chromium's own limit for response
// heads, above what nginx (8 KiB lines), Node (16 KiB) or Apache accept,
// and far below net/http's 1 MiB default, which a hostile client could
// make the proxy hold per connection.
const maxHeaderBytes = 256 << 10

// Listen validates cfg, loads the CA and binds the listening socket, so a
// busy port is reported before anything else starts. Serve starts serving.
func Listen(cfg Config) (*Proxy, error) {
	addr := cfg.Listen
	if addr == "" {
		addr = DefaultListen
	}
	ca := cfg.CA
	if ca == nil {
		var err error
		if ca, err = LoadOrCreateCA(cfg.Home); err != nil {
			return nil, err
		}
	}
	tlsConf, err := upstreamTLSConfig(cfg.UpstreamCAFiles, cfg.InsecureUpstream)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, listenError(addr, err)
	}
	self, _ := addrPortOf(ln.Addr())

	p := &Proxy{
		ca:       ca,
		store:    cfg.Store,
		maxBody:  cfg.MaxBody,
		allow:    cfg.AllowRemote,
		self:     self,
		errlog:   cfg.ErrorLog,
		ln:       ln,
		leaves:   newLeafCache(ca, 0),
		inflight: make(map[*recording]struct{}),
		hijacked: make(map[*idleConn]struct{}),
		refused:  make(map[netip.Addr]bool),

		hijackIdle: hijackedIdleTimeout,
	}
	if p.store == nil {
		p.store = NewStore(0)
	}
	switch {
	case p.maxBody == 0:
		p.maxBody = DefaultMaxBody
	case p.maxBody < 0:
		p.maxBody = 0
	}
	p.keep = keepPolicy{max: p.maxBody, inline: cfg.InlineBody, spill: cfg.Spill}
	if p.keep.inline <= 0 {
		p.keep.inline = DefaultInlineBody
	}
	dialer := &loopGuardDialer{d: net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}, self: self}
	p.dialer = dialer
	p.tr = newUpstreamTransport(dialer.DialContext, tlsConf)

	gp := goproxy.NewProxyHttpServer()
	gp.Tr = p.tr
	// Tunnels dial through Tr.DialContext (the loop guard, no *_PROXY):
	// goproxy's default ConnectDial would chain through HTTPS_PROXY.
	gp.ConnectDial = nil
	gp.ConnectDialWithReq = nil
	gp.KeepAcceptEncoding = true
	gp.Logger = goproxyLog{p}
	gp.Verbose = false
	gp.CertStore = nil // leaves come from p.leaves via mitmTLSConfig
	gp.NonproxyHandler = http.HandlerFunc(notAProxyRequest)
	gp.OnRequest().HandleConnectFunc(p.handleConnect)
	gp.OnRequest().DoFunc(p.onRequest)
	p.gp = gp

	// Our own actions: goproxy's predefined ones carry its public CA.
	p.mitm = &goproxy.ConnectAction{Action: goproxy.ConnectMitm, TLSConfig: p.mitmTLSConfig}
	p.blind = &goproxy.ConnectAction{Action: goproxy.ConnectAccept}
	p.reject = &goproxy.ConnectAction{Action: goproxy.ConnectReject}

	p.srv = &http.Server{
		Handler:        p,
		MaxHeaderBytes: maxHeaderBytes,
		// Only header and idle limits: a write or read timeout would cut
		// SSE streams, long polls and large downloads. Hijacked
		// connections get idleConn's timeout instead.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ConnState:         p.connState,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	if p.errlog != nil {
		p.srv.ErrorLog = p.errlog
	}
	return p, nil
}

func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("cannot listen on %s: the address is already in use (is corscope already running?); choose another with --listen, e.g. --listen 127.0.0.1:0 for any free port", addr)
	}
	return fmt.Errorf("cannot listen on %s: %v; check --listen (host:port, e.g. 127.0.0.1:8080)", addr, err)
}

// TLSStats returns how many client TLS handshakes completed with corscope's
// certificates and how many the browser rejected (usually because it does
// not trust corscope's CA yet).
func (p *Proxy) TLSStats() (intercepted, rejected uint64) {
	return p.tlsIntercepted.Load(), p.tlsRejected.Load()
}

// Addr returns the address the proxy listens on, e.g. "127.0.0.1:8080".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Store returns the store the proxy records into.
func (p *Proxy) Store() *Store { return p.store }

// CA returns the CA the proxy signs with.
func (p *Proxy) CA() *CA { return p.ca }

// Serve accepts connections until Shutdown. It returns nil after a
// Shutdown and the accept error otherwise.
func (p *Proxy) Serve() error {
	err := p.srv.Serve(idleListener{Listener: p.ln, idle: p.hijackIdle, onClose: p.forgetConn})
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits, until ctx is done, for
// the exchanges in flight to finish. Exchanges still running then are
// recorded as failed and their connections closed. Flows are in the
// store when Shutdown returns.
func (p *Proxy) Shutdown(ctx context.Context) error {
	srvDone := make(chan struct{})
	go func() {
		_ = p.srv.Shutdown(ctx)
		close(srvDone)
	}()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	forced := false
wait:
	for {
		select {
		case <-ctx.Done():
			forced = true
			break wait
		case <-tick.C:
			p.mu.Lock()
			n := len(p.inflight)
			p.mu.Unlock()
			if n == 0 {
				select {
				case <-srvDone:
					break wait
				default:
				}
			}
		}
	}
	// Record what is still running first: closing the connections below
	// would otherwise make these flows look like client aborts.
	p.mu.Lock()
	recs := make([]*recording, 0, len(p.inflight))
	for r := range p.inflight {
		recs = append(recs, r)
	}
	p.mu.Unlock()
	for _, r := range recs {
		r.end(ErrProxy, "corscope was stopped before the exchange finished")
	}
	_ = p.srv.Close()
	p.mu.Lock()
	conns := make([]*idleConn, 0, len(p.hijacked))
	for c := range p.hijacked {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	p.tr.CloseIdleConnections()
	if forced {
		return ctx.Err()
	}
	return nil
}

// ServeHTTP refuses clients outside loopback and the allowed networks,
// then hands the request to goproxy with a recover around it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !p.clientAllowed(ap.Addr()) {
		p.refuseClient(w, r, ap.Addr())
		return
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			reason := p.recovered("proxy handler", v)
			// The response may be under way; if not, the client gets the
			// reason. Either way the connection survives.
			http.Error(w, "corscope: "+reason, http.StatusBadGateway)
		}
	}()
	p.gp.ServeHTTP(w, r)
	if c, ok := r.Context().Value(connKey{}).(*idleConn); ok && c.abortResponse.Swap(false) {
		// The upstream body broke off (a reset, a malformed chunk).
		// goproxy ignores the copy error and returns normally, and
		// net/http would then end a chunked response with a clean last
		// chunk: the browser would take a truncated body for a whole one.
		// Send what arrived, then drop the connection without the end
		// marker, as the server did.
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	}
}

func (p *Proxy) clientAllowed(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() {
		return true
	}
	for _, pfx := range p.allow {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

func (p *Proxy) refuseClient(w http.ResponseWriter, r *http.Request, a netip.Addr) {
	p.mu.Lock()
	first := !p.refused[a]
	if first && len(p.refused) < 1024 {
		p.refused[a] = true
	}
	p.mu.Unlock()
	if first {
		p.logf("corscope: refused a proxy client from %s: only loopback clients are accepted (allow it with --allow-remote %s)", r.RemoteAddr, hostPrefix(a))
	}
	w.Header().Set("Connection", "close")
	http.Error(w, fmt.Sprintf("corscope: this proxy only accepts clients on this machine; to allow %s, start corscope with --allow-remote %s", a, hostPrefix(a)), http.StatusForbidden)
}

func hostPrefix(a netip.Addr) string {
	if !a.IsValid() {
		return "CIDR"
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()).String()
}

func notAProxyRequest(w http.ResponseWriter, r *http.Request) {
	// The Server header lets 'corscope browser' recognise a running
	// corscope on the address it was given (see Running).
	w.Header().Set("Server", serverName)
	http.Error(w, "This is corscope, a recording proxy, not a web server. Set it as the browser's HTTP and HTTPS proxy (or run 'corscope browser') and browse as usual.", http.StatusBadRequest)
}

func (p *Proxy) connState(c net.Conn, s http.ConnState) {
	ic, ok := c.(*idleConn)
	if !ok || s != http.StateHijacked {
		return
	}
	p.mu.Lock()
	p.hijacked[ic] = struct{}{}
	p.mu.Unlock()
	ic.markHijacked()
}

func (p *Proxy) forgetConn(c *idleConn) {
	p.mu.Lock()
	delete(p.hijacked, c)
	p.mu.Unlock()
}

func (p *Proxy) track(r *recording) {
	p.mu.Lock()
	p.inflight[r] = struct{}{}
	p.mu.Unlock()
}

func (p *Proxy) untrack(r *recording) {
	p.mu.Lock()
	delete(p.inflight, r)
	p.mu.Unlock()
}

func (p *Proxy) callHook(at hookPoint) {
	if p.hook != nil {
		p.hook(at)
	}
}

// recovered logs a recovered panic with its stack and returns the reason
// recorded in the flow.
func (p *Proxy) recovered(where string, v any) string {
	p.logf("corscope: recovered from a panic in the %s: %v\n%s", where, v, debug.Stack())
	return (&panicError{v: v}).Error()
}

func (p *Proxy) logf(format string, v ...any) {
	if p.errlog != nil {
		p.errlog.Printf(format, v...)
	}
}
