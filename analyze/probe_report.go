package analyze

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/corscope/corscope/capture"
)

// How a probe's result is shown: plain text for people, JSON for scripts.

// FixSpec returns what the server must allow for the probe to pass, or nil
// when nothing needs fixing. It is the analyzer's spec when it gave one,
// with what the probe knows for sure filled in (the credentials mode);
// otherwise one built from the probe.
//
// After a tainting redirect there is no header fix to offer: the browser
// sends Origin: null there, and allowing null would let any site in.
func (r *ProbeResult) FixSpec() *FixSpec {
	if r.Outcome.Fix == nil && !r.Blocked() {
		return nil
	}
	if r.TaintedAt != "" && r.Outcome.Origin == "null" {
		return nil
	}
	var spec FixSpec
	if r.Outcome.Fix != nil {
		spec = *r.Outcome.Fix
	} else {
		spec = r.probeFixSpec()
	}
	if r.Request.Credentials {
		spec.Credentials = true
	}
	// The analyzer's origin wins: after a tainting redirect it is "null",
	// and no snippet should then pretend that allowing the page's origin
	// would help.
	if o := SerializeOrigin(r.Request.Origin); spec.Origin == "" && safeOrigin(o) {
		spec.Origin = o
	}
	return &spec
}

// probeFixSpec builds a fix from what the probe sent and saw.
func (r *ProbeResult) probeFixSpec() FixSpec {
	spec := FixSpec{
		Credentials: r.Request.Credentials,
		Headers:     r.UnsafeHeaders,
	}
	spec.Methods = []string{r.Method}
	if r.NeedsPreflight {
		// Ten minutes spares a preflight on most calls without making a
		// changed policy linger (Chromium caps the value at two hours).
		spec.MaxAge = 600
	}
	if u, err := url.Parse(r.Request.URL); err == nil {
		spec.Path = u.Path
		spec.APIOrigin = originOf(u)
		if o, err := parseProbeOrigin(r.Request.Origin); err == nil && o != nil {
			spec.BothLocal = loopbackHost(o.Hostname()) && loopbackHost(u.Hostname())
		}
	}
	for _, f := range r.Flows {
		if f.ResourceType != "preflight" || f.Response == nil {
			continue
		}
		switch f.Response.Status {
		case 401, 403, 404, 405:
			if !f.Response.Header.Has("Access-Control-Allow-Origin") {
				spec.PreflightUnhandled = true
			}
		}
		break
	}
	return spec
}

func loopbackHost(h string) bool {
	h = strings.ToLower(h)
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// WriteText prints the result for a person: the exchanges, the verdict with
// Chrome's console line and an explanation, the headers at fault, the
// warnings and the fix. framework selects one framework's snippet (a key
// or alias from Frameworks); empty prints what the server must send and
// lists the frameworks.
func (r *ProbeResult) WriteText(w io.Writer, framework string) error {
	var b strings.Builder
	cred := ""
	if r.Request.Credentials {
		cred = " with credentials"
	}
	fmt.Fprintf(&b, "%s %s from origin %s%s\n", r.Method, r.Request.URL, SerializeOrigin(r.Request.Origin), cred)
	for _, d := range r.Dropped {
		fmt.Fprintf(&b, "  not sent: %s\n", d)
	}
	b.WriteString("\n")
	for i, f := range r.Flows {
		status := "no response"
		if f.Response != nil {
			status = strings.TrimSpace(fmt.Sprintf("%d %s", f.Response.Status, f.Response.StatusText))
		}
		label := ""
		if i < len(r.Verdicts) {
			label = r.Verdicts[i].Label()
		}
		fmt.Fprintf(&b, "  %d  %-7s %s  →  %s  %s  %s\n", i+1, f.Request.Method, f.Request.URL, status, roundDuration(f.Timings.Duration()), label)
	}
	if !r.ActualSent {
		fmt.Fprintf(&b, "     %-7s %s  →  never sent: the preflight failed\n", r.Method, r.Request.URL)
	}
	b.WriteString("\n")

	o := r.Outcome
	switch {
	case r.Blocked() && o.Error != "":
		fmt.Fprintf(&b, "BLOCKED  %s", o.Error)
		if o.FailedParameter != "" {
			fmt.Fprintf(&b, " (%s)", o.FailedParameter)
		}
		b.WriteString("\n")
	case o.Kind == KindUndecidable:
		b.WriteString("UNDECIDABLE\n")
	case r.Blocked():
		fmt.Fprintf(&b, "BLOCKED  %s\n", o.Kind)
	case o.Kind == KindNotCORS:
		b.WriteString("NOT CORS  the request is same-origin, so the browser does no CORS check\n")
	default:
		b.WriteString("ALLOWED  the page can read the response\n")
	}
	if o.Console != "" {
		fmt.Fprintf(&b, "%s\n", o.Console)
	}
	if o.Explanation != "" {
		fmt.Fprintf(&b, "\n%s\n", o.Explanation)
	}
	if o.DependsOn != "" {
		fmt.Fprintf(&b, "It depends on: %s\n", o.DependsOn)
	}
	if len(o.Headers) > 0 {
		b.WriteString("\nHeaders at fault:\n")
		for _, h := range o.Headers {
			fmt.Fprintf(&b, "  #%d %-8s %s", r.flowIndex(h.Flow)+1, h.Side, h.Name)
			if h.Missing {
				b.WriteString(": (missing)")
			} else {
				fmt.Fprintf(&b, ": %s", h.Value)
			}
			if h.Want != "" {
				fmt.Fprintf(&b, "   want: %s", h.Want)
			}
			b.WriteString("\n")
		}
	}
	if r.TaintedAt != "" && o.Origin == "null" {
		fmt.Fprintf(&b, "\nA redirect went through a third origin, so the browser sent Origin: null to %s.\nNo header fix there is safe (allowing null lets any site in): call that URL directly\nfrom the page, or keep the redirect on the API's own origin.\n", r.TaintedAt)
	}
	if len(o.Warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, wn := range o.Warnings {
			fmt.Fprintf(&b, "  - %s\n", wn.Message)
		}
	}
	if spec := r.FixSpec(); spec != nil {
		if framework != "" {
			fix, err := FixFor(*spec, framework)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "\nFix: %s", fix.String())
		} else {
			writeHeaderFix(&b, *spec)
		}
	}
	if r.Audit != nil {
		writeAuditText(&b, r.Audit)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeHeaderFix prints, framework-neutrally, what the server must send,
// and how to get a snippet.
func writeHeaderFix(b *strings.Builder, spec FixSpec) {
	p, ok := cleanFixSpec(spec)
	if !ok {
		return
	}
	h := corsHeaderSet(p)
	b.WriteString("\nFix: the server must send\n")
	if needsPreflightAnswer(p) {
		b.WriteString("  on the OPTIONS preflight (status 204):\n")
		for _, kv := range append(h.always, h.preflight...) {
			fmt.Fprintf(b, "    %s: %s\n", kv[0], kv[1])
		}
	}
	b.WriteString("  on every response:\n")
	for _, kv := range h.always {
		fmt.Fprintf(b, "    %s: %s\n", kv[0], kv[1])
	}
	if len(p.expose) > 0 {
		fmt.Fprintf(b, "    Access-Control-Expose-Headers: %s\n", headerValue(p.expose))
	}
	b.WriteString("    Vary: Origin\n")
	if p.unhandled {
		b.WriteString("  The OPTIONS preflight was answered by auth or routing (401/403/404/405 without\n  CORS headers): answer it in a CORS layer that runs before them.\n")
	}
	keys := make([]string, 0, len(fixRenderers))
	for _, rr := range fixRenderers {
		if !rr.devProxy || spec.BothLocal {
			keys = append(keys, rr.key)
		}
	}
	fmt.Fprintf(b, "Snippets: %s\n  (add --framework NAME for one, --json for all)\n", strings.Join(keys, ", "))
}

// needsPreflightAnswer reports whether the allowed request is one the
// browser preflights (a method other than GET/HEAD/POST, or request
// headers to allow), so the OPTIONS answer is worth printing.
func needsPreflightAnswer(p fixParams) bool {
	if p.unhandled || len(p.headers) > 0 {
		return true
	}
	for _, m := range p.methods {
		if m != "GET" && m != "HEAD" && m != "POST" {
			return true
		}
	}
	return false
}

func (r *ProbeResult) flowIndex(id capture.FlowID) int {
	for i, f := range r.Flows {
		if f.ID == id {
			return i
		}
	}
	return -1
}

func roundDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.Round(100 * time.Microsecond).String()
	}
}

// The JSON shape of `corscope probe --json`. Every key is always present
// (empty strings, empty arrays, null fix) so scripts need no existence
// checks; new keys may be added, existing ones keep their meaning.
//
//	{
//	  "verdict":         "allowed" | "blocked" | "not-cors" | "undecidable" | "failed",
//	  "exitCode":        0 | 1 | 2,                    // 2 only with --audit (nothing testable)
//	  "error":           Chromium's Network.CorsError name, "" unless blocked,
//	  "failedParameter": as Chromium fills it,
//	  "console":         the line Chrome prints to the console,
//	  "firefox":         Firefox's reason name,
//	  "explanation":     plain words,
//	  "dependsOn":       for "undecidable", what the outcome hinges on,
//	  "request": {"url", "origin", "method", "credentials": bool,
//	              "headers": [{"name", "value"}]},   // as given with -H
//	  "needsPreflight":  bool,
//	  "unsafeHeaders":   ["authorization", …],          // the preflight's ACRH
//	  "dropped":         ["Cookie: …", …],              // -H headers a browser would not send
//	  "actualSent":      bool,                          // false: stopped after the preflight
//	  "taintedAt":       "" | the first URL sent Origin: null after a redirect through a third origin,
//	  "decidedBy":       1-based index into exchanges of the deciding one,
//	  "exchanges": [{
//	      "index": 1, "role": "preflight" | "request",
//	      "method", "url", "status": int, "statusText",
//	      "requestHeaders":  [{"name", "value"}],       // as sent, in order
//	      "responseHeaders": [{"name", "value"}],
//	      "durationMs": float,
//	      "verdict": {"kind", "error", "failedParameter", "console"}
//	  }],
//	  "headers":  [{"exchange": int, "side": "request" | "response",
//	               "name", "value", "missing": bool, "want"}],
//	  "warnings": [{"code", "message", "header"}],
//	  "fix":      null | {"origin", "methods", "headers", "expose",
//	                      "credentials", "maxAge", "path",
//	                      "preflightUnhandled", "bothLocal", "apiOrigin"},
//	  "fixes":    [{"framework", "title", "language", "snippet", "note"}],
//	  "audit":    only with --audit: {"method", "standIn", "notes", "untested",
//	              "wildcard", "duplicated", "cutShort", "conclusive", "worst",
//	              "findings", "checks": [{"name", "title", "sent", "skipped",
//	              "error", "inconclusive", "status", "exchange", "note",
//	              "trusted", "credentials", "refused", "severity",
//	              "explainedBy", "evidence", "risk"}],
//	              "exchanges": […, as above without "verdict"]}
//	}
type probeJSON struct {
	Verdict         string          `json:"verdict"`
	ExitCode        int             `json:"exitCode"`
	Error           string          `json:"error"`
	FailedParameter string          `json:"failedParameter"`
	Console         string          `json:"console"`
	Firefox         string          `json:"firefox"`
	Explanation     string          `json:"explanation"`
	DependsOn       string          `json:"dependsOn"`
	Request         probeJSONReq    `json:"request"`
	NeedsPreflight  bool            `json:"needsPreflight"`
	UnsafeHeaders   []string        `json:"unsafeHeaders"`
	Dropped         []string        `json:"dropped"`
	ActualSent      bool            `json:"actualSent"`
	TaintedAt       string          `json:"taintedAt"`
	DecidedBy       int             `json:"decidedBy"`
	Exchanges       []probeJSONExch `json:"exchanges"`
	Headers         []probeJSONRef  `json:"headers"`
	Warnings        []probeJSONWarn `json:"warnings"`
	Fix             *ReportFixSpec  `json:"fix"`
	Fixes           []ReportFix     `json:"fixes"`
	Audit           *auditJSON      `json:"audit,omitempty"`
}

type probeJSONHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type probeJSONReq struct {
	URL         string            `json:"url"`
	Origin      string            `json:"origin"`
	Method      string            `json:"method"`
	Credentials bool              `json:"credentials"`
	Headers     []probeJSONHeader `json:"headers"`
}

type probeJSONExch struct {
	Index           int               `json:"index"`
	Role            string            `json:"role"`
	Method          string            `json:"method"`
	URL             string            `json:"url"`
	Status          int               `json:"status"`
	StatusText      string            `json:"statusText"`
	RequestHeaders  []probeJSONHeader `json:"requestHeaders"`
	ResponseHeaders []probeJSONHeader `json:"responseHeaders"`
	DurationMs      float64           `json:"durationMs"`
	Verdict         *probeJSONVerdict `json:"verdict,omitempty"`
}

type probeJSONVerdict struct {
	Kind            string `json:"kind"`
	Error           string `json:"error"`
	FailedParameter string `json:"failedParameter"`
	Console         string `json:"console"`
}

type probeJSONRef struct {
	Exchange int    `json:"exchange"`
	Side     string `json:"side"`
	Name     string `json:"name"`
	Value    string `json:"value"`
	Missing  bool   `json:"missing"`
	Want     string `json:"want"`
}

type probeJSONWarn struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Header  string `json:"header"`
}

func jsonHeaders(h capture.Headers) []probeJSONHeader {
	out := make([]probeJSONHeader, len(h))
	for i, kv := range h {
		out[i] = probeJSONHeader{Name: kv.Name, Value: kv.Value}
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// exchangeJSON is one exchange of probe --json; v may be nil (the audit's
// exchanges have no verdict of their own).
func exchangeJSON(i int, f capture.Flow, v *Verdict) probeJSONExch {
	e := probeJSONExch{
		Index:           i + 1,
		Role:            "request",
		Method:          f.Request.Method,
		URL:             f.Request.URL,
		RequestHeaders:  jsonHeaders(f.Request.Header),
		ResponseHeaders: []probeJSONHeader{},
		DurationMs:      float64(f.Timings.Duration().Microseconds()) / 1000,
	}
	if f.ResourceType == "preflight" {
		e.Role = "preflight"
	}
	if f.Response != nil {
		e.Status = f.Response.Status
		e.StatusText = f.Response.StatusText
		e.ResponseHeaders = jsonHeaders(f.Response.Header)
	}
	if v != nil {
		e.Verdict = &probeJSONVerdict{Kind: string(v.Kind), Error: v.Error, FailedParameter: v.FailedParameter, Console: v.Console}
	}
	return e
}

// WriteJSON prints the result as one indented JSON document (the shape is
// documented on probeJSON). framework, when set, limits "fixes" to that
// framework.
func (r *ProbeResult) WriteJSON(w io.Writer, framework string) error {
	o := r.Outcome
	kind := string(o.Kind)
	if kind == "" {
		kind = string(KindFailed)
	}
	doc := probeJSON{
		Verdict:         kind,
		ExitCode:        r.ExitCode(),
		Error:           o.Error,
		FailedParameter: o.FailedParameter,
		Console:         o.Console,
		Firefox:         o.Firefox,
		Explanation:     o.Explanation,
		DependsOn:       o.DependsOn,
		Request: probeJSONReq{
			URL:         r.Request.URL,
			Origin:      SerializeOrigin(r.Request.Origin),
			Method:      r.Method,
			Credentials: r.Request.Credentials,
			Headers:     jsonHeaders(r.Request.Header),
		},
		NeedsPreflight: r.NeedsPreflight,
		UnsafeHeaders:  orEmpty(r.UnsafeHeaders),
		Dropped:        orEmpty(r.Dropped),
		ActualSent:     r.ActualSent,
		TaintedAt:      r.TaintedAt,
		DecidedBy:      r.OutcomeIndex + 1,
		Exchanges:      []probeJSONExch{},
		Headers:        []probeJSONRef{},
		Warnings:       []probeJSONWarn{},
		Fixes:          []ReportFix{},
	}
	for i, f := range r.Flows {
		var v *Verdict
		if i < len(r.Verdicts) {
			v = &r.Verdicts[i]
		}
		doc.Exchanges = append(doc.Exchanges, exchangeJSON(i, f, v))
	}
	for _, h := range o.Headers {
		doc.Headers = append(doc.Headers, probeJSONRef{
			Exchange: r.flowIndex(h.Flow) + 1, Side: string(h.Side), Name: h.Name,
			Value: h.Value, Missing: h.Missing, Want: h.Want,
		})
	}
	for _, wn := range o.Warnings {
		doc.Warnings = append(doc.Warnings, probeJSONWarn{Code: wn.Code, Message: wn.Message, Header: wn.Header})
	}
	if spec := r.FixSpec(); spec != nil {
		// The same shape as analyze --format json's "fix".
		doc.Fix = newReportFixSpec(*spec)
		var fixes []Fix
		if framework != "" {
			fix, err := FixFor(*spec, framework)
			if err != nil {
				return err
			}
			fixes = []Fix{fix}
		} else {
			fixes = Fixes(*spec)
		}
		for _, f := range fixes {
			doc.Fixes = append(doc.Fixes, ReportFix(f))
		}
	}
	if r.Audit != nil {
		doc.Audit = newAuditJSON(r.Audit)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
