package har

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corscope/corscope/capture"
	"github.com/corscope/corscope/internal/testenv"
)

// validatorDir holds a pinned npm har-validator; node_modules is installed
// on first use from package-lock.json with npm ci.
const validatorDir = "testdata/validator"

func harValidator(t *testing.T) string {
	t.Helper()
	testenv.LookPath(t, "node", "har-validator needs Node.js: apt-get install -y nodejs npm")
	if _, err := os.Stat(filepath.Join(validatorDir, "node_modules", "har-validator")); err != nil {
		testenv.LookPath(t, "npm", "installing har-validator needs npm: apt-get install -y npm")
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = validatorDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci (har-validator) in %s: %v\n%s", validatorDir, err, out)
		}
	}
	return filepath.Join(validatorDir, "validate.js")
}

func runValidator(t *testing.T, script string, files ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("node", append([]string{script}, files...)...).CombinedOutput()
	return string(out), err
}

func TestExportPassesHARValidator(t *testing.T) {
	script := harValidator(t)
	dir := t.TempDir()
	write := func(name string, flows []capture.Flow, opts Options) string {
		p := filepath.Join(dir, name)
		if err := WriteFile(p, flows, opts); err != nil {
			t.Fatal(err)
		}
		return p
	}
	files := []string{
		write("sample.har", sampleFlows(), Options{Version: "1.0.0"}),
		write("sample-secrets.har", sampleFlows(), Options{IncludeSecrets: true}),
		write("empty.har", nil, Options{}),
		write("extra.har", sampleFlows(), Options{Extra: func(i int, f capture.Flow) map[string]any {
			return map[string]any{"_cors": map[string]any{"kind": "blocked", "pairedWith": i - 1, "warnings": []any{}}}
		}}),
	}
	inputs, _ := filepath.Glob("testdata/har/*.har")
	for _, in := range inputs {
		flows, err := ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, write("re-"+filepath.Base(in), flows, Options{}))
	}
	out, err := runValidator(t, script, files...)
	if err != nil {
		t.Fatalf("har-validator rejected corscope's export:\n%s", out)
	}
	if n := strings.Count(out, "valid "); n != len(files) {
		t.Fatalf("har-validator reported %d valid files of %d:\n%s", n, len(files), out)
	}
}

// A broken file must fail the validator, so a pass above means something.
func TestHARValidatorRejectsABrokenExport(t *testing.T) {
	script := harValidator(t)
	var buf bytes.Buffer
	if err := Write(&buf, sampleFlows()[:1], Options{}); err != nil {
		t.Fatal(err)
	}
	broken := bytes.Replace(buf.Bytes(), []byte(`"method":"OPTIONS",`), nil, 1)
	p := filepath.Join(t.TempDir(), "broken.har")
	os.WriteFile(p, broken, 0o600)
	if out, err := runValidator(t, script, p); err == nil {
		t.Fatalf("har-validator accepted an entry without request.method:\n%s", out)
	}
}
