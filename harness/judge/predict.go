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

	"istio-egress-conformance/harness/envoyroute"
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
	p, err := predictCall(sim, in, httpRequest(c, in))
	p.Check = c.Name
	return p, err
}

// predictCall follows one connection through a proxy's config: Istio's
// simulation picks the listener and filter chain (where it is faithful), and
// for HTTP the route configuration; Envoy's router is followed from there
// (routeHTTP). Istio's simulation reports malformed config through a nil
// *testing.T here, which would panic: that becomes an error.
func predictCall(sim *simulation.Simulation, in simulation.Call, req envoyroute.Request) (p results.Prediction, err error) {
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
	host := in.HostHeader
	var matched *route.Route
	if rc := xdstest.ExtractRouteConfigurations(sim.Routes)[res.RouteConfigMatched]; rc != nil {
		out, err := routeHTTP(rc, req, &p)
		if err != nil {
			return p, err
		}
		matched = out.Route
		if rewrite := out.HostRewrite; rewrite != "" {
			// auto_sni takes the Host the route sends upstream, a rewrite
			// included (source/common/router/router.cc, decodeHeaders:
			// route_entry_->getRequestHostValue; the runtime guard
			// use_route_host_mutation_for_auto_sni_san, on by default, is
			// gone from Envoy's compatibility controls).
			host = rewrite
		}
	}
	p.Sources = configSources(sim, res, matched, p.Cluster)
	u, err := upstreamOf(sim, p.Cluster, host)
	if err != nil {
		return p, err
	}
	p.UpstreamHost, p.UpstreamPort, p.TLSMode, p.SNI, p.AutoSNI, p.AutoSANValidation = u.host, u.port, u.tls.mode, u.tls.sni, u.tls.autoSNI, u.tls.autoSAN
	for i, w := range p.Weighted {
		if u, err = upstreamOf(sim, w.Cluster, host); err != nil {
			return p, err
		}
		p.Weighted[i].UpstreamHost, p.Weighted[i].UpstreamPort, p.Weighted[i].TLSMode, p.Weighted[i].SNI = u.host, u.port, u.tls.mode, u.tls.sni
	}
	return p, nil
}

// upstream is where a cluster sends a request, and the TLS it originates.
type upstream struct {
	host string
	port int
	tls  upstreamTLSPrediction
}

// upstreamOf is the upstream of a cluster of the proxy for a request with
// that Host: empty for a cluster the proxy lacks.
func upstreamOf(sim *simulation.Simulation, name, hostHeader string) (upstream, error) {
	cl := xdstest.ExtractCluster(name, sim.Clusters)
	if cl == nil {
		return upstream{}, nil
	}
	var u upstream
	u.host, u.port = firstEndpoint(cl)
	if cl.GetType() == cluster.Cluster_EDS {
		u.host, u.port = edsUpstream(cl)
	}
	var err error
	u.tls, err = upstreamTLS(cl, sniFromHost(hostHeader))
	return u, err
}

// routeHTTP follows the request through the route configuration as Envoy's
// router does (harness/envoyroute), over what Istio's simulation matched,
// which looks at the path only and finds a route by its name, empty for
// every unnamed route (pilot/pkg/simulation/traffic.go, matchRoute: "TODO
// this only handles path"; route.go translateRoute: routeName := in.Name).
// It returns the router's outcome: the matched route, and the Host the
// route rewrites the request's to, if it does.
func routeHTTP(rc *route.RouteConfiguration, req envoyroute.Request, p *results.Prediction) (envoyroute.Outcome, error) {
	out, err := envoyroute.Evaluate(rc, req)
	if err != nil {
		return out, err
	}
	p.VirtualHost, p.Error, p.Cluster, p.Timeout, p.Retries = out.VirtualHost, "", "", 0, nil
	switch out.Action {
	case envoyroute.ActionNoRoute:
		p.Route, p.DirectStatus = contract.RouteNotFound, envoyroute.NoRouteStatus
	case envoyroute.ActionDirect:
		// Answered by the sidecar itself, with no cluster: REGISTRY_ONLY's
		// block_all virtual host is one, a 502 for a host no registry knows
		// (Istio pilot/pkg/networking/core/httproute.go, buildCatchAllVirtualHost;
		// sidecar_simulation_test.go TestPassthroughTraffic).
		p.Route, p.DirectStatus = contract.RouteDirect, out.DirectStatus
	case envoyroute.ActionRedirect:
		p.Route, p.DirectStatus, p.Location = contract.RouteRedirect, out.RedirectStatus, out.Location
	case envoyroute.ActionCluster:
		p.Cluster = heaviest(out.Clusters)
		p.Route = routeKind(p.Cluster)
		if len(out.Clusters) > 1 {
			for _, c := range out.Clusters {
				p.Weighted = append(p.Weighted, results.WeightedCluster{Cluster: c.Name, Weight: c.Weight, Total: c.Total})
			}
		}
	}
	if f := out.Fault; f != nil {
		p.Fault = &results.PredictedFault{AbortStatus: f.AbortStatus, AbortPercent: f.AbortPercent, Delay: f.Delay, DelayPercent: f.DelayPercent}
	}
	if a := out.Route.GetRoute(); a != nil {
		p.Timeout = a.GetTimeout().AsDuration()
		if rp := a.GetRetryPolicy(); rp != nil {
			p.Retries = &results.PredictedRetries{
				Attempts:      int(rp.GetNumRetries().GetValue()),
				PerTryTimeout: rp.GetPerTryTimeout().AsDuration(),
				RetryOn:       rp.GetRetryOn(),
			}
		}
	}
	return out, nil
}

// heaviest is the cluster with the largest share of the requests, the first
// of those on a tie.
func heaviest(clusters []envoyroute.WeightedCluster) string {
	best := envoyroute.WeightedCluster{}
	for _, c := range clusters {
		if best.Name == "" || c.Weight > best.Weight {
			best = c
		}
	}
	return best.Name
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
