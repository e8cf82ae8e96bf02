package eris_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	eris "github.com/eris-chaos/eris/sdk/go"
	"github.com/eris-chaos/eris/sdk/go/internal/testcluster"
)

// The hand-written types against the coordinator's OpenAPI document (schemas/openapi/coordinator.json, the
// same document the coordinator serves, drift-tested against its zod schemas): every documented property of
// every component has a field with that JSON name and a matching kind, nested objects included; a required,
// non-nullable property is never left out on the wire (no omitempty); and the SDK has no field the document
// lacks.

var components = map[string]any{
	"Health": eris.Health{}, "Version": eris.Version{}, "Agent": eris.Agent{}, "Target": eris.Target{},
	"TargetGroup": eris.TargetGroup{}, "SelectionPreview": eris.SelectionPreview{}, "AgentFault": eris.AgentFault{},
	"ImmediateFault": eris.Fault{}, "ResumedFault": eris.ResumedFault{}, "ResumeAll": eris.ResumeAll{}, "ImmediateFaultRequest": eris.FaultRequest{},
	"SavedDrill": eris.SavedDrill{}, "DrillCheck": eris.DrillCheck{}, "StoredDrill": eris.StoredDrill{}, "StepRecord": eris.StepRecord{},
	"TimelineEntry": eris.TimelineEntry{}, "RunReport": eris.RunReport{}, "Run": eris.Run{}, "RunSummary": eris.RunSummary{},
	"DryRun": eris.DryRun{}, "AuditRecord": eris.AuditRecord{}, "AuditPage": eris.AuditPage{},
}

type document struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]map[string]any `json:"schemas"`
	} `json:"components"`
}

func loadDocument(t *testing.T) document {
	b, err := os.ReadFile(filepath.Join(testcluster.Root(), "schemas", "openapi", "coordinator.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d document
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d document) resolve(s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		s = d.Components.Schemas[ref[strings.LastIndex(ref, "/")+1:]]
	}
}

// types is the JSON types a schema allows ("null" included), through anyOf.
func (d document) types(s map[string]any) []string {
	s = d.resolve(s)
	var out []string
	switch ty := s["type"].(type) {
	case string:
		out = append(out, ty)
	case []any:
		for _, x := range ty {
			out = append(out, x.(string))
		}
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts, ok := s[key].([]any); ok {
			for _, a := range alts {
				out = append(out, d.types(a.(map[string]any))...)
			}
		}
	}
	return out
}

// fields is a struct's JSON fields, embedded structs flattened.
func fields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			for k, v := range fields(f.Type) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out[name] = f
	}
	return out
}

func kindFits(t reflect.Type, types []string) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeOf(json.RawMessage{}) || t.Kind() == reflect.Interface {
		return true
	}
	for _, ty := range types {
		switch ty {
		case "string":
			if t.Kind() == reflect.String {
				return true
			}
		case "number":
			if t.Kind() == reflect.Float64 {
				return true
			}
		case "integer":
			if t.Kind() == reflect.Int || t.Kind() == reflect.Int64 {
				return true
			}
		case "boolean":
			if t.Kind() == reflect.Bool {
				return true
			}
		case "array":
			if t.Kind() == reflect.Slice {
				return true
			}
		case "object":
			if t.Kind() == reflect.Struct || t.Kind() == reflect.Map {
				return true
			}
		}
	}
	return false
}

func (d document) check(t *testing.T, where string, typ reflect.Type, schema map[string]any) int {
	schema = d.resolve(schema)
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
		if items, ok := schema["items"].(map[string]any); ok {
			schema = d.resolve(items)
		}
	}
	if alts, ok := schema["anyOf"].([]any); ok { // {…} | null
		for _, a := range alts {
			if s := d.resolve(a.(map[string]any)); s["properties"] != nil {
				schema = s
			}
		}
	}
	if typ.Kind() == reflect.Map {
		if add, ok := schema["additionalProperties"].(map[string]any); ok && add["properties"] != nil {
			return d.check(t, where+"{}", typ.Elem(), add)
		}
		return 0
	}
	props, _ := schema["properties"].(map[string]any)
	if typ.Kind() != reflect.Struct || props == nil {
		return 0
	}
	var required []string
	reqs, _ := schema["required"].([]any)
	for _, r := range reqs {
		required = append(required, r.(string))
	}
	got := fields(typ)
	checked := 0
	for name, p := range props {
		f, ok := got[name]
		if !ok {
			t.Errorf("%s.%s: documented, but %s has no such field", where, name, typ)
			continue
		}
		ps := p.(map[string]any)
		types := d.types(ps)
		if !kindFits(f.Type, types) {
			t.Errorf("%s.%s: %s does not fit %v", where, name, f.Type, types)
		}
		nullable := slices.Contains(types, "null")
		if slices.Contains(required, name) && !nullable && strings.Contains(f.Tag.Get("json"), "omitempty") {
			t.Errorf("%s.%s: required in the document, omitempty in %s", where, name, typ)
		}
		if nullable && f.Type.Kind() != reflect.Pointer && f.Type.Kind() != reflect.Interface && f.Type.Kind() != reflect.Slice && f.Type.Kind() != reflect.Map && f.Type != reflect.TypeOf(json.RawMessage{}) {
			t.Errorf("%s.%s: may be null, but %s cannot hold null", where, name, f.Type)
		}
		checked += 1 + d.check(t, where+"."+name, f.Type, ps)
	}
	for name := range got {
		if _, ok := props[name]; !ok {
			t.Errorf("%s.%s: %s has a field the document lacks", where, name, typ)
		}
	}
	return checked
}

func TestTypesMatchTheOpenAPIDocument(t *testing.T) {
	d := loadDocument(t)
	total := 0
	for name, v := range components {
		schema, ok := d.Components.Schemas[name]
		if !ok {
			t.Errorf("no component %s in the document", name)
			continue
		}
		total += d.check(t, name, reflect.TypeOf(v), schema)
	}
	if total < 200 {
		t.Fatalf("only %d properties checked", total)
	}
	t.Logf("%d documented properties checked in %d components", total, len(components))
}

// Every operation the document lists is a call of the client (but /metrics, the docs and the drill schema).
func TestEveryDocumentedOperationHasACall(t *testing.T) {
	d := loadDocument(t)
	calls := map[string]string{
		"get /healthz": "Health", "get /v1/version": "Version", "get /v1/agents": "Agents", "get /v1/targets": "Targets",
		"post /v1/selections": "Preview", "post /v1/faults": "CreateFault", "get /v1/faults": "Faults",
		"get /v1/faults/{id}": "Fault", "delete /v1/faults/{id}": "Resume", "post /v1/drills": "SaveDrill",
		"get /v1/drills": "Drills", "post /v1/drills/validate": "ValidateDrillYAML", "get /v1/drill-templates": "DrillTemplates", "get /v1/drills/{name}": "Drill", "delete /v1/drills/{name}": "DeleteDrill",
		"post /v1/runs": "StartRun", "get /v1/runs": "Runs", "get /v1/runs/{id}": "GetRun",
		"get /v1/runs/{id}/events": "Events", "post /v1/runs/{id}/abort": "AbortRun",
		"get /v1/runs/{id}/report": "Report", "get /v1/audit": "Audit", "post /v1/resume-all": "ResumeAll",
	}
	// The drill schema serves an editor, and whoami the console (what to disable for a viewer), not a client.
	notCalls := map[string]bool{"get /metrics": true, "get /v1/schemas/drill.json": true, "get /v1/whoami": true}
	client := reflect.TypeOf(&eris.Client{})
	for path, item := range d.Paths {
		for method := range item {
			op := method + " " + path
			if notCalls[op] || method == "parameters" {
				continue
			}
			name, ok := calls[op]
			if !ok {
				t.Errorf("%s: documented, but no call of the client is listed for it", op)
				continue
			}
			if _, ok := client.MethodByName(name); !ok {
				t.Errorf("%s: no method Client.%s", op, name)
			}
		}
	}
}
