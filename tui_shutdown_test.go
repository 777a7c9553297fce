package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corscope/corscope/internal/testenv"
)

// tuiSession runs the real binary's interface in a private tmux server
// (reference/tui.md §2.4), with its PID and exit status written to files.
type tuiSession struct {
	t      *testing.T
	server string
	dir    string
}

func startTUI(t *testing.T, args ...string) *tuiSession {
	t.Helper()
	testenv.LookPath(t, "tmux", "install it with: apt-get install -y tmux")
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("finding the pane's child needs Linux's /proc")
	}
	bin := corscopeBinary(t)
	s := &tuiSession{t: t, server: fmt.Sprintf("corscope-test-%d-%d", os.Getpid(), time.Now().UnixNano()), dir: t.TempDir()}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + a + "'"
	}
	// The shell writes corscope's exit status to a file (tmux's
	// pane_dead_status can lag); the test finds corscope as its child.
	wd, _ := os.Getwd()
	script := fmt.Sprintf("cd %s; echo $$ > %s/pid; env TERM=xterm-256color %s %s 2>%s/stderr; echo $? > %s/exit", wd, s.dir, bin, strings.Join(quoted, " "), s.dir, s.dir)
	s.tmux("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", "sh", "-c", "sleep 0.2; "+script)
	s.tmux("set-option", "-t", "t", "remain-on-exit", "on")
	t.Cleanup(func() { exec.Command("tmux", "-L", s.server, "kill-server").Run() })
	return s
}

func (s *tuiSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.server}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tuiSession) screen() string { return s.tmux("capture-pane", "-t", "t", "-p") }

func (s *tuiSession) waitFor(text string) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(s.screen(), text) {
		if time.Now().After(deadline) {
			stderr, _ := os.ReadFile(filepath.Join(s.dir, "stderr"))
			s.t.Fatalf("timed out waiting for %q; screen:\n%s\nstderr:\n%s", text, s.screen(), stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// proxyAddr returns the address the live interface's header shows
// ("corscope  127.0.0.1:PORT"). The tests start corscope on
// --listen 127.0.0.1:0: a port the test picked and released could be taken
// by another test process before corscope binds it.
func (s *tuiSession) proxyAddr() string {
	s.t.Helper()
	header := regexp.MustCompile(`corscope  (127\.0\.0\.1:[1-9]\d*)`)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if m := header.FindStringSubmatch(s.screen()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the header never showed the proxy's address; screen:\n%s\nstderr:\n%s", s.screen(), s.stderr())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitGone waits until the screen no longer shows text: the interface
// redraws after a key press, and tmux shows it some time later.
func (s *tuiSession) waitGone(text string) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for strings.Contains(s.screen(), text) {
		if time.Now().After(deadline) {
			s.t.Fatalf("%q still on screen after 15 s:\n%s\nstderr:\n%s", text, s.screen(), s.stderr())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pid returns corscope's PID: the only child of the pane's shell.
func (s *tuiSession) pid() int {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(s.dir, "pid"))
		if sh, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", sh, sh))
			if f := strings.Fields(string(kids)); len(f) == 1 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatal("cannot find corscope's PID under the pane's shell")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exitStatus waits for corscope to exit and returns its status.
func (s *tuiSession) exitStatus() int {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(s.dir, "exit"))
		if n, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil {
			return n
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("corscope did not exit; screen:\n%s\nstderr:\n%s", s.screen(), s.stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *tuiSession) stderr() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "stderr"))
	return string(b)
}

func TestInterfaceWritesTheHAROnSIGTERMAndOnQuit(t *testing.T) {
	for _, how := range []string{"SIGTERM", "q"} {
		t.Run(how, func(t *testing.T) {
			up := shutdownUpstream(t, nil)
			dir := t.TempDir()
			home, harPath := filepath.Join(dir, "home"), filepath.Join(dir, "live.har")
			s := startTUI(t, "--listen", "127.0.0.1:0", "--har", harPath, "--home", home)
			addr := s.proxyAddr()
			waitListening(t, addr, s.stderr)
			c := proxyClient(addr)
			for _, n := range []int{100, 100_000, 20} {
				fetch(t, c, fmt.Sprintf("%s/text/%d", up.URL, n))
			}
			c.CloseIdleConnections()
			s.waitFor("3 flows")
			if how == "SIGTERM" {
				if err := syscall.Kill(s.pid(), syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
			} else {
				s.tmux("send-keys", "-t", "t", "q")
			}
			if code := s.exitStatus(); code != 0 {
				t.Fatalf("exit status %d, want 0; stderr:\n%s", code, s.stderr())
			}
			entries := harEntries(t, harPath)
			if len(entries) != 3 || entries[up.URL+"/text/100000"] != textBody(100_000, 100_000) {
				t.Fatalf("the HAR has %d entries (want 3, the 100 kB body intact); stderr:\n%s", len(entries), s.stderr())
			}
			if sp := spillFiles(t, home); len(sp) != 0 {
				t.Fatalf("spill files left after exit: %v", sp)
			}
		})
	}
}

func TestInterfaceWithoutHARAsksBeforeQuittingWithUnexportedFlows(t *testing.T) {
	up := shutdownUpstream(t, nil)
	dir := t.TempDir()
	s := startTUI(t, "--listen", "127.0.0.1:0", "--home", filepath.Join(dir, "home"))
	addr := s.proxyAddr()
	waitListening(t, addr, s.stderr)
	c := proxyClient(addr)
	fetch(t, c, up.URL+"/text/10")
	c.CloseIdleConnections()
	s.waitFor("1 flow")
	s.tmux("send-keys", "-t", "t", "q")
	s.waitFor("Quit? 1 flow not exported")
	s.tmux("send-keys", "-t", "t", "n")
	s.waitGone("Quit?") // n dismisses the question
	s.tmux("send-keys", "-t", "t", "q")
	s.waitFor("Quit?")
	s.tmux("send-keys", "-t", "t", "y")
	if code := s.exitStatus(); code != 0 {
		t.Fatalf("exit status %d after confirming; stderr:\n%s", code, s.stderr())
	}
}

func TestOpenOnSIGTERMExitsCleanly(t *testing.T) {
	s := startTUI(t, "open", filepath.Join("ui", "testdata", "e2e", "blocked.har"), "--home", filepath.Join(t.TempDir(), "home"))
	s.waitFor("blocked.har (saved capture, no proxy)")
	if err := syscall.Kill(s.pid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.exitStatus(); code != 0 {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", code, s.stderr())
	}
	// The terminal is back: the alternate screen is gone (tmux may show
	// corscope's last output a moment after the exit status is written).
	s.waitGone("saved capture, no proxy")
}
