package handlers

import (
	"fmt"
	"net/http"
	"strconv"

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
	for _, sum := range sums {
		if v.Status == "" || string(sum.Status) == v.Status {
			v.Runs = append(v.Runs, views.NewRunRow(sum))
		}
	}
	v.Sort = views.SortRuns(v.Runs, v.Sort, v.Desc)
	return render(c, http.StatusOK, views.RunsPage(v))
}

// runID reads the :id of a run route.
func pageRunID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, fmnist.Errorf(fmnist.ENOTFOUND, "There is no run %q: a run id is a positive whole number.", c.Param("id"))
	}
	return id, nil
}

func (s *Server) confirmDeleteRun(c echo.Context) error {
	id, err := pageRunID(c)
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
	id, err := pageRunID(c)
	if err != nil {
		return err
	}
	if err := s.history.DeleteRun(c.Request().Context(), id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/runs")
}

func (s *Server) apiDeleteRun(c echo.Context) error {
	id, err := pageRunID(c)
	if err != nil {
		return err
	}
	if err := s.history.DeleteRun(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
