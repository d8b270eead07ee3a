package snapshot

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/scenarios"
)

// exportable is an Istio spec with exportTo: ServiceEntry, VirtualService,
// DestinationRule.
type exportable interface{ GetExportTo() []string }

// reaches tells whether an object can shape the config of a proxy in
// namespace: one of the namespace's own or of the root namespace
// (istio-system, whose Sidecar and DestinationRules apply mesh-wide); an
// Istio object exported to it (exportTo empty, as the mesh's default "*",
// "*" or the namespace: pilot/pkg/model/push_context.go, the visibility of
// services, virtual services and destination rules; a Kubernetes Service
// by its networking.istio.io/exportTo annotation); a Gateway API route of a
// producer (parented to a Service or ServiceEntry, which applies to every
// consumer: Istio's GAMMA support). A Sidecar, a Secret, a consumer's route
// apply in their own namespace only.
func reaches(o fixture.Object, namespace string) bool {
	ns := o.Object.GetNamespace()
	if ns == namespace || ns == scenarios.GatewayNamespace {
		return true
	}
	kind := o.Object.GetObjectKind().GroupVersionKind()
	switch {
	case o.Istio != nil:
		spec, ok := o.Istio.Spec.(exportable)
		return ok && exportedTo(spec.GetExportTo(), namespace)
	case kind.Kind == "Service" && kind.Group == "":
		to := o.Object.GetAnnotations()["networking.istio.io/exportTo"]
		return to == "" || exportedTo(strings.Split(to, ","), namespace)
	case fixture.IsGatewayAPI(kind):
		return producerRoute(o)
	}
	return false
}

// exportedTo reads exportTo: empty is everywhere.
func exportedTo(to []string, namespace string) bool {
	return len(to) == 0 || slices.Contains(to, "*") || slices.Contains(to, namespace)
}

// producerRoute tells whether a Gateway API route is parented to a Service
// or ServiceEntry.
func producerRoute(o fixture.Object) bool {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Object)
	if err != nil {
		return false
	}
	parents, _, _ := unstructured.NestedSlice(u, "spec", "parentRefs")
	for _, p := range parents {
		if kind, _ := p.(map[string]any)["kind"].(string); kind == "Service" || kind == "ServiceEntry" {
			return true
		}
	}
	return false
}
