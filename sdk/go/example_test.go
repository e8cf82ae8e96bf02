package eris_test

import (
	"context"
	"fmt"
	"log"
	"time"

	eris "github.com/eris-chaos/eris/sdk/go"
)

// A drill run from a Go test or tool: the coordinator and token come from ERIS_COORDINATOR and ERIS_TOKEN
// (or ERIS_TOKEN_FILE, or the CLI's current context), as for the eris CLI.
func ExampleClient_Run() {
	c, err := eris.NewClient("")
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	report, err := c.Run(ctx, eris.DrillYAML(sampleDrill("example-run", "10s")), eris.Seed("example"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("status:", report.Status)
	for _, t := range report.Timeline {
		detect, _ := t.TimeToDetect()
		recover, _ := t.TimeToRecover()
		fmt.Println(t.Group, "detected:", detect > 0, "recovered:", recover > 0)
	}
	// Output:
	// status: passed
	// member detected: true recovered: true
}

// Freeze a member for the length of a block, resuming it whatever happens.
func ExampleClient_Freeze() {
	c, err := eris.NewClient("")
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	fault, err := c.Freeze(ctx, member("m2"), eris.Lease(30*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	defer fault.Resume(context.Background())

	fmt.Println(fault.Signal, len(fault.PIDs()), "process")
	// Output: SIGSTOP 1 process
}
