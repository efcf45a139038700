// Package handlers is the web layer: echo routes for the page, its form
// actions (plain POST and htmx), the JSON API for scripts and the
// Server-Sent Events stream. Handlers only translate between HTTP and the
// service they are given (package app in the running program); they never
// touch the database or the network.
package handlers

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers/analytics"
	"github.com/fmnist/trainer/handlers/guard"
	"github.com/fmnist/trainer/handlers/live"
	"github.com/fmnist/trainer/handlers/recipes"
	"github.com/fmnist/trainer/public"
	"github.com/fmnist/trainer/views"
)

// Options configure the web layer.
type Options struct {
	Logger *slog.Logger
	// ChartPoints caps the loss chart: the page draws the whole run thinned
	// to ChartPoints points (at least 3: the ends and a point between), and
	// the browser keeps the last ChartPoints. 0 means views.DefaultMaxPoints.
	ChartPoints int
	// BodyLimit caps request bodies, e.g. "64K". "" means 64K. The POST
	// paths in Uploads take up to UploadLimit instead (bundle imports).
	BodyLimit, UploadLimit string
	Uploads                map[string]bool
	// Groups register more route groups (handlers/models) on the server,
	// after the analytics and recipes groups that every server has.
	Groups []RouteGroup
	// Listen is the server's address. On a loopback or wildcard address the
	// app answers to the loopback names with its port (see hosts.go).
	Listen net.Addr
	// AllowedHosts are the other host names the app answers to, as
	// guard.ParseHosts returns them.
	AllowedHosts []string
}

// A RouteGroup registers one feature's routes: pages and fragments on e,
// JSON on api (the /api group). Each feature package under handlers/ has a
// Routes function that returns its group.
type RouteGroup = func(e *echo.Echo, api *echo.Group)

// The web layer's needs, each declared as the methods its handlers call.

// StateReader reads what the page shows. Consistent runs fn while no update
// can be published, so a page and the event id it resumes from agree.
type StateReader interface {
	State() fmnist.State
	Consistent(fn func(fmnist.State) error) error
}

// Trainer starts and stops the work: the form actions and the API.
type Trainer interface {
	PrepareDataset() error
	// CancelDownload returns once the download has stopped.
	CancelDownload() error
	StartTraining(ctx context.Context, cfg fmnist.Config) (runID int64, err error)
	StopTraining() error
	// Resume continues a stopped or interrupted run from its last
	// checkpoint, to its configured epochs or to epochs when above 0.
	Resume(ctx context.Context, runID int64, epochs int) error
	// Fork starts a new run from a checkpoint of runID, with the parent's
	// config changed by overrides, and returns its id.
	Fork(ctx context.Context, runID, checkpointID int64, overrides fmnist.ConfigChanges) (int64, error)
}

// Predictor answers from the newest checkpoint.
type Predictor interface {
	Predict(ctx context.Context, count int) (*fmnist.Predictions, error)
	PredictFrom(ctx context.Context, req fmnist.PredictionRequest) (*fmnist.Predictions, error)
	LastPredictions() *fmnist.Predictions
	TestImage(i int) (pixels []uint8, rows, cols, label int, err error)
}

// RunKeeper serves the runs pages: summaries, a run's log, deletion.
type RunKeeper interface {
	RunSummaries(ctx context.Context) ([]fmnist.RunSummary, error)
	RunLogs(ctx context.Context, runID int64, q fmnist.LogQuery) ([]fmnist.LogEntry, int, error)
	// RunCheckpoints are a run's checkpoints with their file sizes.
	RunCheckpoints(ctx context.Context, runID int64) ([]fmnist.Checkpoint, error)
	// DeleteRun removes a run with its files; ECONFLICT while it trains.
	DeleteRun(ctx context.Context, id int64) error
}

// Service is everything the web layer needs; *app.Service is one.
type Service interface {
	StateReader
	Trainer
	Predictor
	fmnist.RunReader
	RunKeeper
	analytics.Source
	recipes.Service
}

// Server is the HTTP handler of the app. It implements fmnist.Publisher,
// turning the service's updates into Server-Sent Events.
type Server struct {
	echo        *echo.Echo
	state       StateReader
	trainer     Trainer
	predictor   Predictor
	runs        fmnist.RunReader
	analytics   analytics.Source
	history     RunKeeper
	hub         *live.Hub
	hosts       guard.Policy
	log         *slog.Logger
	chartPoints int
}

// contentSecurityPolicy allows only same-origin scripts, with no inline
// script; styles may be inline (ECharts and progress bars set widths).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; " +
	"form-action 'self'; frame-ancestors 'none'"

// New builds the routes. Call Close to end the event streams.
func New(svc Service, opts Options) *Server {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if opts.ChartPoints <= 0 {
		opts.ChartPoints = views.DefaultMaxPoints
	}
	opts.ChartPoints = max(opts.ChartPoints, 3)
	if opts.BodyLimit == "" {
		opts.BodyLimit = "64K"
	}
	opts.UploadLimit = cmp.Or(opts.UploadLimit, opts.BodyLimit)
	s := &Server{echo: echo.New(), state: svc, trainer: svc, predictor: svc, runs: svc, history: svc, analytics: svc,
		hub: live.NewHub(logger), hosts: guard.NewPolicy(opts.Listen, opts.AllowedHosts),
		log: logger, chartPoints: opts.ChartPoints}
	for _, k := range fmnist.EventKinds {
		if k.Snapshot() {
			s.hub.Snapshot(string(k))
		}
	}
	s.hub.SetCatchUp(s.catchUp)
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
	// Before anything else reads the request or sets a cookie.
	e.Use(s.hosts.CheckHost, s.hosts.CheckOrigin)
	upload := func(c echo.Context) bool { return opts.Uploads[c.Request().URL.Path] }
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: opts.BodyLimit, Skipper: upload}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: opts.UploadLimit, Skipper: func(c echo.Context) bool { return !upload(c) }}))
	e.Use(readForm)
	e.Use(compressResponses())
	e.Use(middleware.CSRFWithConfig(middleware.CSRFConfig{
		// The JSON API needs no token: it accepts only application/json,
		// which a foreign page cannot send without CORS, and we allow none.
		// Pages under a foreign host name (DNS rebinding) and posts from
		// other sites never get here (guard.Policy).
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

	// Every read answers HEAD as well, with GET's headers and no body
	// (net/http drops the body of a HEAD response).
	getOrHead := []string{http.MethodGet, http.MethodHead}
	e.Match(getOrHead, "/", s.page)
	e.Match(getOrHead, "/healthz", s.health)
	e.GET("/events", echo.WrapHandler(s.hub))
	e.HEAD("/events", streamHead) // a stream never ends: HEAD must not open one
	e.Match(getOrHead, "/predictions/image/:file", s.testImage)
	e.POST("/dataset", s.prepareDataset)
	e.POST("/dataset/cancel", s.cancelDownload)
	e.POST("/training", s.startTraining)
	e.POST("/training/stop", s.stopTraining)
	e.POST("/predictions", s.predict)
	e.Match(getOrHead, "/runs", s.runsPage)
	e.Match(getOrHead, "/runs/compare", s.comparePage)
	e.Match(getOrHead, "/runs/:id/delete", s.confirmDeleteRun)
	e.POST("/runs/:id/delete", s.deleteRun)
	e.Match(getOrHead, "/runs/:id", s.runPage)
	e.POST("/runs/:id/predictions", s.runPredict)

	api := e.Group("/api")
	api.Match(getOrHead, "/status", s.apiStatus)
	api.Match(getOrHead, "/runs", s.apiRuns)
	api.Match(getOrHead, "/runs/:id", s.apiRun)
	api.Match(getOrHead, "/runs.csv", s.exportRuns)
	api.Match(getOrHead, "/runs/:id/loss.csv", s.exportLoss)
	api.Match(getOrHead, "/runs/:id/epochs.csv", s.exportEpochs)
	api.DELETE("/runs/:id", s.apiDeleteRun)
	api.POST("/dataset", s.apiPrepareDataset, requireJSON)
	api.POST("/dataset/cancel", s.apiCancelDownload, requireJSON)
	api.POST("/training", s.apiStartTraining, requireJSON)
	api.POST("/training/stop", s.apiStopTraining, requireJSON)
	api.POST("/predictions", s.apiPredict, requireJSON)
	s.resumeRoutes(e, api)
	groups := append([]RouteGroup{analytics.Routes(svc), recipes.Routes(svc)}, opts.Groups...)
	for _, register := range groups {
		register(e, api)
	}

	public.Prepare()
	e.Match(getOrHead, "/public/*", serveAsset)
	return s
}

// streamHead answers HEAD /events with the stream's headers.
func streamHead(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentType, "text/event-stream")
	c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
	return c.NoContent(http.StatusOK)
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

// AllowedHosts lists the hosts the app answers to.
func (s *Server) AllowedHosts() []string { return s.hosts.Hosts() }

// Hub gives tests access to the event hub.
func (s *Server) Hub() *live.Hub { return s.hub }

func (s *Server) health(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
