package capture

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// RemoveStaleSpills removes the spill files in dir left by corscope
// processes that no longer run (a crash, or a kill -9), and returns how
// many it removed. Files of running processes are left alone.
func RemoveStaleSpills(dir string) (int, error) {
	names, err := filepath.Glob(filepath.Join(dir, "corscope-bodies-*.spill"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range names {
		rest := strings.TrimPrefix(filepath.Base(name), "corscope-bodies-")
		pid, err := strconv.Atoi(rest[:max(0, strings.IndexByte(rest, '-'))])
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue // running (or not ours to ask about)
		}
		if os.Remove(name) == nil {
			n++
		}
	}
	return n, nil
}
