package analyze

import (
	"strconv"
	"strings"

	"github.com/corscope/corscope/capture"
)

// What a browser's own recording says about a load's outcome. A Chrome or
// Edge DevTools HAR export (capture.Flow.BrowserRecorded) lists every load
// that failed, and since Chrome moved CORS into the network service
// (OOR-CORS, Chrome 79, without a legacy opt-out from Chrome 83 on) every
// CORS failure ends the load with net::ERR_FAILED (reference/cors.md
// §1.1). So in such a file a load with a response and no error passed
// its CORS checks, and one that failed with net::ERR_FAILED did not.
// Older Chrome checked CORS in the renderer after DevTools had logged the
// response, so a blocked load could look complete: its record decides
// nothing.

// minRecordChrome is the first Chrome major version whose DevTools
// record decides a CORS outcome.
const minRecordChrome = 83

// recordOutcome is what the browser recorded for one load.
type recordOutcome uint8

const (
	recNone     recordOutcome = iota // not a deciding record
	recAccepted                      // completed with a response: every CORS check passed
	recFailed                        // failed with net::ERR_FAILED: a CORS check failed
)

// recorded reads e's outcome from the browser's record.
func recorded(e *entry) recordOutcome {
	if !e.c.recordDecides {
		return recNone
	}
	f := &e.flow
	switch {
	case f.ErrorKind == capture.ErrNone && f.Response != nil && f.State == capture.StateDone:
		return recAccepted
	case f.ErrorKind == capture.ErrBrowser && strings.Contains(f.Error, "ERR_FAILED"):
		return recFailed
	}
	return recNone
}

// chromeMajor returns the Chrome major version a User-Agent names (Edge,
// Opera and other Chromium browsers name it too), 0 if none.
func chromeMajor(ua string) int {
	i := strings.Index(ua, "Chrome/")
	if i < 0 {
		return 0
	}
	v := ua[i+len("Chrome/"):]
	n := 0
	for n < len(v) && n < 6 && v[n] >= '0' && v[n] <= '9' {
		n++
	}
	major, _ := strconv.Atoi(v[:n])
	return major
}

// recordNote says that the browser's record settled the credentials mode,
// and how: w words the modes, failed is the outcome of the credentialed
// mode (the one that fails).
func recordNote(e *entry, cred Credentials, w *initiatorWords, failed result) string {
	var b strings.Builder
	b.WriteString("Chrome's own record decides it: this HAR is a Chrome DevTools export (Chrome ")
	b.WriteString(strconv.Itoa(e.c.chrome))
	b.WriteString("), which marks every load that fails a CORS check with net::ERR_FAILED")
	if cred == CredOmitted {
		b.WriteString(", and this one completed without an error, so ")
		b.WriteString(w.ifOmit)
		b.WriteString("; with credentials Chrome would have blocked it with ")
		b.WriteString(failed.code.String())
		b.WriteString(".")
		return b.String()
	}
	b.WriteString(". It failed this one so, and only a credentialed request fails on this response: ")
	b.WriteString(w.ifInclude)
	b.WriteString(".")
	return b.String()
}
