// Package ml is the machine-learning core: the Fashion-MNIST dataset (download,
// verification, IDX parsing), the convolutional network built with Gorgonia,
// the trainer that reports through events, checkpoints and predictions.
//
// It knows nothing of HTTP: the web layer (package handlers) and the command
// line (main) both drive it through the same API.
package ml
