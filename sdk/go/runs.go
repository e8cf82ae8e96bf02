package eris

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// RunSource is what a run runs: a stored drill by name, or a drill given inline.
type RunSource struct {
	name string
	spec any
	err  error
}

// StoredDrillNamed runs the drill stored under this name.
func StoredDrillNamed(name string) RunSource { return RunSource{name: name} }

// DrillSpec runs this drill (a Drill, a map, or any value that marshals to a drill) without storing it.
func DrillSpec(drill any) RunSource { return RunSource{spec: drill} }

// DrillYAML runs the drill written in this YAML without storing it.
func DrillYAML(text []byte) RunSource {
	j, err := yaml.YAMLToJSON(text)
	if err != nil {
		return RunSource{err: &ConfigError{Path: "drill", Message: fmt.Sprintf("drill: malformed YAML: %v", err), Err: err}}
	}
	if len(j) > 0 && j[0] != '{' {
		return RunSource{err: &ConfigError{Path: "drill", Message: fmt.Sprintf("drill: %q is not a drill (a YAML map); to run a file, read it first", string(text))}}
	}
	return RunSource{spec: json.RawMessage(j)}
}

// RunOption tunes StartRun, DryRun, Wait and Run.
type RunOption func(*runSettings)

type runSettings struct {
	seed    string
	onEvent func(RunEvent)
}

// Seed makes every pick of the run repeatable.
func Seed(seed string) RunOption { return func(s *runSettings) { s.seed = seed } }

// OnEvent is called with every event while waiting (live progress).
func OnEvent(f func(RunEvent)) RunOption { return func(s *runSettings) { s.onEvent = f } }

func runOptions(opts []RunOption) runSettings {
	var s runSettings
	for _, o := range opts {
		o(&s)
	}
	return s
}

func (s RunSource) body(opts []RunOption) (map[string]any, error) {
	if s.err != nil {
		return nil, s.err
	}
	b := map[string]any{}
	switch {
	case s.name != "" && s.spec == nil:
		b["drill"] = s.name
	case s.spec != nil && s.name == "":
		b["spec"] = s.spec
	default:
		return nil, &ConfigError{Path: "drill", Message: "give exactly one of a stored drill's name or a drill"}
	}
	if seed := runOptions(opts).seed; seed != "" {
		b["seed"] = seed
	}
	return b, nil
}

// StartRun starts a run; follow it with Events or Wait.
func (c *Client) StartRun(ctx context.Context, src RunSource, opts ...RunOption) (*Run, error) {
	b, err := src.body(opts)
	if err != nil {
		return nil, err
	}
	var r Run
	return &r, c.call(ctx, request{method: "POST", path: "/v1/runs", body: b}, "POST /v1/runs", "", &r)
}

// DryRun previews what each group of the drill would hit; nothing is touched.
func (c *Client) DryRun(ctx context.Context, src RunSource, opts ...RunOption) (*DryRun, error) {
	b, err := src.body(opts)
	if err != nil {
		return nil, err
	}
	b["dryRun"] = true
	var d DryRun
	return &d, c.call(ctx, request{method: "POST", path: "/v1/runs", body: b}, "POST /v1/runs", "", &d)
}

// Runs lists runs, newest first.
func (c *Client) Runs(ctx context.Context, q RunQuery) ([]RunSummary, error) {
	v := url.Values{}
	if q.Drill != "" {
		v.Set("drill", q.Drill)
	}
	if q.Status != "" {
		v.Set("status", string(q.Status))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var r []RunSummary
	return r, c.call(ctx, request{method: "GET", path: "/v1/runs", query: v}, "GET /v1/runs", "runs", &r)
}

// GetRun gets a run; its Result is the report once it has ended.
func (c *Client) GetRun(ctx context.Context, id string) (*Run, error) {
	var r Run
	return &r, c.call(ctx, request{method: "GET", path: "/v1/runs/" + enc(id)}, "GET /v1/runs/{id}", "", &r)
}

// AbortRun asks the coordinator to abort the run (everything it stopped is resumed shortly after);
// a 409 ERIS_ERR_CONFLICT when it is not running.
func (c *Client) AbortRun(ctx context.Context, id string) error {
	var status string
	return c.call(ctx, request{method: "POST", path: "/v1/runs/" + enc(id) + "/abort"}, "POST /v1/runs/{id}/abort", "status", &status)
}

// Report is the report of a run that has ended (409 ERIS_ERR_CONFLICT while it runs).
func (c *Client) Report(ctx context.Context, id string) (*RunReport, error) {
	var r RunReport
	q := url.Values{"format": {"json"}}
	return &r, c.call(ctx, request{method: "GET", path: "/v1/runs/" + enc(id) + "/report", query: q}, "GET /v1/runs/{id}/report", "", &r)
}

// ReportJUnit is the report as JUnit XML: one testcase per step and per target.
func (c *Client) ReportJUnit(ctx context.Context, id string) ([]byte, error) {
	q := url.Values{"format": {"junit"}}
	return c.exchange(ctx, request{method: "GET", path: "/v1/runs/" + enc(id) + "/report", query: q, accept: "application/xml"}, "GET /v1/runs/{id}/report")
}

// EventsOption tunes Events.
type EventsOption func(*eventsSettings)

type eventsSettings struct {
	after      int64
	reconnects int
	backoff    time.Duration
}

// After starts after this sequence number (events up to it are not replayed); default 0, from the start.
func After(seq int64) EventsOption { return func(s *eventsSettings) { s.after = seq } }

// Reconnects is how often in a row a dropped stream is re-opened before Events gives up (default 5).
func Reconnects(n int) EventsOption { return func(s *eventsSettings) { s.reconnects = n } }

// Events is the run's events, replayed then live, ending with the run event that ends the run. A dropped
// stream is re-opened with Last-Event-ID set to the last event seen, so no event is lost or repeated; after
// Reconnects failed re-opens in a row it yields a *ConnectionError. Keep-alive pings are not yielded.
//
//	for ev, err := range c.Events(ctx, run.ID) {
//		if err != nil { return err }
//		fmt.Println(ev.Type, string(ev.Data))
//	}
func (c *Client) Events(ctx context.Context, runID string, opts ...EventsOption) iter.Seq2[RunEvent, error] {
	s := eventsSettings{reconnects: 5, backoff: 500 * time.Millisecond}
	for _, o := range opts {
		o(&s)
	}
	const op = "GET /v1/runs/{id}/events"
	return func(yield func(RunEvent, error) bool) {
		last := s.after
		retries := s.reconnects
		opened := false
		for {
			var dropped error
			ended, stop, err := c.stream(ctx, runID, last, func(ev RunEvent) bool {
				if ev.Seq <= last {
					return true
				}
				last = ev.Seq
				retries = s.reconnects
				return yield(ev, nil)
			}, &opened)
			if stop || ended {
				return
			}
			if err != nil {
				if !opened || ctx.Err() != nil || !isDrop(err) {
					yield(RunEvent{}, err)
					return
				}
				dropped = err
			} else {
				// The stream ended without the final event: the run ended without one (its coordinator
				// restarted), or the server closed early and the run goes on.
				run, err := c.GetRun(ctx, runID)
				if err != nil {
					yield(RunEvent{}, err)
					return
				}
				if run.Status.Finished() {
					return
				}
			}
			if retries <= 0 {
				yield(RunEvent{}, &ConnectionError{Op: op, URL: c.baseURL, Err: fmt.Errorf("the event stream of run %s keeps dropping: %w", runID, dropped)})
				return
			}
			retries--
			select {
			case <-ctx.Done():
				yield(RunEvent{}, fmt.Errorf("%s: %w", op, ctx.Err()))
				return
			case <-time.After(s.backoff):
			}
		}
	}
}

func isDrop(err error) bool {
	var ce *ConnectionError
	var te *TimeoutError
	return errors.As(err, &ce) || errors.As(err, &te)
}

// stream reads one connection of the event stream. ended: the final event was read; stop: the consumer
// stopped. opened turns true once a connection was answered 2xx.
func (c *Client) stream(ctx context.Context, runID string, last int64, emit func(RunEvent) bool, opened *bool) (ended, stop bool, err error) {
	const op = "GET /v1/runs/{id}/events"
	r := request{method: "GET", path: "/v1/runs/" + enc(runID) + "/events", accept: "text/event-stream"}
	if last > 0 {
		r.headers = map[string]string{"Last-Event-ID": strconv.FormatInt(last, 10)}
	}
	// Connecting is bounded by the client's timeout; reading is not (the coordinator pings every 15 s, and a
	// dead connection is noticed by the silence watchdog below).
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var connectTimer *time.Timer
	if c.timeout > 0 {
		connectTimer = time.AfterFunc(c.timeout, cancel)
	}
	res, err := c.send(sctx, c.streamHTTP, r, op)
	if connectTimer != nil && !connectTimer.Stop() && err != nil {
		return false, false, &TimeoutError{Op: op, URL: c.baseURL, Within: c.timeout.String(), Err: err}
	}
	if err != nil {
		return false, false, err
	}
	defer res.Body.Close()
	*opened = true
	silence := time.AfterFunc(streamSilence, cancel)
	defer silence.Stop()
	err = readSSE(res.Body, func(m sseMessage) (bool, error) {
		silence.Reset(streamSilence)
		if m.event == "ping" || m.event == "message" {
			return true, nil
		}
		ev := RunEvent{Type: m.event, Data: json.RawMessage(m.data)}
		if len(ev.Data) == 0 {
			ev.Data = json.RawMessage("{}")
		}
		if !json.Valid(ev.Data) {
			return false, &sseParseError{fmt.Errorf("%s: an event is not JSON: %q", op, m.data)}
		}
		if m.id != "" {
			seq, err := strconv.ParseInt(m.id, 10, 64)
			if err != nil {
				return false, &sseParseError{fmt.Errorf("%s: an event id is not a number: %q", op, m.id)}
			}
			ev.Seq = seq
		}
		if !emit(ev) {
			stop = true
			return false, nil
		}
		if ev.Final() {
			ended = true
			return false, nil
		}
		return true, nil
	})
	if err != nil && !stop && !ended {
		var parse *sseParseError
		if errors.As(err, &parse) {
			return false, false, err
		}
		if ctx.Err() != nil {
			return false, false, fmt.Errorf("%s: %w", op, ctx.Err())
		}
		return false, false, &ConnectionError{Op: op, URL: c.baseURL, Err: err}
	}
	return ended, stop, nil
}

// streamSilence: the coordinator pings at least every 15 s; a minute of silence means the connection is dead.
var streamSilence = 60 * time.Second

type sseMessage struct{ event, id, data string }

// sseParseError is a stream that is not what the coordinator sends: not retried.
type sseParseError struct{ error }

func (e *sseParseError) Unwrap() error { return e.error }

// readSSE reads server-sent events until the body ends or handle says stop.
// ref: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
func readSSE(body io.Reader, handle func(sseMessage) (bool, error)) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var event, id string
	var data []string
	sawData := false
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if line == "" {
			if sawData {
				ev := event
				if ev == "" {
					ev = "message"
				}
				more, err := handle(sseMessage{event: ev, id: id, data: strings.Join(data, "\n")})
				if err != nil || !more {
					return err
				}
			}
			event, id, data, sawData = "", "", nil, false
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			event = value
		case "data":
			data = append(data, value)
			sawData = true
		case "id":
			if !strings.Contains(value, "\x00") {
				id = value
			}
		}
	}
	// nil at a clean end: the caller asks whether the run has ended; a cut connection is an error here.
	return sc.Err()
}

// Wait follows the run until it ends and returns its report. Bound it with the context's deadline.
func (c *Client) Wait(ctx context.Context, runID string, opts ...RunOption) (*RunReport, error) {
	s := runOptions(opts)
	for ev, err := range c.Events(ctx, runID) {
		if err != nil {
			return nil, err
		}
		if s.onEvent != nil {
			s.onEvent(ev)
		}
		if r := ev.Report(); r != nil {
			return r, nil
		}
	}
	return c.Report(ctx, runID)
}

// Run runs a drill and returns its report once it has ended: StartRun, then Wait.
func (c *Client) Run(ctx context.Context, src RunSource, opts ...RunOption) (*RunReport, error) {
	run, err := c.StartRun(ctx, src, opts...)
	if err != nil {
		return nil, err
	}
	return c.Wait(ctx, run.ID, opts...)
}
