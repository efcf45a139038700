package kernels

import (
	"fmt"
	"testing"
)

// BenchmarkBatchNorm is one training forward and backward pass of batch
// norm on one CPU, at the shapes of the bn preset's two layers (a batch of
// 64): after the first convolution block, pooled (32 channels of 14×14),
// and after the second (64 of 7×7).
func BenchmarkBatchNorm(b *testing.B) {
	for _, shape := range []struct{ channels, plane int }{{32, 14 * 14}, {64, 7 * 7}} {
		b.Run(fmt.Sprintf("c%d_p%d", shape.channels, shape.plane), func(b *testing.B) {
			const batch = 64
			n := batch * shape.channels * shape.plane
			bn := &BatchNorm{Batch: batch, Channels: shape.channels, Plane: shape.plane, Training: true,
				Momentum: 0.1, Eps: 1e-5, RunMean: make([]float32, shape.channels), RunVar: make([]float32, shape.channels),
				Mean: make([]float32, shape.channels), InvStd: make([]float32, shape.channels)}
			x, y, dy, dx := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range x {
				x[i], dy[i] = float32(i%97)/97, float32(i%89)/89-0.5
			}
			gamma, beta := make([]float32, shape.channels), make([]float32, shape.channels)
			dGamma, dBeta := make([]float32, shape.channels), make([]float32, shape.channels)
			for i := range gamma {
				gamma[i] = 1
			}
			b.SetBytes(int64(4 * n))
			for b.Loop() {
				bn.Forward(x, gamma, beta, y, 0, shape.channels)
				bn.Backward(x, gamma, dy, dx, dGamma, dBeta, 0, shape.channels)
			}
		})
	}
}
