package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/corscope/corscope/analyze"
)

// The detail pane shows the selected entry in five tabs. Its content is
// built as a slice of lines, each already cut to the pane's width, and
// cached under a key of everything it depends on (entry, row versions,
// tab, width, theme, framework, decoded body), so View only slices it.

type tab int

const (
	tabSummary tab = iota
	tabRequest
	tabResponse
	tabFix
	tabBody
	numTabs
)

var tabNames = [numTabs]string{"Summary", "Request", "Response", "Fix", "Body"}
var tabShort = [numTabs]string{"Sum", "Req", "Resp", "Fix", "Body"}

type detailKey struct {
	e            entry
	ver, pairVer uint32
	tab          tab
	w            int
	theme        int
	fw           string
	body         *bodyView
}

type detailState struct {
	key    detailKey
	valid  bool
	lines  []string
	scroll int
	// copy is what `y` puts on the clipboard for this entry (the fix
	// snippet of the chosen framework) and copyWhat names it.
	copy, copyWhat string
}

// pageLines is the number of content rows (the tab bar takes one).
func (d *detailState) maxScroll(rows int) int {
	return max(0, len(d.lines)-rows)
}

// lines accumulates a pane's content, wrapping plain text to the width
// before styling it, so no line is ever wider than the pane.
type lines struct {
	w   int
	out []string
}

func (l *lines) blank() {
	if len(l.out) > 0 && l.out[len(l.out)-1] != "" {
		l.out = append(l.out, "")
	}
}

// add wraps clean text s at the pane width with indent, styling each line.
func (l *lines) add(st Paint, indent, s string) {
	for _, ln := range wrap(s, max(1, l.w-width(indent))) {
		l.out = append(l.out, indent+st.Render(ln))
	}
}

// plain adds a line of clean text, cut to the width.
func (l *lines) plain(st Paint, s string) {
	l.out = append(l.out, st.Render(truncate(s, l.w)))
}

// def adds a term and its description: the term in a column of tw
// cells, the description wrapped beside it.
func (l *lines) def(termSt Paint, term string, descSt Paint, desc string, tw int) {
	ds := wrap(desc, max(8, l.w-tw))
	for i, d := range ds {
		t := ""
		if i == 0 {
			t = term
		}
		if width(t) >= tw {
			l.out = append(l.out, termSt.Render(truncate(t, l.w)))
			t = ""
		}
		l.out = append(l.out, termSt.Render(fit(t, tw))+descSt.Render(d))
	}
}

// heading adds a section title after a blank line.
func (l *lines) heading(st *Styles, s string) {
	l.blank()
	l.out = append(l.out, st.Heading.Render(truncate(s, l.w)))
}

// segs adds one line made of styled segments of clean text, cut to the
// width (later segments are dropped or shortened first).
func (l *lines) segs(parts ...seg) {
	l.out = append(l.out, joinSegs(l.w, parts...))
}

type seg struct {
	st Paint
	s  string
}

func joinSegs(w int, parts ...seg) string {
	var b strings.Builder
	left := w
	for _, p := range parts {
		if left <= 0 {
			break
		}
		s := truncate(p.s, left)
		left -= width(s)
		b.WriteString(p.st.Render(s))
	}
	return b.String()
}

// detailCtx is what a tab builder needs.
type detailCtx struct {
	w     int
	st    *Styles
	r     *row // the flow; for a ghost entry, its preflight
	ghost bool
	pair  *row // the other half of a preflight ↔ actual pair, nil if none
	loc   *time.Location
}

// refs returns the header references of the selected verdict and of its
// pair's, deduplicated, so a ghost line on the preflight's response shows
// in the actual's pane too.
func (c *detailCtx) refs() []analyze.HeaderRef {
	var out []analyze.HeaderRef
	seen := map[string]bool{}
	add := func(v *analyze.Verdict, self *row) {
		if v == nil {
			return
		}
		for _, h := range v.Headers {
			if h.Flow == 0 {
				h.Flow = self.id
			}
			k := strconv.FormatUint(uint64(h.Flow), 10) + "|" + string(h.Side) + "|" + strings.ToLower(h.Name)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, h)
		}
	}
	add(c.r.v, c.r)
	if c.pair != nil {
		add(c.pair.v, c.pair)
	}
	return out
}

// tabBar renders the tab titles, the active one bracketed (so it reads
// without colour), and a scroll position when the content overflows.
func tabBar(st *Styles, active tab, w int, pos string, focused bool) string {
	names := tabNames[:]
	if w < 52 {
		names = tabShort[:]
	}
	var b strings.Builder
	used := 0
	lead := "─"
	if focused {
		lead = "▶"
	}
	b.WriteString(st.Rule.Render(lead))
	used++
	for i, n := range names {
		label := " " + strconv.Itoa(i+1) + " " + n + " "
		if tab(i) == active {
			label = "[" + strconv.Itoa(i+1) + " " + n + "]"
			b.WriteString(st.TabActive.Render(label))
		} else {
			b.WriteString(st.TabInactive.Render(label))
		}
		used += width(label)
	}
	rest := w - used
	if pos != "" && rest >= width(pos)+3 {
		b.WriteString(st.Rule.Render(" " + strings.Repeat("─", rest-width(pos)-2) + " "))
		b.WriteString(st.Muted.Render(pos))
	} else if rest > 0 {
		b.WriteString(st.Rule.Render(strings.Repeat("─", rest)))
	}
	return b.String()
}

// build returns the content lines of tab t.
func (c *detailCtx) build(t tab, fw string, body *bodyView) (out []string, copyText, copyWhat string) {
	l := &lines{w: c.w}
	switch t {
	case tabSummary:
		c.summary(l)
	case tabRequest:
		c.request(l)
	case tabResponse:
		c.response(l)
	case tabFix:
		copyText, copyWhat = c.fix(l, fw)
	case tabBody:
		c.body(l, body)
	}
	return l.out, copyText, copyWhat
}
