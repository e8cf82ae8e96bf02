package eris_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	eris "github.com/eris-chaos/eris/sdk/go"
	"sigs.k8s.io/yaml"
)

func TestDrillsFromAStructYAMLAndAFile(t *testing.T) {
	c := client(t)
	text := sampleDrill("go-stored", "10s")
	saved, err := c.SaveDrillYAML(ctx(t), text)
	if err != nil || saved.Name != "go-stored" {
		t.Fatalf("%+v %v", saved, err)
	}
	var spec map[string]any
	var whole struct {
		Spec map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(text, &whole); err != nil {
		t.Fatal(err)
	}
	spec = whole.Spec
	drill := eris.Drill{APIVersion: "eris.dev/v1alpha1", Kind: "Drill", Metadata: eris.DrillMetadata{Name: "go-struct"}, Spec: spec}
	if s, err := c.SaveDrill(ctx(t), drill); err != nil || s.Name != "go-struct" {
		t.Fatalf("%+v %v", s, err)
	}
	path := filepath.Join(t.TempDir(), "drill.yaml")
	if err := os.WriteFile(path, sampleDrill("go-file", "10s"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := c.SaveDrillFile(ctx(t), path); err != nil || s.Name != "go-file" {
		t.Fatalf("%+v %v", s, err)
	}
	list, err := c.Drills(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, d := range list {
		names[d.Name] = true
	}
	if !names["go-stored"] || !names["go-struct"] || !names["go-file"] {
		t.Fatalf("listed %v", names)
	}
	got, err := c.Drill(ctx(t), "go-stored")
	if err != nil || got.YAML == nil || *got.YAML != string(text) {
		t.Fatalf("YAML is kept as written: %v", err)
	}
	if got, err := c.Drill(ctx(t), "go-struct"); err != nil || got.YAML != nil {
		t.Fatalf("a JSON drill has no YAML: %v", err)
	}
	if err := c.DeleteDrill(ctx(t), "go-struct"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Drill(ctx(t), "go-struct"); !eris.IsNotFound(err) {
		t.Fatalf("deleted: %v", err)
	}
	_, err = c.SaveDrillYAML(ctx(t), []byte("apiVersion: nope\n"))
	var apiErr *eris.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || apiErr.Path != "apiVersion" {
		t.Fatalf("bad drill: %v", err)
	}
	var cfg *eris.ConfigError
	if _, err := c.SaveDrillFile(ctx(t), filepath.Join(t.TempDir(), "missing.yaml")); !errors.As(err, &cfg) || cfg.Path != "drill" {
		t.Fatalf("missing file: %v", err)
	}
}

func TestADryRunPreviewsWithoutTouching(t *testing.T) {
	c := client(t)
	if _, err := c.SaveDrillYAML(ctx(t), sampleDrill("go-dry", "10s")); err != nil {
		t.Fatal(err)
	}
	preview, err := c.DryRun(ctx(t), eris.StoredDrillNamed("go-dry"), eris.Seed("3"))
	if err != nil {
		t.Fatal(err)
	}
	if !preview.DryRun || preview.Groups["member"].Wanted != 1 || preview.Groups["all"].Matched != 3 || !strings.HasPrefix(preview.Groups["member"].Picked[0].Key, "lab/node-1/") {
		t.Fatalf("%+v", preview)
	}
	again, err := c.DryRun(ctx(t), eris.DrillYAML(sampleDrill("go-dry", "10s")), eris.Seed("3"))
	if err != nil || again.Groups["member"].Picked[0].PID != preview.Groups["member"].Picked[0].PID {
		t.Fatalf("same seed, same pick: %v", err)
	}
	if len(cluster.Members.Stopped()) != 0 {
		t.Fatal("a dry run stopped something")
	}
	var cfg *eris.ConfigError
	if _, err := c.DryRun(ctx(t), eris.DrillYAML([]byte("drills/x.yaml"))); !errors.As(err, &cfg) || cfg.Path != "drill" {
		t.Fatalf("a path given as YAML: %v", err)
	}
}

func TestRunReturnsTheReportAndJUnit(t *testing.T) {
	c := client(t)
	if err := cluster.Members.Healthy(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	report, err := c.Run(ctx(t), eris.DrillYAML(sampleDrill("go-run", "10s")), eris.Seed("7"), eris.OnEvent(func(e eris.RunEvent) { seen[e.Type] = true }))
	if err != nil {
		t.Fatal(err)
	}
	if !report.Passed() || report.Seed != "7" {
		t.Fatalf("%s", report.Describe())
	}
	for _, ty := range []string{"run", "step", "fault", "probe", "timeline"} {
		if !seen[ty] {
			t.Fatalf("no %s event among %v", ty, seen)
		}
	}
	if len(report.Timeline) != 1 {
		t.Fatalf("timeline %+v", report.Timeline)
	}
	detect, ok1 := report.Timeline[0].TimeToDetect()
	recover, ok2 := report.Timeline[0].TimeToRecover()
	if !ok1 || !ok2 || detect <= 0 || recover <= 0 {
		t.Fatalf("detect %v recover %v", detect, recover)
	}
	again, err := c.Report(ctx(t), report.ID)
	if err != nil || *again.Timeline[0].RecoveredAt != *report.Timeline[0].RecoveredAt {
		t.Fatalf("report: %v", err)
	}
	junit, err := c.ReportJUnit(ctx(t), report.ID)
	if err != nil || !bytes.HasPrefix(junit, []byte("<?xml")) || !bytes.Contains(junit, []byte("time to recover")) {
		t.Fatalf("junit %.200s %v", junit, err)
	}
	run, err := c.GetRun(ctx(t), report.ID)
	if err != nil || run.Status != eris.RunPassed || run.Result == nil || !json.Valid(run.Spec) {
		t.Fatalf("run %+v %v", run, err)
	}
	runs, err := c.Runs(ctx(t), eris.RunQuery{Drill: "go-run", Status: eris.RunPassed, Limit: 5})
	if err != nil || len(runs) == 0 || runs[0].ID != report.ID {
		t.Fatalf("runs %+v %v", runs, err)
	}
	var apiErr *eris.APIError
	if err := c.AbortRun(ctx(t), report.ID); !errors.As(err, &apiErr) || apiErr.Code != eris.CodeConflict || apiErr.Path != "id" {
		t.Fatalf("abort of a finished run: %v", err)
	}
	noneStopped(t)
}

func TestAbortResumesWhatTheRunFroze(t *testing.T) {
	c := client(t)
	if err := cluster.Members.Healthy(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	var drill map[string]any
	if err := yaml.Unmarshal(sampleDrill("go-abort", "10s"), &drill); err != nil {
		t.Fatal(err)
	}
	// Hold the frozen member for a minute: only an abort ends this run early.
	drill["spec"].(map[string]any)["steps"] = []map[string]any{
		{"name": "freeze", "signal": "SIGSTOP", "target": "member", "lease": "120s"},
		{"name": "hold", "wait": "health", "target": "member", "until": "pass", "timeout": "60s"},
	}
	run, err := c.StartRun(ctx(t), eris.DrillSpec(drill))
	if err != nil {
		t.Fatal(err)
	}
	for ev, err := range c.Events(ctx(t), run.ID) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == "fault" {
			break
		}
	}
	waitFor(t, 5*time.Second, "one member frozen", func() bool { return len(cluster.Members.Stopped()) == 1 })
	if err := c.AbortRun(ctx(t), run.ID); err != nil {
		t.Fatal(err)
	}
	report, err := c.Wait(ctx(t), run.ID)
	if err != nil || report.Status != eris.RunAborted {
		t.Fatalf("%v %v", report, err)
	}
	noneStopped(t)
}

func TestAuditPagesNewestFirst(t *testing.T) {
	c := client(t)
	fault, err := c.Freeze(ctx(t), member("m1"), eris.Lease(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fault.Resume(ctx(t)); err != nil {
		t.Fatal(err)
	}
	page, err := c.Audit(ctx(t), eris.AuditQuery{Action: "fault.create", Limit: 1})
	if err != nil || len(page.Records) != 1 || *page.Records[0].Target != fault.ID || page.NextCursor == nil {
		t.Fatalf("%+v %v", page, err)
	}
	older, err := c.Audit(ctx(t), eris.AuditQuery{Action: "fault.create", Limit: 1, Cursor: *page.NextCursor})
	if err != nil || (len(older.Records) > 0 && older.Records[0].Seq >= page.Records[0].Seq) {
		t.Fatalf("%+v %v", older, err)
	}
	future, err := c.Audit(ctx(t), eris.AuditQuery{Since: time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil || len(future.Records) != 0 {
		t.Fatalf("%+v %v", future, err)
	}
}

func TestValidateChecksTemplatesAndPointsAtAProblem(t *testing.T) {
	c := client(t)
	templates, err := c.DrillTemplates(ctx(t))
	if err != nil || len(templates) < 3 {
		t.Fatalf("%+v %v", templates, err)
	}
	for _, tpl := range templates {
		check, err := c.ValidateDrillYAML(ctx(t), []byte(tpl.YAML))
		if err != nil || !check.OK || check.Name == "" {
			t.Fatalf("template %s: %+v %v", tpl.Name, check, err)
		}
	}
	text := strings.Replace(string(sampleDrill("go-check", "10s")), "timeout: ", "timeout: soon # ", 1)
	check, err := c.ValidateDrillYAML(ctx(t), []byte(text))
	if err != nil || check.OK || len(check.Problems) == 0 {
		t.Fatalf("%+v %v", check, err)
	}
	p := check.Problems[0]
	line := strings.Split(text, "\n")[p.Line-1]
	if !strings.Contains(p.Path, "timeout") || !strings.Contains(line, "timeout") {
		t.Fatalf("%+v points at %q", p, line)
	}
	drills, err := c.Drills(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range drills {
		if d.Name == "go-check" {
			t.Fatal("a check stored the drill")
		}
	}
}
