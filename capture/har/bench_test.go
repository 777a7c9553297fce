package har

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corscope/corscope/capture"
)

// benchFlows returns n flows shaped like a browser session: a dozen
// request headers, CORS response headers, a JSON body of a few hundred
// bytes, every third one a preflight.
func benchFlows(n int) []capture.Flow {
	body := []byte(`{"items":[` + strings.Repeat(`{"id":12345,"name":"widget","tags":["a","b"]},`, 8) + `{"id":0}]}`)
	flows := make([]capture.Flow, n)
	for i := range flows {
		start := t0.Add(time.Duration(i) * time.Millisecond)
		method := "GET"
		reqH := hdrs("Host", "api.example.test", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
			"Accept", "application/json", "Accept-Language", "en-US,en;q=0.9", "Accept-Encoding", "gzip, deflate, br, zstd",
			"Origin", "http://localhost:3000", "Referer", "http://localhost:3000/", "Sec-Fetch-Mode", "cors",
			"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Dest", "empty", "Cookie", "sid=0123456789abcdef", "Connection", "keep-alive")
		if i%3 == 0 {
			method = "OPTIONS"
			reqH = append(reqH, capture.Header{Name: "Access-Control-Request-Method", Value: "PUT"})
		}
		flows[i] = capture.Flow{
			ID: capture.FlowID(i + 1), State: capture.StateDone,
			Request: capture.Request{Method: method, URL: fmt.Sprintf("https://api.example.test/v1/items/%d?page=%d", i, i%7),
				Proto: "HTTP/1.1", Header: reqH, Body: capture.NewBody(nil, 0, false)},
			Response: &capture.Response{Status: 200, StatusText: "OK", Proto: "HTTP/1.1",
				Header: hdrs("Content-Type", "application/json; charset=utf-8", "Date", "Sat, 14 Mar 2026 09:26:53 GMT",
					"Access-Control-Allow-Origin", "http://localhost:3000", "Access-Control-Allow-Credentials", "true",
					"Vary", "Origin", "Cache-Control", "no-store", "Content-Length", fmt.Sprint(len(body))),
				Body: capture.NewBody(body, int64(len(body)), false)},
			Timings: capture.Timings{Start: start, WroteRequest: start.Add(100 * time.Microsecond),
				FirstByte: start.Add(2 * time.Millisecond), End: start.Add(3 * time.Millisecond)},
			ServerAddr: "10.0.0.7:443",
		}
	}
	return flows
}

// heapPeak samples the live heap while fn runs and returns the peak above
// the live heap at the start, in bytes. A final GC counts what fn keeps.
func heapPeak(fn func()) uint64 {
	runtime.GC()
	// Live heap as of the last GC: garbage waiting for collection is not
	// memory the reader needs.
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			v := read()
			mu.Lock()
			peak = max(peak, v)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	runtime.GC()
	peak = max(peak, read())
	if peak < base {
		return 0
	}
	return peak - base
}

const benchEntries = 100_000

var benchData struct {
	once  sync.Once
	flows []capture.Flow
	har   []byte
}

func benchInput(b *testing.B) ([]capture.Flow, []byte) {
	benchData.once.Do(func() {
		benchData.flows = benchFlows(benchEntries)
		var buf bytes.Buffer
		if err := Write(&buf, benchData.flows, Options{}); err != nil {
			b.Fatal(err)
		}
		benchData.har = buf.Bytes()
	})
	return benchData.flows, benchData.har
}

// BenchmarkExport compares the streaming writer with the obvious
// baseline, marshalling the whole log at once. Metrics: MB/s of HAR
// written, and the peak heap the write adds on top of the flows.
func BenchmarkExport(b *testing.B) {
	flows, har := benchInput(b)
	b.Run("streaming", func(b *testing.B) {
		b.SetBytes(int64(len(har)))
		var peak uint64
		for b.Loop() {
			peak = max(peak, heapPeak(func() {
				if err := Write(io.Discard, flows, Options{}); err != nil {
					b.Fatal(err)
				}
			}))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	})
	b.Run("baseline-marshal-all", func(b *testing.B) {
		b.SetBytes(int64(len(har)))
		var peak uint64
		for b.Loop() {
			peak = max(peak, heapPeak(func() {
				entries := make([]harEntry, len(flows))
				for i, f := range flows {
					entries[i] = buildEntry(f, Options{})
				}
				out, err := json.Marshal(map[string]any{"log": map[string]any{"version": "1.2", "entries": entries}})
				if err != nil {
					b.Fatal(err)
				}
				io.Discard.Write(out)
			}))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	})
}

// BenchmarkImport compares the streaming reader with the baseline of
// unmarshalling the whole file at once. peak-MiB is the heap added while
// reading (the flows kept included); file-MiB is the input size.
func BenchmarkImport(b *testing.B) {
	_, har := benchInput(b)
	b.Run("streaming", func(b *testing.B) {
		b.SetBytes(int64(len(har)))
		var peak uint64
		var kept []capture.Flow
		for b.Loop() {
			peak = max(peak, heapPeak(func() {
				flows, err := Read(bytes.NewReader(har))
				if err != nil || len(flows) != benchEntries {
					b.Fatal(len(flows), err)
				}
				kept = flows
			}))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
		b.ReportMetric(float64(len(har))/(1<<20), "file-MiB")
		runtime.KeepAlive(kept)
	})
	b.Run("baseline-unmarshal-all", func(b *testing.B) {
		b.SetBytes(int64(len(har)))
		var peak uint64
		for b.Loop() {
			peak = max(peak, heapPeak(func() {
				data, _ := io.ReadAll(bytes.NewReader(har))
				var v struct {
					Log struct {
						Entries []inEntry `json:"entries"`
					} `json:"log"`
				}
				if err := json.Unmarshal(data, &v); err != nil {
					b.Fatal(err)
				}
				flows := make([]capture.Flow, len(v.Log.Entries))
				for i := range v.Log.Entries {
					flows[i] = v.Log.Entries[i].toFlow(t0, nil, interner{})
				}
				runtime.KeepAlive(flows)
			}))
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-MiB")
	})
}
