package capture

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// errClosedEarly is what a bodyTee reports when it is closed before the
// end of the body: whoever was copying it stopped (the client went away).
var errClosedEarly = errors.New("body closed before its end")

// bodyTee passes a body through unchanged while keeping its first max
// bytes and counting all of them. It reports the end of the body (EOF, an
// error, or Close before EOF) exactly once through onEnd.
//
// Read and Close may run on different goroutines (the Transport closes
// request bodies from its own), so bookkeeping is locked; the underlying
// Read is not, so Close can still interrupt a blocked Read.
type bodyTee struct {
	rc    io.ReadCloser
	max   int64
	onEnd func(err error) // nil err: the body ended normally
	hook  func()          // test hook, may panic

	mu    sync.Mutex
	buf   []byte
	n     int64
	ended bool
}

func newBodyTee(rc io.ReadCloser, max, sizeHint int64, onEnd func(error)) *bodyTee {
	t := &bodyTee{rc: rc, max: max, onEnd: onEnd}
	if sizeHint > 0 && max > 0 {
		// One allocation when the length is known.
		t.buf = make([]byte, 0, min(sizeHint, max))
	}
	return t
}

func (t *bodyTee) Read(p []byte) (n int, err error) {
	defer func() {
		// A panic here would run on goproxy's MITM goroutine, outside any
		// recover, and take the process down: turn it into a read error.
		if r := recover(); r != nil {
			n, err = 0, &panicError{v: r}
			t.end(err)
		}
	}()
	if t.hook != nil {
		t.hook()
	}
	n, err = t.rc.Read(p)
	t.mu.Lock()
	if n > 0 {
		t.n += int64(n)
		if room := t.max - int64(len(t.buf)); room > 0 {
			t.buf = append(t.buf, p[:min(int64(n), room)]...)
		}
	}
	t.mu.Unlock()
	if err != nil {
		if err == io.EOF {
			t.end(nil)
		} else {
			t.end(err)
		}
	}
	return n, err
}

func (t *bodyTee) Close() error {
	err := t.rc.Close()
	t.end(errClosedEarly)
	return err
}

func (t *bodyTee) end(err error) {
	t.mu.Lock()
	if t.ended {
		t.mu.Unlock()
		return
	}
	t.ended = true
	t.mu.Unlock()
	if t.onEnd != nil {
		t.onEnd(err)
	}
}

// body returns what was kept so far. The slice is capped at its length, so
// later appends by the tee never touch the bytes a reader holds.
func (t *bodyTee) body() Body {
	t.mu.Lock()
	defer t.mu.Unlock()
	kept := t.buf[:len(t.buf):len(t.buf)]
	return NewBody(kept, t.n, int64(len(kept)) < t.n)
}

// upgradeTee wraps the read-write body of a 101 response (a WebSocket):
// it must keep Write, or goproxy cannot relay the upgraded connection. It
// counts bytes each way and reports the end once, on Close.
type upgradeTee struct {
	rwc     io.ReadWriteCloser
	read    atomic.Int64 // server -> client
	written atomic.Int64 // client -> server
	once    sync.Once
	onClose func(toClient, toServer int64)
}

func (u *upgradeTee) Read(p []byte) (int, error) {
	n, err := u.rwc.Read(p)
	u.read.Add(int64(n))
	return n, err
}

func (u *upgradeTee) Write(p []byte) (int, error) {
	n, err := u.rwc.Write(p)
	u.written.Add(int64(n))
	return n, err
}

func (u *upgradeTee) Close() error {
	err := u.rwc.Close()
	u.once.Do(func() {
		if u.onClose != nil {
			u.onClose(u.read.Load(), u.written.Load())
		}
	})
	return err
}

// panicError is a recovered panic turned into an error.
type panicError struct{ v any }

func (e *panicError) Error() string {
	return fmt.Sprintf("corscope internal error (please report it): panic: %v", e.v)
}
