package judge

import (
	"fmt"
	"strconv"
	"strings"

	"istio.io/istio/pilot/pkg/simulation"

	"istio-egress-conformance/harness/results"
	"istio-egress-conformance/scenarios"
	"istio-egress-conformance/scenarios/contract"
)

// gatewayAddress stands for the egress gateway pod's address: a gateway has
// no iptables, its listeners bind 0.0.0.0 on the Gateway's ports.
const gatewayAddress = "10.244.0.100"

// GatewayHops predicts, for every check whose request the client's sidecar
// sends to the egress gateway (a cluster outbound|<port>|<subset>|<gatewayHost>),
// the gateway's own hop, from the gateway proxy's config (gw), into
// predictions[i].Gateway. The request is the one the gateway receives: on
// the port the sidecar sends to (the gateway chart's Service maps each port
// to the same target port: manifests/charts/gateway/values.yaml
// service.ports), with the client's Host and, for TLS the client started, its
// SNI; in Istio's mTLS when the sidecar originates ISTIO_MUTUAL to it. A
// request that reaches no gateway keeps a nil Gateway.
func GatewayHops(gw *simulation.Simulation, gatewayHost string, checks []scenarios.Check, predictions []results.Prediction) error {
	for i, c := range checks {
		in, ok, err := gatewayCall(c, predictions[i], gatewayHost)
		if err != nil {
			return fmt.Errorf("check %s: %v", c.Name, err)
		}
		if !ok {
			continue
		}
		// The gateway's router sees the client's request: its method, Host,
		// path and headers.
		hop, err := predictCall(gw, in, httpRequest(c, in))
		if err != nil {
			return fmt.Errorf("check %s at the egress gateway: %v", c.Name, err)
		}
		hop.Check = c.Name
		predictions[i].Gateway = &hop
	}
	return nil
}

// gatewayCall is the connection the gateway receives for the check, or false
// when the sidecar does not send the request to the gateway.
func gatewayCall(c scenarios.Check, p results.Prediction, gatewayHost string) (simulation.Call, bool, error) {
	parts := strings.Split(p.Cluster, "|")
	// A route to a cluster the sidecar does not have (a subset no visible
	// DestinationRule defines, a port the Service lacks) ends at the sidecar,
	// which answers 503 itself: the prediction then carries no TLS mode.
	if p.Route != contract.RouteMesh || len(parts) != 4 || parts[3] != gatewayHost || p.TLSMode == "" {
		return simulation.Call{}, false, nil
	}
	port, err := strconv.Atoi(parts[1])
	if err != nil {
		return simulation.Call{}, false, fmt.Errorf("cluster %s: port %q is not a number", p.Cluster, parts[1])
	}
	in, err := call(c)
	if err != nil {
		return simulation.Call{}, false, err
	}
	in.Address, in.Port, in.CallMode = gatewayAddress, port, simulation.CallModeGateway
	// The gateway matches a TLS connection's filter chain by its SNI (the
	// Server's hosts); Istio's simulation fills in the SNI of plain TLS only.
	switch p.TLSMode {
	case contract.TLSIstioMutual:
		in.TLS, in.Sni = simulation.MTLS, p.SNI
	case contract.TLSSimple, contract.TLSMutual:
		in.TLS, in.Sni = simulation.TLS, p.SNI
	}
	return in, true, nil
}
