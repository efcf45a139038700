package handlers

import (
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/fmnist/trainer/views"
)

func TestSmoothParam(t *testing.T) {
	for q, want := range map[string]float64{"": 0, "0.6": 0.6, "2": views.MaxSmoothing, "-1": 0, "x": 0, "NaN": 0} {
		c := echo.New().NewContext(httptest.NewRequest("GET", "/?smooth="+q, nil), httptest.NewRecorder())
		if got := smoothParam(c); got != want {
			t.Errorf("?smooth=%s gives %v, want %v", q, got, want)
		}
	}
}
