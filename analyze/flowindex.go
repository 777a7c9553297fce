package analyze

import "github.com/corscope/corscope/capture"

// flowIndex maps flow IDs to entries. IDs come from a store's counter
// (1, 2, 3, … in arrival order, evicted oldest first) or a HAR import
// (1…n), so a sliding window over a slice serves nearly all of them: no
// hashing, and flows close in time sit close in memory. An ID outside the
// window (out of order, or far ahead) goes to a map.
type flowIndex struct {
	base   capture.FlowID // ID of dense[0]
	dense  []*entry
	live   int // non-nil entries in dense
	sparse map[capture.FlowID]*entry
}

// maxIDGap is how far past the window's end an ID may lie and still
// extend it (with empty slots); IDs further out go to the map.
const maxIDGap = 4096

func newFlowIndex(sizeHint int) flowIndex {
	return flowIndex{dense: make([]*entry, 0, sizeHint)}
}

// An ID lives in exactly one place: its window slot, or the map (when
// it came before the window reached it).

func (x *flowIndex) get(id capture.FlowID) *entry {
	if id >= x.base && id-x.base < capture.FlowID(len(x.dense)) {
		if e := x.dense[id-x.base]; e != nil || x.sparse == nil {
			return e
		}
	}
	if x.sparse == nil {
		return nil
	}
	return x.sparse[id]
}

func (x *flowIndex) put(id capture.FlowID, e *entry) {
	if x.sparse != nil {
		if _, ok := x.sparse[id]; ok {
			x.sparse[id] = e
			return
		}
	}
	if len(x.dense) == 0 {
		x.base = id
	}
	if id >= x.base {
		i := id - x.base
		n := capture.FlowID(len(x.dense))
		switch {
		case i < n:
			if x.dense[i] == nil {
				x.live++
			}
			x.dense[i] = e
			return
		case i-n < maxIDGap:
			for ; n < i; n++ {
				x.dense = append(x.dense, nil)
			}
			x.dense = append(x.dense, e)
			x.live++
			return
		}
	}
	if x.sparse == nil {
		x.sparse = make(map[capture.FlowID]*entry)
	}
	x.sparse[id] = e
}

func (x *flowIndex) del(id capture.FlowID) {
	if id >= x.base && id-x.base < capture.FlowID(len(x.dense)) {
		i := id - x.base
		if x.dense[i] == nil {
			delete(x.sparse, id)
			return
		}
		x.dense[i] = nil
		x.live--
		// Slide the window past the forgotten oldest flows; append
		// reallocates the shrinking slice once it runs out of room, so
		// memory follows the live window.
		for len(x.dense) > 0 && x.dense[0] == nil {
			x.dense = x.dense[1:]
			x.base++
		}
		return
	}
	delete(x.sparse, id)
}

func (x *flowIndex) len() int { return x.live + len(x.sparse) }
