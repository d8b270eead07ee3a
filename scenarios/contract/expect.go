// Package contract holds the expectation half of the scenario file contract
// (v1alpha1): what a check asserts, and the values its fields take. It is
// plain data, apart from the fixture loading of package scenarios, so the
// result types, the report writers and the probes share it without Istio's
// validation in their builds.
package contract

import "time"

// Expect lists what a check asserts. Every field is optional; a zero value
// means "not asserted".
type Expect struct {
	// Status is the HTTP status the client sees.
	Status int `yaml:"status,omitempty" json:"status,omitempty"`
	// From says who answered: "envoy" (the sidecar), "gateway" (the egress
	// gateway, its answer relayed by the sidecar) or "upstream" (the host).
	From string `yaml:"from,omitempty" json:"from,omitempty"`
	// Route is "passthrough" (PassthroughCluster), "mesh" (a mesh route),
	// "blackhole" (BlackHoleCluster: the sidecar drops the connection),
	// "direct" (a route the sidecar answers itself: Envoy's direct_response,
	// such as REGISTRY_ONLY's block_all 502), "redirect" (a route the sidecar
	// answers with a redirect) or "notfound" (no route of the host's virtual
	// host matches: the sidecar answers 404 itself, Envoy's NR).
	Route string `yaml:"route,omitempty" json:"route,omitempty"`
	// Cluster is the route's cluster; on a weighted route, one of its
	// clusters with a non-zero weight (then upstream is that cluster's).
	Cluster string `yaml:"cluster,omitempty" json:"cluster,omitempty"`
	// Location is a redirect's Location header.
	Location string    `yaml:"location,omitempty" json:"location,omitempty"`
	Upstream *Upstream `yaml:"upstream,omitempty" json:"upstream,omitempty"`
	Timeout  *Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	Retries  *Retries  `yaml:"retries,omitempty" json:"retries,omitempty"`
	// ExitCode is curl's exit code. A non-zero one expects no HTTP response at
	// all (35: the TLS handshake was cut, as by the BlackHoleCluster); then
	// status and from must be absent.
	ExitCode *int `yaml:"exitCode,omitempty" json:"exitCode,omitempty"`
	// Gateway holds the same fields, judged for the request as the egress
	// gateway the scenario names receives it from the sidecar: its route,
	// cluster, upstream (TLS origination at the gateway), timeout and
	// retries. What the client sees (status, from, exitCode) stays above.
	Gateway *Expect `yaml:"gateway,omitempty" json:"gateway,omitempty"`
}

// WantsNoResponse reports an expectation that curl gets no HTTP answer: a
// non-zero exit code, or the blackhole route.
func (e Expect) WantsNoResponse() bool {
	return e.ExitCode != nil && *e.ExitCode != 0 || e.Route == RouteBlackhole
}

// Upstream is where the sidecar sends the request after routing.
type Upstream struct {
	Host string       `yaml:"host,omitempty" json:"host,omitempty"`
	Port int          `yaml:"port,omitempty" json:"port,omitempty"`
	TLS  *UpstreamTLS `yaml:"tls,omitempty" json:"tls,omitempty"`
}

// UpstreamTLS is the TLS the sidecar originates towards the upstream.
type UpstreamTLS struct {
	// Mode is SIMPLE (TLS origination), MUTUAL (with a client certificate),
	// ISTIO_MUTUAL (Istio's own mTLS) or DISABLE (plain text). An SNI alone
	// asks for origination in any mode.
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// SNI is what the sidecar sends: the DestinationRule's sni, or the
	// request's Host where Istio sets Envoy's auto_sni.
	SNI string `yaml:"sni,omitempty" json:"sni,omitempty"`
}

// Retries is the route's retry policy.
type Retries struct {
	Attempts      *int      `yaml:"attempts,omitempty" json:"attempts,omitempty"`
	PerTryTimeout *Duration `yaml:"perTryTimeout,omitempty" json:"perTryTimeout,omitempty"`
	RetryOn       string    `yaml:"retryOn,omitempty" json:"retryOn,omitempty"`
}

// Values of Expect.From, Expect.Route and UpstreamTLS.Mode.
const (
	FromEnvoy        = "envoy"
	FromGateway      = "gateway"
	FromUpstream     = "upstream"
	RoutePassthrough = "passthrough"
	RouteMesh        = "mesh"
	RouteBlackhole   = "blackhole"
	RouteDirect      = "direct"
	RouteRedirect    = "redirect"
	RouteNotFound    = "notfound"
	TLSSimple        = "SIMPLE"
	TLSMutual        = "MUTUAL"
	TLSIstioMutual   = "ISTIO_MUTUAL"
	TLSDisable       = "DISABLE"
)

// DefaultHostDelay is how long a check's host is assumed to take to answer
// when the check does not say (hostDelay): "within a second".
const DefaultHostDelay = time.Second
