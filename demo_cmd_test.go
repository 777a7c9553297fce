package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/demo"
	"github.com/corscope/corscope/internal/testenv"
)

// runDemoNoTUI runs the real binary's `demo --no-tui` with TMPDIR and
// --home private to the test, and returns stdout once it has exited 0.
func runDemoNoTUI(t *testing.T, args ...string) (stdout, tmp string) {
	t.Helper()
	bin := corscopeBinary(t)
	// A short TMPDIR: Chromium puts its singleton socket there and aborts
	// when the path passes the 108 bytes a unix socket address holds,
	// which t.TempDir's names (the test's name) easily do.
	tmp, err := os.MkdirTemp("", "cs-demo-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	home := t.TempDir()
	cmd := exec.Command(bin, append([]string{"demo", "--no-tui", "--home", home}, args...)...)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		// The report lists blocked requests on purpose: the demo worked,
		// so the exit status is 0.
		if err != nil {
			t.Fatalf("corscope demo %v: %v\nstderr:\n%s\nstdout:\n%s", args, err, errb.String(), out.String())
		}
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("corscope demo %v did not exit\nstdout so far:\n%s", args, out.String())
	}
	if errb.Len() > 0 {
		t.Errorf("stderr is not empty:\n%s", errb.String())
	}
	return out.String(), tmp
}

// checkDemoReport asserts the report names every planted mistake with
// Chromium's exact label (and failedParameter) and the controls as allowed,
// both in the per-call table and, for the mistakes, in the analyze report.
func checkDemoReport(t *testing.T, out string, chromium bool) {
	t.Helper()
	m := regexp.MustCompile(`the page (http://localhost:\d+)/ calls the API http://localhost:\d+ through corscope on 127\.0\.0\.1:\d+`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no header line naming the page, the API and the proxy:\n%s", out)
	}
	page := m[1]
	for _, c := range demo.Calls() {
		want := c.Want
		if p := strings.ReplaceAll(c.WantParameter, "{page}", page); p != "" {
			want += " (" + p + ")"
		}
		row := ""
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "  "+c.Method+" "+c.Path+" ") {
				row = line
				break
			}
		}
		if row == "" {
			t.Errorf("no row for %s %s", c.Method, c.Path)
			continue
		}
		if !strings.Contains(row, "  "+want) {
			t.Errorf("%s %s: row %q does not say %s", c.Method, c.Path, row, want)
		}
		if chromium && !strings.HasSuffix(row, "  agrees") {
			t.Errorf("%s %s: Chromium and corscope differ: %q", c.Method, c.Path, row)
		}
		if c.Want != demo.Allowed && !strings.Contains(out, "\nBLOCKED  "+c.Want+"  (") {
			t.Errorf("the analyze report has no BLOCKED %s block", c.Want)
		}
	}
	for _, s := range []string{
		"corscope analyze the demo's capture: ",
		"9 blocked, 0 undecidable, 3 allowed",
		"The blocked calls are the planted mistakes: the demo worked (exit status 0).",
		"from origin '" + page + "' has been blocked by CORS policy: ",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("the output lacks %q", s)
		}
	}
}

// checkTmpClean asserts the demo left nothing of its own in TMPDIR: no
// browser profile, no CA. (Chromium itself leaves an empty
// org.chromium.Chromium.* directory when it is stopped by a signal.)
func checkTmpClean(t *testing.T, tmp string) {
	t.Helper()
	ents, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "org.chromium.Chromium.") {
			continue
		}
		t.Errorf("left behind in TMPDIR: %s", e.Name())
	}
}

func TestDemoNoTUIWithTheProbeReportsEveryPlantedMistake(t *testing.T) {
	out, tmp := runDemoNoTUI(t, "--driver", "probe")
	if !strings.Contains(out, "corscope demo: driver: probe — corscope's probe engine") {
		t.Errorf("the report does not say the probe drove:\n%s", out)
	}
	checkDemoReport(t, out, false)
	checkTmpClean(t, tmp)
}

func TestDemoNoTUIWithChromiumReportsEveryPlantedMistakeAndChromiumAgrees(t *testing.T) {
	testenv.Chromium(t)
	for _, args := range [][]string{{"--driver", "chromium"}, nil} {
		name := "auto"
		if args != nil {
			name = "chromium"
		}
		t.Run(name, func(t *testing.T) {
			out, tmp := runDemoNoTUI(t, args...)
			if !regexp.MustCompile(`corscope demo: driver: chromium — headless \S+ \(\S+\) loaded the page through the proxy`).MatchString(out) {
				t.Errorf("the report does not say headless Chromium drove:\n%s", out)
			}
			checkDemoReport(t, out, true)
			checkTmpClean(t, tmp)
		})
	}
}

func TestDemoRejectsAnUnknownDriver(t *testing.T) {
	cmd := exec.Command(corscopeBinary(t), "demo", "--no-tui", "--driver", "firefox")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want status 2\n%s", err, out)
	}
	if !strings.Contains(string(out), "auto, chromium or probe") {
		t.Errorf("the error does not list the drivers:\n%s", out)
	}
}

// TestDemoInterfaceStartsAndQuitsCleanly runs `corscope demo` in tmux the
// way a user does, with the keys demo.tape presses: the interface must open
// on the flows with a blocked one selected, walk Summary → Response → Fix,
// and quit through the confirmation with exit status 0, leaving nothing
// behind.
func TestDemoInterfaceStartsAndQuitsCleanly(t *testing.T) {
	testenv.LookPath(t, "tmux", "install it with: apt-get install -y tmux")
	bin := corscopeBinary(t)
	work, err := os.MkdirTemp("", "cs-tui-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	tmp := work + "/tmp"
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	session := fmt.Sprintf("cs-demo-%d", os.Getpid())
	// A private tmux server whose socket lives in work, removed with it.
	tmuxCmd := func(args ...string) *exec.Cmd {
		c := exec.Command("tmux", append([]string{"-L", session}, args...)...)
		c.Env = append(os.Environ(), "TMUX_TMPDIR="+work)
		return c
	}
	tmux := func(args ...string) string {
		out, err := tmuxCmd(args...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { _ = tmuxCmd("kill-server").Run() })
	screen := func() string { return tmux("capture-pane", "-t", session, "-p") }
	waitFor := func(text string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(screen(), text) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %q; screen:\n%s", text, screen())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	keys := func(k ...string) { tmux(append([]string{"send-keys", "-t", session}, k...)...) }

	tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-e", "TERM=xterm-256color")
	tmux("set-option", "-t", session, "remain-on-exit", "on")
	exitFile := work + "/exit"
	tmux("respawn-pane", "-k", "-t", session, fmt.Sprintf(
		"env TMPDIR=%s CORSCOPE_HOME=%s/home %s demo 2>%s/stderr; echo $? >%s", tmp, work, bin, work, exitFile))

	waitFor("demo: ")
	waitFor("planted mistakes · B opens the page")
	waitFor("9 blocked")
	// The newest flow is selected: the preflight refused by auth.
	waitFor("BLOCKED · PreflightMissingAllowOriginHeader")
	keys("Enter")
	waitFor("▶")
	keys("3")
	waitFor("[3 Response]")
	waitFor("401 Unauthorized")
	waitFor("✗ Access-Control-Allow-Origin: — missing")
	keys("4")
	waitFor("[4 Fix]")
	waitFor("[express]")
	// The rest of demo.tape's walk: another framework, then up the list
	// to the POST refused for its X-Request-Id header, Fix still shown.
	keys("Right")
	waitFor("[fastapi]")
	keys("Escape")
	// Until the list has focus back: an Up sent right behind the Escape
	// would reach the interface as one alt+up sequence.
	deadline := time.Now().Add(15 * time.Second)
	for strings.Contains(screen(), "▶") {
		if time.Now().After(deadline) {
			t.Fatalf("Escape did not give the list its focus back; screen:\n%s", screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for range 6 {
		keys("Up")
	}
	waitFor(`allow_headers=["content-type", "x-request-id"]`)
	keys("q")
	waitFor("Quit? ")
	keys("y")

	deadline = time.Now().Add(15 * time.Second)
	for {
		b, _ := os.ReadFile(exitFile)
		if s := strings.TrimSpace(string(b)); s != "" {
			if s != "0" {
				errOut, _ := os.ReadFile(work + "/stderr")
				t.Fatalf("exit status %s\nstderr:\n%s", s, errOut)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("corscope demo did not exit after q, y; screen:\n%s", screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if errOut, _ := os.ReadFile(work + "/stderr"); len(errOut) > 0 {
		t.Errorf("stderr is not empty:\n%s", errOut)
	}
	checkTmpClean(t, tmp)
}
