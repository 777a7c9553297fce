package analyze

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the report as GitHub-flavoured Markdown, for a
// pull-request comment or a CI job summary. Without a framework every
// snippet is included, folded in a <details> block.
func (r *Report) WriteMarkdown(w io.Writer) error {
	ew := &reportWriter{w: w}
	src := r.Source
	if src == "" {
		src = "input"
	}
	ew.printf("## CORS report: `%s`\n\n%s.\n", reportMDCode(src), r.headline())
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
		label := p.Label
		switch p.Kind {
		case ProblemBlocked:
			label = "Blocked: " + label
			if p.Error == "" {
				label = "Blocked (the browser did not record which check failed)"
			}
		case ProblemUndecidable:
			label = "Undecidable"
		case ProblemWarning:
			label = "Warning: " + label
		}
		ew.printf("\n### %s — `%s` (%s)\n\n", label, reportMDCode(p.Endpoint), p.times())
		if len(p.PageOrigins) > 0 {
			ew.printf("From %s; requests %s.\n\n", reportMDList(p.PageOrigins), reportRequests(p.Requests))
		} else {
			ew.printf("Requests %s.\n\n", reportRequests(p.Requests))
		}
		if p.Console != "" {
			ew.printf("```text\n%s\n```\n\n", p.Console)
		}
		if p.Explanation != "" {
			ew.printf("%s\n\n", p.Explanation)
		}
		if p.DependsOn != "" {
			ew.printf("**Depends on:** %s\n\n", p.DependsOn)
		}
		for _, h := range p.Headers {
			ew.printf("- %s\n", reportMDEscape(reportHeaderLine(h)))
		}
		if len(p.Headers) > 0 {
			ew.printf("\n")
		}
		r.writeMarkdownFix(ew, p)
	}
	return ew.err
}

func (r *Report) writeMarkdownFix(ew *reportWriter, p *Problem) {
	if p.Fix == nil {
		return
	}
	if p.Fix.Tainted {
		ew.printf("**Fix:** %s\n\n", taintedFixText(p.Fix))
		for _, f := range p.Fixes {
			ew.printf("```%s\n%s\n```\n\n", f.Language, strings.TrimRight(f.Snippet, "\n"))
		}
		return
	}
	pre, act := RequiredHeaders(p.Fix.spec())
	if len(pre) > 0 {
		ew.printf("%sthe preflight response (OPTIONS, 2xx) must carry:\n\n```http\n%s\n```\n\n", p.fixLead(), strings.Join(pre, "\n"))
	}
	lead := p.fixLead() + "the"
	if len(pre) > 0 {
		lead = "Then the"
	}
	ew.printf("%s %s response must carry:\n\n```http\n%s\n```\n\n", lead, p.Method, strings.Join(act, "\n"))
	if p.Fix.PreflightUnhandled {
		ew.printf("And let the CORS layer answer `OPTIONS %s` before routing and authentication run.\n\n", reportMDCode(reportPath(p.Fix.Path)))
	}
	for _, f := range p.Fixes {
		body := fmt.Sprintf("```%s\n%s\n```\n", f.Language, strings.TrimRight(f.Snippet, "\n"))
		if f.Note != "" {
			body += "\n" + f.Note + "\n"
		}
		if r.Framework != "" {
			ew.printf("**%s**\n\n%s\n", f.Title, body)
			continue
		}
		ew.printf("<details><summary>%s</summary>\n\n%s\n</details>\n", reportHTMLEscape(f.Title), body)
	}
	if p.FixError != "" {
		ew.printf("No fix snippet: %s\n\n", p.FixError)
	}
}

// mdCode keeps a value inside single backticks.
func reportMDCode(s string) string { return strings.ReplaceAll(s, "`", "'") }

func reportMDList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = "`" + reportMDCode(s) + "`"
	}
	return strings.Join(out, ", ")
}

var reportMDEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`)

func reportMDEscape(s string) string { return reportMDEscaper.Replace(s) }

var reportHTMLEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func reportHTMLEscape(s string) string { return reportHTMLEscaper.Replace(s) }
