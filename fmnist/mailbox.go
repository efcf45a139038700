package fmnist

import "sync"

// Mailbox carries events from a producer that must never block (the
// training loop) to one consumer. Push appends and returns at once; the
// consumer waits on Ready and takes everything queued with Drain. Nothing is
// dropped, so the consumer sees every loss point; it should coalesce
// Progress itself.
//
// The zero value is ready to use.
type Mailbox struct {
	mu     sync.Mutex
	queue  []Event
	ready  chan struct{}
	closed bool
}

func (m *Mailbox) readyLocked() chan struct{} {
	if m.ready == nil {
		m.ready = make(chan struct{}, 1)
	}
	return m.ready
}

// Push queues e without blocking. After Close it does nothing.
func (m *Mailbox) Push(e Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.queue = append(m.queue, e)
	select {
	case m.readyLocked() <- struct{}{}:
	default:
	}
}

// Ready receives a value when events may be waiting.
func (m *Mailbox) Ready() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.readyLocked()
}

// Drain takes every queued event, oldest first.
func (m *Mailbox) Drain() []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.queue
	m.queue = nil
	return q
}

// Close makes later Pushes no-ops; queued events can still be drained.
func (m *Mailbox) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	select {
	case m.readyLocked() <- struct{}{}:
	default:
	}
}
