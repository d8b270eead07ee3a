package live

import (
	"context"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/apply"
	"istio-egress-conformance/harness/fixture"
)

// ownerLabels mark what the run creates; scenario, when set, narrows them to
// one scenario's objects.
func (r *Run) ownerLabels(scenario string) map[string]string {
	return apply.Owner(r.Cfg.RunID, scenario)
}

// ownerSelector selects what ownerLabels marked.
func (r *Run) ownerSelector(scenario string) string {
	return apply.Selector(r.Cfg.RunID, scenario)
}

// deleteKindsSteps deletes, in every namespace, the objects of the given
// kinds that the selector matches: one step, or none without kinds.
func deleteKindsSteps(cfg *envconf.Config, kinds []schema.GroupVersionKind, selector string) []teardownStep {
	if len(kinds) == 0 {
		return nil
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.Kind
		if k.Group == fixture.GatewayAPIGroup { // apart from Istio's Gateway
			names[i] = k.GroupKind().String()
		}
	}
	return []teardownStep{{fmt.Sprintf("delete %s labelled %s", strings.Join(names, ", "), selector), func(ctx context.Context) error {
		return apply.DeleteKinds(ctx, cfg.Client().Resources(), kinds, selector)
	}}}
}

// deleteNamespacesStep deletes the namespaces the selector matches, with
// whatever is left in them.
func deleteNamespacesStep(cfg *envconf.Config, selector string) teardownStep {
	return teardownStep{"delete namespaces labelled " + selector, func(ctx context.Context) error {
		return apply.DeleteNamespaces(ctx, cfg.Client().Resources(), selector, namespaceDeleteTimeout)
	}}
}

// namespaceDeleteTimeout bounds the wait for namespaces to go; a variable so
// that tests against an API server without a namespace controller can shorten it.
var namespaceDeleteTimeout = 3 * time.Minute
