package capture

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"time"
)

// newUpstreamTransport returns the Transport the proxy uses towards
// servers. Compared with goproxy's default it keeps a real idle pool per
// host (the default of 2 re-dials on every burst), has dial and handshake
// timeouts, ignores *_PROXY environment variables (a silent chain through
// another proxy would confuse a debugging session), verifies certificates,
// and never asks for or decodes compression on the browser's behalf.
func newUpstreamTransport(dial func(ctx context.Context, network, addr string) (net.Conn, error), tlsConf *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		DialContext:         dial,
		TLSClientConfig:     tlsConf,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		// Wait for the server's 100 Continue like a browser-facing
		// server would, but not forever.
		ExpectContinueTimeout: time.Second,
		// With KeepAcceptEncoding on the proxy, the browser's own
		// Accept-Encoding goes upstream and the encoded body comes back
		// untouched, with its Content-Encoding and Content-Length.
		DisableCompression: true,
		// Talk HTTP/2 upstream when the server offers it, as the browser
		// would; the flow records the upstream protocol.
		ForceAttemptHTTP2: true,
		// No ResponseHeaderTimeout: long polls legitimately wait.

		// Chromium fails a response whose head exceeds 256 KiB
		// (net::ERR_RESPONSE_HEADERS_TOO_BIG); net/http would hold up to
		// 10 MiB of a hostile server's headers per request.
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
	}
}

// maxResponseHeaderBytes is Chromium's limit on a response head.
const maxResponseHeaderBytes = 256 << 10

// upstreamTLSConfig verifies servers against the system roots plus the PEM
// files given, or not at all when insecure is set.
func upstreamTLSConfig(caFiles []string, insecure bool) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if insecure {
		conf.InsecureSkipVerify = true
		return conf, nil
	}
	if len(caFiles) == 0 {
		return conf, nil // nil RootCAs means the system roots
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range caFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cannot read --upstream-ca %s: %w", f, err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("--upstream-ca %s holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)", f)
		}
	}
	conf.RootCAs = pool
	return conf, nil
}

// loopGuardDialer dials upstream and refuses connections that land on the
// proxy's own listening address, whatever name led there.
type loopGuardDialer struct {
	d    net.Dialer
	self netip.AddrPort // the listener's address
}

func (g *loopGuardDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := g.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if g.isSelf(c) {
		c.Close()
		return nil, errLoop
	}
	return c, nil
}

func (g *loopGuardDialer) isSelf(c net.Conn) bool {
	remote, ok := addrPortOf(c.RemoteAddr())
	if !ok || remote.Port() != g.self.Port() {
		return false
	}
	ip := remote.Addr()
	if ip == g.self.Addr() {
		return true
	}
	if !g.self.Addr().IsUnspecified() {
		return false
	}
	// Listening on every address: any loopback address, or any address
	// of this machine (a connection to oneself has local == remote IP),
	// on our port is us.
	local, _ := addrPortOf(c.LocalAddr())
	return ip.IsLoopback() || ip == local.Addr()
}

func addrPortOf(a net.Addr) (netip.AddrPort, bool) {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}
