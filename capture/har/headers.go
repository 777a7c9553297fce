package har

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/corscope/corscope/capture"
)

// interner shares the strings that repeat across thousands of entries
// (header names, short values such as "gzip" or "*"), so a large import
// keeps one copy of each.
type interner map[string]string

const internMax = 48

func (in interner) bytes(b []byte) string {
	if len(b) > internMax {
		return string(b)
	}
	if s, ok := in[string(b)]; ok { // no allocation for the lookup
		return s
	}
	s := string(b)
	if len(in) < 1<<16 {
		in[s] = s
	}
	return s
}

// parseHeaders reads a header list kept raw by the entry decoder. The
// common shape, [{"name": "…", "value": "…"}, …] with string members,
// is read in one pass without reflection; anything else goes through the
// lenient decoder.
func parseHeaders(raw json.RawMessage, in interner) capture.Headers {
	if len(raw) == 0 || raw[0] == 'n' {
		return nil
	}
	if h, ok := fastHeaders(raw, in); ok {
		return h
	}
	var lh lenientHeaders
	if err := lh.UnmarshalJSON(raw); err != nil {
		return nil
	}
	return capture.Headers(lh)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// readString reads the JSON string starting at b[i] == '"' and returns
// its value and the index after it. b is known to be valid JSON.
func readString(b []byte, i int, in interner) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", i, false
	}
	j := i + 1
	escaped := false
	for j < len(b) && b[j] != '"' {
		if b[j] == '\\' {
			escaped = true
			j++
		}
		j++
	}
	if j >= len(b) {
		return "", i, false
	}
	if !escaped {
		s := b[i+1 : j]
		if !utf8.Valid(s) {
			return string([]rune(string(s))), j + 1, true // replaces bad bytes with U+FFFD
		}
		return in.bytes(s), j + 1, true
	}
	var s string
	if err := json.Unmarshal(b[i:j+1], &s); err != nil {
		return "", i, false
	}
	return s, j + 1, true
}

func fastHeaders(b []byte, in interner) (capture.Headers, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	out := make(capture.Headers, 0, 16)
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ']':
			return out, true
		case ',':
			i++
			continue
		case '{':
		default:
			return nil, false
		}
		i++
		var name, value string
		for {
			i = skipSpace(b, i)
			if i >= len(b) {
				return nil, false
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] == ',' {
				i++
				continue
			}
			key, next, ok := readString(b, i, in)
			if !ok {
				return nil, false
			}
			i = skipSpace(b, next)
			if i >= len(b) || b[i] != ':' {
				return nil, false
			}
			i = skipSpace(b, i+1)
			val, next, ok := readString(b, i, in)
			if !ok {
				return nil, false // a number, null or object: the lenient path
			}
			i = next
			switch key {
			case "name":
				name = val
			case "value":
				value = val
			}
		}
		if name != "" {
			out = append(out, capture.Header{Name: name, Value: value})
		}
	}
}
