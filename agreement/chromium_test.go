package agreement

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/audits"
	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"

	"github.com/corscope/corscope/browser"
)

// chromium is one headless Chromium with one tab on the page origin, and
// the DevTools events of that tab in arrival order.
type chromium struct {
	mode    string // "proxied" or "direct"
	version string // Browser.getVersion product, e.g. "Chrome/156.0.8078.108"
	origins origins
	b       *browser.Browser
	tab     context.Context
	stop    []func()
	closed  sync.Once

	mu     sync.Mutex
	events []any
	wake   chan struct{}
}

// startChromium launches Chromium through the lead's launcher (the same
// path `corscope browser` takes), attaches to it over DevTools, enables the
// Network, Audits and Log domains, and sets the cookie credentialed
// scenarios send.
func startChromium(ctx context.Context, mode string, o browser.Options, org origins) (*chromium, error) {
	o.Headless, o.RemoteDebugging = true, true
	b, err := browser.Start(ctx, o)
	if err != nil {
		return nil, err
	}
	c := &chromium{mode: mode, origins: org, b: b, wake: make(chan struct{}, 1)}
	c.stop = append(c.stop, func() { _ = b.Stop() })
	fail := func(err error) (*chromium, error) {
		c.close()
		return nil, fmt.Errorf("%s Chromium: %w", mode, err)
	}

	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, err := b.DevToolsURL(wctx)
	if err != nil {
		return fail(err)
	}
	allocCtx, cancelAlloc := remote.NewAllocator(ctx, ws, remote.NoModifyURL)
	c.stop = append(c.stop, cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	c.stop = append(c.stop, cancelTab)
	c.tab = tab
	if err := chromedp.Listen(tab, c.record); err != nil {
		return fail(err)
	}
	v, err := chromedp.CallBrowser(tab, cdpbrowser.GetVersion, cdp.Empty{})
	if err != nil {
		return fail(err)
	}
	c.version = v.Product
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		return fail(err)
	}
	if _, err := chromedp.Call(tab, audits.Enable, cdp.Empty{}); err != nil {
		return fail(err)
	}
	if _, err := chromedp.Call(tab, cdplog.Enable, cdp.Empty{}); err != nil {
		return fail(err)
	}
	// A cookie on 127.0.0.1 for every credentialed scenario, set for real
	// so that corscope sees the credentials mode on the wire (cors.md
	// §7.1). Cookies are not port-scoped and 127.0.0.1:P1 → :P2 is
	// same-site, so a Lax cookie goes with credentials:'include'. http →
	// https is cross-site (schemeful), which is why HTTPS scenarios with
	// credentials run in the HTTPS page; the second cookie is for them.
	secure := true
	for _, ck := range []network.SetCookieParams{
		{Name: "sid", Value: "agreement", URL: org[roleAPI] + "/", Path: "/", SameSite: network.CookieSameSiteLax},
		{Name: "ssid", Value: "agreement", URL: org[roleHTTPS] + "/", Path: "/", SameSite: network.CookieSameSiteLax, Secure: &secure},
	} {
		if _, err := chromedp.Call(tab, network.SetCookie, ck); err != nil {
			return fail(fmt.Errorf("set the test cookie for %s: %w", ck.URL, err))
		}
	}
	return c, nil
}

// close ends the tab, the DevTools connection and the browser (its
// profile is removed); it may be called more than once.
func (c *chromium) close() {
	c.closed.Do(func() {
		for i := len(c.stop) - 1; i >= 0; i-- {
			c.stop[i]()
		}
	})
}

// record runs on chromedp's reading goroutine: keep the event, wake the
// waiter, return at once.
func (c *chromium) record(ev any) {
	switch ev.(type) {
	case *network.EventRequestWillBeSent, *network.EventLoadingFailed, *network.EventLoadingFinished,
		*network.EventResponseReceived, *audits.EventIssueAdded, *cdplog.EventEntryAdded:
	default:
		return
	}
	c.mu.Lock()
	c.events = append(c.events, ev)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *chromium) since(mark int) []any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]any(nil), c.events[mark:]...)
}

func (c *chromium) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// jsStep is a step as the page's runSteps takes it.
type jsStep struct {
	URL             string      `json:"url"`
	Method          string      `json:"method"`
	Headers         [][2]string `json:"headers"`
	Credentials     string      `json:"credentials,omitempty"`
	Mode            string      `json:"mode,omitempty"`
	Cache           string      `json:"cache,omitempty"`
	Body            string      `json:"body,omitempty"`
	BlobType        string      `json:"blobType,omitempty"`
	Stream          bool        `json:"stream,omitempty"`
	XHR             bool        `json:"xhr,omitempty"`
	WithCredentials bool        `json:"withCredentials,omitempty"`
	Upload          bool        `json:"upload,omitempty"`
}

// stepResult is what runSteps reports for one step.
type stepResult struct {
	OK     bool   `json:"ok"`
	Status int    `json:"status"`
	Type   string `json:"type"`
	Error  string `json:"error"`
}

func (s stepResult) String() string {
	if s.OK {
		return fmt.Sprintf("%d %s", s.Status, s.Type)
	}
	return s.Error
}

// chromeResult is Chromium's verdict on a scenario.
type chromeResult struct {
	Kind    string   // kindBlocked, kindAllowed, kindNotCORS, or "failed"
	Error   string   // CDP corsError
	Param   string   // failedParameter
	Warning bool     // DeprecationIssue AuthorizationCoveredByWildcard
	Console []string // the CORS console lines of the scenario
	Issues  []string // CorsIssue details, for reports
	Steps   []stepResult
	Note    string // why the result is odd, if it is
}

func (r chromeResult) label() string {
	switch r.Kind {
	case kindBlocked:
		return r.Error + paramSuffix(r.Param)
	case kindAllowed:
		if r.Warning {
			return "allowed+AuthorizationCoveredByWildcard"
		}
	}
	return r.Kind
}

func paramSuffix(p string) string {
	if p == "" {
		return ""
	}
	return " (" + p + ")"
}

// same reports whether two Chromium results are the same decision, told
// the same way on the console.
func (r chromeResult) same(o chromeResult) bool {
	return r.Kind == o.Kind && r.Error == o.Error && r.Param == o.Param && r.Warning == o.Warning &&
		corsConsoleLine(r.Console) == corsConsoleLine(o.Console)
}

func (c *chromium) jsSteps(sc *scenario) []jsStep {
	out := make([]jsStep, 0, len(sc.Steps))
	for _, s := range sc.Steps {
		out = append(out, jsStep{
			URL:             c.origins[or(s.To, roleAPI)] + "/" + sc.ID + "/" + or(s.Path, "x"),
			Method:          or(s.Method, "GET"),
			Headers:         s.Headers,
			Credentials:     s.Credentials,
			Mode:            s.Mode,
			Cache:           s.Cache,
			Body:            s.Body,
			BlobType:        s.BlobType,
			Stream:          s.Stream,
			XHR:             s.XHR,
			WithCredentials: s.WithCreds,
			Upload:          s.Upload,
		})
	}
	return out
}

// run performs a scenario in a freshly loaded page (Blink reports each
// deprecation once per page, and a fresh page keeps scenarios apart) and
// reads Chromium's verdict from the DevTools events.
func (c *chromium) run(sc *scenario) (chromeResult, error) {
	// The tab's context, with a deadline for this scenario only: the
	// browser lives on (chromedp API.md §21).
	ctx, cancel := context.WithTimeout(c.tab, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(c.origins[or(sc.Page, rolePage)]+"/")); err != nil {
		return chromeResult{}, fmt.Errorf("load the page: %w", err)
	}
	mark := c.mark()
	js, err := json.Marshal(c.jsSteps(sc))
	if err != nil {
		return chromeResult{}, err
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[[]stepResult]("runSteps("+string(js)+")", chromedp.EvalAwaitPromise))
	if err != nil {
		return chromeResult{}, fmt.Errorf("run the steps: %w", err)
	}
	if len(res) != len(sc.Steps) {
		return chromeResult{}, fmt.Errorf("runSteps returned %d results for %d steps", len(res), len(sc.Steps))
	}
	tag := "/" + sc.ID + "/"
	sendsAuth := false
	for _, s := range sc.Steps {
		for _, h := range s.Headers {
			sendsAuth = sendsAuth || strings.EqualFold(h[0], "Authorization")
		}
	}
	anyFailed := !allOK(res)

	// Wait until every request of the scenario has finished or failed,
	// and for what Chromium reports after that: the CORS error of a failed
	// step (a Blink-side refusal only raises a CorsIssue; events of
	// different requests may arrive out of order) and its console line,
	// or the Authorization deprecation of a request that passed. Each
	// wait is bounded.
	var out partial
	var grace <-chan time.Time
	for {
		out = c.verdict(c.since(mark), tag, res)
		done := out.pending == 0
		if done && anyFailed && out.Kind != kindBlocked {
			done = false
		}
		if done && sendsAuth && !anyFailed && !out.Warning {
			done = false
		}
		if done && out.Kind == kindBlocked && out.Error != "DisallowedByMode" && corsConsoleLine(out.Console) == "" {
			done = false // the console line is compared too
		}
		if done {
			return out.chromeResult, nil
		}
		if out.pending == 0 && grace == nil {
			grace = time.After(2 * time.Second)
		}
		select {
		case <-c.wake:
		case <-grace:
			return out.chromeResult, nil
		case <-ctx.Done():
			return out.chromeResult, fmt.Errorf("waiting for Chromium to finish the scenario's requests (%d pending): %w", out.pending, ctx.Err())
		}
	}
}

// partial is a verdict with its bookkeeping.
type partial struct {
	chromeResult
	requests int // requests of the scenario Chromium started
	pending  int // of which not finished yet
}

// verdict reads Chromium's decision from the events of one scenario.
func (c *chromium) verdict(evs []any, tag string, steps []stepResult) partial {
	var p partial
	p.Steps = steps
	ids := map[network.RequestID]bool{}   // the scenario's requests
	ended := map[network.RequestID]bool{} // finished or failed
	var corsErr *network.CorsErrorStatus
	for _, ev := range evs {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if e.Request == nil || !strings.Contains(e.Request.URL, tag) {
				continue
			}
			if !ids[e.RequestID] {
				ids[e.RequestID] = true
				p.requests++
			}
		case *network.EventLoadingFinished:
			if ids[e.RequestID] {
				ended[e.RequestID] = true
			}
		case *network.EventResponseReceived:
			// An opaque (no-cors) response gets no loadingFinished;
			// once the page has read every body, a response is the end.
			if ids[e.RequestID] && allOK(steps) {
				ended[e.RequestID] = true
			}
		case *network.EventLoadingFailed:
			if !ids[e.RequestID] {
				continue
			}
			ended[e.RequestID] = true
			if e.CorsErrorStatus != nil && corsErr == nil {
				corsErr = e.CorsErrorStatus
			}
		case *audits.EventIssueAdded:
			if e.Issue == nil || e.Issue.Details == nil {
				continue
			}
			if d := e.Issue.Details.CorsIssueDetails; d != nil && d.CorsErrorStatus != nil {
				if d.Request != nil && d.Request.URL != "" && !strings.Contains(d.Request.URL, tag) {
					continue
				}
				p.Issues = append(p.Issues, fmt.Sprintf("CorsIssue %s%s warning=%v", d.CorsErrorStatus.CorsError, paramSuffix(d.CorsErrorStatus.FailedParameter), d.IsWarning))
				if corsErr == nil && !d.IsWarning {
					corsErr = d.CorsErrorStatus
				}
			}
			if d := e.Issue.Details.DeprecationIssueDetails; d != nil && d.Type == "AuthorizationCoveredByWildcard" {
				p.Warning = true
			}
		case *cdplog.EventEntryAdded:
			if e.Entry != nil && strings.Contains(e.Entry.Text, tag) {
				p.Console = append(p.Console, e.Entry.Text)
			}
		}
	}
	p.pending = p.requests - len(ended)

	ok, cors := allOK(steps), false
	for _, s := range steps {
		cors = cors || (s.OK && s.Type == "cors")
	}
	switch {
	case corsErr != nil:
		p.Kind, p.Error, p.Param = kindBlocked, string(corsErr.CorsError), corsErr.FailedParameter
		if ok {
			p.Note = "Chromium reported a CORS error but every step resolved"
		}
	case !ok:
		p.Kind = "failed"
		for _, s := range steps {
			if !s.OK {
				p.Note = "a step failed without a CORS error: " + s.Error
				break
			}
		}
	case cors:
		p.Kind = kindAllowed
	default:
		p.Kind = kindNotCORS
	}
	return p
}

func allOK(steps []stepResult) bool {
	for _, s := range steps {
		if !s.OK {
			return false
		}
	}
	return true
}
