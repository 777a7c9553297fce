package har

import (
	"math"
	"time"

	"github.com/corscope/corscope/capture"
)

// ms converts a duration to milliseconds with microsecond precision.
func ms(d time.Duration) float64 {
	if d < 0 {
		d = 0
	}
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

func span(from, to time.Time) (float64, bool) {
	if from.IsZero() || to.IsZero() {
		return -1, false
	}
	return ms(to.Sub(from)), true
}

func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// exportTimings turns the time points of a flow into HAR phases, laid end
// to end from Start: blocked (waiting before DNS or connect began), dns,
// connect (TCP plus TLS, as HAR counts ssl inside connect), send, wait,
// receive. Phases that did not happen are -1; send, wait and receive are
// required and become 0 when unknown.
func exportTimings(t capture.Timings) harTimings {
	h := harTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1}
	if t.Start.IsZero() {
		return h
	}
	firstPhase := t.DNSStart
	if firstPhase.IsZero() {
		firstPhase = t.ConnectStart
	}
	if !firstPhase.IsZero() {
		h.Blocked, _ = span(t.Start, firstPhase)
	}
	h.DNS, _ = span(t.DNSStart, t.DNSDone)
	if !t.ConnectStart.IsZero() {
		end := t.ConnectDone
		if !t.TLSDone.IsZero() {
			end = t.TLSDone
		}
		h.Connect, _ = span(t.ConnectStart, end)
	}
	h.SSL, _ = span(t.TLSStart, t.TLSDone)

	sendStart := latest(t.Start, t.DNSDone, t.ConnectDone, t.TLSDone)
	h.Send, _ = span(sendStart, t.WroteRequest)
	waitStart := t.WroteRequest
	if waitStart.IsZero() {
		waitStart = sendStart
	}
	h.Wait, _ = span(waitStart, t.FirstByte)
	if t.FirstByte.IsZero() {
		// Failed (or still waiting) before the response: the rest is wait.
		h.Wait, _ = span(waitStart, t.End)
		h.Receive = 0
	} else {
		h.Receive, _ = span(t.FirstByte, t.End)
	}
	for _, p := range []*float64{&h.Send, &h.Wait, &h.Receive} {
		if *p < 0 {
			*p = 0
		}
	}
	return h
}

// total is entry.time: the sum of the phases that apply (ssl is already
// inside connect).
func (h harTimings) total() float64 {
	sum := 0.0
	for _, p := range []float64{h.Blocked, h.DNS, h.Connect, h.Send, h.Wait, h.Receive} {
		if p > 0 {
			sum += p
		}
	}
	return math.Round(sum*1000) / 1000
}

// importTimings rebuilds time points from startedDateTime and the phases,
// laying them end to end the way exportTimings did. total (entry.time)
// places End when the phases are missing.
func importTimings(start time.Time, in inTimings, total float64) capture.Timings {
	t := capture.Timings{Start: start}
	if start.IsZero() {
		return t
	}
	d := func(v lenientNumber) time.Duration {
		if v <= 0 {
			return 0
		}
		return time.Duration(math.Round(float64(v) * float64(time.Millisecond)))
	}
	cur := start.Add(d(in.Blocked))
	if in.DNS >= 0 {
		t.DNSStart = cur
		cur = cur.Add(d(in.DNS))
		t.DNSDone = cur
	}
	if in.Connect >= 0 {
		t.ConnectStart = cur
		end := cur.Add(d(in.Connect))
		if in.SSL >= 0 && in.SSL <= in.Connect {
			t.TLSStart = end.Add(-d(in.SSL))
			t.TLSDone = end
			t.ConnectDone = t.TLSStart
		} else {
			t.ConnectDone = end
		}
		cur = end
	}
	if in.Send < 0 && in.Wait < 0 && in.Receive < 0 {
		if total > 0 {
			t.End = start.Add(time.Duration(math.Round(total * float64(time.Millisecond))))
		}
		return t
	}
	cur = cur.Add(d(in.Send))
	t.WroteRequest = cur
	cur = cur.Add(d(in.Wait))
	t.FirstByte = cur
	t.End = cur.Add(d(in.Receive))
	return t
}
