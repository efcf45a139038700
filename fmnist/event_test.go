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

func TestNewestPerKindKeepsTheNewestOfEachKindFirst(t *testing.T) {
	ws := []Warning{{Kind: WarnDeadUnits, Batch: 1}, {Kind: WarnGradSpike, Batch: 2}, {Kind: WarnDeadUnits, Batch: 3}, {Kind: WarnDivergence, Batch: 4}}
	newest, earlier := NewestPerKind(ws)
	var got []int
	for _, w := range newest {
		got = append(got, w.Batch)
	}
	if len(got) != 3 || got[0] != 4 || got[1] != 3 || got[2] != 2 || len(earlier) != 1 || earlier[0].Batch != 1 {
		t.Errorf("newest batches %v, earlier %+v; want [4 3 2] and batch 1", got, earlier)
	}
}
