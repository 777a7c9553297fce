package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoHandler answers with the method, the request body, and a header
// that lists what it received, so a test can check both directions.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Upstream-Saw-Method", r.Method)
	w.Header().Set("X-Upstream-Saw-Origin", r.Header.Get("Origin"))
	w.Header().Add("Set-Cookie", "a=1")
	w.Header().Add("Set-Cookie", "b=2")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Origin", "http://app.test")
		w.Header().Set("Access-Control-Allow-Methods", "PUT")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "%s %s", r.Method, body)
}

func TestProxyRecordsRequestsAndResponsesWithHeadersAndBodies(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			srv, p := upstream(t, m, http.HandlerFunc(echoHandler), nil)
			c := clientVia(t, p)
			for _, tc := range []struct {
				method, body string
				wantStatus   int
				wantBody     string
			}{
				{"GET", "", 200, "GET "},
				{"POST", `{"name":"x"}`, 200, `POST {"name":"x"}`},
				{"OPTIONS", "", 204, ""},
			} {
				t.Run(tc.method, func(t *testing.T) {
					u := srv.URL + "/api/" + strings.ToLower(tc.method) + "?q=1"
					var body io.Reader
					if tc.body != "" {
						body = strings.NewReader(tc.body)
					}
					req, _ := http.NewRequest(tc.method, u, body)
					req.Header.Set("Origin", "http://app.test")
					req.Header.Add("X-Multi", "one")
					req.Header.Add("X-Multi", "two")
					if tc.method == "OPTIONS" {
						req.Header.Set("Access-Control-Request-Method", "PUT")
					}
					resp, err := c.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					got, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != tc.wantStatus || string(got) != tc.wantBody {
						t.Fatalf("client got %d %q, want %d %q", resp.StatusCode, got, tc.wantStatus, tc.wantBody)
					}
					if resp.Header.Get("X-Upstream-Saw-Origin") != "http://app.test" {
						t.Fatal("the Origin header did not reach the server")
					}

					f := waitFlow(t, p.Store(), byURL(u))
					if f.State != StateDone || f.Request.Method != tc.method {
						t.Fatalf("flow: state %v method %s", f.State, f.Request.Method)
					}
					if f.Request.Header.Get("Origin") != "http://app.test" {
						t.Error("recorded request lacks Origin")
					}
					if got := f.Request.Header.Values("X-Multi"); len(got) != 2 || got[0] != "one" || got[1] != "two" {
						t.Errorf("repeated request header recorded as %v", got)
					}
					if f.Request.Header.Get("Host") != srv.Listener.Addr().String() {
						t.Errorf("recorded Host %q, want %q", f.Request.Header.Get("Host"), srv.Listener.Addr())
					}
					reqBody, _ := f.Request.Body.Data()
					if string(reqBody) != tc.body || f.Request.Body.Size != int64(len(tc.body)) || f.Request.Body.Truncated {
						t.Errorf("recorded request body %q size %d truncated %v", reqBody, f.Request.Body.Size, f.Request.Body.Truncated)
					}
					if f.Response == nil || f.Response.Status != tc.wantStatus {
						t.Fatalf("recorded response %+v", f.Response)
					}
					if got := f.Response.Header.Values("Set-Cookie"); len(got) != 2 {
						t.Errorf("repeated response header recorded as %v", got)
					}
					if tc.method == "OPTIONS" && f.Response.Header.Get("Access-Control-Allow-Methods") != "PUT" {
						t.Error("preflight response headers not recorded")
					}
					respBody, _ := f.Response.Body.Data()
					if string(respBody) != tc.wantBody || f.Response.Body.Size != int64(len(tc.wantBody)) {
						t.Errorf("recorded response body %q size %d", respBody, f.Response.Body.Size)
					}
					if f.Timings.Start.IsZero() || f.Timings.End.Before(f.Timings.Start) || f.Timings.FirstByte.IsZero() {
						t.Errorf("timings not recorded: %+v", f.Timings)
					}
					if f.ServerAddr != srv.Listener.Addr().String() {
						t.Errorf("ServerAddr %q, want %q", f.ServerAddr, srv.Listener.Addr())
					}
					if !strings.HasPrefix(f.ClientAddr, "127.0.0.1:") {
						t.Errorf("ClientAddr %q", f.ClientAddr)
					}
					if m.tls {
						if !strings.HasPrefix(f.Request.URL, "https://") {
							t.Errorf("intercepted URL %q lacks https", f.Request.URL)
						}
						if f.TLS == nil || f.TLS.Version == "" {
							t.Errorf("TLS info not recorded: %+v", f.TLS)
						}
					}
				})
			}
		})
	}
}

func TestMITMLeafIsIssuedByOurCANeverGoproxys(t *testing.T) {
	srv, p := upstream(t, mode{tls: true}, http.HandlerFunc(echoHandler), nil)
	var state *tls.ConnectionState
	c := clientVia(t, p)
	c.Transport.(*http.Transport).TLSClientConfig.VerifyConnection = func(cs tls.ConnectionState) error {
		state = &cs
		return nil
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("a client trusting only corscope's CA failed: %v", err)
	}
	resp.Body.Close()
	leaf := state.PeerCertificates[0]
	if leaf.Issuer.CommonName == "goproxy.github.io" || strings.Contains(leaf.Issuer.String(), "GoProxy") {
		t.Fatalf("leaf issued by goproxy's public CA: %s", leaf.Issuer)
	}
	if leaf.Issuer.CommonName != p.CA().Name() {
		t.Fatalf("leaf issuer %q, want our CA %q", leaf.Issuer.CommonName, p.CA().Name())
	}
	if err := leaf.CheckSignatureFrom(p.CA().Certificate.Leaf); err != nil {
		t.Fatalf("leaf not signed by our CA: %v", err)
	}
	if len(leaf.IPAddresses) != 1 || leaf.IPAddresses[0].String() != "127.0.0.1" {
		t.Fatalf("leaf for an IP host has IP SANs %v", leaf.IPAddresses)
	}
}

func TestGzipResponsePassesThroughByteIdentical(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte("corscope "), 2000))
	zw.Close()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Write([]byte("plain, because no gzip was asked for"))
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", fmt.Sprint(gz.Len()))
		w.Write(gz.Bytes())
	})
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			srv, p := upstream(t, m, h, nil)
			req, _ := http.NewRequest("GET", srv.URL+"/bundle.js", nil)
			req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
			resp, err := clientVia(t, p).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, gz.Bytes()) {
				t.Fatalf("client got %d bytes, want the server's %d gzip bytes unchanged", len(got), gz.Len())
			}
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("Content-Encoding %q, want gzip", resp.Header.Get("Content-Encoding"))
			}
			if resp.ContentLength != int64(gz.Len()) || len(resp.TransferEncoding) != 0 {
				t.Fatalf("Content-Length %d TE %v, want %d and no chunking", resp.ContentLength, resp.TransferEncoding, gz.Len())
			}
			f := waitFlow(t, p.Store(), byURL(srv.URL+"/bundle.js"))
			kept, _ := f.Response.Body.Data()
			if !bytes.Equal(kept, gz.Bytes()) || f.Response.Body.Size != int64(gz.Len()) {
				t.Fatalf("recorded %d bytes (size %d), want the gzip bytes as on the wire", len(kept), f.Response.Body.Size)
			}
		})
	}
}

// streamHandler writes the first item, flushes, and waits for release
// before ending the stream.
func streamHandler(contentType, first, rest string, release <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		io.WriteString(w, first)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, rest)
	}
}

func TestStreamsReachTheClientBeforeTheServerEndsThem(t *testing.T) {
	for _, kind := range []struct {
		name, contentType, first, rest string
	}{
		{"SSE", "text/event-stream", "data: first\n\n", "data: second\n\n"},
		{"NDJSON", "application/x-ndjson", `{"n":1}` + "\n", `{"n":2}` + "\n"},
	} {
		for _, m := range bothModes {
			t.Run(kind.name+"/"+m.name, func(t *testing.T) {
				release := make(chan struct{})
				var once sync.Once
				defer once.Do(func() { close(release) })
				srv, p := upstream(t, m, streamHandler(kind.contentType, kind.first, kind.rest, release), nil)
				resp, err := clientVia(t, p).Get(srv.URL + "/stream")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				br := bufio.NewReader(resp.Body)
				first := make(chan string, 1)
				go func() {
					buf := make([]byte, len(kind.first))
					n, _ := io.ReadFull(br, buf)
					first <- string(buf[:n])
				}()
				select {
				case got := <-first:
					if got != kind.first {
						t.Fatalf("first item %q, want %q", got, kind.first)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("the first item did not reach the client while the server held the stream open")
				}
				// The stream is still open: the flow is recorded as in progress.
				var inProgress bool
				for _, f := range p.Store().Snapshot() {
					if f.Request.URL == srv.URL+"/stream" && f.State == StateHeaders {
						inProgress = true
					}
				}
				if !inProgress {
					t.Errorf("open stream not recorded as in progress:\n%s", dumpFlows(p.Store()))
				}
				once.Do(func() { close(release) })
				rest, _ := io.ReadAll(br)
				if string(rest) != kind.rest {
					t.Fatalf("rest of stream %q, want %q", rest, kind.rest)
				}
				f := waitFlow(t, p.Store(), byURL(srv.URL+"/stream"))
				kept, _ := f.Response.Body.Data()
				if f.State != StateDone || string(kept) != kind.first+kind.rest {
					t.Fatalf("recorded stream %v %q", f.State, kept)
				}
			})
		}
	}
}

func TestUpstreamFailuresBecomeFailedFlowsAndA502WithTheReason(t *testing.T) {
	untrusted := httptest.NewTLSServer(http.HandlerFunc(echoHandler))
	defer untrusted.Close()
	dns := startNXDomainServer(t)
	p := startProxy(t, func(c *Config) {})
	p.dialer.d.Resolver = dns
	c := clientVia(t, p)
	for _, tc := range []struct {
		name     string
		url      string
		wantKind ErrorKind
		wantText string
	}{
		{"refused/mitm", "https://" + freePort(t) + "/", ErrRefused, "refused the connection"},
		{"refused/plain", "http://" + freePort(t) + "/", ErrRefused, "refused the connection"},
		{"dns/mitm", "https://no-such-host.corscope.test/", ErrDNS, "does not resolve"},
		{"dns/plain", "http://no-such-host.corscope.test/", ErrDNS, "does not resolve"},
		{"tls-verify/mitm", untrusted.URL + "/", ErrTLS, "authority corscope does not trust"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Get(tc.url)
			if err != nil {
				t.Fatalf("the client got no response at all: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("client got %d, want 502", resp.StatusCode)
			}
			if !strings.Contains(string(body), tc.wantText) {
				t.Fatalf("502 body %q does not explain (want %q)", body, tc.wantText)
			}
			f := waitFlow(t, p.Store(), byURL(tc.url))
			if f.State != StateFailed || f.ErrorKind != tc.wantKind || !strings.Contains(f.Error, tc.wantText) {
				t.Fatalf("flow: state %v kind %q error %q; want failed %q containing %q", f.State, f.ErrorKind, f.Error, tc.wantKind, tc.wantText)
			}
			if f.Response != nil {
				t.Fatal("a failed exchange recorded the synthetic 502 as the server's response")
			}
			if !strings.Contains(string(body), f.Error) {
				t.Fatal("the browser's 502 and the recorded reason differ")
			}
		})
	}
}

// startNXDomainServer runs a DNS server on loopback that answers every
// query with NXDOMAIN, and returns a resolver that uses it.
func startNXDomainServer(t *testing.T) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			// Header + the first question; drop any additional records.
			end := 12
			for end < n && buf[end] != 0 {
				end += int(buf[end]) + 1
			}
			end += 5
			if end > n {
				continue
			}
			resp := append([]byte(nil), buf[:end]...)
			resp[2] = 0x80 | 0x04 | (buf[2] & 0x01) // QR, AA, RD copied
			resp[3] = 0x80 | 0x03                   // RA, NXDOMAIN
			resp[4], resp[5] = 0, 1                 // one question
			for i := 6; i < 12; i++ {
				resp[i] = 0
			}
			pc.WriteTo(resp, addr)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

func TestUpstreamResetMidBodyIsRecordedAsReset(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		w.Write(make([]byte, 100))
		w.(http.Flusher).Flush()
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	})
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			srv, p := upstream(t, m, h, nil)
			resp, err := clientVia(t, p).Get(srv.URL + "/cut")
			if err == nil {
				io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			f := waitFlow(t, p.Store(), byURL(srv.URL+"/cut"))
			if f.State != StateFailed || f.ErrorKind != ErrReset || f.Response == nil || f.Response.Status != 200 {
				t.Fatalf("flow: %v %q %q response %+v", f.State, f.ErrorKind, f.Error, f.Response)
			}
			if f.Response.Body.Size != 100 {
				t.Fatalf("recorded %d bytes before the reset, want 100", f.Response.Body.Size)
			}
		})
	}
}

func TestClientAbortIsRecorded(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			// A server that keeps streaming: an intercepted connection
			// notices the client has gone on the next write (nothing reads
			// from the client while a response is being written).
			srv, p := upstream(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for {
					if _, err := io.WriteString(w, "part"); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					select {
					case <-r.Context().Done():
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}), nil)
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow", nil)
			resp, err := clientVia(t, p).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 4)
			io.ReadFull(resp.Body, buf)
			cancel() // the browser navigates away
			resp.Body.Close()
			f := waitFlow(t, p.Store(), byURL(srv.URL+"/slow"))
			if f.State != StateFailed || f.ErrorKind != ErrClientAbort {
				t.Fatalf("flow: %v %q %q, want a client abort", f.State, f.ErrorKind, f.Error)
			}
		})
	}
}

// A client that closes its connection as soon as it has the whole
// response (Connection: close, a tab closed right after load) did not
// abort anything: the flow is done, in both paths and for both framings.
func TestClientLeavingAfterCompleteResponseIsNotAnAbort(t *testing.T) {
	for _, m := range bothModes {
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/chunked=%v", m.name, chunked), func(t *testing.T) {
				srv, p := upstream(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !chunked {
						w.Header().Set("Content-Length", "10")
					}
					io.WriteString(w, "first")
					w.(http.Flusher).Flush() // chunked unless the length is set
					io.WriteString(w, "-last")
				}), nil)
				c := clientVia(t, p)
				c.Transport.(*http.Transport).DisableKeepAlives = true
				for i := range 5 {
					path := fmt.Sprintf("/done-%d", i)
					resp, err := c.Get(srv.URL + path)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if len(body) != 10 {
						t.Fatalf("client got %q, want 10 bytes", body)
					}
					f := waitFlow(t, p.Store(), byURL(srv.URL+path))
					if f.State != StateDone || f.Response.Body.Size != 10 {
						t.Fatalf("flow %s: %v %q %q, size %d; want done with 10 bytes", path, f.State, f.ErrorKind, f.Error, f.Response.Body.Size)
					}
				}
			})
		}
	}
}

func TestBodiesAreCappedWithFullSizeAndTruncatedFlag(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			big := bytes.Repeat([]byte("0123456789"), 500) // 5000 bytes
			srv, p := upstream(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				w.Write(big)
			}), func(c *Config) { c.MaxBody = 1000 })
			resp, err := clientVia(t, p).Post(srv.URL+"/upload", "application/octet-stream", bytes.NewReader(big[:3000]))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, big) {
				t.Fatalf("client got %d bytes, want all 5000 despite the cap", len(got))
			}
			f := waitFlow(t, p.Store(), byURL(srv.URL+"/upload"))
			for _, tc := range []struct {
				name string
				b    Body
				size int64
			}{{"request", f.Request.Body, 3000}, {"response", f.Response.Body, 5000}} {
				kept, _ := tc.b.Data()
				if tc.b.Size != tc.size || !tc.b.Truncated || len(kept) != 1000 || !bytes.Equal(kept, big[:1000]) {
					t.Errorf("%s body: size %d truncated %v kept %d; want size %d, truncated, first 1000 bytes", tc.name, tc.b.Size, tc.b.Truncated, len(kept), tc.size)
				}
			}
		})
	}
}

func TestExpect100ContinueWorks(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			srv, p := upstream(t, m, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := io.Copy(io.Discard, r.Body)
				fmt.Fprint(w, n)
			}), nil)
			var got100 bool
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{Got100Continue: func() { got100 = true }})
			body := bytes.Repeat([]byte("x"), 200_000)
			req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/upload", bytes.NewReader(body))
			req.Header.Set("Expect", "100-continue")
			start := time.Now()
			resp, err := clientVia(t, p).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(got) != "200000" {
				t.Fatalf("server read %s bytes, want 200000", got)
			}
			if !got100 {
				t.Fatal("the client never got 100 Continue")
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Fatalf("upload took %v: the client waited out its Expect timeout", d)
			}
		})
	}
}

func TestCONNECTToTheProxyItselfIsRefused(t *testing.T) {
	p := startProxy(t, nil)
	_, port, _ := net.SplitHostPort(p.Addr())
	for _, target := range []string{p.Addr(), "localhost:" + port} {
		conn, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusLoopDetected {
			t.Fatalf("CONNECT %s got %d, want 508", target, resp.StatusCode)
		}
	}
	// A plain request naming the proxy by address loops too: the dialer
	// refuses it.
	u := "http://" + p.Addr() + "/x"
	resp, err := clientVia(t, p).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("plain request to the proxy itself got %d, want 502", resp.StatusCode)
	}
	f := waitFlow(t, p.Store(), byURL(u))
	if f.ErrorKind != ErrProxy || !strings.Contains(f.Error, "corscope's own address") {
		t.Fatalf("loop recorded as %q %q", f.ErrorKind, f.Error)
	}
}

func TestNonHTTPPortsAreTunnelledNotIntercepted(t *testing.T) {
	p := startProxy(t, nil)
	if p.blind == nil || !blindPorts["5432"] {
		t.Fatal("5432 (PostgreSQL) should be tunnelled")
	}
	// A server that speaks first only works through a blind tunnel.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.WriteString(c, "220 banner\r\n")
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	blindPorts[port] = true
	defer delete(blindPorts, port)
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
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := br.ReadString('\n')
	if err != nil || line != "220 banner\r\n" {
		t.Fatalf("read %q, %v through the tunnel, want the banner", line, err)
	}
}

func TestNonLoopbackClientsAreRefusedUnlessAllowed(t *testing.T) {
	p := startProxy(t, func(c *Config) {
		c.AllowRemote = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
	})
	for _, tc := range []struct {
		remote  string
		allowed bool
	}{
		{"127.0.0.1:5555", true},
		{"127.8.9.10:5555", true},
		{"[::1]:5555", true},
		{"[::ffff:127.0.0.1]:5555", true},
		{"10.1.2.3:5555", true},
		{"10.2.0.1:5555", false},
		{"192.168.1.5:5555", false},
		{"[fe80::1]:5555", false},
		{"[::ffff:192.168.1.5]:5555", false},
		{"garbage", false},
	} {
		t.Run(tc.remote, func(t *testing.T) {
			// A request without an absolute URL: allowed clients reach
			// goproxy, which answers that this is not a web server.
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			w := httptest.NewRecorder()
			p.ServeHTTP(w, req)
			refused := w.Code == http.StatusForbidden
			if refused == tc.allowed {
				t.Fatalf("client %s: status %d, allowed=%v", tc.remote, w.Code, tc.allowed)
			}
			if refused && !strings.Contains(w.Body.String(), "--allow-remote") {
				t.Fatalf("refusal does not say how to allow it: %q", w.Body)
			}
			if !refused && !strings.Contains(w.Body.String(), "not a web server") {
				t.Fatalf("allowed client got %q", w.Body)
			}
		})
	}
	// CONNECT from a refused client is refused before any tunnel.
	req := httptest.NewRequest("CONNECT", "http://example.com:443", nil)
	req.RemoteAddr = "192.168.1.5:5555"
	w := httptest.NewRecorder()
	p.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden {
		t.Fatalf("remote CONNECT got %d, want 403", w.Code)
	}
}

func TestPanickingHookDoesNotKillTheProxy(t *testing.T) {
	for _, m := range bothModes {
		for _, at := range []hookPoint{hookConnect, hookRequest, hookRoundTrip, hookResponse, hookResponseBody} {
			if at == hookConnect && !m.tls {
				continue
			}
			t.Run(fmt.Sprintf("%s/%d", m.name, at), func(t *testing.T) {
				srv, p := upstream(t, m, http.HandlerFunc(echoHandler), nil)
				var mu sync.Mutex
				armed := true
				p.hook = func(h hookPoint) {
					mu.Lock()
					fire := armed && h == at
					if fire {
						armed = false
					}
					mu.Unlock()
					if fire {
						panic("hook exploded")
					}
				}
				c := clientVia(t, p)
				resp, err := c.Get(srv.URL + "/first")
				if err == nil {
					io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				f := waitFlow(t, p.Store(), func(f Flow) bool { return f.State == StateFailed })
				if f.ErrorKind != ErrProxy || !strings.Contains(f.Error, "hook exploded") {
					t.Fatalf("panic recorded as %q %q", f.ErrorKind, f.Error)
				}
				// The proxy is still serving.
				c.Transport.(*http.Transport).CloseIdleConnections()
				resp, err = c.Post(srv.URL+"/second", "text/plain", strings.NewReader("ok"))
				if err != nil {
					t.Fatalf("proxy dead after a panic: %v", err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(body) != "POST ok" {
					t.Fatalf("second request got %q", body)
				}
			})
		}
	}
}

func TestPausedStoreRecordsNothingButTrafficFlows(t *testing.T) {
	srv, p := upstream(t, mode{}, http.HandlerFunc(echoHandler), nil)
	p.Store().SetPaused(true)
	resp, err := clientVia(t, p).Get(srv.URL + "/paused")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "GET " {
		t.Fatalf("got %q", body)
	}
	if n := p.Store().Len(); n != 0 {
		t.Fatalf("paused store recorded %d flows", n)
	}
}

func TestStoreBoundEvictsOldFlowsDuringCapture(t *testing.T) {
	srv, p := upstream(t, mode{}, http.HandlerFunc(echoHandler), func(c *Config) { c.Store = NewStore(5) })
	c := clientVia(t, p)
	for i := range 12 {
		resp, err := c.Get(fmt.Sprintf("%s/%d", srv.URL, i))
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	waitFlow(t, p.Store(), byURL(srv.URL+"/11"))
	if p.Store().Len() != 5 || p.Store().Evicted() != 7 {
		t.Fatalf("Len=%d Evicted=%d, want 5 and 7", p.Store().Len(), p.Store().Evicted())
	}
}

func TestFiftyConcurrentClients(t *testing.T) {
	plainSrv := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer plainSrv.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(echoHandler))
	defer tlsSrv.Close()
	p := startProxy(t, func(c *Config) { c.UpstreamCAFiles = []string{upstreamCAFile(t, tlsSrv)} })
	const clients, each = 50, 6
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for i := range clients {
		c := clientVia(t, p) // its own connections, like separate browsers
		wg.Go(func() {
			for j := range each {
				base := plainSrv.URL
				if (i+j)%2 == 1 {
					base = tlsSrv.URL
				}
				want := fmt.Sprintf("POST c%d-r%d", i, j)
				resp, err := c.Post(fmt.Sprintf("%s/%d/%d", base, i, j), "text/plain", strings.NewReader(fmt.Sprintf("c%d-r%d", i, j)))
				if err != nil {
					errs <- err
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if string(body) != want {
					errs <- fmt.Errorf("got %q, want %q", body, want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	waitFor := func() bool {
		done := 0
		for _, f := range p.Store().Snapshot() {
			if f.State == StateDone {
				done++
			}
		}
		return done == clients*each
	}
	deadline := time.Now().Add(10 * time.Second)
	for !waitFor() {
		if time.Now().After(deadline) {
			t.Fatalf("want %d done flows:\n%s", clients*each, dumpFlows(p.Store()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, f := range p.Store().Snapshot() {
		body, _ := f.Request.Body.Data()
		if !strings.HasSuffix(f.Request.URL, strings.ReplaceAll(strings.TrimPrefix(string(body), "c"), "-r", "/")) {
			t.Fatalf("flow %d mixed up bodies: URL %s body %q", f.ID, f.Request.URL, body)
		}
	}
}

func TestClientRejectingOurCertificateIsRecordedWithAdvice(t *testing.T) {
	srv, p := upstream(t, mode{tls: true}, http.HandlerFunc(echoHandler), nil)
	proxyURL, _ := url.Parse("http://" + p.Addr())
	// A browser that does not trust corscope's CA yet (system roots only).
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}, Timeout: 10 * time.Second}
	if _, err := c.Get(srv.URL); err == nil {
		t.Fatal("a client that does not trust the CA got through")
	}
	f := waitFlow(t, p.Store(), func(f Flow) bool { return f.Request.Method == "CONNECT" })
	if f.ErrorKind != ErrTLS || !strings.Contains(f.Error, "corscope ca") {
		t.Fatalf("handshake failure recorded as %q %q", f.ErrorKind, f.Error)
	}
}

func TestListenReportsAPortInUseNamingTheFlag(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Listen(Config{Listen: ln.Addr().String(), CA: testCA(t)})
	if err == nil {
		t.Fatal("listening on a busy port succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "already in use") || !strings.Contains(msg, "--listen") || strings.Contains(msg, "\n") {
		t.Fatalf("error %q is not one line naming --listen", msg)
	}
}

func TestShutdownEndsFlowsStillRunningAfterTheGracePeriod(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv, p := upstream(t, mode{}, streamHandler("text/event-stream", "data: 1\n\n", "", release), nil)
	resp, err := clientVia(t, p).Get(srv.URL + "/forever")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	p.Shutdown(ctx)
	f, ok := p.Store().Get(1)
	if !ok || f.State != StateFailed || !strings.Contains(f.Error, "stopped") {
		t.Fatalf("flow still running at shutdown: %v %q", f.State, f.Error)
	}
}
