package snapshot

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"istio-egress-conformance/harness/fixture"
)

// rootNamespace is the mesh's root namespace: meshConfig.rootNamespace,
// istio-system by default (pkg/config/mesh/mesh.go, DefaultMeshConfig),
// which the chart's mesh config keeps.
const rootNamespace = "istio-system"

// reachesObject tells whether a fixture object can shape the config of a
// proxy in namespace (reaches).
func reachesObject(o fixture.Object, namespace string) bool {
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Object)
	if err != nil {
		return false
	}
	return reaches(&unstructured.Unstructured{Object: u}, namespace)
}

// reaches tells whether an object (as the API server serves it) can shape
// the config of a proxy in namespace, by Istio's visibility rules
// (pilot/pkg/model/push_context.go):
//   - one of the namespace's own;
//   - a ServiceEntry, VirtualService or DestinationRule exported to it:
//     exportTo empty (the mesh's default "*": pkg/config/mesh/mesh.go), "*",
//     or the namespace; never a DestinationRule with a workloadSelector
//     (push_context.go, setDestinationRules: such rules are not exported);
//   - a Sidecar of the root namespace without a workloadSelector, the mesh's
//     default (push_context.go, initSidecarScopes);
//   - a Kubernetes Service exported by its networking.istio.io/exportTo
//     annotation (absent: everywhere; values comma-separated and trimmed:
//     pilot/pkg/serviceregistry/kube/conversion.go);
//   - a Gateway API route parented to a Gateway in the namespace, or to a
//     Service or ServiceEntry of its own namespace, which applies to every
//     consumer (a route parented to another namespace's service applies to
//     its own namespace only: pilot/pkg/networking/core/route/route.go,
//     "Gateway allows only routes from the namespace of the proxy, or
//     namespace of the destination").
//
// Secrets, ConfigMaps and the like apply in their own namespace only; an
// Istio Gateway configures gateway pods, not a sidecar (configuresGateway).
func reaches(o *unstructured.Unstructured, namespace string) bool {
	ns := o.GetNamespace()
	if ns == namespace {
		return true
	}
	spec, _ := o.Object["spec"].(map[string]any)
	exportTo, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "exportTo")
	_, selected := spec["workloadSelector"]
	gvk := o.GroupVersionKind()
	switch {
	case gvk.Group == "networking.istio.io" && slices.Contains([]string{"ServiceEntry", "VirtualService"}, gvk.Kind):
		return exportedTo(exportTo, namespace)
	case gvk.Group == "networking.istio.io" && gvk.Kind == "DestinationRule":
		return !selected && exportedTo(exportTo, namespace)
	case gvk.Group == "networking.istio.io" && gvk.Kind == "Sidecar":
		return ns == rootNamespace && !selected
	case gvk.Group == "" && gvk.Kind == "Service":
		to, ok := o.GetAnnotations()["networking.istio.io/exportTo"]
		return !ok || exportedTo(strings.Split(to, ","), namespace)
	case fixture.IsGatewayAPI(gvk) && gvk.Kind == "ReferenceGrant":
		return grantsFrom(o, namespace)
	case fixture.IsGatewayAPI(gvk):
		return routeReaches(o, namespace)
	}
	return false
}

// configuresGateway tells whether an object can shape the config of the
// egress gateway in namespace: what reaches the namespace, and an Istio
// Gateway anywhere, as gateways select their pods across namespaces unless
// PILOT_SCOPE_GATEWAY_TO_NAMESPACE is set (pilot/pkg/features/pilot.go, off
// by default).
func configuresGateway(o *unstructured.Unstructured, namespace string) bool {
	gvk := o.GroupVersionKind()
	return reaches(o, namespace) || gvk.Group == "networking.istio.io" && gvk.Kind == "Gateway"
}

// exportedTo reads exportTo: empty is everywhere.
func exportedTo(to []string, namespace string) bool {
	for _, t := range to {
		if t = strings.TrimSpace(t); t == "*" || t == namespace {
			return true
		}
	}
	return len(to) == 0
}

// grantsFrom tells whether a ReferenceGrant lets namespace's routes refer
// to its own namespace's objects (its spec.from).
func grantsFrom(o *unstructured.Unstructured, namespace string) bool {
	from, _, _ := unstructured.NestedSlice(o.Object, "spec", "from")
	for _, f := range from {
		if ref, _ := f.(map[string]any); ref["namespace"] == namespace {
			return true
		}
	}
	return false
}

// routeReaches tells whether a Gateway API route applies to namespace: one
// of its parents is a Gateway there, or a Service or ServiceEntry of the
// route's own namespace (a producer route).
func routeReaches(o *unstructured.Unstructured, namespace string) bool {
	parents, _, _ := unstructured.NestedSlice(o.Object, "spec", "parentRefs")
	for _, p := range parents {
		ref, _ := p.(map[string]any)
		kind, _ := ref["kind"].(string)
		parentNamespace, _ := ref["namespace"].(string)
		if parentNamespace == "" {
			parentNamespace = o.GetNamespace()
		}
		switch kind {
		case "", "Gateway": // the Gateway API's default parent kind
			if parentNamespace == namespace {
				return true
			}
		case "Service", "ServiceEntry":
			if parentNamespace == o.GetNamespace() {
				return true
			}
		}
	}
	return false
}
