package handlers

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
)

// maxCompared is how many runs one comparison shows.
const maxCompared = 8

// comparePage overlays the loss curves of the runs in ?ids=1,2,3 (or
// ids=1&ids=2, as the runs page's checkboxes send them) and tabulates their
// configs and epoch results.
func (s *Server) comparePage(c echo.Context) error {
	ids, err := compareIDs(c.QueryParams()["ids"])
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v := views.CompareView{TrainImages: s.state.State().Dataset.Train, Smooth: smoothParam(c)}
	for i, id := range ids {
		run, err := s.runs.Run(ctx, id)
		if err != nil {
			return err
		}
		loss, err := s.runLoss(ctx, id)
		if err != nil {
			return err
		}
		results, err := s.runs.EpochResults(ctx, id)
		if err != nil {
			return fmt.Errorf("read run %d: %w", id, err)
		}
		v.Runs = append(v.Runs, views.CompareRun{Row: views.NewRunRow(fmnist.RunSummary{Run: run}), Color: views.RunColor(i),
			Loss: loss.Points, Epochs: views.EpochViews(results)})
		for _, e := range results {
			v.MaxEpoch = max(v.MaxEpoch, e.Epoch)
		}
	}
	v.Configs = views.CompareConfigs(v.Runs)
	return render(c, http.StatusOK, views.ComparePage(v))
}

// compareIDs reads the run ids of a comparison, in order, without repeats.
func compareIDs(params []string) ([]int64, error) {
	var ids []int64
	for _, p := range params {
		for part := range strings.SplitSeq(p, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			id, err := strconv.ParseInt(part, 10, 64)
			if err != nil || id < 1 {
				return nil, fmnist.FieldError("ids", fmt.Sprintf("%q is not a run id", part))
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	switch {
	case len(ids) == 0:
		return nil, fmnist.FieldError("ids", "tick the runs to compare on the runs page")
	case len(ids) > maxCompared:
		return nil, fmnist.FieldError("ids", fmt.Sprintf("compare at most %d runs at a time", maxCompared))
	}
	return ids, nil
}
