package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// resumableRunJSON is GET /api/runs/{id} with what resume and fork add.
type resumableRunJSON struct {
	runJSON
	Parent *struct {
		RunID        int64 `json:"run_id"`
		CheckpointID int64 `json:"checkpoint_id"`
		Epoch        int   `json:"epoch"`
		Batch        int   `json:"batch"`
	} `json:"parent"`
	Checkpoints []struct {
		ID    int64  `json:"id"`
		Path  string `json:"path"`
		Epoch int    `json:"epoch"`
		Batch int    `json:"batch"`
	} `json:"checkpoints"`
	Resumes []struct {
		CheckpointID int64   `json:"checkpoint_id"`
		Epoch        int     `json:"epoch"`
		Batch        int     `json:"batch"`
		X            float64 `json:"x"`
	} `json:"resumes"`
}

func (a *testApp) resumableRun(id int64) resumableRunJSON {
	a.t.Helper()
	var r resumableRunJSON
	if code := a.getJSON("/api/runs/"+itoa(id), &r); code != http.StatusOK {
		a.t.Fatalf("GET /api/runs/%d: status %d", id, code)
	}
	return r
}

// wantAPIError checks an API answer's status, code and field.
func wantAPIError(t *testing.T, what string, r response, status int, code, field string) {
	t.Helper()
	var e errorJSON
	if r.Status != status || json.Unmarshal([]byte(r.Body), &e) != nil || e.Error.Code != code || e.Error.Field != field {
		t.Errorf("%s: %d %s; want %d with code %q, field %q", what, r.Status, r.Body, status, code, field)
	}
}

// TestResumeContinuesTheCurve stops a run in mid-epoch, resumes it with the
// dashboard's Resume button (a plain form post), and checks that it ends on
// the same run and curve, with a marker where it resumed; then that the
// finished run resumes only when given more epochs.
func TestResumeContinuesTheCurve(t *testing.T) {
	a := startApp(t, appConfig{})
	a.prepareDataset()
	// 128 batches an epoch: a stop lands in mid-epoch.
	id := a.startTraining(`{"epochs":2,"batch_size":4,"lr":0.001}`)
	a.waitStatus("batch 20 of run "+itoa(id), 30*time.Second, func(st statusJSON) bool {
		return st.Training.Progress.Batch >= 20 || st.Training.Status != string(fmnist.StatusTraining)
	})
	if r := a.postJSON("/api/training/stop", `{}`, nil); r.Status != http.StatusAccepted {
		t.Fatalf("stop: %d %s", r.Status, r.Body)
	}
	a.waitRunEnded(id, 30*time.Second)
	before := a.resumableRun(id)
	if before.Status != string(fmnist.StatusStopped) || len(before.Points) == 0 || len(before.Checkpoints) == 0 {
		t.Fatalf("run before the resume: %+v", before)
	}
	stoppedAt := before.Checkpoints[len(before.Checkpoints)-1]
	if stoppedAt.Batch == 0 {
		t.Fatalf("the stop landed at an epoch's end (%+v); the test needs one in mid-epoch", stoppedAt)
	}
	lastBefore := before.Points[len(before.Points)-1].Epoch

	// The dashboard offers Resume for the stopped run; JS off: 303 back.
	b := a.newBrowser()
	page := b.get("/")
	if !strings.Contains(page.Body, `id="resume-button"`) || !strings.Contains(page.Body, `name="run_id" value="`+itoa(id)+`"`) {
		t.Fatalf("the dashboard shows no Resume button for stopped run %d:\n%s", id, page.Body)
	}
	if r := b.post("/training/resume", url.Values{"run_id": {itoa(id)}}, false); r.Status != http.StatusSeeOther {
		t.Fatalf("POST /training/resume: %d %s", r.Status, r.Body)
	}
	// One run at a time: nothing else resumes or forks meanwhile.
	wantAPIError(t, "resume while training", a.postJSON("/api/runs/"+itoa(id)+"/resume", `{}`, nil), http.StatusConflict, fmnist.ECONFLICT, "")
	wantAPIError(t, "fork while training", a.postJSON("/api/runs/"+itoa(id)+"/fork", `{"checkpoint_id":`+itoa(stoppedAt.ID)+`}`, nil),
		http.StatusConflict, fmnist.ECONFLICT, "")
	if st := a.status(); st.Training.RunID != id {
		t.Errorf("the status names run %d while run %d resumes", st.Training.RunID, id)
	}
	st := a.waitRunEnded(id, 60*time.Second)
	if st.Training.Status != string(fmnist.StatusFinished) {
		t.Fatalf("resumed run ended as %s (%s)", st.Training.Status, st.Training.Reason)
	}

	after := a.resumableRun(id)
	if len(after.Epochs) != 2 || after.EndedAt == nil || after.Reason != "" {
		t.Errorf("resumed run: %d epochs, ended %v, reason %q; want 2, an end, no reason", len(after.Epochs), after.EndedAt, after.Reason)
	}
	if len(after.Resumes) != 1 || after.Resumes[0].CheckpointID != stoppedAt.ID || after.Resumes[0].Batch != stoppedAt.Batch ||
		after.Resumes[0].X < lastBefore {
		t.Fatalf("resumes %+v; want one from checkpoint %+v at x ≥ %v", after.Resumes, stoppedAt, lastBefore)
	}
	if len(after.Points) <= len(before.Points) {
		t.Fatalf("%d points after the resume, %d before", len(after.Points), len(before.Points))
	}
	for i, p := range after.Points {
		if i < len(before.Points) && p != before.Points[i] {
			t.Errorf("point %d changed from %+v to %+v", i, before.Points[i], p)
		}
		if i >= len(before.Points) && p.Epoch <= after.Resumes[0].X {
			t.Errorf("point %d after the resume is at epoch %v, not after %v", i, p.Epoch, after.Resumes[0].X)
		}
		if i > 0 && p.Epoch <= after.Points[i-1].Epoch {
			t.Errorf("points %d and %d go back: %v then %v", i-1, i, after.Points[i-1].Epoch, p.Epoch)
		}
	}
	if last := after.Points[len(after.Points)-1].Epoch; last != 2 {
		t.Errorf("the curve ends at %v, want 2", last)
	}

	// Finished: only more epochs resume it.
	wantAPIError(t, "resume of a finished run", a.postJSON("/api/runs/"+itoa(id)+"/resume", `{}`, nil), http.StatusConflict, fmnist.ECONFLICT, "")
	wantAPIError(t, "resume with epochs 0", a.postJSON("/api/runs/"+itoa(id)+"/resume", `{"epochs":0}`, nil),
		http.StatusUnprocessableEntity, fmnist.EINVALID, fmnist.FieldEpochs)
	wantAPIError(t, "resume of an unknown run", a.postJSON("/api/runs/999/resume", `{}`, nil), http.StatusNotFound, fmnist.ENOTFOUND, "")
	if r := a.postJSON("/api/runs/"+itoa(id)+"/resume", `{"epochs":3}`, nil); r.Status != http.StatusAccepted {
		t.Fatalf("resume with 3 epochs: %d %s", r.Status, r.Body)
	}
	a.waitRunEnded(id, 60*time.Second)
	extended := a.resumableRun(id)
	if extended.Status != string(fmnist.StatusFinished) || extended.Config.Epochs != 3 || len(extended.Epochs) != 3 || len(extended.Resumes) != 2 {
		t.Errorf("extended run: %s, config %+v, %d epochs, %d resumes; want finished, 3 and 3, 2 resumes",
			extended.Status, extended.Config, len(extended.Epochs), len(extended.Resumes))
	}
	if page := b.get("/"); strings.Contains(page.Body, `id="resume-button"`) {
		t.Errorf("the dashboard offers Resume for a finished run")
	}
}

// TestForkLinksItsParent forks a finished run at its epoch-1 checkpoint
// with a new learning rate, schedule and augmentation, which the fork
// trains with; a change of the network is refused naming its fields.
func TestForkLinksItsParent(t *testing.T) {
	a := startApp(t, appConfig{})
	a.prepareDataset()
	parent := a.startTraining(`{"epochs":2,"batch_size":32,"lr":0.001}`)
	a.waitRunEnded(parent, 60*time.Second)
	p := a.resumableRun(parent)
	if len(p.Checkpoints) != 2 || p.Checkpoints[0].Epoch != 1 || p.Parent != nil {
		t.Fatalf("parent run: checkpoints %+v, parent %+v", p.Checkpoints, p.Parent)
	}
	epoch1, epoch2 := p.Checkpoints[0], p.Checkpoints[1]
	fork := "/api/runs/" + itoa(parent) + "/fork"

	wantAPIError(t, "fork without a checkpoint", a.postJSON(fork, `{"lr":0.0005}`, nil), http.StatusUnprocessableEntity, fmnist.EINVALID, "checkpoint_id")
	wantAPIError(t, "fork with a bad learning rate", a.postJSON(fork, `{"checkpoint_id":`+itoa(epoch1.ID)+`,"lr":0}`, nil),
		http.StatusUnprocessableEntity, fmnist.EINVALID, fmnist.FieldLR)
	wantAPIError(t, "fork at the last epoch without more", a.postJSON(fork, `{"checkpoint_id":`+itoa(epoch2.ID)+`}`, nil),
		http.StatusUnprocessableEntity, fmnist.EINVALID, fmnist.FieldEpochs)
	wantAPIError(t, "fork of an unknown run", a.postJSON("/api/runs/999/fork", `{"checkpoint_id":`+itoa(epoch1.ID)+`}`, nil),
		http.StatusNotFound, fmnist.ENOTFOUND, "")
	wantAPIError(t, "fork with another network", a.postJSON(fork, `{"checkpoint_id":`+itoa(epoch1.ID)+`,"conv1":16,"batch_norm":true}`, nil),
		http.StatusUnprocessableEntity, fmnist.EINVALID, fmnist.FieldConv1)
	wantAPIError(t, "fork with a crop that is no number", a.postJSON(fork, `{"checkpoint_id":`+itoa(epoch1.ID)+`,"crop":"wide"}`, nil),
		http.StatusUnprocessableEntity, fmnist.EINVALID, fmnist.FieldCrop)
	wantAPIError(t, "fork with a bad schedule", a.postJSON(fork, `{"checkpoint_id":`+itoa(epoch1.ID)+`,"schedule":"sawtooth"}`, nil),
		http.StatusUnprocessableEntity, fmnist.EINVALID, fmnist.FieldSchedule)
	if r := a.postJSON(fork, `{"checkpoint_id":1,"learning_rate":1}`, nil); r.Status != http.StatusBadRequest {
		t.Errorf("fork with an unknown key: %d %s; want 400", r.Status, r.Body)
	}

	var created resumableRunJSON
	if r := a.postJSON(fork, `{"checkpoint_id":`+itoa(epoch1.ID)+`,"lr":0.0005,"schedule":"cosine","final_lr":0.00005,"crop":2,"flip":true}`, &created); r.Status != http.StatusCreated {
		t.Fatalf("fork: %d %s", r.Status, r.Body)
	}
	child := created.ID
	if child == parent || created.Parent == nil || created.Parent.RunID != parent || created.Parent.CheckpointID != epoch1.ID ||
		created.Parent.Epoch != 1 || created.Config.LR != 0.0005 || created.Config.Epochs != 2 || created.Config.BatchSize != 32 {
		t.Fatalf("fork answered %+v (parent %+v); want a new run of parent %d at checkpoint %d with lr 0.0005", created, created.Parent, parent, epoch1.ID)
	}
	if st := a.waitRunEnded(child, 60*time.Second); st.Training.Status != string(fmnist.StatusFinished) {
		t.Fatalf("fork ended as %s (%s)", st.Training.Status, st.Training.Reason)
	}
	c := a.resumableRun(child)
	if c.Parent == nil || c.Parent.RunID != parent || c.Parent.CheckpointID != epoch1.ID {
		t.Errorf("GET /api/runs/%d: parent %+v", child, c.Parent)
	}
	if len(c.Epochs) != 1 || c.Epochs[0].Epoch != 2 {
		t.Errorf("fork's epochs %+v; want epoch 2 only", c.Epochs)
	}
	want := p.Config
	want.LR, want.Schedule, want.FinalLR, want.Crop, want.Flip = 0.0005, fmnist.ScheduleCosine, 5e-5, 2, true
	if c.Config != want {
		t.Errorf("fork's stored config\n%+v\nwant the parent's with the changes\n%+v", c.Config, want)
	}
	// It trains on the cosine schedule: its rate falls over epoch 2.
	if n := len(c.Points); n < 2 || !(c.Points[n-1].LR < c.Points[0].LR) || c.Points[0].LR > 0.0005 {
		t.Errorf("fork's learning rates %+v; want them falling from at most 0.0005", c.Points)
	}
	if len(c.Points) == 0 || c.Points[0].Epoch <= 1 || c.Points[len(c.Points)-1].Epoch != 2 {
		t.Errorf("fork's curve %+v; want it to continue the parent's x-axis from epoch 1 to 2", c.Points)
	}
	if len(c.Checkpoints) != 1 || !strings.Contains(c.Checkpoints[0].Path, "run-"+itoa(child)+"-e02") {
		t.Errorf("fork's checkpoints %+v; want its own epoch-2 file", c.Checkpoints)
	}
	if again := a.resumableRun(parent); len(again.Points) != len(p.Points) || again.Status != p.Status {
		t.Errorf("the parent changed: %d points (was %d), %s", len(again.Points), len(p.Points), again.Status)
	}
}

// TestResumeAnInterruptedRun leaves a run as a killed process does (status
// training, its curve reported past its last checkpoint, which is epoch
// 1's), restarts, and resumes it: the curve past the checkpoint is drawn
// again by the resumed run, not twice.
func TestResumeAnInterruptedRun(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	first := startApp(t, appConfig{dataDir: dataDir, prepared: true})
	donor := first.startTraining(`{"epochs":1,"batch_size":32}`)
	first.waitRunEnded(donor, 60*time.Second)
	epoch1 := first.resumableRun(donor).Checkpoints[0]

	ctx := context.Background()
	cfg := fmnist.Config{Epochs: 2, BatchSize: 32, LR: 0.001, Seed: 1}
	crashed, err := first.DB.CreateRun(ctx, cfg, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	stale := []fmnist.LossPoint{{Epoch: 0.5, Loss: 2}, {Epoch: 1, Loss: 1.5}, {Epoch: 1.25, Loss: 9}, {Epoch: 1.5, Loss: 9}}
	if err := first.DB.AddLossPoints(ctx, crashed.ID, stale); err != nil {
		t.Fatal(err)
	}
	if err := first.DB.AddEpochResult(ctx, crashed.ID, fmnist.EpochResult{Epoch: 1, TestAccuracy: 0.6}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(epoch1.Path)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(first.Layout.Checkpoints(), "run-"+itoa(crashed.ID)+"-e01.ckpt")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := first.DB.AddCheckpoint(ctx, crashed.ID, path, 1, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	first.Stop()

	second := startApp(t, appConfig{dataDir: dataDir, source: first.Source})
	if st := second.status(); st.Training.RunID != crashed.ID || st.Training.Status != string(fmnist.StatusInterrupted) {
		t.Fatalf("after the restart: %+v; want run %d interrupted", st.Training, crashed.ID)
	}
	if page := second.get("/"); !strings.Contains(page.Body, `name="run_id" value="`+itoa(crashed.ID)+`"`) {
		t.Errorf("the dashboard offers no Resume for the interrupted run")
	}
	if r := second.postJSON("/api/runs/"+itoa(crashed.ID)+"/resume", ``, nil); r.Status != http.StatusAccepted {
		t.Fatalf("resume: %d %s", r.Status, r.Body)
	}
	if st := second.waitRunEnded(crashed.ID, 60*time.Second); st.Training.Status != string(fmnist.StatusFinished) {
		t.Fatalf("resumed run ended as %s (%s)", st.Training.Status, st.Training.Reason)
	}
	run := second.resumableRun(crashed.ID)
	if len(run.Resumes) != 1 || run.Resumes[0].X != 1 || run.Resumes[0].Epoch != 1 || run.Resumes[0].Batch != 0 {
		t.Errorf("resumes %+v; want one at epoch 1", run.Resumes)
	}
	if len(run.Points) < 3 || run.Points[0] != pointJSON(stale[0]) || run.Points[1] != pointJSON(stale[1]) {
		t.Fatalf("points %+v; want the two up to the checkpoint kept", run.Points)
	}
	for i, p := range run.Points[2:] {
		if p.Epoch <= 1 || p.Loss == 9 || i > 0 && p.Epoch <= run.Points[i+1].Epoch {
			t.Errorf("point %+v after the resume: want new points after epoch 1, in order, none of the stale ones", p)
		}
	}
	if len(run.Epochs) != 2 || run.Epochs[0].TestAccuracy != 0.6 {
		t.Errorf("epochs %+v; want the old epoch 1 and a new epoch 2", run.Epochs)
	}
}

// TestResumeRefusesAVersion1Checkpoint rewrites a run's checkpoint in the
// first format (weights only): predictions still use it, a resume is
// refused with a 409 that says why.
func TestResumeRefusesAVersion1Checkpoint(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	id := a.startTraining(`{"epochs":1,"batch_size":64}`)
	a.waitRunEnded(id, 60*time.Second)
	ck := a.resumableRun(id).Checkpoints[0]
	downgradeToVersion1(t, ck.Path)

	var preds predictionsJSON
	if r := a.postJSON("/api/predictions", `{}`, &preds); r.Status != http.StatusOK || preds.Checkpoint != ck.Path {
		t.Fatalf("predictions from a version-1 checkpoint: %d from %q", r.Status, preds.Checkpoint)
	}
	r := a.postJSON("/api/runs/"+itoa(id)+"/resume", `{"epochs":2}`, nil)
	wantAPIError(t, "resume from version 1", r, http.StatusConflict, fmnist.ECONFLICT, "")
	if !strings.Contains(r.Body, "predates resumable checkpoints") {
		t.Errorf("the refusal does not say why: %s", r.Body)
	}
	if st := a.status(); st.Training.Status != string(fmnist.StatusFinished) {
		t.Errorf("after a refused resume the run is %s", st.Training.Status)
	}
}

// downgradeToVersion1 rewrites the checkpoint at path as format version 1
// wrote it: the header without optimizer, config and position, and the
// weights alone (the first third of a version-2 payload).
func downgradeToVersion1(t *testing.T, path string) {
	t.Helper()
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = 20
	headerLen := int(binary.LittleEndian.Uint32(file[12:]))
	var header map[string]any
	if err := json.Unmarshal(file[prefix:prefix+headerLen], &header); err != nil {
		t.Fatal(err)
	}
	delete(header, "optimizer")
	meta := header["meta"].(map[string]any)
	delete(meta, "config")
	delete(meta, "position")
	payload := file[prefix+headerLen:]
	weights := payload[:len(payload)/3]
	sum := sha256.Sum256(weights)
	header["payload_bytes"] = len(weights)
	header["payload_sha256"] = hex.EncodeToString(sum[:])
	headerJSON, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte("FMNISTCK"), binary.LittleEndian.AppendUint32(nil, 1)...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(headerJSON)))
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(headerJSON, crc32.MakeTable(crc32.Castagnoli)))
	out = append(append(out, headerJSON...), weights...)
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}
