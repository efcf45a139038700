package handlers

import (
	"math"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views/downsample"
)

// Query parameters of the API's reads. A bad value is an EINVALID error
// that names the parameter, so scripts get a 422 saying which one.

// queryInt reads the whole number name, def when it is absent, and
// refuses one outside [lo, hi].
func queryInt(c echo.Context, name string, def, lo, hi int) (int, error) {
	s := c.QueryParam(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		if hi == math.MaxInt {
			return 0, fmnist.FieldError(name, "must be a whole number of at least "+strconv.Itoa(lo))
		}
		return 0, fmnist.FieldError(name, "must be a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
	return n, nil
}

// queryFloat reads the finite number name, def when it is absent.
func queryFloat(c echo.Context, name string, def float64) (float64, error) {
	s := c.QueryParam(name)
	if s == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmnist.FieldError(name, "must be a number")
	}
	return f, nil
}

// queryStatus reads a run status to filter by; "" means any.
func queryStatus(c echo.Context, name string) (fmnist.Status, error) {
	s := fmnist.Status(c.QueryParam(name))
	if s == "" {
		return "", nil
	}
	for _, known := range fmnist.RunStatuses {
		if s == known {
			return s, nil
		}
	}
	names := make([]string, len(fmnist.RunStatuses))
	for i, st := range fmnist.RunStatuses {
		names[i] = string(st)
	}
	return "", fmnist.FieldError(name, "must be one of "+strings.Join(names, ", "))
}

// runFilter reads the status, limit and offset of a list of runs.
func runFilter(c echo.Context) (fmnist.RunFilter, error) {
	status, err := queryStatus(c, "status")
	if err != nil {
		return fmnist.RunFilter{}, err
	}
	limit, err := queryInt(c, "limit", defaultRunsLimit, 1, maxRunsLimit)
	if err != nil {
		return fmnist.RunFilter{}, err
	}
	offset, err := queryInt(c, "offset", 0, 0, math.MaxInt)
	if err != nil {
		return fmnist.RunFilter{}, err
	}
	return fmnist.RunFilter{Status: status, Limit: limit, Offset: offset}, nil
}

// The page size of GET /api/runs.
const (
	defaultRunsLimit = 100
	maxRunsLimit     = 1000
)

// curveWindow is the part of a loss curve GET /api/runs/{id} returns:
// points with From <= epoch <= To, thinned to MaxPoints (0: all of them).
type curveWindow struct {
	From, To  float64
	MaxPoints int
}

func queryCurveWindow(c echo.Context) (curveWindow, error) {
	var w curveWindow
	var err error
	if w.From, err = queryFloat(c, "from", math.Inf(-1)); err != nil {
		return w, err
	}
	if w.To, err = queryFloat(c, "to", math.Inf(1)); err != nil {
		return w, err
	}
	if w.From > w.To {
		return w, fmnist.FieldError("to", "must not be less than from")
	}
	// LTTB keeps the two ends and at least one point between them.
	if w.MaxPoints, err = queryInt(c, "max_points", 0, 3, math.MaxInt); err != nil {
		return w, err
	}
	return w, nil
}

// apply returns the points of w, thinned by LTTB to w.MaxPoints.
func (w curveWindow) apply(points []fmnist.LossPoint) []fmnist.LossPoint {
	if !math.IsInf(w.From, -1) || !math.IsInf(w.To, 1) {
		in := make([]fmnist.LossPoint, 0, len(points))
		for _, p := range points {
			if p.Epoch >= w.From && p.Epoch <= w.To {
				in = append(in, p)
			}
		}
		points = in
	}
	if w.MaxPoints > 0 {
		points = downsample.LTTB(points, w.MaxPoints, lossXY)
	}
	return points
}

// lossXY is a loss point's place on the chart.
func lossXY(p fmnist.LossPoint) (float64, float64) { return p.Epoch, p.Loss }
