// Package eris is a client for the eris coordinator's HTTP API: the fleet, target selections, immediate faults
// (freeze, kill, resume), drills and runs with their live events.
//
//	c, err := eris.NewClient("https://eris.example:7700", eris.WithTokenFile("/run/secrets/eris"))
//	fault, err := c.Freeze(ctx, eris.Processes("^etcd --name m1"), eris.Lease(30*time.Second))
//	defer fault.Resume(context.Background())
//
// Every call takes a context.Context. A non-2xx answer is an *APIError; a coordinator that cannot be reached
// a *ConnectionError; one that does not answer in time a *TimeoutError (all wrap their cause).
package eris

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds each request (the events stream only while connecting).
const DefaultTimeout = 30 * time.Second

// Client talks to one coordinator. It is safe for concurrent use.
type Client struct {
	baseURL string
	token   string
	timeout time.Duration
	http    *http.Client
	// streamHTTP has no overall timeout: an event stream lives as long as its run.
	streamHTTP *http.Client
}

type settings struct {
	conn       ConnectionSettings
	timeout    time.Duration
	tls        *tls.Config
	httpClient *http.Client
	getenv     func(string) string
}

// Option configures a Client.
type Option func(*settings)

// WithToken sets the bearer token (every call but Health needs one).
func WithToken(token string) Option { return func(s *settings) { s.conn.Token = token } }

// WithTokenFile reads the token from a file: its first line that is not blank or a comment; "name:token" works.
func WithTokenFile(path string) Option { return func(s *settings) { s.conn.TokenFile = path } }

// WithContext uses a named context of the CLI's contexts file (eris context ls).
func WithContext(name string) Option { return func(s *settings) { s.conn.Context = name } }

// WithTimeout bounds each request, connecting included (default 30 s); 0 means no bound.
func WithTimeout(d time.Duration) Option { return func(s *settings) { s.timeout = d } }

// WithTLSConfig sets the TLS configuration (a private CA in RootCAs, a client certificate).
func WithTLSConfig(c *tls.Config) Option { return func(s *settings) { s.tls = c } }

// WithHTTPClient uses this HTTP client (its Transport, for proxies or instrumentation). Its Timeout is
// ignored: the client's own timeout applies per request. WithTLSConfig is applied to a copy of its
// transport when that is an *http.Transport.
func WithHTTPClient(c *http.Client) Option { return func(s *settings) { s.httpClient = c } }

// WithGetenv reads the environment through this function instead of os.Getenv (tests, sandboxes).
func WithGetenv(getenv func(string) string) Option { return func(s *settings) { s.getenv = getenv } }

// NewClient returns a client for the coordinator at baseURL. An empty baseURL, and a token not given, are
// resolved as the eris CLI resolves them (see ResolveConnection): ERIS_CONTEXT, ERIS_COORDINATOR,
// ERIS_TOKEN, ERIS_TOKEN_FILE, the contexts file.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	s := settings{timeout: DefaultTimeout}
	s.conn.BaseURL = baseURL
	for _, o := range opts {
		o(&s)
	}
	conn, err := ResolveConnection(s.conn, s.getenv)
	if err != nil {
		return nil, err
	}
	base := s.httpClient
	if base == nil {
		base = &http.Client{}
	}
	transport := base.Transport
	if s.tls != nil {
		var t *http.Transport
		switch bt := transport.(type) {
		case nil:
			t = http.DefaultTransport.(*http.Transport).Clone()
		case *http.Transport:
			t = bt.Clone()
		default:
			return nil, &ConfigError{Path: "tls", Message: "WithTLSConfig needs the HTTP client's Transport to be an *http.Transport"}
		}
		t.TLSClientConfig = s.tls
		transport = t
	}
	mk := func() *http.Client {
		return &http.Client{
			Transport: transport,
			Jar:       base.Jar,
			// The coordinator never redirects; following one would send the token elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &Client{baseURL: conn.Coordinator, token: conn.Token, timeout: s.timeout, http: mk(), streamHTTP: mk()}, nil
}

// BaseURL is the coordinator this client talks to (no trailing slash).
func (c *Client) BaseURL() string { return c.baseURL }

type request struct {
	method, path string
	query        url.Values
	body         any
	raw          []byte // sent as is, with contentType
	contentType  string
	accept       string
	headers      map[string]string
}

// send returns the open response of a 2xx answer; the caller closes its body.
func (c *Client) send(ctx context.Context, hc *http.Client, r request, op string) (*http.Response, error) {
	var body io.Reader
	contentType := ""
	switch {
	case r.raw != nil:
		body, contentType = bytes.NewReader(r.raw), r.contentType
	case r.body != nil:
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("%s: encoding the request: %w", op, err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	u := c.baseURL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, &ConfigError{Path: "baseURL", Message: fmt.Sprintf("%s: %v", op, err), Err: err}
	}
	accept := r.accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "eris-go")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, c.networkError(ctx, op, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		defer res.Body.Close()
		return nil, apiError(res, op)
	}
	return res, nil
}

// networkError turns a transport failure into a TimeoutError (the deadline ran out) or a ConnectionError;
// a cancellation by the caller is returned as the context's error, wrapped.
func (c *Client) networkError(ctx context.Context, op string, err error) error {
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		within := "its deadline"
		if c.timeout > 0 {
			within = c.timeout.String()
		}
		return &TimeoutError{Op: op, URL: c.baseURL, Within: within, Err: err}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return &ConnectionError{Op: op, URL: c.baseURL, Err: unwrapURLError(err)}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func apiError(res *http.Response, op string) error {
	text, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	var parsed struct {
		Error *struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Path    string         `json:"path"`
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(text, &parsed) == nil && parsed.Error != nil && parsed.Error.Code != "" {
		e := parsed.Error
		return &APIError{Status: res.StatusCode, Code: e.Code, Message: e.Message, Path: e.Path, Details: e.Details, Request: op}
	}
	snippet := strings.TrimSpace(string(text))
	if len(snippet) > 200 {
		snippet = snippet[:200]
	}
	msg := "HTTP " + res.Status
	if snippet != "" {
		msg += ": " + snippet
	}
	return &APIError{Status: res.StatusCode, Code: "ERIS_ERR_HTTP", Message: msg, Request: op}
}

// exchange sends a request under the client's timeout and reads the whole answer.
func (c *Client) exchange(ctx context.Context, r request, op string) ([]byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	res, err := c.send(ctx, c.http, r, op)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, c.networkError(ctx, op, err)
	}
	return b, nil
}

// call sends r and decodes a JSON answer into out (its key field when key is not empty).
func (c *Client) call(ctx context.Context, r request, op string, key string, out any) error {
	b, err := c.exchange(ctx, r, op)
	if err != nil {
		return err
	}
	if key != "" {
		var wrapper map[string]json.RawMessage
		if err := json.Unmarshal(b, &wrapper); err != nil {
			return fmt.Errorf("%s: the coordinator at %s answered with something that is not JSON: %w", op, c.baseURL, err)
		}
		b = wrapper[key]
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s: the coordinator at %s answered with something this SDK does not understand: %w", op, c.baseURL, err)
	}
	return nil
}

func enc(s string) string { return url.PathEscape(s) }

// Health is GET /healthz; it needs no token.
func (c *Client) Health(ctx context.Context) (*Health, error) {
	var h Health
	return &h, c.call(ctx, request{method: "GET", path: "/healthz"}, "GET /healthz", "", &h)
}

// Version is GET /v1/version.
func (c *Client) Version(ctx context.Context) (*Version, error) {
	var v Version
	return &v, c.call(ctx, request{method: "GET", path: "/v1/version"}, "GET /v1/version", "", &v)
}

// Agents lists the connected agents.
func (c *Client) Agents(ctx context.Context) ([]Agent, error) {
	var a []Agent
	return a, c.call(ctx, request{method: "GET", path: "/v1/agents"}, "GET /v1/agents", "agents", &a)
}

// Targets lists every container of every agent, filtered; with f.Cmdline, the host processes it matches instead.
func (c *Client) Targets(ctx context.Context, f TargetFilter) ([]Target, error) {
	q := url.Values{}
	for k, v := range map[string]string{"cluster": f.Cluster, "namespace": f.Namespace, "pod": f.Pod, "container": f.Container, "labels": f.Labels, "cmdline": f.Cmdline} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var t []Target
	return t, c.call(ctx, request{method: "GET", path: "/v1/targets", query: q}, "GET /v1/targets", "targets", &t)
}

// Preview is what a target group matches and would pick right now; it touches nothing.
func (c *Client) Preview(ctx context.Context, group TargetGroup) (*SelectionPreview, error) {
	var p SelectionPreview
	return &p, c.call(ctx, request{method: "POST", path: "/v1/selections", body: group}, "POST /v1/selections", "", &p)
}

// FaultRequest is POST /v1/faults' body.
type FaultRequest struct {
	Target   TargetGroup `json:"target"`
	Signal   string      `json:"signal"`
	Scope    string      `json:"scope,omitempty"`
	Method   string      `json:"method,omitempty"`
	Lease    any         `json:"lease,omitempty"` // "30s" or seconds
	Override []string    `json:"override,omitempty"`
}

// FaultOption sets a field of a fault request.
type FaultOption func(*FaultRequest)

// Lease is how long the agent holds a SIGSTOP before it resumes by itself: the backstop should this process
// die before it resumes the fault.
func Lease(d time.Duration) FaultOption {
	return func(r *FaultRequest) { r.Lease = strconv.FormatInt(d.Milliseconds(), 10) + "ms" }
}

// Scope is "all" (every process of a container, the default) or "init" (its first process only).
func Scope(scope string) FaultOption { return func(r *FaultRequest) { r.Scope = scope } }

// Method is "signal" (SIGSTOP, the default) or "freezer" (the cgroup freezer).
func Method(method string) FaultOption { return func(r *FaultRequest) { r.Method = method } }

// Override lifts a safety refusal: "denied-namespace", "protected-process".
func Override(what ...string) FaultOption {
	return func(r *FaultRequest) { r.Override = append(r.Override, what...) }
}

// CreateFault places an immediate fault: the signal goes to what the target group picks, now.
func (c *Client) CreateFault(ctx context.Context, req FaultRequest) (*Fault, error) {
	f := &Fault{client: c}
	if err := c.call(ctx, request{method: "POST", path: "/v1/faults", body: req}, "POST /v1/faults", "", f); err != nil {
		return nil, err
	}
	return f, nil
}

// Freeze stops (SIGSTOP) what target picks until Resume. Always resume it:
//
//	fault, err := c.Freeze(ctx, target, eris.Lease(30*time.Second))
//	if err != nil { … }
//	defer fault.Resume(context.Background())
func (c *Client) Freeze(ctx context.Context, target TargetGroup, opts ...FaultOption) (*Fault, error) {
	return c.signal(ctx, "SIGSTOP", target, opts)
}

// Kill sends SIGKILL to what target picks, now.
func (c *Client) Kill(ctx context.Context, target TargetGroup, opts ...FaultOption) (*Fault, error) {
	return c.signal(ctx, "SIGKILL", target, opts)
}

func (c *Client) signal(ctx context.Context, sig string, target TargetGroup, opts []FaultOption) (*Fault, error) {
	req := FaultRequest{Target: target, Signal: sig}
	for _, o := range opts {
		o(&req)
	}
	return c.CreateFault(ctx, req)
}

// Faults lists the immediate faults.
func (c *Client) Faults(ctx context.Context) ([]Fault, error) {
	var f []Fault
	if err := c.call(ctx, request{method: "GET", path: "/v1/faults"}, "GET /v1/faults", "faults", &f); err != nil {
		return nil, err
	}
	for i := range f {
		f[i].client = c
	}
	return f, nil
}

// Fault gets one immediate fault.
func (c *Client) Fault(ctx context.Context, id string) (*Fault, error) {
	f := &Fault{client: c}
	if err := c.call(ctx, request{method: "GET", path: "/v1/faults/" + enc(id)}, "GET /v1/faults/{id}", "", f); err != nil {
		return nil, err
	}
	return f, nil
}

// Resume resumes what the fault stopped (idempotent); Resume.Confirmed says every process was seen running.
func (c *Client) Resume(ctx context.Context, id string) (*ResumedFault, error) {
	var r ResumedFault
	if err := c.call(ctx, request{method: "DELETE", path: "/v1/faults/" + enc(id)}, "DELETE /v1/faults/{id}", "", &r); err != nil {
		return nil, err
	}
	r.client = c
	return &r, nil
}

// ResumeAll is the emergency stop: every running run aborted and every active immediate fault resumed, within the
// token's scope, in one audited call (never rate-limited).
func (c *Client) ResumeAll(ctx context.Context) (*ResumeAll, error) {
	var r ResumeAll
	if err := c.call(ctx, request{method: "POST", path: "/v1/resume-all"}, "POST /v1/resume-all", "", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Resume resumes what this fault stopped (idempotent). Pass a context that is not already cancelled
// (context.Background() in a defer): a resume must go through even when the work around it was cancelled.
func (f *Fault) Resume(ctx context.Context) (*ResumedFault, error) {
	if f == nil || f.client == nil {
		return nil, errors.New("eris: Resume of a fault this client did not create or get")
	}
	return f.client.Resume(ctx, f.ID)
}

// Audit is a page of the audit trail, newest first; page on with q.Cursor = *page.NextCursor.
func (c *Client) Audit(ctx context.Context, q AuditQuery) (*AuditPage, error) {
	v := url.Values{}
	if !q.Since.IsZero() {
		v.Set("since", strconv.FormatInt(q.Since.UnixMilli(), 10))
	}
	if !q.Until.IsZero() {
		v.Set("until", strconv.FormatInt(q.Until.UnixMilli(), 10))
	}
	if q.Actor != "" {
		v.Set("actor", q.Actor)
	}
	if q.Action != "" {
		v.Set("action", q.Action)
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Cursor != 0 {
		v.Set("cursor", strconv.FormatInt(q.Cursor, 10))
	}
	var p AuditPage
	return &p, c.call(ctx, request{method: "GET", path: "/v1/audit", query: v}, "GET /v1/audit", "", &p)
}

// SaveDrill stores a drill under its metadata.name: a Drill, a map, or any value that marshals to a drill.
func (c *Client) SaveDrill(ctx context.Context, drill any) (*SavedDrill, error) {
	var s SavedDrill
	return &s, c.call(ctx, request{method: "POST", path: "/v1/drills", body: drill}, "POST /v1/drills", "", &s)
}

// SaveDrillYAML stores a drill written in YAML; the text is kept as written.
func (c *Client) SaveDrillYAML(ctx context.Context, yamlText []byte) (*SavedDrill, error) {
	var s SavedDrill
	r := request{method: "POST", path: "/v1/drills", raw: yamlText, contentType: "application/yaml"}
	return &s, c.call(ctx, r, "POST /v1/drills", "", &s)
}

// SaveDrillFile stores the drill in a YAML file.
func (c *Client) SaveDrillFile(ctx context.Context, path string) (*SavedDrill, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Path: "drill", Message: fmt.Sprintf("drill file %s: %v", path, err), Err: err}
	}
	return c.SaveDrillYAML(ctx, text)
}

// ValidateDrillYAML checks a drill written in YAML as `eris validate` does, without storing it.
// An invalid drill is not an error: its problems are in the answer, each at its line and column.
func (c *Client) ValidateDrillYAML(ctx context.Context, yamlText []byte) (*DrillCheck, error) {
	var d DrillCheck
	r := request{method: "POST", path: "/v1/drills/validate", raw: yamlText, contentType: "application/yaml"}
	return &d, c.call(ctx, r, "POST /v1/drills/validate", "", &d)
}

// DrillTemplates lists the drills `eris init` writes, one per template.
func (c *Client) DrillTemplates(ctx context.Context) ([]DrillTemplate, error) {
	var t []DrillTemplate
	return t, c.call(ctx, request{method: "GET", path: "/v1/drill-templates"}, "GET /v1/drill-templates", "templates", &t)
}

// Drills lists the stored drills.
func (c *Client) Drills(ctx context.Context) ([]DrillSummary, error) {
	var d []DrillSummary
	return d, c.call(ctx, request{method: "GET", path: "/v1/drills"}, "GET /v1/drills", "drills", &d)
}

// Drill gets a stored drill.
func (c *Client) Drill(ctx context.Context, name string) (*StoredDrill, error) {
	var d StoredDrill
	return &d, c.call(ctx, request{method: "GET", path: "/v1/drills/" + enc(name)}, "GET /v1/drills/{name}", "", &d)
}

// DeleteDrill deletes a stored drill.
func (c *Client) DeleteDrill(ctx context.Context, name string) error {
	var deleted string
	return c.call(ctx, request{method: "DELETE", path: "/v1/drills/" + enc(name)}, "DELETE /v1/drills/{name}", "deleted", &deleted)
}
