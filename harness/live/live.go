// Package live is the live tier's flow as e2e-framework steps: the cluster,
// Istio, the external host, and one feature per scenario with one assessment
// per check. It records what the run created so teardown removes exactly that.
package live

import (
	"fmt"
	"io"
	"sync"
	"time"

	istioscheme "istio.io/client-go/pkg/clientset/versioned/scheme"
	"k8s.io/client-go/kubernetes/scheme"

	"istio-egress-conformance/harness/cluster"
	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/preflight"
	"istio-egress-conformance/harness/workload"
	"istio-egress-conformance/reports"
)

func init() {
	// e2e-framework's klient decodes with client-go's scheme; Istio's kinds join it
	// so that fixtures apply as typed objects.
	if err := istioscheme.AddToScheme(scheme.Scheme); err != nil {
		panic(err)
	}
}

// Run is one live run: its configuration and what it created.
type Run struct {
	Cfg      config.Config
	Report   preflight.Report
	Runner   command.Runner
	Progress io.Writer

	kind           *cluster.Kind // set when this run created the cluster
	installedIstio bool
	// createdIstioNamespace is false when istio-system existed before the run.
	createdIstioNamespace bool
	serverCreated         bool
	ca                    *workload.CA
	serverIP              string
	corefile              *string // the CoreDNS Corefile before the override; nil when not overridden

	mu      sync.Mutex
	results reports.Run
	failed  bool // a check failed: teardown exports the kind cluster's logs first
}

// New prepares a run after a successful preflight.
func New(cfg config.Config, report preflight.Report, progress io.Writer) *Run {
	return &Run{Cfg: cfg, Report: report, Runner: command.Exec{}, Progress: progress,
		results: reports.Run{Tier: reports.TierLive, Start: time.Now(), Environment: map[string]string{
			"tier":              reports.TierLive,
			"runID":             cfg.RunID,
			"istioVersion":      cfg.IstioVersion,
			"cluster":           report.Mode,
			"kubernetesVersion": report.ServerVersion,
			"kindNodeImage":     cfg.KindNodeImage,
			"external":          cfg.External,
			"clientImage":       cfg.ClientImage,
		}}}
}

func (r *Run) record(res reports.CheckResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results.Results = append(r.results.Results, res)
	r.failed = r.failed || !res.Passed
}

// WriteReports writes the live tier's JUnit, conformance report and summary
// into the artifacts folder.
func (r *Run) WriteReports() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Report.Mode != preflight.ModeExisting {
		delete(r.results.Environment, "kubernetesVersion")
	} else {
		delete(r.results.Environment, "kindNodeImage")
	}
	return reports.WriteAll(r.Cfg.Artifacts, r.results)
}

// OwnerLabels mark what the run creates.
func (r *Run) OwnerLabels() map[string]string {
	return map[string]string{config.RunIDLabel: r.Cfg.RunID}
}

// Hermetic reports whether the run serves the external host itself.
func (r *Run) Hermetic() bool {
	return r.Cfg.External == config.ExternalHermetic
}

// phase prints what a step does and, when it ends, how long it took.
func (r *Run) phase(name string, step func() error) error {
	fmt.Fprintf(r.Progress, "==> %s\n", name)
	start := time.Now()
	err := step()
	status := "done"
	if err != nil {
		status = "FAILED: " + err.Error()
	}
	fmt.Fprintf(r.Progress, "<== %s: %s in %s\n", name, status, time.Since(start).Round(100*time.Millisecond))
	return err
}
