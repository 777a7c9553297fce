package agreement

import "strings"

// A scenario is one thing a page does (one or more requests, run one after
// the other), how the servers answer, and what Chromium 156 decides about it.
//
// Want pins the scenario's intent (cors.md Appendix A and §2): when Chromium
// disagrees with it, the table is wrong or Chromium changed, and the suite
// says so. The agreement itself is always checked against what Chromium
// actually did, never against Want.
type scenario struct {
	ID     string // first path segment of every URL it uses; unique
	Name   string // the behaviour it pins
	Page   string // the document's origin role; "" = rolePage
	Steps  []step
	Routes []route
	Want   want

	// Preflights, when set, is the number of OPTIONS requests Chromium
	// must send (checked in both runs).
	Preflights *int
	// CacheHits, when set, is the number of actual requests corscope must
	// mark FromPreflightCache.
	CacheHits *int
	// WireInvisible says why nothing of this scenario reaches the network
	// (Blink refuses it first); corscope must then have recorded nothing.
	WireInvisible string
	// MayBeUndecidable says why the wire cannot show what Chromium's
	// decision depends on (cors.md §7). corscope may then answer
	// undecidable; a definite verdict must still agree with Chromium.
	MayBeUndecidable string
}

// step is one request the page makes.
type step struct {
	To          string // origin role; "" = roleAPI
	Path        string // after /ID/; "" = "x"
	Method      string // "" = GET; sent as written ("patch" stays lower case)
	Headers     [][2]string
	Credentials string // fetch credentials: "", "include", "omit"
	Mode        string // fetch mode: "", "no-cors", "same-origin"
	Cache       string // fetch cache mode
	Body        string
	BlobType    string // send Body as a Blob of this type
	Stream      bool   // send Body as a ReadableStream (forces a preflight)
	XHR         bool   // use XMLHttpRequest instead of fetch
	WithCreds   bool   // XHR withCredentials
	Upload      bool   // XHR with an upload listener (forces a preflight)
}

// route is how one server answers one kind of request of a scenario.
type route struct {
	On       string // role; "" = roleAPI
	Path     string // after /ID/; "" = "x"
	Method   string // "" = any method but OPTIONS; "OPTIONS" = the preflight
	Status   int    // 0 = 200
	Header   [][2]string
	Location string // template; sets Location
}

// want is a verdict: Kind "blocked" with a CorsError and its
// failedParameter, "allowed" (optionally with the
// AuthorizationCoveredByWildcard warning), or "not-cors".
type want struct {
	Kind    string
	Error   string
	Param   string // template
	Warning bool
}

const (
	kindBlocked = "blocked"
	kindAllowed = "allowed"
	kindNotCORS = "not-cors"
)

// route returns the route answering a request, preferring an exact method
// match over the any-method route.
func (sc *scenario) route(role, path, method string) *route {
	var fallback *route
	for i := range sc.Routes {
		r := &sc.Routes[i]
		if or(r.On, roleAPI) != role || or(r.Path, "x") != path {
			continue
		}
		switch {
		case r.Method == method:
			return r
		case r.Method == "" && method != "OPTIONS" && fallback == nil:
			fallback = r
		}
	}
	return fallback
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Table-writing helpers. They keep each scenario to a few readable lines.

const (
	acao = "Access-Control-Allow-Origin"
	acac = "Access-Control-Allow-Credentials"
	acam = "Access-Control-Allow-Methods"
	acah = "Access-Control-Allow-Headers"
	acma = "Access-Control-Max-Age"
)

func pairs(kv []string) [][2]string {
	if len(kv)%2 != 0 {
		panic("agreement: odd header list " + strings.Join(kv, "|"))
	}
	out := make([][2]string, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		out = append(out, [2]string{kv[i], kv[i+1]})
	}
	return out
}

// reply answers every non-OPTIONS request to api /ID/x.
func reply(status int, kv ...string) route { return route{Status: status, Header: pairs(kv)} }

// preflight answers the OPTIONS to api /ID/x.
func preflight(status int, kv ...string) route {
	return route{Method: "OPTIONS", Status: status, Header: pairs(kv)}
}

func (r route) on(role string) route { r.On = role; return r }
func (r route) at(path string) route { r.Path = path; return r }
func (r route) to(loc string) route  { r.Location = loc; return r }
func routes(rs ...route) []route     { return rs }
func steps(ss ...step) []step        { return ss }
func n(i int) *int                   { return &i }
func blocked(e, p string) want       { return want{Kind: kindBlocked, Error: e, Param: p} }
func allowed() want                  { return want{Kind: kindAllowed} }
func allowedWithWarning() want       { return want{Kind: kindAllowed, Warning: true} }
func notCORS() want                  { return want{Kind: kindNotCORS} }
func get() step                      { return step{} }
func req(method string) step         { return step{Method: method} }
func (s step) to(role string) step   { s.To = role; return s }
func (s step) at(path string) step   { s.Path = path; return s } //nolint:unused // part of the scenario vocabulary, for scenarios on other paths
func (s step) include() step         { s.Credentials = "include"; return s }
func (s step) mode(m string) step    { s.Mode = m; return s }
func (s step) cache(m string) step   { s.Cache = m; return s }
func (s step) body(b string) step    { s.Body = b; return s }
func (s step) xhr() step             { s.XHR = true; return s }
func (s step) withCreds() step       { s.WithCreds = true; return s }
func (s step) upload() step          { s.Upload = true; return s }
func (s step) blob(t, b string) step { s.BlobType, s.Body = t, b; return s }
func (s step) stream(b string) step  { s.Stream, s.Body = true, b; return s }
func (s step) hdr(kv ...string) step { s.Headers = append(s.Headers, pairs(kv)...); return s }
