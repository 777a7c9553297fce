//go:build !linux

package capture

import (
	"errors"
	"os"
)

// punchHole is Linux-only; elsewhere released bytes stay in the file until
// it is removed on exit.
func punchHole(*os.File, int64, int64) error {
	return errors.New("punching holes is not supported here")
}

// RemoveStaleSpills does nothing here: telling a crashed corscope's file
// from a running one's needs Linux's process check.
func RemoveStaleSpills(string) (int, error) { return 0, nil }
