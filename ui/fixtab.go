package ui

import (
	"strconv"
	"strings"

	"github.com/corscope/corscope/analyze"
)

// fixesFor renders the fixes of a spec. A variable so tests can count
// calls; the real one is pure and cheap (string templating).
var fixesFor = analyze.Fixes

// fixList returns the fixes for the selected entry and the index of the
// chosen framework in it (0 when the remembered one is not offered).
func fixList(v *analyze.Verdict, fw string) ([]analyze.Fix, int) {
	if v == nil || v.Fix == nil {
		return nil, 0
	}
	fixes := fixesFor(*v.Fix)
	for i, f := range fixes {
		if f.Framework == fw {
			return fixes, i
		}
	}
	return fixes, 0
}

// fix renders the Fix tab: a framework strip (←/→ to change, remembered),
// where the snippet goes, and the snippet itself. It returns what `y`
// copies.
func (c *detailCtx) fix(l *lines, fw string) (copyText, copyWhat string) {
	st := c.st
	v := c.r.v
	switch {
	case v == nil:
		l.add(st.Muted, "", "Analysing…")
		return
	case v.Fix == nil && v.Kind == analyze.KindBlocked:
		l.add(st.Text, "", "No server-side fix can be generated for this flow.")
		if v.Explanation != "" {
			l.blank()
			l.add(st.Muted, "", clean(v.Explanation))
		}
		return
	case v.Fix == nil:
		l.add(st.Good, "", "Nothing to fix: "+nothingToFix(v))
		return
	}
	fixes, sel := fixList(v, fw)
	if len(fixes) == 0 {
		l.add(st.Text, "", "No fix is offered for page origin "+strconv.Quote(clean(v.Fix.Origin))+".")
		l.add(st.Muted, "", "Allowing it would open the API to every site; serve the page from a real origin (http://localhost:3000, https://app.example) and allow that one.")
		return
	}
	f := fixes[sel]
	l.segs(seg{st.Muted, "Framework  "}, seg{st.Heading, clean(f.Title)}, seg{st.Muted, "  " + strconv.Itoa(sel+1) + "/" + strconv.Itoa(len(fixes)) + " · ←/→ change"})
	l.out = append(l.out, frameworkStrip(st, fixes, sel, l.w))
	l.blank()
	for _, ln := range strings.Split(strings.TrimRight(f.Snippet, "\n"), "\n") {
		codeLine(l, st, ln)
	}
	if f.Note != "" {
		l.blank()
		l.add(st.Text, "", clean(f.Note))
	}
	l.blank()
	l.add(st.Muted, "", "y copies the snippet to the clipboard.")
	return f.Snippet, f.Title
}

// frameworkStrip lists the frameworks on one line, the chosen one
// bracketed, scrolled so that it is always visible.
func frameworkStrip(st *Styles, fixes []analyze.Fix, sel, w int) string {
	words := make([]string, len(fixes))
	for i, f := range fixes {
		words[i] = " " + f.Framework + " "
		if i == sel {
			words[i] = "[" + f.Framework + "]"
		}
	}
	// Start far enough left that the selection fits.
	start, used := sel, width(words[sel])
	for start > 0 && used+width(words[start-1]) <= w-2 {
		start--
		used += width(words[start])
	}
	var b strings.Builder
	left := w
	if start > 0 {
		b.WriteString(st.Muted.Render("‹"))
		left--
	}
	for i := start; i < len(words); i++ {
		ww := width(words[i])
		if ww > left || (i < len(words)-1 && ww+1 > left) {
			b.WriteString(st.Muted.Render("›"))
			break
		}
		if i == sel {
			b.WriteString(st.TabActive.Render(words[i]))
		} else {
			b.WriteString(st.TabInactive.Render(words[i]))
		}
		left -= ww
	}
	return b.String()
}

// codeLine adds a snippet line, wrapped with a visible continuation mark
// so a wrapped line is never mistaken for two lines of code.
func codeLine(l *lines, st *Styles, ln string) {
	ln = clean(ln)
	if width(ln) <= l.w-2 {
		l.out = append(l.out, "  "+st.Code.Render(ln))
		return
	}
	parts := wrap(ln, max(4, l.w-4))
	l.out = append(l.out, "  "+st.Code.Render(parts[0]))
	for _, p := range parts[1:] {
		l.out = append(l.out, st.Continuation.Render("↪ ")+"  "+st.Code.Render(p))
	}
}

func nothingToFix(v *analyze.Verdict) string {
	switch v.Kind {
	case analyze.KindAllowed:
		return "the browser allowed this request."
	case analyze.KindNotCORS:
		return "this is not a CORS request."
	case analyze.KindPending:
		return "the response has not arrived yet."
	case analyze.KindFailed:
		return "a network failure, not CORS; see Summary."
	case analyze.KindUndecidable:
		return "the outcome depends on something the wire does not show; see Summary."
	}
	return "see Summary."
}
