package eris_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	eris "github.com/eris-chaos/eris/sdk/go"
	"github.com/eris-chaos/eris/sdk/go/internal/testcluster"
)

// Real answers decode into the SDK's types with no field left over (DisallowUnknownFields), so nothing the
// coordinator sends is silently dropped.
func TestRealAnswersHaveNoFieldTheTypesLack(t *testing.T) {
	c := client(t)
	fault, err := c.Freeze(ctx(t), member("m1"), eris.Lease(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer fault.Resume(ctx(t))
	strict := func(path, key string, v any) {
		t.Helper()
		req, _ := http.NewRequest("GET", cluster.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+testcluster.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if key != "" {
			var wrapper map[string]json.RawMessage
			if err := json.Unmarshal(body, &wrapper); err != nil {
				t.Fatal(err)
			}
			body = wrapper[key]
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Errorf("GET %s: %v\n%.600s", path, err, body)
		}
	}
	strict("/healthz", "", &eris.Health{})
	strict("/v1/version", "", &eris.Version{})
	strict("/v1/agents", "agents", &[]eris.Agent{})
	strict("/v1/faults/"+fault.ID, "", &eris.Fault{})
	strict("/v1/faults", "faults", &[]eris.Fault{})
	strict("/v1/audit?limit=5", "", &eris.AuditPage{})
	strict("/v1/drills", "drills", &[]eris.DrillSummary{})
	if _, err := fault.Resume(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := cluster.Members.Healthy(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SaveDrillYAML(ctx(t), sampleDrill("go-strict", "10s")); err != nil {
		t.Fatal(err)
	}
	report, err := c.Run(ctx(t), eris.StoredDrillNamed("go-strict"))
	if err != nil {
		t.Fatal(err)
	}
	strict("/v1/runs/"+report.ID, "", &eris.Run{})
	strict("/v1/runs/"+report.ID+"/report", "", &eris.RunReport{})
	strict("/v1/runs?limit=3", "runs", &[]eris.RunSummary{})
	strict("/v1/drills/go-strict", "", &eris.StoredDrill{})
	noneStopped(t)
}
