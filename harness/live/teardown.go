package live

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/env"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/apply"
	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/preflight"
)

// teardownBudget bounds the whole teardown, so a hung API server cannot keep a
// CI job forever.
const teardownBudget = 10 * time.Minute

// Teardown removes what the run created, in reverse order, and only that: the
// hermetic host, Istio if this run installed it, the kind
// cluster if this run created it. It runs on a fresh context, because the one
// it is given may be the cancelled run's.
func (r *Run) Teardown() env.Func {
	return func(_ context.Context, cfg *envconf.Config) (context.Context, error) {
		ctx, cancel := context.WithTimeout(context.Background(), teardownBudget)
		defer cancel()
		if r.keep(r.anyFailed()) {
			fmt.Fprintf(r.Progress, "teardown skipped (E2E_KEEP=%s): %s\n", r.Cfg.Keep, r.KeptMessage())
			return ctx, nil
		}
		return ctx, r.runSteps(ctx, "teardown: ", r.teardownPlan(cfg))
	}
}

// teardownStep is one step of the teardown plan.
type teardownStep struct {
	name string
	do   func(ctx context.Context) error
}

// runSteps runs every step, each as a phase named prefix+name, even after one
// fails: what can still be removed is removed.
func (r *Run) runSteps(ctx context.Context, prefix string, steps []teardownStep) error {
	var errs []error
	for _, s := range steps {
		errs = append(errs, r.phase(prefix+s.name, func() error { return s.do(ctx) }))
	}
	return errors.Join(errs...)
}

// teardownPlan lists what teardown does, given what the run created. On a
// cluster the run did not create, it deletes by the run-id label only: what
// scenario teardowns left behind, the releases it installed, then its
// namespaces (the hermetic host's, and istio-system if it made it).
func (r *Run) teardownPlan(cfg *envconf.Config) []teardownStep {
	var plan []teardownStep
	if r.kind != nil {
		if r.anyFailed() {
			plan = append(plan, teardownStep{"kind export logs", func(ctx context.Context) error {
				return r.kind.ExportLogs(ctx, filepath.Join(r.Cfg.Artifacts, "diagnostics", "kind-logs"))
			}})
		}
		// Everything lives in the cluster: deleting it is the whole teardown.
		return append(plan, teardownStep{"delete kind cluster " + r.kind.Name, r.kind.Destroy})
	}
	if r.Report.Mode != preflight.ModeExisting {
		return nil // no cluster was had: nothing was created
	}
	selector := r.ownerSelector("")
	plan = append(plan, deleteKindsSteps(cfg, apply.FixtureKinds(r.scenarios()...), apply.AnyScenarioSelector(r.Cfg.RunID))...)
	if r.installedIstio || len(r.installedGateways) > 0 {
		plan = append(plan, teardownStep{"helm uninstall the releases labelled " + selector, func(ctx context.Context) error {
			return istio.Uninstall(ctx, r.Runner, r.Report.Tools["helm"], cfg.KubeconfigFile(), r.Cfg.RunID)
		}})
	}
	if r.installedCRDs {
		plan = append(plan, teardownStep{"delete the Gateway API CRDs labelled " + selector + " that hold no other run's objects", func(ctx context.Context) error {
			return deleteCreatedCRDs(ctx, cfg.Client().Resources(), r.Cfg.RunID, selector, r.Progress)
		}})
	}
	return append(plan, deleteNamespacesStep(cfg, selector))
}

// keep says whether E2E_KEEP keeps what a scenario, or the run, created.
func (r *Run) keep(failed bool) bool {
	return r.Cfg.Keep == config.KeepAlways || r.Cfg.Keep == config.KeepOnFailure && failed
}

// anyFailed tells whether a check failed: teardown exports the kind
// cluster's logs first.
func (r *Run) anyFailed() bool {
	return r.recorder.Failed()
}

// KeptMessage says what a kept run left behind and how to remove it, in the
// order teardown would.
func (r *Run) KeptMessage() string {
	if r.kind != nil {
		return fmt.Sprintf("kind cluster %q kept; remove it with: go tool kind delete cluster --name %s", r.kind.Name, r.kind.Name)
	}
	selector := r.ownerSelector("")
	steps := []string{}
	for _, g := range r.installedGateways {
		steps = append(steps, "go tool helm uninstall "+g.Name+" -n "+g.Namespace)
	}
	if r.installedIstio {
		steps = append(steps, "go tool helm uninstall istiod istio-base -n "+istio.Namespace)
	}
	var resources []string
	for _, k := range apply.FixtureKinds(r.scenarios()...) {
		resources = append(resources, strings.ToLower(k.GroupKind().String()))
	}
	if r.installedCRDs {
		resources = append(resources, "customresourcedefinitions")
	}
	steps = append(steps, fmt.Sprintf("kubectl delete %s -A -l %s", strings.Join(append(resources, "namespaces"), ","), selector))
	return fmt.Sprintf("objects labelled %s kept; remove them with: make sweep RUN_ID=%s, or by hand: %s", selector, r.Cfg.RunID, strings.Join(steps, "; then "))
}
