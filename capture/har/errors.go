package har

import (
	"fmt"
	"strings"
)

// SyntaxError is returned for input that is not a HAR file. It says where
// (byte offset, and line and column when known) and what was expected.
type SyntaxError struct {
	// Offset is the byte offset in the input where the problem was found
	// (counted in the decompressed text when the file was compressed).
	Offset int64
	// Line and Column are 1-based; 0 when they could not be computed.
	Line, Column int
	// Path is the place in the HAR structure, e.g. "log.entries[3]".
	Path string
	// Msg says what was wrong and what was expected.
	Msg string
	// Near is a short excerpt of the input around Offset, when known.
	Near string
	// Decompressed is set when the offsets count bytes after gzip, zlib,
	// zip or UTF-16 decoding rather than bytes of the file.
	Decompressed bool
	// Err is the underlying decoder error, if any.
	Err error
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString("not a readable HAR file: ")
	fmt.Fprintf(&b, "at byte %d", e.Offset)
	if e.Decompressed {
		b.WriteString(" of the decoded text")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d, column %d)", e.Line, e.Column)
	}
	if e.Path != "" {
		fmt.Fprintf(&b, ", in %s", e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Near != "" {
		fmt.Fprintf(&b, " (near %q)", e.Near)
	}
	return b.String()
}

func (e *SyntaxError) Unwrap() error { return e.Err }
