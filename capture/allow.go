package capture

import (
	"fmt"
	"net/netip"
	"strings"
)

// ParseAllowRemote parses --allow-remote values: CIDRs such as
// 192.168.1.0/24 or single addresses such as 192.168.1.5 or fe80::1.
// A prefix that admits every address is refused: corscope is never an
// open proxy.
func ParseAllowRemote(specs []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range specs {
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			var pfx netip.Prefix
			if strings.Contains(part, "/") {
				p, err := netip.ParsePrefix(part)
				if err != nil {
					return nil, fmt.Errorf("--allow-remote %q is not a CIDR: write it like 192.168.1.0/24 or 192.168.1.5", part)
				}
				pfx = p.Masked()
			} else {
				a, err := netip.ParseAddr(part)
				if err != nil {
					return nil, fmt.Errorf("--allow-remote %q is not an IP address or CIDR: write it like 192.168.1.0/24 or 192.168.1.5", part)
				}
				a = a.Unmap()
				pfx = netip.PrefixFrom(a, a.BitLen())
			}
			if pfx.Bits() == 0 {
				return nil, fmt.Errorf("--allow-remote %q would let any machine use the proxy; name the network of your devices instead (e.g. 192.168.1.0/24)", part)
			}
			out = append(out, pfx)
		}
	}
	return out, nil
}
