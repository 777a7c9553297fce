package ui

import (
	"strconv"
	"strings"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// summary: the verdict, Chrome's console line, the explanation, the pair's
// timeline, the headers at fault (DevTools' affected-resources table, one
// line per header) and the warnings.
func (c *detailCtx) summary(l *lines) {
	st := c.st
	f, v := c.r.f, c.r.v
	if v == nil {
		c.requestLine(l)
		l.blank()
		l.add(st.Muted, "", "Analysing…")
		return
	}
	b := badgeOf(v)
	if c.ghost {
		b = ghostBadge(v)
	}
	title := []seg{{st.Badge[b], b.text()}}
	switch {
	case v.Error != "":
		title = append(title, seg{st.Muted, " · "}, seg{st.Text, v.Error})
	case b == badgeWarning:
		n := len(v.Warnings)
		title = append(title, seg{st.Muted, " · " + string(v.Kind) + " with " + plural(n, "warning")})
	case v.Kind == analyze.KindNotCORS:
		title = append(title, seg{st.Muted, " · no CORS check"})
	}
	l.segs(title...)
	c.requestLine(l)
	if who := c.context(); who != "" {
		l.add(st.Muted, "", who)
	}

	if f.State == capture.StateFailed && f.Error != "" && !c.ghost {
		l.heading(st, "Network failure")
		l.add(st.BadText, "  ", clean(f.Error))
	}
	if v.Console != "" {
		l.heading(st, "Chrome console")
		l.add(st.Text, "  ", clean(v.Console))
	}
	refs := c.refs()
	if len(refs) > 0 {
		l.heading(st, "Headers at fault")
		for _, h := range refs {
			c.refLine(l, h)
		}
	}
	if v.Explanation != "" || c.ghost {
		l.heading(st, "What happened")
		if c.ghost {
			l.add(st.Text, "  ", "The browser sent the preflight #"+idText(c.r.id)+" and stopped there: the "+clean(v.Method)+" request itself was never sent.")
		}
		if v.Explanation != "" {
			l.add(st.Text, "  ", clean(v.Explanation))
		}
	}
	if v.Firefox != "" {
		l.add(st.Muted, "  ", "Firefox calls this "+clean(v.Firefox)+".")
	}
	if v.DependsOn != "" {
		l.heading(st, "Depends on")
		l.add(st.WarnText, "  ", clean(v.DependsOn))
	}
	c.timeline(l)
	if len(v.Warnings) > 0 {
		l.heading(st, "Warnings ("+strconv.Itoa(len(v.Warnings))+")")
		for _, w := range v.Warnings {
			msg := clean(w.Message)
			if w.Code != "" {
				msg += " [" + clean(w.Code) + "]"
			}
			first := true
			for _, ln := range wrap(msg, max(1, l.w-4)) {
				if first {
					l.segs(seg{st.WarnText, "  ! "}, seg{st.Text, ln})
					first = false
				} else {
					l.out = append(l.out, "    "+st.Text.Render(ln))
				}
			}
		}
	}
	if v.Fix != nil {
		l.blank()
		l.add(st.Muted, "", "Press 4 for the fix, ready to paste into your server.")
	}
}

// requestLine is "METHOD URL", with the ghost's method and a never-sent
// note.
func (c *detailCtx) requestLine(l *lines) {
	f, v := c.r.f, c.r.v
	method := f.Request.Method
	if c.ghost && v != nil && v.Method != "" {
		method = v.Method
	}
	s := clean(method) + " " + clean(f.Request.URL)
	if c.ghost {
		s += " (never sent)"
	}
	l.add(c.st.Text, "", s)
}

// context says who asked and what part the flow plays.
func (c *detailCtx) context() string {
	v := c.r.v
	var parts []string
	if v.Origin != "" {
		parts = append(parts, "from page origin "+clean(v.Origin))
	}
	switch {
	case c.ghost:
		parts = append(parts, "never sent: stopped at preflight #"+idText(c.r.id))
	case v.Role == analyze.RolePreflight && v.Pair != 0:
		parts = append(parts, "preflight for #"+idText(v.Pair))
	case v.Role == analyze.RolePreflight:
		parts = append(parts, "preflight")
	case v.Role == analyze.RoleActual && v.Pair != 0:
		parts = append(parts, "guarded by preflight #"+idText(v.Pair))
	case v.Role == analyze.RoleSimple:
		parts = append(parts, "simple request, no preflight needed")
	}
	if v.Credentials == analyze.CredInclude {
		parts = append(parts, "with credentials")
	}
	return strings.Join(parts, " · ")
}

// timeline shows preflight → actual, "never sent", or "from preflight
// cache", marking the selected step.
func (c *detailCtx) timeline(l *lines) {
	st := c.st
	v := c.r.v
	type step struct {
		mark   bool
		id     string
		method string
		role   string
		status string
		result seg
	}
	var steps []step
	flowStep := func(r *row, self bool) step {
		s := step{mark: self, id: "#" + idText(r.id), method: r.f.Request.Method, status: statusPhrase(r.f)}
		if r.v != nil {
			s.role = string(r.v.Role)
			b := badgeOf(r.v)
			s.result = seg{st.Badge[b], b.text()}
		}
		return s
	}
	var note string
	switch {
	case v.Role == analyze.RolePreflight:
		steps = append(steps, flowStep(c.r, !c.ghost))
		switch {
		case v.NeverSent:
			steps = append(steps, step{mark: c.ghost, id: "↳", method: v.Method, role: "actual", status: "never sent (the preflight failed)"})
		case c.pair != nil:
			steps = append(steps, flowStep(c.pair, false))
		case v.Pair != 0:
			steps = append(steps, step{id: "#" + idText(v.Pair), role: "actual", status: "no longer held"})
		default:
			note = "No actual request followed on the wire yet."
		}
	case v.Role == analyze.RoleActual:
		switch {
		case c.pair != nil:
			steps = append(steps, flowStep(c.pair, false))
		case v.FromPreflightCache:
			note = "No preflight on the wire: the browser answered it from its preflight cache."
		case v.Pair != 0:
			steps = append(steps, step{id: "#" + idText(v.Pair), method: "OPTIONS", role: "preflight", status: "no longer held"})
		}
		steps = append(steps, flowStep(c.r, true))
	default:
		return
	}
	l.heading(st, "Timeline")
	if note != "" {
		l.add(st.Muted, "  ", note)
	}
	for i, s := range steps {
		mark := "  "
		if s.mark {
			mark = "▶ "
		}
		if i > 0 {
			mark += "→ "
		}
		text := mark + s.id + " " + clean(s.method) + " " + s.role + " · " + s.status
		if s.result.s != "" {
			l.segs(seg{st.Text, text + " · "}, s.result)
		} else {
			l.segs(seg{st.Text, text})
		}
	}
}

// refLine is one "header at fault": where it is, what it holds (or that
// it is missing) and what would pass.
func (c *detailCtx) refLine(l *lines, h analyze.HeaderRef) {
	st := c.st
	if h.Missing {
		c.kv(l, "✗ ", clean(h.Name), "— missing", st.Missing, st.Missing)
	} else {
		c.kv(l, "✗ ", clean(h.Name), clean(h.Value), st.Offending, st.Offending)
	}
	where := "in the " + string(h.Side) + " of #" + idText(h.Flow)
	if h.Want != "" {
		where += " · want: " + clean(h.Want)
	}
	l.add(st.Muted, "    ", where)
}

func statusPhrase(f *capture.Flow) string {
	switch {
	case f.Response != nil && f.Response.Status > 0:
		s := strconv.Itoa(f.Response.Status)
		if f.Response.StatusText != "" {
			s += " " + clean(f.Response.StatusText)
		}
		return s
	case f.State == capture.StateFailed && f.ErrorKind != "":
		return "no response (" + string(f.ErrorKind) + ")"
	case f.State == capture.StateFailed:
		return "no response"
	case !f.Finished():
		return "waiting"
	}
	return "no response"
}

func idText(id capture.FlowID) string { return strconv.FormatUint(uint64(id), 10) }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
