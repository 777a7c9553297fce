package analyze

import (
	"strconv"
	"strings"

	"github.com/corscope/corscope/capture"
)

// Warning codes (stable identifiers; reference/cors.md §6 numbers in
// brackets).
const (
	WarnReflectedOrigin         = "reflected-origin-with-credentials" // [1]
	WarnNullOrigin              = "null-origin-allowed"               // [2]
	WarnInsecureOrigin          = "insecure-origin-trusted"           // [5]
	WarnMissingVary             = "missing-vary-origin"               // [6]
	WarnWildcardLocal           = "wildcard-on-local-service"         // [7], [16]
	WarnReflectedHeaders        = "reflected-request-headers"         // [8]
	WarnReflectedMethods        = "permissive-allow-methods"          // [8]
	WarnAuthorizationByWildcard = "authorization-covered-by-wildcard" // [9]
	WarnCredentialsWithWildcard = "credentials-with-wildcard"         // [10]
	WarnSimpleCSRF              = "simple-request-csrf"               // [11]
	WarnExecutedDespiteBlock    = "executed-despite-block"            // [11], [12]
	WarnSensitiveExposed        = "sensitive-header-exposed"          // [13]
	WarnLargeMaxAge             = "large-max-age"                     // [14]
	WarnDuplicateAllowOrigin    = "duplicate-allow-origin"            // [15]
	WarnPreflightNotCached      = "preflight-not-cached"
	WarnUnexposedHeaders        = "unexposed-response-headers"
	WarnFirefoxPreflights       = "firefox-would-preflight"
	WarnLocalNetworkAccess      = "local-network-access"
)

// watchCap bounds how many earlier flows of one API are re-evaluated when
// a cross-flow observation (reflection, varying ACAO) first becomes true.
const watchCap = 256

// apiState is what the analyzer observed across flows to one API origin.
type apiState struct {
	refs int

	// reflects: ACAO with ACAC true echoed an Origin no allow-list holds
	// (null, or a made-up one like https://evil.example); echoedProof is it.
	reflects    bool
	echoedProof string
	acaoFirst   string // first specific ACAO value seen
	varies      bool   // two different specific ACAO values seen
	// acahReflects / acamReflects: a preflight's ACAH (ACAM) allowed a
	// header name (method) no allow-list holds, which only a server that
	// echoes whatever is asked does; the proofs say which preflight.
	acahReflects bool
	acahProof    reflectionProof
	acamReflects bool
	acamProof    reflectionProof

	watch     []capture.FlowID
	endpoints map[string]int // URL without query -> preflights seen
}

func endpointOf(u string) string {
	if i := queryStart(u); i >= 0 {
		return u[:i]
	}
	return u
}

func (a *apiState) preflightSeen(u string) {
	if a.endpoints == nil {
		a.endpoints = make(map[string]int)
	}
	a.endpoints[endpointOf(u)]++
}

func (a *apiState) preflightGone(u string) {
	k := endpointOf(u)
	if n := a.endpoints[k]; n <= 1 {
		delete(a.endpoints, k)
	} else {
		a.endpoints[k] = n - 1
	}
}

func (a *apiState) unwatch(id capture.FlowID) {
	for i, x := range a.watch {
		if x == id {
			a.watch = append(a.watch[:i], a.watch[i+1:]...)
			return
		}
	}
}

// implausibleOrigin reports an Origin that no server's allow-list holds:
// null, or one whose host is made up to test reflection (evil.example, a
// random-looking name). Two ordinary origins both echoed with credentials
// prove nothing: an allow-list of two is correct configuration.
func implausibleOrigin(origin string) bool {
	if origin == "null" {
		return true
	}
	o := parseOrigin(origin)
	return !o.Opaque && implausibleName(lowerASCII(o.Host))
}

// observe feeds a flow's response into its API's cross-flow observations,
// once. When an observation becomes true for the first time it returns the
// flows watched so far, whose warnings may change.
func (s *state) observe(e *entry) []capture.FlowID {
	f := &e.flow
	if e.observed || f.Response == nil || !e.c.hasOrigin || !e.c.cross || isNetworkFailure(f) {
		return nil
	}
	e.observed = true
	api := s.apis[e.api]
	if api == nil {
		return nil
	}
	ri := &e.ri
	acao, has, acac := ri.acao, ri.hasACAO, ri.acac
	flipped := false
	interesting := false

	if has && acao != "*" && acao != "" {
		if acao == e.c.origin && acac == "true" {
			interesting = interesting || !api.reflects
			if !api.reflects && implausibleOrigin(acao) {
				api.reflects, api.echoedProof, flipped = true, acao, true
			}
		}
		if !e.c.preflight {
			interesting = interesting || !api.varies
			if api.acaoFirst == "" {
				api.acaoFirst = acao
			} else if acao != api.acaoFirst && !api.varies {
				api.varies, flipped = true, true
			}
		}
	}
	if e.c.preflight {
		// Echoing the requested headers (methods) is no evidence of
		// reflection by itself: rs/cors, for one, answers every passing
		// preflight with exactly the ACRH (and ACRM) it was sent, after
		// checking them against its allow-list. Only a name no allow-list
		// holds, allowed all the same, shows the server allows whatever
		// is asked (implausibleName). Preflights that echo are watched:
		// once the API is shown to reflect, their warning appears too.
		if len(e.c.acrh) > 0 && ri.okACAH {
			if sameSet(ri.headers, e.c.acrh) {
				interesting = interesting || !api.acahReflects
			}
			if !api.acahReflects {
				if n := implausibleAllowed(e.c.acrh, ri.headers); n != "" {
					api.acahReflects, flipped = true, true
					api.acahProof = reflectionProof{flow: f.ID, name: n}
				}
			}
		}
		if acam := ri.acam; ri.hasACAM && ri.okACAM && e.c.acrm != "" {
			if acam == e.c.acrm && !isSafelistedMethod(acam) {
				interesting = interesting || !api.acamReflects
			}
			if !api.acamReflects && containsString(ri.methods, e.c.acrm) && implausibleName(lowerASCII(e.c.acrm)) {
				api.acamReflects, flipped = true, true
				api.acamProof = reflectionProof{flow: f.ID, name: e.c.acrm}
			}
		}
	}
	if flipped {
		w := api.watch
		api.watch = nil
		for _, id := range w {
			if x := s.flows.get(id); x != nil {
				x.watched = false
			}
		}
		if !(api.reflects && api.varies && api.acahReflects && api.acamReflects) && interesting {
			s.watchFlow(api, e)
		}
		return w
	}
	if interesting {
		s.watchFlow(api, e)
	}
	return nil
}

func (s *state) watchFlow(api *apiState, e *entry) {
	if e.watched {
		return
	}
	if len(api.watch) >= watchCap {
		if old := s.flows.get(api.watch[0]); old != nil {
			old.watched = false
		}
		api.watch = append(api.watch[:0], api.watch[1:]...)
	}
	api.watch = append(api.watch, e.flow.ID)
	e.watched = true
}

// sameSet compares two lists of lower-case names as sets.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !containsString(b, x) {
			return false
		}
	}
	return true
}

// warnings lists the §6 findings for a flow with a verdict.
func (s *state) warnings(e *entry, v *Verdict) []Warning {
	f := &e.flow
	c := &e.c
	resp := f.Response
	var wl warnList
	add := wl.add
	api := s.apis[e.api]
	if api == nil {
		api = &apiState{}
	}
	if resp == nil || isImportedFailure(f) {
		return nil
	}
	ri := &e.ri
	acao, hasACAO := ri.acao, ri.hasACAO
	credsAllowed := ri.acac == "true"

	if ri.acaoLines > 1 {
		add(WarnDuplicateAllowOrigin, hACAO, "Access-Control-Allow-Origin came in "+strconv.Itoa(ri.acaoLines)+
			" lines: two layers (e.g. the application and a proxy or CDN) both add CORS headers. Chrome joins them and rejects the result; configure CORS in one place only.")
	}
	if hasACAO && acao == "*" && credsAllowed {
		add(WarnCredentialsWithWildcard, hACAC, "Access-Control-Allow-Credentials: true together with Access-Control-Allow-Origin: * never works for credentialed requests. Don't \"fix\" it by echoing every Origin: answer with origins from an allow-list.")
	}
	if hasACAO && acao == "null" {
		msg := "Access-Control-Allow-Origin: null is granted. Any site can get a 'null' origin (a sandboxed iframe, a data: document, a cross-origin redirect), so this is as open as '*'"
		if credsAllowed {
			msg += " — and with Access-Control-Allow-Credentials: true it hands logged-in users' data to every site."
		} else {
			msg += "."
		}
		add(WarnNullOrigin, hACAO, msg)
	}
	if hasACAO && acao == c.origin && credsAllowed && api.reflects {
		add(WarnReflectedOrigin, hACAO, reflectedOriginText+" (it even echoed "+api.echoedProof+")"+reflectedOriginRisk)
	}
	if hasACAO && acao == c.origin && c.target.Scheme == "https" {
		if o := parseOrigin(acao); !o.Opaque && o.Scheme == "http" && !o.isLoopback() {
			add(WarnInsecureOrigin, hACAO, "The https API trusts the plain-http origin "+acao+": anyone on the network path can inject script into that origin and read the API's answers"+credsSuffix(credsAllowed)+". Allow only https origins.")
		}
	}
	if !c.preflight && hasACAO && acao != "*" && api.varies && cacheable(f, ri) && !ri.varyHasOrigin() {
		add(WarnMissingVary, "Vary", "Access-Control-Allow-Origin changes with the request's Origin, but the response has no Vary: Origin. The browser cache or a CDN can serve one origin's answer to another, causing \"works only on first load\" CORS errors. Add Vary: Origin.")
	}
	if c.target.lan && !e.pageOpaque && !e.pageLan {
		add(WarnLocalNetworkAccess, "", "A public page ("+e.page+") calls a local-network address. Chrome asks the user's permission for that (Local Network Access), a check that does not happen through corscope's proxy: without the proxy this request may be blocked with LocalNetworkAccessPermissionDenied.")
	}
	if hasACAO && acao == "*" && c.target.lan && e.pageHost != c.target.Host {
		add(WarnWildcardLocal, hACAO, "A local service answers Access-Control-Allow-Origin: *: any website the user visits can read it through their browser (and reach it by DNS rebinding). Allow only the origins that need it and check the Host header.")
	}

	if c.preflight && v.Kind == KindAllowed || c.preflight && v.Kind == KindUndecidable {
		s.preflightWarnings(e, v, api, &wl)
	}
	if !c.preflight {
		if v.Pair != 0 {
			if p := s.flows.get(v.Pair); p != nil && p.flow.Response != nil && v.Credentials != CredInclude {
				if p.preAuthzWildcard {
					add(WarnAuthorizationByWildcard, hACAH, authzWildcardText)
				}
			}
		}
		if v.Kind == KindBlocked && v.Role != RoleNotCORS && !strings.EqualFold(f.Request.Method, "GET") && !strings.EqualFold(f.Request.Method, "HEAD") {
			add(WarnExecutedDespiteBlock, "", "The server received and processed this "+f.Request.Method+" before the browser hid the response: CORS blocks reading, not sending. Any side effect (a saved record, a sent email) already happened.")
		}
		if v.Role == RoleSimple && strings.EqualFold(f.Request.Method, "POST") && !c.sameSite && c.cookie {
			add(WarnSimpleCSRF, "", "A cross-site POST with cookies that needs no preflight: any site can send it, and the server acts before the browser decides anything. CORS is not CSRF protection; check a CSRF token or SameSite cookies.")
		}
		if c.chromiumOnly && !v.NeedsPreflight {
			add(WarnFirefoxPreflights, "", "This request carries a header only Chromium treats as safelisted (DPR, Width, Viewport-Width, Device-Memory, RTT, Downlink, ECT, Save-Data, Intervention): Chrome sends it without a preflight, Firefox and Safari preflight it.")
		}
		if (v.Kind == KindAllowed || v.Kind == KindUndecidable) && s.scriptReadsHeaders(e) {
			if names := ri.unexposed(v.Credentials == CredInclude); len(names) > 0 {
				getter := "response.headers.get()"
				if c.kind == kindXHR {
					getter = "xhr.getResponseHeader()"
				}
				list := strings.Join(names, ", ")
				add(WarnUnexposedHeaders, hACEH, "The response has "+list+", which the page likely wants to read, but Access-Control-Expose-Headers does not list "+pronoun(len(names))+": "+getter+" returns null for "+pronoun(len(names))+". Expose "+pronoun(len(names))+" with Access-Control-Expose-Headers: "+list+".")
			}
		}
		if ri.hasACEH {
			list, _, _ := parseAllowList(ri.aceh, true)
			if bad := sensitiveNames(list); len(bad) > 0 {
				add(WarnSensitiveExposed, hACEH, "Access-Control-Expose-Headers exposes "+strings.Join(bad, ", ")+" to every allowed origin; tokens and session data in response headers become readable by those sites.")
			} else if containsString(list, "*") && v.Credentials != CredInclude && c.authz {
				add(WarnSensitiveExposed, hACEH, "Access-Control-Expose-Headers: * on an authenticated response exposes every response header to every allowed origin.")
			}
		}
	}
	return wl.ws
}

// warnList collects warnings.
type warnList struct{ ws []Warning }

func (l *warnList) add(code, header, msg string) {
	if l.ws == nil {
		l.ws = make([]Warning, 0, 2)
	}
	l.ws = append(l.ws, Warning{Code: code, Message: msg, Header: header})
}

const (
	reflectedOriginText = "The server echoes the request's Origin into Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true"
	reflectedOriginRisk = ": any website the user visits can make credentialed requests here and read the answers. Check the Origin against an allow-list."
)

const authzWildcardText = "Authorization is allowed only by Access-Control-Allow-Headers: *. Chrome and Firefox accept that today through a deprecated behaviour (DevTools shows an AuthorizationCoveredByWildcard issue); the spec says '*' does not cover Authorization. List authorization explicitly."

func (s *state) preflightWarnings(e *entry, v *Verdict, api *apiState, wl *warnList) {
	add := wl.add
	f := &e.flow
	c := &e.c
	ri := &e.ri
	if v.Credentials != CredInclude {
		if e.preAuthzWildcard {
			add(WarnAuthorizationByWildcard, hACAH, authzWildcardText)
		}
	}
	if api.acahReflects && ri.okACAH && len(c.acrh) > 0 &&
		(sameSet(ri.headers, c.acrh) || implausibleAllowed(c.acrh, ri.headers) != "") {
		add(WarnReflectedHeaders, hACAH, "Access-Control-Allow-Headers echoes whatever Access-Control-Request-Headers asks for: "+
			api.acahProof.String("header")+" Every header any page sends is allowed; list the headers your API actually accepts.")
	}
	acam, methods := ri.acam, ri.methods
	switch {
	case api.acamReflects && (acam == c.acrm && !isSafelistedMethod(acam) || containsString(methods, c.acrm) && implausibleName(lowerASCII(c.acrm))):
		add(WarnReflectedMethods, hACAM, "Access-Control-Allow-Methods echoes whatever Access-Control-Request-Method asks for: "+
			api.acamProof.String("method")+" List the methods your API actually accepts.")
	case containsFold(methods, "TRACE") || containsFold(methods, "CONNECT") || containsFold(methods, "TRACK") || len(methods) >= 8:
		add(WarnReflectedMethods, hACAM, "Access-Control-Allow-Methods lists every method ("+acam+"). List only the methods your API actually accepts.")
	}
	secs, raw, present := parseMaxAge(ri.acma, ri.hasACMA)
	if present && secs >= 7200 && raw != "7200" {
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil && n > 7200 {
			add(WarnLargeMaxAge, hACMA, "Access-Control-Max-Age: "+raw+" — Chrome caps it at 7200 s (Firefox at 86400 s). A long preflight cache keeps honouring a policy after you tighten it; 600–7200 s is plenty.")
		}
	}
	if n := api.endpoints[endpointOf(f.Request.URL)]; n >= 3 && secs <= 10 {
		msg := "This endpoint was preflighted " + strconv.Itoa(n) + " times"
		if !present {
			msg += " and the preflight response has no Access-Control-Max-Age, so Chrome caches it for only 5 s"
		} else if secs <= 0 {
			msg += " and Access-Control-Max-Age: " + raw + " turns the preflight cache off"
		} else {
			msg += " and Access-Control-Max-Age is only " + raw + " s"
		}
		msg += ". Send Access-Control-Max-Age: 7200 to save a round trip per request."
		if strings.ContainsAny(f.Request.URL, "?") {
			msg += " Chrome caches per exact URL: a query string that changes on every call (a cache-buster) defeats the cache."
		}
		add(WarnPreflightNotCached, hACMA, msg)
	}
}

// reflectionProof is the preflight that showed an API reflects: it was
// allowed a header name (or method) no allow-list holds.
type reflectionProof struct {
	flow capture.FlowID
	name string
}

// String says what the proof shows; what is "header" or "method".
func (p reflectionProof) String(what string) string {
	return "preflight #" + strconv.FormatUint(uint64(p.flow), 10) + " asked for the " + what + " " + p.name +
		", which no allow-list holds, and the answer allowed it (a server that checks its allow-list before echoing the requested " +
		what + "s, as rs/cors does, would have refused it)."
}

// implausibleAllowed returns the first of the requested header names
// (lower case) that the allowed list names explicitly and that no
// allow-list would hold, or "".
func implausibleAllowed(requested, allowed []string) string {
	for _, n := range requested {
		if implausibleName(n) && containsString(allowed, n) {
			return n
		}
	}
	return ""
}

// implausibleName reports a lower-case header name or method that no
// server's allow-list holds: one made to test whether a server reflects
// (a placeholder or attack word such as "x-foo" or "x-evil", or a
// random-looking token such as a UUID). Real header names (x-request-id,
// x-b3-traceid, x-amz-content-sha256, x-goog-ext-123-bin, traceparent…)
// never look like that.
func implausibleName(n string) bool {
	for n != "" {
		i := strings.IndexAny(n, "-_.")
		seg := n
		if i >= 0 {
			seg, n = n[:i], n[i+1:]
		} else {
			n = ""
		}
		switch seg {
		case "evil", "attacker", "canary", "pwn", "pwned", "xss", "bogus", "arbitrary", "nonexistent",
			"foo", "bar", "baz", "qux", "quux", "asdf", "qwerty":
			return true
		}
		if randomLooking(seg) {
			return true
		}
	}
	return false
}

// randomLooking reports a token of at least 8 letters and digits, with
// at least two of each, switching between them at least three times:
// what random identifiers (hex, base36, UUID parts) look like, and words
// with a number in them (sha256digest, oauth2token) do not.
func randomLooking(seg string) bool {
	if len(seg) < 8 {
		return false
	}
	digits, letters, switches := 0, 0, 0
	prevDigit := false
	for i := 0; i < len(seg); i++ {
		b := seg[i]
		isDigit := b >= '0' && b <= '9'
		switch {
		case isDigit:
			digits++
		case b >= 'a' && b <= 'z':
			letters++
		default:
			return false
		}
		if i > 0 && isDigit != prevDigit {
			switches++
		}
		prevDigit = isDigit
	}
	return digits >= 2 && letters >= 2 && switches >= 3
}

func credsSuffix(creds bool) string {
	if creds {
		return ", including logged-in users' data"
	}
	return ""
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// cacheable reports a response an HTTP cache may store and reuse.
func cacheable(f *flowView, ri *respInfo) bool {
	m := f.Request.Method
	if !strings.EqualFold(m, "GET") && !strings.EqualFold(m, "HEAD") {
		return false
	}
	return !strings.Contains(strings.ToLower(ri.cacheControl), "no-store")
}

// sensitiveNames picks exposed header names that carry secrets.
func sensitiveNames(list []string) []string {
	var out []string
	for _, n := range list {
		switch {
		case n == "authorization", n == "set-cookie", n == "cookie", n == "proxy-authorization",
			strings.Contains(n, "token"), strings.Contains(n, "secret"), strings.Contains(n, "session"),
			strings.Contains(n, "password"), strings.Contains(n, "api-key"), strings.Contains(n, "apikey"):
			out = append(out, n)
		}
	}
	return out
}
