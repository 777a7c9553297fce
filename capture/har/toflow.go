package har

import (
	"encoding/base64"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/corscope/corscope/capture"
)

// dateLayouts are the startedDateTime forms seen in the wild, tried in
// order: RFC 3339 with any fraction, then zone-less and space-separated
// variants (read as UTC), then a zone without a colon.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
}

func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// attachments resolves Playwright's content._file names; nil when the
// HAR stands alone.
type attachments func(name string) ([]byte, bool)

// toFlow converts one read entry into a flow. start is its parsed
// startedDateTime (the caller handles unparseable dates).
func (e *inEntry) toFlow(start time.Time, attach attachments, in interner) capture.Flow {
	f := capture.Flow{
		State:        capture.StateDone,
		Request:      e.Request.toRequest(in),
		ResourceType: string(e.ResourceType),
		Comment:      string(e.Comment),
	}
	f.Response = e.Response.toResponse(attach, in)

	errText := strings.TrimSpace(string(e.Response.Error))
	if errText == "" {
		errText = strings.TrimSpace(string(e.Error))
	}
	switch {
	case errText != "":
		f.State, f.Error, f.ErrorKind = capture.StateFailed, errText, capture.ErrBrowser
	case f.Response == nil:
		f.State, f.Error, f.ErrorKind = capture.StateFailed, "no response (status 0)", capture.ErrBrowser
	}

	f.Timings = importTimings(start, e.Timings, float64(e.Time))
	if f.Response == nil {
		// Nothing came back: there is no first byte, and a request with no
		// send time was never written.
		f.Timings.FirstByte = time.Time{}
		if e.Timings.Send <= 0 {
			f.Timings.WroteRequest = time.Time{}
		}
	}
	f.ServerAddr = serverAddr(string(e.ServerIPAddress), f.Request.URL)
	if f.Response != nil && f.Response.Status == 101 {
		// After a 101 the sizes count the bytes each way of the upgraded
		// connection; there is no body to have kept.
		f.Upgraded = true
		f.Request.Body = capture.NewBody(nil, f.Request.Body.Size, false)
		f.Response.Body = capture.NewBody(nil, f.Response.Body.Size, false)
	}
	return f
}

// normalizeProto turns HAR httpVersion spellings ("http/1.1", "h2",
// "HTTP/2", "h3") into the form the capture uses ("HTTP/1.1", "HTTP/2.0").
func normalizeProto(v string) string {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "h2", "http/2", "http/2.0", "h2c":
		return "HTTP/2.0"
	case "h3", "http/3", "http/3.0", "h3-29", "quic":
		return "HTTP/3.0"
	case "http/1.1":
		return "HTTP/1.1"
	case "http/1.0":
		return "HTTP/1.0"
	}
	return v
}

func (r *inRequest) toRequest(in interner) capture.Request {
	req := capture.Request{
		Method: strings.TrimSpace(string(r.Method)),
		URL:    strings.TrimSpace(string(r.URL)),
		Proto:  normalizeProto(string(r.HTTPVersion)),
		Header: parseHeaders(r.Headers, in),
	}
	if req.Method == "" {
		req.Method = "GET"
	}
	var data []byte
	var comment string
	if pd := r.PostData; pd != nil {
		comment = string(pd.Comment)
		switch {
		case pd.Text != nil:
			data = decodeText(string(*pd.Text), string(pd.Encoding)+string(pd.XEncoding))
		case len(pd.Params) > 0:
			v := make([]string, 0, len(pd.Params))
			for _, p := range pd.Params {
				v = append(v, url.QueryEscape(string(p.Name))+"="+url.QueryEscape(string(p.Value)))
			}
			data = []byte(strings.Join(v, "&"))
		}
	}
	size := int64(r.BodySize)
	if size < 0 {
		switch {
		case len(data) > 0:
			size = int64(len(data))
		case r.PostData == nil:
			size = 0
		}
	}
	req.Body = capture.NewBody(data, size, strings.HasPrefix(comment, truncatedPrefix) || (size > 0 && int64(len(data)) < size && !encoded(req.Header)))
	return req
}

// encoded reports whether the message declares a Content-Encoding, in
// which case sizes on the wire and decoded lengths cannot be compared.
func encoded(h capture.Headers) bool {
	ce := h.Get("Content-Encoding")
	return ce != "" && !strings.EqualFold(ce, "identity")
}

// toResponse returns nil when the entry has no response at all (status 0
// and no headers: the request failed before one arrived).
func (r *inResponse) toResponse(attach attachments, in interner) *capture.Response {
	status := int(r.Status)
	header := parseHeaders(r.Headers, in)
	if status <= 0 && len(header) == 0 {
		return nil
	}
	if status < 0 {
		status = 0
	}
	resp := &capture.Response{
		Status:     status,
		StatusText: string(r.StatusText),
		Proto:      normalizeProto(string(r.HTTPVersion)),
		Header:     header,
	}
	var data []byte
	c := &r.Content
	switch {
	case c.Text != nil:
		data = decodeText(string(*c.Text), string(c.Encoding))
	case c.File != "" && attach != nil:
		data, _ = attach(string(c.File))
	}
	size := int64(r.BodySize)
	isEncoded := encoded(header)
	if size < 0 && !isEncoded && c.Size >= 0 {
		size = int64(c.Size)
	}
	truncated := strings.HasPrefix(string(c.Comment), truncatedPrefix) ||
		(c.Size > 0 && int64(len(data)) < int64(c.Size))
	resp.Body = capture.NewBody(data, size, truncated)
	return resp
}

// decodeText returns a HAR text member as bytes: base64 when the encoding
// says so and it decodes, the text itself otherwise.
func decodeText(text, encoding string) []byte {
	if strings.Contains(strings.ToLower(encoding), "base64") {
		if b, err := base64.StdEncoding.DecodeString(text); err == nil {
			return b
		}
		if b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(text, "=")); err == nil {
			return b
		}
		if b, err := base64.URLEncoding.DecodeString(text); err == nil {
			return b
		}
	}
	return []byte(text)
}

// serverAddr joins serverIPAddress with the URL's port, giving the
// address the client connected to.
func serverAddr(ip, rawURL string) string {
	ip = strings.Trim(strings.TrimSpace(ip), "[]")
	if ip == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(ip); err == nil && strings.Count(ip, ":") == 1 {
		return ip // already host:port
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return ip
	}
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https", "wss":
			port = "443"
		case "http", "ws":
			port = "80"
		default:
			return ip
		}
	}
	return net.JoinHostPort(ip, port)
}
