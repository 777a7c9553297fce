package capture

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// DefaultInlineBody is how many bytes of a body stay in memory when the
// proxy has a Spill: a body that keeps more goes to the spill file whole.
//
// 4 KiB holds what the analysis and most CORS debugging look at (empty
// preflight bodies, JSON error messages, small API payloads) while keeping a
// flow's memory within a small multiple of its header block (0.5–2 KiB for
// a browser request). Larger bodies are read back only when someone opens
// the Body tab or exports a HAR: one pread from the page cache.
const DefaultInlineBody = 4 << 10

// spillPunchEvery is how many released bytes gather at the front of the
// spill file before they are given back to the file system.
const spillPunchEvery = 32 << 20

// SpillPattern is the name of spill files, with the process ID and a
// random part filled in: a file left by a crash is easy to recognise.
const SpillPattern = "corscope-bodies-<pid>-*.spill"

// Spill is the append-only temporary file that holds, for one capture, the
// bodies too large to keep in memory. Bodies are written whole once they
// end, so each one is a contiguous extent that Body.Data reads back with
// one ReadAt.
//
// The file is created on the first large body (a capture of small
// exchanges creates none) with mode 0600, and Close removes it. While it is
// open, removing its name (a temp cleaner) does not lose a byte: reads go
// through the open descriptor.
//
// When the store evicts a flow its bodies are released; once the released
// bytes at the front of the file pass spillPunchEvery they are handed back
// to the file system (a hole, on Linux), so a capture left running all day
// uses disk for the bodies it holds, not for every body it ever saw.
type Spill struct {
	dir        string
	punchEvery int64

	// rw guards the file and the released prefix: readers and writers of
	// extents hold it shared, Close and hole punching exclusively, so a
	// read never sees a closed descriptor or bytes given back.
	rw       sync.RWMutex
	f        *os.File
	path     string
	closed   bool
	err      error // why spilling stopped: bodies stay in memory then
	released int64 // [0, released) was given back; reads there fail
	noPunch  bool  // the file system cannot punch holes

	// mu guards the allocation of offsets and the release queue.
	mu   sync.Mutex
	end  int64     // next free offset
	live []*extent // extents in offset order, live[head:] not yet released
	head int
}

// extent is one body's bytes in the spill file.
type extent struct {
	sp  *Spill
	off int64
	// n is the body's length: the reserved length, or less when a body
	// written through as it streamed ended early. It is set before the
	// Body holding the extent is published and never changes after.
	n    int64
	gone bool // released; guarded by sp.mu
}

// NewSpill returns a spill that creates its file in dir (os.TempDir() when
// empty) on first use. Nothing touches the disk until then.
func NewSpill(dir string) *Spill {
	if dir == "" {
		dir = os.TempDir()
	}
	return &Spill{dir: dir, punchEvery: spillPunchEvery}
}

// Path returns the spill file's path, or "" if none was created (yet).
func (sp *Spill) Path() string {
	sp.rw.RLock()
	defer sp.rw.RUnlock()
	return sp.path
}

// Err returns why spilling stopped, if it did (the file could not be
// created or written); bodies are then kept in memory.
func (sp *Spill) Err() error {
	sp.rw.RLock()
	defer sp.rw.RUnlock()
	return sp.err
}

// Close removes the spill file. Bodies kept in it can no longer be read:
// Data returns an error naming the file. Close is safe to call more than
// once and from any goroutine.
func (sp *Spill) Close() error {
	sp.rw.Lock()
	defer sp.rw.Unlock()
	if sp.closed {
		return nil
	}
	sp.closed = true
	if sp.f == nil {
		return nil
	}
	err := sp.f.Close()
	if rmErr := os.Remove(sp.path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) && err == nil {
		err = rmErr
	}
	if err != nil {
		return fmt.Errorf("cannot remove the spill file %s: %w", sp.path, err)
	}
	return nil
}

var errSpillClosed = errors.New("the spill file is closed")

// open creates the file on first use.
func (sp *Spill) open() error {
	sp.rw.Lock()
	defer sp.rw.Unlock()
	switch {
	case sp.closed:
		return errSpillClosed
	case sp.err != nil:
		return sp.err
	case sp.f != nil:
		return nil
	}
	if err := os.MkdirAll(sp.dir, 0o700); err != nil {
		sp.err = fmt.Errorf("cannot create the directory for the spill file: %w", err)
		return sp.err
	}
	f, err := os.CreateTemp(sp.dir, fmt.Sprintf("corscope-bodies-%d-*.spill", os.Getpid()))
	if err != nil {
		sp.err = fmt.Errorf("cannot create the spill file: %w", err)
		return sp.err
	}
	sp.f, sp.path = f, f.Name()
	return nil
}

// write appends parts as one extent. On error the caller keeps the body
// in memory.
func (sp *Spill) write(parts ...[]byte) (*extent, error) {
	var n int64
	for _, p := range parts {
		n += int64(len(p))
	}
	e, err := sp.reserve(n)
	if err != nil {
		return nil, err
	}
	off := int64(0)
	for _, p := range parts {
		if err := sp.writeAt(e, off, p); err != nil {
			e.release()
			return nil, err
		}
		off += int64(len(p))
	}
	return e, nil
}

// reserve allocates an extent of n bytes at the end of the file, creating
// the file on first use. Concurrent bodies reserve their own ranges and
// write them in parallel.
func (sp *Spill) reserve(n int64) (*extent, error) {
	sp.rw.RLock()
	if sp.f == nil && !sp.closed && sp.err == nil {
		sp.rw.RUnlock()
		if err := sp.open(); err != nil {
			return nil, err
		}
		sp.rw.RLock()
	}
	defer sp.rw.RUnlock()
	switch {
	case sp.closed:
		return nil, errSpillClosed
	case sp.err != nil:
		return nil, sp.err
	}
	sp.mu.Lock()
	e := &extent{sp: sp, off: sp.end, n: n}
	sp.end += n
	sp.live = append(sp.live, e)
	sp.mu.Unlock()
	return e, nil
}

// writeAt writes p at offset off of extent e. A failure stops spilling
// (later bodies stay in memory); the caller releases e.
func (sp *Spill) writeAt(e *extent, off int64, p []byte) error {
	sp.rw.RLock()
	var err error
	switch {
	case sp.closed:
		err = errSpillClosed
	default:
		if _, werr := sp.f.WriteAt(p, e.off+off); werr != nil {
			err = fmt.Errorf("cannot write to the spill file %s: %w", sp.path, werr)
		}
	}
	sp.rw.RUnlock()
	if err != nil && err != errSpillClosed {
		sp.fail(err)
	}
	return err
}

// fail stops spilling: later bodies stay in memory (bounded by the store).
func (sp *Spill) fail(err error) {
	sp.rw.Lock()
	if sp.err == nil {
		sp.err = err
	}
	sp.rw.Unlock()
}

// read returns a copy of the extent's bytes.
func (e *extent) read() ([]byte, error) {
	sp := e.sp
	sp.rw.RLock()
	defer sp.rw.RUnlock()
	if sp.closed || sp.f == nil {
		return nil, fmt.Errorf("cannot read this %d-byte body back: corscope's spill file %s is gone (large bodies are kept there while corscope runs; it is removed when corscope exits)", e.n, sp.path)
	}
	if e.off < sp.released {
		return nil, fmt.Errorf("cannot read this %d-byte body back: its flow was evicted and its bytes in the spill file %s were released", e.n, sp.path)
	}
	buf := make([]byte, e.n)
	if _, err := sp.f.ReadAt(buf, e.off); err != nil {
		return nil, fmt.Errorf("cannot read this %d-byte body back from the spill file %s (was it truncated?): %w", e.n, sp.path, err)
	}
	return buf, nil
}

// release marks the extent unused (its flow left the store). Releasing
// twice is harmless. When enough bytes at the front of the file are
// unused, they are given back to the file system.
func (e *extent) release() {
	sp := e.sp
	sp.mu.Lock()
	if e.gone {
		sp.mu.Unlock()
		return
	}
	e.gone = true
	for sp.head < len(sp.live) && sp.live[sp.head].gone {
		sp.live[sp.head] = nil
		sp.head++
	}
	if sp.head > 1024 && sp.head > len(sp.live)/2 {
		n := copy(sp.live, sp.live[sp.head:])
		clear(sp.live[n:])
		sp.live, sp.head = sp.live[:n], 0
	}
	mark := sp.end
	if sp.head < len(sp.live) {
		mark = sp.live[sp.head].off
	}
	sp.mu.Unlock()

	sp.rw.RLock()
	due := mark-sp.released >= sp.punchEvery
	sp.rw.RUnlock()
	if due {
		sp.giveBack(mark)
	}
}

// giveBack releases [released, mark) of the file.
func (sp *Spill) giveBack(mark int64) {
	sp.rw.Lock()
	defer sp.rw.Unlock()
	if mark <= sp.released || sp.closed || sp.f == nil {
		return
	}
	if !sp.noPunch {
		if err := punchHole(sp.f, sp.released, mark-sp.released); err != nil {
			sp.noPunch = true // keep the bytes; the file is removed on exit
		}
	}
	sp.released = mark
}
