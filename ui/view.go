package ui

import (
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// View draws the screen. It reads the model and cached pane content only:
// the list renders the visible rows, the detail pane slices its cached
// lines, and panes are joined with "\n" (tui.md §4.4).
func (m *Model) View() tea.View {
	content, cur := m.render()
	v := tea.NewView(content)
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = m.windowTitle()
	v.Cursor = cur
	return v
}

func (m *Model) windowTitle() string {
	t := "corscope"
	if m.o.Title != "" {
		t += " — " + m.o.Title
	}
	if n := m.t.counts.blocked; n > 0 {
		t += " — " + strconv.Itoa(n) + " blocked"
	}
	return t
}

// render returns the screen text (exactly h lines) and the cursor, if a
// prompt shows one.
func (m *Model) render() (string, *tea.Cursor) {
	if !m.sized {
		return "", nil
	}
	l := &m.lay
	if l.tooSmall {
		msg := "terminal too small (" + strconv.Itoa(m.w) + "×" + strconv.Itoa(m.h) + "): corscope needs " + strconv.Itoa(minWidth) + "×" + strconv.Itoa(minHeight)
		out := make([]string, max(1, m.h))
		if width(msg) > m.w {
			msg = "too small"
		}
		out[len(out)/2] = center(msg, m.w)
		return strings.Join(out, "\n"), nil
	}
	out := make([]string, 0, m.h)
	out = append(out, m.header()...)
	out = append(out, m.body()...)
	if m.filterErr != "" && m.prompt == promptFilter {
		// The error covers the last body lines, just above the prompt.
		el := wrapIndent(m.filterErr, "  ", m.w)
		el[0] = "✗" + el[0][1:]
		el = el[:min(len(el), 3, l.body.h)]
		for i, ln := range el {
			out[len(out)-len(el)+i] = m.th.st.Error.Render(ln)
		}
	}
	footer, cur := m.footer()
	out = append(out, footer)
	return strings.Join(out, "\n"), cur
}

// header: where the proxy listens and whether HTTPS works, then the
// counts and modes.
func (m *Model) header() []string {
	st := &m.th.st
	w := m.w
	dot := seg{st.HeaderMuted, " · "}
	var first []seg
	first = append(first, seg{st.Title, "corscope"}, seg{st.HeaderMuted, "  "})
	if m.o.Live {
		first = append(first, seg{st.HeaderText, m.addr()})
		if m.paused {
			first = append(first, dot, seg{st.Paused, "‖ PAUSED"})
		}
		first = append(first, dot, m.trustSeg())
		if m.o.SaveOnExit != "" {
			first = append(first, dot, seg{st.HeaderMuted, "HAR on exit: " + m.o.SaveOnExit})
		}
	} else {
		title := m.o.Title
		if title == "" {
			title = "saved capture"
		}
		first = append(first, seg{st.HeaderText, title}, seg{st.HeaderMuted, " (saved capture, no proxy)"})
	}
	var counts []seg
	counts = append(counts,
		seg{st.HeaderText, plural(len(m.t.rows), "flow")}, dot,
		seg{st.HeaderText, strconv.Itoa(m.t.counts.blocked) + " blocked"}, dot,
		seg{st.HeaderText, plural(m.t.counts.warnings, "warning")})
	if n := m.t.counts.marked; n > 0 {
		counts = append(counts, dot, seg{st.Mark, markGlyph + " " + strconv.Itoa(n) + " marked"})
	}
	if m.evictedTotal > 0 {
		counts = append(counts, dot, seg{st.WarnText, evictedText(m.evictedTotal, m.evictedMemory)})
	}
	if m.list.follow && m.o.Live {
		counts = append(counts, dot, seg{st.HeaderMuted, "following"})
	}
	if f := m.filterShown(); f != "" {
		shown := strconv.Itoa(len(m.t.view)) + " shown"
		if m.job != nil {
			shown = "filtering…"
		}
		counts = append(counts, dot, seg{st.Prompt, "filter: " + f}, seg{st.HeaderMuted, " (" + shown + ")"})
	}
	if m.lay.headerH == 1 {
		// One line: the essentials of both.
		one := []seg{{st.Title, "corscope"}, {st.HeaderMuted, "  "}}
		if m.paused {
			one = append(one, seg{st.Paused, "‖ PAUSED"}, dot)
		}
		one = append(one, counts...)
		return []string{joinSegs(w, one...)}
	}
	return []string{joinSegs(w, first...), joinSegs(w, counts...)}
}

// filterShown is the filter in force (or being typed and valid).
func (m *Model) filterShown() string {
	if m.job != nil {
		return m.job.f.String()
	}
	return m.t.filter.String()
}

// trustSeg is the HTTPS interception hint.
func (m *Model) trustSeg() seg {
	st := &m.th.st
	tls := m.tls
	if m.o.TLS == nil {
		tls = TLSStats{Intercepted: uint64(m.tlsFlows), Rejected: uint64(m.tlsRejectedFlows)}
	}
	switch {
	case tls.Rejected > 0 && tls.Intercepted == 0:
		return seg{st.Untrusted, "✗ HTTPS: the browser rejects the CA → corscope browser / corscope ca"}
	case tls.Rejected > 0:
		return seg{st.Untrusted, "! HTTPS: " + strconv.FormatUint(tls.Rejected, 10) + " handshakes rejected → corscope ca"}
	case tls.Intercepted > 0:
		return seg{st.Trusted, "✓ HTTPS intercepted"}
	}
	return seg{st.Untrusted, "HTTPS: trust the CA → corscope browser / corscope ca"}
}

// body is everything between header and footer: help, the empty state,
// or list and detail.
func (m *Model) body() []string {
	l := &m.lay
	switch {
	case m.showHelp:
		return fillLines(m.helpLines(), l.body.h, m.w)
	case len(m.t.rows) == 0:
		return fillLines(m.emptyLines(), l.body.h, m.w)
	}
	list := m.listLines()
	det := m.detailLines()
	if !l.right {
		return append(list, det...)
	}
	sep := m.th.st.Rule.Render("│")
	out := make([]string, l.body.h)
	for i := range out {
		out[i] = list[i] + sep + det[i]
	}
	return out
}

// listLines renders exactly lay.list.h lines of exactly lay.list.w cells.
func (m *Model) listLines() []string {
	st := &m.th.st
	lw, lh := m.lay.list.w, m.lay.list.h
	out := make([]string, 0, lh)
	hs := st.ColHeader
	if m.focus == focusList {
		hs = st.ColHeaderFocused
	}
	out = append(out, hs.Render(m.cols.header()))
	view := m.t.view
	if len(view) == 0 {
		msg := " No flow matches the filter “" + clean(m.filterShown()) + "”: esc clears it, / edits it."
		if m.t.counts.marked == 0 && slices.Contains(strings.Fields(m.filterShown()), markedTerm) {
			msg = " No flow is marked: m marks the selected one, M or esc shows them all again."
		}
		out = append(out, st.Muted.Render(fit(msg, lw)))
	}
	var b strings.Builder
	b.Grow(lw + 64)
	marker := byte('>')
	if m.focus == focusDetail {
		marker = '*'
	}
	for i := m.list.off; i < m.list.off+m.list.height && i < len(view); i++ {
		e := view[i]
		r := m.t.get(e.id())
		if r == nil {
			out = append(out, spaces(lw))
			continue
		}
		ghost := e.ghost()
		sel := i == m.list.sel
		bg := badgeOf(r.v)
		if ghost {
			bg = ghostBadge(r.v)
		}
		b.Reset()
		switch {
		case sel:
			m.cols.render(&b, r, ghost, marker, markGlyph, fit(bg.text(), badgeWidth), m.loc)
			out = append(out, st.Selected.Render(b.String()))
		case ghost:
			m.cols.render(&b, r, ghost, ' ', "", fit(bg.text(), badgeWidth), m.loc)
			out = append(out, st.Ghost.Render(b.String()))
		default:
			m.cols.render(&b, r, ghost, ' ', m.th.mark, m.th.badge[bg], m.loc)
			out = append(out, b.String())
		}
	}
	for len(out) < lh {
		out = append(out, spaces(lw))
	}
	return out[:lh]
}

// detailLines renders exactly lay.detail.h lines: the tab bar, then the
// visible part of the cached content.
func (m *Model) detailLines() []string {
	d := &m.lay.detail
	rows := m.detailRows()
	out := make([]string, 0, d.h)
	pos := ""
	if n := len(m.detail.lines); n > rows && rows > 0 {
		pos = strconv.Itoa(m.detail.scroll+1) + "–" + strconv.Itoa(min(n, m.detail.scroll+rows)) + "/" + strconv.Itoa(n)
	}
	out = append(out, tabBar(&m.th.st, m.tab, d.w, pos, m.focus == focusDetail))
	if m.detail.valid {
		end := min(len(m.detail.lines), m.detail.scroll+rows)
		for _, ln := range m.detail.lines[min(m.detail.scroll, end):end] {
			out = append(out, " "+ln)
		}
	}
	for len(out) < d.h {
		out = append(out, "")
	}
	return out[:d.h]
}

// footer is the prompt being answered, a status message, or the hint bar.
func (m *Model) footer() (string, *tea.Cursor) {
	st := &m.th.st
	w := m.w
	y := m.lay.footerY
	switch m.prompt {
	case promptFilter:
		label := "/ "
		text, cx := m.input.view(w - width(label))
		return st.Prompt.Render(label) + text, tea.NewCursor(width(label)+cx, y)
	case promptExport:
		label := "export " + plural(len(m.t.rows), "flow") + " as HAR to: "
		if width(label) > w/2 {
			label = "HAR file: "
		}
		text, cx := m.input.view(w - width(label))
		return st.Prompt.Render(label) + text, tea.NewCursor(width(label)+cx, y)
	case promptClear:
		what := "Clear all " + plural(len(m.t.rows), "flow")
		switch n := m.t.counts.marked; {
		case n == 1:
			what = "Clear " + plural(len(m.t.rows)-n, "flow") + " (the marked one stays)"
		case n > 1:
			what = "Clear " + plural(len(m.t.rows)-n, "flow") + " (the " + strconv.Itoa(n) + " marked stay)"
		}
		return joinSegs(w, seg{st.Prompt, what + "? "},
			seg{st.Key, "y"}, seg{st.KeyDesc, " clear · "}, seg{st.Key, "n"}, seg{st.KeyDesc, " keep"}), nil
	case promptQuit:
		what := "Quit? " + plural(len(m.t.rows), "flow") + " not exported (e saves a HAR). "
		if !m.unexportedFlows() {
			what = "Quit? The marks you set are not saved (e saves a HAR with them). "
		}
		return joinSegs(w, seg{st.Prompt, what},
			seg{st.Key, "y"}, seg{st.KeyDesc, " quit · "}, seg{st.Key, "n"}, seg{st.KeyDesc, " stay"}), nil
	}
	if m.status != "" {
		s := st.Info
		if m.statusErr {
			s = st.Error
		}
		return s.Render(truncate(m.status, w)), nil
	}
	if m.showHelp {
		return joinSegs(w, seg{st.Key, "?"}, seg{st.KeyDesc, " or "}, seg{st.Key, "esc"}, seg{st.KeyDesc, " closes help"}), nil
	}
	return m.hintBar(), nil
}

// hintKey is everything the hint bar depends on.
type hintKey struct {
	focus          focus
	w, theme       int
	tab            tab
	follow, paused bool
}

// hintBar renders the one-line key hints, cached: bubbles/help measures
// every binding on each call, which is a visible share of a keypress.
func (m *Model) hintBar() string {
	k := hintKey{m.focus, m.w, m.th.gen, m.tab, m.list.follow, m.paused}
	if m.hint.valid && m.hint.key == k {
		return m.hint.s
	}
	var bindings []key.Binding
	if m.focus == focusDetail {
		bindings = detailHelp{&m.keys}.ShortHelp()
	} else {
		bindings = m.keys.ShortHelp()
	}
	m.hint.key, m.hint.s, m.hint.valid = k, m.help.ShortHelpView(bindings), true
	return m.hint.s
}

// helpLines is the `?` screen: every key by topic, then the filter
// language.
func (m *Model) helpLines() []string {
	st := &m.th.st
	out := []string{st.Heading.Render("Keys")}
	out = append(out, strings.Split(m.help.FullHelpView(m.keys.FullHelp()), "\n")...)
	out = append(out, "", st.Heading.Render("Filter (/)"))
	for _, ln := range []string{
		"bare words match the URL · method:PUT · status:4xx · host:api. · origin:localhost:3000",
		"cors:blocked|allowed|warning|not-cors|undecidable · label:Preflight* · kind:preflight",
		"is:marked (flows marked with m) · !term negates · spaces mean and",
		"example: cors:blocked !kind:preflight",
	} {
		out = append(out, wrapIndent(ln, "  ", m.w)...)
	}
	return out
}

// emptyLines teach how to get flows in: the proxy address, the browser
// command, the flags browsers need for localhost, and the CA.
func (m *Model) emptyLines() []string {
	st := &m.th.st
	w := m.w
	l := &lines{w: w - 2}
	if !m.o.Live {
		if !m.loaded {
			l.add(st.Muted, "", "Reading the capture…")
		} else {
			l.add(st.Text, "", "This capture has no requests in it.")
			l.add(st.Muted, "", "Export a HAR from the browser's DevTools Network panel (right-click → Save all as HAR) after reproducing the error, then open that file.")
		}
		return indent(l.out)
	}
	addr := m.addr()
	const tw = 22
	l.add(st.Heading, "", "No requests yet. corscope is listening on "+addr+".")
	l.blank()
	l.add(st.Text, "", "Send a browser through it:")
	l.def(st.Key, "  corscope browser", st.Muted, "Chromium with a fresh profile, set up for you (or B)", tw)
	l.blank()
	l.add(st.Text, "", "Or set up your own browser:")
	l.def(st.Key, "  Chrome/Chromium", st.Text, "--proxy-server="+addr+" --proxy-bypass-list=<-loopback> (without <-loopback> Chrome never proxies localhost)", tw)
	l.def(st.Key, "  Firefox", st.Text, "manual proxy "+addr+" for HTTP and HTTPS, and in about:config network.proxy.allow_hijacking_localhost = true", tw)
	l.def(st.Key, "  curl", st.Text, "curl -x "+addr+" -H 'Origin: http://localhost:3000' URL", tw)
	l.blank()
	l.add(st.Text, "", "HTTPS pages need corscope's CA (made for this install only):")
	l.def(st.Key, "  corscope ca", st.Muted, "how to trust it, and how to remove it later", tw)
	l.def(st.Key, "  corscope ca --spki", st.Muted, "the hash for --ignore-certificate-errors-spki-list", tw)
	l.blank()
	l.add(st.Muted, "", "Then reproduce the error: blocked requests turn red here; enter shows why and the fix.")
	return indent(l.out)
}

func indent(ls []string) []string {
	for i, s := range ls {
		if s != "" {
			ls[i] = " " + s
		}
	}
	return ls
}

// fillLines cuts or pads ls to exactly h lines.
func fillLines(ls []string, h, w int) []string {
	if len(ls) > h {
		ls = ls[:h]
	}
	for len(ls) < h {
		ls = append(ls, "")
	}
	_ = w
	return ls
}

// evictedText says how many flows the store dropped and which bound made
// it: the flag to raise.
func evictedText(total, byMemory uint64) string {
	n := strconv.FormatUint(total, 10) + " evicted"
	switch byFlows := total - byMemory; {
	case byMemory == 0:
		return n + " (--max-flows)"
	case byFlows == 0:
		return n + " (--max-memory)"
	default:
		return n + " (" + strconv.FormatUint(byFlows, 10) + " --max-flows, " + strconv.FormatUint(byMemory, 10) + " --max-memory)"
	}
}
