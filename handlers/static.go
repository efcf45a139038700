package handlers

import (
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/fmnist/trainer/public"
)

// compressResponses gzips pages, fragments and JSON for clients that accept
// it. Not the event stream (a gzip writer holds events back until its
// buffer fills, so viewers would see nothing live), and not /public/, whose
// files are compressed once at start (public.Serve).
func compressResponses() echo.MiddlewareFunc {
	return middleware.GzipWithConfig(middleware.GzipConfig{
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return p == "/events" || strings.HasPrefix(p, "/public/")
		},
	})
}

// serveAsset serves an embedded file by its plain or content-hashed name;
// an unknown name or stale hash gets the usual 404 page.
func serveAsset(c echo.Context) error {
	a, hashed, ok := public.Lookup(c.Param("*"))
	if !ok {
		return echo.ErrNotFound
	}
	public.Serve(c.Response(), c.Request(), a, hashed)
	return nil
}
