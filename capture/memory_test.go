package capture

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// inlineFlow is a flow holding n body bytes in memory.
func inlineFlow(n int) Flow {
	f := flowWithURL("http://api.test/x")
	f.Response = &Response{Status: 200, Body: NewBody(make([]byte, n), int64(n), false)}
	return f
}

func TestStoreNeverEvictsAPinnedFlow(t *testing.T) {
	s := NewStore(3)
	sub := s.Subscribe()
	defer sub.Close()
	for range 3 {
		s.Add(flowWithURL("a"))
	}
	s.Pin(2)
	for range 10 {
		s.Add(flowWithURL("b"))
	}
	if _, ok := s.Get(2); !ok {
		t.Fatal("the pinned flow 2 was evicted")
	}
	if got, want := ids(s.Snapshot()), []FlowID{2, 12, 13}; !slices.Equal(got, want) {
		t.Fatalf("held %v, want %v (the pinned flow first, then the newest)", got, want)
	}
	if s.Len() != 3 || s.Evicted() != 10 {
		t.Fatalf("Len=%d Evicted=%d, want 3 and 10", s.Len(), s.Evicted())
	}
	b := sub.Next()
	if slices.Contains(b.Evicted, 2) {
		t.Fatal("the subscription was told the pinned flow 2 was evicted")
	}
	// The pinned flow still takes updates.
	f, _ := s.Get(2)
	f.State = StateDone
	s.Update(f)
	if g, _ := s.Get(2); g.State != StateDone {
		t.Fatal("an update to the pinned survivor was lost")
	}
	// Unpinned, it goes first at the next change, and readers hear of it.
	s.Unpin(2)
	s.Add(flowWithURL("c"))
	if _, ok := s.Get(2); ok {
		t.Fatal("flow 2 outlived its unpinning")
	}
	if got, want := ids(s.Snapshot()), []FlowID{12, 13, 14}; !slices.Equal(got, want) {
		t.Fatalf("held %v, want %v", got, want)
	}
	if b := sub.Next(); !slices.Contains(b.Evicted, 2) {
		t.Fatalf("batch evicted %v, want flow 2 in it", b.Evicted)
	}
}

func TestStorePinsCountAndSurviveMemoryEviction(t *testing.T) {
	one := flowMemory(&Flow{})
	s := NewStoreLimits(Limits{MaxFlows: 100, MaxMemory: 5*(one+1000) + 10})
	s.Add(inlineFlow(1000))
	s.Pin(1)
	s.Pin(1)
	for range 20 {
		s.Add(inlineFlow(1000))
	}
	s.Unpin(1)
	s.Add(inlineFlow(1000))
	if _, ok := s.Get(1); !ok {
		t.Fatal("flow 1, pinned twice and unpinned once, was evicted")
	}
	s.Unpin(1)
	s.Add(inlineFlow(1000))
	if _, ok := s.Get(1); ok {
		t.Fatal("flow 1 was kept after its last Unpin")
	}
}

func TestStoreMaxMemoryIsHonouredAndEvictionsSayWhy(t *testing.T) {
	const limit = 256 << 10
	s := NewStoreLimits(Limits{MaxFlows: 1000, MaxMemory: limit})
	sub := s.Subscribe()
	defer sub.Close()
	for i := range 200 {
		s.Add(inlineFlow(4096))
		if m := s.Memory(); m > limit {
			t.Fatalf("after %d flows the store holds %d bytes, over its %d bound", i+1, m, limit)
		}
	}
	held := s.Len()
	if held < 50 || held > 64 {
		t.Fatalf("the store holds %d flows of ~4.5 KiB within 256 KiB; want 50–64", held)
	}
	byFlows, byMem := s.EvictedBy()
	if byFlows != 0 || byMem != uint64(200-held) || s.Evicted() != byMem {
		t.Fatalf("evicted by flows %d, by memory %d, total %d; want 0, %d, %d", byFlows, byMem, s.Evicted(), 200-held, 200-held)
	}
	b := sub.Next()
	if b.EvictedMemory != byMem || b.EvictedTotal != byMem || len(b.Evicted) != int(byMem) {
		t.Fatalf("batch: EvictedMemory %d, EvictedTotal %d, %d IDs; want %d each", b.EvictedMemory, b.EvictedTotal, len(b.Evicted), byMem)
	}
	// The oldest went first.
	if got := ids(s.Snapshot()); got[0] != FlowID(200-held+1) || got[len(got)-1] != 200 {
		t.Fatalf("held IDs %d..%d, want %d..200", got[0], got[len(got)-1], 200-held+1)
	}
	// An update that grows a flow counts too.
	f, _ := s.Get(200)
	f.Request.Body = NewBody(make([]byte, 100<<10), 100<<10, false)
	s.Update(f)
	if m := s.Memory(); m > limit {
		t.Fatalf("after a growing update the store holds %d bytes, over %d", m, limit)
	}
	if _, ok := s.Get(200); !ok {
		t.Fatal("the newest flow was evicted by its own update")
	}
	// Both bounds at once: the count is the reason while it is exceeded.
	s2 := NewStoreLimits(Limits{MaxFlows: 2, MaxMemory: 1 << 30})
	for range 5 {
		s2.Add(inlineFlow(10))
	}
	if f, m := s2.EvictedBy(); f != 3 || m != 0 {
		t.Fatalf("evicted by flows %d, memory %d; want 3, 0", f, m)
	}
}

func TestStoreReleasesSpilledBodiesWhenFlowsLeave(t *testing.T) {
	sp := NewSpill(t.TempDir())
	defer sp.Close()
	spilled := func() Body {
		e, err := sp.write(make([]byte, 10000))
		if err != nil {
			t.Fatal(err)
		}
		return Body{Size: 10000, ext: e}
	}
	s := NewStore(2)
	var exts []*extent
	for range 4 {
		f := flowWithURL("x")
		f.Response = &Response{Body: spilled()}
		exts = append(exts, f.Response.Body.ext)
		s.Add(f)
	}
	gone := func(e *extent) bool {
		sp.mu.Lock()
		defer sp.mu.Unlock()
		return e.gone
	}
	if !gone(exts[0]) || !gone(exts[1]) || gone(exts[2]) || gone(exts[3]) {
		t.Fatalf("released %v %v %v %v; want the two evicted flows' bodies only", gone(exts[0]), gone(exts[1]), gone(exts[2]), gone(exts[3]))
	}
	// Replacing a body releases the old one; carrying it over does not.
	f, _ := s.Get(4)
	f.State = StateDone
	s.Update(f)
	if gone(exts[3]) {
		t.Fatal("an update carrying the same body released it")
	}
	f.Response = &Response{Body: spilled()}
	s.Update(f)
	if !gone(exts[3]) {
		t.Fatal("an update replacing the body did not release the old one")
	}
	// An update for a flow the store does not hold releases its bodies.
	lost := Flow{ID: 99, Response: &Response{Body: spilled()}}
	s.Update(lost)
	if !gone(lost.Response.Body.ext) {
		t.Fatal("the bodies of an update nobody holds were not released")
	}
	s.Clear()
	if !gone(exts[2]) || !gone(f.Response.Body.ext) {
		t.Fatal("Clear did not release the bodies it dropped")
	}
}

func TestStoreMemoryEstimateCountsHeadersAndInlineBodiesNotSpilledOnes(t *testing.T) {
	sp := NewSpill(t.TempDir())
	defer sp.Close()
	base := flowMemory(&Flow{})
	f := Flow{Request: Request{Method: "GET", URL: strings.Repeat("u", 100), Header: Headers{{"Origin", strings.Repeat("o", 50)}}}}
	if got, want := flowMemory(&f), base+3+100+int64(headerOverhead)+6+50; got != want {
		t.Fatalf("estimate %d, want %d", got, want)
	}
	e, _ := sp.write(make([]byte, 1<<20))
	f.Response = &Response{Body: Body{Size: 1 << 20, ext: e}}
	if got := flowMemory(&f); got > base+1000 {
		t.Fatalf("a flow with a 1 MiB spilled body is estimated at %d bytes", got)
	}
	f.Response.Body = NewBody(make([]byte, 3000), 3000, false)
	if got := flowMemory(&f); got < base+3000 {
		t.Fatalf("a flow with a 3000-byte inline body is estimated at %d bytes", got)
	}
	_ = fmt.Sprint()
}

func TestStoreAcrossSegmentsFindsEveryHeldFlowAndNoEvictedOne(t *testing.T) {
	s := NewStore(2500)
	s.Add(flowWithURL("pinned"))
	s.Pin(1)
	for i := 2; i <= 7000; i++ {
		s.Add(flowWithURL(fmt.Sprint(i)))
		if i%1000 == 0 {
			if got := ids(s.Snapshot()); len(got) != min(i, 2500) || got[0] != 1 || got[len(got)-1] != FlowID(i) || !slices.IsSorted(got) {
				t.Fatalf("after %d adds the snapshot holds %d flows, %d..%d", i, len(got), got[0], got[len(got)-1])
			}
		}
	}
	for id := FlowID(1); id <= 7001; id++ {
		f, ok := s.Get(id)
		want := id == 1 || (id > 7000-2499 && id <= 7000)
		if ok != want || (ok && f.ID != id) {
			t.Fatalf("Get(%d) = %d, %v; want held=%v", id, f.ID, ok, want)
		}
		if ok && id > 1 && f.Request.URL != fmt.Sprint(id) {
			t.Fatalf("Get(%d) returned the flow of %s", id, f.Request.URL)
		}
	}
	s.Clear()
	if id := s.Add(flowWithURL("after")); id != 7001 || s.Len() != 1 {
		t.Fatalf("after Clear: Add returned %d, Len %d", id, s.Len())
	}
	if f, ok := s.Get(7001); !ok || f.Request.URL != "after" {
		t.Fatal("the first flow after Clear is not found")
	}
}
