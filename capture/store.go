package capture

import (
	"maps"
	"slices"
	"sync"
	"unsafe"
)

// DefaultMaxFlows is the store bound used when none is given.
const DefaultMaxFlows = 100000

// DefaultMaxMemory is the bound on the memory held by a capture's flows
// used by the proxy commands (--max-memory).
const DefaultMaxMemory = 512 << 20

// Limits bound a store.
type Limits struct {
	// MaxFlows is the number of flows kept; <= 0 means DefaultMaxFlows.
	MaxFlows int
	// MaxMemory bounds the estimated bytes the flows hold in memory
	// (headers, URLs, in-memory bodies; not bodies in a spill file);
	// <= 0 means no bound.
	MaxMemory int64
}

// Store holds the recorded flows, ordered by ID and bounded in number and
// in memory.
//
// Writers (the proxy) never wait for readers: Add and Update take a short
// lock, mark the flow in each subscription and send a non-blocking wake-up.
// Readers pull what changed in batches (Subscription.Next), so a slow UI
// sees fewer, larger batches instead of slowing the proxy down.
//
// Beyond a bound the oldest flows are evicted, except pinned ones (the UI
// pins what the user has open): a pinned flow that reaches the front is
// set aside in a short list, kept, and evicted at the first change after
// it is unpinned. Each eviction is counted by the bound that caused it.
// A store owns the spilled bodies of the flows handed to it: it releases
// them when the flow leaves (evicted, cleared, replaced, or never held).
type Store struct {
	mu     sync.RWMutex
	max    int
	maxMem int64
	// The live flows, oldest first, in fixed-size segments: growing never
	// copies (or doubles) what is held, and eviction frees a segment once
	// its last flow goes. Their IDs are contiguous from first (Add appends
	// the next ID, eviction takes the oldest), so a lookup is arithmetic.
	segs    [][]slot
	head    int // index in segs[0] of the oldest live flow
	live    int // number of live flows
	first   FlowID
	kept    []slot // pinned flows that outlived their turn, ascending IDs, all older than the live ones
	mem     int64
	nextID  FlowID
	evicted [2]uint64 // by max-flows, by max-memory
	paused  bool
	subs    map[*Subscription]struct{}

	// pins is separate from mu so that pinning (from the UI's Update)
	// never waits for a batch being built. Lock order: mu, then pinMu.
	pinMu sync.Mutex
	pins  map[FlowID]int
	// marks are the flows the user marked (see Mark); each holds a pin.
	marks map[FlowID]struct{}
}

// slot is a held flow and its estimated memory.
type slot struct {
	f    Flow
	size int64
}

// segSize is the number of flows per segment (about 512 KiB).
const segSize = 1024

const (
	byFlows = iota
	byMemory
)

// NewStore returns a store that keeps at most maxFlows flows, evicting the
// oldest first, with no bound on memory. maxFlows <= 0 means
// DefaultMaxFlows.
func NewStore(maxFlows int) *Store { return NewStoreLimits(Limits{MaxFlows: maxFlows}) }

// NewStoreLimits returns a store bounded by l.
func NewStoreLimits(l Limits) *Store {
	if l.MaxFlows <= 0 {
		l.MaxFlows = DefaultMaxFlows
	}
	return &Store{max: l.MaxFlows, maxMem: max(l.MaxMemory, 0), subs: make(map[*Subscription]struct{}), pins: make(map[FlowID]int), marks: make(map[FlowID]struct{})}
}

// Add records a new flow, assigns and returns its ID. While the store is
// paused nothing is recorded and Add returns 0; Update ignores ID 0, so a
// recorder can carry on without checking.
func (s *Store) Add(f Flow) FlowID {
	s.mu.Lock()
	if s.paused {
		s.mu.Unlock()
		releaseBodies(&f)
		return 0
	}
	s.nextID++
	f.ID = s.nextID
	if f.Marked {
		// Marked in the file it came from: pinned before the bounds are
		// enforced, so it is never the one evicted.
		s.Mark(f.ID, true)
	}
	size := flowMemory(&f)
	s.pushLocked(slot{f, size})
	s.mem += size
	gone := s.enforceLocked()
	s.notifyLocked(f.ID, gone)
	s.mu.Unlock()
	releaseAll(gone)
	return f.ID
}

// Update replaces the flow with f.ID by f. Updates to unknown or evicted IDs
// are ignored: the flow was dropped (or never recorded because of a pause)
// and the caller has nothing useful to do about it.
func (s *Store) Update(f Flow) {
	if f.ID == 0 {
		releaseBodies(&f)
		return
	}
	size := flowMemory(&f)
	s.mu.Lock()
	var old Flow
	held := true
	if sl := s.slotLocked(f.ID); sl != nil {
		old = sl.f
		s.mem += size - sl.size
		*sl = slot{f, size}
	} else {
		held = false
	}
	var gone []Flow
	if held {
		gone = s.enforceLocked()
		s.notifyLocked(f.ID, gone)
	}
	s.mu.Unlock()
	if !held {
		releaseBodies(&f)
		return
	}
	releaseReplaced(&old, &f)
	releaseAll(gone)
}

// Get returns the current value of flow id.
func (s *Store) Get(id FlowID) (Flow, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.getLocked(id)
}

func (s *Store) getLocked(id FlowID) (Flow, bool) {
	f, ok := s.markedLocked(id, nil)
	if ok {
		s.pinMu.Lock()
		_, f.Marked = s.marks[id]
		s.pinMu.Unlock()
	}
	return f, ok
}

// markedLocked returns flow id with Marked set from marks.
func (s *Store) markedLocked(id FlowID, marks map[FlowID]struct{}) (Flow, bool) {
	if sl := s.slotLocked(id); sl != nil {
		f := sl.f
		_, f.Marked = marks[id]
		return f, true
	}
	return Flow{}, false
}

// Len returns the number of flows held.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lenLocked()
}

func (s *Store) lenLocked() int { return s.live + len(s.kept) }

// Evicted returns how many flows were dropped to stay within the bounds.
func (s *Store) Evicted() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.evicted[byFlows] + s.evicted[byMemory]
}

// EvictedBy returns how many flows were dropped to stay within the number
// of flows (--max-flows) and within the memory bound (--max-memory).
func (s *Store) EvictedBy() (maxFlows, maxMemory uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.evicted[byFlows], s.evicted[byMemory]
}

// Max returns the store's bound on the number of flows.
func (s *Store) Max() int { return s.max }

// MaxMemory returns the store's bound on memory, 0 if none.
func (s *Store) MaxMemory() int64 { return s.maxMem }

// Memory returns the estimated bytes the held flows keep in memory.
func (s *Store) Memory() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mem
}

// Pin keeps flow id from eviction until Unpin (the user has it open).
// Pins count: each Pin needs its own Unpin. Pinning a flow the store no
// longer holds does nothing.
func (s *Store) Pin(id FlowID) {
	if id == 0 {
		return
	}
	s.pinMu.Lock()
	s.pins[id]++
	s.pinMu.Unlock()
}

// Unpin undoes one Pin. A flow that would have been evicted meanwhile is
// evicted at the store's next change.
func (s *Store) Unpin(id FlowID) {
	s.pinMu.Lock()
	s.unpinLocked(id)
	s.pinMu.Unlock()
}

func (s *Store) unpinLocked(id FlowID) {
	if n := s.pins[id]; n > 1 {
		s.pins[id] = n - 1
	} else {
		delete(s.pins, id)
	}
}

// Mark marks flow id (on) or takes its mark off. A marked flow is pinned
// until it is unmarked, and Get and Snapshot report it in Flow.Marked, so
// every export (the interface's, --har on exit) keeps the user's marks.
// Marking a marked flow again changes nothing.
func (s *Store) Mark(id FlowID, on bool) {
	if id == 0 {
		return
	}
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	_, was := s.marks[id]
	switch {
	case on && !was:
		s.marks[id] = struct{}{}
		s.pins[id]++
	case !on && was:
		delete(s.marks, id)
		s.unpinLocked(id)
	}
}

// markedSet returns a copy of the marks, nil when there are none. The
// caller may hold mu (lock order: mu, then pinMu).
func (s *Store) markedSet() map[FlowID]struct{} {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	if len(s.marks) == 0 {
		return nil
	}
	return maps.Clone(s.marks)
}

func (s *Store) pinned(id FlowID) bool {
	s.pinMu.Lock()
	defer s.pinMu.Unlock()
	return s.pins[id] > 0
}

// Snapshot returns a copy of every flow held, in ID order.
func (s *Store) Snapshot() []Flow {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Flow, 0, s.lenLocked())
	marks := s.markedSet()
	s.eachLocked(func(sl *slot) {
		f := sl.f
		_, f.Marked = marks[f.ID]
		out = append(out, f)
	})
	return out
}

// SetPaused stops (true) or resumes (false) recording new flows. Flows
// already in progress keep being updated.
func (s *Store) SetPaused(p bool) {
	s.mu.Lock()
	s.paused = p
	s.mu.Unlock()
}

// Paused reports whether recording is paused.
func (s *Store) Paused() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.paused
}

// ClearUnmarked drops every flow the user has not marked and returns how
// many it dropped. Subscribers see a clear followed by the marked flows, as
// if recorded again; the marked flows keep their IDs and pins, and wait
// among the oldest for eviction once unmarked.
func (s *Store) ClearUnmarked() int {
	return s.clear(s.markedSet()) // only the UI marks, from the goroutine that clears
}

// Clear drops every flow. IDs keep counting up, so a flow recorded later is
// never mistaken for a cleared one.
func (s *Store) Clear() {
	s.clear(nil)
	s.pinMu.Lock()
	clear(s.pins)
	clear(s.marks)
	s.pinMu.Unlock()
}

// clear drops every flow but those in keep, and returns how many it
// dropped. The kept flows go to the kept list, which holds flows older
// than every live one in ID order, as they now are.
func (s *Store) clear(keep map[FlowID]struct{}) int {
	s.mu.Lock()
	var kept []slot
	var gone []Flow
	var mem int64
	s.eachLocked(func(sl *slot) {
		if _, ok := keep[sl.f.ID]; ok {
			kept = append(kept, *sl)
			mem += sl.size
		} else {
			gone = append(gone, sl.f)
		}
	})
	s.segs, s.head, s.live, s.first, s.kept, s.mem = nil, 0, 0, 0, kept, mem
	for sub := range s.subs {
		clear(sub.pending)
		sub.evicted = sub.evicted[:0]
		sub.cleared = true
		for _, sl := range kept {
			sub.pending[sl.f.ID] = struct{}{}
		}
		sub.wakeLocked()
	}
	s.mu.Unlock()
	s.pinMu.Lock()
	for _, f := range gone {
		delete(s.pins, f.ID)
	}
	s.pinMu.Unlock()
	releaseAll(gone)
	return len(gone)
}

// enforceLocked evicts, oldest first, until the store is within its
// bounds, and returns what it evicted. Pinned flows are set aside in kept
// instead; unpinned ones there go first, being the oldest. The newest flow
// is never evicted for memory: a store holds at least the flow it was just
// given. Each flow moves at most once to kept and is evicted at most once,
// so the work is amortized O(1) per flow.
func (s *Store) enforceLocked() []Flow {
	var gone []Flow
	for {
		n := s.lenLocked()
		overFlows := n > s.max
		overMem := s.maxMem > 0 && s.mem > s.maxMem && n > 1
		if !overFlows && !overMem {
			break
		}
		reason := byMemory
		if overFlows {
			reason = byFlows
		}
		if k := s.unpinnedKeptLocked(); k >= 0 {
			gone = append(gone, s.kept[k].f)
			s.mem -= s.kept[k].size
			s.kept = slices.Delete(s.kept, k, k+1)
			s.evicted[reason]++
			continue
		}
		if s.live == 0 || (!overFlows && s.live == 1) {
			break // everything left is pinned, or only the newest flow
		}
		oldest := s.popLocked()
		f, size := oldest.f, oldest.size
		if s.pinned(f.ID) {
			s.kept = append(s.kept, oldest)
			continue
		}
		gone = append(gone, f)
		s.mem -= size
		s.evicted[reason]++
	}
	return gone
}

func (s *Store) unpinnedKeptLocked() int {
	for k := range s.kept {
		if !s.pinned(s.kept[k].f.ID) {
			return k
		}
	}
	return -1
}

// slotLocked returns the slot holding flow id, or nil.
func (s *Store) slotLocked(id FlowID) *slot {
	if id >= s.first && s.live > 0 {
		if d := uint64(id - s.first); d < uint64(s.live) {
			i := s.head + int(d)
			return &s.segs[i/segSize][i%segSize]
		}
	}
	for k := range s.kept {
		if s.kept[k].f.ID == id {
			return &s.kept[k]
		}
	}
	return nil
}

// pushLocked appends the newest flow.
func (s *Store) pushLocked(sl slot) {
	if s.live == 0 {
		s.first = sl.f.ID
	}
	if n := len(s.segs); n == 0 || len(s.segs[n-1]) == segSize {
		s.segs = append(s.segs, make([]slot, 0, segSize))
	}
	last := &s.segs[len(s.segs)-1]
	*last = append(*last, sl)
	s.live++
}

// popLocked removes and returns the oldest live flow; s.live > 0.
func (s *Store) popLocked() slot {
	sl := s.segs[0][s.head]
	s.segs[0][s.head] = slot{} // drop references so bodies can be collected
	s.head++
	s.live--
	s.first++
	if s.head == segSize || s.live == 0 {
		// The segment is used up: let it go.
		s.segs[0] = nil
		s.segs = s.segs[1:]
		s.head = 0
		if s.live == 0 {
			s.segs = nil
		}
	}
	return sl
}

// eachLocked calls fn for every held flow in ID order.
func (s *Store) eachLocked(fn func(*slot)) {
	for k := range s.kept {
		fn(&s.kept[k])
	}
	from := s.head
	for _, seg := range s.segs {
		for i := from; i < len(seg); i++ {
			fn(&seg[i])
		}
		from = 0
	}
}

func (s *Store) notifyLocked(id FlowID, gone []Flow) {
	for sub := range s.subs {
		for i := range gone {
			g := gone[i].ID
			delete(sub.pending, g)
			sub.evicted = append(sub.evicted, g)
		}
		sub.pending[id] = struct{}{}
		sub.wakeLocked()
	}
}

// releaseBodies gives f's spilled bodies back to their spill file.
func releaseBodies(f *Flow) {
	f.Request.Body.release()
	if f.Response != nil {
		f.Response.Body.release()
	}
}

func releaseAll(fs []Flow) {
	for i := range fs {
		releaseBodies(&fs[i])
	}
}

// releaseReplaced releases the spilled bodies old had and new no longer
// has (a recorder carries the same body from one value to the next).
func releaseReplaced(old, new *Flow) {
	if old.Request.Body.ext != new.Request.Body.ext {
		old.Request.Body.release()
	}
	if old.Response != nil && (new.Response == nil || old.Response.Body.ext != new.Response.Body.ext) {
		old.Response.Body.release()
	}
}

// Estimated sizes of the fixed parts of a flow, for flowMemory.
var (
	flowOverhead     = int64(unsafe.Sizeof(Flow{}))
	responseOverhead = int64(unsafe.Sizeof(Response{}))
	headerOverhead   = int64(unsafe.Sizeof(Header{}))
	tlsOverhead      = int64(unsafe.Sizeof(TLSInfo{}))
)

// flowMemory estimates the bytes f keeps in memory: its fixed parts, its
// strings and header lists, and its in-memory body bytes. Strings shared
// with other flows are counted each time, so the estimate errs high.
func flowMemory(f *Flow) int64 {
	r := &f.Request
	n := flowOverhead + int64(len(r.Method)+len(r.URL)+len(r.Proto)+len(f.ClientAddr)+len(f.ServerAddr)+
		len(f.Error)+len(f.ErrorKind)+len(f.ResourceType)+len(f.Comment)+r.Body.InMemory())
	n += headersMemory(r.Header)
	if resp := f.Response; resp != nil {
		n += responseOverhead + int64(len(resp.StatusText)+len(resp.Proto)+resp.Body.InMemory())
		n += headersMemory(resp.Header) + headersMemory(resp.Trailer)
	}
	if t := f.TLS; t != nil {
		n += tlsOverhead + int64(len(t.ServerName)+len(t.Version)+len(t.ALPN))
	}
	return n
}

func headersMemory(h Headers) int64 {
	n := int64(cap(h)) * headerOverhead
	for _, kv := range h {
		n += int64(len(kv.Name) + len(kv.Value))
	}
	return n
}

// Subscription delivers what changed in a store, in batches.
//
// The pattern is: wait on Ready, then call Next. Ready has room for one
// wake-up, so any number of changes between two pulls cost the writer a
// single non-blocking send and reach the reader as one batch.
type Subscription struct {
	s       *Store
	wake    chan struct{}
	pending map[FlowID]struct{}
	evicted []FlowID
	cleared bool
}

// Batch is what changed since the previous Next.
type Batch struct {
	// Flows are the new or updated flows, latest value each, in ID order.
	Flows []Flow
	// Evicted lists flows dropped to stay within the bound.
	Evicted []FlowID
	// Cleared is true when the store was cleared; every flow the reader
	// held before is gone (Flows may already hold newer ones).
	Cleared bool
	// Len and EvictedTotal are the store's counts when the batch was taken.
	Len          int
	EvictedTotal uint64
	// EvictedMemory is the part of EvictedTotal evicted to stay within the
	// memory bound (the rest: the bound on the number of flows).
	EvictedMemory uint64
}

// Subscribe returns a subscription that starts with every flow already in
// the store pending, so a late reader catches up with one Next.
func (s *Store) Subscribe() *Subscription {
	sub := &Subscription{s: s, wake: make(chan struct{}, 1), pending: make(map[FlowID]struct{})}
	s.mu.Lock()
	s.eachLocked(func(sl *slot) { sub.pending[sl.f.ID] = struct{}{} })
	if len(sub.pending) > 0 {
		sub.wakeLocked()
	}
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	return sub
}

// Ready receives a value when a batch may be waiting.
func (sub *Subscription) Ready() <-chan struct{} { return sub.wake }

// Next returns everything that changed since the previous call. It never
// blocks on the proxy; an empty batch is possible after a spurious wake-up.
func (sub *Subscription) Next() Batch {
	s := sub.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]FlowID, 0, len(sub.pending))
	for id := range sub.pending {
		ids = append(ids, id)
	}
	clear(sub.pending)
	slices.Sort(ids)
	b := Batch{
		Flows:         make([]Flow, 0, len(ids)),
		Evicted:       sub.evicted,
		Cleared:       sub.cleared,
		Len:           s.lenLocked(),
		EvictedTotal:  s.evicted[byFlows] + s.evicted[byMemory],
		EvictedMemory: s.evicted[byMemory],
	}
	marks := s.markedSet() // once per batch, not per flow
	for _, id := range ids {
		if f, ok := s.markedLocked(id, marks); ok {
			b.Flows = append(b.Flows, f)
		}
	}
	sub.evicted = nil
	sub.cleared = false
	return b
}

// Close stops the subscription; the store forgets it.
func (sub *Subscription) Close() {
	sub.s.mu.Lock()
	delete(sub.s.subs, sub)
	sub.s.mu.Unlock()
}

func (sub *Subscription) wakeLocked() {
	select {
	case sub.wake <- struct{}{}:
	default:
	}
}
