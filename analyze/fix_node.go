package analyze

import (
	"fmt"
	"strings"
)

// JavaScript snippets: Express with the cors package, and the dev-server
// proxies that make CORS unnecessary while both origins are on localhost.

func renderExpress(p fixParams) (string, string) {
	var b strings.Builder
	b.WriteString("// npm install cors\n")
	b.WriteString("const cors = require('cors');\n\n")
	if p.unhandled {
		b.WriteString("// Before the auth middleware and the routers: the OPTIONS preflight\n// must be answered here, before anything can reject it.\n")
	} else {
		b.WriteString("// Before the routers, right after `const app = express();`.\n")
	}
	b.WriteString("app.use(cors({\n")
	fmt.Fprintf(&b, "  origin: '%s',\n", p.origin)
	fmt.Fprintf(&b, "  methods: [%s],\n", quoteList(p.methods, "'"))
	// Leaving allowedHeaders out would make the cors package echo whatever
	// the browser asks for, so it is always listed, even empty.
	fmt.Fprintf(&b, "  allowedHeaders: [%s],\n", quoteList(p.headers, "'"))
	if len(p.expose) > 0 {
		fmt.Fprintf(&b, "  exposedHeaders: [%s],\n", quoteList(p.expose, "'"))
	}
	if p.credentials {
		b.WriteString("  credentials: true,\n")
	}
	if p.maxAge > 0 {
		fmt.Fprintf(&b, "  maxAge: %d,\n", p.maxAge)
	}
	b.WriteString("}));\n")

	note := "cors answers the OPTIONS preflight itself (204) and adds the headers to every response."
	if p.unhandled {
		note = unhandledNote + " put app.use(cors(...)) above app.use(yourAuthMiddleware) and every app.use(router)."
	}
	return b.String(), note
}

// devProxyRoute is what the page's own dev server forwards: the API's first
// path segment when it has one, otherwise a made-up "/api" prefix that the
// proxy strips again.
func devProxyRoute(p fixParams) (prefix string, strip bool, target string) {
	target = p.apiOrigin
	if target == "" {
		target = "http://localhost:8080"
	}
	if p.prefix != "" {
		return p.prefix, false, target
	}
	return "/api", true, target
}

func devProxyNote(p fixParams, tool string) string {
	prefix, strip, _ := devProxyRoute(p)
	call := prefix + "/…"
	if strip {
		call = "/api/<path on the API>"
	}
	return fmt.Sprintf("Both origins are on localhost, so in development the page can call the API through %s instead: fetch('%s') with a relative URL goes to the page's own origin, %s forwards it, and no CORS check happens. Production still needs one of the server fixes (or the API on the same origin).", tool, call, tool)
}

func renderVite(p fixParams) (string, string) {
	prefix, strip, target := devProxyRoute(p)
	var b strings.Builder
	b.WriteString("// vite.config.js\n")
	b.WriteString("import { defineConfig } from 'vite';\n\n")
	b.WriteString("export default defineConfig({\n")
	b.WriteString("  server: {\n")
	b.WriteString("    proxy: {\n")
	fmt.Fprintf(&b, "      '%s': {\n", prefix)
	fmt.Fprintf(&b, "        target: '%s',\n", target)
	b.WriteString("        changeOrigin: true,\n")
	if strip {
		fmt.Fprintf(&b, "        rewrite: (path) => path.replace(/^\\%s/, ''),\n", prefix)
	}
	b.WriteString("      },\n")
	b.WriteString("    },\n")
	b.WriteString("  },\n")
	b.WriteString("});\n")
	return b.String(), devProxyNote(p, "Vite")
}

func renderWebpack(p fixParams) (string, string) {
	prefix, strip, target := devProxyRoute(p)
	var b strings.Builder
	b.WriteString("// webpack.config.js (webpack-dev-server 5), merged into your config\n")
	b.WriteString("module.exports = {\n")
	b.WriteString("  devServer: {\n")
	b.WriteString("    proxy: [\n")
	b.WriteString("      {\n")
	fmt.Fprintf(&b, "        context: ['%s'],\n", prefix)
	fmt.Fprintf(&b, "        target: '%s',\n", target)
	b.WriteString("        changeOrigin: true,\n")
	if strip {
		fmt.Fprintf(&b, "        pathRewrite: { '^%s': '' },\n", prefix)
	}
	b.WriteString("      },\n")
	b.WriteString("    ],\n")
	b.WriteString("  },\n")
	b.WriteString("};\n")
	return b.String(), devProxyNote(p, "webpack-dev-server")
}

func renderNext(p fixParams) (string, string) {
	prefix, strip, target := devProxyRoute(p)
	dest := target + prefix + "/:path*"
	if strip {
		dest = target + "/:path*"
	}
	var b strings.Builder
	b.WriteString("// next.config.js\n")
	b.WriteString("module.exports = {\n")
	b.WriteString("  async rewrites() {\n")
	b.WriteString("    return [\n")
	fmt.Fprintf(&b, "      { source: '%s/:path*', destination: '%s' },\n", prefix, dest)
	b.WriteString("    ];\n")
	b.WriteString("  },\n")
	b.WriteString("};\n")
	note := devProxyNote(p, "the Next.js dev server")
	if prefix == "/api" {
		note += " Routes under pages/api or app/api in your Next.js app take precedence over this rewrite."
	}
	return b.String(), note
}
