package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runAnalyze runs the built binary's analyze command and returns its
// exit status, stdout and stderr.
func runAnalyze(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(corscopeBinary(t), append([]string{"analyze"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

const (
	blockedHAR = "capture/har/testdata/crafted/chrome-cors-err-failed.har"
	cleanHAR   = "capture/har/testdata/har/chrome-github-preflight-api-stats.har"
)

func TestAnalyzeCommandExitStatus(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "broken.har")
	os.WriteFile(broken, []byte("{\"log\": {\"entries\": [\n  {\"request\": {]}\n]}}"), 0o600)
	blockedData, _ := os.ReadFile(blockedHAR)
	tests := []struct {
		name       string
		stdin      []byte
		args       []string
		code       int
		stdout     []string
		stderr     []string
		stdoutNone []string
	}{
		{"nothing blocked", nil, []string{cleanHAR}, 0, []string{"corscope analyze " + cleanHAR + ": 20 requests", "0 blocked"}, nil, nil},
		{"blocked", nil, []string{blockedHAR}, 1,
			[]string{"BLOCKED  PreflightMissingAllowOriginHeader", "PUT http://localhost:8080/api/users/7", "Access to fetch at 'http://localhost:8080/api/users/7' from origin 'http://localhost:3000' has been blocked by CORS policy", "Access-Control-Allow-Methods: PUT", "--framework NAME"}, nil, nil},
		{"blocked, from stdin", blockedData, []string{"-"}, 1, []string{"corscope analyze stdin:", "MissingAllowOriginHeader"}, nil, nil},
		{"one framework", nil, []string{"--framework", "express", blockedHAR}, 1, []string{"Fix (Express", "app.use(cors("}, nil, []string{"--framework NAME"}},
		{"markdown", nil, []string{"--format", "markdown", blockedHAR}, 1, []string{"## CORS report", "### Blocked: PreflightMissingAllowOriginHeader", "<details><summary>"}, nil, nil},
		{"unreadable: broken JSON", nil, []string{broken}, 2, nil, []string{broken, "line 2, column 16", "not valid JSON"}, nil},
		{"unreadable: broken stdin", []byte(`{"log": 7}`), []string{"-"}, 2, nil, []string{"stdin:", "at byte 8", `expected an object with "version"`}, nil},
		{"unreadable: missing file", nil, []string{"no-such.har"}, 2, nil, []string{"no-such.har"}, nil},
		{"unknown format", nil, []string{"--format", "yaml", cleanHAR}, 2, nil, []string{`unknown report format "yaml"`, "text, markdown, json"}, nil},
		{"unknown framework", nil, []string{"--framework", "cobol", cleanHAR}, 2, nil, []string{`unknown framework "cobol"`, "express"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runAnalyze(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout does not say %q:\n%s", w, stdout)
				}
			}
			for _, w := range tc.stdoutNone {
				if strings.Contains(stdout, w) {
					t.Errorf("stdout says %q:\n%s", w, stdout)
				}
			}
			// The error handler may style, wrap and capitalise the
			// message on its way out: compare words, ignoring case.
			flat := strings.ToLower(strings.Join(strings.Fields(stderr), " "))
			for _, w := range tc.stderr {
				if !strings.Contains(flat, strings.ToLower(w)) {
					t.Errorf("stderr does not say %q:\n%s", w, stderr)
				}
			}
		})
	}
}

func TestAnalyzeCommandJSON(t *testing.T) {
	code, stdout, stderr := runAnalyze(t, nil, "--format", "json", blockedHAR)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Version int    `json:"version"`
		Source  string `json:"source"`
		Blocked bool   `json:"blocked"`
		Summary struct {
			Requests, Blocked int
		} `json:"summary"`
		Problems []struct {
			Kind, Label, Endpoint, Console string
			Count                          int
			Requests                       []int
			Fixes                          []struct{ Framework, Snippet string }
		} `json:"problems"`
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if r.Version != 1 || r.Source != blockedHAR || !r.Blocked || r.Summary.Requests != 5 || r.Summary.Blocked < 2 {
		t.Errorf("header: %+v", r)
	}
	found := false
	for _, p := range r.Problems {
		if p.Kind == "blocked" && p.Label == "MissingAllowOriginHeader" {
			found = true
			if p.Endpoint != "GET http://localhost:8080/api/items" || p.Count != 1 || len(p.Requests) != 1 || len(p.Fixes) < 10 {
				t.Errorf("MissingAllowOriginHeader problem: %+v", p)
			}
		}
	}
	if !found {
		t.Errorf("no MissingAllowOriginHeader problem in %s", stdout)
	}
	// The same report from stdin is the same document apart from source.
	data, _ := os.ReadFile(blockedHAR)
	_, fromStdin, _ := runAnalyze(t, data, "--format", "json", "-")
	if strings.Replace(fromStdin, `"source": "stdin"`, `"source": "`+blockedHAR+`"`, 1) != stdout {
		t.Error("the JSON report differs between a file and stdin")
	}
}
