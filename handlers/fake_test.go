package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers"
	"github.com/fmnist/trainer/handlers/internal/ssetest"
)

// fakeService is a handlers.Service with a fixed state, whose every action
// fails with err. The web layer's own behaviour (the error table, the event
// names) is clearer against it than against a training app.
type fakeService struct {
	state fmnist.State
	err   error
}

func (f *fakeService) State() fmnist.State                            { return f.state }
func (f *fakeService) Consistent(fn func(fmnist.State) error) error   { return fn(f.state) }
func (f *fakeService) PrepareDataset() error                          { return f.err }
func (f *fakeService) CancelDownload() error                          { return f.err }
func (f *fakeService) StopTraining() error                            { return f.err }
func (f *fakeService) LastPredictions() *fmnist.Predictions           { return nil }
func (f *fakeService) TestImage(int) ([]uint8, int, int, int, error)  { return nil, 0, 0, 0, f.err }
func (f *fakeService) Run(context.Context, int64) (fmnist.Run, error) { return fmnist.Run{}, f.err }
func (f *fakeService) Runs(context.Context, int) ([]fmnist.Run, error) {
	return nil, f.err
}
func (f *fakeService) ListRuns(context.Context, fmnist.RunFilter) ([]fmnist.Run, error) {
	return nil, f.err
}
func (f *fakeService) StartTraining(context.Context, fmnist.Config) (int64, error) {
	return 0, f.err
}
func (f *fakeService) Predict(context.Context, int) (*fmnist.Predictions, error) {
	return nil, f.err
}
func (f *fakeService) LatestRun(context.Context) (fmnist.Run, bool, error) {
	return fmnist.Run{}, false, nil
}
func (f *fakeService) LossPoints(context.Context, int64) ([]fmnist.LossPoint, error) {
	return nil, nil
}
func (f *fakeService) EpochResults(context.Context, int64) ([]fmnist.EpochResult, error) {
	return nil, nil
}
func (f *fakeService) EpochAnalyses(context.Context, int64) ([]fmnist.EpochAnalysis, error) {
	return nil, nil
}
func (f *fakeService) Warnings(context.Context, int64) ([]fmnist.Warning, error) { return nil, nil }
func (f *fakeService) Examples(context.Context, int64, fmnist.ExampleQuery) (fmnist.ExamplePage, error) {
	return fmnist.ExamplePage{}, f.err
}
func (f *fakeService) Checkpoints(context.Context, int64) ([]fmnist.Checkpoint, error) {
	return nil, nil
}
func (f *fakeService) LatestCheckpoint(context.Context) (fmnist.Checkpoint, bool, error) {
	return fmnist.Checkpoint{}, false, nil
}
func (f *fakeService) RecentLogs(context.Context, int) ([]fmnist.LogEntry, error) {
	return nil, nil
}
func (f *fakeService) Resumes(context.Context, int64) ([]fmnist.Resume, error) {
	return nil, nil
}
func (f *fakeService) Resume(context.Context, int64, int) error { return f.err }
func (f *fakeService) Fork(context.Context, int64, int64, fmnist.ConfigChanges) (int64, error) {
	return 0, f.err
}

// serveFake serves the web layer over svc on a real loopback server.
func serveFake(t *testing.T, svc handlers.Service) (*handlers.Server, *httptest.Server) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	web := handlers.New(svc, handlers.Options{Logger: slog.New(slog.DiscardHandler), Listen: ts.Listener.Addr()})
	ts.Config.Handler = web
	ts.Start()
	t.Cleanup(func() {
		web.Close()
		ts.Close()
	})
	return web, ts
}

// readyState is an idle app with the dataset prepared: every action is
// allowed as far as the page knows, so what the service says decides.
var readyState = fmnist.State{
	Dataset:  fmnist.DatasetState{Status: fmnist.StatusReady, Train: 512, Test: 256},
	Training: fmnist.TrainingState{Status: fmnist.StatusIdle},
}

// TestErrorTable drives each kind of error through the JSON API and the
// form (as htmx and as a plain post) and checks that all three answer the
// status of the one table, the same message and, for a field, the field.
func TestErrorTable(t *testing.T) {
	cases := []struct {
		err            error
		status         int
		code, field    string
		message        string // what the user reads
		hiddenInternal string // must not reach the user
	}{
		{fmnist.ErrBusy, http.StatusConflict, fmnist.ECONFLICT, "", "already in progress", ""},
		{fmt.Errorf("start: %w", fmnist.FieldError(fmnist.FieldEpochs, "must be between 1 and 1000")),
			http.StatusUnprocessableEntity, fmnist.EINVALID, fmnist.FieldEpochs, "must be between 1 and 1000", ""},
		{fmnist.Errorf(fmnist.ENOTFOUND, "There is no run 5."), http.StatusNotFound, fmnist.ENOTFOUND, "", "There is no run 5.", ""},
		{fmt.Errorf("write run: %w", errors.New("disk I/O error")), http.StatusInternalServerError, fmnist.EINTERNAL, "",
			"Something went wrong on the server.", "disk I/O error"},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			_, ts := serveFake(t, &fakeService{state: readyState, err: c.err})

			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/training", strings.NewReader(`{"epochs":1}`))
			req.Header.Set("Content-Type", "application/json")
			r := doWith(t, ts.Client(), req)
			var e errorJSON
			if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
				t.Fatalf("API error is not JSON: %v\n%s", err, r.Body)
			}
			if r.Status != c.status || e.Error.Code != c.code || e.Error.Field != c.field || !strings.Contains(e.Error.Message, c.message) {
				t.Errorf("POST /api/training: %d %+v; want %d, code %q, field %q, message with %q", r.Status, e.Error, c.status, c.code, c.field, c.message)
			}

			b := openBrowser(t, ts.URL, ts.Client().Transport)
			for _, htmx := range []bool{true, false} {
				// A plain post of a bad form is redirected to the page, which
				// checks the values itself: they must be bad.
				epochs := "1"
				if c.code == fmnist.EINVALID && !htmx {
					epochs = "0"
				}
				r := b.post("/training", url.Values{fmnist.FieldEpochs: {epochs}}, htmx)
				status := c.status
				if c.code == fmnist.EINVALID && !htmx {
					r, status = followFormRedirect(t, b, "POST /training", r), http.StatusOK
				}
				if r.Status != status || !strings.Contains(strings.ToLower(r.Body), strings.ToLower(c.message)) {
					t.Errorf("POST /training (htmx %v): status %d; want %d with %q:\n%s", htmx, r.Status, status, c.message, r.Body)
				}
				if c.field != "" && !strings.Contains(r.Body, `aria-invalid="true"`) {
					t.Errorf("POST /training (htmx %v): the field %s is not marked invalid", htmx, c.field)
				}
				if c.hiddenInternal != "" && strings.Contains(r.Body, c.hiddenInternal) {
					t.Errorf("POST /training (htmx %v) shows the internal error %q", htmx, c.hiddenInternal)
				}
			}
			if c.hiddenInternal != "" && strings.Contains(e.Error.Message, c.hiddenInternal) {
				t.Errorf("the API shows the internal error %q", c.hiddenInternal)
			}
		})
	}
}

// TestEveryPublishedEventIsOnThePage publishes one update with every kind
// of event the service reports and checks that each event name the stream
// then carries is in the list the page gives app.js (#live's data-events),
// and is one of fmnist.EventKinds.
func TestEveryPublishedEventIsOnThePage(t *testing.T) {
	web, ts := serveFake(t, &fakeService{state: readyState})
	page := doWith(t, ts.Client(), mustRequest(t, ts.URL+"/"))
	m := regexp.MustCompile(`id="live"[^>]*data-events="([^"]*)"`).FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("the page has no #live with data-events:\n%s", page.Body)
	}
	listed := strings.Fields(m[1])

	events := ssetest.Connect(t, ts.Client(), ts.URL+"/events", "")
	now := time.Now()
	web.Publish(fmnist.Update{
		RunID: 1,
		Dataset: []fmnist.Event{
			fmnist.DownloadProgress{File: "t10k-labels-idx1-ubyte.gz", Done: 1, Total: 2},
			fmnist.StatusChange{Status: fmnist.StatusReady},
			fmnist.LogEntry{Time: now, Level: fmnist.LevelInfo, Message: "dataset ready"},
		},
		Train: []fmnist.Event{
			fmnist.StatusChange{Status: fmnist.StatusTraining},
			fmnist.Progress{Epoch: 1, Epochs: 1, Batch: 1, Batches: 8},
			fmnist.LossPoint{Epoch: 0.1, Loss: 2.3},
			fmnist.LRChange{Epoch: 0.1, LR: 5e-4, Scale: 0.5},
			fmnist.LogEntry{Time: now, Level: fmnist.LevelInfo, Message: "batch 1"},
			fmnist.EpochResult{Epoch: 1, TestAccuracy: 0.5},
			fmnist.EpochAnalysis{Epoch: 1, Confusion: fmnist.Confusion{{1}}, Correct: fmnist.Bitset{1}, Images: 1},
			fmnist.Warning{Kind: fmnist.WarnPlateau, Epoch: 1, X: 1, Message: "plateau"},
			fmnist.SystemSample{Time: now, CPUPercent: 150, RSSBytes: 1 << 28, Goroutines: 20, ImagesPerSec: 3000, KernelPath: "avx2"},
			fmnist.CheckpointSaved{Path: "run-1.ckpt", Epoch: 1},
		},
		State: readyState,
	})
	sent := web.Hub().LastID()
	got := events.WaitFor(t, "every published event", 5*time.Second, func(evs []ssetest.Event) bool {
		return len(evs) > 0 && evs[len(evs)-1].ID == sent
	})
	seen := map[string]bool{}
	for _, ev := range got {
		seen[ev.Name] = true
		if !slices.Contains(listed, ev.Name) {
			t.Errorf("the stream sent %q, which the page's data-events %q does not list", ev.Name, listed)
		}
		if !slices.Contains(fmnist.EventKinds, fmnist.EventKind(ev.Name)) {
			t.Errorf("the stream sent %q, which is not in fmnist.EventKinds", ev.Name)
		}
	}
	for _, k := range fmnist.EventKinds {
		if k == fmnist.EventLogs {
			continue // only a viewer from before a restart gets it (TestViewerFromBeforeARestartCatchesUp)
		}
		if !seen[string(k)] {
			t.Errorf("no %q event for an update with every kind of event", k)
		}
	}
}

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func (f *fakeService) PredictFrom(context.Context, fmnist.PredictionRequest) (*fmnist.Predictions, error) {
	return nil, f.err
}
func (f *fakeService) RunSummaries(context.Context) ([]fmnist.RunSummary, error) { return nil, f.err }
func (f *fakeService) RunLogs(context.Context, int64, fmnist.LogQuery) ([]fmnist.LogEntry, int, error) {
	return nil, 0, f.err
}
func (f *fakeService) DeleteRun(context.Context, int64) error { return f.err }
func (f *fakeService) RunCheckpoints(context.Context, int64) ([]fmnist.Checkpoint, error) {
	return nil, f.err
}

func (f *fakeService) LRChanges(context.Context, int64) ([]fmnist.LRChange, error) { return nil, nil }
func (f *fakeService) ChangeLR(float64) error                                      { return f.err }
func (f *fakeService) AugmentSamples(fmnist.Recipe, int64, int) ([]uint8, int, int, error) {
	return nil, 0, 0, f.err
}
