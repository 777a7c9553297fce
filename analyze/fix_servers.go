package analyze

import (
	"fmt"
	"strings"
)

// Web server snippets: nginx, Caddy and Apache httpd, for when CORS is
// added in front of the application rather than in it.

// serverHeaders is the shared header set of the server snippets.
type serverHeaders struct {
	always    [][2]string // on every response, preflight included
	preflight [][2]string // only on the preflight answer
}

func corsHeaderSet(p fixParams) serverHeaders {
	var h serverHeaders
	h.always = append(h.always, [2]string{"Access-Control-Allow-Origin", p.origin})
	if p.credentials {
		h.always = append(h.always, [2]string{"Access-Control-Allow-Credentials", "true"})
	}
	h.preflight = append(h.preflight, [2]string{"Access-Control-Allow-Methods", headerValue(p.methods)})
	if len(p.headers) > 0 {
		h.preflight = append(h.preflight, [2]string{"Access-Control-Allow-Headers", headerValue(p.headers)})
	}
	if p.maxAge > 0 {
		h.preflight = append(h.preflight, [2]string{"Access-Control-Max-Age", fmt.Sprint(p.maxAge)})
	}
	return h
}

func apiLocation(p fixParams) string {
	if p.prefix != "" {
		return "the location that serves " + p.prefix + "/"
	}
	return "the location that serves the API"
}

func renderNginx(p fixParams) (string, string) {
	h := corsHeaderSet(p)
	var b strings.Builder
	fmt.Fprintf(&b, "# Inside %s, above proxy_pass/auth_request.\n", apiLocation(p))
	b.WriteString("# `always` keeps the headers on 4xx/5xx answers too.\n")
	b.WriteString("if ($request_method = OPTIONS) {\n")
	for _, kv := range append(h.always, h.preflight...) {
		fmt.Fprintf(&b, "    add_header %s \"%s\" always;\n", kv[0], kv[1])
	}
	b.WriteString("    add_header Vary \"Origin\" always;\n")
	b.WriteString("    return 204;\n")
	b.WriteString("}\n")
	for _, kv := range h.always {
		fmt.Fprintf(&b, "add_header %s \"%s\" always;\n", kv[0], kv[1])
	}
	if len(p.expose) > 0 {
		fmt.Fprintf(&b, "add_header Access-Control-Expose-Headers \"%s\" always;\n", headerValue(p.expose))
	}
	b.WriteString("add_header Vary \"Origin\" always;\n")
	b.WriteString("# Drop the app's own copies, or the browser sees two values.\n")
	b.WriteString("proxy_hide_header Access-Control-Allow-Origin;\n")
	if p.credentials {
		b.WriteString("proxy_hide_header Access-Control-Allow-Credentials;\n")
	}
	note := "The OPTIONS preflight is answered by nginx with 204 and the headers; every other response gets the allow headers. add_header lines in a location replace those of the server block, so keep all of them in the same location."
	if p.unhandled {
		note = unhandledNote + " the if block returns 204 in nginx's rewrite phase, before auth_request, auth_basic and proxy_pass run."
	}
	return b.String(), note
}

func renderCaddy(p fixParams) (string, string) {
	h := corsHeaderSet(p)
	var b strings.Builder
	b.WriteString("# In the site block that serves the API.\n")
	b.WriteString("header {\n")
	for _, kv := range h.always {
		fmt.Fprintf(&b, "\t%s \"%s\"\n", kv[0], kv[1])
	}
	if len(p.expose) > 0 {
		fmt.Fprintf(&b, "\tAccess-Control-Expose-Headers \"%s\"\n", headerValue(p.expose))
	}
	b.WriteString("\t+Vary \"Origin\"\n")
	b.WriteString("\t# Applied when the response is written, replacing the app's own values.\n")
	b.WriteString("\tdefer\n")
	b.WriteString("}\n")
	b.WriteString("@cors_preflight method OPTIONS\n")
	b.WriteString("handle @cors_preflight {\n")
	b.WriteString("\theader {\n")
	for _, kv := range h.preflight {
		fmt.Fprintf(&b, "\t\t%s \"%s\"\n", kv[0], kv[1])
	}
	b.WriteString("\t}\n")
	b.WriteString("\trespond 204\n")
	b.WriteString("}\n")
	note := "Caddy answers the OPTIONS preflight with 204; reverse_proxy or file_server keep serving everything else."
	if p.unhandled {
		note = unhandledNote + " Caddy runs basic_auth and forward_auth before handle blocks, so give them a matcher that skips preflights: `@auth not method OPTIONS` and `forward_auth @auth …`."
	}
	return b.String(), note
}

func renderApache(p fixParams) (string, string) {
	h := corsHeaderSet(p)
	var b strings.Builder
	b.WriteString("# In the <VirtualHost> that serves the API (not in .htaccess or\n# <Directory>), with `a2enmod headers rewrite`.\n")
	b.WriteString("# Drop the app's own copies, or the browser sees two values.\n")
	b.WriteString("Header unset Access-Control-Allow-Origin\n")
	if p.credentials {
		b.WriteString("Header unset Access-Control-Allow-Credentials\n")
	}
	for _, kv := range append(h.always, h.preflight...) {
		fmt.Fprintf(&b, "Header always set %s \"%s\"\n", kv[0], kv[1])
	}
	if len(p.expose) > 0 {
		fmt.Fprintf(&b, "Header always set Access-Control-Expose-Headers \"%s\"\n", headerValue(p.expose))
	}
	b.WriteString("Header always merge Vary \"Origin\"\n")
	b.WriteString("RewriteEngine On\n")
	b.WriteString("RewriteCond %{REQUEST_METHOD} =OPTIONS\n")
	b.WriteString("RewriteRule ^ - [R=204,L]\n")
	note := "The RewriteRule answers the OPTIONS preflight with 204; `always` puts the headers on every response, errors included."
	if p.unhandled {
		note = unhandledNote + " at VirtualHost level mod_rewrite answers in the translate phase, before any Require or Auth* directive is checked; inside <Directory> or .htaccess it would run after them."
	}
	return b.String(), note
}
