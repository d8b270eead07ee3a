// Package judge is where an expectation is judged against a proxy's config:
// it reads Envoy config (xDS) into one prediction per check with Istio's own
// traffic simulation (listener -> route -> cluster), and verifies every
// expectation of the scenario contract against it. The offline tier (Istio's
// translation in-process) and the control-plane tier (a real istiod's xDS)
// share it, so both give one verdict for one config.
package judge

import (
	"fmt"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xdstest"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios"
	"istio-egress-conformance/scenarios/contract"
)

// FromSimulation predicts every check, in order, from a proxy's config: the
// one Istio's translation generates in-process (the offline tier), or one a
// real istiod served (the control-plane tier). Every tier judges the
// predictions with Verify.
func FromSimulation(sim *simulation.Simulation, checks []scenarios.Check) ([]results.Prediction, error) {
	var predictions []results.Prediction
	for _, c := range checks {
		p, err := predict(sim, c)
		if err != nil {
			return nil, fmt.Errorf("check %s: %v", c.Name, err)
		}
		predictions = append(predictions, p)
	}
	return predictions, nil
}

// predict simulates one check's request at the client's sidecar.
func predict(sim *simulation.Simulation, c scenarios.Check) (results.Prediction, error) {
	in, err := call(c)
	if err != nil {
		return results.Prediction{}, err
	}
	p, err := predictCall(sim, in)
	p.Check = c.Name
	return p, err
}

// predictCall simulates one connection through a proxy's config. Istio's
// simulation reports malformed config through a nil *testing.T here, which
// would panic: that becomes an error.
func predictCall(sim *simulation.Simulation, in simulation.Call) (p results.Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("simulation could not read the generated config: %v", r)
		}
	}()
	res := sim.Run(in)
	p = results.Prediction{
		Listener:    res.ListenerMatched,
		FilterChain: res.FilterChainMatched,
		RouteConfig: res.RouteConfigMatched,
		VirtualHost: res.VirtualHostMatched,
		Cluster:     res.ClusterMatched,
		Route:       routeKind(res.ClusterMatched),
	}
	if res.Error != nil {
		p.Error = res.Error.Error()
	}
	p.Headers = responseHeaders(sim, res)
	if r := matchedRoute(sim, res); r != nil {
		if dr := r.GetDirectResponse(); dr != nil {
			// Answered by the sidecar itself, with no cluster: REGISTRY_ONLY's
			// block_all virtual host is one, a 502 for a host no registry knows
			// (Istio pilot/pkg/networking/core/httproute.go, buildCatchAllVirtualHost;
			// sidecar_simulation_test.go TestPassthroughTraffic; Istio's
			// simulation leaves ClusterMatched empty for it, pilot/pkg/simulation/traffic.go Run).
			p.Route, p.DirectStatus = contract.RouteDirect, int(dr.GetStatus())
		}
		p.Timeout = r.GetRoute().GetTimeout().AsDuration()
		if rp := r.GetRoute().GetRetryPolicy(); rp != nil {
			p.Retries = &results.PredictedRetries{
				Attempts:      int(rp.GetNumRetries().GetValue()),
				PerTryTimeout: rp.GetPerTryTimeout().AsDuration(),
				RetryOn:       rp.GetRetryOn(),
			}
		}
	}
	if cl := xdstest.ExtractCluster(res.ClusterMatched, sim.Clusters); cl != nil {
		p.UpstreamHost, p.UpstreamPort = firstEndpoint(cl)
		tls, err := upstreamTLS(cl, sniFromHost(in.HostHeader))
		if err != nil {
			return p, err
		}
		p.TLSMode, p.SNI, p.AutoSNI, p.AutoSANValidation = tls.mode, tls.sni, tls.autoSNI, tls.autoSAN
	}
	return p, nil
}

func routeKind(clusterName string) string {
	switch clusterName {
	case "":
		return results.RouteNone
	case results.PassthroughCluster:
		return contract.RoutePassthrough
	case results.BlackHoleCluster:
		return contract.RouteBlackhole
	}
	return contract.RouteMesh
}

// matchedRoute finds the HTTP route the simulation matched, nil for TCP traffic.
func matchedRoute(sim *simulation.Simulation, res simulation.Result) *route.Route {
	rc := xdstest.ExtractRouteConfigurations(sim.Routes)[res.RouteConfigMatched]
	for _, vh := range rc.GetVirtualHosts() {
		if vh.GetName() != res.VirtualHostMatched {
			continue
		}
		for _, r := range vh.GetRoutes() {
			if r.GetName() == res.RouteMatched {
				return r
			}
		}
	}
	return nil
}

// firstEndpoint returns where the cluster sends traffic: its first endpoint's
// address and port (for a DNS cluster, the hostname Envoy resolves).
func firstEndpoint(cl *cluster.Cluster) (string, int) {
	for _, locality := range cl.GetLoadAssignment().GetEndpoints() {
		for _, ep := range locality.GetLbEndpoints() {
			sa := ep.GetEndpoint().GetAddress().GetSocketAddress()
			if sa != nil {
				return sa.GetAddress(), int(sa.GetPortValue())
			}
		}
	}
	return "", 0
}
