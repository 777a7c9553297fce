package capture

import (
	"os"
	"syscall"
)

// punchHole gives [off, off+n) of f back to the file system, keeping the
// file's size (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE).
func punchHole(f *os.File, off, n int64) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var perr error
	err = rc.Control(func(fd uintptr) {
		perr = syscall.Fallocate(int(fd), 0x02|0x01, off, n)
	})
	if err != nil {
		return err
	}
	return perr
}
