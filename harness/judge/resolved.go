package judge

import (
	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xdstest"
)

// AddressesOf are each cluster's current host addresses in loads (from
// LoadsFromClusters): for a DNS cluster, what the proxy resolved its
// endpoint's name to.
func AddressesOf(loads map[string]*endpoint.ClusterLoadAssignment) map[string][]string {
	out := map[string][]string{}
	for name, la := range loads {
		addrs := []string{}
		for _, locality := range la.GetEndpoints() {
			for _, ep := range locality.GetLbEndpoints() {
				addrs = append(addrs, ep.GetEndpoint().GetAddress().GetSocketAddress().GetAddress())
			}
		}
		out[name] = addrs
	}
	return out
}

// ResolvesByDNS reports whether the proxy resolves the cluster's endpoint
// names itself (STRICT_DNS or LOGICAL_DNS), as Istio makes a ServiceEntry
// with resolution DNS (pilot/pkg/networking/core/cluster_builder.go).
func ResolvesByDNS(sim *simulation.Simulation, name string) bool {
	c := xdstest.ExtractCluster(name, sim.Clusters)
	switch c.GetType() {
	case cluster.Cluster_STRICT_DNS, cluster.Cluster_LOGICAL_DNS:
		return true
	}
	return false
}
