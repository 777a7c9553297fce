package browser

import (
	"context"
	"errors"
	"sync"
)

// ErrClosed is returned by Launcher.Launch after Close.
var ErrClosed = errors.New("browser: the proxy these browsers use has stopped")

// Launcher starts browsers through one proxy on demand (the interface's
// `B`) and stops them all when that proxy goes away: a browser left
// pointing at a dead proxy can load nothing.
type Launcher struct {
	// Options for every browser started; usually Proxy, SPKI and
	// CACertFile, sometimes URL.
	Options Options

	mu      sync.Mutex
	running []*Browser
	closed  bool
}

// Launch starts a browser with l.Options.
func (l *Launcher) Launch(ctx context.Context) (*Browser, error) {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	b, err := Start(ctx, l.Options)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = b.Stop()
		return nil, ErrClosed
	}
	l.running = append(l.running, b)
	return b, nil
}

// Close stops every browser started and makes later Launches fail.
func (l *Launcher) Close() error {
	l.mu.Lock()
	running := l.running
	l.running, l.closed = nil, true
	l.mu.Unlock()
	// Concurrently: each Stop may wait up to 3 s for a polite exit.
	errs := make([]error, len(running))
	var wg sync.WaitGroup
	for i, b := range running {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.Stop()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
