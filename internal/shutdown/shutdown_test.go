package shutdown

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the handler's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, graceful bool) (context.Context, *Handler, *syncBuffer, chan int) {
	t.Helper()
	var stderr syncBuffer
	exited := make(chan int, 2)
	ctx, h := install(context.Background(), &stderr, func(code int) { exited <- code })
	t.Cleanup(h.Stop)
	if graceful {
		h.Graceful()
	}
	return ctx, h, &stderr, exited
}

func send(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
}

func TestFirstSignalCancelsAGracefulCommandAndTheSecondExitsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{
		{syscall.SIGINT, 130, "interrupt"},
		{syscall.SIGTERM, 143, "terminated"},
		{syscall.SIGHUP, 129, "hangup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, h, stderr, exited := start(t, true)
			var cleaned sync.WaitGroup
			cleaned.Add(1)
			h.AtExit(cleaned.Done)
			removed := h.AtExit(func() { t.Error("an unregistered clean-up ran") })
			removed()

			send(t, tc.sig)
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the first signal did not cancel the context")
			}
			select {
			case code := <-exited:
				t.Fatalf("the first signal exited (%d) instead of letting the command stop", code)
			case <-time.After(50 * time.Millisecond):
			}
			send(t, tc.sig)
			select {
			case code := <-exited:
				if code != tc.code {
					t.Fatalf("exit status %d, want %d", code, tc.code)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the second signal did not exit")
			}
			cleaned.Wait()
			out := stderr.String()
			if !strings.Contains(out, tc.name+": stopping") || !strings.Contains(out, "exiting at once with status "+strconv.Itoa(tc.code)) {
				t.Fatalf("stderr does not say what happened:\n%s", out)
			}
		})
	}
}

func TestFirstSignalExitsAtOnceWhenNothingNeedsFinishing(t *testing.T) {
	_, h, stderr, exited := start(t, false)
	ran := make(chan struct{}, 1)
	h.AtExit(func() { ran <- struct{}{} })
	send(t, syscall.SIGTERM)
	select {
	case code := <-exited:
		if code != 143 {
			t.Fatalf("exit status %d, want 143", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the signal did not exit")
	}
	select {
	case <-ran:
	default:
		t.Fatal("the clean-up did not run before the exit")
	}
	if stderr.String() != "" {
		t.Fatalf("a plain exit printed %q", stderr.String())
	}
}
