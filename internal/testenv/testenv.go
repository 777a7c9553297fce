// Package testenv decides what a test does when a program it needs —
// Chromium, tmux, nginx, node… — is not installed: skip on a developer's
// machine, fail in CI, where a skipped test would pass without proving
// anything.
package testenv

import (
	"os"
	"os/exec"
	"testing"

	"github.com/corscope/corscope/browser"
)

// Required reports whether a missing program must fail the test. CI sets
// CORSCOPE_REQUIRE_TOOLS=1 after installing everything the tests use;
// CORSCOPE_REQUIRE_CHROMIUM=1 does the same for Chromium alone.
func Required() bool {
	return os.Getenv("CORSCOPE_REQUIRE_TOOLS") != ""
}

// Missing skips t because what is not available (err says why), or fails
// it when Required. install says how to get it.
func Missing(t testing.TB, what, install string, err error) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required here (CORSCOPE_REQUIRE_TOOLS is set) but not available: %v; %s", what, err, install)
	}
	t.Skipf("%s is not available (%v); %s", what, err, install)
}

// LookPath returns the path of the program name, or skips/fails t.
func LookPath(t testing.TB, name, install string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name, install, err)
	}
	return p
}

// Chromium returns the path of an installed Chromium-family browser, or
// skips/fails t.
func Chromium(t testing.TB) string {
	t.Helper()
	p, err := browser.Find(browser.Chromium)
	if err != nil {
		if os.Getenv("CORSCOPE_REQUIRE_CHROMIUM") != "" {
			t.Fatalf("Chromium is required here (CORSCOPE_REQUIRE_CHROMIUM is set): %v", err)
		}
		Missing(t, "Chromium", "install it with: apt-get install -y chromium", err)
	}
	return p
}
