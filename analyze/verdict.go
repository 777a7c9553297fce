// Package analyze decides, for every recorded flow, what a browser decided
// about CORS: the verdict, Chromium's error name and console line, the
// headers at fault, the preflight ↔ actual pairing, warnings, and the fix.
//
// The package is pure: flows in, verdicts out. It does no I/O (except the
// probe client, which goes through an http.RoundTripper), reads no clock and
// keeps no global state. reference/cors.md is its specification.
package analyze

import "github.com/corscope/corscope/capture"

// Kind is the overall outcome for one flow.
type Kind string

const (
	// KindNotCORS: the browser did no CORS check (no Origin, same-origin,
	// navigation, no-cors, WebSocket).
	KindNotCORS Kind = "not-cors"
	// KindAllowed: the CORS checks pass.
	KindAllowed Kind = "allowed"
	// KindBlocked: a CORS check fails; Error names which.
	KindBlocked Kind = "blocked"
	// KindUndecidable: the outcome depends on something the wire does not
	// show; DependsOn says what.
	KindUndecidable Kind = "undecidable"
	// KindPending: the flow has no response yet.
	KindPending Kind = "pending"
	// KindFailed: a network failure (refused, DNS, TLS, reset…), not CORS.
	KindFailed Kind = "failed"
)

// Role is the part a flow plays in CORS.
type Role string

const (
	RolePreflight Role = "preflight" // an OPTIONS preflight
	RoleActual    Role = "actual"    // a request that needed (and had or skipped) a preflight
	RoleSimple    Role = "simple"    // a CORS request that needs no preflight
	RoleNotCORS   Role = "not-cors"  // no CORS involved
)

// Side says which half of an exchange a header belongs to.
type Side string

const (
	SideRequest  Side = "request"
	SideResponse Side = "response"
)

// HeaderRef points at a header that decided the verdict: present and wrong,
// or missing (a ghost line in the UI).
type HeaderRef struct {
	Flow    capture.FlowID // the flow whose message holds (or lacks) it
	Side    Side
	Name    string // canonical spelling, e.g. "Access-Control-Allow-Origin"
	Value   string // the value seen, joined with ", " when repeated
	Missing bool   // the header is absent and needed
	// Want is what would have passed, in words or as a value
	// (e.g. "http://localhost:3000" or "true").
	Want string
}

// Warning is a dangerous or wasteful configuration the browser allowed (or
// a note on a blocked flow), per reference/cors.md §6.
type Warning struct {
	Code    string // stable identifier, e.g. "reflected-origin-with-credentials"
	Message string // one plain sentence
	Header  string // the header concerned, if any
}

// Credentials is what the wire says about the request's credentials mode.
type Credentials string

const (
	CredInclude Credentials = "include" // cookies or browser-added auth were sent
	CredOmitted Credentials = "omitted" // known not to be include
	CredUnknown Credentials = "unknown" // the wire cannot tell
)

// Verdict is the analysis of one flow.
type Verdict struct {
	Flow capture.FlowID
	Kind Kind
	Role Role

	// Error is the Chromium CDP Network.CorsError name
	// (e.g. "PreflightMissingAllowOriginHeader"), empty unless blocked.
	Error string
	// FailedParameter is filled exactly as Chromium fills it.
	FailedParameter string
	// Console is the line Chromium prints to the console, current wording.
	Console string
	// Firefox is Firefox's reason name (e.g. "CORSMissingAllowOrigin").
	Firefox string
	// Explanation says in plain words what happened and why.
	Explanation string
	// DependsOn, for undecidable verdicts, says what the outcome hinges on.
	// It is also set on a blocked verdict whose CorsError (not whether it
	// is blocked) depends on something the wire does not show.
	DependsOn string
	// Alternatives lists, when DependsOn is set, each possible outcome and
	// the condition under which Chromium would reach it.
	Alternatives []Alternative

	Headers  []HeaderRef
	Warnings []Warning

	// Pair is the other half of a preflight ↔ actual pair, 0 if none.
	Pair capture.FlowID
	// NeverSent is set on a preflight whose actual request the browser never
	// sent (because the preflight failed).
	NeverSent bool
	// FromPreflightCache is set on an actual request that needed a
	// preflight but had none on the wire: the browser's preflight cache
	// answered.
	FromPreflightCache bool
	// CachedFrom is, for FromPreflightCache, the earlier preflight whose
	// cached result covers this request in corscope's model of Chromium's
	// preflight cache; 0 when the capture holds none (it happened before
	// the capture started, or the client is not a browser).
	CachedFrom capture.FlowID

	// Classification, as far as the wire shows it.
	Origin         string // the Origin header sent, "" if none
	CrossOrigin    bool
	SameSite       bool
	Mode           string // Sec-Fetch-Mode or inferred: "cors", "no-cors", "navigate", …; "" unknown
	Credentials    Credentials
	NeedsPreflight bool
	// UnsafeHeaders are the CORS-unsafe request header names, lower-cased
	// and sorted as Chromium lists them in Access-Control-Request-Headers.
	UnsafeHeaders []string
	// Method is the method the CORS checks concern (for a preflight, its
	// Access-Control-Request-Method).
	Method string

	// Fix is what a working server configuration must allow, filled for
	// blocked and undecidable flows and for allowed flows with warnings;
	// nil otherwise.
	Fix *FixSpec
}

// Alternative is one possible outcome of a verdict that depends on what
// the wire does not show (the credentials or request mode).
type Alternative struct {
	If string // the condition, e.g. "the page used credentials: 'include'"
	// Credentials is the credentials mode the condition assumes
	// (CredInclude or CredOmitted), "" when it is about something else
	// (the request mode).
	Credentials     Credentials
	Kind            Kind
	Error           string
	FailedParameter string
	Console         string
}

// Label is the short text for a list badge: the CorsError name when
// blocked, otherwise the kind.
func (v Verdict) Label() string {
	if v.Error != "" {
		return v.Error
	}
	return string(v.Kind)
}

// FixSpec is what the server must allow for the observed exchange to pass.
// Snippets for each framework are rendered from it by Fixes.
type FixSpec struct {
	Origin      string   // the exact page origin to allow, never "*" with credentials
	Methods     []string // methods to allow (as sent, case kept)
	Headers     []string // request headers to allow, lower-case
	Expose      []string // response headers the script likely reads, to expose
	Credentials bool     // Access-Control-Allow-Credentials: true needed
	MaxAge      int      // seconds to cache the preflight; 0 leaves it out
	// Path is the request path, for frameworks configured per route.
	Path string
	// PreflightUnhandled is set when the OPTIONS was answered by routing
	// or auth (401/403/404/405 without CORS headers): the CORS layer must
	// run before them.
	PreflightUnhandled bool
	// BothLocal is set when page and API are both on localhost, so a
	// dev-server proxy is an alternative to CORS.
	BothLocal bool
	// APIOrigin is the origin of the API the page calls.
	APIOrigin string
	// Tainted is set when the request reached this server through a
	// redirect across origins, so the browser sent "Origin: null"
	// (reference/cors.md §2e step 7). No CORS setting here fixes that
	// safely: allowing null lets every sandboxed iframe and data: page
	// in. The fix is to avoid the cross-origin redirect (call the final
	// URL directly, or redirect within one origin); Fixes renders only
	// that. Origin is then the page's origin, which the final server
	// must allow once the page calls it directly.
	Tainted bool
	// Chain is, for a tainted request, the URLs of its redirect chain:
	// the one the page called first, the one sending Origin: null last.
	Chain []string
}

// Fix is one framework's snippet.
type Fix struct {
	Framework string // stable key, e.g. "express", "nginx"
	Title     string // e.g. "Express (cors package)"
	Language  string // for highlighting: "js", "python", "nginx", "go", …
	Snippet   string // paste-ready text
	Note      string // where it goes, one or two sentences
}
