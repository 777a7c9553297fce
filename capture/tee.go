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

// keepPolicy says how much of each body a tee keeps and where.
type keepPolicy struct {
	max    int64  // bytes kept per body (the rest is only counted)
	inline int64  // with spill: bodies keeping more than this go to the spill file
	spill  *Spill // nil: everything kept stays in memory
}

// chunkSize is the unit of pooled memory a tee fills beyond its inline
// part; the chunks go back to the pool once the body is in the spill file,
// so large bodies cost no garbage.
const chunkSize = 64 << 10

type chunk = [chunkSize]byte

var chunkPool = sync.Pool{New: func() any { return new(chunk) }}

// bodyTee passes a body through unchanged while keeping its first max
// bytes and counting all of them. It reports the end of the body (EOF, an
// error, or Close before EOF) exactly once through onEnd.
//
// The first inline bytes go to head, a slice that is never reused, so a
// snapshot can share it. With a spill, a body whose length is known to
// exceed inline is written through to an extent reserved for it as it
// streams (no copy in memory beyond head); one of unknown length fills
// pooled chunks beyond head, and seal writes it to the spill file whole
// and returns the chunks to the pool.
//
// Read and Close may run on different goroutines (the Transport closes
// request bodies from its own), so bookkeeping is locked; the underlying
// Read is not, so Close can still interrupt a blocked Read.
type bodyTee struct {
	rc    io.ReadCloser
	keep  keepPolicy
	onEnd func(err error) // nil err: the body ended normally
	hook  func()          // test hook, may panic

	mu     sync.Mutex
	head   []byte
	chunks []*chunk
	last   int   // bytes used in the last chunk
	kept   int64 // bytes kept, head and chunks (or written through)
	n      int64 // bytes seen
	// Write-through: through is the length to reserve (0: off), ext the
	// extent once reserved, lost a write-through failure (head is kept).
	through int64
	ext     *extent
	lost    bool
	ended   bool
	sealed  bool
	final   Body
}

func newBodyTee(rc io.ReadCloser, keep keepPolicy, sizeHint int64, onEnd func(error)) *bodyTee {
	t := &bodyTee{rc: rc, keep: keep, onEnd: onEnd}
	headMax := keep.max
	if keep.spill != nil {
		headMax = min(keep.max, keep.inline)
	}
	if sizeHint > 0 && headMax > 0 {
		// One allocation when the length is known.
		t.head = make([]byte, 0, min(sizeHint, headMax))
	}
	if keep.spill != nil && sizeHint > keep.inline && keep.max > keep.inline {
		t.through = min(sizeHint, keep.max)
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
		if room := t.keep.max - t.kept; room > 0 && !t.sealed {
			t.store(p[:min(int64(n), room)])
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

// store keeps p; t.mu is held.
func (t *bodyTee) store(p []byte) {
	t.kept += int64(len(p))
	if t.keep.spill == nil {
		t.head = append(t.head, p...)
		return
	}
	if t.through > 0 {
		t.writeThrough(p)
		return
	}
	if room := t.keep.inline - int64(len(t.head)); room > 0 {
		k := min(room, int64(len(p)))
		t.head = append(t.head, p[:k]...)
		p = p[k:]
	}
	for len(p) > 0 {
		if len(t.chunks) == 0 || t.last == chunkSize {
			t.chunks = append(t.chunks, chunkPool.Get().(*chunk))
			t.last = 0
		}
		k := copy(t.chunks[len(t.chunks)-1][t.last:], p)
		t.last += k
		p = p[k:]
	}
}

// writeThrough writes p to the body's reserved extent, at its place; head
// keeps a copy of the first inline bytes for snapshots. t.mu is held, and
// t.kept already counts p.
func (t *bodyTee) writeThrough(p []byte) {
	pos := t.kept - int64(len(p))
	if room := t.keep.inline - int64(len(t.head)); room > 0 {
		t.head = append(t.head, p[:min(room, int64(len(p)))]...)
	}
	if t.lost {
		return
	}
	if t.ext == nil {
		ext, err := t.keep.spill.reserve(t.through)
		if err != nil {
			// No spill file: keep the body in memory after all.
			t.through = 0
			t.kept = pos
			t.head = t.head[:min(pos, int64(len(t.head)))]
			t.store(p)
			return
		}
		t.ext = ext
	}
	if pos+int64(len(p)) > t.through {
		// More than the length announced: net/http does not let that
		// through, but never write into the next body's extent.
		p = p[:max(0, t.through-pos)]
	}
	if err := t.keep.spill.writeAt(t.ext, pos, p); err != nil {
		t.lost = true
	}
}

// seen returns how many bytes of the body have passed so far.
func (t *bodyTee) seen() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
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

// body returns what was kept so far: the final body once the tee has
// ended, else a snapshot of the in-memory part. A snapshot shares head,
// capped at its length, so later appends never touch the bytes a reader
// holds.
func (t *bodyTee) body() Body {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended || t.sealed {
		return t.sealLocked()
	}
	kept := t.head[:len(t.head):len(t.head)]
	return NewBody(kept, t.n, int64(len(kept)) < t.n)
}

// seal stops keeping and returns the final body. It is called when the
// recording ends, whether or not the body reached its end.
func (t *bodyTee) seal() Body {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sealLocked()
}

func (t *bodyTee) sealLocked() Body {
	if t.sealed {
		return t.final
	}
	t.sealed = true
	truncated := t.kept < t.n
	if t.ext != nil {
		if t.lost {
			// The spill file failed mid-body: what is left is the head.
			t.ext.release()
			t.final = NewBody(t.head[:len(t.head):len(t.head)], t.n, true)
		} else {
			t.ext.n = min(t.kept, t.through)
			t.final = Body{Size: t.n, Truncated: t.ext.n < t.n, ext: t.ext}
		}
		t.head = nil
		return t.final
	}
	if len(t.chunks) == 0 {
		t.final = NewBody(t.head[:len(t.head):len(t.head)], t.n, truncated)
		return t.final
	}
	parts := make([][]byte, 0, len(t.chunks)+1)
	parts = append(parts, t.head)
	for i, c := range t.chunks {
		if i == len(t.chunks)-1 {
			parts = append(parts, c[:t.last])
		} else {
			parts = append(parts, c[:])
		}
	}
	if ext, err := t.keep.spill.write(parts...); err == nil {
		t.final = Body{Size: t.n, Truncated: truncated, ext: ext}
	} else {
		// No spill file (disk full, directory gone): keep the body in
		// memory as before; the store's memory bound still holds.
		data := make([]byte, 0, t.kept)
		for _, p := range parts {
			data = append(data, p...)
		}
		t.final = NewBody(data, t.n, truncated)
	}
	for _, c := range t.chunks {
		chunkPool.Put(c)
	}
	t.chunks, t.head = nil, nil
	return t.final
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
