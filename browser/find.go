// Package browser starts a real browser whose traffic goes through
// corscope: a throwaway profile, the proxy configured, loopback traffic
// not bypassed, and corscope's CA trusted without touching the system.
package browser

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Family is the kind of browser, which decides how it is configured.
type Family int

const (
	Chromium Family = iota // Chromium, Chrome, Edge, Brave: command-line flags
	Firefox                // Firefox: prefs in the profile
)

func (f Family) String() string {
	if f == Firefox {
		return "Firefox"
	}
	return "Chromium"
}

// Candidates are the names and install locations searched, in order of
// preference. Chromium first: it is what the agreement suite proves
// corscope's verdicts against.
var chromiumNames = []string{
	"chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
	"chrome", "microsoft-edge", "microsoft-edge-stable", "brave-browser",
}

var chromiumPaths = map[string][]string{
	"linux": {
		"/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium",
		"/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/opt/google/chrome/chrome",
		"/usr/bin/microsoft-edge", "/opt/microsoft/msedge/msedge",
	},
	"darwin": {
		"/Applications/Chromium.app/Contents/MacOS/Chromium",
		"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
		"/Applications/Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary",
		"/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
		"/Applications/Brave Browser.app/Contents/MacOS/Brave Browser",
	},
}

var firefoxNames = []string{"firefox", "firefox-esr", "firefox-developer-edition"}

var firefoxPaths = map[string][]string{
	"linux":  {"/usr/bin/firefox", "/usr/bin/firefox-esr", "/snap/bin/firefox", "/usr/lib/firefox/firefox"},
	"darwin": {"/Applications/Firefox.app/Contents/MacOS/firefox", "/Applications/Firefox Developer Edition.app/Contents/MacOS/firefox"},
}

// ErrNotFound is returned (wrapped) when no browser of the family is installed.
var ErrNotFound = errors.New("no browser found")

// Find returns the path of an installed browser of the family: the first
// name found on PATH, then the usual install locations for this system.
func Find(f Family) (string, error) {
	names, paths := chromiumNames, chromiumPaths[runtime.GOOS]
	if f == Firefox {
		names, paths = firefoxNames, firefoxPaths[runtime.GOOS]
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	if home, err := os.UserHomeDir(); err == nil && runtime.GOOS == "darwin" {
		for _, p := range paths {
			paths = append(paths, filepath.Join(home, p))
		}
	}
	for _, p := range paths {
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s", ErrNotFound, installHint(f))
}

func installHint(f Family) string {
	if f == Firefox {
		switch runtime.GOOS {
		case "darwin":
			return "install Firefox (brew install --cask firefox), or pass --browser PATH"
		default:
			return "install Firefox (e.g. sudo apt-get install firefox-esr), or pass --browser PATH"
		}
	}
	switch runtime.GOOS {
	case "darwin":
		return "install Chrome or Chromium (brew install --cask chromium), or pass --browser PATH"
	default:
		return "install Chromium (e.g. sudo apt-get install chromium) or Google Chrome, or pass --browser PATH"
	}
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
