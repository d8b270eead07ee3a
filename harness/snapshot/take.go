package snapshot

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"istio-egress-conformance/harness/analysis"
	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/scenarios"
)

// Options are what the snapshot command is told besides its inputs: the
// client's namespace, labels and service account, the egress gateway the
// objects send traffic through, and the scenario's name (by default
// snapshot-<namespace>).
type Options struct {
	Namespace, ServiceAccount, EgressGateway, Name string
	Labels                                         map[string]string
	// Suppress lists analyzer messages to accept, as istioctl analyze
	// --suppress takes them (CODE=RESOURCE): the scenario's suppressAnalysis.
	Suppress []string
}

// Snapshot is a scenario taken from objects: its checks, and for each check
// the objects behind the prediction its expectations come from.
type Snapshot struct {
	Scenario scenarios.Scenario
	// Notes[i] says what is behind check i.
	Notes []Note
	// Analysis is what Istio's analyzers say of the inputs: warnings and
	// infos, one line each (an error fails Take).
	Analysis []string
	// Predictions[i] is check i's prediction.
	Predictions []results.Prediction
}

// Note is what is behind one check: whether its host is the undeclared one,
// and the input objects behind its prediction at the client's sidecar and
// at the egress gateway.
type Note struct {
	Undeclared       bool
	Sidecar, Gateway []string
}

// Take writes a scenario of the inputs for a client in o.Namespace: a check
// per target, each expectation the offline translation's prediction. Every
// check it writes passes the scenario contract's Verify against that
// prediction, so the file passes the offline tier as written.
func Take(in Inputs, o Options) (Snapshot, error) {
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return Snapshot{}, fmt.Errorf("namespace %q: expected a namespace name: %s", o.Namespace, strings.Join(errs, "; "))
	}
	s := scenario(in, o)
	objs := s.Objects()
	ts, err := targets(objs)
	if err != nil {
		return Snapshot{}, err
	}
	used := map[string]int{}
	for _, t := range ts {
		// Hosts a-b.com and a.b.com name the same check: the second is -2.
		name := t.Name()
		if used[name]++; used[name] > 1 {
			name = fmt.Sprintf("%s-%d", name, used[name])
		}
		s.Checks = append(s.Checks, scenarios.Check{Name: name, URL: t.URL()})
	}
	if err := s.Validate(); err != nil {
		return Snapshot{}, fmt.Errorf("options: %v", err)
	}
	if !slices.ContainsFunc(objs, func(obj fixture.Object) bool { return reachesObject(obj, o.Namespace) }) {
		return Snapshot{}, fmt.Errorf("namespace %s: no object reaches it: each is in another namespace and not exported to it (exportTo), or of a kind that applies in its own namespace only: expected the namespace of a client the objects serve", o.Namespace)
	}
	findings, err := analysis.Accepted(s)
	if err != nil {
		return Snapshot{}, err
	}
	predictions, err := offline.Predict(s)
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Scenario: s, Predictions: predictions, Analysis: findings}
	for i, t := range ts {
		p := predictions[i]
		c := &snap.Scenario.Checks[i]
		c.Expect = expectOf(*c, p, t.Scheme == "https")
		if m := verdict.Verify(*c, p); len(m) > 0 {
			return Snapshot{}, fmt.Errorf("check %s: the snapshot's own expectation fails its prediction (a defect of the snapshot): %s", c.Name, m[0])
		}
		note := Note{Undeclared: t.Undeclared, Sidecar: shapers(p.Sources, objs)}
		if p.Gateway != nil {
			note.Gateway = shapers(p.Gateway.Sources, objs)
		}
		snap.Notes = append(snap.Notes, note)
	}
	return snap, nil
}

// scenario is the snapshot's scenario without its checks.
func scenario(in Inputs, o Options) scenarios.Scenario {
	name := o.Name
	if name == "" {
		name = "snapshot-" + o.Namespace
	}
	s := scenarios.Scenario{
		Name:             name,
		Labels:           map[string]string{"source": "snapshot"},
		Client:           scenarios.Client{Namespace: o.Namespace, Labels: o.Labels, ServiceAccount: o.ServiceAccount},
		EgressGateway:    o.EgressGateway,
		SuppressAnalysis: o.Suppress,
		Resolved:         in.Files,
	}
	var objects int
	for _, f := range in.Files {
		s.Fixtures = append(s.Fixtures, f.Name)
		objects += len(f.Objects)
	}
	s.Description = fmt.Sprintf("What Istio's translation makes of %d objects (%s) for a client in %s.",
		objects, strings.Join(s.Fixtures, ", "), o.Namespace)
	return s
}
