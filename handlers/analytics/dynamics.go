package analytics

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views/analyticsview"
)

// hardestShown is how many of the images that flipped most the panel shows.
const hardestShown = 12

// EpochDynamics is the JSON of one epoch's counts.
type EpochDynamics struct {
	Epoch       int `json:"epoch"`
	Right       int `json:"right"`
	Learned     int `json:"learned"`
	StayedRight int `json:"stayed_right"`
	Forgotten   int `json:"forgotten"`
	NeverRight  int `json:"never_right"`
}

// HardImage is the JSON of a test image that flipped between right and wrong.
type HardImage struct {
	Index       int    `json:"index"`
	True        int    `json:"true"`
	Flips       int    `json:"flips"`
	RightEpochs int    `json:"right_epochs"`
	Image       string `json:"image"`
}

// Dynamics is the JSON of GET /api/runs/{id}/dynamics: the counts per
// epoch, the test images of each group at the epoch asked for (the newest
// by default), by index (flipping: most flips first), and the hardest.
type Dynamics struct {
	Run     int64            `json:"run"`
	Images  int              `json:"images"`
	Epoch   int              `json:"epoch"` // the groups' epoch; 0: none evaluated
	Epochs  []EpochDynamics  `json:"epochs"`
	Groups  map[string][]int `json:"groups"`
	Hardest []HardImage      `json:"hardest"` // the images that flipped most, at most 48
}

func (h handler) apiDynamics(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	epoch, err := epochParam(c)
	if err != nil {
		return badRequest(err)
	}
	analyses, err := h.src.EpochAnalyses(c.Request().Context(), id)
	if err != nil {
		return err
	}
	d := fmnist.DynamicsOf(analyses)
	out := Dynamics{Run: id, Images: d.Images, Epoch: d.Newest(), Epochs: []EpochDynamics{}, Groups: map[string][]int{}, Hardest: []HardImage{}}
	if epoch > 0 {
		out.Epoch = epoch
	}
	for _, e := range d.Epochs {
		out.Epochs = append(out.Epochs, EpochDynamics(e))
	}
	for _, g := range fmnist.DynamicsGroups {
		flips, err := d.Group(g, epoch)
		if err != nil {
			return badRequest(err)
		}
		indices := make([]int, len(flips))
		for i, f := range flips {
			indices[i] = f.Index
		}
		out.Groups[string(g)] = indices
		if g == fmnist.GroupFlipping {
			for _, it := range h.labelled(flips[:min(len(flips), analyticsview.ExamplesPageSize)]) {
				out.Hardest = append(out.Hardest, HardImage{Index: it.Index, True: it.Label, Flips: it.Flips,
					RightEpochs: it.RightEpochs, Image: analyticsview.TestImageURL(it.Index)})
			}
		}
	}
	return c.JSON(http.StatusOK, out)
}

// epochParam reads ?epoch= (empty: 0, the newest).
func epochParam(c echo.Context) (int, error) {
	s := c.QueryParam("epoch")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmnist.FieldError("epoch", fmt.Sprintf("%q is not an epoch: use a whole number from 1", s))
	}
	return n, nil
}

// labelled adds each image's true class (-1 when the dataset is gone).
func (h handler) labelled(flips []fmnist.Flip) []analyticsview.GalleryItem {
	out := make([]analyticsview.GalleryItem, len(flips))
	for i, f := range flips {
		out[i] = analyticsview.GalleryItem{Flip: f, Label: -1}
		if _, _, _, label, err := h.src.TestImage(f.Index); err == nil {
			out[i].Label = label
		}
	}
	return out
}

// dynamicsView is run runID's dynamics with one page of group g at epoch.
func (h handler) dynamicsView(ctx context.Context, runID int64, g fmnist.DynamicsGroup, epoch, offset int) (analyticsview.DynamicsView, error) {
	analyses, err := h.src.EpochAnalyses(ctx, runID)
	if err != nil {
		return analyticsview.DynamicsView{}, fmt.Errorf("read the analyses of run %d: %w", runID, err)
	}
	d := fmnist.DynamicsOf(analyses)
	v := analyticsview.DynamicsView{Run: runID, Images: d.Images, Epochs: d.Epochs, Group: g, Epoch: epoch, Offset: offset}
	if v.Epoch == 0 {
		v.Epoch = d.Newest()
	}
	flipping, err := d.Group(fmnist.GroupFlipping, 0)
	if err != nil {
		return v, err
	}
	v.Hardest = h.labelled(flipping[:min(len(flipping), hardestShown)])
	if len(analyses) == 0 {
		v.Problem = "No epoch evaluated yet: the groups fill when the first epoch ends."
		return v, nil
	}
	items, err := d.Group(g, epoch)
	if err != nil {
		v.Problem = fmnist.ErrorMessage(err)
		return v, nil
	}
	v.Total = len(items)
	if offset < len(items) {
		v.Items = h.labelled(items[offset:min(len(items), offset+analyticsview.ExamplesPageSize)])
	}
	return v, nil
}

// dynamicsPage is the panel with a gallery of ?group= at ?epoch=.
func (h handler) dynamicsPage(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	g, err := fmnist.ParseDynamicsGroup(c.QueryParam("group"))
	if err != nil {
		return badRequest(err)
	}
	epoch, err := epochParam(c)
	if err != nil {
		return badRequest(err)
	}
	offset := 0
	if s := c.QueryParam("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			return badRequest(fmnist.FieldError("offset", fmt.Sprintf("%q is not a whole number from 0", s)))
		}
	}
	v, err := h.dynamicsView(c.Request().Context(), id, g, epoch, offset)
	if err != nil {
		return err
	}
	return render(c, analyticsview.DynamicsPage(v))
}

// dynamicsPanel is the panel alone, which a live page fetches again at
// each epoch's end; run "latest" is the newest run.
func (h handler) dynamicsPanel(c echo.Context) error {
	ctx := c.Request().Context()
	var id int64
	if c.Param("id") == "latest" {
		run, ok, err := h.src.LatestRun(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return render(c, analyticsview.DynamicsPlaceholder())
		}
		id = run.ID
	} else {
		var err error
		if id, err = runID(c); err != nil {
			return err
		}
	}
	v, err := h.dynamicsView(ctx, id, fmnist.GroupNeverRight, 0, 0)
	if err != nil {
		return err
	}
	v.Live = true
	return render(c, analyticsview.DynamicsPanel(v))
}

// DynamicsPanel is the panel a page shows of run runID (0: the placeholder
// that the first epoch's end fills); live pages fetch it again at each
// epoch's end.
func DynamicsPanel(ctx context.Context, src Source, runID int64, live bool) (templ.Component, error) {
	if runID <= 0 {
		return analyticsview.DynamicsPlaceholder(), nil
	}
	v, err := handler{src: src}.dynamicsView(ctx, runID, fmnist.GroupNeverRight, 0, 0)
	if err != nil {
		return nil, err
	}
	v.Live = live
	return analyticsview.DynamicsPanel(v), nil
}
