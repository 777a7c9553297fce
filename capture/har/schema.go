package har

// The types below are the HAR 1.2 objects as corscope writes them. Field
// order follows the specification so files diff well; members HAR requires
// have no omitempty, optional ones do.

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harNameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harCookie struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path,omitempty"`
	Domain   string `json:"domain,omitempty"`
	Expires  string `json:"expires,omitempty"`
	HTTPOnly bool   `json:"httpOnly,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
	SameSite string `json:"sameSite,omitempty"`
}

type harPostData struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	// Encoding is not in HAR 1.2 for postData; a binary request body is
	// written as base64 and marked with this custom field so it can be read
	// back without guessing.
	Encoding string `json:"_encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

type harRequest struct {
	Method      string         `json:"method"`
	URL         string         `json:"url"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []harCookie    `json:"cookies"`
	Headers     []harNameValue `json:"headers"`
	QueryString []harNameValue `json:"queryString"`
	PostData    *harPostData   `json:"postData,omitempty"`
	HeadersSize int64          `json:"headersSize"`
	BodySize    int64          `json:"bodySize"`
}

type harContent struct {
	Size        int64  `json:"size"`
	Compression *int64 `json:"compression,omitempty"`
	MimeType    string `json:"mimeType"`
	Text        string `json:"text,omitempty"`
	Encoding    string `json:"encoding,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

type harResponse struct {
	Status      int            `json:"status"`
	StatusText  string         `json:"statusText"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []harCookie    `json:"cookies"`
	Headers     []harNameValue `json:"headers"`
	Content     harContent     `json:"content"`
	RedirectURL string         `json:"redirectURL"`
	HeadersSize int64          `json:"headersSize"`
	BodySize    int64          `json:"bodySize"`
	// Error is Chrome's and mitmproxy's custom field for a failed load.
	Error string `json:"_error,omitempty"`
}

// harTimings are milliseconds; -1 means "does not apply / unknown" for the
// optional phases. send, wait and receive are required and never negative.
type harTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
	SSL     float64 `json:"ssl"`
}

type harEntry struct {
	StartedDateTime string      `json:"startedDateTime"`
	Time            float64     `json:"time"`
	Request         harRequest  `json:"request"`
	Response        harResponse `json:"response"`
	Cache           struct{}    `json:"cache"`
	Timings         harTimings  `json:"timings"`
	ServerIPAddress string      `json:"serverIPAddress,omitempty"`
	Comment         string      `json:"comment,omitempty"`
	// ResourceType is Chrome's custom field (document, fetch, xhr,
	// preflight, websocket, …).
	ResourceType string `json:"_resourceType,omitempty"`
	// BrowserRecorded is corscope's custom field keeping
	// capture.Flow.BrowserRecorded through a re-export: the entry came
	// from the browser's own recording, whose failed loads carry _error.
	BrowserRecorded bool `json:"_browserRecorded,omitempty"`
	// Marked is corscope's custom field for capture.Flow.Marked: the user
	// marked the flow in the interface.
	Marked bool `json:"_marked,omitempty"`
}
