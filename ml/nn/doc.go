// Package nn is the convolutional network, built on Gorgonia: conv 3×3
// 1→32, ReLU, max-pool → conv 3×3 32→64, ReLU, max-pool → dense 3136→128,
// ReLU → dense 128→10, trained with Adam on a softmax cross-entropy, in
// float32. Each layer is a custom Gorgonia op (forward and backward fused,
// buffers kept across steps) whose matrix products go to internal/gemm and
// whose other inner loops go to internal/kernels.
//
// A Network takes standardised images (see data.Set.Normalize) and labels;
// it knows nothing of datasets, runs or files.
package nn
