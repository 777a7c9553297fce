package ui

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Text helpers for the hot path. Almost every cell corscope draws is plain
// ASCII (methods, hosts, paths, numbers), and measuring those through
// ansi's grapheme segmentation costs several times more than the rest of a
// frame (tui.md §1.3 G). So each helper checks for printable ASCII first and
// falls back to ansi only when a string has anything else in it.

// ellipsis marks a truncated cell.
const ellipsis = "…"

// printableASCII reports whether every byte of s is in 0x20..0x7e, i.e. one
// byte is one terminal cell and nothing needs cleaning.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// clean makes text from the wire safe to draw: control characters (which
// would let a hostile server move the cursor or retitle the terminal) and
// invalid UTF-8 become U+FFFD. Printable ASCII is returned as is.
func clean(s string) string {
	if printableASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// width returns the number of cells s takes. s must be clean (no escape
// sequences) or styled by lipgloss; both are measured correctly.
func width(s string) int {
	if printableASCII(s) {
		return len(s)
	}
	return ansi.StringWidth(s)
}

// truncate cuts clean text s to at most w cells, ending with "…" when cut.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if printableASCII(s) {
		if len(s) <= w {
			return s
		}
		if w == 1 {
			return ellipsis
		}
		return s[:w-1] + ellipsis
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, ellipsis)
}

// truncateLeft cuts clean text s to at most w cells by dropping its start,
// which keeps the informative end of a host name or a file path.
func truncateLeft(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if printableASCII(s) {
		if len(s) <= w {
			return s
		}
		if w == 1 {
			return ellipsis
		}
		return ellipsis + s[len(s)-(w-1):]
	}
	sw := ansi.StringWidth(s)
	if sw <= w {
		return s
	}
	return ansi.TruncateLeft(s, sw-w+1, ellipsis)
}

// spaces returns n spaces (n may be 0 or negative).
func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(blank) {
		return blank[:n]
	}
	return strings.Repeat(" ", n)
}

const blank = "                                                                                                                                                                                                        "

// pad writes s cut or padded to exactly w cells into b, left-aligned.
func pad(b *strings.Builder, s string, w int) {
	s = truncate(s, w)
	b.WriteString(s)
	b.WriteString(spaces(w - width(s)))
}

// padRight writes s cut or padded to exactly w cells into b, right-aligned.
func padRight(b *strings.Builder, s string, w int) {
	s = truncate(s, w)
	b.WriteString(spaces(w - width(s)))
	b.WriteString(s)
}

// fit returns s cut or padded to exactly w cells.
func fit(s string, w int) string {
	sw := width(s)
	if sw == w {
		return s
	}
	if sw < w {
		return s + spaces(w-sw)
	}
	return truncate(s, w)
}

// wrap breaks clean text into lines of at most w cells at spaces, and
// inside words (URLs, header values) only when a word alone is too long.
// Unlike ansi.Wrap it never breaks at hyphens, so header names such as
// Access-Control-Allow-Origin stay whole. Existing newlines are kept and
// a paragraph's leading indentation is repeated on its continuation lines.
func wrap(s string, w int) []string {
	if w < 1 {
		w = 1
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		if width(para) <= w {
			out = append(out, para)
			continue
		}
		body := strings.TrimLeft(para, " ")
		ind := para[:len(para)-len(body)]
		if len(ind) >= w/2 {
			ind = ""
		}
		lw := w - len(ind)
		line, lineW := "", 0
		flush := func() {
			out = append(out, ind+line)
			line, lineW = "", 0
		}
		for _, word := range strings.Split(body, " ") {
			ww := width(word)
			switch {
			case lineW == 0 && ww <= lw:
				line, lineW = word, ww
				continue
			case lineW > 0 && lineW+1+ww <= lw:
				line, lineW = line+" "+word, lineW+1+ww
				continue
			}
			if lineW > 0 {
				flush()
			}
			for ww > lw {
				head, rest := cutCells(word, lw)
				line = head
				flush()
				word, ww = rest, width(rest)
			}
			line, lineW = word, ww
		}
		if lineW > 0 || line != "" {
			flush()
		}
	}
	return out
}

// cutCells splits clean text after n cells.
func cutCells(s string, n int) (string, string) {
	if printableASCII(s) {
		return s[:n], s[n:]
	}
	head := ansi.Truncate(s, n, "")
	if head == "" { // a wide rune wider than n: take it anyway
		_, size := utf8.DecodeRuneInString(s)
		return s[:size], s[size:]
	}
	return head, s[len(head):]
}

// wrapIndent wraps s to w cells with every line prefixed by indent.
func wrapIndent(s, indent string, w int) []string {
	lines := wrap(s, w-width(indent))
	for i, l := range lines {
		lines[i] = indent + l
	}
	return lines
}

// center returns s centred in w cells (cut if it does not fit).
func center(s string, w int) string {
	s = truncate(s, w)
	left := (w - width(s)) / 2
	return spaces(left) + s
}
