package demo

import (
	"context"
	"errors"
	"path/filepath"

	"github.com/corscope/corscope/browser"
)

// LaunchBrowser is the interface's `B` during the demo: a visible Chromium
// with a fresh profile, through the demo's proxy, on the demo's page, so
// the user can press "Run the calls again" and watch the flows arrive. It
// is stopped by Close.
func (d *Demo) LaunchBrowser(ctx context.Context) (string, error) {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return "", errors.New("the demo has stopped")
	}
	b, err := browser.Start(ctx, browser.Options{
		Proxy: d.Proxy.Addr(), SPKI: d.Proxy.CA().SPKIHash(), URL: d.FrontendURL(),
	})
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		_ = b.Stop()
		return "", errors.New("the demo has stopped")
	}
	d.browsers = append(d.browsers, b)
	d.mu.Unlock()
	return "started " + filepath.Base(b.Path) + " on the demo page " + d.FrontendURL() + " through corscope (fresh profile)", nil
}
