package analyze

// maxChain bounds redirect-chain walks (browsers stop after 20 redirects).
const maxChain = 21

// credentials is what the wire says about the credentials mode of the
// request e belongs to (reference/cors.md §7.1). The mode is a property of
// the whole redirect chain, so evidence from every captured hop counts:
//   - a Cookie header means include;
//   - an Authorization the browser added (not named in the paired
//     preflight's ACRH; unpaired, an HTTP-auth scheme) means include;
//   - a hop the browser went past (its actual request followed its
//     preflight, or the next hop followed its redirect, or the preflight
//     cache served it) whose check passes only without credentials means
//     not include.
func (s *state) credentials(e *entry) Credentials {
	if c := s.hints.Credentials; c == CredInclude || c == CredOmitted {
		return c
	}
	first := e
	for i := 0; i < maxChain && first.prev != 0; i++ {
		p := s.flows[first.prev]
		if p == nil {
			break
		}
		first = p
	}
	omitted := false
	h := first
	for i := 0; i < maxChain && h != nil; i++ {
		switch s.hopEvidence(h) {
		case CredInclude:
			return CredInclude
		case CredOmitted:
			omitted = true
		}
		if h.next == 0 {
			break
		}
		h = s.flows[h.next]
	}
	if omitted {
		return CredOmitted
	}
	return CredUnknown
}

// hopEvidence is the credentials evidence one request hop carries.
func (s *state) hopEvidence(h *entry) Credentials {
	c := &h.c
	if c.cookie {
		return CredInclude
	}
	if c.kind == "font" {
		// @font-face always fetches with credentials mode same-origin.
		return CredOmitted
	}
	var p *entry
	if h.pair != 0 {
		p = s.flows[h.pair]
	}
	if c.authz {
		if p != nil {
			if !containsString(p.c.acrh, "authorization") {
				return CredInclude
			}
		} else if c.authzBrow && h.pair == 0 {
			return CredInclude
		}
	}
	if p != nil && p.flow.Response != nil && !isImportedFailure(&h.flow) && !isImportedFailure(&p.flow) {
		if s.preflightResult(p, false).ok() && !s.preflightResult(p, true).ok() {
			return CredOmitted
		}
	}
	if h.next != 0 && h.flow.Response != nil {
		if h.acc[0].ok() && !h.acc[1].ok() {
			return CredOmitted
		}
	}
	if h.pair == 0 && h.cacheHitOmit && !h.cacheHitInc {
		// Only a non-credentialed request could have been served by the
		// cached preflight result, and no OPTIONS preceded this one.
		return CredOmitted
	}
	return CredUnknown
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
		if r := s.flows[e.prev]; r != nil {
			return s.credentials(r)
		}
	}
	return CredUnknown
}
