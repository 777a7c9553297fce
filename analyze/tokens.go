package analyze

import (
	"sort"
	"strings"
)

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110
// tchar), the test Chromium applies to every element of
// Access-Control-Allow-Methods and Access-Control-Allow-Headers.
func isTokenChar(c byte) bool {
	if c <= 0x20 || c >= 0x7f {
		return false
	}
	switch c {
	case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
		return false
	}
	return true
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// isListSpace is the whitespace Chromium trims around list elements
// (base::TRIM_WHITESPACE on ASCII: space, tab, LF, VT, FF, CR).
func isListSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func trimListSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isListSpace(s[i]) {
		i++
	}
	for j > i && isListSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// parseAllowList parses an Access-Control-Allow-Methods or -Headers value
// the way Chromium's preflight result does: split on commas, trim, skip
// empty elements, and fail if any element is not an HTTP token. When lower
// is set the elements are lower-cased (header names); methods keep their
// case. It returns the elements and the first offending one on failure.
func parseAllowList(v string, lower bool) (items []string, bad string, ok bool) {
	if v != "" {
		items = make([]string, 0, strings.Count(v, ",")+1) // one allocation
	}
	for len(v) > 0 {
		var part string
		if c := strings.IndexByte(v, ','); c >= 0 {
			part, v = v[:c], v[c+1:]
		} else {
			part, v = v, ""
		}
		part = trimListSpace(part)
		if part == "" {
			continue
		}
		if !isToken(part) {
			return nil, part, false
		}
		if lower {
			part = lowerASCII(part)
		}
		items = append(items, part)
	}
	return items, "", true
}

// parseRequestHeaderList parses Access-Control-Request-Headers: names,
// lower-cased, sorted and de-duplicated. Chromium already sends them that
// way; other clients may not.
func parseRequestHeaderList(v string) []string {
	var out []string
	if v != "" {
		out = make([]string, 0, strings.Count(v, ",")+1) // one allocation
	}
	for len(v) > 0 {
		var part string
		if c := strings.IndexByte(v, ','); c >= 0 {
			part, v = v[:c], v[c+1:]
		} else {
			part, v = v, ""
		}
		part = trimListSpace(part)
		if part == "" {
			continue
		}
		out = append(out, lowerASCII(part))
	}
	if !sort.StringsAreSorted(out) {
		sort.Strings(out)
	}
	return dedupSorted(out)
}

func dedupSorted(s []string) []string {
	if len(s) < 2 {
		return s
	}
	j := 1
	for i := 1; i < len(s); i++ {
		if s[i] != s[j-1] {
			s[j] = s[i]
			j++
		}
	}
	return s[:j]
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
