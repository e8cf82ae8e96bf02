// What a user's CI would bring up before the suite runs: a 3-member etcd cluster (Debian's etcd-server, on
// loopback, each member restarted when it dies, as systemd would), an eris coordinator and a host-mode eris
// agent from this clone (bin/eris.js; `npm run build` first — npm test does). Only processes started here are
// signalled, by their process group, at the end.
package etcdchaos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const token = "example-token"

var etcd *cluster

type cluster struct {
	token   string
	names   []string
	client  map[string]int
	args    map[string][]string
	dir     string
	mu      sync.Mutex
	cmds    map[string]*exec.Cmd
	stop    chan struct{}
	stopped sync.WaitGroup
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (c *cluster) url(name string) string { return fmt.Sprintf("http://127.0.0.1:%d", c.client[name]) }

func startEtcd(dir string) *cluster {
	c := &cluster{token: fmt.Sprintf("eris-go-example-%d", os.Getpid()), names: []string{"m0", "m1", "m2"},
		client: map[string]int{}, args: map[string][]string{}, dir: dir, cmds: map[string]*exec.Cmd{}, stop: make(chan struct{})}
	peer := map[string]int{}
	var initial []string
	for _, n := range c.names {
		c.client[n], peer[n] = freePort(), freePort()
		initial = append(initial, fmt.Sprintf("%s=http://127.0.0.1:%d", n, peer[n]))
	}
	for _, n := range c.names {
		cu, pu := c.url(n), fmt.Sprintf("http://127.0.0.1:%d", peer[n])
		c.args[n] = []string{"--name", n, "--data-dir", filepath.Join(dir, n), "--listen-client-urls", cu, "--advertise-client-urls", cu,
			"--listen-peer-urls", pu, "--initial-advertise-peer-urls", pu, "--initial-cluster", strings.Join(initial, ","),
			"--initial-cluster-state", "new", "--initial-cluster-token", c.token, "--heartbeat-interval", "100", "--election-timeout", "1000"}
		c.spawn(n)
	}
	c.stopped.Add(1)
	go c.supervise()
	return c
}

func (c *cluster) spawn(name string) {
	log, _ := os.OpenFile(filepath.Join(c.dir, name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	cmd := exec.Command("etcd", c.args[name]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return
	}
	c.cmds[name] = cmd
	go func() {
		_ = cmd.Wait()
		log.Close()
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.cmds[name] == cmd {
			c.cmds[name] = nil
		}
	}()
}

// supervise restarts a member 0.5 s after it died (its data dir survives, so it rejoins).
func (c *cluster) supervise() {
	defer c.stopped.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-time.After(500 * time.Millisecond):
		}
		c.mu.Lock()
		for name, cmd := range c.cmds {
			if cmd == nil {
				c.spawn(name)
			}
		}
		c.mu.Unlock()
	}
}

func (c *cluster) healthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ok := true
		for _, n := range c.names {
			var h struct{ Health string }
			res, err := (&http.Client{Timeout: time.Second}).Get(c.url(n) + "/health")
			if err != nil {
				ok = false
				break
			}
			_ = json.NewDecoder(res.Body).Decode(&h)
			res.Body.Close()
			ok = ok && h.Health == "true"
		}
		if ok {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("etcd did not become healthy in %s (logs in %s)", timeout, c.dir)
}

func (c *cluster) close() {
	close(c.stop)
	c.stopped.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cmd := range c.cmds {
		if cmd != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGCONT)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}
}

// startEris runs node bin/eris.js ARGS from this clone and waits for its {"msg": ready, "url": …} log line.
func startEris(args []string, ready string, env ...string) (*exec.Cmd, string, error) {
	node := os.Getenv("ERIS_NODE")
	if node == "" {
		node = "node"
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	cmd := exec.Command(node, append([]string{filepath.Join(root, "bin", "eris.js")}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ERIS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	sc := bufio.NewScanner(out)
	var logs []string
	for sc.Scan() {
		logs = append(logs, sc.Text())
		var rec struct{ Msg, URL string }
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == ready {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, rec.URL, nil
		}
	}
	_ = cmd.Wait()
	return nil, "", fmt.Errorf("%s exited:\n%s", args[0], strings.Join(logs, "\n"))
}

func stop(cmd *exec.Cmd) {
	if cmd != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
	}
}

func TestMain(m *testing.M) {
	if _, err := exec.LookPath("etcd"); err != nil {
		fmt.Fprintln(os.Stderr, "etcd is part of the test bed (scripts/install-testbed.sh installs etcd-server)")
		os.Exit(1)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, _ := os.MkdirTemp("", "eris-go-example-")
	defer os.RemoveAll(dir)
	etcd = startEtcd(dir)
	defer etcd.close()
	if err := etcd.healthy(60 * time.Second); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	coordinator, url, err := startEris([]string{"coordinator", "--listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "coordinator"), "--probe-allow", "loopback"},
		"eris-coordinator listening", "ERIS_COORDINATOR_TOKEN="+token)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop(coordinator)
	agent, _, err := startEris([]string{"agent", "--listen", "127.0.0.1:0", "--state-dir", filepath.Join(dir, "agent"), "--no-cri", "--host-processes",
		"--coordinator", "ws" + strings.TrimPrefix(url, "http"), "--cluster", "example", "--node-name", "node-1"},
		"eris-agent listening", "ERIS_AGENT_TOKEN="+token)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop(agent)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "ERIS_") && k != "ERIS_NODE" {
			os.Unsetenv(k)
		}
	}
	os.Setenv("ERIS_COORDINATOR", url)
	os.Setenv("ERIS_TOKEN", token)
	os.Setenv("ERIS_CONFIG", filepath.Join(dir, "no-contexts.yaml"))
	deadline := time.Now().Add(15 * time.Second)
	for {
		var h struct{ Agents int }
		if res, err := http.Get(url + "/healthz"); err == nil {
			_ = json.NewDecoder(res.Body).Decode(&h)
			res.Body.Close()
		}
		if h.Agents == 1 {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintln(os.Stderr, "the agent did not register")
			return 1
		}
		time.Sleep(100 * time.Millisecond)
	}
	return m.Run()
}
