package analyze

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corscope/corscope/capture"
)

// TestProbeCommandExitCodes builds the real corscope binary and runs
// `corscope probe` the way a user or a CI script does: exit 0 allowed,
// 1 blocked, 2 usage or network error, with one clear line on stderr.
func TestProbeCommandExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the corscope binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is needed to build corscope")
	}
	bin := filepath.Join(t.TempDir(), "corscope")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	good, _ := apiServer(t, goodCORS)
	authFirst, _ := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	})
	// Echoes any origin with credentials: allowed for the page, and the
	// audit's first finding.
	reflecting, _ := apiServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Access-Control-Allow-Methods", "GET, PUT")
		w.Header().Set("Access-Control-Allow-Headers", "authorization, x-custom")
		w.WriteHeader(http.StatusNoContent)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String() + "/api"
	l.Close()

	put := []string{"-X", "PUT", "-H", "Authorization: Bearer t", "-H", "X-Custom: 1", "--credentials"}
	tests := []struct {
		name     string
		args     []string
		wantExit int
		stdout   string // substring of stdout
		stderr   string // substring of stderr
	}{
		{"allowed credentialed PUT", append(append([]string{"probe", "--origin", pageOrigin}, put...), good.URL+"/api/users"), 0, "ALLOWED", ""},
		{"preflight answered by auth", append(append([]string{"probe", "--origin", pageOrigin}, put...), authFirst.URL+"/api/users"), 1, "PreflightMissingAllowOriginHeader", ""},
		{"blocked with one framework's fix", append(append([]string{"probe", "--origin", pageOrigin, "--framework", "express"}, put...), authFirst.URL+"/api/users"), 1, "app.use(cors({", ""},
		{"audit of an exact allow-list", append(append([]string{"probe", "--audit", "--origin", pageOrigin}, put...), good.URL+"/api/users"), 0, "Audit result: no mistake found in the checks that apply", ""},
		{"audit finds an echoed origin", append(append([]string{"probe", "--audit", "--origin", "https://app.example.com"}, put...), reflecting.URL+"/api/users"), 1, "HIGH     any-origin     Origin: https://corscope-audit.example → allowed, with Access-Control-Allow-Credentials: true", ""},
		{"connection refused", []string{"probe", "--origin", pageOrigin, refused}, 2, "", "onnection refused to"},
		{"missing --origin", []string{"probe", good.URL}, 2, "", "origin"},
		{"not an origin", []string{"probe", "--origin", "localhost:3000", good.URL}, 2, "", "not an origin"},
		{"unknown framework", []string{"probe", "--origin", pageOrigin, "--framework", "cobol", good.URL}, 2, "", "express"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = append(cmd.Environ(), "CORSCOPE_HOME="+t.TempDir(), "NO_COLOR=1")
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantExit {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantExit, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, stderr.String())
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		cmd := exec.Command(bin, append(append([]string{"probe", "--json", "--origin", pageOrigin}, put...), authFirst.URL+"/api/users")...)
		cmd.Env = append(cmd.Environ(), "CORSCOPE_HOME="+t.TempDir())
		out, _ := cmd.Output()
		if cmd.ProcessState.ExitCode() != 1 {
			t.Errorf("exit %d, want 1", cmd.ProcessState.ExitCode())
		}
		var doc struct {
			Verdict string `json:"verdict"`
			Error   string `json:"error"`
			Fixes   []struct {
				Framework string `json:"framework"`
			} `json:"fixes"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, out)
		}
		if doc.Verdict != "blocked" || doc.Error != "PreflightMissingAllowOriginHeader" || len(doc.Fixes) == 0 {
			t.Errorf("json = %+v", doc)
		}
	})

	t.Run("audit json", func(t *testing.T) {
		cmd := exec.Command(bin, append(append([]string{"probe", "--json", "--audit", "--origin", "https://app.example.com"}, put...), reflecting.URL+"/api/users")...)
		cmd.Env = append(cmd.Environ(), "CORSCOPE_HOME="+t.TempDir())
		out, _ := cmd.Output()
		var doc struct {
			Verdict  string `json:"verdict"`
			ExitCode int    `json:"exitCode"`
			Audit    struct {
				Method string `json:"method"`
				Worst  string `json:"worst"`
				Checks []struct {
					Name     string `json:"name"`
					Trusted  bool   `json:"trusted"`
					Severity string `json:"severity"`
				} `json:"checks"`
			} `json:"audit"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, out)
		}
		if cmd.ProcessState.ExitCode() != 1 || doc.ExitCode != 1 || doc.Verdict != "allowed" {
			t.Errorf("exit %d, exitCode %d, verdict %q; want 1, 1, allowed (the audit decides)", cmd.ProcessState.ExitCode(), doc.ExitCode, doc.Verdict)
		}
		if doc.Audit.Method != "OPTIONS" || doc.Audit.Worst != "high" || len(doc.Audit.Checks) != 10 ||
			doc.Audit.Checks[0].Name != "any-origin" || !doc.Audit.Checks[0].Trusted || doc.Audit.Checks[0].Severity != "high" {
			t.Errorf("audit = %+v", doc.Audit)
		}
	})
}

// TestProbeThroughARunningCorscope runs the built binary with --proxy
// against an HTTPS API, through corscope's recording proxy: the probe must
// trust the CA from --home, and its exchanges must show up in the proxy's
// store.
func TestProbeThroughARunningCorscope(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the corscope binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is needed to build corscope")
	}
	bin := filepath.Join(t.TempDir(), "corscope")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	api := httptest.NewTLSServer(http.HandlerFunc(goodCORS))
	t.Cleanup(api.Close)
	home := t.TempDir()
	upstreamCA := filepath.Join(home, "upstream.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw})
	if err := os.WriteFile(upstreamCA, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	px, err := capture.Listen(capture.Config{Listen: "127.0.0.1:0", Home: home, UpstreamCAFiles: []string{upstreamCA}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = px.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = px.Shutdown(ctx)
	})

	cmd := exec.Command(bin, "probe", "--home", home, "--proxy", px.Addr(), "--origin", pageOrigin,
		"-X", "PUT", "-H", "Authorization: Bearer t", "--credentials", api.URL+"/api/users")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("probe through corscope: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "ALLOWED") {
		t.Errorf("output lacks ALLOWED:\n%s", out)
	}
	var methods []string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		methods = methods[:0]
		for _, f := range px.Store().Snapshot() {
			if f.Finished() && strings.HasSuffix(f.Request.URL, "/api/users") {
				methods = append(methods, f.Request.Method)
			}
		}
		if len(methods) == 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Join(methods, " ") != "OPTIONS PUT" {
		t.Errorf("corscope recorded %q for the probe, want the OPTIONS and the PUT", methods)
	}
}
