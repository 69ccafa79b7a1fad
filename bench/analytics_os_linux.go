package bench

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// evictFiles drops the files under dir from the OS page cache
// (posix_fadvise DONTNEED on each): the next read of them comes from
// disk. Only these files are evicted, so other processes' caches (the
// Postgres of the search benchmark, say) are left alone.
func evictFiles(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil // a part merged away meanwhile: nothing to evict
		}
		f, err := os.Open(path)
		if err != nil {
			return nil
		}
		defer f.Close()
		const posixFadvDontneed = 4
		if _, _, e := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, posixFadvDontneed, 0, 0); e != 0 {
			return fmt.Errorf("evict %s from the page cache: %w", path, e)
		}
		return nil
	})
}

// processCPU is the CPU time the process has used so far (user and
// system, every thread: chDB runs inside it).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
