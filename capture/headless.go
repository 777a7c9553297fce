package capture

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// DefaultGrace is how long in-flight exchanges may take to finish when a
// headless capture is stopped.
const DefaultGrace = 2 * time.Second

// HeadlessOptions configures RunHeadless.
type HeadlessOptions struct {
	// OnFinished is called once for every flow that finishes (done or
	// failed), from a single goroutine, never from the proxy's. The first
	// error it returns is returned by RunHeadless; recording goes on.
	OnFinished func(Flow) error
	// Grace bounds the wait for in-flight exchanges once ctx is done.
	// 0 means DefaultGrace.
	Grace time.Duration
}

// RunHeadless serves p until ctx is done, then stops accepting, gives the
// exchanges in flight opts.Grace to finish (the rest are recorded as
// failed), and returns once every finished flow went through
// opts.OnFinished. The flows stay in p.Store() for the caller to export.
func RunHeadless(ctx context.Context, p *Proxy, opts HeadlessOptions) error {
	grace := opts.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	sub := p.Store().Subscribe()
	defer sub.Close()
	var firstErr error
	drain := func() {
		for _, f := range sub.Next().Flows {
			if !f.Finished() || opts.OnFinished == nil {
				continue
			}
			if err := opts.OnFinished(f); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}

	served := make(chan error, 1)
	go func() { served <- p.Serve() }()
	var serveErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case serveErr = <-served:
			served = nil
			break loop
		case <-sub.Ready():
			drain()
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	_ = p.Shutdown(sctx)
	cancel()
	if served != nil {
		serveErr = <-served
	}
	drain()
	if serveErr != nil {
		return serveErr
	}
	return firstErr
}

// JSONLWriter returns an OnFinished function that writes each flow to w
// as one JSON object per line (see FlowSummary).
func JSONLWriter(w io.Writer) func(Flow) error {
	return func(f Flow) error {
		line, err := json.Marshal(Summarize(f))
		if err != nil {
			return err
		}
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return fmt.Errorf("cannot write the JSONL output: %w", err)
		}
		return nil
	}
}

// FlowSummary is the one-line JSON form of a flow written by
// 'corscope capture --jsonl'. Durations are in milliseconds, -1 when they
// did not happen (a reused connection has no DNS, connect or TLS time).
type FlowSummary struct {
	ID         FlowID    `json:"id"`
	Start      time.Time `json:"start"`
	Method     string    `json:"method"`
	URL        string    `json:"url"`
	Status     int       `json:"status"` // 0: no response
	State      string    `json:"state"`  // "done" or "failed"
	Error      string    `json:"error"`
	ErrorKind  ErrorKind `json:"error_kind"`
	Upgraded   bool      `json:"upgraded,omitempty"`
	ClientAddr string    `json:"client_addr,omitempty"`
	ServerAddr string    `json:"server_addr,omitempty"`
	Durations  Durations `json:"durations_ms"`
	Sizes      Sizes     `json:"sizes"`
}

// Durations are the phases of an exchange in milliseconds; -1 means the
// phase did not happen or was not measured.
type Durations struct {
	Total   float64 `json:"total"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"` // TCP only
	TLS     float64 `json:"tls"`
	Wait    float64 `json:"wait"` // request written to first response byte
	Receive float64 `json:"receive"`
}

// Sizes are body sizes in bytes as they crossed the wire (-1: unknown);
// the truncated flags say whether fewer bytes were kept.
type Sizes struct {
	RequestBody       int64 `json:"request_body"`
	ResponseBody      int64 `json:"response_body"`
	RequestTruncated  bool  `json:"request_truncated"`
	ResponseTruncated bool  `json:"response_truncated"`
}

// Summarize returns the JSONL summary of f.
func Summarize(f Flow) FlowSummary {
	s := FlowSummary{
		ID:         f.ID,
		Start:      f.Timings.Start,
		Method:     f.Request.Method,
		URL:        f.Request.URL,
		State:      f.State.String(),
		Error:      f.Error,
		ErrorKind:  f.ErrorKind,
		Upgraded:   f.Upgraded,
		ClientAddr: f.ClientAddr,
		ServerAddr: f.ServerAddr,
		Durations:  durationsOf(f.Timings),
		Sizes: Sizes{
			RequestBody:      f.Request.Body.Size,
			RequestTruncated: f.Request.Body.Truncated,
		},
	}
	if f.Response != nil {
		s.Status = f.Response.Status
		s.Sizes.ResponseBody = f.Response.Body.Size
		s.Sizes.ResponseTruncated = f.Response.Body.Truncated
	}
	return s
}

func durationsOf(t Timings) Durations {
	return Durations{
		Total:   ms(t.Start, t.End),
		DNS:     ms(t.DNSStart, t.DNSDone),
		Connect: ms(t.ConnectStart, t.ConnectDone),
		TLS:     ms(t.TLSStart, t.TLSDone),
		Wait:    ms(t.WroteRequest, t.FirstByte),
		Receive: ms(t.FirstByte, t.End),
	}
}

func ms(from, to time.Time) float64 {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return -1
	}
	d := to.Sub(from)
	return float64(d.Round(time.Microsecond)) / float64(time.Millisecond)
}

// FormatLine is a one-line human summary of a finished flow:
//
//	12 GET     200 https://api.example.com/users  34ms  1.2 kB
//	13 POST    ––– http://localhost:9/x  failed (refused): …
func FormatLine(f Flow) string {
	var b strings.Builder
	status := "–––"
	if f.Response != nil {
		status = fmt.Sprint(f.Response.Status)
	}
	fmt.Fprintf(&b, "%5d %-7s %s %s", f.ID, f.Request.Method, status, f.Request.URL)
	if d := f.Timings.Duration(); d > 0 {
		fmt.Fprintf(&b, "  %s", d.Round(time.Millisecond/10))
	}
	if f.Response != nil && f.Response.Body.Size > 0 {
		fmt.Fprintf(&b, "  %s", byteSize(f.Response.Body.Size))
	}
	if f.Upgraded {
		b.WriteString("  (upgraded)")
	}
	if f.State == StateFailed {
		fmt.Fprintf(&b, "  failed (%s): %s", f.ErrorKind, f.Error)
	}
	return b.String()
}

func byteSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1000/1000)
	}
}
