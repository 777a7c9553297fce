package ui

import (
	"image/color"

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

// Styles are the lipgloss styles built from a Palette.
type Styles struct {
	Title, HeaderText, HeaderMuted lipgloss.Style
	Paused, Trusted, Untrusted     lipgloss.Style

	ColHeader, ColHeaderFocused lipgloss.Style
	Selected                    lipgloss.Style
	Ghost                       lipgloss.Style

	Badge [numBadges]lipgloss.Style

	TabActive, TabInactive, Rule lipgloss.Style

	Heading, Text, Muted, Faint lipgloss.Style
	Offending, Missing, Want    lipgloss.Style
	Good, WarnText, BadText     lipgloss.Style
	Code, Continuation          lipgloss.Style

	Key, KeyDesc        lipgloss.Style
	Info, Error, Prompt lipgloss.Style

	Help help.Styles
}

// NewStyles builds the styles of a theme.
func NewStyles(p Palette, isDark bool) Styles {
	s := lipgloss.NewStyle
	st := Styles{
		Title:       s().Foreground(p.Accent).Bold(true),
		HeaderText:  s().Foreground(p.Fg),
		HeaderMuted: s().Foreground(p.Muted),
		Paused:      s().Foreground(p.Warn).Bold(true),
		Trusted:     s().Foreground(p.OK),
		Untrusted:   s().Foreground(p.Warn),

		ColHeader:        s().Foreground(p.Muted).Bold(true),
		ColHeaderFocused: s().Foreground(p.Accent).Bold(true),
		Selected:         s().Foreground(p.SelFg).Background(p.SelBg).Bold(true),
		Ghost:            s().Foreground(p.Faint).Italic(true),

		TabActive:   s().Foreground(p.TabFg).Background(p.TabBg).Bold(true),
		TabInactive: s().Foreground(p.Muted),
		Rule:        s().Foreground(p.Separator),

		Heading:   s().Foreground(p.Accent).Bold(true),
		Text:      s().Foreground(p.Fg),
		Muted:     s().Foreground(p.Muted),
		Faint:     s().Foreground(p.Faint),
		Offending: s().Foreground(p.Bad).Background(p.HighlightBg).Bold(true),
		Missing:   s().Foreground(p.Bad).Italic(true),
		Want:      s().Foreground(p.OK),
		Good:      s().Foreground(p.OK).Bold(true),
		WarnText:  s().Foreground(p.Warn),
		BadText:   s().Foreground(p.Bad).Bold(true),

		Code:         s().Foreground(p.CodeFg),
		Continuation: s().Foreground(p.Continuity),

		Key:     s().Foreground(p.Accent).Bold(true),
		KeyDesc: s().Foreground(p.Muted),
		Info:    s().Foreground(p.OK),
		Error:   s().Foreground(p.Bad).Bold(true),
		Prompt:  s().Foreground(p.Accent).Bold(true),

		Help: help.DefaultStyles(isDark),
	}
	st.Badge[badgeBlocked] = s().Foreground(p.Bad).Bold(true)
	st.Badge[badgeFailed] = s().Foreground(p.Bad)
	st.Badge[badgeUndecidable] = s().Foreground(p.Accent).Bold(true)
	st.Badge[badgeWarning] = s().Foreground(p.Warn).Bold(true)
	st.Badge[badgeAllowed] = s().Foreground(p.OK)
	st.Badge[badgePending] = s().Foreground(p.Muted)
	st.Badge[badgeNotCORS] = s().Foreground(p.Faint)
	st.Badge[badgeUnknown] = s().Foreground(p.Faint)
	return st
}

// theme is what the model keeps: the styles, which background they are
// for, the badge texts pre-rendered once (so a row costs no styling), and a
// generation that render caches include in their keys.
type theme struct {
	dark  bool
	gen   int
	st    Styles
	badge [numBadges]string // styled, exactly badgeWidth cells
}

func newTheme(dark bool, gen int) *theme {
	t := &theme{dark: dark, gen: gen, st: NewStyles(NewPalette(dark), dark)}
	for b := badge(0); b < numBadges; b++ {
		t.badge[b] = t.st.Badge[b].Render(fit(b.text(), badgeWidth))
	}
	return t
}
