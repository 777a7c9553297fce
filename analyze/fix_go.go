package analyze

import (
	"fmt"
	"go/format"
	"strings"
)

// Go snippets: a plain net/http middleware, and github.com/rs/cors.

func renderGoNetHTTP(p fixParams) (string, string) {
	h := corsHeaderSet(p)
	var b strings.Builder
	b.WriteString("// withCORS wraps your whole handler, outside any auth middleware:\n")
	b.WriteString("//\n//\thttp.ListenAndServe(addr, withCORS(mux))\n")
	b.WriteString("func withCORS(next http.Handler) http.Handler {\n")
	b.WriteString("\treturn http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {\n")
	b.WriteString("\t\tw.Header().Add(\"Vary\", \"Origin\")\n")
	fmt.Fprintf(&b, "\t\tif r.Header.Get(\"Origin\") != %q {\n", p.origin)
	b.WriteString("\t\t\tnext.ServeHTTP(w, r)\n")
	b.WriteString("\t\t\treturn\n")
	b.WriteString("\t\t}\n")
	for _, kv := range h.always {
		fmt.Fprintf(&b, "\t\tw.Header().Set(%q, %q)\n", kv[0], kv[1])
	}
	if len(p.expose) > 0 {
		fmt.Fprintf(&b, "\t\tw.Header().Set(\"Access-Control-Expose-Headers\", %q)\n", headerValue(p.expose))
	}
	b.WriteString("\t\tif r.Method == http.MethodOptions && r.Header.Get(\"Access-Control-Request-Method\") != \"\" {\n")
	for _, kv := range h.preflight {
		fmt.Fprintf(&b, "\t\t\tw.Header().Set(%q, %q)\n", kv[0], kv[1])
	}
	b.WriteString("\t\t\tw.WriteHeader(http.StatusNoContent)\n")
	b.WriteString("\t\t\treturn\n")
	b.WriteString("\t\t}\n")
	b.WriteString("\t\tnext.ServeHTTP(w, r)\n")
	b.WriteString("\t})\n")
	b.WriteString("}\n")
	snippet := gofmtSnippet(b.String(), false)
	note := "withCORS answers the preflight with 204 itself and adds the allow headers to the responses of your handler."
	if p.unhandled {
		note = unhandledNote + " wrap the outermost handler, so withCORS(auth(mux)), never auth(withCORS(mux))."
	}
	return snippet, note
}

func renderRsCors(p fixParams) (string, string) {
	var b strings.Builder
	b.WriteString("// go get github.com/rs/cors\n")
	b.WriteString("c := cors.New(cors.Options{\n")
	fmt.Fprintf(&b, "\tAllowedOrigins:   []string{%q},\n", p.origin)
	fmt.Fprintf(&b, "\tAllowedMethods:   []string{%s},\n", quoteList(p.methods, `"`))
	if len(p.headers) > 0 {
		fmt.Fprintf(&b, "\tAllowedHeaders:   []string{%s},\n", quoteList(p.headers, `"`))
	}
	if len(p.expose) > 0 {
		fmt.Fprintf(&b, "\tExposedHeaders:   []string{%s},\n", quoteList(p.expose, `"`))
	}
	if p.credentials {
		b.WriteString("\tAllowCredentials: true,\n")
	}
	if p.maxAge > 0 {
		fmt.Fprintf(&b, "\tMaxAge:           %d,\n", p.maxAge)
	}
	b.WriteString("})\n")
	b.WriteString("// Serve handler instead of mux; wrap outside your auth middleware.\n")
	b.WriteString("handler := c.Handler(mux)\n")
	snippet := gofmtSnippet(b.String(), true)
	note := "rs/cors answers the preflight with 204 itself and adds the allow headers to the other responses."
	if p.unhandled {
		note = unhandledNote + " c.Handler must wrap the outermost handler, so c.Handler(auth(mux)), never auth(c.Handler(mux))."
	}
	return snippet, note
}

// gofmtSnippet formats Go source the way gofmt would, so alignment stays
// right whichever optional fields are present. stmts says the snippet is a
// list of statements (wrapped in a function to parse) rather than
// declarations. If formatting fails the source is returned as it is; the
// golden tests parse every snippet, so that cannot go unnoticed.
func gofmtSnippet(src string, stmts bool) string {
	const declHead = "package p\n\n"
	const stmtHead = "package p\n\nfunc _() {\n"
	wrapped := declHead + src
	if stmts {
		wrapped = stmtHead + src + "}\n"
	}
	out, err := format.Source([]byte(wrapped))
	if err != nil {
		return src
	}
	s := string(out)
	if !stmts {
		return strings.TrimPrefix(s, declHead)
	}
	s = strings.TrimPrefix(s, stmtHead)
	s = strings.TrimSuffix(s, "}\n")
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		b.WriteString(strings.TrimPrefix(line, "\t"))
	}
	return b.String()
}
