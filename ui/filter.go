package ui

import (
	"fmt"
	"strings"

	"github.com/corscope/corscope/analyze"
)

// The filter language, kept small and close to what users know from
// DevTools' and mitmproxy's filter boxes:
//
//	users                 bare words match the URL (case-insensitive substring)
//	method:PUT            method, comma for alternatives: method:put,delete
//	status:4xx            code or class: 404, 4xx, 40x, 400-499; 0 = no response
//	host:api.             substring of the URL's host[:port]
//	origin:localhost:3000 substring of the page origin (the Origin header)
//	cors:blocked          blocked|allowed|warning|not-cors|undecidable|pending|failed
//	label:Preflight*      Chrome's CorsError name (or the kind), * is a wildcard
//	kind:preflight        preflight|actual|simple|not-cors
//	url:/v1/              explicit form of a bare word
//	is:marked             the flows marked with m
//	!term                 negation; terms separated by spaces must all match
//
// Values may be double-quoted to hold spaces: url:"a b". Parsing never
// panics; a bad filter is an error the UI shows inline.

// Filter is a parsed filter expression.
type Filter struct {
	src   string
	terms []term
}

type field uint8

const (
	fieldURL field = iota
	fieldMethod
	fieldStatus
	fieldHost
	fieldOrigin
	fieldCORS
	fieldLabel
	fieldKind
	fieldIs
)

// fieldNames are the prefixes a term may start with, in the order the
// error messages list them.
var fieldNames = []struct {
	name string
	f    field
}{
	{"method", fieldMethod}, {"status", fieldStatus}, {"host", fieldHost},
	{"origin", fieldOrigin}, {"cors", fieldCORS}, {"label", fieldLabel},
	{"kind", fieldKind}, {"url", fieldURL}, {"is", fieldIs},
}

// corsValues name the verdict classes cors: accepts.
var corsValues = []struct {
	name string
	bit  uint16
}{
	{"blocked", 1 << 0}, {"allowed", 1 << 1}, {"warning", 1 << 2}, {"not-cors", 1 << 3},
	{"undecidable", 1 << 4}, {"pending", 1 << 5}, {"failed", 1 << 6},
}

var corsAliases = map[string]string{"warn": "warning", "warnings": "warning", "notcors": "not-cors", "block": "blocked", "allow": "allowed", "ok": "allowed"}

var kindValues = []struct {
	name string
	role analyze.Role
}{
	{"preflight", analyze.RolePreflight}, {"actual", analyze.RoleActual},
	{"simple", analyze.RoleSimple}, {"not-cors", analyze.RoleNotCORS},
}

type term struct {
	neg  bool
	f    field
	text string   // lower-cased needle (url, host, origin) or glob (label)
	list []string // methods (upper-cased) or kind roles
	// status: each pattern is three bytes of digits or 'x'; lo/hi ranges.
	status []statusPat
	cors   uint16
}

type statusPat struct {
	pat    [3]byte
	lo, hi int // a range when pat[0] == 0
}

// FilterError is a filter the parser rejected, with the 0-based byte
// offset of the term at fault.
type FilterError struct {
	Pos int
	Msg string
}

func (e *FilterError) Error() string { return e.Msg }

// ParseFilter parses s. An empty or all-space s yields (nil, nil): no
// filter.
func ParseFilter(s string) (*Filter, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, nil
	}
	f := &Filter{src: strings.Trim(s, " \t\n\r\v\f")}
	for _, tk := range toks {
		t, err := parseTerm(tk.s, tk.pos)
		if err != nil {
			return nil, err
		}
		f.terms = append(f.terms, t)
	}
	return f, nil
}

// String returns the filter as typed (trimmed).
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.src
}

type token struct {
	s   string
	pos int
}

// tokenize splits on spaces outside double quotes and removes the quotes.
func tokenize(s string) ([]token, error) {
	var toks []token
	var b strings.Builder
	in, quoted, start := false, false, 0
	quoteAt := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			if !in {
				in, start = true, i
			}
			quoted = !quoted
			quoteAt = i
		case (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') && !quoted:
			if in {
				toks = append(toks, token{b.String(), start})
				b.Reset()
				in = false
			}
		default:
			if !in {
				in, start = true, i
			}
			b.WriteByte(c)
		}
	}
	if quoted {
		return nil, &FilterError{quoteAt, `unclosed quote: add the closing "`}
	}
	if in {
		toks = append(toks, token{b.String(), start})
	}
	return toks, nil
}

func parseTerm(s string, pos int) (term, error) {
	var t term
	if strings.HasPrefix(s, "!") {
		t.neg = true
		s = s[1:]
		if s == "" {
			return t, &FilterError{pos, "! needs a term after it, e.g. !cors:allowed"}
		}
		if strings.HasPrefix(s, "!") {
			return t, &FilterError{pos, "use a single ! to negate a term"}
		}
	}
	name, value, hasColon := strings.Cut(s, ":")
	if !hasColon || name == "" {
		t.f, t.text = fieldURL, strings.ToLower(s)
		return t, nil
	}
	lname := strings.ToLower(name)
	fld, known := lookupField(lname)
	if !known {
		if guess := nearestField(lname); guess != "" {
			return t, &FilterError{pos, fmt.Sprintf("unknown field %q: did you mean %s:?", name+":", guess)}
		}
		// Not a field at all: "localhost:3000", "http://x" are URL words.
		t.f, t.text = fieldURL, strings.ToLower(s)
		return t, nil
	}
	t.f = fld
	if value == "" {
		return t, &FilterError{pos, fmt.Sprintf("%s: needs a value, e.g. %s", lname, example(fld))}
	}
	switch fld {
	case fieldURL, fieldHost, fieldOrigin:
		t.text = strings.ToLower(value)
	case fieldLabel:
		t.text = strings.ToLower(value)
	case fieldMethod:
		for _, m := range strings.Split(value, ",") {
			if m == "" {
				return t, &FilterError{pos, "method: has an empty alternative; write method:PUT,DELETE"}
			}
			t.list = append(t.list, strings.ToUpper(m))
		}
	case fieldStatus:
		for _, p := range strings.Split(value, ",") {
			sp, ok := parseStatus(p)
			if !ok {
				return t, &FilterError{pos, fmt.Sprintf("status:%s is not a status: use a code or class like 404, 4xx or 400-499", value)}
			}
			t.status = append(t.status, sp)
		}
	case fieldCORS:
		for _, v := range strings.Split(strings.ToLower(value), ",") {
			if a, ok := corsAliases[v]; ok {
				v = a
			}
			bit := uint16(0)
			for _, cv := range corsValues {
				if cv.name == v {
					bit = cv.bit
				}
			}
			if bit == 0 {
				return t, &FilterError{pos, fmt.Sprintf("cors:%s is not a verdict: use blocked, allowed, warning, not-cors, undecidable, pending or failed", v)}
			}
			t.cors |= bit
		}
	case fieldKind:
		for _, v := range strings.Split(strings.ToLower(value), ",") {
			ok := false
			for _, kv := range kindValues {
				if kv.name == v {
					t.list = append(t.list, string(kv.role))
					ok = true
				}
			}
			if !ok {
				return t, &FilterError{pos, fmt.Sprintf("kind:%s is not a kind: use preflight, actual, simple or not-cors", v)}
			}
		}
	case fieldIs:
		if !strings.EqualFold(value, "marked") {
			return t, &FilterError{pos, fmt.Sprintf("is:%s is not a state: use is:marked (the flows marked with m)", value)}
		}
	}
	return t, nil
}

func lookupField(name string) (field, bool) {
	for _, fn := range fieldNames {
		if fn.name == name {
			return fn.f, true
		}
	}
	return 0, false
}

func example(f field) string {
	switch f {
	case fieldMethod:
		return "method:PUT"
	case fieldStatus:
		return "status:4xx"
	case fieldHost:
		return "host:api."
	case fieldOrigin:
		return "origin:localhost:3000"
	case fieldCORS:
		return "cors:blocked"
	case fieldLabel:
		return "label:Preflight*"
	case fieldKind:
		return "kind:preflight"
	case fieldIs:
		return "is:marked"
	}
	return "url:/api/"
}

// nearestField returns the field name a mistyped prefix most likely meant,
// or "" when the prefix does not look like a field (so "localhost:3000"
// stays a URL word while "stauts:404" is caught).
func nearestField(name string) string {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 'a' || c > 'z' {
			return ""
		}
	}
	best, bestD := "", 3
	for _, fn := range fieldNames {
		if len(fn.name) < 3 {
			continue // is: is one typo away from ws:, ip:, id:, which are URL words
		}
		if d := editDistance(name, fn.name); d < bestD && d <= len(fn.name)/2 {
			best, bestD = fn.name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short ASCII strings.
func editDistance(a, b string) int {
	if len(a) > 32 || len(b) > 32 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func parseStatus(p string) (statusPat, bool) {
	var sp statusPat
	if lo, hi, ok := strings.Cut(p, "-"); ok {
		l, okl := atoi3(lo)
		h, okh := atoi3(hi)
		if !okl || !okh || l > h {
			return sp, false
		}
		sp.lo, sp.hi = l, h
		return sp, true
	}
	if p == "0" {
		return statusPat{lo: 0, hi: 0}, true
	}
	if len(p) != 3 {
		return sp, false
	}
	for i := 0; i < 3; i++ {
		c := p[i]
		switch {
		case c >= '0' && c <= '9':
		case c == 'x' || c == 'X':
			c = 'x'
		default:
			return sp, false
		}
		sp.pat[i] = c
	}
	return sp, true
}

func atoi3(s string) (int, bool) {
	if len(s) == 0 || len(s) > 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func (sp statusPat) match(code int) bool {
	if sp.pat[0] == 0 {
		return code >= sp.lo && code <= sp.hi
	}
	if code < 100 || code > 999 {
		return false
	}
	d := [3]byte{byte('0' + code/100), byte('0' + code/10%10), byte('0' + code%10)}
	for i := 0; i < 3; i++ {
		if sp.pat[i] != 'x' && sp.pat[i] != d[i] {
			return false
		}
	}
	return true
}

// match reports whether the display entry (a flow, or the ghost of the
// actual request its failed preflight never let through) passes f.
func (f *Filter) match(r *row, ghost bool) bool {
	if f == nil {
		return true
	}
	for i := range f.terms {
		if f.terms[i].match(r, ghost) == f.terms[i].neg {
			return false
		}
	}
	return true
}

func (t *term) match(r *row, ghost bool) bool {
	v := r.v
	switch t.f {
	case fieldURL:
		return containsFold(r.f.Request.URL, t.text)
	case fieldHost:
		return containsFold(r.host, t.text)
	case fieldOrigin:
		return containsFold(r.origin, t.text)
	case fieldMethod:
		m := r.f.Request.Method
		if ghost && v != nil {
			m = v.Method
		}
		for _, want := range t.list {
			if strings.EqualFold(m, want) {
				return true
			}
		}
		return false
	case fieldStatus:
		code := 0
		if !ghost && r.f.Response != nil {
			code = r.f.Response.Status
		}
		for _, sp := range t.status {
			if sp.match(code) {
				return true
			}
		}
		return false
	case fieldCORS:
		if v == nil {
			return false
		}
		var have uint16
		switch v.Kind {
		case analyze.KindBlocked:
			have = 1 << 0
		case analyze.KindAllowed:
			have = 1 << 1
		case analyze.KindNotCORS:
			have = 1 << 3
		case analyze.KindUndecidable:
			have = 1 << 4
		case analyze.KindPending:
			have = 1 << 5
		case analyze.KindFailed:
			have = 1 << 6
		}
		if len(v.Warnings) > 0 {
			have |= 1 << 2
		}
		return have&t.cors != 0
	case fieldLabel:
		if v == nil {
			return false
		}
		return globFold(t.text, v.Label())
	case fieldKind:
		if v == nil {
			return false
		}
		role := string(v.Role)
		if ghost {
			role = string(analyze.RoleActual)
		}
		for _, want := range t.list {
			if role == want {
				return true
			}
		}
		return false
	case fieldIs:
		return r.marked
	}
	return false
}

// containsFold reports whether s contains the lower-case needle, ignoring
// ASCII case, without allocating.
func containsFold(s, lowerNeedle string) bool {
	n := len(lowerNeedle)
	if n == 0 {
		return true
	}
	if n > len(s) {
		return false
	}
	first := lowerNeedle[0]
	for i := 0; i+n <= len(s); i++ {
		if lowerASCII(s[i]) != first {
			continue
		}
		j := 1
		for j < n && lowerASCII(s[i+j]) == lowerNeedle[j] {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// globFold matches s against a lower-case pattern where * stands for any
// run of bytes, ignoring ASCII case; without a * it is an exact match.
func globFold(pat, s string) bool {
	// Iterative wildcard matching with one backtrack point: linear for
	// the patterns people type, never exponential.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pat) && pat[p] == '*':
			star, mark = p, i
			p++
		case p < len(pat) && pat[p] == lowerASCII(s[i]):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}
