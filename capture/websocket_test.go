package capture

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func wsEcho(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	for {
		typ, msg, err := c.Read(r.Context())
		if err != nil {
			return
		}
		if err := c.Write(r.Context(), typ, msg); err != nil {
			return
		}
	}
}

func TestWebSocketEchoThroughTheProxyIsRecorded(t *testing.T) {
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			srv, p := upstream(t, m, http.HandlerFunc(wsEcho), nil)
			proxyURL, _ := url.Parse("http://" + p.Addr())
			tr := &http.Transport{
				Proxy:           http.ProxyURL(proxyURL),
				TLSClientConfig: &tls.Config{RootCAs: trustOnly(p.CA().Certificate.Leaf)},
			}
			defer tr.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			wsURL := "ws" + strings.TrimPrefix(srv.URL, "http") + "/socket"
			c, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
			if err != nil {
				t.Fatalf("dial %s through the proxy: %v", wsURL, err)
			}
			if resp.StatusCode != http.StatusSwitchingProtocols {
				t.Fatalf("handshake status %d", resp.StatusCode)
			}
			for _, msg := range []string{"hello", "second message"} {
				if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
					t.Fatal(err)
				}
				_, got, err := c.Read(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != msg {
					t.Fatalf("echo %q, want %q", got, msg)
				}
			}
			// While open, the flow is in progress.
			var open bool
			for _, f := range p.Store().Snapshot() {
				if f.Upgraded && f.State == StateHeaders {
					open = true
				}
			}
			if !open {
				t.Errorf("open WebSocket not recorded as in progress:\n%s", dumpFlows(p.Store()))
			}
			c.Close(websocket.StatusNormalClosure, "bye")

			f := waitFlow(t, p.Store(), func(f Flow) bool { return f.Upgraded })
			if f.State != StateDone || f.Response == nil || f.Response.Status != http.StatusSwitchingProtocols {
				t.Fatalf("WebSocket flow: %v %+v", f.State, f.Response)
			}
			if want := srv.URL + "/socket"; f.Request.URL != want {
				t.Errorf("recorded URL %q, want %q", f.Request.URL, want)
			}
			if !strings.EqualFold(f.Request.Header.Get("Upgrade"), "websocket") {
				t.Error("handshake request headers not recorded")
			}
			// Two text frames each way plus close frames: masked client
			// frames are 6 bytes longer than the payload, server frames 2.
			if f.Request.Body.Size < int64(len("hello")+len("second message")+12) || f.Response.Body.Size < int64(len("hello")+len("second message")+4) {
				t.Fatalf("byte counts client->server %d, server->client %d", f.Request.Body.Size, f.Response.Body.Size)
			}
		})
	}
}

func TestWebSocketServerDropClosesTheClientOnThePlainPath(t *testing.T) {
	// goproxy's plain path never closes the client after an upgrade; the
	// recorder does, so a browser learns the server went away.
	srv, p := upstream(t, mode{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		c.CloseNow() // drop without a close handshake
	}), nil)
	proxyURL, _ := url.Parse("http://" + p.Addr())
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL)}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	start := time.Now()
	readCtx, cancelRead := context.WithTimeout(ctx, 5*time.Second)
	defer cancelRead()
	if _, _, err := c.Read(readCtx); err == nil {
		t.Fatal("read a message from a server that sent none")
	}
	if readCtx.Err() != nil {
		t.Fatalf("client still waiting %v after the server dropped the connection", time.Since(start))
	}
}
