package bench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPGSize(t *testing.T) {
	for in, want := range map[string]int64{"128MB": 128 << 20, "9642MB": 9642 << 20, "8GB": 8 << 30, "64kB": 64 << 10, "": 0, "lots": 0, "12XB": 0} {
		require.Equal(t, want, pgSize(in), in)
	}
}
