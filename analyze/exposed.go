package analyze

import (
	"strings"

	"github.com/corscope/corscope/capture"
)

// Which response headers a page's script likely wants to read but cannot,
// because Access-Control-Expose-Headers does not list them (reference/
// cors.md §2c step 5). The warning is only worth its place when it names
// headers code reads — Location, ETag, Link, Content-Disposition,
// X-Total-Count, X-RateLimit-*, X-Request-Id — on responses code can read
// at all.

// scriptReadsHeaders reports whether the page's code could read e's
// response headers: a fetch() or XMLHttpRequest response (Sec-Fetch-Dest
// empty, or a HAR resource type fetch/xhr). A <script>, stylesheet, image,
// font or media load hands the page no headers, and neither does a
// redirect (fetch follows it; redirect: 'manual' yields an opaque
// response). Without a recorded destination the request decides: what
// needed a preflight, or any method but GET/HEAD, came from script; a
// GET answered with a stylesheet, script, font, image or media type was
// most likely an element load.
func (s *state) scriptReadsHeaders(e *entry) bool {
	c := &e.c
	if c.preflight || e.flow.Response == nil || e.ri.isRedirect() {
		return false
	}
	switch strings.ToLower(e.flow.ResourceType) {
	case "fetch", "xhr":
		return true
	case "":
	default:
		return false
	}
	if c.dest != "" {
		return c.dest == "empty" && !c.destInferred
	}
	if m := e.flow.Request.Method; e.pair != 0 || c.wireNeedsPreflight || !strings.EqualFold(m, "GET") && !strings.EqualFold(m, "HEAD") {
		return true
	}
	return !subresourceType(e.ri.contentType)
}

// subresourceType reports a Content-Type that elements load: stylesheets,
// scripts, fonts, images, audio, video, text tracks.
func subresourceType(ct string) bool {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.ToLower(trimSP(ct))
	switch ct {
	case "text/css", "text/javascript", "application/javascript", "application/x-javascript",
		"application/ecmascript", "text/ecmascript", "application/vnd.ms-fontobject", "text/vtt":
		return true
	}
	for _, p := range [...]string{"font/", "image/", "audio/", "video/", "application/font-", "application/x-font-"} {
		if strings.HasPrefix(ct, p) {
			return true
		}
	}
	return false
}

// infraNames are headers servers and frameworks stamp on every response
// for browsers' security machinery or for their own operators: the page's
// code has no use for them.
var infraNames = [...]string{
	"x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-runtime", "x-application-context",
	"x-frame-options", "x-content-type-options", "x-xss-protection", "x-download-options",
	"x-permitted-cross-domain-policies", "x-dns-prefetch-control", "x-ua-compatible", "x-robots-tag",
	"x-content-security-policy", "x-webkit-csp",
}

// infraPrefixes are CDN, cache and edge bookkeeping (hit or miss, which
// node served it, how long it took): Fastly/Varnish (x-cache, x-served-by,
// x-timer, x-varnish), CloudFront (x-amz-cf-), S3 (x-amz-id-), Akamai,
// Azure Front Door, Envoy, Netlify, Vercel, Incapsula.
var infraPrefixes = [...]string{
	"x-cache", "x-served-by", "x-timer", "x-varnish", "x-amz-cf-", "x-amz-id-", "x-akamai-",
	"x-edge-", "x-azure-ref", "x-msedge-ref", "x-envoy-", "x-nf-", "x-vercel-", "x-iinfo", "x-cdn",
}

// infraHeader reports an X- header (lower case) that is infrastructure,
// not data: the names and prefixes above, and vendor-stamped request or
// trace IDs (x-github-request-id, x-amz-request-id, x-fastly-request-id,
// x-amzn-requestid, x-amzn-trace-id). A plain X-Request-Id or X-Correlation-Id is the
// application's own, often shown to users for support, and stays.
func infraHeader(n string) bool {
	for _, x := range infraNames {
		if n == x {
			return true
		}
	}
	for _, p := range infraPrefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	for _, suf := range [...]string{"-request-id", "-requestid", "-trace-id"} {
		if strings.HasSuffix(n, suf) && len(n) > len("x-")+len(suf) && strings.IndexByte(n[2:len(n)-len(suf)], '-') < 0 {
			return true // x-<vendor>-request-id
		}
	}
	return false
}

// pageUses reports evidence that the page deals with header n itself: it
// sent a request header of that name (a correlation or request ID it
// propagates).
func pageUses(req capture.Headers, n string) bool {
	return req.Has(n)
}
