package capture

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
)

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// bodyServer answers /size/N with N random bytes (seeded by N) and echoes
// request bodies back.
func bodyServer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			// Read it all first: HTTP/1 stops request reads at the first write.
			data, _ := io.ReadAll(r.Body)
			w.Write(data)
			return
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/size/"))
		if r.URL.Query().Has("chunked") {
			// No Content-Length: the tee learns the size as it goes.
			w.(http.Flusher).Flush()
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(n))
		}
		w.Write(randomBytes(n, uint64(n)))
	})
}

func TestSpilledBodiesRoundTripByteIdenticalThroughTheProxy(t *testing.T) {
	noLeaks(t)
	for _, m := range bothModes {
		t.Run(m.name, func(t *testing.T) {
			spill := NewSpill(t.TempDir())
			t.Cleanup(func() { spill.Close() })
			srv, p := upstream(t, m, bodyServer(), func(c *Config) {
				c.Spill, c.InlineBody, c.MaxBody = spill, 4096, 256<<10
			})
			c := clientVia(t, p)
			cases := []struct {
				path      string
				size      int
				spilled   bool
				truncated bool
			}{
				{"/size/4096", 4096, false, false},                         // exactly the inline size: memory
				{"/size/4097", 4097, true, false},                          // one byte more: spill file
				{"/size/16384", 16384, true, false},                        // the 16 KiB of the memory target
				{"/size/200000?chunked", 200000, true, false},              // unknown length, several pooled chunks
				{"/size/300000", 300000, true, true},                       // over --max-body: a spilled prefix
				{"/size/70000?chunked", 70000, true, false},                // reuses chunks the earlier bodies returned
				{"/size/100", 100, false, false},                           // small
				{"/size/0", 0, false, false},                               // empty
				{"/size/65536", 65536, true, false},                        // exactly one chunk past the head
				{"/size/" + strconv.Itoa(256<<10), 256 << 10, true, false}, // exactly --max-body
			}
			for _, tc := range cases {
				want := randomBytes(tc.size, uint64(tc.size))
				resp, err := c.Get(srv.URL + tc.path)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: the client got %d bytes, not the %d the server sent", tc.path, len(got), len(want))
				}
				f := waitFlow(t, p.Store(), func(f Flow) bool { return strings.HasSuffix(f.Request.URL, tc.path) })
				b := f.Response.Body
				if b.Spilled() != tc.spilled || b.Truncated != tc.truncated || b.Size != int64(tc.size) {
					t.Fatalf("%s: spilled=%v truncated=%v size=%d, want %v %v %d", tc.path, b.Spilled(), b.Truncated, b.Size, tc.spilled, tc.truncated, tc.size)
				}
				if tc.spilled && b.InMemory() != 0 {
					t.Errorf("%s: a spilled body still holds %d bytes in memory", tc.path, b.InMemory())
				}
				data, err := b.Data()
				if err != nil {
					t.Fatalf("%s: Data: %v", tc.path, err)
				}
				keep := min(tc.size, 256<<10)
				if !bytes.Equal(data, want[:keep]) || b.Kept() != keep {
					t.Fatalf("%s: read back %d bytes (Kept %d), not the first %d sent", tc.path, len(data), b.Kept(), keep)
				}
			}
			// A request body spills too, and the echo proves what passed.
			up := randomBytes(100_000, 7)
			resp, err := c.Post(srv.URL+"/echo", "application/octet-stream", bytes.NewReader(up))
			if err != nil {
				t.Fatal(err)
			}
			echoed, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(echoed, up) {
				t.Fatal("the upload did not reach the server intact")
			}
			f := waitFlow(t, p.Store(), func(f Flow) bool { return f.Request.Method == http.MethodPost })
			for side, b := range map[string]Body{"request": f.Request.Body, "response": f.Response.Body} {
				data, err := b.Data()
				if err != nil || !b.Spilled() || !bytes.Equal(data, up) {
					t.Errorf("%s body: spilled=%v err=%v equal=%v", side, b.Spilled(), err, bytes.Equal(data, up))
				}
			}
			if p := spill.Path(); !strings.HasPrefix(filepath.Base(p), "corscope-bodies-"+strconv.Itoa(os.Getpid())+"-") || !strings.HasSuffix(p, ".spill") {
				t.Errorf("spill file %q is not named corscope-bodies-<pid>-*.spill", p)
			}
		})
	}
}

func TestSpillCloseRemovesTheFileAndDataNamesIt(t *testing.T) {
	dir := t.TempDir()
	sp := NewSpill(dir)
	if sp.Path() != "" {
		t.Fatal("a spill created a file before its first body")
	}
	want := randomBytes(10000, 1)
	ext, err := sp.write(want[:3000], want[3000:])
	if err != nil {
		t.Fatal(err)
	}
	b := Body{Size: 10000, ext: ext}
	path := sp.Path()
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("spill file %s: %v, mode %v; want it to exist with mode 0600", path, err, st.Mode().Perm())
	}
	if got, err := b.Data(); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Data before Close: %v, equal=%v", err, bytes.Equal(got, want))
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("the spill file is still there after Close: %v", err)
	}
	_, err = b.Data()
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "gone") {
		t.Fatalf("Data after Close returned %v; want an error naming %s", err, path)
	}
	if err := sp.Close(); err != nil {
		t.Fatalf("a second Close failed: %v", err)
	}
	if _, err := sp.write([]byte("late")); err == nil {
		t.Fatal("write after Close succeeded")
	}
}

func TestSpillKeepsBodiesReadableWhenItsNameIsRemoved(t *testing.T) {
	sp := NewSpill(t.TempDir())
	defer sp.Close()
	want := randomBytes(5000, 2)
	ext, err := sp.write(want)
	if err != nil {
		t.Fatal(err)
	}
	// A temp cleaner removes the name: the open descriptor still reads.
	if err := os.Remove(sp.Path()); err != nil {
		t.Fatal(err)
	}
	if got, err := (Body{ext: ext}).Data(); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Data after the name was removed: %v, equal=%v", err, bytes.Equal(got, want))
	}
}

func TestSpillGivesReleasedBytesBackAndNeverReadsThemAsZeros(t *testing.T) {
	sp := NewSpill(t.TempDir())
	defer sp.Close()
	sp.punchEvery = 256 << 10
	var exts []*extent
	var datas [][]byte
	for i := range 40 { // 40 × 64 KiB = 2.5 MiB
		d := randomBytes(64<<10, uint64(100+i))
		e, err := sp.write(d)
		if err != nil {
			t.Fatal(err)
		}
		exts, datas = append(exts, e), append(datas, d)
	}
	blocks := func() int64 {
		var st syscall.Stat_t
		if err := syscall.Stat(sp.Path(), &st); err != nil {
			t.Fatal(err)
		}
		return st.Blocks * 512
	}
	before := blocks()
	// Release out of order: 1..29 first, 0 last, so nothing can be given
	// back until the front extent goes.
	for i := 1; i < 30; i++ {
		exts[i].release()
	}
	if _, err := (Body{ext: exts[5]}).Data(); err != nil {
		t.Fatalf("a released extent behind a live one was given back already: %v", err)
	}
	exts[0].release()
	exts[0].release() // twice: harmless
	_, err := (Body{ext: exts[3]}).Data()
	if err == nil || !strings.Contains(err.Error(), "evicted") || !strings.Contains(err.Error(), sp.Path()) {
		t.Fatalf("reading a given-back body returned %v; want an error saying it was evicted, naming the file", err)
	}
	for i := 30; i < 40; i++ {
		got, err := (Body{ext: exts[i]}).Data()
		if err != nil || !bytes.Equal(got, datas[i]) {
			t.Fatalf("live extent %d after the front was given back: %v, equal=%v", i, err, bytes.Equal(got, datas[i]))
		}
	}
	if runtime.GOOS == "linux" && !sp.noPunch {
		if after := blocks(); after > before-25*(64<<10) {
			t.Errorf("the file still uses %d bytes of disk after 30 of 40 bodies were released (%d before)", after, before)
		}
	}
}

func TestSpillThatCannotBeCreatedKeepsBodiesInMemory(t *testing.T) {
	noLeaks(t)
	// A file where the directory should be: the spill cannot be created.
	notADir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notADir, nil, 0o600)
	spill := NewSpill(notADir)
	srv, p := upstream(t, bothModes[0], bodyServer(), func(c *Config) { c.Spill = spill })
	c := clientVia(t, p)
	resp, err := c.Get(srv.URL + "/size/50000")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	f := waitFlow(t, p.Store(), func(Flow) bool { return true })
	data, err := f.Response.Body.Data()
	if err != nil || f.Response.Body.Spilled() || !bytes.Equal(data, randomBytes(50000, 50000)) {
		t.Fatalf("spilled=%v err=%v equal=%v; want the body kept in memory, intact", f.Response.Body.Spilled(), err, bytes.Equal(data, randomBytes(50000, 50000)))
	}
	if spill.Err() == nil || !strings.Contains(spill.Err().Error(), "spill file") {
		t.Fatalf("Spill.Err() = %v; want why it could not spill", spill.Err())
	}
}

func TestRemoveStaleSpillsKeepsFilesOfRunningProcesses(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("stale spill files are recognised on Linux only")
	}
	dir := t.TempDir()
	// A process that has exited: its PID is free (until reused).
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	dead := filepath.Join(dir, fmt.Sprintf("corscope-bodies-%d-123.spill", cmd.Process.Pid))
	alive := filepath.Join(dir, fmt.Sprintf("corscope-bodies-%d-456.spill", os.Getppid()))
	mine := filepath.Join(dir, fmt.Sprintf("corscope-bodies-%d-789.spill", os.Getpid()))
	other := filepath.Join(dir, "notes.spill")
	for _, p := range []string{dead, alive, mine, other} {
		os.WriteFile(p, []byte("x"), 0o600)
	}
	n, err := RemoveStaleSpills(dir)
	if err != nil || n != 1 {
		t.Fatalf("RemoveStaleSpills = %d, %v; want 1 removed", n, err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Error("the dead process's spill file is still there")
	}
	for _, p := range []string{alive, mine, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
}

// readAll drains a tee the way the proxy does, in 32 KiB reads.
func readAll(t *testing.T, tee *bodyTee) {
	t.Helper()
	buf := make([]byte, 32<<10)
	for {
		if _, err := tee.Read(buf); err != nil {
			return
		}
	}
}

func TestBodiesOfKnownLengthAreWrittenThroughAsTheyStream(t *testing.T) {
	sp := NewSpill(t.TempDir())
	defer sp.Close()
	keep := keepPolicy{max: 1 << 20, inline: 4096, spill: sp}
	data := randomBytes(200_000, 3)

	// Announced and delivered in full.
	tee := newBodyTee(io.NopCloser(bytes.NewReader(data)), keep, int64(len(data)), nil)
	readAll(t, tee)
	if tee.ext == nil || len(tee.chunks) != 0 {
		t.Fatal("a body of known length was not written through")
	}
	if snap := tee.body(); !snap.Spilled() || snap.Size != 200_000 {
		t.Fatalf("the body after EOF: spilled=%v size=%d", snap.Spilled(), snap.Size)
	}
	b := tee.seal()
	if got, err := b.Data(); err != nil || !bytes.Equal(got, data) || b.Truncated {
		t.Fatalf("written-through body: err=%v equal=%v truncated=%v", err, bytes.Equal(got, data), b.Truncated)
	}

	// The upstream breaks off halfway: the extent holds what came.
	half := io.MultiReader(bytes.NewReader(data[:100_000]), iotest.ErrReader(io.ErrUnexpectedEOF))
	tee = newBodyTee(io.NopCloser(half), keep, int64(len(data)), nil)
	readAll(t, tee)
	b = tee.seal()
	if got, err := b.Data(); err != nil || !bytes.Equal(got, data[:100_000]) || b.Size != 100_000 || b.Kept() != 100_000 {
		t.Fatalf("cut-off body: err=%v kept=%d size=%d equal=%v", err, b.Kept(), b.Size, bytes.Equal(got, data[:100_000]))
	}

	// The spill file goes away mid-body: the head is kept, marked truncated.
	tee = newBodyTee(io.NopCloser(bytes.NewReader(data)), keep, int64(len(data)), nil)
	buf := make([]byte, 32<<10)
	tee.Read(buf)
	sp.Close()
	readAll(t, tee)
	b = tee.seal()
	got, err := b.Data()
	if err != nil || b.Spilled() || !b.Truncated || !bytes.Equal(got, data[:4096]) || b.Size != 200_000 {
		t.Fatalf("after the spill file failed: spilled=%v truncated=%v kept=%d size=%d err=%v", b.Spilled(), b.Truncated, b.Kept(), b.Size, err)
	}
}
