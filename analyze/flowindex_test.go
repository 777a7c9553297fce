package analyze

import (
	"math/rand"
	"testing"

	"github.com/corscope/corscope/capture"
)

// The index must behave exactly like a map, whatever order IDs come in.
func TestFlowIndexBehavesLikeAMap(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  func(i int) capture.FlowID
	}{
		{"store counter", func(i int) capture.FlowID { return capture.FlowID(i + 1) }},
		{"starting high", func(i int) capture.FlowID { return capture.FlowID(1_000_000 + i) }},
		{"gaps", func(i int) capture.FlowID { return capture.FlowID(1 + 3*i) }},
		{"far apart", func(i int) capture.FlowID { return capture.FlowID(1 + 100_000*i) }},
		{"random", func(i int) capture.FlowID { return capture.FlowID(rand.New(rand.NewSource(int64(i))).Intn(50_000)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(1))
			x := newFlowIndex(0)
			ref := map[capture.FlowID]*entry{}
			check := func(id capture.FlowID) {
				if got, want := x.get(id), ref[id]; got != want {
					t.Fatalf("get(%d) = %p, want %p", id, got, want)
				}
			}
			var ids []capture.FlowID
			for i := 0; i < 5000; i++ {
				id := tc.ids(i)
				e := &entry{}
				x.put(id, e)
				ref[id] = e
				ids = append(ids, id)
				// A store evicts the oldest; sometimes a middle one goes.
				if i > 100 && rng.Intn(3) > 0 {
					k := 0
					if rng.Intn(4) == 0 {
						k = rng.Intn(len(ids))
					}
					x.del(ids[k])
					delete(ref, ids[k])
					ids = append(ids[:k], ids[k+1:]...)
				}
				check(id)
				check(id + 1)
				check(ids[0])
				if x.len() != len(ref) {
					t.Fatalf("len %d, want %d", x.len(), len(ref))
				}
			}
			for id := range ref {
				check(id)
			}
			x.del(0) // absent: no effect
			if x.len() != len(ref) {
				t.Fatalf("len %d after deleting an absent ID, want %d", x.len(), len(ref))
			}
		})
	}
}

func TestNameEqualIsASCIICaseInsensitive(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"Content-Type", "content-type", true}, {"X-A", "x-a", true}, {"x-a", "x-b", false},
		{"x-a", "x-aa", false}, {"@", "`", false}, {"[", "{", false}, {"", "", true},
	} {
		if got := nameEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("nameEqual(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
