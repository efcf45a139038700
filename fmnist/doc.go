// Package fmnist is the domain of the Fashion-MNIST trainer, in plain Go
// types: what a training run is (Config, Run, Checkpoint), the states it
// passes through (Status), what the trainer and the downloader report
// (Event and its kinds, which are also the names on the event stream), what
// a viewer sees (State, Predictions), the interfaces between the parts, and
// one Error type whose Code says what kind of failure it is.
//
// It imports only the standard library. Every other package speaks in these
// types: store keeps them, ml produces them, app runs them, handlers and
// views show them.
package fmnist
