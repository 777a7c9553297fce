package capture

import (
	"strings"
	"testing"
)

func TestParseAllowRemote(t *testing.T) {
	for _, tc := range []struct {
		in      []string
		want    string // prefixes joined by space, or the error's key phrase
		wantErr bool
	}{
		{in: nil, want: ""},
		{in: []string{"192.168.1.0/24"}, want: "192.168.1.0/24"},
		{in: []string{"192.168.1.77/24"}, want: "192.168.1.0/24"},
		{in: []string{"10.0.0.5", "fe80::1"}, want: "10.0.0.5/32 fe80::1/128"},
		{in: []string{"10.0.0.5, 10.0.0.6"}, want: "10.0.0.5/32 10.0.0.6/32"},
		{in: []string{"::ffff:10.0.0.5"}, want: "10.0.0.5/32"},
		{in: []string{"0.0.0.0/0"}, want: "any machine", wantErr: true},
		{in: []string{"::/0"}, want: "any machine", wantErr: true},
		{in: []string{"lan"}, want: "not an IP address or CIDR", wantErr: true},
		{in: []string{"10.0.0.0/33"}, want: "not a CIDR", wantErr: true},
	} {
		t.Run(strings.Join(tc.in, ","), func(t *testing.T) {
			got, err := ParseAllowRemote(tc.in)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--allow-remote") {
					t.Fatalf("error %v, want one naming --allow-remote and saying %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, p := range got {
				parts = append(parts, p.String())
			}
			if s := strings.Join(parts, " "); s != tc.want {
				t.Fatalf("got %q, want %q", s, tc.want)
			}
		})
	}
}
