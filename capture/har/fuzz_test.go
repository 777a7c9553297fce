package har

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds the importer arbitrary bytes. It must never panic, must
// fail only with a *SyntaxError or an *inputError, and whatever it reads
// must export to a file that follows the HAR and Chrome importer rules and
// reads back to the same number of flows.
func FuzzRead(f *testing.F) {
	f.Add([]byte(minimalHAR(minimalEntry)))
	f.Add([]byte(minimalHAR(minimalEntry, minimalEntry)))
	f.Add([]byte(`{"log":{"entries":[{"request":{"headers":[["a","b"],{"name":1}]},"response":{"status":"0","_error":"x"}}]}}`))
	f.Add(append([]byte(utf8BOM), minimalHAR()...))
	f.Add(utf16LE(minimalHAR(minimalEntry)))
	f.Add(compress("gzip", minimalHAR(minimalEntry)))
	f.Add([]byte(`{"log":{"entries":[{"startedDateTime":"bad","timings":{"send":-5,"wait":"1e400"}}]}}`))
	for _, name := range []string{"postdata.har", "insomnia.har", "chrome-nodejs-org-credentialed-xorigin-fetch.har"} {
		if b, err := os.ReadFile(filepath.Join("testdata/har", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		flows, err := Read(bytes.NewReader(data))
		if err != nil {
			var se *SyntaxError
			var ie *inputError
			if !errors.As(err, &se) && !errors.As(err, &ie) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		var out bytes.Buffer
		if err := Write(&out, flows, Options{IncludeSecrets: true}); err != nil {
			t.Fatalf("cannot export what was imported: %v", err)
		}
		if v := harRuleViolations(out.Bytes()); len(v) > 0 {
			t.Fatalf("export of imported flows breaks the rules: %v", v)
		}
		back, err := Read(&out)
		if err != nil || len(back) != len(flows) {
			t.Fatalf("re-import: %d flows of %d, %v", len(back), len(flows), err)
		}
	})
}
