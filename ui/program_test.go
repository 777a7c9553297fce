package ui

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// Program-level tests: a real tea.Program (teatest v2) with the real feed
// command pulling from the store. Output is replayed into a terminal
// emulator and assertions read its screen, never the raw bytes: the
// cell-diff renderer writes only what changed (tui.md §2.3).

// vscreen is a terminal emulator fed with the program's output.
type vscreen struct{ e *vt.Emulator }

func newVScreen(w, h int) *vscreen {
	e := vt.NewEmulator(w, h)
	go io.Copy(io.Discard, e) // answer queries, or Write blocks
	e.WriteString("\x1b[20h") // LNM: non-TTY output maps \n without \r
	return &vscreen{e: e}
}

// waitScreen waits until the emulated screen contains want, feeding it
// the program's output as it comes (the same loop as teatest.WaitFor,
// which would not show the emulated screen on failure).
func waitScreen(t *testing.T, tm *teatest.TestModel, scr *vscreen, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := io.ReadAll(tm.Output())
		if err != nil {
			t.Fatal(err)
		}
		scr.e.Write(b)
		if strings.Contains(scr.e.String(), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("screen never showed %q:\n%s", want, scr.e.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startProgram(t *testing.T, st *capture.Store, an Analyzer, live bool, w, h int) (*teatest.TestModel, *vscreen) {
	t.Helper()
	useFixtureFixes(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	m := New(ctx, Options{Store: st, Analyzer: an, Live: live, ListenAddr: "127.0.0.1:8080",
		Title: "fixture.har", Location: time.UTC, Frame: 5 * time.Millisecond})
	t.Cleanup(m.Close)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	return tm, newVScreen(w, h)
}

func fixtureStore(fxs []fx) (*capture.Store, *fakeAnalyzer) {
	st := capture.NewStore(0)
	an := &fakeAnalyzer{verdicts: map[capture.FlowID]analyze.Verdict{}}
	for _, x := range fxs {
		id := st.Add(x.f)
		an.verdicts[id] = *x.v
	}
	return st, an
}

func TestProgramOpenFilterFixQuit(t *testing.T) {
	st, an := fixtureStore(mixedFixture())
	tm, scr := startProgram(t, st, an, false, 100, 30)
	waitScreen(t, tm, scr, "11 flows · 2 blocked")
	waitScreen(t, tm, scr, "BLOCKED · PreflightMissingAllowOriginHeader")

	tm.Type("/")
	tm.Type("cors:blocked")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	waitScreen(t, tm, scr, "filter: cors:blocked (3 shown)")

	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	tm.Type("3")
	waitScreen(t, tm, scr, "✗ Access-Control-Allow-Origin: — missing")
	tm.Type("4")
	waitScreen(t, tm, scr, "origin: 'http://localhost:3000',")

	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	fm := tm.FinalModel(t).(*Model)
	if fm.tab != tabFix || fm.focus != focusDetail || fm.t.filter.String() != "cors:blocked" {
		t.Fatalf("final model: tab %v focus %v filter %q", fm.tab, fm.focus, fm.t.filter)
	}
}

// TestProgramLiveFollowAndQuitConfirm: flows recorded while the program
// runs arrive through the re-armed pull (no Send), the cursor follows
// them, and quitting with unexported flows asks first.
func TestProgramLiveFollowAndQuitConfirm(t *testing.T) {
	fxs := mixedFixture()
	st, an := fixtureStore(nil)
	tm, scr := startProgram(t, st, an, true, 100, 30)
	waitScreen(t, tm, scr, "No requests yet")

	for _, x := range fxs[:4] {
		// The verdict first: the feed may ingest the flow at once.
		an.set(capture.FlowID(st.Len()+1), *x.v)
		st.Add(x.f)
	}
	waitScreen(t, tm, scr, "4 flows · 1 blocked")
	waitScreen(t, tm, scr, ">   4 14:03:03 GET")

	// A burst of flows: the UI catches up and keeps following.
	for i := 0; i < 500; i++ {
		st.Add(fxs[0].f)
	}
	waitScreen(t, tm, scr, "504 flows")
	waitScreen(t, tm, scr, "> 504 14:03:00 GET")

	tm.Type("q")
	waitScreen(t, tm, scr, "Quit? 504 flows not exported")
	tm.Type("n")
	tm.Type("q")
	tm.Type("y")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	if fm := tm.FinalModel(t).(*Model); len(fm.t.rows) != 504 || !fm.list.follow {
		t.Fatalf("final model: %d rows, follow %v", len(fm.t.rows), fm.list.follow)
	}
}
