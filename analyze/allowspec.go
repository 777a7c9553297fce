package analyze

import (
	"slices"
	"strings"
)

// queryStart returns the index of the first '?' or '#' in u, or -1.
func queryStart(u string) int {
	for i := 0; i < len(u); i++ {
		if u[i] == '?' || u[i] == '#' {
			return i
		}
	}
	return -1
}

// urlPath returns the path of an absolute URL ("/" when empty), without
// query or fragment.
func urlPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.IndexByte(u, '/'); j >= 0 {
			u = u[j:]
		} else {
			return "/"
		}
	}
	if i := queryStart(u); i >= 0 {
		u = u[:i]
	}
	if u == "" {
		return "/"
	}
	return u
}

// fixSpec derives what the server must allow for this exchange to pass
// (design.md "Fixes"): filled for blocked and undecidable verdicts and for
// allowed ones with warnings. It never asks for "*" with credentials and
// never for the tainted "null" origin.
// serverConfigFixes reports whether a warning on an allowed request is
// cured by the CORS configuration the fix describes. Local Network Access
// is the browser's permission, Firefox's extra preflights are Firefox's,
// and CSRF or a handler that runs despite a block need the handler
// changed: for those alone, a snippet of what the server already sends
// would only confuse.
func serverConfigFixes(w Warning) bool {
	switch w.Code {
	case WarnLocalNetworkAccess, WarnFirefoxPreflights, WarnSimpleCSRF, WarnExecutedDespiteBlock:
		return false
	}
	return true
}

func (s *state) fixSpec(e *entry, v *Verdict) *FixSpec {
	switch v.Kind {
	case KindBlocked, KindUndecidable:
	case KindAllowed:
		if !slices.ContainsFunc(v.Warnings, serverConfigFixes) {
			return nil
		}
	default:
		return nil
	}
	if v.Error == codes[codeDisallowedByMode].name {
		return nil // a page-side change, not a server policy
	}
	c := &e.c
	// One allocation for the spec and its one-method list.
	fa := &struct {
		spec   FixSpec
		method [1]string
	}{}
	fs := &fa.spec
	fs.APIOrigin = c.target.Serialized
	if e.page != "null" {
		fs.Origin = e.page
	}
	fs.Path = urlPath(e.flow.Request.URL)
	if v.Method != "" {
		fa.method[0] = v.Method
		fs.Methods = fa.method[:]
	}
	fs.Headers = v.UnsafeHeaders // shared: never modified after evaluation
	fs.Credentials = v.Credentials == CredInclude
	for _, a := range v.Alternatives {
		if a.Credentials == CredInclude {
			// Works whichever mode the page uses: an exact origin plus
			// Access-Control-Allow-Credentials: true passes both.
			fs.Credentials = true
		}
	}

	// The preflight response that governs this exchange, if any.
	pre := e
	if !c.preflight {
		pre = nil
		if e.pair != 0 {
			pre = s.flows.get(e.pair)
		}
	}
	if v.NeedsPreflight {
		fs.MaxAge = 7200
		if pre != nil && pre.flow.Response != nil {
			if secs, _, present := parseMaxAge(pre.ri.acma, pre.ri.hasACMA); present && secs > 0 && secs < 7200 {
				fs.MaxAge = int(secs)
			}
			fs.PreflightUnhandled = pre.ri.unhandled()
		}
		if fs.MaxAge < 600 {
			fs.MaxAge = 600
		}
	}
	if s.scriptReadsHeaders(e) {
		fs.Expose = e.ri.unexposed(fs.Credentials)
	}
	fs.BothLocal = e.pageLoop && c.target.loop
	if c.origin == "null" && e.page != "null" {
		fs.Tainted = true
		fs.Chain = s.chainURLs(e)
	}
	return fs
}

// chainURLs lists the URLs of e's redirect chain, first to e's.
func (s *state) chainURLs(e *entry) []string {
	var rev [maxChain]string
	n := 0
	for h := e; h != nil && n < maxChain; {
		if !h.c.preflight || h == e {
			rev[n] = h.flow.Request.URL
			n++
		}
		if h.prev == 0 {
			break
		}
		h = s.flows.get(h.prev)
	}
	out := make([]string, 0, n+1)
	if e.first != "" && (n == 0 || rev[n-1] != e.first) {
		out = append(out, e.first) // the first hop was not captured
	}
	for i := n - 1; i >= 0; i-- {
		out = append(out, rev[i])
	}
	return out
}

// sameVerdict compares two verdicts field by field.
func sameVerdict(a, b *Verdict) bool {
	if a.Flow != b.Flow || a.Kind != b.Kind || a.Role != b.Role || a.Error != b.Error ||
		a.FailedParameter != b.FailedParameter || a.Console != b.Console || a.Firefox != b.Firefox ||
		a.Explanation != b.Explanation || a.DependsOn != b.DependsOn || a.Pair != b.Pair ||
		a.NeverSent != b.NeverSent || a.FromPreflightCache != b.FromPreflightCache || a.CachedFrom != b.CachedFrom ||
		a.Origin != b.Origin || a.CrossOrigin != b.CrossOrigin || a.SameSite != b.SameSite || a.Mode != b.Mode ||
		a.Credentials != b.Credentials || a.NeedsPreflight != b.NeedsPreflight || a.Method != b.Method {
		return false
	}
	if len(a.Headers) != len(b.Headers) || len(a.Warnings) != len(b.Warnings) ||
		len(a.Alternatives) != len(b.Alternatives) || strings.Join(a.UnsafeHeaders, ",") != strings.Join(b.UnsafeHeaders, ",") {
		return false
	}
	for i := range a.Headers {
		if a.Headers[i] != b.Headers[i] {
			return false
		}
	}
	for i := range a.Warnings {
		if a.Warnings[i] != b.Warnings[i] {
			return false
		}
	}
	for i := range a.Alternatives {
		if a.Alternatives[i] != b.Alternatives[i] {
			return false
		}
	}
	return sameFix(a.Fix, b.Fix)
}

func sameFix(a, b *FixSpec) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Origin == b.Origin && a.Credentials == b.Credentials && a.MaxAge == b.MaxAge && a.Path == b.Path &&
		a.PreflightUnhandled == b.PreflightUnhandled && a.BothLocal == b.BothLocal && a.APIOrigin == b.APIOrigin &&
		a.Tainted == b.Tainted && strings.Join(a.Chain, " ") == strings.Join(b.Chain, " ") &&
		strings.Join(a.Methods, ",") == strings.Join(b.Methods, ",") &&
		strings.Join(a.Headers, ",") == strings.Join(b.Headers, ",") &&
		strings.Join(a.Expose, ",") == strings.Join(b.Expose, ",")
}
