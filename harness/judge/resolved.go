package judge

import (
	"fmt"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	"istio.io/istio/istioctl/pkg/util/clusters"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xdstest"
)

// ResolvedAddresses reads Envoy's /clusters?format=json (as `pilot-agent
// request GET clusters?format=json` prints it) with istioctl's own reader
// (istioctl/pkg/util/clusters, what `istioctl proxy-config endpoint` parses)
// into each cluster's current host addresses: for a DNS cluster, what the
// proxy resolved its endpoint's name to.
func ResolvedAddresses(clustersJSON []byte) (map[string][]string, error) {
	var w clusters.Wrapper
	if err := w.UnmarshalJSON(clustersJSON); err != nil {
		return nil, fmt.Errorf("clusters?format=json: not Envoy's JSON: %v", err)
	}
	if len(w.GetClusterStatuses()) == 0 {
		return nil, fmt.Errorf("clusters?format=json: no cluster statuses: not a running proxy's answer")
	}
	out := map[string][]string{}
	for _, cs := range w.GetClusterStatuses() {
		addrs := []string{}
		for _, h := range cs.GetHostStatuses() {
			if sa := h.GetAddress().GetSocketAddress(); sa != nil {
				addrs = append(addrs, sa.GetAddress())
			}
		}
		out[cs.GetName()] = addrs
	}
	return out, nil
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
