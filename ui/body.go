package ui

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/corscope/corscope/capture"
)

// The Body tab. Decoding (gzip/deflate, JSON indentation, hex) can take
// milliseconds on a large body, so it runs in a tea.Cmd and the result is
// cached by (flow, version); the tab shows "decoding…" meanwhile.

const (
	// maxDecoded bounds what is inflated for display (a zip bomb stops
	// here and says so).
	maxDecoded = 4 << 20
	// maxBodyLines bounds the lines shown per body; the rest is summarised.
	maxBodyLines = 2000
	// maxHexBytes bounds the hex dump of a binary body.
	maxHexBytes = 4096
)

type bodyKey struct {
	id  capture.FlowID
	ver uint32
}

// bodyView is a decoded body ready to draw (clean text lines, unstyled).
type bodyView struct {
	req, resp bodyPart
}

type bodyPart struct {
	present bool
	head    string   // "1.2K · application/json · gzip, decoded"
	lines   []string // content
	notes   []string // truncation, decode problems
}

type bodyMsg struct {
	key  bodyKey
	view *bodyView
}

func decodeBodyCmd(key bodyKey, f *capture.Flow) tea.Cmd {
	return func() tea.Msg {
		v := &bodyView{req: decodePart(f.Request.Body, f.Request.Header)}
		if f.Response != nil {
			v.resp = decodePart(f.Response.Body, f.Response.Header)
		}
		return bodyMsg{key: key, view: v}
	}
}

func decodePart(b capture.Body, hs capture.Headers) bodyPart {
	data, err := b.Data()
	p := bodyPart{present: b.Kept() > 0 || b.Size > 0}
	if !p.present {
		return p
	}
	ct := hs.Get("Content-Type")
	enc := strings.ToLower(strings.TrimSpace(hs.Get("Content-Encoding")))
	var head []string
	if b.Size >= 0 {
		head = append(head, humanBytes(b.Size))
	}
	if ct != "" {
		head = append(head, clean(ct))
	}
	if err != nil {
		p.notes = append(p.notes, "cannot read the kept body: "+err.Error())
		p.head = strings.Join(head, " · ")
		return p
	}
	if b.Truncated {
		p.notes = append(p.notes, fmt.Sprintf("… truncated: %s of %s kept (raise --max-body to keep more)", humanBytes(int64(len(data))), sizeOrUnknown(b.Size)))
	}
	if enc != "" && enc != "identity" {
		dec, derr := inflate(data, enc, b.Truncated)
		switch {
		case errors.Is(derr, errNotDecoded):
			head = append(head, enc+", not decoded")
			p.notes = append(p.notes, enc+"-encoded bodies are shown raw")
		case derr != nil:
			head = append(head, enc)
			p.notes = append(p.notes, "could not decode "+enc+": "+derr.Error()+"; showing the bytes as received")
		default:
			head = append(head, enc+", decoded to "+humanBytes(int64(len(dec))))
			data = dec
		}
	}
	p.head = strings.Join(head, " · ")
	p.lines = render(data, ct)
	if len(p.lines) > maxBodyLines {
		p.notes = append(p.notes, fmt.Sprintf("… %d more lines not shown", len(p.lines)-maxBodyLines))
		p.lines = p.lines[:maxBodyLines]
	}
	return p
}

func sizeOrUnknown(n int64) string {
	if n < 0 {
		return "an unknown size"
	}
	return humanBytes(n)
}

var errNotDecoded = errors.New("encoding not decoded")

// inflate undoes a content coding, stopping at maxDecoded. A truncated
// body decodes as far as it goes.
func inflate(data []byte, enc string, truncated bool) ([]byte, error) {
	var r io.Reader
	switch enc {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		r = zr
	case "deflate":
		// "deflate" is zlib-wrapped by the spec, raw by some servers.
		if zr, err := zlib.NewReader(bytes.NewReader(data)); err == nil {
			r = zr
		} else {
			r = flate.NewReader(bytes.NewReader(data))
		}
	default:
		return nil, errNotDecoded
	}
	out, err := io.ReadAll(io.LimitReader(r, maxDecoded+1))
	if len(out) > maxDecoded {
		return out[:maxDecoded], nil
	}
	if err != nil && truncated && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
		return out, nil
	}
	return out, err
}

// render turns body bytes into display lines: indented JSON, text, or a
// hex dump for binary.
func render(data []byte, ct string) []string {
	if len(data) == 0 {
		return nil
	}
	if looksJSON(data, ct) {
		var buf bytes.Buffer
		if json.Indent(&buf, data, "", "  ") == nil {
			return splitLines(buf.String())
		}
	}
	if isText(data) {
		return splitLines(string(data))
	}
	return hexDump(data)
}

func looksJSON(data []byte, ct string) bool {
	ct = strings.ToLower(ct)
	if strings.Contains(ct, "json") {
		return true
	}
	t := bytes.TrimSpace(data)
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// isText reports whether data is UTF-8 without control characters other
// than whitespace (a cut-off last rune is allowed: bodies are truncated
// at arbitrary bytes).
func isText(data []byte) bool {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			if len(data)-i < utf8.UTFMax && !utf8.FullRune(data[i:]) {
				return true
			}
			return false
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
		i += n
	}
	return true
}

func splitLines(s string) []string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = clean(strings.TrimRight(l, "\r"))
	}
	return ls
}

func hexDump(data []byte) []string {
	n := min(len(data), maxHexBytes)
	out := []string{"binary body, hex:"}
	for off := 0; off < n; off += 16 {
		end := min(off+16, n)
		var b strings.Builder
		fmt.Fprintf(&b, "%08x  ", off)
		for i := off; i < off+16; i++ {
			if i < end {
				fmt.Fprintf(&b, "%02x ", data[i])
			} else {
				b.WriteString("   ")
			}
			if i == off+7 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(" |")
		for i := off; i < end; i++ {
			c := data[i]
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			b.WriteByte(c)
		}
		b.WriteByte('|')
		out = append(out, b.String())
	}
	if len(data) > n {
		out = append(out, fmt.Sprintf("… %d more bytes", len(data)-n))
	}
	return out
}

// body draws the Body tab from a decoded view (nil while decoding).
func (c *detailCtx) body(l *lines, v *bodyView) {
	st := c.st
	if c.ghost {
		l.add(st.Ghost, "", "Never sent: no body went out.")
		return
	}
	if v == nil {
		l.add(st.Muted, "", "decoding…")
		return
	}
	any := false
	for _, part := range []struct {
		title string
		p     bodyPart
	}{{"Request body", v.req}, {"Response body", v.resp}} {
		if !part.p.present {
			continue
		}
		any = true
		title := part.title
		if part.p.head != "" {
			title += " · " + part.p.head
		}
		l.heading(st, title)
		for _, n := range part.p.notes {
			l.add(st.WarnText, "", n)
		}
		for _, ln := range part.p.lines {
			if width(ln) > l.w {
				ln = truncate(ln, l.w)
			}
			l.out = append(l.out, ln)
		}
	}
	if !any {
		l.add(st.Muted, "", "No body was sent or received.")
	}
}
