package capture

import (
	"strings"
	"testing"
)

func TestParseByteSizeReadsWhatPeopleWrite(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"512MiB", 512 << 20}, {"512mib", 512 << 20}, {"512M", 512 << 20}, {"2GiB", 2 << 30},
		{"1.5GiB", 3 << 29}, {"300MB", 300e6}, {"64KiB", 64 << 10}, {"65536", 65536}, {"10b", 10},
		{" 1 GiB ", 1 << 30}, {"0", 0},
	} {
		got, err := ParseByteSize(tc.in)
		if err != nil || int64(got) != tc.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "lots", "-1MiB", "12XB", "1e30GiB"} {
		if _, err := ParseByteSize(bad); err == nil || !strings.Contains(err.Error(), "512MiB") {
			t.Errorf("ParseByteSize(%q) error %v; want one with an example", bad, err)
		}
	}
	for _, tc := range []struct {
		in   ByteSize
		want string
	}{{512 << 20, "512MiB"}, {3 << 29, "1536MiB"}, {1000, "1000"}, {0, "0"}} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}
