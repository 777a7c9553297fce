package demo

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// Outcome is what became of one call.
type Outcome struct {
	Call Call
	// Label is corscope's verdict on the call: the CorsError name of the
	// first blocked exchange, else "allowed", "undecidable", "failed", or
	// "not recorded" when no exchange of the call reached the proxy.
	Label string
	// Parameter is the failedParameter of Label, as Chromium fills it.
	Parameter string
	// Flows are the IDs of the call's exchanges (preflight first).
	Flows []capture.FlowID
	// Chromium is Chromium's own verdict (CorsError, "allowed" or
	// "failed"), empty when the probe drove the calls.
	Chromium          string
	ChromiumParameter string
}

// Agrees reports whether corscope and Chromium reached the same decision
// (trivially true when Chromium did not drive).
func (o Outcome) Agrees() bool {
	return o.Chromium == "" || (o.Chromium == o.Label && o.ChromiumParameter == o.Parameter)
}

// Outcomes returns corscope's verdict on every call, from the flows the
// proxy recorded and their verdicts (analyze.AnalyzeAll order).
func (d *Demo) Outcomes(flows []capture.Flow, verdicts []analyze.Verdict) []Outcome {
	out := make([]Outcome, len(d.Calls))
	for i, c := range d.Calls {
		o := Outcome{Call: c, Label: "not recorded"}
		var blocked, undecidable, allowed, failed bool
		for j := range flows {
			if j >= len(verdicts) || !d.isCall(flows[j], c) {
				continue
			}
			v := verdicts[j]
			o.Flows = append(o.Flows, flows[j].ID)
			switch v.Kind {
			case analyze.KindBlocked:
				if !blocked {
					o.Label, o.Parameter = v.Label(), v.FailedParameter
				}
				blocked = true
			case analyze.KindUndecidable:
				undecidable = true
			case analyze.KindAllowed:
				allowed = true
			case analyze.KindFailed:
				failed = true
			}
		}
		switch {
		case blocked:
		case undecidable:
			o.Label = string(analyze.KindUndecidable)
		case failed:
			o.Label = string(analyze.KindFailed)
		case allowed:
			o.Label = Allowed
		}
		if d.browserVerdicts != nil {
			o.Chromium, o.ChromiumParameter = d.browserVerdicts[i].Label, d.browserVerdicts[i].Param
		}
		out[i] = o
	}
	return out
}

// isCall reports whether f is an exchange of call c: same API path (a
// preflight is an OPTIONS to it).
func (d *Demo) isCall(f capture.Flow, c Call) bool {
	u, err := url.Parse(f.Request.URL)
	if err != nil || u.Scheme+"://"+u.Host != d.APIOrigin || u.Path != c.Path {
		return false
	}
	return f.Request.Method == c.Method || f.Request.Method == "OPTIONS"
}

// WriteReport writes what `corscope demo --no-tui` prints: where the demo
// ran and what drove it, one line per call with corscope's verdict (and
// Chromium's), then the report `corscope analyze` gives on the capture.
func (d *Demo) WriteReport(w io.Writer) error {
	flows := d.Proxy.Store().Snapshot()
	verdicts := analyze.AnalyzeAll(flows)
	var b strings.Builder
	fmt.Fprintf(&b, "corscope demo: the page %s calls the API %s through corscope on %s\n",
		d.FrontendURL(), d.APIOrigin, d.Proxy.Addr())
	fmt.Fprintf(&b, "corscope demo: %s\n", d.DriverLine())
	fmt.Fprintf(&b, "corscope demo: %d calls, %d exchanges recorded in %s\n\n",
		len(d.Calls), len(flows), d.Elapsed.Round(10*time.Millisecond))

	outcomes := d.Outcomes(flows, verdicts)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	if d.Driver == DriverChromium {
		fmt.Fprintln(tw, "  call\twhat the server does\tcorscope\tChromium")
	} else {
		fmt.Fprintln(tw, "  call\twhat the server does\tcorscope")
	}
	for _, o := range outcomes {
		line := fmt.Sprintf("  %s %s\t%s\t%s", o.Call.Method, o.Call.Path, o.Call.Describe(), withParam(o.Label, o.Parameter))
		if d.Driver == DriverChromium {
			ch := "agrees"
			if !o.Agrees() {
				ch = "DIFFERS: " + withParam(o.Chromium, o.ChromiumParameter)
			}
			line += "\t" + ch
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\nThe blocked calls are the planted mistakes: the demo worked (exit status 0).\n\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return analyze.NewReport(flows, verdicts, analyze.ReportOptions{Source: "the demo's capture"}).Write(w, "text")
}

func withParam(label, param string) string {
	if param == "" {
		return label
	}
	return label + " (" + param + ")"
}

// DriverLine says what drove the calls, for the report header and the
// interface's notice.
func (d *Demo) DriverLine() string {
	s := "driver: " + string(d.Driver) + " — " + d.DriverInfo
	if d.Driver == DriverChromium {
		s += " loaded the page through the proxy and made its fetch() calls"
	} else {
		s += ", through the proxy"
	}
	if d.Fallback != "" {
		s += " (" + d.Fallback + ")"
	}
	return s
}

// Notice is the interface's status line at start, short enough for an
// 80-column terminal.
func (d *Demo) Notice() string {
	mistakes := 0
	for _, c := range d.Calls {
		if c.Want != Allowed {
			mistakes++
		}
	}
	who := "headless Chromium"
	if d.Driver == DriverProbe {
		who = "the probe engine"
	}
	return fmt.Sprintf("demo: %s ran %d calls · %d planted mistakes · B opens the page", who, len(d.Calls), mistakes)
}
