package analyze

import (
	"fmt"
	"slices"
	"strings"
)

// A fixRenderer renders one framework's snippet from cleaned parameters.
type fixRenderer struct {
	key      string
	title    string
	language string
	// devProxy marks the dev-server proxy alternatives, offered only when
	// page and API both run on localhost.
	devProxy bool
	render   func(p fixParams) (snippet, note string)
}

// fixRenderers is the display order: the most used server stacks first, the
// dev-server proxy alternatives last.
var fixRenderers = []fixRenderer{
	{key: "express", title: "Express (cors package)", language: "js", render: renderExpress},
	{key: "fastapi", title: "FastAPI (CORSMiddleware)", language: "python", render: renderFastAPI},
	{key: "nginx", title: "nginx", language: "nginx", render: renderNginx},
	{key: "go", title: "Go net/http", language: "go", render: renderGoNetHTTP},
	{key: "rs-cors", title: "Go rs/cors", language: "go", render: renderRsCors},
	{key: "django", title: "Django (django-cors-headers)", language: "python", render: renderDjango},
	{key: "flask", title: "Flask (flask-cors)", language: "python", render: renderFlask},
	{key: "spring", title: "Spring (CorsRegistry + Spring Security)", language: "java", render: renderSpring},
	{key: "aspnet", title: "ASP.NET Core", language: "csharp", render: renderASPNet},
	{key: "rails", title: "Rails (rack-cors)", language: "ruby", render: renderRails},
	{key: "caddy", title: "Caddy", language: "caddyfile", render: renderCaddy},
	{key: "apache", title: "Apache httpd", language: "apache", render: renderApache},
	{key: "vite", title: "Vite dev server proxy (no CORS needed)", language: "js", devProxy: true, render: renderVite},
	{key: "webpack", title: "webpack dev server proxy (no CORS needed)", language: "js", devProxy: true, render: renderWebpack},
	{key: "nextjs", title: "Next.js rewrites (no CORS needed)", language: "js", devProxy: true, render: renderNext},
}

// frameworkAliases maps the spellings a user may type for --framework to
// the stable keys.
var frameworkAliases = map[string]string{
	"node":                "express",
	"expressjs":           "express",
	"starlette":           "fastapi",
	"net/http":            "go",
	"nethttp":             "go",
	"golang":              "go",
	"rs/cors":             "rs-cors",
	"rscors":              "rs-cors",
	"django-cors-headers": "django",
	"flask-cors":          "flask",
	"spring-boot":         "spring",
	"springboot":          "spring",
	"java":                "spring",
	"asp.net":             "aspnet",
	"asp.net-core":        "aspnet",
	"aspnetcore":          "aspnet",
	"dotnet":              "aspnet",
	".net":                "aspnet",
	"rack-cors":           "rails",
	"rack":                "rails",
	"ruby":                "rails",
	"apache2":             "apache",
	"httpd":               "apache",
	"next":                "nextjs",
	"next.js":             "nextjs",
}

// Frameworks returns the stable keys of every framework a fix can be
// rendered for, in display order. The dev-server proxy keys (vite,
// webpack, nextjs) come last; Fixes includes them only when page and API
// are both on localhost.
func Frameworks() []string {
	out := make([]string, len(fixRenderers))
	for i, r := range fixRenderers {
		out[i] = r.key
	}
	return out
}

// FrameworkKey resolves what a user typed (a key, an alias such as
// "net/http" or "asp.net", any case) to a stable key, or reports that it
// names no framework.
func FrameworkKey(name string) (string, bool) {
	k := strings.ToLower(strings.TrimSpace(name))
	if a, ok := frameworkAliases[k]; ok {
		k = a
	}
	for _, r := range fixRenderers {
		if r.key == k {
			return k, true
		}
	}
	return "", false
}

// Fixes renders the fix for every framework, in display order, from what
// the server must allow. The dev-server proxy alternatives are included
// only when spec.BothLocal. It returns nil when the spec names no origin
// that can be allowed safely (empty, "null", "*" or malformed): allowing
// such an origin would open the API to every site, so no snippet is
// offered for it.
//
// For a tainted chain (spec.Tainted) the one fix is to avoid the
// cross-origin redirect: no snippet allows "null".
func Fixes(spec FixSpec) []Fix {
	if spec.Tainted {
		return []Fix{redirectFix(spec)}
	}
	p, ok := cleanFixSpec(spec)
	if !ok {
		return nil
	}
	out := make([]Fix, 0, len(fixRenderers))
	for _, r := range fixRenderers {
		if r.devProxy && !spec.BothLocal {
			continue
		}
		out = append(out, r.fix(p))
	}
	return out
}

// FixFor renders the fix for one framework (a key from Frameworks or an
// alias). A dev-server proxy alternative is rendered even when the spec is
// not BothLocal, because the user asked for it. For a tainted chain it
// returns the redirect fix whatever the framework. The error says what to do
// when the framework is unknown or the spec names no allowable origin.
func FixFor(spec FixSpec, framework string) (Fix, error) {
	key, ok := FrameworkKey(framework)
	if !ok {
		return Fix{}, fmt.Errorf("unknown framework %q: use one of %s", framework, strings.Join(Frameworks(), ", "))
	}
	if spec.Tainted {
		// No framework's CORS setting fixes Origin: null safely.
		return redirectFix(spec), nil
	}
	p, ok := cleanFixSpec(spec)
	if !ok {
		return Fix{}, fmt.Errorf("no fix for origin %q: only a concrete page origin such as http://localhost:3000 can be allowed safely", spec.Origin)
	}
	for _, r := range fixRenderers {
		if r.key == key {
			return r.fix(p), nil
		}
	}
	return Fix{}, fmt.Errorf("unknown framework %q", framework)
}

func (r fixRenderer) fix(p fixParams) Fix {
	snippet, note := r.render(p)
	if p.lowerMethods != "" {
		note = strings.TrimSpace(note + " The page sends " + p.lowerMethods +
			" in lower case: fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT, and browsers compare methods case-sensitively, so send it upper-case from the page (many servers answer only upper-case names).")
	}
	return Fix{
		Framework: r.key,
		Title:     r.title,
		Language:  r.language,
		Snippet:   snippet,
		Note:      note,
	}
}

// String renders the fix as plain text: the title, the note, then the
// snippet indented by four spaces so it stands apart in a terminal.
func (f Fix) String() string {
	var b strings.Builder
	b.WriteString(f.Title)
	b.WriteString("\n")
	if f.Note != "" {
		b.WriteString(f.Note)
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for _, line := range strings.Split(strings.TrimRight(f.Snippet, "\n"), "\n") {
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("    ")
		b.WriteString(line)
		b.WriteString("\n")
	}
	return b.String()
}

// fixParams is a FixSpec cleaned for rendering: every value is known to be
// safe inside a quoted string of any of the target languages.
type fixParams struct {
	origin      string
	apiOrigin   string // "" when unknown
	methods     []string
	headers     []string // lower-case
	expose      []string
	credentials bool
	maxAge      int // 0: leave out
	// prefix is the first path segment of the request ("/api"), "" when the
	// request went to the root or a single-segment path is all there is.
	prefix    string
	unhandled bool
	// lowerMethods lists methods the page sent in lower case ("'patch'").
	lowerMethods string
}

// methodOrder is the order methods are listed in: the ones a
// typical API serves first, then anything else as sent.
var methodOrder = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

// cleanFixSpec validates and normalises spec. Allowed methods always
// include GET and POST: they are the methods the rest of the API almost
// certainly serves to the same page, and some frameworks (Spring, rack-cors)
// check the list on actual requests too, so leaving them out would break
// calls that work today.
func cleanFixSpec(spec FixSpec) (fixParams, bool) {
	if !safeOrigin(spec.Origin) {
		return fixParams{}, false
	}
	p := fixParams{
		origin:      spec.Origin,
		credentials: spec.Credentials,
		unhandled:   spec.PreflightUnhandled,
	}
	if safeOrigin(spec.APIOrigin) {
		p.apiOrigin = spec.APIOrigin
	}
	if spec.MaxAge > 0 {
		p.maxAge = spec.MaxAge
	}

	seen := map[string]bool{}
	var extra, lower []string
	for _, m := range spec.Methods {
		if !safeToken(m) || seen[m] {
			continue
		}
		seen[m] = true
		if !slices.Contains(methodOrder, m) {
			extra = append(extra, m)
			if strings.ToUpper(m) != m {
				lower = append(lower, "'"+m+"'")
			}
		}
	}
	for _, m := range methodOrder {
		if seen[m] || m == "GET" || m == "POST" {
			p.methods = append(p.methods, m)
		}
	}
	p.methods = append(p.methods, extra...)
	p.lowerMethods = strings.Join(lower, ", ")

	p.headers = cleanNames(spec.Headers, true)
	p.expose = cleanNames(spec.Expose, false)
	p.prefix = firstSegment(spec.Path)
	return p, true
}

// cleanNames keeps the header names that are safe to write into any
// snippet, without duplicates (case-insensitively), in the given order.
func cleanNames(names []string, lower bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if lower {
			n = strings.ToLower(n)
		}
		k := strings.ToLower(n)
		if !safeToken(n) || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, n)
	}
	return out
}

// safeToken reports whether s is an HTTP token made only of characters that
// need no escaping in any snippet language (no quotes, '$', '`', '\' …).
// Real method and header names always pass; anything else came from a
// hostile or broken peer and is left out rather than pasted into a config.
func safeToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.':
		default:
			return false
		}
	}
	return true
}

// safeOrigin reports whether s is a serialised http(s) origin
// (scheme://host[:port], no path) made of characters that need no escaping.
func safeOrigin(s string) bool {
	rest, ok := strings.CutPrefix(s, "http://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "https://")
	}
	if !ok || rest == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '.' || c == ':' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return true
}

// firstSegment returns "/api" for "/api/users?x=1", "" for "/", "/users"
// or an unsafe path.
func firstSegment(path string) string {
	path, _, _ = strings.Cut(path, "?")
	path, _, _ = strings.Cut(path, "#")
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return ""
	}
	seg, _, found := strings.Cut(rest, "/")
	if !found {
		// A single segment is the resource itself, not a mount point.
		return ""
	}
	if !safeToken(seg) {
		return ""
	}
	return "/" + seg
}

// quoteList renders names as a comma-separated list of quoted strings,
// e.g. `'a', 'b'` with q = "'".
func quoteList(names []string, q string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = q + n + q
	}
	return strings.Join(parts, ", ")
}

// headerValue renders names as one header value, e.g. "GET, POST".
func headerValue(names []string) string { return strings.Join(names, ", ") }

// unhandledNote is the sentence every framework's note starts with when the
// preflight was answered by auth or routing instead of the CORS layer.
const unhandledNote = "The OPTIONS preflight was answered by auth or routing (401/403/404/405 without CORS headers), so the CORS layer must run before them:"
