package demo

import (
	"encoding/json"
	"net/http"
	"strings"
)

// pageCall is a Call as the page's script takes it.
type pageCall struct {
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	Path        string      `json:"path"`
	Headers     [][2]string `json:"headers"`
	Body        string      `json:"body,omitempty"`
	Credentials bool        `json:"credentials,omitempty"`
	Describe    string      `json:"describe"`
}

// pageResult is what the page's script reports for one call.
type pageResult struct {
	OK     bool   `json:"ok"`
	Status int    `json:"status"`
	Type   string `json:"type"`
	Error  string `json:"error"`
}

// NewFrontend returns the demo's frontend: the page a dev server would
// serve at "/", which signs the user in (a session cookie, as a login would
// leave it) and calls every route of the API at apiOrigin with fetch() as
// soon as it loads.
func NewFrontend(apiOrigin string, calls []Call) http.Handler {
	page := pageHTML(apiOrigin, calls)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		// Cookies are not port-scoped, and localhost:A → localhost:B is
		// same-site, so this Lax cookie goes to the API with
		// credentials: 'include' — and only then.
		h.Add("Set-Cookie", sessionCookie+"; Path=/; HttpOnly; SameSite=Lax")
		_, _ = w.Write(page)
	})
}

func pageHTML(apiOrigin string, calls []Call) []byte {
	pc := make([]pageCall, len(calls))
	for i, c := range calls {
		h := c.Header
		if h == nil {
			h = [][2]string{}
		}
		pc[i] = pageCall{Method: c.Method, URL: apiOrigin + c.Path, Path: c.Path, Headers: h,
			Body: c.Body, Credentials: c.Credentials, Describe: c.Describe()}
	}
	// json.Marshal escapes <, > and &, so the list cannot end the script.
	js, err := json.Marshal(pc)
	if err != nil {
		panic(err) // plain strings only: cannot fail
	}
	return []byte(strings.Replace(pageTemplate, "/*CALLS*/[]", string(js), 1))
}

// pageTemplate is the frontend. The script runs every call in order when
// the page loads and leaves the results in window.corscopeDemo (a promise),
// which the Chromium driver awaits over the DevTools protocol.
const pageTemplate = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Acme Shop (dev) — corscope demo</title>
<link rel="icon" href="data:,">
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; }
td, th { padding: .3em .8em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
code { font-size: 13px; }
.ok { color: #17803d; } .bad { color: #b42318; }
</style>
<h1>Acme Shop <small>(dev server)</small></h1>
<p>This page calls its API on another origin with <code>fetch()</code>. Most calls
are blocked by CORS policy on purpose: corscope shows why, and the fix.
<button id="again">Run the calls again</button></p>
<table><thead><tr><th>call</th><th>what the server does</th><th>result in this page</th></tr></thead>
<tbody id="calls"></tbody></table>
<script>
const calls = /*CALLS*/[];
const rows = calls.map((c) => {
  const tr = document.createElement("tr");
  for (const text of [c.method + " " + c.path, c.describe, "…"]) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.appendChild(td);
  }
  document.getElementById("calls").appendChild(tr);
  return tr.lastChild;
});
async function call(c) {
  const init = {method: c.method, headers: c.headers};
  if (c.body) init.body = c.body;
  if (c.credentials) init.credentials = "include";
  try {
    const r = await fetch(c.url, init);
    await r.text();
    return {ok: true, status: r.status, type: r.type, error: ""};
  } catch (e) {
    return {ok: false, status: 0, type: "", error: String(e)};
  }
}
async function runAll() {
  const out = [];
  for (let i = 0; i < calls.length; i++) {
    rows[i].textContent = "…";
    const res = await call(calls[i]);
    rows[i].textContent = res.ok ? res.status + " — the page can read it" : res.error + " — blocked (see corscope)";
    rows[i].className = res.ok ? "ok" : "bad";
    out.push(res);
  }
  return out;
}
window.corscopeDemo = runAll();
document.getElementById("again").onclick = () => { window.corscopeDemo = runAll(); };
</script>
</html>
`
