// Package live is the app's event stream (GET /events): a hub over
// github.com/r3labs/sse that numbers events, keeps what a resuming viewer
// needs, never lets a slow viewer hold up the others, and catches up a
// viewer whose page outlived a restart. Each event is rendered twice, as
// HTML for the page and as JSON for scripts (?format=json), under one id,
// and names the run it is about, so a viewer can follow one run (?run=ID).
package live

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/r3labs/sse/v2"
)

// Hub fans events out to every viewer of GET /events through r3labs/sse.
//
// r3labs/sse sends to the subscribers of a stream one after another with a
// blocking channel send, so one stalled viewer would stall all of them. The
// hub therefore gives each connection a stream of its own and publishes to
// it with TryPublish: a viewer whose buffer fills is dropped (it reconnects
// and catches up with Last-Event-ID), and nobody else waits.
//
// Event ids are assigned here and grow across restarts (they start at the
// boot time in microseconds). The hub keeps recent events so that a client
// resuming after id N gets everything after N exactly once; r3labs' own
// replay is off because it keeps every event forever and resends event N.
// A client resuming after an id this process never issued (its page
// outlived a restart) cannot be replayed what it missed: it is caught up
// instead (see SetCatchUp).
type Hub struct {
	sse          *sse.Server
	log          *slog.Logger
	writeTimeout time.Duration
	ctx          context.Context // cancelled by Close: ends every stream
	cancel       context.CancelFunc
	heartbeat    sync.WaitGroup
	serving      sync.WaitGroup // ServeHTTP calls in progress
	streams      atomic.Uint64

	mu        sync.Mutex
	bootID    uint64 // the ids of this process's events are greater
	lastID    uint64
	recent    []*entry                    // replayable events, oldest first
	latest    map[string]*entry           // the newest snapshot of each snapshot event
	latestRun map[int64]map[string]*entry // the same per run, for the viewers of one run
	clients   map[string]*viewer
	closed    bool
	maxKept   int
	snapshot  map[string]bool // event names that are snapshots: only the latest counts
	catchUp   CatchUp
}

// An Event is one update for the viewers, rendered once per format.
type Event struct {
	Name string
	Run  int64  // the run it is about; 0 for none (the dataset, predictions)
	HTML []byte // for the page: an HTML fragment (or JSON the page's script reads)
	JSON []byte // for ?format=json: one line of JSON
}

// A Panel is a part of the page as it is now, sent as an event to one
// viewer only.
type Panel = Event

// CatchUp renders the page's panels for a viewer whose page outlived a
// restart and hands them to join. It must call join while no event can be
// published, so that the panels and the events after them fit together.
type CatchUp func(ctx context.Context, join func([]Panel)) error

// entry is an event as the hub keeps it: numbered, in both renderings,
// ready to hand to r3labs. Both share the id, so a viewer may resume in
// either format after an id it saw in the other.
type entry struct {
	id   uint64
	name string
	run  int64
	html *sse.Event
	json *sse.Event
}

func newEntry(id uint64, e Event) *entry {
	idText := []byte(strconv.FormatUint(id, 10))
	html := &sse.Event{ID: idText, Event: []byte(e.Name), Data: e.HTML}
	en := &entry{id: id, name: e.Name, run: e.Run, html: html, json: html}
	if !bytes.Equal(e.JSON, e.HTML) {
		en.json = &sse.Event{ID: idText, Event: []byte(e.Name), Data: e.JSON}
	}
	return en
}

// viewer is one connection to /events.
type viewer struct {
	// after: replay events newer than this once subscribed. For a new
	// client it is the last id when it connected, so events published while
	// r3labs sets up its subscription are not lost.
	after  uint64
	panels []*entry        // sent first: a caught-up viewer's panels, ids up to after
	replay bool            // false for a new client: it gets every latest snapshot
	live   bool            // subscribed: publish to it
	client context.Context // the request's: done once the viewer has left
	conn   *viewerConn
	view
}

// view is what a viewer asked for: a format and, optionally, one run.
type view struct {
	json bool  // ?format=json
	run  int64 // ?run=ID: only the events of that run; 0 for all
}

// wants reports whether the viewer is sent e.
func (v view) wants(e *entry) bool { return v.run == 0 || e.run == v.run }

// render is e as this viewer reads it.
func (v view) render(e *entry) *sse.Event {
	if v.json {
		return e.json
	}
	return e.html
}

// hubBuffer is how many events may wait for one viewer before it counts as
// stalled; it also bounds what a replay can send.
const hubBuffer = 4096

// keptRuns is how many runs' snapshots are kept for the viewers of one run:
// enough for a viewer to learn how its run ended after a few runs more.
const keptRuns = 8

// NewHub starts a hub; Close stops it.
func NewHub(logger *slog.Logger) *Hub {
	boot := uint64(time.Now().UnixMicro())
	h := &Hub{
		log:          logger,
		writeTimeout: 10 * time.Second,
		bootID:       boot,
		lastID:       boot,
		latest:       map[string]*entry{},
		latestRun:    map[int64]map[string]*entry{},
		clients:      map[string]*viewer{},
		maxKept:      hubBuffer - 16,
		snapshot:     map[string]bool{},
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.sse = sse.New()
	h.sse.AutoReplay = false // see the type's comment
	h.sse.AutoStream = true  // a stream per connection, removed when it ends
	h.sse.SplitData = true   // HTML fragments span lines
	h.sse.BufferSize = hubBuffer
	h.sse.OnSubscribe = h.subscribed
	h.heartbeat.Add(1)
	go h.beat(15 * time.Second)
	return h
}

// Snapshot marks event names whose newest event replaces the older ones
// (status, progress): a resuming viewer gets only the newest.
func (h *Hub) Snapshot(names ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, n := range names {
		h.snapshot[n] = true
	}
}

// SetCatchUp sets how a viewer that resumes after an id this process never
// issued is brought up to date: it is sent the panels of fn, then the events
// after them. Without it, such a viewer is treated as a new one.
func (h *Hub) SetCatchUp(fn CatchUp) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.catchUp = fn
}

// LastID is the id of the newest event published.
func (h *Hub) LastID() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastID
}

// Send publishes an event that reads the same in both formats and is about
// no run.
func (h *Hub) Send(name string, data []byte) {
	h.Publish(Event{Name: name, HTML: data, JSON: data})
}

// Publish publishes one event to every live viewer that wants it, without
// waiting for any.
func (h *Hub) Publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.lastID++
	en := newEntry(h.lastID, e)
	if h.snapshot[e.Name] {
		h.keepSnapshot(en)
	} else {
		h.recent = append(h.recent, en)
		if len(h.recent) > h.maxKept {
			// Reslice rather than shift 4,000 pointers on every event: append
			// copies the kept ones to a new array now and then.
			h.recent[0] = nil
			h.recent = h.recent[1:]
		}
	}
	for id, v := range h.clients {
		if v.live && v.wants(en) {
			h.deliver(id, v, v.render(en))
		}
	}
}

// keepSnapshot keeps en as the newest of its name, overall and for its run;
// h.mu is held. Only the newest keptRuns runs keep theirs.
func (h *Hub) keepSnapshot(en *entry) {
	h.latest[en.name] = en
	if en.run == 0 {
		return
	}
	byName := h.latestRun[en.run]
	if byName == nil {
		byName = map[string]*entry{}
		h.latestRun[en.run] = byName
		if len(h.latestRun) > keptRuns {
			delete(h.latestRun, slices.Min(slices.Collect(maps.Keys(h.latestRun))))
		}
	}
	byName[en.name] = en
}

// deliver hands ev to one viewer's stream; h.mu is held.
func (h *Hub) deliver(streamID string, v *viewer, ev *sse.Event) {
	if h.sse.TryPublish(streamID, ev) {
		return
	}
	v.live = false
	if v.client.Err() != nil || !h.sse.StreamExists(streamID) {
		// The viewer left (r3labs removes its stream then), or its writes
		// failed and it is being dropped already.
		v.conn.cancel()
		return
	}
	// Its buffer is full: the viewer stopped reading. Drop it rather than
	// wait; the browser reconnects and resumes from its last event id.
	v.conn.drop("its buffer of events is full")
}

// subscribed runs once r3labs has registered a connection's subscriber:
// from here on events published to its stream reach it. The replay and the
// switch to live happen under one lock, so nothing is missed or doubled.
func (h *Hub) subscribed(streamID string, _ *sse.Subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.clients[streamID]
	if !ok || h.closed {
		return // gone already
	}
	var replay []*entry
	for _, en := range v.panels {
		if v.wants(en) {
			replay = append(replay, en)
		}
	}
	latest := h.latest
	if v.run != 0 {
		latest = h.latestRun[v.run]
	}
	for _, en := range latest {
		if !v.replay || en.id > v.after {
			replay = append(replay, en)
		}
	}
	for _, en := range h.recent {
		if en.id > v.after && v.wants(en) {
			replay = append(replay, en)
		}
	}
	slices.SortFunc(replay, func(a, b *entry) int { return cmp.Compare(a.id, b.id) })
	v.live = true
	for _, en := range replay {
		h.deliver(streamID, v, v.render(en))
		if !v.live {
			return
		}
	}
}

// ServeHTTP streams events to one viewer until it leaves or the hub closes.
// A viewer resumes after the id in the Last-Event-ID header (sent by
// EventSource on reconnect) or in the "after" query parameter (set by the
// page, which already shows everything up to that id). ?format=json asks
// for the JSON renderings, ?run=ID for one run's events only.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	after, replay, err := resumePoint(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	vw, err := viewOf(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	streamID := "viewer-" + strconv.FormatUint(h.streams.Add(1), 10)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(h.ctx, cancel)
	defer stop()
	conn := &viewerConn{ResponseWriter: w, rc: http.NewResponseController(w), timeout: h.writeTimeout,
		cancel: cancel, log: h.log, stream: streamID}

	v := &viewer{after: after, replay: replay, client: r.Context(), conn: conn, view: vw}
	joined := false
	join := func(panels []Panel) { joined = h.register(streamID, v, panels) }
	if catchUp, earlier := h.fromEarlierProcess(after, replay); !earlier {
		join(nil)
	} else {
		// What it missed went with the old process: it starts over, as a
		// new viewer or, better, with the page's panels as they are now.
		v.replay = false
		if catchUp == nil {
			join(nil)
		} else if err := catchUp(r.Context(), join); err != nil && !joined {
			h.log.Error("catch up a viewer from before a restart", "err", err)
			http.Error(w, "the page's panels could not be read", http.StatusInternalServerError)
			return
		}
	}
	if !joined {
		http.Error(w, "the server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.serving.Done()
	defer func() {
		h.mu.Lock()
		delete(h.clients, streamID)
		h.mu.Unlock()
	}()

	req := r.WithContext(ctx)
	q := req.URL.Query()
	q.Set("stream", streamID)
	u := *req.URL
	u.RawQuery = q.Encode()
	req.URL = &u
	req.Header = r.Header.Clone()
	req.Header.Del("Last-Event-ID") // resuming is done above
	h.sse.ServeHTTP(conn, req)
}

// fromEarlierProcess reports whether a viewer resumes after an id this
// process never issued (its page outlived a restart), and how to catch it up.
func (h *Hub) fromEarlierProcess(after uint64, replay bool) (CatchUp, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.catchUp, replay && (after < h.bootID || after > h.lastID)
}

// register adds a viewer, with the panels it is to be sent first (they get
// ids of their own, which only it sees); false if the hub is closed.
func (h *Hub) register(streamID string, v *viewer, panels []Panel) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	if !v.replay {
		v.after = h.lastID
	}
	for _, p := range panels {
		h.lastID++
		v.panels = append(v.panels, newEntry(h.lastID, p))
		v.after, v.replay = h.lastID, true
	}
	h.clients[streamID] = v
	h.serving.Add(1)
	return true
}

// resumePoint reads where a viewer resumes; replay is false for a new viewer.
func resumePoint(r *http.Request) (after uint64, replay bool, err error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("after")
	}
	if v == "" {
		return 0, false, nil
	}
	after, err = strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false, errors.New("Last-Event-ID (or after) must be an event id, a whole number")
	}
	return after, true, nil
}

// viewOf reads the format and the run a viewer asks for.
func viewOf(r *http.Request) (view, error) {
	var v view
	q := r.URL.Query()
	switch q.Get("format") {
	case "", "html":
	case "json":
		v.json = true
	default:
		return v, errors.New("format must be html (the default) or json")
	}
	if s := q.Get("run"); s != "" {
		run, err := strconv.ParseInt(s, 10, 64)
		if err != nil || run < 1 {
			return v, errors.New("run must be a run id, a positive whole number")
		}
		v.run = run
	}
	return v, nil
}

// Close ends every stream, waits for their handlers to return and stops the
// hub; later Sends do nothing.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.heartbeat.Wait()
	h.serving.Wait()
	// r3labs removes a viewer's stream just after its handler returns; Close
	// ends any that is left.
	h.sse.Close()
}

// Viewers is the number of connected viewers.
func (h *Hub) Viewers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// beat sends a comment now and then, so that a viewer that vanished without
// closing its connection is noticed and proxies keep the stream open.
func (h *Hub) beat(every time.Duration) {
	defer h.heartbeat.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			h.mu.Lock()
			ping := &sse.Event{Comment: []byte("keep-alive")}
			for id, v := range h.clients {
				if v.live {
					h.deliver(id, v, ping)
				}
			}
			h.mu.Unlock()
		}
	}
}

// viewerConn is the response to one viewer. Each write is bounded by a
// timeout, so a viewer that stops reading cannot block its handler forever.
type viewerConn struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	cancel  context.CancelFunc // ends the viewer's stream
	log     *slog.Logger
	stream  string

	mu      sync.Mutex
	dropped bool
}

// errDropped is what writing to a dropped viewer returns.
var errDropped = errors.New("the viewer was dropped")

// drop ends the stream of a viewer that stopped reading, and says so once.
// A viewer that merely left is not dropped: nobody needs to hear of it.
func (c *viewerConn) drop(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dropped {
		return
	}
	c.dropped = true
	c.cancel()
	// A write blocked on the full socket fails now instead of at its
	// deadline, so the connection closes and the viewer can reconnect.
	_ = c.rc.SetWriteDeadline(time.Now())
	c.log.Warn("dropped a viewer that stopped reading events", "stream", c.stream, "reason", reason)
}

func (c *viewerConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.dropped {
		c.mu.Unlock()
		return 0, errDropped
	}
	_ = c.rc.SetWriteDeadline(time.Now().Add(c.timeout))
	c.mu.Unlock()
	n, err := c.ResponseWriter.Write(p)
	if err != nil {
		c.failed(err)
	}
	return n, err
}

func (c *viewerConn) Flush() {
	if err := c.rc.Flush(); err != nil {
		c.failed(err)
	}
}

// failed ends the stream after a write error: a timeout means the viewer
// stopped reading; anything else, that the connection is gone.
func (c *viewerConn) failed(err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.drop("a write timed out")
		return
	}
	c.cancel()
}

// Unwrap lets http.ResponseController reach the connection.
func (c *viewerConn) Unwrap() http.ResponseWriter { return c.ResponseWriter }
