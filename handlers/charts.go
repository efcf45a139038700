package handlers

// What the pages' charts take from the request and the store.

import (
	"context"
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
)

// smoothParam is the page's ?smooth= weight, clamped to [0, 0.99]. A page
// is not refused for a bad value: it draws the raw curve instead.
func smoothParam(c echo.Context) float64 {
	w, err := strconv.ParseFloat(c.QueryParam("smooth"), 64)
	if err != nil {
		return 0
	}
	return views.ClampSmoothing(w)
}

// runMarkersOf reads what views.RunMarkers needs for run id; available is
// the size of the training set, 0 when unknown.
func (s *Server) runMarkersOf(ctx context.Context, id int64, cfg fmnist.Config, epochs []fmnist.EpochResult, available int) ([]views.ChartMarker, error) {
	resumes, err := s.runs.Resumes(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read run %d: %w", id, err)
	}
	cks, err := s.runs.Checkpoints(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read run %d: %w", id, err)
	}
	lrs, err := s.runs.LRChanges(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read run %d: %w", id, err)
	}
	return append(views.RunMarkers(epochs, resumes, cks, views.BatchesPerEpoch(cfg, available)), views.LRMarkers(lrs)...), nil
}
