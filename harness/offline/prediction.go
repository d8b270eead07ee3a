package offline

import (
	"fmt"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xdstest"

	"istio-egress-conformance/scenarios"
)

// Cluster names Envoy gives to traffic that matched no mesh route.
const (
	PassthroughCluster = "PassthroughCluster"
	BlackHoleCluster   = "BlackHoleCluster"
)

// RouteNone is the route kind of a request that matched nothing; the other
// kinds are the scenario contract's (passthrough, mesh, blackhole).
const RouteNone = "none"

// Prediction is what the generated Envoy config does with one check's request.
type Prediction struct {
	Check       string
	Listener    string
	FilterChain string
	RouteConfig string
	VirtualHost string
	// Route is passthrough, mesh, blackhole, or none when the request matched nothing.
	Route   string
	Cluster string
	// UpstreamHost and UpstreamPort come from the cluster's endpoints.
	UpstreamHost string
	UpstreamPort int
	// TLSMode is SIMPLE when the sidecar originates TLS, DISABLE when not.
	TLSMode string
	SNI     string
	// Timeout is the route timeout; zero means none (Envoy waits indefinitely).
	Timeout time.Duration
	Retries *PredictedRetries
	// Headers is what the matched HTTP listener does to the headers that say
	// who answered; nil for TCP traffic.
	Headers *ResponseHeaders
	// Error is the simulation's error, such as "no route matched".
	Error string
}

// PredictedRetries is the route's retry policy.
type PredictedRetries struct {
	Attempts      int
	PerTryTimeout time.Duration
	RetryOn       string
}

// predict simulates one check. Istio's simulation reports malformed config
// through a nil *testing.T here, which would panic: that becomes an error.
func predict(sim *simulation.Simulation, c scenarios.Check) (p Prediction, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("simulation could not read the generated config: %v", r)
		}
	}()
	in, err := call(c)
	if err != nil {
		return Prediction{}, err
	}
	res := sim.Run(in)
	p = Prediction{
		Check:       c.Name,
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
		p.Timeout = r.GetRoute().GetTimeout().AsDuration()
		if rp := r.GetRoute().GetRetryPolicy(); rp != nil {
			p.Retries = &PredictedRetries{
				Attempts:      int(rp.GetNumRetries().GetValue()),
				PerTryTimeout: rp.GetPerTryTimeout().AsDuration(),
				RetryOn:       rp.GetRetryOn(),
			}
		}
	}
	if cl := xdstest.ExtractCluster(res.ClusterMatched, sim.Clusters); cl != nil {
		p.UpstreamHost, p.UpstreamPort = firstEndpoint(cl)
		p.TLSMode, p.SNI, err = upstreamTLS(cl)
	}
	return p, err
}

func routeKind(clusterName string) string {
	switch clusterName {
	case "":
		return RouteNone
	case PassthroughCluster:
		return scenarios.RoutePassthrough
	case BlackHoleCluster:
		return scenarios.RouteBlackhole
	}
	return scenarios.RouteMesh
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

// upstreamTLS reports whether the cluster originates TLS and with which SNI.
func upstreamTLS(cl *cluster.Cluster) (mode, sni string, err error) {
	ctx, err := UpstreamTLSContext(cl)
	switch {
	case err != nil:
		return "", "", err
	case ctx == nil:
		return scenarios.TLSDisable, "", nil
	}
	return scenarios.TLSSimple, ctx.GetSni(), nil
}

// UpstreamTLSContext is the TLS the cluster originates towards its upstream:
// its transport socket, or its first TLS transport socket match; nil when it
// originates none.
func UpstreamTLSContext(cl *cluster.Cluster) (*tlsv3.UpstreamTlsContext, error) {
	ts := cl.GetTransportSocket()
	if ts == nil {
		// Istio puts auto-mTLS behind transport socket matches; an external
		// host has none, but read the first TLS match rather than guess.
		for _, m := range cl.GetTransportSocketMatches() {
			if isTLS(m.GetTransportSocket()) {
				ts = m.GetTransportSocket()
				break
			}
		}
	}
	if !isTLS(ts) {
		return nil, nil
	}
	ctx := &tlsv3.UpstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(ctx); err != nil {
		return nil, fmt.Errorf("cluster %s: unreadable UpstreamTlsContext: %v", cl.GetName(), err)
	}
	return ctx, nil
}

func isTLS(ts *core.TransportSocket) bool {
	return ts != nil && ts.GetName() == "envoy.transport_sockets.tls"
}

// String is a one-line account of the prediction.
func (p Prediction) String() string {
	s := fmt.Sprintf("listener %s -> route %s via cluster %s", p.Listener, p.Route, orNone(p.Cluster))
	if p.UpstreamHost != "" {
		s += fmt.Sprintf(", upstream %s:%d tls %s", p.UpstreamHost, p.UpstreamPort, p.TLSMode)
		if p.SNI != "" {
			s += " sni " + p.SNI
		}
	}
	if p.Route == scenarios.RouteMesh {
		s += ", timeout " + durationOrNone(p.Timeout)
	}
	if r := p.Retries; r != nil {
		s += fmt.Sprintf(", retries %d x %s on %s", r.Attempts, durationOrNone(r.PerTryTimeout), r.RetryOn)
	}
	if p.Headers != nil {
		s += ", " + p.Headers.String()
	}
	if p.Error != "" {
		s += " (" + p.Error + ")"
	}
	return s
}
