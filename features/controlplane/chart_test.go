package controlplane

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"istio-egress-conformance/harness/command"
	"istio-egress-conformance/harness/controlplane"
	"istio-egress-conformance/harness/egressgateway"
	"istio-egress-conformance/harness/istio"
	"istio-egress-conformance/harness/offline"
)

// TestChartMeshIsTheOfflineMesh: the mesh config istiod reads here is the
// one the pinned module's chart renders with the live tier's values, and the
// offline engine translates with that same text (harness/offline/chart-mesh.yaml).
// It must pass the live tier's own check for a pre-installed istiod (ALLOW_ANY).
func TestChartMeshIsTheOfflineMesh(t *testing.T) {
	_, mesh := need(t)
	var rendered string
	for _, o := range mesh.Rendered {
		if o.GetKind() == "ConfigMap" && o.GetName() == istio.MeshConfigMap {
			rendered, _, _ = unstructured.NestedString(o.Object, "data", istio.MeshConfigKey)
		}
	}
	require.NotEmpty(t, rendered, "the istiod chart renders ConfigMap %s/%s", istio.Namespace, istio.MeshConfigMap)
	assert.Equal(t, strings.TrimSpace(offline.ChartMesh), strings.TrimSpace(rendered), "update harness/offline/chart-mesh.yaml from the chart")
	assert.NoError(t, istio.CheckOutboundPolicy(rendered))
	assert.Contains(t, mesh.Skipped, "Deployment istiod", "istiod runs as a local process")
}

// TestGatewayChartIsTheOfflineGateway: the pinned module's gateway chart,
// rendered with the values every tier uses (egressgateway.Values), makes the
// Service the offline tier translates with and pods with the labels its
// router proxy carries (no tlsMode label: the sidecar sends them plain text).
func TestGatewayChartIsTheOfflineGateway(t *testing.T) {
	need(t)
	g := egressgateway.Gateway{Namespace: "istio-system", Name: "istio-egressgateway"}
	objs, err := controlplane.Render(context.Background(), command.Exec{}, [][]string{controlplane.GatewayTemplateCommand(shared.opts.Helm, shared.opts.IstioModuleDir, g)})
	require.NoError(t, err)
	var svc corev1.Service
	var deploy appsv1.Deployment
	var role rbacv1.Role
	var binding rbacv1.RoleBinding
	for _, o := range objs {
		switch o.GetKind() {
		case "Service":
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &svc))
		case "Deployment":
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &deploy))
		case "Role":
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &role))
		case "RoleBinding":
			require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &binding))
		}
	}
	assert.Equal(t, g.Role().Rules, role.Rules, "the gateway may read its namespace's Secrets (a credentialName's key)")
	assert.Equal(t, g.RoleBinding().RoleRef, binding.RoleRef)
	assert.Equal(t, g.RoleBinding().Subjects, binding.Subjects)
	want := g.Service()
	assert.Equal(t, want.Name, svc.Name)
	assert.Equal(t, want.Spec.Type, svc.Spec.Type, "a ClusterIP Service, as the values ask")
	assert.Equal(t, want.Spec.Ports, svc.Spec.Ports)
	assert.Equal(t, want.Spec.Selector, svc.Spec.Selector)
	assert.Equal(t, map[string]string{"app": "istio-egressgateway", "istio": "egressgateway"}, svc.Spec.Selector, "what Istio's egress tasks select on")
	pod := deploy.Spec.Template
	for k, v := range g.PodLabels() {
		assert.Equal(t, v, pod.Labels[k], "pod label %s", k)
	}
	assert.NotContains(t, pod.Labels, "security.istio.io/tlsMode")
	assert.Equal(t, g.ServiceAccount(), pod.Spec.ServiceAccountName)
	assert.Equal(t, "gateway", pod.Annotations["inject.istio.io/templates"], "the proxy is injected with Istio's gateway template")
}
