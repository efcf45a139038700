// Package handlers is the web layer: echo routes for the page, its form
// actions (plain POST and htmx), the JSON API for scripts and the
// Server-Sent Events stream. Handlers only translate between HTTP and the
// app service; the work happens in package app and package ml.
package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/public"
	"github.com/fmnist/trainer/views"
)

// Options configure the web layer.
type Options struct {
	Logger *slog.Logger
	// ChartPoints is the loss chart's history length: the page and the
	// browser keep the last ChartPoints points. 0 means views.DefaultMaxPoints.
	ChartPoints int
	// BodyLimit caps request bodies, e.g. "64K". "" means 64K.
	BodyLimit string
}

// Server is the HTTP handler of the app. It implements app.Publisher, turning
// the service's updates into Server-Sent Events.
type Server struct {
	echo        *echo.Echo
	svc         *app.Service
	hub         *Hub
	log         *slog.Logger
	chartPoints int
}

// contentSecurityPolicy allows only same-origin scripts, with no inline
// script; styles may be inline (ECharts and progress bars set widths).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; " +
	"form-action 'self'; frame-ancestors 'none'"

// New builds the routes. Call Close to end the event streams.
func New(svc *app.Service, opts Options) *Server {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if opts.ChartPoints <= 0 {
		opts.ChartPoints = views.DefaultMaxPoints
	}
	if opts.BodyLimit == "" {
		opts.BodyLimit = "64K"
	}
	s := &Server{echo: echo.New(), svc: svc, hub: NewHub(logger), log: logger, chartPoints: opts.ChartPoints}
	s.hub.Snapshot(views.EventStatus, views.EventProgress, views.EventDataset, views.EventPredictions)
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError

	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogMethod: true, LogURI: true, LogStatus: true, LogLatency: true, LogError: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			logger.LogAttrs(c.Request().Context(), level, "request",
				slog.String("method", v.Method), slog.String("uri", v.URI), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency))
			return nil
		},
	}))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			logger.Error("panic in handler", "uri", c.Request().RequestURI, "err", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ContentSecurityPolicy: contentSecurityPolicy,
		ReferrerPolicy:        "same-origin",
	}))
	e.Use(middleware.BodyLimit(opts.BodyLimit))
	e.Use(readForm)
	e.Use(middleware.CSRFWithConfig(middleware.CSRFConfig{
		// The JSON API needs no token: it accepts only application/json,
		// which a foreign page cannot send without CORS, and we allow none.
		// The request path, not the route: an unknown /api/ address is a
		// JSON 404, not a CSRF refusal.
		Skipper:        func(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") },
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		CookieName:     "_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSameSite: http.SameSiteStrictMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden,
				"This form could not be verified (missing or invalid CSRF token). Reload the page and try again.")
		},
	}))

	e.GET("/", s.page)
	e.GET("/healthz", s.health)
	e.GET("/events", echo.WrapHandler(s.hub))
	e.GET("/predictions/image/:file", s.testImage)
	e.POST("/dataset", s.prepareDataset)
	e.POST("/training", s.startTraining)
	e.POST("/training/stop", s.stopTraining)
	e.POST("/predictions", s.predict)

	api := e.Group("/api")
	api.GET("/status", s.apiStatus)
	api.GET("/runs", s.apiRuns)
	api.GET("/runs/:id", s.apiRun)
	api.POST("/dataset", s.apiPrepareDataset, requireJSON)
	api.POST("/training", s.apiStartTraining, requireJSON)
	api.POST("/training/stop", s.apiStopTraining, requireJSON)
	api.POST("/predictions", s.apiPredict, requireJSON)

	e.StaticFS("/public", public.FS)
	return s
}

// readForm reads a posted form before the CSRF check and the handlers look
// at it. A body cut off by the size limit (one sent without Content-Length)
// is then refused with 413; read later, it would look like an empty form,
// and an empty training form means the defaults.
func readForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		ct := r.Header.Get(echo.HeaderContentType)
		if r.Method != http.MethodPost ||
			!strings.HasPrefix(ct, echo.MIMEApplicationForm) && !strings.HasPrefix(ct, echo.MIMEMultipartForm) {
			return next(c)
		}
		if _, err := c.FormParams(); err != nil {
			if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
				return err
			}
			return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read. Reload the page and try again.")
		}
		return next(c)
	}
}

// ServeHTTP serves the app.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Close ends every event stream (they never end on their own), so a
// graceful shutdown does not wait for them.
func (s *Server) Close() { s.hub.Close() }

// Hub gives tests access to the event hub.
func (s *Server) Hub() *Hub { return s.hub }

func (s *Server) health(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleError answers errors as a page in the app's layout, or as JSON
// under /api/ and for htmx requests as a short fragment.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := http.StatusInternalServerError
	msg := "Something went wrong on the server."
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		}
		switch code {
		case http.StatusNotFound:
			msg = "There is no page at " + c.Request().URL.Path + "."
		case http.StatusRequestEntityTooLarge:
			msg = "The request body is too large."
		case http.StatusMethodNotAllowed:
			msg = "This address does not accept " + c.Request().Method + " requests."
		}
	}
	if code >= 500 {
		s.log.Error("request failed", "uri", c.Request().RequestURI, "err", err)
	}
	switch {
	case strings.HasPrefix(c.Request().URL.Path, "/api/"):
		_ = c.JSON(code, apiError{Error: msg})
	case c.Request().Method == http.MethodHead:
		_ = c.NoContent(code)
	case code == http.StatusNotFound:
		_ = render(c, code, views.NotFoundPage())
	default:
		_ = render(c, code, views.ErrorPage(code, msg))
	}
}
