package results

import (
	"fmt"
	"strings"
	"time"

	"istio-egress-conformance/scenarios/contract"
)

// Cluster names Envoy gives to traffic that matched no mesh route.
const (
	PassthroughCluster = "PassthroughCluster"
	BlackHoleCluster   = "BlackHoleCluster"
)

// RouteNone is the route kind of a request that matched nothing; the other
// kinds are the scenario contract's (passthrough, mesh, blackhole).
const RouteNone = "none"

// Prediction is what a proxy's Envoy config does with one check's request.
type Prediction struct {
	Check       string
	Listener    string
	FilterChain string
	RouteConfig string
	VirtualHost string
	// Route is passthrough, mesh, blackhole, direct, redirect, notfound, or
	// none when the request matched nothing.
	Route string
	// DirectStatus is the status the sidecar answers with itself on a
	// direct, redirect or notfound route; Location is a redirect's.
	DirectStatus int
	Location     string
	// Cluster is the route's cluster; on a weighted route, the one with the
	// largest share, every one in Weighted.
	Cluster  string
	Weighted []WeightedCluster
	// Fault is the route's fault injection; nil without one.
	Fault *PredictedFault
	// UpstreamHost and UpstreamPort come from the cluster's endpoints.
	UpstreamHost string
	UpstreamPort int
	// TLSMode is SIMPLE, MUTUAL or ISTIO_MUTUAL when the sidecar originates
	// TLS (with no client certificate, another one, or Istio's own), DISABLE when not.
	TLSMode string
	// SNI is what the sidecar sends: the cluster's static sni, or, with
	// AutoSNI, the request's Host.
	SNI string
	// AutoSNI and AutoSANValidation are Envoy's auto_sni and
	// auto_san_validation on the cluster: the SNI, and the name the server
	// certificate must carry, come from the request's Host.
	AutoSNI           bool
	AutoSANValidation bool
	// Timeout is the route timeout; zero means none (Envoy waits indefinitely).
	Timeout time.Duration
	Retries *PredictedRetries
	// Headers is what the matched HTTP listener does to the headers that say
	// who answered; nil for TCP traffic.
	Headers *ResponseHeaders
	// Error is the simulation's error, such as "no route matched".
	Error string
	// Gateway is the egress gateway's hop when the sidecar sends the request
	// to the scenario's egress gateway: the request as the gateway receives
	// it, through the gateway's own config. Nil otherwise.
	Gateway *Prediction
	// Sources are the objects the proxy's config names as the source of the
	// matched filter chain, route and cluster, in that order, each once.
	Sources []ConfigRef
}

// ConfigRef names an object a proxy's config came from: an Istio config
// (Kind VirtualService, DestinationRule ...), or the service a cluster sends
// to (Kind Service: Host is its host name, Name the ServiceEntry's host or
// the Kubernetes Service's name).
type ConfigRef struct {
	Kind, Namespace, Name, Host string
	// Route is the name of the Envoy route the reference came with, for a
	// route's config.
	Route string
}

// ParseConfigPath reads the path Istio writes into a route's, filter
// chain's or cluster's metadata ("istio" "config":
// /apis/<group>/<version>/namespaces/<namespace>/<kebab-kind>/<name>,
// pilot/pkg/networking/util/util.go AddConfigInfoMetadata, whose kebab kind
// is gvk.KebabKind: the kind's words in lower case, joined by dashes).
func ParseConfigPath(path string) (ConfigRef, bool) {
	parts := strings.Split(path, "/")
	if len(parts) != 8 || parts[0] != "" || parts[1] != "apis" || parts[4] != "namespaces" || parts[5] == "" || parts[6] == "" || parts[7] == "" {
		return ConfigRef{}, false
	}
	var kind strings.Builder
	for _, word := range strings.Split(parts[6], "-") {
		if word != "" {
			kind.WriteString(strings.ToUpper(word[:1]) + word[1:])
		}
	}
	if kind.Len() == 0 {
		return ConfigRef{}, false
	}
	return ConfigRef{Kind: kind.String(), Namespace: parts[5], Name: parts[7]}, true
}

// String is "Kind namespace/name", or "service host (namespace)".
func (r ConfigRef) String() string {
	if r.Kind == "Service" {
		return fmt.Sprintf("service %s (%s)", r.Host, r.Namespace)
	}
	return fmt.Sprintf("%s %s/%s", r.Kind, r.Namespace, r.Name)
}

// WeightedCluster is one cluster of a weighted route: its share of the
// requests (Weight of Total), and where it sends them.
type WeightedCluster struct {
	Cluster       string
	Weight, Total uint32
	UpstreamHost  string
	UpstreamPort  int
	TLSMode, SNI  string
}

// String is "cluster weight/total".
func (w WeightedCluster) String() string {
	return fmt.Sprintf("%s %d/%d", w.Cluster, w.Weight, w.Total)
}

// PredictedFault is the route's fault injection: the share of requests the
// sidecar aborts with AbortStatus, and the share it delays by Delay.
type PredictedFault struct {
	AbortStatus  int
	AbortPercent float64
	Delay        time.Duration
	DelayPercent float64
}

// String is a one-line account, such as "abort 500 on 100% of requests".
func (f *PredictedFault) String() string {
	if f == nil {
		return "none"
	}
	var parts []string
	if f.AbortStatus != 0 {
		parts = append(parts, fmt.Sprintf("abort %d on %g%% of requests", f.AbortStatus, f.AbortPercent))
	}
	if f.Delay != 0 {
		parts = append(parts, fmt.Sprintf("delay %s on %g%% of requests", f.Delay, f.DelayPercent))
	}
	return strings.Join(parts, ", ")
}

// PredictedRetries is the route's retry policy.
type PredictedRetries struct {
	Attempts      int
	PerTryTimeout time.Duration
	RetryOn       string
}

// String is a one-line account of the prediction.
func (p Prediction) String() string {
	s := fmt.Sprintf("listener %s -> route %s via cluster %s", p.Listener, p.Route, OrNone(p.Cluster))
	if p.UpstreamHost != "" {
		s += fmt.Sprintf(", upstream %s:%d tls %s", p.UpstreamHost, p.UpstreamPort, p.TLSMode)
		if p.SNI != "" {
			s += " sni " + p.SNI
		}
		if p.AutoSNI {
			s += " (auto_sni: the Host)"
		}
	}
	switch p.Route {
	case contract.RouteDirect, contract.RouteNotFound:
		s += fmt.Sprintf(", answered by the sidecar with %d", p.DirectStatus)
	case contract.RouteRedirect:
		s += fmt.Sprintf(", answered by the sidecar with %d to %s", p.DirectStatus, p.Location)
	}
	if len(p.Weighted) > 0 {
		s += fmt.Sprintf(", weighted %v", p.Weighted)
	}
	if p.Fault != nil {
		s += ", fault " + p.Fault.String()
	}
	if p.Route == contract.RouteMesh {
		s += ", timeout " + DurationOrNone(p.Timeout)
	}
	if r := p.Retries; r != nil {
		s += fmt.Sprintf(", retries %d x %s on %s", r.Attempts, DurationOrNone(r.PerTryTimeout), r.RetryOn)
	}
	if p.Headers != nil {
		s += ", " + p.Headers.String()
	}
	if p.Error != "" {
		s += " (" + p.Error + ")"
	}
	if p.Gateway != nil {
		s += "; then at the egress gateway: " + p.Gateway.String()
	}
	return s
}

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

// OrNone is s, or "none" when it is empty.
func OrNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// DurationOrNone is d, or "none" when it is zero (no timeout).
func DurationOrNone(d time.Duration) string {
	if d == 0 {
		return "none"
	}
	return d.String()
}
