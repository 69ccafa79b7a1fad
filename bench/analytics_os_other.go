//go:build !linux

package bench

import "errors"

// evictFiles is only implemented on Linux; elsewhere disk-cold runs are
// skipped.
func evictFiles(string) error { return errors.New("evicting files from the page cache needs Linux") }
