package demo

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// driveProbe sends every call with the probe engine through the proxy: the
// requests Chromium would send for the page's fetch(), preflights
// included, with the session cookie standing for the browser's cookie jar
// on the credentialed calls.
func (d *Demo) driveProbe(ctx context.Context, maxBody int64) error {
	t := &http.Transport{
		Proxy:              http.ProxyURL(&url.URL{Scheme: "http", Host: d.Proxy.Addr()}),
		DisableCompression: true,
	}
	defer t.CloseIdleConnections()
	p := &analyze.Prober{Transport: t, MaxBody: maxBody}
	for _, c := range d.Calls {
		req := analyze.ProbeRequest{URL: d.APIOrigin + c.Path, Origin: d.PageOrigin, Method: c.Method, Credentials: c.Credentials}
		for _, h := range c.Header {
			req.Header = append(req.Header, capture.Header{Name: h[0], Value: h[1]})
		}
		if c.Credentials {
			req.Header = append(req.Header, capture.Header{Name: "Cookie", Value: sessionCookie})
		}
		if _, err := p.Probe(ctx, req); err != nil {
			return fmt.Errorf("probe %s %s: %w", c.Method, req.URL, err)
		}
	}
	d.Driver = DriverProbe
	d.DriverInfo = "corscope's probe engine (the requests Chromium would send, preflights included)"
	return nil
}
