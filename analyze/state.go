package analyze

import (
	"net/url"
	"strings"
	"time"

	"github.com/corscope/corscope/capture"
)

// flowView is the part of a capture.Flow the analysis reads after
// ingesting it. A Flow is three times its size (addresses, TLS details,
// ten time points, bodies), and every live flow keeps an entry, so the
// analyzer copies only this: less memory, less for the collector to scan,
// and no reference that keeps a flow's bodies alive.
type flowView struct {
	ID              capture.FlowID
	State           capture.State
	Upgraded        bool
	BrowserRecorded bool
	Request         requestView
	Response        *capture.Response
	Timings         timingsView
	Error           string
	ErrorKind       capture.ErrorKind
	ResourceType    string
}

// requestView is what the analysis reads of a capture.Request.
type requestView struct {
	Method, URL string
	Header      capture.Headers
}

// timingsView is what the analysis reads of capture.Timings.
type timingsView struct {
	Start, FirstByte, End time.Time
}

func (v *flowView) set(f *capture.Flow) {
	*v = flowView{
		ID: f.ID, State: f.State, Upgraded: f.Upgraded, BrowserRecorded: f.BrowserRecorded,
		Request:  requestView{Method: f.Request.Method, URL: f.Request.URL, Header: f.Request.Header},
		Response: f.Response,
		Timings:  timingsView{Start: f.Timings.Start, FirstByte: f.Timings.FirstByte, End: f.Timings.End},
		Error:    f.Error, ErrorKind: f.ErrorKind, ResourceType: f.ResourceType,
	}
}

// entry is what the analyzer keeps per flow.
type entry struct {
	flow flowView
	c    class
	// verdict is the latest verdict, kept by a live Analyzer (AnalyzeAll
	// judges each flow once and keeps none).
	verdict *Verdict

	// ri and the outcomes below are computed once per response value.
	ri  respInfo
	pre [2]result // preflight checks, [0] without and [1] with credentials
	// preAuthzWildcard: without credentials the preflight passes and
	// Authorization got through only by ACAH "*".
	preAuthzWildcard bool
	acc              [2]result // a request's own response checks, same order

	key pairKey // (Origin sent, exact URL)
	api string  // the URL's serialized origin, for per-API observations

	// pair is the other half of a preflight ↔ actual pair.
	pair capture.FlowID
	// prev is the redirect hop this request followed, if captured; next
	// the request that followed this flow's redirect.
	prev, next capture.FlowID
	// first is the first URL of the redirect chain ("" when this is it);
	// page is the page origin printed in console lines; pageHost and the
	// flags describe it.
	first, page, pageHost         string
	pageOpaque, pageLoop, pageLan bool
	// redirectTo is the URL this flow's redirect points at, once
	// registered in the redirect index.
	redirectTo string
	awaiting   bool // a preflight still in its key's awaiting list
	observed   bool // response already fed to the per-API observations
	watched    bool // in its API's watch list
	cached     bool // preflight result stored in the cache model

	// What corscope's model of the preflight cache said when this
	// unpaired request started, for each credentials mode.
	cacheRef                  cacheRef
	cacheHitOmit, cacheHitInc bool

	host    string // the URL's host name, for cookie evidence
	jarHint bool   // no Cookie although the browser held cookies for the host
	// cookiesSeen: the response's Set-Cookie headers are in the jar model.
	cookiesSeen bool
}

// cacheRef names the cache entry a lookup found.
type cacheRef struct {
	valid     bool
	preflight capture.FlowID
	maxAge    int64
}

// pairKey indexes preflights and the cache model: Chromium's preflight
// cache is keyed by page origin and exact URL.
type pairKey struct{ origin, url string }

// keyState is what the analyzer knows about one (origin, URL).
type keyState struct {
	refs     int
	awaiting []capture.FlowID // preflights without an actual yet, oldest first
	// unpaired are recent CORS requests that no preflight claimed, for
	// Chrome HAR files, which list (and time) a request before its
	// preflight.
	unpaired []capture.FlowID
	cache    cacheEntry
}

// cacheEntry models the entry Chromium's preflight cache holds for a key:
// the whole result of the last passing preflight (reference/cors.md §2g).
type cacheEntry struct {
	valid     bool
	preflight capture.FlowID
	methods   []string
	headers   []string
	// include: the entry can serve credentialed requests (the preflight
	// also passes in credentials mode include).
	include bool
	stored  time.Time
	expires time.Time
	maxAge  int64
}

// state is the Analyzer's memory.
type state struct {
	flows     flowIndex
	keys      map[pairKey]*keyState
	apis      map[string]*apiState
	redirects map[string][]capture.FlowID // target URL -> redirect hops awaiting a follow-up
	hosts     map[string]*hostCookies
	jar       cookieJar
	// jarWhy names, for requests the jar model showed to be made without
	// credentials, the cookie that did (only such requests have one).
	jarWhy map[capture.FlowID]jarEvidence

	// free holds entries of forgotten flows for reuse: in a long live
	// capture the store evicts as fast as flows arrive.
	hints Hints

	free  []*entry
	slab  []entry   // unused entries of the current slab
	vslab []Verdict // unused verdicts of the current slab (live analyzers)
}

// maxFree bounds the entries kept for reuse.
const maxFree = 1024

// slabSize is how many entries are allocated at once: one large zeroed
// allocation instead of many small ones.
const slabSize = 128

// newEntry returns a zeroed entry, reusing a forgotten one if possible.
func (s *state) newEntry() *entry {
	if n := len(s.free); n > 0 {
		e := s.free[n-1]
		s.free = s.free[:n-1]
		return e
	}
	if len(s.slab) == 0 {
		s.slab = make([]entry, slabSize)
	}
	e := &s.slab[0]
	s.slab = s.slab[1:]
	return e
}

// newVerdict returns a zeroed verdict for a live analyzer's entry, from a
// slab like entries.
func (s *state) newVerdict() *Verdict {
	if len(s.vslab) == 0 {
		s.vslab = make([]Verdict, slabSize)
	}
	v := &s.vslab[0]
	s.vslab = s.vslab[1:]
	return v
}

func (s *state) init(sizeHint int) {
	s.flows = newFlowIndex(sizeHint)
	s.keys = make(map[pairKey]*keyState)
	s.apis = make(map[string]*apiState)
	s.redirects = make(map[string][]capture.FlowID)
	s.hosts = make(map[string]*hostCookies)
}

// ingest takes a new flow or a newer value of one and returns the verdicts
// that changed: the flow's own first, then those of related flows (its
// pair, earlier hops of its chain, flows whose warnings an observation
// just changed). See Analyzer.Ingest.
func (s *state) ingest(f *capture.Flow) []Verdict {
	e, isNew, changed, responseChanged, flipped := s.update(f)
	if !changed {
		// Nothing the verdict depends on changed (e.g. only the body
		// finished): the verdict stands.
		return []Verdict{*e.verdict}
	}
	if e.verdict == nil {
		e.verdict = s.newVerdict()
	}
	s.evaluateInto(e, e.verdict)
	out := make([]Verdict, 1)
	out[0] = *e.verdict

	// Flows whose verdict may depend on this one: its pair, the earlier
	// hops of its redirect chain (and their pairs), and the flows watched
	// by an observation that just became true.
	var related [2 * maxChain]capture.FlowID
	rel := related[:0]
	if e.pair != 0 && (isNew || e.c.preflight && responseChanged) {
		rel = append(rel, e.pair)
	}
	if isNew {
		h := e
		for i := 0; i < maxChain && h.prev != 0; i++ {
			p := s.flows.get(h.prev)
			if p == nil {
				break
			}
			rel = append(rel, p.flow.ID)
			if p.pair != 0 {
				rel = append(rel, p.pair)
			}
			h = p
		}
	}
	for _, id := range rel {
		if w := s.flows.get(id); w != nil && id != e.flow.ID {
			out = s.reevaluate(w, out)
		}
	}
	for _, id := range flipped {
		if id == e.flow.ID || containsID(rel, id) {
			continue
		}
		if w := s.flows.get(id); w != nil {
			out = s.reevaluate(w, out)
		}
	}
	return out
}

// update records a new flow or a newer value of one in the indexes, the
// preflight cache model and the per-API observations, without judging
// anything. It reports whether the flow is new, whether anything a
// verdict depends on changed, whether its response changed, and the
// flows an observation that just became true watched.
func (s *state) update(f *capture.Flow) (e *entry, isNew, changed, responseChanged bool, flipped []capture.FlowID) {
	e = s.flows.get(f.ID)
	isNew = e == nil
	if isNew {
		e = s.newEntry()
		e.flow.set(f)
		var reqOrigin origin
		e.c, reqOrigin = classifyOrigin(f)
		s.flows.put(f.ID, e)
		s.register(e, &reqOrigin)
	} else {
		sameInputs := e.flow.Response == f.Response && e.flow.ErrorKind == f.ErrorKind &&
			e.flow.Error == f.Error && e.flow.Upgraded == f.Upgraded
		e.flow.set(f)
		if sameInputs {
			return e, false, false, false, nil
		}
		if f.Upgraded {
			e.c.mode = "websocket"
		}
	}
	responseChanged = s.refresh(e)
	flipped = s.observe(e)
	if e.c.preflight {
		s.storeCache(e)
	} else if responseChanged && e.ri.setCookie {
		s.storeCookies(e)
	}
	s.registerRedirect(e)
	return e, isNew, true, responseChanged, flipped
}

func containsID(list []capture.FlowID, id capture.FlowID) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// refresh recomputes what a flow's response says when it changed.
func (s *state) refresh(e *entry) bool {
	if e.ri.resp == e.flow.Response {
		return false // also true at first for a flow without a response
	}
	if !e.c.hasOrigin {
		// No CORS check applies; only a redirect matters (for chains).
		e.ri = scanLocation(e.flow.Response)
		e.ri.resolve(e.flow.Request.URL)
		e.pre, e.acc = [2]result{}, [2]result{}
		return true
	}
	e.ri = scanResponse(e.flow.Response, e.flow.Request.Header)
	e.ri.resolve(e.flow.Request.URL)
	e.pre = [2]result{}
	e.preAuthzWildcard = false
	e.acc = [2]result{}
	if e.flow.Response == nil {
		return true
	}
	c := &e.c
	if c.preflight {
		omit := e.ri.preflight(c.origin, false, c.acrm, c.acrh)
		e.pre[0], e.preAuthzWildcard = omit.result, omit.ok() && omit.authzByWildcard
		e.pre[1] = e.ri.preflight(c.origin, true, c.acrm, c.acrh).result
	} else if c.hasOrigin {
		e.acc[0] = s.requestResult(e, false)
		e.acc[1] = s.requestResult(e, true)
	}
	return true
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// reevaluate recomputes w's verdict and appends it to out if it changed.
func (s *state) reevaluate(w *entry, out []Verdict) []Verdict {
	nv := s.evaluate(w)
	if w.verdict == nil {
		w.verdict = s.newVerdict()
	}
	if sameVerdict(&nv, w.verdict) {
		return out
	}
	*w.verdict = nv
	return append(out, nv)
}

// register links a newly seen flow into the indexes: its redirect
// predecessor, its (origin, URL) key, and its preflight partner.
// reqOrigin is the parsed Origin header when there is one (else
// opaque), to save parsing it again.
func (s *state) register(e *entry, reqOrigin *origin) {
	f := &e.flow
	c := &e.c
	var api *apiState
	if c.hasOrigin { // only CORS requests feed per-API observations
		e.api = c.target.Serialized
		api = s.apis[e.api]
		if api == nil {
			api = &apiState{}
			s.apis[e.api] = api
		}
		api.refs++
	}

	s.noteCookies(e)
	s.linkRedirect(e)
	if e.page == "" {
		// Without a captured chain, Origin: null comes from an opaque
		// page (a sandboxed iframe, a data: document): the page origin
		// Chromium prints is "null" too.
		switch {
		case c.hasOrigin:
			e.page = c.origin
		default:
			e.page = c.target.Serialized
		}
		if e.page == "" {
			e.page = "null"
		}
	}
	var po origin
	switch {
	case e.page == c.target.Serialized:
		po = c.target
	case c.hasOrigin && e.page == c.origin && reqOrigin != nil:
		po = reqOrigin.withSpace()
	default:
		po = parseOrigin(e.page).withSpace()
	}
	e.pageHost, e.pageOpaque, e.pageLoop, e.pageLan = po.Host, po.Opaque, po.loop, po.lan

	if !c.hasOrigin {
		return
	}
	e.key = pairKey{c.origin, f.Request.URL}
	ks := s.keys[e.key]
	if ks == nil {
		ks = &keyState{}
		s.keys[e.key] = ks
	}
	ks.refs++

	if c.preflight {
		api.preflightSeen(f.Request.URL)
		if strings.EqualFold(f.ResourceType, "preflight") && s.pairBackwards(ks, e) {
			return
		}
		if len(ks.awaiting) >= maxAwaiting {
			// The oldest preflight still unpaired will not be paired
			// now: its actual would have followed within milliseconds.
			if old := s.flows.get(ks.awaiting[0]); old != nil {
				old.awaiting = false
			}
			ks.awaiting = append(ks.awaiting[:0], ks.awaiting[1:]...)
		}
		ks.awaiting = append(ks.awaiting, f.ID)
		e.awaiting = true
		return
	}
	if !c.cross {
		return
	}
	// Pair with the nearest earlier preflight for the same origin and URL
	// whose ACRM is this method and whose ACRH names are all present.
	for i := len(ks.awaiting) - 1; i >= 0; i-- {
		p := s.flows.get(ks.awaiting[i])
		if p == nil {
			continue
		}
		if !s.partners(p, e) {
			continue
		}
		ks.awaiting = append(ks.awaiting[:i], ks.awaiting[i+1:]...)
		p.awaiting = false
		p.pair, e.pair = e.flow.ID, p.flow.ID
		return
	}
	if c.wireNeedsPreflight {
		e.cacheRef, e.cacheHitOmit = s.cacheLookup(e, false, c.wireUnsafe)
		_, e.cacheHitInc = s.cacheLookup(e, true, c.wireUnsafe)
	}
	if f.ResourceType != "" { // imported: its preflight may come later
		if len(ks.unpaired) >= maxUnpaired {
			ks.unpaired = append(ks.unpaired[:0], ks.unpaired[1:]...)
		}
		ks.unpaired = append(ks.unpaired, f.ID)
	}
}

// maxUnpaired bounds the per-key list of requests awaiting a late preflight.
const maxUnpaired = 8

// maxAwaiting bounds the per-key list of preflights awaiting their actual
// request (failed preflights never get one), keeping pairing O(1).
const maxAwaiting = 16

// backwardsWindow is how long before its preflight Chrome's HAR export may
// date the request the preflight guards (the fetch starts first).
const backwardsWindow = time.Second

// pairBackwards pairs an imported preflight with the request it guarded
// when that request was listed first (Chrome HAR), and reports success.
func (s *state) pairBackwards(ks *keyState, p *entry) bool {
	for i := len(ks.unpaired) - 1; i >= 0; i-- {
		a := s.flows.get(ks.unpaired[i])
		if a == nil || a.pair != 0 {
			continue
		}
		if d := p.flow.Timings.Start.Sub(a.flow.Timings.Start); d < 0 || d > backwardsWindow {
			continue
		}
		if !s.partnersIgnoringTime(p, a) {
			continue
		}
		ks.unpaired = append(ks.unpaired[:i], ks.unpaired[i+1:]...)
		p.pair, a.pair = a.flow.ID, p.flow.ID
		return true
	}
	return false
}

// partners reports whether actual a can be the request preflight p guarded.
func (s *state) partners(p, a *entry) bool {
	if p.flow.Timings.Start.After(a.flow.Timings.Start) {
		return false
	}
	return s.partnersIgnoringTime(p, a)
}

func (s *state) partnersIgnoringTime(p, a *entry) bool {
	if p.c.acrm != a.flow.Request.Method {
		return false
	}
	for _, n := range p.c.acrh {
		if !a.flow.Request.Header.Has(n) {
			return false
		}
	}
	// A preflight that failed whatever the credentials mode was never
	// followed by its actual request: only an imported entry for the
	// failed request (Chrome lists it with net::ERR_FAILED) pairs with it.
	if p.flow.Response != nil && !isImportedFailure(&a.flow) {
		inc := s.preflightResult(p, true)
		omit := s.preflightResult(p, false)
		if !inc.ok() && !omit.ok() {
			return false
		}
	}
	return true
}

// preflightResult runs the preflight check of p for one credentials mode.
func (s *state) preflightResult(p *entry, include bool) result {
	return p.pre[b2i(include)]
}

// linkRedirect finds the redirect hop a new request follows: a captured
// 3xx whose Location resolves to this URL, from the same chain (same
// Origin, or Origin turned null by a tainting hop, or none before).
func (s *state) linkRedirect(e *entry) {
	if len(s.redirects) == 0 {
		return // the common case: no redirect awaits its follow-up
	}
	list := s.redirects[e.flow.Request.URL]
	for i := len(list) - 1; i >= 0; i-- {
		r := s.flows.get(list[i])
		if r == nil || r.flow.Timings.Start.After(e.flow.Timings.Start) {
			continue
		}
		if !(e.c.origin == r.c.origin || e.c.origin == "null" || !r.c.hasOrigin) {
			continue
		}
		e.prev = r.flow.ID
		if !e.c.preflight {
			r.next = e.flow.ID
		}
		e.first = r.first
		if e.first == "" {
			e.first = r.flow.Request.URL
		}
		e.page = r.page
		if !e.c.preflight {
			// The actual request consumes the hop; a restarted chain's
			// preflight only shares it.
			s.redirects[e.flow.Request.URL] = append(list[:i], list[i+1:]...)
			if len(s.redirects[e.flow.Request.URL]) == 0 {
				delete(s.redirects, e.flow.Request.URL)
			}
			r.redirectTo = ""
		}
		return
	}
}

// registerRedirect indexes a redirect response by its resolved Location.
func (s *state) registerRedirect(e *entry) {
	if e.redirectTo != "" || e.c.preflight || !e.ri.isRedirect() || e.flow.ErrorKind != capture.ErrNone || e.ri.netErr != "" {
		return
	}
	target := e.ri.target
	if target == "" {
		return
	}
	list := s.redirects[target]
	if len(list) >= maxAwaiting {
		// Redirects to this URL that were never followed (the target came
		// from the browser's cache): the oldest stops waiting.
		if old := s.flows.get(list[0]); old != nil {
			old.redirectTo = ""
		}
		list = append(list[:0], list[1:]...)
	}
	e.redirectTo = target
	s.redirects[target] = append(list, e.flow.ID)
}

// resolveLocation resolves a Location value against the request URL and
// strips any fragment, as the follow-up request's URL would look.
func resolveLocation(base, loc string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ""
	}
	l, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	r := b.ResolveReference(l)
	r.Fragment = ""
	r.RawFragment = ""
	return r.String()
}

// storeCache updates the preflight cache model from a preflight that got
// a response: a passing preflight replaces the whole entry for its key.
func (s *state) storeCache(e *entry) {
	if e.cached || e.flow.Response == nil || !e.flow.State.Finished() && e.flow.State != capture.StateHeaders || e.ri.netErr != "" {
		return
	}
	ks := s.keys[e.key]
	if ks == nil {
		return
	}
	omit, inc := e.pre[0], e.pre[1]
	if !omit.ok() && !inc.ok() {
		return
	}
	e.cached = true
	secs, _, _ := parseMaxAge(e.ri.acma, e.ri.hasACMA)
	if secs <= 0 {
		return
	}
	at := responseTime(&e.flow)
	ks.cache = cacheEntry{
		valid:     true,
		preflight: e.flow.ID,
		methods:   e.ri.methods,
		headers:   e.ri.headers,
		include:   inc.ok(),
		stored:    at,
		expires:   at.Add(time.Duration(secs) * time.Second),
		maxAge:    secs,
	}
}

// responseTime is when a flow's response arrived, as far as recorded.
func responseTime(f *flowView) time.Time {
	switch {
	case !f.Timings.FirstByte.IsZero():
		return f.Timings.FirstByte
	case !f.Timings.End.IsZero():
		return f.Timings.End
	}
	return f.Timings.Start
}

// cacheLookup reports whether the cache model holds, at the time of a's
// request, an entry that lets a skip its preflight.
func (s *state) cacheLookup(a *entry, include bool, unsafe []string) (cacheRef, bool) {
	ks := s.keys[a.key]
	if ks == nil || !ks.cache.valid {
		return cacheRef{}, false
	}
	ce := ks.cache
	ref := cacheRef{valid: true, preflight: ce.preflight, maxAge: ce.maxAge}
	if a.flow.Timings.Start.After(ce.expires) || a.flow.Timings.Start.Before(ce.stored) {
		return ref, false
	}
	if include && !ce.include {
		return ref, false
	}
	// "*" counts only for a non-credentialed request (and entry).
	credEntry := include
	if !methodAllowed(a.flow.Request.Method, ce.methods, credEntry) {
		return ref, false
	}
	if n, _ := firstDisallowedHeader(unsafe, ce.headers, credEntry); n != "" {
		return ref, false
	}
	return ref, true
}

func (s *state) forget(id capture.FlowID) {
	e := s.flows.get(id)
	if e == nil {
		return
	}
	s.flows.del(id)
	s.forgetCookies(e)
	if e.cookiesSeen {
		s.jar.forgetSetter(e)
	}
	if e.jarHint && s.jarWhy != nil {
		delete(s.jarWhy, id)
	}
	if e.redirectTo != "" {
		list := s.redirects[e.redirectTo]
		for i, x := range list {
			if x == id {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(s.redirects, e.redirectTo)
		} else {
			s.redirects[e.redirectTo] = list
		}
	}
	if e.c.hasOrigin {
		if ks := s.keys[e.key]; ks != nil {
			if e.awaiting {
				for i, x := range ks.awaiting {
					if x == id {
						ks.awaiting = append(ks.awaiting[:i], ks.awaiting[i+1:]...)
						break
					}
				}
			}
			if !e.c.preflight {
				for i, x := range ks.unpaired {
					if x == id {
						ks.unpaired = append(ks.unpaired[:i], ks.unpaired[i+1:]...)
						break
					}
				}
			}
			ks.refs--
			if ks.refs <= 0 {
				delete(s.keys, e.key)
			}
		}
	}
	if api := s.apis[e.api]; e.api != "" && api != nil {
		if e.watched {
			api.unwatch(id)
		}
		if e.c.preflight {
			api.preflightGone(e.flow.Request.URL)
		}
		api.refs--
		if api.refs <= 0 {
			delete(s.apis, e.api)
		}
	}
	// The partner keeps e.pair: its verdict still names the pair, and its
	// evaluation copes with a partner that is gone.
	// Always clear the entry and its verdict: they live in slabs that may
	// outlive them, and must not keep the flow's headers reachable. A
	// reused entry keeps its (cleared) verdict slot.
	v := e.verdict
	if v != nil {
		*v = Verdict{}
	}
	*e = entry{verdict: v}
	if len(s.free) < maxFree {
		s.free = append(s.free, e)
	}
}
