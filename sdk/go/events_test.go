package eris_test

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	eris "github.com/eris-chaos/eris/sdk/go"
	"github.com/eris-chaos/eris/sdk/go/internal/testcluster"
)

// relay forwards a loopback port to the coordinator; cut closes every connection open through it.
type relay struct {
	ln          net.Listener
	mu          sync.Mutex
	open        []net.Conn
	connections atomic.Int32
	refusing    atomic.Bool
}

func newRelay(t *testing.T) *relay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	upstream := cluster.URL[len("http://"):]
	r := &relay{ln: ln}
	go func() {
		for {
			down, err := ln.Accept()
			if err != nil {
				return
			}
			if r.refusing.Load() {
				down.Close()
				continue
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				down.Close()
				continue
			}
			r.connections.Add(1)
			r.mu.Lock()
			r.open = append(r.open, down, up)
			r.mu.Unlock()
			go func() { _, _ = io.Copy(up, down); up.Close() }()
			go func() { _, _ = io.Copy(down, up); down.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); r.cut() })
	return r
}

func (r *relay) url() string { return "http://" + r.ln.Addr().String() }

func (r *relay) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.open {
		c.Close()
	}
	r.open = nil
}

func seqs(events []eris.RunEvent) []int64 {
	var out []int64
	for _, e := range events {
		out = append(out, e.Seq)
	}
	return out
}

func TestADroppedStreamIsResumedFromTheLastEventID(t *testing.T) {
	c := client(t)
	if err := cluster.Members.Healthy(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	r := newRelay(t)
	run, err := c.StartRun(ctx(t), eris.DrillYAML(sampleDrill("go-events", "10s")))
	if err != nil {
		t.Fatal(err)
	}
	through, _ := eris.NewClient(r.url(), eris.WithToken(testcluster.Token))
	var events []eris.RunEvent
	cuts := int32(0)
	for ev, err := range through.Events(ctx(t), run.ID) {
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
		// Mid-stream, twice, each time on the connection the client is reading now.
		if len(events) >= 2 && cuts < 2 && r.connections.Load() == cuts+1 && !ev.Final() {
			r.cut()
			cuts++
		}
	}
	if r.connections.Load() < 3 {
		t.Fatalf("the stream was re-opened after each cut: %d connections", r.connections.Load())
	}
	last := events[len(events)-1]
	if !last.Final() || last.Report() == nil || last.Report().Status != eris.RunPassed {
		t.Fatalf("ends with the final event: %+v", last)
	}
	got := seqs(events)
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("in order, no duplicates: %v", got)
		}
	}
	var whole []eris.RunEvent
	for ev, err := range c.Events(ctx(t), run.ID) {
		if err != nil {
			t.Fatal(err)
		}
		whole = append(whole, ev)
	}
	if len(seqs(whole)) != len(got) {
		t.Fatalf("nothing lost: %v vs %v", got, seqs(whole))
	}
	// After: only what came after.
	var tail []eris.RunEvent
	for ev, err := range c.Events(ctx(t), run.ID, eris.After(got[len(got)-3])) {
		if err != nil {
			t.Fatal(err)
		}
		tail = append(tail, ev)
	}
	if len(tail) != 2 || tail[0].Seq != got[len(got)-2] {
		t.Fatalf("after: %v", seqs(tail))
	}
}

func TestEventsGiveUpWhenTheStreamKeepsDropping(t *testing.T) {
	c := client(t)
	if err := cluster.Members.Healthy(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	r := newRelay(t)
	run, err := c.StartRun(ctx(t), eris.DrillYAML(sampleDrill("go-events-drop", "10s")))
	if err != nil {
		t.Fatal(err)
	}
	through, _ := eris.NewClient(r.url(), eris.WithToken(testcluster.Token))
	var last error
	for _, err := range through.Events(ctx(t), run.ID, eris.Reconnects(2)) {
		if err != nil {
			last = err
			break
		}
		r.refusing.Store(true)
		r.cut()
	}
	var connErr *eris.ConnectionError
	if !errors.As(last, &connErr) || errors.Unwrap(last) == nil {
		t.Fatalf("want a *ConnectionError that keeps its cause, got %T %v", last, last)
	}
	report, err := c.Wait(ctx(t), run.ID)
	if err != nil || report.Status != eris.RunPassed {
		t.Fatalf("%v %v", report, err)
	}
	noneStopped(t)
}

func TestTheFirstConnectionFailingIsTheCallersToSee(t *testing.T) {
	gone, _ := eris.NewClient("http://127.0.0.1:"+itoa(testcluster.FreePort()), eris.WithToken("t"))
	for _, err := range gone.Events(ctx(t), "x") {
		var connErr *eris.ConnectionError
		if !errors.As(err, &connErr) {
			t.Fatalf("%T %v", err, err)
		}
		return
	}
	t.Fatal("no error")
}
