package analyze

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// origin is a parsed tuple origin (scheme, host, port) with its
// serialization, the string Chromium compares Access-Control-Allow-Origin
// against. An opaque origin has Opaque set and serializes as "null".
type origin struct {
	Scheme string // lower case
	Host   string // lower case; IPv6 literals keep their brackets
	Port   string // "" when the scheme's default port
	Opaque bool
	// Serialized is scheme://host[:port] or "null".
	Serialized string
	// Address space, once computed by withSpace.
	loop, lan bool
}

// looksLikeIP: an IPv6 literal, or a host made of digits and dots.
func looksLikeIP(h string) bool {
	if strings.IndexByte(h, ':') >= 0 {
		return true
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return h != ""
}

// withSpace returns o with its address-space flags computed, so hot paths
// need not parse the host again.
func (o origin) withSpace() origin {
	if o.Opaque {
		return o
	}
	h := o.hostName()
	if looksLikeIP(h) {
		a, err := netip.ParseAddr(h)
		if err != nil {
			return o
		}
		a = a.Unmap()
		o.loop = a.IsLoopback()
		o.lan = o.loop || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsUnspecified() ||
			a.Is4() && a.As4()[0] == 100 && a.As4()[1]&0xc0 == 64
		return o
	}
	o.loop = h == "localhost" || strings.HasSuffix(h, ".localhost")
	o.lan = o.loop || strings.HasSuffix(h, ".local")
	return o
}

// defaultPort returns the default port of the schemes an origin can have
// on the wire, or "" for schemes without one.
func defaultPort(scheme string) string {
	switch scheme {
	case "http", "ws":
		return "80"
	case "https", "wss":
		return "443"
	case "ftp":
		return "21"
	}
	return ""
}

// parseOrigin parses an absolute URL (or a bare serialized origin such as
// an Origin header value) and returns its origin. Anything that has no
// scheme://authority form, including the literal "null", is opaque. The
// parse is deliberately small and allocation-free in the common case
// (already canonical input): it runs for every flow.
func parseOrigin(u string) origin {
	if u == "null" || u == "" {
		return origin{Opaque: true, Serialized: "null"}
	}
	sep := strings.Index(u, "://")
	if sep <= 0 || !validScheme(u[:sep]) {
		return origin{Opaque: true, Serialized: "null"}
	}
	scheme := u[:sep]
	rest := u[sep+3:]
	end := authorityEnd(rest)
	auth := rest[:end]
	canonical := true
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
		canonical = false
	}
	host, port := auth, ""
	if strings.HasPrefix(auth, "[") {
		close := strings.IndexByte(auth, ']')
		if close < 0 {
			return origin{Opaque: true, Serialized: "null"}
		}
		host = auth[:close+1]
		tail := auth[close+1:]
		if tail != "" {
			if tail[0] != ':' {
				return origin{Opaque: true, Serialized: "null"}
			}
			port = tail[1:]
		}
	} else if c := strings.IndexByte(auth, ':'); c >= 0 {
		host, port = auth[:c], auth[c+1:]
	}
	if host == "" {
		return origin{Opaque: true, Serialized: "null"}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 || port[0] == '+' || port[0] == '-' {
			return origin{Opaque: true, Serialized: "null"}
		}
		if len(port) > 1 && port[0] == '0' { // leading zeros
			port = strconv.Itoa(n)
			canonical = false
		}
	} else if strings.HasSuffix(auth, ":") {
		canonical = false
	}
	if port == defaultPort(lowerASCII(scheme)) && port != "" {
		port = ""
		canonical = false
	}
	if hasUpperASCII(scheme) || hasUpperASCII(host) {
		canonical = false
	}
	o := origin{Scheme: lowerASCII(scheme), Host: lowerASCII(host), Port: port}
	if canonical {
		o.Serialized = u[:sep+3+end]
	} else if port == "" {
		o.Serialized = o.Scheme + "://" + o.Host
	} else {
		o.Serialized = o.Scheme + "://" + o.Host + ":" + port
	}
	return o
}

// authorityEnd returns the index of the first '/', '?', '#' or '\\' in s
// (the end of a URL's authority), or len(s).
func authorityEnd(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '/', '?', '#', '\\':
			return i
		}
	}
	return len(s)
}

func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}

// lowerASCII lower-cases ASCII letters, returning s itself when it has none.
func lowerASCII(s string) string {
	if !hasUpperASCII(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// hostName returns the host without IPv6 brackets.
func (o origin) hostName() string {
	return strings.TrimSuffix(strings.TrimPrefix(o.Host, "["), "]")
}

// site returns the registrable domain ("schemeless site") of the origin's
// host: eTLD+1 for names, the host itself for IP literals, localhost and
// names that are a public suffix.
func (o origin) site() string {
	h := o.hostName()
	if h == "" || net.ParseIP(h) != nil || !strings.Contains(h, ".") {
		return h
	}
	s, err := publicsuffix.EffectiveTLDPlusOne(strings.TrimSuffix(h, "."))
	if err != nil {
		return h
	}
	return s
}

// sameSite reports whether two origins are schemefully same-site, as
// Sec-Fetch-Site and SameSite cookies understand it.
func sameSite(a, b origin) bool {
	if a.Opaque || b.Opaque {
		return false
	}
	if a.Scheme != b.Scheme {
		// ws/wss count as http/https for site purposes.
		if schemeFamily(a.Scheme) != schemeFamily(b.Scheme) {
			return false
		}
	}
	return a.site() == b.site()
}

func schemeFamily(s string) string {
	switch s {
	case "ws":
		return "http"
	case "wss":
		return "https"
	}
	return s
}

// isLoopback reports whether the origin's host is a loopback name or
// address (localhost, *.localhost, 127.0.0.0/8, ::1), the space Chromium
// calls "loopback".
func (o origin) isLoopback() bool {
	h := o.hostName()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// isLocalNetwork reports whether the host is loopback or in a private
// address space Chromium's Local Network Access treats as "local".
func (o origin) isLocalNetwork() bool {
	if o.isLoopback() {
		return true
	}
	h := o.hostName()
	if strings.HasSuffix(h, ".local") {
		return true
	}
	ip := net.ParseIP(h)
	if ip == nil {
		return false
	}
	if ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
		return true
	}
	if v4 := ip.To4(); v4 != nil && v4[0] == 100 && v4[1]&0xc0 == 64 { // 100.64/10 (CGNAT)
		return true
	}
	return false
}

// parsesAsURL approximates Chromium's GURL(value).is_valid() for the values
// an Access-Control-Allow-Origin header holds, which decides between
// InvalidAllowOriginValue and AllowOriginMismatch. GURL wants a scheme;
// for the special schemes it also wants a non-empty host made of valid
// host characters and a numeric port.
func parsesAsURL(v string) bool {
	colon := strings.IndexByte(v, ':')
	if colon <= 0 || !validScheme(v[:colon]) {
		return false
	}
	scheme := lowerASCII(v[:colon])
	rest := v[colon+1:]
	switch scheme {
	case "http", "https", "ws", "wss", "ftp":
	case "file":
		return true
	default:
		// Non-special schemes accept nearly any path.
		for i := 0; i < len(rest); i++ {
			if rest[i] < 0x20 {
				return false
			}
		}
		return true
	}
	rest = strings.TrimLeft(rest, "/\\")
	end := strings.IndexAny(rest, "/?#\\")
	if end < 0 {
		end = len(rest)
	}
	auth := rest[:end]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
	}
	host, port := auth, ""
	if strings.HasPrefix(auth, "[") {
		close := strings.IndexByte(auth, ']')
		if close < 0 {
			return false
		}
		if net.ParseIP(auth[1:close]) == nil {
			return false
		}
		host = auth[:close+1]
		if tail := auth[close+1:]; tail != "" {
			if tail[0] != ':' {
				return false
			}
			port = tail[1:]
		}
	} else if c := strings.IndexByte(auth, ':'); c >= 0 {
		host, port = auth[:c], auth[c+1:]
	}
	if host == "" {
		return false
	}
	for i := 0; i < len(host); i++ {
		switch c := host[i]; {
		case c <= 0x20 || c == 0x7f:
			return false
		case c == '<' || c == '>' || c == '^' || c == '|' || c == '"':
			return false
		}
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 65535 {
			return false
		}
	}
	return true
}
