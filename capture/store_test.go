package capture

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func flowWithURL(u string) Flow {
	return Flow{Request: Request{Method: "GET", URL: u}}
}

func ids(fs []Flow) []FlowID {
	out := make([]FlowID, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func TestStoreAssignsIncreasingIDsInArrivalOrder(t *testing.T) {
	s := NewStore(0)
	for i := range 5 {
		if id := s.Add(flowWithURL(fmt.Sprint(i))); id != FlowID(i+1) {
			t.Fatalf("Add #%d returned ID %d, want %d", i, id, i+1)
		}
	}
	snap := s.Snapshot()
	if got, want := ids(snap), []FlowID{1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Fatalf("Snapshot IDs = %v, want %v", got, want)
	}
	for i, f := range snap {
		if f.Request.URL != fmt.Sprint(i) {
			t.Errorf("flow %d has URL %q, want %q", f.ID, f.Request.URL, fmt.Sprint(i))
		}
	}
}

func TestStoreUpdateReplacesTheFlowAndIgnoresUnknownIDs(t *testing.T) {
	s := NewStore(0)
	id := s.Add(flowWithURL("a"))
	f, _ := s.Get(id)
	f.State = StateDone
	f.Response = &Response{Status: 204}
	s.Update(f)
	got, ok := s.Get(id)
	if !ok || got.State != StateDone || got.Response == nil || got.Response.Status != 204 {
		t.Fatalf("after Update, Get = %+v, %v; want done with status 204", got, ok)
	}
	s.Update(Flow{ID: 99, State: StateFailed}) // unknown: ignored
	s.Update(Flow{ID: 0, State: StateFailed})  // paused recording: ignored
	if s.Len() != 1 {
		t.Fatalf("Len = %d after updates of unknown IDs, want 1", s.Len())
	}
	if _, ok := s.Get(99); ok {
		t.Fatal("Get(99) found a flow that was never added")
	}
}

func TestStoreEvictsOldestAndCountsThem(t *testing.T) {
	s := NewStore(3)
	for i := range 10 {
		s.Add(flowWithURL(fmt.Sprint(i)))
	}
	if s.Len() != 3 || s.Evicted() != 7 {
		t.Fatalf("Len=%d Evicted=%d, want 3 and 7", s.Len(), s.Evicted())
	}
	if got, want := ids(s.Snapshot()), []FlowID{8, 9, 10}; !slices.Equal(got, want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	if _, ok := s.Get(7); ok {
		t.Fatal("evicted flow 7 is still returned by Get")
	}
	s.Update(Flow{ID: 2, State: StateDone}) // evicted: ignored
	if _, ok := s.Get(2); ok {
		t.Fatal("Update resurrected evicted flow 2")
	}
}

func TestStoreEvictionStaysCorrectAcrossCompaction(t *testing.T) {
	s := NewStore(10)
	for i := range 5000 {
		s.Add(flowWithURL(fmt.Sprint(i)))
	}
	if s.Len() != 10 || s.Evicted() != 4990 {
		t.Fatalf("Len=%d Evicted=%d, want 10 and 4990", s.Len(), s.Evicted())
	}
	for id := FlowID(4991); id <= 5000; id++ {
		f, ok := s.Get(id)
		if !ok || f.Request.URL != fmt.Sprint(id-1) {
			t.Fatalf("Get(%d) = %q, %v", id, f.Request.URL, ok)
		}
	}
}

func TestStorePauseRecordsNothingButKeepsUpdatingFlowsInProgress(t *testing.T) {
	s := NewStore(0)
	running := s.Add(flowWithURL("before"))
	s.SetPaused(true)
	if !s.Paused() {
		t.Fatal("Paused() = false after SetPaused(true)")
	}
	if id := s.Add(flowWithURL("during")); id != 0 {
		t.Fatalf("Add while paused returned %d, want 0", id)
	}
	s.Update(Flow{ID: running, State: StateDone, Request: Request{URL: "before"}})
	if f, _ := s.Get(running); f.State != StateDone {
		t.Fatalf("flow in progress was not updated while paused: %v", f.State)
	}
	s.SetPaused(false)
	if id := s.Add(flowWithURL("after")); id != 2 {
		t.Fatalf("first Add after resume returned %d, want 2 (no ID spent while paused)", id)
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d, want 2", s.Len())
	}
}

func TestStoreClearDropsFlowsButNeverReusesIDs(t *testing.T) {
	s := NewStore(0)
	s.Add(flowWithURL("a"))
	s.Add(flowWithURL("b"))
	s.Clear()
	if s.Len() != 0 || len(s.Snapshot()) != 0 {
		t.Fatalf("after Clear: Len=%d", s.Len())
	}
	if id := s.Add(flowWithURL("c")); id != 3 {
		t.Fatalf("Add after Clear returned %d, want 3", id)
	}
}

func TestSubscriptionCoalescesChangesIntoOneBatch(t *testing.T) {
	s := NewStore(0)
	sub := s.Subscribe()
	defer sub.Close()
	a := s.Add(flowWithURL("a"))
	b := s.Add(flowWithURL("b"))
	for _, st := range []State{StateHeaders, StateDone} {
		s.Update(Flow{ID: a, State: st, Request: Request{URL: "a"}})
	}
	select {
	case <-sub.Ready():
	default:
		t.Fatal("Ready did not fire after changes")
	}
	select {
	case <-sub.Ready():
		t.Fatal("Ready fired twice for changes made between two pulls")
	default:
	}
	batch := sub.Next()
	if got, want := ids(batch.Flows), []FlowID{a, b}; !slices.Equal(got, want) {
		t.Fatalf("batch IDs = %v, want %v (each flow once, in ID order)", got, want)
	}
	if batch.Flows[0].State != StateDone {
		t.Fatalf("batch carries state %v for flow a, want the latest (done)", batch.Flows[0].State)
	}
	if batch.Len != 2 {
		t.Fatalf("batch.Len = %d, want 2", batch.Len)
	}
	if empty := sub.Next(); len(empty.Flows) != 0 {
		t.Fatalf("second Next returned %d flows, want none", len(empty.Flows))
	}
}

func TestSubscriptionCatchesUpAndReportsEvictionsAndClear(t *testing.T) {
	s := NewStore(2)
	s.Add(flowWithURL("a"))
	s.Add(flowWithURL("b"))
	sub := s.Subscribe()
	defer sub.Close()
	if got := ids(sub.Next().Flows); !slices.Equal(got, []FlowID{1, 2}) {
		t.Fatalf("late subscriber caught up with %v, want [1 2]", got)
	}
	s.Add(flowWithURL("c"))
	s.Add(flowWithURL("d"))
	batch := sub.Next()
	if !slices.Equal(batch.Evicted, []FlowID{1, 2}) || batch.EvictedTotal != 2 {
		t.Fatalf("Evicted=%v total=%d, want [1 2] and 2", batch.Evicted, batch.EvictedTotal)
	}
	if got := ids(batch.Flows); !slices.Equal(got, []FlowID{3, 4}) {
		t.Fatalf("batch flows %v, want [3 4]", got)
	}
	s.Add(flowWithURL("e"))
	s.Clear()
	batch = sub.Next()
	if !batch.Cleared || len(batch.Flows) != 0 {
		t.Fatalf("after Clear: Cleared=%v flows=%v", batch.Cleared, ids(batch.Flows))
	}
}

func TestSubscriptionNeverBlocksWritersWhenNobodyReads(t *testing.T) {
	s := NewStore(100)
	sub := s.Subscribe()
	defer sub.Close()
	done := make(chan struct{})
	go func() {
		for i := range 10000 {
			s.Add(flowWithURL(fmt.Sprint(i)))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("writers blocked on a subscription nobody reads")
	}
	if got := len(sub.Next().Flows); got != 100 {
		t.Fatalf("pending flows after overflow = %d, want the 100 still held", got)
	}
}

func TestStoreIsSafeForConcurrentWritersAndReaders(t *testing.T) {
	s := NewStore(500)
	sub := s.Subscribe()
	defer sub.Close()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				id := s.Add(flowWithURL(fmt.Sprint(w, i)))
				s.Update(Flow{ID: id, State: StateDone})
			}
		})
	}
	stop := make(chan struct{})
	var seen int
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-sub.Ready():
				seen += len(sub.Next().Flows)
				_ = s.Snapshot()
			case <-stop:
				seen += len(sub.Next().Flows)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-readerDone
	if s.Len()+int(s.Evicted()) != 1600 {
		t.Fatalf("Len+Evicted = %d, want 1600", s.Len()+int(s.Evicted()))
	}
	if seen == 0 {
		t.Fatal("reader saw no flows")
	}
}

// A mark is the store's: it pins the flow, shows in Get and Snapshot (so
// exports keep it), arrives with a flow that was marked in its file, and
// goes with Clear.
func TestStoreMarksPinAndTravelWithTheFlow(t *testing.T) {
	s := NewStore(3)
	a := s.Add(Flow{Request: Request{URL: "http://x/a"}})
	s.Mark(a, true)
	s.Mark(a, true) // twice is one mark: one unmark frees it
	imported := s.Add(Flow{Request: Request{URL: "http://x/b"}, Marked: true})
	for range 5 {
		s.Add(Flow{Request: Request{URL: "http://x/c"}})
	}
	for _, id := range []FlowID{a, imported} {
		if f, ok := s.Get(id); !ok || !f.Marked {
			t.Fatalf("flow %d: held %v, marked %v; want a marked flow kept past the bound", id, ok, f.Marked)
		}
	}
	var marked []FlowID
	for _, f := range s.Snapshot() {
		if f.Marked {
			marked = append(marked, f.ID)
		}
	}
	if len(marked) != 2 || marked[0] != a || marked[1] != imported {
		t.Fatalf("Snapshot marks %v, want [%d %d]", marked, a, imported)
	}
	s.Mark(a, false)
	s.Add(Flow{Request: Request{URL: "http://x/d"}})
	if _, ok := s.Get(a); ok {
		t.Fatal("an unmarked flow must be evictable again")
	}
	s.Clear()
	id := s.Add(Flow{Request: Request{URL: "http://x/e"}})
	s.Mark(imported, false) // gone with Clear: a no-op
	if f, _ := s.Get(id); f.Marked || len(s.markedSet()) != 0 {
		t.Fatal("Clear must forget the marks")
	}
}

// ClearUnmarked keeps the marked flows, with their IDs, pins and memory,
// and a subscriber sees a clear followed by them.
func TestStoreClearUnmarkedKeepsTheMarkedFlows(t *testing.T) {
	s := NewStore(10)
	sub := s.Subscribe()
	defer sub.Close()
	var ids []FlowID
	for i := range 5 {
		ids = append(ids, s.Add(Flow{Request: Request{URL: fmt.Sprintf("http://x/%d", i)}}))
	}
	s.Mark(ids[1], true)
	s.Mark(ids[3], true)
	s.Pin(ids[3]) // also open in the interface
	sub.Next()
	if n := s.ClearUnmarked(); n != 3 {
		t.Fatalf("ClearUnmarked dropped %d flows, want 3", n)
	}
	b := sub.Next()
	if !b.Cleared || len(b.Flows) != 2 || b.Flows[0].ID != ids[1] || b.Flows[1].ID != ids[3] || !b.Flows[0].Marked {
		t.Fatalf("batch cleared=%v flows %v; want a clear and the marked %d, %d", b.Cleared, flowIDs(b.Flows), ids[1], ids[3])
	}
	if s.Len() != 2 || s.Memory() <= 0 {
		t.Fatalf("store holds %d flows, %d bytes; want the 2 marked", s.Len(), s.Memory())
	}
	next := s.Add(Flow{Request: Request{URL: "http://x/new"}})
	if got, ok := s.Get(next); !ok || next <= ids[4] || got.Marked {
		t.Fatalf("a new flow after the clear: ID %d (held %v)", next, ok)
	}
	// The open pin outlives the mark; the mark's own pin goes with U.
	s.Mark(ids[3], false)
	s.Mark(ids[1], false)
	for range 10 {
		s.Add(Flow{Request: Request{URL: "http://x/more"}})
	}
	if _, ok := s.Get(ids[1]); ok {
		t.Fatal("an unmarked kept flow must be evicted first")
	}
	if _, ok := s.Get(ids[3]); !ok {
		t.Fatal("the flow still open in the interface was evicted")
	}
}

func flowIDs(fs []Flow) []FlowID {
	out := make([]FlowID, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}
