package capture

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
)

// BenchmarkMemoryPerFlow records real exchanges with 16 KiB response
// bodies through the proxy and reports the live heap each recorded flow
// holds, side by side:
//
//	spill     as the commands run it: bodies over 4 KiB in a spill file
//	in-memory every kept body in memory (no spill file)
//
// Run with: go test -run '^$' -bench MemoryPerFlow ./capture/
// The flows count is fixed (b.N only repeats the measurement).
func BenchmarkMemoryPerFlow(b *testing.B) {
	const flows = 20000
	body := make([]byte, 16<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	perFlow := map[string]float64{}
	for _, mode := range []string{"spill", "in-memory"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				var sp *Spill
				if mode == "spill" {
					sp = NewSpill(b.TempDir())
				}
				store := NewStore(flows)
				p := startProxy(b, func(c *Config) { c.Store, c.Spill = store, sp })
				c := clientVia(b, p)
				before := liveHeap()
				for i := range flows {
					resp, err := c.Get(fmt.Sprintf("%s/api/items/%d", srv.URL, i))
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				for store.Len() < flows || !store.Snapshot()[flows-1].Finished() {
					runtime.Gosched()
				}
				perFlow[mode] = float64(liveHeap()-before) / flows
				runtime.KeepAlive(store)
				if sp != nil {
					sp.Close()
				}
			}
			b.ReportMetric(perFlow[mode], "heap-B/flow")
		})
	}
	if perFlow["in-memory"] > 0 {
		b.Logf("live heap per flow with 16 KiB bodies: spill %.0f B, in-memory %.0f B: ratio %.3f",
			perFlow["spill"], perFlow["in-memory"], perFlow["spill"]/perFlow["in-memory"])
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
