package analyze

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/corscope/corscope/capture"
)

// The audit is the probe's active half of cors.md §6: mistakes in how a
// server validates origins cannot be seen on the wire until someone sends
// an origin the server should refuse. The audit sends the request an
// attacker's page would make from made-up origins, each built to slip past
// one kind of broken check, and judges each answer with the browser's own
// check, after a baseline from the page's own origin that says whether a
// refusal means anything.
//
// It sends only requests that cannot change data. A GET or HEAD is audited
// as the simple request an attacker's page sends (cookies, no script-set
// headers: those would need a preflight the attacker cannot pass). Any
// other method is audited with its preflight, which the browser sends
// before the request would change anything.

// Severity ranks an audit finding.
type Severity string

const (
	SeverityHigh   Severity = "high"   // an attacker's page can act as signed-in users
	SeverityMedium Severity = "medium" // the same, given a network position
	SeverityLow    Severity = "low"    // without cookies, or refused anyway, or often deliberate
)

func (s Severity) rank() int {
	switch s {
	case SeverityHigh:
		return 3
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 1
	}
	return 0
}

// AuditCheck is one made-up request and what the server made of it.
type AuditCheck struct {
	// Name is a stable identifier: any-origin, null-origin, post-domain,
	// substring, pre-domain, unescaped-dot, any-subdomain, http-origin,
	// any-header, any-method.
	Name string
	// Title says in a few words what a finding means.
	Title string
	// Sent is the Origin sent, or for any-header and any-method the
	// Access-Control-Request-Headers / -Method value.
	Sent string
	// Exactly one of Skipped, Err and Inconclusive is set when the check
	// has no answer: it did not apply, its request failed (or was never
	// sent), or the answer proves nothing (see the text).
	Skipped, Err, Inconclusive string
	// Status is the response status (0 without a response).
	Status int
	// Trusted reports that the server let the made-up value through;
	// Credentials that it also sent Access-Control-Allow-Credentials: true,
	// so the browser would send cookies and expose the response. Refused
	// reports that it echoed the origin yet refused the request itself (a
	// failing preflight, or an error status where the page's own origin
	// got a success).
	Trusted, Credentials, Refused bool
	// Exchange is the 1-based index in AuditResult.Flows of the check's
	// request, 0 when none was sent.
	Exchange int
	// Evidence is the response headers that decided it, as sent.
	Evidence string
	// Note qualifies an answer that is not a finding (a wildcard).
	Note string
	// Severity is set when Trusted; ExplainedBy names an earlier check
	// whose finding already accounts for this one (the likely cause).
	Severity    Severity
	ExplainedBy string
	// Risk says, for a finding, what an attacker gains.
	Risk string
}

// answered reports whether the check got a conclusive answer.
func (c *AuditCheck) answered() bool {
	return c.Skipped == "" && c.Err == "" && c.Inconclusive == ""
}

func (c *AuditCheck) isOriginCheck() bool { return c.Name != "any-header" && c.Name != "any-method" }

// AuditResult is every check of one audit.
type AuditResult struct {
	// Method is how the origin checks were sent: OPTIONS (as preflights of
	// the page's request), GET or HEAD (the simple request an attacker's
	// page would make). StandIn reports a GET standing in for the page's
	// POST, which the audit never sends.
	Method  string
	StandIn bool
	// Notes explain how the audit chose its requests.
	Notes []string
	// Untested names what an attacker could send that the audit could not
	// test ("" when nothing).
	Untested string
	// Wildcard reports that the server answered Access-Control-Allow-Origin:
	// * to a made-up origin: every site can read the responses without
	// credentials, whatever the origin checks say.
	Wildcard bool
	// Duplicated reports a made-up origin echoed in a response that also
	// carries a second Access-Control-Allow-Origin: the browser refuses
	// that today, and accepts the echo once the duplicate goes.
	Duplicated bool
	// CutShort is set when the time limit ended the audit early.
	CutShort bool
	Checks   []AuditCheck
	// Flows are the exchanges, in the order sent.
	Flows []capture.Flow
}

// Worst is the highest severity among the findings; "" when the audit
// found nothing.
func (a *AuditResult) Worst() Severity {
	var worst Severity
	for _, c := range a.Checks {
		if c.Trusted && c.Severity.rank() > worst.rank() {
			worst = c.Severity
		}
	}
	return worst
}

// Findings counts the trusted checks.
func (a *AuditResult) Findings() int {
	n := 0
	for _, c := range a.Checks {
		if c.Trusted {
			n++
		}
	}
	return n
}

// Conclusive reports whether the audit ran to its end and at least one
// origin check got an answer: otherwise "nothing found" would mean
// "not tested".
func (a *AuditResult) Conclusive() bool {
	if a.CutShort {
		return false
	}
	for _, c := range a.Checks {
		if c.isOriginCheck() && c.answered() {
			return true
		}
	}
	return false
}

func (a *AuditResult) originFindings() bool {
	for _, c := range a.Checks {
		if c.Trusted && c.isOriginCheck() {
			return true
		}
	}
	return false
}

// auditHost is the made-up registrable domain the audit's origins use. The
// .example top-level domain is reserved (RFC 2606), so no real site is
// ever named.
const auditHost = "corscope-audit.example"

// auditHeader and auditMethod are the request header and method no server
// has a reason to allow unless it copies whatever is asked.
const (
	auditHeader = "x-corscope-audit"
	auditMethod = "CORSCOPE-AUDIT"
)

// pageHost is the page origin as a browser serializes it (lower case,
// punycode), and its host without a trailing dot for building others.
type pageHost struct {
	scheme, host, port string
	dot                bool   // the page's host ends with a dot
	ip                 bool   // host is an IP address
	self               string // the page's own origin
}

func newPageHost(page *url.URL) pageHost {
	h := strings.ToLower(page.Hostname())
	dot := strings.HasSuffix(h, ".")
	h = strings.TrimSuffix(h, ".")
	if a, err := idna.Lookup.ToASCII(h); err == nil {
		h = a
	}
	port := page.Port()
	scheme := strings.ToLower(page.Scheme)
	if scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		port = ""
	}
	p := pageHost{scheme: scheme, host: h, port: port, dot: dot, ip: net.ParseIP(h) != nil}
	p.self = p.twin(scheme)
	return p
}

// twin is the page's origin with another scheme.
func (p pageHost) twin(scheme string) string {
	h := p.host
	if p.dot {
		h += "."
	}
	return originOf(&url.URL{Scheme: scheme, Host: hostPort(h, p.port)})
}

// origin is the page's origin with another host (same scheme and port).
func (p pageHost) with(host string) string {
	return originOf(&url.URL{Scheme: p.scheme, Host: hostPort(host, p.port)})
}

// registrable returns the host's registrable domain (example.com for
// app.example.com), or "" and why there is none.
func (p pageHost) registrable() (string, string) {
	if p.ip {
		return "", "the page's host is an IP address, which has no registrable domain to imitate"
	}
	site, err := publicsuffix.EffectiveTLDPlusOne(p.host)
	if err != nil || !strings.Contains(site, ".") {
		return "", "the page's host " + p.host + " has no registrable domain to imitate"
	}
	return site, ""
}

// originCheck is a check that sends a made-up Origin.
type originCheck struct {
	name, title string
	// origin builds the made-up origin from the page's; "" and a reason
	// when the check does not apply.
	origin func(page pageHost) (string, string)
	// sev is the severity of a finding with credentials, sevNoCred without.
	sev, sevNoCred Severity
	risk           string
	// explainedBy are checks whose finding would imply this one.
	explainedBy []string
}

const registersLikeIt = "whoever gets an origin like the one sent (by registering the domain) can "

var originChecks = []originCheck{
	{
		name: "any-origin", title: "Any origin is allowed",
		origin: func(p pageHost) (string, string) {
			return p.scheme + "://" + auditHost, ""
		},
		sev: SeverityHigh, sevNoCred: SeverityLow,
		risk: "the server copies whatever Origin arrives, so every website can ",
	},
	{
		name: "null-origin", title: "Origin: null is allowed",
		origin: func(pageHost) (string, string) { return "null", "" },
		sev:    SeverityHigh, sevNoCred: SeverityLow,
		risk:        "any page can send Origin: null (a sandboxed iframe, a data: URL, a redirect through a third origin), so every website can ",
		explainedBy: []string{"any-origin"},
	},
	{
		name: "post-domain", title: "Origins that begin with (or contain) the page's origin are allowed",
		origin: func(p pageHost) (string, string) {
			if strings.Contains(p.host, ":") {
				return "", "the page's host is an IPv6 address: no domain name can begin with it"
			}
			return p.with(p.host + "." + auditHost), ""
		},
		sev: SeverityHigh, sevNoCred: SeverityLow,
		risk:        registersLikeIt,
		explainedBy: []string{"any-origin"},
	},
	{
		name: "substring", title: "Parts of an allowed origin are allowed (a substring or indexOf check)",
		origin: func(p pageHost) (string, string) {
			// app.example.com → app.example.co: a registrable name that
			// is a substring of the page's origin with or without a port.
			if _, why := p.registrable(); why != "" {
				return "", why
			}
			return originOf(&url.URL{Scheme: p.scheme, Host: p.host[:len(p.host)-1]}), ""
		},
		sev: SeverityHigh, sevNoCred: SeverityLow,
		risk:        registersLikeIt,
		explainedBy: []string{"any-origin"},
	},
	{
		name: "pre-domain", title: "Origins that end with the page's domain are allowed (a suffix match without the dot)",
		origin: func(p pageHost) (string, string) {
			site, why := p.registrable()
			if site == "" {
				return "", why
			}
			return p.with("corscopeaudit" + site), ""
		},
		sev: SeverityHigh, sevNoCred: SeverityLow,
		risk:        registersLikeIt,
		explainedBy: []string{"any-origin"},
	},
	{
		name: "unescaped-dot", title: "A dot in the allowed origin matches any character (a regular expression with unescaped dots)",
		origin: func(p pageHost) (string, string) {
			site, why := p.registrable()
			if site == "" {
				return "", why
			}
			label, ok := strings.CutSuffix(p.host, "."+site)
			if !ok || label == "" {
				return "", "the page's host " + p.host + " is its registrable domain, so there is no dot an attacker could replace and register"
			}
			// app.example.com → appxexample.com: registrable by anyone,
			// and matched by the regular expression app.example.com.
			return p.with(label + "x" + site), ""
		},
		sev: SeverityHigh, sevNoCred: SeverityLow,
		risk:        registersLikeIt,
		explainedBy: []string{"any-origin", "pre-domain"},
	},
	{
		name: "any-subdomain", title: "Every subdomain of the page's domain is allowed (often deliberate)",
		origin: func(p pageHost) (string, string) {
			site, why := p.registrable()
			if site == "" {
				return "", why
			}
			return p.with("corscope-audit." + site), ""
		},
		// Low even with credentials: trusting one's own subdomains is a
		// policy more than a bug, and an audit in CI must not stay red
		// over it. The risk text says what it costs.
		sev: SeverityLow, sevNoCred: SeverityLow,
		risk:        "one cross-site scripting hole or abandoned DNS record on any subdomain is enough to ",
		explainedBy: []string{"any-origin", "pre-domain"},
	},
	{
		name: "http-origin", title: "The http:// twin of the page's https:// origin is allowed",
		origin: func(p pageHost) (string, string) {
			if p.scheme != "https" {
				return "", "the page's origin is already http://"
			}
			return p.twin("http"), ""
		},
		sev: SeverityMedium, sevNoCred: SeverityLow,
		risk:        "anyone who can tamper with plain-http traffic (public Wi-Fi) can inject a script into the http:// page and ",
		explainedBy: []string{"any-origin", "pre-domain", "any-subdomain"}, // suffix checks ignore the scheme
	},
}

// auditMode is the request the origin checks are sent as.
type auditMode int

const (
	// modeSimple: the page's GET or HEAD as the simple request an
	// attacker's page sends (cookies, no script-set headers).
	modeSimple auditMode = iota
	// modeStandIn: a GET standing in for the simple POST an attacker's
	// page can send; the audit never sends POST.
	modeStandIn
	// modePreflight: the page's preflight.
	modePreflight
)

// auditRun is the state of one audit while its requests are in flight.
type auditRun struct {
	run     *probeRun
	ctx     context.Context
	target  *url.URL
	method  string // the page's method
	author  capture.Headers
	unsafe  []string
	cred    bool
	mode    auditMode
	res     *AuditResult
	stopped bool // the context ended: no more requests
}

// simpleMethod is the method of the simple request modeSimple and
// modeStandIn send.
func (a *auditRun) simpleMethod() string {
	if a.mode == modeStandIn {
		return http.MethodGet
	}
	return a.method
}

// Audit runs the audit for req. A network failure of one check is
// recorded on that check; when ctx ends, the checks not yet run say so and
// the result so far is returned (CutShort).
func (p *Prober) Audit(ctx context.Context, req ProbeRequest) (*AuditResult, error) {
	target, page, method, err := p.check(req)
	if err != nil {
		return nil, err
	}
	author, _ := authorHeaders(req.Header, req.Credentials)
	_, unsafe := NeedsPreflight(method, author)
	a := &auditRun{
		run:    &probeRun{p: p, ctx: ctx, res: &ProbeResult{}, pageOrigin: page, cred: req.Credentials},
		ctx:    ctx,
		target: target, method: method, author: author, unsafe: unsafe, cred: req.Credentials,
		res: &AuditResult{},
	}
	// An attacker's page cannot set the victim's Authorization or custom
	// headers without a preflight it cannot pass, but needs none for a GET,
	// HEAD or POST with cookies. Any other method must pass the preflight.
	switch method {
	case http.MethodGet, http.MethodHead:
		a.mode = modeSimple
	case http.MethodPost:
		a.mode = modeStandIn
	default:
		a.mode = modePreflight
	}
	a.originChecks(page)
	a.policyChecks(page)
	a.res.Method = http.MethodOptions
	if a.mode != modePreflight {
		a.res.Method = a.simpleMethod()
	}
	a.res.StandIn = a.mode == modeStandIn
	a.res.Flows = a.run.res.Flows
	return a.res, nil
}

// baseline sends the origin checks' request from the page's own origin. It
// returns why a refusal of a made-up origin would prove nothing ("" when
// it proves something), whether the simple request is closed to the
// page's own origin (refused by CORS, or an error status: the answer an
// attacker would read is then that error), and the status.
func (a *auditRun) baseline(own string) (why string, closed bool, status int) {
	f, err := a.sendOrigin(own)
	switch {
	case err != nil:
		return "the same request from the page's own origin failed: " + err.Error(), false, 0
	case redirectStatus(f):
		return a.redirectWhy(f), false, f.Response.Status
	}
	status = f.Response.Status
	if a.passes(f, own, false) || a.passes(f, own, true) {
		return "", a.mode != modePreflight && status >= 400, status
	}
	hint := "check --origin and the URL"
	if (status == http.StatusUnauthorized || status == http.StatusForbidden) && !a.sendsCookie() {
		hint = "if the API needs a login, pass its cookie with --credentials -H 'Cookie: …'"
	}
	return fmt.Sprintf("the server does not allow the page's own origin %s on this request either (%s), so a refusal proves nothing: %s",
		own, a.failure(f, own)+statusComma(status), hint), true, status
}

// sendsCookie reports whether the simple requests carry a cookie.
func (a *auditRun) sendsCookie() bool {
	return a.cred && slices.ContainsFunc(a.author, func(kv capture.Header) bool { return strings.EqualFold(kv.Name, "Cookie") })
}

// chooseMode runs the baseline and falls back to the page's preflight when
// the simple request is closed to the page's own origin (refused, or an
// error status such as a 401 for want of a token): an attacker's page
// reads nothing useful that way, and the preflight still shows the
// server's origin check. A GET standing in for a POST that gets an error
// says nothing about the POST, so it falls back too.
func (a *auditRun) chooseMode(own string) string {
	why, closed, status := a.baseline(own)
	fallback := closed && (a.mode == modeStandIn || a.mode == modeSimple && len(a.unsafe) > 0)
	if !fallback {
		if why == "" && a.mode == modeStandIn {
			a.res.Notes = append(a.res.Notes, "An attacker's page can send the POST without a preflight (as text/plain, with cookies). The audit never sends POST: a GET to the same URL stands in for it.")
		}
		return why
	}
	switch a.mode {
	case modeSimple:
		a.res.Notes = append(a.res.Notes, fmt.Sprintf("The simple %s an attacker's page can send (cookies, no script-set headers) gets nothing readable even for the page's own origin%s, so the origin checks use the preflight the page sends instead.", a.method, statusNote(status)))
	case modeStandIn:
		a.res.Notes = append(a.res.Notes, fmt.Sprintf("An attacker's page can send the POST without a preflight (as text/plain, with cookies), but the audit never sends POST, and a GET to this URL cannot stand in for it%s. The origin checks use the preflight instead: what a simple POST gets is not known.", statusNote(status)))
		a.res.Untested = "the simple POST an attacker's page can send without a preflight"
	}
	a.mode = modePreflight
	why, _, _ = a.baseline(own)
	return why
}

func (a *auditRun) redirectWhy(f capture.Flow) string {
	loc, _ := redirectLocation(f)
	if u, err := a.target.Parse(loc); err == nil {
		loc = u.String()
	}
	return fmt.Sprintf("the server answers %d with Location: %s; run the audit on that URL", f.Response.Status, loc)
}

// originChecks runs the made-up origins, after a baseline request from the
// page's own origin that says whether a refusal means anything.
func (a *auditRun) originChecks(page *url.URL) {
	var ph pageHost
	baseline := "" // why refusals prove nothing ("" when they do)
	if page != nil {
		ph = newPageHost(page)
		baseline = a.chooseMode(ph.self)
	} else {
		baseline = a.chooseMode("null")
	}
	for _, oc := range originChecks {
		c := AuditCheck{Name: oc.name, Title: oc.title}
		var origin, why string
		switch {
		case page == nil && oc.name == "null-origin":
			why = "the page's origin is null itself"
		case page == nil && oc.name == "any-origin":
			origin = "https://" + auditHost
		case page == nil:
			why = "the page's origin is null, so there is no host to imitate"
		default:
			origin, why = oc.origin(ph)
		}
		if origin == "" {
			c.Skipped = why
			a.res.Checks = append(a.res.Checks, c)
			continue
		}
		c.Sent = origin
		if a.stopped {
			c.Err = "not sent: the time limit (--timeout) was reached"
			a.res.Checks = append(a.res.Checks, c)
			continue
		}
		before := len(a.run.res.Flows)
		f, err := a.sendOrigin(origin)
		if len(a.run.res.Flows) > before {
			c.Exchange = len(a.run.res.Flows)
		}
		if err != nil {
			c.Err = err.Error()
			a.res.Checks = append(a.res.Checks, c)
			continue
		}
		c.Status = f.Response.Status
		c.Evidence = corsEvidence(f.Response.Header, hACAO, hACAC)
		h := f.Response.Header
		acao, _ := h.Joined(hACAO)
		duplicate := false
		switch {
		case redirectStatus(f):
			c.Inconclusive = a.redirectWhy(f)
		case a.passes(f, origin, true):
			c.Trusted, c.Credentials, c.Severity = true, true, oc.sev
		case a.passes(f, origin, false) && acao != "*":
			c.Trusted, c.Severity = true, oc.sevNoCred
		case accessCheck(h, true, origin).ok() || accessCheck(h, false, origin).ok() && acao != "*":
			// The origin passes, the rest of the preflight does not.
			c.Trusted, c.Credentials = true, accessCheck(h, true, origin).ok()
			switch {
			case a.res.Untested != "":
				// A POST needs no preflight: the echo is what counts.
				c.Severity = oc.sevNoCred
				if c.Credentials {
					c.Severity = oc.sev
				}
			default:
				c.Refused, c.Severity = true, SeverityLow
			}
		case acao == "*":
			a.res.Wildcard = true
			c.Note = "Access-Control-Allow-Origin: * lets every site read it, without cookies"
		case (h.Count(hACAO) > 1 || strings.Contains(acao, ",")) && listsOrigin(acao, origin):
			// Echoed next to a second value: refused today, whatever the
			// page's own origin gets.
			a.res.Duplicated, duplicate = true, true
			c.Trusted, c.Refused, c.Severity = true, true, SeverityLow
			c.Credentials = strings.EqualFold(h.Get(hACAC), "true")
		case baseline != "":
			c.Inconclusive = baseline
		}
		if c.Trusted && !c.Refused && a.mode == modeSimple && c.Status >= 400 {
			c.Refused, c.Severity = true, SeverityLow
		}
		if c.Trusted {
			c.Risk = a.risk(oc.risk, c, duplicate)
			for _, by := range oc.explainedBy {
				if trusted(a.res.Checks, by) {
					c.ExplainedBy = by
					break
				}
			}
		}
		a.res.Checks = append(a.res.Checks, c)
	}
}

// risk completes a check's risk sentence for what the server did.
func (a *auditRun) risk(prefix string, c AuditCheck, duplicate bool) string {
	const noCookies = ", though without cookies: that matters for data protected only by network position (an intranet, localhost)"
	var s string
	switch {
	case a.res.Untested != "" && c.Credentials:
		s = prefix + "send the POST without a preflight, as the signed-in user (cookies included), and read the answer if it echoes the origin as the preflight does"
	case a.res.Untested != "":
		s = prefix + "send the POST without a preflight and read the answer if it echoes the origin as the preflight does" + noCookies
	case a.mode != modePreflight && c.Credentials:
		s = prefix + "read these responses as the signed-in user (cookies included)"
	case a.mode != modePreflight:
		s = prefix + "read these responses" + noCookies
	case c.Credentials:
		s = prefix + "make the browser send the " + a.method + " as the signed-in user (cookies included), and read the answer if it echoes the origin too"
	default:
		s = prefix + "make the browser send the " + a.method + " and read an answer that echoes the origin too" + noCookies
	}
	switch {
	case duplicate:
		s += ". Today the browser refuses it, because a second Access-Control-Allow-Origin comes with the echo; remove the duplicate and the echo lets this origin in"
	case c.Refused && a.mode == modePreflight:
		s += ". The server refuses the preflight itself (status " + strconv.Itoa(c.Status) + "), so the browser goes no further today; fix the echo anyway"
	case c.Refused:
		s += ". The server refuses the request itself (status " + strconv.Itoa(c.Status) + "), so an attacker reads only that error today; fix the echo anyway"
	}
	return s
}

// sendOrigin sends the origin checks' request from origin: the simple
// request an attacker's page would make (cookies included), or the page's
// preflight.
func (a *auditRun) sendOrigin(origin string) (capture.Flow, error) {
	if a.mode == modePreflight {
		return a.sendPreflight(origin, a.method, a.unsafe)
	}
	h := capture.Headers{{Name: "Accept", Value: "*/*"}}
	if a.cred {
		for _, kv := range a.author {
			if strings.EqualFold(kv.Name, "Cookie") {
				h = append(h, kv)
			}
		}
	}
	h = append(h, capture.Header{Name: "Origin", Value: origin})
	h = append(h, a.metadata(origin)...)
	h = append(h, capture.Header{Name: "User-Agent", Value: a.run.userAgent()})
	return a.send(outgoing{method: a.simpleMethod(), url: a.target, header: h, resourceType: "fetch"})
}

func (a *auditRun) sendPreflight(origin, method string, headers []string) (capture.Flow, error) {
	h := capture.Headers{
		{Name: "Accept", Value: "*/*"},
		{Name: hACRM, Value: method},
	}
	if len(headers) > 0 {
		h = append(h, capture.Header{Name: hACRH, Value: strings.Join(headers, ",")})
	}
	h = append(h, capture.Header{Name: "Origin", Value: origin})
	h = append(h, a.metadata(origin)...)
	h = append(h, capture.Header{Name: "User-Agent", Value: a.run.userAgent()})
	return a.send(outgoing{method: http.MethodOptions, url: a.target, header: h, resourceType: "preflight"})
}

// metadata is the Sec-Fetch-* a browser on origin would send: a made-up
// subdomain is same-site, and a server filtering on Fetch Metadata must see
// that.
func (a *auditRun) metadata(origin string) capture.Headers {
	from, _ := parseProbeOrigin(origin) // nil for "null": cross-site
	a.run.site = siteRelation(from, a.target)
	return a.run.fetchMetadata(a.target)
}

// send performs one request; a network failure becomes a plain error
// (the probe's own wording blames the browser, which is not the case
// here), and the end of ctx stops the audit.
func (a *auditRun) send(o outgoing) (capture.Flow, error) {
	f, err := a.run.send(o)
	if err == nil {
		return f, nil
	}
	if a.ctx.Err() != nil {
		a.stopped, a.res.CutShort = true, true
		return f, fmt.Errorf("not answered: the time limit (--timeout) was reached")
	}
	msg := err.Error()
	if i := strings.Index(msg, " A browser would fail"); i > 0 {
		msg = msg[:i]
	}
	return f, fmt.Errorf("%s", msg)
}

// passes is the browser's check of the origin checks' response: the
// access check for a simple request, the whole preflight check otherwise.
func (a *auditRun) passes(f capture.Flow, origin string, include bool) bool {
	if a.mode != modePreflight {
		return accessCheck(f.Response.Header, include, origin).ok()
	}
	return probePreflightPasses(f.Response, origin, include, a.method, a.unsafe)
}

// failure names the CorsError the page's own origin gets.
func (a *auditRun) failure(f capture.Flow, origin string) string {
	if a.mode != modePreflight {
		return accessCheck(f.Response.Header, a.cred, origin).code.String()
	}
	return preflightCheck(f.Response, origin, a.cred, a.method, a.unsafe).code.String()
}

// policyChecks ask, from the page's own origin, for a header and a method
// no API uses, and judge the answer with the browser's preflight check: a
// server that allows them copies whatever is asked (or allows "*").
func (a *auditRun) policyChecks(page *url.URL) {
	for _, name := range []string{"any-header", "any-method"} {
		c := AuditCheck{Name: name}
		method, headers := a.method, a.unsafe
		if name == "any-header" {
			c.Title, c.Sent = "Any request header is allowed", auditHeader
			headers = append(slices.Clone(a.unsafe), auditHeader)
			slices.Sort(headers)
			headers = dedupSorted(headers)
		} else {
			c.Title, c.Sent, method = "Any method is allowed", auditMethod, auditMethod
		}
		switch {
		case page == nil:
			c.Skipped = "the page's origin is null"
		case a.stopped:
			c.Err = "not sent: the time limit (--timeout) was reached"
		}
		if c.Skipped != "" || c.Err != "" {
			a.res.Checks = append(a.res.Checks, c)
			continue
		}
		own := newPageHost(page).self
		before := len(a.run.res.Flows)
		f, err := a.sendPreflight(own, method, headers)
		if len(a.run.res.Flows) > before {
			c.Exchange = len(a.run.res.Flows)
		}
		if err != nil {
			c.Err = err.Error()
			a.res.Checks = append(a.res.Checks, c)
			continue
		}
		c.Status = f.Response.Status
		hdr := hACAH
		if name == "any-method" {
			hdr = hACAM
		}
		c.Evidence = corsEvidence(f.Response.Header, hdr)
		out := preflightCheck(f.Response, own, a.cred, method, headers)
		switch {
		case redirectStatus(f):
			c.Inconclusive = a.redirectWhy(f)
		case !out.parsed:
			// Failed before the lists: origin, credentials, status or a
			// malformed list.
			c.Inconclusive = "this preflight from the page's own origin fails before its lists are read (" + out.code.String() + statusNote(c.Status) + "), so the server's " + strings.ToLower(hdr) + " cannot be judged"
		case name == "any-header":
			bad, _ := firstDisallowedHeader([]string{auditHeader}, out.headers, a.cred)
			c.Trusted = bad == ""
			c.Risk = "Access-Control-Allow-Headers copies Access-Control-Request-Headers: list the headers the API reads instead"
			if c.Trusted && !containsString(out.headers, auditHeader) {
				c.Risk = "Access-Control-Allow-Headers: * lets a script send any header (requests without credentials): list the headers the API reads instead"
			}
		default:
			c.Trusted = methodAllowed(auditMethod, out.methods, a.cred)
			c.Risk = "Access-Control-Allow-Methods copies Access-Control-Request-Method: list the methods the API serves instead"
			if c.Trusted && !containsString(out.methods, auditMethod) {
				c.Risk = "Access-Control-Allow-Methods: * lets a script use any method (requests without credentials): list the methods the API serves instead"
			}
		}
		if c.Trusted {
			c.Credentials, c.Severity = a.cred, SeverityLow
		} else {
			c.Risk = ""
		}
		a.res.Checks = append(a.res.Checks, c)
	}
}

// listsOrigin reports whether origin is one of the comma-separated values
// of Access-Control-Allow-Origin (joined).
func listsOrigin(acao, origin string) bool {
	for _, v := range strings.Split(acao, ",") {
		if strings.TrimSpace(v) == origin {
			return true
		}
	}
	return false
}

// statusComma is ", status N" for a status that is not a success.
func statusComma(status int) string {
	if status == 0 || status >= 200 && status < 300 {
		return ""
	}
	return ", status " + strconv.Itoa(status)
}

func redirectStatus(f capture.Flow) bool {
	_, ok := redirectLocation(f)
	return ok
}

func trusted(checks []AuditCheck, name string) bool {
	for _, c := range checks {
		if c.Name == name {
			return c.Trusted
		}
	}
	return false
}

// corsEvidence lists the response's headers named in names, as they were
// sent, or says none came.
func corsEvidence(h capture.Headers, names ...string) string {
	var parts []string
	for _, kv := range h {
		if slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, kv.Name) }) {
			parts = append(parts, kv.Name+": "+kv.Value)
		}
	}
	if len(parts) == 0 {
		return "no " + names[0]
	}
	return strings.Join(parts, "; ")
}

func hostPort(host, port string) string {
	if port == "" {
		return host
	}
	return net.JoinHostPort(host, port)
}
