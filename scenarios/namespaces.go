package scenarios

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/scenarios/contract"
)

// meshRootNamespace is Istio's root namespace: config there applies to the
// whole mesh, so it keeps its name when namespaces get a suffix.
const meshRootNamespace = "istio-system"

// FixtureNamespaces are the namespaces the fixtures put objects in, in order
// of first use, leaving out the client's and those the fixtures create.
func (s Scenario) FixtureNamespaces() []string {
	created := map[string]bool{s.Client.Namespace: true}
	for _, o := range s.Objects() {
		if isNamespace(o) {
			created[o.Object.GetName()] = true
		}
	}
	var used []string
	for _, o := range s.Objects() {
		ns := o.Object.GetNamespace()
		if ns != "" && !created[ns] && !slices.Contains(used, ns) {
			used = append(used, ns)
		}
	}
	return used
}

// WithNamespaceSuffix returns a copy of the scenario whose namespaces (the
// client's, the fixtures' and the Namespace objects among them) end in
// "-"+suffix, so that two runs can share a cluster. Istio's root namespace
// keeps its name. See fixture.File.RenameNamespaces for what is rewritten in
// the fixtures; in the checks, in-cluster host names of renamed namespaces
// (URLs, expected clusters and upstream hosts) follow, so a check still means
// the objects it was written for.
func (s Scenario) WithNamespaceSuffix(suffix string) (Scenario, error) {
	rename := map[string]string{}
	add := func(ns string) error {
		if ns == "" || ns == meshRootNamespace || rename[ns] != "" {
			return nil
		}
		renamed := ns + "-" + suffix
		if errs := validation.IsDNS1123Label(renamed); len(errs) > 0 {
			return fmt.Errorf("scenario %s: namespace %q with the run id suffix is %q, not a namespace name: %s (E2E_UNIQUE_NAMESPACES=1 needs names of at most %d characters)",
				s.File, ns, renamed, errs[0], validation.DNS1123LabelMaxLength-len(suffix)-1)
		}
		rename[ns] = renamed
		return nil
	}
	if err := add(s.Client.Namespace); err != nil {
		return Scenario{}, err
	}
	gwNamespace, gwName, hasGateway := s.Gateway()
	if hasGateway {
		if err := add(gwNamespace); err != nil {
			return Scenario{}, err
		}
	}
	for _, o := range s.Objects() {
		name := o.Object.GetNamespace()
		if isNamespace(o) {
			name = o.Object.GetName()
		}
		if err := add(name); err != nil {
			return Scenario{}, err
		}
	}
	out := s
	out.Client.Namespace = rename[s.Client.Namespace]
	if ns := rename[gwNamespace]; hasGateway && ns != "" {
		out.EgressGateway = ns + "/" + gwName
	}
	// The checks must still mean the renamed objects: in-cluster host names in
	// URLs, expected clusters and upstream hosts follow their namespace.
	out.Checks = make([]Check, len(s.Checks))
	for i, c := range s.Checks {
		out.Checks[i] = withRenamedHosts(c, rename)
	}
	out.Resolved = make([]fixture.File, len(s.Resolved))
	for i, f := range s.Resolved {
		renamed, err := f.RenameNamespaces(rename)
		if err != nil {
			return Scenario{}, fmt.Errorf("scenario %s: %v", s.File, err)
		}
		out.Resolved[i] = renamed
	}
	return out, nil
}

func isNamespace(o fixture.Object) bool {
	gvk := o.Object.GetObjectKind().GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Namespace"
}

// withRenamedHosts is the check with in-cluster host names renamed (fixture.RenameHost).
func withRenamedHosts(c Check, rename map[string]string) Check {
	if u, err := url.Parse(c.URL); err == nil {
		if host := fixture.RenameHost(u.Hostname(), rename); host != u.Hostname() {
			if p := u.Port(); p != "" {
				host = net.JoinHostPort(host, p)
			}
			u.Host = host
			c.URL = u.String()
		}
	}
	c.Expect = renameExpectHosts(c.Expect, rename)
	return c
}

// renameExpectHosts renames the in-cluster hosts of the expected clusters,
// upstream hosts and SNIs, the gateway hop's included.
func renameExpectHosts(e contract.Expect, rename map[string]string) contract.Expect {
	if e.Cluster != "" {
		// outbound|<port>|<subset>|<host>
		parts := strings.Split(e.Cluster, "|")
		parts[len(parts)-1] = fixture.RenameHost(parts[len(parts)-1], rename)
		e.Cluster = strings.Join(parts, "|")
	}
	if e.Upstream != nil {
		up := *e.Upstream
		up.Host = fixture.RenameHost(up.Host, rename)
		if up.TLS != nil { // an SNI naming an in-cluster host is renamed with the fixtures' DestinationRules
			tls := *up.TLS
			tls.SNI = fixture.RenameHost(tls.SNI, rename)
			up.TLS = &tls
		}
		e.Upstream = &up
	}
	if e.Gateway != nil {
		g := renameExpectHosts(*e.Gateway, rename)
		e.Gateway = &g
	}
	return e
}
