package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// corscopeBinary builds the command once per test run.
func corscopeBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "corscope-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "corscope")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// freeAddr returns a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestCaptureCommandRecordsTrafficAndWritesJSONLAndHAROnSIGINT(t *testing.T) {
	bin := corscopeBinary(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "http://app.test")
		io.WriteString(w, `{"ok":true}`)
	}))
	defer api.Close()

	dir := t.TempDir()
	harPath := filepath.Join(dir, "out.har")
	var stdout bytes.Buffer
	stderr := newSyncBuf()
	cmd, addr := startCapture(t, bin, &stdout, stderr, "--jsonl", "-", "--har", harPath, "--home", filepath.Join(dir, "home"))
	defer cmd.Process.Kill()

	proxyURL, _ := url.Parse("http://" + addr)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}, Timeout: 10 * time.Second}
	urls := []string{api.URL + "/api/users", api.URL + "/api/items", "http://" + freeAddr(t) + "/down"}
	for _, u := range urls {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Origin", "http://app.test")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	client.CloseIdleConnections()

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("capture exited with %v after SIGINT; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("capture did not exit within 10 s of SIGINT")
	}

	// JSONL: one object per finished flow with the documented fields.
	type line struct {
		ID        uint64             `json:"id"`
		Start     time.Time          `json:"start"`
		Method    string             `json:"method"`
		URL       string             `json:"url"`
		Status    int                `json:"status"`
		Error     string             `json:"error"`
		ErrorKind string             `json:"error_kind"`
		Durations map[string]float64 `json:"durations_ms"`
		Sizes     map[string]any     `json:"sizes"`
	}
	seen := map[string]line{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("stdout line is not JSON: %q (%v)", sc.Text(), err)
		}
		seen[l.URL] = l
	}
	if len(seen) != len(urls) {
		t.Fatalf("JSONL has %d flows, want %d:\n%s\nstderr:\n%s", len(seen), len(urls), stdout.String(), stderr.String())
	}
	for _, u := range urls[:2] {
		l := seen[u]
		if l.ID == 0 || l.Method != "GET" || l.Status != 200 || l.Error != "" || l.Start.IsZero() || l.Durations["total"] <= 0 || l.Sizes["response_body"] != float64(len(`{"ok":true}`)) {
			t.Errorf("JSONL line for %s: %+v", u, l)
		}
	}
	if l := seen[urls[2]]; l.Status != 0 || l.ErrorKind != "refused" || !strings.Contains(l.Error, "refused") {
		t.Errorf("JSONL line for the refused request: %+v", l)
	}

	// HAR: valid JSON with one entry per flow.
	data, err := os.ReadFile(harPath)
	if err != nil {
		t.Fatalf("no HAR written: %v; stderr:\n%s", err, stderr.String())
	}
	var doc struct {
		Log struct {
			Version string `json:"version"`
			Entries []struct {
				Request struct {
					Method string `json:"method"`
					URL    string `json:"url"`
				} `json:"request"`
				Response struct {
					Status int `json:"status"`
				} `json:"response"`
				Cors struct {
					Kind string `json:"kind"`
				} `json:"_cors"`
			} `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("HAR is not JSON: %v", err)
	}
	if doc.Log.Version != "1.2" || len(doc.Log.Entries) != len(urls) {
		t.Fatalf("HAR version %q with %d entries, want 1.2 with %d", doc.Log.Version, len(doc.Log.Entries), len(urls))
	}
	if e := doc.Log.Entries[0]; e.Request.URL != urls[0] || e.Response.Status != 200 {
		t.Errorf("first HAR entry %+v", e)
	}
	// corscope's verdicts travel with the capture in _cors.
	for i, e := range doc.Log.Entries {
		if e.Cors.Kind == "" {
			t.Errorf("HAR entry %d has no _cors verdict", i)
		}
	}
}

func TestCaptureCommandReportsAPortInUseInOneLine(t *testing.T) {
	bin := corscopeBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cmd := exec.Command(bin, "capture", "--listen", ln.Addr().String(), "--home", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if err == nil {
		t.Fatal("capture on a busy port exited 0")
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "--listen") || !strings.Contains(msg, "already in use") {
		t.Fatalf("stderr is not one line naming --listen:\n%s", msg)
	}
}

func TestCACommandPrintsPathPEMAndSPKI(t *testing.T) {
	bin := corscopeBinary(t)
	home := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"ca", "--home", home}, args...)...).Output()
		if err != nil {
			t.Fatalf("corscope ca %v: %v", args, err)
		}
		return string(out)
	}
	path := strings.TrimSpace(run("--path"))
	pemText := run("--pem")
	spki := strings.TrimSpace(run("--spki"))
	if data, err := os.ReadFile(path); err != nil || string(data) != pemText {
		t.Fatalf("--path %q does not hold the --pem certificate (%v)", path, err)
	}
	if !strings.HasPrefix(pemText, "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("--pem printed %q", pemText)
	}
	if len(spki) != 44 || !strings.HasSuffix(spki, "=") {
		t.Fatalf("--spki printed %q, want a base64 SHA-256", spki)
	}
	help := run()
	for _, want := range []string{path, spki, "Firefox", "Remove it"} {
		if !strings.Contains(help, want) {
			t.Errorf("'corscope ca' does not mention %q", want)
		}
	}
}
