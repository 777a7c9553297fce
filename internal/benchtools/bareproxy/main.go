// Command bareproxy is the baseline of scripts/bench.sh: goproxy with the
// library's defaults (its default Transport, no certificate cache, its
// built-in CA for intercepted HTTPS), recording nothing. It prints its
// address on one line. goproxy verifies upstream certificates against the
// system roots; the script points SSL_CERT_FILE at the target's
// certificate so that, without changing goproxy, the target is trusted.
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"

	"github.com/elazarl/goproxy"
)

func main() {
	gp := goproxy.NewProxyHttpServer()
	gp.Logger = log.New(io.Discard, "", 0)
	// Intercept HTTPS the way goproxy's examples do, so the MITM figures
	// compare like with like (the built-in CA is fine for a benchmark on
	// loopback; corscope never uses it).
	gp.OnRequest().HandleConnect(goproxy.AlwaysMitm)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr())
	log.Fatal((&http.Server{Handler: gp, ErrorLog: log.New(io.Discard, "", 0)}).Serve(ln))
}
