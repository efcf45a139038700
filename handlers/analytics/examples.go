package analytics

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views/analyticsview"
)

// maxExamplesLimit caps ?limit=: a page of the whole test set is 10,000
// images' probabilities, about 2 MB of JSON.
const maxExamplesLimit = 1000

// exampleQuery reads ?true=&pred=&epoch=&order=&limit=&offset=. Every bad
// parameter is named in one EINVALID error.
func exampleQuery(c echo.Context) (fmnist.ExampleQuery, error) {
	q := fmnist.ExampleQuery{True: -1, Pred: -1, ByConfidence: true, Limit: analyticsview.ExamplesPageSize}
	var fe fmnist.FieldErrors
	class := func(name string, to *int) {
		if s := c.QueryParam(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n >= fmnist.NumClasses {
				fe.Add(name, fmt.Sprintf("%q is not a class: use 0 to 9 (0 is %s, 9 is %s), or leave it out for any", s, fmnist.ClassNames[0], fmnist.ClassNames[9]))
				return
			}
			*to = n
		}
	}
	whole := func(name string, lo, hi int, to *int) {
		if s := c.QueryParam(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < lo || n > hi {
				fe.Add(name, fmt.Sprintf("%q is not a whole number from %d to %d", s, lo, hi))
				return
			}
			*to = n
		}
	}
	class("true", &q.True)
	class("pred", &q.Pred)
	whole("epoch", 1, 1<<30, &q.Epoch)
	whole("limit", 1, maxExamplesLimit, &q.Limit)
	whole("offset", 0, 1<<30, &q.Offset)
	switch c.QueryParam("order") {
	case "", "confidence":
	case "index":
		q.ByConfidence = false
	default:
		fe.Add("order", fmt.Sprintf("%q is not an order: use confidence (the most confident first) or index", c.QueryParam("order")))
	}
	return q, fe.Err()
}

// badRequest turns a bad query into a 400 whose message names every bad
// parameter: "Bad query: true: … ; order: …".
func badRequest(err error) error {
	var parts []string
	for _, f := range fmnist.Problems(err) {
		parts = append(parts, f.Field+": "+f.Message)
	}
	if len(parts) == 0 {
		parts = append(parts, fmnist.ErrorMessage(err))
	}
	return echo.NewHTTPError(http.StatusBadRequest, "Bad query: "+strings.Join(parts, "; ")+".")
}

// Example is the JSON of a test image as a checkpoint answered it.
type Example struct {
	Index         int       `json:"index"`
	True          int       `json:"true"`
	Pred          int       `json:"pred"`
	Confidence    float64   `json:"confidence"` // the probability of pred
	Probabilities []float64 `json:"probabilities"`
	Image         string    `json:"image"` // the PNG's path
}

// Examples is the JSON of a page of examples.
type Examples struct {
	Run        int64     `json:"run"`
	Epoch      int       `json:"epoch"`
	Checkpoint int64     `json:"checkpoint"`
	True       *int      `json:"true"` // null: any
	Pred       *int      `json:"pred"`
	Order      string    `json:"order"`
	Total      int       `json:"total"`
	Limit      int       `json:"limit"`
	Offset     int       `json:"offset"`
	Classes    []string  `json:"classes"`
	Items      []Example `json:"items"`
}

func examplesOf(runID int64, q fmnist.ExampleQuery, p fmnist.ExamplePage) Examples {
	out := Examples{Run: runID, Epoch: p.Epoch, Checkpoint: p.Checkpoint, Order: "confidence", Total: p.Total,
		Limit: q.Limit, Offset: q.Offset, Classes: fmnist.ClassNames[:], Items: []Example{}}
	if !q.ByConfidence {
		out.Order = "index"
	}
	if q.True >= 0 {
		out.True = &q.True
	}
	if q.Pred >= 0 {
		out.Pred = &q.Pred
	}
	for _, it := range p.Items {
		out.Items = append(out.Items, Example{Index: it.Index, True: it.Label, Pred: it.Predicted,
			Confidence: it.Probabilities[it.Predicted], Probabilities: it.Probabilities[:],
			Image: analyticsview.TestImageURL(it.Index)})
	}
	return out
}

// examplesRequest reads the run and the query of an examples route.
func examplesRequest(c echo.Context) (int64, fmnist.ExampleQuery, error) {
	id, err := runID(c)
	if err != nil {
		return 0, fmnist.ExampleQuery{}, err
	}
	q, err := exampleQuery(c)
	if err != nil {
		return 0, q, badRequest(err)
	}
	return id, q, nil
}

func (h handler) apiExamples(c echo.Context) error {
	id, q, err := examplesRequest(c)
	if err != nil {
		return err
	}
	page, err := h.src.Examples(c.Request().Context(), id, q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, examplesOf(id, q, page))
}

// examplesPage is the page of a matrix cell's images. A bad filter is a
// 400 page that says which; a checkpoint that is gone shows as the problem.
func (h handler) examplesPage(c echo.Context) error {
	id, q, err := examplesRequest(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	analyses, err := h.src.EpochAnalyses(ctx, id)
	if err != nil {
		return err
	}
	v := analyticsview.ExamplesView{Run: id, Query: q}
	for _, a := range analyses {
		v.Epochs = append(v.Epochs, a.Epoch)
	}
	v.Page, err = h.src.Examples(ctx, id, q)
	var fe *fmnist.Error
	switch {
	case errors.As(err, &fe) && fe.Code != fmnist.EINTERNAL:
		v.Problem = fe.Message
		v.Page.Epoch = q.Epoch
	case err != nil:
		return err
	}
	return render(c, analyticsview.ExamplesPage(v))
}
