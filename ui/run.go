// Package ui is corscope's terminal interface: a Bubble Tea v2 flow browser
// over a capture.Store, live (the proxy is recording) or over a saved
// capture, with the CORS verdict, the headers at fault and the fix for
// every flow.
//
// One root model composes plain sub-models (list, detail, prompt). The
// store is pulled in batches by a re-armed command that also runs the
// analyzer, so neither the proxy nor the analyzer ever waits for the
// screen, and Update/View do no I/O (reference/tui.md §4).
package ui

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/corscope/corscope/capture"
)

// TLSStats is what the proxy knows about HTTPS interception, for the
// header's trust hint.
type TLSStats struct {
	// Intercepted counts client TLS handshakes completed with corscope's
	// certificates: the browser trusts the CA.
	Intercepted uint64
	// Rejected counts client handshakes that failed after CONNECT: the
	// browser does not trust the CA (yet).
	Rejected uint64
}

// Options configure the interface. Store is required; everything else has
// a sensible zero value.
type Options struct {
	// Store is where flows come from. The UI subscribes to it, and `p`
	// pauses it, `c` clears it.
	Store *capture.Store
	// Analyzer turns flows into verdicts (normally analyze.NewAnalyzer()).
	// It is only ever called from one goroutine at a time.
	Analyzer Analyzer

	// Live is true when a proxy is recording into Store: it enables
	// pause, the trust hint, and the quit confirmation for unexported
	// flows.
	Live bool
	// ListenAddr is the proxy's address, shown in the header and in the
	// set-up help.
	ListenAddr string
	// Title names a saved capture (e.g. the HAR file) when not Live.
	Title string
	// Home is the --home directory; ui.json (remembered choices) lives
	// there. Empty: nothing is remembered.
	Home string
	// SaveOnExit is the --har file written when corscope exits; with it,
	// quitting needs no confirmation.
	SaveOnExit string

	// Export writes flows as a HAR file (`e`). nil disables export.
	Export func(path string, flows []capture.Flow) error
	// LaunchBrowser starts a browser through the proxy (`B`) and returns a
	// line to show (e.g. which browser, or a note). nil: `B` explains how
	// to start one by hand.
	LaunchBrowser func(ctx context.Context) (string, error)
	// TLS reports HTTPS interception counters. nil: the hint is inferred
	// from the flows.
	TLS func() TLSStats

	// Notice is shown in the status line at start, as a warning: e.g.
	// that a HAR file broke after some entries and only those are shown.
	Notice string
	// Info is shown in the status line at start as plain information
	// (e.g. what the demo did); Notice wins when both are set.
	Info string

	// Location for the time column; nil means time.Local.
	Location *time.Location
	// Now is the clock for the export file name; nil means time.Now.
	Now func() time.Time
	// Frame is how long a burst of flows gathers before the UI pulls it
	// (default 30ms).
	Frame time.Duration

	// ProgramOptions are passed to tea.NewProgram (tests set input,
	// output and size).
	ProgramOptions []tea.ProgramOption
}

// Run shows the interface until the user quits or ctx is cancelled. It
// does not handle signals: cancel ctx on one.
func Run(ctx context.Context, o Options) error {
	if o.Store == nil {
		return errors.New("ui: no store to show")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(ctx, o)
	defer m.Close()
	// Signals are corscope's to handle (a first SIGINT/SIGTERM cancels ctx
	// so the capture is written, a second exits): Bubble Tea's own handler
	// would turn SIGINT into an error exit.
	opts := append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithoutSignalHandler()}, o.ProgramOptions...)
	_, err := tea.NewProgram(m, opts...).Run()
	if err != nil && errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
