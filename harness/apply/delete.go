package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/e2e-framework/klient/k8s/resources"
	"sigs.k8s.io/e2e-framework/klient/wait"
	"sigs.k8s.io/e2e-framework/klient/wait/conditions"

	"istio-egress-conformance/scenarios"
)

// FixtureKinds are the kinds the scenarios apply (the fixtures', and the
// Secret of the run's CA in an egress gateway's namespace), in the order teardown
// deletes them: the reverse of the order they are applied in. Namespaces are
// left out: they go last, in a step of their own.
func FixtureKinds(ss ...scenarios.Scenario) []schema.GroupVersionKind {
	var applied []schema.GroupVersionKind
	seen := map[schema.GroupKind]bool{}
	for _, s := range ss {
		if _, _, ok := s.Gateway(); ok && !seen[schema.GroupKind{Kind: "Secret"}] {
			// The run's CA Secret in the gateway's namespace, made first.
			seen[schema.GroupKind{Kind: "Secret"}] = true
			applied = append(applied, schema.GroupVersionKind{Version: "v1", Kind: "Secret"})
		}
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

// DeleteKinds deletes, in every namespace, the objects of the kinds that the
// selector matches.
func DeleteKinds(ctx context.Context, res *resources.Resources, kinds []schema.GroupVersionKind, selector string) error {
	var errs []error
	for _, k := range kinds {
		errs = append(errs, deleteLabelled(ctx, res, k, selector))
	}
	return errors.Join(errs...)
}

// DeleteFixtures deletes the scenario's fixtures, found by the run's and the
// scenario's labels; its namespaces stay.
func DeleteFixtures(ctx context.Context, res *resources.Resources, s scenarios.Scenario, runID string) error {
	return DeleteKinds(ctx, res, FixtureKinds(s), Selector(runID, s.Name))
}

// deleteLabelled deletes every object of a kind, in any namespace, that the
// selector matches.
func deleteLabelled(ctx context.Context, res *resources.Resources, gvk schema.GroupVersionKind, selector string) error {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	err := res.WithNamespace("").List(ctx, list, resources.WithLabelSelector(selector))
	if meta.IsNoMatchError(err) {
		return nil // the cluster does not serve the kind (a Gateway API CRD never installed): no object of it exists
	}
	if err != nil {
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

// DeleteNamespaces deletes the namespaces the selector matches, with whatever
// is left in them, and waits until they are gone (within), so that the next
// scenario can create them again.
func DeleteNamespaces(ctx context.Context, res *resources.Resources, selector string, within time.Duration) error {
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
	if err := wait.For(conditions.New(res).ResourcesDeleted(&list), wait.WithTimeout(within), wait.WithContext(ctx)); err != nil {
		return fmt.Errorf("namespaces %s still terminating after %s: %v", strings.Join(names, ", "), within, err)
	}
	return nil
}
