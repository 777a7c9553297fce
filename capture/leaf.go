package capture

import (
	"container/list"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

const (
	// leafValidity is how long a generated leaf is valid. Leaves live in
	// memory only, so a short life costs nothing and suits Apple's and
	// Chrome's limits on server certificate lifetimes.
	leafValidity = 90 * 24 * time.Hour
	// leafBackdate tolerates a browser clock slightly behind ours.
	leafBackdate = 24 * time.Hour
	// leafRenewBefore: a cached leaf this close to expiry is regenerated.
	leafRenewBefore = 24 * time.Hour
	// defaultLeafCacheSize bounds the leaf cache. A browsing session
	// touches a few hundred hosts at most; each entry is about 1 KiB.
	defaultLeafCacheSize = 1024
)

// leafCache hands out leaf certificates signed by the CA, one per host,
// generating each at most once at a time and keeping the most recently used.
type leafCache struct {
	max int
	sf  singleflight.Group
	now func() time.Time
	gen func(host string) (*tls.Certificate, error)

	mu  sync.Mutex
	m   map[string]*list.Element // host -> element holding *leafEntry
	lru list.List                // front = most recently used
}

type leafEntry struct {
	host     string
	cert     *tls.Certificate
	notAfter time.Time
}

func newLeafCache(ca *CA, max int) *leafCache {
	if max <= 0 {
		max = defaultLeafCacheSize
	}
	c := &leafCache{max: max, now: time.Now, m: make(map[string]*list.Element)}
	c.gen = func(host string) (*tls.Certificate, error) { return signLeaf(ca, host, c.now()) }
	return c
}

// normalizeHost lower-cases host and drops a trailing dot and IPv6
// brackets, so one host gets one cache entry whatever its spelling.
func normalizeHost(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	host = strings.TrimPrefix(host, "[")
	host = strings.TrimSuffix(host, "]")
	return host
}

// get returns the leaf for host, from the cache when it is still valid for
// more than a day. Concurrent misses for one host share one generation;
// a failed generation is not cached, so the next call tries again.
func (c *leafCache) get(host string) (*tls.Certificate, error) {
	host = normalizeHost(host)
	if cert := c.lookup(host); cert != nil {
		return cert, nil
	}
	v, err, _ := c.sf.Do(host, func() (any, error) {
		// A caller that missed just before the previous generation was
		// stored lands here after it: look again before generating.
		if cert := c.lookup(host); cert != nil {
			return cert, nil
		}
		cert, err := c.gen(host)
		if err != nil {
			return nil, err
		}
		c.store(host, cert)
		return cert, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*tls.Certificate), nil
}

func (c *leafCache) lookup(host string) *tls.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[host]
	if !ok {
		return nil
	}
	e := el.Value.(*leafEntry)
	if !c.now().Before(e.notAfter.Add(-leafRenewBefore)) {
		c.lru.Remove(el)
		delete(c.m, host)
		return nil
	}
	c.lru.MoveToFront(el)
	return e.cert
}

func (c *leafCache) store(host string, cert *tls.Certificate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[host]; ok {
		c.lru.Remove(el)
	}
	c.m[host] = c.lru.PushFront(&leafEntry{host: host, cert: cert, notAfter: cert.Leaf.NotAfter})
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.m, old.Value.(*leafEntry).host)
	}
}

// len returns the number of cached leaves.
func (c *leafCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// signLeaf creates a server certificate for host (a DNS name or an IP
// literal) signed by ca, with a fresh P-256 key from crypto/rand.
func signLeaf(ca *CA, host string, now time.Time) (*tls.Certificate, error) {
	if host == "" {
		return nil, fmt.Errorf("no host name to make a certificate for")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("cannot generate a key for %s: %w", host, err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(leafValidity)
	if caEnd := ca.Certificate.Leaf.NotAfter; notAfter.After(caEnd) {
		notAfter = caEnd
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"corscope"}},
		NotBefore:    now.Add(-leafBackdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip.WithZone("").AsSlice())
	} else {
		tmpl.Subject.CommonName = host
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Certificate.Leaf, key.Public(), ca.Certificate.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("cannot sign a certificate for %s: %w", host, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{
		Certificate: [][]byte{der, ca.Certificate.Certificate[0]},
		PrivateKey:  key,
		Leaf:        leaf,
	}, nil
}
