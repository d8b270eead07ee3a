package live

import (
	"context"
	"fmt"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/verdict"
)

// The run's setup steps, in the order the live suite gives them to
// e2e-framework. The external host comes before the gateways: a chart
// gateway's pods get the hermetic server's IPs as hostAliases.

// CreateCluster is the run's setup step for the cluster: a kind cluster it
// creates, or the one in KUBECONFIG.
func (r *Run) CreateCluster(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	return r.step(ctx, cfg, "cluster", r.createCluster)
}

// InstallIstio is the run's setup step for Istio: its Helm charts at the
// run's version, unless the cluster already has it.
func (r *Run) InstallIstio(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	return r.step(ctx, cfg, "istio", r.installIstio)
}

// ServeExternalHost is the run's setup step for the external host: in
// hermetic mode, the run's own server for the hosts of the scenarios it runs.
func (r *Run) ServeExternalHost(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	return r.step(ctx, cfg, "external host", r.serveExternalHost)
}

// InstallGateways is the run's setup step for the egress gateways of the
// scenarios it runs (installGateways).
func (r *Run) InstallGateways(ctx context.Context, cfg *envconf.Config) (context.Context, error) {
	return r.step(ctx, cfg, "egress gateways", r.installGateways)
}

// step runs one setup step. e2e-framework runs no feature after a failed
// Setup action, only the Finish ones (pkg/env/env.go, testEnv.Run): every
// check the run was to make fails with the step's error, so the reports say
// why, and the teardown treats the run as failed (kind's logs exported,
// E2E_KEEP=on-failure honoured).
func (r *Run) step(ctx context.Context, cfg *envconf.Config, name string, f env.Func) (context.Context, error) {
	ctx, err := f(ctx, cfg)
	if err != nil {
		line := fmt.Sprintf("setup, %s: %v", name, err)
		for _, s := range r.runnableScenarios(cfg) {
			for _, c := range s.Checks {
				r.recorder.Record(failed(verdict.Entry(s.Name, c), line))
			}
		}
	}
	return ctx, err
}
