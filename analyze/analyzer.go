package analyze

import (
	"slices"

	"github.com/corscope/corscope/capture"
)

// Analyzer turns a stream of flows into verdicts. It keeps what pairing
// needs (an index of preflights keyed by page origin and exact URL, a model
// of Chromium's preflight cache, pending redirects, per-API observations for
// cross-flow warnings) and the latest verdict of every flow it has seen.
//
// An Analyzer is not safe for concurrent use: one goroutine feeds it (the
// store's subscriber), and readers get Verdict values, which are immutable.
type Analyzer struct {
	st state
}

// NewAnalyzer returns an empty Analyzer.
func NewAnalyzer() *Analyzer {
	return NewAnalyzerWith(Hints{})
}

// Hints is what a caller knows that the wire does not show. The zero
// value knows nothing.
type Hints struct {
	// Credentials, when CredInclude or CredOmitted, is the credentials
	// mode of every request analyzed (the probe knows it; a proxy does
	// not), so no verdict hinges on it.
	Credentials Credentials
}

// NewAnalyzerWith returns an empty Analyzer that applies hints.
func NewAnalyzerWith(h Hints) *Analyzer {
	a := &Analyzer{}
	a.st.init(0)
	a.st.hints = h
	return a
}

// Ingest takes a new flow or a newer value of one already seen (flows
// progress started -> headers -> done/failed) in arrival order, and returns
// every verdict that changed because of it: the flow's own first, then
// others (its paired preflight, the redirect hop before it, earlier flows of
// the same API whose warnings changed). Amortized O(1) per call.
func (a *Analyzer) Ingest(f capture.Flow) []Verdict {
	return a.st.ingest(&f)
}

// Verdict returns the latest verdict of a flow, and false if the flow was
// never ingested or has been forgotten.
func (a *Analyzer) Verdict(id capture.FlowID) (Verdict, bool) {
	e := a.st.flows.get(id)
	if e == nil || e.verdict == nil {
		return Verdict{}, false
	}
	return *e.verdict, true
}

// Forget drops flows the store evicted or cleared, with everything the
// indexes hold about them. Verdicts of other flows are left as they are.
func (a *Analyzer) Forget(ids ...capture.FlowID) {
	for _, id := range ids {
		a.st.forget(id)
	}
}

// AnalyzeAll analyzes a finished capture (for example one imported from a
// HAR, where arrival order is lost): it ingests the flows in Timings.Start
// order (ties by ID) and returns the final verdict of each flow, in the
// order given.
func AnalyzeAll(flows []capture.Flow) []Verdict {
	return AnalyzeAllWith(flows, Hints{})
}

// AnalyzeAllWith is AnalyzeAll applying hints.
func AnalyzeAllWith(flows []capture.Flow, h Hints) []Verdict {
	var st state
	st.init(len(flows))
	st.hints = h
	// Index everything first and judge each flow once at the end, when
	// all it can depend on is known: no verdict is computed only to be
	// replaced when its pair or a later hop arrives.
	ents := make([]*entry, len(flows))
	if order := ingestOrder(flows); order == nil {
		for i := range flows {
			ents[i], _, _, _, _ = st.update(&flows[i])
		}
	} else {
		for _, i := range order {
			ents[i], _, _, _, _ = st.update(&flows[i])
		}
	}
	out := make([]Verdict, len(flows))
	for i, e := range ents {
		st.evaluateInto(e, &out[i])
	}
	return out
}

// ingestOrder returns the indexes of flows in Timings.Start order (ties
// by ID), or nil when they are in that order already, as an imported HAR
// and a store snapshot nearly always are.
func ingestOrder(flows []capture.Flow) []int {
	before := func(a, b *capture.Flow) bool {
		if c := a.Timings.Start.Compare(b.Timings.Start); c != 0 {
			return c < 0
		}
		return a.ID < b.ID
	}
	sorted := true
	for i := 1; i < len(flows); i++ {
		if before(&flows[i], &flows[i-1]) {
			sorted = false
			break
		}
	}
	if sorted {
		return nil
	}
	order := make([]int, len(flows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch a, b := &flows[i], &flows[j]; {
		case before(a, b):
			return -1
		case before(b, a):
			return 1
		}
		return 0
	})
	return order
}
