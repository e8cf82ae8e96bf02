package eris_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	eris "github.com/eris-chaos/eris/sdk/go"
	"github.com/eris-chaos/eris/sdk/go/internal/testcluster"
)

// cluster is the real coordinator, host-mode agent and sample members every test here talks to.
var cluster *testcluster.Cluster

func TestMain(m *testing.M) { testcluster.Main(m, "eris-go", &cluster) }

func client(t testing.TB) *eris.Client {
	t.Helper()
	c, err := eris.NewClient(cluster.URL, eris.WithToken(testcluster.Token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return c
}

// member selects one sample member by name.
func member(name string) eris.TargetGroup {
	return eris.Processes(fmt.Sprintf("--name %s .*--tag %s", name, cluster.Tag()))
}

func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := testcluster.WaitFor(timeout, what, cond); err != nil {
		t.Fatal(err)
	}
}

func noneStopped(t testing.TB) {
	t.Helper()
	waitFor(t, 5*time.Second, "every member running again", func() bool { return len(cluster.Members.Stopped()) == 0 })
}

// sampleDrill is the node-failure drill of the other SDKs' tests, for the members tagged with the cluster's tag.
func sampleDrill(name, detectTimeout string) []byte {
	return []byte(fmt.Sprintf(`apiVersion: eris.dev/v1alpha1
kind: Drill
metadata:
  name: %s
spec:
  targets:
    member:
      processes:
        cmdline: --tag %s
      count: 1
    all:
      processes:
        cmdline: --tag %s
  probes:
    health:
      url: http://127.0.0.1:{{target.labels.port}}/health
      jq: .health == "true"
      timeout: 500ms
      interval: 100ms
  steps:
    - name: every member is healthy
      probe: health
      target: all
    - name: freeze one member
      signal: SIGSTOP
      target: member
      lease: 60s
    - name: its probe fails
      wait: health
      target: member
      until: fail
      timeout: %s
    - name: kill it
      signal: SIGKILL
      target: member
    - name: it recovers
      wait: health
      target: member
      until: pass
      timeout: 60s
      consecutive: 2
`, name, cluster.Tag(), cluster.Tag(), detectTimeout))
}
