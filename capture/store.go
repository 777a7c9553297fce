package capture

import (
	"slices"
	"sync"
)

// DefaultMaxFlows is the store bound used when none is given.
const DefaultMaxFlows = 100000

// Store holds the recorded flows, ordered by ID and bounded in number.
//
// Writers (the proxy) never wait for readers: Add and Update take a short
// lock, mark the flow in each subscription and send a non-blocking wake-up.
// Readers pull what changed in batches (Subscription.Next), so a slow UI
// sees fewer, larger batches instead of slowing the proxy down.
type Store struct {
	mu      sync.RWMutex
	max     int
	flows   []Flow // live flows are flows[start:], in ascending ID order
	start   int
	nextID  FlowID
	evicted uint64
	paused  bool
	subs    map[*Subscription]struct{}
}

// NewStore returns a store that keeps at most maxFlows flows, evicting the
// oldest first. maxFlows <= 0 means DefaultMaxFlows.
func NewStore(maxFlows int) *Store {
	if maxFlows <= 0 {
		maxFlows = DefaultMaxFlows
	}
	return &Store{max: maxFlows, subs: make(map[*Subscription]struct{})}
}

// Add records a new flow, assigns and returns its ID. While the store is
// paused nothing is recorded and Add returns 0; Update ignores ID 0, so a
// recorder can carry on without checking.
func (s *Store) Add(f Flow) FlowID {
	s.mu.Lock()
	if s.paused {
		s.mu.Unlock()
		return 0
	}
	s.nextID++
	f.ID = s.nextID
	s.flows = append(s.flows, f)
	var gone []FlowID
	for len(s.flows)-s.start > s.max {
		gone = append(gone, s.flows[s.start].ID)
		s.flows[s.start] = Flow{} // drop references so bodies can be collected
		s.start++
		s.evicted++
	}
	s.compactLocked()
	s.notifyLocked(f.ID, gone)
	s.mu.Unlock()
	return f.ID
}

// Update replaces the flow with f.ID by f. Updates to unknown or evicted IDs
// are ignored: the flow was dropped (or never recorded because of a pause)
// and the caller has nothing useful to do about it.
func (s *Store) Update(f Flow) {
	if f.ID == 0 {
		return
	}
	s.mu.Lock()
	if i, ok := s.indexLocked(f.ID); ok {
		s.flows[i] = f
		s.notifyLocked(f.ID, nil)
	}
	s.mu.Unlock()
}

// Get returns the current value of flow id.
func (s *Store) Get(id FlowID) (Flow, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if i, ok := s.indexLocked(id); ok {
		return s.flows[i], true
	}
	return Flow{}, false
}

// Len returns the number of flows held.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.flows) - s.start
}

// Evicted returns how many flows were dropped to stay within the bound.
func (s *Store) Evicted() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.evicted
}

// Max returns the store's bound on the number of flows.
func (s *Store) Max() int { return s.max }

// Snapshot returns a copy of every flow held, in ID order.
func (s *Store) Snapshot() []Flow {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.flows[s.start:])
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

// Clear drops every flow. IDs keep counting up, so a flow recorded later is
// never mistaken for a cleared one.
func (s *Store) Clear() {
	s.mu.Lock()
	s.flows, s.start = nil, 0
	for sub := range s.subs {
		clear(sub.pending)
		sub.evicted = sub.evicted[:0]
		sub.cleared = true
		sub.wakeLocked()
	}
	s.mu.Unlock()
}

func (s *Store) indexLocked(id FlowID) (int, bool) {
	live := s.flows[s.start:]
	if len(live) == 0 || id < live[0].ID {
		return 0, false
	}
	// IDs are ascending and, without evictions in between, contiguous: try
	// the direct position first, then fall back to a binary search.
	if d := int(id - live[0].ID); d < len(live) && live[d].ID == id {
		return s.start + d, true
	}
	i, ok := slices.BinarySearchFunc(live, id, func(f Flow, id FlowID) int {
		switch {
		case f.ID < id:
			return -1
		case f.ID > id:
			return 1
		}
		return 0
	})
	return s.start + i, ok
}

// compactLocked moves the live flows to the front of the backing array once
// the evicted prefix dominates it, keeping eviction amortized O(1).
func (s *Store) compactLocked() {
	if s.start > 1024 && s.start > len(s.flows)/2 {
		n := copy(s.flows, s.flows[s.start:])
		clear(s.flows[n:])
		s.flows = s.flows[:n]
		s.start = 0
	}
}

func (s *Store) notifyLocked(id FlowID, gone []FlowID) {
	for sub := range s.subs {
		for _, g := range gone {
			if _, ok := sub.pending[g]; ok {
				delete(sub.pending, g)
			}
			sub.evicted = append(sub.evicted, g)
		}
		sub.pending[id] = struct{}{}
		sub.wakeLocked()
	}
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
}

// Subscribe returns a subscription that starts with every flow already in
// the store pending, so a late reader catches up with one Next.
func (s *Store) Subscribe() *Subscription {
	sub := &Subscription{s: s, wake: make(chan struct{}, 1), pending: make(map[FlowID]struct{})}
	s.mu.Lock()
	for _, f := range s.flows[s.start:] {
		sub.pending[f.ID] = struct{}{}
	}
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
		Flows:        make([]Flow, 0, len(ids)),
		Evicted:      sub.evicted,
		Cleared:      sub.cleared,
		Len:          len(s.flows) - s.start,
		EvictedTotal: s.evicted,
	}
	for _, id := range ids {
		if i, ok := s.indexLocked(id); ok {
			b.Flows = append(b.Flows, s.flows[i])
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
