package capture

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSignLeafNamesTheHostAndChainsToTheCA(t *testing.T) {
	ca := testCA(t)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate.Leaf)
	for _, tc := range []struct {
		host   string
		verify string
		wantIP net.IP
	}{
		{host: "api.example.com", verify: "api.example.com"},
		{host: "127.0.0.1", verify: "127.0.0.1", wantIP: net.ParseIP("127.0.0.1")},
		{host: "::1", verify: "::1", wantIP: net.ParseIP("::1")},
	} {
		t.Run(tc.host, func(t *testing.T) {
			cert, err := signLeaf(ca, tc.host, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			leaf := cert.Leaf
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: tc.verify, Roots: roots}); err != nil {
				t.Fatalf("leaf does not verify for %s against the CA: %v", tc.verify, err)
			}
			if tc.wantIP != nil {
				if len(leaf.IPAddresses) != 1 || !leaf.IPAddresses[0].Equal(tc.wantIP) || len(leaf.DNSNames) != 0 {
					t.Fatalf("IP leaf SANs: IPs=%v DNS=%v", leaf.IPAddresses, leaf.DNSNames)
				}
			}
			if leaf.Issuer.CommonName != ca.Name() {
				t.Fatalf("issuer %q, want %q", leaf.Issuer.CommonName, ca.Name())
			}
			if len(cert.Certificate) != 2 {
				t.Fatalf("chain has %d certificates, want leaf + CA", len(cert.Certificate))
			}
		})
	}
}

func TestLeafCacheGeneratesOnceForConcurrentMisses(t *testing.T) {
	c := newLeafCache(testCA(t), 10)
	var gens atomic.Int32
	real := c.gen
	release := make(chan struct{})
	c.gen = func(host string) (*tls.Certificate, error) {
		gens.Add(1)
		<-release // hold the generation so every caller misses together
		return real(host)
	}
	var wg sync.WaitGroup
	certs := make([]*tls.Certificate, 16)
	for i := range certs {
		wg.Go(func() {
			// Different spellings of one host share one entry.
			host := "Example.COM"
			if i%2 == 0 {
				host = "example.com."
			}
			cert, err := c.get(host)
			if err != nil {
				t.Error(err)
			}
			certs[i] = cert
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := gens.Load(); n != 1 {
		t.Fatalf("%d generations for 16 concurrent misses, want 1", n)
	}
	for _, cert := range certs {
		if cert != certs[0] {
			t.Fatal("callers got different certificates for one host")
		}
	}
	if _, err := c.get("example.com"); err != nil || gens.Load() != 1 {
		t.Fatalf("cached host regenerated (gens=%d, err=%v)", gens.Load(), err)
	}
}

func TestLeafCacheRegeneratesLeavesNearExpiry(t *testing.T) {
	c := newLeafCache(testCA(t), 10)
	now := time.Now()
	c.now = func() time.Time { return now }
	first, err := c.get("a.test")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(leafValidity / 2)
	if again, _ := c.get("a.test"); again != first {
		t.Fatal("a leaf far from expiry was regenerated")
	}
	now = first.Leaf.NotAfter.Add(-time.Hour) // within a day of expiry
	renewed, err := c.get("a.test")
	if err != nil {
		t.Fatal(err)
	}
	if renewed == first {
		t.Fatal("a leaf an hour from expiry was served from the cache")
	}
	if !renewed.Leaf.NotAfter.After(first.Leaf.NotAfter) {
		t.Fatalf("renewed leaf expires %v, not after the old %v", renewed.Leaf.NotAfter, first.Leaf.NotAfter)
	}
}

func TestLeafCacheIsBoundedLeastRecentlyUsedFirst(t *testing.T) {
	c := newLeafCache(testCA(t), 3)
	var gens atomic.Int32
	real := c.gen
	c.gen = func(host string) (*tls.Certificate, error) { gens.Add(1); return real(host) }
	for _, h := range []string{"a", "b", "c"} {
		c.get(h)
	}
	c.get("a") // a is now the most recently used
	c.get("d") // evicts b
	if c.len() != 3 {
		t.Fatalf("cache holds %d leaves, want 3", c.len())
	}
	before := gens.Load()
	c.get("a")
	c.get("c")
	if gens.Load() != before {
		t.Fatal("a recently used leaf was evicted")
	}
	c.get("b")
	if gens.Load() != before+1 {
		t.Fatal("the least recently used leaf was not the one evicted")
	}
}

func TestLeafCacheDoesNotCacheFailures(t *testing.T) {
	c := newLeafCache(testCA(t), 10)
	real := c.gen
	fail := true
	c.gen = func(host string) (*tls.Certificate, error) {
		if fail {
			return nil, errors.New("boom")
		}
		return real(host)
	}
	if _, err := c.get("x.test"); err == nil {
		t.Fatal("want the generation error")
	}
	fail = false
	if cert, err := c.get("x.test"); err != nil || cert == nil {
		t.Fatalf("after a failure the next get did not retry: %v", err)
	}
}
