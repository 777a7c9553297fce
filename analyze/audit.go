package analyze

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/corscope/corscope/capture"
)

// The audit is the probe's active half of cors.md §6: mistakes in how a
// server validates origins cannot be seen on the wire until someone sends
// an origin the server should refuse. It sends the request the page would
// (same method, same script-set headers) from made-up origins, each built
// to slip past one kind of broken check, and reports which the server
// trusted, by the browser's own access check.
//
// It sends only requests that cannot change data: OPTIONS preflights, and
// GET or HEAD when that is the page's own request and needs no preflight.
// A simple POST is audited with the OPTIONS a preflight would use; servers
// answer those from the same origin check.

// Severity ranks an audit finding.
type Severity string

const (
	SeverityHigh   Severity = "high"   // an attacker's page can read signed-in users' data
	SeverityMedium Severity = "medium" // the same, given a foothold (a subdomain, a network position)
	SeverityLow    Severity = "low"    // readable without credentials only, or friction removed
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
	// pre-domain, unescaped-dot, any-subdomain, http-origin, any-header,
	// any-method.
	Name string
	// Title says in a few words what a trusted result means.
	Title string
	// Sent is the Origin sent, or for any-header and any-method the
	// Access-Control-Request-Headers / -Method value.
	Sent string
	// Skipped says why the check did not apply ("" when it ran).
	Skipped string
	// Err is a network failure of this check's request ("" when answered).
	Err string
	// Status is the response status (0 when skipped or failed).
	Status int
	// Trusted reports that the server let the made-up value through;
	// Credentials that it did so with Access-Control-Allow-Credentials:
	// true, so the browser would send and expose cookies.
	Trusted, Credentials bool
	// Evidence is the response headers that decided it, as sent.
	Evidence string
	// Severity is set when Trusted; ExplainedBy names an earlier check
	// that already accounts for this one (its severity then does not
	// count twice).
	Severity    Severity
	ExplainedBy string
	// Risk says, for a trusted result, what an attacker can do.
	Risk string
}

// AuditResult is every check of one audit.
type AuditResult struct {
	// Method is how the checks were sent: OPTIONS (as preflights), GET or
	// HEAD.
	Method string
	// Wildcard reports that the server answered Access-Control-Allow-Origin:
	// * to a made-up origin: every site can read the responses without
	// credentials, whatever the origin checks below say.
	Wildcard bool
	Checks   []AuditCheck
	// Flows are the exchanges, in the order sent.
	Flows []capture.Flow
}

// Worst is the highest severity among the findings not explained by
// another; "" when the audit found nothing.
func (a *AuditResult) Worst() Severity {
	var worst Severity
	for _, c := range a.Checks {
		if c.Trusted && c.ExplainedBy == "" && c.Severity.rank() > worst.rank() {
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

func (a *AuditResult) originFindings() bool {
	for _, c := range a.Checks {
		if c.Trusted && c.Name != "any-header" && c.Name != "any-method" {
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

// originCheck is a check that sends a made-up Origin.
type originCheck struct {
	name, title string
	// origin builds the made-up origin from the page's; "" and a reason
	// when the check does not apply.
	origin func(page *url.URL) (string, string)
	// sev is the severity with credentials and without.
	sev, sevNoCred Severity
	risk           string
	// explainedBy are checks whose finding would imply this one.
	explainedBy []string
}

var originChecks = []originCheck{
	{
		name: "any-origin", title: "Any origin is allowed",
		origin: func(page *url.URL) (string, string) {
			return schemeOf(page) + "://" + auditHost, ""
		},
		sev: SeverityHigh, sevNoCred: SeverityLow,
		risk: "the server copies whatever Origin arrives, so every website can read these responses",
	},
	{
		name: "null-origin", title: "Origin: null is allowed",
		origin: func(*url.URL) (string, string) { return "null", "" },
		sev:    SeverityHigh, sevNoCred: SeverityLow,
		risk:        "any page can send Origin: null (a sandboxed iframe, a data: URL, a redirect through a third origin), so every website can read these responses",
		explainedBy: []string{"any-origin"},
	},
	{
		name: "post-domain", title: "Origins that begin with the page's host are allowed (a prefix match)",
		origin: func(page *url.URL) (string, string) {
			return withHost(page, page.Hostname()+"."+auditHost), ""
		},
		sev: SeverityHigh, sevNoCred: SeverityLow,
		risk:        "whoever registers a domain like the one sent can read these responses",
		explainedBy: []string{"any-origin"},
	},
	{
		name: "pre-domain", title: "Origins that end with the page's domain are allowed (a suffix match without the dot)",
		origin: func(page *url.URL) (string, string) {
			site, why := registrable(page)
			if site == "" {
				return "", why
			}
			return withHost(page, "corscopeaudit"+site), ""
		},
		sev: SeverityHigh, sevNoCred: SeverityLow,
		risk:        "whoever registers a domain like the one sent can read these responses",
		explainedBy: []string{"any-origin"},
	},
	{
		name: "unescaped-dot", title: "A dot in the allowed origin matches any character (a regular expression with unescaped dots)",
		origin: func(page *url.URL) (string, string) {
			site, why := registrable(page)
			if site == "" {
				return "", why
			}
			host := page.Hostname()
			label, ok := strings.CutSuffix(host, "."+site)
			if !ok || label == "" {
				return "", "the page's host " + host + " is its registrable domain, so there is no dot an attacker could replace and register"
			}
			// app.example.com → appxexample.com: registrable by anyone,
			// and matched by the regular expression app.example.com.
			return withHost(page, label+"x"+site), ""
		},
		sev: SeverityHigh, sevNoCred: SeverityLow,
		risk:        "whoever registers a domain like the one sent can read these responses",
		explainedBy: []string{"pre-domain"},
	},
	{
		name: "any-subdomain", title: "Every subdomain of the page's domain is allowed",
		origin: func(page *url.URL) (string, string) {
			site, why := registrable(page)
			if site == "" {
				return "", why
			}
			return withHost(page, "corscope-audit."+site), ""
		},
		sev: SeverityMedium, sevNoCred: SeverityLow,
		risk:        "one cross-site scripting hole or abandoned DNS record on any subdomain is enough to read these responses",
		explainedBy: []string{"pre-domain"},
	},
	{
		name: "http-origin", title: "The http:// twin of the page's https:// origin is allowed",
		origin: func(page *url.URL) (string, string) {
			if page.Scheme != "https" {
				return "", "the page's origin is already http://"
			}
			return "http://" + hostPort(page.Hostname(), page.Port()), ""
		},
		sev: SeverityMedium, sevNoCred: SeverityLow,
		risk:        "anyone who can tamper with plain-http traffic (public Wi-Fi) can inject a script into the http:// page and read these responses",
		explainedBy: []string{"any-origin", "pre-domain"}, // a suffix check ignores the scheme
	},
}

// Audit runs the audit for req, which must already have passed a Probe's
// checks of its arguments. A network failure of one check is recorded on
// that check; only a context error ends the audit early.
func (p *Prober) Audit(ctx context.Context, req ProbeRequest) (*AuditResult, error) {
	if p.Transport == nil {
		return nil, &ProbeError{Msg: "probe: no transport"}
	}
	target, err := parseProbeURL(req.URL)
	if err != nil {
		return nil, err
	}
	page, err := parseProbeOrigin(req.Origin)
	if err != nil {
		return nil, err
	}
	method := normalizeFetchMethod(req.Method)
	author, _ := authorHeaders(req.Header, req.Credentials)
	_, unsafe := NeedsPreflight(method, author)
	asPreflight := len(unsafe) > 0 || (method != http.MethodGet && method != http.MethodHead)

	res := &AuditResult{Method: method}
	if asPreflight {
		res.Method = http.MethodOptions
	}
	run := &probeRun{p: p, ctx: ctx, res: &ProbeResult{}, pageOrigin: page, author: author, cred: req.Credentials, site: "cross-site"}
	send := func(origin, reqMethod string, reqHeaders []string) (capture.Flow, error) {
		u := target
		if asPreflight || reqMethod != method || len(reqHeaders) != len(unsafe) {
			h := capture.Headers{
				{Name: "Accept", Value: "*/*"},
				{Name: "Access-Control-Request-Method", Value: reqMethod},
			}
			if len(reqHeaders) > 0 {
				h = append(h, capture.Header{Name: "Access-Control-Request-Headers", Value: strings.Join(reqHeaders, ",")})
			}
			h = append(h, capture.Header{Name: "Origin", Value: origin})
			h = append(h, run.fetchMetadata(u)...)
			h = append(h, capture.Header{Name: "User-Agent", Value: run.userAgent()})
			return run.send(outgoing{method: http.MethodOptions, url: u, header: h, resourceType: "preflight"})
		}
		return run.send(run.actualRequest(u, method, origin, author, true))
	}

	for _, oc := range originChecks {
		c := AuditCheck{Name: oc.name, Title: oc.title}
		if page == nil {
			c.Skipped = "the page's origin is null, so there is nothing to imitate"
			res.Checks = append(res.Checks, c)
			continue
		}
		origin, why := oc.origin(page)
		if origin == "" {
			c.Skipped = why
			res.Checks = append(res.Checks, c)
			continue
		}
		c.Sent = origin
		f, err := send(origin, method, unsafe)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			c.Err = err.Error()
			res.Checks = append(res.Checks, c)
			continue
		}
		c.Status = f.Response.Status
		c.Evidence = corsEvidence(f.Response.Header, "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials")
		switch {
		case accessCheck(f.Response.Header, true, origin).ok():
			c.Trusted, c.Credentials, c.Severity = true, true, oc.sev
		case f.Response.Header.Get("Access-Control-Allow-Origin") == "*":
			res.Wildcard = true
		case accessCheck(f.Response.Header, false, origin).ok():
			c.Trusted, c.Severity = true, oc.sevNoCred
		}
		if c.Trusted {
			c.Risk = oc.risk
			if c.Credentials {
				c.Risk += " with the user's cookies"
			} else {
				c.Risk += ", though without cookies: that matters for data protected only by network position (an intranet, localhost)"
			}
			for _, by := range oc.explainedBy {
				if trusted(res.Checks, by) {
					c.ExplainedBy = by
					break
				}
			}
		}
		res.Checks = append(res.Checks, c)
	}

	// Header and method reflection, from the page's own origin: they only
	// mean something when that origin is allowed.
	for _, name := range []string{"any-header", "any-method"} {
		c := AuditCheck{Name: name}
		reqMethod, reqHeaders := method, unsafe
		if name == "any-header" {
			c.Title = "Any request header is allowed"
			c.Sent = auditHeader
			reqHeaders = append(append([]string{}, unsafe...), auditHeader)
			slices.Sort(reqHeaders)
			reqHeaders = dedupSorted(reqHeaders)
		} else {
			c.Title = "Any method is allowed"
			c.Sent = auditMethod
			reqMethod = auditMethod
		}
		if page == nil {
			c.Skipped = "the page's origin is null"
			res.Checks = append(res.Checks, c)
			continue
		}
		f, err := send(originOf(page), reqMethod, reqHeaders)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			c.Err = err.Error()
			res.Checks = append(res.Checks, c)
			continue
		}
		c.Status = f.Response.Status
		if name == "any-header" {
			c.Evidence = corsEvidence(f.Response.Header, "Access-Control-Allow-Headers")
		} else {
			c.Evidence = corsEvidence(f.Response.Header, "Access-Control-Allow-Methods")
		}
		if !accessCheck(f.Response.Header, req.Credentials, originOf(page)).ok() {
			c.Skipped = "the server does not allow the page's own origin on this preflight, so its header policy cannot be seen"
			res.Checks = append(res.Checks, c)
			continue
		}
		if name == "any-header" {
			allowed, _, _ := parseAllowList(f.Response.Header.Get("Access-Control-Allow-Headers"), true)
			c.Trusted = containsString(allowed, auditHeader)
			c.Risk = "Access-Control-Allow-Headers copies Access-Control-Request-Headers: list the headers the API reads instead"
		} else {
			allowed, _, _ := parseAllowList(f.Response.Header.Get("Access-Control-Allow-Methods"), false)
			c.Trusted = containsString(allowed, auditMethod)
			c.Risk = "Access-Control-Allow-Methods copies Access-Control-Request-Method: list the methods the API serves instead"
		}
		if c.Trusted {
			c.Credentials = req.Credentials
			c.Severity = SeverityLow
		} else {
			c.Risk = ""
		}
		res.Checks = append(res.Checks, c)
	}
	res.Flows = run.res.Flows
	return res, nil
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

func schemeOf(u *url.URL) string { return strings.ToLower(u.Scheme) }

// withHost is the page's origin with another host, same scheme and port.
func withHost(page *url.URL, host string) string {
	return originOf(&url.URL{Scheme: page.Scheme, Host: hostPort(host, page.Port())})
}

func hostPort(host, port string) string {
	if port == "" {
		return host
	}
	return net.JoinHostPort(host, port)
}

// registrable returns the page host's registrable domain (example.com for
// app.example.com), or "" and why there is none.
func registrable(page *url.URL) (string, string) {
	h := strings.ToLower(page.Hostname())
	if net.ParseIP(h) != nil {
		return "", "the page's host is an IP address, which has no registrable domain to imitate"
	}
	site, err := publicsuffix.EffectiveTLDPlusOne(strings.TrimSuffix(h, "."))
	if err != nil || !strings.Contains(site, ".") {
		return "", "the page's host " + h + " has no registrable domain to imitate"
	}
	return site, ""
}

// auditAdvice is the fix for every origin-check finding.
const auditAdvice = "Compare Origin with a fixed list of full origins (scheme://host:port), byte for byte; never echo it unchecked, allow null, or match it by prefix, suffix or an unescaped regular expression."

// writeAuditText appends the audit's report to b.
func writeAuditText(b *strings.Builder, a *AuditResult) {
	how := "as GET requests"
	switch a.Method {
	case http.MethodOptions:
		how = "as OPTIONS preflights"
	case http.MethodHead:
		how = "as HEAD requests"
	}
	fmt.Fprintf(b, "\nAudit: %d checks with made-up origins, sent %s (never a request that could change data)\n", len(a.Checks), how)
	for _, c := range a.Checks {
		switch {
		case c.Skipped != "":
			fmt.Fprintf(b, "  %-8s %-14s %s\n", "skipped", c.Name, c.Skipped)
		case c.Err != "":
			fmt.Fprintf(b, "  %-8s %-14s %s\n", "error", c.Name, c.Err)
		case !c.Trusted:
			fmt.Fprintf(b, "  %-8s %-14s %s → not allowed\n", "ok", c.Name, c.sentText())
		default:
			cred := ", without credentials"
			if c.Credentials {
				cred = ", with credentials"
			}
			if c.Name == "any-header" || c.Name == "any-method" {
				cred = ""
			}
			also := ""
			if c.ExplainedBy != "" {
				also = " (follows from " + c.ExplainedBy + ")"
			}
			fmt.Fprintf(b, "  %-8s %-14s %s → allowed%s%s\n", strings.ToUpper(string(c.Severity)), c.Name, c.sentText(), cred, also)
			fmt.Fprintf(b, "  %-8s %-14s %s\n", "", "", c.Evidence)
			fmt.Fprintf(b, "  %-8s %-14s %s: %s.\n", "", "", c.Title, c.Risk)
		}
	}
	if a.Wildcard {
		b.WriteString("Note: the server answers Access-Control-Allow-Origin: * to any origin, so every site can read these responses without cookies.\n")
	}
	n := a.Findings()
	if n == 0 {
		b.WriteString("Audit result: no mistake found in the origin, method and header checks.\n")
		return
	}
	fmt.Fprintf(b, "Audit result: %d of %d checks allowed, worst %s.", n, len(a.Checks), strings.ToUpper(string(a.Worst())))
	if a.originFindings() {
		b.WriteString(" " + auditAdvice)
	}
	if trusted(a.Checks, "any-header") || trusted(a.Checks, "any-method") {
		b.WriteString(" List the methods and headers the API uses instead of copying the preflight's request.")
	}
	b.WriteString("\n")
}

func (c *AuditCheck) sentText() string {
	switch c.Name {
	case "any-header":
		return "Access-Control-Request-Headers: " + c.Sent
	case "any-method":
		return "Access-Control-Request-Method: " + c.Sent
	}
	return "Origin: " + c.Sent
}

// auditJSON is the "audit" member of probe --json.
type auditJSON struct {
	Method   string           `json:"method"`
	Wildcard bool             `json:"wildcard"`
	Worst    string           `json:"worst"`
	Findings int              `json:"findings"`
	Checks   []auditCheckJSON `json:"checks"`
}

type auditCheckJSON struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Sent        string `json:"sent"`
	Skipped     string `json:"skipped"`
	Error       string `json:"error"`
	Status      int    `json:"status"`
	Trusted     bool   `json:"trusted"`
	Credentials bool   `json:"credentials"`
	Severity    string `json:"severity"`
	ExplainedBy string `json:"explainedBy"`
	Evidence    string `json:"evidence"`
	Risk        string `json:"risk"`
}

func newAuditJSON(a *AuditResult) *auditJSON {
	out := &auditJSON{Method: a.Method, Wildcard: a.Wildcard, Worst: string(a.Worst()), Findings: a.Findings(), Checks: []auditCheckJSON{}}
	for _, c := range a.Checks {
		out.Checks = append(out.Checks, auditCheckJSON{
			Name: c.Name, Title: c.Title, Sent: c.Sent, Skipped: c.Skipped, Error: c.Err,
			Status: c.Status, Trusted: c.Trusted, Credentials: c.Credentials,
			Severity: string(c.Severity), ExplainedBy: c.ExplainedBy, Evidence: c.Evidence, Risk: c.Risk,
		})
	}
	return out
}
