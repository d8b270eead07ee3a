package judge

import (
	"istio.io/istio/pilot/pkg/simulation"

	"istio-egress-conformance/scenarios"
)

// SimulationRoute is what Istio's own simulation, alone, says a check's
// request matches: the virtual host and the cluster (empty for a route it
// cannot follow, or a direct response). It stops at the path
// (pilot/pkg/simulation/traffic.go matchRoute: "TODO this only handles
// path") and is compared with Envoy's router (harness/envoyroute) on the
// catalog.
type SimulationRoute struct {
	VirtualHost, Cluster, Error string
}

// SimulationRoutes are Istio's simulation's account of each check, in order.
func SimulationRoutes(sim *simulation.Simulation, checks []scenarios.Check) ([]SimulationRoute, error) {
	var out []SimulationRoute
	for _, c := range checks {
		in, err := call(c)
		if err != nil {
			return nil, err
		}
		res := sim.Run(in)
		r := SimulationRoute{VirtualHost: res.VirtualHostMatched, Cluster: res.ClusterMatched}
		if res.Error != nil {
			r.Error = res.Error.Error()
		}
		out = append(out, r)
	}
	return out, nil
}
