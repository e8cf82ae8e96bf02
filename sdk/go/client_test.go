package eris_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	eris "github.com/eris-chaos/eris/sdk/go"
	"github.com/eris-chaos/eris/sdk/go/internal/testcluster"
)

func TestVersionHealthAgentsTargets(t *testing.T) {
	c := client(t)
	v, err := c.Version(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if v.Version == "" || v.CoordinatorID == "" {
		t.Fatalf("version %+v", v)
	}
	noEnv := eris.WithGetenv(func(string) string { return "" })
	anon, err := eris.NewClient(cluster.URL+"/", noEnv) // no token needed; a trailing slash is fine
	if err != nil {
		t.Fatal(err)
	}
	h, err := anon.Health(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != "ok" || h.Version != v.Version || h.Agents != 1 {
		t.Fatalf("health %+v", h)
	}
	agents, err := c.Agents(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(agents) != 1 || agents[0].ID != "lab/node-1" || *agents[0].Zone != "z1" || !agents[0].HostProcesses {
		t.Fatalf("agents %+v", agents)
	}
	targets, err := c.Targets(ctx(t), eris.TargetFilter{Namespace: "no-such-namespace"})
	if err != nil || len(targets) != 0 {
		t.Fatalf("targets %v %v", targets, err)
	}
	// Without Cmdline the list holds containers only (a host-mode agent has none).
	if _, err := c.Targets(ctx(t), eris.TargetFilter{Cluster: "lab", Pod: ".*", Container: ".*", Labels: "app=x"}); err != nil {
		t.Fatal(err)
	}
	processes, err := c.Targets(ctx(t), eris.TargetFilter{Cmdline: `--name m\d .*--tag ` + cluster.Tag()})
	if err != nil || len(processes) != 3 || processes[0].Kind != "process" {
		t.Fatalf("processes %+v %v", processes, err)
	}
}

func TestPreviewPicksTheSameWithTheSameSeedAndTouchesNothing(t *testing.T) {
	c := client(t)
	group := eris.Processes("--tag " + cluster.Tag())
	group.Count, group.Seed = 1, "preview"
	a, err := c.Preview(ctx(t), group)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Preview(ctx(t), group)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Matched) != 3 || len(a.Picked) != 1 || a.Picked[0].PID != b.Picked[0].PID || a.Seed != "preview" {
		t.Fatalf("preview %+v then %+v", a, b)
	}
	if len(cluster.Members.Stopped()) != 0 {
		t.Fatal("a preview stopped something")
	}
}

func TestAPIErrorsKeepCodePathStatusAndRequest(t *testing.T) {
	c := client(t)
	_, err := c.Preview(ctx(t), eris.Processes("("))
	var apiErr *eris.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want an *APIError, got %T %v", err, err)
	}
	if apiErr.Status != 400 || apiErr.Code != eris.CodeValidation || apiErr.Request != "POST /v1/selections" || !strings.HasPrefix(apiErr.Path, "target.processes.cmdline") {
		t.Fatalf("%+v", apiErr)
	}
	if !strings.Contains(err.Error(), "target.processes.cmdline") {
		t.Fatalf("the message names the field: %v", err)
	}
	_, err = c.Preview(ctx(t), eris.Processes("no-such-process-xyz-123"))
	if !eris.IsCode(err, eris.CodeNoTargets) || !errors.As(err, &apiErr) || apiErr.Status != 422 {
		t.Fatalf("no targets: %v", err)
	}
	_, err = c.GetRun(ctx(t), "no-such-run")
	if !eris.IsNotFound(err) || !errors.As(err, &apiErr) || apiErr.Path != "id" || apiErr.Status != 404 {
		t.Fatalf("not found: %v", err)
	}
	wrong, _ := eris.NewClient(cluster.URL, eris.WithToken("wrong"))
	if _, err = wrong.Version(ctx(t)); !eris.IsCode(err, eris.CodeUnauthorized) {
		t.Fatalf("unauthorized: %v", err)
	}
	_, err = c.Runs(ctx(t), eris.RunQuery{Limit: -1})
	if !errors.As(err, &apiErr) || apiErr.Path != "query.limit" {
		t.Fatalf("query: %v", err)
	}
}

func TestARefusedConnectionAndASilentServerAreDistinctErrors(t *testing.T) {
	port := testcluster.FreePort()
	refusing, _ := eris.NewClient("127.0.0.1:"+itoa(port), eris.WithToken("t"))
	_, err := refusing.Agents(ctx(t))
	var connErr *eris.ConnectionError
	var timeoutErr *eris.TimeoutError
	if !errors.As(err, &connErr) || errors.As(err, &timeoutErr) {
		t.Fatalf("refused: want a *ConnectionError, got %T %v", err, err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:"+itoa(port)) || errors.Unwrap(err) == nil {
		t.Fatalf("names the URL and keeps the cause: %v", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Fatalf("the cause is reachable: %v", err)
	}

	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			conn, err := silent.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	slow, _ := eris.NewClient("http://"+silent.Addr().String(), eris.WithTimeout(300*time.Millisecond))
	_, err = slow.Health(ctx(t))
	if !errors.As(err, &timeoutErr) || errors.As(err, &connErr) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent: want a *TimeoutError, got %T %v", err, err)
	}
	if !strings.Contains(err.Error(), silent.Addr().String()) {
		t.Fatalf("names the URL: %v", err)
	}
}

func TestBadBaseURLsAreRefusedWithTheField(t *testing.T) {
	_, err := eris.NewClient("ftp://x")
	var cfg *eris.ConfigError
	if !errors.As(err, &cfg) || cfg.Path != "baseURL" {
		t.Fatalf("%T %v", err, err)
	}
}

func TestFreezeListGetResume(t *testing.T) {
	c := client(t)
	fault, err := c.Freeze(ctx(t), member("m0"), eris.Lease(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer fault.Resume(ctx(t))
	if fault.Signal != "SIGSTOP" || len(fault.PIDs()) != 1 || fault.PIDs()[0] != cluster.Members.PID("m0") {
		t.Fatalf("fault %+v", fault)
	}
	if st := testcluster.ProcState(fault.PIDs()[0]); st != "T" {
		t.Fatalf("m0 is %q, want T", st)
	}
	if fault.Parts[0].Fault.LeaseSeconds != 30 {
		t.Fatalf("lease %v", fault.Parts[0].Fault.LeaseSeconds)
	}
	list, err := c.Faults(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, f := range list {
		listed = listed || f.ID == fault.ID
	}
	got, err := c.Fault(ctx(t), fault.ID)
	if err != nil || !listed || got.Parts[0].Fault.State != "active" {
		t.Fatalf("listed %v, got %+v, %v", listed, got, err)
	}
	resumed, err := fault.Resume(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if resumed.Parts[0].Fault.State != "resumed" || !resumed.Resume.Confirmed {
		t.Fatalf("resumed %+v", resumed)
	}
	waitFor(t, 3*time.Second, "m0 running", func() bool { st := testcluster.ProcState(fault.PIDs()[0]); return st == "S" || st == "R" })
	if _, err := c.Fault(ctx(t), "nope"); !eris.IsNotFound(err) {
		t.Fatalf("%v", err)
	}
}

func TestKillAndCreateFaultWithOptions(t *testing.T) {
	c := client(t)
	before := cluster.Members.PID("m2")
	fault, err := c.Kill(ctx(t), member("m2"), eris.Scope("all"))
	if err != nil {
		t.Fatal(err)
	}
	if fault.Signal != "SIGKILL" || len(fault.PIDs()) != 1 || fault.PIDs()[0] != before {
		t.Fatalf("%+v", fault)
	}
	waitFor(t, 10*time.Second, "m2 restarted by its supervisor", func() bool {
		pid := cluster.Members.PID("m2")
		return pid != 0 && pid != before
	})
	if err := cluster.Members.Healthy(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateFault(ctx(t), eris.FaultRequest{Target: member("m2"), Signal: "SIGNOPE"})
	var apiErr *eris.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Path != "signal" {
		t.Fatalf("a bad signal names the field: %v", err)
	}
	stopped, err := c.CreateFault(ctx(t), eris.FaultRequest{Target: member("m2"), Signal: "stop", Lease: "5s", Method: "signal"})
	if err != nil {
		t.Fatal(err)
	}
	defer stopped.Resume(ctx(t))
	if stopped.Parts[0].Fault.Method != "signal" || stopped.Parts[0].Fault.LeaseSeconds != 5 {
		t.Fatalf("%+v", stopped.Parts[0].Fault)
	}
	if _, err := stopped.Resume(ctx(t)); err != nil {
		t.Fatal(err)
	}
	noneStopped(t)
}
