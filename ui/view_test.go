package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
)

// screen returns what the user sees: View's content without escapes.
func screen(m *Model) string { return ansi.Strip(m.View().Content) }

func useFixtureFixes(t *testing.T) {
	t.Helper()
	prev := fixesFor
	fixesFor = fixtureFixes
	t.Cleanup(func() { fixesFor = prev })
}

// TestGolden pins the screen at 80×24 and 140×40 (detail below and to
// the right) for the states a user meets first. Update with
// `go test ./ui -run TestGolden -update` and review the diff.
func TestGolden(t *testing.T) {
	useFixtureFixes(t)
	cases := []struct {
		name string
		fxs  func() []fx
		live bool
		keys []string
		typ  string
	}{
		{name: "empty_live", fxs: func() []fx { return nil }, live: true},
		{name: "empty_har", fxs: func() []fx { return nil }},
		{name: "list_mixed_live", fxs: mixedFixture, live: true},
		{name: "blocked_summary", fxs: mixedFixture},
		{name: "blocked_request", fxs: mixedFixture, keys: []string{"2"}},
		{name: "blocked_response_ghost_line", fxs: mixedFixture, keys: []string{"3"}},
		{name: "blocked_fix", fxs: mixedFixture, keys: []string{"4"}},
		{name: "never_sent_summary", fxs: mixedFixture, keys: []string{"down"}},
		{name: "pair_actual_response", fxs: mixedFixture, keys: []string{"down", "down", "down", "down", "3"}},
		{name: "warning_summary", fxs: mixedFixture, keys: []string{"down", "down"}},
		{name: "filter_error_field", fxs: mixedFixture, keys: []string{"/"}, typ: "stauts:4xx"},
		{name: "filter_error_value", fxs: mixedFixture, keys: []string{"/"}, typ: "cors:maybe"},
		{name: "filter_blocked", fxs: mixedFixture, keys: []string{"/"}, typ: "cors:blocked"},
		{name: "filter_no_match", fxs: mixedFixture, keys: []string{"/"}, typ: "host:nowhere"},
		{name: "help", fxs: mixedFixture, keys: []string{"?"}},
		{name: "quit_confirm", fxs: mixedFixture, live: true, keys: []string{"q"}},
	}
	for _, size := range [][2]int{{80, 24}, {140, 40}} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%dx%d/%s", size[0], size[1], c.name), func(t *testing.T) {
				m, _, _ := newFixtureModel(t, c.fxs(), testOpts{live: c.live, w: size[0], h: size[1]})
				press(m, c.keys...)
				if c.typ != "" {
					typeText(m, c.typ)
					press(m, "enter") // apply now, without waiting for the debounce
				}
				out := screen(m)
				checkScreenShape(t, out, size[0], size[1])
				checkSeparator(t, m, out)
				golden.RequireEqual(t, out)
			})
		}
	}
}

// checkScreenShape asserts that a frame is exactly h lines, none wider
// than w: panes never jump or wrap.
func checkScreenShape(t *testing.T, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Errorf("screen has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide (> %d): %q", i, lw, w, l)
		}
	}
}

// checkSeparator asserts that in the side-by-side layout every body line
// has the pane separator in the same column: list rows are exactly the
// list's width.
func checkSeparator(t *testing.T, m *Model, out string) {
	t.Helper()
	l := m.lay
	if !l.right || m.showHelp || len(m.t.rows) == 0 {
		return
	}
	lines := strings.Split(out, "\n")
	end := l.body.y + l.body.h
	if m.filterErr != "" {
		end -= 3 // the error lines cover the last body lines
	}
	for y := l.body.y; y < end; y++ {
		if c := ansi.Cut(lines[y], l.list.w, l.list.w+1); c != "│" {
			t.Fatalf("line %d has %q at column %d, want the separator:\n%s", y, c, l.list.w, out)
		}
	}
}

// TestColourGolden pins the escape sequences of one screen per theme, so
// a palette or style change shows up in review.
func TestColourGolden(t *testing.T) {
	useFixtureFixes(t)
	for _, dark := range []bool{true, false} {
		t.Run(fmt.Sprintf("dark=%v", dark), func(t *testing.T) {
			m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{})
			if !dark {
				m.Update(tea.BackgroundColorMsg{Color: lightBG{}})
			}
			golden.RequireEqual(t, m.View().Content)
		})
	}
}

// TestTinyTerminals: every size from 1×1 up renders without panicking,
// within bounds, and says "too small" below the minimum.
func TestTinyTerminals(t *testing.T) {
	useFixtureFixes(t)
	for _, sz := range [][2]int{{1, 1}, {10, 3}, {39, 24}, {80, 9}, {40, 10}, {45, 12}, {60, 15}, {79, 16}, {119, 30}, {120, 30}, {250, 70}} {
		t.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(t *testing.T) {
			m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{w: sz[0], h: sz[1]})
			for _, k := range []string{"1", "2", "3", "4", "5", "down", "tab", "pgdown", "?", "?"} {
				press(m, k)
				out := screen(m)
				checkScreenShape(t, out, sz[0], sz[1])
				small := sz[0] < minWidth || sz[1] < minHeight
				if got := strings.Contains(out, "too small"); got != small && sz[0] >= len("too small") {
					t.Fatalf("too-small message shown = %v, want %v:\n%s", got, small, out)
				}
				if small && strings.Contains(out, "METHOD") {
					t.Fatalf("a broken layout was drawn below the minimum size:\n%s", out)
				}
			}
		})
	}
}

// TestBadgesCarryText: meaning never rests on colour alone.
func TestBadgesCarryText(t *testing.T) {
	m, _, _ := newFixtureModel(t, mixedFixture(), testOpts{live: true, w: 140, h: 40})
	out := screen(m)
	for _, want := range []string{"BLOCKED", "WARNING", "allowed", "not-cors", "undecidable", "pending", "failed", "never sent", "preflight #6", "actual #5", "actual cached"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
}

// TestHostileTextIsCleaned: escape sequences from a server never reach
// the terminal.
func TestHostileTextIsCleaned(t *testing.T) {
	fxs := mixedFixture()[:1]
	fxs[0].f.Request.URL = "http://evil.test/\x1b]0;pwned\x07\x1b[2J"
	fxs[0].f.Response.Header = hdr("X-Evil", "\x1b[31mred\x1b[0m\r\nInjected: yes")
	m, _, _ := newFixtureModel(t, fxs, testOpts{w: 100, h: 30})
	for _, k := range []string{"1", "2", "3", "5"} {
		press(m, k)
		pump(m)
		for _, forbidden := range []string{"\x1b]0;", "\x1b[2J", "\x07", "\r\n"} {
			if strings.Contains(m.View().Content, forbidden) {
				t.Fatalf("tab %s: raw %q reached the screen", k, forbidden)
			}
		}
	}
}
