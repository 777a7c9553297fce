package ui

import (
	"strings"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// The Request and Response tabs: the headers as received, the ones that
// decided the verdict highlighted (✗ and a "want"), the missing ones as
// ghost lines ("Access-Control-Allow-Origin: — missing"). The other half
// of a preflight ↔ actual pair is shown beneath, so the preflight's
// response is one scroll away from the actual request and back (P jumps).

func (c *detailCtx) request(l *lines) {
	st := c.st
	f, v := c.r.f, c.r.v
	refs := c.refs()
	if c.ghost {
		l.add(st.Text, "", clean(v.Method)+" "+clean(f.Request.URL))
		l.add(st.Ghost, "", "Never sent: the browser stopped at preflight #"+idText(c.r.id)+".")
		l.heading(st, "What the preflight announced")
		for _, name := range []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"} {
			if val, ok := f.Request.Header.Joined(name); ok {
				l.add(st.Text, "  ", name+": "+clean(val))
			}
		}
		c.pairSection(l, c.r, "Preflight #"+idText(c.r.id)+" request", true, refs)
		return
	}
	l.add(st.Text, "", clean(f.Request.Method)+" "+clean(f.Request.URL)+" "+clean(f.Request.Proto))
	c.headerLines(l, f.Request.Header, c.r.id, analyze.SideRequest, refs)
	bodyNote(l, st, f.Request.Body, f.Request.Header)
	if c.pair != nil {
		c.pairSection(l, c.pair, pairTitle(v, c.pair)+" request", true, refs)
	} else {
		c.pairHint(l)
	}
}

func (c *detailCtx) response(l *lines) {
	st := c.st
	f, v := c.r.f, c.r.v
	refs := c.refs()
	switch {
	case c.ghost:
		l.add(st.Ghost, "", "No response: the browser never sent this request.")
		c.pairSection(l, c.r, "Preflight #"+idText(c.r.id)+" response", false, refs)
		return
	case f.Response == nil && f.State == capture.StateFailed:
		l.add(st.BadText, "", "No response: "+clean(f.Error))
	case f.Response == nil:
		l.add(st.Muted, "", "Waiting for the response…")
	default:
		r := f.Response
		l.add(st.Text, "", clean(r.Proto)+" "+statusPhrase(f))
		c.headerLines(l, r.Header, c.r.id, analyze.SideResponse, refs)
		if len(r.Trailer) > 0 {
			l.heading(st, "Trailers")
			c.headerLines(l, r.Trailer, c.r.id, analyze.SideResponse, nil)
		}
		bodyNote(l, st, r.Body, r.Header)
	}
	if c.pair != nil {
		c.pairSection(l, c.pair, pairTitle(v, c.pair)+" response", false, refs)
	} else {
		c.pairHint(l)
	}
}

func pairTitle(v *analyze.Verdict, pair *row) string {
	if pair.v != nil && pair.v.Role == analyze.RolePreflight {
		return "Preflight #" + idText(pair.id)
	}
	if v != nil && v.Role == analyze.RolePreflight {
		return "Actual #" + idText(pair.id)
	}
	return "Paired #" + idText(pair.id)
}

// pairSection renders the other flow's request or response headers.
func (c *detailCtx) pairSection(l *lines, p *row, title string, req bool, refs []analyze.HeaderRef) {
	st := c.st
	l.blank()
	rule := "── " + title + " "
	if !c.ghost {
		rule += "(P jumps there) "
	}
	l.plain(st.Heading, rule+strings.Repeat("─", max(0, l.w-width(rule))))
	if req {
		l.add(st.Text, "", clean(p.f.Request.Method)+" "+clean(p.f.Request.URL))
		c.headerLines(l, p.f.Request.Header, p.id, analyze.SideRequest, refs)
		return
	}
	if p.f.Response == nil {
		if p.f.State == capture.StateFailed {
			l.add(st.BadText, "", "No response: "+clean(p.f.Error))
		} else {
			l.add(st.Muted, "", "Waiting for the response…")
		}
		c.ghostLines(l, p.id, analyze.SideResponse, refs)
		return
	}
	l.add(st.Text, "", clean(p.f.Response.Proto)+" "+statusPhrase(p.f))
	c.headerLines(l, p.f.Response.Header, p.id, analyze.SideResponse, refs)
}

func (c *detailCtx) pairHint(l *lines) {
	v := c.r.v
	if v == nil {
		return
	}
	switch {
	case v.NeverSent:
		l.blank()
		l.add(c.st.Muted, "", "The "+clean(v.Method)+" request this preflight was for was never sent (P shows it).")
	case v.Role == analyze.RoleActual && v.FromPreflightCache:
		l.blank()
		l.add(c.st.Muted, "", "No preflight on the wire: the browser answered it from its preflight cache.")
	case v.Pair != 0:
		l.blank()
		l.add(c.st.Muted, "", "The paired flow #"+idText(v.Pair)+" is no longer held (cleared or evicted).")
	}
}

// headerLines renders one message's headers, marking those refs point at,
// then the missing ones as ghost lines.
func (c *detailCtx) headerLines(l *lines, hs capture.Headers, id capture.FlowID, side analyze.Side, refs []analyze.HeaderRef) {
	st := c.st
	if len(hs) == 0 {
		l.add(st.Muted, "  ", "(no headers)")
	}
	for _, h := range hs {
		name, value := clean(h.Name), clean(h.Value)
		ref, bad := findRef(refs, id, side, h.Name, false)
		if !bad {
			c.kv(l, "  ", name, value, st.Muted, st.Text)
			continue
		}
		c.kv(l, "✗ ", name, value, st.Offending, st.Offending)
		if ref.Want != "" {
			l.add(st.Want, "    ", "want: "+clean(ref.Want))
		}
	}
	c.ghostLines(l, id, side, refs)
}

// ghostLines shows the headers that are needed and absent.
func (c *detailCtx) ghostLines(l *lines, id capture.FlowID, side analyze.Side, refs []analyze.HeaderRef) {
	st := c.st
	for _, r := range refs {
		if !r.Missing || r.Flow != id || r.Side != side {
			continue
		}
		l.segs(seg{st.BadText, "✗ "}, seg{st.Missing, clean(r.Name) + ": — missing"})
		if r.Want != "" {
			l.add(st.Want, "    ", "want: "+clean(r.Want))
		}
	}
}

// kv renders "Name: value", wrapping long values under the value column.
func (c *detailCtx) kv(l *lines, mark, name, value string, nameSt, valSt Paint) {
	head := mark + name + ": "
	hw := width(head)
	if hw+width(value) <= l.w {
		l.out = append(l.out, c.markStyle(mark)+nameSt.Render(name+": ")+valSt.Render(value))
		return
	}
	indent := min(hw, l.w/2)
	vl := wrap(value, max(8, l.w-indent))
	if hw > l.w/2 {
		// A very long name: value on the lines below.
		l.out = append(l.out, c.markStyle(mark)+nameSt.Render(truncate(name+":", l.w-2)))
		for _, ln := range vl {
			l.out = append(l.out, spaces(indent)+valSt.Render(ln))
		}
		return
	}
	l.out = append(l.out, c.markStyle(mark)+nameSt.Render(name+": ")+valSt.Render(vl[0]))
	for _, ln := range vl[1:] {
		l.out = append(l.out, spaces(indent)+valSt.Render(ln))
	}
}

func (c *detailCtx) markStyle(mark string) string {
	if strings.TrimSpace(mark) == "" {
		return mark
	}
	return c.st.BadText.Render(mark)
}

func findRef(refs []analyze.HeaderRef, id capture.FlowID, side analyze.Side, name string, missing bool) (analyze.HeaderRef, bool) {
	for _, r := range refs {
		if r.Flow == id && r.Side == side && r.Missing == missing && strings.EqualFold(r.Name, name) {
			return r, true
		}
	}
	return analyze.HeaderRef{}, false
}

func bodyNote(l *lines, st *Styles, b capture.Body, hs capture.Headers) {
	if b.Size == 0 && b.Kept() == 0 {
		return
	}
	l.blank()
	s := "Body: "
	if b.Size >= 0 {
		s += humanBytes(b.Size)
	} else {
		s += humanBytes(int64(b.Kept())) + " kept"
	}
	if ct := hs.Get("Content-Type"); ct != "" {
		s += " · " + clean(ct)
	}
	if b.Truncated {
		s += " · truncated"
	}
	l.add(st.Muted, "", s+" — press 5 to see it")
}
