package snapshot

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"
	"istio.io/istio/pkg/config/host"
	"istio.io/istio/pkg/config/kube"
	"istio.io/istio/pkg/config/protocol"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"istio-egress-conformance/harness/fixture"
)

// target is one request a snapshot checks: a scheme, host and port.
type target struct {
	Scheme, Host string
	Port         int
	// Undeclared marks the host no object declares.
	Undeclared bool
}

// URL is the target as curl is given it, without a default port.
func (t target) URL() string {
	if t.Port == defaultPort(t.Scheme) {
		return t.Scheme + "://" + t.Host
	}
	return t.Scheme + "://" + net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// Name is the check's name: scheme, host and a port other than the default.
func (t target) Name() string {
	if t.Undeclared {
		return t.Scheme + "-undeclared-host"
	}
	name := t.Scheme + "-" + strings.ReplaceAll(strings.ToLower(t.Host), ".", "-")
	if t.Port != defaultPort(t.Scheme) {
		name += "-" + strconv.Itoa(t.Port)
	}
	return name
}

func defaultPort(scheme string) int {
	if scheme == "https" {
		return 443
	}
	return 80
}

// wildcardLabel stands in for the "*" of a wildcard host: a name the
// wildcard covers and an exact host is unlikely to.
const wildcardLabel = "snapshot"

// UndeclaredHost is the host of the checks no object declares: under the
// reserved .invalid top-level domain (RFC 2606), so that no real config
// names it, and what happens to it is the outbound traffic policy's.
const UndeclaredHost = "undeclared.snapshot.invalid"

// targets are the requests the objects declare, sorted, each once: every
// ServiceEntry host on each of its HTTP (http://) and HTTPS or TLS
// (https://) ports; each Kubernetes Service's; the hosts of routes
// (VirtualService for the mesh, Gateway API routes) on the ports they
// match, or, when they match none, on the scheme's default port if no
// ServiceEntry or Service gives the host ports. Ports of other
// protocols (TCP, MongoDB ...) are left out: curl cannot speak them.
// Last come the undeclared host's http and https (undeclaredHost).
func targets(objs []fixture.Object) ([]target, error) {
	var out []target
	add := func(scheme, h string, port int) {
		t := target{Scheme: scheme, Host: concrete(h), Port: port}
		if t.Host != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, o := range objs {
		if se, ok := istioSpec[*networking.ServiceEntry](o); ok {
			for _, h := range se.GetHosts() {
				for _, p := range se.GetPorts() {
					if scheme := schemeOf(protocol.Parse(p.GetProtocol())); scheme != "" {
						add(scheme, h, int(p.GetNumber()))
					}
				}
			}
		}
		if svc, ok := o.Object.(*corev1.Service); ok {
			h := serviceHost(svc.Name, svc.Namespace)
			for _, p := range svc.Spec.Ports {
				if scheme := schemeOf(kube.ConvertProtocol(p.Port, p.Name, p.Protocol, p.AppProtocol)); scheme != "" {
					add(scheme, h, int(p.Port))
				}
			}
		}
	}
	declared := declaredHosts(objs)
	for _, o := range objs {
		for _, r := range routeTargets(o) {
			switch {
			case r.Port != 0:
				add(r.Scheme, r.Host, r.Port)
			case !declared[r.Host]:
				// A route on every port of a host no object gives ports.
				add(r.Scheme, r.Host, defaultPort(r.Scheme))
			}
		}
	}
	slices.SortFunc(out, func(a, b target) int {
		return strings.Compare(fmt.Sprintf("%s %05d %s", a.Host, a.Port, a.Scheme), fmt.Sprintf("%s %05d %s", b.Host, b.Port, b.Scheme))
	})
	undeclared, err := undeclaredHost(declared)
	if err != nil {
		return nil, err
	}
	return append(out, target{Scheme: "http", Host: undeclared, Port: 80, Undeclared: true},
		target{Scheme: "https", Host: undeclared, Port: 443, Undeclared: true}), nil
}

// undeclaredHost is a host no declared host covers: UndeclaredHost, or,
// if a wildcard covers it, one under another reserved top-level domain
// (RFC 2606).
func undeclaredHost(declared map[string]bool) (string, error) {
	for _, h := range []string{UndeclaredHost, "undeclared.snapshot.test", "undeclared.snapshot.example"} {
		if !covered(h, declared) {
			return h, nil
		}
	}
	return "", fmt.Errorf("no host is left undeclared for the outbound policy's checks: wildcards cover %s, undeclared.snapshot.test and undeclared.snapshot.example", UndeclaredHost)
}

// declaredHosts are the hosts ServiceEntries and Services declare, wildcards as written.
func declaredHosts(objs []fixture.Object) map[string]bool {
	out := map[string]bool{}
	for _, o := range objs {
		if se, ok := istioSpec[*networking.ServiceEntry](o); ok {
			for _, h := range se.GetHosts() {
				out[h] = true
			}
		}
		if svc, ok := o.Object.(*corev1.Service); ok {
			out[serviceHost(svc.Name, svc.Namespace)] = true
		}
	}
	return out
}

// serviceHost is a Service's host name in the mesh.
func serviceHost(name, namespace string) string {
	return fmt.Sprintf("%s.%s.svc.cluster.local", name, namespace)
}

// covered tells whether a declared host, exact or wildcard, names h (Istio's
// host matching: pkg/config/host/name.go, Name.Matches).
func covered(h string, declared map[string]bool) bool {
	for d := range declared {
		if host.Name(h).Matches(host.Name(d)) {
			return true
		}
	}
	return false
}

// concrete is a host a request can name: a wildcard's "*" becomes
// wildcardLabel; "" for the all-hosts wildcard.
func concrete(h string) string {
	switch {
	case h == "*" || h == "":
		return ""
	case strings.HasPrefix(h, "*."):
		return wildcardLabel + h[1:]
	}
	return h
}

// schemeOf is the URL scheme curl speaks to a port of this protocol (Istio's
// protocol names: pkg/config/protocol/instance.go); "" for those it cannot.
func schemeOf(p protocol.Instance) string {
	switch {
	case p.IsHTTP():
		return "http"
	case p.IsTLS():
		return "https"
	}
	return ""
}

// routeTargets are the hosts a route object applies to in the mesh: a
// VirtualService's with no gateways or the "mesh" one (its HTTP routes over
// http://, its TLS routes over https://, on the ports they match; short
// names are the VirtualService namespace's Services); a Gateway API route's
// parent Service's host, or, parented to a Gateway, its hostnames (on the
// port its parent names). Port 0 where none is named.
func routeTargets(o fixture.Object) []target {
	if vs, ok := istioSpec[*networking.VirtualService](o); ok {
		return virtualServiceTargets(vs, o.Object.GetNamespace())
	}
	kind := o.Object.GetObjectKind().GroupVersionKind()
	if !fixture.IsGatewayAPI(kind) || !strings.HasSuffix(kind.Kind, "Route") {
		return nil
	}
	scheme := "http"
	if kind.Kind == "TLSRoute" {
		scheme = "https"
	}
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Object)
	if err != nil {
		return nil
	}
	return gatewayAPIRouteTargets(&unstructured.Unstructured{Object: u}, scheme)
}

// virtualServiceTargets are a mesh VirtualService's hosts, on the ports its
// HTTP and TLS routes match.
func virtualServiceTargets(vs *networking.VirtualService, namespace string) []target {
	if gw := vs.GetGateways(); len(gw) > 0 && !slices.Contains(gw, "mesh") {
		return nil
	}
	var out []target
	for _, h := range vs.GetHosts() {
		h = qualified(h, namespace)
		for _, r := range vs.GetHttp() {
			var ports []int
			for _, m := range r.GetMatch() {
				ports = append(ports, int(m.GetPort()))
			}
			out = append(out, onPorts("http", h, ports)...)
		}
		for _, r := range vs.GetTls() {
			var ports []int
			for _, m := range r.GetMatch() {
				ports = append(ports, int(m.GetPort()))
			}
			out = append(out, onPorts("https", h, ports)...)
		}
	}
	return out
}

// gatewayAPIRouteTargets are a Gateway API route's: per parent, a Service's
// host (a mesh route takes its parent's host, not its hostnames:
// pilot/pkg/config/kube/gateway/route_collections.go, the mesh parents of a
// route), or a Gateway's hostnames, on the port the parent names; a
// ServiceEntry parent's hosts are the entry's own targets.
func gatewayAPIRouteTargets(route *unstructured.Unstructured, scheme string) []target {
	var out []target
	hostnames, _, _ := unstructured.NestedStringSlice(route.Object, "spec", "hostnames")
	parents, _, _ := unstructured.NestedSlice(route.Object, "spec", "parentRefs")
	for _, p := range parents {
		ref, _ := p.(map[string]any)
		kind, _ := ref["kind"].(string)
		name, _ := ref["name"].(string)
		namespace, _ := ref["namespace"].(string)
		if namespace == "" {
			namespace = route.GetNamespace()
		}
		var ports []int
		if port, ok := ref["port"].(int64); ok {
			ports = append(ports, int(port))
		}
		switch kind {
		case "Service":
			out = append(out, onPorts(scheme, serviceHost(name, namespace), ports)...)
		case "", "Gateway":
			for _, h := range hostnames {
				out = append(out, onPorts(scheme, h, ports)...)
			}
		}
	}
	return out
}

// onPorts is the host on each port given; on port 0 (any) when none is.
func onPorts(scheme, h string, ports []int) []target {
	var out []target
	for _, p := range ports {
		if p != 0 {
			out = append(out, target{Scheme: scheme, Host: h, Port: p})
		}
	}
	if len(out) == 0 {
		out = append(out, target{Scheme: scheme, Host: h})
	}
	return out
}

// qualified is a route's host as Istio reads it: a short name is a Service
// of the route's namespace (pilot/pkg/model/virtualservice.go, resolving
// short names with host.Name and the config's namespace).
func qualified(h, namespace string) string {
	if strings.Contains(h, ".") || h == "*" {
		return h
	}
	return serviceHost(h, namespace)
}

// istioSpec is the object's Istio spec of type T, if it is one.
func istioSpec[T any](o fixture.Object) (T, bool) {
	var zero T
	if o.Istio == nil {
		return zero, false
	}
	spec, ok := o.Istio.Spec.(T)
	return spec, ok
}
