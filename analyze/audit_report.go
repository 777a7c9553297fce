package analyze

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// auditAdvice is the fix for every origin-check finding.
const auditAdvice = "Compare Origin with a fixed list of full origins (scheme://host:port), byte for byte; never echo it unchecked, allow null, or match it by prefix, suffix, substring or an unescaped regular expression."

// writeAuditText appends the audit's report to b.
func writeAuditText(b *strings.Builder, a *AuditResult) {
	how := "as the simple " + a.Method + " an attacker's page would send"
	switch {
	case a.Method == http.MethodOptions:
		how = "as preflights of this request"
	case a.StandIn:
		how = "as a GET standing in for the simple POST an attacker's page would send"
	}
	origins := 0
	for _, c := range a.Checks {
		if c.isOriginCheck() {
			origins++
		}
	}
	fmt.Fprintf(b, "\nAudit: %d made-up origins, sent %s, then 2 preflights asking for a made-up header and method.\nThe audit's own requests are only OPTIONS, GET or HEAD (the probe's request above was sent as given).\n", origins, how)
	for _, n := range a.Notes {
		fmt.Fprintf(b, "%s\n", n)
	}
	for _, c := range a.Checks {
		switch {
		case c.Skipped != "":
			fmt.Fprintf(b, "  %-8s %-14s %s\n", "skipped", c.Name, c.Skipped)
		case c.Err != "":
			fmt.Fprintf(b, "  %-8s %-14s %s → %s\n", "error", c.Name, c.sentText(), c.Err)
		case c.Inconclusive != "":
			fmt.Fprintf(b, "  %-8s %-14s %s → %s\n", "unclear", c.Name, c.sentText(), c.Inconclusive)
		case !c.Trusted && c.Note != "":
			fmt.Fprintf(b, "  %-8s %-14s %s → %s%s\n", "ok", c.Name, c.sentText(), c.Note, statusNote(c.Status))
		case !c.Trusted:
			fmt.Fprintf(b, "  %-8s %-14s %s → not allowed%s\n", "ok", c.Name, c.sentText(), statusNote(c.Status))
		default:
			how := ", without Access-Control-Allow-Credentials"
			if c.Credentials {
				how = ", with Access-Control-Allow-Credentials: true"
			}
			if !c.isOriginCheck() {
				how = ""
			}
			if c.Refused {
				how += ", but the request is refused"
			}
			also := ""
			if c.ExplainedBy != "" {
				also = " (follows from " + c.ExplainedBy + ")"
			}
			fmt.Fprintf(b, "  %-8s %-14s %s → allowed%s%s%s\n", strings.ToUpper(string(c.Severity)), c.Name, c.sentText(), statusNote(c.Status), how, also)
			fmt.Fprintf(b, "  %-8s %-14s %s\n", "", "", c.Evidence)
			fmt.Fprintf(b, "  %-8s %-14s %s: %s.\n", "", "", c.Title, c.Risk)
		}
	}
	if a.Wildcard {
		b.WriteString("Note: the server answers Access-Control-Allow-Origin: * to made-up origins, so every site can read these responses without cookies.\n")
	}
	if a.Duplicated {
		b.WriteString("Note: a made-up origin was echoed next to a second Access-Control-Allow-Origin. The browser refuses two values today; remove the duplicate and the echo lets every origin in.\n")
	}
	if a.CutShort {
		b.WriteString("Note: the time limit ended the audit early; give more with --timeout.\n")
	}
	var answered, skipped int
	for _, c := range a.Checks {
		switch {
		case c.answered():
			answered++
		case c.Skipped != "":
			skipped++
		}
	}
	n := a.Findings()
	switch {
	case n > 0:
		fmt.Fprintf(b, "Audit result: %d of %d checks allowed, worst %s.", n, len(a.Checks), strings.ToUpper(string(a.Worst())))
		if a.originFindings() {
			b.WriteString(" " + auditAdvice)
		}
		if trusted(a.Checks, "any-header") || trusted(a.Checks, "any-method") {
			b.WriteString(" List the methods and headers the API uses instead of copying the preflight's request or allowing *.")
		}
		b.WriteString("\n")
	case !a.Conclusive():
		b.WriteString("Audit result: the origin check could not be tested (see above); nothing is known about it.\n")
	case answered+skipped < len(a.Checks) || a.Untested != "":
		fmt.Fprintf(b, "Audit result: nothing allowed that should not be, in the %d of %d checks that got an answer.", answered, len(a.Checks))
		if a.Untested != "" {
			b.WriteString(" Not tested: " + a.Untested + ".")
		}
		b.WriteString("\n")
	case skipped > 0:
		fmt.Fprintf(b, "Audit result: no mistake found in the checks that apply (%d of %d; the others do not apply to this origin).\n", answered, len(a.Checks))
	default:
		b.WriteString("Audit result: no mistake found in the origin, method and header checks.\n")
	}
}

func statusNote(status int) string {
	if status == 0 || status >= 200 && status < 300 {
		return ""
	}
	return " (status " + strconv.Itoa(status) + ")"
}

func (c *AuditCheck) sentText() string {
	switch c.Name {
	case "any-header":
		return hACRH + ": " + c.Sent
	case "any-method":
		return hACRM + ": " + c.Sent
	}
	return "Origin: " + c.Sent
}

// auditJSON is the "audit" member of probe --json.
type auditJSON struct {
	Method     string           `json:"method"`
	StandIn    bool             `json:"standIn"`
	Notes      []string         `json:"notes"`
	Untested   string           `json:"untested"`
	Wildcard   bool             `json:"wildcard"`
	Duplicated bool             `json:"duplicated"`
	CutShort   bool             `json:"cutShort"`
	Conclusive bool             `json:"conclusive"`
	Worst      string           `json:"worst"`
	Findings   int              `json:"findings"`
	Checks     []auditCheckJSON `json:"checks"`
	Exchanges  []probeJSONExch  `json:"exchanges"`
}

type auditCheckJSON struct {
	Name         string `json:"name"`
	Title        string `json:"title"`
	Sent         string `json:"sent"`
	Skipped      string `json:"skipped"`
	Error        string `json:"error"`
	Inconclusive string `json:"inconclusive"`
	Status       int    `json:"status"`
	Exchange     int    `json:"exchange"`
	Note         string `json:"note"`
	Trusted      bool   `json:"trusted"`
	Credentials  bool   `json:"credentials"`
	Refused      bool   `json:"refused"`
	Severity     string `json:"severity"`
	ExplainedBy  string `json:"explainedBy"`
	Evidence     string `json:"evidence"`
	Risk         string `json:"risk"`
}

func newAuditJSON(a *AuditResult) *auditJSON {
	out := &auditJSON{
		Method: a.Method, StandIn: a.StandIn, Notes: append([]string{}, a.Notes...), Untested: a.Untested, Wildcard: a.Wildcard, Duplicated: a.Duplicated, CutShort: a.CutShort,
		Conclusive: a.Conclusive(), Worst: string(a.Worst()), Findings: a.Findings(),
		Checks: []auditCheckJSON{}, Exchanges: []probeJSONExch{},
	}
	for _, c := range a.Checks {
		out.Checks = append(out.Checks, auditCheckJSON{
			Name: c.Name, Title: c.Title, Sent: c.Sent, Skipped: c.Skipped, Error: c.Err,
			Inconclusive: c.Inconclusive, Status: c.Status, Exchange: c.Exchange, Note: c.Note, Trusted: c.Trusted,
			Credentials: c.Credentials, Refused: c.Refused, Severity: string(c.Severity),
			ExplainedBy: c.ExplainedBy, Evidence: c.Evidence, Risk: c.Risk,
		})
	}
	for i, f := range a.Flows {
		out.Exchanges = append(out.Exchanges, exchangeJSON(i, f, nil))
	}
	return out
}
