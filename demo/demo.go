package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/corscope/corscope/browser"
	"github.com/corscope/corscope/capture"
)

// Driver says what sends the demo's traffic through the proxy.
type Driver string

const (
	// DriverAuto uses Chromium when one is installed, else the probe.
	DriverAuto Driver = "auto"
	// DriverChromium loads the page in headless Chromium.
	DriverChromium Driver = "chromium"
	// DriverProbe sends the page's calls with the probe engine.
	DriverProbe Driver = "probe"
)

// ParseDriver reads a --driver value.
func ParseDriver(s string) (Driver, error) {
	switch d := Driver(strings.ToLower(strings.TrimSpace(s))); d {
	case DriverAuto, DriverChromium, DriverProbe:
		return d, nil
	case "":
		return DriverAuto, nil
	}
	return "", fmt.Errorf("unknown --driver %q: use auto, chromium or probe", s)
}

// Options configure Start.
type Options struct {
	// Driver chooses what sends the traffic; empty means DriverAuto.
	Driver Driver
	// BrowserPath is the Chromium executable; empty finds one.
	BrowserPath string
	// Home is corscope's home directory: the proxy signs with the CA kept
	// there (created on first use), as corscope itself does, so that what
	// the interface and 'corscope ca' say about trusting it holds for the
	// demo's proxy too.
	Home string
	// MaxBody and MaxFlows bound the proxy's store (0: the defaults).
	MaxBody  int64
	MaxFlows int
	// Timeout bounds driving the calls (browser start included); 0 means
	// 30 seconds.
	Timeout time.Duration
}

// Demo is a running demo: the two servers, the proxy that recorded the
// page's calls, and what drove them. Close stops everything.
type Demo struct {
	// PageOrigin is the frontend's origin, APIOrigin the API's, both
	// http://localhost:PORT.
	PageOrigin string
	APIOrigin  string
	// Calls are the page's calls, in order.
	Calls []Call
	// Proxy is corscope's proxy, still serving: the interface can show it
	// live, and a browser started later can use it.
	Proxy *capture.Proxy

	// Driver is what sent the traffic (chromium or probe) and DriverInfo
	// says it in words, e.g. "headless Chrome/156.0.8078.108 (chromium)".
	Driver     Driver
	DriverInfo string
	// Fallback says why DriverAuto did not use Chromium; empty otherwise.
	Fallback string
	// Elapsed is how long starting and driving took.
	Elapsed time.Duration

	// browserVerdicts[i] is Chromium's own verdict on Calls[i]; nil when
	// the probe drove.
	browserVerdicts []browserVerdict

	servers []*http.Server
	served  chan error

	mu       sync.Mutex
	launcher *browser.Launcher // `B` in the interface
	stopping sync.WaitGroup
	closed   bool
}

// Start starts the frontend and the API on free loopback ports and
// corscope's proxy (on a free loopback port, with the CA in o.Home), drives
// the page's calls through the proxy, and returns once every call has been
// answered. The proxy keeps serving until Close.
func Start(ctx context.Context, o Options) (*Demo, error) {
	begin := time.Now()
	if o.Driver == "" {
		o.Driver = DriverAuto
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Home == "" {
		return nil, errors.New("demo: no home directory for corscope's CA (Options.Home)")
	}
	d := &Demo{Calls: Calls()}
	ok := false
	defer func() {
		if !ok {
			_ = d.Close()
		}
	}()

	feLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: listen on loopback for the frontend: %w", err)
	}
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		feLn.Close()
		return nil, fmt.Errorf("demo: listen on loopback for the API: %w", err)
	}
	// localhost, as a dev server prints it; the listeners are on 127.0.0.1.
	d.PageOrigin = "http://localhost:" + port(feLn)
	d.APIOrigin = "http://localhost:" + port(apiLn)
	d.serve(feLn, NewFrontend(d.APIOrigin, d.Calls))
	d.serve(apiLn, NewAPI(d.PageOrigin))

	d.Proxy, err = capture.Listen(capture.Config{
		Listen:   "127.0.0.1:0",
		Home:     o.Home,
		MaxBody:  o.MaxBody,
		Store:    capture.NewStore(o.MaxFlows),
		ErrorLog: nil, // failures become recorded flows
	})
	if err != nil {
		return nil, fmt.Errorf("demo: start the proxy: %w", err)
	}
	d.served = make(chan error, 1)
	go func() { d.served <- d.Proxy.Serve() }()
	d.launcher = &browser.Launcher{Options: browser.Options{
		Proxy: d.Proxy.Addr(), SPKI: d.Proxy.CA().SPKIHash(), URL: d.FrontendURL(),
	}}

	dctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := d.drive(dctx, o); err != nil {
		return nil, err
	}
	if err := d.settle(dctx); err != nil {
		return nil, err
	}
	d.Elapsed = time.Since(begin)
	ok = true
	return d, nil
}

// drive sends the calls with the driver o asks for.
func (d *Demo) drive(ctx context.Context, o Options) error {
	if o.Driver == DriverProbe {
		return d.driveProbe(ctx, o.MaxBody)
	}
	path := o.BrowserPath
	if path == "" {
		p, err := browser.Find(browser.Chromium)
		if err != nil {
			if o.Driver == DriverChromium {
				return fmt.Errorf("demo: --driver chromium: %w", err)
			}
			d.Fallback = "no Chromium found"
			return d.driveProbe(ctx, o.MaxBody)
		}
		path = p
	}
	err := d.driveChromium(ctx, path)
	if err == nil {
		return nil
	}
	if o.Driver == DriverChromium || ctx.Err() != nil {
		return fmt.Errorf("demo: headless Chromium: %w", err)
	}
	// Start over with the probe, on an empty store: the flows of a
	// half-run page would be counted twice.
	d.Fallback = "Chromium did not run the page: " + err.Error()
	d.browserVerdicts = nil
	d.Proxy.Store().Clear()
	return d.driveProbe(ctx, o.MaxBody)
}

// settle waits until every recorded flow is finished: the proxy publishes
// a flow's end a moment after the client has its last byte.
func (d *Demo) settle(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		done := true
		for _, f := range d.Proxy.Store().Snapshot() {
			if !f.Finished() {
				done = false
				break
			}
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: waiting for the proxy to record the calls: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// FrontendURL is the page's address.
func (d *Demo) FrontendURL() string { return d.PageOrigin + "/" }

// Close stops the browsers the demo started, the proxy and the servers.
// It may be called more than once.
func (d *Demo) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()

	var errs []error
	if d.launcher != nil {
		errs = append(errs, d.launcher.Close())
	}
	d.stopping.Wait()
	if d.Proxy != nil {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		errs = append(errs, d.Proxy.Shutdown(sctx))
		cancel()
		errs = append(errs, <-d.served)
	}
	for _, s := range d.servers {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// stopInBackground stops b without waiting; Close waits for it. The
// headless browser has done its work once the calls are answered, and its
// exit need not delay the interface.
func (d *Demo) stopInBackground(b *browser.Browser) {
	d.stopping.Add(1)
	go func() {
		defer d.stopping.Done()
		_ = b.Stop()
	}()
}

func (d *Demo) serve(ln net.Listener, h http.Handler) {
	s := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	d.servers = append(d.servers, s)
	go func() { _ = s.Serve(ln) }()
}

func port(ln net.Listener) string {
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}
