// Package eristest holds helpers for Go tests that drive eris: Freeze resumes on t.Cleanup (also when the
// test fails or calls t.FailNow), and RequireDetectedWithin / RequireRecoveredWithin print the run's timeline
// when a bound is missed.
package eristest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	eris "github.com/eris-chaos/eris/sdk/go"
)

// TB is the part of testing.TB these helpers use (so they can be tested with a recorder).
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

var _ TB = (testing.TB)(nil)

// ResumeTimeout bounds the resume that Freeze registers on t.Cleanup.
var ResumeTimeout = 30 * time.Second

// Freeze stops (SIGSTOP) what target picks and registers its resume on t.Cleanup, so it is resumed when the
// test ends however it ends. The lease (default 30 s) is the backstop should the test binary die first.
// A freeze that cannot be placed fails the test at once.
func Freeze(t TB, c *eris.Client, target eris.TargetGroup, opts ...eris.FaultOption) *eris.Fault {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ResumeTimeout)
	defer cancel()
	fault, err := c.Freeze(ctx, target, append([]eris.FaultOption{eris.Lease(30 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatalf("eristest.Freeze: %v", err)
		return nil
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ResumeTimeout)
		defer cancel()
		resumed, err := fault.Resume(ctx)
		if err != nil {
			t.Errorf("eristest.Freeze: resuming fault %s: %v", fault.ID, err)
			return
		}
		if !resumed.Resume.Confirmed {
			t.Errorf("eristest.Freeze: fault %s resumed, but not every process was seen running: %+v", fault.ID, resumed.Resume.Seen)
		}
	})
	return fault
}

// RequireDetectedWithin fails the test now unless the run passed and every target of its timeline was
// detected within d of its first injection; the failure message holds the whole timeline.
func RequireDetectedWithin(t TB, report *eris.RunReport, d time.Duration) {
	t.Helper()
	require(t, report, problems(report, d, 0))
}

// RequireRecoveredWithin fails the test now unless the run passed and every target recovered within d of
// its last injection; the failure message holds the whole timeline.
func RequireRecoveredWithin(t TB, report *eris.RunReport, d time.Duration) {
	t.Helper()
	require(t, report, problems(report, 0, d))
}

func require(t TB, report *eris.RunReport, found []string) {
	t.Helper()
	if len(found) == 0 {
		return
	}
	t.Fatalf("run %s missed its bounds:\n  - %s\n\ntimeline:\n%s", report.ID, strings.Join(found, "\n  - "), report.Describe())
}

func problems(report *eris.RunReport, detect, recover time.Duration) []string {
	var out []string
	if report.Status != eris.RunPassed {
		out = append(out, fmt.Sprintf("the run ended %s, not passed", report.Status))
	}
	if len(report.Timeline) == 0 {
		out = append(out, "the run's timeline is empty: nothing was injected")
	}
	for _, e := range report.Timeline {
		who := fmt.Sprintf("%s pid %d", e.Group, e.Target.PID)
		if detect > 0 {
			if got, ok := e.TimeToDetect(); !ok {
				out = append(out, fmt.Sprintf("%s: never detected (wanted within %s)", who, detect))
			} else if got > detect {
				out = append(out, fmt.Sprintf("%s: detected after %s, wanted within %s", who, got, detect))
			}
		}
		if recover > 0 {
			if got, ok := e.TimeToRecover(); !ok {
				out = append(out, fmt.Sprintf("%s: never recovered (wanted within %s)", who, recover))
			} else if got > recover {
				out = append(out, fmt.Sprintf("%s: recovered after %s, wanted within %s", who, got, recover))
			}
		}
	}
	return out
}
