package bundle

import (
	"fmt"
	"strings"
)

// readme is README.txt: what each file of the bundle is.
func readme(b Bundle) string {
	m := b.Manifest
	var s strings.Builder
	fmt.Fprintf(&s, "Fashion-MNIST trainer bundle (%s)\n", FormatVersion)
	fmt.Fprintf(&s, "Run %d, %d epochs of batch %d at learning rate %g, seed %d; exported by version %s.\n\n",
		m.RunID, m.Config.Epochs, m.Config.BatchSize, m.Config.LR, m.Seed, m.AppVersion)
	s.WriteString(`Files:
  run.json              how the run was made: config, seed, preset, architecture,
                        kernel path (matrix-multiply code it trained on), the app's
                        version, the SHA-256 of the four dataset files, and where
                        the model was saved (epoch, batch, data position, Adam's step)
  model.safetensors     the weights, float32, PyTorch names and shapes
                        (conv1.weight [32,1,3,3] ... fc2.bias [10]); inputs are
                        (pixel/255 - 0.2860) / 0.3530, NCHW 1x28x28
  optimizer.safetensors Adam's moments: exp_avg.NAME and exp_avg_sq.NAME per weight
  loss.csv              the training loss curve: epoch (fractional), loss
  epochs.csv            per epoch: test_accuracy, test_loss, train_loss,
                        images_per_sec, seconds
  confusion.csv         the last epoch's confusion matrix (rows: true class,
                        columns: predicted), when the run has one
  README.txt            this file

Load it again with "go run . import FILE" or the Import form on the Runs page;
"Reproduce" then trains the same config and seed again, and on the same
kernel path gives the same weights bit for bit.
`)
	return s.String()
}
