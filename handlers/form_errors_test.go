package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fmnist/trainer/fmnist"
)

// badTrainingForm has three bad fields of four: one that is no number and
// two out of range.
var badTrainingForm = url.Values{
	fmnist.FieldEpochs: {"0"}, fmnist.FieldBatchSize: {"64"}, fmnist.FieldLR: {"fast"}, fmnist.FieldTrainLimit: {"-5"},
}

// Every bad field is reported in one answer: the API lists them, and field
// names the first.
func TestAPIReportsEveryBadField(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	var e errorJSON
	r := a.postJSON("/api/training", `{"epochs":0,"lr":50,"train_limit":-1}`, &e)
	var got []string
	for _, f := range e.Error.Fields {
		got = append(got, f.Field+": "+f.Message)
	}
	want := []string{"epochs: must be between 1 and 1000", "lr: must be greater than 0 and at most 10",
		"train_limit: must be 0 (all) or a positive number of images"}
	if r.Status != http.StatusUnprocessableEntity || e.Error.Field != fmnist.FieldEpochs || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("status %d, error %+v; want 422, field epochs, fields %q", r.Status, e.Error, want)
	}
	if a.status().Training.Status != string(fmnist.StatusIdle) {
		t.Error("a refused config started a run")
	}
}

// The form as htmx sends it comes back with each bad field marked beside
// itself, in sentences, and the first one focused.
func TestTrainingFormMarksEveryBadField(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	b := a.newBrowser()
	r := b.post("/training", badTrainingForm, true)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422:\n%s", r.Status, r.Body)
	}
	checkFormErrors(t, r.Body)
}

// As a plain post, a refused form redirects to the page with what was
// typed in its query, so that a reload does not post again; the page
// checks the values again and shows the same errors.
func TestTrainingFormWithoutJavaScriptRedirects(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	b := a.newBrowser()
	page := followFormRedirect(t, b, "POST /training", b.post("/training", badTrainingForm, false))
	checkFormErrors(t, page.Body)
	for _, typed := range []string{`value="fast"`, `value="-5"`} {
		if !strings.Contains(page.Body, typed) {
			t.Errorf("the page does not show %s as typed", typed)
		}
	}

	// A link with good values just fills the form; a train limit past the
	// dataset (512 images) is caught as the service would.
	if r := b.get("/?epochs=2&batch_size=32&lr=0.01&train_limit="); r.Status != http.StatusOK || strings.Contains(r.Body, `aria-invalid`) {
		t.Errorf("good values: status %d, or a field is marked", r.Status)
	}
	if r := b.get("/?epochs=2&batch_size=32&lr=0.01&train_limit=9999"); !strings.Contains(r.Body, "Is larger than the training set (512 images).") {
		t.Errorf("a train limit past the dataset: status %d, and the page does not say so", r.Status)
	}
}

// followFormRedirect checks that r, the answer to a refused plain post of
// the training form, redirects to the page's own address with the values
// in the query, and returns the page there.
func followFormRedirect(t *testing.T, b *browser, what string, r response) response {
	t.Helper()
	loc, err := url.Parse(r.Header.Get("Location"))
	if r.Status != http.StatusSeeOther || err != nil || loc.Path != "/" || !loc.Query().Has(fmnist.FieldEpochs) {
		t.Fatalf("%s: status %d, Location %q; want 303 to /?…", what, r.Status, r.Header.Get("Location"))
	}
	page := b.get(loc.RequestURI())
	if page.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", loc.RequestURI(), page.Status)
	}
	return page
}

func checkFormErrors(t *testing.T, body string) {
	t.Helper()
	for _, want := range []string{
		`<p id="error-epochs" class="mt-1 text-xs text-red-700">Must be between 1 and 1000.</p>`,
		`<p id="error-lr" class="mt-1 text-xs text-red-700">Must be a number such as 0.001.</p>`,
		`<p id="error-train_limit" class="mt-1 text-xs text-red-700">Must be 0 (all) or a positive number of images.</p>`,
		"Please correct the 3 highlighted fields.",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	if n := strings.Count(body, `aria-invalid="true"`); n != 3 {
		t.Errorf("%d fields marked aria-invalid, want 3", n)
	}
	if strings.Contains(body, `id="error-batch_size"`) {
		t.Error("the good batch size is marked")
	}
	// Only the first bad field takes the focus, and without JavaScript.
	if n := strings.Count(body, " autofocus"); n != 1 || !strings.Contains(body, `aria-describedby="error-epochs" autofocus`) {
		t.Errorf("autofocus %d times, want once, on epochs", n)
	}
}

// Without JavaScript, Get Predictions lands at the predictions, not at the
// top of the page.
func TestPredictionsWithoutJavaScriptLandAtTheGrid(t *testing.T) {
	a := startApp(t, appConfig{prepared: true})
	b := a.newBrowser()
	a.waitRunEnded(a.startTraining(`{"epochs":1,"train_limit":128}`), 60*time.Second)
	r := b.post("/predictions", nil, false)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/#predictions-panel" {
		t.Errorf("status %d, Location %q; want 303 to /#predictions-panel", r.Status, r.Header.Get("Location"))
	}
}
