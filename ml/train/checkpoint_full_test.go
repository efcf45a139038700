package train

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fmnist/trainer/internal/disktest"
	"github.com/fmnist/trainer/ml/nn"
)

// TestCheckpointOnAFullDisk saves a checkpoint to a full file system: the
// error is syscall.ENOSPC, names the checkpoint once and no temporary file
// (it is shown to users as a run's reason), and leaves nothing behind.
func TestCheckpointOnAFullDisk(t *testing.T) {
	dir := disktest.Tmpfs(t, 1<<20)
	net, err := nn.NewNetwork(1, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Close()
	disktest.Fill(t, dir)
	err = SaveCheckpoint(filepath.Join(dir, "run-1.ckpt"), net, CheckpointMeta{RunID: "run-1"})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("SaveCheckpoint on a full disk: %v; want syscall.ENOSPC", err)
	}
	if n := strings.Count(err.Error(), "run-1.ckpt"); n != 1 || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("the error should name the checkpoint once and no temporary file: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".run-1.ckpt") {
			t.Errorf("a failed save left %s behind", e.Name())
		}
	}
}
