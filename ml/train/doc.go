// Package train runs a training run on a dataset (package data) with the
// network (package nn): the loop over epochs and batches, the evaluation
// after each epoch, checkpoint files, and predictions from a trained model.
// It reports everything as fmnist events through a sink whose Push never
// blocks, so a slow consumer never slows training.
package train
