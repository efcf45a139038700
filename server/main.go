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
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/fmnist/trainer/app"
	"github.com/fmnist/trainer/fmnist"
	"github.com/fmnist/trainer/handlers"
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
	// ConnState, if set, sees each connection change state (tests use it to
	// shrink socket buffers).
	ConnState func(net.Conn, http.ConnState)
	// MinFreeSpace is the free space, in bytes, the data dir needs for a
	// run to start; 0 means DefaultMinFreeSpace, and a negative value turns
	// the check off.
	MinFreeSpace int64
	// StoreWrapper, if set, wraps the store the service writes to (tests
	// make its writes fail as on a full disk).
	StoreWrapper func(fmnist.RunStore) fmnist.RunStore

	DB      *store.DB
	Service *app.Service
	Web     *handlers.Server

	ln        net.Listener
	http      *http.Server
	served    chan error
	closeOnce sync.Once
	closeErr  error
}

// Open starts the app and serves in the background. A data dir or an address
// that cannot be used is an EINVALID fmnist.Error naming the flag at fault.
// On error, whatever was opened is closed again.
func (m *Main) Open(ctx context.Context) (err error) {
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if m.DB, err = store.Open(ctx, m.Layout.Database()); err != nil {
		return &fmnist.Error{Code: fmnist.EINVALID, Field: "data-dir",
			Message: fmt.Sprintf("%s: %v", m.Layout.Dir, err)}
	}
	if m.ln, err = net.Listen("tcp", m.Addr); err != nil {
		return &fmnist.Error{Code: fmnist.EINVALID, Field: "addr",
			Message: fmt.Sprintf("cannot listen on %s: %v", m.Addr, innermost(err))}
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
		Logger:        m.Logger,
		DataDir:       m.Layout.Dir,
		MinFreeSpace:  minFree,
	})
	if err != nil {
		return fmt.Errorf("start the service: %w", err)
	}
	m.Web = handlers.New(m.Service, handlers.Options{Logger: m.Logger, ChartPoints: m.ChartPoints})
	m.Service.SetPublisher(m.Web)
	m.http = &http.Server{
		Handler:           m.Web,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
		ConnState:         m.ConnState,
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.http.Serve(m.ln) }()
	return nil
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
