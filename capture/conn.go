package capture

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// hijackedIdleTimeout closes a hijacked client connection (a CONNECT
// tunnel, an intercepted TLS connection, a WebSocket) after this long
// without a byte either way. net/http clears every deadline on hijack and
// goproxy sets none, so without it idle keep-alive tunnels live forever.
// It is long enough for SSE streams with sparse events.
const hijackedIdleTimeout = 10 * time.Minute

// idleListener wraps accepted connections in idleConn.
type idleListener struct {
	net.Listener
	idle    time.Duration
	onClose func(*idleConn)
}

func (l idleListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &idleConn{Conn: c, idle: l.idle, onClose: l.onClose}, nil
}

// idleConn is a client connection. Until it is hijacked, net/http owns its
// deadlines (ReadHeaderTimeout, IdleTimeout); once hijacked, every Read and
// Write pushes a read/write deadline forward, so it only times out when
// idle both ways.
type idleConn struct {
	net.Conn
	idle     time.Duration
	hijacked atomic.Bool
	// pushed is when the deadline was last moved (unix ns). Moving it on
	// every call would cost a timer update per read; moving it once per
	// idle/16 keeps the effective timeout within 94–100 % of idle.
	pushed atomic.Int64

	closeOnce sync.Once
	onClose   func(*idleConn)

	// abortResponse asks ServeHTTP to abort the response being written
	// on this (plain-HTTP) connection: its upstream body broke off.
	abortResponse atomic.Bool
}

func (c *idleConn) Read(p []byte) (int, error) {
	c.touch()
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	c.touch()
	return c.Conn.Write(p)
}

// ReadFrom keeps net/http's fast path for response bodies: with a bare
// *net.TCPConn it hands the body to the socket in large writes instead of
// copying through its buffers. Once hijacked, every write goes through
// Write so the idle deadline keeps moving.
func (c *idleConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok && !c.hijacked.Load() {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c}, r)
}

// writerOnly hides ReadFrom, so io.Copy does not call it back.
type writerOnly struct{ io.Writer }

func (c *idleConn) touch() {
	if !c.hijacked.Load() {
		return
	}
	now := time.Now()
	if now.UnixNano()-c.pushed.Load() < int64(c.idle/16) {
		return
	}
	c.pushed.Store(now.UnixNano())
	_ = c.Conn.SetDeadline(now.Add(c.idle))
}

// markHijacked hands deadline management to the idle timer.
func (c *idleConn) markHijacked() {
	c.hijacked.Store(true)
	c.pushed.Store(0)
	c.touch()
}

func (c *idleConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		if c.onClose != nil {
			c.onClose(c)
		}
	})
	return err
}

// CloseWrite and CloseRead let goproxy half-close tunnels cleanly: it
// type-asserts them on the client connection and otherwise falls back to
// closing both directions at once.
func (c *idleConn) CloseWrite() error {
	if hc, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return c.Close()
}

func (c *idleConn) CloseRead() error {
	if hc, ok := c.Conn.(interface{ CloseRead() error }); ok {
		return hc.CloseRead()
	}
	return c.Close()
}
