package har

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/corscope/corscope/capture"
)

// Options control what Write puts in a HAR file.
type Options struct {
	// Creator and Version fill log.creator ("corscope" and its version).
	// Empty values are written as "corscope" and "dev".
	Creator, Version string
	// IncludeSecrets keeps the values of Cookie, Set-Cookie, Authorization
	// and Proxy-Authorization headers and of the cookies parsed from them.
	// By default they are replaced by "[redacted]"; the headers themselves
	// stay, because their presence matters to the analysis.
	IncludeSecrets bool
	// Extra returns custom fields to add to entry i (0-based, in the order
	// the flows are written), e.g. {"_cors": …}. Keys must start with an
	// underscore, as HAR requires of custom fields; a key that names a
	// field Write fills itself (such as "_resourceType") replaces it.
	// nil adds nothing.
	Extra func(i int, f capture.Flow) map[string]any
}

// Redacted replaces secret header and cookie values unless
// Options.IncludeSecrets is set.
const Redacted = "[redacted]"

func (o Options) creator() harCreator {
	c := harCreator{Name: o.Creator, Version: o.Version}
	if c.Name == "" {
		c.Name = "corscope"
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	return c
}

// Encoder writes a HAR file one entry at a time, so a capture of any size
// is written with the memory of one entry. The log header is written on
// the first Encode (or by Close for an empty log); Close writes the end of
// the file and must be called for the output to be valid JSON.
type Encoder struct {
	w     *bufio.Writer
	opts  Options
	n     int
	buf   bytes.Buffer
	json  *json.Encoder
	begun bool
	err   error
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer, opts Options) *Encoder {
	e := &Encoder{w: bufio.NewWriterSize(w, 64<<10), opts: opts}
	e.json = json.NewEncoder(&e.buf)
	// Bodies and URLs are not HTML: keep <, > and & readable.
	e.json.SetEscapeHTML(false)
	return e
}

func (e *Encoder) begin() {
	if e.begun || e.err != nil {
		return
	}
	e.begun = true
	e.buf.Reset()
	if err := e.json.Encode(e.opts.creator()); err != nil {
		e.err = err
		return
	}
	// One entry per line: greppable and diffable, still streamable.
	_, e.err = fmt.Fprintf(e.w, "{\"log\":{\"version\":\"1.2\",\"creator\":%s,\"pages\":[],\"entries\":[",
		bytes.TrimRight(e.buf.Bytes(), "\n"))
}

// Encode writes f as the next entry.
func (e *Encoder) Encode(f capture.Flow) error {
	e.begin()
	if e.err != nil {
		return e.err
	}
	var extra map[string]any
	if e.opts.Extra != nil {
		extra = e.opts.Extra(e.n, f)
	}
	ent := buildEntry(f, e.opts)
	if _, ok := extra["_resourceType"]; ok {
		ent.ResourceType = ""
	}
	e.buf.Reset()
	if err := e.json.Encode(&ent); err != nil {
		e.err = fmt.Errorf("har: encoding flow %d: %w", f.ID, err)
		return e.err
	}
	line := bytes.TrimRight(e.buf.Bytes(), "\n")
	if len(extra) > 0 {
		line, e.err = e.appendExtra(line, extra, f)
		if e.err != nil {
			return e.err
		}
	}
	if e.n > 0 {
		e.w.WriteByte(',')
	}
	e.w.WriteByte('\n')
	if _, err := e.w.Write(line); err != nil {
		e.err = err
		return err
	}
	e.n++
	return nil
}

// appendExtra splices the extra fields into the encoded entry object, in
// sorted key order so the output is deterministic.
func (e *Encoder) appendExtra(entry []byte, extra map[string]any, f capture.Flow) ([]byte, error) {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !strings.HasPrefix(k, "_") {
			return nil, fmt.Errorf("har: extra field %q for flow %d: custom HAR fields must start with '_'", k, f.ID)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := append([]byte(nil), entry[:len(entry)-1]...) // drop the closing '}'
	for _, k := range keys {
		var kv bytes.Buffer
		enc := json.NewEncoder(&kv)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		if err := enc.Encode(extra[k]); err != nil {
			return nil, fmt.Errorf("har: extra field %q for flow %d: %w", k, f.ID, err)
		}
		parts := bytes.SplitN(kv.Bytes(), []byte("\n"), 2)
		out = append(out, ',')
		out = append(out, parts[0]...)
		out = append(out, ':')
		out = append(out, bytes.TrimRight(parts[1], "\n")...)
	}
	return append(out, '}'), nil
}

// Close ends the log and flushes. It does not close the underlying writer.
func (e *Encoder) Close() error {
	e.begin()
	if e.err != nil {
		return e.err
	}
	if e.n > 0 {
		e.w.WriteByte('\n')
	}
	e.w.WriteString("]}}\n")
	e.err = e.w.Flush()
	if e.err == nil {
		e.err = errClosed
		return nil
	}
	return e.err
}

var errClosed = fmt.Errorf("har: encoder already closed")

// Write writes flows as a HAR 1.2 log to w, in the order given.
func Write(w io.Writer, flows []capture.Flow, opts Options) error {
	enc := NewEncoder(w, opts)
	for _, f := range flows {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return enc.Close()
}

// WriteFile writes flows to path atomically: the log goes to a temporary
// file in the same directory, which is synced and then renamed over path,
// so a reader never sees half a file and a failure leaves any previous
// file in place. A new file is created with mode 0600, because a capture
// can hold tokens in URLs and bodies even with secrets redacted; an
// existing file keeps its mode.
func WriteFile(path string, flows []capture.Flow, opts Options) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("har: cannot write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if st, statErr := os.Stat(path); statErr == nil && st.Mode().IsRegular() {
		if err = tmp.Chmod(st.Mode().Perm()); err != nil {
			return fmt.Errorf("har: cannot write %s: %w", path, err)
		}
	}
	if err = Write(tmp, flows, opts); err != nil {
		return fmt.Errorf("har: writing %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("har: writing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("har: writing %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("har: cannot write %s: %w", path, err)
	}
	// Make the rename itself durable; not every platform can sync a
	// directory, and the file is complete either way.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
