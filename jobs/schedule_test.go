package jobs

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDailyAt(t *testing.T) {
	t.Parallel()
	at := func(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, time.UTC) }
	d := dailyAt{hour: 3}
	require.Equal(t, at(26, 3, 0), d.Next(at(26, 2, 59)))
	require.Equal(t, at(27, 3, 0), d.Next(at(26, 3, 0)), "not the same instant again")
	require.Equal(t, at(27, 3, 0), d.Next(at(26, 17, 30)))
	require.Equal(t, time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), d.Next(at(30, 23, 0)))
	// Another zone's clock: the same instant.
	berlin := time.FixedZone("CET", 3600)
	require.Equal(t, at(27, 3, 0), d.Next(time.Date(2026, 11, 26, 5, 0, 0, 0, berlin)))
}
