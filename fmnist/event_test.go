package fmnist

import (
	"testing"
	"time"
)

func TestDownloadRetryMessage(t *testing.T) {
	for _, tc := range []struct {
		retry DownloadRetry
		want  string
	}{
		{DownloadRetry{Problem: "no answer from example.org", Attempt: 2, Attempts: 5, Wait: 4 * time.Second},
			"No answer from example.org (try 2 of 5), retrying in 4 s"},
		{DownloadRetry{Problem: "status 503 Service Unavailable from example.org", Attempt: 1, Attempts: 3, Wait: 1500 * time.Millisecond},
			"Status 503 Service Unavailable from example.org (try 1 of 3), retrying in 1.5 s"},
		{DownloadRetry{Problem: "no answer from 127.0.0.1:8080", Attempt: 4, Attempts: 5, Wait: 5 * time.Millisecond},
			"No answer from 127.0.0.1:8080 (try 4 of 5), retrying in 0.005 s"},
	} {
		if got := tc.retry.Message(); got != tc.want {
			t.Errorf("Message() = %q, want %q", got, tc.want)
		}
	}
}
