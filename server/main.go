// Package server wires the whole app: the SQLite store, the service that
// trains, the web layer and the HTTP server, opened in that order and closed
// in reverse. The serve command runs it, and so does every test that needs
// the whole app, so there is one wiring.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/app/bundles"
	appinsight "github.com/fmnist/trainer/app/insight"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers"
	"github.com/fmnist/trainer/handlers/guard"
	"github.com/fmnist/trainer/handlers/insight"
	"github.com/fmnist/trainer/handlers/models"
	"github.com/fmnist/trainer/ml/data"
	"github.com/fmnist/trainer/store"
)

// DefaultMinFreeSpace is the free space, in bytes, the data dir needs for
// a run to start unless Main.MinFreeSpace says otherwise.
const DefaultMinFreeSpace = 100_000_000

// Main is the running app. Set the exported fields, then Open, then Close.
type Main struct {
	Addr        string        // listen address, e.g. 127.0.0.1:8080 (":0" picks a port)
	Layout      fmnist.Layout // the data dir
	DatasetURL  string        // "" for the official mirrors
	ChartPoints int           // 0 means the web layer's default
	Logger      *slog.Logger  // nil means slog.Default()
	// AllowedHosts are the host names, besides the loopback ones, that the
	// app answers to: "name" on any port or "name:port" (guard.ParseHosts).
	// They are required when Addr is not a loopback address.
	AllowedHosts []string
	// Limits on clients; zero means the Default* constant. They do not cut
	// an event stream: net/http lifts the read deadline once a request is
	// read, and the stream sets its own deadline for each write (handlers.Hub).
	ReadHeaderTimeout time.Duration // to read a request's headers
	ReadTimeout       time.Duration // to read a whole request, body included
	WriteTimeout      time.Duration // to write a response
	IdleTimeout       time.Duration // a kept-alive connection may wait for its next request
	// MaxConnsPerClient caps the connections open at once from one client
	// address (an IPv6 client's /64); loopback clients are not capped.
	MaxConnsPerClient int
	// Downloader tunes dataset downloads; the zero value has the defaults
	// (tests shorten the timeouts and the backoff).
	Downloader data.Downloader
	// Retention says which checkpoints of a run stay; the zero value keeps
	// them all, the serve command passes fmnist.DefaultRetention() unless
	// told otherwise.
	Retention fmnist.Retention
	// ConnState, if set, sees each connection change state (tests use it to
	// shrink socket buffers).
	ConnState func(net.Conn, http.ConnState)
	// MinFreeSpace is the free space, in bytes, the data dir needs for a
	// run to start; 0 means DefaultMinFreeSpace, and a negative value turns
	// the check off.
	MinFreeSpace int64
	// TrainNice is the nice value the process trains at (see
	// app.Options.TrainNice); 0 leaves the priority alone.
	TrainNice int
	// StoreWrapper, if set, wraps the store the service writes to (tests
	// make its writes fail as on a full disk).
	StoreWrapper func(fmnist.RunStore) fmnist.RunStore

	DB      *store.DB
	Service *app.Service
	Bundles *bundles.Service // export, import and reproduce, through Service
	Web     *handlers.Server

	ln        net.Listener
	http      *http.Server
	served    chan error
	closeOnce sync.Once
	closeErr  error
}

// The defaults of Main's limits on clients. A request's body is at most
// 64 kB, and every page and file is small: honest clients need far less.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 2 * time.Minute // a prediction is slow while a run trains
	DefaultIdleTimeout       = 60 * time.Second
	// A browser opens up to six connections to a host, and one event
	// stream per tab; the cap leaves room for a few dozen viewers behind
	// one address (an office's NAT).
	DefaultMaxConnsPerClient = 128
)

// Open starts the app and serves in the background. A data dir or an address
// that cannot be used, and an address other machines can reach without
// AllowedHosts, is an EINVALID fmnist.Error naming the flag at fault.
// On error, whatever was opened is closed again.
func (m *Main) Open(ctx context.Context) (err error) {
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	setDefault(&m.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDefault(&m.ReadTimeout, DefaultReadTimeout)
	setDefault(&m.WriteTimeout, DefaultWriteTimeout)
	setDefault(&m.IdleTimeout, DefaultIdleTimeout)
	setDefault(&m.MaxConnsPerClient, DefaultMaxConnsPerClient)
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if m.ln, err = net.Listen("tcp", m.Addr); err != nil {
		return &fmnist.Error{Code: fmnist.EINVALID, Field: "addr",
			Message: fmt.Sprintf("cannot listen on %s: %v", m.Addr, innermost(err))}
	}
	hosts, err := guard.ParseHosts(strings.Join(m.AllowedHosts, ","))
	if err != nil {
		return &fmnist.Error{Code: fmnist.EINVALID, Field: "allowed-hosts", Message: err.Error()}
	}
	exposed := !guard.IsLoopback(m.ln.Addr())
	if exposed && len(hosts) == 0 {
		// Other machines reach it by names the app cannot guess.
		return &fmnist.Error{Code: fmnist.EINVALID, Field: "allowed-hosts", Message: fmt.Sprintf(
			"needed when listening on %s, which other machines can reach: list the host names the app is reached by, "+
				"e.g. --allowed-hosts trainer.lan,192.168.1.5 (or listen on 127.0.0.1)", m.Addr)}
	}
	if err := privateDataDir(m.Layout, m.Logger); err != nil {
		return &fmnist.Error{Code: fmnist.EINVALID, Field: "data-dir", Message: err.Error()}
	}
	if m.DB, err = store.Open(ctx, m.Layout.Database()); err != nil {
		// The store's errors name the folder or file at fault.
		return &fmnist.Error{Code: fmnist.EINVALID, Field: "data-dir", Message: err.Error()}
	}
	var runStore fmnist.RunStore = m.DB
	if m.StoreWrapper != nil {
		runStore = m.StoreWrapper(runStore)
	}
	minFree := m.MinFreeSpace
	switch {
	case minFree == 0:
		minFree = DefaultMinFreeSpace
	case minFree < 0:
		minFree = 0
	}
	m.Service, err = app.New(ctx, app.Options{
		Store:         runStore,
		DatasetDir:    m.Layout.Dataset(),
		CheckpointDir: m.Layout.Checkpoints(),
		DatasetURL:    m.DatasetURL,
		Downloader:    m.Downloader,
		Retention:     m.Retention,
		Logger:        m.Logger,
		DataDir:       m.Layout.Dir,
		MinFreeSpace:  minFree,
		TrainNice:     m.TrainNice,
	})
	if err != nil {
		return fmt.Errorf("start the service: %w", err)
	}
	m.Bundles = bundles.New(m.Service, bundles.Options{DatasetDir: m.Layout.Dataset(), Logger: m.Logger})
	uploads := maps.Clone(models.UploadPaths)
	maps.Copy(uploads, insight.UploadPaths)
	m.Web = handlers.New(m.Service, handlers.Options{Logger: m.Logger, ChartPoints: m.ChartPoints,
		Listen: m.ln.Addr(), AllowedHosts: hosts,
		Groups:  []handlers.RouteGroup{models.Routes(m.Bundles), insight.Routes(appinsight.New(m.Service))},
		Uploads: uploads, UploadLimit: models.UploadLimit})
	if exposed {
		m.Logger.Warn("other machines can reach the app, which has no login; it answers only to the allowed hosts",
			"addr", m.ln.Addr().String(), "allowed_hosts", strings.Join(m.Web.AllowedHosts(), ","))
	}
	m.Service.SetPublisher(m.Web)
	m.http = &http.Server{
		Handler:           m.Web,
		ReadHeaderTimeout: m.ReadHeaderTimeout,
		ReadTimeout:       m.ReadTimeout,
		WriteTimeout:      m.WriteTimeout,
		IdleTimeout:       m.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
		ConnState:         m.ConnState,
	}
	m.served = make(chan error, 1)
	ln := limitPerClient(m.ln, m.MaxConnsPerClient, m.Logger)
	go func() { m.served <- m.http.Serve(ln) }()
	return nil
}

// setDefault sets *v to def when it is zero.
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// URL is where the app is served, e.g. http://127.0.0.1:8080.
func (m *Main) URL() string { return "http://" + m.ln.Addr().String() }

// Wait blocks until ctx is done or the server stops by itself, and returns
// the server's error in the second case.
func (m *Main) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-m.served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("serve: %w", err)
	}
}

// Close shuts down gracefully, in reverse order: the event streams end (they
// never end by themselves), in-flight requests finish, a running training
// stops with a checkpoint, and the database closes.
// Calling it again does nothing.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	if m.Web != nil {
		m.Web.Close()
	}
	var errs []error
	if m.http != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := m.http.Shutdown(shutdownCtx); err != nil {
			errs = append(errs, fmt.Errorf("shut down the HTTP server: %w", err))
		}
	} else if m.ln != nil {
		m.ln.Close()
	}
	if m.Service != nil {
		m.Service.Close()
	}
	if m.DB != nil {
		if err := m.DB.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close the database: %w", err))
		}
	}
	return errors.Join(errs...)
}

// innermost returns the innermost error, which for a failed listen is the
// readable part ("address already in use").
func innermost(err error) error {
	for {
		inner := errors.Unwrap(err)
		if inner == nil {
			return err
		}
		err = inner
	}
}
