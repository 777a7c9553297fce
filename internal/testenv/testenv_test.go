package testenv

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissingProgramSkipsLocallyAndFailsInCI runs a test that needs a
// program no machine has, once as on a developer's machine and once as in
// CI, in child processes.
func TestMissingProgramSkipsLocallyAndFailsInCI(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") != "" {
		LookPath(t, "corscope-no-such-program", "it does not exist")
		t.Fatal("LookPath returned for a missing program")
	}
	run := func(env ...string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingProgramSkipsLocallyAndFailsInCI$", "-test.v")
		cmd.Env = append(os.Environ(), append([]string{"TESTENV_CHILD=1", "CORSCOPE_REQUIRE_TOOLS="}, env...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run()
	if err != nil || !strings.Contains(out, "--- SKIP") {
		t.Errorf("without CORSCOPE_REQUIRE_TOOLS the test should skip; err=%v\n%s", err, out)
	}
	out, err = run("CORSCOPE_REQUIRE_TOOLS=1")
	if err == nil || !strings.Contains(out, "--- FAIL") || !strings.Contains(out, "it does not exist") {
		t.Errorf("with CORSCOPE_REQUIRE_TOOLS=1 the test should fail and say how to install; err=%v\n%s", err, out)
	}
}
