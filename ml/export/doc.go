// Package export writes a trained network in the formats of the wider
// ecosystem and reads them back: safetensors (the weights, for the Python
// world) and ONNX (the whole network, for inference runtimes). It knows
// nothing of HTTP or of the app's runs: it takes parameters and a layer
// list, and gives bytes.
package export
