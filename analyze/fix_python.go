package analyze

import (
	"fmt"
	"strings"
)

// Python snippets: FastAPI (Starlette's CORSMiddleware), Django
// (django-cors-headers) and Flask (flask-cors).

func renderFastAPI(p fixParams) (string, string) {
	var b strings.Builder
	b.WriteString("from fastapi.middleware.cors import CORSMiddleware\n\n")
	b.WriteString("# Add it after every other add_middleware call: the middleware added last\n# runs first, so it answers the OPTIONS preflight before anything else.\n")
	b.WriteString("app.add_middleware(\n")
	b.WriteString("    CORSMiddleware,\n")
	fmt.Fprintf(&b, "    allow_origins=[\"%s\"],\n", p.origin)
	fmt.Fprintf(&b, "    allow_methods=[%s],\n", quoteList(p.methods, `"`))
	if len(p.headers) > 0 {
		fmt.Fprintf(&b, "    allow_headers=[%s],\n", quoteList(p.headers, `"`))
	}
	if len(p.expose) > 0 {
		fmt.Fprintf(&b, "    expose_headers=[%s],\n", quoteList(p.expose, `"`))
	}
	if p.credentials {
		b.WriteString("    allow_credentials=True,\n")
	}
	if p.maxAge > 0 {
		fmt.Fprintf(&b, "    max_age=%d,\n", p.maxAge)
	}
	b.WriteString(")\n")
	note := "Right after `app = FastAPI()` in your main module. Dependencies such as Depends(get_current_user) run after it and never see the preflight."
	if p.unhandled {
		note = unhandledNote + " call app.add_middleware(CORSMiddleware, ...) after your auth middleware is added (Starlette runs the last-added middleware first)."
	}
	return b.String(), note
}

func renderDjango(p fixParams) (string, string) {
	var b strings.Builder
	b.WriteString("# settings.py (pip install django-cors-headers), at the end of the file\n")
	b.WriteString("INSTALLED_APPS += [\"corsheaders\"]\n")
	b.WriteString("# First in the list: it must answer the preflight before CommonMiddleware\n# and any authentication middleware run.\n")
	b.WriteString("MIDDLEWARE.insert(0, \"corsheaders.middleware.CorsMiddleware\")\n\n")
	fmt.Fprintf(&b, "CORS_ALLOWED_ORIGINS = [\"%s\"]\n", p.origin)
	fmt.Fprintf(&b, "CORS_ALLOW_METHODS = [%s]\n", quoteList(p.methods, `"`))
	if len(p.headers) > 0 {
		fmt.Fprintf(&b, "CORS_ALLOW_HEADERS = [%s]\n", quoteList(p.headers, `"`))
	}
	if len(p.expose) > 0 {
		fmt.Fprintf(&b, "CORS_EXPOSE_HEADERS = [%s]\n", quoteList(p.expose, `"`))
	}
	if p.credentials {
		b.WriteString("CORS_ALLOW_CREDENTIALS = True\n")
	}
	if p.maxAge > 0 {
		fmt.Fprintf(&b, "CORS_PREFLIGHT_MAX_AGE = %d\n", p.maxAge)
	}
	if p.prefix != "" {
		fmt.Fprintf(&b, "CORS_URLS_REGEX = r\"^%s/.*$\"\n", p.prefix)
	}
	note := "django-cors-headers answers the OPTIONS preflight itself and adds the headers to every matching response."
	if p.unhandled {
		note = unhandledNote + " CorsMiddleware must be the first entry of MIDDLEWARE, above AuthenticationMiddleware and CommonMiddleware."
	}
	return b.String(), note
}

func renderFlask(p fixParams) (string, string) {
	var b strings.Builder
	b.WriteString("# pip install flask-cors\n")
	b.WriteString("from flask_cors import CORS\n\n")
	b.WriteString("CORS(\n")
	b.WriteString("    app,\n")
	fmt.Fprintf(&b, "    origins=[\"%s\"],\n", p.origin)
	fmt.Fprintf(&b, "    methods=[%s],\n", quoteList(p.methods, `"`))
	// flask-cors allows every requested header when allow_headers is left
	// out, so the list is always written, even empty.
	fmt.Fprintf(&b, "    allow_headers=[%s],\n", quoteList(p.headers, `"`))
	if len(p.expose) > 0 {
		fmt.Fprintf(&b, "    expose_headers=[%s],\n", quoteList(p.expose, `"`))
	}
	if p.credentials {
		b.WriteString("    supports_credentials=True,\n")
	}
	if p.maxAge > 0 {
		fmt.Fprintf(&b, "    max_age=%d,\n", p.maxAge)
	}
	b.WriteString(")\n")
	note := "Right after `app = Flask(__name__)`."
	if p.unhandled {
		note = unhandledNote + " flask-cors adds its headers after the view, so a @app.before_request auth check must let preflights through: start it with `if request.method == \"OPTIONS\": return None`."
	}
	return b.String(), note
}
