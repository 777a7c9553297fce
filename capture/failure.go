package capture

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// errLoop is returned by the upstream dialer when a request would reach
// the proxy itself.
var errLoop = errors.New("the request is addressed to corscope itself, which would loop forever")

// errClientGone marks a body read that stopped because the client left.
var errClientGone = errors.New("the client closed the connection")

// reasonClientAbort is the reason recorded for every client abort.
const reasonClientAbort = "the browser closed the connection before the response was complete"

// classify turns an error from the upstream side into an ErrorKind and a
// sentence a web developer can act on. host is the upstream host:port.
// clientGone reports whether the client had already gone away, which makes
// any error a client abort.
func classify(err error, host string, clientGone bool) (ErrorKind, string) {
	if clientGone || errors.Is(err, errClientGone) {
		return ErrClientAbort, reasonClientAbort
	}
	if errors.Is(err, errLoop) {
		return ErrProxy, fmt.Sprintf("%s is corscope's own address: %v", host, errLoop)
	}

	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsTimeout {
			return ErrTimeout, fmt.Sprintf("looking up %s timed out", dnsErr.Name)
		}
		if dnsErr.IsNotFound {
			return ErrDNS, fmt.Sprintf("the host name %s does not resolve (no such host): check the spelling, or whether the server's DNS name exists", dnsErr.Name)
		}
		return ErrDNS, fmt.Sprintf("looking up %s failed: %s", dnsErr.Name, dnsErr.Err)
	}

	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verifyErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknownAuth):
		return ErrTLS, fmt.Sprintf("the certificate of %s is signed by an authority corscope does not trust (%v); if this is your own test CA, pass it with --upstream-ca FILE", host, unknownAuth)
	case errors.As(err, &hostErr):
		return ErrTLS, fmt.Sprintf("the certificate of %s is not valid for that name (%v)", host, hostErr)
	case errors.As(err, &invalid):
		return ErrTLS, fmt.Sprintf("the certificate of %s is not acceptable (%v)", host, invalid)
	case errors.As(err, &verifyErr):
		return ErrTLS, fmt.Sprintf("the certificate of %s could not be verified (%v)", host, verifyErr.Err)
	}
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	if errors.As(err, &recErr) {
		return ErrTLS, fmt.Sprintf("%s did not answer with TLS (is it a plain-HTTP port? try http:// instead of https://)", host)
	}
	if errors.As(err, &alert) || strings.Contains(err.Error(), "tls: ") {
		return ErrTLS, fmt.Sprintf("the TLS handshake with %s failed: %v", host, err)
	}

	if msg := err.Error(); strings.Contains(msg, "server response headers exceeded") {
		return ErrOther, fmt.Sprintf("%s sent response headers larger than %d KiB; the browser refuses such a response too (net::ERR_RESPONSE_HEADERS_TOO_BIG)", host, maxResponseHeaderBytes>>10)
	}
	if msg := err.Error(); strings.Contains(msg, "chunk") {
		// net/http's chunked reader reports malformed framing with plain
		// errors ("invalid byte in chunk length", "malformed chunked
		// encoding"); Chromium fails the same response with
		// net::ERR_INVALID_CHUNKED_ENCODING.
		return ErrOther, fmt.Sprintf("%s sent a malformed chunked body (%v): the browser fails such a response with net::ERR_INVALID_CHUNKED_ENCODING; the server's framing is broken", host, unwrapOp(err))
	}
	switch {
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return ErrProxy, fmt.Sprintf("corscope could not open a connection to %s: it has run out of file descriptors (too many connections open at once); close idle clients, or raise the limit (ulimit -n) before starting corscope", host)
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrRefused, fmt.Sprintf("%s refused the connection: is the server running and listening on that port?", host)
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return ErrTimeout, fmt.Sprintf("%s did not answer in time (%v)", host, unwrapOp(err))
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return ErrReset, fmt.Sprintf("%s closed the connection before the response was complete (%v)", host, unwrapOp(err))
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return ErrRefused, fmt.Sprintf("%s cannot be reached from this machine (%v)", host, unwrapOp(err))
	}
	return ErrOther, fmt.Sprintf("the exchange with %s failed: %v", host, unwrapOp(err))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// unwrapOp drops the "Get \"http://…\": " wrapper of a *url.Error: the
// reason already names the host.
func unwrapOp(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
