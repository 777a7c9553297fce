package har

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/andybalholm/brotli"
)

// maxDecoded caps the size of a body after Content-Encoding is undone, so
// a small compressed body cannot balloon the export (a decompression bomb
// from a hostile server).
const maxDecoded = 32 << 20

// decodeContent undoes the Content-Encoding of a recorded body, because
// HAR's content.text holds the decoded content. Codings are undone from
// the last applied to the first; a truncated body decodes as far as its
// bytes go. A body that does not decode is returned as recorded: silently
// when it is valid UTF-8 (a flow imported from a HAR already holds the
// decoded text under its original Content-Encoding header), with a note
// otherwise.
func decodeContent(contentEncoding string, data []byte, truncated bool) ([]byte, string) {
	if contentEncoding == "" || len(data) == 0 {
		return data, ""
	}
	codings := strings.Split(contentEncoding, ",")
	out := data
	for i := len(codings) - 1; i >= 0; i-- {
		c := strings.ToLower(strings.TrimSpace(codings[i]))
		if c == "" || c == "identity" {
			continue
		}
		r, err := decoder(c, out)
		if err != nil {
			return undecodable(data, contentEncoding, err)
		}
		dec, err := io.ReadAll(io.LimitReader(r, maxDecoded+1))
		if len(dec) > maxDecoded {
			return dec[:maxDecoded], fmt.Sprintf("corscope: decoded content cut at %d bytes", maxDecoded)
		}
		if err != nil && !(truncated && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF))) {
			return undecodable(data, contentEncoding, err)
		}
		out = dec
	}
	return out, ""
}

func undecodable(data []byte, contentEncoding string, err error) ([]byte, string) {
	if utf8.Valid(data) {
		return data, ""
	}
	return data, fmt.Sprintf("corscope: content left %s-encoded: %v", contentEncoding, err)
}

// decoder returns a reader undoing one content coding.
func decoder(coding string, data []byte) (io.Reader, error) {
	switch coding {
	case "gzip", "x-gzip":
		return gzip.NewReader(bytes.NewReader(data))
	case "br":
		// Chrome asks for brotli on every HTTPS request; most CDNs use it.
		return brotli.NewReader(bytes.NewReader(data)), nil
	case "deflate":
		// "deflate" is zlib-wrapped by the RFC, raw DEFLATE by some servers.
		if zr, err := zlib.NewReader(bytes.NewReader(data)); err == nil {
			return zr, nil
		}
		return flate.NewReader(bytes.NewReader(data)), nil
	}
	return nil, fmt.Errorf("unsupported coding %q", coding)
}
