package demo

// Call is one fetch() the demo page makes, and what it demonstrates.
type Call struct {
	// Method and Path are the request, relative to the API's origin.
	Method string
	Path   string
	// Header holds the headers the page's script sets, in order.
	Header [][2]string
	// Body is the request body (JSON), if any.
	Body string
	// Credentials is fetch's credentials: 'include': the browser sends
	// the session cookie the frontend set.
	Credentials bool
	// Mistake says, in a web developer's words, what the server gets
	// wrong on this route; empty for a control that works.
	Mistake string
	// Control describes a call that is configured correctly.
	Control string
	// Want is what Chromium decides: the CDP Network.CorsError name, or
	// "allowed".
	Want string
	// WantParameter is Chromium's failedParameter for Want, with
	// "{page}" standing for the page origin.
	WantParameter string
}

// Allowed is Call.Want for a call the browser lets the page read.
const Allowed = "allowed"

// wrongOrigin is the origin the API allows on /api/users: the production
// site, hard-coded, so that the local dev server is refused.
const wrongOrigin = "https://app.example.com"

const (
	requestID   = "5f0c2a9e-4b1d-4c8e-9a57-1d2f3e4a5b6c"
	bearerToken = "Bearer eyJhbGciOiJIUzI1NiJ9.demo.signature"
	jsonType    = "application/json"
	// sessionCookie is what the frontend sets and what the probe sends
	// for a credentialed call, standing for the browser's cookie jar.
	sessionCookie = "session=3b1e6c0d9f2a"
)

// Calls returns the calls the page makes, in order: the two controls, then
// the planted mistakes.
//
// The last call is the one the live interface has selected when it opens
// (it follows the newest flow), so it is a mistake with much to show: a
// preflight refused by authentication.
//
// The credentialed PUT /api/cart comes before GET /api/status. With
// Chromium the page's own Set-Cookie already shows corscope that the
// browser holds a cookie a credentialed request would carry, so the plain
// GET is decidably allowed; the probe driver loads no page, and there the
// PUT's Cookie header is that evidence (reference/cors.md §7.1).
func Calls() []Call {
	return []Call{
		{
			Method: "PUT", Path: "/api/cart", Credentials: true,
			Header:  [][2]string{{"Content-Type", jsonType}, {"X-Request-Id", requestID}},
			Body:    `{"items":[{"sku":"A-1","qty":2}]}`,
			Control: "a PUT with cookies and custom headers, preflighted and allowed",
			Want:    Allowed,
		},
		{
			Method: "GET", Path: "/api/status",
			Control: "a simple GET, allowed for the page's origin",
			Want:    Allowed,
		},
		{
			Method: "GET", Path: "/api/products",
			Mistake: "no CORS headers at all: the route is not behind the CORS middleware",
			Want:    "MissingAllowOriginHeader",
		},
		{
			Method: "GET", Path: "/api/users",
			Mistake: "Access-Control-Allow-Origin names another origin (production, hard-coded)",
			Want:    "AllowOriginMismatch", WantParameter: wrongOrigin,
		},
		{
			Method: "GET", Path: "/api/orders",
			Mistake: "Access-Control-Allow-Origin has a trailing slash",
			Want:    "AllowOriginMismatch", WantParameter: "{page}/",
		},
		{
			Method: "GET", Path: "/api/me", Credentials: true,
			Mistake: "Access-Control-Allow-Origin: * on a request with cookies",
			Want:    "WildcardOriginNotAllowed",
		},
		{
			Method: "PUT", Path: "/api/users/42",
			Header:  [][2]string{{"Content-Type", jsonType}},
			Body:    `{"name":"Ada Lovelace"}`,
			Mistake: "PUT is not in Access-Control-Allow-Methods (GET, POST)",
			Want:    "MethodDisallowedByPreflightResponse", WantParameter: "PUT",
		},
		{
			Method: "POST", Path: "/api/checkout",
			Header:  [][2]string{{"Content-Type", jsonType}, {"X-Request-Id", requestID}},
			Body:    `{"cart":"current"}`,
			Mistake: "X-Request-Id is not in Access-Control-Allow-Headers",
			Want:    "HeaderDisallowedByPreflightResponse", WantParameter: "x-request-id",
		},
		{
			Method: "DELETE", Path: "/api/cart/items/7",
			Mistake: "the router has no OPTIONS route: the preflight gets 405, CORS headers or not",
			Want:    "PreflightInvalidStatus",
		},
		{
			Method: "PUT", Path: "/api/settings",
			Header:  [][2]string{{"Content-Type", jsonType}},
			Body:    `{"theme":"dark"}`,
			Mistake: "/api/settings redirects to /api/settings/ (301), the preflight too",
			Want:    "PreflightDisallowedRedirect",
		},
		{
			Method: "GET", Path: "/api/invoices",
			Header:  [][2]string{{"Authorization", bearerToken}},
			Mistake: "authentication runs before CORS: the preflight gets 401 without CORS headers",
			Want:    "PreflightMissingAllowOriginHeader",
		},
	}
}

// Describe is the one-line description of the call: its mistake, or what
// the control shows.
func (c Call) Describe() string {
	if c.Mistake != "" {
		return c.Mistake
	}
	return "control: " + c.Control
}
