package har

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corscope/corscope/capture"
)

// ReadFile reads the HAR file at path. It accepts plain, gzip- or
// zlib-compressed (.har.gz, mitmproxy .zhar) HAR, and Playwright .zip
// archives (the HAR inside, bodies from the attached files).
func ReadFile(path string) ([]capture.Flow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	flows, err := read(f)
	if err != nil {
		return flows, fmt.Errorf("%s: %w", path, err)
	}
	return flows, nil
}

// Read reads a HAR log from r. Flows come back with IDs 1..n in order of
// startedDateTime (entries with equal times keep their file order), State
// Done, or Failed with ErrorKind ErrBrowser for entries with an _error or
// no response. corscope's own _cors fields are ignored: verdicts are
// always recomputed.
//
// When the input breaks inside log.entries, the flows read before the
// break are returned together with the *SyntaxError.
func Read(r io.Reader) ([]capture.Flow, error) {
	return read(r)
}

func read(r io.Reader) ([]capture.Flow, error) {
	in, err := openInput(r)
	if err != nil {
		return nil, err
	}
	if in.zip != nil {
		return readZip(in)
	}
	return decodeLog(in, nil)
}

// walker walks the top of the HAR structure token by token and decodes
// each entry on its own, so only one entry's JSON is held at a time.
type walker struct {
	in  *input
	dec *json.Decoder
	// browser: log.creator says the browser itself wrote the file.
	browser bool
}

// browserCreator reports a log.creator.name of a browser's own HAR export
// whose entries carry every failed load as _error. Chrome and Edge
// DevTools write "WebInspector". Firefox and Safari exports, and every
// proxy or converter, are not known to, so they do not count.
func browserCreator(name string) bool {
	return strings.TrimSpace(name) == "WebInspector"
}

// decodeLog reads {"log": {…, "entries": [ … ]}} from in.
func decodeLog(in *input, attach attachments) ([]capture.Flow, error) {
	w := &walker{in: in, dec: json.NewDecoder(in.text)}
	var flows []capture.Flow

	if err := w.expectDelim('{', "", `a HAR file (a JSON object with a "log" member)`); err != nil {
		return nil, err
	}
	sawLog := false
	for w.dec.More() {
		key, err := w.key("")
		if err != nil {
			return flows, err
		}
		if key != "log" || sawLog {
			if err := w.skip(key); err != nil {
				return flows, err
			}
			continue
		}
		sawLog = true
		if err := w.expectDelim('{', "log", `an object with "version", "creator" and "entries"`); err != nil {
			return nil, err
		}
		sawEntries := false
		for w.dec.More() {
			k, err := w.key("log")
			if err != nil {
				return flows, err
			}
			if k == "creator" {
				if err := w.creator(); err != nil {
					return flows, err
				}
				if w.browser {
					// The creator may follow the entries.
					markBrowserRecorded(flows)
				}
				continue
			}
			if k != "entries" || sawEntries {
				if err := w.skip("log." + k); err != nil {
					return flows, err
				}
				continue
			}
			sawEntries = true
			flows, err = w.entries(attach)
			if err != nil {
				return finish(flows), err
			}
		}
		if err := w.expectDelim('}', "log", "the end of the log object"); err != nil {
			return finish(flows), err
		}
		if !sawEntries {
			return nil, w.errorf(w.dec.InputOffset(), "log", nil, `no "entries" array: expected log.entries, the list of requests`)
		}
	}
	if err := w.expectDelim('}', "", "the end of the file's object"); err != nil {
		return finish(flows), err
	}
	if !sawLog {
		return nil, w.errorf(0, "", nil, `no "log" member: a HAR file is a JSON object {"log": {"entries": [...]}}`)
	}
	return finish(flows), nil
}

// entries decodes log.entries one element at a time.
func (w *walker) entries(attach attachments) ([]capture.Flow, error) {
	var flows []capture.Flow
	if err := w.expectDelim('[', "log.entries", "an array of entries"); err != nil {
		return nil, err
	}
	var prev time.Time
	in := interner{}
	for i := 0; w.dec.More(); i++ {
		path := "log.entries[" + strconv.Itoa(i) + "]"
		at := w.dec.InputOffset()
		e := newInEntry()
		if err := w.dec.Decode(&e); err != nil {
			return flows, w.decodeError(err, at, path)
		}
		start, ok := parseDate(string(e.StartedDateTime))
		if !ok {
			// Keep the entry where it stands among its neighbours.
			start = prev
		}
		prev = start
		f := e.toFlow(start, attach, in)
		f.BrowserRecorded = w.browser || string(e.BrowserRecorded) == "true"
		f.Marked = string(e.Marked) == "true"
		flows = append(flows, f)
	}
	if err := w.expectDelim(']', "log.entries", "the end of the entries array"); err != nil {
		return flows, err
	}
	return flows, nil
}

// creator reads log.creator; a malformed one is ignored like any other
// member the import does not need.
func (w *walker) creator() error {
	at := w.dec.InputOffset()
	var raw json.RawMessage
	if err := w.dec.Decode(&raw); err != nil {
		return w.decodeError(err, at, "log.creator")
	}
	var c struct {
		Name lenientString `json:"name"`
	}
	if json.Unmarshal(raw, &c) == nil && browserCreator(string(c.Name)) {
		w.browser = true
	}
	return nil
}

func markBrowserRecorded(flows []capture.Flow) {
	for i := range flows {
		flows[i].BrowserRecorded = true
	}
}

// finish orders flows by start time (stably) and numbers them 1..n. HAR
// files are nearly always in order already, so the common case neither
// moves nor copies a flow.
func finish(flows []capture.Flow) []capture.Flow {
	byStart := func(a, b capture.Flow) int { return a.Timings.Start.Compare(b.Timings.Start) }
	if !slices.IsSortedFunc(flows, byStart) {
		slices.SortStableFunc(flows, byStart)
	}
	for i := range flows {
		flows[i].ID = capture.FlowID(i + 1)
	}
	return flows
}

func (w *walker) expectDelim(want json.Delim, path, what string) error {
	at := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return w.decodeError(err, at, path)
	}
	if d, ok := tok.(json.Delim); ok && d == want {
		return nil
	}
	return w.errorf(w.valueStart(at, true), path, nil, "expected %s, found %s", what, describe(tok))
}

// valueStart returns the offset of the next value after at, skipping
// whitespace and a ',' or ':' (and, if alsoSpace, the whitespace after
// them), using the bytes the tracker kept.
func (w *walker) valueStart(at int64, alsoSpace bool) int64 {
	b := w.in.from(at)
	i := 0
	skipSpace := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
	}
	skipSpace()
	if i < len(b) && (b[i] == ',' || b[i] == ':') {
		i++
		if alsoSpace {
			skipSpace()
		}
	}
	return at + int64(i)
}

// syntaxOffset finds the exact offset of a JSON syntax error in the value
// that starts after at. The decoder's own SyntaxError.Offset counts only
// the bytes its Decode calls scanned, not the stream, so the value is
// scanned again from the kept bytes; the decoder's offset is the fallback.
func (w *walker) syntaxOffset(se *json.SyntaxError, at int64) int64 {
	start := w.valueStart(at, true)
	if b := w.in.from(start); b != nil {
		var v json.RawMessage
		err := json.NewDecoder(bytes.NewReader(b)).Decode(&v)
		var again *json.SyntaxError
		if errors.As(err, &again) {
			return start + again.Offset - 1
		}
	}
	return se.Offset
}

func (w *walker) key(path string) (string, error) {
	at := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		return "", w.decodeError(err, at, path)
	}
	k, ok := tok.(string)
	if !ok {
		return "", w.errorf(w.valueStart(at, true), path, nil, "expected a member name, found %s", describe(tok))
	}
	return k, nil
}

// skip passes over one value without keeping it (pages, creator, …).
func (w *walker) skip(path string) error {
	depth := 0
	for {
		at := w.dec.InputOffset()
		tok, err := w.dec.Token()
		if err != nil {
			return w.decodeError(err, at, path)
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return "an object"
		case '[':
			return "an array"
		}
		return fmt.Sprintf("%q", string(v))
	case string:
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		return fmt.Sprintf("the string %q", v)
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("%t", v)
	case float64:
		return "the number " + strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprintf("%v", tok)
}

// decodeError turns a decoder error into a *SyntaxError with the offset
// in the input. at is where the value being read began.
func (w *walker) decodeError(err error, at int64, path string) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return w.errorf(w.syntaxOffset(se, at), path, err, "%s: the file is not valid JSON", se.Error())
	case errors.As(err, &te):
		where := path
		if te.Field != "" {
			where = path + "." + te.Field
		}
		return w.errorf(w.valueStart(at, false)+te.Offset, where, err, "expected %s, found %s", goTypeName(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return w.errorf(w.in.consumed(), path, err, "the file ends in the middle of the HAR: it was cut short (an interrupted download or copy?)")
	}
	var ie *inputError
	if errors.As(err, &ie) {
		return err
	}
	return w.errorf(w.dec.InputOffset(), path, err, "%v", err)
}

func goTypeName(kind string) string {
	switch kind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	}
	return "a number"
}

func (w *walker) errorf(offset int64, path string, err error, format string, args ...any) error {
	e := &SyntaxError{Offset: offset, Path: path, Msg: fmt.Sprintf(format, args...), Err: err}
	w.in.locate(e)
	return e
}
