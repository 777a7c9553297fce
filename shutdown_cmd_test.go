package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The shutdown tests run the real binary, send real traffic through it and
// signal it, as a user's Ctrl-C or a supervisor's SIGTERM would.

// textBody is n bytes of printable text (seeded), so a HAR carries it as
// plain text and a test can compare it.
func textBody(n int, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

// shutdownUpstream answers /text/N with N bytes of text and /hang by
// waiting until release is closed.
func shutdownUpstream(t *testing.T, release chan struct{}) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			w.WriteHeader(200)
			io.WriteString(w, "started\n")
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/text/"))
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, textBody(n, uint64(n)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func waitListening(t *testing.T, addr string, stderr func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("corscope never listened on %s; stderr:\n%s", addr, stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startCapture starts `corscope capture` with args on a port the kernel
// picks (--listen 127.0.0.1:0) and returns the address corscope reports.
// A port the test picked and released could be taken by another test
// process before corscope binds it. stdout may be nil; the caller kills
// the process.
func startCapture(t *testing.T, bin string, stdout io.Writer, stderr *syncBuf, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"capture", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	recording := regexp.MustCompile(`recording on (127\.0\.0\.1:\d+):`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := recording.FindStringSubmatch(stderr.String()); m != nil {
			return cmd, m[1]
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("corscope capture never said where it records; stderr:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func proxyClient(addr string) *http.Client {
	u, _ := url.Parse("http://" + addr)
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(u), DisableCompression: true}, Timeout: 10 * time.Second}
}

func fetch(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func spillFiles(t *testing.T, home string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(home, "corscope-bodies-*.spill"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// harEntries reads a HAR's entries: URL and response text.
func harEntries(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no HAR: %v", err)
	}
	var doc struct {
		Log struct {
			Entries []struct {
				Request struct {
					URL string `json:"url"`
				} `json:"request"`
				Response struct {
					Content struct {
						Text string `json:"text"`
					} `json:"content"`
				} `json:"response"`
			} `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the HAR is not complete JSON: %v", err)
	}
	out := map[string]string{}
	for _, e := range doc.Log.Entries {
		out[e.Request.URL] = e.Response.Content.Text
	}
	return out
}

type syncBuf struct {
	mu chan struct{}
	b  bytes.Buffer
}

func newSyncBuf() *syncBuf { return &syncBuf{mu: make(chan struct{}, 1)} }

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.String()
}

func TestCaptureOnSIGTERMWritesEveryFlowToTheHARAndRemovesItsSpillFile(t *testing.T) {
	bin := corscopeBinary(t)
	up := shutdownUpstream(t, nil)
	dir := t.TempDir()
	home, harPath := filepath.Join(dir, "home"), filepath.Join(dir, "out.har")
	stderr := newSyncBuf()
	cmd, addr := startCapture(t, bin, nil, stderr, "--har", harPath, "--home", home)
	defer cmd.Process.Kill()

	c := proxyClient(addr)
	sizes := []int{10, 200, 4000, 5000, 100_000, 300_000, 50, 16384}
	for _, n := range sizes {
		if got := fetch(t, c, fmt.Sprintf("%s/text/%d", up.URL, n)); got != textBody(n, uint64(n)) {
			t.Fatalf("the client got a different %d-byte body through the proxy", n)
		}
	}
	c.CloseIdleConnections()
	if s := spillFiles(t, home); len(s) != 1 {
		t.Fatalf("spill files in --home while recording: %v, want one", s)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := waitExit(cmd, 15*time.Second); err != nil {
		t.Fatalf("after SIGTERM: %v; stderr:\n%s", err, stderr.String())
	}
	entries := harEntries(t, harPath)
	if len(entries) != len(sizes) {
		t.Fatalf("the HAR has %d entries, want %d; stderr:\n%s", len(entries), len(sizes), stderr.String())
	}
	for _, n := range sizes {
		u := fmt.Sprintf("%s/text/%d", up.URL, n)
		if entries[u] != textBody(n, uint64(n)) {
			t.Errorf("the HAR's body for %d bytes differs (%d bytes)", n, len(entries[u]))
		}
	}
	if s := spillFiles(t, home); len(s) != 0 {
		t.Fatalf("spill files left after exit: %v", s)
	}
	if out := stderr.String(); !strings.Contains(out, fmt.Sprintf("wrote %d flows to %s", len(sizes), harPath)) {
		t.Errorf("stderr does not say the HAR was written:\n%s", out)
	}
}

// waitExit waits for cmd and returns its error (nil: exit status 0).
func waitExit(cmd *exec.Cmd, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		return fmt.Errorf("did not exit within %s", d)
	}
}

func TestASecondSignalExitsAtOnceWithTheSignalsStatus(t *testing.T) {
	bin := corscopeBinary(t)
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			up := shutdownUpstream(t, release)
			dir := t.TempDir()
			home, harPath := filepath.Join(dir, "home"), filepath.Join(dir, "out.har")
			stderr := newSyncBuf()
			cmd, addr := startCapture(t, bin, nil, stderr, "--har", harPath, "--home", home)
			defer cmd.Process.Kill()
			c := proxyClient(addr)
			fetch(t, c, up.URL+"/text/100000") // spilled
			// An exchange that never ends keeps the first shutdown waiting
			// for its grace period (2 s).
			resp, err := c.Get(up.URL + "/hang")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()

			cmd.Process.Signal(tc.sig)
			// The second signal must come after corscope has taken the
			// first (two pending signals of one kind merge into one), in
			// the middle of its graceful stop.
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(stderr.String(), "stopping (send it again to exit at once)") {
				if time.Now().After(deadline) {
					t.Fatalf("corscope did not start stopping within 10 s of the first signal; stderr:\n%s", stderr.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond)
			t0 := time.Now()
			cmd.Process.Signal(tc.sig)
			err = waitExit(cmd, 10*time.Second)
			took := time.Since(t0)
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("exit: %v, want status %d; stderr:\n%s", err, tc.code, stderr.String())
			}
			if took > time.Second {
				t.Fatalf("the second signal took %s to end corscope; want at once", took)
			}
			out := stderr.String()
			if !strings.Contains(out, "stopping (send it again to exit at once)") || !strings.Contains(out, fmt.Sprintf("exiting at once with status %d", tc.code)) {
				t.Fatalf("stderr does not say what happened:\n%s", out)
			}
			if s := spillFiles(t, home); len(s) != 0 {
				t.Fatalf("spill files left after the immediate exit: %v", s)
			}
			if tmps, _ := filepath.Glob(filepath.Join(dir, ".out.har.*.tmp")); len(tmps) != 0 {
				t.Fatalf("half-written HAR files left: %v", tmps)
			}
		})
	}
}

func TestBrowserCommandOnSIGTERMWritesTheHAR(t *testing.T) {
	needChromium(t)
	bin := corscopeBinary(t)
	plainURL, _, _ := pages(t)
	// Chromium puts a Unix socket under TMPDIR: keep the path short.
	tmp, err := os.MkdirTemp("", "cb")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	harPath := filepath.Join(t.TempDir(), "browser.har")
	// No corscope runs on a port the kernel picks: the browser command
	// starts its own proxy there.
	b := exec.Command(bin, "browser", "--headless", "--listen", "127.0.0.1:0", "--har", harPath, "--home", filepath.Join(t.TempDir(), "home"), plainURL)
	b.Env = append(os.Environ(), "TMPDIR="+tmp)
	var out, errOut lockedBuffer
	b.Stdout, b.Stderr = &out, &errOut
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer b.Process.Kill()
	waitText(t, &out, plainURL, "flow line", errOut.String)
	b.Process.Signal(syscall.SIGTERM)
	if err := waitExit(b, 20*time.Second); err != nil {
		t.Fatalf("browser command after SIGTERM: %v\n%s", err, errOut.String())
	}
	if _, ok := harEntries(t, harPath)[plainURL]; !ok {
		t.Fatalf("the HAR lacks the page the browser loaded; stderr:\n%s", errOut.String())
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "corscope-profile-*")); len(left) > 0 {
		t.Errorf("profile left behind: %v", left)
	}
}
