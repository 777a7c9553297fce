package har

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/corscope/corscope/capture"
)

// dateLayout is ISO 8601 with milliseconds and a zone, the form Chrome
// writes and every importer parses.
const dateLayout = "2006-01-02T15:04:05.000Z07:00"

// buildEntry converts one flow into a HAR entry.
func buildEntry(f capture.Flow, opts Options) harEntry {
	start := f.Timings.Start
	if start.IsZero() {
		// HAR requires a date; a flow without one is dated at the epoch
		// rather than dropped.
		start = time.Unix(0, 0)
	}
	t := exportTimings(f.Timings)
	ent := harEntry{
		StartedDateTime: start.UTC().Format(dateLayout),
		Time:            t.total(),
		Request:         buildRequest(f.Request, opts),
		Response:        buildResponse(f, opts),
		Timings:         t,
		ServerIPAddress: serverIP(f.ServerAddr),
		Comment:         f.Comment,
		ResourceType:    resourceType(f),
		BrowserRecorded: f.BrowserRecorded,
		Marked:          f.Marked,
	}
	return ent
}

// resourceType is Flow.ResourceType when known. Otherwise a preflight is
// recognised on the wire (OPTIONS with Origin and
// Access-Control-Request-Method, the same test Chromium's request shape
// implies) and marked "preflight" as Chrome marks it; an upgraded
// connection is a "websocket". Nothing else is guessed: fetch and
// XMLHttpRequest look the same on the wire.
func resourceType(f capture.Flow) string {
	if f.ResourceType != "" {
		return f.ResourceType
	}
	if IsPreflight(f.Request) {
		return "preflight"
	}
	if f.Upgraded {
		return "websocket"
	}
	return ""
}

// IsPreflight reports whether r looks like a CORS preflight on the wire.
func IsPreflight(r capture.Request) bool {
	return r.Method == "OPTIONS" && r.Header.Has("Origin") && r.Header.Has("Access-Control-Request-Method")
}

func serverIP(addr string) string {
	if addr == "" {
		return ""
	}
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return strings.Trim(addr, "[]")
}

// secretHeaders are the headers whose values are redacted by default.
func isSecretHeader(name string) bool {
	return strings.EqualFold(name, "Cookie") || strings.EqualFold(name, "Set-Cookie") ||
		strings.EqualFold(name, "Authorization") || strings.EqualFold(name, "Proxy-Authorization")
}

func buildHeaders(h capture.Headers, opts Options) []harNameValue {
	out := make([]harNameValue, len(h))
	for i, kv := range h {
		v := kv.Value
		if !opts.IncludeSecrets && isSecretHeader(kv.Name) {
			v = Redacted
		}
		out[i] = harNameValue{Name: kv.Name, Value: v}
	}
	return out
}

func buildRequest(r capture.Request, opts Options) harRequest {
	req := harRequest{
		Method:      r.Method,
		URL:         r.URL,
		HTTPVersion: r.Proto,
		Cookies:     requestCookies(r.Header, opts),
		Headers:     buildHeaders(r.Header, opts),
		QueryString: queryString(r.URL),
		HeadersSize: -1,
		BodySize:    r.Body.Size,
	}
	if req.BodySize < -1 {
		req.BodySize = -1
	}
	data, lost := bodyData("request", r.Body)
	if len(data) > 0 || r.Body.Size > 0 {
		pd := &harPostData{MimeType: r.Header.Get("Content-Type")}
		text, enc := bodyText(data)
		pd.Text, pd.Encoding = text, enc
		pd.Comment = joinNotes(truncationNote("request", r.Body), lost)
		req.PostData = pd
	}
	return req
}

// queryString lists the query parameters of rawURL in order, decoded as
// HAR viewers expect. A query that does not parse is listed raw.
func queryString(rawURL string) []harNameValue {
	out := []harNameValue{}
	u, err := url.Parse(rawURL)
	if err != nil || u.RawQuery == "" {
		return out
	}
	for _, part := range strings.Split(u.RawQuery, "&") {
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if v, err := url.QueryUnescape(value); err == nil {
			value = v
		}
		out = append(out, harNameValue{Name: name, Value: value})
	}
	return out
}

func buildResponse(f capture.Flow, opts Options) harResponse {
	resp := harResponse{
		Cookies:     []harCookie{},
		Headers:     []harNameValue{},
		HeadersSize: -1,
		BodySize:    -1,
		Content:     harContent{Size: 0, MimeType: "x-unknown"},
		HTTPVersion: "",
	}
	if f.State == capture.StateFailed {
		resp.Error = f.Error
		if resp.Error == "" {
			resp.Error = "failed"
		}
	}
	r := f.Response
	if r == nil {
		// No response: Chrome writes status 0 with empty members.
		resp.BodySize = 0
		return resp
	}
	resp.Status = r.Status
	resp.StatusText = r.StatusText
	resp.HTTPVersion = r.Proto
	resp.Cookies = responseCookies(r.Header, opts)
	resp.Headers = buildHeaders(r.Header, opts)
	resp.RedirectURL = r.Header.Get("Location")
	resp.BodySize = r.Body.Size
	if resp.BodySize < -1 {
		resp.BodySize = -1
	}
	if mt := r.Header.Get("Content-Type"); mt != "" {
		resp.Content.MimeType = mt
	}
	resp.Content = buildContent(r, resp.Content.MimeType)
	return resp
}

// buildContent fills response.content: the decoded body (HAR wants the
// content after Content-Encoding is undone), its size and how many bytes
// the encoding saved.
func buildContent(r *capture.Response, mimeType string) harContent {
	c := harContent{MimeType: mimeType}
	data, lost := bodyData("response", r.Body)
	decoded, note := decodeContent(r.Header.Get("Content-Encoding"), data, r.Body.Truncated)
	switch {
	case r.Body.Truncated:
		// The full decoded size is unknown: report what is known.
		c.Size = int64(len(decoded))
		if r.Body.Size > c.Size && len(decoded) == len(data) {
			c.Size = r.Body.Size
		}
	case r.Body.Size < 0 && len(data) == 0:
		c.Size = 0
	default:
		c.Size = int64(len(decoded))
		if len(decoded) != len(data) && r.Body.Size >= 0 {
			saved := int64(len(decoded)) - r.Body.Size
			c.Compression = &saved
		}
	}
	c.Text, c.Encoding = bodyText(decoded)
	c.Comment = joinNotes(joinNotes(truncationNote("response", r.Body), note), lost)
	return c
}

// bodyData returns the kept bytes of b. A body kept on disk can fail to
// read back (its spill file removed, or the flow evicted while a live export
// runs); the entry is still written, without the body, and its comment says
// why rather than passing an empty body off as the real one.
func bodyData(side string, b capture.Body) (data []byte, note string) {
	data, err := b.Data()
	if err != nil {
		return nil, fmt.Sprintf("corscope: the %s body could not be read back (%v); it is left out", side, err)
	}
	return data, ""
}

// bodyText returns data as HAR text: the text itself when it is UTF-8
// without NUL bytes, base64 otherwise.
func bodyText(data []byte) (text, encoding string) {
	if len(data) == 0 {
		return "", ""
	}
	if utf8.Valid(data) && !containsNUL(data) {
		return string(data), ""
	}
	return base64.StdEncoding.EncodeToString(data), "base64"
}

func containsNUL(b []byte) bool {
	for _, c := range b {
		if c == 0 {
			return true
		}
	}
	return false
}

// truncatedPrefix starts the comment that marks a body cut by --max-body;
// the importer recognises it to restore Body.Truncated.
const truncatedPrefix = "corscope: body truncated"

func truncationNote(side string, b capture.Body) string {
	if !b.Truncated {
		return ""
	}
	if b.Size >= 0 {
		return fmt.Sprintf("%s: kept %d of %d bytes of the %s body", truncatedPrefix, b.Kept(), b.Size, side)
	}
	return fmt.Sprintf("%s: kept %d bytes of the %s body", truncatedPrefix, b.Kept(), side)
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
