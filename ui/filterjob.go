package ui

import (
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/corscope/corscope/capture"
)

// Applying a filter to a large capture is O(flows), so above syncFilterMax
// it runs in a command over a snapshot of the row pointers (rows are never
// modified, so the snapshot needs no lock). The result is a sorted list of
// entries; rows that arrived or changed while it ran are folded in when it
// lands.

type filterJob struct {
	f    *Filter
	upTo capture.FlowID // the newest row in the snapshot
}

type filterDoneMsg struct {
	job     *filterJob
	entries []entry
}

// filterTyped reacts to an edit in the filter prompt: debounce, then
// setFilter.
func (m *Model) filterTyped() tea.Cmd {
	m.filterGen++
	gen := m.filterGen
	return tea.Tick(filterDebounce, func(time.Time) tea.Msg { return filterDebounceMsg{gen} })
}

// setFilter parses s and applies it, inline for small captures and in a
// command for large ones. A parse error is shown and the previous filter
// stays in force.
func (m *Model) setFilter(s string) tea.Cmd {
	f, err := ParseFilter(s)
	if err != nil {
		m.filterErr = err.Error()
		return nil
	}
	m.filterErr = ""
	if f.String() == m.t.filter.String() && m.job == nil {
		return nil
	}
	if len(m.t.rows) <= syncFilterMax {
		m.job, m.dirty = nil, nil
		m.t.filter = f
		m.t.rebuildView()
		m.fixSel()
		return nil
	}
	job := &filterJob{f: f, upTo: m.maxID()}
	m.job, m.dirty, m.jobEvicted = job, nil, 0
	snap := slices.Clone(m.t.rows)
	return func() tea.Msg {
		return filterDoneMsg{job: job, entries: filterEntries(snap, f, make([]entry, 0, len(snap)/4))}
	}
}

func (m *Model) applyFilterResult(msg filterDoneMsg) {
	if msg.job != m.job {
		return // superseded by a newer filter, or the store was cleared
	}
	m.job = nil
	m.t.filter = msg.job.f
	view := msg.entries
	// Drop what was evicted meanwhile: the first rows, except any the
	// store kept because the user had them open.
	if n := len(m.t.rows); n == 0 {
		view = nil
	} else if first := m.t.rows[0].id; first > 1 {
		view = entriesAbove(view, first-1)
	}
	if m.jobEvicted != 0 {
		j, _ := slices.BinarySearch(view, mkEntry(m.jobEvicted+1, false))
		held := view[:0:0]
		for _, e := range view[:j] {
			if m.t.get(e.id()) != nil {
				held = append(held, e)
			}
		}
		view = append(held, view[j:]...)
		m.jobEvicted = 0
	}
	m.t.view = view
	// Add rows that arrived after the snapshot.
	i, _ := m.t.find(msg.job.upTo + 1)
	for _, r := range m.t.rows[i:] {
		if r.id > msg.job.upTo {
			m.t.appendEntries(r)
		}
	}
	// Re-check rows that changed while the job ran.
	for _, id := range m.dirty {
		if id <= msg.job.upTo {
			if r := m.t.get(id); r != nil {
				m.t.refreshEntries(r)
			}
		}
	}
	m.dirty = nil
	m.fixSel()
}

// clearFilter removes the filter.
func (m *Model) clearFilter() tea.Cmd {
	m.filterErr = ""
	return m.setFilter("")
}
