package analyze

import (
	"flag"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/fix/*.golden from the current output")

// fixScenarios are the specs the golden files pin.
var fixScenarios = []struct {
	name string
	spec FixSpec
}{
	{"credentialed-put-auth-first", FixSpec{
		Origin: "http://localhost:3000", Methods: []string{"PUT"},
		Headers: []string{"authorization", "x-custom"}, Expose: []string{"x-request-id"},
		Credentials: true, MaxAge: 600, Path: "/api/users/7",
		PreflightUnhandled: true, BothLocal: true, APIOrigin: "http://localhost:8080",
	}},
	{"simple-get-production", FixSpec{
		Origin: "https://app.example.com", Methods: []string{"GET"},
		Path: "/v1/me", APIOrigin: "https://api.example.com",
	}},
	{"lowercase-patch-root-path", FixSpec{
		Origin: "http://127.0.0.1:5173", Methods: []string{"patch"},
		Headers: []string{"content-type"}, Path: "/items", BothLocal: true,
		APIOrigin: "http://127.0.0.1:8000",
	}},
}

func renderAll(fixes []Fix) string {
	var b strings.Builder
	for _, f := range fixes {
		b.WriteString("===== " + f.Framework + " (" + f.Language + ")\n")
		b.WriteString(f.String())
	}
	return b.String()
}

func TestFixesMatchGoldenFiles(t *testing.T) {
	for _, sc := range fixScenarios {
		t.Run(sc.name, func(t *testing.T) {
			got := renderAll(Fixes(sc.spec))
			path := filepath.Join("..", "testdata", "fix", sc.name+".golden")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./analyze -run TestFixesMatchGoldenFiles -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("rendered fixes differ from %s; review the change and rerun with -update.\n--- got ---\n%s", path, got)
			}
		})
	}
}

func TestFixesNameEveryValueFromTheSpec(t *testing.T) {
	spec := fixScenarios[0].spec
	fixes := Fixes(spec)
	if len(fixes) != len(Frameworks()) {
		t.Fatalf("BothLocal spec: got %d fixes, want one per framework (%d)", len(fixes), len(Frameworks()))
	}
	for _, f := range fixes {
		if devProxyKey(f.Framework) {
			if !strings.Contains(f.Snippet, spec.APIOrigin) {
				t.Errorf("%s: dev proxy does not target %s", f.Framework, spec.APIOrigin)
			}
			continue
		}
		for _, want := range []string{spec.Origin, "authorization", "x-custom", "x-request-id", "600"} {
			if !strings.Contains(f.Snippet, want) {
				t.Errorf("%s: snippet does not name %q:\n%s", f.Framework, want, f.Snippet)
			}
		}
		if !strings.Contains(strings.ToUpper(f.Snippet), "PUT") {
			t.Errorf("%s: snippet does not allow PUT", f.Framework)
		}
		if !strings.Contains(strings.ToLower(f.Snippet), "true") && !strings.Contains(f.Snippet, "AllowCredentials()") {
			t.Errorf("%s: snippet does not allow credentials", f.Framework)
		}
		if !strings.Contains(f.Note, "before") && !strings.Contains(f.Note, "first") && !strings.Contains(f.Note, "front") && !strings.Contains(f.Note, "outermost") && !strings.Contains(f.Note, "skips preflights") && !strings.Contains(f.Note, "through") {
			t.Errorf("%s: preflight-unhandled note does not say where the CORS layer must sit: %s", f.Framework, f.Note)
		}
		if !strings.HasPrefix(f.Note, unhandledNote) {
			t.Errorf("%s: note does not say the preflight was answered by auth or routing: %s", f.Framework, f.Note)
		}
	}
}

func devProxyKey(k string) bool { return k == "vite" || k == "webpack" || k == "nextjs" }

func TestFixesNeverAllowEveryOrigin(t *testing.T) {
	for _, sc := range fixScenarios {
		for _, f := range Fixes(sc.spec) {
			for _, bad := range []string{`"*"`, `'*'`, `$http_origin`, `origin: true`, `AllowAnyOrigin`, `allowedOriginPatterns`, `%{HTTP:Origin}`, `{header.Origin}`, `r.Header.Get("Origin"))`} {
				if strings.Contains(f.Snippet, bad) {
					t.Errorf("%s/%s: snippet contains %s, which allows any origin:\n%s", sc.name, f.Framework, bad, f.Snippet)
				}
			}
		}
	}
}

func TestFixesRefuseOriginsThatCannotBeAllowedSafely(t *testing.T) {
	for _, origin := range []string{"", "null", "*", "http://localhost:3000/path", "javascript:alert(1)", `http://a.example"; evil`, "http://a.example\nx"} {
		if got := Fixes(FixSpec{Origin: origin, Methods: []string{"PUT"}}); got != nil {
			t.Errorf("Fixes(origin %q) = %d fixes, want none", origin, len(got))
		}
		if _, err := FixFor(FixSpec{Origin: origin}, "express"); err == nil {
			t.Errorf("FixFor(origin %q) gave a fix, want an error", origin)
		}
	}
}

func TestFixesLeaveOutNamesThatCannotBeQuotedSafely(t *testing.T) {
	spec := FixSpec{Origin: "http://localhost:3000", Methods: []string{"PUT", `G"ET`, "P$T"}, Headers: []string{"x-ok", `x-"evil`, "x-`cmd`", "x'q"}}
	for _, f := range Fixes(spec) {
		for _, bad := range []string{`x-"evil`, "`cmd`", "x'q", `G"ET`, "P$T"} {
			if strings.Contains(f.Snippet, bad) {
				t.Errorf("%s: snippet contains the unsafe name %s", f.Framework, bad)
			}
		}
		if !strings.Contains(f.Snippet, "x-ok") {
			t.Errorf("%s: snippet lost the safe header x-ok", f.Framework)
		}
	}
}

func TestFixesOfferDevProxyOnlyWhenBothOriginsAreLocal(t *testing.T) {
	for _, f := range Fixes(fixScenarios[1].spec) {
		if devProxyKey(f.Framework) {
			t.Errorf("non-local spec got the %s dev proxy", f.Framework)
		}
	}
	if _, err := FixFor(fixScenarios[1].spec, "vite"); err != nil {
		t.Errorf("FixFor asked explicitly for vite: %v", err)
	}
}

func TestFrameworkKeyResolvesAliases(t *testing.T) {
	for in, want := range map[string]string{"Express": "express", "net/http": "go", "rs/cors": "rs-cors", "ASP.NET": "aspnet", "rack-cors": "rails", "next.js": "nextjs", " nginx ": "nginx"} {
		if got, ok := FrameworkKey(in); !ok || got != want {
			t.Errorf("FrameworkKey(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := FrameworkKey("cobol"); ok {
		t.Error("FrameworkKey(cobol) resolved")
	}
	if _, err := FixFor(fixScenarios[0].spec, "cobol"); err == nil || !strings.Contains(err.Error(), "express") {
		t.Errorf("FixFor(cobol) error = %v, want one listing the frameworks", err)
	}
}

func TestFixesLowerCaseMethodNote(t *testing.T) {
	for _, f := range Fixes(fixScenarios[2].spec) {
		if !strings.Contains(f.Note, "'patch'") || !strings.Contains(f.Note, "upper-case") {
			t.Errorf("%s: note does not explain the lower-case method: %s", f.Framework, f.Note)
		}
	}
}

// TestFixSnippetsParse checks every snippet with the language's own parser
// where one is on the machine (Go always; node and python3 when
// installed).
func TestFixSnippetsParse(t *testing.T) {
	node, _ := exec.LookPath("node")
	python, _ := exec.LookPath("python3")
	for _, sc := range fixScenarios {
		for _, f := range Fixes(sc.spec) {
			name := sc.name + "/" + f.Framework
			switch f.Framework {
			case "go":
				if _, err := parser.ParseFile(token.NewFileSet(), "x.go", "package p\n\n"+f.Snippet, parser.AllErrors); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			case "rs-cors":
				if _, err := parser.ParseFile(token.NewFileSet(), "x.go", "package p\n\nfunc _() {\n"+f.Snippet+"}\n", parser.AllErrors); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			case "express", "webpack", "nextjs", "vite":
				if node == "" {
					continue
				}
				ext := ".cjs"
				if f.Framework == "vite" {
					ext = ".mjs"
				}
				checkWith(t, name, f.Snippet, ext, node, "--check")
			case "fastapi", "django", "flask":
				if python == "" {
					continue
				}
				checkWith(t, name, f.Snippet, ".py", python, "-m", "py_compile")
			}
		}
	}
	if node == "" || python == "" {
		t.Logf("node found: %v, python3 found: %v (JS/Python snippets parsed only when present)", node != "", python != "")
	}
}

func checkWith(t *testing.T, name, src, ext, tool string, args ...string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "snippet"+ext)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, append(args, path)...).CombinedOutput()
	if err != nil {
		t.Errorf("%s does not parse (%s): %v\n%s\n%s", name, tool, err, out, src)
	}
}
