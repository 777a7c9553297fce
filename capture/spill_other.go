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
