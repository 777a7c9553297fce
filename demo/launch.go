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
	closed, l := d.closed, d.launcher
	d.mu.Unlock()
	if closed || l == nil {
		return "", errors.New("the demo has stopped")
	}
	b, err := l.Launch(ctx)
	if errors.Is(err, browser.ErrClosed) {
		return "", errors.New("the demo has stopped")
	}
	if err != nil {
		return "", err
	}
	return "started " + filepath.Base(b.Path) + " on the demo page " + d.FrontendURL() + " through corscope (fresh profile)", nil
}
