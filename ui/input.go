package ui

import (
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
)

// lineInput is the one-line editor of the filter and export prompts. It is
// deliberately tiny and deterministic (no blinking, the terminal's own
// cursor marks the position), so prompt screens can be golden-tested.
type lineInput struct {
	r   []rune
	pos int
}

func (in *lineInput) set(s string) {
	in.r = []rune(s)
	in.pos = len(in.r)
}

func (in *lineInput) value() string { return string(in.r) }

// key applies an editing key and reports whether the text changed.
// Keys that are not editing keys are ignored.
func (in *lineInput) key(k tea.KeyPressMsg) bool {
	switch k.String() {
	case "backspace", "ctrl+h":
		if in.pos > 0 {
			in.r = append(in.r[:in.pos-1], in.r[in.pos:]...)
			in.pos--
			return true
		}
		return false
	case "delete", "ctrl+d":
		if in.pos < len(in.r) {
			in.r = append(in.r[:in.pos], in.r[in.pos+1:]...)
			return true
		}
		return false
	case "left", "ctrl+b":
		in.pos = max(0, in.pos-1)
	case "right", "ctrl+f":
		in.pos = min(len(in.r), in.pos+1)
	case "home", "ctrl+a":
		in.pos = 0
	case "end", "ctrl+e":
		in.pos = len(in.r)
	case "ctrl+u":
		changed := in.pos > 0
		in.r = in.r[in.pos:]
		in.pos = 0
		return changed
	case "ctrl+k":
		changed := in.pos < len(in.r)
		in.r = in.r[:in.pos]
		return changed
	case "ctrl+w", "alt+backspace":
		i := in.pos
		for i > 0 && unicode.IsSpace(in.r[i-1]) {
			i--
		}
		for i > 0 && !unicode.IsSpace(in.r[i-1]) {
			i--
		}
		changed := i < in.pos
		in.r = append(in.r[:i], in.r[in.pos:]...)
		in.pos = i
		return changed
	case "space":
		return in.insert(" ")
	default:
		if k.Mod&^tea.ModShift == 0 && k.Text != "" {
			return in.insert(k.Text)
		}
	}
	return false
}

// insert adds text at the cursor, dropping control characters (a paste
// may hold newlines).
func (in *lineInput) insert(s string) bool {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if s == "" {
		return false
	}
	rs := []rune(s)
	in.r = append(in.r[:in.pos], append(rs, in.r[in.pos:]...)...)
	in.pos += len(rs)
	return true
}

// view returns the text fitted to w cells, scrolled so the cursor stays
// visible, and the cursor's column within it.
func (in *lineInput) view(w int) (string, int) {
	if w <= 1 {
		return "", 0
	}
	start := 0
	// Scroll left until the part from start to the cursor fits.
	for width(string(in.r[start:in.pos])) > w-1 {
		start++
	}
	s := truncate(string(in.r[start:]), w)
	return s, width(string(in.r[start:in.pos]))
}
