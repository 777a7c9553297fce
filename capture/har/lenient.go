package har

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/corscope/corscope/capture"
)

// The types below read HAR as tools actually write it, not as the
// specification says: a number may come as a string or null, a string as
// a number, a header as a [name, value] pair, and any member may be
// missing. Only a wrong structure (an object where an array must be) is an
// error, because then there is nothing sensible to read.

// lenientNumber is a JSON number, a numeric string, or anything else,
// which reads as -1 ("unknown" in HAR).
type lenientNumber float64

func (n *lenientNumber) UnmarshalJSON(b []byte) error {
	*n = -1
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		var err error
		if s, err = strconv.Unquote(s); err != nil {
			return nil
		}
		s = strings.TrimSpace(s)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		*n = lenientNumber(f)
	}
	return nil
}

// unknownNumber is the value of a missing lenientNumber member: decoding
// starts from a struct whose numbers are preset to it.
const unknownNumber lenientNumber = -1

// lenientString is a JSON string, or a number or boolean written as its
// text; null, objects and arrays read as "".
type lenientString string

func (s *lenientString) UnmarshalJSON(b []byte) error {
	*s = ""
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		inner := b[1 : len(b)-1]
		if bytes.IndexByte(inner, '\\') < 0 {
			// Fast path: nothing to unescape.
			if utf8.Valid(inner) {
				*s = lenientString(inner)
			} else {
				*s = lenientString(strings.ToValidUTF8(string(inner), "\uFFFD"))
			}
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err == nil {
			*s = lenientString(v)
		}
	case '{', '[', 'n':
	default:
		*s = lenientString(b)
	}
	return nil
}

// lenientHeaders is a header list written as [{"name","value"}…],
// as [[name, value]…] (seen in Slack exports), or as {"name": "value"}.
type lenientHeaders capture.Headers

type nameValue struct {
	Name  lenientString `json:"name"`
	Value lenientString `json:"value"`
}

func (h *lenientHeaders) UnmarshalJSON(b []byte) error {
	*h = nil
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		out := make(lenientHeaders, 0, len(items))
		for _, it := range items {
			it = bytes.TrimSpace(it)
			if len(it) == 0 {
				continue
			}
			switch it[0] {
			case '{':
				var nv nameValue
				if err := json.Unmarshal(it, &nv); err != nil {
					return err
				}
				if nv.Name != "" {
					out = append(out, capture.Header{Name: string(nv.Name), Value: string(nv.Value)})
				}
			case '[':
				var pair []lenientString
				if err := json.Unmarshal(it, &pair); err != nil {
					return err
				}
				if len(pair) >= 1 && pair[0] != "" {
					kv := capture.Header{Name: string(pair[0])}
					if len(pair) >= 2 {
						kv.Value = string(pair[1])
					}
					out = append(out, kv)
				}
			}
		}
		*h = out
	case '{':
		// An object loses repeated names and order; take what it has.
		dec := json.NewDecoder(bytes.NewReader(b))
		_, _ = dec.Token() // the '{' just seen
		var out lenientHeaders
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			var v lenientString
			if err := dec.Decode(&v); err != nil {
				return err
			}
			if name, ok := k.(string); ok && name != "" {
				out = append(out, capture.Header{Name: name, Value: string(v)})
			}
		}
		*h = out
	}
	return nil
}

// The entry as read.

type inEntry struct {
	StartedDateTime lenientString `json:"startedDateTime"`
	Time            lenientNumber `json:"time"`
	Request         inRequest     `json:"request"`
	Response        inResponse    `json:"response"`
	Timings         inTimings     `json:"timings"`
	ServerIPAddress lenientString `json:"serverIPAddress"`
	Comment         lenientString `json:"comment"`
	ResourceType    lenientString `json:"_resourceType"`
	// BrowserRecorded is corscope's own marker of an entry first recorded
	// by the browser (a re-exported DevTools HAR).
	BrowserRecorded lenientString `json:"_browserRecorded"`
	// Marked is corscope's mark (the user marked the flow).
	Marked lenientString `json:"_marked"`
	// Some tools put the failure on the entry rather than the response.
	Error lenientString `json:"_error"`
}

type inRequest struct {
	Method      lenientString   `json:"method"`
	URL         lenientString   `json:"url"`
	HTTPVersion lenientString   `json:"httpVersion"`
	Headers     json.RawMessage `json:"headers"`
	PostData    *inPostData     `json:"postData"`
	BodySize    lenientNumber   `json:"bodySize"`
}

type inPostData struct {
	MimeType lenientString  `json:"mimeType"`
	Text     *lenientString `json:"text"`
	Params   []struct {
		Name  lenientString `json:"name"`
		Value lenientString `json:"value"`
	} `json:"params"`
	Encoding  lenientString `json:"encoding"`
	XEncoding lenientString `json:"_encoding"`
	Comment   lenientString `json:"comment"`
}

type inResponse struct {
	Status      lenientNumber   `json:"status"`
	StatusText  lenientString   `json:"statusText"`
	HTTPVersion lenientString   `json:"httpVersion"`
	Headers     json.RawMessage `json:"headers"`
	Content     inContent       `json:"content"`
	BodySize    lenientNumber   `json:"bodySize"`
	Error       lenientString   `json:"_error"`
}

type inContent struct {
	Size     lenientNumber  `json:"size"`
	MimeType lenientString  `json:"mimeType"`
	Text     *lenientString `json:"text"`
	Encoding lenientString  `json:"encoding"`
	Comment  lenientString  `json:"comment"`
	// File is Playwright's attachment name when bodies are stored next to
	// the HAR (recordHar content: "attach", and .zip archives).
	File lenientString `json:"_file"`
}

type inTimings struct {
	Blocked lenientNumber `json:"blocked"`
	DNS     lenientNumber `json:"dns"`
	Connect lenientNumber `json:"connect"`
	SSL     lenientNumber `json:"ssl"`
	Send    lenientNumber `json:"send"`
	Wait    lenientNumber `json:"wait"`
	Receive lenientNumber `json:"receive"`
}

// newInEntry returns an entry whose numbers read as unknown when missing.
func newInEntry() inEntry {
	u := unknownNumber
	return inEntry{
		Time:     u,
		Request:  inRequest{BodySize: u},
		Response: inResponse{Status: 0, BodySize: u, Content: inContent{Size: u}},
		Timings:  inTimings{Blocked: u, DNS: u, Connect: u, SSL: u, Send: u, Wait: u, Receive: u},
	}
}
