package handlers

// The JSON payloads of the stream's HTML events, for GET /events?format=json:
// the same objects as the API's where the API has them. "loss" and "epoch"
// are JSON in both formats (see publish.go).
