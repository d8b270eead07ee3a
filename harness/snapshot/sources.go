package snapshot

import (
	"slices"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/harness/results"
)

// shapers names the input objects behind a proxy's config for one request
// (results.Prediction.Sources), as "Kind namespace/name", each once, in the
// order the proxy met them. A service is named by the ServiceEntry or
// Kubernetes Service that declares it; a VirtualService Istio generated from
// Gateway API routes (its name holds "~": pilot/pkg/config/kube/gateway/
// route_collections.go) by the route behind the matched Envoy route.
// References to objects not in the input (istiod's own, such as the
// gateway's Service) name what the config says.
func shapers(refs []results.ConfigRef, objs []fixture.Object) []string {
	var out []string
	for _, r := range refs {
		name := r.String()
		if o, ok := declaring(r, objs); ok {
			name = o.String()
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// declaring is the input object a config reference stands for.
func declaring(r results.ConfigRef, objs []fixture.Object) (fixture.Object, bool) {
	generated := r.Kind == "VirtualService" && strings.Contains(r.Name, "~")
	for _, o := range objs {
		kind := o.Object.GetObjectKind().GroupVersionKind()
		switch {
		case generated:
			if fixture.IsGatewayAPI(kind) && generatedFrom(r, o) {
				return o, true
			}
		case o.Object.GetNamespace() != r.Namespace:
		case r.Kind == "Service" && declares(o, r):
			return o, true
		case o.Istio != nil && r.Kind == kind.Kind && o.Object.GetName() == r.Name:
			return o, true
		}
	}
	return fixture.Object{}, false
}

// generatedFrom tells whether a generated VirtualService's route came from
// the Gateway API route o. Istio names an HTTP route of an unnamed rule
// <namespace>.<route>.<rule index> (pilot/pkg/config/kube/gateway/
// conversion.go, convertHTTPRoute); a TLS or TCP route's VirtualService is
// <route>~tls~<n>~... or <route>~tcp~<n>~... in the route's namespace
// (route_collections.go).
func generatedFrom(r results.ConfigRef, o fixture.Object) bool {
	ns, name := o.Object.GetNamespace(), o.Object.GetName()
	if rest, ok := strings.CutPrefix(r.Route, ns+"."); ok {
		if i := strings.LastIndex(rest, "."); i > 0 && rest[:i] == name {
			return true
		}
	}
	first, tail, _ := strings.Cut(r.Name, "~")
	return r.Namespace == ns && first == name && (strings.HasPrefix(tail, "tls~") || strings.HasPrefix(tail, "tcp~"))
}

// declares tells whether o is the ServiceEntry or Kubernetes Service behind
// a cluster's service: a ServiceEntry's service is named by one of its
// hosts, as written (pilot/pkg/serviceregistry/serviceentry/conversion.go),
// a Service's by its own name.
func declares(o fixture.Object, r results.ConfigRef) bool {
	if se, ok := istioSpec[*networking.ServiceEntry](o); ok {
		return slices.Contains(se.GetHosts(), r.Host)
	}
	return o.Object.GetObjectKind().GroupVersionKind().Kind == "Service" && o.Object.GetName() == r.Name
}
