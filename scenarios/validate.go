package scenarios

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"istio-egress-conformance/scenarios/contract"
)

var namePattern = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

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
	if len(s.Checks) == 0 {
		return errors.New("checks: expected at least one check")
	}
	seen := map[string]bool{}
	for i, c := range s.Checks {
		field := fmt.Sprintf("checks[%d]", i)
		if err := c.validate(field); err != nil {
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

// tokenPattern is an HTTP token (RFC 9110 section 5.6.2): a method or a
// header name.
var tokenPattern = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

func checkName(field, name string) error {
	if !namePattern.MatchString(name) {
		return fmt.Errorf("%s: %q: expected lowercase letters, digits and dashes, starting and ending with a letter or digit", field, name)
	}
	return nil
}

func (c *Check) validate(field string) error {
	if err := checkName(field+".name", c.Name); err != nil {
		return err
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("%s.url: %q: expected an absolute http:// or https:// URL with a host", field, c.URL)
	}
	if c.Method != "" && !tokenPattern.MatchString(c.Method) {
		return fmt.Errorf("%s.method: %q: expected an HTTP method (a token such as GET, HEAD, POST; HEAD by default)", field, c.Method)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Headers)) {
		value := c.Headers[name]
		switch {
		case !tokenPattern.MatchString(name):
			return fmt.Errorf("%s.headers: %q: expected an HTTP header name (a token)", field, name)
		case strings.EqualFold(name, "host"):
			return fmt.Errorf("%s.headers: %q: the Host is the URL's; expected another header", field, name)
		case strings.ContainsAny(value, "\r\n\x00"):
			return fmt.Errorf("%s.headers.%s: expected a value on one line, without NUL", field, name)
		}
	}
	return c.Expect.Validate(field + ".expect")
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
