package capture

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/elazarl/goproxy"
)

// The proxy benchmarks compare, in one run, keep-alive HTTP through:
//
//	direct          no proxy at all
//	goproxy-default a bare goproxy with the library's defaults
//	goproxy-tuned   a bare goproxy with corscope's upstream Transport
//	corscope        corscope's proxy, recording every exchange
//
// for a ~100 B response at concurrency 1 and 16 (req/s, p50, p99) and a
// 1 MiB response (MB/s), and the CPU time per request of the whole test
// process (client, proxy and server), which other processes on a shared
// machine distort far less than throughput. Run with:
//
//	go test -run '^$' -bench ProxyCompare -v ./capture/
//
// corscope's store is bounded to 256 flows here so that the 1 MiB case
// (which keeps every body, up to --max-body) does not measure swapping.

var (
	smallBody = make([]byte, 100)
	bigBody   = make([]byte, 1<<20)
)

func benchUpstream(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := smallBody
		if r.URL.Path == "/big" {
			body = bigBody
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// serveBare serves a bare goproxy on loopback and returns its address.
func serveBare(b *testing.B, gp *goproxy.ProxyHttpServer) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	// The same server limits as corscope's, so only the proxying differs.
	srv := &http.Server{Handler: gp, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func benchProxies(b *testing.B) map[string]string {
	def := goproxy.NewProxyHttpServer()
	def.Logger = log.New(io.Discard, "", 0)

	tuned := goproxy.NewProxyHttpServer()
	tuned.Logger = log.New(io.Discard, "", 0)
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tuned.Tr = newUpstreamTransport(d.DialContext, &tls.Config{})
	tuned.KeepAcceptEncoding = true
	tuned.ConnectDial = nil

	spill := NewSpill(b.TempDir())
	b.Cleanup(func() { spill.Close() })
	ours := startProxy(b, func(c *Config) { c.Store = NewStore(256); c.Spill = spill })
	inMemory := startProxy(b, func(c *Config) { c.Store = NewStore(256) })
	headersOnly := startProxy(b, func(c *Config) { c.Store = NewStore(256); c.MaxBody = -1 })
	return map[string]string{
		"direct":          "",
		"goproxy-default": serveBare(b, def),
		"goproxy-tuned":   serveBare(b, tuned),
		"corscope":        ours.Addr(),
		"corscope-inmem":  inMemory.Addr(),
		"corscope-nobody": headersOnly.Addr(),
	}
}

// corscope is configured as the commands run it: bodies over 4 KiB go to a
// spill file. corscope-inmem keeps every body in memory (no spill, as
// before the spill file existed); corscope-nobody records everything but
// keeps no body bytes (--max-body -1), to separate the cost of keeping
// bodies from the rest.
var benchOrder = []string{"direct", "goproxy-default", "goproxy-tuned", "corscope", "corscope-inmem", "corscope-nobody"}

func benchClient(proxyAddr string) *http.Client {
	tr := &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		DisableCompression:  true,
	}
	if proxyAddr != "" {
		u, _ := url.Parse("http://" + proxyAddr)
		tr.Proxy = http.ProxyURL(u)
	}
	return &http.Client{Transport: tr}
}

// window runs GETs to target from conc goroutines (each with its own
// keep-alive connection) for d and returns the requests done and their
// latencies.
func window(b *testing.B, c *http.Client, target string, conc int, d time.Duration) (int, []time.Duration, time.Duration) {
	cpu0 := cpuTime()
	lat := make([][]time.Duration, conc)
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for g := range conc {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				t0 := time.Now()
				if !get(b, c, target) {
					return
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		})
	}
	wg.Wait()
	all := slices.Concat(lat...)
	return len(all), all, cpuTime() - cpu0
}

// cpuTime is the CPU time used by this process (client, proxy and server
// alike), which other processes on a shared machine do not inflate.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func get(b *testing.B, c *http.Client, target string) bool {
	resp, err := c.Get(target)
	if err != nil {
		b.Error(err)
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Errorf("status %d", resp.StatusCode)
		return false
	}
	return true
}

// BenchmarkProxyCompare measures every configuration in interleaved
// rounds (each configuration once per round, for the same short window),
// so a burst of load from other processes hits all of them alike, and
// reports medians over rounds and the ratios that matter.
func BenchmarkProxyCompare(b *testing.B) {
	const rounds = 12
	const win = 200 * time.Millisecond
	up := benchUpstream(b)
	proxies := benchProxies(b)
	clients := map[string]*http.Client{}
	for _, name := range benchOrder {
		clients[name] = benchClient(proxies[name])
		defer clients[name].CloseIdleConnections()
	}
	type scenario struct {
		name string
		path string
		conc int
	}
	scenarios := []scenario{{"small-c1", "/small", 1}, {"small-c16", "/small", 16}, {"1MiB-c1", "/big", 1}}
	type result struct {
		rates []float64
		lat   []time.Duration
		n     int
		cpu   time.Duration
	}
	res := map[string]*result{}
	key := func(sc scenario, name string) string { return sc.name + "/" + name }
	for _, sc := range scenarios {
		for _, name := range benchOrder {
			res[key(sc, name)] = &result{}
			// Warm up connections and, for 1 MiB bodies, the heap: until
			// corscope's store has wrapped (256 flows), every kept body is
			// fresh memory from the OS, a one-time cost of a new process.
			warm := 50 * time.Millisecond
			if sc.path == "/big" {
				warm = time.Second
			}
			window(b, clients[name], up.URL+sc.path, sc.conc, warm)
		}
	}
	b.ResetTimer()
	for r := range rounds {
		for _, sc := range scenarios {
			// Rotate the order each round so no configuration always
			// runs right after the same neighbour.
			for i := range benchOrder {
				name := benchOrder[(i+r)%len(benchOrder)]
				n, lat, cpu := window(b, clients[name], up.URL+sc.path, sc.conc, win)
				rr := res[key(sc, name)]
				rr.rates = append(rr.rates, float64(n)/win.Seconds())
				rr.lat = append(rr.lat, lat...)
				rr.n += n
				rr.cpu += cpu
			}
		}
	}
	b.StopTimer()

	median := func(xs []float64) float64 {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	pct := func(ls []time.Duration, p float64) time.Duration {
		ls = slices.Clone(ls)
		slices.Sort(ls)
		return ls[min(len(ls)-1, int(p*float64(len(ls))))]
	}
	rate := func(sc scenario, name string) float64 { return median(res[key(sc, name)].rates) }
	cpuPer := func(sc scenario, name string) float64 {
		rr := res[key(sc, name)]
		return float64(rr.cpu.Microseconds()) / float64(rr.n)
	}
	for _, sc := range scenarios {
		for _, name := range benchOrder {
			rr := res[key(sc, name)]
			r := rate(sc, name)
			line := fmt.Sprintf("%-10s %-16s %9.0f req/s  p50 %7s  p99 %8s  cpu %6.1f µs/req", sc.name, name, r,
				pct(rr.lat, 0.50).Round(time.Microsecond), pct(rr.lat, 0.99).Round(time.Microsecond), cpuPer(sc, name))
			if sc.path == "/big" {
				line += fmt.Sprintf("  %7.0f MB/s", r*float64(len(bigBody))/1e6)
			}
			b.Log(line)
			b.ReportMetric(r, sc.name+"-"+name+"-req/s")
		}
		vsTuned := rate(sc, "corscope") / rate(sc, "goproxy-tuned")
		vsDefault := rate(sc, "corscope") / rate(sc, "goproxy-default")
		cpuVsTuned := cpuPer(sc, "goproxy-tuned") / cpuPer(sc, "corscope")
		b.Logf("%-10s throughput corscope/goproxy-tuned %.2f  corscope/goproxy-default %.2f  corscope/direct %.2f  corscope-inmem/goproxy-tuned %.2f;  cpu-efficiency corscope/goproxy-tuned %.2f",
			sc.name, vsTuned, vsDefault, rate(sc, "corscope")/rate(sc, "direct"), rate(sc, "corscope-inmem")/rate(sc, "goproxy-tuned"), cpuVsTuned)
		b.ReportMetric(cpuVsTuned, sc.name+"-cpu-corscope/tuned")
		b.ReportMetric(vsTuned, sc.name+"-corscope/tuned")
		b.ReportMetric(vsDefault, sc.name+"-corscope/default")
	}
}
