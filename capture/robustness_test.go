package capture

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/coder/websocket"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestInsecureUpstreamAcceptsAnUntrustedServer(t *testing.T) {
	untrusted := httptest.NewTLSServer(http.HandlerFunc(echoHandler))
	defer untrusted.Close()
	p := startProxy(t, func(c *Config) { c.InsecureUpstream = true })
	resp, err := clientVia(t, p).Get(untrusted.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "GET " {
		t.Fatalf("with --insecure-upstream got %d %q", resp.StatusCode, body)
	}
}

func TestUpstreamCAFileErrorsAreClear(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"missing", "", "cannot read --upstream-ca"},
		{"not-pem", "hello", "holds no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := t.TempDir() + "/ca.pem"
			if tc.content != "" {
				if err := writeFileAtomic(path, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Listen(Config{Listen: "127.0.0.1:0", CA: testCA(t), UpstreamCAFiles: []string{path}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestHTTP2UpstreamIsRecordedWithItsProtocol(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// No Content-Length: an h2 response of unknown length must still
		// reach the HTTP/1.1 client intact.
		w.Header().Set("Content-Type", "application/x-ndjson")
		io.WriteString(w, `{"proto":"`+r.Proto+`"}`+"\n")
		w.(http.Flusher).Flush()
		io.WriteString(w, `{"end":true}`+"\n")
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	p := startProxy(t, func(c *Config) { c.UpstreamCAFiles = []string{upstreamCAFile(t, srv)} })
	resp, err := clientVia(t, p).Get(srv.URL + "/h2")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `{"proto":"HTTP/2.0"}` + "\n" + `{"end":true}` + "\n"; string(body) != want {
		t.Fatalf("client got %q, want %q", body, want)
	}
	f := waitFlow(t, p.Store(), byURL(srv.URL+"/h2"))
	if f.Request.Proto != "HTTP/1.1" || f.Response.Proto != "HTTP/2.0" {
		t.Fatalf("recorded protocols: client %s, upstream %s", f.Request.Proto, f.Response.Proto)
	}
}

func TestGarbageOnTheProxyPortGetsAnErrorAndTheProxyLivesOn(t *testing.T) {
	noLeaks(t)
	srv, p := upstream(t, mode{}, http.HandlerFunc(echoHandler), nil)
	for _, tc := range []struct {
		garbage string
		status  int
	}{
		{"\x16\x03\x01\x00\x05hello\r\n\r\n", 400}, // TLS straight at the proxy
		{"GARBAGE\r\n\r\n", 400},
		{"\x00\xff\xfe\r\n\r\n", 400},
		{"GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
		{"GET http://x/ HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400},
		{"GET http://x/ HTTP/9.9\r\nHost: x\r\n\r\n", 505},
		{strings.Repeat("A", 2<<20), 431}, // no end of headers
	} {
		conn, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		go io.WriteString(conn, tc.garbage)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Errorf("garbage %.20q: no response (%v), want %d", tc.garbage, err, tc.status)
		} else if resp.StatusCode != tc.status {
			t.Errorf("garbage %.20q got %d, want %d", tc.garbage, resp.StatusCode, tc.status)
		}
		conn.Close()
	}
	if n := p.Store().Len(); n != 0 {
		t.Errorf("garbage was recorded as %d flows:\n%s", n, dumpFlows(p.Store()))
	}
	resp, err := clientVia(t, p).Get(srv.URL + "/after-garbage")
	if err != nil {
		t.Fatalf("proxy dead after garbage: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d after garbage", resp.StatusCode)
	}
}

func TestIdleHijackedConnectionsAreClosed(t *testing.T) {
	// A server that accepts and then says nothing.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	blindPorts[port] = true
	defer delete(blindPorts, port)

	p, err := Listen(Config{Listen: "127.0.0.1:0", CA: testCA(t)})
	if err != nil {
		t.Fatal(err)
	}
	p.hijackIdle = 300 * time.Millisecond
	served := make(chan error, 1)
	go func() { served <- p.Serve() }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p.Shutdown(ctx)
		<-served
	}()

	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", ln.Addr(), ln.Addr())
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = br.ReadByte()
	if err == nil {
		t.Fatal("read a byte from a silent tunnel")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("idle tunnel still open after %v (idle timeout 300ms)", d)
	}
}

// --- Hostile input (issue 7). Each test drives the real proxy over
// loopback sockets and then checks three things: the proxy still serves a
// normal request, it recorded what happened where there was something to
// record, and no goroutine outlives the test.

// proxyStillServes makes an ordinary request through p on a fresh
// connection and fails t unless it gets the upstream's answer.
func proxyStillServes(t *testing.T, p *Proxy) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer srv.Close()
	c := clientVia(t, p)
	resp, err := c.Post(srv.URL+"/still-alive", "text/plain", strings.NewReader("ok"))
	if err != nil {
		t.Fatalf("the proxy no longer serves: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.Transport.(*http.Transport).CloseIdleConnections()
	if resp.StatusCode != 200 || string(body) != "POST ok" {
		t.Fatalf("the proxy no longer serves: %d %q", resp.StatusCode, body)
	}
}

// dialProxy opens a raw connection to p, closed when the test ends.
func dialProxy(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// openTunnel sends CONNECT target through a raw connection and returns it
// once the proxy has answered 200.
func openTunnel(t *testing.T, p *Proxy, target string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn := dialProxy(t, p)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT %s: %v %v", target, resp, err)
	}
	return conn, br
}

// closedWithin reads from conn until the proxy closes it and fails t
// unless that happens within limit. It returns how long it took.
func closedWithin(t *testing.T, conn net.Conn, r io.Reader, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	conn.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, r)
	took := time.Since(start)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the proxy kept the connection open for more than %v", limit)
	}
	return took
}

func TestSlowlorisClientIsCutByTheHeaderTimeoutWhileOthersAreServed(t *testing.T) {
	noLeaks(t)
	var reached atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		echoHandler(w, r)
	}))
	defer srv.Close()
	const headerTimeout = 500 * time.Millisecond
	p := startProxyTuned(t, nil, func(p *Proxy) { p.srv.ReadHeaderTimeout = headerTimeout })

	slow := dialProxy(t, p)
	head := "GET " + srv.URL + "/slow HTTP/1.1\r\nHost: " + srv.Listener.Addr().String() + "\r\nX-Slow: " + strings.Repeat("a", 200) + "\r\n\r\n"
	trickled := make(chan int, 1)
	go func() {
		// One byte every 20 ms: the whole head would take 5 s.
		n := 0
		for ; n < len(head); n++ {
			if _, err := slow.Write([]byte{head[n]}); err != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		trickled <- n
	}()

	// Meanwhile other clients are served without waiting for it.
	c := clientVia(t, p)
	for i := range 10 {
		start := time.Now()
		resp, err := c.Get(fmt.Sprintf("%s/other/%d", srv.URL, i))
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		if d := time.Since(start); d > time.Second {
			t.Errorf("request %d took %v while a slowloris client was connected", i, d)
		}
		time.Sleep(20 * time.Millisecond)
	}

	took := closedWithin(t, slow, slow, 5*time.Second)
	if took > 4*headerTimeout {
		t.Errorf("slowloris connection closed after %v, want about the header timeout %v", took, headerTimeout)
	}
	slow.Close()
	if n := <-trickled; n >= len(head) {
		t.Fatalf("the slow client sent its whole head (%d bytes) before being cut", n)
	}
	if got := reached.Load(); got != 10 {
		t.Fatalf("upstream saw %d requests, want the 10 normal ones and not the slow one", got)
	}
	for _, f := range p.Store().Snapshot() {
		if strings.HasSuffix(f.Request.URL, "/slow") {
			t.Fatalf("an incomplete request head was recorded: %s", FormatLine(f))
		}
	}
	proxyStillServes(t, p)
}

func TestMegabyteHeaderLineGets431(t *testing.T) {
	noLeaks(t)
	var reached atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}))
	defer srv.Close()
	p := startProxy(t, nil)
	conn := dialProxy(t, p)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	go fmt.Fprintf(conn, "GET %s/big HTTP/1.1\r\nHost: %s\r\nX-Big: %s\r\n\r\n", srv.URL, srv.Listener.Addr(), strings.Repeat("b", 1<<20))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response to a 1 MiB header line: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a 1 MiB header line got %d, want 431", resp.StatusCode)
	}
	if reached.Load() != 0 {
		t.Fatal("the oversized request reached the upstream")
	}
	proxyStillServes(t, p)
}

// rawResponse is an upstream handler that answers with exactly raw,
// bypassing net/http's framing, and then closes the connection.
func rawResponse(raw string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, bw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		bw.WriteString(raw)
		bw.Flush()
	}
}

func TestInvalidChunkedBodyFromUpstreamIsAFailedFlowAndTheClientSeesItBroken(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"5\r\nhello\r\nZZZ\r\nnot a chunk\r\n"
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			noLeaks(t)
			srv, p := upstream(t, m, rawResponse(raw), nil)
			c := clientVia(t, p)
			resp, err := c.Get(srv.URL + "/chunks")
			if err != nil {
				t.Fatalf("the client got no response headers: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "hello" {
				t.Errorf("client got %d %q, want 200 and the good chunk %q", resp.StatusCode, body, "hello")
			}
			if err == nil {
				t.Error("the client saw a complete body: a broken upstream body must stay broken, not end cleanly")
			}
			f := waitFlow(t, p.Store(), byURL(srv.URL+"/chunks"))
			if f.State != StateFailed || !strings.Contains(f.Error, "malformed chunked body") {
				t.Errorf("flow %v %q %q, want failed with a reason naming the chunked encoding", f.State, f.ErrorKind, f.Error)
			}
			if f.Response == nil || f.Response.Status != 200 || f.Response.Body.Size != 5 {
				t.Errorf("flow response %+v, want the 200 and the 5 good bytes", f.Response)
			}
			proxyStillServes(t, p)
		})
	}
}

func TestEndlessUpstreamStreamsToTheClientWhileTheRecordingIsCapped(t *testing.T) {
	const maxBody = 64 << 10
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			noLeaks(t)
			stop := make(chan struct{})
			var once sync.Once
			defer once.Do(func() { close(stop) })
			chunk := bytes.Repeat([]byte("0123456789abcdef"), 2048) // 32 KiB
			srv, p := upstream(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/octet-stream")
				for {
					select {
					case <-stop:
						return
					case <-r.Context().Done():
						return
					default:
					}
					if _, err := w.Write(chunk); err != nil {
						return
					}
					w.(http.Flusher).Flush()
				}
			}), func(c *Config) { c.MaxBody = maxBody })
			resp, err := clientVia(t, p).Get(srv.URL + "/endless")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			const want = 8 << 20
			n, err := io.CopyN(io.Discard, resp.Body, want)
			if err != nil {
				t.Fatalf("the stream stopped after %d bytes: %v", n, err)
			}
			var live Flow
			for _, f := range p.Store().Snapshot() {
				if f.Request.URL == srv.URL+"/endless" {
					live = f
				}
			}
			if live.State != StateHeaders {
				t.Fatalf("a running stream is recorded as %v, want %v", live.State, StateHeaders)
			}
			once.Do(func() { close(stop) })
			rest, err := io.Copy(io.Discard, resp.Body)
			if err != nil {
				t.Fatalf("the stream did not end cleanly: %v", err)
			}
			f := waitFlow(t, p.Store(), byURL(srv.URL+"/endless"))
			b := f.Response.Body
			if f.State != StateDone || b.Size != n+rest || b.Kept() != maxBody || !b.Truncated {
				t.Fatalf("recorded %v size %d kept %d truncated %v; want done, size %d, %d kept, truncated",
					f.State, b.Size, b.Kept(), b.Truncated, n+rest, maxBody)
			}
			proxyStillServes(t, p)
		})
	}
}

// tlsVia returns conn upgraded to TLS as a browser trusting corscope's CA
// would do inside a tunnel to host.
func tlsVia(t *testing.T, p *Proxy, conn net.Conn, br *bufio.Reader, host string) *tls.Conn {
	t.Helper()
	name, _, _ := net.SplitHostPort(host)
	tc := tls.Client(&readBufferedConn{Conn: conn, r: br}, &tls.Config{
		ServerName: name,
		RootCAs:    trustOnly(p.CA().Certificate.Leaf),
	})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS through the tunnel: %v", err)
	}
	return tc
}

// readBufferedConn reads through r (which may hold bytes already read
// from Conn) and writes straight to Conn.
type readBufferedConn struct {
	net.Conn
	r io.Reader
}

func (c *readBufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestClientDisconnectingMidUploadIsRecordedAsAClientAbort(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			noLeaks(t)
			gotSome := make(chan struct{})
			var once sync.Once
			srv, p := upstream(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				buf := make([]byte, 1024)
				if _, err := io.ReadFull(r.Body, buf); err == nil {
					once.Do(func() { close(gotSome) })
				}
				io.Copy(io.Discard, r.Body)
			}), nil)
			u, _ := url.Parse(srv.URL + "/upload")
			var client net.Conn
			if m.tls {
				conn, br := openTunnel(t, p, u.Host)
				client = tlsVia(t, p, conn, br, u.Host)
			} else {
				client = dialProxy(t, p)
			}
			target := u.String()
			if m.tls {
				target = u.RequestURI()
			}
			const sent = 64 << 10
			fmt.Fprintf(client, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", target, u.Host, 1<<20)
			if _, err := client.Write(bytes.Repeat([]byte("u"), sent)); err != nil {
				t.Fatal(err)
			}
			select {
			case <-gotSome:
			case <-time.After(5 * time.Second):
				t.Fatal("the upload never reached the upstream")
			}
			client.Close() // the user closed the tab mid-upload

			f := waitFlow(t, p.Store(), byURL(srv.URL+"/upload"))
			if f.State != StateFailed || f.ErrorKind != ErrClientAbort || !strings.Contains(f.Error, "request body") {
				t.Fatalf("flow %v %q %q, want a client abort during the request body", f.State, f.ErrorKind, f.Error)
			}
			if f.Request.Body.Size != sent {
				t.Errorf("recorded a request body of %d bytes, want the %d the client sent", f.Request.Body.Size, sent)
			}
			proxyStillServes(t, p)
		})
	}
}

func TestClientDisconnectingMidDownloadIsRecordedAsAClientAbort(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			noLeaks(t)
			// A large body with a known length: the proxy is blocked
			// writing it when the client goes away.
			big := bytes.Repeat([]byte("d"), 32<<20)
			srv, p := upstream(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(len(big)))
				w.Write(big)
			}), nil)
			u, _ := url.Parse(srv.URL + "/download")
			var client net.Conn
			target := u.String()
			if m.tls {
				conn, br := openTunnel(t, p, u.Host)
				client = tlsVia(t, p, conn, br, u.Host)
				target = u.RequestURI()
			} else {
				client = dialProxy(t, p)
			}
			fmt.Fprintf(client, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, u.Host)
			resp, err := http.ReadResponse(bufio.NewReader(client), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.CopyN(io.Discard, resp.Body, 1<<20); err != nil {
				t.Fatal(err)
			}
			client.Close()

			f := waitFlow(t, p.Store(), byURL(srv.URL+"/download"))
			if f.State != StateFailed || f.ErrorKind != ErrClientAbort {
				t.Fatalf("flow %v %q %q, want a client abort", f.State, f.ErrorKind, f.Error)
			}
			if f.Response == nil || f.Response.Body.Size < 1<<20 || f.Response.Body.Size >= int64(len(big)) {
				t.Errorf("recorded response %+v, want part of the body counted", f.Response)
			}
			proxyStillServes(t, p)
		})
	}
}

func TestGarbageInsideAConnectTunnelIsRecordedAndCutOff(t *testing.T) {
	const headerTimeout = 500 * time.Millisecond
	for _, tc := range []struct {
		name     string
		send     string
		kind     ErrorKind
		reason   string
		deadline time.Duration // how soon the proxy must close the tunnel
	}{
		{"bytes neither TLS nor HTTP", "\x00\x01\x02\x03 not a request\r\n\r\n", ErrOther, "neither TLS nor an HTTP request", time.Second},
		{"ClientHello of garbage", "\x16\x03\x01\x00\x40" + strings.Repeat("\xff", 64), ErrTLS, "could not be understood", time.Second},
		{"oversized TLS record", "\x16\x03\x01\xff\xff" + strings.Repeat("\x01", 100), ErrTLS, "could not be understood", time.Second},
		{"ClientHello cut short, then silence", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ErrTimeout, "did not complete its TLS handshake", 4 * headerTimeout},
		{"silence after CONNECT", "", ErrTimeout, "did not complete its TLS handshake", 4 * headerTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			srv := httptest.NewTLSServer(http.HandlerFunc(echoHandler))
			defer srv.Close()
			p := startProxyTuned(t, nil, func(p *Proxy) { p.srv.ReadHeaderTimeout = headerTimeout })
			host := srv.Listener.Addr().String()
			conn, br := openTunnel(t, p, host)
			io.WriteString(conn, tc.send)
			took := closedWithin(t, conn, br, 5*time.Second)
			if took > tc.deadline {
				t.Errorf("the proxy closed the tunnel after %v, want within %v", took, tc.deadline)
			}
			f := waitFlow(t, p.Store(), func(f Flow) bool { return f.Request.Method == "CONNECT" })
			if f.State != StateFailed || f.ErrorKind != tc.kind || !strings.Contains(f.Error, tc.reason) || f.Request.URL != "https://"+host {
				t.Errorf("recorded %v %s %q %q, want a failed CONNECT to %s of kind %q saying %q", f.State, f.Request.URL, f.ErrorKind, f.Error, host, tc.kind, tc.reason)
			}
			if n := p.Store().Len(); n != 1 {
				t.Errorf("recorded %d flows, want 1:\n%s", n, dumpFlows(p.Store()))
			}
			proxyStillServes(t, p)
		})
	}
}

func TestHugeRequestHeadInsideATunnelIsCutOffBeforeItFillsMemory(t *testing.T) {
	noLeaks(t)
	var reached atomic.Int32
	srv, p := upstream(t, mode{tls: true}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}), nil)
	host := srv.Listener.Addr().String()
	conn, br := openTunnel(t, p, host)
	tc := tlsVia(t, p, conn, br, host)
	var tunnelConn *idleConn
	p.mu.Lock()
	for c := range p.hijacked {
		tunnelConn = c
	}
	p.mu.Unlock()
	// 64 MiB of one header line: the proxy must stop reading long before.
	const line = 64 << 20
	sent := make(chan int64, 1)
	go func() {
		n, _ := fmt.Fprintf(tc, "GET /big HTTP/1.1\r\nHost: %s\r\nX-Big: ", host)
		m, _ := io.CopyN(tc, neverEnding('b'), line)
		sent <- int64(n) + m
	}()
	closedWithin(t, conn, tc, 10*time.Second)
	if n := <-sent; n >= line {
		t.Fatalf("the client wrote all %d bytes of one header line", n)
	}
	// What the client managed to write includes what the kernel buffered
	// on both sides of the socket; what the proxy read is the guard's count.
	tunnelConn.guard.mu.Lock()
	read := tunnelConn.guard.headBytes
	tunnelConn.guard.mu.Unlock()
	if read > headBudget+64<<10 {
		t.Errorf("the proxy read %d bytes of one request head, want at most about %d", read, headBudget)
	}
	t.Logf("the proxy read %d bytes of the head before cutting it off (budget %d)", read, headBudget)
	f := waitFlow(t, p.Store(), func(f Flow) bool { return f.Request.Method == "CONNECT" })
	if f.ErrorKind != ErrOther || !strings.Contains(f.Error, "request head larger than 256 KiB") {
		t.Errorf("recorded %q %q", f.ErrorKind, f.Error)
	}
	if reached.Load() != 0 {
		t.Error("the oversized request reached the upstream")
	}
	proxyStillServes(t, p)
}

// neverEnding is an endless reader of one byte value.
type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestTunnelGuardLetsLongKeepAliveTunnelsAndBigUploadsThrough(t *testing.T) {
	noLeaks(t)
	srv, p := upstream(t, mode{tls: true}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/refuse" {
			// Answer without reading the upload: the rest of the body
			// is drained from the tunnel, and is not a request head.
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, n)
	}), func(c *Config) { c.MaxBody = 1 << 10 })
	c := clientVia(t, p)
	c.Transport.(*http.Transport).MaxConnsPerHost = 1 // one tunnel for everything
	hdr := strings.Repeat("h", 4<<10)
	do := func(method, path string, body io.Reader, want string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, body)
		req.Header.Set("X-Filler", hdr)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want != "" && string(got) != want {
			t.Fatalf("%s %s: got %q, want %q", method, path, got, want)
		}
	}
	// Far more head bytes over the tunnel's life than one head may have.
	for i := range 2 * headBudget / len(hdr) {
		do("GET", fmt.Sprintf("/%d", i), nil, "0")
	}
	// Uploads much larger than the head budget.
	do("POST", "/upload", bytes.NewReader(make([]byte, 8<<20)), fmt.Sprint(8<<20))
	do("PUT", "/refuse", bytes.NewReader(make([]byte, 2<<20)), "")
	do("GET", "/after", nil, "0")
	for _, f := range p.Store().Snapshot() {
		if f.State == StateFailed {
			t.Fatalf("the guard failed a legitimate exchange: %s %q", FormatLine(f), f.Error)
		}
	}
}

func TestTunnelGuardLetsWebSocketTrafficThrough(t *testing.T) {
	noLeaks(t)
	srv, p := upstream(t, mode{tls: true}, http.HandlerFunc(wsEcho), nil)
	proxyURL, _ := url.Parse("http://" + p.Addr())
	tr := &http.Transport{
		Proxy:           http.ProxyURL(proxyURL),
		TLSClientConfig: &tls.Config{RootCAs: trustOnly(p.CA().Certificate.Leaf)},
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https")+"/socket", &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	// Frames from the client are not request heads: several times the
	// head budget of them must pass.
	msg := bytes.Repeat([]byte("w"), 30<<10)
	for i := range 4 * headBudget / len(msg) {
		if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if _, got, err := c.Read(ctx); err != nil || len(got) != len(msg) {
			t.Fatalf("echo %d: %d bytes, %v", i, len(got), err)
		}
	}
	c.Close(websocket.StatusNormalClosure, "bye")
	f := waitFlow(t, p.Store(), func(f Flow) bool { return f.Upgraded })
	if f.State != StateDone {
		t.Fatalf("WebSocket flow %v %q", f.State, f.Error)
	}
}

func TestFailureReasonsForHostileAndExhaustedConditions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		kind   ErrorKind
		reason string
	}{
		{"out of descriptors", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", syscall.EMFILE)}, ErrProxy, "run out of file descriptors"},
		{"system out of descriptors", &url.Error{Op: "Get", URL: "http://a.test/", Err: &net.OpError{Op: "dial", Err: syscall.ENFILE}}, ErrProxy, "ulimit -n"},
		{"malformed chunk", errors.New("invalid byte in chunk length"), ErrOther, "malformed chunked body"},
		{"upstream cut short", io.ErrUnexpectedEOF, ErrReset, "closed the connection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, reason := classify(tc.err, "a.test:80", false)
			if kind != tc.kind || !strings.Contains(reason, tc.reason) || !strings.Contains(reason, "a.test:80") {
				t.Fatalf("classify(%v) = %q %q, want %q with %q and the host", tc.err, kind, reason, tc.kind, tc.reason)
			}
		})
	}
}

func TestClientLeavingBeforeTheResponseCancelsTheUpstreamRequest(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			noLeaks(t)
			arrived := make(chan struct{}, 1)
			cancelled := make(chan struct{}, 1)
			release := make(chan struct{})
			defer close(release)
			// A server stuck on the request (a breakpoint, a long poll):
			// it answers only when released, long after the client left.
			srv, p := upstream(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived <- struct{}{}
				select {
				case <-r.Context().Done():
					cancelled <- struct{}{}
				case <-release:
				}
			}), nil)
			u, _ := url.Parse(srv.URL + "/hung")
			var client net.Conn
			target := u.String()
			if m.tls {
				conn, br := openTunnel(t, p, u.Host)
				client = tlsVia(t, p, conn, br, u.Host)
				target = u.RequestURI()
			} else {
				client = dialProxy(t, p)
			}
			fmt.Fprintf(client, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, u.Host)
			<-arrived
			client.Close() // the user gave up and reloaded

			select {
			case <-cancelled:
			case <-time.After(5 * time.Second):
				t.Fatal("the upstream request was still pending 5 s after the client left")
			}
			f := waitFlow(t, p.Store(), byURL(srv.URL+"/hung"))
			if f.State != StateFailed || f.ErrorKind != ErrClientAbort {
				t.Fatalf("flow %v %q %q resp %+v timings %+v, want a client abort", f.State, f.ErrorKind, f.Error, f.Response, f.Timings)
			}
			proxyStillServes(t, p)
		})
	}
}

func TestHugeResponseHeadFromUpstreamIsAFailedFlowNotAMemoryHog(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("h", 1<<20) + "\r\nContent-Length: 2\r\n\r\nok"
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			noLeaks(t)
			srv, p := upstream(t, m, rawResponse(raw), nil)
			c := clientVia(t, p)
			resp, err := c.Get(srv.URL + "/bighead")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(body), "ERR_RESPONSE_HEADERS_TOO_BIG") {
				t.Errorf("client got %d %q, want a 502 saying why", resp.StatusCode, body)
			}
			f := waitFlow(t, p.Store(), byURL(srv.URL+"/bighead"))
			if f.State != StateFailed || !strings.Contains(f.Error, "larger than 256 KiB") {
				t.Errorf("flow %v %q %q", f.State, f.ErrorKind, f.Error)
			}
			proxyStillServes(t, p)
		})
	}
}

func TestWebSocketThroughATunnelRelaysBothWaysAtOnce(t *testing.T) {
	noLeaks(t)
	const each = 200
	srv, p := upstream(t, mode{tls: true}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		// The server talks first and keeps talking while it reads.
		wrote := make(chan struct{})
		go func() {
			defer close(wrote)
			for i := range each {
				if c.Write(ctx, websocket.MessageText, []byte(fmt.Sprint("s", i))) != nil {
					return
				}
			}
		}()
		for range each {
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
		<-wrote
		c.Close(websocket.StatusNormalClosure, "")
	}), nil)
	proxyURL, _ := url.Parse("http://" + p.Addr())
	tr := &http.Transport{
		Proxy:           http.ProxyURL(proxyURL),
		TLSClientConfig: &tls.Config{RootCAs: trustOnly(p.CA().Certificate.Leaf)},
	}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "wss"+strings.TrimPrefix(srv.URL, "https")+"/both", &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	sent := make(chan error, 1)
	go func() {
		for i := range each {
			if err := c.Write(ctx, websocket.MessageText, []byte(fmt.Sprint("c", i))); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	for i := range each {
		_, msg, err := c.Read(ctx)
		if err != nil || string(msg) != fmt.Sprint("s", i) {
			t.Fatalf("message %d from the server: %q %v", i, msg, err)
		}
	}
	if err := <-sent; err != nil {
		t.Fatalf("sending to the server: %v", err)
	}
}

func TestOddConnectTargetsDoNotHurtTheProxy(t *testing.T) {
	noLeaks(t)
	p := startProxy(t, nil)
	for _, target := range []string{
		":443", "[::1", "a b:443", "%00:443", "host:0", "host:99999", "host:-1", "xn--:443",
		strings.Repeat("a", 300) + ".test:443", "[::1%25lo]:1", "127.0.0.1", "[::]:0", "*:443",
	} {
		t.Run(target[:min(len(target), 20)], func(t *testing.T) {
			conn := dialProxy(t, p)
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				return // refused outright: fine
			}
			if resp.StatusCode != 200 {
				return
			}
			// Intercepted: the proxy must cope with a handshake for a
			// name it can hardly make a certificate for (no SNI, so the
			// CONNECT host is used).
			tc := tls.Client(&readBufferedConn{Conn: conn, r: br}, &tls.Config{InsecureSkipVerify: true})
			if err := tc.Handshake(); err == nil {
				fmt.Fprintf(tc, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", target)
				if resp, err := http.ReadResponse(bufio.NewReader(tc), nil); err == nil {
					resp.Body.Close()
				}
			}
			conn.Close()
		})
	}
	proxyStillServes(t, p)
}
