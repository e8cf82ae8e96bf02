package eristest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	eris "github.com/eris-chaos/eris/sdk/go"
	"github.com/eris-chaos/eris/sdk/go/eristest"
	"github.com/eris-chaos/eris/sdk/go/internal/testcluster"
)

var cluster *testcluster.Cluster

func TestMain(m *testing.M) { testcluster.Main(m, "eris-go-eristest", &cluster) }

func client(t testing.TB) *eris.Client {
	c, err := eris.NewClient(cluster.URL, eris.WithToken(testcluster.Token))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func member(name string) eris.TargetGroup {
	return eris.Processes(fmt.Sprintf("--name %s .*--tag %s", name, cluster.Tag()))
}

func TestFreezeResumesOnCleanup(t *testing.T) {
	c := client(t)
	var pid int
	t.Run("frozen", func(t *testing.T) {
		fault := eristest.Freeze(t, c, member("m0"))
		pid = fault.PIDs()[0]
		if st := testcluster.ProcState(pid); st != "T" {
			t.Fatalf("m0 is %q, want T", st)
		}
	})
	if err := testcluster.WaitFor(5*time.Second, "m0 running", func() bool { st := testcluster.ProcState(pid); return st == "S" || st == "R" }); err != nil {
		t.Fatal(err)
	}
}

// A subtest that fails (t.FailNow) while a member is frozen still resumes it: run in a child `go test`
// process (this binary, -test.run the failing test), whose failure is expected; the member must be running after.
func TestCleanupResumesAfterAFailingSubtest(t *testing.T) {
	if os.Getenv("ERISTEST_FAILING_CHILD") != "" {
		t.Skip("only the child runs TestFailingChild")
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestFailingChild$", "-test.v")
	cmd.Env = append(os.Environ(), "ERISTEST_FAILING_CHILD=1", "ERISTEST_CHILD_URL="+cluster.URL, "ERISTEST_CHILD_TAG="+cluster.Tag())
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the child test was to fail:\n%s", out)
	}
	text := string(out)
	if !strings.Contains(text, "frozen pid ") || !strings.Contains(text, "--- FAIL: TestFailingChild/fails_while_frozen") {
		t.Fatalf("unexpected child output:\n%s", text)
	}
	pidText := strings.Fields(text[strings.Index(text, "frozen pid ")+len("frozen pid "):])[0]
	pid, _ := strconv.Atoi(pidText)
	st := testcluster.ProcState(pid)
	if st != "S" && st != "R" {
		t.Fatalf("pid %d is %q after the failing subtest's cleanup, want running\n%s", pid, st, text)
	}
}

func TestFailingChild(t *testing.T) {
	url := os.Getenv("ERISTEST_CHILD_URL")
	if url == "" {
		t.Skip("run by TestCleanupResumesAfterAFailingSubtest")
	}
	c, err := eris.NewClient(url, eris.WithToken(testcluster.Token))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("fails while frozen", func(t *testing.T) {
		fault := eristest.Freeze(t, c, eris.Processes("--name m2 .*--tag "+os.Getenv("ERISTEST_CHILD_TAG")))
		fmt.Printf("frozen pid %d\n", fault.PIDs()[0])
		t.Fatal("failing on purpose while m2 is frozen")
	})
}

// recorder is a TB that records instead of failing.
type recorder struct {
	testing.TB
	failed  bool
	message string
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.TB.Cleanup(f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.failed, r.message = true, fmt.Sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.message = true, fmt.Sprintf(format, args...)
}
func (r *recorder) Logf(string, ...any) {}

func TestRequireDetectedAndRecoveredWithinPrintTheTimeline(t *testing.T) {
	c := client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := cluster.Members.Healthy(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	report, err := c.Run(ctx, eris.DrillYAML(drill(cluster.Tag())), eris.Seed("eristest"))
	if err != nil {
		t.Fatal(err)
	}
	eristest.RequireDetectedWithin(t, report, 10*time.Second)
	eristest.RequireRecoveredWithin(t, report, 60*time.Second)

	r := &recorder{TB: t}
	eristest.RequireDetectedWithin(r, report, time.Microsecond)
	if !r.failed || !strings.Contains(r.message, "detected after") || !strings.Contains(r.message, "timeline:") || !strings.Contains(r.message, "step ") || !strings.Contains(r.message, "target member ") {
		t.Fatalf("the failure names the miss and prints the timeline:\n%s", r.message)
	}
	r = &recorder{TB: t}
	eristest.RequireRecoveredWithin(r, report, time.Microsecond)
	if !r.failed || !strings.Contains(r.message, "recovered after") {
		t.Fatalf("%s", r.message)
	}
	t.Logf("what a failing test prints:\n%s", r.message)
}

func drill(tag string) []byte {
	return []byte(fmt.Sprintf(`apiVersion: eris.dev/v1alpha1
kind: Drill
metadata:
  name: eristest
spec:
  targets:
    member:
      processes:
        cmdline: --tag %s
      count: 1
  probes:
    health:
      url: http://127.0.0.1:{{target.labels.port}}/health
      jq: .health == "true"
      timeout: 500ms
      interval: 100ms
  steps:
    - name: freeze one member
      signal: SIGSTOP
      target: member
      lease: 60s
    - name: its probe fails
      wait: health
      target: member
      until: fail
      timeout: 10s
    - name: kill it
      signal: SIGKILL
      target: member
    - name: it recovers
      wait: health
      target: member
      until: pass
      timeout: 60s
`, tag))
}
