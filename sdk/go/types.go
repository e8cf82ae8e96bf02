package eris

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The coordinator's answers, written by hand to the coordinator's OpenAPI document
// (schemas/openapi/coordinator.json); openapi_test.go proves every field against it. Times are Unix
// milliseconds as the API sends them (UnixMillis, with Time()); durations a test asserts on have a
// time.Duration method.

// UnixMillis is a point in time as the API sends it: milliseconds since the Unix epoch.
type UnixMillis float64

// Time is the instant, in the local time zone.
func (m UnixMillis) Time() time.Time { return time.UnixMilli(int64(m)) }

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// Health is GET /healthz.
type Health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
	Agents  int    `json:"agents"`
}

// Version is GET /v1/version.
type Version struct {
	Version       string `json:"version"`
	CoordinatorID string `json:"coordinatorId"`
}

// Agent is a connected agent (one per node).
type Agent struct {
	ID            string     `json:"id"`
	Cluster       string     `json:"cluster"`
	Node          string     `json:"node"`
	Zone          *string    `json:"zone"`
	Version       string     `json:"version"`
	Runtime       *string    `json:"runtime"`
	HostProcesses bool       `json:"hostProcesses"`
	ConnectedAt   UnixMillis `json:"connectedAt"`
	LastSeenAt    UnixMillis `json:"lastSeenAt"`
	Containers    int        `json:"containers"`
	ActiveFaults  int        `json:"activeFaults"`
}

// Target is a pickable target: a container, or (an agent in host mode, Kind "process") a process.
type Target struct {
	Cluster     string            `json:"cluster"`
	Node        string            `json:"node"`
	Zone        *string           `json:"zone"`
	Namespace   string            `json:"namespace"`
	Pod         string            `json:"pod"`
	PodUID      string            `json:"podUid"`
	Container   string            `json:"container"`
	ContainerID string            `json:"containerId"`
	Labels      map[string]string `json:"labels"`
	State       string            `json:"state"`
	Kind        string            `json:"kind"`
	PID         int               `json:"pid,omitempty"`
	StartTime   string            `json:"startTime,omitempty"`
	Cmdline     string            `json:"cmdline,omitempty"`
}

// TargetFilter narrows GET /v1/targets: exact cluster and namespace, regexes on pod and container, a label selector.
// Cmdline, a regex on command lines, lists the host processes it matches on host-mode agents instead of containers.
type TargetFilter struct {
	Cluster, Namespace, Pod, Container, Labels, Cmdline string
}

// TargetGroup picks targets, as a drill's spec.targets entry does, e.g.
// TargetGroup{Processes: &ProcessMatch{Cmdline: "^etcd"}} or TargetGroup{Namespaces: []string{"db"}, Pod: "^etcd-0$"}.
type TargetGroup struct {
	Clusters   []string      `json:"clusters,omitempty"`
	Namespaces []string      `json:"namespaces,omitempty"`
	Labels     any           `json:"labels,omitempty"` // a map[string]string or a selector string
	Pod        string        `json:"pod,omitempty"`
	Containers []string      `json:"containers,omitempty"`
	Processes  *ProcessMatch `json:"processes,omitempty"`
	Count      int           `json:"count,omitempty"`
	Percent    float64       `json:"percent,omitempty"`
	Spread     string        `json:"spread,omitempty"`
	Pack       string        `json:"pack,omitempty"`
	Seed       any           `json:"seed,omitempty"` // a string or an integer
}

// ProcessMatch picks host processes by a regex on their command line.
type ProcessMatch struct {
	Cmdline string `json:"cmdline"`
}

// Processes is the target group of the host processes whose command line matches the regex.
func Processes(cmdline string) TargetGroup {
	return TargetGroup{Processes: &ProcessMatch{Cmdline: cmdline}}
}

// SelectionPreview is what a target group matches and would pick right now.
type SelectionPreview struct {
	Wanted  int      `json:"wanted"`
	Seed    string   `json:"seed"`
	Matched []Target `json:"matched"`
	Picked  []Target `json:"picked"`
}

// ErrorDetail is a step's or a run's error.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ProcessResult is what became of one process of a fault.
type ProcessResult struct {
	PID           int          `json:"pid"`
	StartTime     string       `json:"startTime"`
	OK            bool         `json:"ok"`
	Verified      bool         `json:"verified"`
	Method        string       `json:"method,omitempty"`
	AlreadyGone   bool         `json:"alreadyGone,omitempty"`
	Exited        bool         `json:"exited,omitempty"`
	AppearedLater bool         `json:"appearedLater,omitempty"`
	Error         *ErrorDetail `json:"error,omitempty"`
	Resume        *struct {
		OK      bool         `json:"ok"`
		ByFault string       `json:"byFault,omitempty"`
		Error   *ErrorDetail `json:"error,omitempty"`
	} `json:"resume,omitempty"`
}

// FaultTarget is one target of an agent's fault.
type FaultTarget struct {
	Kind      string `json:"kind"`
	Container *struct {
		ID        string `json:"id"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
		Pod       string `json:"pod"`
		PodUID    string `json:"podUid"`
	} `json:"container,omitempty"`
	Process *struct {
		PID     int    `json:"pid"`
		Cmdline string `json:"cmdline"`
	} `json:"process,omitempty"`
	// Freezer is the cgroup whose freezer a fault of method "freezer" used.
	Freezer *struct {
		Version float64 `json:"version"`
		Dir     string  `json:"dir"`
	} `json:"freezer,omitempty"`
	Processes   []ProcessResult `json:"processes"`
	AlreadyGone bool            `json:"alreadyGone,omitempty"`
}

// AgentFault is one agent's part of a fault.
type AgentFault struct {
	ID             string            `json:"id"`
	Signal         string            `json:"signal"`
	Scope          string            `json:"scope"`
	Method         string            `json:"method,omitempty"`
	State          string            `json:"state"`
	Result         string            `json:"result"`
	CreatedAt      UnixMillis        `json:"createdAt"`
	DurationMs     float64           `json:"durationMs"`
	LeaseSeconds   float64           `json:"leaseSeconds,omitempty"`
	LeaseExpiresAt UnixMillis        `json:"leaseExpiresAt,omitempty"`
	ResumedAt      UnixMillis        `json:"resumedAt,omitempty"`
	ResumeReason   string            `json:"resumeReason,omitempty"`
	ResumedBy      string            `json:"resumedBy,omitempty"`
	Undid          []string          `json:"undid,omitempty"`
	RequestedBy    string            `json:"requestedBy"`
	Owner          string            `json:"owner,omitempty"`
	Labels         map[string]string `json:"labels,omitempty"`
	Targets        []FaultTarget     `json:"targets"`
}

// FaultPart is one agent's part of an immediate fault.
type FaultPart struct {
	Agent string     `json:"agent"`
	Fault AgentFault `json:"fault"`
	// FiredAt is when this agent acted, on the coordinator's clock (epoch ms, sub-millisecond): set when the
	// fault went to several agents with one fire time.
	FiredAt *UnixMillis `json:"firedAt,omitempty"`
}

// FaultFailure is an agent that could not place its part.
type FaultFailure struct {
	Agent   string `json:"agent"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Fault is an immediate fault (POST /v1/faults): one part per agent, and the agents that failed.
// Resume it with Fault.Resume (or Client.Resume).
type Fault struct {
	ID        string         `json:"id"`
	CreatedAt UnixMillis     `json:"createdAt"`
	Signal    string         `json:"signal"`
	Seed      string         `json:"seed"`
	Targets   []string       `json:"targets"`
	Parts     []FaultPart    `json:"parts"`
	Errors    []FaultFailure `json:"errors"`
	CreatedBy string         `json:"createdBy,omitempty"`
	// FireSkewMs is the first-to-last spread of the parts' FiredAt: how simultaneously the agents acted.
	FireSkewMs *float64 `json:"fireSkewMs,omitempty"`

	client *Client
}

// PIDs is every process the fault touched, across agents.
func (f *Fault) PIDs() []int {
	var pids []int
	for _, p := range f.Parts {
		for _, t := range p.Fault.Targets {
			for _, pr := range t.Processes {
				pids = append(pids, pr.PID)
			}
		}
	}
	return pids
}

// SeenCounts counts processes by what they were seen doing after a resume.
type SeenCounts struct {
	Running int `json:"running"`
	Stopped int `json:"stopped"`
	Held    int `json:"held"`
	Gone    int `json:"gone"`
	Unknown int `json:"unknown"`
}

// ResumeCheck is what the processes were seen doing after a resume.
type ResumeCheck struct {
	Confirmed bool       `json:"confirmed"`
	Seen      SeenCounts `json:"seen"`
	Parts     []struct {
		Agent     string `json:"agent"`
		FaultID   string `json:"faultId"`
		Confirmed bool   `json:"confirmed"`
		Processes []struct {
			PID       int    `json:"pid"`
			StartTime string `json:"startTime"`
			Seen      string `json:"seen"`
			State     string `json:"state,omitempty"`
		} `json:"processes"`
		Problem string `json:"problem,omitempty"`
	} `json:"parts"`
}

// ResumedFault is a resume's answer: Resume.Confirmed is true when every process was seen running (or gone).
type ResumedFault struct {
	Fault
	Resume ResumeCheck `json:"resume"`
}

// ResumeAll is the emergency resume's answer: what was done to each run and fault in the token's scope.
type ResumeAll struct {
	Runs []struct {
		ID      string `json:"id"`
		Result  string `json:"result"` // aborting or failed
		Message string `json:"message,omitempty"`
	} `json:"runs"`
	Faults []struct {
		ID      string         `json:"id"`
		Result  string         `json:"result"` // resumed, unconfirmed or failed
		Seen    map[string]int `json:"seen,omitempty"`
		Message string         `json:"message,omitempty"`
	} `json:"faults"`
	// Failures counts runs not aborted and faults not confirmed resumed.
	Failures int `json:"failures"`
}

// AuditRecord is one entry of the audit trail.
type AuditRecord struct {
	Seq     int64      `json:"seq"`
	At      UnixMillis `json:"at"`
	Actor   *string    `json:"actor"`
	Role    *string    `json:"role"`
	Action  string     `json:"action"`
	Target  *string    `json:"target"`
	Result  string     `json:"result"`
	Details any        `json:"details"`
}

// AuditPage is a page of the audit trail, newest first; NextCursor pages on.
type AuditPage struct {
	Records    []AuditRecord `json:"records"`
	NextCursor *int64        `json:"nextCursor"`
}

// AuditQuery filters GET /v1/audit.
type AuditQuery struct {
	Since, Until  time.Time
	Actor, Action string
	Limit         int
	Cursor        int64
}

// SavedDrill is POST /v1/drills' answer.
type SavedDrill struct {
	Name  string          `json:"name"`
	Drill json.RawMessage `json:"drill"`
}

// DrillSummary is a stored drill as GET /v1/drills lists it.
type DrillSummary struct {
	Name      string          `json:"name"`
	CreatedAt UnixMillis      `json:"createdAt"`
	UpdatedAt UnixMillis      `json:"updatedAt"`
	Spec      json.RawMessage `json:"spec"`
}

// StoredDrill is GET /v1/drills/{name}: YAML is the text as it was saved (nil when it was saved as JSON).
type StoredDrill struct {
	DrillSummary
	YAML *string `json:"yaml"`
}

// DrillProblem is one problem of a drill file, where `eris validate` would put it.
type DrillProblem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Path    string `json:"path"`
	Message string `json:"message"`
}

// DrillCheck is POST /v1/drills/validate's answer: OK with no problems, or every problem at its line and column.
// Warnings name probes and target groups no step uses.
type DrillCheck struct {
	OK       bool           `json:"ok"`
	Name     string         `json:"name,omitempty"`
	Problems []DrillProblem `json:"problems"`
	Warnings []DrillProblem `json:"warnings"`
}

// DrillTemplate is a drill `eris init --template NAME` writes.
type DrillTemplate struct {
	Name string `json:"name"`
	YAML string `json:"yaml"`
}

// RunStatus is a run's state.
type RunStatus string

// The states of a run.
const (
	RunPending     RunStatus = "pending"
	RunRunning     RunStatus = "running"
	RunPassed      RunStatus = "passed"
	RunFailed      RunStatus = "failed"
	RunAborted     RunStatus = "aborted"
	RunInterrupted RunStatus = "interrupted"
	RunError       RunStatus = "error"
)

// Finished reports whether the run has ended.
func (s RunStatus) Finished() bool { return s != RunPending && s != RunRunning && s != "" }

// StepRecord is one step of a run.
type StepRecord struct {
	Path       string       `json:"path"`
	Name       string       `json:"name"`
	Kind       string       `json:"kind"`
	Status     string       `json:"status"`
	StartedAt  UnixMillis   `json:"startedAt"`
	EndedAt    UnixMillis   `json:"endedAt,omitempty"`
	DurationMs *float64     `json:"durationMs,omitempty"`
	Error      *ErrorDetail `json:"error,omitempty"`
	// FiredAt is, for a signal step over several agents placed with one fire time, when each agent acted.
	FiredAt []StepFire `json:"firedAt,omitempty"`
	// FireSkewMs is the first-to-last spread of FiredAt.
	FireSkewMs *float64 `json:"fireSkewMs,omitempty"`
}

// StepFire is when one agent acted on a signal step, on the coordinator's clock (epoch ms, sub-millisecond).
type StepFire struct {
	Agent string     `json:"agent"`
	At    UnixMillis `json:"at"`
}

// TimelineTarget is the target a timeline entry is about.
type TimelineTarget struct {
	Cluster   string  `json:"cluster"`
	Node      string  `json:"node"`
	Zone      *string `json:"zone"`
	Namespace string  `json:"namespace"`
	Pod       string  `json:"pod"`
	Container string  `json:"container"`
	Kind      string  `json:"kind"`
	// Labels are the pod's, or a host process's (from its command line); nil in reports recorded before.
	Labels map[string]string `json:"labels,omitempty"`
	// Name is how users name it: "default/etcd-0 (etcd) on node-1", "name=m0 (pid 913) on node-1".
	Name string `json:"name,omitempty"`
	// PID is a host process's pid when the run ended (a restarted process's new one).
	PID int `json:"pid,omitempty"`
	// EarlierPIDs are the pids a host process restarted during the run had before, oldest first.
	EarlierPIDs []int `json:"earlierPids,omitempty"`
}

// Injection is a signal a run sent to a target.
type Injection struct {
	Signal  string     `json:"signal"`
	At      UnixMillis `json:"at"`
	FaultID string     `json:"faultId"`
	Agent   string     `json:"agent"`
}

// TimelineEntry is one target's story in a run: injected → detected → recovered.
type TimelineEntry struct {
	Group           string         `json:"group"`
	Target          TimelineTarget `json:"target"`
	Injected        []Injection    `json:"injected"`
	DetectedAt      *UnixMillis    `json:"detectedAt,omitempty"`
	RecoveredAt     *UnixMillis    `json:"recoveredAt,omitempty"`
	TimeToDetectMs  *float64       `json:"timeToDetectMs,omitempty"`
	TimeToRecoverMs *float64       `json:"timeToRecoverMs,omitempty"`
	OutageMs        *float64       `json:"outageMs,omitempty"`
}

// TimeToDetect is first injection → the wait `until: fail` saw the failure; ok is false when it was not detected.
func (t TimelineEntry) TimeToDetect() (d time.Duration, ok bool) {
	if t.TimeToDetectMs == nil {
		return 0, false
	}
	return msDuration(*t.TimeToDetectMs), true
}

// TimeToRecover is the last injection before recovery → the wait `until: pass` saw it healthy; ok is false when
// it did not recover.
func (t TimelineEntry) TimeToRecover() (d time.Duration, ok bool) {
	if t.TimeToRecoverMs == nil {
		return 0, false
	}
	return msDuration(*t.TimeToRecoverMs), true
}

// String is one line for a timeline print-out.
func (t TimelineEntry) String() string {
	where := fmt.Sprintf("%s/%s/%s", t.Target.Namespace, t.Target.Pod, t.Target.Container)
	if t.Target.Name != "" {
		where = t.Target.Name
	} else if t.Target.Kind == "process" {
		where = fmt.Sprintf("%s/%s/pid %d", t.Target.Cluster, t.Target.Node, t.Target.PID)
	}
	var signals []string
	for _, i := range t.Injected {
		signals = append(signals, i.Signal)
	}
	injected := strings.Join(signals, ", ")
	if injected == "" {
		injected = "nothing injected"
	}
	detect, recover := "not detected", "not recovered"
	if d, ok := t.TimeToDetect(); ok {
		detect = "detected after " + d.String()
	}
	if d, ok := t.TimeToRecover(); ok {
		recover = "recovered after " + d.String()
	}
	return fmt.Sprintf("%s %s: %s; %s; %s", t.Group, where, injected, detect, recover)
}

// ProbeStats are a probe's numbers over a run.
type ProbeStats struct {
	Evaluations  int      `json:"evaluations"`
	Failures     int      `json:"failures"`
	P50LatencyMs *float64 `json:"p50LatencyMs"`
	MaxLatencyMs *float64 `json:"maxLatencyMs"`
}

// ResumedSummary is what a run's end resumed.
type ResumedSummary struct {
	Faults    int         `json:"faults"`
	Errors    int         `json:"errors"`
	Confirmed *int        `json:"confirmed,omitempty"`
	Seen      *SeenCounts `json:"seen,omitempty"`
}

// RunReport is a finished run: its steps, each target's timeline, probe statistics and what its end resumed.
type RunReport struct {
	ID         string                `json:"id"`
	Drill      string                `json:"drill"`
	Status     RunStatus             `json:"status"`
	StartedAt  UnixMillis            `json:"startedAt"`
	EndedAt    UnixMillis            `json:"endedAt"`
	DurationMs float64               `json:"durationMs"`
	Seed       string                `json:"seed"`
	Error      *ErrorDetail          `json:"error,omitempty"`
	Steps      []StepRecord          `json:"steps"`
	Timeline   []TimelineEntry       `json:"timeline"`
	Probes     map[string]ProbeStats `json:"probes"`
	Resumed    ResumedSummary        `json:"resumed"`
}

// Duration is how long the run took.
func (r *RunReport) Duration() time.Duration { return msDuration(r.DurationMs) }

// Passed reports whether the run passed.
func (r *RunReport) Passed() bool { return r.Status == RunPassed }

// Describe is the run as text: status, steps, and every target's timeline (what a failing test prints).
func (r *RunReport) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s of %s: %s in %s (seed %s)\n", r.ID, r.Drill, r.Status, r.Duration(), r.Seed)
	if r.Error != nil {
		fmt.Fprintf(&b, "  error: %s: %s\n", r.Error.Code, r.Error.Message)
	}
	for _, s := range r.Steps {
		took, failed := "", ""
		if s.DurationMs != nil {
			took = " in " + msDuration(*s.DurationMs).String()
		}
		if s.Error != nil {
			failed = ": " + s.Error.Message
		}
		fmt.Fprintf(&b, "  step %s %s: %s%s%s\n", s.Path, s.Name, s.Status, took, failed)
	}
	for _, t := range r.Timeline {
		fmt.Fprintf(&b, "  target %s\n", t)
	}
	return b.String()
}

// RunSummary is a run as GET /v1/runs lists it.
type RunSummary struct {
	ID        string       `json:"id"`
	DrillName *string      `json:"drillName"`
	Status    RunStatus    `json:"status"`
	DryRun    bool         `json:"dryRun"`
	CreatedAt UnixMillis   `json:"createdAt"`
	StartedAt *UnixMillis  `json:"startedAt"`
	EndedAt   *UnixMillis  `json:"endedAt"`
	Error     *ErrorDetail `json:"error"`
	// The slowest target's times once the run ended (nil before, or if no target got that far).
	TimeToDetectMs  *float64 `json:"timeToDetectMs"`
	TimeToRecoverMs *float64 `json:"timeToRecoverMs"`
}

// Run is a run as GET /v1/runs/{id} and POST /v1/runs answer it; Result is the report once it has ended.
type Run struct {
	RunSummary
	Spec   json.RawMessage `json:"spec"`
	Result *RunReport      `json:"result"`
}

// RunQuery filters GET /v1/runs.
type RunQuery struct {
	Drill  string
	Status RunStatus
	Limit  int
}

// DryRunPick is a target a dry run would hit.
type DryRunPick struct {
	Target
	Key string `json:"key"`
}

// DryRunGroup is what one target group of a drill would hit.
type DryRunGroup struct {
	Wanted  int          `json:"wanted"`
	Matched int          `json:"matched"`
	Seed    string       `json:"seed"`
	Picked  []DryRunPick `json:"picked"`
}

// DryRun is what each group of a drill would hit; nothing was touched.
type DryRun struct {
	DryRun bool                   `json:"dryRun"`
	Drill  string                 `json:"drill"`
	Groups map[string]DryRunGroup `json:"groups"`
}

// RunEvent is one server-sent event of a run: Type is the SSE event type (step, probe, fault, timeline,
// selection, resumed, run), Seq its id, Data its JSON payload.
type RunEvent struct {
	Type string
	Seq  int64
	Data json.RawMessage
}

// Final reports whether this is the run event that ends the run (its data carries the report).
func (e RunEvent) Final() bool {
	if e.Type != "run" {
		return false
	}
	var d struct {
		Status RunStatus `json:"status"`
	}
	return json.Unmarshal(e.Data, &d) == nil && d.Status.Finished()
}

// Report is the final run event's report, or nil.
func (e RunEvent) Report() *RunReport {
	if !e.Final() {
		return nil
	}
	var d struct {
		Report *RunReport `json:"report"`
	}
	if json.Unmarshal(e.Data, &d) != nil {
		return nil
	}
	return d.Report
}

// Decode unmarshals the event's data, e.g. into a StepRecord for a step event.
func (e RunEvent) Decode(v any) error { return json.Unmarshal(e.Data, v) }

// Drill is a drill as its YAML file holds it; Spec is the drill's spec, as a map or any value that marshals to it.
type Drill struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Metadata   DrillMetadata `json:"metadata"`
	Spec       any           `json:"spec"`
}

// DrillMetadata names a drill.
type DrillMetadata struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}
