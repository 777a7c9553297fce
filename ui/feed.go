package ui

import (
	"context"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/corscope/corscope/analyze"
	"github.com/corscope/corscope/capture"
)

// Analyzer is the part of *analyze.Analyzer the UI drives. Ingest returns
// every verdict that changed (the flow's own and its pair's); Forget drops
// flows that left the store.
type Analyzer interface {
	Ingest(f capture.Flow) []analyze.Verdict
	Forget(ids ...capture.FlowID)
}

// feed pulls what changed in the store and runs the analyzer over it, in
// Bubble Tea's command goroutine, never in Update. At most one pull is
// outstanding (the model re-arms it after each batch), so the feed's state
// needs no lock, a slow UI gets fewer and larger batches, and the proxy
// never waits (tui.md §4.3).
type feed struct {
	ctx   context.Context
	sub   *capture.Subscription
	an    Analyzer
	frame time.Duration // how long to let a burst gather before pulling
	chunk int           // most flows per message, so a 1M-flow HAR loads in steps

	// pending holds the rest of a batch larger than chunk.
	pending []capture.Flow
	// lo..hi is the range of flow IDs ingested (IDs are contiguous within
	// a store), what the analyzer must forget when the store is cleared.
	lo, hi capture.FlowID
}

// batchMsg is one step of store changes, analysed. Every slice in it is
// fresh and never written again, so the model keeps pointers into them.
type batchMsg struct {
	flows    []capture.Flow
	verdicts []analyze.Verdict
	// evicted lists the flows the store dropped, ascending. They are
	// mostly the oldest rows, but not always a prefix: the store keeps a
	// flow the user has open (pinned) past its turn.
	evicted      []capture.FlowID
	cleared      bool
	evictedTotal uint64
	// evictedMemory is the part of evictedTotal dropped for --max-memory.
	evictedMemory uint64
	more          bool // part of a larger batch: pull again at once
}

const defaultChunk = 50000

// next returns the command that waits for the next batch.
func (fd *feed) next() tea.Cmd {
	return func() tea.Msg {
		if len(fd.pending) == 0 {
			select {
			case <-fd.sub.Ready():
			case <-fd.ctx.Done():
				return nil
			}
			if fd.frame > 0 {
				select {
				case <-time.After(fd.frame):
				case <-fd.ctx.Done():
					return nil
				}
			}
		}
		return fd.pull()
	}
}

// pull takes what is waiting (or the rest of a large batch) and analyses
// it.
func (fd *feed) pull() batchMsg {
	var msg batchMsg
	flows := fd.pending
	if len(flows) == 0 {
		b := fd.sub.Next()
		msg.cleared = b.Cleared
		msg.evictedTotal = b.EvictedTotal
		msg.evictedMemory = b.EvictedMemory
		if b.Cleared && fd.hi != 0 {
			ids := make([]capture.FlowID, 0, fd.hi-fd.lo+1)
			for id := fd.lo; id <= fd.hi; id++ {
				ids = append(ids, id)
			}
			fd.an.Forget(ids...)
			fd.lo, fd.hi = 0, 0
		}
		if len(b.Evicted) > 0 {
			fd.an.Forget(b.Evicted...)
			msg.evicted = slices.Clone(b.Evicted)
			slices.Sort(msg.evicted)
			// Move lo past the evicted IDs only while they are contiguous
			// from it: a pinned flow the store kept stays in the range
			// forgotten on Clear.
			for _, id := range msg.evicted {
				if id == fd.lo {
					fd.lo++
				}
			}
		}
		flows = b.Flows
	}
	chunk := fd.chunk
	if chunk <= 0 {
		chunk = defaultChunk
	}
	if len(flows) > chunk {
		fd.pending = flows[chunk:]
		flows = flows[:chunk:chunk]
		msg.more = true
	} else {
		fd.pending = nil
	}
	msg.flows = flows
	for i := range flows {
		id := flows[i].ID
		if fd.lo == 0 || id < fd.lo {
			fd.lo = id
		}
		fd.hi = max(fd.hi, id)
		msg.verdicts = append(msg.verdicts, fd.an.Ingest(flows[i])...)
	}
	return msg
}

// noAnalyzer is used when Options.Analyzer is nil and only raw flows are
// shown (tests of the list without verdicts).
type noAnalyzer struct{}

func (noAnalyzer) Ingest(capture.Flow) []analyze.Verdict { return nil }
func (noAnalyzer) Forget(...capture.FlowID)              {}
