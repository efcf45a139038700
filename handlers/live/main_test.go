package live_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind: a
// viewer's stream or the heartbeat that outlives Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
