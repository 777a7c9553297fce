package ui

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
	"github.com/corscope/corscope/capture/har"
	"github.com/corscope/corscope/internal/testenv"
)

// e2eHAR is the capture the tmux end-to-end script opens: the mixed
// fixture written by the real HAR writer.
const e2eHAR = "testdata/e2e/blocked.har"

var writeE2E = flag.Bool("write-e2e", false, "rewrite "+e2eHAR+" from the fixture")

// TestE2EHARIsBlocked pins the script's precondition with the real HAR
// reader and analyzer: the file holds a preflight Chrome blocks with
// PreflightMissingAllowOriginHeader, whose PUT was never sent.
func TestE2EHARIsBlocked(t *testing.T) {
	if *writeE2E {
		var flows []capture.Flow
		for i, x := range mixedFixture() {
			f := x.f
			f.ID = capture.FlowID(i + 1)
			flows = append(flows, f)
		}
		if err := os.MkdirAll(filepath.Dir(e2eHAR), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := har.WriteFile(e2eHAR, flows, har.Options{Version: "e2e-fixture"}); err != nil {
			t.Fatal(err)
		}
	}
	flows, err := har.ReadFile(e2eHAR)
	if err != nil {
		t.Fatal(err)
	}
	var blocked []analyze.Verdict
	for _, v := range analyze.AnalyzeAll(flows) {
		if v.Kind == analyze.KindBlocked {
			blocked = append(blocked, v)
		}
	}
	found := false
	for _, v := range blocked {
		if v.Error == "PreflightMissingAllowOriginHeader" && v.NeverSent {
			found = true
		}
	}
	if !found {
		t.Fatalf("%s: no never-sent PreflightMissingAllowOriginHeader among the blocked verdicts %+v", e2eHAR, blocked)
	}
}

// TestTUIEndToEnd runs scripts/tui-e2e.sh: the real binary in tmux opens
// the HAR, a blocked flow is opened, the Fix tab is checked. It needs tmux
// (CI installs it) and builds the binary, so -short skips it.
func TestTUIEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and drives it in tmux; run without -short")
	}
	testenv.LookPath(t, "tmux", "install it with: apt-get install -y tmux")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "tui-e2e.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "E2E_ARTIFACTS="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "tui e2e OK") {
		t.Fatalf("scripts/tui-e2e.sh failed: %v\n%s", err, out)
	}
}

// TestRealAnalyzerOverHAR runs the whole pipeline in-process — HAR reader,
// store, feed, the real analyzer and fix generator — and checks what the
// user reads on each tab of the blocked flow.
func TestRealAnalyzerOverHAR(t *testing.T) {
	flows, err := har.ReadFile(e2eHAR)
	if err != nil {
		t.Fatal(err)
	}
	st := capture.NewStore(0)
	for _, f := range flows {
		st.Add(f)
	}
	m := New(t.Context(), Options{Store: st, Analyzer: analyze.NewAnalyzer(), Title: "blocked.har"})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 140, Height: 50})
	pump(m)
	if got := selectedID(m); got != "3" {
		t.Fatalf("opened on %s, want the blocked preflight #3", got)
	}
	checks := []struct {
		key  string
		want []string
	}{
		{"1", []string{"BLOCKED · PreflightMissingAllowOriginHeader", "Response to preflight request", "never sent"}},
		{"3", []string{"403 Forbidden", "✗ Access-Control-Allow-Origin: — missing", "want: http://localhost:3000"}},
		{"4", []string{"[express]", "http://localhost:3000", "y copies the snippet"}},
	}
	for _, c := range checks {
		press(m, c.key)
		out := screen(m)
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("tab %s lacks %q:\n%s", c.key, w, out)
			}
		}
	}
	if strings.Contains(m.detail.copy, "'*'") || !strings.Contains(m.detail.copy, "http://localhost:3000") {
		t.Errorf("the Express fix does not allow exactly the page origin:\n%s", m.detail.copy)
	}
}
