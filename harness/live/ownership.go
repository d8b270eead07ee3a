package live

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"
	"sigs.k8s.io/e2e-framework/pkg/envconf"

	"istio-egress-conformance/harness/config"
	"istio-egress-conformance/scenarios"
)

// ownerLabels mark what the run creates; scenario, when set, narrows them to
// one scenario's objects.
func (r *Run) ownerLabels(scenario string) map[string]string {
	l := map[string]string{config.RunIDLabel: r.Cfg.RunID}
	if scenario != "" {
		l[config.ScenarioLabel] = scenario
	}
	return l
}

// ownerSelector selects what ownerLabels marked.
func (r *Run) ownerSelector(scenario string) string {
	return labels.SelectorFromSet(r.ownerLabels(scenario)).String()
}

// fixtureKinds are the kinds the scenarios apply, in the order teardown
// deletes them: the reverse of the order they are applied in. Namespaces are
// left out: they go last, in a step of their own.
func fixtureKinds(ss ...scenarios.Scenario) []schema.GroupVersionKind {
	var applied []schema.GroupVersionKind
	seen := map[schema.GroupKind]bool{}
	for _, s := range ss {
		for _, o := range s.Objects() {
			gvk := o.Object.GetObjectKind().GroupVersionKind()
			if seen[gvk.GroupKind()] || gvk.GroupKind() == (schema.GroupKind{Kind: "Namespace"}) {
				continue
			}
			seen[gvk.GroupKind()] = true
			applied = append(applied, gvk)
		}
	}
	kinds := make([]schema.GroupVersionKind, 0, len(applied))
	for i := len(applied) - 1; i >= 0; i-- {
		kinds = append(kinds, applied[i])
	}
	return kinds
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
	}
	return []teardownStep{{fmt.Sprintf("delete %s labelled %s", strings.Join(names, ", "), selector), func(ctx context.Context) error {
		var errs []error
		for _, k := range kinds {
			errs = append(errs, deleteLabelled(ctx, cfg.Client().Resources(), k, selector))
		}
		return errors.Join(errs...)
	}}}
}

// deleteNamespacesStep deletes the namespaces the selector matches, with
// whatever is left in them.
func deleteNamespacesStep(cfg *envconf.Config, selector string) teardownStep {
	return teardownStep{"delete namespaces labelled " + selector, func(ctx context.Context) error {
		return deleteLabelledNamespaces(ctx, cfg.Client().Resources(), selector)
	}}
}

// deleteLabelled deletes every object of a kind, in any namespace, that the
// selector matches.
func deleteLabelled(ctx context.Context, res *resources.Resources, gvk schema.GroupVersionKind, selector string) error {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := res.WithNamespace("").List(ctx, list, resources.WithLabelSelector(selector)); err != nil {
		return fmt.Errorf("list %s labelled %s: %v", gvk.Kind, selector, err)
	}
	var errs []error
	for i := range list.Items {
		if err := res.Delete(ctx, &list.Items[i]); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s %s/%s: %v", gvk.Kind, list.Items[i].GetNamespace(), list.Items[i].GetName(), err))
		}
	}
	return errors.Join(errs...)
}

// deleteLabelledNamespaces deletes the namespaces the selector matches and
// waits until they are gone, so that the next scenario can create them again.
func deleteLabelledNamespaces(ctx context.Context, res *resources.Resources, selector string) error {
	var list corev1.NamespaceList
	if err := res.WithNamespace("").List(ctx, &list, resources.WithLabelSelector(selector)); err != nil {
		return fmt.Errorf("list namespaces labelled %s: %v", selector, err)
	}
	if len(list.Items) == 0 {
		return nil
	}
	var names []string
	for i := range list.Items {
		names = append(names, list.Items[i].Name)
		if err := res.Delete(ctx, &list.Items[i]); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete namespace %s: %v", list.Items[i].Name, err)
		}
	}
	if err := wait.For(conditions.New(res).ResourcesDeleted(&list), wait.WithTimeout(namespaceDeleteTimeout), wait.WithContext(ctx)); err != nil {
		return fmt.Errorf("namespaces %s still terminating after %s: %v", strings.Join(names, ", "), namespaceDeleteTimeout, err)
	}
	return nil
}

// namespaceDeleteTimeout bounds the wait for namespaces to go; a variable so
// that tests against an API server without a namespace controller can shorten it.
var namespaceDeleteTimeout = 3 * time.Minute
