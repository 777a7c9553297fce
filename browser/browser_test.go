package browser

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestChromiumArgsRouteLoopbackThroughTheProxy(t *testing.T) {
	args := ChromiumArgs(Options{Proxy: "127.0.0.1:8080", SPKI: "abc=", URL: "http://localhost:3000/"}, "/tmp/p")
	if !strings.HasPrefix(chromiumBypass, "<-loopback>;") {
		t.Errorf("bypass list %q must start with <-loopback>", chromiumBypass)
	}
	for _, want := range []string{
		"--user-data-dir=/tmp/p",
		"--proxy-server=http://127.0.0.1:8080",
		"--proxy-bypass-list=" + chromiumBypass,
		"--ignore-certificate-errors-spki-list=abc=",
		"--disable-background-networking",
	} {
		if !slices.Contains(args, want) {
			t.Errorf("args lack %q: %v", want, args)
		}
	}
	if got := args[len(args)-1]; got != "http://localhost:3000/" {
		t.Errorf("last arg = %q, want the URL", got)
	}
}

func TestChromiumArgsDirectUsesNoProxy(t *testing.T) {
	args := ChromiumArgs(Options{Direct: true}, "/tmp/p")
	if !slices.Contains(args, "--no-proxy-server") {
		t.Errorf("direct args lack --no-proxy-server: %v", args)
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--proxy-server") || strings.HasPrefix(a, "--proxy-bypass-list") {
			t.Errorf("direct args carry %q", a)
		}
	}
	if _, err := Start(context.Background(), Options{Direct: true, Proxy: "127.0.0.1:8080"}); err == nil {
		t.Error("Start accepted Direct together with a proxy address")
	}
}

func TestFirefoxProfileAllowsLocalhostProxying(t *testing.T) {
	dir := t.TempDir()
	notes, err := prepareFirefoxProfile(dir, Options{Proxy: "127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dir + "/user.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`user_pref("network.proxy.allow_hijacking_localhost", true);`,
		`user_pref("network.proxy.http", "127.0.0.1");`,
		`user_pref("network.proxy.ssl_port", 8080);`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("user.js lacks %s", want)
		}
	}
	if len(notes) == 0 || !strings.Contains(notes[0], "certificate") {
		t.Errorf("without a CA file the user must be told HTTPS will warn; notes = %q", notes)
	}
}

func TestFindNamesWhatToInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Find(Firefox)
	if err == nil {
		t.Skip("Firefox is installed at a standard location")
	}
	if !strings.Contains(err.Error(), "install Firefox") {
		t.Errorf("error %q does not say what to install", err)
	}
}

// recordingProxy is a minimal forward proxy for plain HTTP that remembers
// the absolute URLs it was asked for and answers them itself.
type recordingProxy struct {
	mu   sync.Mutex
	urls []string
}

func (p *recordingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.urls = append(p.urls, r.URL.String())
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/html")
	w.Write([]byte("<title>via proxy</title>"))
}

func (p *recordingProxy) saw(prefix string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, u := range p.urls {
		if strings.HasPrefix(u, prefix) {
			return true
		}
	}
	return false
}

func TestChromiumSendsLocalhostThroughTheProxy(t *testing.T) {
	needChromium(t)
	rp := &recordingProxy{}
	proxy := httptest.NewServer(rp)
	defer proxy.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Nothing listens on this port: only a proxy can answer it, so the
	// page arriving at our proxy proves loopback is not bypassed.
	page := "http://localhost:" + freePort(t) + "/corscope-loopback-check"
	b, err := Start(ctx, Options{
		Proxy:           strings.TrimPrefix(proxy.URL, "http://"),
		URL:             page,
		Headless:        true,
		RemoteDebugging: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	profile := b.Profile
	if _, err := b.DevToolsURL(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !rp.saw(page) {
		if time.Now().After(deadline) {
			t.Fatalf("the proxy never saw %s; it saw %v", page, rp.urls)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(profile); !os.IsNotExist(err) {
		t.Errorf("profile %s still exists after Stop (err=%v)", profile, err)
	}
}

// freePort returns a loopback port nothing listens on (Chromium refuses
// well-known "unsafe" ports such as 9, so a high one is needed).
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

func TestChromiumUnderALongTMPDIRStartsAndLeavesNothing(t *testing.T) {
	needChromium(t)
	// Long enough that Chromium's socket path would pass 108 bytes if
	// it used TMPDIR directly.
	long := filepath.Join(t.TempDir(), strings.Repeat("d", 70))
	if err := os.MkdirAll(long, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", long)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := Start(ctx, Options{Proxy: "127.0.0.1:" + freePort(t), Headless: true, RemoteDebugging: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.DevToolsURL(ctx); err != nil {
		b.Stop()
		t.Fatalf("Chromium did not start under a long TMPDIR: %v", err)
	}
	// A signal, not a polite close: the worst case for leftovers.
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(long)
	if len(left) != 0 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Errorf("left behind in TMPDIR: %v", names)
	}
}

// needChromium skips without Chromium, or fails where CI asked for every
// tool (internal/testenv says the same for the other packages; it cannot be
// imported here, it imports this package).
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := Find(Chromium); err != nil {
		if os.Getenv("CORSCOPE_REQUIRE_TOOLS") != "" || os.Getenv("CORSCOPE_REQUIRE_CHROMIUM") != "" {
			t.Fatal("Chromium is required here:", err)
		}
		t.Skip("Chromium not installed:", err)
	}
}

func TestLauncherStopsItsBrowsersOnClose(t *testing.T) {
	needChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l := &Launcher{Options: Options{Proxy: "127.0.0.1:" + freePort(t), Headless: true}}
	var started []*Browser
	for i := 0; i < 2; i++ {
		b, err := l.Launch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		started = append(started, b)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, b := range started {
		select {
		case <-b.Done():
		default:
			t.Error("a launched browser is still running after Close")
		}
		if _, err := os.Stat(b.Profile); !os.IsNotExist(err) {
			t.Errorf("profile %s left after Close", b.Profile)
		}
	}
	if _, err := l.Launch(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Launch after Close = %v, want ErrClosed", err)
	}
}
