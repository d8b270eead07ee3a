package live

import (
	"context"
	"fmt"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
)

// Sweep removes, from the existing cluster in cfg, what the run whose id is
// r.Cfg.RunID left behind: a run that was killed before its teardown (SIGKILL,
// a lost CI runner) or kept by E2E_KEEP. It is that run's teardown plan, by
// label selector: the fixtures'
// kinds, the helm releases, the namespaces. Another run's objects are not
// selected, so a sweep is safe while other runs share the cluster.
func (r *Run) Sweep(ctx context.Context, cfg *envconf.Config) error {
	// The releases and CRDs are found by label: none when the run made none.
	r.installedIstio, r.installedCRDs = true, true
	if err := r.runSteps(ctx, "sweep: ", r.teardownPlan(cfg)); err != nil {
		return fmt.Errorf("sweep of run %s: %v", r.Cfg.RunID, err)
	}
	return nil
}
