package ui

import (
	"image/color"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// This file is the only place with colour values. Everything else takes
// Styles. Meaning never rests on colour alone: every badge, highlight and
// ghost line also carries a word or a glyph, so NO_COLOR terminals and
// colour-blind users lose nothing.

// Palette holds the semantic colours of one theme.
type Palette struct {
	Fg, Muted, Faint   color.Color
	Accent             color.Color
	OK, Warn, Bad      color.Color
	SelFg, SelBg       color.Color
	TabFg, TabBg       color.Color
	HighlightBg        color.Color
	Separator          color.Color
	CodeFg, Continuity color.Color
}

// NewPalette returns the palette for a dark or a light terminal background.
func NewPalette(isDark bool) Palette {
	ld := lipgloss.LightDark(isDark)
	c := lipgloss.Color
	return Palette{
		Fg:          ld(c("#1F2328"), c("#E6EDF3")),
		Muted:       ld(c("#59636E"), c("#9198A1")),
		Faint:       ld(c("#818B98"), c("#6E7681")),
		Accent:      ld(c("#6639BA"), c("#A371F7")),
		OK:          ld(c("#1A7F37"), c("#3FB950")),
		Warn:        ld(c("#9A6700"), c("#D29922")),
		Bad:         ld(c("#CF222E"), c("#F85149")),
		SelFg:       ld(c("#1F2328"), c("#F0F6FC")),
		SelBg:       ld(c("#DDF4FF"), c("#1F3A5F")),
		TabFg:       ld(c("#FFFFFF"), c("#0D1117")),
		TabBg:       ld(c("#6639BA"), c("#A371F7")),
		HighlightBg: ld(c("#FFEBE9"), c("#3D1D20")),
		Separator:   ld(c("#D1D9E0"), c("#3D444D")),
		CodeFg:      ld(c("#0550AE"), c("#79C0FF")),
		Continuity:  ld(c("#818B98"), c("#6E7681")),
	}
}

// Styles are the styles of a theme, built from a Palette. Each is a Paint:
// a Lip Gloss style compiled once into the escape sequences it wraps text
// in, because Style.Render measures and re-parses its input on every call
// and was most of a keypress's cost (see BenchmarkKeypress). Every style
// here only sets colours and attributes, so the compiled form is exact.
type Styles struct {
	Title, HeaderText, HeaderMuted Paint
	Paused, Trusted, Untrusted     Paint

	ColHeader, ColHeaderFocused Paint
	Selected                    Paint
	Ghost                       Paint
	Mark                        Paint

	Badge [numBadges]Paint

	TabActive, TabInactive, Rule Paint

	Heading, Text, Muted, Faint Paint
	Offending, Missing, Want    Paint
	Good, WarnText, BadText     Paint
	Code, Continuation          Paint

	Key, KeyDesc        Paint
	Info, Error, Prompt Paint

	Help help.Styles
}

// Paint is a compiled colour/attribute style: the sequence that turns it
// on and the one that resets it.
type Paint struct{ pre, post string }

// compile turns a Lip Gloss style that sets only colours and attributes
// into a Paint by rendering a marker and keeping what surrounds it.
func compile(st lipgloss.Style) Paint {
	const marker = "\x01"
	r := st.Render(marker)
	i := strings.Index(r, marker)
	if i < 0 {
		return Paint{}
	}
	return Paint{pre: r[:i], post: r[i+len(marker):]}
}

// Render wraps single-line text in the style.
func (p Paint) Render(s string) string {
	if s == "" || p.pre == "" {
		return s
	}
	return p.pre + s + p.post
}

// NewStyles builds the styles of a theme.
func NewStyles(p Palette, isDark bool) Styles {
	s := func() styleBuilder { return styleBuilder{lipgloss.NewStyle()} }
	st := Styles{
		Title:       s().Foreground(p.Accent).Bold(true).P(),
		HeaderText:  s().Foreground(p.Fg).P(),
		HeaderMuted: s().Foreground(p.Muted).P(),
		Paused:      s().Foreground(p.Warn).Bold(true).P(),
		Trusted:     s().Foreground(p.OK).P(),
		Untrusted:   s().Foreground(p.Warn).P(),

		ColHeader:        s().Foreground(p.Muted).Bold(true).P(),
		ColHeaderFocused: s().Foreground(p.Accent).Bold(true).P(),
		Selected:         s().Foreground(p.SelFg).Background(p.SelBg).Bold(true).P(),
		Ghost:            s().Foreground(p.Faint).Italic(true).P(),
		Mark:             s().Foreground(p.Accent).Bold(true).P(),

		TabActive:   s().Foreground(p.TabFg).Background(p.TabBg).Bold(true).P(),
		TabInactive: s().Foreground(p.Muted).P(),
		Rule:        s().Foreground(p.Separator).P(),

		Heading:   s().Foreground(p.Accent).Bold(true).P(),
		Text:      s().Foreground(p.Fg).P(),
		Muted:     s().Foreground(p.Muted).P(),
		Faint:     s().Foreground(p.Faint).P(),
		Offending: s().Foreground(p.Bad).Background(p.HighlightBg).Bold(true).P(),
		Missing:   s().Foreground(p.Bad).Italic(true).P(),
		Want:      s().Foreground(p.OK).P(),
		Good:      s().Foreground(p.OK).Bold(true).P(),
		WarnText:  s().Foreground(p.Warn).P(),
		BadText:   s().Foreground(p.Bad).Bold(true).P(),

		Code:         s().Foreground(p.CodeFg).P(),
		Continuation: s().Foreground(p.Continuity).P(),

		Key:     s().Foreground(p.Accent).Bold(true).P(),
		KeyDesc: s().Foreground(p.Muted).P(),
		Info:    s().Foreground(p.OK).P(),
		Error:   s().Foreground(p.Bad).Bold(true).P(),
		Prompt:  s().Foreground(p.Accent).Bold(true).P(),

		Help: help.DefaultStyles(isDark),
	}
	st.Badge[badgeBlocked] = s().Foreground(p.Bad).Bold(true).P()
	st.Badge[badgeFailed] = s().Foreground(p.Bad).P()
	st.Badge[badgeUndecidable] = s().Foreground(p.Accent).Bold(true).P()
	st.Badge[badgeWarning] = s().Foreground(p.Warn).Bold(true).P()
	st.Badge[badgeAllowed] = s().Foreground(p.OK).P()
	st.Badge[badgePending] = s().Foreground(p.Muted).P()
	st.Badge[badgeNotCORS] = s().Foreground(p.Faint).P()
	st.Badge[badgeUnknown] = s().Foreground(p.Faint).P()
	return st
}

// styleBuilder chains Lip Gloss setters and compiles the result with P.
type styleBuilder struct{ lipgloss.Style }

func (b styleBuilder) Foreground(c color.Color) styleBuilder {
	return styleBuilder{b.Style.Foreground(c)}
}
func (b styleBuilder) Background(c color.Color) styleBuilder {
	return styleBuilder{b.Style.Background(c)}
}
func (b styleBuilder) Bold(v bool) styleBuilder   { return styleBuilder{b.Style.Bold(v)} }
func (b styleBuilder) Italic(v bool) styleBuilder { return styleBuilder{b.Style.Italic(v)} }
func (b styleBuilder) P() Paint                   { return compile(b.Style) }

// theme is what the model keeps: the styles, which background they are
// for, the badge texts pre-rendered once (so a row costs no styling), and a
// generation that render caches include in their keys.
type theme struct {
	dark  bool
	gen   int
	st    Styles
	badge [numBadges]string // styled, exactly badgeWidth cells
	mark  string            // styled markGlyph
}

func newTheme(dark bool, gen int) *theme {
	t := &theme{dark: dark, gen: gen, st: NewStyles(NewPalette(dark), dark)}
	for b := badge(0); b < numBadges; b++ {
		t.badge[b] = t.st.Badge[b].Render(fit(b.text(), badgeWidth))
	}
	t.mark = t.st.Mark.Render(markGlyph)
	return t
}
