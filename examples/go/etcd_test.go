// An etcd cluster survives losing a member — written the way a user of the eris Go SDK writes it. The
// coordinator is found as the eris CLI finds it (here TestMain sets ERIS_COORDINATOR and ERIS_TOKEN; in your
// CI, ERIS_TOKEN_FILE or `eris context use ...`).
package etcdchaos

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	eris "github.com/eris-chaos/eris/sdk/go"
	"github.com/eris-chaos/eris/sdk/go/eristest"
)

// putWithin writes through etcd's v3 JSON gateway, retried until it succeeds; it returns how long that took.
// A write needs a quorum: if the frozen member was the leader, the others first elect a new one.
func putWithin(url, key, value string, within time.Duration) (time.Duration, error) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	body, _ := json.Marshal(map[string]string{"key": b64(key), "value": b64(value)})
	started := time.Now()
	for {
		res, err := (&http.Client{Timeout: 2 * time.Second}).Post(url+"/v3/kv/put", "application/json", bytes.NewReader(body))
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return time.Since(started), nil
			}
			err = fmt.Errorf("HTTP %s", res.Status)
		}
		if time.Since(started) > within {
			return 0, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestWritesGoOnWhileOneMemberIsFrozen(t *testing.T) {
	c, err := eris.NewClient("")
	if err != nil {
		t.Fatal(err)
	}
	m1 := eris.Processes("^etcd .*--name m1 .*--initial-cluster-token " + etcd.token)
	fault := eristest.Freeze(t, c, m1) // resumed when the test ends, however it ends
	if len(fault.PIDs()) != 1 {
		t.Fatalf("froze %v", fault.PIDs())
	}
	// Two of three still make a quorum.
	took, err := putWithin(etcd.url("m0"), "written-while-m1-is-frozen", "yes", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a write went through %s after m1 froze", took)
}

func TestTheClusterDetectsAndRecoversFromAMemberLoss(t *testing.T) {
	c, err := eris.NewClient("")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile("drills/etcd-member-loss.yaml")
	if err != nil {
		t.Fatal(err)
	}
	drill := strings.ReplaceAll(string(text), "${CLUSTER_TOKEN}", etcd.token)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	report, err := c.Run(ctx, eris.DrillYAML([]byte(drill)), eris.Seed(fmt.Sprint(os.Getpid())))
	if err != nil {
		t.Fatal(err)
	}
	eristest.RequireDetectedWithin(t, report, 10*time.Second)
	eristest.RequireRecoveredWithin(t, report, 90*time.Second)
	member := report.Timeline[0]
	detect, _ := member.TimeToDetect()
	recover, _ := member.TimeToRecover()
	t.Logf("etcd member %d: detected in %s, recovered in %s", member.Target.PID, detect, recover)
}
