package capture

import (
	"errors"
	"fmt"
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

	// guarded is set while the connection is an intercepted tunnel whose
	// request heads goproxy parses itself (see tunnelGuard).
	guarded atomic.Bool
	guard   tunnelGuard
	// setupUntil is the deadline (unix ns) for the client to finish its
	// TLS handshake in an intercepted tunnel; 0 when none applies.
	setupUntil atomic.Int64

	// watch notices the client leaving while nothing else reads.
	watch clientWatch
}

func (c *idleConn) Read(p []byte) (n int, err error) {
	if c.hijacked.Load() {
		var watched bool
		if n, watched, err = c.readWatched(p); !watched {
			defer c.readDone()
			c.touch()
			n, err = c.Conn.Read(p)
		}
	} else {
		c.touch()
		n, err = c.Conn.Read(p)
	}
	if c.guarded.Load() {
		n, err = c.guardRead(n, err)
	}
	return n, err
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
	deadline := now.Add(c.idle)
	if s := c.setupUntil.Load(); s != 0 && s < deadline.UnixNano() {
		deadline = time.Unix(0, s)
	}
	_ = c.Conn.SetDeadline(deadline)
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

// Intercepted tunnels bypass net/http's server: goproxy reads each request
// head inside the tunnel with http.ReadRequest, which has neither a size
// limit nor a header timeout. Without a guard, a client could stream an
// endless header line into the proxy's memory, or open a tunnel and never
// finish its TLS handshake, holding the connection for the whole idle
// timeout. The guard watches the raw bytes below TLS:
//
//   - setup: from the CONNECT until the TLS handshake completes (or the
//     first request arrives, for plain HTTP in a tunnel) the client has
//     the server's header timeout, as for a request head outside a tunnel;
//   - heads: bytes read while no request body is being read count against
//     a budget of maxHeaderBytes plus room for TLS framing and read-ahead.
//     The count restarts at each request and at the end of its body, so it
//     only ever covers the handshake or one request head.
//
// A client over either limit is cut off and the failure recorded through
// onViolation.
type tunnelGuard struct {
	mu          sync.Mutex
	headBytes   int64
	bodies      int // request bodies being read: their bytes are not head bytes
	violated    bool
	onViolation func(kind ErrorKind, reason string)
}

// headBudget is the most the guard lets a tunnel read towards one request
// head (or the TLS handshake): the head limit plus TLS record overhead,
// TLS's buffered record and goproxy's 4 KiB read-ahead.
const headBudget = maxHeaderBytes + 64<<10

var (
	errHeadTooLarge = errors.New("request head too large")
	errSetupTimeout = errors.New("TLS handshake not completed in time")
)

// guardTunnel starts guarding an intercepted tunnel. setup is how long the
// client has to complete its TLS handshake.
func (c *idleConn) guardTunnel(setup time.Duration, onViolation func(ErrorKind, string)) {
	c.guard.mu.Lock()
	c.guard.onViolation = onViolation
	c.guard.mu.Unlock()
	if setup > 0 {
		c.setupUntil.Store(time.Now().Add(setup).UnixNano())
	}
	c.guarded.Store(true)
}

// setupDone ends the setup phase: the handshake completed, or a request
// head was read. The head count restarts.
func (c *idleConn) setupDone() {
	c.guard.mu.Lock()
	c.guard.headBytes = 0
	c.guard.mu.Unlock()
	if c.setupUntil.Swap(0) != 0 && c.hijacked.Load() {
		c.pushed.Store(0)
		c.touch()
	}
}

// requestStarted is called when a request head inside the tunnel has been
// read; hasBody says whether its body follows (ended by requestBodyDone).
func (c *idleConn) requestStarted(hasBody bool) {
	c.setupDone()
	if hasBody {
		c.guard.mu.Lock()
		c.guard.bodies++
		c.guard.mu.Unlock()
	}
}

func (c *idleConn) requestBodyDone() {
	c.guard.mu.Lock()
	if c.guard.bodies > 0 {
		c.guard.bodies--
	}
	c.guard.headBytes = 0
	c.guard.mu.Unlock()
}

// unguard stops guarding: the tunnel now carries something other than
// HTTP requests (an upgraded WebSocket).
func (c *idleConn) unguard() {
	c.guarded.Store(false)
	c.setupUntil.Store(0)
}

func (c *idleConn) guardRead(n int, err error) (int, error) {
	if err != nil && isTimeout(err) {
		if s := c.setupUntil.Load(); s != 0 && time.Now().UnixNano() >= s {
			c.violation(ErrTimeout, "the client opened a tunnel but did not complete its TLS handshake within the header timeout; corscope closed the connection")
			return n, errSetupTimeout
		}
		return n, err
	}
	c.guard.mu.Lock()
	if c.guard.bodies == 0 {
		c.guard.headBytes += int64(n)
	}
	over := c.guard.headBytes > headBudget
	c.guard.mu.Unlock()
	if over {
		c.violation(ErrOther, fmt.Sprintf("the client sent a request head larger than %d KiB inside the tunnel (the limit outside tunnels answers 431); corscope closed the connection", maxHeaderBytes>>10))
		c.Conn.Close()
		return 0, errHeadTooLarge
	}
	return n, err
}

func (c *idleConn) violation(kind ErrorKind, reason string) {
	c.guard.mu.Lock()
	first := !c.guard.violated
	c.guard.violated = true
	report := c.guard.onViolation
	c.guard.mu.Unlock()
	if first && report != nil {
		report(kind, reason)
	}
}
