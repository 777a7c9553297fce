package har

import (
	"net/http"
	"strings"

	"github.com/corscope/corscope/capture"
)

// requestCookies lists the cookies of every Cookie header line.
func requestCookies(h capture.Headers, opts Options) []harCookie {
	out := []harCookie{}
	for _, line := range h.Values("Cookie") {
		for _, part := range strings.Split(line, ";") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			if name == "" {
				continue
			}
			if !opts.IncludeSecrets {
				value = Redacted
			}
			out = append(out, harCookie{Name: name, Value: value})
		}
	}
	return out
}

// responseCookies lists the cookies set by the Set-Cookie lines, with
// their attributes. Lines that do not parse are left out of the list
// (the header itself is still exported).
func responseCookies(h capture.Headers, opts Options) []harCookie {
	out := []harCookie{}
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			continue
		}
		hc := harCookie{
			Name:     c.Name,
			Value:    c.Value,
			Path:     c.Path,
			Domain:   c.Domain,
			HTTPOnly: c.HttpOnly,
			Secure:   c.Secure,
		}
		if !c.Expires.IsZero() {
			hc.Expires = c.Expires.UTC().Format(dateLayout)
		}
		switch c.SameSite {
		case http.SameSiteLaxMode:
			hc.SameSite = "Lax"
		case http.SameSiteStrictMode:
			hc.SameSite = "Strict"
		case http.SameSiteNoneMode:
			hc.SameSite = "None"
		}
		if !opts.IncludeSecrets {
			hc.Value = Redacted
		}
		out = append(out, hc)
	}
	return out
}
