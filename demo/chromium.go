package demo

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"

	"github.com/corscope/corscope/browser"
)

// browserVerdict is Chromium's own decision on one call, read over the
// DevTools protocol.
type browserVerdict struct {
	// Label is the CDP CorsError, Allowed, or "failed" when the fetch
	// failed without a CORS error.
	Label string
	Param string // failedParameter
	Err   string // the fetch's error, for "failed"
}

// cdpLog collects, from the tab's event loop, the CORS error Chromium
// reported for each request path.
type cdpLog struct {
	mu      sync.Mutex
	paths   map[network.RequestID]string
	corsErr map[string]*network.CorsErrorStatus // by URL path
	wake    chan struct{}
}

func (l *cdpLog) record(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if e.Request != nil {
			if u, err := url.Parse(e.Request.URL); err == nil {
				l.paths[e.RequestID] = u.Path
			}
		}
	case *network.EventLoadingFailed:
		p, ok := l.paths[e.RequestID]
		if ok && e.CorsErrorStatus != nil && l.corsErr[p] == nil {
			l.corsErr[p] = e.CorsErrorStatus
			select {
			case l.wake <- struct{}{}:
			default:
			}
		}
	}
}

func (l *cdpLog) get(path string) *network.CorsErrorStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.corsErr[path]
}

// driveChromium loads the frontend in headless Chromium started through the
// proxy, waits for the page's calls and reads Chromium's verdict of each.
// The browser is stopped in the background; d.Close waits for it.
func (d *Demo) driveChromium(ctx context.Context, path string) error {
	b, err := browser.Start(ctx, browser.Options{
		Path: path, Proxy: d.Proxy.Addr(), SPKI: d.Proxy.CA().SPKIHash(),
		Headless: true, RemoteDebugging: true,
	})
	if err != nil {
		return err
	}
	defer d.stopInBackground(b)

	ws, err := b.DevToolsURL(ctx)
	if err != nil {
		return err
	}
	alloc, cancelAlloc := remote.NewAllocator(ctx, ws, remote.NoModifyURL)
	defer cancelAlloc()
	log := &cdpLog{paths: map[network.RequestID]string{}, corsErr: map[string]*network.CorsErrorStatus{},
		wake: make(chan struct{}, 1)}
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithListener(log.record))
	defer cancelTab()

	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		return fmt.Errorf("enable the DevTools network domain: %w", err)
	}
	product := "Chromium"
	if v, err := chromedp.CallBrowser(tab, cdpbrowser.GetVersion, cdp.Empty{}); err == nil && v.Product != "" {
		product = v.Product
	}
	if err := chromedp.Do(tab, chromedp.Navigate(d.FrontendURL())); err != nil {
		return fmt.Errorf("load %s: %w", d.FrontendURL(), err)
	}
	res, err := chromedp.Run(tab, chromedp.Evaluate[[]pageResult]("window.corscopeDemo", chromedp.EvalAwaitPromise))
	if err != nil {
		return fmt.Errorf("run the page's calls: %w", err)
	}
	if len(res) != len(d.Calls) {
		return fmt.Errorf("the page reported %d results for %d calls", len(res), len(d.Calls))
	}

	// A failed fetch rejects as soon as Blink knows; the CORS error may
	// reach DevTools a moment later. Wait for it, briefly.
	deadline := time.After(2 * time.Second)
wait:
	for !d.readVerdicts(res, log) {
		select {
		case <-log.wake:
		case <-deadline:
			break wait
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	d.Driver = DriverChromium
	d.DriverInfo = fmt.Sprintf("headless %s (%s)", product, filepath.Base(b.Path))
	return nil
}

// readVerdicts fills d.browserVerdicts from the page's results and the
// CORS errors seen so far, and reports whether every failed call has its
// CORS error.
func (d *Demo) readVerdicts(res []pageResult, log *cdpLog) bool {
	complete := true
	d.browserVerdicts = make([]browserVerdict, len(d.Calls))
	for i, c := range d.Calls {
		r := res[i]
		switch {
		case r.OK:
			d.browserVerdicts[i] = browserVerdict{Label: Allowed}
		case log.get(c.Path) != nil:
			e := log.get(c.Path)
			d.browserVerdicts[i] = browserVerdict{Label: string(e.CorsError), Param: e.FailedParameter}
		default:
			complete = false
			d.browserVerdicts[i] = browserVerdict{Label: "failed", Err: r.Error}
		}
	}
	return complete
}
