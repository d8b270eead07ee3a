// Package egressgateway is the egress gateway a scenario names, as Istio's
// gateway Helm chart (manifests/charts/gateway) makes it with the values every
// tier uses, or as istiod's deployment controller makes it for a Gateway API
// Gateway of class istio: the labels its pods carry (which a Gateway's
// selector matches), its Service (which the sidecar's route to the gateway
// names) and the values the live tier installs the chart with. The
// control-plane tier renders the pinned module's chart, and reads what istiod
// deploys, and checks that they still make these.
package egressgateway

import (
	"fmt"
	"strings"

	"istio.io/api/annotation"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gatewayapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"istio-egress-conformance/harness/fixture"
	"istio-egress-conformance/scenarios"
)

// Chart is the gateway chart's folder in the istio.io/istio module, and its
// name in Istio's chart repository (its Chart.yaml: name: gateway).
const (
	Chart     = "manifests/charts/gateway"
	ChartName = "gateway"
)

// ManagedTemplate is the template istiod's deployment controller renders for
// a Gateway API Gateway, in the istio.io/istio module.
const ManagedTemplate = "manifests/charts/istio-control/istio-discovery/files/kube-gateway.yaml"

// Gateway is one egress gateway: the chart's release name in a namespace,
// or a Gateway API Gateway of the scenario's fixtures.
type Gateway struct {
	Namespace, Name string
	// API is the Gateway API Gateway istiod deploys this gateway for; nil
	// for the chart's.
	API *gatewayapiv1.Gateway
}

// Managed tells whether istiod deploys this gateway (a Gateway API Gateway)
// rather than the harness installing the chart.
func (g Gateway) Managed() bool {
	return g.API != nil
}

// ServiceName is the gateway's Service and workload name: the release name,
// or for a Gateway API Gateway its gateway.istio.io/name-override annotation,
// else <name>-<class> (cnn-egress-gateway-istio) (Istio
// pilot/pkg/config/kube/gatewaycommon: deploymentcontroller.go DeploymentName,
// gateway_utils.go GetDefaultName).
func (g Gateway) ServiceName() string {
	return g.managedName(annotation.GatewayNameOverride.Name)
}

// managedName is the release name for the chart's gateway; for istiod's, the
// Gateway's annotation override, else <name>-<class>.
func (g Gateway) managedName(override string) string {
	if !g.Managed() {
		return g.Name
	}
	if name := g.API.Annotations[override]; name != "" {
		return name
	}
	return g.Name + "-" + string(g.API.Spec.GatewayClassName)
}

// Host is the gateway Service's in-cluster name, the host of the sidecar's
// cluster for it (outbound|<port>||<host>).
func (g Gateway) Host() string {
	return fmt.Sprintf("%s.%s.svc.cluster.local", g.ServiceName(), g.Namespace)
}

// String is namespace/name.
func (g Gateway) String() string {
	return g.Namespace + "/" + g.Name
}

// SelectorLabels are what the gateway's Service selects: the chart's
// gateway.selectorLabels (templates/_helpers.tpl: app is the release name,
// istio the release name without "istio-", so the release
// istio-egressgateway carries the istio: egressgateway that Istio's egress
// tasks select on), or the Gateway API Gateway's name label.
func (g Gateway) SelectorLabels() map[string]string {
	if g.Managed() {
		return map[string]string{gatewayNameLabel: g.Name}
	}
	return map[string]string{"app": g.Name, "istio": strings.TrimPrefix(g.Name, "istio-")}
}

// PodLabels are the labels of the gateway's pods that workload and Gateway
// selectors see: the chart's (templates/deployment.yaml) or the deployment
// controller's (istio-discovery chart files/kube-gateway.yaml). Neither has
// security.istio.io/tlsMode: the sidecar's auto-mTLS sends plain text to them.
func (g Gateway) PodLabels() map[string]string {
	if g.Managed() {
		return map[string]string{
			gatewayNameLabel: g.Name, "gateway.networking.k8s.io/gateway-class-name": string(g.API.Spec.GatewayClassName),
			"gateway.istio.io/managed": "istio.io-gateway-controller", "sidecar.istio.io/inject": "false",
			"service.istio.io/canonical-name": g.ServiceName(), "service.istio.io/canonical-revision": "latest",
		}
	}
	l := g.SelectorLabels()
	l["sidecar.istio.io/inject"] = "true"
	l["app.kubernetes.io/name"] = g.Name
	return l
}

// ServiceAccount is the pods' service account: the chart's
// gateway.serviceAccountName (the release name), or the deployment
// controller's: the Gateway's gateway.istio.io/service-account annotation,
// else <name>-<class> (deploymentcontroller.go, ServiceAccount; not the
// name override).
func (g Gateway) ServiceAccount() string {
	return g.managedName(annotation.GatewayServiceAccount.Name)
}

// Values are the chart values every tier uses: a ClusterIP Service (the
// chart's default is LoadBalancer, which a kind cluster never provisions and
// an egress gateway does not need).
func Values() []string {
	return []string{"--set", "service.type=ClusterIP"}
}

// Service is the gateway's Service: as the chart renders it with Values
// (the ports of values.yaml service.ports, each to the same target port), or
// as the deployment controller makes it (managedPorts).
func (g Gateway) Service() *corev1.Service {
	port := func(name string, n int32) corev1.ServicePort {
		return corev1.ServicePort{Name: name, Port: n, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(n)}
	}
	ports := []corev1.ServicePort{port("status-port", 15021), port("http2", 80), port("https", 443)}
	if g.Managed() {
		ports = g.managedPorts()
	}
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: g.ServiceName(), Namespace: g.Namespace, Labels: g.SelectorLabels()},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: g.SelectorLabels(),
			Ports:    ports,
		},
	}
}

// Of is the scenario's egress gateway, when it names one: the Gateway API
// Gateway of that namespace and name in its fixtures, or else the chart's.
func Of(s scenarios.Scenario) (Gateway, bool) {
	ns, name, ok := s.Gateway()
	g := Gateway{Namespace: ns, Name: name}
	for _, o := range s.Objects() {
		gvk := o.Object.GetObjectKind().GroupVersionKind()
		if gvk.Group != fixture.GatewayAPIGroup || gvk.Kind != "Gateway" || o.Object.GetNamespace() != ns || o.Object.GetName() != name {
			continue
		}
		// At any version written (a v1beta1 Gateway is another Go type), as
		// Istio reads it; the loader has already decoded it this way.
		if read, err := fixture.ReadVersion(o.Object); err == nil {
			g.API, _ = read.(*gatewayapiv1.Gateway)
		}
	}
	return g, ok
}

// Role and RoleBinding are the chart's (templates/role.yaml, rbac.enabled by
// default): the gateway's service account may read the Secrets of its
// namespace, which istiod requires before it serves a credentialName's key
// to the gateway (pilot/pkg/xds/sds.go, filterAuthorizedResources).
func (g Gateway) Role() *rbacv1.Role {
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
		ObjectMeta: metav1.ObjectMeta{Name: g.ServiceAccount(), Namespace: g.Namespace},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "watch", "list"}}},
	}
}

// RoleBinding binds Role to the gateway's service account.
func (g Gateway) RoleBinding() *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: g.ServiceAccount(), Namespace: g.Namespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: g.ServiceAccount()},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: g.ServiceAccount()}},
	}
}
