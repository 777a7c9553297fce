package ui

import (
	"strings"
	"testing"

	"github.com/corscope/corscope/capture"
)

// fixtureRows builds rows for the mixed fixture with IDs 1..n; 4 and 7
// are marked.
func fixtureRows() []*row {
	var rows []*row
	for i, x := range mixedFixture() {
		f := x.f
		f.ID = capture.FlowID(i + 1)
		var v = x.v
		if v != nil {
			vv := *v
			vv.Flow = f.ID
			v = &vv
		}
		r := newRow(&f, v, 0)
		r.marked = f.ID == 4 || f.ID == 7
		rows = append(rows, r)
	}
	return rows
}

// matchIDs returns the display entries a filter keeps, as "3", "3g" (the
// ghost of 3) …
func matchIDs(t *testing.T, src string) string {
	t.Helper()
	f, err := ParseFilter(src)
	if err != nil {
		t.Fatalf("ParseFilter(%q): %v", src, err)
	}
	var out []string
	for _, e := range filterEntries(fixtureRows(), f, nil) {
		s := idText(e.id())
		if e.ghost() {
			s += "g"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// The fixture: 1,2 not-cors page loads · 3 failed OPTIONS (+ghost PUT) ·
// 4 allowed GET with a warning · 5,6 allowed preflight + POST · 7 blocked
// font · 8 undecidable · 9 cache-served PUT · 10 pending POST · 11 failed.
func TestFilterMatches(t *testing.T) {
	cases := []struct{ filter, want string }{
		{"", "1 2 3 3g 4 5 6 7 8 9 10 11"},
		{"   ", "1 2 3 3g 4 5 6 7 8 9 10 11"},
		{"api/users", "3 3g 9"},
		{"API/USERS", "3 3g 9"},
		{"url:/v1/", "5 6"},
		{"method:PUT", "3g 9"},
		{"method:put,post", "3g 6 9 10"},
		{"method:OPTIONS", "3 5"},
		{"status:4xx", "3"},
		{"status:2xx", "1 2 4 5 6 7 8 9"},
		{"status:20x", "1 2 4 5 6 7 8 9"},
		{"status:200", "1 2 4 7 8 9"},
		{"status:204", "5"},
		{"status:200-204", "1 2 4 5 6 7 8 9"},
		{"status:0", "3g 10 11"},
		{"host:example.test", "5 6 7"},
		{"host:LOCALHOST:8080", "3 3g 4 8 9 10"},
		{"origin:localhost:3000", "3 3g 4 5 6 7 8 9 10 11"},
		{"cors:blocked", "3 3g 7"},
		{"cors:allowed", "4 5 6 9"},
		{"cors:warning", "4"},
		{"cors:warn", "4"},
		{"cors:not-cors", "1 2"},
		{"cors:undecidable", "8"},
		{"cors:pending", "10"},
		{"cors:failed", "11"},
		{"cors:blocked,failed", "3 3g 7 11"},
		{"label:Preflight*", "3 3g"},
		{"label:*AllowOrigin*", "3 3g 7"},
		{"label:missingalloworiginheader", "7"},
		{"label:allowed", "4 5 6 9"},
		{"kind:preflight", "3 5"},
		{"kind:actual", "3g 6 9"},
		{"kind:simple", "4 7 8 10 11"},
		{"kind:not-cors", "1 2"},
		{"!cors:not-cors", "3 3g 4 5 6 7 8 9 10 11"},
		{"cors:blocked !kind:preflight", "3g 7"},
		{"host:localhost:8080 method:GET", "4 8"},
		{"localhost:3000", "1 2"},
		{"http://localhost:9999", "11"},
		{`url:"api/users"`, "3 3g 9"},
		{"is:marked", "4 7"},
		{"IS:Marked", "4 7"},
		{"!is:marked cors:blocked", "3 3g"},
		{"ws://localhost", ""}, // a URL word, not a typo of is:
		{"nothing-matches-this", ""},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			if got := matchIDs(t, c.filter); got != c.want {
				t.Errorf("filter %q kept [%s], want [%s]", c.filter, got, c.want)
			}
		})
	}
}

func TestFilterErrors(t *testing.T) {
	cases := []struct{ filter, wantMsg string }{
		{"stauts:4xx", `did you mean status:?`},
		{"metod:PUT", `did you mean method:?`},
		{"cros:blocked", `did you mean cors:?`},
		{"method:", "method: needs a value"},
		{"status:abc", "not a status"},
		{"status:4xxx", "not a status"},
		{"status:500-400", "not a status"},
		{"cors:maybe", "cors:maybe is not a verdict"},
		{"kind:weird", "kind:weird is not a kind"},
		{"!", "! needs a term"},
		{"!!cors:blocked", "single !"},
		{`url:"open`, "unclosed quote"},
		{"method:PUT,", "empty alternative"},
		{"is:open", "is:open is not a state: use is:marked"},
		{"is:", "is: needs a value, e.g. is:marked"},
	}
	for _, c := range cases {
		t.Run(c.filter, func(t *testing.T) {
			f, err := ParseFilter(c.filter)
			if err == nil {
				t.Fatalf("ParseFilter(%q) = %v, want an error", c.filter, f)
			}
			if !strings.Contains(err.Error(), c.wantMsg) {
				t.Errorf("error %q does not say %q", err, c.wantMsg)
			}
		})
	}
}

func TestGlobFold(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"preflight*", "PreflightMissingAllowOriginHeader", true},
		{"*header", "PreflightMissingAllowOriginHeader", true},
		{"*allow*origin*", "PreflightAllowOriginMismatch", true},
		{"preflight", "PreflightAllowOriginMismatch", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"**a", "a", true},
	}
	for _, c := range cases {
		if got := globFold(c.pat, c.s); got != c.want {
			t.Errorf("globFold(%q, %q) = %v, want %v", c.pat, c.s, got, c.want)
		}
	}
}

// FuzzParseFilter: any input either parses or returns a FilterError; a
// parsed filter matches every fixture row without panicking, and its
// String re-parses to the same result.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"", "cors:blocked !kind:preflight", `url:"a b"`, "status:4xx,200-299", "label:*a*b*", "!", "a:b:c", "\x00\xff", "method:,", `"`} {
		f.Add(s)
	}
	rows := fixtureRows()
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			if _, ok := err.(*FilterError); !ok {
				t.Fatalf("error of type %T, want *FilterError", err)
			}
			return
		}
		got := filterEntries(rows, flt, nil)
		again, err := ParseFilter(flt.String())
		if err != nil {
			t.Fatalf("String() %q of a valid filter does not parse: %v", flt.String(), err)
		}
		if back := filterEntries(rows, again, nil); len(back) != len(got) {
			t.Fatalf("re-parsed filter keeps %d entries, original %d", len(back), len(got))
		}
	})
}
