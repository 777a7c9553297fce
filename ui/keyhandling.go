package ui

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// handleKey routes a key: an open prompt takes it first, then the help
// screen, then the global keys, then the focused pane.
func (m *Model) handleKey(k tea.KeyPressMsg) tea.Cmd {
	defer m.syncKeys()
	switch m.prompt {
	case promptFilter:
		return m.filterKey(k)
	case promptExport:
		return m.exportKey(k)
	case promptClear, promptQuit:
		return m.confirmKey(k)
	}
	if m.showHelp {
		switch {
		case keyIs(k, m.keys.Quit):
			return m.requestQuit()
		case keyIs(k, m.keys.Help), keyIs(k, m.keys.Back):
			m.showHelp = false
		}
		return nil
	}
	km := &m.keys
	switch {
	case keyIs(k, km.Quit):
		return m.requestQuit()
	case keyIs(k, km.Help):
		m.showHelp = true
	case keyIs(k, km.Filter):
		m.prompt = promptFilter
		m.prevFilter = m.t.filter.String()
		m.input.set(m.prevFilter)
		m.filterErr = ""
	case keyIs(k, km.Back):
		switch {
		case m.focus == focusDetail:
			m.focus = focusList
		case m.t.filter != nil || m.job != nil:
			return m.clearFilter()
		}
	case keyIs(k, km.Focus):
		if m.focus == focusList && len(m.t.view) > 0 {
			m.focus = focusDetail
		} else {
			m.focus = focusList
		}
	case keyIs(k, km.Tabs):
		m.setTab(tab(k.String()[0] - '1'))
	case keyIs(k, km.Up):
		m.moveOrScroll(-1)
	case keyIs(k, km.Down):
		m.moveOrScroll(1)
	case keyIs(k, km.PageUp):
		m.moveOrScroll(-m.page())
	case keyIs(k, km.PageDown):
		m.moveOrScroll(m.page())
	case keyIs(k, km.Top):
		if m.focus == focusDetail {
			m.detail.scroll = 0
		} else {
			m.move(-len(m.t.view))
		}
	case keyIs(k, km.Bottom):
		if m.focus == focusDetail {
			m.detail.scroll = m.detail.maxScroll(m.detailRows())
		} else {
			m.move(len(m.t.view))
		}
	case keyIs(k, km.Follow):
		m.list.follow = !m.list.follow
		if m.list.follow {
			m.move(len(m.t.view))
			m.list.follow = true
			return m.setStatus("following the newest flow", false)
		}
		return m.setStatus("follow off", false)
	case keyIs(k, km.Pause):
		m.paused = !m.paused
		m.o.Store.SetPaused(m.paused)
		if m.paused {
			return m.setStatus("capture paused: requests still pass through but are not recorded (p resumes)", false)
		}
		return m.setStatus("capture resumed", false)
	case keyIs(k, km.Clear):
		if len(m.t.rows) == 0 {
			return m.setStatus("nothing to clear", false)
		}
		if len(m.t.rows) == m.t.counts.marked {
			return m.setStatus("nothing to clear: every flow is marked (U unmarks them)", false)
		}
		m.prompt = promptClear
	case keyIs(k, km.Export):
		if len(m.t.rows) == 0 {
			return m.setStatus("nothing to export yet", false)
		}
		m.prompt = promptExport
		m.input.set(m.defaultExportName())
	case keyIs(k, km.Browser):
		return m.launchBrowser()
	case keyIs(k, km.Pair):
		return m.jumpToPair()
	case keyIs(k, km.Mark):
		return m.toggleMark()
	case keyIs(k, km.OnlyMarked):
		return m.toggleOnlyMarked()
	case keyIs(k, km.UnmarkAll):
		return m.unmarkAll()
	case keyIs(k, km.FwPrev):
		return m.cycleFramework(-1)
	case keyIs(k, km.FwNext):
		return m.cycleFramework(1)
	case keyIs(k, km.Copy):
		return m.copyFix()
	}
	return nil
}

func (m *Model) page() int {
	if m.focus == focusDetail {
		return max(1, m.detailRows()-1)
	}
	return max(1, m.list.height-1)
}

func (m *Model) moveOrScroll(d int) {
	if m.focus == focusDetail {
		m.scrollDetail(d)
		return
	}
	m.move(d)
}

// filterKey edits the filter: it applies as you type (debounced), enter
// keeps it, esc puts back the one in force before.
func (m *Model) filterKey(k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "ctrl+c":
		m.prompt = promptNone
		return m.requestQuit()
	case "esc":
		m.prompt = promptNone
		m.filterGen++ // drop a pending debounce
		m.filterErr = ""
		return m.setFilter(m.prevFilter)
	case "enter":
		m.filterGen++
		cmd := m.setFilter(m.input.value())
		if m.filterErr == "" {
			m.prompt = promptNone
		}
		return cmd
	}
	if m.input.key(k) {
		return m.filterTyped()
	}
	return nil
}

// exportKey edits the export path; enter writes the HAR in a command.
func (m *Model) exportKey(k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "ctrl+c":
		m.prompt = promptNone
		return m.requestQuit()
	case "esc":
		m.prompt = promptNone
		return nil
	case "enter":
		path := strings.TrimSpace(m.input.value())
		if path == "" {
			return m.setStatus("type a file name for the HAR", true)
		}
		m.prompt = promptNone
		return m.exportCmd(path)
	}
	m.input.key(k)
	return nil
}

func (m *Model) confirmKey(k tea.KeyPressMsg) tea.Cmd {
	p := m.prompt
	switch {
	case k.String() == "ctrl+c" && p == promptQuit:
		m.quitting = true
	case keyIs(k, m.keys.Yes) || (p == promptQuit && keyIs(k, m.keys.Quit)):
		m.prompt = promptNone
		switch p {
		case promptQuit:
			m.quitting = true
		case promptClear:
			kept := m.t.counts.marked
			// An in-memory reset under the store's lock; the cleared
			// batch that follows empties the list, makes the feed forget
			// the flows in the analyzer, and brings the marked ones back.
			n := m.o.Store.ClearUnmarked()
			msg := "cleared " + plural(n, "flow")
			switch {
			case kept == 1:
				msg += "; the marked one stays (U unmarks)"
			case kept > 1:
				msg += "; the " + strconv.Itoa(kept) + " marked stay (U unmarks)"
			}
			return m.setStatus(msg, false)
		}
	case keyIs(k, m.keys.No):
		m.prompt = promptNone
	}
	return nil
}

func (m *Model) defaultExportName() string {
	now := time.Now
	if m.o.Now != nil {
		now = m.o.Now
	}
	return "corscope-" + now().Format("20060102-150405") + ".har"
}

// exportCmd snapshots the store and writes the HAR off the event loop.
func (m *Model) exportCmd(path string) tea.Cmd {
	export, store, at, marks := m.o.Export, m.o.Store, m.changes, m.markEdits
	if export == nil {
		return m.setStatus("export is not available in this build", true)
	}
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	return tea.Batch(m.setStatus("exporting…", false), func() tea.Msg {
		flows := store.Snapshot() // marks included (_marked in the HAR)
		abs, err := filepath.Abs(path)
		if err != nil {
			abs = path
		}
		err = export(abs, flows)
		return exportDoneMsg{path: abs, n: len(flows), err: err, at: at, marks: marks}
	})
}

func (m *Model) launchBrowser() tea.Cmd {
	if !m.o.Live {
		return m.setStatus("no proxy runs under `corscope open`: start `corscope` to capture from a browser", true)
	}
	if m.o.LaunchBrowser == nil {
		return m.setStatus("B is not wired yet: run `corscope browser`, or start Chromium with --proxy-server="+m.addr()+" --proxy-bypass-list=<-loopback>", true)
	}
	launch, ctx := m.o.LaunchBrowser, m.ctx
	return tea.Batch(m.setStatus("starting a browser…", false), func() tea.Msg {
		note, err := launch(ctx)
		return browserDoneMsg{note: note, err: err}
	})
}

func (m *Model) addr() string {
	if m.o.ListenAddr != "" {
		return m.o.ListenAddr
	}
	return "127.0.0.1:8080"
}

// Mouse: the wheel moves the selection (list) or scrolls (detail); a click
// selects a row, a tab, or focuses the detail pane.

func (m *Model) wheel(ms tea.Mouse) {
	d := 0
	switch ms.Button {
	case tea.MouseWheelUp:
		d = -1
	case tea.MouseWheelDown:
		d = 1
	default:
		return
	}
	if m.prompt != promptNone || m.showHelp || m.lay.tooSmall {
		return
	}
	switch {
	case m.lay.detail.contains(ms.X, ms.Y):
		m.scrollDetail(3 * d)
	case m.lay.list.contains(ms.X, ms.Y):
		m.move(d)
	}
}

func (m *Model) click(ms tea.Mouse) {
	if ms.Button != tea.MouseLeft || m.prompt != promptNone || m.showHelp || m.lay.tooSmall {
		return
	}
	switch {
	case m.lay.list.contains(ms.X, ms.Y):
		m.focus = focusList
		row := ms.Y - m.lay.list.y - 1 // the first line is the column header
		if row < 0 {
			return
		}
		if i := m.list.off + row; i < len(m.t.view) {
			m.list.sel, m.list.selE = i, m.t.view[i]
			m.list.follow = i == len(m.t.view)-1
			m.list.clamp(len(m.t.view))
		}
	case m.lay.detail.contains(ms.X, ms.Y):
		if len(m.t.view) > 0 {
			m.focus = focusDetail
		}
		if ms.Y == m.lay.detail.y {
			if t, ok := tabAt(ms.X-m.lay.detail.x, m.lay.detail.w); ok {
				m.setTab(t)
			}
		}
	}
}

// tabAt maps a column of the tab bar to a tab (same geometry as tabBar).
func tabAt(x, w int) (tab, bool) {
	names := tabNames[:]
	if w < 52 {
		names = tabShort[:]
	}
	pos := 1
	for i, n := range names {
		lw := len(n) + 4
		if x >= pos && x < pos+lw {
			return tab(i), true
		}
		pos += lw
	}
	return 0, false
}
