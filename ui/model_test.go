package ui

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// runCmd executes a command the way Bubble Tea would and returns the
// messages it produced. Timers longer than the wait (status expiry) are
// left running and ignored. It must not be given the feed's pull command
// (key and paste handling never return it).
func runCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	select {
	case msg := <-ch:
		if b, ok := msg.(tea.BatchMsg); ok {
			var out []tea.Msg
			for _, c := range b {
				out = append(out, runCmd(c)...)
			}
			return out
		}
		if msg == nil {
			return nil
		}
		return []tea.Msg{msg}
	case <-time.After(300 * time.Millisecond):
		return nil
	}
}

// key presses k and feeds back what its command produced (one level).
func keyAndRun(m *Model, k string) []tea.Msg {
	_, cmd := m.Update(keyMsg(k))
	msgs := runCmd(cmd)
	for _, msg := range msgs {
		m.Update(msg)
	}
	return msgs
}

func selectedID(m *Model) string {
	r, ghost := m.selected()
	if r == nil {
		return "none"
	}
	s := idText(r.id)
	if ghost {
		s += "g"
	}
	return s
}

func TestOpenSelectsFirstBlockedAndNavigates(t *testing.T) {
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{})
	steps := []struct {
		key, want string
	}{
		{"", "3"}, // a saved capture opens on its first blocked flow
		{"j", "3g"},
		{"down", "4"},
		{"k", "3g"},
		{"up", "3"},
		{"g", "1"},
		{"G", "11"},
		{"pgup", "5"}, // a page is the visible rows less one
		{"pgdown", "11"},
	}
	for _, s := range steps {
		if s.key != "" {
			press(m, s.key)
		}
		if got := selectedID(m); got != s.want {
			t.Fatalf("after %q selected %s, want %s", s.key, got, s.want)
		}
	}
}

// TestFollowMode: live, the cursor follows the newest flow while it is on
// the last row; moving up stops that, G or F resumes it.
func TestFollowMode(t *testing.T) {
	m, st, _ := newFixtureModel(t, mixedFixture()[:4], testOpts{live: true})
	if got := selectedID(m); got != "4" || !m.list.follow {
		t.Fatalf("live start: selected %s follow=%v, want 4 and following", got, m.list.follow)
	}
	add := func() {
		st.Add(mixedFixture()[0].f)
		pump(m)
	}
	add()
	if got := selectedID(m); got != "5" {
		t.Fatalf("following: selected %s, want the new flow 5", got)
	}
	press(m, "k")
	if m.list.follow {
		t.Fatal("moving up must stop following")
	}
	add()
	if got := selectedID(m); got != "4" {
		t.Fatalf("not following: selected %s, want 4 to stay", got)
	}
	if !strings.Contains(screen(m), "6 flows") {
		t.Fatalf("header does not count the new flow:\n%s", screen(m))
	}
	press(m, "G")
	add()
	if got := selectedID(m); got != "7" || !m.list.follow {
		t.Fatalf("after G: selected %s follow=%v, want 7 and following", got, m.list.follow)
	}
	press(m, "F")
	if m.list.follow {
		t.Fatal("F must toggle following off")
	}
	press(m, "g", "F")
	if got := selectedID(m); got != "7" || !m.list.follow {
		t.Fatalf("F from the top: selected %s follow=%v, want the newest and following", got, m.list.follow)
	}
}

func TestFocusTabsAndDetailScroll(t *testing.T) {
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{})
	press(m, "enter")
	if m.focus != focusDetail {
		t.Fatal("enter must move focus to the detail pane")
	}
	press(m, "j", "j")
	if m.detail.scroll != 2 {
		t.Fatalf("j in the detail pane scrolled to %d, want 2", m.detail.scroll)
	}
	if got := selectedID(m); got != "3" {
		t.Fatalf("scrolling the detail moved the list to %s", got)
	}
	press(m, "G")
	if m.detail.scroll != m.detail.maxScroll(m.detailRows()) || m.detail.scroll == 0 {
		t.Fatalf("G in detail: scroll %d, want the end %d", m.detail.scroll, m.detail.maxScroll(m.detailRows()))
	}
	for i, want := range []string{"Summary", "Request", "Response", "Fix", "Body"} {
		press(m, string(rune('1'+i)))
		pump(m)
		if !strings.Contains(screen(m), "["+idText(capture.FlowID(i+1))+" "+want+"]") {
			t.Fatalf("key %d: tab bar does not show [%d %s] active:\n%s", i+1, i+1, want, screen(m))
		}
	}
	press(m, "esc")
	if m.focus != focusList {
		t.Fatal("esc must return focus to the list")
	}
	press(m, "tab", "tab")
	if m.focus != focusList {
		t.Fatal("tab twice must come back to the list")
	}
}

func TestPairJump(t *testing.T) {
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{})
	press(m, "G", "k", "k", "k", "k", "k") // 6
	if got := selectedID(m); got != "6" {
		t.Fatalf("setup: selected %s, want 6", got)
	}
	for _, want := range []string{"5", "6"} {
		press(m, "P")
		if got := selectedID(m); got != want {
			t.Fatalf("P: selected %s, want %s", got, want)
		}
	}
	press(m, "g", "j", "j") // 3
	press(m, "P")
	if got := selectedID(m); got != "3g" {
		t.Fatalf("P on a failed preflight selected %s, want its never-sent ghost", got)
	}
	press(m, "P")
	if got := selectedID(m); got != "3" {
		t.Fatalf("P on the ghost selected %s, want the preflight", got)
	}
	// A cache-served actual has no pair on the wire: a message, no move.
	press(m, "G", "k", "k")
	msgs := keyAndRun(m, "P")
	_ = msgs
	if got := selectedID(m); got != "9" || !strings.Contains(m.status, "preflight cache") {
		t.Fatalf("P on #9: selected %s status %q", got, m.status)
	}
}

func TestFilterPrompt(t *testing.T) {
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{})
	press(m, "/")
	typeText(m, "cors:blocked")
	if len(m.t.view) != 12 {
		t.Fatalf("filter applied before the debounce fired: %d entries", len(m.t.view))
	}
	// The debounce message for the latest edit applies it.
	m.Update(filterDebounceMsg{gen: m.filterGen - 1})
	if len(m.t.view) != 12 {
		t.Fatal("a stale debounce must not apply the filter")
	}
	m.Update(filterDebounceMsg{gen: m.filterGen})
	if len(m.t.view) != 3 || m.prompt != promptFilter {
		t.Fatalf("after debounce: %d entries, prompt %v; want 3 and the prompt still open", len(m.t.view), m.prompt)
	}
	press(m, "enter")
	if m.prompt != promptNone || !strings.Contains(screen(m), "filter: cors:blocked (3 shown)") {
		t.Fatalf("enter must keep the filter and close the prompt:\n%s", screen(m))
	}
	// A bad edit shows an error inline and keeps the filter in force.
	press(m, "/")
	typeText(m, " kind:wat")
	press(m, "enter")
	out := screen(m)
	if m.prompt != promptFilter || !strings.Contains(out, "✗ kind:wat is not a kind") || len(m.t.view) != 3 {
		t.Fatalf("invalid filter: prompt=%v entries=%d\n%s", m.prompt, len(m.t.view), out)
	}
	// esc abandons the edit and restores the filter in force.
	press(m, "esc")
	if m.prompt != promptNone || m.t.filter.String() != "cors:blocked" || m.filterErr != "" {
		t.Fatalf("esc: prompt=%v filter=%q err=%q", m.prompt, m.t.filter, m.filterErr)
	}
	// esc in the list clears the filter.
	press(m, "esc")
	if m.t.filter != nil || len(m.t.view) != 12 {
		t.Fatalf("esc must clear the filter: %q, %d entries", m.t.filter, len(m.t.view))
	}
	if got := selectedID(m); got != "3" {
		t.Fatalf("the selection moved to %s while filtering", got)
	}
}

func TestFilterInputEditing(t *testing.T) {
	var in lineInput
	for _, k := range []tea.KeyPressMsg{
		{Code: 'a', Text: "a"}, {Code: 'b', Text: "b"}, {Code: tea.KeySpace, Text: " "}, {Code: 'c', Text: "c"},
	} {
		in.key(k)
	}
	if in.value() != "ab c" {
		t.Fatalf("typed %q", in.value())
	}
	in.key(tea.KeyPressMsg{Code: 'w', Mod: tea.ModCtrl})
	if in.value() != "ab " {
		t.Fatalf("ctrl+w left %q", in.value())
	}
	in.key(tea.KeyPressMsg{Code: tea.KeyLeft})
	in.key(tea.KeyPressMsg{Code: tea.KeyBackspace})
	if in.value() != "a " || in.pos != 1 {
		t.Fatalf("left+backspace: %q pos %d", in.value(), in.pos)
	}
	in.insert("x\ny\x1b")
	if in.value() != "ax y " {
		t.Fatalf("paste must lose control characters: %q", in.value())
	}
	in.set(strings.Repeat("long-filter-", 10))
	if s, x := in.view(20); width(s) > 20 || x > 19 {
		t.Fatalf("view(20) = %q (%d cells), cursor %d", s, width(s), x)
	}
}

// TestLargeFilterRunsInACommand: above syncFilterMax rows the filter is
// computed off the event loop over a snapshot; flows that arrive or
// change meanwhile are folded in when the result lands.
func TestLargeFilterRunsInACommand(t *testing.T) {
	base := mixedFixture()
	var fxs []fx
	for len(fxs) < syncFilterMax+100 {
		fxs = append(fxs, base...)
	}
	m, st, an := newFixtureModel(t, fxs, testOpts{})
	before := len(m.t.view)
	cmd := m.setFilter("cors:blocked")
	if cmd == nil || m.job == nil {
		t.Fatal("a filter over a large capture must run in a command")
	}
	if len(m.t.view) != before {
		t.Fatal("the view changed before the filter command ran")
	}
	if !strings.Contains(screen(m), "filtering…") {
		t.Fatalf("the header should say the filter is running:\n%s", screen(m))
	}
	msg := cmd()
	// Meanwhile: a blocked flow arrives.
	id := st.Add(base[6].f) // the blocked font request
	an.set(id, *base[6].v)
	pump(m)
	m.Update(msg)
	blockedPerCopy := 3
	copies := (len(fxs) + len(base) - 1) / len(base)
	want := copies*blockedPerCopy + 1
	if len(m.t.view) != want {
		t.Fatalf("after the filter landed: %d entries, want %d", len(m.t.view), want)
	}
	if last := m.t.view[len(m.t.view)-1]; last.id() != id {
		t.Fatalf("the flow that arrived during filtering is missing (last entry %d, want %d)", last.id(), id)
	}
	// A superseded result is ignored.
	cmd1 := m.setFilter("cors:allowed")
	cmd2 := m.setFilter("cors:failed")
	m.Update(cmd1())
	if m.t.filter.String() == "cors:allowed" {
		t.Fatal("a superseded filter result was applied")
	}
	m.Update(cmd2())
	if m.t.filter.String() != "cors:failed" {
		t.Fatalf("filter = %q, want cors:failed", m.t.filter)
	}
}

func TestFrameworkChoiceIsRemembered(t *testing.T) {
	useFixtureFixes(t)
	home := t.TempDir()
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{home: home})
	press(m, "4")
	if !strings.Contains(screen(m), "[express]") {
		t.Fatalf("the Fix tab should start on the first framework:\n%s", screen(m))
	}
	msgs := keyAndRun(m, "right")
	if m.fw != "nginx" || !strings.Contains(screen(m), "[nginx]") || !strings.Contains(screen(m), "return 204;") {
		t.Fatalf("→ should pick nginx and show its snippet:\n%s", screen(m))
	}
	if len(msgs) != 1 {
		t.Fatalf("choosing a framework produced %d messages, want the save result", len(msgs))
	}
	if saved, ok := msgs[0].(prefsSavedMsg); !ok || saved.err != nil {
		t.Fatalf("save result %#v", msgs[0])
	}
	data, err := os.ReadFile(filepath.Join(home, "ui.json"))
	if err != nil || !strings.Contains(string(data), `"framework": "nginx"`) {
		t.Fatalf("ui.json = %q, %v", data, err)
	}
	m2, _, _ := newFixtureModel(t, mixedFixture(), testOpts{home: home})
	press(m2, "4")
	if !strings.Contains(screen(m2), "[nginx]") {
		t.Fatalf("a new session should start on the remembered framework:\n%s", screen(m2))
	}
	// ← wraps around.
	press(m2, "left", "left", "left")
	if m2.fw != "nginx" {
		t.Fatalf("three ← over three frameworks should come back to nginx, got %s", m2.fw)
	}
}

func TestPrefsFailSoft(t *testing.T) {
	useFixtureFixes(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ui.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p := loadPrefs(dir); p != (prefs{}) {
		t.Fatalf("a corrupt ui.json gave %+v, want defaults", p)
	}
	// A --home that is a file: saving fails, and the user is told so.
	file := filepath.Join(dir, "plainfile")
	os.WriteFile(file, nil, 0o600)
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{home: file})
	press(m, "4")
	keyAndRun(m, "right")
	if m.fw != "nginx" || !strings.Contains(m.status, "could not remember") {
		t.Fatalf("fw=%s status=%q", m.fw, m.status)
	}
}

func TestCopyFixUsesOSC52(t *testing.T) {
	useFixtureFixes(t)
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{})
	// From the Summary tab: y copies the fix of the chosen framework.
	_, cmd := m.Update(keyMsg("y"))
	msgs := runCmd(cmd)
	var clip string
	for _, msg := range msgs {
		if reflect.TypeOf(msg).String() == "tea.setClipboardMsg" {
			clip = fmt.Sprint(msg)
		}
	}
	want := fixtureFixes(*mixedFixture()[2].v.Fix)[0].Snippet
	if clip != want {
		t.Fatalf("clipboard got %q, want the Express snippet %q", clip, want)
	}
	if !strings.Contains(screen(m), "✓ copied the Express (cors package) fix (7 lines)") {
		t.Fatalf("no visible confirmation:\n%s", screen(m))
	}
	// On a flow with nothing to fix, y says so.
	press(m, "g")
	keyAndRun(m, "y")
	if !strings.Contains(m.status, "nothing to copy") {
		t.Fatalf("status %q", m.status)
	}
}

func TestExportHAR(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	var gotPath string
	var gotN int
	export := func(path string, flows []capture.Flow) error {
		gotPath, gotN = path, len(flows)
		return os.WriteFile(path, []byte("{}"), 0o600)
	}
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{live: true, export: export})
	press(m, "e")
	if m.prompt != promptExport || m.input.value() != "corscope-20261127-140300.har" {
		t.Fatalf("export prompt %v with %q", m.prompt, m.input.value())
	}
	if !strings.Contains(screen(m), "export 11 flows as HAR to: corscope-20261127-140300.har") {
		t.Fatalf("prompt not shown:\n%s", screen(m))
	}
	keyAndRun(m, "enter")
	want := filepath.Join(dir, "corscope-20261127-140300.har")
	if gotPath != want || gotN != 11 {
		t.Fatalf("export wrote %d flows to %q, want 11 to %q", gotN, gotPath, want)
	}
	if !strings.Contains(m.status, "✓ exported 11 flows to "+want) {
		t.Fatalf("status %q", m.status)
	}
	// Everything is exported now: q quits without asking.
	_, cmd := m.Update(keyMsg("q"))
	if m.prompt == promptQuit || !isQuit(cmd) {
		t.Fatal("q after an export should quit at once")
	}
}

func TestExportFailureIsShown(t *testing.T) {
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{export: func(string, []capture.Flow) error {
		return errors.New("disk full")
	}})
	press(m, "e")
	keyAndRun(m, "enter")
	if !m.statusErr || !strings.Contains(m.status, "export failed: disk full") {
		t.Fatalf("status %q err=%v", m.status, m.statusErr)
	}
}

func isQuit(cmd tea.Cmd) bool {
	for _, msg := range runCmd(cmd) {
		if _, ok := msg.(tea.QuitMsg); ok {
			return true
		}
	}
	return false
}

func TestQuitConfirmsUnexportedFlows(t *testing.T) {
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{live: true})
	_, cmd := m.Update(keyMsg("q"))
	if m.prompt != promptQuit || isQuit(cmd) {
		t.Fatal("q with unexported live flows must ask first")
	}
	press(m, "n")
	if m.prompt != promptNone || m.quitting {
		t.Fatal("n must keep corscope running")
	}
	press(m, "q")
	_, cmd = m.Update(keyMsg("y"))
	if !isQuit(cmd) {
		t.Fatal("y must quit")
	}
	// A saved capture, or --har on exit, needs no confirmation.
	m2, _, _ := newFixtureModel(t, mixedFixture(), testOpts{})
	if _, cmd := m2.Update(keyMsg("q")); !isQuit(cmd) {
		t.Fatal("q over a saved capture should quit at once")
	}
	m3, _, _ := newFixtureModel(t, mixedFixture(), testOpts{live: true})
	m3.o.SaveOnExit = "out.har"
	if _, cmd := m3.Update(keyMsg("q")); !isQuit(cmd) {
		t.Fatal("q with --har should quit at once")
	}
	// ctrl+c twice always gets out.
	m4, _, _ := newFixtureModel(t, mixedFixture(), testOpts{live: true})
	m4.Update(keyMsg("ctrl+c"))
	if _, cmd := m4.Update(keyMsg("ctrl+c")); !isQuit(cmd) {
		t.Fatal("a second ctrl+c must quit")
	}
}

func TestClearConfirmsAndForgets(t *testing.T) {
	m, st, an := newFixtureModel(t, mixedFixture(), testOpts{live: true})
	press(m, "c")
	if m.prompt != promptClear || !strings.Contains(screen(m), "Clear all 11 flows?") {
		t.Fatalf("c must ask first:\n%s", screen(m))
	}
	press(m, "n")
	if st.Len() != 11 {
		t.Fatal("n must keep the flows")
	}
	press(m, "c", "y")
	pump(m)
	if st.Len() != 0 || len(m.t.rows) != 0 || len(m.t.view) != 0 {
		t.Fatalf("after clear: store %d rows %d view %d", st.Len(), len(m.t.rows), len(m.t.view))
	}
	if len(an.forgot) != 11 {
		t.Fatalf("the analyzer forgot %v, want the 11 cleared flows", an.forgot)
	}
	if !strings.Contains(screen(m), "No requests yet") {
		t.Fatalf("an empty live capture should teach again:\n%s", screen(m))
	}
	// New flows after a clear show up and quitting does not nag about the
	// cleared ones.
	st.Add(mixedFixture()[0].f)
	pump(m)
	if len(m.t.rows) != 1 {
		t.Fatalf("%d rows after a new flow", len(m.t.rows))
	}
}

func TestPauseCapture(t *testing.T) {
	m, st, _ := newFixtureModel(t, mixedFixture()[:2], testOpts{live: true})
	press(m, "p")
	if !st.Paused() || !strings.Contains(screen(m), "‖ PAUSED") {
		t.Fatalf("p must pause the store and say so:\n%s", screen(m))
	}
	st.Add(mixedFixture()[3].f)
	pump(m)
	if len(m.t.rows) != 2 {
		t.Fatal("a paused store recorded a flow")
	}
	press(m, "p")
	if st.Paused() || strings.Contains(screen(m), "PAUSED") {
		t.Fatal("p again must resume")
	}
	// Over a saved capture there is nothing to pause.
	m2, st2, _ := newFixtureModel(t, mixedFixture()[:2], testOpts{})
	press(m2, "p")
	if st2.Paused() {
		t.Fatal("p paused the store of a saved capture")
	}
}

func TestEvictionIsCountedAndForgotten(t *testing.T) {
	m, st, an := newFixtureModel(t, mixedFixture(), testOpts{live: true, maxFlows: 5})
	if st.Len() != 5 || len(m.t.rows) != 5 {
		t.Fatalf("store %d rows %d, want 5", st.Len(), len(m.t.rows))
	}
	if !strings.Contains(screen(m), "6 evicted (--max-flows)") {
		t.Fatalf("the header must say how many flows were dropped:\n%s", screen(m))
	}
	for i := 0; i < 3; i++ {
		st.Add(mixedFixture()[0].f)
	}
	pump(m)
	if m.t.rows[0].id != 10 || len(m.t.rows) != 5 || !strings.Contains(screen(m), "9 evicted") {
		t.Fatalf("first row %d, %d rows:\n%s", m.t.rows[0].id, len(m.t.rows), screen(m))
	}
	if len(an.forgot) != 3 {
		t.Fatalf("the analyzer forgot %v, want the 3 evicted after subscribing", an.forgot)
	}
}

func TestMouse(t *testing.T) {
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{w: 140, h: 40})
	// The list starts at row 2 (after the 2-line header); its first line
	// is the column header, so flow 1 is on screen row 3.
	m.Update(tea.MouseClickMsg{X: 10, Y: 3, Button: tea.MouseLeft})
	if got := selectedID(m); got != "1" {
		t.Fatalf("click on the first row selected %s", got)
	}
	m.Update(tea.MouseWheelMsg{X: 10, Y: 5, Button: tea.MouseWheelDown})
	m.Update(tea.MouseWheelMsg{X: 10, Y: 5, Button: tea.MouseWheelDown})
	if got := selectedID(m); got != "3" {
		t.Fatalf("two wheel notches down selected %s, want 3", got)
	}
	// Click "3 Response" in the tab bar.
	bar := strings.Split(screen(m), "\n")[2]
	x := ansi.StringWidth(bar[:strings.Index(bar, "3 Response")])
	m.Update(tea.MouseClickMsg{X: x + 2, Y: 2, Button: tea.MouseLeft})
	if m.tab != tabResponse || m.focus != focusDetail {
		t.Fatalf("click on the tab: tab %v focus %v", m.tab, m.focus)
	}
	m.Update(tea.MouseWheelMsg{X: x, Y: 10, Button: tea.MouseWheelDown})
	if got := selectedID(m); got != "3" {
		t.Fatal("the wheel over the detail pane moved the list")
	}
}

func TestBrowserKey(t *testing.T) {
	m, _, _ := newFixtureModel(t, nil, testOpts{live: true})
	keyAndRun(m, "B")
	if !strings.Contains(m.status, "--proxy-bypass-list=<-loopback>") {
		t.Fatalf("without a launcher B should say how to start a browser by hand: %q", m.status)
	}
	called := false
	m.o.LaunchBrowser = func(ctx context.Context) (string, error) {
		called = true
		return "Chromium started through 127.0.0.1:8080", nil
	}
	keyAndRun(m, "B")
	if !called || m.status != "Chromium started through 127.0.0.1:8080" {
		t.Fatalf("called=%v status=%q", called, m.status)
	}
	m2, _, _ := newFixtureModel(t, nil, testOpts{})
	keyAndRun(m2, "B")
	if !strings.Contains(m2.status, "no proxy") {
		t.Fatalf("B over a saved capture: %q", m2.status)
	}
}

func TestThemeFollowsTerminalBackground(t *testing.T) {
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{})
	dark := m.View().Content
	gen := m.detail.key.theme
	m.Update(tea.BackgroundColorMsg{Color: lightBG{}})
	if m.th.dark {
		t.Fatal("a light background must switch to the light theme")
	}
	if m.detail.key.theme == gen {
		t.Fatal("the detail cache was not rebuilt for the new theme")
	}
	light := m.View().Content
	if light == dark {
		t.Fatal("light and dark frames are identical")
	}
	if ansi.Strip(light) != ansi.Strip(dark) {
		t.Fatal("the theme changed the text, not just the colours")
	}
}

type lightBG struct{}

func (lightBG) RGBA() (r, g, b, a uint32) { return 0xffff, 0xffff, 0xffff, 0xffff }

func TestBodyTab(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"users":[{"id":1,"name":"ada"}]}`))
	zw.Close()
	f := done("GET", "http://localhost:8080/api/users", hdr("Origin", page), 200, "OK",
		hdr("Content-Type", "application/json", "Content-Encoding", "gzip"), gz.String(), 0, time.Millisecond)
	bin := done("GET", "http://localhost:8080/logo.png", nil, 200, "OK", hdr("Content-Type", "image/png"), "\x89PNG\r\n\x1a\n\x00\x00", 0, time.Millisecond)
	cut := done("GET", "http://localhost:8080/big.txt", nil, 200, "OK", hdr("Content-Type", "text/plain"), "hello, wor", 0, time.Millisecond)
	cut.Response.Body = capture.NewBody([]byte("hello, wor"), 5000, true)
	v := analyze.Verdict{Kind: analyze.KindAllowed, Role: analyze.RoleSimple}
	m, _, _ := newFixtureModel(t, []fx{{f, &v}, {bin, &v}, {cut, &v}}, testOpts{w: 100, h: 30})
	press(m, "g")
	_, cmd := m.Update(keyMsg("5"))
	if !strings.Contains(screen(m), "decoding…") {
		t.Fatalf("the Body tab should say it is decoding:\n%s", screen(m))
	}
	for _, msg := range runCmd(cmd) {
		m.Update(msg)
	}
	out := screen(m)
	for _, want := range []string{"gzip, decoded to 33 B", `"name": "ada"`} {
		if !strings.Contains(out, want) {
			t.Fatalf("body tab lacks %q:\n%s", want, out)
		}
	}
	_, cmd = m.Update(keyMsg("j"))
	for _, msg := range runCmd(cmd) {
		m.Update(msg)
	}
	if out := screen(m); !strings.Contains(out, "binary body, hex:") || !strings.Contains(out, "89 50 4e 47") {
		t.Fatalf("binary body not shown as hex:\n%s", out)
	}
	_, cmd = m.Update(keyMsg("j"))
	for _, msg := range runCmd(cmd) {
		m.Update(msg)
	}
	if out := screen(m); !strings.Contains(out, "… truncated: 10 B of 4.9K kept") {
		t.Fatalf("truncated body not marked:\n%s", out)
	}
}

func TestInflateStopsAtTheLimit(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(make([]byte, maxDecoded+1000)) // a small zip bomb
	zw.Close()
	out, err := inflate(gz.Bytes(), "gzip", false)
	if err != nil || len(out) != maxDecoded {
		t.Fatalf("inflate: %d bytes, %v; want exactly the %d-byte limit", len(out), err, maxDecoded)
	}
	if _, err := inflate([]byte("x"), "br", false); !errors.Is(err, errNotDecoded) {
		t.Fatalf("brotli: %v, want errNotDecoded", err)
	}
}

func TestTLSHint(t *testing.T) {
	m, _, _ := newFixtureModel(t, nil, testOpts{live: true})
	if !strings.Contains(screen(m), "HTTPS: trust the CA → corscope browser / corscope ca") {
		t.Fatalf("no trust hint:\n%s", screen(m))
	}
	// Without counters from the proxy, the hint reads the recorded flows.
	st := m.o.Store
	st.Add(capture.Flow{State: capture.StateFailed, ErrorKind: capture.ErrTLS,
		Error:   "the browser rejected corscope's certificate for api.test:443 (remote error: tls: unknown certificate authority): it does not trust corscope's CA yet",
		Request: capture.Request{Method: "CONNECT", URL: "https://api.test:443"}})
	pump(m)
	if !strings.Contains(screen(m), "✗ HTTPS: the browser rejects the CA") {
		t.Fatalf("a rejected handshake flow is not reflected:\n%s", screen(m))
	}
	m.o.TLS = func() TLSStats { return TLSStats{} }
	m.Update(tlsMsg{TLSStats{Rejected: 2}})
	if !strings.Contains(screen(m), "✗ HTTPS: the browser rejects the CA") {
		t.Fatalf("rejected handshakes not shown:\n%s", screen(m))
	}
	m.Update(tlsMsg{TLSStats{Intercepted: 3}})
	if !strings.Contains(screen(m), "✓ HTTPS intercepted") {
		t.Fatalf("working interception not shown:\n%s", screen(m))
	}
}

var _ = json.Marshal

// TestGhostOfFailedPreflightIsNotBlocked: when the preflight never got an
// answer (server down), the actual request it stopped is shown as failed,
// not as a CORS block.
func TestGhostOfFailedPreflightIsNotBlocked(t *testing.T) {
	f := capture.Flow{State: capture.StateFailed, ErrorKind: capture.ErrRefused, Error: "connection refused",
		Request: capture.Request{Method: "OPTIONS", URL: "http://127.0.0.1:9/api", Header: hdr("Origin", page, "Access-Control-Request-Method", "PUT")},
		Timings: capture.Timings{Start: t0}}
	v := analyze.Verdict{Kind: analyze.KindFailed, Role: analyze.RolePreflight, NeverSent: true, Method: "PUT", Origin: page,
		Explanation: "Network failure, not CORS."}
	m, _, _ := newFixtureModel(t, []fx{{f, &v}}, testOpts{})
	press(m, "j")
	out := screen(m)
	if selectedID(m) != "1g" || strings.Contains(out, "BLOCKED") {
		t.Fatalf("a failed preflight's ghost must not say BLOCKED:\n%s", out)
	}
	if !strings.Contains(out, "failed") || !strings.Contains(out, "no response (refused)") {
		t.Fatalf("the ghost should read as a network failure:\n%s", out)
	}
}

func TestStartupInfoIsPlainAndNoticeIsAWarning(t *testing.T) {
	for _, tc := range []struct {
		name         string
		info, notice string
		want         string
		wantErr      bool
	}{
		{"info only", "demo: headless Chromium ran 11 calls", "", "demo: headless Chromium ran 11 calls", false},
		{"notice only", "", "bug.har: broken at byte 52", "bug.har: broken at byte 52", true},
		{"notice wins", "demo ran", "--insecure-upstream", "--insecure-upstream", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			m := New(ctx, Options{Store: capture.NewStore(0), Info: tc.info, Notice: tc.notice})
			defer m.Close()
			if m.status != tc.want || m.statusErr != tc.wantErr {
				t.Errorf("status %q (error style %v), want %q (%v)", m.status, m.statusErr, tc.want, tc.wantErr)
			}
		})
	}
}
