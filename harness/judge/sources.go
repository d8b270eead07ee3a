package judge

import (
	"slices"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xdstest"

	"istio-egress-conformance/harness/results"
)

// configSources are the objects a proxy's config names as the source of the
// matched filter chain, route and cluster. Istio writes them into Envoy's
// filter metadata under "istio": "config" is
// /apis/<group>/<version>/namespaces/<namespace>/<kebab-kind>/<name>
// (pilot/pkg/networking/util/util.go, AddConfigInfoMetadata), set on a
// VirtualService's routes (core/route/route.go, TranslateRoute), on the
// filter chains of its TLS and TCP routes (core/tls.go), and on a
// DestinationRule's clusters (core/cluster_builder.go); "services" lists
// the host, name and namespace of each service a cluster sends to
// (core/cluster.go buildServiceMetadata, from cluster_builder.go). The
// route's reference carries the Envoy route's name, which names the Gateway
// API route behind a VirtualService Istio generated.
func configSources(sim *simulation.Simulation, res simulation.Result, matched *route.Route, clusterName string) []results.ConfigRef {
	var out []results.ConfigRef
	add := func(md *core.Metadata, routeName string) {
		for _, r := range refsOf(md) {
			if r.Kind != "Service" {
				r.Route = routeName
			}
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	if l := xdstest.ExtractListener(res.ListenerMatched, sim.Listeners); l != nil {
		for _, fc := range l.GetFilterChains() {
			if fc.GetName() == res.FilterChainMatched {
				add(fc.GetMetadata(), "")
			}
		}
	}
	add(matched.GetMetadata(), matched.GetName())
	if cl := xdstest.ExtractCluster(clusterName, sim.Clusters); cl != nil {
		add(cl.GetMetadata(), "")
	}
	return out
}

// refsOf reads Istio's filter metadata: its config, then its services.
func refsOf(md *core.Metadata) []results.ConfigRef {
	istio := md.GetFilterMetadata()["istio"].GetFields()
	var out []results.ConfigRef
	if ref, ok := results.ParseConfigPath(istio["config"].GetStringValue()); ok {
		out = append(out, ref)
	}
	for _, v := range istio["services"].GetListValue().GetValues() {
		f := v.GetStructValue().GetFields()
		out = append(out, results.ConfigRef{Kind: "Service", Namespace: f["namespace"].GetStringValue(), Name: f["name"].GetStringValue(), Host: f["host"].GetStringValue()})
	}
	return out
}
