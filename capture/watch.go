package capture

import (
	"sync"
	"time"
)

// Inside an intercepted tunnel nothing reads from the client while the
// proxy waits for the upstream: goproxy reads the next request only after
// writing the response. A client that gives up (a reload, a closed tab, a
// cancelled fetch) would go unnoticed until the upstream answers, which for
// a long poll or a server stopped at a breakpoint may be never: the
// upstream request, its connection and goroutines stay behind, and the flow
// shows as pending although the browser has moved on.
//
// net/http solves this for its own connections with a background read once
// a request has been read; clientWatch does the same on the raw connection
// under TLS. Bytes the watcher reads (a pipelined request, a TLS alert) are
// kept and handed to the next Read in order; an end of stream or an error
// calls onGone. The next Read from goproxy stops the watcher first, by
// moving the read deadline into the past, as net/http does.
type clientWatch struct {
	mu       sync.Mutex
	reading  int  // Reads in progress on the connection's own behalf
	running  bool // a watcher goroutine is reading
	stopping bool // a Read asked the watcher to stop
	done     chan struct{}
	pending  []byte // read by the watcher, not yet returned by Read
	err      error  // the error that ended the watch, returned by Read
}

// watchCap is how many bytes a watcher buffers before it stops: a client
// that pipelines more is plainly still there.
const watchCap = 16 << 10

// aLongTimeAgo is a read deadline that has passed, to interrupt a read.
var aLongTimeAgo = time.Unix(1, 0)

// watchClient starts watching for the client going away, unless the
// connection is being read or a watch already ended. onGone runs once, on
// the watcher's goroutine, when the client closed or reset the connection.
func (c *idleConn) watchClient(onGone func()) {
	w := &c.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if !c.hijacked.Load() || w.running || w.reading > 0 || w.err != nil || len(w.pending) >= watchCap {
		return
	}
	w.running, w.stopping = true, false
	w.done = make(chan struct{})
	go c.watchLoop(w.done, onGone)
}

func (c *idleConn) watchLoop(done chan struct{}, onGone func()) {
	defer close(done)
	w := &c.watch
	var buf [512]byte
	for {
		n, err := c.Conn.Read(buf[:])
		w.mu.Lock()
		w.pending = append(w.pending, buf[:n]...)
		switch {
		case err == nil && len(w.pending) < watchCap && !w.stopping:
			w.mu.Unlock()
			continue
		case err == nil:
			w.running = false
			w.mu.Unlock()
			return
		case w.stopping && isTimeout(err):
			w.running = false
			w.mu.Unlock()
			return
		case isTimeout(err):
			// The idle deadline: the client is quiet, not gone. Move the
			// deadline on while holding the lock, so a stop that follows
			// cannot be overtaken by it.
			c.pushed.Store(0)
			c.touch()
			w.mu.Unlock()
			continue
		}
		w.err = err
		w.running = false
		w.mu.Unlock()
		if onGone != nil {
			onGone()
		}
		return
	}
}

// readWatched is Read's first step on a hijacked connection: it stops a
// running watcher and returns what the watcher read, if anything (watched).
// Otherwise the caller reads from the connection and then calls readDone.
func (c *idleConn) readWatched(p []byte) (n int, watched bool, err error) {
	w := &c.watch
	w.mu.Lock()
	if w.running {
		w.stopping = true
		done := w.done
		w.mu.Unlock()
		c.stopWatcher(done)
		c.pushed.Store(0)
		c.touch() // back to the idle deadline
		w.mu.Lock()
	}
	defer w.mu.Unlock()
	if len(w.pending) > 0 {
		n = copy(p, w.pending)
		w.pending = w.pending[n:]
		if len(w.pending) == 0 {
			w.pending = nil
		}
		return n, true, nil
	}
	if w.err != nil {
		return 0, true, w.err
	}
	w.reading++
	return 0, false, nil
}

// stopWatcher interrupts the watcher's read and waits for it to return. A
// Write on another goroutine (a WebSocket relays both ways at once) may
// move the deadline forward again between the two steps, so the past
// deadline is set again until the watcher has gone.
func (c *idleConn) stopWatcher(done chan struct{}) {
	for {
		_ = c.Conn.SetReadDeadline(aLongTimeAgo)
		select {
		case <-done:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (c *idleConn) readDone() {
	c.watch.mu.Lock()
	c.watch.reading--
	c.watch.mu.Unlock()
}
