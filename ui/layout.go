package ui

// Screen geometry, as a pure function of the terminal size so it can be
// tested with a table of sizes (tui.md §4.7).

const (
	// minWidth × minHeight is the smallest screen that still shows a list
	// and a detail pane; below it a single "terminal too small" line is
	// drawn instead of a broken layout.
	minWidth  = 40
	minHeight = 10
	// splitRightWidth: from this width on, the detail pane sits to the
	// right of the list; narrower terminals put it below.
	splitRightWidth = 130
	// compactHeight: below it the header shrinks to one line.
	compactHeight = 16
)

type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool {
	return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

type layout struct {
	w, h     int
	tooSmall bool
	headerH  int
	body     rect // everything between header and footer
	// list includes its column-header row; detail includes its tab bar.
	list, detail rect
	right        bool // detail to the right of the list (else below)
	footerY      int
}

func computeLayout(w, h int) layout {
	l := layout{w: w, h: h}
	if w < minWidth || h < minHeight {
		l.tooSmall = true
		return l
	}
	l.headerH = 2
	if h < compactHeight {
		l.headerH = 1
	}
	l.footerY = h - 1
	l.body = rect{0, l.headerH, w, h - l.headerH - 1}
	b := l.body
	if w >= splitRightWidth {
		l.right = true
		dw := clamp(w*42/100, 50, 110)
		lw := w - dw - 1 // one column for the separator
		l.list = rect{0, b.y, lw, b.h}
		l.detail = rect{lw + 1, b.y, dw, b.h}
		return l
	}
	lh := clamp(b.h*2/5, 4, b.h-4)
	l.list = rect{0, b.y, w, lh}
	l.detail = rect{0, b.y + lh, w, b.h - lh}
	return l
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		hi = lo
	}
	return max(lo, min(v, hi))
}
