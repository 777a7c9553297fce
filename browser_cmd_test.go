package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/corscope/corscope/browser"
	"github.com/corscope/corscope/internal/testenv"
)

// lockedBuffer is a bytes.Buffer safe to read while a process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitText waits until buf holds want.
func waitText(t *testing.T, buf *lockedBuffer, want string, what string, extra func() string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %q never appeared; output:\n%s\n%s", what, want, buf.String(), extra())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func needChromium(t *testing.T) {
	t.Helper()
	testenv.Chromium(t)
}

// pages starts a plain page server and an HTTPS page server on loopback,
// both reached by the browser as "localhost", and writes the HTTPS
// server's certificate for --upstream-ca.
func pages(t *testing.T) (plainURL, tlsURL, tlsCA string) {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<title>corscope browser test</title>")
	})
	plain := httptest.NewServer(h)
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(h)
	t.Cleanup(secure.Close)
	tlsCA = filepath.Join(t.TempDir(), "upstream.pem")
	os.WriteFile(tlsCA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw}), 0o644)
	// "localhost" proves loopback is not bypassed; the HTTPS page keeps
	// 127.0.0.1, which httptest's certificate is valid for.
	_, pp, _ := net.SplitHostPort(plain.Listener.Addr().String())
	return "http://localhost:" + pp + "/plain-page", secure.URL + "/tls-page", tlsCA
}

func TestBrowserCommandUsesARunningCorscope(t *testing.T) {
	needChromium(t)
	testBrowserThroughRunningCorscope(t)
}

// Firefox gets localhost through the proxy (allow_hijacking_localhost) and
// trusts corscope's CA through the throwaway profile's own certificate
// store (NSS certutil).
func TestBrowserCommandFirefoxThroughARunningCorscope(t *testing.T) {
	if _, err := browser.Find(browser.Firefox); err != nil {
		testenv.Missing(t, "Firefox", "apt-get install -y firefox-esr libnss3-tools", err)
	}
	testenv.LookPath(t, "certutil", "apt-get install -y libnss3-tools")
	testBrowserThroughRunningCorscope(t, "--firefox")
}

func testBrowserThroughRunningCorscope(t *testing.T, extra ...string) {
	bin := corscopeBinary(t)
	plainURL, tlsURL, tlsCA := pages(t)
	home := filepath.Join(t.TempDir(), "home")
	// A port the kernel picks: one the test chose and released could be
	// taken by another test process before corscope binds it.
	capture := exec.Command(bin, "capture", "--listen", "127.0.0.1:0", "--jsonl", "-", "--home", home, "--upstream-ca", tlsCA)
	var flows, capErr lockedBuffer
	capture.Stdout, capture.Stderr = &flows, &capErr
	if err := capture.Start(); err != nil {
		t.Fatal(err)
	}
	defer capture.Process.Kill()
	waitText(t, &capErr, "recording on", "capture start", func() string { return "" })
	m := regexp.MustCompile(`recording on (127\.0\.0\.1:\d+):`).FindStringSubmatch(capErr.String())
	if m == nil {
		t.Fatalf("capture did not say where it records:\n%s", capErr.String())
	}
	addr := m[1]

	for _, page := range []string{plainURL, tlsURL} {
		b := exec.Command(bin, append(append([]string{"browser", "--headless", "--listen", addr, "--home", home}, extra...), page)...)
		var bOut lockedBuffer
		b.Stdout, b.Stderr = &bOut, &bOut
		if err := b.Start(); err != nil {
			t.Fatal(err)
		}
		waitText(t, &flows, `"url":"`+page+`"`, "flow for "+page, bOut.String)
		b.Process.Signal(syscall.SIGINT)
		if err := b.Wait(); err != nil {
			t.Errorf("browser command exited with %v after SIGINT:\n%s", err, bOut.String())
		}
		if !strings.Contains(bOut.String(), "is browsing through the corscope on "+addr) {
			t.Errorf("the browser command did not say it uses the running corscope:\n%s", bOut.String())
		}
	}
	// The HTTPS page was intercepted, not tunnelled blind: its flow has
	// a status (the browser trusted corscope's leaf through the SPKI flag).
	sc := bufio.NewScanner(strings.NewReader(flows.String()))
	for sc.Scan() {
		var l struct {
			URL    string `json:"url"`
			Status int    `json:"status"`
		}
		json.Unmarshal(sc.Bytes(), &l)
		if l.URL == tlsURL && l.Status != 200 {
			t.Errorf("HTTPS page flow has status %d, want 200", l.Status)
		}
	}
}

func TestBrowserCommandStartsItsOwnProxyWhenNoneRuns(t *testing.T) {
	needChromium(t)
	bin := corscopeBinary(t)
	plainURL, _, _ := pages(t)
	addr := freeAddr(t)
	// The browser's throwaway profile goes here. Not t.TempDir(): Chromium
	// puts a Unix socket under TMPDIR, and socket paths are limited to 108
	// bytes.
	tmp, err := os.MkdirTemp("", "cb")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	b := exec.Command(bin, "browser", "--headless", "--listen", addr, "--home", filepath.Join(t.TempDir(), "home"), plainURL)
	b.Env = append(os.Environ(), "TMPDIR="+tmp)
	var out, errOut lockedBuffer
	b.Stdout, b.Stderr = &out, &errOut
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	defer b.Process.Kill()
	waitText(t, &out, plainURL, "flow line", errOut.String)
	b.Process.Signal(syscall.SIGINT)
	if err := b.Wait(); err != nil {
		t.Fatalf("browser command exited with %v after SIGINT:\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "this proxy stops when it exits") {
		t.Errorf("stderr does not explain the proxy's lifetime:\n%s", errOut.String())
	}
	// The profile was created (so the check below means something) and
	// removed when the browser stopped.
	if !strings.Contains(errOut.String(), "started") {
		t.Fatalf("no browser start reported:\n%s", errOut.String())
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "corscope-profile-*")); len(left) > 0 {
		t.Errorf("profile left behind: %v", left)
	}
}
