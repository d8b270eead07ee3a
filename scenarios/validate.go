package scenarios

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
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
	switch c.Method {
	case "", "HEAD", "GET":
	default:
		return fmt.Errorf("%s.method: %q: expected HEAD (the default) or GET", field, c.Method)
	}
	return c.Expect.validate(field + ".expect")
}

func (e *Expect) validate(field string) error {
	if e.Status != 0 && (e.Status < 100 || e.Status > 599) {
		return fmt.Errorf("%s.status: %d: expected an HTTP status between 100 and 599", field, e.Status)
	}
	if err := oneOf(field+".from", e.From, FromEnvoy, FromUpstream); err != nil {
		return err
	}
	if err := oneOf(field+".route", e.Route, RoutePassthrough, RouteMesh, RouteBlackhole); err != nil {
		return err
	}
	if e.ExitCode != nil && (*e.ExitCode < 0 || *e.ExitCode > 255) {
		return fmt.Errorf("%s.exitCode: %d: expected a curl exit code between 0 and 255", field, *e.ExitCode)
	}
	if e.WantsNoResponse() && (e.Status != 0 || e.From != "") {
		return fmt.Errorf("%s: status/from with route blackhole or a non-zero exitCode: expected either an HTTP answer or none, not both", field)
	}
	if e.Route == RouteBlackhole && e.ExitCode != nil && *e.ExitCode == 0 {
		return fmt.Errorf("%s.exitCode: 0 with route blackhole: expected a non-zero curl exit code, the sidecar drops the connection", field)
	}
	if u := e.Upstream; u != nil {
		if u.Port < 0 || u.Port > 65535 {
			return fmt.Errorf("%s.upstream.port: %d: expected a port between 1 and 65535", field, u.Port)
		}
		if u.TLS != nil {
			if err := oneOf(field+".upstream.tls.mode", u.TLS.Mode, TLSSimple, TLSDisable); err != nil {
				return err
			}
			if u.TLS.Mode == TLSDisable && u.TLS.SNI != "" {
				return fmt.Errorf("%s.upstream.tls: sni %q with mode DISABLE: expected no SNI without TLS origination", field, u.TLS.SNI)
			}
		}
	}
	if r := e.Retries; r != nil && r.Attempts != nil && *r.Attempts < 0 {
		return fmt.Errorf("%s.retries.attempts: %d: expected zero or more", field, *r.Attempts)
	}
	return nil
}

func oneOf(field, value string, allowed ...string) error {
	if value == "" {
		return nil
	}
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return fmt.Errorf("%s: %q: expected one of %s", field, value, strings.Join(allowed, ", "))
}
