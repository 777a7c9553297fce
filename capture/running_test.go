package capture

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

func TestRunningRecognisesCorscopeOnly(t *testing.T) {
	p := startProxy(t, nil)
	if !Running(context.Background(), p.Addr()) {
		t.Errorf("Running(%s) = false for a running corscope", p.Addr())
	}
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	if Running(context.Background(), other.Listener.Addr().String()) {
		t.Error("Running = true for a server that is not corscope")
	}
	if Running(context.Background(), "127.0.0.1:"+freePort(t)) {
		t.Error("Running = true where nothing listens")
	}
}

func TestTLSStatsCountTrustedAndRejectedHandshakes(t *testing.T) {
	srv, p := upstream(t, mode{name: "mitm", tls: true}, http.HandlerFunc(echoHandler), nil)

	// A client that trusts corscope's CA: one intercepted handshake.
	resp, err := clientVia(t, p).Get(srv.URL + "/trusted")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// A client that trusts nothing: the handshake fails on its side,
	// the way a browser without corscope's CA rejects the leaf.
	proxyURL, _ := url.Parse("http://" + p.Addr())
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: trustOnly()}}
	defer tr.CloseIdleConnections()
	if _, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(srv.URL + "/untrusted"); err == nil {
		t.Fatal("a client that does not trust corscope's CA got through")
	}

	deadline := time.Now().Add(5 * time.Second)
	for {
		in, rej := p.TLSStats()
		if in >= 1 && rej >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("TLSStats = (%d intercepted, %d rejected), want at least one of each", in, rej)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
