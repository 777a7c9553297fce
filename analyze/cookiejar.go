package analyze

import (
	"strings"
	"time"

	"github.com/corscope/corscope/capture"
	"golang.org/x/net/publicsuffix"
)

// The cookie jar model: which cookies the capture shows the browser
// received in a Set-Cookie, so that a CORS request without a Cookie
// header can be told apart from a credentialed one (reference/cors.md
// §7.1: a credentialed request carries every cookie the browser would
// send; if one would have gone along and none did, the request was made
// without credentials).
//
// It only counts a cookie Chromium certainly stored and certainly sends,
// and drops (rather than guesses) whatever it cannot read with certainty.
// The rules were measured in Chromium 156 (headless, fresh profile),
// through the agreement suite's servers:
//   - cookies ignore ports: a cookie 127.0.0.1:P1 sets goes to :P2;
//   - a Secure cookie is set and sent over plain http on loopback hosts
//     (localhost, 127.0.0.1), which Chromium treats as secure;
//   - a cookie set over http is sent to https on the same host and the
//     other way round (no scheme binding);
//   - SameSite=None without Secure is refused;
//   - a SameSite=None cookie does NOT go on a cross-site request (https
//     page on 127.0.0.1 calling https://localhost with credentials
//     'include'): third-party cookies are blocked there, while desktop
//     Chrome allows them unless the user (or Incognito) blocks them. So a
//     cookie in the jar is evidence only for same-site requests.

// cookieSameSite is a cookie's SameSite attribute as Chromium applies it.
type cookieSameSite uint8

const (
	// ssLax is Lax, and also no or an unknown SameSite value, which
	// Chromium treats as Lax ("Lax by default").
	ssLax cookieSameSite = iota
	ssStrict
	ssNone
)

func (m cookieSameSite) String() string {
	switch m {
	case ssStrict:
		return "SameSite=Strict"
	case ssNone:
		return "SameSite=None"
	}
	return "SameSite=Lax"
}

// jarCookie is one cookie in the model: where it goes, when it was set
// and until when it lives. Its value is never kept.
type jarCookie struct {
	name     string
	path     string
	hostOnly bool
	secure   bool
	sameSite cookieSameSite
	// unspecified: no SameSite attribute (or an unknown value).
	unspecified bool
	setAt       time.Time
	expires     time.Time // zero: a session cookie
	setBy       capture.FlowID
}

// maxCookiesPerDomain bounds the cookies the model keeps per domain key;
// the oldest go first (forgetting a cookie only loses evidence).
const maxCookiesPerDomain = 64

// expiryMargin is how long before its expiry a cookie stops counting: the
// browser's clock and the capture's differ a little.
const expiryMargin = 2 * time.Second

// cookieJar holds the cookies by the domain they belong to: the host for
// a host-only cookie, the Domain attribute's value otherwise.
type cookieJar struct {
	byDomain map[string][]jarCookie
}

func (j *cookieJar) empty() bool { return len(j.byDomain) == 0 }

// setCookieLine is what parseSetCookie reads from one Set-Cookie line.
type setCookieLine struct {
	name                                 string
	domain                               string
	hasDomain                            bool
	path                                 string
	secure, httpOnly, partitioned        bool
	sameSite                             cookieSameSite
	unspecified                          bool
	maxAge                               int64
	hasMaxAge                            bool
	expires                              time.Time
	hasExpires                           bool
	badMaxAge, badExpires, longAttribute bool
}

// parseSetCookie reads one Set-Cookie line the way Chromium's cookie
// parser splits it (RFC 6265bis §5.6): the name=value pair up to the first
// ';', then attributes, the last of each kind winning. ok is false for a
// line Chromium refuses or that corscope cannot read with certainty; name
// is then whatever name the line starts with.
func parseSetCookie(line string) (c setCookieLine, ok bool) {
	pair, attrs, _ := strings.Cut(line, ";")
	name, value, hasEq := strings.Cut(pair, "=")
	if !hasEq {
		name, value = "", name
	}
	c.name = trimSP(name)
	value = trimSP(value)
	for i := 0; i < len(line); i++ {
		if b := line[i]; b < 0x20 && b != '\t' || b == 0x7f {
			return c, false // Chromium refuses control characters
		}
	}
	if c.name == "" || len(c.name)+len(value) > 4096 {
		// A nameless cookie is legal but rare; not worth the doubt.
		return c, false
	}
	for attrs != "" {
		var av string
		av, attrs, _ = strings.Cut(attrs, ";")
		key, val, _ := strings.Cut(av, "=")
		key, val = trimSP(key), trimSP(val)
		if len(val) > 1024 {
			c.longAttribute = true
			continue
		}
		switch attributeOf(key) {
		case "expires":
			c.hasExpires = true
			c.expires, c.badExpires = time.Time{}, false
			if t, ok := parseCookieDate(val); ok {
				c.expires = t
			} else {
				c.badExpires = true
			}
		case "max-age":
			n, ok := parseMaxAgeAttr(val)
			c.hasMaxAge, c.maxAge, c.badMaxAge = ok, n, !ok
		case "domain":
			c.domain = lowerASCII(strings.TrimPrefix(val, "."))
			c.hasDomain = true
		case "path":
			c.path = val
		case "secure":
			c.secure = true
		case "httponly":
			c.httpOnly = true
		case "partitioned":
			c.partitioned = true
		case "samesite":
			switch {
			case strings.EqualFold(val, "none"):
				c.sameSite, c.unspecified = ssNone, false
			case strings.EqualFold(val, "strict"):
				c.sameSite, c.unspecified = ssStrict, false
			case strings.EqualFold(val, "lax"):
				c.sameSite, c.unspecified = ssLax, false
			default:
				c.sameSite, c.unspecified = ssLax, true
			}
		}
	}
	switch {
	case c.longAttribute, c.badMaxAge, !c.hasMaxAge && c.badExpires:
		return c, false
	case c.sameSite == ssNone && !c.secure:
		return c, false // Chromium refuses SameSite=None without Secure
	case !prefixRulesHold(&c):
		return c, false
	}
	if c.hasDomain {
		for i := 0; i < len(c.domain); i++ {
			b := c.domain[i]
			if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '.' || b == '_') {
				return c, false // IDN or junk: Chromium canonicalizes, we don't
			}
		}
	}
	return c, true
}

// attributeOf returns the lower-case name of a cookie attribute corscope
// reads, compared case-insensitively without allocating, or "".
func attributeOf(key string) string {
	for _, a := range [...]string{"path", "secure", "httponly", "samesite", "expires", "max-age", "domain", "partitioned"} {
		if strings.EqualFold(key, a) {
			return a
		}
	}
	return ""
}

// prefixRulesHold checks the cookie name prefixes Chromium enforces
// (case-insensitively): __Secure- needs Secure; __Host- also no Domain and
// Path=/; __Http- and __Host-Http- also HttpOnly.
func prefixRulesHold(c *setCookieLine) bool {
	n := c.name
	switch {
	case hasPrefixFold(n, "__host-http-"):
		return c.secure && !c.hasDomain && c.path == "/" && c.httpOnly
	case hasPrefixFold(n, "__host-"):
		return c.secure && !c.hasDomain && c.path == "/"
	case hasPrefixFold(n, "__http-"):
		return c.secure && c.httpOnly
	case hasPrefixFold(n, "__secure-"):
		return c.secure
	}
	return true
}

// parseMaxAgeAttr reads a Max-Age value: an optional '-' and digits.
// Anything else (Chromium ignores such an attribute and falls back to
// Expires, which corscope does not try to follow) reports false.
func parseMaxAgeAttr(v string) (int64, bool) {
	neg := strings.HasPrefix(v, "-")
	d := strings.TrimPrefix(v, "-")
	if d == "" || len(d) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(d[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseCookieDate parses an Expires value with the lenient cookie-date
// algorithm of RFC 6265 §5.1.1: tokens split at delimiters; the first
// hh:mm:ss, day of month, month name and year found, in that order of
// precedence per token.
func parseCookieDate(s string) (time.Time, bool) {
	var (
		hour, minute, sec, day, month, year int
		gotTime, gotDay, gotMonth, gotYear  bool
	)
	for len(s) > 0 {
		i := 0
		for i < len(s) && isDateDelimiter(s[i]) {
			i++
		}
		s = s[i:]
		j := 0
		for j < len(s) && !isDateDelimiter(s[j]) {
			j++
		}
		tok := s[:j]
		s = s[j:]
		if tok == "" {
			continue
		}
		if !gotTime {
			if h, m, sc, ok := dateTime(tok); ok {
				hour, minute, sec, gotTime = h, m, sc, true
				continue
			}
		}
		if !gotDay {
			if n, ok := dateDigits(tok, 1, 2); ok {
				day, gotDay = n, true
				continue
			}
		}
		if !gotMonth {
			if m := dateMonth(tok); m > 0 {
				month, gotMonth = m, true
				continue
			}
		}
		if !gotYear {
			if n, ok := dateDigits(tok, 2, 4); ok {
				year, gotYear = n, true
				continue
			}
		}
	}
	if !gotTime || !gotDay || !gotMonth || !gotYear {
		return time.Time{}, false
	}
	switch {
	case year >= 70 && year <= 99:
		year += 1900
	case year >= 0 && year <= 69:
		year += 2000
	}
	if day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day { // e.g. 31 February
		return time.Time{}, false
	}
	return t, true
}

func isDateDelimiter(b byte) bool {
	return b == 0x09 || b >= 0x20 && b <= 0x2f || b >= 0x3b && b <= 0x40 || b >= 0x5b && b <= 0x60 || b >= 0x7b && b <= 0x7e
}

// dateDigits matches lo to hi digits, optionally followed by a non-digit
// and anything.
func dateDigits(tok string, lo, hi int) (int, bool) {
	n, i := 0, 0
	for i < len(tok) && i <= hi && tok[i] >= '0' && tok[i] <= '9' {
		n = n*10 + int(tok[i]-'0')
		i++
	}
	if i < lo || i > hi {
		return 0, false
	}
	return n, true
}

// dateTime matches hh:mm:ss (one or two digits each), optionally followed
// by a non-digit and anything.
func dateTime(tok string) (h, m, s int, ok bool) {
	var parts [3]int
	p := 0
	for k := 0; k < 3; k++ {
		n, digits := 0, 0
		for p < len(tok) && tok[p] >= '0' && tok[p] <= '9' && digits < 3 {
			n = n*10 + int(tok[p]-'0')
			p++
			digits++
		}
		if digits < 1 || digits > 2 {
			return 0, 0, 0, false
		}
		parts[k] = n
		if k < 2 {
			if p >= len(tok) || tok[p] != ':' {
				return 0, 0, 0, false
			}
			p++
		}
	}
	if p < len(tok) && tok[p] >= '0' && tok[p] <= '9' {
		return 0, 0, 0, false
	}
	return parts[0], parts[1], parts[2], true
}

func dateMonth(tok string) int {
	if len(tok) < 3 {
		return 0
	}
	switch lowerASCII(tok[:3]) {
	case "jan":
		return 1
	case "feb":
		return 2
	case "mar":
		return 3
	case "apr":
		return 4
	case "may":
		return 5
	case "jun":
		return 6
	case "jul":
		return 7
	case "aug":
		return 8
	case "sep":
		return 9
	case "oct":
		return 10
	case "nov":
		return 11
	case "dec":
		return 12
	}
	return 0
}

// cookieSetter reports whether the browser certainly processed the
// Set-Cookie headers of e's response, in a context where it stores
// cookies of every SameSite value: a top-level navigation, or a request
// the Fetch Metadata show to be same-site with its initiator that is not a
// CORS request (whose Set-Cookie Chromium ignores unless the mode is
// include, which the wire may not show). Without Fetch Metadata the
// context is unknown.
func cookieSetter(e *entry) bool {
	c := &e.c
	f := &e.flow
	if !e.ri.setCookie || !c.modeKnown || f.Response == nil || isNetworkFailure(f) || isImportedFailure(f) || e.ri.netErr != "" {
		return false
	}
	if c.mode == "navigate" && c.dest == "document" {
		return true
	}
	return !c.cross && c.sameSite && c.mode != "navigate"
}

// storeCookies records the cookies e's response sets, when the browser
// certainly processed them (cookieSetter).
func (s *state) storeCookies(e *entry) {
	if e.cookiesSeen || !cookieSetter(e) {
		return
	}
	e.cookiesSeen = true
	f := &e.flow
	setAt := f.Timings.FirstByte
	if setAt.IsZero() {
		setAt = f.Timings.End
	}
	host := e.c.target.hostName()
	if setAt.IsZero() || host == "" {
		return
	}
	secureSetter := isSecureScheme(e.c.target.Scheme) || e.c.target.loop
	var serverDate time.Time
	for _, kv := range f.Response.Header {
		if len(kv.Name) == 4 && strings.EqualFold(kv.Name, "date") {
			if t, ok := parseCookieDate(kv.Value); ok {
				serverDate = t
			}
		}
	}
	for _, kv := range f.Response.Header {
		if len(kv.Name) != 10 || !strings.EqualFold(kv.Name, "set-cookie") {
			continue
		}
		s.storeCookie(e, kv.Value, host, secureSetter, setAt, serverDate)
	}
}

func isSecureScheme(scheme string) bool { return scheme == "https" || scheme == "wss" }

// storeCookie applies one Set-Cookie line to the model.
func (s *state) storeCookie(e *entry, line, host string, secureSetter bool, setAt, serverDate time.Time) {
	j := &s.jar
	c, ok := parseSetCookie(line)
	if !ok || c.partitioned || c.secure && !secureSetter {
		// Chromium may have stored (or deleted) a cookie of this name
		// in a way the model cannot follow: whatever the model held
		// under that name for this host no longer counts.
		j.forgetName(host, c.name)
		return
	}
	key, hostOnly := host, true
	ip := looksLikeIP(host)
	if c.hasDomain && c.domain != "" && c.domain != host {
		if ip || !(strings.HasSuffix(host, "."+c.domain)) || isPublicSuffix(c.domain) {
			j.forgetName(host, c.name) // Chromium refuses the cookie
			return
		}
		key, hostOnly = c.domain, false
	} else if c.hasDomain && c.domain == host && !ip && !isPublicSuffix(host) {
		hostOnly = false // Domain=host also covers its subdomains
	}
	path := c.path
	if path == "" || path[0] != '/' {
		path = defaultCookiePath(urlPath(e.flow.Request.URL))
	}
	var expires time.Time
	switch {
	case c.hasMaxAge:
		if c.maxAge <= 0 {
			j.remove(key, c.name, hostOnly, path)
			return
		}
		expires = setAt.Add(time.Duration(min(c.maxAge, 400*24*3600)) * time.Second)
	case c.hasExpires:
		// Chromium shifts Expires by the server's clock skew (the
		// response's Date) before comparing it with its own clock.
		expires = c.expires
		if !serverDate.IsZero() {
			expires = setAt.Add(c.expires.Sub(serverDate))
		}
		if !expires.After(setAt.Add(expiryMargin)) {
			j.remove(key, c.name, hostOnly, path)
			return
		}
	}
	j.put(jarCookie{
		name: c.name, path: path, hostOnly: hostOnly, secure: c.secure,
		sameSite: c.sameSite, unspecified: c.unspecified,
		setAt: setAt, expires: expires, setBy: e.flow.ID,
	}, key)
}

func isPublicSuffix(d string) bool {
	ps, _ := publicsuffix.PublicSuffix(d)
	return ps == d
}

// defaultCookiePath is RFC 6265's default-path of a request path: up to,
// not including, its last '/', or "/".
func defaultCookiePath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// cookiePathMatch is RFC 6265's path-match.
func cookiePathMatch(reqPath, cookiePath string) bool {
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return len(reqPath) == len(cookiePath) || strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}

func (j *cookieJar) put(c jarCookie, key string) {
	if j.byDomain == nil {
		j.byDomain = make(map[string][]jarCookie)
	}
	list := j.byDomain[key]
	replaced := false
	for i := range list {
		if o := &list[i]; o.name == c.name && o.hostOnly == c.hostOnly && o.path == c.path {
			*o = c
			replaced = true
			break
		}
	}
	if !replaced {
		if len(list) >= maxCookiesPerDomain {
			list = append(list[:0], list[1:]...)
		}
		list = append(list, c)
	}
	j.byDomain[key] = list
}

// remove deletes the cookie with this identity (a Set-Cookie that
// expires it at once).
func (j *cookieJar) remove(key, name string, hostOnly bool, path string) {
	j.filter(key, func(c *jarCookie) bool { return c.name == name && c.hostOnly == hostOnly && c.path == path })
}

// forgetName drops every cookie named name that host could see.
func (j *cookieJar) forgetName(host, name string) {
	if j.empty() {
		return
	}
	ip := looksLikeIP(host)
	for key := host; key != ""; key = parentDomain(key, ip) {
		j.filter(key, func(c *jarCookie) bool { return c.name == name })
	}
}

func (j *cookieJar) filter(key string, drop func(*jarCookie) bool) {
	list, ok := j.byDomain[key]
	if !ok {
		return
	}
	out := list[:0]
	for i := range list {
		if !drop(&list[i]) {
			out = append(out, list[i])
		}
	}
	clear(list[len(out):])
	if len(out) == 0 {
		delete(j.byDomain, key)
		return
	}
	j.byDomain[key] = out
}

// forgetSetter drops the cookies a forgotten flow set: the analyzer's
// memory follows the flows it keeps (losing evidence, never inventing
// it). The keys they were filed under are read again from its response:
// its host, and any Domain attribute.
func (j *cookieJar) forgetSetter(e *entry) {
	if j.empty() || e.flow.Response == nil {
		return
	}
	id := e.flow.ID
	drop := func(c *jarCookie) bool { return c.setBy == id }
	j.filter(e.c.target.hostName(), drop)
	for _, kv := range e.flow.Response.Header {
		if len(kv.Name) != 10 || !strings.EqualFold(kv.Name, "set-cookie") {
			continue
		}
		if c, _ := parseSetCookie(kv.Value); c.hasDomain && c.domain != "" {
			j.filter(c.domain, drop)
		}
	}
}

// parentDomain steps through the keys under which the cookies a host can
// see are filed: the host itself, then (for names, not IP addresses) each
// parent domain; "" ends the walk.
func parentDomain(key string, ip bool) string {
	if ip {
		return ""
	}
	i := strings.IndexByte(key, '.')
	if i < 0 {
		return ""
	}
	return key[i+1:]
}

// jarEvidence names the cookie that shows a request went without
// credentials, for the explanation.
type jarEvidence struct {
	flow     capture.FlowID
	name     string
	sameSite cookieSameSite
	unspec   bool
}

// cookieFor returns a cookie the model holds that Chromium would have
// attached to e's request had it been credentialed: domain and path
// match, alive when the request started, Secure only over https or to a
// loopback host, and only for a same-site request (SameSite=None cookies
// included: a cross-site request may have its third-party cookies blocked,
// so nothing counts for it).
func (s *state) cookieFor(e *entry) (jarCookie, bool) {
	c := &e.c
	if s.jar.empty() || !c.sameSite {
		return jarCookie{}, false
	}
	host := c.target.hostName()
	if host == "" {
		return jarCookie{}, false
	}
	start := e.flow.Timings.Start
	secureOK := isSecureScheme(c.target.Scheme) || c.target.loop
	reqPath := urlPath(e.flow.Request.URL)
	ip := looksLikeIP(host)
	for key := host; key != ""; key = parentDomain(key, ip) {
		for _, ck := range s.jar.byDomain[key] {
			switch {
			case ck.hostOnly && key != host:
			case ck.secure && !secureOK:
			case !ck.setAt.Before(start):
			case !ck.expires.IsZero() && !ck.expires.After(start.Add(expiryMargin)):
			case !cookiePathMatch(reqPath, ck.path):
			default:
				return ck, true
			}
		}
	}
	return jarCookie{}, false
}
