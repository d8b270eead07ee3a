// Package live is the live tier's flow as e2e-framework steps: the cluster,
// Istio, the external host, and one feature per scenario with one assessment
// per check. It records what the run created so teardown removes exactly that.
package live

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"istio-egress-conformance/harness/cluster"
	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/harness/progress"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/harness/verdict"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/reports"
	"istio-egress-conformance/scenarios"
)

// Run is one live run: its configuration and what it created.
type Run struct {
	Cfg      config.Config
	Report   preflight.Report
	Runner   command.Runner
	Progress io.Writer

	catalog        []scenarios.Entry
	kind           *cluster.Kind // set when this run created the cluster
	installedIstio bool
	// installedGateways are the chart gateways this run installed; installedCRDs
	// says it created Gateway API CRDs.
	installedGateways []egressgateway.Gateway
	installedCRDs     bool
	// unservedGatewayAPI says, per scenario, which of its Gateway API objects
	// the cluster's CRDs do not serve at the version written.
	unservedGatewayAPI map[string]string
	ca                 *workload.CA
	serverIPs          []string // the hermetic server pod's, one per IP family

	judgeSidecar SidecarJudge
	recorder     *verdict.Recorder

	mu       sync.Mutex
	evidence map[string]verdict.SidecarEvidence // per scenario, from its setup
}

// SidecarJudge judges a scenario's client sidecar by its own config before
// the checks (sidecar.Judge; a function so that this package and its tests
// do not link Istio's translation).
// since is when the scenario's setup began.
type SidecarJudge func(ctx context.Context, res *resources.Resources, s scenarios.Scenario, serverIPs []string, within time.Duration, since time.Time) (verdict.SidecarEvidence, error)

// New prepares a run of the catalog after a successful preflight, whose
// scenarios' client sidecars judgeSidecar judges before their checks. With
// E2E_UNIQUE_NAMESPACES=1 its scenarios' namespaces get the run id as suffix;
// a scenario that cannot be renamed becomes a failing entry.
func New(cfg config.Config, report preflight.Report, catalog []scenarios.Entry, progress io.Writer, judgeSidecar SidecarJudge) *Run {
	if cfg.UniqueNamespaces {
		catalog = withUniqueNamespaces(catalog, cfg.RunID)
	}
	r := &Run{Cfg: cfg, Report: report, Runner: command.Exec{}, Progress: progress, catalog: catalog, judgeSidecar: judgeSidecar, unservedGatewayAPI: map[string]string{},
		recorder: verdict.NewRecorder(results.TierLive, map[string]string{
			"tier":              results.TierLive,
			"runID":             cfg.RunID,
			"istioVersion":      cfg.IstioVersion,
			"cluster":           report.Mode,
			"kubernetesVersion": report.ServerVersion,
			"kindNodeImage":     cfg.KindNodeImage,
			"external":          cfg.External,
			"clientImage":       cfg.ClientImage,
			"uniqueNamespaces":  strconv.FormatBool(cfg.UniqueNamespaces),
		})}
	for _, s := range r.scenarios() {
		r.recorder.Analysis(s.Name, s.Analysis)
	}
	return r
}

// WriteReports writes the live tier's JUnit, conformance report and summary
// into the artifacts folder.
func (r *Run) WriteReports() error {
	if r.Report.Mode != preflight.ModeExisting {
		r.recorder.DeleteEnvironment("kubernetesVersion")
	} else {
		r.recorder.DeleteEnvironment("kindNodeImage")
	}
	return reports.WriteAll(r.Cfg.Artifacts, r.recorder.Run())
}

// Features are the catalog's scenarios as e2e-framework features.
func (r *Run) Features() []features.Feature {
	feats := make([]features.Feature, len(r.catalog))
	for i, e := range r.catalog {
		feats[i] = r.Feature(e)
	}
	return feats
}

// scenarios are the catalog's scenarios that loaded.
func (r *Run) scenarios() []scenarios.Scenario {
	var ss []scenarios.Scenario
	for _, e := range r.catalog {
		if e.Err == nil {
			ss = append(ss, e.Scenario)
		}
	}
	return ss
}

// runnable are the catalog's entries this run runs: loaded, selected by the
// run's filters (selected; cfg nil selects all), and not needing another
// external host than the run's (cannotRun).
func (r *Run) runnable(cfg *envconf.Config) []scenarios.Entry {
	var out []scenarios.Entry
	for _, e := range r.catalog {
		if e.Err == nil && selected(cfg, e) && r.cannotRun(e.Scenario) == "" {
			out = append(out, e)
		}
	}
	return out
}

// runnableScenarios are the scenarios of runnable.
func (r *Run) runnableScenarios(cfg *envconf.Config) []scenarios.Scenario {
	var ss []scenarios.Scenario
	for _, e := range r.runnable(cfg) {
		ss = append(ss, e.Scenario)
	}
	return ss
}

func withUniqueNamespaces(catalog []scenarios.Entry, runID string) []scenarios.Entry {
	out := make([]scenarios.Entry, len(catalog))
	for i, e := range catalog {
		out[i] = e
		if e.Err == nil {
			out[i].Scenario, out[i].Err = e.Scenario.WithNamespaceSuffix(runID)
		}
	}
	return out
}

// Hermetic reports whether the run serves the external host itself.
func (r *Run) Hermetic() bool {
	return r.Cfg.External == config.ExternalHermetic
}

// phase prints what a step does and, when it ends, how long it took. Every
// step of the run goes through it, so it also turns a panic into the step's
// error: a bug in one step fails it, instead of killing the test binary
// before teardown (a panic in a test goroutine cannot be recovered elsewhere).
func (r *Run) phase(name string, step func() error) error {
	return progress.Step(r.Progress, name, func() error { return r.recovered(step) })
}

// recovered runs step; a panic becomes a one-line error, its stack goes to the progress log.
func (r *Run) recovered(step func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(r.Progress, "panic: %v\n%s", p, debug.Stack())
			err = fmt.Errorf("panic: %v (stack above)", p)
		}
	}()
	return step()
}
