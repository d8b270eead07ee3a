// Package scenarios holds the built-in scenario catalog (YAML, v1alpha1) and
// its strict loader. Both engines, offline and live, read the same scenarios.
package scenarios

import (
	"strings"

	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/scenarios/contract"
)

// Scenario is one scenario file: fixtures applied for a client namespace and
// the checks made from that client.
type Scenario struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Fixtures    []string          `yaml:"fixtures"`
	Client      Client            `yaml:"client"`
	// EgressGateway names the egress gateway the scenario needs, "name" (in
	// istio-system) or "namespace/name": one installed from Istio's gateway
	// chart. Checks judge its hop with expect.gateway.
	EgressGateway string `yaml:"egressGateway,omitempty"`
	// SuppressAnalysis lists Istio analyzer messages the scenario accepts,
	// as istioctl analyze --suppress takes them: "IST0173=DestinationRule
	// ns/name" (the resource a glob).
	SuppressAnalysis []string `yaml:"suppressAnalysis,omitempty"`
	Checks           []Check  `yaml:"checks"`

	// File is where the scenario was read from, for messages.
	File string `yaml:"-"`
	// Resolved holds the decoded fixture files, in the order of Fixtures.
	Resolved []fixture.File `yaml:"-"`
	// Analysis holds the Istio analyzers' messages on the fixtures, one
	// line each (harness/analysis): warnings and infos; an error fails the load.
	Analysis []string `yaml:"-"`
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
	Labels map[string]string `yaml:"labels,omitempty"`
	// ServiceAccount is the client pod's service account (default: default),
	// created by the harness when it is not default: its identity, for
	// credentialName RBAC and SDS.
	ServiceAccount string `yaml:"serviceAccount,omitempty"`
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

// Check is one request and what it must meet: the contract's (a type of
// package contract, so that the verdict rules read checks without the
// fixture loader and its Istio validation).
type Check = contract.Check
