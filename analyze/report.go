package analyze

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/corscope/corscope/capture"
)

// ReportVersion is the version of the JSON report's shape. It changes
// only when a member is removed or changes meaning; new members may be
// added within a version.
const ReportVersion = 1

// ReportFormats are the formats Report.Write knows, the first the default.
var ReportFormats = []string{"text", "markdown", "json"}

// ReportOptions shape a Report.
type ReportOptions struct {
	// Source names the input in the report ("bug.har", "stdin").
	Source string
	// OnlyFailures leaves out warnings (dangerous configurations the
	// browser allowed); blocked and undecidable requests stay.
	OnlyFailures bool
	// Framework, when set (a key from Frameworks or an alias), gives that
	// framework's fix in full; otherwise the report lists the headers the
	// server must send and the frameworks a fix exists for.
	Framework string
}

// Report is what `corscope analyze` prints: the CORS problems of a
// capture grouped by endpoint and label. Its JSON form (WriteJSON) is
// stable, versioned by ReportVersion.
type Report struct {
	Version int    `json:"version"`
	Source  string `json:"source"`
	// Blocked is true when at least one request was blocked: the exit
	// status of `corscope analyze` is 1 then.
	Blocked   bool          `json:"blocked"`
	Framework string        `json:"framework,omitempty"`
	Summary   ReportSummary `json:"summary"`
	Problems  []Problem     `json:"problems"`
}

// ReportSummary counts the flows by verdict kind.
type ReportSummary struct {
	Requests    int `json:"requests"`
	CORS        int `json:"cors"` // allowed + blocked + undecidable
	Allowed     int `json:"allowed"`
	Blocked     int `json:"blocked"`
	Undecidable int `json:"undecidable"`
	NotCORS     int `json:"notCors"`
	Failed      int `json:"failed"` // network failures, not CORS
	Pending     int `json:"pending"`
	Warnings    int `json:"warnings"` // flows with at least one warning
}

// Problem kinds in a report.
const (
	ProblemBlocked     = "blocked"
	ProblemUndecidable = "undecidable"
	ProblemWarning     = "warning"
)

// Problem is one group: the same endpoint failing (or warned about) the
// same way, once or many times.
type Problem struct {
	// Kind is "blocked", "undecidable" or "warning".
	Kind string `json:"kind"`
	// Label is the CDP CorsError name for blocked, "undecidable", or the
	// warning code.
	Label string `json:"label"`
	// Endpoint is Method + " " + Origin + Path, the grouping key with Label.
	Endpoint string `json:"endpoint"`
	// Method is the method the CORS check concerns (for a preflight, the
	// method it asked about).
	Method string `json:"method"`
	// Origin is the API's origin (scheme://host[:port]); Path its path,
	// without the query.
	Origin string `json:"origin"`
	Path   string `json:"path"`
	// PageOrigins are the Origin headers sent, sorted.
	PageOrigins []string `json:"pageOrigins"`
	// Count is how many times it happened: a preflight and the request it
	// guarded count once.
	Count int `json:"count"`
	// Requests are the flow IDs involved (for a HAR, entries numbered from
	// 1 in startedDateTime order).
	Requests []capture.FlowID `json:"requests"`

	Error           string      `json:"error,omitempty"`
	FailedParameter string      `json:"failedParameter,omitempty"`
	Console         string      `json:"console,omitempty"`
	Firefox         string      `json:"firefox,omitempty"`
	Explanation     string      `json:"explanation,omitempty"`
	DependsOn       string      `json:"dependsOn,omitempty"`
	Warning         *HARWarning `json:"warning,omitempty"`
	NeverSent       bool        `json:"neverSent,omitempty"`
	// Headers are the headers at fault in the first occurrence.
	Headers []HARCorsHeader `json:"headers,omitempty"`
	// Fix is what the server must allow; Fixes the rendered snippets (all
	// frameworks, or the one asked for).
	Fix   *ReportFixSpec `json:"fix,omitempty"`
	Fixes []ReportFix    `json:"fixes,omitempty"`
	// FixError says why no snippet is given when Fix is set but Fixes is
	// empty (for example an opaque "null" page origin).
	FixError string `json:"fixError,omitempty"`
}

// ReportFixSpec is FixSpec with the report's stable JSON names.
type ReportFixSpec struct {
	Origin             string   `json:"origin"`
	Methods            []string `json:"methods"`
	Headers            []string `json:"headers"`
	Expose             []string `json:"expose"`
	Credentials        bool     `json:"credentials"`
	MaxAge             int      `json:"maxAge"`
	Path               string   `json:"path"`
	PreflightUnhandled bool     `json:"preflightUnhandled"`
	BothLocal          bool     `json:"bothLocal"`
	APIOrigin          string   `json:"apiOrigin"`
	// Tainted and RedirectChain: see FixSpec.Tainted and FixSpec.Chain.
	Tainted       bool     `json:"tainted,omitempty"`
	RedirectChain []string `json:"redirectChain,omitempty"`
}

func newReportFixSpec(s FixSpec) *ReportFixSpec {
	nonNil := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v
	}
	return &ReportFixSpec{Origin: s.Origin, Methods: nonNil(s.Methods), Headers: nonNil(s.Headers), Expose: nonNil(s.Expose),
		Credentials: s.Credentials, MaxAge: s.MaxAge, Path: s.Path, PreflightUnhandled: s.PreflightUnhandled,
		BothLocal: s.BothLocal, APIOrigin: s.APIOrigin, Tainted: s.Tainted, RedirectChain: s.Chain}
}

func (s *ReportFixSpec) spec() FixSpec {
	return FixSpec{Origin: s.Origin, Methods: s.Methods, Headers: s.Headers, Expose: s.Expose, Credentials: s.Credentials,
		MaxAge: s.MaxAge, Path: s.Path, PreflightUnhandled: s.PreflightUnhandled, BothLocal: s.BothLocal, APIOrigin: s.APIOrigin,
		Tainted: s.Tainted, Chain: s.RedirectChain}
}

// taintedFixText is the report's fix for a tainted chain: the redirect,
// not a header.
func taintedFixText(s *ReportFixSpec) string {
	msg := "no CORS header fixes this safely (allowing Origin: null lets every sandboxed iframe and data: page in). Avoid the cross-origin redirect"
	if n := len(s.RedirectChain); n >= 2 {
		msg += ": have the page call " + s.RedirectChain[n-1] + " directly instead of " + s.RedirectChain[0] + ", or keep the redirect within one origin."
	} else {
		msg += ": have the page call the final URL directly, or keep the redirect within one origin."
	}
	if s.Origin != "" {
		msg += " Called directly, the request carries Origin: " + s.Origin + ", which that server must allow."
	}
	return msg
}

// ReportFix is a Fix with the report's stable JSON names.
type ReportFix struct {
	Framework string `json:"framework"`
	Title     string `json:"title"`
	Language  string `json:"language"`
	Snippet   string `json:"snippet"`
	Note      string `json:"note"`
}

func newReportFixes(fixes []Fix) []ReportFix {
	out := make([]ReportFix, len(fixes))
	for i, f := range fixes {
		out[i] = ReportFix(f)
	}
	return out
}

// CheckReportOptions reports an unknown format or framework before any
// input is read, with the values that would work.
func CheckReportOptions(format string, opts ReportOptions) error {
	if !slices.Contains(ReportFormats, format) {
		return fmt.Errorf("unknown report format %q: use one of %s", format, strings.Join(ReportFormats, ", "))
	}
	if opts.Framework != "" {
		if _, ok := FrameworkKey(opts.Framework); !ok {
			return fmt.Errorf("unknown framework %q: use one of %s", opts.Framework, strings.Join(Frameworks(), ", "))
		}
	}
	return nil
}

// NewReport groups the verdicts of flows (verdicts[i] is flows[i]'s, as
// AnalyzeAll returns them) into a report.
func NewReport(flows []capture.Flow, verdicts []Verdict, opts ReportOptions) *Report {
	r := &Report{Version: ReportVersion, Source: opts.Source, Problems: []Problem{}}
	if opts.Framework != "" {
		r.Framework, _ = FrameworkKey(opts.Framework)
	}
	byID := make(map[capture.FlowID]int, len(flows))
	for i, f := range flows {
		byID[f.ID] = i
	}
	groups := map[string]*Problem{}
	add := func(kind, label string, f *capture.Flow, v *Verdict) *Problem {
		method, origin, path := reportEndpoint(f, v)
		key := kind + "\x00" + label + "\x00" + method + " " + origin + path
		p := groups[key]
		if p == nil {
			p = &Problem{Kind: kind, Label: label, Endpoint: method + " " + origin + path,
				Method: method, Origin: origin, Path: path, PageOrigins: []string{}}
			groups[key] = p
		}
		p.Requests = append(p.Requests, f.ID)
		if o := f.Request.Header.Get("Origin"); o != "" && !slices.Contains(p.PageOrigins, o) {
			p.PageOrigins = append(p.PageOrigins, o)
		}
		// A preflight and the request it guarded are one incident.
		if v.Pair == 0 || !slices.Contains(p.Requests, v.Pair) {
			p.Count++
		}
		return p
	}

	for i := range flows {
		if i >= len(verdicts) {
			break
		}
		f, v := &flows[i], &verdicts[i]
		r.Summary.Requests++
		switch v.Kind {
		case KindAllowed:
			r.Summary.Allowed++
		case KindBlocked:
			r.Summary.Blocked++
		case KindUndecidable:
			r.Summary.Undecidable++
		case KindNotCORS:
			r.Summary.NotCORS++
		case KindFailed:
			r.Summary.Failed++
		case KindPending:
			r.Summary.Pending++
		}
		if len(v.Warnings) > 0 {
			r.Summary.Warnings++
		}
		switch v.Kind {
		case KindBlocked:
			r.Blocked = true
			p := add(ProblemBlocked, v.Label(), f, v)
			if len(p.Requests) == 1 {
				p.fill(v, r.Framework)
			}
		case KindUndecidable:
			p := add(ProblemUndecidable, string(KindUndecidable), f, v)
			if len(p.Requests) == 1 {
				p.fill(v, r.Framework)
			}
		}
		if opts.OnlyFailures {
			continue
		}
		for _, w := range v.Warnings {
			p := add(ProblemWarning, w.Code, f, v)
			if len(p.Requests) == 1 {
				w := HARWarning(w)
				p.Warning = &w
				p.Explanation = w.Message
				if v.Kind != KindBlocked {
					p.setFix(v.Fix, r.Framework)
				}
			}
		}
	}
	r.Summary.CORS = r.Summary.Allowed + r.Summary.Blocked + r.Summary.Undecidable

	for _, p := range groups {
		slices.Sort(p.PageOrigins)
		r.Problems = append(r.Problems, *p)
	}
	rank := map[string]int{ProblemBlocked: 0, ProblemUndecidable: 1, ProblemWarning: 2}
	slices.SortFunc(r.Problems, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(rank[a.Kind], rank[b.Kind]),
			cmp.Compare(b.Count, a.Count),
			cmp.Compare(a.Requests[0], b.Requests[0]),
			cmp.Compare(a.Label, b.Label),
		)
	})
	return r
}

// fill copies the first occurrence's diagnosis into the group.
func (p *Problem) fill(v *Verdict, framework string) {
	p.Error = v.Error
	p.FailedParameter = v.FailedParameter
	p.Console = v.Console
	p.Firefox = v.Firefox
	p.Explanation = v.Explanation
	p.DependsOn = v.DependsOn
	p.NeverSent = v.NeverSent
	for _, h := range v.Headers {
		p.Headers = append(p.Headers, HARCorsHeader{Side: h.Side, Name: h.Name, Value: h.Value, Missing: h.Missing, Want: h.Want})
	}
	p.setFix(v.Fix, framework)
}

func (p *Problem) setFix(spec *FixSpec, framework string) {
	if spec == nil {
		return
	}
	s := *spec
	p.Fix = newReportFixSpec(s)
	if framework != "" {
		fix, err := FixFor(s, framework)
		if err != nil {
			p.FixError = err.Error()
			return
		}
		p.Fixes = newReportFixes([]Fix{fix})
		return
	}
	p.Fixes = newReportFixes(Fixes(s))
	if len(p.Fixes) == 0 {
		if _, err := FixFor(s, Frameworks()[0]); err != nil {
			p.FixError = err.Error()
		}
	}
}

// reportEndpoint returns the method the CORS check concerns and the URL's
// origin and path (no query).
func reportEndpoint(f *capture.Flow, v *Verdict) (method, origin, path string) {
	method = v.Method
	if method == "" {
		method = f.Request.Method
	}
	u, err := url.Parse(f.Request.URL)
	if err != nil || u.Host == "" {
		raw, _, _ := strings.Cut(f.Request.URL, "?")
		return method, "", raw
	}
	path = u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return method, u.Scheme + "://" + u.Host, path
}

// RequiredHeaders lists the response headers a server must send for the
// exchange in spec to pass, framework-neutral: for the preflight (when the
// method or headers need one) and for the actual response.
func RequiredHeaders(spec FixSpec) (preflight, actual []string) {
	acao := "Access-Control-Allow-Origin: " + spec.Origin
	actual = append(actual, acao)
	if spec.Credentials {
		actual = append(actual, "Access-Control-Allow-Credentials: true")
	}
	if len(spec.Expose) > 0 {
		actual = append(actual, "Access-Control-Expose-Headers: "+strings.Join(spec.Expose, ", "))
	}
	actual = append(actual, "Vary: Origin")

	var methods []string
	for _, m := range spec.Methods {
		if m != "GET" && m != "HEAD" && m != "POST" {
			methods = append(methods, m)
		}
	}
	if len(methods) == 0 && len(spec.Headers) == 0 {
		return nil, actual
	}
	preflight = append(preflight, acao)
	if spec.Credentials {
		preflight = append(preflight, "Access-Control-Allow-Credentials: true")
	}
	if len(methods) > 0 {
		preflight = append(preflight, "Access-Control-Allow-Methods: "+strings.Join(methods, ", "))
	}
	if len(spec.Headers) > 0 {
		preflight = append(preflight, "Access-Control-Allow-Headers: "+strings.Join(spec.Headers, ", "))
	}
	if spec.MaxAge > 0 {
		preflight = append(preflight, fmt.Sprintf("Access-Control-Max-Age: %d", spec.MaxAge))
	}
	preflight = append(preflight, "Vary: Origin")
	return preflight, actual
}
