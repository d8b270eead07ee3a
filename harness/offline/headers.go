package offline

import (
	"fmt"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xdstest"
)

// envoyDefaultServerName is what Envoy writes into the Server header when the
// connection manager names no server (Envoy source/common/http/default_server_string.h).
const envoyDefaultServerName = "envoy"

// Names of the Envoy filters whose settings decide who a response seems to come from.
const (
	hcmFilterName    = "envoy.filters.network.http_connection_manager"
	routerFilterName = "envoy.filters.http.router"
)

// ResponseHeaders is what the matched HTTP listener does to the headers that
// tell the client who answered, read from the generated config: the live
// tier judges `from` by them.
type ResponseHeaders struct {
	// ServerTransformation is the connection manager's server_header_transformation:
	// OVERWRITE (every response says ServerName), APPEND_IF_ABSENT or PASS_THROUGH.
	ServerTransformation string `json:"serverTransformation" yaml:"serverTransformation"`
	// ServerName is the name Envoy writes: the connection manager's, or Envoy's default "envoy".
	ServerName string `json:"serverName" yaml:"serverName"`
	// UpstreamServiceTime says whether the router adds x-envoy-upstream-service-time
	// to answers from an upstream (suppress_envoy_headers off).
	UpstreamServiceTime bool `json:"upstreamServiceTime" yaml:"upstreamServiceTime"`
}

// String is a one-line account, such as "server OVERWRITE envoy, x-envoy-upstream-service-time on upstream answers".
func (h ResponseHeaders) String() string {
	s := fmt.Sprintf("server %s %s", h.ServerTransformation, h.ServerName)
	if h.UpstreamServiceTime {
		return s + ", x-envoy-upstream-service-time on upstream answers"
	}
	return s + ", no x-envoy-upstream-service-time (suppress_envoy_headers)"
}

// responseHeaders reads the connection manager of the filter chain the
// simulation matched; nil when the request went through no HTTP connection
// manager (TCP passthrough, blackhole).
func responseHeaders(sim *simulation.Simulation, res simulation.Result) *ResponseHeaders {
	m := matchedHCM(sim, res)
	if m == nil {
		return nil
	}
	h := &ResponseHeaders{
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
