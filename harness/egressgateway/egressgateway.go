// Package egressgateway is the egress gateway a scenario names, as Istio's
// gateway Helm chart (manifests/charts/gateway) makes it with the values every
// tier uses: the labels its pods carry (which a Gateway's selector matches),
// its Service (which the sidecar's route to the gateway names) and the
// values the live tier installs it with. The control-plane tier renders the
// pinned module's chart and checks that it still makes these.
package egressgateway

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"istio-egress-conformance/scenarios"
)

// Chart is the gateway chart's folder in the istio.io/istio module, and its
// name in Istio's chart repository.
const (
	Chart     = "manifests/charts/gateway"
	ChartName = "gateway"
)

// Gateway is one egress gateway: the chart's release name in a namespace.
type Gateway struct {
	Namespace, Name string
}

// Host is the gateway Service's in-cluster name, the host of the sidecar's
// cluster for it (outbound|<port>||<host>).
func (g Gateway) Host() string {
	return fmt.Sprintf("%s.%s.svc.cluster.local", g.Name, g.Namespace)
}

// String is namespace/name.
func (g Gateway) String() string {
	return g.Namespace + "/" + g.Name
}

// SelectorLabels are the chart's gateway.selectorLabels (templates/_helpers.tpl):
// app is the release name, istio the release name without "istio-", so the
// release istio-egressgateway carries the istio: egressgateway that Istio's
// egress tasks select on.
func (g Gateway) SelectorLabels() map[string]string {
	return map[string]string{"app": g.Name, "istio": strings.TrimPrefix(g.Name, "istio-")}
}

// PodLabels are the labels of the chart's gateway pods (templates/deployment.yaml)
// that workload and Gateway selectors see. There is no
// security.istio.io/tlsMode: the sidecar's auto-mTLS sends plain text to them.
func (g Gateway) PodLabels() map[string]string {
	l := g.SelectorLabels()
	l["sidecar.istio.io/inject"] = "true"
	l["app.kubernetes.io/name"] = g.Name
	return l
}

// ServiceAccount is the pods' service account (gateway.serviceAccountName:
// the release name).
func (g Gateway) ServiceAccount() string {
	return g.Name
}

// Values are the chart values every tier uses: a ClusterIP Service (the
// chart's default is LoadBalancer, which a kind cluster never provisions and
// an egress gateway does not need).
func Values() []string {
	return []string{"--set", "service.type=ClusterIP"}
}

// Service is the gateway's Service as the chart renders it with Values: the
// ports of values.yaml service.ports, each to the same target port.
func (g Gateway) Service() *corev1.Service {
	port := func(name string, n int32) corev1.ServicePort {
		return corev1.ServicePort{Name: name, Port: n, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(n)}
	}
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: g.Name, Namespace: g.Namespace, Labels: g.SelectorLabels()},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: g.SelectorLabels(),
			Ports:    []corev1.ServicePort{port("status-port", 15021), port("http2", 80), port("https", 443)},
		},
	}
}

// Of is the scenario's egress gateway, when it names one.
func Of(s scenarios.Scenario) (Gateway, bool) {
	ns, name, ok := s.Gateway()
	return Gateway{Namespace: ns, Name: name}, ok
}
