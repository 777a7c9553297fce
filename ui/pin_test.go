package ui

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/corscope/corscope/capture"
)

func rowIDs(m *Model) []capture.FlowID {
	out := make([]capture.FlowID, len(m.t.rows))
	for i, r := range m.t.rows {
		out[i] = r.id
	}
	return out
}

// viewConsistent fails t when a display entry has no row behind it.
func viewConsistent(t *testing.T, m *Model) {
	t.Helper()
	for _, e := range m.t.view {
		if m.t.get(e.id()) == nil {
			t.Fatalf("the list shows entry %d whose row is gone", e.id())
		}
	}
	if !slices.IsSorted(m.t.view) {
		t.Fatal("the view is out of order")
	}
}

func TestTheOpenFlowAndItsPairAreNeverEvicted(t *testing.T) {
	m, st, _ := newFixtureModel(t, mixedFixture(), testOpts{live: true, maxFlows: 20, w: 120, h: 40})
	press(m, "g")
	for range 20 {
		if selectedID(m) == "5" {
			break
		}
		press(m, "down")
	}
	if selectedID(m) != "5" {
		t.Fatalf("could not select flow 5 (at %s)", selectedID(m))
	}
	for range 30 {
		st.Add(mixedFixture()[0].f)
	}
	pump(m)
	for _, id := range []capture.FlowID{5, 6} {
		if _, ok := st.Get(id); !ok {
			t.Fatalf("the store evicted flow %d while the user had it open", id)
		}
	}
	if got := rowIDs(m); len(got) != 20 || got[0] != 5 || got[1] != 6 || got[2] != 24 || got[19] != 41 {
		t.Fatalf("rows %v; want 5, 6 (open) then 24..41", got)
	}
	viewConsistent(t, m)
	if selectedID(m) != "5" {
		t.Fatalf("the selection moved to %s while flows were evicted", selectedID(m))
	}
	if !strings.Contains(screen(m), "21 evicted (--max-flows)") {
		t.Fatalf("the header must count the evicted flows:\n%s", screen(m))
	}
	// Moving away lets both go, oldest first, as new flows need room.
	press(m, "G")
	st.Add(mixedFixture()[0].f)
	st.Add(mixedFixture()[0].f)
	pump(m)
	for _, id := range []capture.FlowID{5, 6} {
		if _, ok := st.Get(id); ok {
			t.Fatalf("flow %d was kept after the user moved away", id)
		}
	}
	if got := rowIDs(m); slices.Contains(got, 5) || slices.Contains(got, 6) || len(got) != 20 {
		t.Fatalf("rows %v after unpinning; want 20 rows without 5 and 6", got)
	}
	viewConsistent(t, m)
	// Quitting unpins everything.
	m.Close()
	if m.pinned != [2]capture.FlowID{} {
		t.Fatalf("still pinned after Close: %v", m.pinned)
	}
}

func TestHeaderSaysWhichBoundEvicted(t *testing.T) {
	for _, tc := range []struct {
		total, mem uint64
		want       string
	}{
		{6, 0, "6 evicted (--max-flows)"},
		{6, 6, "6 evicted (--max-memory)"},
		{9, 4, "9 evicted (5 --max-flows, 4 --max-memory)"},
	} {
		if got := evictedText(tc.total, tc.mem); got != tc.want {
			t.Errorf("evictedText(%d, %d) = %q, want %q", tc.total, tc.mem, got, tc.want)
		}
	}
	// End to end: a store bounded by memory.
	st := capture.NewStoreLimits(capture.Limits{MaxFlows: 1000, MaxMemory: 64 << 10})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := New(ctx, Options{Store: st, Live: true, Location: time.UTC})
	defer m.Close()
	m.Update(tea.WindowSizeMsg{Width: 140, Height: 30})
	for range 40 {
		f := mixedFixture()[0].f
		f.Response = &capture.Response{Status: 200, Body: capture.NewBody(make([]byte, 4000), 4000, false)}
		st.Add(f)
	}
	pump(m)
	_, byMem := st.EvictedBy()
	if byMem == 0 || !strings.Contains(screen(m), evictedText(byMem, byMem)) {
		t.Fatalf("evicted by memory %d; the header must say so:\n%s", byMem, screen(m))
	}
	if len(m.t.rows) != st.Len() {
		t.Fatalf("the list holds %d rows, the store %d flows", len(m.t.rows), st.Len())
	}
}

func TestTableEvictHandlesPrefixesAndGaps(t *testing.T) {
	build := func(ids ...capture.FlowID) *table {
		tb := &table{}
		for _, id := range ids {
			f := &capture.Flow{ID: id, Request: capture.Request{Method: "GET", URL: "http://x.test/"}}
			tb.upsert(newRow(f, nil, 0))
		}
		return tb
	}
	for _, tc := range []struct {
		name        string
		rows, evict []capture.FlowID
		want        []capture.FlowID
	}{
		{"prefix", []capture.FlowID{1, 2, 3, 4}, []capture.FlowID{1, 2}, []capture.FlowID{3, 4}},
		{"behind a kept row", []capture.FlowID{2, 5, 6, 7, 8}, []capture.FlowID{5, 6}, []capture.FlowID{2, 7, 8}},
		{"the kept row itself, later", []capture.FlowID{2, 7, 8}, []capture.FlowID{2}, []capture.FlowID{7, 8}},
		{"IDs never seen", []capture.FlowID{7, 8}, []capture.FlowID{3, 4}, []capture.FlowID{7, 8}},
		{"everything", []capture.FlowID{7, 8}, []capture.FlowID{7, 8}, nil},
		{"gaps on both sides", []capture.FlowID{1, 2, 3, 4, 5}, []capture.FlowID{2, 4}, []capture.FlowID{1, 3, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tb := build(tc.rows...)
			tb.evict(tc.evict)
			var got []capture.FlowID
			for _, r := range tb.rows {
				got = append(got, r.id)
			}
			var view []capture.FlowID
			for _, e := range tb.view {
				view = append(view, e.id())
			}
			if !slices.Equal(got, tc.want) || !slices.Equal(view, tc.want) {
				t.Fatalf("rows %v view %v, want %v", got, view, tc.want)
			}
		})
	}
}

// A marked flow is the user's bookmark: it shows a mark, is counted in
// the header, is found by is:marked, survives eviction after the cursor
// has moved on, and goes back to ordinary eviction once unmarked.
func TestMarkedFlowsAreShownFilteredAndNeverEvicted(t *testing.T) {
	m, st, _ := newFixtureModel(t, mixedFixture(), testOpts{live: true, maxFlows: 20, w: 120, h: 40})
	selectFlow(t, m, "4")
	press(m, "m")
	selectFlow(t, m, "7")
	press(m, "m")
	scr := screen(m)
	if !strings.Contains(scr, "● 2 marked") {
		t.Fatalf("the header must count the marks:\n%s", scr)
	}
	for _, id := range []string{"4", "7"} {
		if !regexp.MustCompile(`(?m)^[ >]●\s*` + id + ` `).MatchString(scr) {
			t.Fatalf("flow %s must show the mark before its number:\n%s", id, scr)
		}
	}

	// Filter on marks, then take the mark off the selected one: the
	// filter hides it and the cursor stays on a shown entry.
	press(m, "/")
	typeText(m, "is:marked")
	press(m, "enter")
	if got := viewIDs(m); got != "4 7" {
		t.Fatalf("is:marked shows [%s], want [4 7]", got)
	}
	press(m, "G", "m")
	if got := viewIDs(m); got != "4" || selectedID(m) != "4" {
		t.Fatalf("after unmarking 7: view [%s], selected %s; want [4], 4", got, selectedID(m))
	}
	press(m, "esc")

	// Move the cursor to the newest flow and flood the store: only the
	// marked flow 4 outlives the bound.
	press(m, "G")
	for range 30 {
		st.Add(mixedFixture()[0].f)
	}
	pump(m)
	if _, ok := st.Get(4); !ok {
		t.Fatal("the store evicted marked flow 4")
	}
	if _, ok := st.Get(7); ok {
		t.Fatal("flow 7 was kept after it was unmarked")
	}
	if got := rowIDs(m); got[0] != 4 || len(got) != 20 {
		t.Fatalf("rows %v; want 4 (marked) then the 19 newest", got)
	}
	viewConsistent(t, m)
	if !strings.Contains(screen(m), "● 1 marked") {
		t.Fatalf("the header must count the one mark left:\n%s", screen(m))
	}

	// Unmarked, it is evicted like any other flow.
	press(m, "g", "m", "G")
	st.Add(mixedFixture()[0].f)
	pump(m)
	if _, ok := st.Get(4); ok {
		t.Fatal("flow 4 was kept after it was unmarked")
	}
	if h := headerLines(m); strings.Contains(h, "marked") {
		t.Fatalf("no mark is left, so the header must not mention marks:\n%s", h)
	}
}

// The mark survives the flow's updates (response, verdict), and a clear
// keeps the marked flows, as HTTP Toolkit keeps pinned ones.
func TestMarkSurvivesUpdatesAndClear(t *testing.T) {
	m, st, _ := newFixtureModel(t, mixedFixture(), testOpts{live: true, maxFlows: 20, w: 120, h: 40})
	selectFlow(t, m, "4")
	press(m, "m")
	const id = 4
	f, _ := st.Get(id)
	f.Response.Status = 500
	st.Update(f)
	pump(m)
	if r := m.t.get(id); r == nil || !r.marked || r.f.Response.Status != 500 {
		t.Fatalf("flow %d after an update: %+v; want it still marked, with the new status", id, r)
	}
	press(m, "c")
	if !strings.Contains(screen(m), "Clear 10 flows (the marked one stays)?") {
		t.Fatalf("the clear prompt must say the marked flow stays:\n%s", screen(m))
	}
	press(m, "y")
	pump(m)
	if got := rowIDs(m); len(got) != 1 || got[0] != id || !m.t.get(id).marked || m.t.counts.marked != 1 {
		t.Fatalf("rows %v after the clear; want only the marked flow %d, still marked", got, id)
	}
	if !strings.Contains(m.status, "cleared 10 flows; the marked one stays (U unmarks)") {
		t.Fatalf("status %q", m.status)
	}
	if r := m.t.get(id); r.v == nil {
		t.Fatal("the kept flow has no verdict: the analyzer must take it in again")
	}
	// New flows come after it; it is the oldest, and unmarked it is
	// the first to go when the store is full.
	for range 20 {
		st.Add(mixedFixture()[0].f)
	}
	pump(m)
	if _, ok := st.Get(id); !ok {
		t.Fatal("the marked flow was evicted")
	}
	selectFlow(t, m, "4")
	press(m, "m", "G")
	st.Add(mixedFixture()[0].f)
	pump(m)
	if _, ok := st.Get(id); ok {
		t.Fatal("unmarked, the kept flow must be evicted first")
	}
	viewConsistent(t, m)
	press(m, "c", "y")
	pump(m)
	if len(m.t.rows) != 0 || m.t.counts.marked != 0 {
		t.Fatalf("with nothing marked, a clear empties the list: %v", rowIDs(m))
	}
}

// selectFlow moves the cursor to the entry shown as id ("4", "3g").
func selectFlow(t *testing.T, m *Model, id string) {
	t.Helper()
	press(m, "g")
	for range len(m.t.view) {
		if selectedID(m) == id {
			return
		}
		press(m, "down")
	}
	t.Fatalf("could not select %s (at %s)", id, selectedID(m))
}

// viewIDs lists the shown entries like matchIDs does.
func viewIDs(m *Model) string {
	var out []string
	for _, e := range m.t.view {
		s := idText(e.id())
		if e.ghost() {
			s += "g"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// headerLines is the screen's first two lines.
func headerLines(m *Model) string {
	return strings.Join(strings.SplitN(screen(m), "\n", 3)[:2], "\n")
}

// M adds is:marked to the filter in force and takes it off again; U
// takes every mark off (and the store's pins with them).
func TestOnlyMarkedAndUnmarkAll(t *testing.T) {
	m, st, _ := newFixtureModel(t, mixedFixture(), testOpts{maxFlows: 20, w: 120, h: 40})
	press(m, "M")
	if m.filterShown() != "" || !strings.Contains(screen(m), "no flow is marked") {
		t.Fatalf("M with nothing marked: filter %q; want none and a hint:\n%s", m.filterShown(), screen(m))
	}
	selectFlow(t, m, "4")
	press(m, "m")
	selectFlow(t, m, "7")
	press(m, "m")
	for _, c := range []struct{ typed, afterM, shown string }{
		{"", "is:marked", "4 7"},
		{"cors:blocked", "cors:blocked is:marked", "7"},
	} {
		if c.typed != "" {
			press(m, "/")
			typeText(m, c.typed)
			press(m, "enter")
		}
		press(m, "M")
		if got := m.filterShown(); got != c.afterM || viewIDs(m) != c.shown {
			t.Fatalf("M over %q: filter %q showing [%s]; want %q showing [%s]", c.typed, got, viewIDs(m), c.afterM, c.shown)
		}
		press(m, "M")
		if got := m.filterShown(); got != c.typed {
			t.Fatalf("M twice over %q gave filter %q, want it back", c.typed, got)
		}
	}
	press(m, "esc", "esc")
	press(m, "c")
	if !strings.Contains(screen(m), "Clear 9 flows (the 2 marked stay)?") {
		t.Fatalf("the clear prompt must say the marked flows stay:\n%s", screen(m))
	}
	press(m, "n", "U")
	if m.t.counts.marked != 0 || !strings.Contains(screen(m), "unmarked 2 flows") {
		t.Fatalf("U left %d marks:\n%s", m.t.counts.marked, screen(m))
	}
	for _, r := range m.t.rows {
		if r.marked {
			t.Fatalf("flow %d is still marked after U", r.id)
		}
	}
	// Without their pins, 4 and 7 are evicted like any other flow.
	press(m, "G")
	for range 30 {
		st.Add(mixedFixture()[0].f)
	}
	pump(m)
	for _, id := range []capture.FlowID{4, 7} {
		if _, ok := st.Get(id); ok {
			t.Fatalf("flow %d outlived the bound after U: its pin was not released", id)
		}
	}
}

// Marks go out with an export (the store's Snapshot carries them) and
// come back when the file is opened: the flows arrive marked.
func TestMarksGoOutWithTheExportAndComeBack(t *testing.T) {
	t.Chdir(t.TempDir())
	var exported []capture.Flow
	export := func(path string, flows []capture.Flow) error {
		exported = flows
		return nil
	}
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{live: true, export: export, w: 120, h: 40})
	selectFlow(t, m, "4")
	press(m, "m")
	press(m, "e")
	keyAndRun(m, "enter")
	var marked []capture.FlowID
	for _, f := range exported {
		if f.Marked {
			marked = append(marked, f.ID)
		}
	}
	if len(exported) != 11 || !slices.Equal(marked, []capture.FlowID{4}) {
		t.Fatalf("exported %d flows, marked %v; want 11 with 4 marked", len(exported), marked)
	}

	// Opened again (the file's flows, as the importer returns them).
	fxs := mixedFixture()
	fxs[3].f.Marked = true
	o, st, _ := newFixtureModel(t, fxs, testOpts{w: 120, h: 40})
	if got := viewIDs(o); !strings.Contains(headerLines(o), "● 1 marked") {
		t.Fatalf("an opened file's marks must show (view %s):\n%s", got, headerLines(o))
	}
	if r := o.t.get(4); r == nil || !r.marked {
		t.Fatal("flow 4 came in marked but is not")
	}
	press(o, "U")
	if f, _ := st.Get(4); f.Marked {
		t.Fatal("U must take the mark off in the store too")
	}
}

// A preflight and its actual request are one exchange: marking either
// marks both, so a clear or eviction never keeps one half and changes
// what the other's verdict says.
func TestMarkingOneHalfOfAPairMarksBoth(t *testing.T) {
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{live: true, maxFlows: 20, w: 120, h: 40})
	selectFlow(t, m, "5") // the allowed preflight of 6
	press(m, "m")
	for _, id := range []capture.FlowID{5, 6} {
		if r := m.t.get(id); r == nil || !r.marked {
			t.Fatalf("flow %d is not marked after marking the preflight 5", id)
		}
	}
	if !strings.Contains(m.status, "marked #5 and its actual request #6") {
		t.Fatalf("status %q", m.status)
	}
	press(m, "c", "y")
	pump(m)
	if got := rowIDs(m); !slices.Equal(got, []capture.FlowID{5, 6}) {
		t.Fatalf("rows %v after the clear; want the pair 5, 6", got)
	}
	if v := m.t.get(5).v; v == nil || v.Kind != m.t.get(6).v.Kind || v.Pair != 6 {
		t.Fatalf("after the clear the pair must still be paired and judged alike: %+v", v)
	}
	selectFlow(t, m, "6")
	press(m, "m")
	if m.t.counts.marked != 0 {
		t.Fatalf("unmarking the actual must unmark its preflight too (%d marked)", m.t.counts.marked)
	}

	// A ghost (the actual a failed preflight stopped) shows its
	// preflight's mark.
	fresh, _, _ := newFixtureModel(t, mixedFixture(), testOpts{w: 120, h: 40})
	selectFlow(t, fresh, "3g")
	press(fresh, "m")
	if !regexp.MustCompile(`(?m)^[ >]●\s*↳ `).MatchString(screen(fresh)) {
		t.Fatalf("the ghost row must show the mark:\n%s", screen(fresh))
	}

}

// With everything held marked, new flows are evicted on arrival: the
// interface says so instead of dropping them silently.
func TestNewFlowsDroppedBecauseAllIsMarkedAreAnnounced(t *testing.T) {
	fxs := mixedFixture()[:4]
	m, st, _ := newFixtureModel(t, fxs, testOpts{live: true, maxFlows: 4, w: 120, h: 40})
	for _, id := range []string{"1", "2", "4"} {
		selectFlow(t, m, id)
		press(m, "m")
	}
	selectFlow(t, m, "3") // open: pinned too
	for range 3 {
		st.Add(mixedFixture()[0].f)
	}
	pump(m)
	if !strings.Contains(m.status, "new flows are dropped: every flow kept is marked or open") {
		t.Fatalf("status %q; want the dropped-flows warning", m.status)
	}
}

// M over a filter showing only the unmarked turns it round.
func TestOnlyMarkedReplacesItsNegation(t *testing.T) {
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{w: 120, h: 40})
	selectFlow(t, m, "4")
	press(m, "m", "/")
	typeText(m, "!is:marked cors:blocked")
	press(m, "enter", "M")
	if got := m.filterShown(); got != "cors:blocked is:marked" {
		t.Fatalf("filter %q; want cors:blocked is:marked", got)
	}
	press(m, "U")
	if !strings.Contains(screen(m), "No flow is marked: m marks the selected one") {
		t.Fatalf("an empty is:marked view must say why:\n%s", screen(m))
	}
}

// Over a saved capture nothing is lost on quit but the marks set in this
// session: q asks about them until they are exported.
func TestQuitAsksAboutMarksNotSaved(t *testing.T) {
	t.Chdir(t.TempDir())
	export := func(string, []capture.Flow) error { return nil }
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{export: export, w: 120, h: 40})
	if _, cmd := m.Update(keyMsg("q")); !isQuit(cmd) {
		t.Fatal("a saved capture with no marks set must quit at once")
	}
	m, _, _ = newFixtureModel(t, mixedFixture(), testOpts{export: export, w: 120, h: 40})
	selectFlow(t, m, "4")
	press(m, "m", "q")
	if m.prompt != promptQuit || !strings.Contains(screen(m), "Quit? The marks you set are not saved (e saves a HAR with them).") {
		t.Fatalf("q after a mark must ask:\n%s", screen(m))
	}
	press(m, "n", "e")
	keyAndRun(m, "enter")
	if _, cmd := m.Update(keyMsg("q")); !isQuit(cmd) {
		t.Fatal("after the export, q must quit at once")
	}
}
