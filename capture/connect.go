package capture

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/elazarl/goproxy"
)

// blindPorts are well-known ports of services that are not HTTP, or whose
// server speaks first. Intercepting them would leave the connection waiting
// for a request that never comes, so CONNECTs to them are tunnelled without
// inspection. Every other port is intercepted: browsers only CONNECT for
// https:// and wss:// URLs, and dev servers live on arbitrary ports.
var blindPorts = map[string]bool{
	"21": true, "22": true, "23": true, "25": true, "110": true, "143": true,
	"465": true, "587": true, "993": true, "995": true, "1433": true,
	"1521": true, "2181": true, "3306": true, "5432": true, "5672": true,
	"6379": true, "9092": true, "11211": true, "27017": true,
}

// handleConnect decides what to do with a CONNECT: refuse it when it
// would loop back to the proxy, tunnel it blind for non-HTTP ports, and
// intercept it otherwise.
func (p *Proxy) handleConnect(host string, ctx *goproxy.ProxyCtx) (action *goproxy.ConnectAction, newHost string) {
	defer func() {
		if v := recover(); v != nil {
			reason := p.recovered("CONNECT handler", v)
			p.recordConnectFailure(host, ctx.Req.RemoteAddr, ErrProxy, reason)
			ctx.Resp = textResponse(ctx.Req, http.StatusBadGateway, "corscope: "+reason)
			action, newHost = p.reject, host
		}
	}()
	p.callHook(hookConnect)
	hostname, port, err := net.SplitHostPort(host)
	if err != nil {
		hostname, port = host, "443"
		host = net.JoinHostPort(host, port)
	}
	if p.connectLoops(hostname, port) {
		reason := fmt.Sprintf("%s is corscope's own address: %v", host, errLoop)
		p.recordConnectFailure(host, ctx.Req.RemoteAddr, ErrProxy, reason)
		ctx.Resp = textResponse(ctx.Req, http.StatusLoopDetected, "corscope: "+reason)
		return p.reject, host
	}
	tun := &tunnel{target: host, client: ctx.Req.RemoteAddr}
	tun.conn, _ = ctx.Req.Context().Value(connKey{}).(*idleConn)
	ctx.UserData = tun
	if blindPorts[port] {
		return p.blind, host
	}
	if tun.conn != nil {
		client := tun.client
		tun.conn.guardTunnel(p.srv.ReadHeaderTimeout, func(kind ErrorKind, reason string) {
			p.recordConnectFailure(host, client, kind, reason)
		})
	}
	return p.mitm, host
}

// connectLoops reports whether a CONNECT target is, literally, the proxy's
// own listening address. Names that only resolve to it are caught when
// the upstream connection is dialled (loopGuardDialer).
func (p *Proxy) connectLoops(hostname, port string) bool {
	if port != fmt.Sprint(p.self.Port()) {
		return false
	}
	h := normalizeHost(hostname)
	if ip, err := netip.ParseAddr(h); err == nil {
		ip = ip.Unmap()
		return ip == p.self.Addr() || (p.self.Addr().IsUnspecified() || p.self.Addr().IsLoopback()) && ip.IsLoopback()
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return p.self.Addr().IsLoopback() || p.self.Addr().IsUnspecified()
	}
	return false
}

// mitmTLSConfig gives the browser a leaf for the name it asked for (SNI,
// or the CONNECT host for IP literals, which carry no SNI) and notes what
// the handshake settled on for the flows of this tunnel.
func (p *Proxy) mitmTLSConfig(host string, ctx *goproxy.ProxyCtx) (*tls.Config, error) {
	tun, _ := ctx.UserData.(*tunnel)
	fallback, _, err := net.SplitHostPort(host)
	if err != nil {
		fallback = host
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				name = fallback
			}
			return p.leaves.get(name)
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			p.tlsIntercepted.Add(1)
			if tun != nil && tun.conn != nil {
				tun.conn.setupDone()
			}
			if tun != nil {
				tun.tls.Store(&TLSInfo{
					ServerName: cs.ServerName,
					Version:    tls.VersionName(cs.Version),
					ALPN:       cs.NegotiatedProtocol,
				})
			}
			return nil
		},
	}, nil
}

// recordConnectFailure records a CONNECT that never carried a request: a
// refused loop, or a browser that rejected corscope's certificate.
func (p *Proxy) recordConnectFailure(target, client string, kind ErrorKind, reason string) {
	now := time.Now()
	p.store.Add(Flow{
		State: StateFailed,
		Request: Request{
			Method: http.MethodConnect,
			URL:    "https://" + target,
			Proto:  "HTTP/1.1",
			Header: Headers{{Name: "Host", Value: target}},
		},
		Timings:    Timings{Start: now, End: now},
		ClientAddr: client,
		Error:      reason,
		ErrorKind:  kind,
	})
}

// goproxyLog receives goproxy's log lines. Most are noise for a user (a
// client that went away mid-copy), but one matters a lot: "Cannot
// handshake client" is the only sign that the browser rejected corscope's
// certificate, usually because the CA is not trusted yet. That one becomes
// a failed flow saying what to do.
type goproxyLog struct{ p *Proxy }

func (l goproxyLog) Printf(format string, v ...any) {
	if strings.Contains(format, "Cannot handshake client") && len(v) >= 3 {
		host, _ := v[1].(string)
		err, _ := v[2].(error)
		l.p.clientHandshakeFailed(host, err)
		return
	}
	if strings.Contains(format, "Cannot read request from mitm'd client") && len(v) >= 3 {
		host, _ := v[1].(string)
		err, _ := v[2].(error)
		l.p.tunnelRequestUnreadable(host, err)
		return
	}
	if l.p.verbose {
		l.p.logf("goproxy: "+strings.TrimSuffix(format, "\n"), v...)
	}
}

func (p *Proxy) clientHandshakeFailed(host string, err error) {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed) {
		// A speculative connection the browser closed unused.
		return
	}
	if errors.Is(err, errSetupTimeout) || errors.Is(err, errHeadTooLarge) {
		return // recorded by the tunnel guard
	}
	if isTimeout(err) {
		p.recordConnectFailure(host, "", ErrTimeout, fmt.Sprintf("the client opened a tunnel to %s but its TLS handshake stalled until the idle timeout; corscope closed the connection", host))
		return
	}
	msg := err.Error()
	var reason string
	switch {
	case !strings.Contains(msg, "remote error"):
		// The client did not reject anything: what it sent was not a
		// ClientHello corscope could read (garbage, a truncated or
		// corrupt record, no version in common).
		reason = fmt.Sprintf("the client's TLS handshake for %s could not be understood (%s): it is not a TLS client corscope can talk to, or its bytes were corrupted; corscope closed the connection", host, truncateReason(msg, 200))
	case strings.Contains(msg, "unknown certificate authority"), strings.Contains(msg, "bad certificate"),
		strings.Contains(msg, "certificate unknown"), strings.Contains(msg, "unknown ca"):
		p.tlsRejected.Add(1)
		reason = fmt.Sprintf("the browser rejected corscope's certificate for %s (%s): it does not trust corscope's CA yet; run 'corscope ca' to see how to trust it, or start the browser with 'corscope browser'", host, msg)
	default:
		reason = fmt.Sprintf("the TLS handshake with the browser for %s failed (%s); if the browser showed a certificate error, it does not trust corscope's CA yet: run 'corscope ca' to see how to trust it", host, msg)
	}
	p.recordConnectFailure(host, "", ErrTLS, reason)
}

// tunnelRequestUnreadable records an intercepted tunnel whose bytes were
// not an HTTP request: garbage after the CONNECT, or a TLS stream that
// broke. A connection that merely closed or went idle is not a failure,
// and the tunnel guard records its own cut-offs.
func (p *Proxy) tunnelRequestUnreadable(host string, err error) {
	if err == nil || connectionEnded(err) || errors.Is(err, errHeadTooLarge) || errors.Is(err, errSetupTimeout) {
		return
	}
	msg := err.Error()
	if strings.Contains(msg, "tls: ") {
		p.recordConnectFailure(host, "", ErrTLS, fmt.Sprintf("the TLS stream from the client inside the tunnel to %s broke (%s); corscope closed the connection", host, msg))
		return
	}
	p.recordConnectFailure(host, "", ErrOther, fmt.Sprintf("the client sent bytes inside the tunnel to %s that are neither TLS nor an HTTP request (%s); corscope closed the connection. A browser only sends TLS after CONNECT: is something else using corscope as its proxy?", host, truncateReason(msg, 200)))
}

// connectionEnded reports whether err only says the connection closed,
// was reset or timed out.
func connectionEnded(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || isTimeout(err)
}

func truncateReason(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// textResponse is a small plain-text response.
func textResponse(req *http.Request, status int, text string) *http.Response {
	resp := errorResponse(req, "")
	body := text + "\n"
	resp.StatusCode = status
	resp.Status = fmt.Sprintf("%d %s", status, http.StatusText(status))
	resp.Header.Set("Content-Length", fmt.Sprint(len(body)))
	resp.ContentLength = int64(len(body))
	resp.Body = io.NopCloser(strings.NewReader(body))
	return resp
}
