package ui

import (
	"slices"
	"strings"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// row is what the UI keeps of one flow: the published flow value, its
// latest verdict, and a few substrings precomputed for filtering. A row is
// never modified once built; a change makes a new row with ver+1, so a
// filter job can read an old snapshot of the row slice without locks.
type row struct {
	id     capture.FlowID
	ver    uint32
	f      *capture.Flow
	v      *analyze.Verdict // nil until analysed
	host   string           // host[:port] of the URL
	path   string           // path?query of the URL
	origin string           // the page origin (Origin header), "" if none
	marked bool             // the user marked it (m): shown, filterable, never evicted
}

func newRow(f *capture.Flow, v *analyze.Verdict, ver uint32) *row {
	r := &row{id: f.ID, ver: ver, f: f, v: v}
	_, r.host, r.path = splitURL(f.Request.URL)
	if v != nil && v.Origin != "" {
		r.origin = v.Origin
	} else {
		r.origin = f.Request.Header.Get("Origin")
	}
	return r
}

// splitURL cuts an absolute URL into scheme, authority and the rest
// without allocating.
func splitURL(u string) (scheme, host, rest string) {
	i := strings.Index(u, "://")
	if i < 0 {
		return "", "", u
	}
	scheme, u = u[:i], u[i+3:]
	j := strings.IndexAny(u, "/?#")
	if j < 0 {
		return scheme, u, "/"
	}
	return scheme, u[:j], u[j:]
}

// hasGhost reports whether the row is a preflight that stopped its actual
// request, which the list shows as a ghost row beneath it.
func (r *row) hasGhost() bool {
	return r.v != nil && r.v.NeverSent
}

// badge is the list's CORS column: a word (never colour alone) per class.
type badge uint8

const (
	badgeUnknown badge = iota
	badgePending
	badgeNotCORS
	badgeAllowed
	badgeWarning
	badgeUndecidable
	badgeFailed
	badgeBlocked
	numBadges
)

const badgeWidth = 11

func (b badge) text() string {
	switch b {
	case badgePending:
		return "pending"
	case badgeNotCORS:
		return "not-cors"
	case badgeAllowed:
		return "allowed"
	case badgeWarning:
		return "WARNING"
	case badgeUndecidable:
		return "undecidable"
	case badgeFailed:
		return "failed"
	case badgeBlocked:
		return "BLOCKED"
	}
	return "…"
}

// ghostBadge is the badge of the actual request a preflight stopped: what
// stopped it (blocked, or a network failure), never "allowed".
func ghostBadge(preflight *analyze.Verdict) badge {
	switch b := badgeOf(preflight); b {
	case badgeFailed, badgeUndecidable, badgePending:
		return b
	}
	return badgeBlocked
}

func badgeOf(v *analyze.Verdict) badge {
	if v == nil {
		return badgeUnknown
	}
	switch v.Kind {
	case analyze.KindBlocked:
		return badgeBlocked
	case analyze.KindFailed:
		return badgeFailed
	case analyze.KindUndecidable:
		return badgeUndecidable
	case analyze.KindPending:
		return badgePending
	}
	if len(v.Warnings) > 0 {
		return badgeWarning
	}
	switch v.Kind {
	case analyze.KindAllowed:
		return badgeAllowed
	case analyze.KindNotCORS:
		return badgeNotCORS
	}
	return badgeUnknown
}

// entry is one display row: a flow (ghost=false) or the ghost of the
// actual request a failed preflight never let through. Entries order by
// flow ID with a ghost right after its preflight, so a sorted []entry is
// the list in display order and lookups are binary searches.
type entry uint64

func mkEntry(id capture.FlowID, ghost bool) entry {
	e := entry(id) << 1
	if ghost {
		e |= 1
	}
	return e
}

func (e entry) id() capture.FlowID { return capture.FlowID(e >> 1) }
func (e entry) ghost() bool        { return e&1 == 1 }

// counts are the header's numbers, kept up to date as rows change.
type counts struct {
	blocked, warnings, marked int
}

func (c *counts) add(r *row, sign int) {
	if r.marked {
		c.marked += sign
	}
	v := r.v
	if v == nil {
		return
	}
	if v.Kind == analyze.KindBlocked {
		c.blocked += sign
	}
	if len(v.Warnings) > 0 {
		c.warnings += sign
	}
}

// table holds the rows in ID order and the filtered display order.
type table struct {
	rows   []*row
	view   []entry // sorted; the entries that pass filter
	filter *Filter
	counts counts
}

// find returns the index of flow id in rows.
func (t *table) find(id capture.FlowID) (int, bool) {
	n := len(t.rows)
	if n == 0 || id < t.rows[0].id {
		return 0, false
	}
	// IDs are contiguous unless the store skipped some: try the direct
	// position first.
	if d := int(id - t.rows[0].id); d < n && t.rows[d].id == id {
		return d, true
	}
	return slices.BinarySearchFunc(t.rows, id, func(r *row, id capture.FlowID) int {
		switch {
		case r.id < id:
			return -1
		case r.id > id:
			return 1
		}
		return 0
	})
}

func (t *table) get(id capture.FlowID) *row {
	if i, ok := t.find(id); ok {
		return t.rows[i]
	}
	return nil
}

// viewIndex returns where e is (or would be) in view.
func (t *table) viewIndex(e entry) (int, bool) {
	n := len(t.view)
	if n > 0 && t.view[n-1] < e {
		return n, false
	}
	return slices.BinarySearch(t.view, e)
}

// upsert stores r, replacing the row with the same ID, and brings view up
// to date for it. It reports whether the row is new.
func (t *table) upsert(r *row) {
	n := len(t.rows)
	if n == 0 || r.id > t.rows[n-1].id {
		t.rows = append(t.rows, r)
		t.counts.add(r, 1)
		t.appendEntries(r)
		return
	}
	i, ok := t.find(r.id)
	if !ok {
		// Older than what we hold but unknown: a flow we never saw that the
		// store still has. Insert it in order.
		t.rows = slices.Insert(t.rows, i, r)
		t.counts.add(r, 1)
	} else {
		t.counts.add(t.rows[i], -1)
		t.rows[i] = r
		t.counts.add(r, 1)
	}
	t.refreshEntries(r)
}

// appendEntries adds the entries of a row newer than every row in view.
func (t *table) appendEntries(r *row) {
	if t.filter.match(r, false) {
		t.view = append(t.view, mkEntry(r.id, false))
	}
	if r.hasGhost() && t.filter.match(r, true) {
		t.view = append(t.view, mkEntry(r.id, true))
	}
}

// refreshEntries makes view hold exactly the entries of r that pass the
// filter.
func (t *table) refreshEntries(r *row) {
	t.setEntry(mkEntry(r.id, false), t.filter.match(r, false))
	t.setEntry(mkEntry(r.id, true), r.hasGhost() && t.filter.match(r, true))
}

func (t *table) setEntry(e entry, want bool) {
	i, have := t.viewIndex(e)
	switch {
	case want && !have:
		t.view = slices.Insert(t.view, i, e)
	case !want && have:
		t.view = slices.Delete(t.view, i, i+1)
	}
}

// evict drops the rows of ids (ascending). The store evicts the oldest
// first, so ids are nearly always the first rows: that case costs one
// reslice. A flow the store kept because the user had it open leaves a
// row before ids; then only the rows up to the last evicted ID are walked.
func (t *table) evict(ids []capture.FlowID) {
	if len(ids) == 0 || len(t.rows) == 0 {
		return
	}
	last := ids[len(ids)-1]
	k, _ := slices.BinarySearchFunc(t.rows, last+1, func(r *row, id capture.FlowID) int {
		switch {
		case r.id < id:
			return -1
		case r.id > id:
			return 1
		}
		return 0
	})
	j, _ := slices.BinarySearch(t.view, mkEntry(last+1, false))
	if k == len(ids) && t.rows[0].id == ids[0] && t.rows[k-1].id == last {
		// Exactly the first k rows (IDs are unique and ascending).
		for _, r := range t.rows[:k] {
			t.counts.add(r, -1)
		}
		clear(t.rows[:k])
		t.rows = t.rows[k:]
		t.view = t.view[j:]
		return
	}
	gone := func(id capture.FlowID) bool {
		_, found := slices.BinarySearch(ids, id)
		return found
	}
	kept := t.rows[:0]
	for _, r := range t.rows[:k] {
		if gone(r.id) {
			t.counts.add(r, -1)
		} else {
			kept = append(kept, r)
		}
	}
	n := copy(t.rows[len(kept):], t.rows[k:])
	clear(t.rows[len(kept)+n:])
	t.rows = t.rows[:len(kept)+n]
	view := t.view[:0]
	for _, e := range t.view[:j] {
		if !gone(e.id()) {
			view = append(view, e)
		}
	}
	n = copy(t.view[len(view):], t.view[j:])
	t.view = t.view[:len(view)+n]
}

func (t *table) reset() {
	t.rows, t.view, t.counts = nil, nil, counts{}
}

// rebuildView recomputes view from every row under the current filter.
func (t *table) rebuildView() {
	t.view = filterEntries(t.rows, t.filter, t.view[:0])
}

// filterEntries appends to dst the entries of rows that pass f.
func filterEntries(rows []*row, f *Filter, dst []entry) []entry {
	for _, r := range rows {
		if f.match(r, false) {
			dst = append(dst, mkEntry(r.id, false))
		}
		if r.hasGhost() && f.match(r, true) {
			dst = append(dst, mkEntry(r.id, true))
		}
	}
	return dst
}
