package ui

import (
	"context"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

type focus int

const (
	focusList focus = iota
	focusDetail
)

type promptKind int

const (
	promptNone promptKind = iota
	promptFilter
	promptExport
	promptClear
	promptQuit
)

// syncFilterMax is the number of flows up to which a filter is applied
// in Update; above it the work goes to a command over a snapshot.
const syncFilterMax = 20000

// filterDebounce is how long typing must pause before the filter runs.
const filterDebounce = 100 * time.Millisecond

// droppedStatus starts the warning shown while new flows are evicted as
// soon as they arrive.
const droppedStatus = "new flows are dropped"

// statusTTL is how long a status line stays.
const statusTTL = 4 * time.Second

// Model is the root model. Children (list, detail, prompt) are plain
// structs driven from here; only the root has Update.
type Model struct {
	ctx  context.Context
	o    Options
	loc  *time.Location
	keys KeyMap
	help help.Model
	th   *theme
	feed *feed

	w, h  int
	sized bool
	lay   layout
	cols  columns

	t      table
	list   listState
	focus  focus
	tab    tab
	detail detailState
	bodies map[bodyKey]*bodyView

	showHelp bool
	hint     struct {
		key   hintKey
		s     string
		valid bool
	}

	// Filter: the applied filter lives in t.filter; input is being typed.
	prompt     promptKind
	input      lineInput
	filterErr  string
	filterGen  int
	prevFilter string
	job        *filterJob
	dirty      []capture.FlowID // rows changed while job runs

	status    string
	statusErr bool
	statusID  int

	fw    string // chosen framework key
	prefs prefs

	evictedTotal  uint64
	evictedMemory uint64 // of evictedTotal, dropped for --max-memory
	// pinned are the flows the store must not evict: the selected one and
	// the pair partner its detail pane shows.
	pinned [2]capture.FlowID
	// jobEvicted is the highest flow ID evicted while a filter job ran.
	jobEvicted capture.FlowID
	paused     bool
	tls        TLSStats
	tlsFlows   int // flows seen with client TLS (interception works)
	// tlsRejectedFlows counts recorded client handshake failures (the
	// browser does not trust the CA), for when Options.TLS is nil.
	tlsRejectedFlows int
	changes          uint64
	exportedAt       uint64
	// markEdits counts marks set or taken off; markEditsSaved is its
	// value at the last export, so quitting can say marks would be lost.
	markEdits, markEditsSaved uint64
	loaded                    bool // the first complete load happened
	droppedNew                bool // the last batch evicted flows never shown
	quitting                  bool
}

// New builds the model over o.Store. It reads ui.json (before the program
// starts, never in Update) and subscribes to the store; Close ends the
// subscription.
func New(ctx context.Context, o Options) *Model {
	if ctx == nil {
		ctx = context.Background()
	}
	an := o.Analyzer
	if an == nil {
		an = noAnalyzer{}
	}
	frame := o.Frame
	if frame == 0 {
		frame = 30 * time.Millisecond
	}
	loc := o.Location
	if loc == nil {
		loc = time.Local
	}
	m := &Model{
		ctx:    ctx,
		o:      o,
		loc:    loc,
		keys:   DefaultKeyMap(),
		help:   help.New(),
		th:     newTheme(true, 1),
		bodies: map[bodyKey]*bodyView{},
		feed:   &feed{ctx: ctx, sub: o.Store.Subscribe(), an: an, frame: frame},
		prefs:  loadPrefs(o.Home),
	}
	m.fw = m.prefs.Framework
	if o.Info != "" {
		m.status = o.Info
	}
	if o.Notice != "" {
		m.status, m.statusErr = o.Notice, true
	}
	m.list.follow = o.Live
	m.paused = o.Store.Paused()
	m.help.Styles = m.th.st.Help
	m.syncKeys()
	return m
}

// Close ends the store subscription and unpins what the user had open.
// Marks stay in the store: --har on exit writes them.
func (m *Model) Close() {
	m.setPins([2]capture.FlowID{})
	m.feed.sub.Close()
}

// syncPins pins, in the store, the flows the user has open (the selected
// one and the pair partner the detail pane shows), so eviction never pulls
// them from under the user; what was open before is unpinned.
func (m *Model) syncPins() {
	var want [2]capture.FlowID
	if r, ghost := m.selected(); r != nil {
		want[0] = r.id
		if r.v != nil && r.v.Pair != 0 && !ghost {
			want[1] = r.v.Pair
		}
	}
	m.setPins(want)
}

func (m *Model) setPins(want [2]capture.FlowID) {
	if want == m.pinned {
		return
	}
	for _, id := range want {
		if id != 0 {
			m.o.Store.Pin(id)
		}
	}
	for _, id := range m.pinned {
		if id != 0 {
			m.o.Store.Unpin(id)
		}
	}
	m.pinned = want
}

// Init asks the terminal for its background (to pick the theme) and
// starts pulling flows.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.feed.next()}
	if m.o.Live && m.o.TLS != nil {
		cmds = append(cmds, m.tlsTick(0))
	}
	return tea.Batch(cmds...)
}

type (
	statusClearMsg    struct{ id int }
	filterDebounceMsg struct{ gen int }
	tlsMsg            struct{ s TLSStats }
	exportDoneMsg     struct {
		path string
		n    int
		err  error
		at   uint64
		// marks is markEdits when the export started.
		marks uint64
	}
	browserDoneMsg struct {
		note string
		err  error
	}
)

// Update handles one message. It does no I/O: anything slow (pulling and
// analysing flows, filtering a large capture, decoding bodies, writing
// files) is a command.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
	case tea.BackgroundColorMsg:
		if dark := msg.IsDark(); dark != m.th.dark {
			m.th = newTheme(dark, m.th.gen+1)
			m.help.Styles = m.th.st.Help
		}
	case batchMsg:
		m.applyBatch(msg)
		cmds = append(cmds, m.feed.next())
		if m.droppedNew && !strings.HasPrefix(m.status, droppedStatus) {
			cmds = append(cmds, m.setStatus(droppedStatus+": every flow kept is marked or open (U unmarks, or raise --max-flows)", true))
		}
	case filterDoneMsg:
		m.applyFilterResult(msg)
	case filterDebounceMsg:
		if msg.gen == m.filterGen && m.prompt == promptFilter {
			cmds = append(cmds, m.setFilter(m.input.value()))
		}
	case bodyMsg:
		if len(m.bodies) > 32 {
			clear(m.bodies)
		}
		m.bodies[msg.key] = msg.view
	case statusClearMsg:
		if msg.id == m.statusID {
			m.status = ""
		}
	case tlsMsg:
		m.tls = msg.s
		cmds = append(cmds, m.tlsTick(time.Second))
	case exportDoneMsg:
		if msg.err != nil {
			cmds = append(cmds, m.setStatus("✗ export failed: "+msg.err.Error(), true))
		} else {
			m.exportedAt = max(m.exportedAt, msg.at)
			m.markEditsSaved = max(m.markEditsSaved, msg.marks)
			cmds = append(cmds, m.setStatus("✓ exported "+plural(msg.n, "flow")+" to "+msg.path, false))
		}
	case browserDoneMsg:
		if msg.err != nil {
			cmds = append(cmds, m.setStatus("✗ browser: "+msg.err.Error(), true))
		} else if msg.note != "" {
			cmds = append(cmds, m.setStatus(msg.note, false))
		}
	case prefsSavedMsg:
		if msg.err != nil {
			cmds = append(cmds, m.setStatus("could not remember the framework choice: "+msg.err.Error(), true))
		}
	case tea.KeyPressMsg:
		cmds = append(cmds, m.handleKey(msg))
	case tea.PasteMsg:
		if m.prompt == promptFilter || m.prompt == promptExport {
			if m.input.insert(msg.Content) && m.prompt == promptFilter {
				cmds = append(cmds, m.filterTyped())
			}
		}
	case tea.MouseWheelMsg:
		m.wheel(msg.Mouse())
	case tea.MouseClickMsg:
		m.click(msg.Mouse())
	}
	if m.quitting {
		return m, tea.Quit
	}
	m.syncPins()
	cmds = append(cmds, m.syncDetail())
	return m, tea.Batch(cmds...)
}

func (m *Model) resize(w, h int) {
	m.w, m.h, m.sized = w, h, true
	m.lay = computeLayout(w, h)
	m.list.height = max(0, m.lay.list.h-1)
	m.planColumns()
	m.help.SetWidth(w)
	m.list.clamp(len(m.t.view))
}

func (m *Model) planColumns() {
	var maxID capture.FlowID
	if n := len(m.t.rows); n > 0 {
		maxID = m.t.rows[n-1].id
	}
	m.cols = planColumns(m.lay.list.w, maxID)
}

func (m *Model) setStatus(s string, isErr bool) tea.Cmd {
	m.statusID++
	m.status, m.statusErr = s, isErr
	id := m.statusID
	return tea.Tick(statusTTL, func(time.Time) tea.Msg { return statusClearMsg{id} })
}

func (m *Model) tlsTick(d time.Duration) tea.Cmd {
	get := m.o.TLS
	return tea.Tick(d, func(time.Time) tea.Msg { return tlsMsg{get()} })
}

// applyBatch folds a batch of store changes and verdicts into the table.
func (m *Model) applyBatch(b batchMsg) {
	if b.cleared {
		if m.job != nil {
			m.t.filter = m.job.f // nothing left to filter: apply it now
		}
		m.t.reset()
		m.job, m.dirty = nil, nil
		m.list.sel, m.list.off = 0, 0
		m.detail.valid = false
		clear(m.bodies)
		m.exportedAt = m.changes
	}
	m.evictedTotal, m.evictedMemory = b.evictedTotal, b.evictedMemory
	prevMax := m.maxID()
	unseen := len(b.evicted) > 0 && b.evicted[len(b.evicted)-1] > prevMax
	defer func() {
		// Flows evicted before they were ever shown while all that is
		// held is marked (or open): new traffic is being dropped.
		m.droppedNew = unseen && m.t.counts.marked > 0 && len(m.t.rows)-m.t.counts.marked <= 2
	}()
	if len(b.evicted) > 0 {
		m.t.evict(b.evicted)
		if m.job != nil {
			m.jobEvicted = max(m.jobEvicted, b.evicted[len(b.evicted)-1])
		}
	}
	for i := range b.flows {
		f := &b.flows[i]
		old := m.t.get(f.ID)
		var v *analyze.Verdict
		var ver uint32
		if old != nil {
			v, ver = old.v, old.ver+1
		}
		if f.TLS != nil && (old == nil || old.f.TLS == nil) {
			m.tlsFlows++
		}
		if old == nil && browserRejectedCA(f) {
			m.tlsRejectedFlows++
		}
		nr := newRow(f, v, ver)
		if old != nil {
			nr.marked = old.marked
		} else {
			nr.marked = f.Marked // marked in the file it came from (HAR _marked)
		}
		m.t.upsert(nr)
		m.noteDirty(f.ID)
	}
	for i := range b.verdicts {
		v := &b.verdicts[i]
		old := m.t.get(v.Flow)
		if old == nil {
			continue
		}
		nr := newRow(old.f, v, old.ver+1)
		nr.marked = old.marked
		m.t.upsert(nr)
		m.noteDirty(v.Flow)
		if m.t.counts.marked > 0 {
			m.spreadMark(nr)
		}
	}
	if len(b.flows) > 0 {
		m.changes++
	}
	if m.maxID() != prevMax {
		m.planColumns()
	}
	if !b.more && !m.loaded {
		m.loaded = true
		if !m.o.Live {
			m.selectFirstBlocked()
			return
		}
	}
	m.fixSel()
}

// browserRejectedCA recognises the failed flow the proxy records when the
// browser refuses corscope's certificate. capture has no dedicated
// ErrorKind for it, so this reads the ErrTLS reason it writes.
func browserRejectedCA(f *capture.Flow) bool {
	return f.State == capture.StateFailed && f.ErrorKind == capture.ErrTLS &&
		(strings.Contains(f.Error, "browser rejected") || strings.Contains(f.Error, "handshake with the browser"))
}

func (m *Model) maxID() capture.FlowID {
	if n := len(m.t.rows); n > 0 {
		return m.t.rows[n-1].id
	}
	return 0
}

func (m *Model) noteDirty(id capture.FlowID) {
	if m.job != nil {
		m.dirty = append(m.dirty, id)
	}
}

// selectFirstBlocked puts the cursor on the first blocked entry of a saved
// capture: the reason it was opened.
func (m *Model) selectFirstBlocked() {
	for i, e := range m.t.view {
		if r := m.t.get(e.id()); r != nil && (e.ghost() || (r.v != nil && r.v.Kind == analyze.KindBlocked)) {
			m.list.sel = i
			m.list.selE = e
			m.list.clamp(len(m.t.view))
			return
		}
	}
	m.fixSel()
}

// fixSel keeps the cursor on the same entry after the view changed, or on
// the newest one in follow mode.
func (m *Model) fixSel() {
	n := len(m.t.view)
	if n == 0 {
		m.list.sel, m.list.off = 0, 0
		return
	}
	if m.list.follow {
		m.list.sel = n - 1
	} else if m.list.sel < n && m.t.view[m.list.sel] == m.list.selE {
		// unchanged
	} else if m.list.selE != 0 {
		i, _ := m.t.viewIndex(m.list.selE)
		m.list.sel = min(i, n-1)
	}
	m.list.sel = clamp(m.list.sel, 0, n-1)
	m.list.selE = m.t.view[m.list.sel]
	m.list.clamp(n)
}

// move moves the cursor by d entries; landing on the last entry turns
// follow mode on, any other move turns it off.
func (m *Model) move(d int) {
	n := len(m.t.view)
	if n == 0 {
		return
	}
	m.list.sel = clamp(m.list.sel+d, 0, n-1)
	m.list.selE = m.t.view[m.list.sel]
	m.list.follow = m.list.sel == n-1
	m.list.clamp(n)
}

// selected returns the row and ghost flag under the cursor.
func (m *Model) selected() (*row, bool) {
	if len(m.t.view) == 0 {
		return nil, false
	}
	e := m.t.view[clamp(m.list.sel, 0, len(m.t.view)-1)]
	return m.t.get(e.id()), e.ghost()
}

// syncDetail rebuilds the detail pane's lines when anything they depend on
// changed, and asks for a body decode when the Body tab needs one.
func (m *Model) syncDetail() tea.Cmd {
	if !m.sized || m.lay.tooSmall {
		return nil
	}
	r, ghost := m.selected()
	if r == nil {
		m.detail = detailState{}
		return nil
	}
	var pair *row
	if r.v != nil && r.v.Pair != 0 && !ghost {
		pair = m.t.get(r.v.Pair)
	}
	k := detailKey{e: mkEntry(r.id, ghost), ver: r.ver, tab: m.tab, w: m.detailWidth(), theme: m.th.gen, fw: m.fw}
	if pair != nil {
		k.pairVer = pair.ver + 1
	}
	var cmd tea.Cmd
	if m.tab == tabBody && !ghost {
		bk := bodyKey{r.id, r.ver}
		if bv, ok := m.bodies[bk]; ok {
			k.body = bv
		} else {
			cmd = decodeBodyCmd(bk, r.f)
		}
	}
	if m.detail.valid && m.detail.key == k {
		return cmd
	}
	scroll := m.detail.scroll
	if !m.detail.valid || m.detail.key.e != k.e || m.detail.key.tab != k.tab {
		scroll = 0
	}
	c := detailCtx{w: k.w, st: &m.th.st, r: r, ghost: ghost, pair: pair, loc: m.loc}
	ls, cp, what := c.build(m.tab, m.fw, k.body)
	m.detail = detailState{key: k, valid: true, lines: ls, scroll: scroll, copy: cp, copyWhat: what}
	m.detail.scroll = clamp(m.detail.scroll, 0, m.detail.maxScroll(m.detailRows()))
	return cmd
}

// detailWidth is the width content lines are built for: the pane less a
// one-cell margin on each side.
func (m *Model) detailWidth() int { return max(1, m.lay.detail.w-2) }

func (m *Model) detailRows() int { return max(0, m.lay.detail.h-1) }

func (m *Model) scrollDetail(d int) {
	m.detail.scroll = clamp(m.detail.scroll+d, 0, m.detail.maxScroll(m.detailRows()))
}

// unexported reports whether quitting would lose something: flows
// recorded since the last export, or marks set since then (also over a
// saved capture, where the marks live only in this session), with no
// --har to write on exit.
func (m *Model) unexported() bool {
	if m.o.Live && m.o.SaveOnExit != "" || len(m.t.rows) == 0 {
		return false
	}
	return m.unexportedFlows() || m.o.Export != nil && m.markEdits > m.markEditsSaved
}

func (m *Model) unexportedFlows() bool { return m.o.Live && m.changes > m.exportedAt }

// syncKeys enables the bindings that apply now, so help shows only what
// works.
func (m *Model) syncKeys() {
	k := &m.keys
	k.Pause.SetEnabled(m.o.Live)
	k.FwPrev.SetEnabled(m.tab == tabFix)
	k.FwNext.SetEnabled(m.tab == tabFix)
	k.Export.SetEnabled(m.o.Export != nil)
	if m.paused {
		k.Pause.SetHelp("p", "resume capture")
	} else {
		k.Pause.SetHelp("p", "pause capture")
	}
	if m.list.follow {
		k.Follow.SetHelp("F", "stop following")
	} else {
		k.Follow.SetHelp("F", "follow newest")
	}
}

// frameworks returns the framework keys offered for the selected entry.
func (m *Model) cycleFramework(d int) tea.Cmd {
	r, _ := m.selected()
	if r == nil {
		return nil
	}
	fixes, i := fixList(r.v, m.fw)
	if len(fixes) == 0 {
		return nil
	}
	i = (i + d + len(fixes)) % len(fixes)
	m.fw = fixes[i].Framework
	m.prefs.Framework = m.fw
	return savePrefsCmd(m.o.Home, m.prefs)
}

// toggleMark marks or unmarks the selected flow and its pair: a
// preflight and its actual request are one exchange, and keeping one half
// without the other (through a clear, or eviction) would change what the
// kept half's verdict says. A ghost row marks its preflight. The mark is
// kept in the store, which never evicts a marked flow and writes the mark
// into every export; is:marked finds it again.
func (m *Model) toggleMark() tea.Cmd {
	r, _ := m.selected()
	if r == nil {
		return nil
	}
	on := !r.marked
	m.setMark(r, on)
	what := "#" + idText(r.id)
	if p := m.pairOf(r); p != nil {
		m.setMark(p, on)
		what += " and its " + pairRole(p) + " #" + idText(p.id)
	}
	m.fixSel() // an is:marked filter may have hidden it
	if on {
		return m.setStatus("marked "+what+": never evicted, kept by c · M shows the marked flows", false)
	}
	return m.setStatus("unmarked "+what, false)
}

// setMark marks or unmarks r's flow, in the table and the store.
func (m *Model) setMark(r *row, on bool) {
	if r.marked == on {
		return
	}
	nr := *r
	nr.ver++
	nr.marked = on
	m.t.upsert(&nr)
	m.noteDirty(r.id)
	m.o.Store.Mark(r.id, on)
	m.markEdits++
}

// pairOf returns the row of r's preflight or actual request, if held.
func (m *Model) pairOf(r *row) *row {
	if r.v == nil || r.v.Pair == 0 {
		return nil
	}
	return m.t.get(r.v.Pair)
}

func pairRole(r *row) string {
	if r.v != nil && r.v.Role == analyze.RolePreflight {
		return "preflight"
	}
	return "actual request"
}

// spreadMark marks the pair of a marked flow whose pair became known after
// the mark (the actual request arrived later).
func (m *Model) spreadMark(r *row) {
	if p := m.pairOf(r); p != nil && p.marked != r.marked {
		if r.marked {
			m.setMark(p, true)
		} else {
			m.setMark(r, true)
		}
	}
}

// markedTerm is the filter term M adds to (and takes off) the filter.
const markedTerm = "is:marked"

// toggleOnlyMarked adds is:marked to the filter in force, or takes it off
// when the filter ends with it, so M twice gives back the filter typed.
func (m *Model) toggleOnlyMarked() tea.Cmd {
	cur := m.filterShown()
	if f := strings.Fields(cur); slices.Contains(f, "!"+markedTerm) {
		// Showing only the unmarked: M turns that round.
		cur = strings.Join(slices.DeleteFunc(f, func(t string) bool { return t == "!"+markedTerm }), " ")
		return m.setFilter(strings.TrimSpace(cur + " " + markedTerm))
	}
	if rest, ok := strings.CutSuffix(cur, markedTerm); ok && (rest == "" || strings.HasSuffix(rest, " ")) {
		return m.setFilter(strings.TrimSpace(rest))
	}
	if m.t.counts.marked == 0 {
		return m.setStatus("no flow is marked: m marks the selected one", false)
	}
	return m.setFilter(strings.TrimSpace(cur + " " + markedTerm))
}

// unmarkAll takes every mark off.
func (m *Model) unmarkAll() tea.Cmd {
	n := m.t.counts.marked
	if n == 0 {
		return m.setStatus("no flow is marked", false)
	}
	var ids []capture.FlowID
	for _, r := range m.t.rows {
		if r.marked {
			ids = append(ids, r.id)
		}
	}
	for _, id := range ids {
		m.setMark(m.t.get(id), false)
	}
	m.fixSel()
	return m.setStatus("unmarked "+plural(n, "flow"), false)
}

// jumpToPair selects the other half of a preflight ↔ actual pair.
func (m *Model) jumpToPair() tea.Cmd {
	r, ghost := m.selected()
	if r == nil || r.v == nil {
		return nil
	}
	var target entry
	switch {
	case ghost:
		target = mkEntry(r.id, false)
	case r.v.NeverSent:
		target = mkEntry(r.id, true)
	case r.v.Pair != 0:
		target = mkEntry(r.v.Pair, false)
	case r.v.FromPreflightCache:
		return m.setStatus("no preflight on the wire: the browser answered it from its preflight cache", false)
	default:
		return m.setStatus("this flow has no paired preflight or actual request", false)
	}
	if m.t.get(target.id()) == nil {
		return m.setStatus("#"+idText(target.id())+" is no longer held (cleared or evicted)", true)
	}
	i, ok := m.t.viewIndex(target)
	if !ok {
		return m.setStatus("#"+idText(target.id())+" is hidden by the filter (esc clears it)", true)
	}
	m.list.sel, m.list.selE = i, target
	m.list.follow = i == len(m.t.view)-1
	m.list.clamp(len(m.t.view))
	return nil
}

func (m *Model) copyFix() tea.Cmd {
	r, ghost := m.selected()
	if r == nil || r.v == nil || r.v.Fix == nil {
		return m.setStatus("nothing to copy: this flow needs no fix", false)
	}
	// The copy text comes from the Fix tab's build; build it if the Fix
	// tab is not the one showing.
	text, what := m.detail.copy, m.detail.copyWhat
	if m.tab != tabFix {
		var pair *row
		if r.v.Pair != 0 {
			pair = m.t.get(r.v.Pair)
		}
		c := detailCtx{w: m.detailWidth(), st: &m.th.st, r: r, ghost: ghost, pair: pair, loc: m.loc}
		_, text, what = c.build(tabFix, m.fw, nil)
	}
	if text == "" {
		return m.setStatus("nothing to copy: no fix is offered for this flow", false)
	}
	return tea.Batch(tea.SetClipboard(text),
		m.setStatus("✓ copied the "+what+" fix ("+plural(countLines(text), "line")+") to the clipboard (OSC 52)", false))
}

func countLines(s string) int {
	n := 1
	for i := 0; i < len(s)-1; i++ {
		if s[i] == '\n' {
			n++
		}
	}
	return n
}

// toggle helpers keep key handling short.

func (m *Model) setTab(t tab) {
	m.tab = t
	m.syncKeys()
}

func (m *Model) requestQuit() tea.Cmd {
	if m.prompt == promptQuit {
		m.quitting = true
		return nil
	}
	if m.unexported() {
		m.prompt = promptQuit
		return nil
	}
	m.quitting = true
	return nil
}

var _ tea.Model = (*Model)(nil)

// entriesAfter returns the part of sorted entries with IDs above id.
func entriesAbove(view []entry, id capture.FlowID) []entry {
	i, _ := slices.BinarySearch(view, mkEntry(id+1, false))
	return view[i:]
}

// keyIs is key.Matches for one binding, kept short for the handlers.
func keyIs(k tea.KeyPressMsg, b key.Binding) bool { return key.Matches(k, b) }
