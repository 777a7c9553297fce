package capture

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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
	srv, p := upstream(t, mode{}, http.HandlerFunc(echoHandler), nil)
	for _, garbage := range []string{
		"\x16\x03\x01\x00\x05hello\r\n\r\n", // TLS straight at the proxy
		"GARBAGE\r\n\r\n",
		"GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n",
		strings.Repeat("A", 2<<20), // no end of headers
	} {
		conn, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		go io.WriteString(conn, garbage)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err == nil && resp.StatusCode < 400 {
			t.Errorf("garbage %.20q got %d", garbage, resp.StatusCode)
		}
		conn.Close()
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
