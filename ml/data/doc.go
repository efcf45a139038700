// Package data is the Fashion-MNIST dataset: fetching the four IDX files from
// the official mirrors, a custom URL or a local folder (with resume, retries
// and checksum verification), parsing them, and handing out normalised,
// shuffled batches.
//
// It is the one package under ml/ that speaks HTTP, and only as a client.
package data
