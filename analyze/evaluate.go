package analyze

import (
	"strconv"
	"strings"

	"github.com/corscope/corscope/capture"
)

// evaluate computes the verdict of one flow from what the analyzer knows now.
func (s *state) evaluate(e *entry) Verdict {
	var v Verdict
	s.evaluateInto(e, &v)
	return v
}

// evaluateInto writes the verdict into *out, avoiding a copy of the large
// Verdict on the hot path.
func (s *state) evaluateInto(e *entry, out *Verdict) {
	f := &e.flow
	c := &e.c
	*out = Verdict{
		Flow:        f.ID,
		Origin:      c.origin,
		CrossOrigin: c.cross,
		SameSite:    c.sameSite,
		Mode:        c.mode,
		Credentials: CredUnknown,
		Method:      f.Request.Method,
	}
	v := out
	switch {
	case c.preflight:
		s.evalPreflight(e, v)
	case c.corsChecked():
		s.evalRequest(e, v)
	case c.mode == "same-origin" && sameOriginModeRedirect(e):
		s.evalSameOriginRedirect(e, v)
	default:
		v.Kind, v.Role = KindNotCORS, RoleNotCORS
		v.Explanation = c.notCORSReason(f)
		if c.cookie {
			v.Credentials = CredInclude
		}
		switch {
		case isNetworkFailure(f) || isImportedFailure(f):
			v.Kind = KindFailed
			v.Explanation = failureText(f, false)
		case e.ri.netErr != "":
			v.Kind = KindFailed
			v.Explanation = netErrText(e, s.words(e), false)
		}
	}
	switch v.Kind {
	case KindAllowed, KindBlocked, KindUndecidable:
		v.Warnings = s.warnings(e, v)
	}
	v.Fix = s.fixSpec(e, v)
}

// isNetworkFailure reports a flow that failed below HTTP (refused, DNS,
// TLS, timeout, corscope's own failure) — not a CORS outcome. corscope's
// proxy answers such failures with a synthetic 502 without CORS headers,
// which must never be read as MissingAllowOriginHeader. A reset or client
// abort after real response headers still leaves headers the browser
// judged, so those are analysed.
func isNetworkFailure(f *flowView) bool {
	switch f.ErrorKind {
	case capture.ErrNone, capture.ErrBrowser:
		return false
	case capture.ErrReset, capture.ErrClientAbort:
		return f.Response == nil || f.Timings.FirstByte.IsZero()
	}
	return true
}

// isImportedFailure reports an imported entry the browser itself marked
// failed with no response to show (Chrome HAR: status 0, _error
// net::ERR_FAILED — how Chrome exports a CORS failure).
func isImportedFailure(f *flowView) bool {
	return f.ErrorKind == capture.ErrBrowser && (f.Response == nil || f.Response.Status == 0)
}

// isCORSFailedImport: an imported failure whose error is the generic one
// Chrome gives every CORS failure.
func isCORSFailedImport(f *flowView) bool {
	return isImportedFailure(f) && strings.Contains(f.Error, "ERR_FAILED")
}

func failureText(f *flowView, preflight bool) string {
	var b strings.Builder
	b.Grow(400 + len(f.Error))
	b.WriteString("Network failure, not CORS: ")
	if f.Error != "" {
		b.WriteString(f.Error)
	} else {
		b.WriteString(string(f.ErrorKind))
	}
	b.WriteString(".")
	if preflight {
		b.WriteString(" The preflight never got an answer, so the actual request was never sent.")
	}
	if f.ErrorKind != capture.ErrBrowser {
		b.WriteString(" Through corscope the browser received a 502 without CORS headers instead, so its console may blame CORS (\"No 'Access-Control-Allow-Origin' header\"); the real problem is that the server could not be reached.")
	}
	return b.String()
}

// netErrText explains a response Chrome's network stack refuses before
// any CORS check (respInfo.netError).
func netErrText(e *entry, w *initiatorWords, neverSent bool) string {
	var b strings.Builder
	b.WriteString("Network failure, not CORS: Chrome refuses this response before any CORS check with ")
	b.WriteString(e.ri.netErr)
	switch e.ri.netErr {
	case "net::ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION":
		b.WriteString(": it carries Location more than once with different values, which Chrome rejects as possible response smuggling. Send a single Location header.")
	case "net::ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_DISPOSITION":
		b.WriteString(": it carries Content-Disposition more than once with different values, which Chrome rejects as possible response smuggling. Send a single Content-Disposition header.")
	case "net::ERR_INVALID_REDIRECT":
		b.WriteString(": the redirect's Location (")
		b.WriteString(e.ri.location)
		b.WriteString(") is not a valid URL. Send an absolute URL or a valid path.")
	default:
		b.WriteString(".")
	}
	if neverSent {
		b.WriteString(" The preflight failed, so the actual ")
		b.WriteString(e.c.acrm)
		b.WriteString(" request was never sent.")
	}
	b.WriteString(" The page sees the load fail (")
	b.WriteString(w.failed)
	b.WriteString("), and the console shows only the network error.")
	return b.String()
}

// decide picks the outcome for a credentials mode that may be unknown:
// when both modes give the same result it is certain; when both fail
// differently it is blocked either way (primary: without credentials,
// fetch's default); when only one passes it is undecidable.
func decide(cred Credentials, inc, omit result) (primary result, alt *result, undecidable bool) {
	switch {
	case cred == CredInclude:
		return inc, nil, false
	case cred == CredOmitted || inc == omit:
		return omit, nil, false
	case !inc.ok() && !omit.ok():
		return omit, &inc, false
	}
	return omit, &inc, true
}

// evalRequest judges a CORS-checked request (simple or actual).
func (s *state) evalRequest(e *entry, v *Verdict) {
	f := &e.flow
	c := &e.c
	var p *entry
	if e.pair != 0 {
		p = s.flows.get(e.pair)
		v.Pair = e.pair
		v.Role = RoleActual
		v.NeedsPreflight = true
		if p != nil {
			v.UnsafeHeaders = p.c.acrh
		} else {
			v.UnsafeHeaders = c.wireUnsafe
		}
	} else {
		v.NeedsPreflight = c.wireNeedsPreflight
		v.UnsafeHeaders = c.wireUnsafe
		v.Role = RoleSimple
		if v.NeedsPreflight {
			v.Role = RoleActual
		}
	}
	cred, credSrc := s.credentialsWhy(e)
	v.Credentials = cred
	include := cred == CredInclude

	if isNetworkFailure(f) {
		v.Kind = KindFailed
		v.Explanation = failureText(f, false)
		return
	}
	if isImportedFailure(f) {
		s.evalImportedFailure(e, p, v)
		return
	}

	var cacheNote string
	if e.pair == 0 && v.NeedsPreflight {
		v.FromPreflightCache = true
		ce, hit := e.cacheRef, e.cacheHitOmit
		if include {
			hit = e.cacheHitInc
		}
		switch {
		case hit:
			v.CachedFrom = ce.preflight
			cacheNote = "No preflight on the wire: the browser served it from its preflight cache (preflight #" +
				strconv.FormatUint(uint64(ce.preflight), 10) + " allowed it for " + strconv.FormatInt(ce.maxAge, 10) + " s)."
		case ce.valid:
			cacheNote = "No preflight on the wire: the browser must have answered it from its preflight cache, although the last preflight captured for this URL (#" +
				strconv.FormatUint(uint64(ce.preflight), 10) + ") would not cover it then — the covering preflight happened outside this capture, or the client is not a browser."
		default:
			cacheNote = "No preflight on the wire: the browser served it from its preflight cache (the preflight happened before this capture started), or the client is not a browser."
		}
	}

	resp := f.Response
	if resp == nil {
		v.Kind = KindPending
		v.Explanation = joinSentences(cacheNote, "Waiting for the response.")
		return
	}
	if e.ri.netErr != "" {
		v.Kind = KindFailed
		v.Explanation = joinSentences(cacheNote, netErrText(e, s.words(e), false))
		return
	}
	if resp.Status == 304 && c.revalidation {
		// Chromium checks the cached response (updated with this 304's
		// headers), not the 304 alone (reference/cors.md §2c).
		if r := e.ri.access(include, c.origin); r.ok() {
			v.Kind = KindAllowed
			v.Explanation = joinSentences(cacheNote, "A 304 revalidating the browser's cached copy; its CORS headers pass.")
			return
		}
		if recorded(e) == recAccepted {
			v.Kind = KindAllowed
			v.Explanation = joinSentences(cacheNote, "A 304 revalidating a cached response; the 304 alone lacks passing CORS headers, but the browser judges the cached copy, and Chrome's own record decides it: this HAR is a Chrome DevTools export (Chrome "+
				strconv.Itoa(c.chrome)+"), which marks every load that fails a CORS check with net::ERR_FAILED, and this one completed, so the cached copy passed.")
			return
		}
		v.Kind = KindUndecidable
		v.DependsOn = "the CORS headers of the browser's cached copy: this 304 revalidates it, and Chrome checks the cached response updated with the 304's headers, which the wire does not show in full"
		v.Explanation = joinSentences(cacheNote, "A 304 revalidating a cached response; the 304 alone lacks passing CORS headers, but the browser judges the cached copy.")
		return
	}

	inc, omit := e.acc[1], e.acc[0]
	primary, alt, undecidable := decide(cred, inc, omit)

	switch {
	case undecidable:
		w := s.words(e)
		v.Kind = KindUndecidable
		v.DependsOn = w.depends
		v.Alternatives = []Alternative{
			s.alternative(e, w.ifInclude, CredInclude, *alt),
			s.alternative(e, w.ifOmit, CredOmitted, primary),
		}
		v.Explanation = joinSentences(cacheNote, "Allowed only if "+w.ifOmit+"; if "+w.ifInclude+", Chrome blocks it with "+alt.code.String()+". No Cookie header was sent, so the wire cannot tell which.")
	case primary.ok():
		v.Kind = KindAllowed
		v.Explanation = joinSentences(cacheNote, allowedText(e, v))
		if credSrc == srcJar && inc != omit {
			v.Explanation += s.jarNote(e, inc)
		}
		if credSrc == srcRecord && inc != omit {
			v.Explanation = joinSentences(v.Explanation, recordNote(e, CredOmitted, s.words(e), inc))
		}
		if c.mode == "" {
			v.Explanation = joinSentences(v.Explanation, "(The request mode is not on the wire; if this was a form submission or a no-cors request the browser did no CORS check at all.)")
		}
	default:
		s.blocked(e, v, primary, f.Response, f.ID, f.ID, v.UnsafeHeaders, false)
		if primary.code == codeMissingAllowOriginHeader && e.pair != 0 {
			if p := s.flows.get(e.pair); p != nil && (p.pre[0].ok() || p.pre[1].ok()) {
				// reference/cors.md §6 #12: CORS applied to OPTIONS only.
				v.Explanation += " Its preflight (#" + strconv.FormatUint(uint64(e.pair), 10) +
					") passed, so the CORS layer answers OPTIONS but not the " + f.Request.Method +
					" itself: the handler (or its error path) must add the headers too."
			}
		}
		v.Explanation = joinSentences(cacheNote, v.Explanation)
		if credSrc == srcJar && inc != omit {
			v.Explanation += s.jarNote(e, inc)
		}
		if credSrc == srcRecord && inc != omit {
			v.Explanation = joinSentences(v.Explanation, recordNote(e, cred, s.words(e), inc))
		}
		if alt != nil {
			w := s.words(e)
			v.DependsOn = "which CorsError Chrome reports depends on the credentials mode: " + primary.code.String() + " without credentials, " + alt.code.String() + " with them"
			v.Alternatives = []Alternative{
				s.alternative(e, w.ifOmit, CredOmitted, primary),
				s.alternative(e, w.ifInclude, CredInclude, *alt),
			}
		}
		if c.mode == "" {
			switch recorded(e) {
			case recAccepted:
				// Chrome completed a load whose CORS check fails in
				// every credentials mode: it did no CORS check.
				s.recordedNotCORS(e, v, primary)
				return
			case recFailed:
				v.Explanation = joinSentences(v.Explanation, "The request mode is not on the wire (no Sec-Fetch-Mode), but Chrome's own record decides it: this HAR is a Chrome DevTools export (Chrome "+
					strconv.Itoa(c.chrome)+"), and Chrome failed this request with net::ERR_FAILED, which a form submission or a no-cors request would not, so it was a CORS request from fetch() or XMLHttpRequest.")
				return
			}
			// POST with Origin and no Sec-Fetch-Mode: could be a form
			// submission or a no-cors fetch, which are not CORS-checked.
			v.Alternatives = append(v.Alternatives,
				s.alternative(e, "the request came from fetch() or XMLHttpRequest (mode cors)", "", primary),
				Alternative{If: "it was a form submission or a no-cors fetch (not CORS-checked)", Kind: KindNotCORS})
			v.Kind = KindUndecidable
			v.DependsOn = "the request mode, which the wire does not show (no Sec-Fetch-Mode header: plain http to a non-local host)"
			if alt != nil {
				v.DependsOn += ", and on the credentials mode"
			}
			v.Explanation = "If this request came from fetch() or XMLHttpRequest, Chrome blocked it: " + v.Explanation +
				" If it was a form submission or a no-cors fetch, the browser did no CORS check."
			v.Error, v.FailedParameter, v.Console, v.Firefox = "", "", "", ""
		}
	}
}

// jarNote says why a request without a Cookie header was made without
// credentials: the cookie the jar model showed would have gone along (by
// name and the flow whose Set-Cookie set it, never its value), or the
// earlier requests that carried cookies. inc is what a credentialed
// request would have met.
func (s *state) jarNote(e *entry, inc result) string {
	var b strings.Builder
	b.Grow(300)
	b.WriteString(" No Cookie was sent although ")
	if ev, ok := s.jarWhy[e.flow.ID]; ok {
		b.WriteString("the browser held the cookie \"")
		b.WriteString(ev.name)
		b.WriteString("\" (set by the Set-Cookie of #")
		writeID(&b, ev.flow)
		b.WriteString(", ")
		if ev.unspec {
			b.WriteString("no SameSite attribute, which Chrome treats as Lax")
		} else {
			b.WriteString(ev.sameSite.String())
		}
		b.WriteString(") that a credentialed request to ")
		b.WriteString(e.host)
		b.WriteString(" would carry")
	} else {
		b.WriteString("earlier requests to ")
		b.WriteString(e.host)
		b.WriteString(" carried cookies")
	}
	b.WriteString(", so the page made it without credentials")
	if !inc.ok() {
		b.WriteString(" (a credentialed request would fail with ")
		b.WriteString(inc.code.String())
		b.WriteString(")")
	}
	b.WriteString(".")
	return b.String()
}

// recordedNotCORS turns v into the not-cors verdict of a request whose
// mode the wire does not show, which Chrome recorded as completed although
// its response fails the CORS check (r): Chrome did not CORS-check it.
func (s *state) recordedNotCORS(e *entry, v *Verdict, r result) {
	*v = Verdict{
		Flow: v.Flow, Kind: KindNotCORS, Role: RoleNotCORS, Origin: v.Origin, CrossOrigin: v.CrossOrigin,
		SameSite: v.SameSite, Mode: v.Mode, Credentials: v.Credentials, Method: v.Method,
	}
	v.Explanation = "The request mode is not on the wire (no Sec-Fetch-Mode), but Chrome's own record decides it: this HAR is a Chrome DevTools export (Chrome " +
		strconv.Itoa(e.c.chrome) + "), which marks every load that fails a CORS check with net::ERR_FAILED, and this one completed although a CORS check of its response fails (" +
		r.code.String() + "). So the browser did no CORS check: it was a form submission or a no-cors request."
}

// requestResult is the CORS outcome of a request's own response for one
// credentials mode: the access check, then (on a redirect) the Location
// credentials check (reference/cors.md §2c, §2e).
func (s *state) requestResult(e *entry, include bool) result {
	if r := e.ri.access(include, e.c.origin); !r.ok() {
		return r
	}
	if e.ri.isRedirect() && targetHasCredentials(e.ri.target) {
		return result{code: codeRedirectContainsCredentials}
	}
	return result{}
}

// targetHasCredentials reports a resolved redirect target with user:pass@.
func targetHasCredentials(t string) bool {
	if t == "" {
		return false
	}
	o := strings.Index(t, "://")
	if o < 0 {
		return false
	}
	rest := t[o+3:]
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		rest = rest[:end]
	}
	return strings.Contains(rest, "@")
}

// alternative renders one possible outcome of an undecidable verdict;
// cred is the credentials mode the condition assumes ("" when it is about
// something else).
func (s *state) alternative(e *entry, cond string, cred Credentials, r result) Alternative {
	a := Alternative{If: cond, Credentials: cred}
	if r.ok() {
		a.Kind = KindAllowed
		return a
	}
	a.Kind = KindBlocked
	a.Error = r.code.String()
	a.FailedParameter = r.param
	a.Console = s.console(e, r)
	return a
}

// console renders the console line for a failure reported on e (for a
// preflight failure, e is the preflight: same URL as its actual request).
func (s *state) console(e *entry, r result) string {
	return consoleLine(r.code, r.param, s.kindOf(e), e.flow.Request.URL, e.first, e.page)
}

// kindOf is the initiator of e's request as the console names it: for a
// preflight, that of the request it guards.
func (s *state) kindOf(e *entry) consoleKind {
	if e.c.preflight && e.pair != 0 {
		if a := s.flows.get(e.pair); a != nil {
			return a.c.kind
		}
	}
	return e.c.kind
}

// words is the wording of e's credentials modes and failure.
func (s *state) words(e *entry) *initiatorWords {
	if e.c.initiatorUnknown && !e.c.wireNeedsPreflight && e.pair == 0 {
		// Only fetch() and XMLHttpRequest send what needs a preflight;
		// a plain GET without a destination may come from an element.
		return &unknownWords
	}
	return wordsFor(s.kindOf(e))
}

// blocked fills a blocked verdict for failure r found on resp.
func (s *state) blocked(e *entry, v *Verdict, r result, resp *capture.Response, respFlow, reqFlow capture.FlowID, unsafe []string, neverSent bool) {
	v.Kind = KindBlocked
	v.Error = r.code.String()
	v.FailedParameter = r.param
	v.Console = s.console(e, r)
	n := 0
	if resp != nil {
		n = resp.Header.Count(hACAO)
	}
	v.Firefox = firefoxReason(r.code, n)
	method := e.flow.Request.Method
	if e.c.preflight {
		method = e.c.acrm
	}
	x := failure{
		r: r, resp: resp, respFlow: respFlow, reqFlow: reqFlow,
		origin: e.c.origin, page: e.page, include: v.Credentials == CredInclude,
		method: method, unsafe: unsafe, url: e.flow.Request.URL, neverSent: neverSent,
		words: s.words(e), first: e.first,
	}
	v.Explanation, v.Headers = x.explain()
}

// evalImportedFailure handles a HAR entry Chrome marked net::ERR_FAILED
// with no response: Chrome does not export the response headers of a
// request that failed CORS, so the verdict comes from the paired preflight
// or stays without a CorsError name.
func (s *state) evalImportedFailure(e *entry, p *entry, v *Verdict) {
	f := &e.flow
	if !isCORSFailedImport(f) {
		v.Kind = KindFailed
		v.Explanation = failureText(f, false)
		return
	}
	if p != nil && p.flow.Response != nil && !isImportedFailure(&p.flow) {
		inc := s.preflightResult(p, true)
		omit := s.preflightResult(p, false)
		primary, alt, undecidable := decide(v.Credentials, inc, omit)
		if undecidable {
			// The actual failed: only the credentialed mode explains it.
			primary, alt = inc, nil
			v.Credentials = CredInclude
		}
		if !primary.ok() {
			s.blocked(p, v, primary, p.flow.Response, p.flow.ID, p.flow.ID, p.c.acrh, true)
			v.Flow = f.ID
			v.Console = consoleLine(primary.code, primary.param, e.c.kind, f.Request.URL, e.first, e.page)
			v.Explanation = "Chrome lists this request as failed (net::ERR_FAILED) because its preflight (#" +
				strconv.FormatUint(uint64(p.flow.ID), 10) + ") failed: " + v.Explanation
			if alt != nil {
				v.DependsOn = "which CorsError Chrome reported depends on the credentials mode: " + primary.code.String() + " without credentials, " + alt.code.String() + " with them"
			}
			return
		}
		v.Kind = KindBlocked
		v.Explanation = "Chrome lists this request as failed (net::ERR_FAILED) after its preflight (#" +
			strconv.FormatUint(uint64(p.flow.ID), 10) + ") passed. Chrome's HAR export leaves out the response headers of a request that failed CORS, so which check failed on the response is not known; most often the actual response lacks Access-Control-Allow-Origin (error responses in particular)."
		return
	}
	v.Kind = KindBlocked
	msg := "Chrome lists this cross-origin request as failed with net::ERR_FAILED and no response, which is how it exports a CORS failure (an extension or a Local Network Access denial look the same). Chrome's HAR export leaves out the response headers of such a request, so which CORS check failed is not known."
	if v.NeedsPreflight && e.pair == 0 {
		msg += " The request needed a preflight, and none is in the HAR: the preflight itself may be the one that failed."
	}
	msg += " Reproduce it through corscope to see the headers."
	v.Explanation = msg
}

// allowedText explains an allowed request in one sentence.
func allowedText(e *entry, v *Verdict) string {
	acao := e.ri.acao
	var b strings.Builder
	b.Grow(160 + len(acao) + len(e.ri.location))
	if e.ri.isRedirect() {
		b.WriteString("The redirect passed the CORS check (Access-Control-Allow-Origin: ")
		b.WriteString(acao)
		b.WriteString("); the browser follows it to ")
		b.WriteString(e.ri.location)
		b.WriteString(".")
		return b.String()
	}
	b.WriteString("The response passes the CORS check: Access-Control-Allow-Origin: ")
	b.WriteString(acao)
	if v.Credentials == CredInclude {
		b.WriteString(" with Access-Control-Allow-Credentials: true for a credentialed request")
	}
	b.WriteString(".")
	if v.Pair != 0 {
		b.WriteString(" Its preflight is #")
		writeID(&b, v.Pair)
		b.WriteString(".")
	}
	return b.String()
}

// evalPreflight judges an OPTIONS preflight (reference/cors.md §2b, §4).
func (s *state) evalPreflight(e *entry, v *Verdict) {
	f := &e.flow
	c := &e.c
	v.Role = RolePreflight
	v.Method = c.acrm
	v.UnsafeHeaders = c.acrh
	v.NeedsPreflight = true
	v.Mode = "cors"
	v.Pair = e.pair
	var a *entry
	if e.pair != 0 {
		a = s.flows.get(e.pair)
	}
	actualSent := e.pair != 0 && (a == nil || !isImportedFailure(&a.flow))

	if isNetworkFailure(f) {
		v.Kind = KindFailed
		v.NeverSent = true
		v.Explanation = failureText(f, true)
		return
	}
	if isImportedFailure(f) {
		v.Kind = KindBlocked
		v.NeverSent = !actualSent
		v.Explanation = "Chrome lists this preflight as failed (" + f.Error + ") without its response headers, so which check failed is not known; the actual " + c.acrm + " request was never sent."
		return
	}
	if f.Response == nil {
		v.Kind = KindPending
		v.Explanation = "Preflight for " + c.acrm + " " + f.Request.URL + ", waiting for the response."
		return
	}
	if e.ri.netErr != "" {
		v.Kind = KindFailed
		v.NeverSent = !actualSent
		v.Explanation = netErrText(e, s.words(e), !actualSent)
		return
	}

	cred := s.preflightCredentials(e, a)
	byRecord := false
	inc := s.preflightResult(e, true)
	omit := s.preflightResult(e, false)
	if cred == CredUnknown && inc != omit {
		switch {
		case actualSent && omit.ok():
			// The browser sent the actual request, so the preflight
			// passed in the real mode: only "not include" explains that.
			cred = CredOmitted
		case a != nil && !actualSent && omit.ok() && !inc.ok():
			cred = CredInclude
			byRecord = true
		}
	}
	v.Credentials = cred
	primary, alt, undecidable := decide(cred, inc, omit)

	switch {
	case undecidable:
		w := s.words(e)
		v.Kind = KindUndecidable
		v.DependsOn = "the actual request's credentials mode: this preflight passes without credentials but fails with them (" + alt.code.String() + "), and no actual " + c.acrm + " request followed it on the wire (yet)"
		v.Alternatives = []Alternative{
			s.alternative(e, w.ifInclude, CredInclude, *alt),
			s.alternative(e, w.ifOmit, CredOmitted, primary),
		}
		v.Explanation = "Preflight for " + c.acrm + " " + f.Request.URL + ". It passes for a request without credentials, and fails with " + alt.code.String() + " for a credentialed one. No actual request has followed it on the wire (yet); if none comes, the request was credentialed (or the page gave up)."
	case !primary.ok():
		s.blocked(e, v, primary, f.Response, f.ID, f.ID, c.acrh, !actualSent)
		v.NeverSent = !actualSent
		if byRecord {
			v.Explanation = joinSentences(v.Explanation, "Chrome's own record decides the credentials mode: it lists the actual request (#"+
				strconv.FormatUint(uint64(a.flow.ID), 10)+") as failed ("+a.flow.Error+"), and only a credentialed request fails this preflight.")
		}
		if alt != nil {
			w := s.words(e)
			v.DependsOn = "which CorsError Chrome reports depends on the actual request's credentials mode: " + primary.code.String() + " without credentials, " + alt.code.String() + " with them"
			v.Alternatives = []Alternative{
				s.alternative(e, w.ifOmit, CredOmitted, primary),
				s.alternative(e, w.ifInclude, CredInclude, *alt),
			}
		}
	case e.pair != 0:
		v.Kind = KindAllowed
		v.Explanation = preflightPassesText(c, e.pair)
	default:
		v.Kind = KindUndecidable
		v.DependsOn = "whether the actual " + c.acrm + " request was sent: the preflight passes, but no matching request (same origin, URL, method and headers) followed it on the wire yet — if none comes, the page aborted it or the browser stopped it for a reason outside CORS (e.g. a Local Network Access permission)"
		v.Explanation = preflightPassesText(c, 0)
	}
}

// preflightPassesText explains a passing preflight in one allocation.
func preflightPassesText(c *class, pair capture.FlowID) string {
	var b strings.Builder
	n := 80 + len(c.acrm) + len(c.origin)
	for _, h := range c.acrh {
		n += len(h) + 2
	}
	b.Grow(n)
	b.WriteString("The preflight passes: the server allows ")
	b.WriteString(c.acrm)
	for i, h := range c.acrh {
		if i == 0 {
			b.WriteString(" with headers ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(h)
	}
	b.WriteString(" from ")
	b.WriteString(c.origin)
	if pair != 0 {
		b.WriteString(". The actual request is #")
		writeID(&b, pair)
		b.WriteString(".")
	} else {
		b.WriteString(". No actual request followed it on the wire yet.")
	}
	return b.String()
}

// writeID writes a flow ID without allocating.
func writeID(b *strings.Builder, id capture.FlowID) {
	var buf [20]byte
	b.Write(strconv.AppendUint(buf[:0], uint64(id), 10))
}

// sameOriginModeRedirect: a mode same-origin request answered by a
// redirect to another origin (the "hint" case of DisallowedByMode).
func sameOriginModeRedirect(e *entry) bool {
	f := &e.flow
	if !e.ri.isRedirect() || isNetworkFailure(f) {
		return false
	}
	t := e.ri.target
	if t == "" {
		return false
	}
	return parseOrigin(t).Serialized != e.c.target.Serialized
}

func (s *state) evalSameOriginRedirect(e *entry, v *Verdict) {
	f := &e.flow
	r := result{code: codeDisallowedByMode}
	v.Role = RoleNotCORS
	v.Kind = KindBlocked
	v.Error = r.code.String()
	target := e.ri.target
	page := e.c.referer
	if page == "" {
		page = e.c.target.Serialized + "/"
	}
	// What Chromium 156 prints here (lab s23): Blink's redirect check.
	v.Console = "Unsafe attempt to load URL " + target + " from frame with URL " + page + ". Domains, protocols and ports must match."
	x := failure{r: r, resp: f.Response, respFlow: f.ID, reqFlow: f.ID, origin: e.c.origin, page: e.page, url: f.Request.URL}
	v.Explanation, v.Headers = x.explain()
}

func joinSentences(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}
