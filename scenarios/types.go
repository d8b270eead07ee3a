// Package scenarios holds the built-in scenario catalog (YAML, v1alpha1) and
// its strict loader. Both engines, offline and live, read the same scenarios.
package scenarios

import (
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
	Method string          `yaml:"method"`
	Expect contract.Expect `yaml:"expect"`
}
