package agreement

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Origin roles. A scenario names servers by role; the ports are only known
// once the servers listen, so headers and redirect targets in the table are
// templates ("{page}", "{api}", …) filled in by origins.expand.
const (
	rolePage  = "page"  // the document's origin: http://127.0.0.1:P1
	roleAPI   = "api"   // the usual API: http://127.0.0.1:P2
	roleAPI3  = "api3"  // a third origin, for redirects and taint: http://127.0.0.1:P3
	roleHTTPS = "https" // an HTTPS API, reached through corscope's MITM: https://127.0.0.1:P4
	roleSPage = "spage" // an HTTPS page origin, for HTTPS APIs called the way production does: https://127.0.0.1:P5
)

// origins maps each role to its serialized origin.
type origins map[string]string

// expand fills a template for a scenario whose document is on the origin
// of pageRole: "{page}" is that origin, "{PAGE}" the same in upper case,
// "{pagehost}" and "{api3host}" are host:port (for URLs with another scheme
// or with userinfo), and "{api}", "{api3}", "{https}" the other origins.
func (o origins) expand(pageRole, s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	page := o[or(pageRole, rolePage)]
	return strings.NewReplacer(
		"{page}", page,
		"{PAGE}", strings.ToUpper(page),
		"{pagehost}", hostOf(page),
		"{api3host}", hostOf(o[roleAPI3]),
		"{api}", o[roleAPI],
		"{api3}", o[roleAPI3],
		"{https}", o[roleHTTPS],
	).Replace(s)
}

func hostOf(origin string) string {
	_, host, _ := strings.Cut(origin, "://")
	return host
}

// hit is one request a server received, kept for the mismatch report and
// to catch requests the table did not plan for.
type hit struct {
	Role    string
	Method  string
	URL     string
	Header  http.Header
	Routed  bool
	Status  int
	Replied [][2]string
}

// servers are the four loopback origins. One handler serves them all: it
// finds the scenario from the first path segment (/s01/x) and answers from
// the scenario's routes, so every scenario is isolated by its path.
type servers struct {
	origins origins
	// httpsCAFile is the PEM of the HTTPS servers' certificate (httptest
	// gives both the same), for the proxy's upstream trust; httpsSPKI is
	// its SPKI hash, for the direct browser's
	// --ignore-certificate-errors-spki-list.
	httpsCAFile string
	httpsSPKI   string

	scenarios map[string]*scenario

	mu   sync.Mutex
	hits map[string][]hit // by scenario ID
	all  []*httptest.Server
}

func startServers(t *testing.T, table []scenario) *servers {
	t.Helper()
	s := &servers{
		origins:   origins{},
		scenarios: map[string]*scenario{},
		hits:      map[string][]hit{},
	}
	for i := range table {
		sc := &table[i]
		if _, dup := s.scenarios[sc.ID]; dup {
			t.Fatalf("scenario ID %s is used twice: every scenario needs its own path", sc.ID)
		}
		s.scenarios[sc.ID] = sc
	}
	for _, role := range []string{rolePage, roleAPI, roleAPI3} {
		ts := httptest.NewServer(s.handler(role))
		s.all = append(s.all, ts)
		s.origins[role] = ts.URL
	}
	var ts *httptest.Server
	for _, role := range []string{roleHTTPS, roleSPage} {
		ts = httptest.NewTLSServer(s.handler(role))
		s.all = append(s.all, ts)
		s.origins[role] = ts.URL
	}

	cert := ts.Certificate()
	s.httpsCAFile = filepath.Join(t.TempDir(), "https-api.pem")
	if err := os.WriteFile(s.httpsCAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	s.httpsSPKI = spkiHash(cert)
	t.Cleanup(s.close)
	return s
}

func (s *servers) close() {
	for _, ts := range s.all {
		ts.Close()
	}
}

// spkiHash is what Chromium's --ignore-certificate-errors-spki-list takes.
func spkiHash(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// hitsFor returns the requests the servers received for a scenario.
func (s *servers) hitsFor(id string) []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hit(nil), s.hits[id]...)
}

// resetHits forgets what the servers saw, between the proxied and the
// direct run.
func (s *servers) resetHits() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits = map[string][]hit{}
}

func (s *servers) handler(role string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (role == rolePage || role == roleSPage) && r.URL.Path == "/" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			fmt.Fprint(w, pageHTML)
			return
		}
		if r.URL.Path == "/favicon.ico" {
			http.NotFound(w, r)
			return
		}
		id, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		sc := s.scenarios[id]
		h := hit{Role: role, Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone()}
		var rt *route
		if sc != nil {
			rt = sc.route(role, rest, r.Method)
		}
		if rt == nil {
			h.Status = http.StatusNotFound
			s.record(id, h)
			// No CORS headers: an unplanned request fails loudly in
			// the browser too, and the hit list names it.
			http.Error(w, "agreement: no route for "+role+" "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		h.Routed = true
		status := rt.Status
		if status == 0 {
			status = http.StatusOK
		}
		h.Status = status
		hdr := w.Header()
		// The browser's HTTP cache must not answer a repeated request:
		// every decision the suite checks is made on the wire.
		hdr.Set("Cache-Control", "no-store")
		hdr.Set("Content-Type", "text/plain; charset=utf-8")
		for _, kv := range rt.Header {
			v := s.origins.expand(sc.Page, kv[1])
			// Direct map writes keep repeated lines and empty values
			// exactly as the table says.
			hdr[http.CanonicalHeaderKey(kv[0])] = append(hdr[http.CanonicalHeaderKey(kv[0])], v)
			h.Replied = append(h.Replied, [2]string{kv[0], v})
		}
		if rt.Location != "" {
			loc := s.origins.expand(sc.Page, rt.Location)
			hdr.Set("Location", loc)
			h.Replied = append(h.Replied, [2]string{"Location", loc})
		}
		s.record(id, h)
		w.WriteHeader(status)
		if r.Method != http.MethodHead && status != http.StatusNoContent && status != http.StatusNotModified {
			fmt.Fprint(w, "ok "+id)
		}
	})
}

func (s *servers) record(id string, h hit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits[id] = append(s.hits[id], h)
}

// pageHTML is the document every scenario runs in. runSteps performs the
// scenario's requests one after the other and reports, for each, whether
// it resolved and the response type Chromium gave it ("cors", "basic",
// "opaque"): that type is Chromium's own word on whether CORS applied.
const pageHTML = `<!doctype html>
<meta charset="utf-8">
<title>corscope agreement</title>
<script>
function makeBody(s) {
  if (s.blobType) return new Blob([s.body || ""], {type: s.blobType});
  if (s.stream) return new ReadableStream({start(c) { c.enqueue(new TextEncoder().encode(s.body || "")); c.close(); }});
  if (s.body) return s.body;
  return undefined;
}
async function viaFetch(s) {
  const init = {method: s.method, headers: s.headers || []};
  if (s.credentials) init.credentials = s.credentials;
  if (s.mode) init.mode = s.mode;
  if (s.cache) init.cache = s.cache;
  const b = makeBody(s);
  if (b !== undefined) init.body = b;
  if (s.stream) init.duplex = "half";
  try {
    const r = await fetch(s.url, init);
    await r.arrayBuffer();
    return {ok: true, status: r.status, type: r.type};
  } catch (e) {
    return {ok: false, error: String(e)};
  }
}
function viaXHR(s) {
  return new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open(s.method, s.url);
    if (s.withCredentials) x.withCredentials = true;
    for (const [k, v] of (s.headers || [])) x.setRequestHeader(k, v);
    if (s.upload) x.upload.onprogress = () => {};
    const type = new URL(s.url).origin === location.origin ? "basic" : "cors";
    x.onload = () => resolve({ok: true, status: x.status, type: type});
    x.onerror = () => resolve({ok: false, error: "XMLHttpRequest error event"});
    const b = makeBody(s);
    x.send(b === undefined ? null : b);
  });
}
async function runSteps(steps) {
  const out = [];
  for (const s of steps) out.push(await (s.xhr ? viaXHR(s) : viaFetch(s)));
  return out;
}
</script>
`
