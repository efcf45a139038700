// Package analytics is the web side of the model analytics: a run's
// confusion matrices per epoch, as page panels, htmx fragments, live events
// and JSON. It is its own package because handlers/ is at its size limit;
// handlers calls Routes, View and ConfusionEvent.
package analytics

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
	"github.com/fmnist/trainer/views/analyticsview"
)

// Source reads what the evaluations found; *app.Service is one. Unknown
// runs give an ENOTFOUND fmnist.Error.
type Source interface {
	fmnist.AnalysisReader
	fmnist.WarningReader
	fmnist.ExampleFinder
	LatestRun(ctx context.Context) (r fmnist.Run, ok bool, err error)
	TestImage(i int) (pixels []uint8, rows, cols, label int, err error)
}

// Routes returns the function that registers the analytics routes on e
// (pages and fragments) and api (JSON under /api).
func Routes(src Source) func(e *echo.Echo, api *echo.Group) {
	h := handler{src: src}
	return func(e *echo.Echo, api *echo.Group) {
		getOrHead := []string{http.MethodGet, http.MethodHead}
		e.Match(getOrHead, "/runs/:id/confusion", h.confusionFragment)
		api.Match(getOrHead, "/runs/:id/epochs/:n/confusion", h.apiConfusion)
		api.Match(getOrHead, "/runs/:id/warnings", h.apiWarnings)
		e.Match(getOrHead, "/runs/:id/examples", h.examplesPage)
		api.Match(getOrHead, "/runs/:id/examples", h.apiExamples)
		e.Match(getOrHead, "/runs/:id/dynamics", h.dynamicsPage)
		e.Match(getOrHead, "/runs/:id/dynamics/panel", h.dynamicsPanel)
		api.Match(getOrHead, "/runs/:id/dynamics", h.apiDynamics)
	}
}

type handler struct{ src Source }

// View is what a page shows of run runID's analytics; epochParam is the
// page's ?epoch= (empty or invalid: the newest epoch). Run 0 shows nothing.
func View(ctx context.Context, src Source, runID int64, epochParam string) (views.AnalyticsView, error) {
	if runID <= 0 {
		return views.AnalyticsView{Dynamics: analyticsview.DynamicsPlaceholder()}, nil
	}
	analyses, err := src.EpochAnalyses(ctx, runID)
	if err != nil {
		return views.AnalyticsView{}, fmt.Errorf("read the confusion matrices of run %d: %w", runID, err)
	}
	warnings, err := src.Warnings(ctx, runID)
	if err != nil {
		return views.AnalyticsView{}, fmt.Errorf("read the warnings of run %d: %w", runID, err)
	}
	dynamics, err := DynamicsPanel(ctx, src, runID, true)
	if err != nil {
		return views.AnalyticsView{}, err
	}
	epoch, _ := strconv.Atoi(epochParam)
	return views.AnalyticsView{Run: runID, Confusion: views.ConfusionViewOf(runID, analyses, max(epoch, 0)), Warnings: warnings, Dynamics: dynamics}, nil
}

// WarningEvent is the live "warning" event: an item for the page's banner
// and the API's JSON for scripts.
func WarningEvent(runID int64, w fmnist.Warning) (templ.Component, any) {
	return views.WarningItem(w), warningOf(runID, w)
}

func (h handler) apiWarnings(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	ws, err := h.src.Warnings(c.Request().Context(), id)
	if err != nil {
		return err
	}
	out := struct {
		Run      int64     `json:"run"`
		Warnings []Warning `json:"warnings"`
	}{Run: id, Warnings: []Warning{}}
	for _, w := range ws {
		out.Warnings = append(out.Warnings, warningOf(id, w))
	}
	return c.JSON(http.StatusOK, out)
}

// ConfusionEvent is the live "confusion" event of an analysis just
// reported: the panel for the page and the API's JSON for scripts.
func ConfusionEvent(runID int64, a fmnist.EpochAnalysis) (templ.Component, any) {
	return views.ConfusionPanel(views.LiveConfusionView(runID, a)), confusionOf(runID, a)
}

// confusionFragment is the panel at ?epoch= for htmx; a browser without
// it gets the run's page at that epoch.
func (h handler) confusionFragment(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	if c.Request().Header.Get("HX-Request") != "true" {
		q := url.Values{"epoch": {c.QueryParam("epoch")}}
		return c.Redirect(http.StatusSeeOther, "/runs/"+strconv.FormatInt(id, 10)+"?"+q.Encode()+"#confusion-panel")
	}
	v, err := View(c.Request().Context(), h.src, id, c.QueryParam("epoch"))
	if err != nil {
		return err
	}
	return render(c, views.ConfusionPanel(v.Confusion))
}

func (h handler) apiConfusion(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	epoch, err := strconv.Atoi(c.Param("n"))
	if err != nil || epoch < 1 {
		return fmnist.Errorf(fmnist.ENOTFOUND, "There is no epoch %q: an epoch is a whole number from 1.", c.Param("n"))
	}
	analyses, err := h.src.EpochAnalyses(c.Request().Context(), id)
	if err != nil {
		return err
	}
	for _, a := range analyses {
		if a.Epoch == epoch {
			return c.JSON(http.StatusOK, confusionOf(id, a))
		}
	}
	return fmnist.Errorf(fmnist.ENOTFOUND, "Run %d has no confusion matrix for epoch %d: %s.", id, epoch, evaluatedPhrase(analyses))
}

// evaluatedPhrase says which epochs have a matrix.
func evaluatedPhrase(analyses []fmnist.EpochAnalysis) string {
	switch len(analyses) {
	case 0:
		return "no epoch of it has been evaluated yet"
	case 1:
		return "only epoch " + strconv.Itoa(analyses[0].Epoch) + " has one"
	}
	return fmt.Sprintf("epochs %d to %d have one", analyses[0].Epoch, analyses[len(analyses)-1].Epoch)
}

// runID reads the :id of a run route.
func runID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fmnist.Errorf(fmnist.ENOTFOUND, "There is no run %q: a run id is a positive whole number.", c.Param("id"))
	}
	return id, nil
}

// render writes a templ component as the 200 answer.
func render(c echo.Context, component templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return component.Render(c.Request().Context(), c.Response())
}
