// Command target is the upstream server of scripts/bench.sh: plain HTTP
// and HTTPS on loopback, answering /small (100 B), /16k (16 KiB) and /1m
// (1 MiB) with a Content-Length, from memory. It prints its two addresses
// on one line ("http=ADDR https=ADDR") and writes its certificate to
// -cert so the proxies can be told to trust it.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	certOut := flag.String("cert", "target.pem", "write the HTTPS certificate (PEM) here")
	flag.Parse()

	bodies := map[string][]byte{"/small": make([]byte, 100), "/16k": make([]byte, 16<<10), "/1m": make([]byte, 1<<20)}
	for _, b := range bodies {
		for i := range b {
			b[i] = 'a' + byte(i%26)
		}
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := bodies[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = w.Write(b) // a client that went away is no concern of the target
	})
	cert, pemBytes := selfSigned()
	if err := os.WriteFile(*certOut, pemBytes, 0o644); err != nil {
		log.Fatal(err)
	}
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	secure, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	quiet := log.New(io.Discard, "", 0)
	go func() { log.Fatal((&http.Server{Handler: h, ErrorLog: quiet}).Serve(plain)) }()
	tlsSrv := &http.Server{Handler: h, ErrorLog: quiet, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	go func() { log.Fatal(tlsSrv.ServeTLS(secure, "", "")) }()
	fmt.Printf("http=%s https=%s\n", plain.Addr(), secure.Addr())
	select {}
}

// selfSigned makes a P-256 certificate for 127.0.0.1 and localhost.
func selfSigned() (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "corscope bench target"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
