package ingest_test

import (
	"testing"

	"github.com/context-intelligence/ctxintel/warehouse/warehousetest"
)

// TestMain closes the shared chDB session before the process exits.
func TestMain(m *testing.M) { warehousetest.Main(m) }
