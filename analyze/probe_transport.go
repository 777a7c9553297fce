package analyze

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// NewProbeTransport builds the probe's RoundTripper: direct, or through a
// running corscope at proxyAddr, trusting that corscope's CA certificate
// (caCertFile, if it exists) for intercepted HTTPS. Environment proxies are ignored,
// as by the proxy itself: a silent detour would change what is probed.
func NewProbeTransport(proxyAddr, caCertFile string) (http.RoundTripper, error) {
	t := &http.Transport{
		Proxy:               nil,
		DisableCompression:  true,
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 10 * time.Second,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if proxyAddr == "" {
		return t, nil
	}
	if !strings.Contains(proxyAddr, "://") {
		proxyAddr = "http://" + proxyAddr
	}
	pu, err := url.Parse(proxyAddr)
	if err != nil || pu.Host == "" {
		return nil, fmt.Errorf("--proxy %q is not an address: give host:port, e.g. 127.0.0.1:8080", proxyAddr)
	}
	t.Proxy = http.ProxyURL(pu)
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if pem, err := os.ReadFile(caCertFile); err == nil {
		pool.AppendCertsFromPEM(pem)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("cannot read corscope's CA %s: %v", caCertFile, err)
	}
	t.TLSClientConfig.RootCAs = pool
	return t, nil
}
