package ui

import (
	"encoding/json"
	"os"
	"path/filepath"

	tea "charm.land/bubbletea/v2"
)

// prefs are the interface choices remembered between runs, in ui.json
// under --home. Reading and writing fail soft: a missing, unreadable or
// corrupt file means defaults, and a failed save is a status line, never
// an error that stops the interface.
type prefs struct {
	Framework string `json:"framework,omitempty"`
}

const prefsFile = "ui.json"

// loadPrefs reads ui.json. It runs before the program starts (never in
// Update).
func loadPrefs(home string) prefs {
	var p prefs
	if home == "" {
		return p
	}
	data, err := os.ReadFile(filepath.Join(home, prefsFile))
	if err != nil {
		return p
	}
	if json.Unmarshal(data, &p) != nil {
		return prefs{}
	}
	return p
}

type prefsSavedMsg struct{ err error }

// savePrefsCmd writes ui.json atomically (temp file + rename) in a command.
func savePrefsCmd(home string, p prefs) tea.Cmd {
	if home == "" {
		return nil
	}
	return func() tea.Msg {
		return prefsSavedMsg{err: savePrefs(home, p)}
	}
}

func savePrefs(home string, p prefs) error {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(home, ".ui-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(home, prefsFile))
}
