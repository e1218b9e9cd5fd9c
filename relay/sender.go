package relay

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mailgw/mailgw/queue"
)

// Sender delivers the queue: new messages at once, deferred ones when due.
// At most OutgoingSessions deliveries run at a time, and at most
// MaximalOutgoingSessionsPerHost to one host.
type Sender struct {
	srv *Server

	incoming chan queue.Entry
	// overflow is signalled when a push found incoming full: the queue
	// then holds messages nobody was told about, and the sender rescans
	// it as soon as it takes the signal instead of at the next tick.
	overflow chan struct{}

	mu       sync.Mutex
	inflight map[string]bool       // queue ids being delivered
	perHost  map[string]chan token // semaphores by "host:port"
	slots    chan token
	wg       sync.WaitGroup

	conns connCache // sessions to next hops kept open between deliveries
}

type token struct{}

// pushBuffer lets the receiving side hand over new messages without
// waiting; when it is full, a scan of the queue finds them.
const pushBuffer = 1024

func newSender(s *Server) *Sender {
	return &Sender{srv: s, incoming: make(chan queue.Entry, pushBuffer), overflow: make(chan struct{}, 1),
		inflight: map[string]bool{}, perHost: map[string]chan token{},
		slots: make(chan token, s.rt.load().Service.Limits.OutgoingSessions)}
}

// push hands newly committed messages to the sender.
func (d *Sender) push(es ...queue.Entry) {
	for _, e := range es {
		select {
		case d.incoming <- e:
		default:
			select {
			case d.overflow <- struct{}{}:
			default: // a rescan is already due
			}
		}
	}
}

// run is the sender's loop: start with everything queued (after a
// restart every message resumes), then take pushed messages and rescan
// periodically (retries, flushes) and after an overflow of pushes (a
// burst faster than delivery).
func (d *Sender) run(ctx context.Context) {
	tick := time.NewTicker(d.srv.opts.ScanInterval)
	defer tick.Stop()
	d.scan(ctx)
	for {
		select {
		case <-ctx.Done():
			d.wg.Wait()
			d.conns.stop()
			return
		case e := <-d.incoming:
			d.start(ctx, e)
		case <-d.overflow:
			d.scan(ctx)
		case <-tick.C:
			d.scan(ctx)
		}
	}
}

// scan starts every queued message that is due.
func (d *Sender) scan(ctx context.Context) {
	es, err := d.srv.queue.List()
	if err != nil {
		d.srv.log.Error("reading the queue", "error", err)
		return
	}
	now := time.Now()
	for _, e := range es {
		if e.NextAttempt.After(now) {
			continue
		}
		if !d.start(ctx, e) {
			return
		}
	}
}

// start delivers e in the background once a slot is free; it returns
// false when ctx ended while waiting.
func (d *Sender) start(ctx context.Context, e queue.Entry) bool {
	d.mu.Lock()
	if d.inflight[e.ID] {
		d.mu.Unlock()
		return true
	}
	d.inflight[e.ID] = true
	d.mu.Unlock()
	select {
	case d.slots <- token{}:
	case <-ctx.Done():
		d.done(e.ID)
		return false
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() { <-d.slots }()
		defer d.done(e.ID)
		d.deliverEntry(ctx, e.ID)
	}()
	return true
}

func (d *Sender) done(id string) {
	d.mu.Lock()
	delete(d.inflight, id)
	d.mu.Unlock()
}

// hostSlot takes one of the destination's MaximalOutgoingSessionsPerHost
// slots; the returned function gives it back.
func (d *Sender) hostSlot(ctx context.Context, host string) (func(), error) {
	d.mu.Lock()
	sem, ok := d.perHost[host]
	if !ok {
		sem = make(chan token, d.srv.rt.load().Service.Limits.MaximalOutgoingSessionsPerHost)
		d.perHost[host] = sem
	}
	d.mu.Unlock()
	select {
	case sem <- token{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// deliverEntry makes one delivery attempt of a queued message and records
// the outcome: removed when every recipient is done, otherwise deferred
// with backoff until MaximalQueueLifetime, then bounced.
func (d *Sender) deliverEntry(ctx context.Context, id string) {
	e, data, err := d.srv.queue.Message(id)
	if err != nil {
		if !errors.Is(err, queue.ErrNotFound) {
			d.srv.log.Error("reading queued message", "id", id, "error", err)
		}
		return
	}
	results := d.attempt(ctx, e, data)
	if ctx.Err() != nil {
		return // stopping: the attempt counts for nothing, the queue keeps the message
	}
	d.record(e, data, results)
}
