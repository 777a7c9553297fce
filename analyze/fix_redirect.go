package analyze

import "strings"

// redirectFixKey is the Framework of the one fix offered for a tainted
// chain: it is not a server's CORS setting but a change of the redirect.
const redirectFixKey = "redirect"

// redirectFix is the fix for a request that reached its server through a
// redirect across origins and so carried "Origin: null" (FixSpec.Tainted).
// Allowing null would let every sandboxed iframe and data: page read the
// API, so no snippet allows it; the page must reach the final URL without
// leaving an origin on the way.
func redirectFix(spec FixSpec) Fix {
	first, final := "", ""
	if n := len(spec.Chain); n >= 2 {
		first, final = spec.Chain[0], spec.Chain[n-1]
	}
	if !safeURL(first) || !safeURL(final) {
		first, final = "", ""
	}
	var b strings.Builder
	if final != "" {
		b.WriteString("// " + first + " redirects across origins to\n")
		b.WriteString("// " + final + ", so the browser sends Origin: null there.\n")
		b.WriteString("// Call the final URL directly:\n")
		b.WriteString("fetch('" + final + "'")
		var opts []string
		if len(spec.Methods) > 0 && safeToken(spec.Methods[0]) && !strings.EqualFold(spec.Methods[0], "GET") {
			opts = append(opts, "method: '"+spec.Methods[0]+"'")
		}
		if spec.Credentials {
			opts = append(opts, "credentials: 'include'")
		}
		if len(opts) > 0 {
			b.WriteString(", { " + strings.Join(opts, ", ") + " }")
		}
		b.WriteString(")\n")
	} else {
		b.WriteString("// The request was redirected across origins, so the browser sends\n")
		b.WriteString("// Origin: null. Call the final URL directly instead of the one that\n")
		b.WriteString("// redirects, or keep the redirect within one origin.\n")
	}
	note := "A redirect that leaves for another origin and lands on a third makes the browser send Origin: null from then on, and only 'null' or '*' can match it. " +
		"Do not allow 'null': every sandboxed iframe and data: page sends it too, so it is as open as '*'. " +
		"Have the page call the final URL itself, or keep the redirect within one origin (proxy the request instead of redirecting it)."
	if safeOrigin(spec.Origin) {
		note += " Called directly, the request carries Origin: " + spec.Origin + ", which the final server must allow."
	}
	return Fix{
		Framework: redirectFixKey,
		Title:     "Avoid the cross-origin redirect (no CORS setting fixes Origin: null safely)",
		Language:  "js",
		Snippet:   b.String(),
		Note:      note,
	}
}

// safeURL reports an absolute http(s) URL made of characters that need no
// escaping inside a quoted JavaScript string or a comment.
func safeURL(s string) bool {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") || len(s) > 2048 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("'\"`\\<>{}|^$", c) >= 0 {
			return false
		}
	}
	return true
}
