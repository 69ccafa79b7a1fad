//go:build !linux

package bench

import (
	"errors"
	"time"
)

// evictFiles is only implemented on Linux; elsewhere disk-cold runs are
// skipped.
func evictFiles(string) error { return errors.New("evicting files from the page cache needs Linux") }

// processCPU is only measured on Linux (0 elsewhere).
func processCPU() time.Duration { return 0 }
