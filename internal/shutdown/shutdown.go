// Package shutdown turns SIGINT, SIGTERM and SIGHUP into an orderly stop
// for corscope's commands: the first signal cancels a context, so the
// command finishes what it must (stop the proxy, write the HAR, restore the
// terminal, remove temporary files); a second signal exits at once, after
// the clean-ups registered with AtExit, with the shell's status for that
// signal (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
//
// Commands with nothing to finish (a report, a probe) are not Graceful:
// for them the first signal already exits at once.
package shutdown

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Signals are the signals handled.
var Signals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// Handler receives the signals for the whole process.
type Handler struct {
	stderr io.Writer
	exit   func(code int)
	cancel context.CancelFunc
	sigs   chan os.Signal
	done   chan struct{}

	mu       sync.Mutex
	graceful bool
	received int
	next     int
	cleanups map[int]func()
}

// Install starts handling the signals and returns a context that the
// first signal cancels. Stop undoes it.
func Install(parent context.Context, stderr io.Writer) (context.Context, *Handler) {
	return install(parent, stderr, os.Exit)
}

func install(parent context.Context, stderr io.Writer, exit func(int)) (context.Context, *Handler) {
	ctx, cancel := context.WithCancel(parent)
	h := &Handler{
		stderr:   stderr,
		exit:     exit,
		cancel:   cancel,
		sigs:     make(chan os.Signal, 4),
		done:     make(chan struct{}),
		cleanups: make(map[int]func()),
	}
	signal.Notify(h.sigs, Signals...)
	go h.loop()
	return ctx, h
}

// Graceful says the running command stops cleanly when its context is
// cancelled: the first signal cancels it, the second exits at once.
func (h *Handler) Graceful() {
	h.mu.Lock()
	h.graceful = true
	h.mu.Unlock()
}

// AtExit registers f to run before an immediate exit (a second signal),
// e.g. removing a temporary file. remove unregisters it once the command
// has cleaned up by itself.
func (h *Handler) AtExit(f func()) (remove func()) {
	h.mu.Lock()
	id := h.next
	h.next++
	h.cleanups[id] = f
	h.mu.Unlock()
	return func() {
		h.mu.Lock()
		delete(h.cleanups, id)
		h.mu.Unlock()
	}
}

// Stop stops handling signals (the default actions apply again).
func (h *Handler) Stop() {
	signal.Stop(h.sigs)
	close(h.done)
	h.cancel()
}

func (h *Handler) loop() {
	for {
		select {
		case <-h.done:
			return
		case sig := <-h.sigs:
			h.handle(sig)
		}
	}
}

func (h *Handler) handle(sig os.Signal) {
	h.mu.Lock()
	h.received++
	first, graceful := h.received == 1, h.graceful
	h.mu.Unlock()
	if first && graceful {
		fmt.Fprintf(h.stderr, "corscope: %s: stopping (send it again to exit at once)\n", sig)
		h.cancel()
		return
	}
	code := ExitCode(sig)
	if graceful {
		fmt.Fprintf(h.stderr, "corscope: %s again: exiting at once with status %d, without finishing the shutdown (a --har file may not be written)\n", sig, code)
	}
	h.mu.Lock()
	fs := make([]func(), 0, len(h.cleanups))
	for _, f := range h.cleanups {
		fs = append(fs, f)
	}
	h.mu.Unlock()
	for _, f := range fs {
		f()
	}
	h.exit(code)
}

// ExitCode is the status a shell reports for a process ended by sig:
// 128 plus the signal number.
func ExitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}
