package capture

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var (
	caOnce   sync.Once
	caShared *CA
	caErr    error
	caDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if caDir != "" {
		os.RemoveAll(caDir)
	}
	if code == 0 {
		// Every proxy a test started has been shut down by now: nothing
		// it started may still run.
		if err := goleak.Find(goleak.IgnoreCurrent()); err != nil {
			os.Stderr.WriteString("goroutines leaked: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// noLeaks fails t when goroutines started during the test still run after
// its cleanups (proxy shutdown, servers closed, client pools emptied).
// Call it first in the test: cleanups run last-registered first, so this
// check runs after all the others.
func noLeaks(t *testing.T) {
	t.Helper()
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

// testCA is one CA shared by the package's tests (making one is cheap, but
// sharing keeps the tests about the proxy rather than the CA).
func testCA(t testing.TB) *CA {
	t.Helper()
	caOnce.Do(func() {
		caDir, caErr = os.MkdirTemp("", "corscope-ca-test-")
		if caErr == nil {
			caShared, caErr = LoadOrCreateCA(caDir)
		}
	})
	if caErr != nil {
		t.Fatal(caErr)
	}
	return caShared
}

// startProxy starts a proxy on a free loopback port; it is shut down when
// the test ends.
func startProxy(t testing.TB, mod func(*Config)) *Proxy {
	t.Helper()
	return startProxyTuned(t, mod, nil)
}

// startProxyTuned is startProxy with a chance to change the proxy's
// server limits and timeouts (tune) before it starts serving.
func startProxyTuned(t testing.TB, mod func(*Config), tune func(*Proxy)) *Proxy {
	t.Helper()
	cfg := Config{Listen: "127.0.0.1:0", CA: testCA(t), Store: NewStore(0)}
	if mod != nil {
		mod(&cfg)
	}
	p, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tune != nil {
		tune(p)
	}
	served := make(chan error, 1)
	go func() { served <- p.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		p.Shutdown(ctx)
		if err := <-served; err != nil {
			t.Errorf("Serve returned %v", err)
		}
	})
	return p
}

// trustOnly returns a pool holding exactly the given certificates.
func trustOnly(certs ...*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}

// clientVia returns a client that uses p as its HTTP and HTTPS proxy and
// trusts only corscope's CA, like a browser set up for corscope.
func clientVia(t testing.TB, p *Proxy) *http.Client {
	t.Helper()
	proxyURL, _ := url.Parse("http://" + p.Addr())
	tr := &http.Transport{
		Proxy:                 http.ProxyURL(proxyURL),
		TLSClientConfig:       &tls.Config{RootCAs: trustOnly(p.CA().Certificate.Leaf)},
		DisableCompression:    true,
		MaxIdleConnsPerHost:   64,
		ExpectContinueTimeout: 5 * time.Second,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// upstreamCAFile writes srv's certificate to a file for --upstream-ca.
func upstreamCAFile(t testing.TB, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "upstream-ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// mode is the path a test request takes through the proxy.
type mode struct {
	name string
	tls  bool // https upstream, so the client CONNECTs and the proxy intercepts
}

var bothModes = []mode{{name: "plain"}, {name: "mitm", tls: true}}

// upstream starts srv in mode m (TLS or not) and a proxy that trusts it.
func upstream(t *testing.T, m mode, h http.Handler, mod func(*Config)) (*httptest.Server, *Proxy) {
	t.Helper()
	var srv *httptest.Server
	if m.tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	p := startProxy(t, func(c *Config) {
		if m.tls {
			c.UpstreamCAFiles = []string{upstreamCAFile(t, srv)}
		}
		if mod != nil {
			mod(c)
		}
	})
	return srv, p
}

// waitFlow waits until the store holds a finished flow for which match is
// true, and returns it.
func waitFlow(t testing.TB, s *Store, match func(Flow) bool) Flow {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, f := range s.Snapshot() {
			if f.Finished() && match(f) {
				return f
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no finished flow matched; store holds %d flows:\n%s", s.Len(), dumpFlows(s))
	return Flow{}
}

func dumpFlows(s *Store) string {
	var out string
	for _, f := range s.Snapshot() {
		out += "  " + f.State.String() + " " + FormatLine(f) + "\n"
	}
	return out
}

func byURL(u string) func(Flow) bool {
	return func(f Flow) bool { return f.Request.URL == u }
}

// freePort returns a loopback port nothing listens on.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
