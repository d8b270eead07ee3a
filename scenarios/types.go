// Package scenarios holds the built-in scenario catalog (YAML, v1alpha1) and
// its strict loader. Both engines, offline and live, read the same scenarios.
package scenarios

import (
	"istio-egress-conformance/harness/fixture"
)

// Scenario is one scenario file: fixtures applied for a client namespace and
// the checks made from that client.
type Scenario struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Labels      map[string]string `yaml:"labels"`
	Fixtures    []string          `yaml:"fixtures"`
	Client      Client            `yaml:"client"`
	Checks      []Check           `yaml:"checks"`

	// File is where the scenario was read from, for messages.
	File string `yaml:"-"`
	// Resolved holds the decoded fixture files, in the order of Fixtures.
	Resolved []fixture.File `yaml:"-"`
}

// Objects are the fixtures' objects, in the order they are applied.
func (s Scenario) Objects() []fixture.Object {
	var objs []fixture.Object
	for _, f := range s.Resolved {
		objs = append(objs, f.Objects...)
	}
	return objs
}

// Client is the sidecar-injected pod that sends the checks' requests.
type Client struct {
	Namespace string `yaml:"namespace"`
}

// Check is one request and what it must meet.
type Check struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Method is HEAD (curl -I, the default) or GET.
	Method string `yaml:"method"`
	Expect Expect `yaml:"expect"`
}

// Expect lists what a check asserts. Every field is optional; a zero value
// means "not asserted".
type Expect struct {
	// Status is the HTTP status the client sees.
	Status int `yaml:"status" json:"status,omitempty"`
	// From says who answered: "envoy" (the sidecar) or "upstream" (the host).
	From string `yaml:"from" json:"from,omitempty"`
	// Route is "passthrough" (PassthroughCluster), "mesh" (a mesh route) or
	// "blackhole" (BlackHoleCluster: the sidecar drops the connection).
	Route    string    `yaml:"route" json:"route,omitempty"`
	Cluster  string    `yaml:"cluster" json:"cluster,omitempty"`
	Upstream *Upstream `yaml:"upstream" json:"upstream,omitempty"`
	Timeout  *Duration `yaml:"timeout" json:"timeout,omitempty"`
	Retries  *Retries  `yaml:"retries" json:"retries,omitempty"`
	// ExitCode is curl's exit code. A non-zero one expects no HTTP response at
	// all (35: the TLS handshake was cut, as by the BlackHoleCluster); then
	// status and from must be absent.
	ExitCode *int `yaml:"exitCode" json:"exitCode,omitempty"`
}

// WantsNoResponse reports an expectation that curl gets no HTTP answer: a
// non-zero exit code, or the blackhole route.
func (e Expect) WantsNoResponse() bool {
	return e.ExitCode != nil && *e.ExitCode != 0 || e.Route == RouteBlackhole
}

// Upstream is where the sidecar sends the request after routing.
type Upstream struct {
	Host string       `yaml:"host" json:"host,omitempty"`
	Port int          `yaml:"port" json:"port,omitempty"`
	TLS  *UpstreamTLS `yaml:"tls" json:"tls,omitempty"`
}

// UpstreamTLS is the TLS the sidecar originates towards the upstream.
type UpstreamTLS struct {
	// Mode is SIMPLE (TLS origination) or DISABLE (plain text); a given SNI implies SIMPLE.
	Mode string `yaml:"mode" json:"mode,omitempty"`
	SNI  string `yaml:"sni" json:"sni,omitempty"`
}

// Retries is the route's retry policy.
type Retries struct {
	Attempts      *int      `yaml:"attempts" json:"attempts,omitempty"`
	PerTryTimeout *Duration `yaml:"perTryTimeout" json:"perTryTimeout,omitempty"`
	RetryOn       string    `yaml:"retryOn" json:"retryOn,omitempty"`
}

// Values of Expect.From, Expect.Route and UpstreamTLS.Mode.
const (
	FromEnvoy        = "envoy"
	FromUpstream     = "upstream"
	RoutePassthrough = "passthrough"
	RouteMesh        = "mesh"
	RouteBlackhole   = "blackhole"
	TLSSimple        = "SIMPLE"
	TLSDisable       = "DISABLE"
)

// TLSMode is the origination mode the expectation asks for, "" when not asserted.
func (t *UpstreamTLS) TLSMode() string {
	if t == nil {
		return ""
	}
	if t.Mode == "" && t.SNI != "" {
		return TLSSimple
	}
	return t.Mode
}
