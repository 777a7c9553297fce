package analyze

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/corscope/corscope/capture"
)

// How the probe turns the user's command line into the request a page's
// fetch() would make: the method as fetch normalises it, the headers a
// script may set, the origin as the browser serialises it.

// ParseProbeHeader parses a -H flag value "Name: value" (curl style).
func ParseProbeHeader(s string) (capture.Header, error) {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return capture.Header{}, &ProbeError{Msg: fmt.Sprintf("-H %q is not a header: write it as 'Name: value', e.g. -H 'Authorization: Bearer x'", s)}
	}
	if !isToken(name) {
		return capture.Header{}, &ProbeError{Msg: fmt.Sprintf("-H %q: %q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only)", s, name)}
	}
	value = strings.Trim(value, " \t")
	if strings.ContainsAny(value, "\r\n\x00") {
		return capture.Header{}, &ProbeError{Msg: fmt.Sprintf("-H %q: the value contains a line break or NUL, which no browser sends", s)}
	}
	return capture.Header{Name: name, Value: value}, nil
}

// normalizeFetchMethod upper-cases the six methods fetch() normalises and
// keeps every other method exactly as given (so "patch" stays "patch").
func normalizeFetchMethod(m string) string {
	if m == "" {
		return "GET"
	}
	switch u := strings.ToUpper(m); u {
	case "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT":
		return u
	}
	return m
}

// validateMethod refuses what fetch() itself refuses with a TypeError.
func validateMethod(m string) error {
	if !isToken(m) {
		return &ProbeError{Msg: fmt.Sprintf("-X %q is not a valid method name", m)}
	}
	switch strings.ToUpper(m) {
	case "CONNECT", "TRACE", "TRACK":
		return &ProbeError{Msg: fmt.Sprintf("-X %s: fetch() refuses this method outright (TypeError), nothing is sent", m)}
	}
	return nil
}

// authorHeaders keeps the headers the page's script can actually send.
// Cookie is the exception: with credentials it stands for the browser's
// cookie jar, which sends it on its own.
func authorHeaders(in capture.Headers, credentials bool) (capture.Headers, []string) {
	var out capture.Headers
	var dropped []string
	for _, kv := range in {
		if strings.EqualFold(kv.Name, "Cookie") {
			if credentials {
				out = append(out, kv)
			} else {
				dropped = append(dropped, "Cookie: the browser sends cookies cross-origin only with credentials: 'include' (pass --credentials)")
			}
			continue
		}
		if isForbiddenRequestHeader(kv.Name, kv.Value) {
			dropped = append(dropped, kv.Name+": a script may not set it; the browser leaves it out")
			continue
		}
		out = append(out, kv)
	}
	return out, dropped
}

// parseProbeURL accepts an absolute http(s) URL.
func parseProbeURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &ProbeError{Msg: fmt.Sprintf("%q is not an absolute http:// or https:// URL, e.g. http://localhost:8080/api/users", s)}
	}
	if u.User != nil {
		return nil, &ProbeError{Msg: fmt.Sprintf("%q has a user name or password in it: fetch() refuses such URLs (TypeError); send an Authorization header with -H instead", s)}
	}
	u.Fragment = ""
	return u, nil
}

// parseProbeOrigin parses --origin. It returns nil for "null" (an opaque
// origin, as a sandboxed iframe or a data: page has).
func parseProbeOrigin(s string) (*url.URL, error) {
	if s == "null" {
		return nil, nil
	}
	u, err := url.Parse(s)
	bad := err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != ""
	if bad {
		return nil, &ProbeError{Msg: fmt.Sprintf("--origin %q is not an origin: give the page's scheme://host[:port] with no path, e.g. --origin http://localhost:3000", s)}
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// SerializeOrigin returns origin the way a browser writes it in the Origin
// header: lower-case scheme and host, no default port, no trailing slash.
// Input that is not an origin is returned as given.
func SerializeOrigin(origin string) string {
	if origin == "null" {
		return origin
	}
	u, err := parseProbeOrigin(origin)
	if err != nil {
		return origin
	}
	return originOf(u)
}

func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if a, err := idna.Lookup.ToASCII(host); err == nil {
		host = a // browsers send internationalized hosts in punycode
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if port == "" || (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + port
}

// sameOrigin compares scheme, host and port. A nil (opaque) origin is
// never the same as anything.
func sameOrigin(a, b *url.URL) bool {
	if a == nil || b == nil {
		return false
	}
	return originOf(a) == originOf(b)
}

// siteRelation is Sec-Fetch-Site for a request from page to u:
// same-origin, same-site (same scheme and registrable domain, e.g. another
// port on the same host) or cross-site.
func siteRelation(page, u *url.URL) string {
	if page == nil {
		return "cross-site"
	}
	if sameOrigin(page, u) {
		return "same-origin"
	}
	if !strings.EqualFold(page.Scheme, u.Scheme) {
		return "cross-site"
	}
	a, b := strings.ToLower(page.Hostname()), strings.ToLower(u.Hostname())
	if a == b {
		return "same-site"
	}
	if net.ParseIP(a) != nil || net.ParseIP(b) != nil {
		return "cross-site"
	}
	sa, errA := publicsuffix.EffectiveTLDPlusOne(a)
	sb, errB := publicsuffix.EffectiveTLDPlusOne(b)
	if errA == nil && errB == nil && sa == sb {
		return "same-site"
	}
	return "cross-site"
}

// potentiallyTrustworthy reports whether Chromium sends Fetch Metadata
// (Sec-Fetch-*) to u: https, or http to a loopback host.
func potentiallyTrustworthy(u *url.URL) bool {
	if strings.EqualFold(u.Scheme, "https") {
		return true
	}
	h := strings.ToLower(u.Hostname())
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
