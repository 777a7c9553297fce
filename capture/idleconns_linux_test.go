package capture

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The 10,000 idle connections come from a child process (this test binary
// run again with idleClientsEnv set), as they would from other programs:
// the proxy's process then holds only its own ends of them, which is what
// /proc/self/fd should show.
const idleClientsEnv = "CORSCOPE_IDLE_CLIENTS"

// Kinds of idle client, and how many of each the test opens.
const (
	idleSilent    = 7000 // connects and never sends a byte
	idleKeptAlive = 2000 // one request, then an idle keep-alive connection
	idleTunnels   = 1000 // CONNECT to a silent non-HTTP port, then nothing
	idleTotal     = idleSilent + idleKeptAlive + idleTunnels
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// ensureFDLimit makes sure this process may open need descriptors. Go
// (1.19 and later) already raises the soft RLIMIT_NOFILE to the hard limit
// when a program starts, so this only acts where that did not happen; it
// returns false when even the hard limit is too low.
func ensureFDLimit(t *testing.T, need uint64) bool {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Logf("RLIMIT_NOFILE: soft %d, hard %d; need %d", lim.Cur, lim.Max, need)
	if lim.Cur >= need {
		return true
	}
	if lim.Max < need {
		return false
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("raising the soft file descriptor limit to %d: %v", lim.Max, err)
	}
	return true
}

func TestTenThousandIdleConnectionsAreTimedOutWhileOthersAreServed(t *testing.T) {
	if os.Getenv(idleClientsEnv) != "" {
		t.Skip("running as the idle-client child")
	}
	// The proxy's process holds one descriptor per client connection,
	// one per blind tunnel's upstream, and that upstream's accepted end.
	if !ensureFDLimit(t, idleTotal+2*idleTunnels+1000) {
		t.Skip("the hard RLIMIT_NOFILE is below what 10,000 connections need; raise it (ulimit -Hn) to run this test")
	}
	noLeaks(t)

	// A silent non-HTTP server for the tunnels.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var silentConns sync.WaitGroup
	silentDone := make(chan struct{})
	go func() {
		defer close(silentDone)
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			silentConns.Go(func() {
				io.Copy(io.Discard, c) // until the proxy closes the tunnel
				c.Close()
			})
		}
	}()
	t.Cleanup(func() { silent.Close(); <-silentDone; silentConns.Wait() })
	_, silentPort, _ := net.SplitHostPort(silent.Addr().String())
	blindPorts[silentPort] = true
	t.Cleanup(func() { delete(blindPorts, silentPort) })

	web := httptest.NewServer(http.HandlerFunc(echoHandler))
	t.Cleanup(web.Close)

	// Long enough for all 10,000 to be open before the first times out,
	// even under the race detector on a busy machine.
	const idle = 10 * time.Second
	p := startProxyTuned(t, nil, func(p *Proxy) {
		p.srv.ReadHeaderTimeout = idle
		p.srv.IdleTimeout = idle
		p.hijackIdle = idle
	})
	baseFDs := openFDs(t)

	child := exec.Command(os.Args[0], "-test.run=^TestIdleClientsChild$", "-test.v")
	child.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%s,%s", idleClientsEnv, p.Addr(), web.URL, silent.Addr()))
	child.Stderr = os.Stderr
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	lines := bufio.NewScanner(out)
	expect := func(prefix string, within time.Duration) string {
		t.Helper()
		got := make(chan string, 1)
		go func() {
			for lines.Scan() {
				if l := lines.Text(); strings.HasPrefix(l, prefix) {
					got <- strings.TrimSpace(strings.TrimPrefix(l, prefix))
					return
				}
			}
			close(got)
		}()
		select {
		case l, ok := <-got:
			if !ok {
				t.Fatalf("the idle-client child ended without saying %q", prefix)
			}
			return l
		case <-time.After(within):
			t.Fatalf("the idle-client child did not say %q within %v", prefix, within)
		}
		return ""
	}

	opened := time.Now()
	expect("open ", 60*time.Second)
	peakFDs := openFDs(t)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d idle connections open after %v: %d descriptors in the proxy's process (%d before), %d goroutines, %d MiB heap in use",
		idleTotal, time.Since(opened).Round(time.Millisecond), peakFDs, baseFDs, runtime.NumGoroutine(), ms.HeapInuse>>20)
	if grew := peakFDs - baseFDs; grew < idleTotal {
		t.Fatalf("descriptors grew by %d, fewer than the %d connections: some were closed before all were open, so the test measured nothing", grew, idleTotal)
	} else if grew > idleTotal+2*idleTunnels+200 {
		t.Errorf("descriptors grew by %d for %d connections (%d of them tunnels): more than one per connection and tunnel end", grew, idleTotal, idleTunnels)
	}

	// The proxy keeps serving others, promptly.
	c := clientVia(t, p)
	for i := range 5 {
		start := time.Now()
		resp, err := c.Post(fmt.Sprintf("%s/busy/%d", web.URL, i), "text/plain", strings.NewReader("ok"))
		if err != nil {
			t.Fatalf("with %d idle connections open the proxy failed a request: %v", idleTotal, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != "POST ok" {
			t.Fatalf("got %q", body)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("a request took %v with %d idle connections open", d, idleTotal)
		}
	}
	c.Transport.(*http.Transport).CloseIdleConnections()

	// The idle timeout closes every one of them: the child sees each
	// connection end, and the descriptors go back to where they were.
	closed := expect("closed ", 60*time.Second)
	t.Logf("the child saw its connections closed: %s", closed)
	if !strings.HasPrefix(closed, fmt.Sprint(idleTotal)+" ") {
		t.Fatalf("the child reports %q, want all %d closed by the proxy", closed, idleTotal)
	}
	// What may stay open is the proxy's pool of idle upstream connections
	// (both ends, since the upstream runs in this process), which its
	// Transport bounds per host; the rest must be gone.
	pool := 2 * p.tr.MaxIdleConnsPerHost
	settle := func(limit int) int {
		deadline := time.Now().Add(10 * time.Second)
		for {
			n := openFDs(t)
			if n <= limit || time.Now().After(deadline) {
				return n
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	now := settle(baseFDs + pool + 10)
	t.Logf("descriptors after the idle timeout: %d (before: %d, peak: %d)", now, baseFDs, peakFDs)
	if now > baseFDs+pool+10 {
		t.Fatalf("%d descriptors still open after the idle timeout, %d before the connections", now, baseFDs)
	}
	p.tr.CloseIdleConnections()
	web.CloseClientConnections()
	if now = settle(baseFDs + 10); now > baseFDs+10 {
		t.Fatalf("%d descriptors open once the upstream pool is emptied, %d before the connections", now, baseFDs)
	}
	flows := 0
	for _, f := range p.Store().Snapshot() {
		if strings.Contains(f.Request.URL, "/kept-alive/") {
			if f.State != StateDone {
				t.Fatalf("flow %s: %v %q", f.Request.URL, f.State, f.Error)
			}
			flows++
		}
	}
	if flows != idleKeptAlive {
		t.Errorf("recorded %d of the %d keep-alive requests", flows, idleKeptAlive)
	}
	proxyStillServes(t, p)
}

// TestIdleClientsChild is the child side of the test above: it opens the
// idle connections, says "open", waits until the proxy has closed every
// one, and says "closed N after D".
func TestIdleClientsChild(t *testing.T) {
	spec := os.Getenv(idleClientsEnv)
	if spec == "" {
		t.Skip("only runs as the child of TestTenThousandIdleConnectionsAreTimedOutWhileOthersAreServed")
	}
	parts := strings.Split(spec, ",")
	proxyAddr, webURL, silentAddr := parts[0], parts[1], parts[2]
	fail := func(format string, v ...any) {
		fmt.Fprintf(os.Stderr, "idle-client child: "+format+"\n", v...)
		os.Exit(2)
	}
	conns := make([]net.Conn, 0, idleTotal)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", proxyAddr)
		if err != nil {
			fail("dial %d: %v", len(conns), err)
		}
		conns = append(conns, c)
		return c
	}
	// Keep-alive and tunnel connections each need an answer; a few at a
	// time, so the proxy is not asked for thousands of upstream dials.
	// They go first: the silent ones are quick to open.
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	var failed atomic.Value
	for i := range idleKeptAlive + idleTunnels {
		mu.Lock()
		c := dial()
		mu.Unlock()
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var err error
			if i < idleKeptAlive {
				_, err = fmt.Fprintf(c, "GET %s/kept-alive/%d HTTP/1.1\r\nHost: %s\r\n\r\n", webURL, i, strings.TrimPrefix(webURL, "http://"))
			} else {
				_, err = fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", silentAddr, silentAddr)
			}
			if err == nil {
				var resp *http.Response
				// The reader is dropped: nothing else is sent on it.
				resp, err = http.ReadResponse(bufio.NewReader(c), nil)
				if err == nil {
					if i < idleKeptAlive {
						_, err = io.Copy(io.Discard, resp.Body)
					}
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
			}
			if err != nil {
				failed.Store(fmt.Errorf("connection %d: %w", i, err))
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		fail("%v", err)
	}
	for range idleSilent {
		dial()
	}
	fmt.Println("open", len(conns))

	start := time.Now()
	var closedByProxy atomic.Int64
	var all sync.WaitGroup
	for _, c := range conns {
		all.Go(func() {
			c.SetReadDeadline(time.Now().Add(45 * time.Second))
			_, err := c.Read(make([]byte, 1))
			if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				closedByProxy.Add(1)
			}
			c.Close()
		})
	}
	all.Wait()
	fmt.Println("closed", closedByProxy.Load(), "after", time.Since(start).Round(time.Millisecond))
	os.Exit(0)
}
