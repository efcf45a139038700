package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

type examplesJSON struct {
	Run     int64    `json:"run"`
	Epoch   int      `json:"epoch"`
	True    *int     `json:"true"`
	Pred    *int     `json:"pred"`
	Order   string   `json:"order"`
	Total   int      `json:"total"`
	Limit   int      `json:"limit"`
	Offset  int      `json:"offset"`
	Classes []string `json:"classes"`
	Items   []struct {
		Index         int       `json:"index"`
		True          int       `json:"true"`
		Pred          int       `json:"pred"`
		Confidence    float64   `json:"confidence"`
		Probabilities []float64 `json:"probabilities"`
		Image         string    `json:"image"`
	} `json:"items"`
}

type dynamicsJSON struct {
	Run    int64 `json:"run"`
	Images int   `json:"images"`
	Epoch  int   `json:"epoch"`
	Epochs []struct {
		Epoch       int `json:"epoch"`
		Right       int `json:"right"`
		Learned     int `json:"learned"`
		StayedRight int `json:"stayed_right"`
		Forgotten   int `json:"forgotten"`
		NeverRight  int `json:"never_right"`
	} `json:"epochs"`
	Groups  map[string][]int `json:"groups"`
	Hardest []struct {
		Index, True, Flips int
	} `json:"hardest"`
}

// The examples of a confusion cell come from the epoch's checkpoint: as
// many as the cell counts, each of that true and predicted class, the most
// confident first, paged; their classes agree with the matrix. Bad
// parameters are a 400 naming each.
func TestExamplesOfAConfusionCell(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	run := a.startTraining(`{"epochs":2,"batch_size":32}`)
	a.waitRunEnded(run, 60*time.Second)
	var c confusionJSON
	if code := a.getJSON("/api/runs/"+itoa(run)+"/epochs/1/confusion", &c); code != http.StatusOK {
		t.Fatalf("confusion: %d", code)
	}
	total := 0
	for tr := range 10 {
		for p := range 10 {
			var e examplesJSON
			path := "/api/runs/" + itoa(run) + "/examples?epoch=1&true=" + itoa(int64(tr)) + "&pred=" + itoa(int64(p)) + "&limit=1000"
			if code := a.getJSON(path, &e); code != http.StatusOK {
				t.Fatalf("GET %s: %d", path, code)
			}
			if e.Total != c.Matrix[tr][p] || len(e.Items) != e.Total {
				t.Errorf("cell (%d, %d): %d examples (%d listed), the matrix counts %d", tr, p, e.Total, len(e.Items), c.Matrix[tr][p])
			}
			for i, it := range e.Items {
				if it.True != tr || it.Pred != p || len(it.Probabilities) != 10 || it.Confidence != it.Probabilities[p] {
					t.Errorf("cell (%d, %d): item %+v", tr, p, it)
				}
				if i > 0 && it.Confidence > e.Items[i-1].Confidence {
					t.Errorf("cell (%d, %d): item %d is more confident than the one before", tr, p, i)
				}
			}
			total += e.Total
		}
	}
	if total != testImages {
		t.Errorf("the cells list %d images, want %d", total, testImages)
	}

	var all examplesJSON
	a.getJSON("/api/runs/"+itoa(run)+"/examples", &all)
	if all.Epoch != 2 || all.Total != testImages || len(all.Items) != 48 || all.Limit != 48 || all.True != nil || all.Order != "confidence" {
		t.Errorf("no filter: epoch %d, total %d, %d items, limit %d; want epoch 2, %d, 48, 48", all.Epoch, all.Total, len(all.Items), all.Limit, testImages)
	}
	var page2 examplesJSON
	a.getJSON("/api/runs/"+itoa(run)+"/examples?order=index&offset=48&limit=48", &page2)
	if len(page2.Items) != 48 || page2.Items[0].Index != 48 || page2.Offset != 48 {
		t.Errorf("the second page by index starts at %+v", page2.Items[:1])
	}
	var last examplesJSON
	a.getJSON("/api/runs/"+itoa(run)+"/examples?offset="+itoa(testImages), &last)
	if last.Items == nil || len(last.Items) != 0 {
		t.Errorf("past the end: %v, want []", last.Items)
	}

	for _, bad := range []struct{ query, names string }{
		{"true=10", "true"},
		{"pred=x", "pred"},
		{"epoch=0", "epoch"},
		{"order=random", "order"},
		{"limit=0&offset=-1", "limit offset"},
		{"limit=5000", "limit"},
	} {
		var e errorJSON
		code := a.getJSON("/api/runs/"+itoa(run)+"/examples?"+bad.query, &e)
		if code != http.StatusBadRequest {
			t.Errorf("?%s: %d, want 400", bad.query, code)
		}
		for _, name := range strings.Fields(bad.names) {
			if !strings.Contains(e.Error.Message, name+":") {
				t.Errorf("?%s: %q does not name %s", bad.query, e.Error.Message, name)
			}
		}
	}
	var e errorJSON
	if code := a.getJSON("/api/runs/"+itoa(run)+"/examples?epoch=3", &e); code != http.StatusNotFound || !strings.Contains(e.Error.Message, "1, 2") {
		t.Errorf("epoch 3: %d %+v; want 404 naming the epochs kept", code, e)
	}
	if code := a.getJSON("/api/runs/99/examples", &e); code != http.StatusNotFound {
		t.Errorf("an unknown run: %d", code)
	}

	page := a.get("/runs/" + itoa(run) + "/examples?epoch=1&true=0&pred=6")
	if page.Status != http.StatusOK || strings.Count(page.Body, `class="top3`) != 3*min(48, c.Matrix[0][6]) {
		t.Errorf("the examples page: %d, %d top-3 bars for %d images", page.Status, strings.Count(page.Body, `class="top3`), c.Matrix[0][6])
	}
	if bad := a.get("/runs/" + itoa(run) + "/examples?true=11"); bad.Status != http.StatusBadRequest || !strings.Contains(bad.Body, "is not a class") {
		t.Errorf("the page with ?true=11: %d", bad.Status)
	}
	if run := a.get("/runs/" + itoa(run) + "?epoch=1"); !strings.Contains(run.Body, `href="/runs/`+itoa(1)+`/examples?epoch=1&amp;true=0&amp;pred=6"`) {
		t.Error("the matrix table's cells do not link to their examples")
	}
}

// The dynamics count, per epoch, what each image did; the groups list the
// images of each, and the counts agree with them and with the accuracy.
func TestDynamicsOfARun(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	run := a.startTraining(`{"epochs":2,"batch_size":32}`)
	a.waitRunEnded(run, 60*time.Second)
	r := a.run(run)
	var d dynamicsJSON
	if code := a.getJSON("/api/runs/"+itoa(run)+"/dynamics", &d); code != http.StatusOK {
		t.Fatalf("dynamics: %d", code)
	}
	if d.Images != testImages || d.Epoch != 2 || len(d.Epochs) != 2 {
		t.Fatalf("dynamics %+v", d)
	}
	for i, e := range d.Epochs {
		if got := float64(e.Right) / testImages; got != r.Epochs[i].TestAccuracy || e.Right != e.Learned+e.StayedRight {
			t.Errorf("epoch %d: %+v; right/images = %v, want the accuracy %v", e.Epoch, e, got, r.Epochs[i].TestAccuracy)
		}
	}
	newest := d.Epochs[1]
	if len(d.Groups["learned"]) != newest.Learned || len(d.Groups["forgotten"]) != newest.Forgotten || len(d.Groups["never_right"]) != newest.NeverRight {
		t.Errorf("the groups (%d, %d, %d) do not match the counts %+v", len(d.Groups["learned"]), len(d.Groups["forgotten"]), len(d.Groups["never_right"]), newest)
	}
	if d.Epochs[0].Learned != d.Epochs[0].Right || d.Epochs[0].Forgotten != 0 {
		t.Errorf("epoch 1 learned everything it got right and forgot nothing: %+v", d.Epochs[0])
	}
	var d1 dynamicsJSON
	a.getJSON("/api/runs/"+itoa(run)+"/dynamics?epoch=1", &d1)
	if d1.Epoch != 1 || len(d1.Groups["learned"]) != d.Epochs[0].Learned {
		t.Errorf("?epoch=1: epoch %d, %d learned; want 1, %d", d1.Epoch, len(d1.Groups["learned"]), d.Epochs[0].Learned)
	}
	var e errorJSON
	if code := a.getJSON("/api/runs/"+itoa(run)+"/dynamics?epoch=5", &e); code != http.StatusBadRequest || !strings.Contains(e.Error.Message, "epochs 1 to 2") {
		t.Errorf("?epoch=5: %d %+v", code, e)
	}
	if code := a.getJSON("/api/runs/"+itoa(run)+"/dynamics?epoch=x", &e); code != http.StatusBadRequest {
		t.Errorf("?epoch=x: %d", code)
	}

	page := a.get("/runs/" + itoa(run) + "/dynamics?group=never_right")
	if page.Status != http.StatusOK || strings.Count(page.Body, `class="gallery-item`) != min(48, newest.NeverRight) {
		t.Errorf("the never-right gallery: %d, %d images, want %d", page.Status, strings.Count(page.Body, `class="gallery-item`), min(48, newest.NeverRight))
	}
	if bad := a.get("/runs/" + itoa(run) + "/dynamics?group=easy"); bad.Status != http.StatusBadRequest {
		t.Errorf("?group=easy: %d, want 400", bad.Status)
	}
	if runPage := a.get("/runs/" + itoa(run)); !strings.Contains(runPage.Body, `id="dynamics-table"`) {
		t.Error("the run page has no dynamics panel")
	}
}
