package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// The flow list is virtual: it keeps a cursor and an offset into the
// model's view (a sorted []entry) and renders only the rows on screen, so
// its cost does not depend on how many flows there are (tui.md §4.4).

type listState struct {
	sel    int   // cursor index into view
	selE   entry // the entry under the cursor, to keep it across changes
	off    int   // first visible index
	height int   // visible rows (without the column header)
	follow bool  // keep the cursor on the newest entry
}

// clampSel keeps sel and off inside a view of n entries.
func (l *listState) clamp(n int) {
	if n == 0 {
		l.sel, l.off = 0, 0
		return
	}
	l.sel = clamp(l.sel, 0, n-1)
	if l.height <= 0 {
		l.off = l.sel
		return
	}
	if l.sel < l.off {
		l.off = l.sel
	}
	if l.sel >= l.off+l.height {
		l.off = l.sel - l.height + 1
	}
	l.off = clamp(l.off, 0, max(0, n-l.height))
}

// columns is the list's column plan for one width, computed once per
// resize: which optional columns fit and how wide the flexible ones are.
type columns struct {
	width                       int
	idW, kindW                  int
	time, size, dur, kind, orig bool
	originW, whereW             int // origin → host (when orig) and host/path cells
}

const (
	methodW = 7
	statusW = 3
	timeW   = 8
	sizeW   = 6
	durW    = 6
	minFlex = 28
)

func planColumns(w int, maxID capture.FlowID) columns {
	c := columns{width: w, time: true, size: true, dur: true, kind: true}
	c.idW = max(3, len(strconv.FormatUint(uint64(maxID), 10))) + 1 // + a space after the marker
	c.kindW = max(13, len("preflight #")+c.idW-1)
	fixed := func() int {
		n := 1 + c.idW + 1 + methodW + 1 + statusW + 1 + badgeWidth + 1
		if c.time {
			n += timeW + 1
		}
		if c.kind {
			n += 1 + c.kindW
		}
		if c.size {
			n += 1 + sizeW
		}
		if c.dur {
			n += 1 + durW
		}
		return n
	}
	// Drop the optional columns while host/path would be cramped; the
	// kind column (it carries the preflight ↔ actual pairing) goes last,
	// only when even a short host/path would not fit.
	for _, drop := range []*bool{&c.time, &c.size, &c.dur} {
		if w-fixed() >= minFlex {
			break
		}
		*drop = false
	}
	if w-fixed() < minFlex/2 {
		c.kind = false
	}
	flex := max(1, w-fixed())
	if flex >= 60 {
		c.orig = true
		c.originW = flex * 2 / 5
		c.whereW = flex - c.originW - 1
	} else {
		c.whereW = flex
	}
	return c
}

// header renders the column titles (unstyled).
func (c *columns) header() string {
	var b strings.Builder
	b.WriteByte(' ')
	padRight(&b, "#", c.idW)
	b.WriteByte(' ')
	if c.time {
		pad(&b, "TIME", timeW)
		b.WriteByte(' ')
	}
	pad(&b, "METHOD", methodW)
	b.WriteByte(' ')
	pad(&b, "STS", statusW)
	b.WriteByte(' ')
	pad(&b, "CORS", badgeWidth)
	b.WriteByte(' ')
	if c.orig {
		pad(&b, "ORIGIN → HOST", c.originW)
		b.WriteByte(' ')
		pad(&b, "PATH", c.whereW)
	} else {
		pad(&b, "HOST/PATH", c.whereW)
	}
	if c.kind {
		b.WriteByte(' ')
		pad(&b, "KIND", c.kindW)
	}
	if c.size {
		b.WriteByte(' ')
		padRight(&b, "SIZE", sizeW)
	}
	if c.dur {
		b.WriteByte(' ')
		padRight(&b, "DUR", durW)
	}
	return fit(b.String(), c.width)
}

// markGlyph flags a marked flow in the cell before its number.
const markGlyph = "●"

// render writes one row's text, exactly c.width cells. mark and badgeText
// are either pre-styled (ordinary rows) or plain (the selected row, which
// gets one style for the whole line); mark is markGlyph or "" when the
// flow is not marked.
func (c *columns) render(b *strings.Builder, r *row, ghost bool, marker byte, mark, badgeText string, loc *time.Location) {
	f := r.f
	v := r.v
	b.WriteByte(marker)
	switch {
	case ghost && r.marked:
		b.WriteString(mark)
		padRight(b, "↳", c.idW-1)
	case ghost:
		padRight(b, "↳", c.idW)
	case r.marked:
		// idW leaves a cell before the widest number: the mark goes there.
		b.WriteString(mark)
		padRight(b, strconv.FormatUint(uint64(r.id), 10), c.idW-1)
	default:
		padRight(b, strconv.FormatUint(uint64(r.id), 10), c.idW)
	}
	b.WriteByte(' ')
	if c.time {
		if ghost || f.Timings.Start.IsZero() {
			b.WriteString(spaces(timeW))
		} else {
			b.WriteString(f.Timings.Start.In(loc).Format("15:04:05"))
		}
		b.WriteByte(' ')
	}
	method := f.Request.Method
	if ghost && v != nil && v.Method != "" {
		method = v.Method
	}
	pad(b, clean(method), methodW)
	b.WriteByte(' ')
	padRight(b, statusText(f, ghost), statusW)
	b.WriteByte(' ')
	b.WriteString(badgeText)
	b.WriteByte(' ')
	host, path := clean(r.host), clean(r.path)
	if c.orig {
		where := host
		if r.origin != "" {
			_, oh, _ := splitURL(r.origin)
			if oh == "" {
				oh = r.origin // "null"
			}
			where = clean(oh) + " → " + host
		}
		pad(b, truncateLeft(where, c.originW), c.originW)
		b.WriteByte(' ')
		pad(b, path, c.whereW)
	} else {
		// Keep the host whole unless it would crowd out the path; cut
		// it from the left so the registrable domain stays.
		if lim := c.whereW * 3 / 5; width(host)+width(path) > c.whereW && width(host) > lim {
			host = truncateLeft(host, lim)
		}
		pad(b, host+path, c.whereW)
	}
	if c.kind {
		b.WriteByte(' ')
		pad(b, kindText(v, ghost), c.kindW)
	}
	if c.size {
		b.WriteByte(' ')
		size := ""
		if !ghost {
			size = sizeText(f)
		}
		padRight(b, size, sizeW)
	}
	if c.dur {
		b.WriteByte(' ')
		d := ""
		if !ghost {
			d = durText(f)
		}
		padRight(b, d, durW)
	}
}

func statusText(f *capture.Flow, ghost bool) string {
	switch {
	case ghost:
		return "—"
	case f.Response != nil && f.Response.Status > 0:
		return strconv.Itoa(f.Response.Status)
	case f.State == capture.StateFailed:
		return "ERR"
	case !f.Finished():
		return "…"
	}
	return "—"
}

func kindText(v *analyze.Verdict, ghost bool) string {
	if ghost {
		return "never sent"
	}
	if v == nil {
		return ""
	}
	switch v.Role {
	case analyze.RolePreflight:
		if v.Pair != 0 {
			return "preflight #" + strconv.FormatUint(uint64(v.Pair), 10)
		}
		return "preflight"
	case analyze.RoleActual:
		if v.FromPreflightCache {
			return "actual cached"
		}
		if v.Pair != 0 {
			return "actual #" + strconv.FormatUint(uint64(v.Pair), 10)
		}
		return "actual"
	case analyze.RoleSimple:
		return "simple"
	case analyze.RoleNotCORS:
		return "not-cors"
	}
	return string(v.Role)
}

func sizeText(f *capture.Flow) string {
	if f.Response == nil {
		return ""
	}
	n := f.Response.Body.Size
	if n < 0 {
		n = int64(f.Response.Body.Kept())
	}
	return humanBytes(n)
}

// humanBytes formats a byte count in at most six cells.
func humanBytes(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 10*1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + "K"
	case n < 1000*1024:
		return strconv.FormatInt(n/1024, 10) + "K"
	case n < 10*1024*1024:
		return strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64) + "M"
	case n < 1000*1024*1024:
		return strconv.FormatInt(n/(1024*1024), 10) + "M"
	}
	return strconv.FormatFloat(float64(n)/(1024*1024*1024), 'f', 1, 64) + "G"
}

func durText(f *capture.Flow) string {
	if !f.Finished() {
		return "…"
	}
	d := f.Timings.Duration()
	switch {
	case d <= 0:
		return ""
	case d < time.Millisecond:
		return "<1ms"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	case d < 1000*time.Second:
		return strconv.FormatInt(int64(d.Seconds()), 10) + "s"
	}
	return strconv.FormatInt(int64(d.Minutes()), 10) + "m"
}
