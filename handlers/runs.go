package handlers

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/views"
)

// The runs page (GET /runs), deleting a run with a confirmation that needs
// no JavaScript (GET and POST /runs/{id}/delete), and DELETE /api/runs/{id}.

func (s *Server) runsPage(c echo.Context) error {
	sums, err := s.history.RunSummaries(c.Request().Context())
	if err != nil {
		return fmt.Errorf("list runs: %w", err)
	}
	v := views.RunsView{CSRF: csrfToken(c), Sort: c.QueryParam("sort"), Desc: c.QueryParam("dir") != "asc",
		Status: c.QueryParam("status")}
	if !slices.ContainsFunc(views.RunColumns, func(col struct{ Key, Title string }) bool { return col.Key == v.Sort }) {
		v.Sort = "id"
	}
	for _, sum := range sums {
		if v.Status == "" || string(sum.Status) == v.Status {
			v.Runs = append(v.Runs, views.NewRunRow(sum))
		}
	}
	sortRuns(v.Runs, v.Sort, v.Desc)
	return render(c, http.StatusOK, views.RunsPage(v))
}

// sortRuns sorts rows by a views.RunColumns key; ties go by id, and runs
// without a value (NaN) come last either way.
func sortRuns(rows []views.RunRow, key string, desc bool) {
	byFloat := func(f func(views.RunRow) float64) func(a, b views.RunRow) int {
		return func(a, b views.RunRow) int {
			x, y := f(a), f(b)
			switch {
			case x != x && y != y: // both NaN
				return 0
			case x != x:
				return 1
			case y != y:
				return -1
			}
			if desc {
				return cmp.Compare(y, x)
			}
			return cmp.Compare(x, y)
		}
	}
	var by func(a, b views.RunRow) int
	switch key {
	case "status":
		by = func(a, b views.RunRow) int { return strings.Compare(a.Status.Label(), b.Status.Label()) }
	case "config":
		by = func(a, b views.RunRow) int {
			return strings.Compare(views.ConfigShort(a.Config), views.ConfigShort(b.Config))
		}
	case "started":
		by = func(a, b views.RunRow) int { return a.StartedAt.Compare(b.StartedAt) }
	case "duration":
		by = func(a, b views.RunRow) int { return cmp.Compare(a.Duration, b.Duration) }
	case "epochs":
		by = func(a, b views.RunRow) int { return cmp.Compare(a.EpochsDone, b.EpochsDone) }
	case "best":
		by = byFloat(func(r views.RunRow) float64 { return r.BestAccuracy })
	case "final":
		by = byFloat(func(r views.RunRow) float64 { return r.TestAccuracy })
	case "speed":
		by = byFloat(func(r views.RunRow) float64 { return r.ImagesPerSec })
	}
	isFloat := key == "best" || key == "final" || key == "speed"
	slices.SortStableFunc(rows, func(a, b views.RunRow) int {
		if by != nil {
			r := by(a, b)
			if r != 0 {
				if desc && !isFloat {
					return -r
				}
				return r
			}
		}
		if desc {
			return cmp.Compare(b.ID, a.ID)
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// runID reads the :id of a run route.
func runID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fmnist.Errorf(fmnist.ENOTFOUND, "There is no run %q: a run id is a positive whole number.", c.Param("id"))
	}
	return id, nil
}

func (s *Server) confirmDeleteRun(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	run, err := s.runs.Run(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.DeleteRunPage(views.NewRunRow(fmnist.RunSummary{Run: run}), csrfToken(c)))
}

func (s *Server) deleteRun(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	if err := s.history.DeleteRun(c.Request().Context(), id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/runs")
}

func (s *Server) apiDeleteRun(c echo.Context) error {
	id, err := runID(c)
	if err != nil {
		return err
	}
	if err := s.history.DeleteRun(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
