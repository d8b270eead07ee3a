// Package scenarios holds the built-in scenario catalog (YAML, v1alpha1) and
// its strict loader. Both engines, offline and live, read the same scenarios.
package scenarios

import (
	"strings"
	"time"

	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/scenarios/contract"
)

// Scenario is one scenario file: fixtures applied for a client namespace and
// the checks made from that client.
type Scenario struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Labels      map[string]string `yaml:"labels"`
	Fixtures    []string          `yaml:"fixtures"`
	Client      Client            `yaml:"client"`
	// EgressGateway names the egress gateway the scenario needs, "name" (in
	// istio-system) or "namespace/name": one installed from Istio's gateway
	// chart. Checks judge its hop with expect.gateway.
	EgressGateway string  `yaml:"egressGateway"`
	Checks        []Check `yaml:"checks"`

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

// UsesGatewayAPI tells whether the fixtures hold a Gateway API object: Istio's
// gateway controller then reads the scenario too, and a cluster needs the
// Gateway API's CRDs.
func (s Scenario) UsesGatewayAPI() bool {
	for _, o := range s.Objects() {
		if fixture.IsGatewayAPI(o.Object.GetObjectKind().GroupVersionKind()) {
			return true
		}
	}
	return false
}

// GatewayNamespace is where an egress gateway named without a namespace runs.
const GatewayNamespace = "istio-system"

// Gateway is the scenario's egress gateway as namespace and name; ok is false
// when it names none.
func (s Scenario) Gateway() (namespace, name string, ok bool) {
	if s.EgressGateway == "" {
		return "", "", false
	}
	if ns, n, found := strings.Cut(s.EgressGateway, "/"); found {
		return ns, n, true
	}
	return GatewayNamespace, s.EgressGateway, true
}

// Client is the sidecar-injected pod that sends the checks' requests.
type Client struct {
	Namespace string `yaml:"namespace"`
	// Labels are added to the client pod's own (app: egress-client) and win
	// over them: what a workloadSelector in a fixture selects.
	Labels map[string]string `yaml:"labels"`
	// ServiceAccount is the client pod's service account (default: default),
	// created by the harness when it is not default: its identity, for
	// credentialName RBAC and SDS.
	ServiceAccount string `yaml:"serviceAccount"`
}

// DefaultServiceAccount is the client's service account when the scenario names none.
const DefaultServiceAccount = "default"

// ServiceAccountName is the client's service account.
func (c Client) ServiceAccountName() string {
	if c.ServiceAccount == "" {
		return DefaultServiceAccount
	}
	return c.ServiceAccount
}

// Check is one request and what it must meet.
type Check struct {
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	// Method is the request's HTTP method: HEAD (curl -I) by default.
	Method string `yaml:"method"`
	// Headers are request headers curl sends (-H name: value).
	Headers map[string]string `yaml:"headers"`
	// HostDelay is how long the external host takes to answer this request
	// (httpbin.org/delay/5: 5s); unset means within contract.DefaultHostDelay.
	// A sidecar-made 504 needs a timeout that fires before it.
	HostDelay *contract.Duration `yaml:"hostDelay"`
	Expect    contract.Expect    `yaml:"expect"`
}

// DefaultMethod is the method of a check that names none: curl -I's.
const DefaultMethod = "HEAD"

// RequestMethod is the check's method, or DefaultMethod.
func (c Check) RequestMethod() string {
	if c.Method == "" {
		return DefaultMethod
	}
	return c.Method
}

// AnswerDelay is how long the host takes to answer: HostDelay, or the default.
func (c Check) AnswerDelay() time.Duration {
	if d := c.DeclaredHostDelay(); d > 0 {
		return d
	}
	return contract.DefaultHostDelay
}

// DeclaredHostDelay is the check's hostDelay; zero when it sets none.
func (c Check) DeclaredHostDelay() time.Duration {
	if c.HostDelay == nil {
		return 0
	}
	return c.HostDelay.Duration
}
