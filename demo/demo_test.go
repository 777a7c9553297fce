package demo

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/internal/testenv"
)

func startDemo(t *testing.T, o Options) *Demo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o.Home = t.TempDir()
	d, err := Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// checkOutcomes asserts that corscope labels every call as planted.
func checkOutcomes(t *testing.T, d *Demo) []Outcome {
	t.Helper()
	flows := d.Proxy.Store().Snapshot()
	out := d.Outcomes(flows, analyze.AnalyzeAll(flows))
	for _, o := range out {
		c := o.Call
		wantParam := strings.ReplaceAll(c.WantParameter, "{page}", d.PageOrigin)
		if o.Label != c.Want || o.Parameter != wantParam {
			t.Errorf("%s %s (%s): corscope says %s, want %s", c.Method, c.Path, c.Describe(),
				withParam(o.Label, o.Parameter), withParam(c.Want, wantParam))
		}
		if len(o.Flows) == 0 {
			t.Errorf("%s %s: no exchange recorded", c.Method, c.Path)
		}
	}
	return out
}

func TestProbeDriverRecordsEveryPlantedMistakeThroughTheProxy(t *testing.T) {
	d := startDemo(t, Options{Driver: DriverProbe})
	if d.Driver != DriverProbe || d.Fallback != "" {
		t.Errorf("driver %q fallback %q, want probe, no fallback", d.Driver, d.Fallback)
	}
	for _, o := range checkOutcomes(t, d) {
		if o.Chromium != "" {
			t.Errorf("%s: a Chromium verdict %q without Chromium", o.Call.Path, o.Chromium)
		}
	}
	// Preflighted calls show their OPTIONS; the failed ones nothing else.
	var methods []string
	for _, f := range d.Proxy.Store().Snapshot() {
		if strings.HasSuffix(f.Request.URL, "/api/cart") {
			methods = append(methods, f.Request.Method)
		}
	}
	if strings.Join(methods, " ") != "OPTIONS PUT" {
		t.Errorf("/api/cart exchanges %v, want the preflight then the PUT", methods)
	}
}

func TestChromiumDriverAgreesWithCorscopeOnEveryCall(t *testing.T) {
	testenv.Chromium(t)
	d := startDemo(t, Options{Driver: DriverChromium})
	if d.Driver != DriverChromium || !strings.Contains(d.DriverInfo, "headless") {
		t.Errorf("driver %q (%s), want chromium", d.Driver, d.DriverInfo)
	}
	for _, o := range checkOutcomes(t, d) {
		wantParam := strings.ReplaceAll(o.Call.WantParameter, "{page}", d.PageOrigin)
		if o.Chromium != o.Call.Want || o.ChromiumParameter != wantParam {
			t.Errorf("%s %s: Chromium says %s, want %s (the call does not demonstrate what it claims)",
				o.Call.Method, o.Call.Path, withParam(o.Chromium, o.ChromiumParameter), withParam(o.Call.Want, wantParam))
		}
		if !o.Agrees() {
			t.Errorf("%s %s: corscope %s, Chromium %s", o.Call.Method, o.Call.Path,
				withParam(o.Label, o.Parameter), withParam(o.Chromium, o.ChromiumParameter))
		}
	}
	// The page itself came through the proxy, as a navigation.
	first := d.Proxy.Store().Snapshot()[0]
	if first.Request.URL != d.FrontendURL() {
		t.Errorf("first flow %s, want the page %s", first.Request.URL, d.FrontendURL())
	}
}

func TestAutoFallsBackToTheProbeWhenChromiumCannotRun(t *testing.T) {
	missing := t.TempDir() + "/no-such-chromium"
	d := startDemo(t, Options{Driver: DriverAuto, BrowserPath: missing})
	if d.Driver != DriverProbe {
		t.Fatalf("driver %q, want the probe after Chromium failed", d.Driver)
	}
	if !strings.Contains(d.Fallback, "Chromium did not run the page") || !strings.Contains(d.DriverLine(), d.Fallback) {
		t.Errorf("fallback %q / driver line %q: the user must be told why", d.Fallback, d.DriverLine())
	}
	checkOutcomes(t, d)
}

func TestChromiumDriverFailsWhenChromiumCannotRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := Start(ctx, Options{Driver: DriverChromium, BrowserPath: t.TempDir() + "/no-such-chromium", Home: t.TempDir()})
	if err == nil {
		d.Close()
		t.Fatal("Start succeeded with a browser that does not exist")
	}
	if !strings.Contains(err.Error(), "no-such-chromium") {
		t.Errorf("error %q does not name the browser it could not start", err)
	}
}

func TestCloseStopsTheProxyAndTheServers(t *testing.T) {
	d := startDemo(t, Options{Driver: DriverProbe})
	addrs := []string{d.Proxy.Addr(), strings.TrimPrefix(d.PageOrigin, "http://"), strings.TrimPrefix(d.APIOrigin, "http://")}
	for _, a := range addrs {
		c, err := net.DialTimeout("tcp", a, time.Second)
		if err != nil {
			t.Fatalf("%s is not listening while the demo runs: %v", a, err)
		}
		c.Close()
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	for _, a := range addrs {
		a = strings.Replace(a, "localhost", "127.0.0.1", 1)
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after Close", a)
		}
	}
	if _, err := d.LaunchBrowser(context.Background()); err == nil {
		t.Error("LaunchBrowser started a browser after Close")
	}
}

func TestParseDriver(t *testing.T) {
	for in, want := range map[string]Driver{"": DriverAuto, "auto": DriverAuto, "Chromium": DriverChromium, " probe ": DriverProbe} {
		got, err := ParseDriver(in)
		if err != nil || got != want {
			t.Errorf("ParseDriver(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseDriver("firefox"); err == nil || !strings.Contains(err.Error(), "auto, chromium or probe") {
		t.Errorf("ParseDriver(firefox) error %v: want the values that work", err)
	}
}

func TestReportSaysWhichDriverRanAndListsEveryCall(t *testing.T) {
	d := startDemo(t, Options{Driver: DriverProbe})
	var b strings.Builder
	if err := d.WriteReport(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, "corscope demo: driver: probe — ") {
		t.Errorf("the report does not say the probe drove:\n%s", out)
	}
	if strings.Contains(out, "Chromium\n") {
		t.Error("the report has a Chromium column although Chromium did not run")
	}
	for _, c := range Calls() {
		if !strings.Contains(out, "  "+c.Method+" "+c.Path+" ") {
			t.Errorf("no line for %s %s", c.Method, c.Path)
		}
	}
	if !strings.Contains(out, "corscope analyze the demo's capture: ") {
		t.Error("the analyze report is missing")
	}
}
