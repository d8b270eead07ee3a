package scenarios

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"istio-egress-conformance/scenarios/contract"
)

// suppressPattern is istioctl analyze's --suppress: an IST code, "=", a resource glob.
var suppressPattern = regexp.MustCompile(`^IST[0-9]{4}=\S.*$`)

// Validate checks every rule of the v1alpha1 contract that does not need the
// fixture files; the first broken rule is returned, naming its field.
func (s *Scenario) Validate() error {
	if err := checkName("name", s.Name); err != nil {
		return err
	}
	if len(s.Fixtures) == 0 {
		return errors.New("fixtures: expected at least one fixture file")
	}
	if s.Client.Namespace == "" {
		return errors.New("client.namespace: required: the namespace of the sidecar-injected client")
	}
	if errs := validation.IsDNS1123Label(s.Client.Namespace); len(errs) > 0 {
		return fmt.Errorf("client.namespace: %q is not a namespace name: %s", s.Client.Namespace, strings.Join(errs, "; "))
	}
	if err := s.Client.validate(); err != nil {
		return err
	}
	if err := s.validateGateway(); err != nil {
		return err
	}
	for k, v := range s.Labels {
		if k == "" || v == "" {
			return fmt.Errorf("labels: %q: %q: expected a non-empty key and value", k, v)
		}
	}
	for i, rule := range s.SuppressAnalysis {
		if !suppressPattern.MatchString(rule) {
			return fmt.Errorf("suppressAnalysis[%d]: %q: expected CODE=RESOURCE, such as IST0173=DestinationRule ns/name (istioctl analyze --suppress)", i, rule)
		}
	}
	if len(s.Checks) == 0 {
		return errors.New("checks: expected at least one check")
	}
	seen := map[string]bool{}
	for i, c := range s.Checks {
		field := fmt.Sprintf("checks[%d]", i)
		if err := c.Validate(field); err != nil {
			return err
		}
		if seen[c.Name] {
			return fmt.Errorf("%s.name: %q is used twice in this scenario: expected unique check names", field, c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

// validateGateway checks egressGateway, and that only a scenario with one
// expects a gateway hop.
func (s *Scenario) validateGateway() error {
	ns, name, ok := s.Gateway()
	if ok {
		for _, part := range []string{ns, name} {
			if errs := validation.IsDNS1123Label(part); len(errs) > 0 {
				return fmt.Errorf("egressGateway: %q: expected <name> or <namespace>/<name>, Kubernetes names: %s", s.EgressGateway, strings.Join(errs, "; "))
			}
		}
		return nil
	}
	for i, c := range s.Checks {
		if c.Expect.Gateway != nil || c.Expect.From == contract.FromGateway {
			return fmt.Errorf("checks[%d].expect: a gateway hop (expect.gateway, or from: gateway) needs the scenario's egressGateway", i)
		}
	}
	return nil
}

func checkName(field, name string) error {
	return contract.CheckName(field, name)
}

func (c Client) validate() error {
	for k, v := range c.Labels {
		if errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...); len(errs) > 0 {
			return fmt.Errorf("client.labels: %q: %q: expected a Kubernetes label: %s", k, v, strings.Join(errs, "; "))
		}
	}
	if c.ServiceAccount != "" {
		if errs := validation.IsDNS1123Subdomain(c.ServiceAccount); len(errs) > 0 {
			return fmt.Errorf("client.serviceAccount: %q is not a service account name: %s", c.ServiceAccount, strings.Join(errs, "; "))
		}
	}
	return nil
}
