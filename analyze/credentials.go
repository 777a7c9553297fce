package analyze

import "github.com/corscope/corscope/capture"

// maxChain bounds redirect-chain walks (browsers stop after 20 redirects).
const maxChain = 21

// credSource says what settled a credentials mode.
type credSource uint8

const (
	srcNone   credSource = iota // nothing: the mode is unknown
	srcWire                     // the exchange itself (cookies, pairing, redirects followed)
	srcJar                      // no Cookie header although the browser held a cookie for the request
	srcRecord                   // the browser's own record of the load's outcome
)

// credentials is what the wire says about the credentials mode of the
// request e belongs to (reference/cors.md §7.1). The mode is a property of
// the whole redirect chain, so evidence from every captured hop counts:
//   - a Cookie header means include;
//   - an Authorization the browser added (not named in the paired
//     preflight's ACRH; unpaired, an HTTP-auth scheme) means include;
//   - a hop the browser went past (its actual request followed its
//     preflight, or the next hop followed its redirect, or the preflight
//     cache served it) whose check passes only without credentials means
//     not include;
//   - in a browser's own recording, a hop it accepted whose check passes
//     only without credentials means not include, and one it failed with
//     net::ERR_FAILED whose check fails only with credentials means
//     include (record.go).
func (s *state) credentials(e *entry) Credentials {
	c, _ := s.credentialsWhy(e)
	return c
}

// credentialsWhy is credentials with what settled it.
func (s *state) credentialsWhy(e *entry) (Credentials, credSource) {
	if c := s.hints.Credentials; c == CredInclude || c == CredOmitted {
		return c, srcWire
	}
	first := e
	for i := 0; i < maxChain && first.prev != 0; i++ {
		p := s.flows.get(first.prev)
		if p == nil {
			break
		}
		first = p
	}
	omitted := srcNone
	h := first
	for i := 0; i < maxChain && h != nil; i++ {
		switch c, src := s.hopEvidence(h); c {
		case CredInclude:
			return CredInclude, src
		case CredOmitted:
			if omitted == srcNone || src < omitted {
				omitted = src // the strongest evidence: wire, then jar, then record
			}
		}
		if h.next == 0 {
			break
		}
		h = s.flows.get(h.next)
	}
	if omitted != srcNone {
		return CredOmitted, omitted
	}
	return CredUnknown, srcNone
}

// hopEvidence is the credentials evidence one request hop carries.
func (s *state) hopEvidence(h *entry) (Credentials, credSource) {
	c := &h.c
	if !c.cross {
		// A same-origin hop sends cookies in the default mode too: it
		// proves nothing about the mode.
		return CredUnknown, srcNone
	}
	if c.cookie {
		return CredInclude, srcWire
	}
	if c.kind == "font" || c.fromStylesheet {
		// @font-face always fetches with credentials mode same-origin,
		// and so does everything else a stylesheet loads in CORS mode.
		return CredOmitted, srcWire
	}
	var p *entry
	if h.pair != 0 {
		p = s.flows.get(h.pair)
	}
	if c.authz {
		if p != nil {
			if !containsString(p.c.acrh, "authorization") {
				return CredInclude, srcWire
			}
		} else if c.authzBrow && h.pair == 0 {
			return CredInclude, srcWire
		}
	}
	if p != nil && p.flow.Response != nil && !isImportedFailure(&h.flow) && !isImportedFailure(&p.flow) {
		if s.preflightResult(p, false).ok() && !s.preflightResult(p, true).ok() {
			return CredOmitted, srcWire
		}
	}
	if h.next != 0 && h.flow.Response != nil {
		if h.acc[0].ok() && !h.acc[1].ok() {
			return CredOmitted, srcWire
		}
	}
	if h.pair == 0 && h.cacheHitOmit && !h.cacheHitInc {
		// Only a non-credentialed request could have been served by the
		// cached preflight result, and no OPTIONS preceded this one.
		return CredOmitted, srcWire
	}
	if h.jarHint {
		return CredOmitted, srcJar
	}
	if h.flow.Response != nil && h.acc[0].ok() != h.acc[1].ok() {
		switch recorded(h) {
		case recAccepted:
			if h.acc[0].ok() {
				return CredOmitted, srcRecord
			}
		case recFailed:
			if !h.acc[1].ok() {
				return CredInclude, srcRecord
			}
		}
	}
	return CredUnknown, srcNone
}

// hostCookies is what the capture showed about the browser's cookies for
// one host (cookies are scoped by host, not port).
type hostCookies struct {
	refs int
	// any: a request to the host carried a Cookie header.
	any bool
	// crossFrom are page origins (at most maxCrossFrom) whose cross-site
	// CORS requests to the host carried a Cookie header: from such a
	// page the browser sends the host's cookies cross-site (a
	// SameSite=None cookie exists, and third-party cookies are not
	// blocked for that page, or the cookie is partitioned to it).
	crossFrom []string
}

// maxCrossFrom bounds hostCookies.crossFrom.
const maxCrossFrom = 4

// noteCookies records a new flow's cookie evidence and snapshots, for a
// CORS request without a Cookie header, whether the browser then held
// cookies it would have attached had the request been credentialed
// (reference/cors.md §7.1: the absence of Cookie proves nothing by
// itself; with cookies known to be in the jar it does). Two kinds of
// evidence count:
//   - a cookie the jar model holds (cookieFor): a Set-Cookie seen earlier
//     whose cookie domain, path, expiry, Secure and SameSite rules send it
//     with this request — for same-site requests only;
//   - a Cookie header on an earlier request to the host: a same-site
//     request gets the host's Lax, Strict and None cookies, so any such
//     header counts (a cross-site navigation too: it sends Lax cookies);
//     a cross-site request only gets None cookies, and only when the
//     browser lets third-party cookies through, so it needs an earlier
//     cross-site CORS request from the same page origin that carried one
//     (not a navigation, which is first-party).
func (s *state) noteCookies(e *entry) {
	c := &e.c
	host := c.target.hostName()
	if host == "" {
		return
	}
	hc := s.hosts[host]
	if hc == nil {
		hc = &hostCookies{}
		s.hosts[host] = hc
	}
	hc.refs++
	e.host = host
	if c.hasOrigin && c.cross && !c.cookie && !c.preflight {
		if ck, ok := s.cookieFor(e); ok {
			e.jarHint = true
			if s.jarWhy == nil {
				s.jarWhy = make(map[capture.FlowID]jarEvidence)
			}
			s.jarWhy[e.flow.ID] = jarEvidence{flow: ck.setBy, name: ck.name, sameSite: ck.sameSite, unspec: ck.unspecified}
		} else {
			e.jarHint = c.sameSite && hc.any || !c.sameSite && containsString(hc.crossFrom, c.origin)
		}
	}
	if c.cookie {
		hc.any = true
		if !c.sameSite && c.hasOrigin && c.cross && c.mode != "navigate" &&
			len(hc.crossFrom) < maxCrossFrom && !containsString(hc.crossFrom, c.origin) {
			hc.crossFrom = append(hc.crossFrom, c.origin)
		}
	}
}

func (s *state) forgetCookies(e *entry) {
	if e.host == "" {
		return
	}
	if hc := s.hosts[e.host]; hc != nil {
		hc.refs--
		if hc.refs <= 0 {
			delete(s.hosts, e.host)
		}
	}
}

// preflightCredentials is the credentials mode of the request a preflight
// guards: its paired actual's chain, or, for a preflight restarted after a
// redirect, the chain it continues.
func (s *state) preflightCredentials(e, a *entry) Credentials {
	if c := s.hints.Credentials; c == CredInclude || c == CredOmitted {
		return c
	}
	if a != nil {
		return s.credentials(a)
	}
	if e.prev != 0 {
		if r := s.flows.get(e.prev); r != nil {
			return s.credentials(r)
		}
	}
	return CredUnknown
}
