package judge

import (
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xdstest"

	"istio-egress-conformance/harness/results"
)

// envoyDefaultServerName is what Envoy writes into the Server header when the
// connection manager names no server (Envoy source/common/http/default_server_string.h).
const envoyDefaultServerName = "envoy"

// Names of the Envoy filters whose settings decide who a response seems to come from.
const (
	hcmFilterName    = "envoy.filters.network.http_connection_manager"
	routerFilterName = "envoy.filters.http.router"
)

// responseHeaders reads the connection manager of the filter chain the
// simulation matched; nil when the request went through no HTTP connection
// manager (TCP passthrough, blackhole).
func responseHeaders(sim *simulation.Simulation, res simulation.Result) *results.ResponseHeaders {
	m := matchedHCM(sim, res)
	if m == nil {
		return nil
	}
	h := &results.ResponseHeaders{
		ServerTransformation: m.GetServerHeaderTransformation().String(),
		ServerName:           m.GetServerName(),
		UpstreamServiceTime:  true, // Envoy's router default
	}
	if h.ServerName == "" {
		h.ServerName = envoyDefaultServerName
	}
	for _, f := range m.GetHttpFilters() {
		if f.GetName() != routerFilterName {
			continue
		}
		if r := xdstest.SilentlyUnmarshalAny[routerv3.Router](f.GetTypedConfig()); r != nil {
			h.UpstreamServiceTime = !r.GetSuppressEnvoyHeaders()
		}
	}
	return h
}

// matchedHCM finds the connection manager of the matched filter chain. Chain
// names need not be unique, so the one that serves the matched route config wins.
func matchedHCM(sim *simulation.Simulation, res simulation.Result) *hcm.HttpConnectionManager {
	l := xdstest.ExtractListener(res.ListenerMatched, sim.Listeners)
	if l == nil || res.RouteConfigMatched == "" {
		return nil
	}
	chains := append([]*listener.FilterChain{}, l.GetFilterChains()...)
	if l.GetDefaultFilterChain() != nil {
		chains = append(chains, l.GetDefaultFilterChain())
	}
	var first *hcm.HttpConnectionManager
	for _, fc := range chains {
		if fc.GetName() != res.FilterChainMatched {
			continue
		}
		for _, f := range fc.GetFilters() {
			if f.GetName() != hcmFilterName {
				continue
			}
			m := xdstest.SilentlyUnmarshalAny[hcm.HttpConnectionManager](f.GetTypedConfig())
			if m == nil {
				continue
			}
			if m.GetRds().GetRouteConfigName() == res.RouteConfigMatched || m.GetRouteConfig().GetName() == res.RouteConfigMatched {
				return m
			}
			if first == nil {
				first = m
			}
		}
	}
	return first
}
