package offline

import (
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"istio-egress-conformance/harness/judge"
	"istio-egress-conformance/harness/offline"
	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios"
	"istio-egress-conformance/scenarios/contract"
)

// evaluatorOverSimulation are the checks of the catalog where Envoy's router
// (harness/envoyroute) picks another cluster than Istio's simulation, which
// matches routes on the path only (pilot/pkg/simulation/traffic.go
// matchRoute), each with the Envoy rule that makes the router right.
var evaluatorOverSimulation = map[string]string{
	// RouteEntryImplBase::matchRoute checks the headers, :method among them:
	// HEAD does not match the GET route, and no route is left (Envoy's 404).
	"istio-ref-method-redirect/head-not-found": "config_impl.cc matchRoute: header matchers",
	// weighted_clusters (route_components.proto, WeightedCluster): every
	// cluster with a weight takes a share.
	"istio-task-traffic-shifting/shifted-to-v1": "route_components.proto WeightedCluster",
	"istio-task-traffic-shifting/shifted-to-v3": "route_components.proto WeightedCluster",
}

// TestEvaluatorAgreesWithIstiosSimulation compares, on every catalog check,
// the virtual host and cluster Istio's simulation matches with the ones
// Envoy's router (as harness/envoyroute follows it) picks. They differ only
// where evaluatorOverSimulation says why.
func TestEvaluatorAgreesWithIstiosSimulation(t *testing.T) {
	differing := map[string]bool{}
	for _, e := range scenarios.Builtin() {
		require.NoError(t, e.Err)
		s := e.Scenario
		sim, err := offline.Simulate(s)
		require.NoError(t, err)
		istio, err := judge.SimulationRoutes(sim, s.Checks)
		require.NoError(t, err)
		ours, err := judge.FromSimulation(sim, s.Checks)
		require.NoError(t, err)
		for k, c := range s.Checks {
			name := s.Name + "/" + c.Name
			assert.Equal(t, istio[k].VirtualHost, ours[k].VirtualHost, "%s: virtual host", name)
			if ours[k].Cluster != istio[k].Cluster {
				differing[name] = true
				_, explained := evaluatorOverSimulation[name]
				assert.True(t, explained, "%s: Envoy's router picks cluster %q, Istio's simulation %q, and nothing says why", name, ours[k].Cluster, istio[k].Cluster)
			}
		}
	}
	for name := range evaluatorOverSimulation {
		assert.True(t, differing[name], "%s: listed as differing, but agrees", name)
	}
}

// TestRoutePredictionsFollowEnvoy are the catalog's new shapes as Envoy
// acts on them; each fails when its rule in harness/envoyroute is reverted.
func TestRoutePredictionsFollowEnvoy(t *testing.T) {
	predict := func(id string) map[string]results.Prediction {
		s, err := scenarios.BuiltinNamed(id)
		require.NoError(t, err)
		ps, err := offline.Predict(s)
		require.NoError(t, err)
		out := map[string]results.Prediction{}
		for k, c := range s.Checks {
			out[c.Name] = ps[k]
		}
		return out
	}
	fault := predict("istio-task-fault-injection-abort")
	assert.Equal(t, &results.PredictedFault{AbortStatus: 500, AbortPercent: 100}, fault["jason-aborted"].Fault, "the header match takes jason's request to the fault's route")
	assert.Nil(t, fault["others-reach-the-host"].Fault, "another user's request goes to the second route")

	timeouts := predict("istio-task-request-timeouts")
	assert.Equal(t, "3s", timeouts["delay-times-out"].Timeout.String())
	assert.Equal(t, "10s", timeouts["headers-own-timeout"].Timeout.String(), "the second unnamed route, not the first")

	shift := predict("istio-task-traffic-shifting")["shifted-to-v1"]
	assert.Equal(t, []string{"outbound|80|v1|httpbin.org 50/100", "outbound|80|v3|httpbin.org 50/100"}, []string{shift.Weighted[0].String(), shift.Weighted[1].String()})
	assert.Equal(t, "httpbin.org", shift.Weighted[1].UpstreamHost)

	ref := predict("istio-ref-method-redirect")
	assert.Equal(t, [3]any{contract.RouteRedirect, 302, "http://httpbin.org/new?x=1"}, [3]any{ref["old-redirected"].Route, ref["old-redirected"].DirectStatus, ref["old-redirected"].Location})
	assert.Equal(t, [2]any{contract.RouteNotFound, 404}, [2]any{ref["head-not-found"].Route, ref["head-not-found"].DirectStatus}, "HEAD is not GET")
	assert.Equal(t, contract.RouteMesh, ref["get-reaches-the-host"].Route)
}

// TestEDSClustersHaveTheirEndpoints: the sidecar's route to an egress
// gateway is an EDS cluster; its upstream is the gateway's Service and the
// port its endpoints listen on (the EndpointSlice of the gateway's pod), not
// port 0. Without its endpoints the prediction has none.
func TestEDSClustersHaveTheirEndpoints(t *testing.T) {
	s, err := scenarios.BuiltinNamed("tetrate-egress-gateway")
	require.NoError(t, err)
	ps, err := offline.Predict(s)
	require.NoError(t, err)
	p := ps[1]
	assert.Equal(t, "outbound|80|tetrate|istio-egressgateway.istio-system.svc.cluster.local", p.Cluster)
	assert.Equal(t, [2]any{"istio-egressgateway.istio-system.svc.cluster.local", 80}, [2]any{p.UpstreamHost, p.UpstreamPort})

	sim, err := offline.Simulate(s)
	require.NoError(t, err)
	gateway := []string{"istio-egressgateway.istio-system.svc.cluster.local"}
	withoutEndpoints := judge.WithEndpoints(sim, map[string]*endpoint.ClusterLoadAssignment{p.Cluster: {ClusterName: p.Cluster}}, gateway)
	got, err := judge.FromSimulation(withoutEndpoints, s.Checks)
	require.NoError(t, err)
	assert.Equal(t, [2]any{"", 0}, [2]any{got[1].UpstreamHost, got[1].UpstreamPort})

	// A cluster's endpoints count only for the Services every tier knows the
	// endpoints of (facts.EndpointHosts): a live cluster has more.
	onPort := func(port uint32) map[string]*endpoint.ClusterLoadAssignment {
		return map[string]*endpoint.ClusterLoadAssignment{p.Cluster: {ClusterName: p.Cluster, Endpoints: []*endpoint.LocalityLbEndpoints{{LbEndpoints: []*endpoint.LbEndpoint{{
			HostIdentifier: &endpoint.LbEndpoint_Endpoint{Endpoint: &endpoint.Endpoint{Address: &core.Address{Address: &core.Address_SocketAddress{
				SocketAddress: &core.SocketAddress{Address: "10.244.1.9", PortSpecifier: &core.SocketAddress_PortValue{PortValue: port}}}}}}}}}}}}
	}
	got, err = judge.FromSimulation(judge.WithEndpoints(withoutEndpoints, onPort(8080), gateway), s.Checks)
	require.NoError(t, err)
	assert.Equal(t, 8080, got[1].UpstreamPort)
	got, err = judge.FromSimulation(judge.WithEndpoints(withoutEndpoints, onPort(8080), nil), s.Checks)
	require.NoError(t, err)
	assert.Equal(t, [2]any{"", 0}, [2]any{got[1].UpstreamHost, got[1].UpstreamPort}, "a Service not every tier knows the endpoints of keeps none")
}

// TestHostRewriteIsTheAutoSNI: under auto_sni (a DestinationRule with no sni:
// Istio's cluster_tls.go setAutoSniAndAutoSanValidation), the SNI is the Host
// the route sends upstream, a rewrite (VirtualService rewrite.authority:
// host_rewrite_literal) included (router.cc decodeHeaders,
// getRequestHostValue). The egress TLS origination task's own config, with
// its route rewriting the Host.
func TestHostRewriteIsTheAutoSNI(t *testing.T) {
	s, err := scenarios.BuiltinNamed("istio-doc-egress-tls-origination")
	require.NoError(t, err)
	sim, err := offline.Simulate(s)
	require.NoError(t, err)
	before, err := judge.FromSimulation(sim, s.Checks)
	require.NoError(t, err)
	require.True(t, before[0].AutoSNI)
	require.Equal(t, "edition.cnn.com", before[0].SNI)
	for _, rc := range sim.Routes {
		for _, vh := range rc.GetVirtualHosts() {
			for _, r := range vh.GetRoutes() {
				if a := r.GetRoute(); a != nil && a.GetCluster() == before[0].Cluster {
					a.HostRewriteSpecifier = &route.RouteAction_HostRewriteLiteral{HostRewriteLiteral: "www.cnn.com"}
				}
			}
		}
	}
	after, err := judge.FromSimulation(sim, s.Checks)
	require.NoError(t, err)
	assert.Equal(t, "www.cnn.com", after[0].SNI)
}
