//go:build !amd64

package ml

// addTo adds src to dst element-wise; src must be at least as long.
func addTo(dst, src []float32) { addToGo(dst, src[:len(dst)]) }
