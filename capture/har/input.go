package har

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/corscope/corscope/capture"
)

// inputError is a failure to read the input itself (I/O, corrupt
// compression), as opposed to input that is not a HAR.
type inputError struct{ err error }

func (e *inputError) Error() string { return "reading the input: " + e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// input is the text the JSON decoder reads, after a BOM, UTF-16 or
// compression has been dealt with, plus what is needed to say where an
// error is.
type input struct {
	text    io.Reader
	track   *tracker
	skipped int64 // bytes of the file before the text (a UTF-8 BOM)
	decoded bool  // offsets count decoded text, not file bytes
	zip     *zip.Reader
}

const (
	gzipMagic = "\x1f\x8b"
	zipMagic  = "PK\x03\x04"
	utf8BOM   = "\xef\xbb\xbf"
)

// openInput sniffs the first bytes of r and sets up the decoding chain.
func openInput(r io.Reader) (*input, error) {
	return sniff(r, false)
}

func sniff(r io.Reader, decoded bool) (*input, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, &inputError{err}
	}
	if len(head) == 0 {
		return nil, &SyntaxError{Msg: `the input is empty: expected a HAR file (a JSON object with a "log" member)`}
	}
	in := &input{decoded: decoded}
	switch {
	case bytes.HasPrefix(head, []byte(utf8BOM)):
		_, _ = br.Discard(len(utf8BOM)) // cannot fail: the bytes were just peeked
		in.skipped = int64(len(utf8BOM))
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		// UTF-16 with a BOM (PowerShell's default redirection writes this).
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		return sniff(transform.NewReader(br, dec), true)
	case bytes.HasPrefix(head, []byte(gzipMagic)):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &inputError{fmt.Errorf("the gzip data is corrupt: %w", err)}
		}
		return sniff(zr, true)
	case len(head) >= 2 && head[0] == 0x78 && (head[1] == 0x01 || head[1] == 0x5e || head[1] == 0x9c || head[1] == 0xda):
		// zlib, as mitmproxy writes .zhar files. JSON never starts with 'x'.
		zr, err := zlib.NewReader(br)
		if err != nil {
			return nil, &inputError{fmt.Errorf("the zlib data is corrupt: %w", err)}
		}
		return sniff(zr, true)
	case bytes.HasPrefix(head, []byte(zipMagic)):
		zr, err := openZip(r, br)
		if err != nil {
			return nil, err
		}
		in.zip = zr
		return in, nil
	}
	in.track = newTracker(br)
	in.text = in.track
	return in, nil
}

// openZip opens a zip archive: in place when r is a file, from memory
// otherwise (zip needs random access).
func openZip(r io.Reader, br *bufio.Reader) (*zip.Reader, error) {
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			if zr, err := zip.NewReader(f, st.Size()); err == nil {
				return zr, nil
			}
		}
	}
	data, err := io.ReadAll(br)
	if err != nil {
		return nil, &inputError{err}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, &inputError{fmt.Errorf("the zip archive is corrupt: %w", err)}
	}
	return zr, nil
}

// maxAttachment caps one body read from a zip archive.
const maxAttachment = 64 << 20

// readZip reads the HAR inside a Playwright archive, taking bodies from
// the files stored beside it.
func readZip(in *input) ([]capture.Flow, error) {
	var harFile *zip.File
	for _, f := range in.zip.File {
		if strings.EqualFold(path.Ext(f.Name), ".har") && (harFile == nil || path.Base(f.Name) == "har.har") {
			harFile = f
		}
	}
	if harFile == nil {
		return nil, &SyntaxError{Msg: "the zip archive holds no .har file: expected a Playwright recordHar archive"}
	}
	rc, err := harFile.Open()
	if err != nil {
		return nil, &inputError{err}
	}
	defer rc.Close()
	inner, err := sniff(rc, true)
	if err != nil {
		return nil, err
	}
	if inner.zip != nil {
		return nil, &SyntaxError{Msg: "the .har inside the zip archive is itself a zip archive"}
	}
	dir := path.Dir(harFile.Name)
	attach := func(name string) ([]byte, bool) {
		f, err := in.zip.Open(path.Join(dir, name))
		if err != nil {
			return nil, false
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxAttachment))
		return b, err == nil
	}
	return decodeLog(inner, attach)
}

// consumed is how many bytes of text the decoder has pulled in.
func (in *input) consumed() int64 {
	if in.track == nil {
		return 0
	}
	return in.track.total
}

// from returns the kept input bytes from offset off on, or nil when they
// are no longer kept.
func (in *input) from(off int64) []byte {
	if in.track == nil {
		return nil
	}
	win, first := in.track.window()
	if off < first || off > in.track.total {
		return nil
	}
	return win[off-first:]
}

// locate fills Line, Column and Near for e from the tail of the input
// the tracker keeps, and shifts the offset past a skipped BOM.
func (in *input) locate(e *SyntaxError) {
	e.Decompressed = in.decoded
	if in.track != nil {
		in.track.locate(e)
	}
	e.Offset += in.skipped
}

// tracker passes the input to the decoder while counting newlines and
// keeping the last tailSize bytes, so an error can be given a line,
// a column and an excerpt without re-reading the input.
type tracker struct {
	r        io.Reader
	total    int64 // bytes read so far
	newlines int64 // '\n' in those bytes
	// tail grows to tailSize, then is a ring whose oldest byte is at pos.
	tail []byte
	pos  int
}

const tailSize = 256 << 10

func newTracker(r io.Reader) *tracker { return &tracker{r: r} }

func (t *tracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.total += int64(n)
		t.newlines += int64(bytes.Count(p[:n], []byte{'\n'}))
		t.keep(p[:n])
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = &inputError{err}
	}
	return n, err
}

func (t *tracker) keep(b []byte) {
	if len(b) >= tailSize {
		t.tail = append(t.tail[:0], b[len(b)-tailSize:]...)
		t.pos = 0
		return
	}
	if room := tailSize - len(t.tail); room > 0 {
		if len(b) <= room {
			t.tail = append(t.tail, b...)
			return
		}
		t.tail = append(t.tail, b[:room]...)
		b = b[room:]
	}
	c := copy(t.tail[t.pos:], b)
	copy(t.tail, b[c:])
	t.pos = (t.pos + len(b)) % tailSize
}

// window returns the kept bytes in order and the offset of the first.
func (t *tracker) window() ([]byte, int64) {
	if len(t.tail) < tailSize || t.pos == 0 {
		return t.tail, t.total - int64(len(t.tail))
	}
	out := make([]byte, 0, tailSize)
	out = append(out, t.tail[t.pos:]...)
	out = append(out, t.tail[:t.pos]...)
	return out, t.total - tailSize
}

func (t *tracker) locate(e *SyntaxError) {
	win, first := t.window()
	if e.Offset < first || e.Offset > t.total {
		return
	}
	i := int(e.Offset - first)
	after := win[i:]
	e.Line = int(t.newlines-int64(bytes.Count(after, []byte{'\n'}))) + 1
	if nl := bytes.LastIndexByte(win[:i], '\n'); nl >= 0 {
		e.Column = utf8.RuneCount(win[nl+1:i]) + 1
	} else if first == 0 {
		e.Column = utf8.RuneCount(win[:i]) + 1
	} else {
		e.Line = 0 // the line started before the kept window
	}
	lo, hi := max(i-24, 0), min(i+24, len(win))
	near := strings.ToValidUTF8(string(win[lo:hi]), "")
	e.Near = strings.Join(strings.Fields(near), " ")
}
