package ui

import (
	"fmt"
	"testing"

	"charm.land/lipgloss/v2"
)

func TestComputeLayout(t *testing.T) {
	cases := []struct {
		w, h     int
		tooSmall bool
		right    bool
		headerH  int
	}{
		{0, 0, true, false, 0},
		{1, 1, true, false, 0},
		{39, 40, true, false, 0},
		{200, 9, true, false, 0},
		{40, 10, false, false, 1},
		{80, 15, false, false, 1},
		{80, 16, false, false, 2},
		{80, 24, false, false, 2},
		{120, 40, false, false, 2},
		{129, 40, false, false, 2},
		{130, 40, false, true, 2},
		{140, 40, false, true, 2},
		{300, 80, false, true, 2},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%d", c.w, c.h), func(t *testing.T) {
			l := computeLayout(c.w, c.h)
			if l.tooSmall != c.tooSmall {
				t.Fatalf("tooSmall = %v, want %v", l.tooSmall, c.tooSmall)
			}
			if l.tooSmall {
				return
			}
			if l.right != c.right || l.headerH != c.headerH {
				t.Fatalf("right=%v headerH=%d, want right=%v headerH=%d", l.right, l.headerH, c.right, c.headerH)
			}
			// Header + body + footer fill the screen exactly.
			if got := l.headerH + l.body.h + 1; got != c.h {
				t.Errorf("header %d + body %d + footer 1 = %d, want %d", l.headerH, l.body.h, got, c.h)
			}
			if l.footerY != c.h-1 {
				t.Errorf("footerY = %d, want %d", l.footerY, c.h-1)
			}
			// List and detail tile the body: each has a header row and at
			// least three content rows.
			if l.list.h < 4 || l.detail.h < 4 {
				t.Errorf("list h=%d detail h=%d: want at least 4 each", l.list.h, l.detail.h)
			}
			if l.right {
				if l.list.w+1+l.detail.w != c.w || l.list.h != l.body.h || l.detail.h != l.body.h {
					t.Errorf("right split: list %+v + sep + detail %+v do not tile %dx%d body", l.list, l.detail, c.w, l.body.h)
				}
				if l.detail.w < 50 {
					t.Errorf("detail pane only %d wide", l.detail.w)
				}
			} else {
				if l.list.h+l.detail.h != l.body.h || l.list.w != c.w || l.detail.w != c.w || l.detail.y != l.list.y+l.list.h {
					t.Errorf("below split: list %+v and detail %+v do not tile the body %+v", l.list, l.detail, l.body)
				}
			}
		})
	}
}

func TestPlanColumnsDropsOptionalColumnsFirst(t *testing.T) {
	wide := planColumns(200, 99)
	if !wide.time || !wide.size || !wide.dur || !wide.kind || !wide.orig {
		t.Errorf("200 columns should show every column: %+v", wide)
	}
	c80 := planColumns(80, 99)
	if c80.time || c80.size || !c80.dur || !c80.kind {
		t.Errorf("80 columns: want time and size dropped, duration and kind kept: %+v", c80)
	}
	if c80.whereW < minFlex {
		t.Errorf("80 columns leave %d cells for host/path, want ≥ %d", c80.whereW, minFlex)
	}
	c40 := planColumns(40, 99)
	if c40.time || c40.size || c40.dur || c40.kind {
		t.Errorf("40 columns: want only the essentials: %+v", c40)
	}
	// Wide IDs widen the id and kind columns instead of being cut.
	big := planColumns(140, 1234567)
	if big.idW != 8 || big.kindW < len("preflight #1234567") {
		t.Errorf("id width %d, kind width %d for 7-digit IDs", big.idW, big.kindW)
	}
	for w := 40; w <= 300; w++ {
		c := planColumns(w, 999)
		if got := width(c.header()); got != w {
			t.Fatalf("width %d: header is %d cells", w, got)
		}
	}
}

// TestPaintMatchesLipGloss: a compiled Paint draws exactly what the Lip
// Gloss style it came from draws.
func TestPaintMatchesLipGloss(t *testing.T) {
	p := NewPalette(true)
	for _, st := range []lipgloss.Style{
		lipgloss.NewStyle().Foreground(p.Bad),
		lipgloss.NewStyle().Foreground(p.SelFg).Background(p.SelBg).Bold(true),
		lipgloss.NewStyle().Foreground(p.Faint).Italic(true),
		lipgloss.NewStyle(),
	} {
		for _, s := range []string{"BLOCKED", "Access-Control-Allow-Origin: — missing"} {
			if got, want := compile(st).Render(s), st.Render(s); got != want {
				t.Errorf("Paint %q, Lip Gloss %q", got, want)
			}
		}
		// Empty text stays empty (Lip Gloss emits a bare on/off pair).
		if got := compile(st).Render(""); got != "" {
			t.Errorf("Paint of empty text = %q", got)
		}
	}
}
