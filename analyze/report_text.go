package analyze

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/corscope/corscope/capture"
)

// Write renders the report in format ("text", "markdown" or "json").
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "text", "":
		return r.WriteText(w)
	case "markdown":
		return r.WriteMarkdown(w)
	case "json":
		return r.WriteJSON(w)
	}
	return fmt.Errorf("unknown report format %q: use one of %s", format, strings.Join(ReportFormats, ", "))
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// headline is the one-line summary both human formats start with.
func (r *Report) headline() string {
	s := r.Summary
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s, %d CORS: %d blocked, %d undecidable, %d allowed",
		s.Requests, reportPlural(s.Requests, "request", "requests"), s.CORS, s.Blocked, s.Undecidable, s.Allowed)
	if s.Warnings > 0 {
		fmt.Fprintf(&b, "; %d with warnings", s.Warnings)
	}
	if s.Failed > 0 {
		fmt.Fprintf(&b, "; %d failed for other reasons (network)", s.Failed)
	}
	if s.Pending > 0 {
		fmt.Fprintf(&b, "; %d without a response", s.Pending)
	}
	return b.String()
}

func reportPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func reportRequests(ids []capture.FlowID) string {
	const show = 8
	parts := make([]string, 0, show+1)
	for i, id := range ids {
		if i == show {
			parts = append(parts, fmt.Sprintf("… %d more", len(ids)-show))
			break
		}
		parts = append(parts, fmt.Sprintf("#%d", id))
	}
	return strings.Join(parts, ", ")
}

func (p *Problem) title() string {
	switch p.Kind {
	case ProblemBlocked:
		if p.Error == "" {
			return "BLOCKED  (the browser did not record which check failed)"
		}
		return "BLOCKED  " + p.Label
	case ProblemUndecidable:
		return "UNDECIDABLE"
	}
	return "WARNING  " + p.Label
}

func (p *Problem) times() string {
	if p.Count == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", p.Count)
}

func reportHeaderLine(h HARCorsHeader) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s header %s", h.Side, h.Name)
	switch {
	case h.Missing:
		b.WriteString(" is missing")
	default:
		fmt.Fprintf(&b, ": %s", h.Value)
	}
	if h.Want != "" {
		fmt.Fprintf(&b, " (want %s)", h.Want)
	}
	return b.String()
}

// WriteText writes the report for a terminal or a CI log: plain text, no
// colour, one block per problem.
func (r *Report) WriteText(w io.Writer) error {
	ew := &reportWriter{w: w}
	src := r.Source
	if src == "" {
		src = "input"
	}
	ew.printf("corscope analyze %s: %s\n", src, r.headline())
	if len(r.Problems) == 0 {
		if r.Summary.CORS == 0 {
			ew.printf("\nNo cross-origin (CORS) requests in this capture.\n")
		} else {
			ew.printf("\nNo CORS problems found.\n")
		}
		return ew.err
	}
	for i := range r.Problems {
		p := &r.Problems[i]
		ew.printf("\n%s  (%s)\n", p.title(), p.times())
		ew.printf("  %s", p.Endpoint)
		if len(p.PageOrigins) > 0 {
			ew.printf("  from %s", strings.Join(p.PageOrigins, ", "))
		}
		ew.printf("  [%s]\n", reportRequests(p.Requests))
		if p.Console != "" {
			ew.printf("  Console: %s\n", p.Console)
		}
		if p.Explanation != "" {
			ew.printf("  Why: %s\n", p.Explanation)
		}
		if p.DependsOn != "" {
			ew.printf("  Depends on: %s\n", p.DependsOn)
		}
		for _, h := range p.Headers {
			ew.printf("  Header: %s\n", reportHeaderLine(h))
		}
		r.writeTextFix(ew, p)
	}
	return ew.err
}

func (r *Report) writeTextFix(ew *reportWriter, p *Problem) {
	if p.Fix == nil {
		return
	}
	if p.Fix.Tainted {
		ew.printf("  Fix: %s\n", taintedFixText(p.Fix))
		return
	}
	if r.Framework != "" {
		for _, f := range p.Fixes {
			ew.printf("  Fix (%s):\n", f.Title)
			ew.printf("%s\n", reportIndent(f.Snippet, "    "))
			if f.Note != "" {
				ew.printf("    %s\n", f.Note)
			}
		}
		if p.FixError != "" {
			ew.printf("  Fix: %s\n", p.FixError)
		}
		return
	}
	pre, act := RequiredHeaders(p.Fix.spec())
	if len(pre) > 0 {
		ew.printf("  %sthe preflight response (OPTIONS, 2xx) must carry:\n", p.fixLead())
		for _, h := range pre {
			ew.printf("    %s\n", h)
		}
	}
	if len(pre) > 0 {
		ew.printf("  Then the %s response must carry:\n", p.Method)
	} else {
		ew.printf("  %sthe %s response must carry:\n", p.fixLead(), p.Method)
	}
	for _, h := range act {
		ew.printf("    %s\n", h)
	}
	if p.Fix.PreflightUnhandled {
		ew.printf("  And let the CORS layer answer OPTIONS %s before routing and authentication run.\n", reportPath(p.Fix.Path))
	}
	if len(p.Fixes) > 0 {
		keys := make([]string, len(p.Fixes))
		for i, f := range p.Fixes {
			keys[i] = f.Framework
		}
		ew.printf("  Fix snippets: %s (add --framework NAME)\n", strings.Join(keys, ", "))
	} else if p.FixError != "" {
		ew.printf("  No fix snippet: %s\n", p.FixError)
	}
}

// fixLead starts the sentence introducing the required headers: a must
// for a blocked request, a condition for one that passes only without
// credentials, a recommendation for a warning. The result ends where
// "the … response must carry:" continues it.
func (p *Problem) fixLead() string {
	switch p.Kind {
	case ProblemUndecidable:
		return "To pass in every case, "
	case ProblemWarning:
		return "Safely configured, "
	}
	return "Fix: "
}

func reportPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func reportIndent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// reportWriter keeps the first write error so rendering code stays linear.
type reportWriter struct {
	w   io.Writer
	err error
}

func (e *reportWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, args...)
}
