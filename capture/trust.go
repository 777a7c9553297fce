package capture

import (
	"fmt"
	"strings"
	"time"
)

// TrustInstructions explains where the CA is and how to trust and later
// remove it in Chromium, Firefox and the system store. proxyAddr is the
// proxy's address for the example command lines.
func (ca *CA) TrustInstructions(proxyAddr string) string {
	if proxyAddr == "" {
		proxyAddr = DefaultListen
	}
	cert, name, spki := ca.CertPath, ca.Name(), ca.SPKIHash()
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }

	w("corscope's CA: %q, valid until %s", name, ca.NotAfter().Format(time.DateOnly))
	w("  certificate  %s", cert)
	w("  private key  %s  (mode 0600; never share it)", ca.KeyPath)
	w("  SPKI sha256  %s", spki)
	w("")
	w("The CA is made for this machine only. A browser must trust it before")
	w("corscope can show it HTTPS traffic; plain HTTP needs nothing.")
	w("")
	w("Chromium / Chrome, one throw-away profile, nothing installed:")
	w("  corscope browser")
	w("  or by hand:")
	w("  chromium --user-data-dir=\"$(mktemp -d)\" --proxy-server=%s \\", proxyAddr)
	w("    --proxy-bypass-list='<-loopback>' --ignore-certificate-errors-spki-list=%s", spki)
	w("  ('<-loopback>' makes Chromium send localhost traffic through the proxy too;")
	w("  the SPKI flag is only honoured with a separate --user-data-dir.)")
	w("")
	w("Firefox (has its own store):")
	w("  Settings > Privacy & Security > Certificates > View Certificates > Authorities")
	w("  > Import..., choose %s, tick \"Trust this CA to identify websites\".", cert)
	w("  For localhost traffic, set network.proxy.allow_hijacking_localhost = true")
	w("  in about:config.")
	w("")
	w("System store (curl, most tools; Chrome on macOS and Windows):")
	w("  Debian/Ubuntu  sudo cp %s /usr/local/share/ca-certificates/corscope.crt && sudo update-ca-certificates", cert)
	w("  Fedora         sudo cp %s /etc/pki/ca-trust/source/anchors/corscope.pem && sudo update-ca-trust", cert)
	w("  macOS          sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain %s", cert)
	w("  Windows        certutil -addstore -f Root %s", cert)
	w("  Chrome on Linux (NSS)  certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n corscope -i %s", cert)
	w("")
	w("Remove it when you are done:")
	w("  Firefox        the same dialog: select %q, Delete or Distrust", name)
	w("  Debian/Ubuntu  sudo rm /usr/local/share/ca-certificates/corscope.crt && sudo update-ca-certificates --fresh")
	w("  Fedora         sudo rm /etc/pki/ca-trust/source/anchors/corscope.pem && sudo update-ca-trust")
	w("  macOS          sudo security delete-certificate -c %q /Library/Keychains/System.keychain", name)
	w("  Windows        certutil -delstore Root %q", name)
	w("  NSS            certutil -d sql:$HOME/.pki/nssdb -D -n corscope")
	w("  then retire the key: rm %s %s", ca.KeyPath, ca.CertPath)
	return b.String()
}
