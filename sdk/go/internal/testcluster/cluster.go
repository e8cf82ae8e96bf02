// Package testcluster starts what the SDK's tests run against: the project's own coordinator and a host-mode
// agent (node bin/eris.js, after npm run build), and sample members the tests start themselves (this test
// binary re-executed: an HTTP /health server whose command line carries a tag). Only processes started here are
// ever signalled, by their process group.
package testcluster

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Token is the coordinator's and the agent's token in these tests.
const Token = "go-sdk-token"

const memberEnv = "ERIS_GO_TEST_MEMBER"

// Root is the repository's root (sdk/go/internal/testcluster → ../../../..).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", "..", ".."))
}

// Process is a started eris process; URL comes from its ready log line.
type Process struct {
	Cmd  *exec.Cmd
	URL  string
	mu   sync.Mutex
	logs []string
}

// Logs is the last lines it printed.
func (p *Process) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	from := max(0, len(p.logs)-40)
	return strings.Join(p.logs[from:], "\n")
}

// Stop ends it with SIGTERM (its process group), then SIGKILL.
func (p *Process) Stop() {
	if p == nil || p.Cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.Cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func node() string {
	if n := os.Getenv("ERIS_NODE"); n != "" {
		return n
	}
	if n, err := exec.LookPath("node"); err == nil {
		return n
	}
	return "node"
}

// StartEris runs node bin/eris.js ARGS and waits for its JSON log line {"msg": ready, "url": …}.
func StartEris(args []string, ready string, env map[string]string) (*Process, error) {
	if _, err := os.Stat(filepath.Join(Root(), "dist", "cli", "main.js")); err != nil {
		return nil, fmt.Errorf("dist/cli/main.js is missing: run `npm run build` first (npm test does)")
	}
	cmd := exec.Command(node(), append([]string{filepath.Join(Root(), "bin", "eris.js")}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ERIS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{Cmd: cmd}
	found := make(chan string, 1)
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs = append(p.logs, line)
			p.mu.Unlock()
			var rec struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == ready && rec.URL != "" {
				select {
				case found <- rec.URL:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case p.URL = <-found:
		return p, nil
	case <-closed: // its output ended: it exited
		p.Stop()
		return nil, fmt.Errorf("%s exited:\n%s", args[0], p.Logs())
	case <-time.After(30 * time.Second):
		p.Stop()
		return nil, fmt.Errorf("%s did not start:\n%s", args[0], p.Logs())
	}
}

// StartCoordinator starts a coordinator on a free loopback port with its data in dir.
func StartCoordinator(dir string, extra ...string) (*Process, error) {
	args := append([]string{"coordinator", "--listen", "127.0.0.1:0", "--data-dir", dir, "--probe-allow", "loopback"}, extra...)
	return StartEris(args, "eris-coordinator listening", map[string]string{"ERIS_COORDINATOR_TOKEN": Token})
}

// StartAgent starts a host-mode agent (cluster lab, node node-1, zone z1) linked to the coordinator.
func StartAgent(dir, coordinatorURL string) (*Process, error) {
	link := "ws" + strings.TrimPrefix(coordinatorURL, "http")
	args := []string{"agent", "--listen", "127.0.0.1:0", "--state-dir", dir, "--no-cri", "--host-processes",
		"--coordinator", link, "--cluster", "lab", "--node-name", "node-1", "--zone", "z1"}
	return StartEris(args, "eris-agent listening", map[string]string{"ERIS_AGENT_TOKEN": Token})
}

// FreePort is a loopback port nobody listens on right now.
func FreePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ProcState is the state letter of /proc/PID/stat (R, S, T, Z, …), or "" when the process is gone.
func ProcState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndex(s, ")")
	if i < 0 || i+2 >= len(s) {
		return ""
	}
	return s[i+2 : i+3]
}

// Members are sample members restarted 0.3 s after they die (as a supervisor would); Tag is on every command
// line, so `--tag TAG` selects exactly them.
type Members struct {
	Tag   string
	Ports map[string]int
	mu    sync.Mutex
	cmds  map[string]*exec.Cmd
	stop  chan struct{}
	done  sync.WaitGroup
}

// StartMembers starts one member per name.
func StartMembers(tag string, names ...string) (*Members, error) {
	m := &Members{Tag: tag, Ports: map[string]int{}, cmds: map[string]*exec.Cmd{}, stop: make(chan struct{})}
	for _, n := range names {
		m.Ports[n] = FreePort()
		if err := m.spawn(n); err != nil {
			m.Close()
			return nil, err
		}
	}
	m.done.Add(1)
	go m.supervise()
	return m, nil
}

func (m *Members) spawn(name string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "--name", name, "--port", strconv.Itoa(m.Ports[name]), "--tag", m.Tag)
	cmd.Env = append(os.Environ(), memberEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	m.cmds[name] = cmd
	go func() {
		<-exited
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.cmds[name] == cmd {
			m.cmds[name] = nil
		}
	}()
	return nil
}

func (m *Members) supervise() {
	defer m.done.Done()
	died := map[string]time.Time{}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		m.mu.Lock()
		for name, cmd := range m.cmds {
			if cmd != nil {
				continue
			}
			since, ok := died[name]
			if !ok {
				died[name] = time.Now()
				continue
			}
			if time.Since(since) >= 300*time.Millisecond {
				delete(died, name)
				_ = m.spawn(name)
			}
		}
		m.mu.Unlock()
	}
}

// PID is the member's current process id (0 while it is down).
func (m *Members) PID(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.cmds[name]; c != nil {
		return c.Process.Pid
	}
	return 0
}

// Stopped lists the members whose process is stopped (T).
func (m *Members) Stopped() []int {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int
	for _, c := range m.cmds {
		if c != nil && ProcState(c.Process.Pid) == "T" {
			out = append(out, c.Process.Pid)
		}
	}
	return out
}

// Healthy waits until every member answers /health.
func (m *Members) Healthy(timeout time.Duration) error {
	return WaitFor(timeout, "sample members healthy", func() bool {
		for _, port := range m.Ports {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("http://127.0.0.1:%d/health", port), nil)
			res, err := http.DefaultClient.Do(req)
			cancel()
			if err != nil {
				return false
			}
			res.Body.Close()
			if res.StatusCode != 200 {
				return false
			}
		}
		return true
	})
}

// Close stops the supervisor and kills every member (their process groups), resuming any left stopped.
func (m *Members) Close() {
	close(m.stop)
	m.done.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.cmds {
		if c != nil {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGCONT)
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		}
	}
}

// WaitFor polls cond until it holds or timeout passes.
func WaitFor(timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
}

// ServeMemberIfAsked makes this test binary a sample member when it was started as one (call it first in
// TestMain): GET /health answers {"health": "true"} while it runs.
func ServeMemberIfAsked() {
	if os.Getenv(memberEnv) == "" {
		return
	}
	var name, port string
	for i := 1; i+1 < len(os.Args); i += 2 {
		switch os.Args[i] {
		case "--name":
			name = os.Args[i+1]
		case "--port":
			port = os.Args[i+1]
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("content-type", "application/json")
		_, _ = fmt.Fprintf(w, `{"health":"true","name":%q}`, name)
	})
	err := http.ListenAndServe("127.0.0.1:"+port, mux)
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// Cluster is one coordinator, one host-mode agent and three sample members.
type Cluster struct {
	Coordinator, Agent *Process
	Members            *Members
	URL                string
	Dir                string
}

// Tag selects the members: `--tag TAG`.
func (c *Cluster) Tag() string { return c.Members.Tag }

// Start brings the cluster up; the caller closes it.
func Start(prefix string) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "eris-go-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir}
	if c.Members, err = StartMembers(fmt.Sprintf("%s-%d", prefix, os.Getpid()), "m0", "m1", "m2"); err != nil {
		c.Close()
		return nil, err
	}
	if c.Coordinator, err = StartCoordinator(filepath.Join(dir, "coordinator")); err != nil {
		c.Close()
		return nil, err
	}
	c.URL = c.Coordinator.URL
	if c.Agent, err = StartAgent(filepath.Join(dir, "agent"), c.URL); err != nil {
		c.Close()
		return nil, err
	}
	err = WaitFor(15*time.Second, "the agent to register", func() bool {
		res, err := http.Get(c.URL + "/healthz")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var h struct{ Agents int }
		return json.NewDecoder(res.Body).Decode(&h) == nil && h.Agents == 1
	})
	if err == nil {
		err = c.Members.Healthy(20 * time.Second)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Close stops everything it started and removes its files.
func (c *Cluster) Close() {
	if c.Members != nil {
		c.Members.Close()
	}
	c.Agent.Stop()
	c.Coordinator.Stop()
	_ = os.RemoveAll(c.Dir)
}

// Main is a TestMain: members when asked, else a cluster around the tests (ERIS_* settings of the developer
// never leak in). It sets *cluster before the tests run.
func Main(m *testing.M, prefix string, cluster **Cluster) {
	ServeMemberIfAsked()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "ERIS_") && k != "ERIS_NODE" {
			os.Unsetenv(k)
		}
	}
	os.Setenv("ERIS_CONFIG", fmt.Sprintf("/nonexistent/eris-no-config-%d.yaml", os.Getpid()))
	c, err := Start(prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testcluster:", err)
		os.Exit(1)
	}
	*cluster = c
	// As a user's CI would: the coordinator and token in the environment, for clients made with NewClient("").
	os.Setenv("ERIS_COORDINATOR", c.URL)
	os.Setenv("ERIS_TOKEN", Token)
	code := m.Run()
	c.Close()
	os.Exit(code)
}
