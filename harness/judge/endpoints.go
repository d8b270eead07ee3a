package judge

import (
	"fmt"
	"slices"
	"strings"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"
	"istio.io/istio/istioctl/pkg/util/clusters"
	"istio.io/istio/pilot/pkg/simulation"
)

// WithEndpoints is sim with the load assignment of each EDS cluster of a
// Service in hosts filled in from loads, by cluster name: EDS delivers an EDS
// cluster's endpoints apart from its CDS resource (api/envoy/config/cluster/
// v3/cluster.proto, eds_cluster_config), which Istio's simulation does not
// read. hosts are the Services whose endpoints every tier knows
// (facts.EndpointHosts): others keep none, in every tier alike.
func WithEndpoints(sim *simulation.Simulation, loads map[string]*endpoint.ClusterLoadAssignment, hosts []string) *simulation.Simulation {
	out := *sim
	out.Clusters = make([]*cluster.Cluster, len(sim.Clusters))
	for i, c := range sim.Clusters {
		if la, ok := loads[c.GetName()]; ok && c.GetType() == cluster.Cluster_EDS && slices.Contains(hosts, serviceHost(c.GetName())) {
			c = proto.Clone(c).(*cluster.Cluster)
			c.LoadAssignment = la
		}
		out.Clusters[i] = c
	}
	return &out
}

// LoadsOf keys load assignments by their cluster name.
func LoadsOf(las []*endpoint.ClusterLoadAssignment) map[string]*endpoint.ClusterLoadAssignment {
	out := map[string]*endpoint.ClusterLoadAssignment{}
	for _, la := range las {
		out[la.GetClusterName()] = la
	}
	return out
}

// LoadsFromClusters are the endpoints a running proxy holds, per cluster,
// from Envoy's /clusters?format=json as `pilot-agent request GET
// clusters?format=json` prints it (istioctl's reader,
// istioctl/pkg/util/clusters: what `istioctl proxy-config endpoint` lists),
// as load assignments.
func LoadsFromClusters(clustersJSON []byte) (map[string]*endpoint.ClusterLoadAssignment, error) {
	var w clusters.Wrapper
	if err := w.UnmarshalJSON(clustersJSON); err != nil {
		return nil, fmt.Errorf("clusters?format=json: not Envoy's JSON: %v", err)
	}
	if len(w.GetClusterStatuses()) == 0 {
		return nil, fmt.Errorf("clusters?format=json: no cluster statuses: not a running proxy's answer")
	}
	out := map[string]*endpoint.ClusterLoadAssignment{}
	for _, cs := range w.GetClusterStatuses() {
		la := &endpoint.ClusterLoadAssignment{ClusterName: cs.GetName()}
		var eps []*endpoint.LbEndpoint
		for _, h := range cs.GetHostStatuses() {
			if sa := h.GetAddress().GetSocketAddress(); sa != nil {
				eps = append(eps, &endpoint.LbEndpoint{HostIdentifier: &endpoint.LbEndpoint_Endpoint{Endpoint: &endpoint.Endpoint{
					Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: sa}}}}})
			}
		}
		if len(eps) > 0 {
			la.Endpoints = []*endpoint.LocalityLbEndpoints{{LbEndpoints: eps}}
		}
		out[cs.GetName()] = la
	}
	return out, nil
}

// edsUpstream is where an EDS cluster sends a request: its Service (the host
// of outbound|<port>|<subset>|<host>), not one pod's address, which no two
// tiers share, and the port of its endpoints (the Service port's
// targetPort); "" and 0 without endpoints.
func edsUpstream(cl *cluster.Cluster) (string, int) {
	_, port := firstEndpoint(cl)
	if port == 0 {
		return "", 0
	}
	return serviceHost(cl.GetName()), port
}

// serviceHost is the Service host of a cluster named outbound|<port>|<subset>|<host>.
func serviceHost(cluster string) string {
	parts := strings.Split(cluster, "|")
	return parts[len(parts)-1]
}
